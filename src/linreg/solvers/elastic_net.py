"""The elastic net solved to optimality: coordinate descent with a duality-gap stop.

The objective (:mod:`linreg.problem`), with ``rho = l1_ratio``:

.. math::

    L(W, b) = \\sum_i v_i (x_i W + b - y_i)^2
        + \\alpha (1 - \\rho) \\lVert W \\rVert^2 + 2 \\alpha \\rho \\lVert W \\rVert_1 ,
    \\qquad v_i = w_i / \\sum_k w_k .

The intercept is not penalized, so it is ``b = ybar - xbar W`` with the weighted means
(none without an intercept), and what is left is a problem in W alone. With
``A = diag(sqrt(v)) (X - xbar)`` (N, d) and ``c = sqrt(v) (y - ybar)`` (N,),
``L = 2 P`` with

.. math::

    P(W) = \\tfrac12 \\lVert c - A W \\rVert^2 + \\lambda_1 \\lVert W \\rVert_1
        + \\tfrac{\\lambda_2}{2} \\lVert W \\rVert^2, \\qquad
    \\lambda_1 = \\alpha \\rho, \\quad \\lambda_2 = \\alpha (1 - \\rho).

**Coordinate descent** minimises P over one weight at a time, holding the residual
``R = c - A W``: with ``z = a_j^T R + |a_j|^2 W_j``, the best ``W_j`` is

.. math:: W_j = \\frac{S(z, \\lambda_1)}{|a_j|^2 + \\lambda_2}, \\qquad
          S(z, t) = \\operatorname{sign}(z) \\max(|z| - t, 0),

an exact zero whenever ``|z| <= lambda_1``. Each sweep over the d weights costs O(N d).

**The duality gap** says how far P(W) is from the optimum without knowing it. The
elastic net is a lasso on ``A' = [A; sqrt(lambda_2) I]``, ``c' = [c; 0]``, whose dual
point ``theta = k R'`` (``R' = c' - A' W``, ``k = min(1, lambda_1 / |A'^T R'|_inf)``
scaling it into the dual's feasible set) gives

.. math::

    G = \\tfrac{1 + k^2}{2} \\left(\\lVert R \\rVert^2 + \\lambda_2 \\lVert W \\rVert^2\\right)
        + \\lambda_1 \\lVert W \\rVert_1 - k\\, c^T R \\;\\ge\\; P(W) - \\min P \\;\\ge 0 ,

zero exactly at the optimum. The sweeps stop when ``G <= tol * |c|^2`` (``|c|^2`` is
the weighted variance of y): with the default ``tol = 1e-12``, close to the rounding
of float64. A last step then *polishes* W: on the nonzero weights with their signs
``s`` fixed, the optimum solves ``(A_S^T A_S + lambda_2 I) W_S = A_S^T c - lambda_1 s``,
solved here with the triangular factor of ``[A_S; sqrt(lambda_2) I]`` and one
correction (corrected semi-normal equations); the polished W is kept when its signs are
unchanged and every zero weight still satisfies ``|a_j^T R| <= lambda_1``. Then the KKT
conditions hold to rounding, and the zeros are exact.

With many rows (N >= 64 d) the first sweeps run on the Gram matrix ``A^T A``
(O(d^2) each, as from the moments below), and the last on the residual: the support
is found cheaply, and the stop and the polish are the residual's.

Without an L1 term (``alpha rho = 0``: ridge, or least squares) the minimiser is
found in closed form instead (a least-squares solve of ``[A; sqrt(lambda_2) I]``).

**From the moments** (:func:`elastic_net_from_moments`, for data streamed from files or
Dask partitions) the same sweeps run on ``G = A^T A``, ``A^T c`` and ``|c|^2`` alone, the
weighted centred moments divided by ``S``: ``a_j^T R = (A^T c - G W)_j`` and
``|R|^2 = |c|^2 - 2 c^T A W + W^T G W``. Each sweep then costs O(d^2), not O(N d), but
``|R|^2`` is a difference, known to about ``1e-16 |c|^2``: the gap stop is still met
(its default is 1e-12 |c|^2), and the sign-fixed polish solves ``G_S`` by Cholesky.

Reported: the gap in the objective's units, ``2 G`` (``dual_gap``), the sweeps taken,
and whether the stop was met. Pure NumPy; the estimator validates before calling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_TOL",
    "MAX_SWEEPS",
    "ElasticNetResult",
    "alpha_max",
    "elastic_net",
    "elastic_net_from_moments",
]

Array = NDArray[np.float64]

#: The duality-gap stop, relative to the weighted variance of y.
DEFAULT_TOL = 1e-12

#: Coordinate-descent sweeps before giving up (reported as not converged).
MAX_SWEEPS = 10_000

#: From this many rows per feature on, the in-memory solver first sweeps on the Gram
#: matrix (O(d^2) a sweep), then finishes on the residual (O(N d) a sweep).
GRAM_ROWS_PER_FEATURE = 64


@dataclass(frozen=True)
class ElasticNetResult:
    """The minimiser of the elastic-net objective and how it was reached.

    Attributes
    ----------
    coef : ndarray of shape (d,)
        W, with exact zeros where the solution has them.
    intercept : float
        b = ybar - xbar W (0 without an intercept).
    dual_gap : float
        An upper bound on ``L(W, b) - min L``, in the objective's units (MSE units).
    n_sweeps : int
        Coordinate-descent sweeps over the d weights (on the Gram matrix and on the
        residual together).
    converged : bool
        Whether the gap met ``tol`` (relative to the weighted variance of y).
    objective : float
        ``L(W, b)``.
    """

    coef: Array
    intercept: float
    dual_gap: float
    n_sweeps: int
    converged: bool
    objective: float


def _centred(
    X: Array, y: Array, sample_weight: Array | None, fit_intercept: bool
) -> tuple[Array, Array, Array, float]:
    """``A`` (N, d), ``c`` (N,), the weighted means ``xbar`` (d,) and ``ybar``."""
    n = X.shape[0]
    v = np.full(n, 1.0 / n) if sample_weight is None else sample_weight / math.fsum(sample_weight)
    if fit_intercept:
        xbar, ybar = v @ X, float(v @ y)
    else:
        xbar, ybar = np.zeros(X.shape[1]), 0.0
    root = np.sqrt(v)
    # Column-major: every coordinate step reads one column of A.
    A = np.asfortranarray(root[:, None] * (X - xbar))
    return A, root * (y - ybar), xbar, ybar


def alpha_max(
    X: Array,
    y: Array,
    *,
    l1_ratio: float,
    sample_weight: Array | None = None,
    fit_intercept: bool = True,
) -> float:
    """The smallest ``alpha`` at which every weight is 0: ``max_j |a_j^T c| / rho``.

    At W = 0 the KKT conditions ask ``|a_j^T c| <= alpha rho`` for every j. Requires
    ``l1_ratio > 0`` (ridge sets no weight to zero). Shapes: X (N, d), y (N,).
    """
    A, c, _, _ = _centred(X, y, sample_weight, fit_intercept)
    return float(np.max(np.abs(A.T @ c), initial=0.0)) / l1_ratio


def _gap(A: Array, c: Array, W: Array, R: Array, l1: float, l2: float) -> float:
    """The duality gap G of P at W with residual R = c - A W (see the module docstring)."""
    dual = A.T @ R - l2 * W
    top = float(np.max(np.abs(dual), initial=0.0))
    k = 1.0 if top <= l1 else l1 / top
    R2 = float(R @ R) + l2 * float(W @ W)
    gap = 0.5 * (1.0 + k * k) * R2 + l1 * float(np.sum(np.abs(W))) - k * float(c @ R)
    return max(gap, 0.0)


def _polish(A: Array, c: Array, W: Array, l1: float, l2: float) -> Array | None:
    """W re-solved on its support with its signs fixed, if that is still optimal; else None.

    The support's optimum solves ``M^T M W_S = A_S^T c - lambda_1 s`` with
    ``M = [A_S; sqrt(lambda_2) I]``; with the triangular factor ``R`` of M (its QR,
    Q never formed) that is two triangular solves, then one correction from the
    residual of those equations (the corrected semi-normal equations, as accurate as
    solving with Q).
    """
    support = np.flatnonzero(W)
    if support.size == 0:
        return None
    signs = np.sign(W[support])
    A_S = A[:, support]
    M = np.vstack([A_S, math.sqrt(l2) * np.eye(support.size)]) if l2 > 0 else A_S
    Rf: Array = np.asarray(np.linalg.qr(M, mode="r"), dtype=np.float64)
    diagonal = np.abs(np.diag(Rf))
    if not np.all(np.isfinite(Rf)) or np.min(diagonal) <= 1e-12 * np.max(diagonal):
        return None  # a singular support: the minimiser is not unique there

    def solve_normal(rhs: Array) -> Array:  # (R^T R)^{-1} rhs
        return np.asarray(np.linalg.solve(Rf, np.linalg.solve(Rf.T, rhs)), dtype=np.float64)

    W_S = solve_normal(A_S.T @ c - l1 * signs)
    residual = A_S.T @ (c - A_S @ W_S) - l2 * W_S - l1 * signs  # of the normal equations
    W_S = W_S + solve_normal(residual)
    if not np.array_equal(np.sign(W_S), signs):
        return None
    polished = np.zeros_like(W)
    polished[support] = W_S
    R = c - A_S @ W_S
    zero = np.setdiff1d(np.arange(W.size), support)
    if zero.size and np.max(np.abs(A[:, zero].T @ R)) > l1 * (1.0 + 1e-9):
        return None
    return polished


def _without_l1(
    A: Array, c: Array, xbar: Array, ybar: float, l2: float, fit_intercept: bool
) -> ElasticNetResult:
    """The minimiser without an L1 term, ``min |c - A W|^2 + lambda_2 |W|^2``, by least squares.

    The lasso's dual bound is useless here (its feasible set shrinks to a point), and no
    iteration is needed: the augmented system ``[A; sqrt(lambda_2) I] W = [c; 0]`` is
    solved directly (minimum-norm W where it is singular); the gap reported is 0.
    """
    d = A.shape[1]
    M = np.vstack([A, math.sqrt(l2) * np.eye(d)]) if l2 > 0 else A
    rhs = np.concatenate([c, np.zeros(d)]) if l2 > 0 else c
    W: Array = np.linalg.lstsq(M, rhs, rcond=None)[0].astype(np.float64)
    R = c - A @ W
    return ElasticNetResult(
        coef=W,
        intercept=ybar - float(xbar @ W) if fit_intercept else 0.0,
        dual_gap=0.0,
        n_sweeps=0,
        converged=True,
        objective=float(R @ R) + l2 * float(W @ W),
    )


def elastic_net(
    X: Array,
    y: Array,
    *,
    alpha: float,
    l1_ratio: float,
    sample_weight: Array | None = None,
    fit_intercept: bool = True,
    tol: float = DEFAULT_TOL,
    max_sweeps: int = MAX_SWEEPS,
    coef_init: Array | None = None,
) -> ElasticNetResult:
    """Minimise the elastic-net objective of :mod:`linreg.problem` by coordinate descent.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    alpha : float
        The penalty, ``>= 0``.
    l1_ratio : float
        Its L1 share rho in [0, 1].
    sample_weight : ndarray of shape (N,), optional
        Row weights ``>= 0``, not all zero (validated by the caller).
    fit_intercept : bool, default=True
    tol : float, default=1e-12
        Stop when the duality gap is at most ``tol`` times the weighted variance of y.
    max_sweeps : int, default=10,000
    coef_init : ndarray of shape (d,), optional
        Warm start (a neighbouring alpha's solution, as along a path).

    Returns
    -------
    ElasticNetResult
    """
    A, c, xbar, ybar = _centred(X, y, sample_weight, fit_intercept)
    d = A.shape[1]
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    if l1 == 0.0:  # no L1 term: ridge or least squares, solved in closed form
        return _without_l1(A, c, xbar, ybar, l2, fit_intercept)
    norms = np.einsum("ij,ij->j", A, A)
    W = np.zeros(d) if coef_init is None else np.array(coef_init, dtype=np.float64)
    if A.shape[0] >= GRAM_ROWS_PER_FEATURE * d:
        # Many rows: find the support by sweeps of O(d^2) on G = A^T A (one O(N d^2)
        # product), then finish on the residual, whose sweeps are O(N d) but exact.
        G = A.T @ A
        W, _, gram_sweeps = _gram_descent(G, A.T @ c, float(c @ c), W, l1, l2, tol, max_sweeps)
    else:
        gram_sweeps = 0
    R = c - A @ W
    scale = float(c @ c)
    target = tol * scale if scale > 0 else 0.0
    gap = _gap(A, c, W, R, l1, l2)
    sweeps = 0
    while gap > target and sweeps < max_sweeps:
        for j in range(d):
            denominator = norms[j] + l2
            if denominator == 0.0:  # a constant column: its weight only costs
                new = 0.0
            else:
                z = float(A[:, j] @ R) + norms[j] * W[j]
                new = math.copysign(max(abs(z) - l1, 0.0), z) / denominator
            if new != W[j]:
                R -= A[:, j] * (new - W[j])
                W[j] = new
        sweeps += 1
        R = c - A @ W  # afresh: the gap must not inherit the updates' drift
        gap = _gap(A, c, W, R, l1, l2)
    polished = _polish(A, c, W, l1, l2)
    if polished is not None:
        R_p = c - A @ polished
        gap_p = _gap(A, c, polished, R_p, l1, l2)
        if gap_p <= gap:
            W, R, gap = polished, R_p, gap_p
    W[W == 0.0] = 0.0  # no negative zeros
    objective = float(R @ R) + l2 * float(W @ W) + 2.0 * l1 * float(np.sum(np.abs(W)))
    return ElasticNetResult(
        coef=W,
        intercept=ybar - float(xbar @ W) if fit_intercept else 0.0,
        dual_gap=2.0 * gap,
        n_sweeps=gram_sweeps + sweeps,
        converged=gap <= target or gap == 0.0,
        objective=objective,
    )


def _gram_gap(G: Array, Ac: Array, cc: float, W: Array, GW: Array, l1: float, l2: float) -> float:
    """The gap G of :func:`_gap` from the moments: ``A^T R = Ac - G W`` and so on."""
    dual = Ac - GW - l2 * W
    top = float(np.max(np.abs(dual), initial=0.0))
    k = 1.0 if top <= l1 else l1 / top
    R2 = max(cc - 2.0 * float(Ac @ W) + float(W @ GW), 0.0)
    cR = cc - float(Ac @ W)
    gap = 0.5 * (1.0 + k * k) * (R2 + l2 * float(W @ W)) + l1 * float(np.sum(np.abs(W))) - k * cR
    return max(gap, 0.0)


def _gram_descent(
    G: Array,
    Ac: Array,
    cc: float,
    W: Array,
    l1: float,
    l2: float,
    tol: float,
    max_sweeps: int,
) -> tuple[Array, float, int]:
    """Coordinate descent on ``G = A^T A``, ``Ac = A^T c``, ``cc = |c|^2`` from W.

    Returns W, its gap G (P's units) and the sweeps taken; stops at ``tol * cc``.
    """
    W = W.copy()
    GW = G @ W
    target = tol * cc if cc > 0 else 0.0
    gap = _gram_gap(G, Ac, cc, W, GW, l1, l2)
    sweeps = 0
    while gap > target and sweeps < max_sweeps:
        for j in range(W.size):
            denominator = G[j, j] + l2
            if denominator <= 0.0:
                new = 0.0
            else:
                z = Ac[j] - GW[j] + G[j, j] * W[j]
                new = math.copysign(max(abs(z) - l1, 0.0), z) / denominator
            if new != W[j]:
                GW += G[:, j] * (new - W[j])
                W[j] = new
        sweeps += 1
        GW = G @ W
        gap = _gram_gap(G, Ac, cc, W, GW, l1, l2)
    return W, gap, sweeps


def elastic_net_from_moments(
    gram: Array,
    xty: Array,
    yty: float,
    *,
    total: float,
    mean: Array,
    y_mean: float,
    alpha: float,
    l1_ratio: float,
    fit_intercept: bool = True,
    tol: float = DEFAULT_TOL,
    max_sweeps: int = MAX_SWEEPS,
) -> ElasticNetResult:
    """:func:`elastic_net` from the data's weighted, centred moments (one pass over them).

    Parameters
    ----------
    gram : ndarray of shape (d, d)
        ``Xc^T diag(w) Xc`` (:class:`linreg.solvers.moments.Moments`).
    xty : ndarray of shape (d,)
        ``Xc^T diag(w) yc``.
    yty : float
        ``yc^T diag(w) yc``.
    total : float
        ``S = sum(w)`` (N without weights).
    mean : ndarray of shape (d,)
        The weighted column means; ``y_mean`` that of y.
    alpha, l1_ratio, fit_intercept, tol, max_sweeps :
        As in :func:`elastic_net`.

    Returns
    -------
    ElasticNetResult
    """
    d = gram.shape[0]
    G, Ac, cc = gram / total, xty / total, yty / total
    xbar, ybar = mean, y_mean
    if not fit_intercept:  # the raw moments: add the means back
        G = G + np.outer(mean, mean)
        Ac = Ac + mean * y_mean
        cc = cc + y_mean * y_mean
        xbar, ybar = np.zeros(d), 0.0
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    W = np.zeros(d)
    if l1 == 0.0:  # ridge or least squares: the normal equations of the moments
        W = np.linalg.lstsq(G + l2 * np.eye(d), Ac, rcond=None)[0].astype(np.float64)
        gap, sweeps, target = 0.0, 0, 0.0
    else:
        target = tol * cc if cc > 0 else 0.0
        W, gap, sweeps = _gram_descent(G, Ac, cc, W, l1, l2, tol, max_sweeps)
        support = np.flatnonzero(W)
        if support.size:  # the sign-fixed polish, as in memory
            signs = np.sign(W[support])
            try:
                G_S = G[np.ix_(support, support)] + l2 * np.eye(support.size)
                L = np.linalg.cholesky(G_S)
                W_S = np.linalg.solve(L.T, np.linalg.solve(L, Ac[support] - l1 * signs))
            except np.linalg.LinAlgError:
                W_S = None
            if W_S is not None and np.array_equal(np.sign(W_S), signs):
                polished = np.zeros(d)
                polished[support] = W_S
                GP = G @ polished
                zero = np.setdiff1d(np.arange(d), support)
                inside = not zero.size or np.max(np.abs(Ac[zero] - GP[zero])) <= l1 * (1 + 1e-9)
                gap_p = _gram_gap(G, Ac, cc, polished, GP, l1, l2)
                if inside and gap_p <= gap:
                    W, gap = polished, gap_p
    W[W == 0.0] = 0.0
    GW = G @ W
    R2 = max(cc - 2.0 * float(Ac @ W) + float(W @ GW), 0.0)
    return ElasticNetResult(
        coef=W,
        intercept=ybar - float(xbar @ W) if fit_intercept else 0.0,
        dual_gap=2.0 * gap,
        n_sweeps=sweeps,
        converged=gap <= target or gap == 0.0,
        objective=R2 + l2 * float(W @ W) + 2.0 * l1 * float(np.sum(np.abs(W))),
    )
