"""The exact solver's general refinement kernel in C: one chunk of Björck's residuals.

Problems that need more bits than the norm-sliced pass carries
(:func:`linreg.solvers.refine.norm_sliced_bits`: about 84 at 16 features) refine with
:meth:`linreg.solvers.design.Design.evaluate`, which for each chunk of rows forms

* ``f = y - r - b - X w`` by Ozaki's error-free splitting
  (:func:`linreg.solvers.extended.matvec_terms`, ``L_f`` levels) summed with SumK
  (:func:`linreg.solvers.extended.sum_k`);
* the terms of ``1^T r`` (:func:`linreg.solvers.extended.sum_terms`) and of
  ``X^T r`` (:func:`linreg.solvers.extended.rmatvec_terms`, ``L_g`` levels).

In NumPy that is some 40 calls per chunk, each reading the chunk again: on
``x, ..., x^6`` over ``[1, 2]`` (levels 2 and 4) it took 0.33 s of the fit's 0.56 s at
1,000,000 rows. ``linreg_general_chunk`` (``_kernels_general.c``, built into the same
extension as :mod:`linreg.solvers.kernels`' pass) does the same arithmetic row by row
in two sweeps of the chunk:

1. per row: the slices of ``x_i * scale`` on the row's grid, their exact products with
   ``w``'s slices, the rounded tail, and ``f_i`` by SumK over
   ``[y_i, -r_i, -b, -terms...]`` (with ``r_i = (y_i - b) - x_i . w`` first, when the
   pass starts afresh);
2. per row: ``r_i``'s slices, each column's slices on its grid, their exact products
   summed into the column's terms, and the tails (the chunk scaled by ``r``'s
   exponents is transposed once, its columns' maxima taken on the way; the inner
   loop is compiled for each number of levels, its lane sums held in registers).

Its scratch (about ``(d + 2) rows`` doubles) comes from the caller, one block per thread
reused chunk after chunk (:func:`scratch`): a fresh block of that size per call came
from ``mmap``, and its page faults cost more than the arithmetic. The library loader
picks an AVX-512, AVX2 or plain build of the function for the CPU (GCC's
``target_clones``; the same operations, rounded as written, in each).

The slices are the NumPy kernels' own (same grids, same operations, rounded as
written: no fast-math, no fused multiply-adds), so every exact term is the same
number; the rounded tails are summed in another order, within the same bound. The
solver sums the terms exactly and rounds once, and reaches the same correctly rounded
solution with either kernel (tested, and against exact rational arithmetic).

The C kernel serves wherever the norm-sliced one does (built, and not turned off with
``LINREG_KERNELS=numpy``), for C-ordered float64 designs without ``X_lo``.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray

from . import extended as ext
from . import kernels

__all__ = ["MOST_LEVELS", "ChunkTerms", "applies", "carries", "chunk_terms", "rho", "scratch"]

Array = NDArray[np.float64]
#: ``(terms of 1^T r, terms of X^T r)`` of a chunk, as the NumPy kernels give them.
ChunkTerms = tuple[list[float], list[Array]]

_DOUBLE_P = ctypes.POINTER(ctypes.c_double)
#: Most slicing levels the C function takes (its fixed scratch; the solver's maximum).
MOST_LEVELS: Final = 6


def carries(levels: tuple[int, int]) -> bool:
    """Whether the C function takes these slicing levels (1 to :data:`MOST_LEVELS`)."""
    return all(1 <= level <= MOST_LEVELS for level in levels)


def rho(k: int) -> int:
    """The extraction shift of sums of ``k`` slice products (``53 - slice_bits(k)``)."""
    return 53 - ext.slice_bits(k)


@functools.cache
def _load() -> Callable[..., int] | None:
    """``linreg_general_chunk`` from the built extension, or None if it is not there."""
    spec = importlib.util.find_spec("linreg.solvers._kernels")
    if spec is None or spec.origin is None:
        return None
    try:
        library = ctypes.CDLL(spec.origin)
        function = library.linreg_general_chunk
    except (OSError, AttributeError):
        return None
    i64, p = ctypes.c_int64, _DOUBLE_P
    function.argtypes = [
        p, p, p, i64, i64, ctypes.c_double, p,  # X, y, r, m, k, b, w
        i64, i64, i64, i64, i64, i64,  # levels_f, levels_g, rho_f, rho_g, passes_f, fresh
        p, p, ctypes.POINTER(i64), p,  # f, ones, n_ones, cols
        p, i64,  # work, work_size
    ]  # fmt: skip
    function.restype = ctypes.c_int
    c_function: Callable[..., int] = function
    return c_function


@functools.cache
def _load_size() -> Callable[..., int] | None:
    """``linreg_general_scratch`` (the scratch a chunk needs), or None if not built."""
    spec = importlib.util.find_spec("linreg.solvers._kernels")
    if spec is None or spec.origin is None:
        return None
    try:
        function = ctypes.CDLL(spec.origin).linreg_general_scratch
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int64] * 4
    function.restype = ctypes.c_int64
    c_function: Callable[..., int] = function
    return c_function


def scratch(rows: int, k: int, levels: tuple[int, int]) -> Array | None:
    """Scratch for :func:`chunk_terms` on chunks of at most ``rows`` rows (one per
    thread, reused chunk after chunk: a fresh block of this size costs page faults
    on every call, more than the arithmetic on it); None from an extension built
    before it took one (the C function then allocates its own)."""
    size = _load_size()
    return None if size is None else np.empty(int(size(rows, k, *levels)))


def applies(X: Array, X_lo: Array | None) -> bool:
    """Whether :func:`chunk_terms` can serve a design: the kernels on, the C function
    built, ``X`` C-ordered float64 with a column, and no double-double part."""
    return (
        X_lo is None
        and X.ndim == 2
        and X.shape[1] > 0
        and X.dtype == np.float64
        and X.flags.c_contiguous
        and kernels.available()
        and _load() is not None
    )


def chunk_terms(
    X: Array,
    y: Array,
    r: Array,
    b: float,
    w: Array,
    levels: tuple[int, int],
    passes_f: int,
    fresh: bool,
    f: Array,
    work: Array | None = None,
) -> ChunkTerms:
    """One chunk of :meth:`~linreg.solvers.design.Design.evaluate` in C.

    Parameters
    ----------
    X : ndarray of shape (m, k)
        The chunk's rows, C-ordered float64 (``k >= 1``).
    y, r : ndarray of shape (m,)
        Targets and the residual iterate; ``r`` (contiguous) is overwritten with
        ``fl((y - b) - X w)`` first when ``fresh``.
    b : float
        The intercept (0 without).
    w : ndarray of shape (k,)
        The slopes.
    levels : (int, int)
        Slicing levels ``(L_f, L_g)``, each 1 to 6.
    passes_f : int
        SumK's ``k`` for ``f``.
    fresh : bool
        Start ``r`` afresh.
    f : ndarray of shape (m,)
        Written with ``y - r - b - X w`` (contiguous).
    work : ndarray, optional
        Scratch from :func:`scratch` (for at least ``m`` rows); else the C function
        allocates its own.

    Returns
    -------
    ones : list of float
        The terms of ``1^T r`` (:func:`linreg.solvers.extended.sum_terms`).
    cols : list of ndarray of shape (k,)
        The terms of ``X^T r`` (:func:`linreg.solvers.extended.rmatvec_terms`):
        ``L_g (L_g + 1) / 2`` exact ones, then the tail.
    """
    function = _load()
    if function is None:
        raise RuntimeError("the C kernel linreg_general_chunk was not built")
    m, k = X.shape
    lf, lg = levels
    y = np.ascontiguousarray(y, dtype=np.float64)
    w = np.ascontiguousarray(w, dtype=np.float64)
    ones = np.empty(lg + 1)
    cols = np.empty((lg * (lg + 1) // 2 + 1, k))
    n_ones = ctypes.c_int64(0)
    status = function(
        *(a.ctypes.data_as(_DOUBLE_P) for a in (X, y, r)),
        m,
        k,
        float(b),
        w.ctypes.data_as(_DOUBLE_P),
        lf,
        lg,
        rho(k),
        rho(m),
        passes_f,
        int(fresh),
        f.ctypes.data_as(_DOUBLE_P),
        ones.ctypes.data_as(_DOUBLE_P),
        ctypes.byref(n_ones),
        cols.ctypes.data_as(_DOUBLE_P),
        None if work is None else work.ctypes.data_as(_DOUBLE_P),
        0 if work is None else work.size,
    )
    if status != 0:
        raise MemoryError("the C kernel could not allocate its scratch memory")
    return ones[: n_ones.value].tolist(), list(cols)
