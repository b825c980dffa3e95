"""The exact solver over many batches: R factors merged by TSQR, then refinement passes.

    Each batch is centred by its own mean and factored by Householder QR together
    with its target, ``[1, X_k - 1 s_k^T, y_k - s_ky] = Q_k R_k``. Two batches
    combine by a TSQR step: both factors are moved to the mean ``m`` of the union,
    which changes only their first row,

    .. math:: R_k(m)_{0,j} = R_k(s_k)_{0,j} - R_k(s_k)_{00} (m - s_k)_j,

    because ``[1, X - 1 m^T] = [1, X - 1 s^T] T`` with ``T`` the identity but for
    its first row, and ``R_k T`` differs from ``R_k`` only there; then the stacked
    ``[R_a(m); R_b(m)]`` is factored again. Factors merge pairwise like a binary
    counter (a TSQR tree, ``O(log K)`` factors held for ``K`` batches), and every
    Householder step sees columns centred at the mean of the rows it combines, so
    no offset inflates the rounding (a shift fixed from the first batch would cost
    ``eps |m - s| / std`` relative in ``R``). The last column of the final factor
    holds ``Q^T y`` and ``|r|``: the least-squares solution of that one pass is as
    accurate as :func:`numpy.linalg.lstsq` in memory. Refinement passes then take
    it to the float64 limit, as :func:`linreg.solvers.lstsq.lstsq` does: each computes
    ``A^T (y - A x)`` in extended precision with :mod:`linreg.solvers.lstsq`'s
    error-free-splitting kernels (``r = fl(y - A x)``, then ``f = y - r - A x`` and
    ``A^T r`` as exact slice products, summed over all batches without rounding,
    see :class:`ExactSum`), and corrects ``x`` by the corrected seminormal
    equations ``R^T R du = T^T A^T (y - A x)``. ``Q`` is never available (it has
    ``N`` rows), so the corrections are lstsq's seminormal ones, which contract by
    about ``64 eps cond(Z)^2 mu`` a pass; passes repeat, with lstsq's stopping rules,
    until the correction is at rounding level. Typical data take two passes in
    all (the factor and one refinement); ill-conditioned data take more. Measured
    on polynomial designs (200,000 rows, powers of x in [0, 10]): up to degree 10,
    ``cond(Z) = 1.2e7``, three passes give lstsq's coefficients bit for bit; at
    degree 12, ``cond(Z) = 3.9e8``, the corrections stop shrinking after four
    steps (the answer was still within 4e-16 of lstsq's), and a
    :class:`~linreg.errors.ConvergenceWarning` says that the float64 limit may not
    be reached without ``Q``.

``"gd"``: sufficient statistics in one pass
    Each batch gives its centred moments (:meth:`linreg.solvers.fast.Moments.from_data`),
    merged by the parallel formula of Chan, Golub and LeVeque,

    .. math:: G_{ab} = G_a + G_b + \\frac{n_a n_b}{n_a + n_b} \\delta \\delta^\\top,
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular

from linreg.errors import ConvergenceWarning, LinregError
from linreg.solvers import extended as ext
from linreg.solvers import fast, kernels
from linreg.solvers.design import CHUNK_ELEMENTS, Design
from linreg.solvers.factor import (
    Centred,
    geqrf,
    geqrf_lwork,
    numerical_rank,
    truncated_pinv_solve,
    uncentred_norms,
    vector_norm,
    warn_rank,
)
from linreg.solvers.norm_sliced import BlockCuts, column_norms
from linreg.solvers.refine import (
    MAX_REFINEMENTS,
    StopRule,
    bits_needed,
    levels_for_bits,
    norm_sliced_levels,
    seminormal_du,
)
from linreg.solvers.result import LstsqResult

Array = NDArray[np.float64]
#: Rows of partial sums an :class:`ExactSum` holds before compressing them.
_EXACT_SUM_ROWS: Final = 2048
#: Rows per block of the streamed QR: 512 x 16 stays under OpenBLAS's threading
#: thresholds (about 8,192 elements), so each LAPACK call runs on its own thread.
_TSQR_ROWS: Final = 512
# ---------------------------------------------------------------------------
# Exact solver: R factors and extended-precision gradients
# ---------------------------------------------------------------------------


def _pilot(values: Array) -> Array:
    """A batch's centring shift: column means of at most 1,024 evenly spaced rows.

    Any shift near the mean serves (:func:`merge_qr` moves every factor to the
    exact mean of all rows), and a sample costs no copy of the batch. Computed as
    ``v_0 + mean(v - v_0)``, exactly ``v_0`` for a constant column.
    """
    sample = values[:: max(1, values.shape[0] // 1024)]
    return np.asarray(sample[0] + (sample - sample[0]).mean(axis=0), dtype=np.float64)


@dataclass(frozen=True)
class QRPiece:
    """The R factor of some rows: what the exact solver keeps of them.

    Attributes
    ----------
    n : int
        Rows summarised.
    shift : ndarray of shape (d + 1,)
        Means of the features and (last) of the target the rows were centred by
        (zeros without intercept).
    R : ndarray of shape (k, q)
        Upper-triangular (trapezoidal when ``n < q``) factor of
        ``[1, X - 1 s^T, y - s_y]`` (``q = d + 2``), or of ``[X, y]`` (``q = d + 1``)
        without intercept; ``k = min(n, q)``.
    low, high : ndarrays of shape (d,)
        Column minima and maxima (to name constant features).
    fit_intercept : bool
    """

    n: int
    shift: Array
    R: Array
    low: Array
    high: Array
    fit_intercept: bool


def qr_piece(X: Array, y: Array, *, fit_intercept: bool) -> QRPiece:
    """The :class:`QRPiece` of one batch: blocked Householder QR of its centred rows.

    Blocks of 512 rows of ``[1, X - 1 s^T, y - s_y]`` (``s`` the batch's means) are
    formed in a scratch buffer, factored by LAPACK ``dgeqrf`` on a thread pool, and
    their stacked triangles factored once more (the "tall-skinny QR" of Demmel et
    al., as stable as one Householder QR). Cost: about ``2 m q^2`` flops; memory:
    one ``q x 512`` buffer per thread.
    """
    m, d = X.shape
    off = int(fit_intercept)
    q = d + off + 1
    if fit_intercept:
        shift_x, shift_y = _pilot(X), float(_pilot(y))
    else:
        shift_x, shift_y = np.zeros(d), 0.0
    rows = _TSQR_ROWS
    lwork = geqrf_lwork(rows, q)

    def factor(s: int, buf: Array) -> Array:
        k = min(rows, m - s)
        block = buf[:, :k]
        if fit_intercept:
            block[0] = 1.0
            np.subtract(X[s : s + k].T, shift_x[:, None], out=block[1 : d + 1])
            np.subtract(y[s : s + k], shift_y, out=block[d + 1])
        else:
            np.copyto(block[:d], X[s : s + k].T)
            np.copyto(block[d], y[s : s + k])
        qr, _ = geqrf(block.T, lwork)
        return np.triu(qr[: min(k, q)])

    tops = ext.map_chunks(factor, m, rows, lambda: np.empty((q, rows)))
    R = tops[0] if len(tops) == 1 else _stacked_r(tops)
    shift = np.append(shift_x, shift_y) if fit_intercept else np.zeros(d + 1)
    return QRPiece(m, shift, R, X.min(axis=0), X.max(axis=0), fit_intercept)


def _stacked_r(factors: Sequence[Array]) -> Array:
    """R of the rows of all ``factors`` stacked: one more Householder QR."""
    stacked = np.asfortranarray(np.vstack(factors))
    qr, _ = geqrf(stacked, geqrf_lwork(*stacked.shape))
    return np.triu(qr[: min(stacked.shape)])


def merge_qr(pieces: Sequence[QRPiece]) -> QRPiece:
    """One :class:`QRPiece` of the rows of all ``pieces`` (a TSQR step).

    Every factor is moved to the mean ``m`` of the union, which changes its first
    row only: ``R(m)[0, j] = R(s)[0, j] - R(s)[0, 0] (m - s)_j`` (see the module
    docstring); the stacked factors are then factored again. Without intercept the
    factors are stacked as they are.
    """
    if len(pieces) == 1:
        return pieces[0]
    first = pieces[0]
    n = sum(p.n for p in pieces)
    shift = first.shift.copy()
    if first.fit_intercept:
        # The union's mean, as base + weighted offsets: exact for a constant column.
        shift = first.shift + sum(p.n * (p.shift - first.shift) for p in pieces) / n
    moved = []
    for p in pieces:
        R = p.R.copy()
        if p.fit_intercept and R.shape[0]:
            R[0, 1:] -= R[0, 0] * (shift - p.shift)
        moved.append(R)
    return QRPiece(
        n,
        shift,
        _stacked_r(moved),
        np.min([p.low for p in pieces], axis=0),
        np.max([p.high for p in pieces], axis=0),
        first.fit_intercept,
    )


class QRTree:
    """Merges :class:`QRPiece` s pairwise as they come, like a binary counter.

    Slot ``k`` holds the factor of ``2**k`` pieces or nothing; adding a piece merges
    it up through the occupied slots. ``K`` pieces leave at most ``log2 K + 1``
    factors in memory, and each row goes through ``log2 K`` Householder steps
    (a sequential merge would take ``K``).
    """

    def __init__(self) -> None:
        self._slots: list[QRPiece | None] = []

    def add(self, piece: QRPiece) -> None:
        for level, held in enumerate(self._slots):
            if held is None:
                self._slots[level] = piece
                return
            piece = merge_qr([held, piece])
            self._slots[level] = None
        self._slots.append(piece)

    def result(self) -> QRPiece:
        """The factor of every piece added (oldest rows first)."""
        held = [p for p in reversed(self._slots) if p is not None]
        if not held:
            raise LinregError("no rows to fit")
        return merge_qr(held)


def _expansion(terms: Array, parts: int = 3) -> Array:
    """``parts`` float64 rows whose column sums equal those of ``terms`` to ``~53 parts`` bits.

    ``math.fsum`` is correctly rounded; subtracting each rounded part and summing
    again gives the next: ``|sum - (s_1 + s_2 + s_3)| <= 2**-159 |sum|``, relative to
    the *sum* (however much its terms cancel), not to the terms.
    """
    out = np.zeros((parts, terms.shape[1]))
    for j in range(terms.shape[1]):
        values = terms[:, j].tolist()
        for level in range(parts):
            try:
                s = math.fsum(values)
            except (OverflowError, ValueError):  # non-finite terms: the caller stops
                out[level, j] = float(np.sum(terms[:, j]))
                break
            out[level, j] = s
            values.append(-s)
    return out


class ExactSum:
    """Sums of many float64 vectors, without rounding the partial sums.

    The terms are kept as rows and compressed by :func:`_expansion` every
    ``2048`` rows into three, so memory stays O(width) however many are added.

    Parameters
    ----------
    width : int
        Length of the vectors.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self._rows: list[Array] = []
        self._count = 0

    def add(self, terms: Array) -> None:
        """Add the rows of ``terms`` (shape (k, width), or one vector (width,))."""
        block = np.atleast_2d(terms)
        self._rows.append(block)
        self._count += block.shape[0]
        if self._count > _EXACT_SUM_ROWS:
            self._compress()

    def _compress(self) -> None:
        if len(self._rows) != 1 or self._count > 3:
            stacked = np.concatenate(self._rows) if self._rows else np.zeros((1, self.width))
            self._rows = [_expansion(stacked)]
            self._count = 3

    def expansion(self) -> Array:
        """Three rows (3, width) summing to the total (see :func:`_expansion`)."""
        self._compress()
        return self._rows[0]

    def total(self) -> Array:
        """The sum, correctly rounded, of shape (width,)."""
        return self.expansion()[0].copy()


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
        :class:`ExactSum`'s expansion.
    sse : float
        ``|fl(y - A x)|^2`` in float64.
    """

    n: int
    terms: Array
    sse: float


class Levels(NamedTuple):
    """The precision of a refinement pass (:func:`gradient_piece`).

    ``f`` and ``g`` are the slicing levels of the general kernels' row products and
    column sums (:func:`linreg.solvers.lstsq.levels_for`); ``sliced`` (1 or 2), where the
    problem allows it (:func:`linreg.solvers.lstsq.norm_sliced_bits`), has the norm-sliced
    kernel (:func:`linreg.solvers.extended.seminormal_terms`) do the pass instead.
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

    Returns
    -------
    GradientPiece

    Notes
    -----
    Per chunk of rows, as in :meth:`linreg.solvers.lstsq.Design.evaluate` with a fresh
    residual: ``r = fl(y - A x)`` in float64, then ``f = y - r - A x`` in
    extended precision (the rounding error of ``r``), and
    ``A^T (y - A x) = A^T r + A^T f`` with ``A^T r`` as exact slice products plus a
    tail ``2**-(levels * bits)`` smaller, and ``A^T f`` (a rounding-level vector) in
    float64. ``T^T`` is applied before anything is rounded: the exact terms of
    ``A^T r`` with their products by ``m`` (TwoProduct), and ``Z^T f`` from the
    centred chunk (``A^T f`` would carry rounding errors ``m_j`` times larger), as
    :meth:`linreg.solvers.lstsq.Design.evaluate` does. Nothing is rounded when the chunks
    are summed (:class:`ExactSum`), so the result is as accurate for a file of any
    length as for one chunk.
    """
    design = Design(X, None, fit_intercept)
    n, d, p, step = design.n, design.d, design.p, design.chunk
    b, w = design._split_x(x)
    off = int(fit_intercept)
    passes_f = ext.sum_passes(levels[0], ext.slice_bits(max(d, 1)))
    centre = shift if fit_intercept and shift is not None and np.any(shift) else None
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

    :func:`linreg.solvers.lstsq.levels_for` needs ``|y|`` and ``|r|``; here they come from
    the augmented factor ``R_aug`` of ``[Z, y - s_y]``: its last column has the
    norm of ``y - s_y`` and ends with ``|r|``. The norm-sliced kernel, at one
    level or two, where it carries the bits needed, as in memory.
    """
    n, d, p = fac.n, fac.d, fac.p
    y_norm = vector_norm(R_aug[:, p])
    if fac.fit_intercept:
        y_norm = math.hypot(y_norm, math.sqrt(n) * abs(y_shift))
    r_norm = abs(float(R_aug[p, p]))
    chunk = min(n, max(256, CHUNK_ELEMENTS // max(d, 1)))
    bits = bits_needed(fac, x, condition, y_norm, r_norm)
    f, g = levels_for_bits(bits, d, chunk)
    return Levels(f, g, norm_sliced_levels(bits, d, min(n, sliced_rows(d))))


#: One pass computing ``T^T A^T (y - A x)`` at ``x`` with the given slicing levels
#: and centring shift (see :func:`gradient_piece`).
GradientPass = Callable[[Array, Levels, "Array | None"], GradientPiece]


@dataclass(frozen=True)
class ExactSolution:
    """The streamed exact solver's result: lstsq's, the MSE, and the passes it took."""

    result: LstsqResult
    mse: float
    passes: int


def solve_exact(qr: QRPiece, gradient_pass: GradientPass) -> ExactSolution:
    """Least squares from the factor of all rows, refined by passes over them.

    Parameters
    ----------
    qr : QRPiece
        The factor of all rows (:func:`merge_qr` of every batch's).
    gradient_pass : callable
        ``gradient_pass(x, levels, shift)``: one pass over the rows returning the
        :class:`GradientPiece` of all of them at ``x``.

    Returns
    -------
    ExactSolution

    Notes
    -----
    With ``R_aug = [[R, z], [0, rho]]`` the factor of ``[Z, y - s_y]``, the centred
    least-squares solution is ``u = R^{-1} z`` and ``x = T u`` (plus ``s_y`` on the
    intercept). Each refinement step solves ``R^T R du = T^T g`` with ``T^T g`` the
    extended-precision ``T^T A^T (y - A x)`` of one pass, ``dx = T du``, and stops by
    :class:`linreg.solvers.lstsq.StopRule` for its seminormal corrections: the
    relative change is at rounding level, or the contraction factor (at least
    ``64 eps cond(Z)^2 mu``) predicts the next one would be, or it stopped
    halving, or after ten steps. A rank-deficient design gets lstsq's
    minimum-norm solution of the centred problem, unrefined, and its warning.
    """
    n, fit_intercept = qr.n, qr.fit_intercept
    d = qr.shift.shape[0] - 1
    off = int(fit_intercept)
    p = d + off
    R_aug = np.zeros((p + 1, p + 1))
    R_aug[: qr.R.shape[0]] = qr.R[: p + 1]
    R = R_aug[:p, :p].copy()
    z = R_aug[:p, p]
    y_shift = float(qr.shift[d]) if fit_intercept else 0.0
    fac = _StreamedR(R, qr.shift[:d].copy(), n, fit_intercept)
    rk = numerical_rank(fac, uncentred_norms(fac))
    rho = float(R_aug[p, p])

    def result(x: Array, steps: int, converged: bool, dep: tuple[int, ...]) -> LstsqResult:
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
        )

    if rk.rank < p:
        dep = tuple(j - off for j in rk.dependent if j >= off)
        if fit_intercept:
            # Q^T y = z + s_y Q^T 1, and Q^T 1 = R[:, 0] = (R_00, 0, ..., 0).
            w = truncated_pinv_solve(R[1:, 1:], z[1:], rk.rank - 1)
            b0 = (z[0] - float(R[0, 1:] @ w)) / R[0, 0] + y_shift - float(fac.means @ w)
            x = np.concatenate([[b0], w])
        else:
            x = truncated_pinv_solve(R, z, rk.rank)
        warn_rank(dep, n, p)
        return ExactSolution(result(x, 0, False, dep), rho * rho / n, 0)

    x = fac.t_apply(solve_triangular(R, z, check_finite=False))
    if fit_intercept:
        x[0] += y_shift
    levels = _exact_levels(fac, rk.condition, R_aug, x, y_shift)
    rule = StopRule(fac, x, rk.condition, seminormal=True)
    mse = rho * rho / n
    passes, converged = 0, False
    applied = math.nan  # the relative size of the last correction applied
    while rule.steps < MAX_REFINEMENTS:
        piece = gradient_pass(x, levels, fac.means if fit_intercept else None)
        passes += 1
        mse = piece.sse / n
        tg = piece.terms[0]  # the correctly rounded T^T A^T (y - A x)
        if not tg.any():
            converged = True
            break
        if not np.all(np.isfinite(tg)):
            break  # data near overflow: keep the current iterate
        dx = fac.t_apply(seminormal_du(fac, tg))
        verdict = rule.judge(x, dx)
        if verdict == "reject":
            break
        x, applied = x + dx, rule.delta
        if verdict != "continue":
            converged = verdict == "converged" or rule.delta <= 2.0**-40
            break
    steps = rule.steps
    if not converged:
        # The corrections stopped shrinking: the last one bounds the error only
        # loosely (at condition 4e8 the answer still matched lstsq's to 4e-16).
        warnings.warn(
            f"the streamed exact solution stopped refining after {steps} step(s) with a "
            f"last correction of {applied:.1e} (relative): the "
            f"design is ill-conditioned (condition number {rk.condition:.3g}) for "
            "refinement from R alone, and may fall short of the float64 limit; a fit in "
            "memory reaches it",
            ConvergenceWarning,
            stacklevel=3,
        )
    return ExactSolution(result(x, steps, converged, ()), mse, passes)
