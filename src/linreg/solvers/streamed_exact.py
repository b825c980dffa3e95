"""The exact solver over many batches: the factor of all rows, then refinement passes.

The factor comes from :mod:`linreg.solvers.streamed_qr` (TSQR of every batch's
centred, weighted rows). Its last column holds ``Q^T y`` and ``|r|``: the
least-squares solution of that one pass is as accurate as
:func:`numpy.linalg.lstsq` in memory. Refinement passes then take it to the
float64 limit, as :func:`linreg.solvers.lstsq.lstsq` does: each computes
``A^T diag(w) (y - A x)`` in extended precision with
:mod:`linreg.solvers.extended`'s error-free-splitting kernels (``r = fl(y - A x)``,
then ``f = y - r - A x`` and ``A^T r`` as exact slice products, summed over all
batches without rounding, see :class:`linreg.solvers.extended.ExactSum`), adds
the ridge penalty's ``-alpha S D x`` exactly, and corrects ``x`` by the corrected
seminormal equations ``R^T R du = T^T g``. ``Q`` is never available (it has ``N``
rows), so the corrections are the seminormal ones, which contract by about
``64 eps cond(Z)^2 mu`` a pass; passes repeat, with lstsq's stopping rules
(:class:`linreg.solvers.refine.StopRule`), until the correction is at rounding
level. Typical data take two passes in all (the factor and one refinement);
ill-conditioned data take more. Measured on polynomial designs (200,000 rows,
powers of x in [0, 10]): up to degree 10, ``cond(Z) = 1.2e7``, three passes give
lstsq's coefficients bit for bit; at degree 12, ``cond(Z) = 3.9e8``, the
corrections stop shrinking after four steps (the answer was still within 4e-16
of lstsq's), and a :class:`~linreg.errors.ConvergenceWarning` says that the
float64 limit may not be reached without ``Q``.

Weighted and penalized problems take the same passes; both this solver and
:func:`linreg.solvers.lstsq.lstsq` end at the correctly rounded minimiser, so a
streamed fit equals the in-memory one bit for bit (where the seminormal
corrections converge: measured to condition numbers near 1e9).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular

from linreg.errors import ConvergenceWarning
from linreg.solvers import extended as ext
from linreg.solvers import fast, kernels
from linreg.solvers.design import CHUNK_ELEMENTS, Design
from linreg.solvers.extended import ExactSum
from linreg.solvers.factor import (
    Centred,
    numerical_rank,
    truncated_pinv_solve,
    uncentred_norms,
    vector_norm,
    warn_rank,
)
from linreg.solvers.norm_sliced import BlockCuts, column_norms
from linreg.solvers.refine import (
    StopRule,
    bits_needed,
    levels_for_bits,
    norm_sliced_levels,
    refine_by_passes,
)
from linreg.solvers.result import LstsqResult
from linreg.solvers.streamed_qr import QRPiece, QRTree, merge_qr, qr_piece, stacked_r
from linreg.solvers.weighted import penalty_terms

__all__ = [
    "ExactSolution",
    "ExactSum",
    "GradientPass",
    "GradientPiece",
    "Levels",
    "QRPiece",
    "QRTree",
    "gradient_piece",
    "merge_gradients",
    "merge_qr",
    "qr_piece",
    "sliced_rows",
    "solve_exact",
]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class GradientPiece:
    """``A^T (y - A x)`` of some rows, unrounded, and their residual sum of squares.

    Attributes
    ----------
    n : int
        Rows summarised.
    terms : ndarray of shape (3, p)
        Rows whose column sums are ``T^T A^T (y - A x)``, centred by the shift
        given to :func:`gradient_piece` (``A^T (y - A x)`` without one), as
        :class:`linreg.solvers.extended.ExactSum`'s expansion.
    sse : float
        ``|fl(y - A x)|^2`` in float64.
    """

    n: int
    terms: Array
    sse: float


class Levels(NamedTuple):
    """The precision of a refinement pass (:func:`gradient_piece`).

    ``f`` and ``g`` are the slicing levels of the general kernels' row products and
    column sums (:func:`linreg.solvers.refine.levels_for`); ``sliced`` (1 or 2), where the
    problem allows it (:func:`linreg.solvers.refine.norm_sliced_bits`), has the norm-sliced
    kernel (:func:`linreg.solvers.norm_sliced.seminormal_terms`) do the pass instead.
    """

    f: int
    g: int
    sliced: int = 0


def gradient_piece(
    X: Array,
    y: Array,
    x: Array,
    *,
    fit_intercept: bool,
    levels: tuple[int, int] | Levels,
    shift: Array | None = None,
    sample_weight: Array | None = None,
) -> GradientPiece:
    """``T^T A^T (y - A x)`` on one batch in extended precision, ``A = [1 X]`` (or ``X``).

    Parameters
    ----------
    X : ndarray of shape (m, d)
    y : ndarray of shape (m,)
    x : ndarray of shape (p,)
        ``(b, w)``, or ``w`` without intercept.
    fit_intercept : bool
    levels : (int, int) or Levels
        Slicing levels of the row products and of the column sums (lstsq's), or a
        :class:`Levels` that names the norm-sliced kernel.
    shift : ndarray of shape (d,), optional
        The centring shift ``m`` of ``T = [[1, -m^T], [0, I]]`` (intercept models);
        without it ``T = I``.
    sample_weight : ndarray of shape (m,), optional
        Row weights: the piece is then ``T^T A^T diag(w) (y - A x)`` and ``sse`` is
        ``sum(w r^2)`` (general kernels only; see :func:`_weighted_gradient_piece`).

    Returns
    -------
    GradientPiece

    Notes
    -----
    Per chunk of rows, as in :meth:`linreg.solvers.design.Design.evaluate` with a fresh
    residual: ``r = fl(y - A x)`` in float64, then ``f = y - r - A x`` in
    extended precision (the rounding error of ``r``), and
    ``A^T (y - A x) = A^T r + A^T f`` with ``A^T r`` as exact slice products plus a
    tail ``2**-(levels * bits)`` smaller, and ``A^T f`` (a rounding-level vector) in
    float64. ``T^T`` is applied before anything is rounded: the exact terms of
    ``A^T r`` with their products by ``m`` (TwoProduct), and ``Z^T f`` from the
    centred chunk (``A^T f`` would carry rounding errors ``m_j`` times larger), as
    :meth:`linreg.solvers.design.Design.evaluate` does. Nothing is rounded when the
    chunks are summed (:class:`linreg.solvers.extended.ExactSum`), so the result is as
    accurate for a file of any length as for one chunk.
    """
    design = Design(X, None, fit_intercept)
    n, d, p, step = design.n, design.d, design.p, design.chunk
    b, w = design._split_x(x)
    off = int(fit_intercept)
    passes_f = ext.sum_passes(levels[0], ext.slice_bits(max(d, 1)))
    centre = shift if fit_intercept and shift is not None and np.any(shift) else None
    if sample_weight is not None:
        return _weighted_gradient_piece(X, y, b, w, sample_weight, levels, centre, fit_intercept)
    if isinstance(levels, Levels) and levels.sliced:
        return _sliced_gradient_piece(X, y, b, w, levels.sliced, centre, fit_intercept)

    def work(s: int, ws: ext.Workspace) -> tuple[Array, float]:
        # Beyond 2**900 the slicing overflows; the caller sees non-finite terms.
        with np.errstate(over="ignore", invalid="ignore"):
            return chunk(s, ws)

    def chunk(s: int, ws: ext.Workspace) -> tuple[Array, float]:
        e = min(n, s + step)
        T = ws.transposed(X[s:e])
        r = (y[s:e] - b) - ext.dot_t(w, T)
        terms = [y[s:e], -r, np.full(e - s, -b)]
        terms.extend(-t for t in ext.matvec_terms(T, w, levels[0], ws))
        f = ext.sum_k(terms, passes_f)
        cols = ext.rmatvec_terms(T, r, levels[1], ws)
        ones = ext.sum_terms(r, levels[1]) if fit_intercept else []
        Z = T if centre is None else np.subtract(T, centre[:, None], out=ws.matrices(e - s)[0])
        if centre is not None:
            with np.errstate(over="ignore", invalid="ignore"):  # beyond 2**996: non-finite
                cols.extend(part for t in ones for part in ext.two_product(-centre, t))
        cols.append(ext.dot(Z, f))
        if fit_intercept:
            ones.append(float(np.sum(f)))
        block = np.zeros((max(len(cols), len(ones)), p))
        block[: len(cols), off:] = cols
        if fit_intercept:
            block[: len(ones), 0] = ones
        return block, float(r @ r)

    parts = ext.map_chunks(work, n, step, lambda: ext.Workspace(d, min(step, n), max(levels)))
    total = ExactSum(p)
    sse = 0.0
    for block, part_sse in parts:
        total.add(block)
        sse += part_sse
    return GradientPiece(n, total.expansion(), sse)


def _weighted_gradient_piece(
    X: Array,
    y: Array,
    b: float,
    w: Array,
    weight: Array,
    levels: tuple[int, int] | Levels,
    centre: Array | None,
    fit_intercept: bool,
) -> GradientPiece:
    """:func:`gradient_piece` with row weights, by the general kernels.

    Per chunk: ``r = fl(y - A x)`` and ``f = y - r - A x`` in extended precision, as
    unweighted, so that ``e = y - A x = r + f``; then ``w e = p1 + e1 + p2 + e2``
    exactly (TwoProduct of ``w`` with ``r`` and with ``f``), and ``A^T`` of each
    part by the error-free kernels (exact slice products plus a tail). ``T^T`` joins
    exactly as unweighted: the intercept's terms times ``-m`` by TwoProduct. A row
    of weight 0 contributes exact zeros.
    """
    n, d = X.shape
    p, off = d + int(fit_intercept), int(fit_intercept)
    step = max(256, CHUNK_ELEMENTS // max(d, 1))
    passes_f = ext.sum_passes(levels[0], ext.slice_bits(max(d, 1)))

    def work(s: int, ws: ext.Workspace) -> tuple[Array, float]:
        # Beyond 2**900 the slicing overflows; the caller sees non-finite terms.
        with np.errstate(over="ignore", invalid="ignore"):
            return chunk(s, ws)

    def chunk(s: int, ws: ext.Workspace) -> tuple[Array, float]:
        e = min(n, s + step)
        T = ws.transposed(X[s:e]) if d else X[s:e].T
        r = (y[s:e] - b) - (ext.dot_t(w, T) if d else 0.0)
        terms = [y[s:e], -r, np.full(e - s, -b)]
        if d:
            terms.extend(-t for t in ext.matvec_terms(T, w, levels[0], ws))
        f = ext.sum_k(terms, passes_f)
        ws_ = weight[s:e]
        parts = [*ext.two_product(ws_, r), *ext.two_product(ws_, f)]
        cols: list[Array] = []
        ones: list[float] = []
        for v in parts:
            if d:
                cols.extend(ext.rmatvec_terms(T, v, levels[1], ws))
            if fit_intercept:
                ones.extend(ext.sum_terms(v, levels[1]))
        if centre is not None:
            with np.errstate(over="ignore", invalid="ignore"):  # beyond 2**996: non-finite
                cols.extend(part for t in ones for part in ext.two_product(-centre, t))
        block = np.zeros((max(len(cols), len(ones), 1), p))
        if cols:
            block[: len(cols), off:] = cols
        if fit_intercept:
            block[: len(ones), 0] = ones
        return block, float(parts[0] @ r)

    parts = ext.map_chunks(work, n, step, lambda: ext.Workspace(d, min(step, n), max(levels[:2])))
    total = ExactSum(p)
    sse = 0.0
    for block, part_sse in parts:
        total.add(block)
        sse += part_sse
    return GradientPiece(n, total.expansion(), sse)


def sliced_rows(d: int) -> int:
    """Rows per block of the norm-sliced kernel in a streamed pass (1 MiB blocks)."""
    return fast.chunk_rows(d)


def _sliced_gradient_piece(
    X: Array,
    y: Array,
    b: float,
    w: Array,
    levels: int,
    centre: Array | None,
    fit_intercept: bool,
) -> GradientPiece:
    """:func:`gradient_piece` by the norm-sliced kernel, on blocks of
    :func:`sliced_rows` rows whose column norms it measures first (the in-memory
    solver has them from its Gram pass)."""
    n, d = X.shape
    p, off = d + int(fit_intercept), int(fit_intercept)
    rows = min(n, sliced_rows(d))
    cuts = BlockCuts.of(column_norms(X, rows), b, w, levels=levels, rows=rows)
    parts = kernels.seminormal_pass(X, y, cuts)
    total = ExactSum(p)
    for cols, ones, _ in parts:
        if centre is not None:  # T^T, exactly: the products m_j t join the terms
            with np.errstate(over="ignore", invalid="ignore"):
                cols = cols + [part for t in ones for part in ext.two_product(-centre, t)]
        block = np.zeros((max(len(cols), len(ones)), p))
        block[: len(cols), off:] = cols
        if fit_intercept:
            block[: len(ones), 0] = ones
        total.add(block)
    return GradientPiece(n, total.expansion(), math.fsum(sumsq for _, _, sumsq in parts))


def merge_gradients(pieces: Sequence[GradientPiece]) -> GradientPiece:
    """One :class:`GradientPiece` of the rows of all ``pieces``, still unrounded."""
    total = ExactSum(pieces[0].terms.shape[1])
    for piece in pieces:
        total.add(piece.terms)
    return GradientPiece(
        sum(p.n for p in pieces), total.expansion(), math.fsum(p.sse for p in pieces)
    )


class _StreamedR(Centred):
    """The final factor in the shape :mod:`linreg.solvers.lstsq`'s rank and level rules read."""

    def __init__(self, R: Array, means: Array, n: int, fit_intercept: bool) -> None:
        self.n, self.d = n, means.shape[0]
        self.p = self.d + int(fit_intercept)
        self.k = min(n, self.p)
        self.fit_intercept = fit_intercept
        self.means = means
        self.R = R


def _exact_levels(
    fac: _StreamedR, condition: float, R_aug: Array, x: Array, y_shift: float
) -> Levels:
    """Precision of the refinement: lstsq's rule, from the streamed factor.

    :func:`linreg.solvers.refine.levels_for` needs ``|y|`` and ``|r|``; here they come from
    the augmented factor ``R_aug`` of ``[Z, y - s_y]``: its last column has the
    norm of ``y - s_y`` and ends with ``|r|``. The norm-sliced kernel, at one
    level or two, where it carries the bits needed, as in memory.
    """
    n, d, p = fac.n, fac.d, fac.p
    mass = n if fac.weight_total is None else fac.weight_total
    y_norm = vector_norm(R_aug[:, p])
    if fac.fit_intercept:
        y_norm = math.hypot(y_norm, math.sqrt(mass) * abs(y_shift))
    r_norm = abs(float(R_aug[p, p]))
    chunk = min(n, max(256, CHUNK_ELEMENTS // max(d, 1)))
    bits = bits_needed(fac, x, condition, y_norm, r_norm)
    f, g = levels_for_bits(bits, d, chunk)
    return Levels(f, g, norm_sliced_levels(bits, d, min(n, sliced_rows(max(d, 1)))))


#: One pass computing ``T^T A^T (y - A x)`` at ``x`` with the given slicing levels
#: and centring shift (see :func:`gradient_piece`).
GradientPass = Callable[[Array, Levels, "Array | None"], GradientPiece]


@dataclass(frozen=True)
class ExactSolution:
    """The streamed exact solver's result: lstsq's, the MSE, and the passes it took.

    ``mse`` is the (weighted) mean squared error ``sum(w r^2) / sum(w)`` and
    ``objective`` the problem's ``L = mse + alpha |w|^2`` (:mod:`linreg.problem`),
    both at the last pass's iterate.
    """

    result: LstsqResult
    mse: float
    passes: int
    objective: float = math.nan


def _with_penalty(R_aug: Array, alpha: float, mass: float, off: int) -> Array:
    """The factor of ``[Z, y]`` with ``sqrt(alpha S) I`` appended below the slopes'
    columns: ``R^T R = Z^T W Z + alpha S D`` up to rounding (a preconditioner)."""
    q = R_aug.shape[1]
    d = q - 1 - off
    penalty = np.zeros((d, q))
    penalty[np.arange(d), off + np.arange(d)] = math.sqrt(alpha * mass)
    R = stacked_r([R_aug, penalty])
    out = np.zeros((q, q))
    out[: R.shape[0]] = R[:q]
    return out


def solve_exact(
    qr: QRPiece,
    gradient_pass: GradientPass,
    *,
    alpha: float = 0.0,
    weight_sum: Sequence[float] | None = None,
    feature_names: Sequence[str] | None = None,
) -> ExactSolution:
    """Least squares from the factor of all rows, refined by passes over them.

    Parameters
    ----------
    qr : QRPiece
        The factor of all rows (:func:`merge_qr` of every batch's), weighted where
        the rows are (:func:`qr_piece` with ``sample_weight``).
    gradient_pass : callable
        ``gradient_pass(x, levels, shift)``: one pass over the rows returning the
        :class:`GradientPiece` of all of them at ``x`` (with the rows' weights).
    alpha : float, default 0.0
        The ridge penalty of :mod:`linreg.problem` (never on the intercept).
    weight_sum : sequence of float, optional
        Floats whose exact sum is ``S = sum(w)``; by default the factor's own
        (``qr.weight``), or ``n`` for unweighted rows.
    feature_names : sequence of str, optional
        The columns' names, for the rank-deficiency warning (else their indices).

    Returns
    -------
    ExactSolution

    Notes
    -----
    The problem is :mod:`linreg.problem`'s: with ``S = sum(w)``, ``D`` the identity
    but for a zero on the intercept, its normal equations are
    ``A^T diag(w) (y - A x) - alpha S D x = 0``. With ``R_aug = [[R, z], [0, rho]]``
    the factor of ``[sqrt(w) Z, sqrt(w)(y - s_y)]`` (and ``sqrt(alpha S) D``
    below it), the centred solution of that one pass is ``u = R^{-1} z`` and
    ``x = T u`` (plus ``s_y`` on the intercept). Each refinement step solves
    ``R^T R du = T^T g`` with ``T^T g`` the extended-precision
    ``T^T A^T diag(w) (y - A x)`` of one pass plus ``-alpha S D x`` from the exact
    expansion of ``S`` (TwoProducts; ``T^T D = D``), summed before one rounding;
    ``dx = T du``. It stops by :class:`linreg.solvers.refine.StopRule` for its
    seminormal corrections: the relative change is at rounding level, or the
    contraction factor (at least ``64 eps cond(Z)^2 mu``) predicts the next one
    would be, or it stopped halving, or after ten steps. A rank-deficient design
    gets lstsq's minimum-norm solution of the centred problem, unrefined, and its
    warning.
    """
    n, fit_intercept = qr.n, qr.fit_intercept
    d = qr.shift.shape[0] - 1
    off = int(fit_intercept)
    p = d + off
    weighted = qr.weight is not None
    plain = not weighted and alpha == 0.0 and weight_sum is None
    if weight_sum is not None:
        parts = np.asarray(list(weight_sum), dtype=np.float64).reshape(-1, 1)
        mass_terms = ext.expansion(parts)[:, 0].tolist()
    elif qr.weight is not None:
        mass_terms = qr.weight.tolist()
    else:
        mass_terms = [float(n)]
    mass = math.fsum(mass_terms)
    R_aug = np.zeros((p + 1, p + 1))
    R_aug[: qr.R.shape[0]] = qr.R[: p + 1]
    if alpha > 0.0 and d:
        R_aug = _with_penalty(R_aug, alpha, mass, off)
    R = R_aug[:p, :p].copy()
    z = R_aug[:p, p]
    y_shift = float(qr.shift[d]) if fit_intercept else 0.0
    fac = _StreamedR(R, qr.shift[:d].copy(), n, fit_intercept)
    if weighted:
        fac.weight_total = mass
    rk = numerical_rank(fac, uncentred_norms(fac))
    rho = float(R_aug[p, p])

    def result(
        x: Array, steps: int, converged: bool, dep: tuple[int, ...], rss: float | None = None
    ) -> LstsqResult:
        return LstsqResult(
            coef=np.array(x[off:], dtype=np.float64),
            intercept=float(x[0]) if off else 0.0,
            rank=rk.rank,
            dependent_columns=dep,
            n_refinements=steps,
            converged=converged,
            r_factor=R,
            column_means=fac.means,
            condition_number=rk.condition,
            fit_intercept=fit_intercept,
            n_samples=n,
            residual_sum_of_squares=None if plain else rss,
        )

    def penalty(x: Array) -> float:
        return alpha * float(x[off:] @ x[off:])

    if rk.rank < p:
        dep = tuple(j - off for j in rk.dependent if j >= off)
        if fit_intercept:
            # Q^T y = z + s_y Q^T 1, and Q^T 1 = R[:, 0] = (R_00, 0, ..., 0).
            w = truncated_pinv_solve(R[1:, 1:], z[1:], rk.rank - 1)
            b0 = (z[0] - float(R[0, 1:] @ w)) / R[0, 0] + y_shift - float(fac.means @ w)
            x = np.concatenate([[b0], w])
        else:
            x = truncated_pinv_solve(R, z, rk.rank)
        warn_rank(dep, n, p, feature_names)
        # rho^2 holds the penalty too (its rows are in the factor).
        mse = max(rho * rho / mass - penalty(x), 0.0)
        return ExactSolution(result(x, 0, False, dep), mse, 0, mse + penalty(x))

    x = fac.t_apply(solve_triangular(R, z, check_finite=False))
    if fit_intercept:
        x[0] += y_shift
    levels = _exact_levels(fac, rk.condition, R_aug, x, y_shift)
    if weighted:
        levels = Levels(levels.f, levels.g, 0)  # the norm-sliced kernel takes no weights
    rule = StopRule(fac, x, rk.condition, seminormal=True)

    def rhs_pass(x: Array) -> tuple[Array, float | None]:
        piece = gradient_pass(x, levels, fac.means if fit_intercept else None)
        if plain:
            return piece.terms[0], piece.sse  # the correctly rounded T^T A^T (y - A x)
        terms = piece.terms
        if alpha > 0.0:
            with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                extra = -penalty_terms(alpha, mass_terms, x[off:])
            padded = np.zeros((extra.shape[0], p))
            padded[:, off:] = extra
            terms = np.vstack([terms, padded])
        tg = ext.fsum_columns(terms) if np.all(np.isfinite(terms)) else terms[0]
        return tg, piece.sse

    out = refine_by_passes(fac, x, rule, rhs_pass)
    x, steps, converged, applied = out.x, out.steps, out.converged, out.applied
    sse = out.rss
    mse = math.nan if sse is None else sse / mass
    if not converged:
        # The corrections stopped shrinking: the last one bounds the error only
        # loosely (at condition 4e8 the answer still matched lstsq's to 4e-16).
        where = (
            "a fit in memory reaches it"
            if plain
            else "weighted or penalized problems are always refined from R alone"
        )
        warnings.warn(
            f"the {'streamed ' if plain else ''}exact solution stopped refining after "
            f"{steps} step(s) with a last correction of {applied:.1e} (relative): the "
            f"design is ill-conditioned (condition number {rk.condition:.3g}) for "
            "refinement from R alone, and may fall short of the float64 limit; "
            f"{where}",
            ConvergenceWarning,
            stacklevel=3,
        )
    return ExactSolution(result(x, steps, converged, (), sse), mse, out.passes, mse + penalty(x))
