"""How large a learning rate full-batch gradient descent can take.

The MSE is a quadratic in theta = [W, b] with constant Hessian

    H = (2/N) A^T A,   A = [X 1]   (A = X without an intercept),

and the objective of :mod:`linreg.problem`, with row weights w (S = sum(w)) and the
penalty alpha, has ``H = (2/S) A^T diag(w) A + 2 alpha diag(1, ..., 1, 0)``. With an L1
share ``rho = l1_ratio`` the L1 term has no Hessian (proximal gradient descent handles it
by soft-thresholding, which never enlarges a step): eta_max is that of the smooth part,
whose penalty is ``alpha (1 - rho)``, the ``alpha`` the estimator passes here.

Gradient descent multiplies the error along each eigenvector of H by
(1 - eta * lambda); it shrinks only when |1 - eta * lambda| < 1 for every
eigenvalue, i.e. when eta < eta_max = 2 / lambda_max. The condition number
kappa = lambda_max / lambda_min says how many times slower the flattest
direction converges than the steepest: standardizing the features shrinks it.

Heavy-ball momentum mu (v <- mu v + g, theta <- theta - eta v) widens the range: along
an eigenvector the error follows e_{k+1} = (1 + mu - eta lambda) e_k - mu e_{k-1},
whose two roots lie inside the unit circle exactly when 0 <= mu < 1 and
0 < eta lambda < 2 (1 + mu): the largest stable rate is (1 + mu) eta_max
(:func:`stable_rate_with_momentum`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError

__all__ = [
    "OVERFLOW_MESSAGE",
    "SAMPLE_ENTRIES",
    "SAMPLE_ROWS",
    "SAMPLE_ROWS_PER_FEATURE",
    "Stability",
    "hessian",
    "sample_rows",
    "sample_size",
    "stability",
    "stable_rate_with_momentum",
]

#: Mini-batch SGD estimates eta_max and kappa from at most this many rows.
SAMPLE_ROWS = 16_384
#: ... and from at most this many entries (rows times features), but at least
#: :data:`SAMPLE_ROWS_PER_FEATURE` rows a feature: the sample's Gram matrix costs
#: ``rows d^2``, which on wide data would outgrow the epoch it serves.
SAMPLE_ENTRIES = 2**22
#: The fewest rows per feature a wide sample keeps (its lambda_max then runs high by
#: at most ``(1 + sqrt(1/8))^2``, about 1.8 on isotropic data).
SAMPLE_ROWS_PER_FEATURE = 8


#: Why gradient descent refuses data whose sums of squares overflow.
OVERFLOW_MESSAGE = (
    "the data are too large for gradient descent in float64: their squares "
    "overflow (features or target beyond about 1e154); rescale X and y, "
    "or use solver='exact'"
)


@dataclass(frozen=True)
class Stability:
    """Stability numbers of full-batch gradient descent on one dataset.

    Attributes
    ----------
    max_stable_learning_rate : float
        eta_max = 2 / lambda_max: rates above it diverge; at it, the error along the
        steepest direction flips sign each epoch without shrinking.
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


def unstable_rate_warning(learning_rate: float, eta_max: float, on_data: str) -> str | None:
    """The StabilityWarning's text for ``learning_rate``, or None below ``eta_max``.

    Each epoch multiplies the error along the steepest direction by
    ``1 - learning_rate * lambda_max``: above eta_max its size exceeds 1 and the run
    diverges; at exactly eta_max it is -1, so that error flips sign and never shrinks.
    """
    if learning_rate < eta_max:
        return None
    where = (
        f"the largest stable rate eta_max = {eta_max:.4g} of full-batch gradient descent {on_data}"
    )
    if learning_rate == eta_max:
        return (
            f"learning rate {learning_rate:g} equals {where}: the error along the steepest "
            "direction will flip sign every epoch and never shrink; lower it, or standardize "
            "the features"
        )
    return (
        f"learning rate {learning_rate:g} is above {where}; expect divergence: lower it, "
        "or standardize the features"
    )


def stable_rate_with_momentum(eta_max: float, momentum: float) -> float:
    """The largest stable rate of heavy-ball momentum ``mu``: ``(1 + mu) eta_max``.

    On a quadratic with Hessian eigenvalue lambda, the error along its eigenvector
    obeys ``e_{k+1} = (1 + mu - eta lambda) e_k - mu e_{k-1}``. The characteristic
    polynomial ``z^2 - (1 + mu - eta lambda) z + mu`` has both roots inside the unit
    circle iff ``|1 + mu - eta lambda| < 1 + mu`` (for 0 <= mu < 1), i.e. iff
    ``eta lambda < 2 (1 + mu)``: every direction contracts for
    ``eta < 2 (1 + mu) / lambda_max = (1 + mu) eta_max``.

    >>> stable_rate_with_momentum(0.5, 0.9)
    0.95
    """
    return (1.0 + momentum) * eta_max


def hessian(
    X: NDArray[np.float64],
    *,
    fit_intercept: bool = True,
    sample_weight: NDArray[np.float64] | None = None,
    alpha: float | NDArray[np.float64] = 0.0,
) -> NDArray[np.float64]:
    """The Hessian (2/S) A^T diag(w) A + 2 alpha diag(1, ..., 1, 0), shape (d+1, d+1).

    (d, d) without intercept; the intercept is the last row and column. Without
    weights ``S = N`` and ``diag(w) = I``. ``alpha`` is one penalty for every
    weight or one each, shape (d,). One pass over X (its Gram matrix).
    """
    N, d = X.shape
    if sample_weight is None:
        gram = X.T @ X
        col_sum = X.sum(axis=0)
        total = float(N)
    else:
        wX = X * sample_weight[:, None]
        gram = X.T @ wX
        gram = 0.5 * (gram + gram.T)  # symmetric to the last bit, for eigvalsh
        col_sum = wX.sum(axis=0)
        total = float(np.sum(sample_weight))
    if not fit_intercept:
        H = (2.0 / total) * gram
    else:
        H = np.empty((d + 1, d + 1))
        H[:d, :d] = gram
        H[:d, d] = col_sum
        H[d, :d] = col_sum
        H[d, d] = total
        H = (2.0 / total) * H
    if np.any(alpha):
        H[np.arange(d), np.arange(d)] += 2.0 * np.broadcast_to(alpha, (d,))
    return H


def stability(
    X: NDArray[np.float64],
    *,
    fit_intercept: bool = True,
    sample_weight: NDArray[np.float64] | None = None,
    alpha: float | NDArray[np.float64] = 0.0,
) -> Stability:
    """Compute eta_max and the condition number of the objective's Hessian for ``X``.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    fit_intercept : bool, default=True
    sample_weight : ndarray of shape (N,), optional
        Row weights (see :func:`hessian`).
    alpha : float or ndarray of shape (d,), default=0.0
        The penalty, in the units of X.

    Examples
    --------
    >>> import numpy as np
    >>> s = stability(np.array([[1.0], [-1.0]]))   # H = 2 I
    >>> s.max_stable_learning_rate, s.condition_number
    (1.0, 1.0)
    """
    with np.errstate(over="ignore", invalid="ignore"):  # from_hessian says why
        H = hessian(X, fit_intercept=fit_intercept, sample_weight=sample_weight, alpha=alpha)
    return Stability.from_hessian(H)


def sample_size(n_features: int) -> int:
    """How many rows mini-batch SGD's :class:`Stability` is estimated from.

    :data:`SAMPLE_ROWS`, unless that many rows of ``n_features`` columns exceed
    :data:`SAMPLE_ENTRIES`: then ``SAMPLE_ENTRIES // d`` rows, but at least
    :data:`SAMPLE_ROWS_PER_FEATURE` ``d`` (and never more than SAMPLE_ROWS). The
    sample's Hessian costs ``m d^2`` flops beside an epoch's few ``N d``: at
    100,000 x 512, 16,384 rows took 0.07 s of BLAS against 0.05 s for the whole
    epoch, 8,192 rows half that (``benchmarks/README.md``).

    >>> sample_size(16), sample_size(512), sample_size(1024), sample_size(4096)
    (16384, 8192, 8192, 16384)
    """
    d = max(int(n_features), 1)
    return min(SAMPLE_ROWS, max(SAMPLE_ENTRIES // d, SAMPLE_ROWS_PER_FEATURE * d))


def sample_rows(n_samples: int, seed: int, n_features: int = 1) -> NDArray[np.intp] | None:
    """The rows mini-batch SGD's :class:`Stability` is estimated from.

    SGD reads only as much of the data as it needs (often a few percent of an
    epoch), so it does not compute the Hessian of all N rows as full-batch GD
    does: eta_max and kappa come from the Hessian of a uniform sample of
    ``m = sample_size(d)`` rows (:data:`SAMPLE_ROWS` = 16,384 up to d = 256, fewer
    on wider data: :func:`sample_size`) drawn uniformly (with replacement; sorted,
    for the memory's sake) from a stream of its own for ``seed``, so that the
    shuffles' draws are left alone (a random gather, a fraction of the whole
    Hessian's cost; ``benchmarks/README.md``). The estimate is good to a few
    percent when d is small beside the sample: a sample's lambda_max runs high, by
    about ``(1 + sqrt(d / m))^2`` on isotropic data (3% at d = 16, 56% at d = 512
    with m = 8,192), so eta_max errs on the low, cautious side; on data with one
    dominant direction (features far from zero, correlated features) it is close.

    Returns
    -------
    ndarray of shape (m,), or None for all rows (n_samples <= m)
    """
    size = sample_size(n_features)
    if n_samples <= size:
        return None
    rng = np.random.default_rng([seed, SAMPLE_ROWS])
    return np.sort(rng.integers(0, n_samples, size=size))
