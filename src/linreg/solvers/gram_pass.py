"""The Gram pass of a narrow design in one compiled sweep (``_kernels_gram.c``).

With ``b_i = x_i - o`` (``o`` an origin, or zero), ``v_i = y_i - o_y`` and row weights
``w_i`` (all 1 when none are given), one read of ``X`` gives

.. math::

    \\sum_i w_i b_i b_i^T, \\quad \\sum_i w_i b_i, \\quad \\sum_i w_i v_i b_i, \\quad
    \\sum_i w_i v_i, \\quad \\sum_i w_i v_i^2,

each block's column sums of squares ``sum_i b_ij^2`` (for the block norms of the
norm-sliced kernel) and, with weights, floats whose exact sum is each block's
``sum_i w_i`` (:func:`linreg.solvers.weighted_gram.exact_mass`). NumPy's route to
the same sums (a scaled copy of each block, then ``syrk`` and three matrix-vector
products, with the interpreter once a block) stays where the extension is not built
and for designs wider than :data:`MAX_FEATURES`, where BLAS's ``syrk`` is faster
than the kernel's register panels.

The sums are rounded in the kernel's own order: the solvers use them to precondition,
and the refinement reaches the same correctly rounded minimiser from either route.
Segments of :data:`SEGMENT_BLOCKS` blocks are summed apart on a
thread per core and added in segment order, so no sum depends on the thread count.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

from linreg.solvers import compiled
from linreg.solvers.extended import map_chunks

__all__ = ["MASS_PARTS", "MAX_FEATURES", "GramSums", "gram_sums"]

Array = NDArray[np.float64]

#: Floats of each block's exact mass (``MASS_PARTS`` in ``_kernels_gram.c``).
MASS_PARTS: Final = 40
#: The widest design the kernel takes (beyond it BLAS's ``syrk`` is the faster route).
MAX_FEATURES: Final = 64
#: Blocks a segment: the unit of work of a thread, summed apart.
SEGMENT_BLOCKS: Final = 16


class GramSums(NamedTuple):
    """The sums of one pass (shapes for ``n`` rows, ``d`` columns, blocks of ``rows``)."""

    gram: Array  #: (d, d) ``sum w b b^T``
    sx: Array  #: (d,) ``sum w b``
    xty: Array  #: (d,) ``sum w v b``
    sy: float  #: ``sum w v``
    yty: float  #: ``sum w v^2``
    sumsq: Array  #: (n_blocks, d) each block's ``sum b^2`` by column
    mass: list[float]  #: floats whose exact sum is ``sum w`` (empty without weights)


Stretch = Callable[..., int]


@functools.cache
def _load() -> Stretch | None:
    library = compiled.library()
    function = None if library is None else getattr(library, "linreg_gram_stretch", None)
    if function is None:
        return None
    p, i64 = ctypes.POINTER(ctypes.c_double), ctypes.c_int64
    function.argtypes = [p, p, i64, i64, i64, p, ctypes.c_double, p, p, p, p, p, p]
    function.restype = ctypes.c_int
    kernel: Stretch = function
    return kernel


def available(X: Array) -> bool:
    """Whether :func:`gram_sums` takes ``X``: the kernel built and not turned off, and
    ``X`` C-ordered float64 with 1 to :data:`MAX_FEATURES` columns (no copy is made)."""
    d = X.shape[1]
    return (
        0 < d <= MAX_FEATURES
        and X.dtype == np.float64
        and X.flags.c_contiguous
        and not compiled.turned_off()
        and _load() is not None
    )


def gram_sums(
    X: Array,
    y: Array,
    rows: int,
    origin: Array | None = None,
    y_origin: float = 0.0,
    w: Array | None = None,
) -> GramSums:
    """The sums of the module docstring over blocks of ``rows`` rows.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        C-ordered float64 (:func:`available`).
    y : ndarray of shape (n,)
    rows : int
        Rows of a block (the norm-sliced kernel's).
    origin : ndarray of shape (d,) or None
        ``o`` (None: zero, and no subtraction).
    y_origin : float
    w : ndarray of shape (n,) or None
        Finite weights ``>= 0`` (None: all 1, and no mass).

    Returns
    -------
    GramSums
    """
    kernel = _load()
    assert kernel is not None
    n, d = X.shape
    y = np.ascontiguousarray(y, dtype=np.float64)
    if w is not None:
        w = np.ascontiguousarray(w, dtype=np.float64)
    origin_c = None if origin is None else np.ascontiguousarray(origin, dtype=np.float64)
    n_blocks = -(-n // rows)
    span = rows * SEGMENT_BLOCKS
    starts = range(0, n, span)
    grams = np.zeros((len(starts), d, d))
    vecs = np.zeros((len(starts), 2, d))
    scals = np.zeros((len(starts), 2))
    sumsq = np.empty((n_blocks, d))
    mass = np.zeros((n_blocks, MASS_PARTS)) if w is not None else None
    p = ctypes.POINTER(ctypes.c_double)

    def ptr(a: Array | None) -> object:
        return None if a is None else a.ctypes.data_as(p)

    def segment(first: int, _: None) -> int:
        last, s, b = min(first + span, n), first // span, first // rows
        blocks = slice(b, b + -(-(min(first + span, n) - first) // rows))
        return kernel(
            ptr(X[first:last]),
            ptr(y[first:last]),
            last - first,
            d,
            rows,
            ptr(origin_c),
            y_origin,
            None if w is None else ptr(w[first:last]),
            ptr(grams[s]),
            ptr(vecs[s]),
            ptr(scals[s]),
            ptr(sumsq[blocks]),
            None if mass is None else ptr(mass[blocks]),
        )

    status = map_chunks(segment, n, span, lambda: None)
    if any(code == -1 for code in status):
        raise MemoryError("the Gram pass's kernel could not allocate its scratch")
    if any(code != 0 for code in status):
        raise ValueError("the Gram pass's exact mass needs finite weights")
    vec, scal = np.sum(vecs, axis=0), np.sum(scals, axis=0)  # (in segment order)
    parts = [] if mass is None else [t for t in mass.ravel().tolist() if t != 0.0]
    return GramSums(
        np.sum(grams, axis=0),
        vec[0],
        vec[1],
        float(scal[0]),
        float(scal[1]),
        sumsq,
        parts,
    )
