"""The norm-sliced kernel: ``A^T (y - A x)`` of a row block in one sweep.

The special case of :mod:`linreg.solvers.extended`'s error-free splitting for the
seminormal corrections of large, well-conditioned problems: the fixed-point grids
of the slices come from the column *norms* of each row block
(:class:`BlockCuts`), so that one slicing of a block serves both products
(:func:`seminormal_terms`, with :class:`ChunkScratch` its scratch space), at one
level or two, with optional row weights (``A^T W (y - A x)``, each ``w_i e_i`` exact,
for :mod:`linreg.solvers.weighted_gram`). The same arithmetic, fused into one sweep per
block in C, is :mod:`linreg.solvers.kernels`; the bits each level carries are worked
out in :func:`linreg.solvers.refine.norm_sliced_bits`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from linreg.solvers.extended import map_chunks, two_product

__all__ = [
    "NORM_SLICE_BITS",
    "BlockCuts",
    "ChunkScratch",
    "column_norms",
    "second_slice_bits",
    "seminormal_pass",
    "seminormal_terms",
    "two_diff",
    "weight_slice_bits",
]

Array = NDArray[np.float64]

#: Bits of a norm that each half of a norm-sliced product keeps (see
#: :func:`seminormal_terms`): slices on a grid of ``2**-26`` of the norm leave two
#: 26-bit factors whose products, summed over any chunk, stay below ``2**53`` grid
#: units by Cauchy-Schwarz.
NORM_SLICE_BITS: Final = 26


class ChunkScratch:
    """Scratch matrices of one thread for :func:`seminormal_terms`, shaped like the
    chunks (rows, features), with the slicing shifts kept between chunks: they
    change only when a column norm crosses a power of two."""

    def __init__(self, rows: int, features: int, levels: int = 1) -> None:
        self.hi = np.empty((rows, features))
        self.lo = np.empty((rows, features))
        self.mid = np.empty((rows, features)) if levels > 1 else self.lo
        self.ones = np.ones(rows)
        self._shifts = [np.empty((rows, features)) for _ in range(levels)]
        self._rows = [np.full(features, np.nan) for _ in range(levels)]

    def shift(self, row: Array, m: int, level: int = 0) -> Array:
        """``row`` repeated on ``m`` rows (a broadcast add over 16 columns costs twice
        a plain one), for slicing level ``level``."""
        if not np.array_equal(row, self._rows[level]):
            self._shifts[level][:] = row
            self._rows[level] = row.copy()
        return self._shifts[level][:m]


def _pow2_above(v: Array) -> Array:
    """``2**e`` with ``v < 2**e`` (elementwise, ``v >= 0``; 1 for zero)."""
    _, e = np.frexp(v)
    return np.where(v > 0.0, np.ldexp(1.0, e), 1.0)


def second_slice_bits(rows: int) -> int:
    """Bits between the first and second grids of a two-level norm slicing.

    ``C1^T r0`` (and ``C0^T r1``) are exact while ``sqrt(rows) 2**(25 + s) < 2**53``
    (Cauchy-Schwarz, as in :func:`seminormal_terms`).
    """
    return math.floor(28.0 - 0.5 * math.log2(max(rows, 1)) - 0.01)


def weight_slice_bits(features: int) -> int:
    """Bits of the second slice of ``w`` in a two-level norm slicing: ``C0 w1`` is exact
    while ``features 2**(25 + s) < 2**53``."""
    return math.floor(28.0 - math.log2(max(features, 1)) - 0.01)


@dataclass(frozen=True)
class BlockCuts:
    """How :func:`seminormal_terms` slices each row block for one solution ``(b, w)``.

    Built once per refinement step for all blocks (:meth:`of`); row ``i`` of each
    array belongs to block ``i``.

    Attributes
    ----------
    levels : int
        1 or 2: how many slices of the block (and of ``r``) are multiplied exactly.
    shifts : list of ndarray of shape (n_blocks, k)
        Per level ``a``, ``1.5 * 2**52 g_a``, which rounds (what is left of) the block
        to multiples of its grid: ``g_0 = 2**-26`` of the power of two above the
        block's column norm, ``g_1 = 2**-s g_0`` (:func:`second_slice_bits`).
    w_parts : list of ndarray of shape (n_blocks, k)
        ``w`` cut exactly into ``levels + 1`` parts: ``w_0`` a multiple of
        ``G / g_0`` (0 for a zero column), then (two levels) ``w_1`` of
        ``2**-t G / g_0`` (:func:`weight_slice_bits`), then the rest.
    b1, b2 : ndarray of shape (n_blocks,)
        ``b = b1 + b2`` exactly, ``b1`` a multiple of ``G``.
    w : ndarray of shape (k,)
        The slopes themselves.
    rows : int
        Rows per block (the grid of the second slice depends on it).

    Notes
    -----
    ``G = 2**-52`` of the power of two above ``sum_j |C_j| |w_j| + |b|``, the bound
    on ``|C w| + |b|`` in any row of the block, so that every partial sum of
    ``C_0 w_0 + b1`` is a multiple of ``G`` below ``2**53 G``: exact.
    """

    levels: int
    shifts: list[Array]
    w_parts: list[Array]
    b1: Array
    b2: Array
    w: Array
    rows: int

    @classmethod
    def of(cls, norms: Array, b: float, w: Array, *, levels: int = 1, rows: int = 0) -> BlockCuts:
        """The cuts for blocks of ``rows`` rows with column norms at most ``norms``."""
        g = _pow2_above(norms) * 2.0**-NORM_SLICE_BITS
        common = _pow2_above(norms @ np.abs(w) + abs(b)) * 2.0**-52
        # Scaling by powers of two and rounding to integers are exact.
        step = common[:, None] / g
        with np.errstate(over="ignore", invalid="ignore"):
            w0 = np.where(norms > 0.0, np.rint(w / step) * step, 0.0)
        parts = [w0, w - w0]
        shifts = [1.5 * 2.0**52 * g]
        if levels > 1:
            step1 = step * 2.0 ** -weight_slice_bits(norms.shape[1])
            with np.errstate(over="ignore", invalid="ignore"):
                w1 = np.where(norms > 0.0, np.rint(parts[1] / step1) * step1, 0.0)
            parts = [w0, w1, parts[1] - w1]
            shifts.append(shifts[0] * 2.0 ** -second_slice_bits(rows))
        b1 = np.rint(b / common) * common
        return cls(levels, shifts, parts, b1, b - b1, w, rows)


def two_diff(a: Array, b: Array) -> tuple[Array, Array]:
    """:func:`two_sum` of ``a`` and ``-b``: ``a - b = s + e`` exactly."""
    s = a - b
    bb = s - a
    return s, (a - (s - bb)) - (b + bb)


def _on_grid(v: Array, grid: float) -> Array:
    """``v`` rounded to a multiple of ``grid`` (exact for ``|v| <= 2**51 grid``: then
    ``v + 1.5 * 2**52 grid`` stays in one binade, whose spacing is ``grid``)."""
    big = 1.5 * 2.0**52 * grid
    return (v + big) - big


def seminormal_terms(
    C: Array,
    y: Array,
    cuts: BlockCuts,
    block: int,
    scratch: ChunkScratch,
    weights: Array | None = None,
) -> tuple[list[Array], list[float], float]:
    """A block's ``A^T e`` with ``e = y - b - C w`` (or ``A^T W e``), far beyond float64,
    in one sweep.

    Parameters
    ----------
    C : ndarray of shape (m, k)
        A row block of the design (a view; ``A = [1 C]``).
    y : ndarray of shape (m,)
        Its targets.
    cuts : BlockCuts
        The slicing of every block for the solution ``(b, w)``.
    block : int
        Which of them this is.
    scratch : ChunkScratch
        At least ``m`` rows, ``k`` features and ``cuts.levels`` levels.
    weights : ndarray of shape (m,), optional
        Row weights ``w_i``: ``e`` (as ``r + f``) is replaced by ``W e`` before the
        column sums, as ``p + (p' + w f)`` with ``w r = p + p'`` exactly (Dekker's
        TwoProduct), so ``W e`` keeps ``e``'s accuracy.

    Returns
    -------
    cols : list of ndarray of shape (k,)
        ``C^T e`` (``C^T W e``) as exact terms, then a rounded tail (the last).
    ones : list of float
        ``1^T e`` (``1^T W e``) likewise.
    sumsq : float
        ``|e|^2`` (``sum_i w_i e_i^2``) in float64.

    Notes
    -----
    The special case of :func:`matvec_terms` / :func:`rmatvec_terms` for the
    seminormal corrections, where ``e = y - A x`` and ``A^T e`` are all a step
    needs. The fixed-point grids come from *norms* rather than maxima: with
    ``g_j = 2**-26`` of ``|C_j|``'s power of two and ``q`` that of ``|r|``, the
    slices ``C_0`` (``C`` rounded to ``g``) and ``r_0`` make every partial sum of
    ``C_0j^T r_0`` a multiple of ``g_j q`` below ``|C_0j| |r_0| < 2**53 g_j q``
    (Cauchy-Schwarz), so BLAS computes it exactly in any order; ``C_0 w_0 + b1``
    is exact row by row (see :class:`BlockCuts`). One slicing of ``C`` serves both
    products. At one level, what is left (``C - C_0``, ``w - w_0``, ``r - r_0``) is
    ``2**-26`` of its term and is rounded: ``e`` (``r + f`` in double-double)
    comes to about ``(k + 1) 2**-79`` of ``sum_j |C_j| |w_j|`` per row and
    ``C^T e`` to about ``2**-77 sqrt(m)`` of ``|C_j| |r|``. Two levels cut ``C``,
    ``w`` and ``r`` once more (``C_1^T r_0``, ``C_0^T r_1``, ``C_1 w_0`` and
    ``C_0 w_1`` exact too), for about ``2**-98`` and ``2**-90`` (the solver's
    rule takes it from there: :func:`linreg.solvers.refine.norm_sliced_bits`).

    One level: three elementwise passes over the block and six matrix-vector
    products, against about twenty passes for :func:`matvec_terms` plus
    :func:`rmatvec_terms` at one level; two levels: six and twelve.
    """
    m = C.shape[0]
    two = cuts.levels > 1
    shift = scratch.shift(cuts.shifts[0][block], m)
    hi = np.add(C, shift, out=scratch.hi[:m])
    np.subtract(hi, shift, out=hi)  # C_0: C on the grid g_0
    lo = np.subtract(C, hi, out=scratch.lo[:m])  # C - C_0 exactly, |.| <= g_0 / 2
    w = cuts.w_parts
    exact = [hi @ w[0][block]]
    exact[0] += cuts.b1[block]
    if two:
        shift1 = scratch.shift(cuts.shifts[1][block], m, 1)
        mid = np.add(lo, shift1, out=scratch.mid[:m])
        np.subtract(mid, shift1, out=mid)  # C_1: C - C_0 on the grid g_1
        lo -= mid  # C - C_0 - C_1, |.| <= g_1 / 2
        exact += [hi @ w[1][block], mid @ w[0][block]]
        tail = hi @ w[2][block]
        tail += mid @ (w[1][block] + w[2][block])  # (exact: w - w_0)
        tail += lo @ cuts.w
    else:
        tail = C @ w[1][block]
        tail += lo @ w[0][block]
    tail += cuts.b2[block]
    # e = y - exact - tail as r + f (errors below 2**-105 of |y| + |exact| are dropped).
    r0, c = y, np.zeros(m)
    for term in [*exact, tail]:
        r0, err = two_diff(r0, term)
        c += err
    r = r0 + c
    f = c - (r - r0)
    weighted = 0.0
    if weights is not None:
        unweighted = r
        r, err = two_product(weights, r)
        f = err + weights * f
        weighted = float(r @ unweighted)
    sumsq = float(r @ r)
    scale = math.sqrt(sumsq) if sumsq > 2.0**-900 else float(np.max(np.abs(r))) * math.sqrt(m)
    # q: 2**-26 of the power of two above |r| (any grid serves r = 0: its slices are 0).
    q = math.ldexp(1.0, math.frexp(scale * (1.0 + 2.0**-30))[1] - NORM_SLICE_BITS)
    r_0 = _on_grid(r, q)  # |r| < 2**26 q
    t = r - r_0
    ones = scratch.ones[:m]  # (BLAS dots: sums of slices are exact in any order)
    if two:
        r_1 = _on_grid(t, q * 2.0 ** -second_slice_bits(cuts.rows))
        t -= r_1
        t += f
        cols = [r_0 @ hi, r_0 @ mid, r_1 @ hi]
        tail_cols = t @ hi
        tail_cols += (r_1 + t) @ mid
        tail_cols += (r + f) @ lo
        out_ones = [float(r_0 @ ones), float(r_1 @ ones), float(t @ ones)]
        return [*cols, tail_cols], out_ones, weighted if weights is not None else sumsq
    t += f
    cols = [r_0 @ hi]
    tail_cols = t @ C
    tail_cols += r_0 @ lo
    out_ones = [float(r_0 @ ones), float(t @ ones)]
    return [*cols, tail_cols], out_ones, weighted if weights is not None else sumsq


def column_norms(X: Array, rows: int) -> Array:
    """Upper bounds of the column norms of each block of ``rows`` rows of ``X``,
    shape (n_blocks, d) (the factor covers the rounding of the sums of squares)."""
    sumsq = [
        np.einsum("ij,ij->j", X[s : s + rows], X[s : s + rows]) for s in range(0, len(X), rows)
    ]
    return np.sqrt(np.array(sumsq).reshape(-1, X.shape[1])) * (1.0 + 2.0**-30)


def seminormal_pass(
    X: Array, y: Array, cuts: BlockCuts, weights: Array | None = None
) -> list[tuple[list[Array], list[float], float]]:
    """:func:`seminormal_terms` of every block of ``cuts.rows`` rows, in block order,
    on a thread pool (:func:`map_chunks`); with row ``weights``, of ``A^T W e``.

    Beyond 2**900 the slicing overflows; callers see non-finite terms.
    """
    n, d = X.shape
    rows = cuts.rows

    def work(s: int, scratch: ChunkScratch) -> tuple[list[Array], list[float], float]:
        with np.errstate(over="ignore", invalid="ignore"):
            wt = None if weights is None else weights[s : s + rows]
            return seminormal_terms(X[s : s + rows], y[s : s + rows], cuts, s // rows, scratch, wt)

    return map_chunks(work, n, rows, lambda: ChunkScratch(min(rows, n), d, cuts.levels))
