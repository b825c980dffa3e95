"""Heteroskedasticity-robust and cluster-robust covariances of least-squares estimates.

For the design A (N x p, the intercept column first when there is one), the
residuals u = y - A theta and G = (A^T A)^{-1}, the sandwich estimator is

    Cov = G (A^T diag(omega) A) G = B^T diag(omega) B,   B = A G  (N x p)

with, in statsmodels' names (``OLS(...).fit(cov_type=...)``):

- ``HC0``  omega_i = u_i^2                        (White)
- ``HC1``  omega_i = u_i^2 N / (N - k)            (k the rank, N - k = df_resid)
- ``HC2``  omega_i = u_i^2 / (1 - h_i)
- ``HC3``  omega_i = u_i^2 / (1 - h_i)^2
- ``cluster``  Cov = c sum_g s_g s_g^T,  s_g = sum_{i in g} u_i B_i  (a p-vector),
  c = G_n / (G_n - 1) * (N - 1) / (N - p), G_n the number of groups,
  statsmodels' default small-sample correction; t, p values, intervals and the
  F test then use G_n - 1 degrees of freedom.

h_i = a_i G a_i^T is the leverage of row i, the diagonal of the hat matrix. As the
sum B_i . a_i it cancels where the columns sit far from the origin (Longley's
years and populations: HC3 would lose eight digits), even with G exact to its
last bit. The hat matrix depends on the column space alone, so h_i = ||Q_i||^2
for the thin QR factor Q of the design with its columns centred (with an
intercept) and scaled to unit norm, accurate to about cond eps of that
well-conditioned design; memory O(N p), never an N x N matrix. G is the inverse
Gram matrix the caller refined in extended precision
(:func:`linreg.solvers.lstsq.inverse_gram`).

Weighted least squares is the same computation on the whitened rows
``sqrt(w_i) a_i`` and residuals ``sqrt(w_i) u_i``: statsmodels'
``WLS(...).fit(cov_type=...)``.

With a robust covariance the overall F statistic is the Wald form

    F = (R theta)^T (R Cov R^T)^+ (R theta) / J,   J = rank(R Cov R^T)

where R picks the slopes (every parameter without an intercept), against an F
distribution with J and df_resid (cluster: G_n - 1) degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.errors import LinregError

__all__ = [
    "COV_TYPES",
    "RobustCovariance",
    "check_cov_type",
    "check_use_t",
    "group_codes",
    "leverage_of",
    "sandwich",
    "wald_f",
]

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: The covariance types, statsmodels' names.
COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")

#: Rows whose leverage is this close to 1 are fitted exactly: HC2 and HC3 divide
#: by 1 - h_i and are refused there.
LEVERAGE_ONE = 1e-10


@dataclass(frozen=True)
class RobustCovariance:
    """A sandwich covariance and the degrees of freedom its tests use.

    Attributes
    ----------
    cov_type : str
        One of :data:`COV_TYPES` but ``"nonrobust"``.
    covariance : ndarray of shape (p, p)
    df_inference : int
        Denominator degrees of freedom of t and F: df_resid, or the number of
        groups minus one for ``"cluster"``.
    n_groups : int or None
        Number of clusters (``"cluster"`` only).
    """

    cov_type: str
    covariance: Array
    df_inference: int
    n_groups: int | None = None


def check_cov_type(cov_type: object, groups: object) -> str:
    """The canonical name of ``cov_type`` (case-insensitive), checked against ``groups``.

    Raises
    ------
    LinregError
        An unknown type, ``"cluster"`` without groups, or groups with another type.
    """
    names = {name.lower(): name for name in COV_TYPES}
    if not isinstance(cov_type, str) or cov_type.lower() not in names:
        raise LinregError(f"cov_type must be one of {', '.join(COV_TYPES)}; got {cov_type!r}")
    name = names[cov_type.lower()]
    if name == "cluster" and groups is None:
        raise LinregError("cov_type='cluster' needs groups: one cluster label per row")
    if name != "cluster" and groups is not None:
        raise LinregError(f"groups are used by cov_type='cluster' only, not {name!r}")
    return name


def check_use_t(use_t: object) -> bool | None:
    """``use_t`` as given: True, False or None (the default of the covariance type)."""
    if use_t is not None and not isinstance(use_t, (bool, np.bool_)):
        raise LinregError(f"use_t must be True, False or None, got {use_t!r}")
    return None if use_t is None else bool(use_t)


def group_codes(groups: ArrayLike, n_rows: int) -> tuple[IntArray, int]:
    """The cluster of each row as a code 0..G-1, and G.

    Parameters
    ----------
    groups : array-like of shape (N,)
        Any labels that compare with each other (numbers or strings).
    n_rows : int
        N, the rows of the data.

    Raises
    ------
    LinregError
        Groups of the wrong length, missing labels (NaN, None), or fewer than two.
    """
    arr = np.asarray(groups)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise LinregError(
            f"groups must hold one label per row: {n_rows} rows, got shape {arr.shape}"
        )
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise LinregError("groups contain a missing label (NaN or inf); drop those rows")
    if arr.dtype.kind == "O" and any(v is None or v != v for v in arr.tolist()):
        raise LinregError("groups contain a missing label (None or NaN); drop those rows")
    try:
        _, codes = np.unique(arr, return_inverse=True)
    except TypeError as exc:
        raise LinregError(f"groups labels cannot be compared with each other: {exc}") from None
    codes = codes.reshape(-1)
    n_groups = int(codes.max()) + 1 if codes.size else 0
    if n_groups < 2:
        raise LinregError(
            f"cov_type='cluster' needs at least two groups, got {n_groups}: the cluster "
            "covariance has G - 1 degrees of freedom"
        )
    return codes.astype(np.intp), n_groups


def sandwich(
    A: Array,
    resid: Array,
    gram_inv: Array,
    cov_type: str,
    *,
    df_resid: int,
    intercept: bool,
    codes: IntArray | None = None,
    n_groups: int | None = None,
) -> RobustCovariance:
    """The robust covariance ``cov_type`` of least-squares estimates (module docstring).

    Parameters
    ----------
    A : ndarray of shape (N, p)
        The design, whitened (``sqrt(w) a_i``) for weighted least squares.
    resid : ndarray of shape (N,)
        Residuals of the estimates on ``A`` (whitened likewise).
    gram_inv : ndarray of shape (p, p)
        ``(A^T A)^{-1}`` (a pseudo-inverse when rank deficient).
    cov_type : {"HC0", "HC1", "HC2", "HC3", "cluster"}
    df_resid : int
        N - rank.
    intercept : bool
        Whether the first column of ``A`` is the intercept's (ones, or ``sqrt(w)``).
    codes, n_groups :
        The cluster of each row and their number (:func:`group_codes`), for ``"cluster"``.

    Returns
    -------
    RobustCovariance
    """
    N, p = A.shape
    B = A @ gram_inv  # row i is (A^T A)^{-1} a_i
    if cov_type == "cluster":
        if codes is None or n_groups is None:
            raise LinregError("cov_type='cluster' needs groups: one cluster label per row")
        scores = B * resid[:, None]
        sums = np.column_stack(
            [np.bincount(codes, weights=scores[:, j], minlength=n_groups) for j in range(p)]
        )
        correction = n_groups / (n_groups - 1.0) * (N - 1.0) / (N - p)
        cov = correction * (sums.T @ sums)
        return RobustCovariance("cluster", _symmetric(cov), n_groups - 1, n_groups)
    omega = resid * resid
    if cov_type == "HC1":
        omega = omega * (N / df_resid)
    elif cov_type in ("HC2", "HC3"):
        leverage = leverage_of(A, intercept=intercept, rank=N - df_resid)
        one_minus = 1.0 - leverage
        exact = np.flatnonzero(one_minus < LEVERAGE_ONE)
        if exact.size:
            raise LinregError(
                f"{cov_type} divides by 1 - leverage, and row {int(exact[0])} has leverage 1 "
                "(the fit passes through it whatever its y): use HC0 or HC1, or drop the row"
            )
        omega = omega / (one_minus if cov_type == "HC2" else one_minus * one_minus)
    elif cov_type != "HC0":
        raise LinregError(f"unknown robust covariance type {cov_type!r}")
    cov = (B * omega[:, None]).T @ B
    return RobustCovariance(cov_type, _symmetric(cov), df_resid)


def leverage_of(A: Array, *, intercept: bool, rank: int) -> Array:
    """The leverages h_i (diagonal of the hat matrix of ``A``), shape (N,).

    Parameters
    ----------
    A : ndarray of shape (N, p)
        The design (whitened for weighted least squares).
    intercept : bool
        Whether column 0 is the intercept's: the other columns are then centred by
        their (weighted) means, A_j - A_0 (A_0 . A_j) / (A_0 . A_0), which leaves the
        column space, and so h, unchanged.
    rank : int
        The design's numerical rank; below p, h_i = ||U_i||^2 over the first
        ``rank`` left singular vectors.

    Notes
    -----
    h_i = ||Q_i||^2, Q the thin QR factor of the centred design with unit-norm
    columns (module docstring).
    """
    Z = np.array(A, dtype=np.float64, copy=True)
    if intercept and Z.shape[1] > 1:
        first = Z[:, 0]
        Z[:, 1:] -= np.outer(first, (first @ Z[:, 1:]) / (first @ first))
    norms = np.linalg.norm(Z, axis=0)
    norms[norms == 0.0] = 1.0
    Z /= norms
    if rank < Z.shape[1]:
        U = np.linalg.svd(Z, full_matrices=False)[0][:, :rank]
    else:
        U = np.linalg.qr(Z)[0]
    return np.asarray(np.einsum("ij,ij->i", U, U))


def _symmetric(M: Array) -> Array:
    return np.asarray(0.5 * (M + M.T), dtype=np.float64)


def wald_f(params: Array, covariance: Array, n_const: int) -> tuple[float, int]:
    """The Wald F statistic that every slope is zero, and its numerator df J.

    ``F = theta_s^T Cov_s^+ theta_s / J`` over the slopes ``theta_s = params[n_const:]``
    (module docstring), J the numerical rank of their covariance (statsmodels'
    ``f_test``). NaN and J = 0 when there are no slopes.
    """
    slopes = params[n_const:]
    if slopes.size == 0:
        return float("nan"), 0
    cov = covariance[n_const:, n_const:]
    J = int(np.linalg.matrix_rank(cov))
    if J == 0:
        return float("nan"), 0
    quad = float(slopes @ np.linalg.pinv(cov) @ slopes)
    return quad / J, J
