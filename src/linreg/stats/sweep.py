"""The learning-rate experiment: the same problem at several learning rates.

Each rate is trained from the same start for the same number of epochs and
labelled by what happened:

- ``"converged"``: the final loss is within ``CONVERGED_RTOL`` of the
  least-squares optimum;
- ``"slow"``: stable, but not there yet after the epochs given;
- ``"unstable"``: the loss ended above where it started without exploding yet;
- ``"diverged"``: the loss exploded or overflowed, at the epoch reported.

The largest stable rate eta_max = 2 / lambda_max explains the last two.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from linreg.errors import DivergenceError, LinregError, StabilityWarning
from linreg.estimator import LinearRegression
from linreg.history import History

__all__ = [
    "CONVERGED_RTOL",
    "SweepResult",
    "SweepRun",
    "fit_recording_divergence",
    "learning_rate_sweep",
]

Array = NDArray[np.float64]

#: A final loss within this relative distance of the optimum counts as converged.
#: Since the loss gap is quadratic in the parameter error, it places the
#: parameters within about sqrt(1e-6) = 1e-3 of the optimum (in the Hessian's norm).
CONVERGED_RTOL = 1e-6


@dataclass(frozen=True)
class SweepRun:
    """One learning rate's run.

    Attributes
    ----------
    learning_rate : float
    status : {"converged", "slow", "unstable", "diverged"}
    final_loss : float
        Loss at the last finite parameters.
    diverged_at_epoch : int or None
    epochs_run : int
    history : History
    """

    learning_rate: float
    status: str
    final_loss: float
    diverged_at_epoch: int | None
    epochs_run: int
    history: History


@dataclass(frozen=True)
class SweepResult:
    """All runs, eta_max and the optimum they are measured against."""

    runs: list[SweepRun]
    max_stable_learning_rate: float
    condition_number: float
    optimum_loss: float


def fit_recording_divergence(
    model: LinearRegression,
    X: Array,
    y: Array,
    on_epoch: Callable[[int, float], None] | None = None,
) -> tuple[History, int | None]:
    """Fit ``model``; return its history and the epoch of divergence (or None).

    For runs that show unstable rates on purpose (the sweep, the lab): a run that
    diverges keeps the history recorded up to the divergence, and the
    :class:`~linreg.errors.StabilityWarning` is not raised, since the caller's
    table reports the rate's stability itself.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StabilityWarning)
        try:
            model.fit(X, y, on_epoch=on_epoch)
        except DivergenceError as exc:
            return exc.report.history, exc.report.epoch
    return model.history_, None


def learning_rate_sweep(
    X: Array,
    y: Array,
    learning_rates: Sequence[float],
    *,
    epochs: int = 1000,
    fit_intercept: bool = True,
    standardize: bool = False,
) -> SweepResult:
    """Train full-batch GD at each learning rate and classify the outcome.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    learning_rates : sequence of float
        Each must be > 0.
    epochs : int, default=1000
    fit_intercept, standardize : bool
        As for :class:`~linreg.LinearRegression`.

    Returns
    -------
    SweepResult
    """
    if len(learning_rates) == 0:
        raise LinregError("give at least one learning rate")
    exact = LinearRegression(solver="exact", fit_intercept=fit_intercept).fit(X, y)
    optimum = exact.history_.final_loss
    runs: list[SweepRun] = []
    stab = None
    for rate in learning_rates:
        model = LinearRegression(
            solver="gd",
            learning_rate=rate,
            epochs=epochs,
            fit_intercept=fit_intercept,
            standardize=standardize,
        )
        history, diverged_at = fit_recording_divergence(model, X, y)
        stab = model.stability_
        if diverged_at is not None:
            runs.append(
                SweepRun(
                    learning_rate=float(rate),
                    status="diverged",
                    final_loss=history.final_loss if history.loss.size else float("nan"),
                    diverged_at_epoch=diverged_at,
                    epochs_run=history.n_epochs,
                    history=history,
                )
            )
            continue
        final = history.final_loss
        if final > history.loss[0]:
            status = "unstable"
        elif final - optimum <= CONVERGED_RTOL * max(optimum, np.finfo(np.float64).tiny):
            status = "converged"
        else:
            status = "slow"
        runs.append(
            SweepRun(
                learning_rate=float(rate),
                status=status,
                final_loss=final,
                diverged_at_epoch=None,
                epochs_run=model.n_iter_,
                history=history,
            )
        )
    assert stab is not None  # set by every fit, diverged or not
    return SweepResult(
        runs=runs,
        max_stable_learning_rate=stab.max_stable_learning_rate,
        condition_number=stab.condition_number,
        optimum_loss=optimum,
    )
