"""Weighted and penalized problems in memory: their preconditioner and residuals.

This is the Householder route, for small, ill-conditioned or rank-deficient problems
and the oracle of the fast route for large, well-conditioned ones
(:mod:`linreg.solvers.weighted_gram`, the same minimiser to the bit).

The problem is :mod:`linreg.problem`'s: with ``S = sum(w)`` and ``D`` the identity but
for a zero on the intercept, the minimiser of
``(1/S) sum_i w_i (y_i - a_i x)^2 + alpha |D x|^2`` solves
``A^T diag(w) (y - A x) = alpha S D x``. Björck's refinement
(:func:`linreg.solvers.refine.refine`) runs on the system

.. math::

    r = W (y - A x), \\qquad A^T r - \\alpha S D x = 0,

in the unknowns ``x`` and the *weighted* residual ``r`` (a row of weight 0 keeps
``r_i = 0``): :class:`WeightedDesign` computes its residuals
``f = W (y - A x) - r`` and ``g = alpha S D x - A^T r`` from the original data in
extended precision (every product with a weight by TwoProduct, the error-free
kernels for ``A x`` and ``A^T r``, ``alpha S x_j`` from the exact expansion of
``S``: :func:`penalty_terms`). The corrections use the Householder QR
(:class:`WeightedFactorization`) of

.. math::

    \\tilde Z = \\begin{bmatrix} \\sqrt{w} \\odot Z \\\\ \\sqrt{\\alpha S} D \\end{bmatrix},
    \\qquad Z = [1, X - 1 m^T],

``m`` the weighted means: substituting ``dr = sqrt(w) dq`` turns the correction
equations into Björck's ``[I, Z~; Z~^T, 0][dq; du] = [f / sqrt(w); 0; T^T g]``
(the penalty rows' part of ``dq`` is eliminated). ``sqrt(w)`` is rounded, but it
only preconditions: the fixed point is the true minimiser, and the contraction
stays about ``cond(Z~) eps`` a step, as unweighted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular

from linreg.solvers import extended as ext
from linreg.solvers.design import CHUNK_ELEMENTS, Design
from linreg.solvers.factor import (
    Factorization,
    geqrf,
    geqrf_lwork,
    truncated_pinv_solve,
    vector_norm,
)

__all__ = ["WeightedDesign", "WeightedFactorization", "penalty_terms", "weighted_shift"]

Array = NDArray[np.float64]


def penalty_terms(alpha: float | Array, mass: Sequence[float], slopes: Array) -> Array:
    """Rows whose column sums are exactly ``alpha S slopes`` (``S`` the exact sum of
    ``mass``; ``alpha`` one penalty or one per slope, as a standardized penalty's
    ``alpha s^2``): TwoProduct of ``alpha`` with each part of ``S``, then of each half
    with the slopes (exact barring underflow). Shape (4 len(mass), d), or (1, d)."""
    rows: list[Array] = []
    factor = np.atleast_1d(np.asarray(alpha, dtype=np.float64))
    for part in mass:
        for half in ext.two_product(factor, part):
            rows.extend(ext.two_product(slopes, float(half[0]) if half.size == 1 else half))
    return np.array(rows) if rows else np.zeros((1, slopes.shape[0]))


def weighted_shift(X: Array, w: Array | None) -> Array:
    """Centring shift: weighted column means of at most 65,536 evenly spaced rows
    (of all rows where those carry no weight; ``w = None``: equal weights). Like the
    unweighted shift, it only conditions the preconditioner."""
    stride = max(1, X.shape[0] // 65536)
    sample = X[::stride]
    if w is None:
        return np.asarray(sample[0] + np.mean(sample - sample[0], axis=0), dtype=np.float64)
    weights = w[::stride]
    total = float(np.sum(weights))
    if not total > 0.0:
        sample, weights, total = X, w, float(np.sum(w))
    # As v_0 + sum(w (v - v_0)) / sum(w): exactly v_0 for a constant column.
    return np.asarray(sample[0] + (weights @ (sample - sample[0])) / total, dtype=np.float64)


class WeightedFactorization(Factorization):
    """Householder QR of ``[sqrt(w) Z; sqrt(alpha S) D]`` with ``Q`` kept.

    Its :meth:`qt` and :meth:`q` speak the weighted residual of the refinement:
    ``qt(f) = Q^T [f / sqrt(w); 0]`` and ``q(v) = sqrt(w) (Q v)_{:n}`` (zero-weight
    rows give and take zeros), so Björck's corrections of
    :meth:`linreg.solvers.factor.Factorization.correction` apply unchanged.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    fit_intercept : bool
    w : ndarray of shape (n,)
        Weights ``>= 0``.
    alpha : float or ndarray of shape (d,)
        The penalty ``>= 0``, or one per slope (a standardized penalty's ``alpha s^2``).
    mass : float
        ``S = sum(w)``.
    """

    def __init__(
        self, X: Array, fit_intercept: bool, w: Array, alpha: float | Array, mass: float
    ) -> None:
        n, d = X.shape
        off = int(fit_intercept)
        self.n, self.d, self.p = n, d, d + off
        self.fit_intercept = fit_intercept
        self.weight_total = mass
        self.root = np.sqrt(w)
        penalized = bool(np.any(np.asarray(alpha) > 0.0)) and d > 0
        self.rows = n + (d if penalized else 0)
        self.k = min(self.rows, self.p)
        self.means = weighted_shift(X, w) if fit_intercept else np.zeros(d)
        Z = np.zeros((self.rows, self.p), order="F")
        if fit_intercept:
            Z[:n, 0] = self.root
        step = max(256, CHUNK_ELEMENTS // max(self.p, 1))

        def fill(s: int, _: None) -> None:
            rows = slice(s, min(n, s + step))
            np.multiply(X[rows] - self.means, self.root[rows, None], out=Z[rows, off:])

        ext.map_chunks(fill, n, step, lambda: None)
        if penalized:
            Z[n + np.arange(d), off + np.arange(d)] = np.sqrt(np.asarray(alpha) * mass)
        self.qr, self.tau = geqrf(Z, geqrf_lwork(self.rows, self.p))
        self.R = np.triu(self.qr[: self.k, :])

    def target_norm(self, y: Array) -> float:
        return vector_norm(self.root * y)

    def _scaled_qt(self, y: Array) -> Array:
        """``Q^T [sqrt(w) y; 0]``: the factored problem's right-hand side."""
        full = np.zeros(self.rows)
        full[: self.n] = self.root * y
        return super().qt(full)

    def qt(self, v: Array) -> Array:
        full = np.zeros(self.rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            full[: self.n] = np.where(self.root > 0.0, v / self.root, 0.0)
        return super().qt(full)

    def q(self, v: Array) -> Array:
        return np.asarray(self.root * super().q(v)[: self.n])

    def correction(self, f: Array, tg: Array, f_is_zero: bool = False) -> tuple[Array, Array]:
        return super().correction(np.zeros(self.n) if f_is_zero else f, tg)

    def first_solve(self, y: Array) -> Array:
        """The solution of the factored (rounded-weight) problem: the refinement's start."""
        u = solve_triangular(self.R, self._scaled_qt(y)[: self.p], check_finite=False)
        return self.t_apply(u)

    def min_norm(self, y: Array, rank: int) -> Array:
        """Minimum-norm solution of the centred problem (as
        :func:`linreg.solvers.lstsq.lstsq` gives unweighted), from ``R`` and
        ``Q^T [sqrt(w) y; 0]``."""
        qty = self._scaled_qt(y)[: self.k]
        if not self.fit_intercept:
            return truncated_pinv_solve(self.R, qty, rank)
        R = self.R
        slopes = truncated_pinv_solve(R[1:, 1:], qty[1:], rank - 1)
        b = (qty[0] - float(R[0, 1:] @ slopes)) / R[0, 0] - float(self.means @ slopes)
        return np.concatenate([[b], slopes])


class WeightedDesign(Design):
    """The residuals of the weighted, penalized system (see the module docstring).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    fit_intercept : bool
    w : ndarray of shape (n,)
    alpha : float or ndarray of shape (d,)
    mass : sequence of float
        Floats whose exact sum is ``S = sum(w)``.
    """

    def __init__(
        self, X: Array, fit_intercept: bool, w: Array, alpha: float | Array, mass: Sequence[float]
    ) -> None:
        super().__init__(X, None, fit_intercept)
        self.w = w
        self.alpha = alpha
        self.mass = list(mass)

    def evaluate_rss(
        self,
        y: Array,
        r: Array,
        x: Array,
        c: Array,
        levels: tuple[int, int],
        *,
        fresh_residual: bool = False,
        with_rmatvec: bool = False,
        shift: Array | None = None,
        with_rss: bool = True,
    ) -> tuple[Array, Array, Array, float | None]:
        """:meth:`evaluate`, and no ``|y - A x|^2``: the weighted fit reports
        ``sum(w r^2)`` from its own data (``lstsq``'s ``_weighted_rss``)."""
        f, g, rhs = self.evaluate(
            y,
            r,
            x,
            c,
            levels,
            fresh_residual=fresh_residual,
            with_rmatvec=with_rmatvec,
            shift=shift,
        )
        return f, g, rhs, None

    def evaluate(
        self,
        y: Array,
        r: Array,
        x: Array,
        c: Array,
        levels: tuple[int, int],
        *,
        fresh_residual: bool = False,
        with_rmatvec: bool = False,
        shift: Array | None = None,
    ) -> tuple[Array, Array, Array]:
        """``f = W (y - A x) - r``, ``g = c + alpha S D x - A^T r`` and ``T^T g``.

        As :meth:`linreg.solvers.design.Design.evaluate` (Björck's corrections only:
        ``with_rmatvec`` is refused); ``fresh_residual`` sets ``r = fl(w fl(y - A x))``.
        ``f`` is summed in ``k``-fold precision from the exact products of ``w``
        with every term of ``y - A x``; ``g`` and ``T^T g`` are correctly rounded.
        """
        if with_rmatvec:
            raise ValueError("weighted problems take Björck's corrections only")
        b, slopes = self._split_x(x)
        n, d, step = self.n, self.d, self.chunk
        centre = shift if self.fit_intercept and shift is not None and np.any(shift) else None
        passes_f = ext.sum_passes(levels[0], ext.slice_bits(max(d, 1)))
        f = np.empty(n)

        def work(s: int, ws: ext.Workspace) -> tuple[list[float], list[Array]]:
            with np.errstate(over="ignore", invalid="ignore"):  # beyond 2**900: non-finite
                return chunk(s, ws)

        def chunk(s: int, ws: ext.Workspace) -> tuple[list[float], list[Array]]:
            e = min(n, s + step)
            T = ws.transposed(self.X[s:e]) if d else self.X[s:e].T
            wt = self.w[s:e]
            if fresh_residual:
                r[s:e] = wt * ((y[s:e] - b) - (ext.dot_t(slopes, T) if d else 0.0))
            residual = [y[s:e], np.full(e - s, -b)]
            if d:
                residual.extend(-t for t in ext.matvec_terms(T, slopes, levels[0], ws))
            terms = [part for t in residual for part in ext.two_product(wt, t)]
            terms.append(-r[s:e])
            f[s:e] = ext.sum_k(terms, passes_f)
            rs = r[s:e]
            ones = ext.sum_terms(rs, levels[1]) if self.fit_intercept else []
            cols = ext.rmatvec_terms(T, rs, levels[1], ws) if d else []
            return ones, cols

        parts = ext.map_chunks(
            work, n, step, lambda: ext.Workspace(max(d, 1), min(step, n), max(levels))
        )
        off = int(self.fit_intercept)
        ones = [float(c[0])] + [-t for part in parts for t in part[0]] if off else []
        cols: list[Array] = []
        if d:
            cols = [c[off:]] + [-t for part in parts for t in part[1]]
            if np.any(np.asarray(self.alpha) > 0.0):
                with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                    cols.extend(penalty_terms(self.alpha, self.mass, slopes))
        g = np.empty(self.p)
        if off:
            g[0] = ext.fsum_columns(np.array([ones]).T)[0]
        if d:
            g[off:] = ext.fsum_columns(np.asarray(cols))
        return f, g, ext.centred_sum(ones, cols, centre)
