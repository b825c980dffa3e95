"""The exact least-squares solver: Householder QR plus extended-precision refinement.

``lstsq(X, y)`` returns the least-squares coefficients of ``y ~ b + X w`` correct to
(nearly) the last bit of float64: the exact least-squares solution of the data as
float64 holds them, rounded.  On the NIST StRD linear least-squares datasets it reaches
that "float64 limit" on every problem (see :mod:`linreg.stats.nist`).

The algorithm
-------------
1. **Precondition.**  Centre the columns when an intercept is fitted,
   ``Z = [1, X - 1 m^T]`` (``m`` the column means of at most 65,536 evenly spaced
   rows), and factor ``Z = Q R`` by Householder QR in LAPACK (``dgeqrf``).
   Centring removes the offsets that make Longley, Wampler or Filip
   ill-conditioned.  Householder QR is invariant under column scaling, so the
   columns are not rescaled; where a scale is needed (rank tolerance, condition
   number) the column norms of ``R``, equal to those of ``Z``, serve.  Small or
   ill-conditioned problems factor one F-ordered copy of ``Z`` and keep ``Q``
   (compact reflectors, applied by ``dormqr``).  Large well-conditioned ones need
   only ``R``, and take it from the Cholesky factor of the centred Gram matrix,
   ``Z^T Z``, accumulated in one pass over ``X`` (no copy), whose centred
   moments also give the first solve (:class:`_GramR`); a failed Cholesky, a rank
   drop or a condition number too large for the seminormal corrections (below)
   sends the problem to Householder QR.
2. **Refine against the original problem.**  Centring itself rounds, so the QR
   solution is only a first guess.  The solution ``x = (b, w)`` and the residual
   ``r`` are refined together on Björck's augmented system for the *original*,
   uncentred design ``A = [1 X]``::

       [ I    A ] [r]   [y]
       [ A^T  0 ] [x] = [c]      (c = 0 for least squares)

   Each step computes ``f = y - r - A x`` and ``g = c - A^T r`` in extended
   precision from the original data, and solves the correction equations with the
   factors of ``Z = A T`` (``T`` the unit upper-triangular centring map) only as a
   preconditioner: the refinement converges to the solution of the original
   problem whatever rounding the centring did.  The corrections use ``Q`` and
   ``R`` (Björck: contraction about ``cond(Z) eps`` per step); large problems with
   ``cond(Z)^2 * mu <= 2**26`` (``mu``: the largest ratio of a column's uncentred
   to centred norm) use ``R`` alone (corrected seminormal equations, contraction
   below ``2**-26``), saving two passes over ``Q``.  The corrections' right-hand
   side, ``T^T g`` (seminormal: ``T^T (A^T f - g)``, with ``A^T f`` taken on the
   centred rows), joins the extended-precision sums before anything is rounded:
   column ``j``'s sum is ``m_j`` times the intercept's plus a centred part up to
   ``|m_j| / std_j`` times smaller, which rounding first would lose.
3. **Stop** when the correction is at rounding level, when the contraction
   factor (the larger of its theoretical bound and the observed one) predicts the
   next one would be, when it stops shrinking by half, or after ten steps.  The
   prediction, like the precision (:func:`levels_for`), allows for components
   more sensitive than the whole: a small coefficient, or an intercept behind
   columns far from zero (``b = u_0 - m^T w`` multiplies the error of ``w`` by
   ``m``).  A well-conditioned problem takes one step.

Extended precision
------------------
``A x`` and ``A^T r`` are computed by the error-free splitting kernels of
:mod:`linreg.solvers.extended`; the bits a problem needs are worked out from its norms
and condition (:func:`bits_needed`) and turned into *levels* of slicing
(:func:`levels_for`): large well-conditioned problems need one, problems under
65,536 entries always get six, far beyond double-double.  Where the seminormal
corrections apply and the bits needed are within what a norm-sliced pass
carries (:func:`norm_sliced_bits`: at 16 features 64 bits with one level, about
84 with two), a step takes ``T^T A^T (y - A x)`` from
:func:`linreg.solvers.extended.seminormal_terms` instead: the same exact-plus-tail sums,
with each block of ``X`` sliced once, on grids set by the block's column norms
that the Gram pass recorded, for both products.  Its terms are summed exactly
(``math.fsum``), and it also gives ``|y - A x|^2``, which the estimator reports
as the training loss instead of a pass of its own.  Both routes end at the
correctly rounded solution: they agree to the bit.  Standardized data take one
level; columns a few standard deviations from zero with an intercept small beside
the fitted values (whose error the offsets amplify) take two; problems needing
more than that take the general kernels.

Cost and memory
---------------
Large well-conditioned problems: no copy of ``X`` (the Gram pass works in 1 MiB
blocks), a few ``n``-vectors, and per thread about ``2 (levels + 2)`` MiB of
scratch for the general kernels (the norm-sliced pass: 3 MiB in NumPy, a few KiB
in C).  The norm-sliced pass runs in C where the extension was built
(:mod:`linreg.solvers.kernels`: the same arithmetic in one sweep of each block, the same
solutions to the bit), else in NumPy.  Time at 2,000,000 x 16 (2 cores, busy
machine, medians): the Gram pass 0.05-0.09 s, which also checks that the data
are finite, then one norm-sliced pass per refinement step (one step when well
conditioned): 0.035 s in C, 0.075-0.15 s in NumPy at one level (0.25 s at two),
where one level of the general kernels took 0.3 s.  The whole estimator fit takes
0.12-0.15 s against 0.8-1.1 s for scikit-learn (``benchmarks/``).  A Householder
QR of 512-row blocks, used before the Gram pass, took 0.28 s and gave the same
coefficients to the bit.  A refinement in float64 alone would be cheaper still,
but measured 1 ulp off the correctly rounded solution on the benchmark's data and
11 to 290 ulps off on data with offsets of hundreds of standard deviations, where
``y - A x`` cancels.  Other problems: one float64 copy of the centred design,
``n x (d + 1)``, which the QR overwrites, plus one or two applications of ``Q``
per step.

Rank deficiency
---------------
A column is linearly dependent when its distance from the span of the previous
columns, ``|R_jj|``, is at most ``max(n, p) * eps`` times its norm (times ``mu_j``,
the digits lost to centring), or when it is numerically constant.  Then, or when
the singular values of the column-normalised ``R`` reveal a rank drop, a
:class:`~linreg.errors.RankDeficiencyWarning` names the dependent columns and the
minimum-norm solution of the centred problem is returned (from an SVD of ``R``),
without refinement.

The streamed and Dask solvers (:mod:`linreg.solvers.streamed_exact`) build on the same pieces,
public here for that reason: the factor and its map (:class:`Centred`), the design
and its extended-precision residuals (:class:`Design`), the LAPACK wrappers
(:func:`geqrf`), the rank analysis (:func:`numerical_rank`, :func:`warn_rank`,
:func:`truncated_pinv_solve`) and the refinement's rules (:class:`StopRule`,
:func:`seminormal_du`, :func:`levels_for_bits`, :func:`norm_sliced_levels`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import cholesky, lapack, solve_triangular

from linreg.errors import RankDeficiencyWarning
from linreg.solvers import extended as ext
from linreg.solvers import kernels
from linreg.solvers.fast import Moments
from linreg.validation import require_finite

__all__ = [
    "CHUNK_ELEMENTS",
    "MAX_REFINEMENTS",
    "Centred",
    "Design",
    "LstsqResult",
    "StopRule",
    "bits_needed",
    "geqrf",
    "geqrf_lwork",
    "inverse_gram",
    "levels_for",
    "levels_for_bits",
    "lstsq",
    "norm_sliced_bits",
    "norm_sliced_levels",
    "numerical_rank",
    "residual_levels",
    "residuals",
    "seminormal_du",
    "solve",
    "truncated_pinv_solve",
    "uncentred_norms",
    "vector_norm",
    "warn_rank",
]

Array = NDArray[np.float64]

#: Machine epsilon of float64, 2**-52 (the spacing of floats just above 1).
_EPS: Final = 2.0**-52
#: Unit roundoff of float64, 2**-53.
_U: Final = 2.0**-53
#: Elements of X per chunk of the extended-precision kernels (2 MiB of float64: at
#: 2,000,000 x 16 one kernel pass took 0.21 s with these, 0.24 s with 1 MiB, 0.38 s
#: with 0.5 MiB and 0.29 s with 8 MiB chunks; smaller ones pay per-call overhead).
CHUNK_ELEMENTS: Final = 1 << 18
#: Refinement steps at most.
MAX_REFINEMENTS: Final = 10
#: Problems with at most this many design entries always get the full precision.
_SMALL_PROBLEM: Final = 1 << 16
#: Largest ``cond(Z)^2 * mu`` for which large problems use the seminormal corrections
#: (their contraction factor, about that times eps, is then below 2**-26).
_SEMINORMAL_LIMIT: Final = 2.0**26
#: Safety factor on the theoretical contraction factor of the refinement.
_RATE_SAFETY: Final = 64.0
#: Root-mean-square sizes of the columns and of y within which the seminormal
#: corrections' float64 products neither underflow nor overflow (2**-200, 2**200).
_SAFE_SCALE: Final = (2.0**-200, 2.0**200)
#: Most slicing levels used by the kernels (well beyond double-double).
_MAX_LEVELS: Final = 6


# ---------------------------------------------------------------------------
# The design and its extended-precision residuals
# ---------------------------------------------------------------------------


class Design:
    """The original design ``A = [1 X]`` (or ``X``), ``X = X_hi + X_lo`` exactly.

    Computes the two residuals of the augmented system in extended precision.
    """

    def __init__(self, X: Array, X_lo: Array | None, fit_intercept: bool) -> None:
        self.X = X
        self.X_lo = X_lo
        self.fit_intercept = fit_intercept
        self.n, self.d = X.shape
        self.p = self.d + int(fit_intercept)
        self.chunk = max(256, CHUNK_ELEMENTS // max(self.d, 1))

    def _split_x(self, x: Array) -> tuple[float, Array]:
        if self.fit_intercept:
            return float(x[0]), x[1:]
        return 0.0, x

    def matvec(self, x: Array) -> Array:
        """``A x`` in float64 (one BLAS pass over ``X``; ``X_lo`` is left out)."""
        b, w = self._split_x(x)
        out = self.X @ w if self.d else np.zeros(self.n)
        return np.asarray(out + b if self.fit_intercept else out)

    def rmatvec(self, v: Array) -> Array:
        """``A^T v`` in float64 (one BLAS pass over ``X``)."""
        cols = v @ self.X if self.d else np.zeros(0)
        if self.fit_intercept:
            return np.concatenate([[float(np.sum(v))], cols])
        return np.asarray(cols)

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
        """Both residuals of the augmented system, in one pass over the design.

        Parameters
        ----------
        y : ndarray of shape (n,)
            Right-hand side of the first block row.
        r : ndarray of shape (n,)
            Current residual iterate; overwritten with ``fl(y - A x)`` first when
            ``fresh_residual`` is set (the float64 start of the refinement).
        x : ndarray of shape (p,)
            Current solution iterate.
        c : ndarray of shape (p,)
            Right-hand side of the second block row.
        levels : (int, int)
            Slicing levels of the row products and of the column sums.
        fresh_residual : bool, default False
            Recompute ``r`` from ``x`` in this same pass.
        with_rmatvec : bool, default False
            Also gather ``A^T f`` (for the seminormal corrections), formed while
            each chunk is in cache.
        shift : ndarray of shape (d,), optional
            The centring shift ``m`` of ``T = [[1, -m^T], [0, I]]`` (intercept
            models only); zero if not given.

        Returns
        -------
        f : ndarray of shape (n,)
            ``y - r - A x``, as if computed in ``k``-fold precision and rounded
            (``k`` follows from the levels, see :func:`sum_k`).
        g : ndarray of shape (p,)
            ``c - A^T r`` likewise.
        rhs : ndarray of shape (p,)
            What the corrections solve for, in centred coordinates, summed in the
            same extended precision and rounded once: ``T^T g``, or with
            ``with_rmatvec`` ``T^T (A^T f - g)``.  Applying ``T^T`` after rounding
            would cancel: column ``j``'s sum is ``m_j`` times the intercept's plus
            a centred part up to ``|m_j| / std_j`` times smaller, and at 1e5 the
            intercept came out 45 ulps off.

        Notes
        -----
        Chunks of rows are independent; on several cores they run in a thread
        pool (NumPy releases the GIL), and the results are combined in chunk
        order, so the answer does not depend on the number of threads.
        """
        b, w = self._split_x(x)
        n, step = self.n, self.chunk
        centre = shift if self.fit_intercept and shift is not None and np.any(shift) else None
        passes_f = ext.sum_passes(levels[0], ext.slice_bits(max(self.d, 1)))
        f = np.empty(n)

        def work(s: int, ws: ext.Workspace) -> tuple[list[float], list[Array], Array]:
            # Beyond 2**900 the slicing overflows; the caller then sees non-finite
            # residuals and keeps its previous iterate.  (errstate is per thread.)
            with np.errstate(over="ignore", invalid="ignore"):
                return chunk(s, ws)

        def chunk(s: int, ws: ext.Workspace) -> tuple[list[float], list[Array], Array]:
            e = min(n, s + step)
            T = ws.transposed(self.X[s:e]) if self.d else self.X[s:e].T
            if fresh_residual:
                r[s:e] = (y[s:e] - b) - (ext.dot_t(w, T) if self.d else 0.0)
            rs = r[s:e]
            terms = [y[s:e], -rs, np.full(e - s, -b)]
            ones_terms: list[float] = []
            x_terms: list[Array] = []
            if self.fit_intercept:
                ones_terms = ext.sum_terms(rs, levels[1])
            if self.d:
                prods = ext.matvec_terms(T, w, levels[0], ws)
                cols = ext.rmatvec_terms(T, rs, levels[1], ws)
                if self.X_lo is not None:
                    lo_t = self.X_lo[s:e].T
                    prods[-1] = prods[-1] + ext.dot_t(w, lo_t)
                    cols[-1] = cols[-1] + ext.dot(lo_t, rs)
                terms.extend(-t for t in prods)
                x_terms = cols
            f[s:e] = ext.sum_k(terms, passes_f)
            atf = np.zeros(0)
            if with_rmatvec:
                # Z^T f on the centred chunk: A^T f would carry rounding errors m_j
                # times larger than the centred sums the corrections need.
                fs = f[s:e]
                Z = T
                if self.d and centre is not None:
                    Z = np.subtract(T, centre[:, None], out=ws.matrices(e - s)[0])
                cols_f = ext.dot(Z, fs) if self.d else np.zeros(0)
                atf = np.concatenate([[np.sum(fs)], cols_f]) if self.fit_intercept else cols_f
            return ones_terms, x_terms, atf

        features, most = max(self.d, 1), max(levels)
        parts = ext.map_chunks(work, n, step, lambda: ext.Workspace(features, min(step, n), most))
        off = int(self.fit_intercept)
        # g = c - A^T r as exact terms: the intercept's column, then the others.
        ones = [float(c[0])] + [-t for part in parts for t in part[0]] if off else []
        cols = [c[off:]] + [-t for part in parts for t in part[1]] if self.d else []
        g = np.empty(self.p)
        if off:
            g[0] = ext.fsum_columns(np.array([ones]).T)[0]
        if self.d:
            g[off:] = ext.fsum_columns(np.asarray(cols))
        if not with_rmatvec:
            return f, g, ext.centred_sum(ones, cols, centre)
        # rhs = Z^T f - T^T g: the rounding-level Z^T f joins the terms.
        return (
            f,
            g,
            ext.centred_sum(
                [-t for t in ones],
                [-t for t in cols],
                centre,
                centred_ones=[float(part[2][0]) for part in parts] if off else [],
                centred_cols=[part[2][off:] for part in parts] if self.d else [],
            ),
        )

    def seminormal_rhs(
        self, y: Array, x: Array, shift: Array | None, norms: Array, rows: int, levels: int = 1
    ) -> tuple[Array, float]:
        """The seminormal corrections' right-hand side ``T^T A^T (y - A x)`` by the
        norm-sliced kernel (:func:`linreg.solvers.extended.seminormal_terms`), one pass.

        Parameters
        ----------
        y : ndarray of shape (n,)
        x : ndarray of shape (p,)
            Current solution.
        shift : ndarray of shape (d,) or None
            The centring shift ``m`` of ``T`` (intercept models).
        norms : ndarray of shape (n_blocks, d)
            Upper bounds of the column norms of each block of ``rows`` rows.
        rows : int
            Rows per block.
        levels : int, default 1
            Slicing levels of the kernel (1 or 2, see :func:`norm_sliced_bits`).

        Returns
        -------
        rhs : ndarray of shape (p,)
            In centred coordinates, the exact sum of the chunks' terms rounded once.
        rss : float
            ``|y - A x|^2`` (float64 sums; relative error about ``sqrt(n) eps``).
        """
        b, w = self._split_x(x)
        cuts = ext.BlockCuts.of(norms, b, w, levels=levels, rows=rows)
        parts = kernels.seminormal_pass(self.X, y, cuts)
        cols = [t for part in parts for t in part[0]]
        ones = [t for part in parts for t in part[1]] if self.fit_intercept else []
        rhs = ext.centred_sum(ones, cols, shift if self.fit_intercept else None)
        return rhs, math.fsum(part[2] for part in parts)

    def residual(self, y: Array, coef: Array, intercept: float, levels: int) -> Array:
        """``y - intercept - X coef`` in extended precision (see :func:`residuals`)."""
        x = np.concatenate([[intercept], coef]) if self.fit_intercept else coef
        f, _, _ = self.evaluate(y, np.zeros(self.n), x, np.zeros(self.p), (levels, 1))
        return f


# ---------------------------------------------------------------------------
# The preconditioner: Householder QR of the centred design
# ---------------------------------------------------------------------------


class Centred:
    """What both factorisations share: ``R`` of ``Z = [1, X - 1 m^T]`` (or ``X``) and
    the map ``T = [[1, -m^T], [0, I]]`` with ``Z = A T``, which takes centred
    coefficients ``u`` to original ones ``x = T u`` (the shift ``m`` need not be the
    exact mean)."""

    n: int
    d: int
    p: int
    k: int
    fit_intercept: bool
    means: Array
    R: Array
    #: How much worse than Householder's ``R`` this one may precondition the
    #: seminormal corrections (a factor on their contraction bound).
    rate_factor: float = 1.0
    #: A first solve already made while factoring (original coordinates), if any.
    start: Array | None = None
    #: Upper bounds of the column norms of ``X``'s row blocks of ``block_rows`` rows,
    #: where the factorisation's pass recorded them (for the norm-sliced kernel).
    block_norms: Array | None = None
    block_rows: int = 0

    def _setup(self, X: Array, fit_intercept: bool) -> None:
        n, d = X.shape
        self.n, self.d, self.p = n, d, d + int(fit_intercept)
        self.k = min(n, self.p)
        self.fit_intercept = fit_intercept
        self.means = _shift(X) if fit_intercept else np.zeros(d)

    def _fill(self, X: Array, s: int, out: Array) -> None:
        """Rows ``s:s + m`` of ``Z`` into ``out`` of shape (p, m), i.e. transposed."""
        rows = X[s : s + out.shape[1]]
        if self.fit_intercept:
            out[0] = 1.0
            np.subtract(rows.T, self.means[:, None], out=out[1:])
        else:
            np.copyto(out, rows.T)

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


class _GramR(Centred):
    """``R`` as the Cholesky factor of the centred Gram matrix, from one pass over ``X``.

    Notes
    -----
    :meth:`linreg.solvers.fast.Moments.from_data` accumulates ``Xc^T Xc`` and ``Xc^T yc``
    about the column means, in 1 MiB row blocks (BLAS ``syrk``) with no copy of
    ``X``; with ``Z = [1, X - 1 m^T]`` and ``m`` those means, ``Z^T Z =
    [[n, 0], [0, Xc^T Xc]]`` up to rounding, so ``R = [[sqrt(n), 0], [0,
    chol(Xc^T Xc)]]``.  As a preconditioner for the seminormal corrections this
    ``R`` is as good as Householder's while ``cond(Z)^2 * mu * eps`` is small:
    ``R^T R`` equals ``Z^T Z`` to a relative ``n eps`` at worst (``sqrt(n) eps``
    typically, which the refinement's contraction bound allows for), and the
    refinement removes that like any other error of the first solve.  It also gives
    that first solve from the centred moments, ``u = (Z^T Z)^{-1} Z^T y``, already
    accurate to ``cond(Z)^2 eps``, so the refinement starts one step ahead.  A
    Cholesky failure, a rank drop or too large a condition number sends the
    problem to Householder QR (:class:`_Factorization`).

    Measured on 2,000,000 x 16 (2 cores): 0.06 s for the pass and the factor,
    against 0.28 s for the two-level blocked Householder QR it replaced.
    """

    def __init__(self, X: Array, y: Array | None, fit_intercept: bool) -> None:
        n, d = X.shape
        self.n, self.d, self.p = n, d, d + int(fit_intercept)
        self.k = min(n, self.p)
        self.fit_intercept = fit_intercept
        # Squares of data near 1e300 overflow: checked below, not warned about.
        with np.errstate(over="ignore", invalid="ignore"):
            moments = Moments.from_data(X, np.zeros(n) if y is None else y)
            if fit_intercept:
                self.means = moments.mean
                gram = np.zeros((self.p, self.p))
                gram[0, 0] = n
                gram[1:, 1:] = moments.gram
                zty = np.concatenate([[n * moments.y_mean], moments.xty])
            else:
                self.means = np.zeros(d)
                gram = moments.gram + n * np.outer(moments.mean, moments.mean)
                zty = moments.xty + n * moments.mean * moments.y_mean
        if not (np.all(np.isfinite(gram)) and np.all(np.isfinite(zty))):
            require_finite(X, y)  # NaN and infinities reach the sums too
            # Squares beyond 2**1024: Householder QR never squares anything.
            raise np.linalg.LinAlgError("the Gram matrix overflows")
        self.R = cholesky(gram, lower=False, check_finite=False)
        # Rounding in the Gram's sums, up to n eps of it at worst: sqrt(n) is the
        # usual size, and with the 64-fold safety of the bound covers it.
        self.rate_factor = math.sqrt(n)
        u = solve_triangular(
            self.R, solve_triangular(self.R, zty, trans="T", check_finite=False), check_finite=False
        )
        self.start = None if y is None else self.t_apply(u)
        self.block_norms, self.block_rows = moments.block_norms, moments.block_rows


class _Factorization(Centred):
    """Householder QR ``Z = Q R`` with ``Q`` kept (compact reflectors, ``dormqr``).

    Notes
    -----
    ``Z`` is one F-ordered copy, filled in row chunks on a thread pool and factored
    in place by one ``dgeqrf`` call (one big call: few OpenBLAS barriers).
    """

    def __init__(self, X: Array, fit_intercept: bool) -> None:
        self._setup(X, fit_intercept)
        n, p = self.n, self.p
        Z = np.empty((n, p), order="F")
        step = max(256, CHUNK_ELEMENTS // max(p, 1))
        ext.map_chunks(lambda s, _: self._fill(X, s, Z[s : s + step].T), n, step, lambda: None)
        self.qr, self.tau = geqrf(Z, geqrf_lwork(n, p))
        self.R = np.triu(self.qr[: self.k, :])

    def qt(self, v: Array) -> Array:
        """``Q^T v`` for an ``n``-vector: its first ``p`` entries are ``Q1^T v``."""
        return _ormqr(self.qr, self.tau, v, "T")

    def q(self, v: Array) -> Array:
        """``Q v``, the inverse of :meth:`qt`."""
        return _ormqr(self.qr, self.tau, v, "N")

    def correction(self, f: Array, tg: Array, f_is_zero: bool = False) -> tuple[Array, Array]:
        """Solve the correction equations ``[I Z; Z^T 0][dr; du] = [f; T^T g]``.

        ``tg`` is ``T^T g``.  Returns ``dx = T du`` and the vector ``v`` with
        ``dr = Q v`` (Björck's ``v = [h; (Q^T f)_{p:}]``, ``h = R^{-T} T^T g``,
        ``du = R^{-1}((Q^T f)_{:p} - h)``).
        """
        p = self.p
        h = solve_triangular(self.R, tg, trans="T", check_finite=False)
        v = np.zeros(self.n) if f_is_zero else self.qt(f)
        du = solve_triangular(self.R, v[:p] - h, check_finite=False)
        v[:p] = h
        return self.t_apply(du), v


def _shift(X: Array) -> Array:
    """Centring shift: column means of at most 65,536 evenly spaced rows.

    The shift only conditions the preconditioner (the refinement works on the
    uncentred data), so a sample mean does as well as the exact one at a
    fraction of a pass over ``X``; even spacing keeps trends and sorted data in.
    """
    n = X.shape[0]
    stride = max(1, n // 65536)
    return np.asarray(np.mean(X[::stride], axis=0), dtype=np.float64)


def geqrf_lwork(m: int, k: int) -> int:
    """Optimal ``dgeqrf`` workspace for an ``m x k`` matrix."""
    return max(1, int(lapack.dgeqrf_lwork(m, k)[0])) if m and k else 1


def geqrf(a: Array, lwork: int) -> tuple[Array, Array]:
    """LAPACK ``dgeqrf`` (in place when ``a`` is F-ordered): ``(qr, tau)``."""
    qr, tau, _, info = lapack.dgeqrf(a, lwork=lwork, overwrite_a=1)
    if info != 0:  # pragma: no cover - LAPACK argument errors only
        raise RuntimeError(f"dgeqrf failed with info={info}")
    return qr, tau


#: ``dormqr`` workspace for one right-hand side: ``NB_MAX + (NB_MAX + 1) * NB_MAX``.
_ORMQR_LWORK: Final = 64 + 65 * 64


def _ormqr(qr: Array, tau: Array, c: Array, trans: str) -> Array:
    """``Q^T c`` (``trans="T"``) or ``Q c`` (``"N"``) with ``Q`` from :func:`geqrf`."""
    reflectors = tau.shape[0]
    if reflectors == 0:
        return np.array(c, dtype=np.float64)
    cc = np.array(c, dtype=np.float64, order="F").reshape(-1, 1)
    out, _, info = lapack.dormqr(
        "L", trans, qr[:, :reflectors], tau, cc, lwork=_ORMQR_LWORK, overwrite_c=1
    )
    if info != 0:  # pragma: no cover
        raise RuntimeError(f"dormqr failed with info={info}")
    return np.asarray(out[:, 0])


# ---------------------------------------------------------------------------
# Rank
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rank:
    rank: int
    dependent: tuple[int, ...]  # indices into Z's columns
    condition: float


def numerical_rank(fac: Centred, column_norms_uncentred: Array) -> _Rank:
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
    norms = _column_norms(R)
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


class StopRule:
    """When the refinement stops (see :func:`_refine`); the streamed solver shares it.

    ``judge(x, dx)`` says what to do with a correction ``dx`` of ``x``, from
    ``delta``, its largest relative change of a component: ``"reject"`` (it grew:
    keep ``x``), ``"converged"`` (at rounding level, or the contraction factor
    predicts the next change would be), ``"stalled"`` (it shrank by less than
    half: accept and stop) or ``"continue"``. ``delta`` holds the last judged one.
    """

    def __init__(self, fac: Centred, x: Array, condition: float, seminormal: bool) -> None:
        cond = condition if math.isfinite(condition) else 1.0 / _EPS
        #: The theoretical contraction factor, with a safety factor: ``64 eps cond(Z)``
        #: for Björck's corrections, ``64 eps cond(Z)^2 mu`` (times the factor's own
        #: ``rate_factor``) for the seminormal ones.
        self.bound = (
            _RATE_SAFETY
            * _EPS
            * (cond**2 * _centring_gain(fac) * fac.rate_factor if seminormal else cond)
        )
        # How much a component's relative error can exceed the normwise one the
        # contraction factor bounds (a small coefficient, an intercept behind offsets).
        self.gain = 2.0 ** _component_bits(fac, x, _fitted_norm(fac, x))
        self.steps = 0
        self.delta = math.nan
        self._previous = 1.0

    def judge(self, x: Array, dx: Array) -> str:
        """The verdict on the correction ``dx`` of ``x`` (one step more)."""
        self.steps += 1
        scale = np.maximum(np.abs(x), np.abs(x + dx))
        nz = scale > 0.0
        delta = float(np.max(np.abs(dx[nz]) / scale[nz])) if nz.any() else 0.0
        first = self.steps == 1
        if not first and delta > self._previous:
            return "reject"  # diverging: keep the previous iterate
        self.delta = delta
        # Contraction factor: the theoretical bound, or the observed one if worse.
        rate = self.bound if first else max(self.bound, delta / self._previous)
        if delta <= _EPS or delta * rate * self.gain <= _U:
            return "converged"
        if not first and delta > 0.5 * self._previous:
            return "stalled"  # converged as far as this precision allows
        self._previous = delta
        return "continue"


@dataclass(frozen=True)
class _Refined:
    x: Array
    steps: int
    converged: bool
    #: ``|y - A x|^2`` from the refinement's own residual, where it kept one.
    rss: float | None = None


def _refine(
    design: Design,
    fac: Centred,
    y: Array | None,
    c: Array | None,
    condition: float,
    seminormal: bool,
) -> _Refined:
    """Björck's iterative refinement of the augmented system (see module docstring).

    ``delta_k`` is the largest relative change of a component of ``x`` at step
    ``k``.  Stops when ``delta_k <= eps`` (rounding level), when the contraction
    factor ``rho`` predicts the next change to be below ``2**-53``
    (``delta_k rho gain <= 2**-53``, ``gain`` the largest amplification of a
    component's relative error over the normwise one, see :func:`levels_for`,
    and ``rho`` the larger of the theoretical bound,
    ``64 eps cond(Z)`` for Björck's corrections and ``64 eps cond(Z)^2 mu`` for
    the seminormal ones, and the observed ``delta_k / delta_{k-1}``), when the
    change shrank by less than half (converged as far as this precision allows),
    or after ``MAX_REFINEMENTS`` steps; a step that grows the change is rejected
    (:class:`StopRule`).
    """
    n, p = design.n, design.p
    y_arr = np.zeros(n) if y is None else y
    c_arr = np.zeros(p) if c is None else c
    # Initial solve from x = 0, r = 0, where f = y and g = c hold exactly; the
    # first residual is then y - A x in float64 (the refinement repairs it).
    if fac.start is not None and c is None:
        x = fac.start  # from the centred moments, which the Gram pass gave
    else:
        # From x = 0, r = 0: f = y and g = c exactly; float64 is enough for a start.
        if seminormal:
            atf = np.zeros(p) if y is None else design.rmatvec(y_arr)
            start_rhs = fac.t_transpose(atf - c_arr)
        else:
            start_rhs = fac.t_transpose(c_arr)
        x, _ = _correction(design, fac, y_arr, start_rhs, seminormal, f_is_zero=y is None)
    y_norm, r_norm = _residual_norms(fac, y_arr, x)
    bits = bits_needed(fac, x, condition, y_norm, r_norm)
    shift = fac.means if fac.fit_intercept else None
    # The norm-sliced pass where it carries the bits needed (one slicing of X a step).
    sliced_ok = seminormal and c is None and fac.block_norms is not None and design.X_lo is None
    sliced_levels = norm_sliced_levels(bits, fac.d, fac.block_rows) if sliced_ok else 0
    sliced = sliced_levels > 0
    levels = levels_for_bits(bits, design.d, min(design.n, design.chunk))
    rule = StopRule(fac, x, condition, seminormal)
    r = np.empty(n)
    fresh = True  # the first pass sets r = fl(y - A x) as it goes
    converged = False
    rss: float | None = None  # |y - A x|^2 of the current x, where known
    while rule.steps < MAX_REFINEMENTS:
        if sliced:
            assert fac.block_norms is not None
            rhs, rss = design.seminormal_rhs(
                y_arr, x, shift, fac.block_norms, fac.block_rows, sliced_levels
            )
            parts: tuple[Array, ...] = (rhs,)
        else:
            f, g, rhs = design.evaluate(
                y_arr,
                r,
                x,
                c_arr,
                levels,
                fresh_residual=fresh,
                with_rmatvec=seminormal,
                shift=shift,
            )
            parts = (f, g, rhs)
        fresh = False
        if not any(part.any() for part in parts[:2]):
            converged = True  # y = A x exactly (and A^T r = c)
            break
        if not all(np.all(np.isfinite(part)) for part in parts):
            rss = None
            break  # data near overflow (beyond 2**900): keep the current iterate
        if sliced:
            du = seminormal_du(fac, rhs)
            dx = fac.t_apply(du)
        else:
            dx, residual_step = _correction(design, fac, f, rhs, seminormal)
        verdict = rule.judge(x, dx)
        if verdict == "reject":
            break
        x = x + dx
        if sliced and rss is not None:
            # |e - A dx|^2 = |e|^2 - 2 du^T Z^T e + |Z du|^2, with Z^T e = rhs, A dx = Z du.
            rss = max(rss - 2.0 * float(du @ rhs) + vector_norm(fac.R @ du) ** 2, 0.0)
        if verdict != "continue":
            converged = verdict == "converged" or rule.delta <= 2.0**-40
            break
        if not sliced:
            r = r + residual_step()
    return _Refined(x, rule.steps, converged, rss)


def _correction(
    design: Design,
    fac: Centred,
    f: Array,
    rhs: Array,
    seminormal: bool,
    *,
    f_is_zero: bool = False,
) -> tuple[Array, Callable[[], Array]]:
    """Solve the correction equations ``[I A; A^T 0][dr; dx] = [f; g]`` approximately.

    ``rhs`` is the centred right-hand side from :meth:`Design.evaluate`:
    ``T^T g`` for Björck's corrections, ``T^T (A^T f - g)`` for the seminormal
    ones.  Returns ``dx`` and a function computing ``dr`` (needed only if the
    refinement goes on).

    Notes
    -----
    With ``A = Z T^{-1}`` and ``Z = Q R``, ``dx = T du`` where

    * Björck (``seminormal=False``): ``h = R^{-T} T^T g``,
      ``du = R^{-1}((Q^T f)_{:p} - h)`` and ``dr = Q [h; (Q^T f)_{p:}]``, accurate
      to ``cond(Z) eps`` relative;
    * corrected seminormal equations (``seminormal=True``):
      ``du = R^{-1} R^{-T} T^T (A^T f - g)``, ``dr = f - A dx``, with ``A dx`` in
      float64.  Accurate to ``cond(Z)^2 mu eps`` only, but it needs no pass over
      ``Q``; used for large problems where that is below ``2**-26``.
    """
    if not seminormal:
        assert isinstance(fac, _Factorization), "Björck's corrections need Q"
        full = fac
        dx, v = full.correction(f, rhs, f_is_zero)
        return dx, lambda: full.q(v)
    dx = fac.t_apply(seminormal_du(fac, rhs))
    return dx, lambda: f - design.matvec(dx)


def seminormal_du(fac: Centred, rhs: Array) -> Array:
    """``du = R^{-1} R^{-T} rhs``: the seminormal correction in centred coordinates."""
    return np.asarray(
        solve_triangular(
            fac.R, solve_triangular(fac.R, rhs, trans="T", check_finite=False), check_finite=False
        )
    )


def _centring_gain(fac: Centred) -> float:
    """Largest ratio of a column's uncentred to centred norm (1 without centring)."""
    col = _column_norms(fac.R)
    full = uncentred_norms(fac)
    return float(np.max(full / np.where(col > 0, col, 1.0))) if full.size else 1.0


def _residual_norms(fac: Centred, y: Array, x: Array) -> tuple[float, float]:
    """``|y|``, and ``|r|`` from ``|r|^2 = |y|^2 - |y_hat|^2`` at the least-squares
    solution (an exact fit may show rounding noise there, which only overstates
    ``|r|``: the safe side), for :func:`bits_needed`."""
    y_norm = vector_norm(y)
    yhat_norm = _fitted_norm(fac, x)
    gap = max(y_norm - yhat_norm, 0.0) * (y_norm + yhat_norm)
    return y_norm, (math.sqrt(gap) if y_norm > 0.0 else yhat_norm)


def _fitted_norm(fac: Centred, x: Array) -> float:
    """``|A x| = |Z u| = |R u|`` with ``u = T^{-1} x`` the centred coefficients."""
    u = x.copy()
    if fac.fit_intercept:
        u[0] = x[0] + float(fac.means @ x[1:])
    return vector_norm(fac.R @ u)


def levels_for(
    fac: Centred, x: Array, condition: float, y_norm: float, r_norm: float, chunk_rows: int
) -> tuple[int, int]:
    """Slicing levels of the refinement's row products and column sums.

    Parameters
    ----------
    fac : the factorisation (its ``R``, shift and shape)
    x : ndarray of shape (p,)
        The current solution, original coordinates.
    condition : float
        ``cond(Z)`` of the column-normalised centred design.
    y_norm, r_norm : float
        ``|y|`` and the residual norm ``|r|``.
    chunk_rows : int
        Rows summed exactly per chunk by the column-sum kernel.

    Notes
    -----
    In the column-normalised centred coordinates (condition number ``kappa``),
    an error ``df`` in ``f`` moves the solution by up to ``kappa |df|`` and an
    error ``dg`` in ``g`` by up to ``kappa^2 mu |dg|`` (``mu``: the largest ratio
    of a column's uncentred to centred norm).  The residuals are computed to
    about ``2**-bits`` of the magnitudes of their terms, ``|y| + |r| + |A||x|``
    and ``|A|^T |r|``, so full accuracy, relative to the fitted values ``y_hat``,
    needs::

        bits_f = 53 + log2(kappa) + log2((|y| + |r| + sum_j |A_j| |x_j|) / |y_hat|)
        bits_g = 53 + 2 log2(kappa) + log2(mu |r| 2 sqrt(p) / |y_hat|)

    plus a 6-bit margin; small problems simply get the most levels.  Both are
    normwise: they bound the error of ``D u`` (``u`` the centred coefficients,
    ``D`` the centred column norms) relative to ``|y_hat|``.  Each component needs
    ``log2(gain_j)`` bits more, ``gain_j = |y_hat| |(T D^{-1})_j| / |x_j|``:
    a small coefficient, or an intercept ``b = u_0 - m^T w`` behind columns far
    from zero, where ``T`` multiplies the error of ``w`` by ``m`` (at ``|m| /
    std = 1e5`` the intercept came out 45 ulps off without these bits).  The
    in-memory solver and the streamed one share this rule.
    """
    return levels_for_bits(bits_needed(fac, x, condition, y_norm, r_norm), fac.d, chunk_rows)


def levels_for_bits(bits: tuple[float, float], d: int, chunk_rows: int) -> tuple[int, int]:
    """:func:`levels_for` from the bits needed: ``slice_bits`` per level, less what
    the sums lose (``log2 d`` of a row product, ``log2(rows) / 2`` of a column sum)."""
    d_f, rows = max(d, 1), max(chunk_rows, 1)
    return (
        _levels(bits[0], ext.slice_bits(d_f), math.log2(d_f)),
        _levels(bits[1], ext.slice_bits(rows), 0.5 * math.log2(rows)),
    )


def bits_needed(
    fac: Centred, x: Array, condition: float, y_norm: float, r_norm: float
) -> tuple[float, float]:
    """Bits ``(bits_f, bits_g)`` the refinement's residuals need (see :func:`levels_for`);
    infinite for small problems, which always get the most levels."""
    n, p = fac.n, fac.p
    if n * max(p, 1) <= _SMALL_PROBLEM:
        return math.inf, math.inf
    log_cond = math.log2(max(condition, 1.0)) if math.isfinite(condition) else 53.0
    off = int(fac.fit_intercept)
    b = float(x[0]) if off else 0.0
    w = x[off:]
    full = uncentred_norms(fac)
    mu = _centring_gain(fac)
    yhat_norm = _fitted_norm(fac, x)
    with np.errstate(over="ignore"):
        terms = y_norm + r_norm + float(np.abs(w) @ full[off:]) + full[0] * abs(b)
    if not (math.isfinite(terms) and yhat_norm > 0.0):
        return math.inf, math.inf
    # The 6-bit margin also covers components up to 2**6 more sensitive than the norm.
    margin = max(6.0, _component_bits(fac, x, yhat_norm))
    bits_f = 53.0 + log_cond + math.log2(max(terms / yhat_norm, 1.0)) + margin
    spread = mu * r_norm * 2.0 * math.sqrt(p) / yhat_norm
    bits_g = 53.0 + 2.0 * log_cond + math.log2(max(spread, 1.0)) + margin
    return bits_f, bits_g


def norm_sliced_bits(d: int, rows: int, levels: int = 1) -> tuple[float, float]:
    """Bits ``(f, g)`` the norm-sliced kernel carries, in :func:`bits_needed`'s terms.

    Notes
    -----
    From the bounds in :func:`linreg.solvers.extended.seminormal_terms`, with ``B`` =
    :data:`~linreg.solvers.extended.NORM_SLICE_BITS` and the sums' losses that
    :func:`levels_for` allows (``log2 d`` bits of a row product, ``log2(rows) / 2``
    of a column sum).

    One level: a row of ``e`` is rounded at about ``(d + 1) 2**-(53 + B)`` of the
    chunk's ``sum_j |C_j| |w_j|``, which bounds any of its rows; over the ``rows``
    rows of a chunk, ``53 + B - log2((d + 1) d) - log2(rows) / 2`` bits of
    ``sum_j |A_j| |x_j|``.  A column sum is rounded at about
    ``2**-(53 + B - 2) sqrt(rows)`` of ``|C_j| |r|`` per chunk (Cauchy-Schwarz
    carries that over to the whole column): ``53 + B - 2 - log2(rows)``.

    Two levels (second grids ``s`` = :func:`~linreg.solvers.extended.second_slice_bits`
    and ``t`` = :func:`~linreg.solvers.extended.weight_slice_bits` bits finer): what is
    rounded of a row is below ``d 2**-(B + t) + 2**-(B + s) + d 2**-53`` of its
    bound, and of a column sum below ``sqrt(rows) 2**-(B - 2 + s) + rows 2**-52``
    of ``|C_j| |r|``.

    At 16 features and 8,192-row blocks: 64.4 and 64 bits with one level, 87.9
    and 84.2 with two, against 71 and 63 for one level of :func:`levels_for`.
    """
    bits = 53.0 + ext.NORM_SLICE_BITS
    half_log_rows = 0.5 * math.log2(max(rows, 1))
    loss_f = math.log2(max(d, 1)) + half_log_rows
    if levels == 1:
        f = bits - math.log2(d + 1) - loss_f
        return f, bits - 2.0 - 2.0 * half_log_rows
    s, t = ext.second_slice_bits(rows), ext.weight_slice_bits(d)
    B = ext.NORM_SLICE_BITS
    row_part = d * 2.0 ** -(B + t) + 2.0 ** -(B + s) + d * 2.0**-53
    col_part = 2.0**half_log_rows * 2.0 ** -(B - 2 + s) + max(rows, 1) * 2.0**-52
    return 53.0 - math.log2(row_part) - loss_f, 53.0 - math.log2(col_part) - half_log_rows


def norm_sliced_levels(bits: tuple[float, float], d: int, rows: int) -> int:
    """The fewest norm-sliced levels (1 or 2) that carry ``bits`` (:func:`bits_needed`)
    on blocks of ``rows`` rows of ``d`` features; 0 if neither does (or ``d = 0``)."""
    for levels in (1, 2) if d else ():
        have = norm_sliced_bits(d, rows, levels)
        if all(need <= got for need, got in zip(bits, have, strict=True)):
            return levels
    return 0


def _component_bits(fac: Centred, x: Array, yhat_norm: float) -> float:
    """``log2`` of the largest ``gain_j`` of :func:`levels_for` (0 when all are below 1)."""
    D = _column_norms(fac.R)
    if not np.all(D > 0.0):
        return 53.0
    rows = 1.0 / D  # |(T D^{-1})_j| for the slopes: 1 / D_j
    if fac.fit_intercept:
        row = np.concatenate([[1.0 / D[0]], fac.means / D[1:]])  # (1, -m^T) D^{-1}
        rows[0] = float(_column_norms(row.reshape(-1, 1))[0])
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        gain = float(np.max(yhat_norm * rows / np.abs(x)))  # nan (0 / 0) counts as no gain
    if not gain > 1.0:
        return 0.0
    # A coefficient of exactly zero bounds no relative error: it gets the most levels.
    most = float(_MAX_LEVELS * 53)
    return min(math.log2(gain), most) if math.isfinite(gain) else most


def vector_norm(v: Array) -> float:
    """Euclidean norm of a vector: one BLAS dot, rescaled only if that over/underflows."""
    with np.errstate(over="ignore"):
        sq = float(np.dot(v, v))
    if math.isfinite(sq) and sq > 1e-280:
        return math.sqrt(sq)
    return float(_column_norms(v.reshape(-1, 1))[0])


def _levels(bits_needed: float, bits_per_level: int, loss: float) -> int:
    """Slicing levels that carry ``bits_needed`` bits (53 come free with float64)."""
    need = max(bits_needed - 53.0 + loss, 1.0)
    if not math.isfinite(need):
        return _MAX_LEVELS
    return int(min(_MAX_LEVELS, max(1, math.ceil(need / bits_per_level))))


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
        Upper triangular with ``R^T R = Z^T Z`` for ``Z = [1, X - 1 m^T]``
        (intercept column first) or ``Z = X`` without intercept, ``p = n_features +
        fit_intercept``: from Householder QR, or for large well-conditioned
        problems the Cholesky factor of ``Z^T Z`` (to its rounding).
    column_means : ndarray of shape (n_features,)
        The shifts ``m`` used for centring (zeros without intercept).
    condition_number : float
        2-norm condition number of ``Z`` with its columns scaled to unit norm
        (over the independent columns).
    fit_intercept : bool
        Whether an intercept was fitted.
    n_samples : int
        Number of rows ``n``.
    residual_sum_of_squares : float or None
        ``|y - b - X w|^2``, where the refinement had it from its own residual
        (the norm-sliced pass of large well-conditioned problems); else ``None``.
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
    residual_sum_of_squares: float | None = None

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


def uncentred_norms(fac: Centred) -> Array:
    col = _column_norms(fac.R)
    if not fac.fit_intercept:
        return col
    full = col.copy()
    # |X_j|^2 = |X_j - m_j|^2 + n m_j^2 (exactly so for the exact mean)
    full[1:] = np.hypot(col[1:], math.sqrt(fac.n) * np.abs(fac.means))
    return full


def _column_norms(R: Array) -> Array:
    """Euclidean norms of the columns of ``R``, safe from overflow and underflow."""
    if R.shape[0] == 0:
        return np.zeros(R.shape[1])
    top = np.max(np.abs(R), axis=0)
    scale = np.where(top > 0.0, top, 1.0)
    return np.asarray(scale * np.sqrt(np.einsum("ij,ij->j", R / scale, R / scale)))


def lstsq(
    X: Array,
    y: Array,
    *,
    fit_intercept: bool = True,
    X_lo: Array | None = None,
    sample_weight: Array | None = None,
    alpha: float = 0.0,
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

    Raises
    ------
    NonFiniteDataError
        When ``X`` or ``y`` holds NaN or infinite values (found by the first pass).

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
    if sample_weight is not None or alpha != 0.0:
        raise NotImplementedError("sample_weight and alpha: being written (issue 12)")
    result = solve(X, y, fit_intercept=fit_intercept, X_lo=X_lo)
    p = result.r_factor.shape[1]
    if result.rank < p:
        warn_rank(result.dependent_columns, result.n_samples, p)
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
    fac, rk, seminormal = _precondition(X, fit_intercept, y)
    off = int(fit_intercept)
    if rk.rank < p:
        assert isinstance(fac, _Factorization)
        dep = tuple(j - off for j in rk.dependent if j >= off)
        x = _min_norm(fac, y, rk.rank)
        return _result(x, fac, rk, dep, 0, False)
    design = Design(X, X_lo, fit_intercept)
    ref = _refine(design, fac, y, None, rk.condition, seminormal)
    return _result(ref.x, fac, rk, (), ref.steps, ref.converged, ref.rss)


def _precondition(
    X: Array, fit_intercept: bool, y: Array | None = None
) -> tuple[Centred, _Rank, bool]:
    """Factor the centred design and decide how the corrections will be solved.

    Returns the factorisation, its rank analysis, and whether to use the
    seminormal corrections (``R`` alone).  Large problems first try ``R`` from the
    centred Gram matrix (one pass, no copy of ``X``; ``y``, if given, yields the
    first solve in the same pass); if its Cholesky factorisation fails, or it
    reveals a rank deficiency or too ill-conditioned a problem for seminormal
    corrections, or for every other problem, the full Householder QR with ``Q``
    is computed.
    """
    n, d = X.shape
    p = d + int(fit_intercept)
    large = n * p > _SMALL_PROBLEM
    if large and n >= 2 * p and d > 0:
        # Its sums are finite only if the data are (or it raises NonFiniteDataError).
        try:
            gram = _GramR(X, y, fit_intercept)
        except np.linalg.LinAlgError:
            pass  # not numerically positive definite: Householder decides the rank
        else:
            rk = numerical_rank(gram, uncentred_norms(gram))
            if rk.rank == p and _seminormal_ok(gram, rk, y):
                return gram, rk, True
    else:
        require_finite(X, y)
    fac = _Factorization(X, fit_intercept)
    rk = numerical_rank(fac, uncentred_norms(fac))
    return fac, rk, large and rk.rank == p and _seminormal_ok(fac, rk, y)


def _seminormal_ok(fac: Centred, rk: _Rank, y: Array | None = None) -> bool:
    """Whether the seminormal corrections contract fast enough (see :func:`_correction`),
    and the data's magnitudes let them: they form ``A^T y`` and ``A^T f`` (``f`` about
    ``eps |y|``) in float64, which underflow, silently zeroing the slopes, when
    ``|X|`` and ``|y|`` are near 1e-300 (and overflow near 1e300).  Such data get
    Björck's corrections, which square nothing."""
    if rk.condition**2 * _centring_gain(fac) > _SEMINORMAL_LIMIT:
        return False
    root_n = math.sqrt(fac.n)
    rms = np.concatenate([_column_norms(fac.R), uncentred_norms(fac)]) / root_n
    if y is not None:
        y_rms = vector_norm(y) / root_n
        rms = np.append(rms, y_rms) if y_rms > 0.0 else rms
    return bool(np.all((rms > _SAFE_SCALE[0]) & (rms < _SAFE_SCALE[1])))


def warn_rank(dep: tuple[int, ...], n: int, p: int) -> None:
    extra = f" (only {n} rows for {p} parameters)" if n < p else ""
    warnings.warn(
        f"columns {list(dep)} are linearly dependent on the others{extra}; "
        "returning the minimum-norm solution",
        RankDeficiencyWarning,
        stacklevel=3,
    )


def _result(
    x: Array,
    fac: Centred,
    rk: _Rank,
    dep: tuple[int, ...],
    steps: int,
    converged: bool,
    rss: float | None = None,
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
        residual_sum_of_squares=rss,
    )


def _min_norm(fac: _Factorization, y: Array, rank: int) -> Array:
    """Minimum-norm solution of the centred problem, from ``R`` and ``Q^T y``.

    Notes
    -----
    With an intercept, ``Z = [1, X - 1 m^T] = Q R`` and ``Q``'s first column is
    ``1 / R_00``, so the exactly centred design is ``X - 1 xbar^T = Q_{:,1:} R_{1:,1:}``
    and the centred problem ``min ||(y - ybar) - (X - 1 xbar^T) w||`` becomes
    ``min ||(Q^T y)_{1:k} - R_{1:k,1:} w||``.  ``w`` is its minimum-norm solution
    from the SVD of ``R_{1:k,1:}`` truncated to the numerical rank, and the first
    row gives the intercept: ``b = ((Q^T y)_0 - R_{0,1:} w) / R_00 - m^T w``.
    Without intercept, ``w`` is the truncated-SVD solution of ``R w = (Q^T y)_{:k}``.
    """
    k = fac.k
    qty = fac.qt(y)[:k]
    if not fac.fit_intercept:
        return truncated_pinv_solve(fac.R, qty, rank)
    R = fac.R
    w = truncated_pinv_solve(R[1:, 1:], qty[1:], rank - 1)
    b = (qty[0] - float(R[0, 1:] @ w)) / R[0, 0] - float(fac.means @ w)
    return np.concatenate([[b], w])


def truncated_pinv_solve(B: Array, rhs: Array, keep: int) -> Array:
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
    fac, rk, seminormal = _precondition(X, fit_intercept)
    if rk.rank < p:
        raise ValueError(
            f"the design is rank deficient (rank {rk.rank} < {p}); A^T A has no inverse"
        )
    design = Design(X, X_lo, fit_intercept)
    out = np.empty((p, p))
    for j in range(p):
        c = np.zeros(p)
        c[j] = -1.0
        out[:, j] = _refine(design, fac, None, c, rk.condition, seminormal).x
    # Symmetrise: the two triangles agree to rounding.
    return np.asarray(0.5 * (out + out.T))


def residuals(
    X: Array,
    y: Array,
    coef: Array,
    intercept: float = 0.0,
    *,
    X_lo: Array | None = None,
    levels: int = _MAX_LEVELS,
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
    levels : int, default 6
        Slicing levels of the row products (see :func:`residual_levels` for
        what a sum of squares needs; fewer are faster).

    Returns
    -------
    ndarray of shape (n_samples,)
        With the default levels, each residual correctly rounded (to within an
        ulp or so) unless its terms cancel in more than about 150 bits: the sum is
        formed in roughly four-fold float64 precision.
    """
    X, X_lo = _as_design(X, y, X_lo)
    design = Design(X, X_lo, True)
    return design.residual(y, np.asarray(coef, dtype=np.float64), float(intercept), levels)


def residual_levels(
    X: Array, y: Array, coef: Array, intercept: float = 0.0, *, X_lo: Array | None = None
) -> int:
    """Slicing levels that give the residual vector to ``2**-59`` of its norm.

    What a residual sum of squares needs, where :func:`residuals`' default gives
    every residual correctly rounded.  With ``r = fl(y - b - X w)`` (one BLAS
    pass) and the column norms (another), the row products carry their terms,
    ``|y| + |r| + sum_j |X_j| |w_j| + sqrt(n) |b|``, to ``2**-bits``, so ``bits =
    53 + log2(terms / |r|) + 6`` suffice.  Small problems (at most 65,536
    entries), exact fits, data beyond float64's range and double-double designs
    (``X_lo``) get the most levels.
    At 2,000,000 x 16, typical data need one level, five fewer than the default.
    """
    n, d = X.shape
    if n * (d + 1) <= _SMALL_PROBLEM or d == 0 or X_lo is not None:
        return _MAX_LEVELS
    with np.errstate(over="ignore", invalid="ignore"):
        r = y - intercept - X @ coef
        columns = np.sqrt(np.einsum("ij,ij->j", X, X))
        r_norm, y_norm = vector_norm(r), vector_norm(y)
        terms = y_norm + r_norm + float(np.abs(coef) @ columns) + math.sqrt(n) * abs(intercept)
    if not (r_norm > 0.0 and math.isfinite(terms) and math.isfinite(r_norm)):
        return _MAX_LEVELS
    bits = 53.0 + math.log2(max(terms / r_norm, 1.0)) + 6.0
    return _levels(bits, ext.slice_bits(d), math.log2(d))
