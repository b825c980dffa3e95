"""The exact least-squares solver: Householder QR plus extended-precision refinement.

``lstsq(X, y)`` returns the least-squares coefficients of ``y ~ b + X w`` correct to
(nearly) the last bit of float64, as if the problem had been solved exactly for the
data as float64 holds them.  On the NIST StRD linear least-squares datasets it
reaches the "float64 limit" of every problem (see :mod:`linreg.nist`).

The algorithm
-------------
1. **Precondition.**  Copy the design once, with its columns centred when an
   intercept is fitted: ``Z = [1, X - 1 m^T]`` (``m`` the column means), then
   factor ``Z = Q R`` by Householder QR in LAPACK (``dgeqrf``; ``Q`` stays in its
   compact reflector form and is applied with ``dormqr``).  Centring removes the
   offsets that make data such as Longley, Wampler and Filip ill-conditioned; the
   Householder factorisation is column-scaling invariant, so the columns need no
   explicit scaling, and the norms of the columns of ``R`` (equal to those of
   ``Z``) are used wherever a scale is needed.
2. **Refine against the original problem.**  Centring itself rounds, so the QR
   solution is only a first guess.  The solution ``x = (b, w)`` and the residual
   ``r`` are refined together on Björck's augmented system for the *original*,
   uncentred design ``A = [1 X]``::

       [ I    A ] [r]   [y]
       [ A^T  0 ] [x] = [c]      (c = 0 for least squares)

   Each step computes, in extended precision, ``f = y - r - A x`` and
   ``g = c - A^T r``, and solves the correction equations with the QR factors of
   ``Z = A T`` (``T`` the unit upper-triangular centring map), which act as a
   preconditioner only: the refinement converges to the solution of the original
   problem whatever rounding the centring did.
3. **Stop** when the correction is at rounding level, when the correction rate
   predicts the next one would be, when it stops shrinking (by a factor of 2), or
   after ten steps.

Extended precision: error-free splitting
----------------------------------------
``A x`` and ``A^T r`` are computed with Ozaki's error-free splitting: the matrix
and the vector are cut into *slices* whose entries have so few significant bits
(about 22 for the row products, 17-27 for the column sums, depending on the
length of the sums) that every product of two slices, and every sum of such
products, is exact in float64.  The exact slice products are then formed by
ordinary BLAS matrix-vector products (fast), accumulated as double-double with
TwoSum, and only the tiny remainder terms are rounded.  Each extra level of
slicing buys 17-27 more bits; the number of levels is chosen from the condition
number of the preconditioned problem and the cancellation in ``A x`` (at least
two levels, four or more for problems small enough that cost does not matter),
so the residuals always carry more than the 53 + log2(cond^2) bits the
refinement needs.

Measured on this project's reference machine (2-core AMD EPYC, OpenBLAS), for the
two fused kernels ``f`` and ``g`` over a 2,000,000 x 16 design:

* Dekker/Veltkamp TwoProduct + vectorised TwoSum trees (classic double-double,
  about 106 bits): 1.25 s per refinement step.
* ``np.longdouble`` (x87 80-bit, 64-bit significand): 0.44 s per step, but only
  11 bits more than float64; on a residual with total cancellation it was wrong
  in the second digit (relative error 5e-2) where double-double was exact.  Too
  little for Filip (scaled condition number 4e9).
* Error-free splitting with BLAS (this module): 0.2-0.3 s per step with one
  level, 70-77 bits, and every extra level adds about 20 bits for a fraction of
  the cost; with four levels the residuals agree with exact rational arithmetic
  to better than 1e-30 relative to the largest term.

So ``np.longdouble`` is neither accurate enough nor fast enough; the splitting
scheme is both the most accurate and the fastest.

Cost and memory
---------------
One float64 copy of the design, ``n x (d + 1)`` (the centred matrix that the QR
factorisation overwrites); the extended-precision kernels work through ``X`` in
row chunks of about 2 MiB, so their temporaries stay small.  The time is one QR
factorisation plus, per refinement step, one fused pass of the kernels over
``X`` and one or two applications of ``Q``: on 2,000,000 x 16 data it is faster
than ``numpy.linalg.lstsq`` (which computes an SVD-based solution after the same
QR).

Rank deficiency
---------------
A column is linearly dependent when its distance from the span of the previous
columns, ``|R_jj|``, is at most ``max(n, p) * eps`` times its norm (times the
digits lost to centring, for columns with a large mean), or when it is
numerically constant.  Then, or when the singular values of the column-normalised
``R`` reveal a rank drop, a :class:`~linreg.errors.RankDeficiencyWarning` names
the dependent columns and the minimum-norm solution of the centred problem is
returned (from an SVD of ``R``), without refinement.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import lapack, solve_triangular

from linreg.errors import RankDeficiencyWarning

__all__ = [
    "LstsqResult",
    "inverse_gram",
    "lstsq",
    "residuals",
    "solve",
    "sum_k",
    "two_product",
    "two_sum",
]

Array = NDArray[np.float64]

#: Machine epsilon of float64, 2**-52 (the spacing of floats just above 1).
_EPS: Final = 2.0**-52
#: Unit roundoff of float64, 2**-53.
_U: Final = 2.0**-53
#: Veltkamp's splitting constant 2**27 + 1: it cuts a double into two 26-bit halves.
_SPLITTER: Final = 134217729.0
#: Elements of X per chunk of the extended-precision kernels (2 MiB of float64).
_CHUNK_ELEMENTS: Final = 1 << 18
#: Refinement steps at most.
_MAX_REFINEMENTS: Final = 10
#: Problems with at most this many design entries always get the full precision.
_SMALL_PROBLEM: Final = 1 << 16
#: Most slicing levels used by the kernels (well beyond double-double).
_MAX_LEVELS: Final = 6


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


def _pow2_exponents(a: Array) -> NDArray[np.int32]:
    """Exponents ``e`` with ``|a| < 2**e`` (``frexp``'s; 0 for zeros)."""
    return np.frexp(a)[1]


def _slices(a: Array, sigma: Array, levels: int, shrink: float) -> tuple[list[Array], Array]:
    """Cut ``a`` into ``levels`` exact slices and a remainder, ``a = sum(slices) + rest``.

    ``sigma`` broadcasts against ``a``; each level divides it by ``shrink``.
    """
    out: list[Array] = []
    rest = a
    for _ in range(levels):
        piece = (rest + sigma) - sigma
        rest = rest - piece
        out.append(piece)
        sigma = sigma * shrink
    return out, rest


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
    ``g ~ 2 n 2**-53`` for ``n`` terms: correctly rounded unless more than about
    ``53 (k - 1)`` bits cancel.
    """
    p = list(terms)
    for _ in range(k - 1):
        for i in range(1, len(p)):
            p[i], p[i - 1] = two_sum(p[i], p[i - 1])
    total = p[0]
    for term in p[1:-1]:
        total = total + term
    return total + p[-1] if len(p) > 1 else total


def _sum_passes(levels: int, bits_per_level: int) -> int:
    """SumK's ``k`` that keeps the bits the slices carry (``53 + levels * bits``)."""
    return max(2, math.ceil((53 + levels * bits_per_level) / 53))


def _matvec_terms(M: Array, v: Array, levels: int) -> list[Array]:
    """``M @ v`` as a list of vectors whose sum is ``M @ v`` to high accuracy.

    Parameters
    ----------
    M : ndarray of shape (m, k)
        A chunk of the design (any memory layout).
    v : ndarray of shape (k,)
        The vector.
    levels : int
        Slicing levels ``L``.

    Returns
    -------
    list of ndarray of shape (m,)
        ``L (L + 1) / 2`` exact products of slices, then one rounded tail whose
        error is about ``2**-(53 + L * slice_bits(k))`` of the row's magnitude.

    Notes
    -----
    Scale the columns by powers of two so that ``v``'s entries lie in
    ``[1/2, 1)`` (then each row's bound tracks its largest product), cut the rows
    of ``M`` at ``sigma_i = 2**(e_i + rho)`` with ``2**e_i`` above the row's sum of
    magnitudes, and cut ``v`` at ``2**rho``.  Products of slices ``a + b <= L - 1``
    are exact BLAS products; the rest carry only ``2**-(L * slice_bits)`` of the
    magnitude and are rounded.
    """
    k = M.shape[1]
    rho = _rho(k)
    shrink = math.ldexp(1.0, rho - 53)
    mant, ev = np.frexp(v)
    Ms = M * np.ldexp(1.0, ev)
    bound = np.abs(Ms) @ np.ones(k)
    sigma = np.ldexp(1.0, _pow2_exponents(bound) + rho)[:, None]
    m_slices, m_rest = _slices(Ms, sigma, levels, shrink)
    v_slices, v_rests = _vector_slices(mant, levels, rho)
    terms = [m_slices[a] @ v_slices[b] for a in range(levels) for b in range(levels - a)]
    tail = m_rest @ mant
    for a in range(levels):
        tail = tail + m_slices[a] @ v_rests[levels - a]
    terms.append(tail)
    return terms


def _column_max(A: Array) -> Array:
    """``A.max(axis=0)`` by a halving tree (several times faster for tall ``A``)."""
    B = A
    while B.shape[0] > 1:
        h = B.shape[0] // 2
        C = np.maximum(B[:h], B[h : 2 * h])
        if B.shape[0] % 2:
            np.maximum(C[0], B[2 * h], out=C[0])
        B = C
    return B[0]


def _rmatvec_terms(M: Array, v: Array, levels: int) -> list[Array]:
    """``M.T @ v`` (column sums of ``M * v[:, None]``) as a list of vectors.

    Parameters
    ----------
    M : ndarray of shape (m, k)
        A chunk of the design.
    v : ndarray of shape (m,)
        The residual on those rows.
    levels : int
        Slicing levels (``slice_bits(m)`` bits each).

    Returns
    -------
    list of ndarray of shape (k,)
        Exact slice products, then the rounded tail.

    Notes
    -----
    The mirror image of :func:`_matvec_terms`: rows are scaled by powers of two so
    that ``v``'s entries lie in ``[1/2, 1)``, columns are cut at
    ``2**(e_j + rho(m))`` with ``2**e_j`` above the column's largest magnitude.
    """
    m = M.shape[0]
    rho = _rho(m)
    shrink = math.ldexp(1.0, rho - 53)
    mant, ev = np.frexp(v)
    Ms = M * np.ldexp(1.0, ev)[:, None]
    top = _column_max(np.abs(Ms))
    sigma = np.ldexp(1.0, _pow2_exponents(top) + rho)[None, :]
    m_slices, m_rest = _slices(Ms, sigma, levels, shrink)
    v_slices, v_rests = _vector_slices(mant, levels, rho)
    terms = [v_slices[b] @ m_slices[a] for a in range(levels) for b in range(levels - a)]
    tail = mant @ m_rest
    for a in range(levels):
        tail = tail + v_rests[levels - a] @ m_slices[a]
    terms.append(tail)
    return terms


def _sum_terms(v: Array, levels: int) -> list[float]:
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
# The design and its extended-precision residuals
# ---------------------------------------------------------------------------


class _Design:
    """The original design ``A = [1 X]`` (or ``X``), ``X = X_hi + X_lo`` exactly.

    Computes the two residuals of the augmented system in extended precision.
    """

    def __init__(self, X: Array, X_lo: Array | None, fit_intercept: bool) -> None:
        self.X = X
        self.X_lo = X_lo
        self.fit_intercept = fit_intercept
        self.n, self.d = X.shape
        self.p = self.d + int(fit_intercept)
        self.chunk = max(256, _CHUNK_ELEMENTS // max(self.d, 1))

    def _split_x(self, x: Array) -> tuple[float, Array]:
        if self.fit_intercept:
            return float(x[0]), x[1:]
        return 0.0, x

    def residual(self, y: Array, r: Array, x: Array, levels: int) -> Array:
        """``f = y - r - A x``, as if computed in ``k``-fold precision and rounded.

        Parameters
        ----------
        y, r : ndarray of shape (n,)
        x : ndarray of shape (p,)
        levels : int
            Slicing levels of the row products (``k`` follows from them).

        Returns
        -------
        ndarray of shape (n,)
        """
        b, w = self._split_x(x)
        n, step = self.n, self.chunk
        passes = _sum_passes(levels, slice_bits(max(self.d, 1)))
        f = np.empty(n)
        for s in range(0, n, step):
            e = min(n, s + step)
            terms = [y[s:e], -r[s:e], np.full(e - s, -b)]
            if self.d:
                prods = _matvec_terms(self.X[s:e], w, levels)
                if self.X_lo is not None:
                    prods[-1] = prods[-1] + self.X_lo[s:e] @ w
                terms.extend(-t for t in prods)
            f[s:e] = sum_k(terms, passes)
        return f

    def gradient(self, c: Array, r: Array, levels: int) -> Array:
        """``g = c - A^T r`` in extended precision.

        Parameters
        ----------
        c : ndarray of shape (p,)
        r : ndarray of shape (n,)
        levels : int
            Slicing levels of the column sums.

        Returns
        -------
        ndarray of shape (p,)
        """
        n, step, off = self.n, self.chunk, int(self.fit_intercept)
        passes = _sum_passes(levels, slice_bits(min(step, n)))
        ones_terms: list[float] = []
        x_terms: list[Array] = []
        for s in range(0, n, step):
            e = min(n, s + step)
            rs = r[s:e]
            if off:
                ones_terms.extend(_sum_terms(rs, levels))
            if self.d:
                prods = _rmatvec_terms(self.X[s:e], rs, levels)
                if self.X_lo is not None:
                    prods[-1] = prods[-1] + rs @ self.X_lo[s:e]
                x_terms.extend(prods)
        g = np.empty(self.p)
        if off:
            column = [np.array([c[0]])] + [np.array([-t]) for t in ones_terms]
            g[0] = sum_k(column, passes)[0]
        if self.d:
            g[off:] = sum_k([c[off:]] + [-t for t in x_terms], passes)
        return g


# ---------------------------------------------------------------------------
# The preconditioner: Householder QR of the centred design
# ---------------------------------------------------------------------------


class _Factorization:
    """``Z = [1, X - 1 m^T] = Q R`` (or ``Z = X``), with ``Z = A T`` exactly in theory.

    ``T = [[1, -m^T], [0, I]]`` maps centred coefficients ``u`` to original
    ones ``x = T u``.
    """

    def __init__(self, X: Array, fit_intercept: bool) -> None:
        n, d = X.shape
        p = d + int(fit_intercept)
        self.n, self.d, self.p = n, d, p
        self.fit_intercept = fit_intercept
        # Column means by a BLAS product with ones: the shift only conditions the
        # preconditioner, so its own rounding does not matter.
        means = (np.ones(n) @ X) / n if fit_intercept and n else np.zeros(d)
        self.means: Array = np.asarray(means, dtype=np.float64)
        Z = np.empty((n, p), order="F")
        step = max(256, _CHUNK_ELEMENTS // max(p, 1))
        if fit_intercept:
            Z[:, 0] = 1.0
            for s in range(0, n, step):
                np.subtract(X[s : s + step], self.means, out=Z[s : s + step, 1:])
        else:
            for s in range(0, n, step):
                Z[s : s + step] = X[s : s + step]
        lwork = max(1, int(lapack.dgeqrf_lwork(n, p)[0])) if n and p else 1
        qr, tau, _, info = lapack.dgeqrf(Z, lwork=lwork, overwrite_a=1)
        if info != 0:  # pragma: no cover - LAPACK argument errors only
            raise RuntimeError(f"dgeqrf failed with info={info}")
        self.k = min(n, p)
        self.qr: Array = qr
        self.tau: Array = tau
        self.R: Array = np.triu(qr[: self.k, :])
        self._lwork_c = self._query_ormqr()

    def _query_ormqr(self) -> int:
        if self.k == 0:
            return 1
        c = np.zeros((self.n, 1), order="F")
        _, work, _ = lapack.dormqr("L", "T", self.qr[:, : self.k], self.tau, c, lwork=-1)
        return max(1, int(work[0]))

    def qt(self, v: Array) -> Array:
        """``Q^T v`` for a full ``n``-vector (all ``n`` components)."""
        c = np.asfortranarray(v.reshape(-1, 1)).copy(order="F")
        out, _, info = lapack.dormqr(
            "L", "T", self.qr[:, : self.k], self.tau, c, lwork=self._lwork_c, overwrite_c=1
        )
        if info != 0:  # pragma: no cover
            raise RuntimeError(f"dormqr failed with info={info}")
        return np.asarray(out[:, 0])

    def q(self, v: Array) -> Array:
        """``Q v`` for a full ``n``-vector."""
        c = np.asfortranarray(v.reshape(-1, 1)).copy(order="F")
        out, _, info = lapack.dormqr(
            "L", "N", self.qr[:, : self.k], self.tau, c, lwork=self._lwork_c, overwrite_c=1
        )
        if info != 0:  # pragma: no cover
            raise RuntimeError(f"dormqr failed with info={info}")
        return np.asarray(out[:, 0])

    def t_apply(self, u: Array) -> Array:
        """``x = T u``: centred coefficients to original ones."""
        if not self.fit_intercept:
            return u.copy()
        x = u.copy()
        x[0] = u[0] - float(self.means @ u[1:])
        return x

    def t_transpose(self, g: Array) -> Array:
        """``T^T g``: the gradient side of the correction equations."""
        if not self.fit_intercept:
            return g.copy()
        out = g.copy()
        out[1:] = g[1:] - self.means * g[0]
        return out

    def correction(self, f: Array, g: Array, f_is_zero: bool = False) -> tuple[Array, Array]:
        """Solve the correction equations ``[I Z; Z^T 0][dr; du] = [f; T^T g]``.

        Returns ``dx = T du`` and the vector ``v`` with ``dr = Q v`` (Björck's
        ``v = [h; (Q^T f)_{p:}]``, ``h = R^{-T} T^T g``).
        """
        p = self.p
        h = solve_triangular(self.R, self.t_transpose(g), trans="T", check_finite=False)
        v = np.zeros(self.n) if f_is_zero else self.qt(f)
        du = solve_triangular(self.R, v[:p] - h, check_finite=False)
        v[:p] = h
        return self.t_apply(du), v


# ---------------------------------------------------------------------------
# Rank
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rank:
    rank: int
    dependent: tuple[int, ...]  # indices into Z's columns
    condition: float


def _rank(fac: _Factorization, column_norms_uncentred: Array) -> _Rank:
    """Numerical rank of ``Z`` from its ``R`` factor.

    A column is dependent when it is numerically constant (centring left less
    than ``tol`` of it), or when ``|R_jj|`` (its distance from the span of the
    previous columns) is at most ``tol_j`` of its norm, ``tol = max(n, p) eps``
    and ``tol_j = tol * max(1, |Z_j|_uncentred / |Z_j|)`` (a column centred from a
    large mean carries correspondingly more rounding).  The singular values of
    the column-normalised ``R`` back this up: if they reveal a smaller rank than
    the diagonal does, a pivoted QR of ``R`` names the columns.
    """
    n, p, k = fac.n, fac.p, fac.k
    R = fac.R
    tol = max(n, p) * _EPS
    norms = np.sqrt(np.einsum("ij,ij->j", R, R)) if k else np.zeros(p)
    dependent: list[int] = []
    for j in range(p):
        full = column_norms_uncentred[j]
        if norms[j] == 0.0 or norms[j] <= tol * full or j >= k:
            dependent.append(j)
            continue
        tol_j = tol * max(1.0, full / norms[j])
        if abs(R[j, j]) <= tol_j * norms[j]:
            dependent.append(j)
    keep = [j for j in range(p) if j not in dependent]
    if not keep:
        return _Rank(0, tuple(dependent), math.inf)
    Rn = R[:, keep] / norms[keep]
    sv = np.linalg.svd(Rn, compute_uv=False)
    condition = float(sv[0] / sv[-1]) if sv[-1] > 0 else math.inf
    rank = int(np.sum(sv > tol * sv[0]))
    if rank < len(keep):
        _, _, piv = _pivoted_qr(Rn)
        dependent.extend(keep[int(i)] for i in piv[rank:])
        keep = [j for j in range(p) if j not in dependent]
        sv = np.linalg.svd(R[:, keep] / norms[keep], compute_uv=False)
        condition = float(sv[0] / sv[-1])
    return _Rank(len(keep), tuple(sorted(dependent)), condition)


def _pivoted_qr(A: Array) -> tuple[Array, Array, NDArray[np.int32]]:
    qr, jpvt, tau, _, info = lapack.dgeqp3(np.asfortranarray(A))
    if info != 0:  # pragma: no cover
        raise RuntimeError(f"dgeqp3 failed with info={info}")
    return qr, tau, np.asarray(jpvt) - 1


# ---------------------------------------------------------------------------
# Refinement
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Refined:
    x: Array
    steps: int
    converged: bool


def _levels(bits_needed: float, bits_per_level: int, loss: float, small: bool) -> int:
    """Slicing levels that give ``bits_needed`` bits beyond float64's 53."""
    if small:
        return _MAX_LEVELS
    need = max(bits_needed - 53.0 + loss, 1.0)
    return int(min(_MAX_LEVELS, max(2, math.ceil(need / bits_per_level))))


def _refine(
    design: _Design,
    fac: _Factorization,
    y: Array | None,
    c: Array | None,
    condition: float,
) -> _Refined:
    """Björck's iterative refinement of the augmented system (see module docstring)."""
    n, p = design.n, design.p
    y_arr = np.zeros(n) if y is None else y
    c_arr = np.zeros(p) if c is None else c
    # Initial solve from x = 0, r = 0: f = y and g = c hold exactly.
    dx, v = fac.correction(y_arr, c_arr, f_is_zero=y is None)
    x = dx
    r = fac.q(v)
    levels_f, levels_g = _choose_levels(design, fac, y_arr, x, condition)
    delta_prev = 1.0
    steps = 0
    converged = False
    while steps < _MAX_REFINEMENTS:
        f = design.residual(y_arr, r, x, levels_f)
        g = design.gradient(c_arr, r, levels_g)
        if not f.any() and not g.any():
            converged = True
            break
        dx, v = fac.correction(f, g)
        steps += 1
        x_new = x + dx
        scale = np.maximum(np.abs(x), np.abs(x_new))
        nz = scale > 0.0
        delta = float(np.max(np.abs(dx[nz]) / scale[nz])) if nz.any() else 0.0
        if delta > delta_prev:
            # Diverging: keep the previous iterate.
            break
        x = x_new
        if delta <= _EPS or delta * delta <= _U * delta_prev:
            converged = True
            break
        if delta > 0.5 * delta_prev:
            converged = delta <= 2.0**-40
            break
        r = r + fac.q(v)
        delta_prev = delta
    return _Refined(x, steps, converged)


def _choose_levels(
    design: _Design, fac: _Factorization, y: Array, x: Array, condition: float
) -> tuple[int, int]:
    """Slicing levels for the row products (``f``) and the column sums (``g``).

    The refinement reaches full accuracy when ``f`` is good to about
    ``eps / (cond * gamma)`` and ``g`` to ``eps / cond**2`` of their magnitudes,
    ``gamma`` being the cancellation in ``A x`` (sum of the magnitudes of its
    terms over ``|y|``).  Ask for those bits plus a 12-bit margin.
    """
    n, d = design.n, design.d
    small = n * max(design.p, 1) <= _SMALL_PROBLEM
    log_cond = math.log2(max(condition, 1.0)) if math.isfinite(condition) else 53.0
    b, w = design._split_x(x)
    col = np.sqrt(np.einsum("ij,ij->j", fac.R, fac.R))
    off = int(design.fit_intercept)
    # Uncentred column norms: centred norm^2 + n * mean^2.
    full = np.sqrt(col[off:] ** 2 + n * fac.means**2) if d else np.zeros(0)
    terms = float(np.abs(w) @ full) + math.sqrt(n) * abs(b)
    ynorm = float(np.linalg.norm(y))
    gamma = terms / ynorm if ynorm > 0 else 1.0
    log_gamma = math.log2(max(gamma, 1.0))
    need = 53.0 + 2.0 * log_cond + log_gamma + 12.0
    levels_f = _levels(need, slice_bits(max(d, 1)), math.log2(max(d, 1)), small)
    m = min(n, design.chunk)
    levels_g = _levels(need, slice_bits(m), 0.5 * math.log2(max(m, 1)), small)
    return levels_f, levels_g


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LstsqResult:
    """The least-squares solution and what inference needs of the factorisation.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        Slopes ``w``.
    intercept : float
        Intercept ``b`` (0.0 when ``fit_intercept=False``).
    rank : int
        Numerical rank of the centred design ``Z`` (intercept column included).
    dependent_columns : tuple of int
        Indices of the columns of ``X`` found linearly dependent on the others
        (empty when full rank).
    n_refinements : int
        Refinement steps taken after the initial QR solve (0 when rank deficient).
    converged : bool
        Whether the refinement ended with a correction at rounding level.
    r_factor : ndarray of shape (min(n, p), p)
        ``R`` of the Householder QR of ``Z = [1, X - 1 m^T]`` (intercept column
        first) or of ``Z = X`` without intercept; ``p = n_features + fit_intercept``.
    column_means : ndarray of shape (n_features,)
        The shifts ``m`` used for centring (zeros without intercept).
    condition_number : float
        2-norm condition number of ``Z`` with its columns scaled to unit norm
        (over the independent columns).
    fit_intercept : bool
        Whether an intercept was fitted.
    n_samples : int
        Number of rows ``n``.
    """

    coef: Array
    intercept: float
    rank: int
    dependent_columns: tuple[int, ...]
    n_refinements: int
    converged: bool
    r_factor: Array
    column_means: Array
    condition_number: float
    fit_intercept: bool
    n_samples: int

    @property
    def params(self) -> Array:
        """``x = (b, w)``, or ``w`` without intercept: shape (p,)."""
        if self.fit_intercept:
            return np.concatenate([[self.intercept], self.coef])
        return self.coef.copy()

    def unscaled_covariance(self) -> Array:
        """``(A^T A)^{-1}`` for ``A = [1 X]`` (or ``X``), from the ``R`` factor.

        Returns
        -------
        ndarray of shape (p, p)
            Intercept first.  Multiply by ``sigma^2`` for the covariance of the
            estimates.

        Notes
        -----
        ``A = Z T^{-1}`` with ``T = [[1, -m^T], [0, I]]``, so
        ``(A^T A)^{-1} = (T R^{-1}) (T R^{-1})^T``.  Its relative accuracy is about
        ``cond(Z)**2 * eps``; :func:`inverse_gram` refines it to full accuracy.
        A pseudo-inverse is used when the design is rank deficient.
        """
        R = self.r_factor
        p = R.shape[1]
        if self.rank == p and R.shape[0] == p:
            Rinv = solve_triangular(R, np.eye(p), check_finite=False)
        else:
            Rinv = np.linalg.pinv(R)
        M = Rinv.copy()
        if self.fit_intercept:
            M[0] = Rinv[0] - self.column_means @ Rinv[1:]
        return np.asarray(M @ M.T)


def _as_design(X: Array, y: Array | None, X_lo: Array | None) -> tuple[Array, Array | None]:
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}")
    if y is not None and y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
    if X_lo is not None and X_lo.shape != X.shape:
        raise ValueError(f"X_lo must have the shape of X {X.shape}, got {X_lo.shape}")
    if X.shape[0] == 0:
        raise ValueError("X has no rows")
    return X, X_lo


def _uncentred_norms(fac: _Factorization) -> Array:
    col = np.sqrt(np.einsum("ij,ij->j", fac.R, fac.R)) if fac.k else np.zeros(fac.p)
    if not fac.fit_intercept:
        return col
    full = col.copy()
    full[1:] = np.sqrt(col[1:] ** 2 + fac.n * fac.means**2)
    return full


def lstsq(
    X: Array,
    y: Array,
    *,
    fit_intercept: bool = True,
    X_lo: Array | None = None,
) -> LstsqResult:
    """Least squares ``min ||y - b - X w||`` correct to the last bits of float64.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite float64 design, C- or F-contiguous; not modified.
    y : ndarray of shape (n_samples,)
        Finite float64 targets; not modified.
    fit_intercept : bool, default True
        Fit ``b``; otherwise the model is ``y ~ X w``.
    X_lo : ndarray of shape (n_samples, n_features), optional
        Low-order parts of a design held in double-double, ``X + X_lo``
        (e.g. powers of ``x`` formed exactly); the refinement then solves the
        problem for ``X + X_lo`` while ``X`` alone builds the preconditioner.

    Returns
    -------
    LstsqResult

    Warns
    -----
    RankDeficiencyWarning
        When some columns are linearly dependent (or ``n < p``); the minimum-norm
        solution of the centred problem is returned.

    Notes
    -----
    With ``A = [1 X]`` and ``x = (b, w)`` the solution satisfies the normal
    equations ``A^T (y - A x) = 0``.  It is computed by Householder QR of the
    centred design followed by Björck's refinement of
    ``[I A; A^T 0][r; x] = [y; 0]`` with extended-precision residuals; see the
    module docstring.
    """
    result = solve(X, y, fit_intercept=fit_intercept, X_lo=X_lo)
    p = result.r_factor.shape[1]
    if result.rank < p:
        _warn_rank(result.dependent_columns, result.n_samples, p)
    return result


def solve(
    X: Array,
    y: Array,
    *,
    fit_intercept: bool = True,
    X_lo: Array | None = None,
) -> LstsqResult:
    """:func:`lstsq` without the warning: callers check ``rank`` themselves.

    Parameters and return value as for :func:`lstsq`.
    """
    X, X_lo = _as_design(X, y, X_lo)
    n, d = X.shape
    p = d + int(fit_intercept)
    if p == 0:
        return LstsqResult(
            coef=np.zeros(0),
            intercept=0.0,
            rank=0,
            dependent_columns=(),
            n_refinements=0,
            converged=True,
            r_factor=np.zeros((0, 0)),
            column_means=np.zeros(0),
            condition_number=1.0,
            fit_intercept=False,
            n_samples=n,
        )
    fac = _Factorization(X, fit_intercept)
    rk = _rank(fac, _uncentred_norms(fac))
    off = int(fit_intercept)
    if rk.rank < p:
        dep = tuple(j - off for j in rk.dependent if j >= off)
        x = _min_norm(fac, y, rk.rank)
        return _result(x, fac, rk, dep, 0, False)
    design = _Design(X, X_lo, fit_intercept)
    ref = _refine(design, fac, y, None, rk.condition)
    return _result(ref.x, fac, rk, (), ref.steps, ref.converged)


def _warn_rank(dep: tuple[int, ...], n: int, p: int) -> None:
    extra = f" (only {n} rows for {p} parameters)" if n < p else ""
    warnings.warn(
        f"columns {list(dep)} are linearly dependent on the others{extra}; "
        "returning the minimum-norm solution",
        RankDeficiencyWarning,
        stacklevel=3,
    )


def _result(
    x: Array,
    fac: _Factorization,
    rk: _Rank,
    dep: tuple[int, ...],
    steps: int,
    converged: bool,
) -> LstsqResult:
    off = int(fac.fit_intercept)
    return LstsqResult(
        coef=np.array(x[off:], dtype=np.float64),
        intercept=float(x[0]) if off else 0.0,
        rank=rk.rank,
        dependent_columns=dep,
        n_refinements=steps,
        converged=converged,
        r_factor=fac.R,
        column_means=fac.means,
        condition_number=rk.condition,
        fit_intercept=fac.fit_intercept,
        n_samples=fac.n,
    )


def _min_norm(fac: _Factorization, y: Array, rank: int) -> Array:
    """Minimum-norm solution of the centred problem, from ``R`` and ``Q^T y``.

    Notes
    -----
    With an intercept, ``X - 1 m^T = Q R[:, 1:]`` and ``Q^T 1 = R[:, 0]``, so the
    centred problem ``min ||(y - ybar) - (X - 1 m^T) w||`` becomes
    ``min ||(Q^T y)_{:k} - ybar R[:, 0] - R[:, 1:] w||``; ``w`` is its
    minimum-norm solution from the SVD of ``R[:, 1:]`` truncated to the
    numerical rank, and ``b = ybar - m^T w``.
    """
    k = fac.k
    qty = fac.qt(y)[:k]
    if fac.fit_intercept:
        ybar = float(np.mean(y))
        B = fac.R[:, 1:]
        rhs = qty - ybar * fac.R[:, 0]
        keep = rank - 1
    else:
        B = fac.R
        rhs = qty
        keep = rank
    w = _truncated_pinv_solve(B, rhs, keep)
    if fac.fit_intercept:
        return np.concatenate([[ybar - float(fac.means @ w)], w])
    return w


def _truncated_pinv_solve(B: Array, rhs: Array, keep: int) -> Array:
    if B.shape[1] == 0 or keep <= 0:
        return np.zeros(B.shape[1])
    U, s, Vt = np.linalg.svd(B, full_matrices=False)
    keep = min(keep, int(np.sum(s > 0)))
    coeffs = (U[:, :keep].T @ rhs) / s[:keep]
    return np.asarray(Vt[:keep].T @ coeffs)


def inverse_gram(
    X: Array,
    *,
    fit_intercept: bool = True,
    X_lo: Array | None = None,
) -> Array:
    """``(A^T A)^{-1}`` for ``A = [1 X]`` (or ``X``), refined to full accuracy.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The design (not modified).
    fit_intercept : bool, default True
        Whether ``A`` has the column of ones (first).
    X_lo : ndarray of shape (n_samples, n_features), optional
        Low-order parts of a double-double design, as in :func:`lstsq`.

    Returns
    -------
    ndarray of shape (p, p)
        Intercept first.  ``sigma^2`` times it is the covariance of the estimates.

    Raises
    ------
    ValueError
        If the design is rank deficient (the inverse does not exist).

    Notes
    -----
    Column ``j`` is the ``x`` of the augmented system
    ``[I A; A^T 0][s; x] = [0; -e_j]`` (then ``A^T A x = e_j``), solved with the
    same preconditioned, extended-precision refinement as :func:`lstsq`.  That
    needs ``cond(Z) eps < 1`` only, where forming ``T R^{-1} R^{-T} T^T`` in
    float64 loses ``cond(Z)**2`` (Filip: 1e19).  Cost: ``p`` refinements.
    """
    X, X_lo = _as_design(X, None, X_lo)
    p = X.shape[1] + int(fit_intercept)
    if p == 0:
        return np.zeros((0, 0))
    fac = _Factorization(X, fit_intercept)
    rk = _rank(fac, _uncentred_norms(fac))
    if rk.rank < p:
        raise ValueError(
            f"the design is rank deficient (rank {rk.rank} < {p}); A^T A has no inverse"
        )
    design = _Design(X, X_lo, fit_intercept)
    out = np.empty((p, p))
    for j in range(p):
        c = np.zeros(p)
        c[j] = -1.0
        out[:, j] = _refine(design, fac, None, c, rk.condition).x
    # Symmetrise: the two triangles agree to rounding.
    return np.asarray(0.5 * (out + out.T))


def residuals(
    X: Array,
    y: Array,
    coef: Array,
    intercept: float = 0.0,
    *,
    X_lo: Array | None = None,
) -> Array:
    """``y - intercept - X coef`` computed in extended precision, then rounded.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    coef : ndarray of shape (n_features,)
    intercept : float, default 0.0
    X_lo : ndarray of shape (n_samples, n_features), optional
        Low-order parts of a double-double design.

    Returns
    -------
    ndarray of shape (n_samples,)
        Each residual correct to within a few units in its last place, however
        much cancellation the subtraction involves.
    """
    X, X_lo = _as_design(X, y, X_lo)
    design = _Design(X, X_lo, True)
    x = np.concatenate([[intercept], np.asarray(coef, dtype=np.float64)])
    return design.residual(y, np.zeros(X.shape[0]), x, _MAX_LEVELS)
