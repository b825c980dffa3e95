"""What the exact solvers return: :class:`LstsqResult`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular

__all__ = ["LstsqResult"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class LstsqResult:
    """The least-squares solution and what inference needs of the factorisation.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        Slopes ``w``.
    intercept : float
        Intercept ``b`` (0.0 when ``fit_intercept=False``).
    rank : int
        Numerical rank of the centred design ``Z`` (intercept column included).
    dependent_columns : tuple of int
        Indices of the columns of ``X`` found linearly dependent on the others
        (empty when full rank).
    n_refinements : int
        Refinement steps taken after the initial QR solve (0 when rank deficient).
    converged : bool
        Whether the refinement ended with a correction at rounding level.
    r_factor : ndarray of shape (min(n, p), p)
        Upper triangular with ``R^T R = Z^T Z`` for ``Z = [1, X - 1 m^T]``
        (intercept column first) or ``Z = X`` without intercept, ``p = n_features +
        fit_intercept``: from Householder QR, or for large well-conditioned
        problems the Cholesky factor of ``Z^T Z`` (to its rounding).  Weighted or
        penalized fits: ``R^T R = Z^T diag(w) Z + alpha S D`` (``S = sum(w)``, ``D``
        the identity but for the intercept), so :meth:`unscaled_covariance` is
        ``(A^T diag(w) A + alpha S D)^{-1}``.
    column_means : ndarray of shape (n_features,)
        The shifts ``m`` used for centring (the weighted means, to rounding, for
        weighted fits; zeros without intercept).
    condition_number : float
        2-norm condition number of ``Z`` with its columns scaled to unit norm
        (over the independent columns).
    fit_intercept : bool
        Whether an intercept was fitted.
    n_samples : int
        Number of rows ``n``.
    residual_sum_of_squares : float or None
        ``|y - b - X w|^2``, where the refinement had it from its own residual
        (the norm-sliced pass of large well-conditioned problems); else ``None``.
        Weighted or penalized fits: ``sum(w r^2)`` (no penalty term), always given.
    """

    coef: Array
    intercept: float
    rank: int
    dependent_columns: tuple[int, ...]
    n_refinements: int
    converged: bool
    r_factor: Array
    column_means: Array
    condition_number: float
    fit_intercept: bool
    n_samples: int
    residual_sum_of_squares: float | None = None

    @property
    def params(self) -> Array:
        """``x = (b, w)``, or ``w`` without intercept: shape (p,)."""
        if self.fit_intercept:
            return np.concatenate([[self.intercept], self.coef])
        return self.coef.copy()

    def unscaled_covariance(self) -> Array:
        """``(A^T A)^{-1}`` for ``A = [1 X]`` (or ``X``), from the ``R`` factor.

        Returns
        -------
        ndarray of shape (p, p)
            Intercept first.  Multiply by ``sigma^2`` for the covariance of the
            estimates.

        Notes
        -----
        ``A = Z T^{-1}`` with ``T = [[1, -m^T], [0, I]]``, so
        ``(A^T A)^{-1} = (T R^{-1}) (T R^{-1})^T``.  Its relative accuracy is about
        ``cond(Z)**2 * eps``; :func:`inverse_gram` refines it to full accuracy.
        A pseudo-inverse is used when the design is rank deficient.
        """
        R = self.r_factor
        p = R.shape[1]
        if self.rank == p and R.shape[0] == p:
            Rinv = solve_triangular(R, np.eye(p), check_finite=False)
        else:
            Rinv = np.linalg.pinv(R)
        M = Rinv.copy()
        if self.fit_intercept:
            M[0] = Rinv[0] - self.column_means @ Rinv[1:]
        return np.asarray(M @ M.T)
