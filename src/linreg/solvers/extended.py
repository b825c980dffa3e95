"""Extended precision from float64 alone: error-free transformations and splitting.

The exact solvers (:mod:`linreg.solvers.lstsq`, and the streamed and distributed ones in
:mod:`linreg.solvers.streamed_exact`) need ``y - A x`` and ``A^T r`` far beyond float64 where those
cancel.  This module gives them exactly that and nothing else:

* :func:`two_sum`, :func:`two_product`: Knuth's and Dekker's error-free
  transformations (the rounded result and its exact error);
* :func:`sum_k`: Ogita, Rump and Oishi's SumK, a sum as if in k-fold precision;
  :func:`centred_sum` applies the solvers' centring map ``T^T`` inside such a sum;
* :func:`matvec_terms`, :func:`rmatvec_terms`, :func:`sum_terms`: a chunk's
  products as exact slice products plus a small rounded tail (Ozaki, Ogita, Oishi
  and Rump's error-free splitting), with :class:`Workspace` their scratch space;
* the norm-sliced special case for ``A^T (y - A x)`` lives in
  :mod:`linreg.solvers.norm_sliced` (and, in C, :mod:`linreg.solvers.kernels`);
* :func:`fsum_columns`: column sums of many terms, each correctly rounded;
* :func:`map_chunks`: chunks of rows on a thread pool, results in chunk order, so
  that no answer depends on the number of threads.

Error-free splitting
--------------------
``A x`` and ``A^T r`` use Ozaki's error-free splitting: the design and the vector
are cut into *slices* with so few significant bits (22 for the row products of 16
features, 17 for sums over the 16,384 rows of a chunk) that every product of two
slices, and any sum of such products, is exact in float64.  The exact slice
products are summed with Ogita-Rump-Oishi SumK (k-fold TwoSum cascades) and only a
remainder ``2**-(bits per level x levels)`` times smaller is rounded.  How many
levels a problem needs is the solver's business (:func:`linreg.solvers.refine.levels_for`).
Chunks of rows are processed on a thread pool; products use ``einsum`` rather than
BLAS, because OpenBLAS multithreads every small call and on a busy machine each
call can wait at a barrier for a descheduled thread.

Against ``np.longdouble`` (11 bits more than float64: too few for Filip) and
Dekker's double-double (correct but slower), the splitting is both the fastest and
the most accurate, and its precision is a parameter (timings: ``benchmarks/README.md``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "EXACT_SUM_ROWS",
    "MAX_THREADS",
    "ExactSum",
    "Workspace",
    "centred_sum",
    "cpu_count",
    "dot",
    "dot_t",
    "expansion",
    "fsum_columns",
    "map_chunks",
    "matvec_terms",
    "rmatvec_terms",
    "slice_bits",
    "sum_k",
    "sum_passes",
    "sum_terms",
    "two_product",
    "two_sum",
]

Array = NDArray[np.float64]
_T = TypeVar("_T")
_S = TypeVar("_S")

#: Veltkamp's splitting constant 2**27 + 1: it cuts a double into two 26-bit halves.
_SPLITTER: Final = 134217729.0


# ---------------------------------------------------------------------------
# Error-free transformations
# ---------------------------------------------------------------------------


def two_sum(a: Array, b: Array | float) -> tuple[Array, Array]:
    """Knuth's TwoSum: ``a + b = s + e`` exactly, with ``s = fl(a + b)``.

    Parameters
    ----------
    a : ndarray of shape (k,)
        First addend.
    b : ndarray of shape (k,) or float
        Second addend (broadcast against ``a``).

    Returns
    -------
    s : ndarray of shape (k,)
        The rounded sum.
    e : ndarray of shape (k,)
        Its rounding error.

    Notes
    -----
    Six flops and no branch, so it vectorises and needs no ordering of
    ``|a|`` and ``|b|``::

        s = a + b;  b' = s - a;  e = (a - (s - b')) + (b - b')
    """
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: Array) -> tuple[Array, Array]:
    """Veltkamp's split ``a = hi + lo`` with 26 significant bits in each half."""
    c = a * _SPLITTER
    hi = c - (c - a)
    return hi, a - hi


def two_product(a: Array, b: Array | float) -> tuple[Array, Array]:
    """Dekker's TwoProduct: ``a * b = p + e`` exactly, with ``p = fl(a * b)``.

    Parameters
    ----------
    a : ndarray of shape (k,)
        First factor, ``|a| < 2**996`` (the split multiplies by ``2**27 + 1``).
    b : ndarray of shape (k,) or float
        Second factor (broadcast against ``a``).

    Returns
    -------
    p : ndarray of shape (k,)
        The rounded product.
    e : ndarray of shape (k,)
        Its rounding error.

    Notes
    -----
    With Veltkamp's splits ``a = a1 + a2``, ``b = b1 + b2`` into 26-bit halves,
    every partial product is exact and
    ``e = ((a1 b1 - p) + a1 b2 + a2 b1) + a2 b2``.
    """
    b_arr = np.broadcast_to(np.asarray(b, dtype=np.float64), np.shape(a))
    p = a * b_arr
    a1, a2 = _split(a)
    b1, b2 = _split(b_arr)
    return p, ((a1 * b1 - p) + a1 * b2 + a2 * b1) + a2 * b2


# ---------------------------------------------------------------------------
# Error-free splitting kernels (Ozaki, Ogita, Oishi & Rump 2012)
# ---------------------------------------------------------------------------


def _rho(k: int) -> int:
    """Extraction shift for sums of ``k`` products of slices.

    A slice extracted with ``sigma = 2**(e + rho)`` from numbers bounded by
    ``2**e`` has entries that are multiples of ``2**(e + rho - 54)`` and bounded
    by ``2**(e + 1)``.  A product of two slices is then a multiple of
    ``2**(ea + eb + 2 rho - 108)`` bounded by ``2**(ea + eb + 2)``, and a sum of
    ``k`` of them fits in 53 bits when ``2 rho >= 57 + log2 k``.
    """
    return math.ceil((57.0 + math.log2(max(k, 1))) / 2.0)


def slice_bits(k: int) -> int:
    """Bits each slicing level adds for sums of length ``k`` (``53 - rho(k)``)."""
    return 53 - _rho(k)


def _pow2_exponents(a: Array) -> NDArray[np.int64]:
    """Exponents ``e`` with ``|a| < 2**e``, read from the bits (``frexp``'s for normal
    numbers; -1022 for zeros and subnormals, 1025 for inf and NaN).

    Several times faster than ``np.frexp``, which matters on every chunk.
    """
    return ((a.view(np.int64) >> 52) & 0x7FF) - 1022


def _pow2(e: NDArray[np.int64]) -> Array:
    """``2.0**e`` from the bits: ``inf`` above 1023, and ``2**-1022`` below -1022.

    Used for slicing shifts ``sigma``, where a larger power only wastes bits and
    ``inf`` (data within ``2**-rho`` of overflow) makes the refinement stop.
    """
    powers = ((np.maximum(e, -1022) + 1023) << 52).view(np.float64)
    return np.where(e > 1023, np.inf, powers)


def _frexp(v: Array) -> tuple[Array, Array]:
    """``(mant, scale)`` with ``v = mant * scale``, ``|mant| < 1``, ``scale`` a power of 2."""
    e = _pow2_exponents(v)
    if e.size == 0 or int(e.max()) > 1021:  # near overflow: the slow exact route
        mant, ex = np.frexp(v)
        return mant, np.ldexp(1.0, ex)
    return v * _pow2(-e), _pow2(e)


def _slice_in_place(
    rest: Array, sigma: Array, levels: int, shrink: float, out: list[Array]
) -> list[Array]:
    """Cut ``rest`` into ``levels`` exact slices, leaving the remainder in ``rest``.

    ``sigma`` broadcasts against ``rest`` and shrinks by ``shrink`` per level; the
    slices are written into ``out`` (scratch arrays shaped like ``rest``), so that
    ``rest_before = sum(slices) + rest_after`` exactly.
    """
    slices: list[Array] = []
    for level in range(levels):
        piece = out[level]
        np.add(rest, sigma, out=piece)
        np.subtract(piece, sigma, out=piece)
        np.subtract(rest, piece, out=rest)
        slices.append(piece)
        sigma = sigma * shrink
    return slices


class Workspace:
    """Scratch matrices of one thread for the kernels.

    NumPy temporaries of a quarter megabyte and more come from ``malloc`` blocks
    that glibc returns to the system on ``free``; touching a fresh one costs page
    faults (measured: eight times the arithmetic on it).  The kernels therefore
    write into these preallocated arrays.
    """

    def __init__(self, features: int, rows: int, levels: int) -> None:
        self.chunk = np.empty((features, rows))
        self.mats = [np.empty((features, rows)) for _ in range(levels + 1)]

    def matrices(self, m: int) -> list[Array]:
        """The scratch matrices cut to ``m`` observations."""
        return [a[:, :m] for a in self.mats]

    def transposed(self, M: Array) -> Array:
        """``M.T`` with contiguous rows: a view if ``M`` is F-ordered, else a copy here."""
        if M.strides[0] == M.itemsize:
            return M.T
        T = self.chunk[:, : M.shape[0]]
        np.copyto(T, M.T)
        return T


def _vector_slices(v: Array, levels: int, rho: int) -> tuple[list[Array], list[Array]]:
    """Slices of ``v`` (entries in ``(-1, 1)``) and the remainder after each level.

    Returns ``(slices, rests)`` with ``rests[t] = v - slices[0] - ... - slices[t-1]``
    (so ``rests[0] = v``), all exact.
    """
    sigma = math.ldexp(1.0, rho)
    shrink = math.ldexp(1.0, rho - 53)
    slices: list[Array] = []
    rests = [v]
    rest = v
    for _ in range(levels):
        piece = (rest + sigma) - sigma
        rest = rest - piece
        slices.append(piece)
        rests.append(rest)
        sigma *= shrink
    return slices, rests


def sum_k(terms: list[Array], k: int) -> Array:
    """Sum vectors elementwise as if in ``k``-fold float64 precision, then round.

    Parameters
    ----------
    terms : list of ndarray, each of shape (m,)
        The addends (at least one).
    k : int
        Precision multiple, ``k >= 1`` (``k = 2`` is double-double).

    Returns
    -------
    ndarray of shape (m,)

    Notes
    -----
    Ogita, Rump & Oishi's SumK: ``k - 1`` sweeps of error-free TwoSum cascades
    (each leaves the exact sum unchanged and gathers it into the last term), then
    a plain sum.  The error is at most ``(eps + 3 g^2) |s| + g^k sum|t_i|`` with
    ``g ~ 2 n 2**-53`` for ``n`` terms: faithfully rounded (within an ulp; most
    often the correctly rounded value) unless more than about ``53 (k - 1)`` bits
    cancel.  Where every sum must be correctly rounded, :func:`fsum_columns`.
    """
    p = list(terms)
    for _ in range(k - 1):
        for i in range(1, len(p)):
            p[i], p[i - 1] = two_sum(p[i], p[i - 1])
    total = p[0]
    for term in p[1:-1]:
        total = total + term
    return total + p[-1] if len(p) > 1 else total


def fsum_columns(terms: Array) -> Array:
    """Column sums of ``terms`` (shape (t, k)), each correctly rounded (``math.fsum``).

    For the few hundred terms the solvers gather per refinement step: exact where
    :func:`sum_k` is ``k``-fold, and without its Python loop over the terms.
    """
    return np.array([_fsum(col) for col in terms.T], dtype=np.float64)


def _fsum(values: Sequence[float] | Array) -> float:
    """``math.fsum``, or the non-finite float sum where that raises (an infinity or
    NaN among the terms, or an overflowing exact sum): callers test for it."""
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.sum(np.asarray(values, dtype=np.float64)))


def centred_sum(
    ones: Sequence[float],
    cols: Sequence[Array],
    shift: Array | None,
    *,
    centred_ones: Sequence[float] = (),
    centred_cols: Sequence[Array] = (),
) -> Array:
    """``T^T v + w`` for ``v`` and ``w`` given as exact terms, correctly rounded.

    Parameters
    ----------
    ones : sequence of float
        Terms of ``v_0``, the intercept's entry (empty without intercept).
    cols : sequence of ndarray of shape (d,)
        Terms of ``v_{1:}`` (or of ``v`` without intercept); empty if ``d = 0``.
    shift : ndarray of shape (d,) or None
        The centring shift ``m`` of ``T = [[1, -m^T], [0, I]]``.
    centred_ones, centred_cols :
        Terms of ``w``, already in centred coordinates.

    Returns
    -------
    ndarray of shape (p,)
        ``(v_0 + w_0, v_j - m_j v_0 + w_j)``, each the exact sum rounded once
        (``math.fsum``).  The products ``m_j t`` join the sums exactly
        (TwoProduct), so the cancellation between ``v_j`` and ``m_j v_0``, up to
        ``|m_j| / std_j`` of them, costs no accuracy.
    """
    out: list[Array] = []
    if len(ones):
        out.append(np.array([_fsum([*ones, *centred_ones])]))
    if len(cols):
        blocks = [np.asarray(cols).reshape(len(cols), -1)]
        if len(centred_cols):
            blocks.append(np.asarray(centred_cols).reshape(len(centred_cols), -1))
        if len(ones) and shift is not None and np.any(shift):
            # Beyond 2**996 the split overflows; the caller sees non-finite sums.
            with np.errstate(over="ignore", invalid="ignore"):
                lhs = np.broadcast_to(-shift, (len(ones), shift.size))
                prods = two_product(lhs, np.asarray(ones)[:, None])
            blocks.extend(prods)
        out.append(fsum_columns(np.concatenate(blocks)))
    return np.concatenate(out) if out else np.zeros(0)


def sum_passes(levels: int, bits_per_level: int) -> int:
    """SumK's ``k`` that keeps the bits the slices carry (``53 + levels * bits``)."""
    return max(2, math.ceil((53 + levels * bits_per_level) / 53))


def dot_t(v: Array, T: Array) -> Array:
    """``v @ T`` for ``T`` of shape (k, m), by NumPy's own loops, not BLAS.

    The kernels run on several threads, and OpenBLAS would multithread each of
    their many small products as well: on a busy machine every such call can
    stall at a barrier for a descheduled thread.  ``einsum`` stays on its
    thread (and is nearly as fast at these shapes).
    """
    return np.einsum("j,ji->i", v, T)


def dot(T: Array, v: Array) -> Array:
    """``T @ v`` for ``T`` of shape (k, m), without BLAS (see :func:`dot_t`)."""
    return np.einsum("ji,i->j", T, v)


def matvec_terms(T: Array, v: Array, levels: int, ws: Workspace) -> list[Array]:
    """``T.T @ v`` (a chunk's row products ``M @ v``) as a list of vectors.

    Parameters
    ----------
    T : ndarray of shape (k, m)
        A chunk of the design, transposed (``M.T``, rows contiguous): row-wise
        NumPy loops over ``m`` elements run several times faster than over ``k``.
    v : ndarray of shape (k,)
        The vector.
    levels : int
        Slicing levels ``L``.
    ws : Workspace
        Scratch space of at least ``k`` rows, ``m`` columns and ``L`` levels.

    Returns
    -------
    list of ndarray of shape (m,)
        ``L (L + 1) / 2`` exact products of slices, then one rounded tail whose
        error is about ``2**-(53 + L * slice_bits(k))`` of the product's magnitude.

    Notes
    -----
    Scale the features by powers of two so that ``v``'s entries lie in
    ``[1/2, 1)`` (then each bound tracks the largest product), cut each
    observation at ``sigma_i = 2**(e_i + rho)`` with ``2**e_i`` above its sum of
    magnitudes, and cut ``v`` at ``2**rho``.  Products of slices ``a + b <= L - 1``
    are exact, however they are summed; the rest carry only
    ``2**-(L * slice_bits)`` of the magnitude and are rounded.
    """
    k, m = T.shape
    rho = _rho(k)
    shrink = math.ldexp(1.0, rho - 53)
    mant, scale = _frexp(v)
    scratch = ws.matrices(m)
    Ts = np.multiply(T, scale[:, None], out=scratch[0])
    bound = np.abs(Ts, out=scratch[1]).sum(axis=0)
    sigma = _pow2(_pow2_exponents(bound) + rho)[None, :]
    t_slices = _slice_in_place(Ts, sigma, levels, shrink, scratch[1:])
    v_slices, v_rests = _vector_slices(mant, levels, rho)
    terms = [dot_t(v_slices[b], t_slices[a]) for a in range(levels) for b in range(levels - a)]
    tail = dot_t(mant, Ts)  # Ts now holds the remainder of the slicing
    for a in range(levels):
        tail = tail + dot_t(v_rests[levels - a], t_slices[a])
    terms.append(tail)
    return terms


def rmatvec_terms(T: Array, v: Array, levels: int, ws: Workspace) -> list[Array]:
    """``T @ v`` (a chunk's column sums ``M.T @ v``) as a list of vectors.

    Parameters
    ----------
    T : ndarray of shape (k, m)
        A chunk of the design, transposed.
    v : ndarray of shape (m,)
        The residual on those rows.
    levels : int
        Slicing levels (``slice_bits(m)`` bits each).
    ws : Workspace
        Scratch space, as for :func:`matvec_terms`.

    Returns
    -------
    list of ndarray of shape (k,)
        Exact slice products, then the rounded tail.

    Notes
    -----
    The mirror image of :func:`matvec_terms`: observations are scaled by powers
    of two so that ``v``'s entries lie in ``[1/2, 1)``, and each feature is cut at
    ``2**(e_j + rho(m))`` with ``2**e_j`` above its largest magnitude.
    """
    m = T.shape[1]
    rho = _rho(m)
    shrink = math.ldexp(1.0, rho - 53)
    mant, scale = _frexp(v)
    scratch = ws.matrices(m)
    Ts = np.multiply(T, scale[None, :], out=scratch[0])
    top = np.max(np.abs(Ts, out=scratch[1]), axis=1)
    sigma = _pow2(_pow2_exponents(top) + rho)[:, None]
    t_slices = _slice_in_place(Ts, sigma, levels, shrink, scratch[1:])
    v_slices, v_rests = _vector_slices(mant, levels, rho)
    terms = [dot(t_slices[a], v_slices[b]) for a in range(levels) for b in range(levels - a)]
    tail = dot(Ts, mant)
    for a in range(levels):
        tail = tail + dot(t_slices[a], v_rests[levels - a])
    terms.append(tail)
    return terms


def sum_terms(v: Array, levels: int) -> list[float]:
    """``sum(v)`` as exact sums of slices plus a rounded tail."""
    top = float(np.max(np.abs(v))) if v.size else 0.0
    if top == 0.0:
        return [0.0]
    rho = _rho(v.size)
    e = math.frexp(top)[1]
    slices, rests = _vector_slices(v * math.ldexp(1.0, -e), levels, rho)
    # Every partial sum of a slice is representable, so np.sum is exact on them.
    out = [math.ldexp(float(np.sum(piece)), e) for piece in slices]
    out.append(math.ldexp(float(np.sum(rests[-1])), e))
    return out


# ---------------------------------------------------------------------------
# Exact sums of many vectors
# ---------------------------------------------------------------------------

#: Rows of partial sums an :class:`ExactSum` holds before compressing them.
EXACT_SUM_ROWS: Final = 2048


def expansion(terms: Array, parts: int = 3) -> Array:
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

    The terms are kept as rows and compressed by :func:`expansion` every
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
        if self._count > EXACT_SUM_ROWS:
            self._compress()

    def _compress(self) -> None:
        if len(self._rows) != 1 or self._count > 3:
            stacked = np.concatenate(self._rows) if self._rows else np.zeros((1, self.width))
            self._rows = [expansion(stacked)]
            self._count = 3

    def expansion(self) -> Array:
        """Three rows (3, width) summing to the total (see :func:`expansion`)."""
        self._compress()
        return self._rows[0]

    def total(self) -> Array:
        """The sum, correctly rounded, of shape (width,)."""
        return self.expansion()[0].copy()


# ---------------------------------------------------------------------------
# Chunks of rows on a thread pool
# ---------------------------------------------------------------------------


#: Most threads :func:`map_chunks` runs (the kernels' scratch is 3-8 MiB a thread).
MAX_THREADS: Final = 8


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def map_chunks(
    work: Callable[[int, _S], _T], n: int, step: int, make_state: Callable[[], _S]
) -> list[_T]:
    """``[work(s, state) for s in range(0, n, step)]``, in parallel where it pays.

    With several chunks and cores the chunks are split into contiguous runs, one
    per thread, each with its own ``make_state()`` (NumPy and BLAS release the
    GIL); the results come back in chunk order. At most :data:`MAX_THREADS`
    threads: each holds a few MiB of scratch, which on a machine of many cores
    would otherwise outgrow the in-memory fit's bound of 150 MB above the data.
    """
    starts = list(range(0, n, step))
    workers = min(cpu_count(), len(starts), MAX_THREADS)
    if workers <= 1:
        state = make_state()
        return [work(s, state) for s in starts]
    size = math.ceil(len(starts) / workers)
    runs = [starts[i : i + size] for i in range(0, len(starts), size)]

    def run(chunk_starts: list[int]) -> list[_T]:
        state = make_state()
        return [work(s, state) for s in chunk_starts]

    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        return [out for part in pool.map(run, runs) for out in part]
