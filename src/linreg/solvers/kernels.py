"""The compiled kernels: the exact solver's refinement pass (one sweep of each block, not
twenty) and the SGD epoch.

The exact solver spends most of its time in one pass over the data: for the current
solution ``(b, w)``, the residual ``e = y - b - X w`` and the gradient ``A^T e``
(``A = [1 X]``), both far beyond float64. :func:`linreg.solvers.norm_sliced.seminormal_terms`
does it in NumPy: it slices each block of 8,192 rows onto fixed-point grids,
``X = X_0 + (X - X_0)``, and hands the exact slice products to BLAS. That is about
twenty calls into NumPy per block, each reading the whole block again.
:func:`seminormal_blocks` below is the same arithmetic written row by row; the C
function ``linreg_seminormal_blocks`` (``_kernels.c``, built at install) is its
line-for-line translation, one loop over each block:

1. slice each element, ``x_0 = (x + s) - s`` with ``s = 1.5 * 2**52 g``, and
   ``x - x_0``, as the NumPy kernel does (at two levels, ``x_1`` likewise);
2. per row, the exact product ``x_0 . w_0 + b_1`` and the rounded tail
   ``x . w_1 + (x - x_0) . w_0 + b_2``, and ``e = y - exact - tail`` as ``r + f`` by
   Knuth's TwoSum; with row weights (the weighted and penalized fits of
   :mod:`linreg.solvers.weighted_gram`), ``w e`` in its place, ``w r`` by Dekker's
   TwoProduct (exact, no fused multiply-add);
3. per block, the grid ``q`` of ``r`` from ``|r|``, and ``r_0 = r`` rounded to it;
4. per column, the exact sum ``x_0 . r_0`` and the rounded tail
   ``x . t + (x - x_0) . r_0``, with ``t = r - r_0 + f``; and ``1 . r_0``, ``1 . t``.

The exact parts are exact in any order of summation (Cauchy-Schwarz on the grids, see
:func:`linreg.solvers.norm_sliced.seminormal_terms`), so they equal the NumPy kernel's wherever
both take the same grid ``q`` (from ``|r|^2``, which they sum in different orders);
the tails are rounded sums like the NumPy kernel's, in another order, within the same
bound. The solver sums every block's terms exactly and rounds once, and either kernel
leads it to the correctly rounded solution: the same bits (tested).

Rows are taken in tiles of :data:`TILE`, transposed in the L1 cache, so that the
compiler runs every step across the rows of a tile in SIMD lanes without reordering
any floating-point operation (no fast-math, no fused multiply-adds; AVX2 where the
CPU has it). Blocks are shared among threads: ``ctypes`` releases the GIL.

Its timings against the NumPy kernel are in ``benchmarks/README.md``.

The same extension runs the fast engine's mini-batch SGD epochs, :func:`sgd_run`
(``linreg_sgd_run``): the batches of a stretch of the shuffled order, each row read from
X in place and standardized on the fly, with row weights, the ridge penalty, momentum
and the L1 proximal step. Its NumPy statement is :func:`linreg.solvers.sgd.sgd_steps`,
which it matches to rounding, not bit for bit (it sums ``z . W`` in eight partial sums
where NumPy calls BLAS; tests/test_sgd_kernel.py).

Without a C compiler at install the extension is skipped, and with the environment
variable ``LINREG_KERNELS=numpy`` it is not used: the NumPy kernels serve, with the
same solutions (and SGD with the readable loop's iterates, bit for bit).
:mod:`linreg.solvers.compiled` finds the extension without importing NumPy.
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray

from . import compiled, norm_sliced
from . import extended as ext

__all__ = [
    "ENV",
    "TILE",
    "available",
    "describe",
    "seminormal_blocks",
    "seminormal_pass",
    "sgd_available",
    "sgd_layout_ok",
    "sgd_run",
]

Array = NDArray[np.float64]
BlockTerms = tuple[list[Array], list[float], float]

#: Environment variable: ``numpy`` turns the compiled kernels off.
ENV: Final = compiled.ENV
#: Rows per tile (16 features: 8 KiB, in the L1 cache); ``_kernels.c`` has the same.
TILE: Final = 64
#: Veltkamp's splitter ``2**27 + 1`` (:func:`linreg.solvers.extended.two_product`'s).
_SPLITTER: Final = 134217729.0


def seminormal_blocks(
    X: Array,
    y: Array,
    rows: int,
    shifts: Array,
    w_parts: Array,
    w: Array,
    b1: Array,
    b2: Array,
    second_grid: float,
    cols: Array,
    ones: Array,
    sumsq: Array,
    r: Array,
    f: Array,
    weights: Array | None = None,
) -> None:
    """Norm-sliced terms of ``A^T (y - A x)`` (with ``weights``, of ``A^T W (y - A x)``)
    for every block of ``X``, at one or two levels.

    The statement of ``linreg_seminormal_blocks`` in ``_kernels.c``, which computes the
    same operations in the same order (tested bit for bit); as Python it is slow. The
    levels are those of :func:`linreg.solvers.norm_sliced.seminormal_terms`, whose notation
    this follows: ``C_0`` is ``C`` on the grid ``g_0``, ``C_1`` what is left on ``g_1``.

    Parameters
    ----------
    X : ndarray of shape (n, k)
        The design without its column of ones (``C``), in blocks of ``rows`` rows
        (the last may be shorter).
    y : ndarray of shape (n,)
    rows : int
    shifts : ndarray of shape (levels, n_blocks, k)
        Per level and block, ``1.5 * 2**52 g`` for each column (``BlockCuts.shifts``).
    w_parts : ndarray of shape (levels + 1, n_blocks, k)
        ``w`` cut exactly into parts per block (``BlockCuts.w_parts``).
    w : ndarray of shape (k,)
    b1, b2 : ndarray of shape (n_blocks,)
        ``b = b1 + b2`` (``BlockCuts.b1``, ``b2``).
    second_grid : float
        ``2**-second_slice_bits(rows)``: the grid of ``r_1`` beside that of ``r_0``.
    cols : ndarray of shape (n_blocks, 2 levels, k)
        Output: per block the exact sums ``C_0^T r_0`` (then ``C_1^T r_0`` and
        ``C_0^T r_1`` at two levels) and last the rounded tail of ``C^T e``.
    ones : ndarray of shape (n_blocks, levels + 1)
        Output: ``1^T r_0`` (then ``1^T r_1``) exactly, and the tail of ``1^T e``.
    sumsq : ndarray of shape (n_blocks,)
        Output: ``|r|^2`` per block (float64 sums; ``sum w r^2`` with weights).
    r, f : ndarray of shape (rows,)
        Scratch: ``e = r + f`` of the current block (``W e`` with weights).
    weights : ndarray of shape (n,), optional
        Row weights ``w``: each row's ``e = r + f`` becomes ``w e = p + (p' + w f)``,
        ``w r = p + p'`` by Dekker's TwoProduct (exact), before the column sums, which
        then sum ``A^T W e``; ``sumsq`` is then ``sum_i w_i e_i^2`` (each ``w_i r_i``
        times ``r_i``, summed row by row), while the grid of ``W e`` comes from
        ``|W e|^2``.
    """
    n, k = X.shape
    two = shifts.shape[0] > 1
    parts, sums = (4, 3) if two else (2, 2)  # terms of each column, and of 1^T e
    tile = np.empty((k, TILE))  # a tile of rows, transposed
    terms = np.empty((parts, TILE))  # the row products: exact ones, then the tail
    r0 = np.empty(TILE)
    r1 = np.zeros(TILE)
    t = np.empty(TILE)
    lanes = np.empty((parts, k, TILE))  # column sums per SIMD lane, added up at the end
    lane_ones = np.empty((sums, TILE))
    for block in range((n + rows - 1) // rows):
        start = block * rows
        stop = min(start + rows, n)
        weighted = 0.0  # sum w e^2, row by row (with weights)
        s0, w0, w1 = shifts[0, block], w_parts[0, block], w_parts[1, block]
        s1, w2 = shifts[-1, block], w_parts[-1, block]  # (two levels)
        # e = y - (C_0 w_0 + b_1) [- C_0 w_1 - C_1 w_0] - tail = r + f, row by row.
        for first in range(start, stop, TILE):
            m = min(TILE, stop - first)
            for i in range(m):
                for j in range(k):
                    tile[j, i] = X[first + i, j]
            terms[:, :m] = 0.0
            terms[0, :m] = b1[block]
            terms[-1, :m] = b2[block]
            for j in range(k):
                sj, v0, v1 = s0[j], w0[j], w1[j]  # (hoisted: the stores below may alias)
                if two:
                    tj, v2, v12, vj = s1[j], w2[j], w1[j] + w2[j], w[j]
                    for i in range(m):
                        x = tile[j, i]
                        x0 = (x + sj) - sj
                        x1 = ((x - x0) + tj) - tj
                        terms[0, i] += x0 * v0
                        terms[1, i] += x0 * v1
                        terms[2, i] += x1 * v0
                        terms[3, i] += x0 * v2 + x1 * v12 + (x - x0 - x1) * vj
                else:
                    for i in range(m):
                        x = tile[j, i]
                        x0 = (x + sj) - sj
                        terms[0, i] += x0 * v0
                        terms[1, i] += x * v1 + (x - x0) * v0
            a, err = r[first - start :], f[first - start :]  # (r and f hold a and err)
            for i in range(m):
                a[i] = y[first + i]
                err[i] = 0.0
            for p in range(parts):  # a - term = d + e exactly (Knuth's TwoSum)
                for i in range(m):
                    b = terms[p, i]
                    d = a[i] - b
                    z = d - a[i]
                    err[i] += (a[i] - (d - z)) - (b + z)
                    a[i] = d
            for i in range(m):  # r + f: r rounded, f what is left
                ri = a[i] + err[i]
                err[i] = err[i] - (ri - a[i])
                a[i] = ri
            if weights is not None:  # w e = p + (p_err + w f), TwoProduct without FMA
                for i in range(m):
                    wi, ri = float(weights[first + i]), float(a[i])
                    prod = wi * ri
                    cw, cr = wi * _SPLITTER, ri * _SPLITTER
                    w_hi, r_hi = cw - (cw - wi), cr - (cr - ri)
                    w_lo, r_lo = wi - w_hi, ri - r_hi
                    prod_err = (((w_hi * r_hi - prod) + w_hi * r_lo) + w_lo * r_hi) + w_lo * r_lo
                    err[i] = prod_err + wi * err[i]
                    a[i] = prod
                    weighted += prod * ri
        total = 0.0
        for i in range(stop - start):
            total += r[i] * r[i]
        sumsq[block] = weighted if weights is not None else total
        if total > 2.0**-900:
            scale = math.sqrt(total)
        else:  # |r|^2 underflows (or is NaN): bound |r| by its largest entry
            biggest = 0.0
            for i in range(stop - start):
                biggest = max(biggest, abs(r[i]))
            scale = biggest * math.sqrt(stop - start)
        # q: 2**-26 of the power of two above |r|, so |r_0| < 2**26 q.
        q = math.ldexp(1.0, math.frexp(scale * (1.0 + 2.0**-30))[1] - 26)
        big0 = 1.5 * 2.0**52 * q
        big1 = big0 * second_grid
        lanes[:, :, :] = 0.0
        lane_ones[:, :] = 0.0
        for first in range(start, stop, TILE):
            m = min(TILE, stop - first)
            for i in range(m):
                for j in range(k):
                    tile[j, i] = X[first + i, j]
                ri, fi = r[first - start + i], f[first - start + i]
                r0[i] = (ri + big0) - big0
                ti = ri - r0[i]
                if two:
                    r1[i] = (ti + big1) - big1
                    ti -= r1[i]
                    lane_ones[1, i] += r1[i]
                t[i] = ti + fi
                lane_ones[0, i] += r0[i]
                lane_ones[-1, i] += t[i]
            for j in range(k):
                sj = s0[j]
                if two:
                    tj = s1[j]
                    for i in range(m):
                        x = tile[j, i]
                        x0 = (x + sj) - sj
                        x1 = ((x - x0) + tj) - tj
                        ri = r[first - start + i]
                        lanes[0, j, i] += r0[i] * x0
                        lanes[1, j, i] += r0[i] * x1
                        lanes[2, j, i] += r1[i] * x0
                        lanes[3, j, i] += (
                            t[i] * x0
                            + (r1[i] + t[i]) * x1
                            + (ri + f[first - start + i]) * (x - x0 - x1)
                        )
                else:
                    for i in range(m):
                        x = tile[j, i]
                        x0 = (x + sj) - sj
                        lanes[0, j, i] += r0[i] * x0
                        lanes[1, j, i] += t[i] * x + r0[i] * (x - x0)
        # Across the lanes, in order (so that Python and numba give the same bits).
        for p in range(parts):
            for j in range(k):
                total = 0.0
                for i in range(TILE):
                    total += lanes[p, j, i]
                cols[block, p, j] = total
        for p in range(sums):
            total = 0.0
            for i in range(TILE):
                total += lane_ones[p, i]
            ones[block, p] = total


def available() -> bool:
    """Whether the exact solver refines with the C kernel: built and not turned off."""
    return _compiled() is not None


def describe() -> str:
    """Which kernel the exact solver's refinement uses, in words (for reports)."""
    return compiled.describe(built=_load() is not None)


def _turned_off() -> bool:
    return compiled.turned_off()


def _compiled() -> Callable[..., None] | None:
    """``seminormal_blocks``'s C translation, called like it; None where it is not used."""
    if _turned_off():
        return None
    function = _load()
    if function is None:
        return None
    c_function = function

    def run(
        X: Array,
        y: Array,
        rows: int,
        shifts: Array,
        w_parts: Array,
        w: Array,
        b1: Array,
        b2: Array,
        second_grid: float,
        cols: Array,
        ones: Array,
        sumsq: Array,
        r: Array,
        f: Array,
        weights: Array | None = None,
    ) -> None:
        arrays = (X, y, shifts, w_parts, w, b1, b2, cols, ones, sumsq, r, f)
        given = arrays if weights is None else (*arrays, weights)
        if not all(a.dtype == np.float64 and a.flags.c_contiguous for a in given):
            raise ValueError("the C kernel reads and writes C-ordered float64 arrays only")
        if weights is not None and weights.shape != (X.shape[0],):
            raise ValueError(f"weights must have shape ({X.shape[0]},), got {weights.shape}")
        n, k = X.shape
        p = [a.ctypes.data_as(_DOUBLE_P) for a in arrays]
        levels = shifts.shape[0]
        row_weights = None if weights is None else weights.ctypes.data_as(_DOUBLE_P)
        if c_function(*p[:2], n, k, rows, levels, *p[2:7], second_grid, *p[7:], row_weights) != 0:
            raise MemoryError("the C kernel could not allocate its scratch memory")

    return run


_DOUBLE_P = ctypes.POINTER(ctypes.c_double)


@functools.cache
def _load() -> Callable[..., int] | None:
    """``linreg_seminormal_blocks`` from the built extension, or None if it was not built."""
    library = compiled.library()
    if library is None:
        return None
    function = library.linreg_seminormal_blocks
    i64, p = ctypes.c_int64, _DOUBLE_P
    function.argtypes = [p, p, i64, i64, i64, i64, p, p, p, p, p, ctypes.c_double, p, p, p, p, p, p]
    function.restype = ctypes.c_int
    c_function: Callable[..., int] = function
    return c_function


@functools.cache
def _takes_weights() -> bool:
    """Whether the built kernel reads row weights (a build older than them would
    ignore the argument: weighted passes then take the NumPy kernel)."""
    library = compiled.library()
    return library is not None and hasattr(library, "linreg_seminormal_weighted")


def seminormal_pass(
    X: Array, y: Array, cuts: norm_sliced.BlockCuts, weights: Array | None = None
) -> list[BlockTerms]:
    """:func:`linreg.solvers.norm_sliced.seminormal_pass` by the C kernel where it applies
    (with ``weights``, the terms of ``A^T W (y - A x)``).

    That is: a C-ordered design with at least one column, and the kernel built and
    not turned off; other designs (F-ordered, say) take the NumPy kernel rather than
    a copy.
    The result has the NumPy kernel's layout: per block, the terms of ``C^T e`` and
    of ``1^T e`` (exact ones, then a tail), and ``|r|^2``.
    """
    n, k = X.shape
    kernel = _compiled() if k > 0 and (weights is None or _takes_weights()) else None
    # (A copy of X, to make it C-ordered float64, would break the memory bound.)
    if kernel is None or not (X.flags.c_contiguous and X.dtype == np.float64):
        return norm_sliced.seminormal_pass(X, y, cuts, weights)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if weights is not None:
        weights = np.ascontiguousarray(weights, dtype=np.float64)
    rows, levels = cuts.rows, cuts.levels
    n_blocks = -(-n // rows)
    cols = np.empty((n_blocks, 2 * levels, k))
    ones = np.empty((n_blocks, levels + 1))
    sumsq = np.empty(n_blocks)
    shifts, w_parts = np.stack(cuts.shifts), np.stack(cuts.w_parts)
    w = np.ascontiguousarray(cuts.w, dtype=np.float64)
    second_grid = 2.0 ** -norm_sliced.second_slice_bits(rows)
    workers = min(ext.cpu_count(), ext.MAX_THREADS)
    per_thread = -(-n_blocks // workers)

    def work(first: int, _: None) -> None:
        last = min(first + per_thread, n_blocks)
        lo, hi = first * rows, min(last * rows, n)
        kernel(
            X[lo:hi],
            y[lo:hi],
            rows,
            np.ascontiguousarray(shifts[:, first:last]),
            np.ascontiguousarray(w_parts[:, first:last]),
            w,
            np.ascontiguousarray(cuts.b1[first:last]),
            np.ascontiguousarray(cuts.b2[first:last]),
            second_grid,
            cols[first:last],
            ones[first:last],
            sumsq[first:last],
            np.empty(rows),
            np.empty(rows),
            None if weights is None else weights[lo:hi],
        )

    ext.map_chunks(work, n_blocks, per_thread, lambda: None)
    return [(list(cols[i]), ones[i].tolist(), float(sumsq[i])) for i in range(n_blocks)]


# -- mini-batch SGD ----------------------------------------------------------------------------
def sgd_available() -> bool:
    """Whether SGD epochs run in the C kernel: built (with its SGD loop) and not turned off."""
    return not _turned_off() and _load_sgd() is not None


@functools.cache
def _load_sgd() -> Callable[..., int] | None:
    """``linreg_sgd_run`` from the built extension, or None (not built, or built before it)."""
    library = compiled.library()
    function = None if library is None else getattr(library, "linreg_sgd_run", None)
    if function is None:
        return None
    i64, p, f64 = ctypes.c_int64, _DOUBLE_P, ctypes.c_double
    function.argtypes = [
        *(p, i64, i64, p, i64),  # X and its strides, y and its stride
        *(p, ctypes.c_void_p, i64, i64, i64),  # weight, order, its item size, n, d
        *(p, p, p, p),  # center, scale, ridge, l1
        *(i64, f64, f64, i64),  # batch size, learning rate, momentum, fit_intercept
        *(p, p, p, p),  # W, velocity_W, state = (b, velocity_b), losses
    ]
    function.restype = i64
    c_function: Callable[..., int] = function
    return c_function


def sgd_layout_ok(X: Array, y: Array) -> bool:
    """Whether the C loop reads ``X`` and ``y`` where they are: float64, strides whole
    elements (any order, views too: nothing is copied)."""
    return (
        X.ndim == 2
        and X.dtype == np.float64
        and y.dtype == np.float64
        and all(s % 8 == 0 for s in (*X.strides, *y.strides))
    )


def sgd_run(
    X: Array,
    y: Array,
    order: NDArray[np.integer],
    W: Array,
    velocity_W: Array,
    state: Array,
    *,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    fit_intercept: bool,
    center: Array | None = None,
    scale: Array | None = None,
    sample_weight: Array | None = None,
    ridge: Array | None = None,
    l1: Array | None = None,
    losses: Array | None = None,
) -> int:
    """The mini-batch SGD steps over the rows ``order`` of (X, y), in C, in place.

    :func:`linreg.solvers.sgd.sgd_steps` on the gathered rows ``Z = (X[order] - center) /
    scale``, without gathering them: per batch of ``n_b`` rows (the last may be short),
    ``r = Z_b W + b - y_b``, ``u = w r``, ``g = (2/n_b) Z_b^T u + 2 ridge W``,
    ``g_b = (2/n_b) 1^T u``, the momentum ``v <- mu v + g`` (if ``momentum``), the step
    ``W <- W - eta v``, ``b <- b - eta v_b``, and the L1 proximal step
    ``W_j <- sign(W_j) max(|W_j| - eta l1_j, 0)``. The same operations as the NumPy loop,
    rounded the same way, but not summed in the same order (``Z_b W`` in eight partial
    sums where NumPy calls BLAS): the two agree to rounding, not bit for bit.

    Parameters
    ----------
    X : ndarray of shape (N, d), float64, any strides
    y : ndarray of shape (N,), float64
    order : ndarray of shape (n,), int32 or int64
        Rows of X, in the order of the steps (the caller checked them).
    W, velocity_W : ndarray of shape (d,), C-contiguous float64
        Updated in place.
    state : ndarray of shape (2,)
        ``(b, velocity_b)``, updated in place.
    batch_size, learning_rate, momentum, fit_intercept :
        As in :func:`linreg.solvers.sgd.sgd_steps`.
    center, scale : ndarray of shape (d,), optional
        The standardization ``z = (x - center) / scale`` (both or neither).
    sample_weight : ndarray of shape (N,), optional
        The rows' weights of mean one, indexed like the rows of X.
    ridge, l1 : ndarray of shape (d,), optional
        The penalty ``sum(ridge W^2)`` and the L1 thresholds (``sum(l1 |W|)``), in the
        units trained on.
    losses : ndarray of shape (ceil(n / batch_size),), optional
        Output: each batch's loss ``mean(w r^2) + sum(ridge W^2) + sum(l1 |W|)``
        (r before the step, W after it), as the NumPy loop gives its plateau test.

    Returns
    -------
    int
        The batches run.
    """
    function = _load_sgd()
    if function is None:
        raise RuntimeError("the C SGD kernel was not built: check sgd_available() first")
    if not sgd_layout_ok(X, y):
        raise ValueError("the C SGD kernel reads float64 X and y with whole-element strides")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    n, d = order.shape[0], X.shape[1]
    if order.dtype not in (np.int32, np.int64) or not order.flags.c_contiguous:
        raise ValueError("the C SGD kernel takes a contiguous int32 or int64 order")
    vectors = [v for v in (center, scale, ridge, l1) if v is not None]
    for name, array, size in (
        ("W", W, d),
        ("velocity_W", velocity_W, d),
        ("state", state, 2),
        *(("a vector", v, d) for v in vectors),
        *((("sample_weight", sample_weight, X.shape[0]),) if sample_weight is not None else ()),
        *((("losses", losses, -(-n // batch_size)),) if losses is not None else ()),
    ):
        if array.dtype != np.float64 or not array.flags.c_contiguous or array.shape != (size,):
            raise ValueError(f"the C SGD kernel needs {name} as C-ordered float64 of {size}")
    if (center is None) != (scale is None):
        raise ValueError("the C SGD kernel takes center and scale together")

    def pointer(array: Array | None) -> ctypes._Pointer[ctypes.c_double] | None:
        return None if array is None else array.ctypes.data_as(_DOUBLE_P)

    item = X.itemsize
    done = function(
        pointer(X),
        X.strides[0] // item,
        X.strides[1] // item,
        pointer(y),
        y.strides[0] // item,
        pointer(sample_weight),
        order.ctypes.data,
        order.itemsize,
        n,
        d,
        pointer(center),
        pointer(scale),
        pointer(ridge),
        pointer(l1),
        batch_size,
        learning_rate,
        momentum,
        int(fit_intercept),
        pointer(W),
        pointer(velocity_W),
        pointer(state),
        pointer(losses),
    )
    if done < 0:
        raise MemoryError("the C SGD kernel could not allocate its scratch memory")
    return done
