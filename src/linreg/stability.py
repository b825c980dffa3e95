"""How large a learning rate full-batch gradient descent can take.

The MSE is a quadratic in theta = [W, b] with constant Hessian

    H = (2/N) A^T A,   A = [X 1]   (A = X without an intercept).

Gradient descent multiplies the error along each eigenvector of H by
(1 - eta * lambda); it shrinks only when |1 - eta * lambda| < 1 for every
eigenvalue, i.e. when eta < eta_max = 2 / lambda_max. The condition number
kappa = lambda_max / lambda_min says how many times slower the flattest
direction converges than the steepest: standardizing the features shrinks it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError

__all__ = ["OVERFLOW_MESSAGE", "Stability", "hessian", "stability"]


#: Why gradient descent refuses data whose sums of squares overflow.
OVERFLOW_MESSAGE = (
    "the features are too large for gradient descent in float64: their squares "
    "overflow (values beyond about 1e154); rescale X and y, or use solver='exact'"
)


@dataclass(frozen=True)
class Stability:
    """Stability numbers of full-batch gradient descent on one dataset.

    Attributes
    ----------
    max_stable_learning_rate : float
        eta_max = 2 / lambda_max: rates at or above it diverge.
    condition_number : float
        lambda_max / lambda_min of the Hessian (inf when singular).
    lambda_max, lambda_min : float
        Largest and smallest eigenvalue of the Hessian.
    """

    max_stable_learning_rate: float
    condition_number: float
    lambda_max: float
    lambda_min: float

    @classmethod
    def from_hessian(cls, H: NDArray[np.float64]) -> Stability:
        """eta_max = 2 / lambda_max and kappa = lambda_max / lambda_min of a Hessian.

        Raises
        ------
        LinregError
            If the Hessian overflowed: features beyond about 1e154, whose squares
            float64 cannot hold (gradient descent's own sums would overflow too).
        """
        if not np.all(np.isfinite(H)):
            raise LinregError(OVERFLOW_MESSAGE)
        eigenvalues = np.linalg.eigvalsh(H)
        lam_max = float(eigenvalues[-1])
        # Round-off can make a zero eigenvalue slightly negative.
        lam_min = max(float(eigenvalues[0]), 0.0)
        cond = lam_max / lam_min if lam_min > lam_max * np.finfo(np.float64).eps else np.inf
        eta_max = 2.0 / lam_max if lam_max > 0 else np.inf
        return cls(
            max_stable_learning_rate=eta_max,
            condition_number=cond,
            lambda_max=lam_max,
            lambda_min=lam_min,
        )

    @property
    def optimal_learning_rate(self) -> float:
        """2 / (lambda_max + lambda_min): the fastest constant rate for GD."""
        return 2.0 / (self.lambda_max + self.lambda_min)


def hessian(X: NDArray[np.float64], *, fit_intercept: bool = True) -> NDArray[np.float64]:
    """The MSE Hessian (2/N) A^T A of shape (d+1, d+1), or (d, d) without intercept.

    The intercept is the last row and column. One pass over X (its Gram matrix).
    """
    N, d = X.shape
    gram = X.T @ X
    if not fit_intercept:
        return (2.0 / N) * gram
    H = np.empty((d + 1, d + 1))
    H[:d, :d] = gram
    col_sum = X.sum(axis=0)
    H[:d, d] = col_sum
    H[d, :d] = col_sum
    H[d, d] = N
    return (2.0 / N) * H


def stability(X: NDArray[np.float64], *, fit_intercept: bool = True) -> Stability:
    """Compute eta_max and the condition number of the MSE Hessian for ``X``.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    fit_intercept : bool, default=True

    Examples
    --------
    >>> import numpy as np
    >>> s = stability(np.array([[1.0], [-1.0]]))   # H = 2 I
    >>> s.max_stable_learning_rate, s.condition_number
    (1.0, 1.0)
    """
    with np.errstate(over="ignore", invalid="ignore"):  # from_hessian says why
        H = hessian(X, fit_intercept=fit_intercept)
    return Stability.from_hessian(H)
