"""Errors and warnings raised by linreg.

Every message names the value, column or file at fault and says what to do, so
that the command line can print it as one line and exit non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from linreg.history import History

__all__ = [
    "ConvergenceWarning",
    "DivergenceError",
    "DivergenceReport",
    "LinregError",
    "MissingValuesWarning",
    "ModelFileError",
    "NonFiniteDataError",
    "NotFittedError",
    "RankDeficiencyWarning",
    "StabilityWarning",
]


class LinregError(ValueError):
    """Base class of linreg's errors about bad input (a ``ValueError``)."""


class ModelFileError(LinregError):
    """A model file is missing, corrupt, foreign, or from a newer linreg."""


class NonFiniteDataError(LinregError):
    """The data hold NaN or infinite values, found by a pass over them that was
    computing something else (the solvers' sums); :func:`linreg.validation.check_finite`
    then names the first bad cell."""


class NotFittedError(LinregError, AttributeError):
    """A model was used before ``fit`` (or ``load``)."""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before it converged."""


class StabilityWarning(UserWarning):
    """The learning rate is above the largest stable rate eta_max (diverges), or
    exactly at it (the steepest direction's error flips sign and never shrinks)."""


class MissingValuesWarning(UserWarning):
    """Rows with missing values were dropped (``missing="drop"``); says how many, from where."""


class RankDeficiencyWarning(UserWarning):
    """The design matrix is rank deficient or numerically singular."""


@dataclass(frozen=True)
class DivergenceReport:
    """What was known when gradient descent diverged.

    Attributes
    ----------
    epoch : int
        The first epoch whose loss was non-finite or exploding.
    learning_rate : float
        The learning rate that was used.
    max_stable_learning_rate : float
        eta_max = 2 / lambda_max of the MSE Hessian, for full-batch GD.
    W : ndarray of shape (n_features,)
        The last weights whose loss was finite.
    b : float
        The last bias whose loss was finite.
    gradient_norm : float
        The norm of the gradient at the last finite parameters.
    history : History
        Everything recorded up to the divergence.
    """

    epoch: int
    learning_rate: float
    max_stable_learning_rate: float
    W: NDArray[np.float64]
    b: float
    gradient_norm: float
    history: History = field(repr=False)

    @property
    def advice(self) -> str:
        if self.epoch == 0:  # the starting point's loss: no step was taken yet
            return (
                "the loss at the starting point is not finite in float64: values beyond "
                "about 1e154 square to infinity; rescale the target and the features "
                "(e.g. divide them by a power of ten)"
            )
        ratio = self.learning_rate / self.max_stable_learning_rate
        return (
            f"lower the learning rate below eta_max = {self.max_stable_learning_rate:.4g} "
            f"(it is {ratio:.3g} times that), or standardize the features"
        )

    def __str__(self) -> str:
        return (
            f"training diverged at epoch {self.epoch}: learning rate {self.learning_rate:g} "
            f"vs eta_max {self.max_stable_learning_rate:.4g}; last finite W = "
            f"{_fmt(self.W)}, b = {self.b:.6g}; gradient norm {self.gradient_norm:.3g}. "
            f"To fix: {self.advice}"
        )


def _fmt(W: NDArray[np.float64]) -> str:
    return "[" + ", ".join(f"{w:.6g}" for w in W) + "]"


class DivergenceError(LinregError):
    """Gradient descent diverged; ``.report`` holds a :class:`DivergenceReport`."""

    def __init__(self, report: DivergenceReport) -> None:
        super().__init__(str(report))
        self.report = report
