"""Weighted and penalized problems the fast way: ``R`` from a weighted Gram pass, and
the seminormal corrections by the norm-sliced kernel with row weights.

The weighted analogue of the unweighted solver's route for large, well-conditioned
problems (:class:`linreg.solvers.factor.GramR` and the norm-sliced refinement of
:func:`linreg.solvers.refine.refine`). The problem is :mod:`linreg.problem`'s: with
``S = sum(w)`` and ``D`` the identity but for a zero on the intercept, the minimiser
``x`` of ``sum_i w_i (y_i - a_i x)^2 + alpha S |D x|^2`` solves

.. math::

    A^T W (y - A x) = \\alpha S D x, \\qquad W = \\operatorname{diag}(w).

1. **Precondition** (:class:`WeightedGramR`). One pass over row blocks of ``X`` (no
   copy; 1 MiB blocks, in one compiled sweep where it applies,
   :mod:`linreg.solvers.gram_pass`, else a block at a time in NumPy; on a thread
   per core) sums, with ``B = X - 1 m^T``
   (``m`` the weighted means of a sample of rows, :func:`linreg.solvers.weighted.weighted_shift`)
   and ``Z = [1, B]``, the weighted Gram matrix ``Z^T W Z`` and ``Z^T W y``. Adding
   ``alpha S`` to the slopes' diagonal gives ``Z~^T Z~`` for ``Z~ = [sqrt(W) Z;
   sqrt(alpha S) D]``, the matrix :class:`linreg.solvers.weighted.WeightedFactorization`
   factors by Householder QR; here its Cholesky factor is ``R`` (``R^T R`` the same
   matrix, up to rounding), and the moments give the first solve. The same pass
   records each block's column norms (for the kernel's grids) and the exact total
   weight ``S`` (:func:`exact_mass`).
2. **Refine** by the corrected seminormal equations, ``R^T R du = T^T (A^T W (y -
   A x) - alpha S D x)``, ``x <- x + T du``, whose right-hand side comes from one
   norm-sliced pass with row weights (:func:`linreg.solvers.kernels.seminormal_pass`:
   each ``w_i e_i`` by Dekker's TwoProduct, exact) and the penalty's exact terms
   (:func:`linreg.solvers.weighted.penalty_terms`), all summed exactly and rounded
   once. The fixed point is the exact minimiser, whatever the rounding of the Gram
   matrix or of ``m``: they only precondition.

The route is taken only where the unweighted one would be: a Cholesky factor that
exists, full rank, ``cond(Z~)^2 mu <= 2**26`` and a norm-sliced pass that carries
the bits the problem needs (:func:`solve_weighted_gram` returns None otherwise, and
the caller uses Householder QR, which reaches the same correctly rounded minimiser).
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import cholesky, solve_triangular

from linreg.solvers import compiled, gram_pass, kernels
from linreg.solvers import extended as ext
from linreg.solvers.factor import Centred, Rank, vector_norm
from linreg.solvers.moments import chunk_rows
from linreg.solvers.norm_sliced import BlockCuts
from linreg.solvers.refine import (
    Refined,
    StopRule,
    bits_needed,
    norm_sliced_levels,
    refine_by_passes,
    residual_norms,
)
from linreg.solvers.weighted import penalty_terms, weighted_shift
from linreg.validation import require_finite

__all__ = ["WeightedGramR", "exact_mass", "solve_weighted_gram"]

Array = NDArray[np.float64]
BlockSums = tuple[Array, Array, Array, float, float, Array, list[float]]


def exact_mass(w: Array) -> list[float]:
    """Floats whose exact sum is ``sum(w)`` (finite ``w``), by error-free slicing.

    Each round cuts what is left of ``w`` onto the grid ``g = 2**(e + L - 52)``
    (``2**e`` above its largest entry, ``L`` the bits of ``len(w)``): the slices are
    multiples of ``g`` below ``2**e``, so every partial sum of ``len(w)`` of them stays
    a multiple of ``g`` below ``2**52 g``, which float64 holds exactly in any order
    (NumPy's pairwise sum included); the rest, at most ``g / 2``, goes to the next
    round. ``52 - L`` bits a round: two or three rounds for one block of weights.

    Parameters
    ----------
    w : ndarray of shape (n,)
        Finite, below ``2**900`` in magnitude (the solver's weights are scaled below 1).

    Returns
    -------
    list of float
        The rounds' sums (``[0.0]`` for no or zero weights).
    """
    rest = np.array(w, dtype=np.float64)
    width = max(int(rest.shape[0]), 1).bit_length()
    parts: list[float] = []
    top = float(np.max(np.abs(rest))) if rest.size else 0.0
    while top > 0.0:
        grid = math.ldexp(1.0, max(math.frexp(top)[1] + width - 52, -1074))
        big = 1.5 * 2.0**52 * grid
        sliced = (rest + big) - big
        parts.append(float(np.sum(sliced)))
        rest -= sliced
        top = float(np.max(np.abs(rest)))
    return parts or [0.0]


def _compress(parts: list[float]) -> list[float]:
    """The same exact sum in few floats: the correctly rounded sum, then that of what
    is left, until nothing is (each ``math.fsum`` is exact about the terms given)."""
    out: list[float] = []
    terms = list(parts)
    while True:
        s = math.fsum(terms)
        if s == 0.0:
            return out or [0.0]
        out.append(s)
        terms.append(-s)


GramBlock = Callable[[Array, "Array | None", Array, Array, Array, Array], None]


def _gram_block() -> GramBlock | None:
    """``linreg_weighted_gram_block`` (``_kernels.c``): one sweep of a block for
    :meth:`WeightedGramR._block` (``out = sqrt(w) (X - o)``, ``root = sqrt(w)`` and the
    column sums of squares of ``X - o``); None where the extension is not built or is
    turned off (:func:`linreg.solvers.compiled.turned_off`)."""
    return None if compiled.turned_off() else _load_gram_block()


@functools.cache
def _load_gram_block() -> GramBlock | None:
    library = compiled.library()
    function = None if library is None else getattr(library, "linreg_weighted_gram_block", None)
    if function is None:
        return None
    p = ctypes.POINTER(ctypes.c_double)
    function.argtypes = [p, ctypes.c_int64, ctypes.c_int64, p, p, p, p, p]
    function.restype = None

    def run(
        X: Array, origin: Array | None, w: Array, out: Array, root: Array, sumsq: Array
    ) -> None:
        m, k = X.shape
        arrays = (X, origin, w, out, root, sumsq)
        ptr = [None if a is None else a.ctypes.data_as(p) for a in arrays]
        function(ptr[0], m, k, *ptr[1:])

    return run


class WeightedGramR(Centred):
    """``R`` of ``[sqrt(W) Z; sqrt(alpha S) D]`` as a Cholesky factor, from one pass.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    fit_intercept : bool
    w : ndarray of shape (n,) or None
        Weights ``>= 0`` (None: all 1, unweighted ridge).
    alpha : float or ndarray of shape (d,)
        The penalty, or one per slope.

    Attributes
    ----------
    mass : list of float
        Floats whose exact sum is ``S = sum(w)`` (``[n]`` without weights).
    weight_bits : float
        ``log2 max_j |X_j| / |sqrt(w) X_j|`` (``>= 0``; 0 without weights), from the
        block norms' bound on ``|X_j|`` (up to half a bit over): the bits the
        norm-sliced pass loses to weights below 1 (:func:`solve_weighted_gram`).

    Raises
    ------
    numpy.linalg.LinAlgError
        When the Gram matrix is not numerically positive definite or its sums
        overflow (finite data: the caller falls back to Householder QR).
    NonFiniteDataError
        When ``X`` or ``y`` holds NaN or infinite values.

    Notes
    -----
    Per block of ``k`` rows: ``B = X_k - 1 o^T``, about an origin ``o`` that is ``m``
    where some ``|m_j|`` exceeds its column's (sample) standard deviation and zero
    otherwise (no copy then); its column norms bound those of ``X_k`` by ``|B_j| +
    sqrt(k) |o_j|``; then ``B`` is scaled by ``sqrt(w)`` and ``B^T W B``, ``B^T w``,
    ``B^T W y``, ``w^T y`` and ``y^T W y`` are summed: by the compiled sweep of
    :func:`linreg.solvers.gram_pass.gram_sums` (register panels, one read of ``X``),
    or by one symmetric rank-k update (BLAS ``syrk``) and matrix-vector products per
    block (:meth:`_block`; designs over 64 columns, or no C kernel). With
    ``D = m - o`` and ``s = B^T w``,
    ``Z^T W Z = [[S, (s - S D)^T], [s - S D, B^T W B - D s^T - s D^T + S D D^T]]``
    (without intercept its lower block); ``alpha S`` joins the slopes' diagonal. It
    is exact but for the rounding of the sums, about ``n eps`` of it
    at worst (``rate_factor = sqrt(n)`` as for :class:`~linreg.solvers.factor.GramR`).
    """

    def __init__(
        self, X: Array, y: Array, fit_intercept: bool, w: Array | None, alpha: float | Array
    ) -> None:
        n, d = X.shape
        self.n, self.d, self.p = n, d, d + int(fit_intercept)
        self.k = min(n, self.p)
        self.fit_intercept = fit_intercept
        # One gather of weighted_shift's evenly spaced rows (strided reads are slow)
        # serves the shift and the spread.
        stride = max(1, n // 65536)
        sample = np.array(X[::stride])
        self.means = np.zeros(d)
        if fit_intercept:
            weights = None if w is None else w[::stride]
            usable = weights is None or bool(np.any(weights > 0.0))
            self.means = weighted_shift(sample, weights) if usable else weighted_shift(X, w)
        # The pass sums about the origin where every shift is within a standard deviation
        # of it (the sample's): then the shift costs at most a bit of the centred sums.
        far = bool(np.any(np.abs(self.means) > sample.std(axis=0)))
        self._origin = self.means if far else np.zeros(d)
        rows = min(n, chunk_rows(d))
        self.block_rows = rows
        with np.errstate(over="ignore", invalid="ignore"):
            gram_b, sx, xty, sy, yty, sumsq, mass = self._sums(X, y, w, rows)
            counts = np.minimum(rows, n - np.arange(0, n, rows))
            self.block_norms = np.sqrt(sumsq) * (1.0 + 2.0**-30) + np.outer(
                np.sqrt(counts), np.abs(self._origin)
            )
        self.mass = _compress(mass) if w is not None else [n]
        total = math.fsum(self.mass)
        self.weight_total = total
        self._y, self._w, self._y_norm = y, w, math.sqrt(max(yty, 0.0))
        alpha_s = np.asarray(alpha, dtype=np.float64) * total
        with np.errstate(over="ignore", invalid="ignore"):
            # From B = X - 1 o^T to Z's X - 1 m^T: subtract D = m - o (zero where o = m).
            D = self.means - self._origin
            gram_b = gram_b - np.outer(D, sx) - np.outer(sx, D) + total * np.outer(D, D)
            xty, sx = xty - D * sy, sx - total * D
            # |sqrt(w) X_j|^2 = sum w (x - m)^2 + 2 m sum w (x - m) + S m^2 (to rounding).
            weighted = np.diag(gram_b) + 2.0 * self.means * sx + total * self.means**2
            plain = np.sqrt(np.sum(self.block_norms**2, axis=0))
            ratio = np.where(plain > 0.0, plain / np.sqrt(np.maximum(weighted, 0.0)), 1.0)
            top = float(np.max(ratio, initial=1.0)) if w is not None else 1.0
            self.weight_bits = math.log2(top) if top < math.inf else math.inf
            lower = gram_b + np.diag(np.broadcast_to(alpha_s, (d,)))
            if fit_intercept:
                gram = np.empty((self.p, self.p))
                gram[0, 0], gram[0, 1:], gram[1:, 0], gram[1:, 1:] = total, sx, sx, lower
                zty = np.concatenate([[sy], xty])
            else:
                gram, zty = lower, xty
        finite = np.all(np.isfinite(gram)) and np.all(np.isfinite(zty))
        if not (finite and np.all(np.isfinite(self.block_norms))):
            require_finite(X, y)  # NaN and infinities reach the sums too
            raise np.linalg.LinAlgError("the weighted Gram matrix overflows")
        self.R = cholesky(gram, lower=False, check_finite=False)
        self.rate_factor = math.sqrt(n)
        u = solve_triangular(
            self.R, solve_triangular(self.R, zty, trans="T", check_finite=False), check_finite=False
        )
        self.start = self.t_apply(u)

    def _sums(self, X: Array, y: Array, w: Array | None, rows: int) -> gram_pass.GramSums:
        """The pass's sums (:class:`linreg.solvers.gram_pass.GramSums`), by the compiled
        sweep where it takes ``X``, else by NumPy a block at a time (:meth:`_block`)."""
        origin = self._origin if np.any(self._origin) else None
        if gram_pass.available(X):
            return gram_pass.gram_sums(X, y, rows, origin, 0.0, w)
        sums = ext.map_chunks(
            lambda s, scratch: self._block(X, y, w, s, scratch),
            self.n,
            rows,
            lambda: np.empty((rows, self.d)),
        )
        return gram_pass.GramSums(
            np.sum([part[0] for part in sums], axis=0),
            np.sum([part[1] for part in sums], axis=0),
            np.sum([part[2] for part in sums], axis=0),
            math.fsum(part[3] for part in sums),
            math.fsum(part[4] for part in sums),
            np.array([part[5] for part in sums]),
            [t for part in sums for t in part[6]],
        )

    def _block(self, X: Array, y: Array, w: Array | None, s: int, scratch: Array) -> BlockSums:
        """One block's ``B^T W B``, ``B^T w``, ``B^T W y``, ``w^T y``, ``y^T W y``, the
        column sums of squares of ``B`` and the exact parts of ``sum(w)``, for
        ``B = X - 1 o^T`` (``o`` the pass's origin: ``X`` itself where it is zero)."""
        e = min(self.n, s + scratch.shape[0])
        B, yb = X[s:e], y[s:e]
        origin = self._origin if np.any(self._origin) else None
        if w is None:
            if origin is not None:
                B = np.subtract(B, origin, out=scratch[: e - s])
            gram = B.T @ B
            sums = (B.sum(axis=0), yb @ B, float(np.sum(yb)), float(yb @ yb), np.diag(gram))
            return gram, *sums, []
        block = _gram_block()
        if block is not None and B.flags.c_contiguous and B.dtype == np.float64:
            root, sumsq = np.empty(e - s), np.zeros(self.d)
            block(B, origin, np.ascontiguousarray(w[s:e]), scratch[: e - s], root, sumsq)
            B = scratch[: e - s]
        else:  # the same sums in NumPy
            if origin is not None:
                B = np.subtract(B, origin, out=scratch[: e - s])
            sumsq = np.einsum("ij,ij->j", B, B)
            root = np.sqrt(w[s:e])
            B = np.multiply(B, root[:, None], out=scratch[: e - s])
        v = root * yb
        return B.T @ B, root @ B, v @ B, float(root @ v), float(v @ v), sumsq, exact_mass(w[s:e])

    def target_norm(self, y: Array) -> float:
        """``|sqrt(w) y|`` (from the pass when ``y`` is the target it was given)."""
        if y is self._y:
            return self._y_norm
        return vector_norm(y if self._w is None else np.sqrt(self._w) * y)


def solve_weighted_gram(
    X: Array,
    y: Array,
    w: Array | None,
    alpha: float | Array,
    gram: WeightedGramR,
    rank: Rank,
) -> Refined | None:
    """Refine the Gram pass's first solve to the minimiser by seminormal corrections.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    w : ndarray of shape (n,) or None
        The weights (None: all 1).
    alpha : float or ndarray of shape (d,)
    gram : WeightedGramR
        Of full rank, with ``cond^2 mu`` within the seminormal limit (the caller's check).
    rank : Rank
        Its rank analysis (the condition number).

    Notes
    -----
    The kernel rounds a column's sum at a fraction of ``|X_j| |W e|`` (its grids come
    from the plain column norms), where the rule of
    :func:`linreg.solvers.refine.bits_needed` speaks of the weighted norms: the pass
    must carry ``log2 max_j |X_j| / |sqrt(w) X_j|`` bits more (``weight_bits``, about
    one for the benchmark's weights, more where most rows weigh next to nothing).

    Returns
    -------
    Refined or None
        The refined solution, with ``sum(w r^2)`` (no penalty) at the last pass's
        iterate as ``rss``; None where one or two norm-sliced levels do not carry
        the bits the problem needs, where a pass is not finite (data near overflow)
        or where the refinement does not converge: then Householder QR decides.
    """
    x = gram.start
    assert x is not None
    assert gram.block_norms is not None
    y_norm, r_norm = residual_norms(gram, y, x)
    need_f, need_g = bits_needed(gram, x, rank.condition, y_norm, r_norm)
    levels = norm_sliced_levels((need_f, need_g + gram.weight_bits), gram.d, gram.block_rows)
    if levels == 0:
        return None
    norms, rows, off = gram.block_norms, gram.block_rows, int(gram.fit_intercept)
    shift = gram.means if gram.fit_intercept else None
    penalized = bool(np.any(np.asarray(alpha) > 0.0))

    def rhs_pass(x: Array) -> tuple[Array, float | None]:
        b, slopes = (float(x[0]), x[1:]) if off else (0.0, x)
        cuts = BlockCuts.of(norms, b, slopes, levels=levels, rows=rows)
        parts = kernels.seminormal_pass(X, y, cuts, w)
        cols = [t for part in parts for t in part[0]]
        ones = [t for part in parts for t in part[1]] if off else []
        penalty: Sequence[Array] = ()
        if penalized:
            with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                penalty = [-row for row in penalty_terms(alpha, gram.mass, slopes)]
        rhs = ext.centred_sum(ones, cols, shift, centred_cols=penalty)
        return rhs, math.fsum(part[2] for part in parts)

    out = refine_by_passes(gram, x, StopRule(gram, x, rank.condition, True), rhs_pass)
    if not (out.finite and out.converged):
        return None
    return Refined(out.x, out.steps, out.converged, out.rss)
