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
   moments also give the first solve (:class:`linreg.solvers.factor.GramR`); a failed
   Cholesky, a rank
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
   prediction, like the precision (:func:`linreg.solvers.refine.levels_for`), allows for components
   more sensitive than the whole: a small coefficient, or an intercept behind
   columns far from zero (``b = u_0 - m^T w`` multiplies the error of ``w`` by
   ``m``).  A well-conditioned problem takes one step.

Extended precision
------------------
``A x`` and ``A^T r`` are computed by the error-free splitting kernels of
:mod:`linreg.solvers.extended`; the bits a problem needs are worked out from its norms
and condition (:func:`linreg.solvers.refine.bits_needed`) and turned into *levels* of slicing
(:func:`linreg.solvers.refine.levels_for`): large well-conditioned problems need one, problems under
65,536 entries always get six, far beyond double-double.  Where the seminormal
corrections apply and the bits needed are within what a norm-sliced pass
carries (:func:`linreg.solvers.refine.norm_sliced_bits`: at 16 features 64 bits with one
level, about
84 with two), a step takes ``T^T A^T (y - A x)`` from
:func:`linreg.solvers.norm_sliced.seminormal_terms` instead: the same exact-plus-tail sums,
with each block of ``X`` sliced once, on grids set by the block's column norms
that the Gram pass recorded, for both products.  Its terms are summed exactly
(``math.fsum``), and it also gives ``|y - A x|^2``, which the estimator reports
as the training loss instead of a pass of its own.  Both routes end at the
correctly rounded solution: they agree to the bit.  Standardized data take one
level; columns a few standard deviations from zero with an intercept small beside
the fitted values (whose error the offsets amplify) take two; problems needing
more than that take the general kernels, in C where the extension is built
(:mod:`linreg.solvers.general_kernel`: the same terms, the same solution to the bit).

Ill-conditioned designs such as ``x, ..., x^6`` on ``[1, 2]`` (``cond^2 mu`` about
``1e13``) can never use the seminormal corrections; a sample of at most 65,536
evenly spaced rows (a sixteenth of ``X`` or less) tells so before the Gram pass,
which they then skip for Householder QR directly.

Cost and memory
---------------
Large well-conditioned problems: no copy of ``X`` (the Gram pass works in 1 MiB
blocks), a few ``n``-vectors, and per thread about ``2 (levels + 2)`` MiB of
scratch for the general kernels (the norm-sliced pass: 3 MiB in NumPy, a few KiB
in C, :mod:`linreg.solvers.kernels`, the same solutions to the bit).  A refinement
in float64 alone would be cheaper, but lands ulps off the correctly rounded
solution where ``y - A x`` cancels.  Other problems: one float64 copy of the
centred design, ``n x (d + 1)``, which the QR overwrites, plus one or two
applications of ``Q`` per step; these LAPACK calls run with BLAS on one thread
(:mod:`linreg.solvers.threads`: woken OpenBLAS workers would spin on the cores the
extended-precision passes use), and ``|y - A x|^2`` comes from the last pass's own
residual (:func:`linreg.solvers.refine.moved_rss`).  Timings: ``benchmarks/README.md``.

Weights and the penalty
-----------------------
With ``sample_weight`` or ``alpha > 0`` the problem is :mod:`linreg.problem`'s, with
normal equations ``A^T diag(w) (y - A x) = alpha S D x``. Large well-conditioned ones
(unweighted ridge included) take the route of step 1's Gram pass and the seminormal
corrections, weighted (:mod:`linreg.solvers.weighted_gram`: a weighted Gram pass, then
norm-sliced passes with every ``w_i r_i`` formed exactly); the others, or where that
route finds a failed Cholesky, a rank drop or too large a condition number,
:mod:`linreg.solvers.weighted`, which preconditions by Householder QR and refines both
residuals from the original data in extended precision. Either way the answer is the
correctly rounded minimiser (the same bits). ``w = None`` with ``alpha = 0`` takes the
unweighted path above unchanged.

Rank deficiency
---------------
A column is linearly dependent when its distance from the span of the previous
columns, ``|R_jj|``, is at most ``max(n, p) * eps`` times its norm (times ``mu_j``,
the digits lost to centring), or when it is numerically constant.  Then, or when
the singular values of the column-normalised ``R`` reveal a rank drop, a
:class:`~linreg.errors.RankDeficiencyWarning` names the dependent columns and the
minimum-norm solution of the centred problem is returned (from an SVD of ``R``),
without refinement.

The pieces live by idea: the design and its extended-precision residuals in
:mod:`linreg.solvers.design`, the factorisations, LAPACK wrappers and rank analysis
in :mod:`linreg.solvers.factor`, the refinement and its precision rules in
:mod:`linreg.solvers.refine`, the result in :mod:`linreg.solvers.result`; the
streamed and Dask solvers (:mod:`linreg.solvers.streamed_exact`) share them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Final

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.problem import check_ridge, check_sample_weight
from linreg.solvers import extended as ext
from linreg.solvers.design import Design
from linreg.solvers.factor import (
    Centred,
    Factorization,
    GramR,
    Rank,
    numerical_rank,
    safe_column_norms,
    truncated_pinv_solve,
    uncentred_norms,
    vector_norm,
    warn_rank,
)
from linreg.solvers.refine import (
    MAX_LEVELS,
    SMALL_PROBLEM,
    Refined,
    centring_gain,
    levels_carrying,
    refine,
)
from linreg.solvers.result import LstsqResult
from linreg.solvers.threads import narrow_blas, single_blas
from linreg.solvers.weighted import WeightedDesign, WeightedFactorization
from linreg.solvers.weighted_gram import WeightedGramR, solve_weighted_gram
from linreg.validation import require_finite

__all__ = [
    "LstsqResult",
    "inverse_gram",
    "lstsq",
    "residual_levels",
    "residuals",
    "solve",
]

Array = NDArray[np.float64]

#: Largest ``cond(Z)^2 * mu`` for which large problems use the seminormal corrections
#: (their contraction factor, about that times eps, is then below 2**-26).
_SEMINORMAL_LIMIT: Final = 2.0**26
#: Rows at most, at least per column, and the margin over the limit, of the sample
#: that decides whether a Gram pass is worth trying (:func:`_sample_too_ill`).
_SAMPLE_ROWS: Final = 65_536
_SAMPLE_PER_COLUMN: Final = 32
_SAMPLE_MARGIN: Final = 2.0**8
#: Root-mean-square sizes of the columns and of y within which the seminormal
#: corrections' float64 products neither underflow nor overflow (2**-200, 2**200).
_SAFE_SCALE: Final = (2.0**-200, 2.0**200)


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


def lstsq(
    X: Array,
    y: Array,
    *,
    fit_intercept: bool = True,
    X_lo: Array | None = None,
    sample_weight: Array | None = None,
    alpha: float | Array = 0.0,
    feature_names: Sequence[str] | None = None,
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
        problem for ``X + X_lo`` while ``X`` alone builds the preconditioner
        (unweighted, unpenalized problems only).
    sample_weight : ndarray of shape (n_samples,), optional
        Row weights ``w >= 0``, not all zero (:func:`linreg.problem.check_sample_weight`).
    alpha : float or ndarray of shape (n_features,), default 0.0
        Ridge penalty ``alpha |w|^2`` on the slopes (never the intercept), or one per
        slope, ``sum_j alpha_j w_j^2`` (the standardized penalty's ``alpha s^2``).
    feature_names : sequence of str, optional
        The columns' names, for the rank-deficiency warning (else their indices).

    Returns
    -------
    LstsqResult
        ``residual_sum_of_squares`` is ``sum(w r^2)`` for weighted or penalized
        problems (no penalty term; at the last refinement pass's iterate).

    Raises
    ------
    NonFiniteDataError
        When ``X`` or ``y`` holds NaN or infinite values (found by the first pass).

    Warns
    -----
    RankDeficiencyWarning
        When some columns are linearly dependent (or ``n < p``); the minimum-norm
        solution of the centred problem is returned.

    Raises
    ------
    LinregError
        A bad ``sample_weight`` or ``alpha``.

    Notes
    -----
    With ``A = [1 X]`` and ``x = (b, w)`` the solution satisfies the normal
    equations ``A^T (y - A x) = 0``; with weights and the penalty, the minimiser of
    :func:`linreg.problem.objective`, ``A^T diag(w) (y - A x) = alpha S D x``.
    It is computed by Householder QR of the centred design followed by Björck's refinement of
    ``[I A; A^T 0][r; x] = [y; 0]`` with extended-precision residuals; see the
    module docstring.
    """
    if sample_weight is not None or np.any(np.asarray(alpha) != 0.0):
        return _weighted(X, y, fit_intercept, X_lo, sample_weight, alpha, feature_names)
    result = solve(X, y, fit_intercept=fit_intercept, X_lo=X_lo)
    p = result.r_factor.shape[1]
    if result.rank < p:
        warn_rank(result.dependent_columns, result.n_samples, p, feature_names)
    return result


def _weighted(
    X: Array,
    y: Array,
    fit_intercept: bool,
    X_lo: Array | None,
    sample_weight: Array | None,
    alpha: float | Array,
    feature_names: Sequence[str] | None = None,
) -> LstsqResult:
    """:func:`lstsq` of a weighted or penalized problem (see the module docstring)."""
    X, _ = _as_design(X, y, None)
    if X_lo is not None:
        raise LinregError("X_lo (a double-double design) takes no sample_weight or alpha")
    n, d = X.shape
    alpha = check_ridge(alpha, d)
    w = check_sample_weight(sample_weight, n)
    # The whole fit, not only its passes, with one BLAS thread on a narrow design: a
    # BLAS call between two passes (|y|, say) wakes workers that then spin on the
    # cores the next pass needs (weighted ridge, 2,000,000 x 16: 0.13 -> 0.075 s).
    with narrow_blas(d):
        return _weighted_fit(X, y, fit_intercept, w, alpha, feature_names)


def _weighted_fit(
    X: Array,
    y: Array,
    fit_intercept: bool,
    w: Array | None,
    alpha: float | Array,
    feature_names: Sequence[str] | None,
) -> LstsqResult:
    """:func:`_weighted` once its arguments are checked."""
    n, d = X.shape
    given = w
    # Scaling every weight by the same c changes nothing: a power of two that brings
    # the largest to [1/2, 1) is exact (unless the weights span more than 2**1022)
    # and keeps w y and w r within range whatever the weights' scale.
    exponent = 0 if w is None else math.frexp(float(np.max(w)))[1]
    scaled = None if w is None else np.ldexp(w, -exponent)
    if d + int(fit_intercept) == 0:
        return solve(X, y, fit_intercept=False)
    fast = _weighted_gram(X, y, fit_intercept, scaled, alpha)
    if fast is not None:
        gram, rk, ref = fast
        # sum(w r^2) at the last pass's iterate, as the kernel summed it (w scaled back).
        with np.errstate(over="ignore"):
            rss = None if ref.rss is None else float(np.ldexp(ref.rss, exponent))
        return _result(ref.x, gram, rk, (), ref.steps, ref.converged, rss)
    w = np.ones(n) if scaled is None else scaled
    require_finite(X, y)
    mass = ext.expansion(w.reshape(-1, 1))[:, 0].tolist()
    fac = WeightedFactorization(X, fit_intercept, w, alpha, math.fsum(mass))
    rk = numerical_rank(fac, uncentred_norms(fac))
    p = fac.p
    if rk.rank < p:
        off = int(fit_intercept)
        dep = tuple(j - off for j in rk.dependent if j >= off)
        warn_rank(dep, n, p, feature_names)
        x = fac.min_norm(y, rk.rank)
        return _result(x, fac, rk, dep, 0, False, _weighted_rss(X, y, given, x, fit_intercept))
    fac.start = fac.first_solve(y)
    design = WeightedDesign(X, fit_intercept, w, alpha, mass)
    ref = refine(design, fac, y, None, rk.condition, False)
    rss = _weighted_rss(X, y, given, ref.x, fit_intercept)
    return _result(ref.x, fac, rk, (), ref.steps, ref.converged, rss)


def _weighted_gram(
    X: Array, y: Array, fit_intercept: bool, w: Array | None, alpha: float | Array
) -> tuple[WeightedGramR, Rank, Refined] | None:
    """The weighted problem by the fast route (:mod:`linreg.solvers.weighted_gram`), or
    None where it does not apply: small, too few rows, no features, a sample already
    too ill-conditioned, a failed Cholesky, a rank drop, a condition beyond the
    seminormal limit, or more bits than a norm-sliced pass carries."""
    n, d = X.shape
    p = d + int(fit_intercept)
    if n * p <= SMALL_PROBLEM or n < 2 * p or d == 0 or _sample_too_ill(X, fit_intercept):
        return None
    try:
        gram = WeightedGramR(X, y, fit_intercept, w, alpha)
    except np.linalg.LinAlgError:
        return None  # Householder QR decides the rank
    rk = numerical_rank(gram, uncentred_norms(gram))
    if rk.rank < p or not _seminormal_ok(gram, rk, y):
        return None
    ref = solve_weighted_gram(X, y, w, alpha, gram, rk)
    return None if ref is None else (gram, rk, ref)


def _weighted_rss(X: Array, y: Array, w: Array | None, x: Array, fit_intercept: bool) -> float:
    """``sum(w r^2)`` at ``x`` (float64; ``|r|^2`` without weights)."""
    with np.errstate(over="ignore", invalid="ignore"):
        r = y - (X @ x[1:] + x[0] if fit_intercept else X @ x)
        return float(np.dot(r, r) if w is None else np.dot(w * r, r))


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
    # One BLAS thread for the whole of a narrow fit (see _weighted).
    with narrow_blas(d):
        fac, rk, seminormal = _precondition(X, fit_intercept, y)
        off = int(fit_intercept)
        if rk.rank < p:
            assert isinstance(fac, Factorization)
            dep = tuple(j - off for j in rk.dependent if j >= off)
            x = _min_norm(fac, y, rk.rank)
            return _result(x, fac, rk, dep, 0, False)
        design = Design(X, X_lo, fit_intercept)
        with nullcontext() if seminormal else single_blas():
            ref = refine(design, fac, y, None, rk.condition, seminormal)
    return _result(ref.x, fac, rk, (), ref.steps, ref.converged, ref.rss)


def _precondition(
    X: Array, fit_intercept: bool, y: Array | None = None
) -> tuple[Centred, Rank, bool]:
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
    large = n * p > SMALL_PROBLEM
    if large and n >= 2 * p and d > 0 and not _sample_too_ill(X, fit_intercept):
        # Its sums are finite only if the data are (or it raises NonFiniteDataError).
        try:
            gram = GramR(X, y, fit_intercept)
        except np.linalg.LinAlgError:
            pass  # not numerically positive definite: Householder decides the rank
        else:
            rk = numerical_rank(gram, uncentred_norms(gram))
            if rk.rank == p and _seminormal_ok(gram, rk, y):
                return gram, rk, True
    else:
        require_finite(X, y)
    with single_blas():
        fac = Factorization(X, fit_intercept)
    rk = numerical_rank(fac, uncentred_norms(fac))
    return fac, rk, large and rk.rank == p and _seminormal_ok(fac, rk, y)


def _sample_too_ill(X: Array, fit_intercept: bool) -> bool:
    """Whether evenly spaced rows already show the problem too ill-conditioned for
    the seminormal corrections, so that the Gram pass over all of ``X`` would be wasted.

    Notes
    -----
    Every ``s``-th row, at most :data:`_SAMPLE_ROWS` of them, and only where they are
    at most a sixteenth of ``X`` and at least :data:`_SAMPLE_PER_COLUMN` per column
    (so the sample costs a sixteenth of the Gram pass or less).  With ``S`` the
    sample, centred on its means ``m`` when an intercept is fitted, and ``D`` its
    column norms, ``Z = [1, S - 1 m^T]`` has orthogonal first column, so the
    eigenvalues of the column-normalised ``Z^T Z`` are 1 and those of
    ``G = D^{-1} S_c^T S_c D^{-1}``: ``cond(Z)^2 = max(1, l_max) / min(1, l_min)``,
    and ``mu_j = sqrt(1 + rows m_j^2 / D_j^2)``.  The condition of a sample of
    rows is near that of all of them, and it is never used for the answer: only a
    sample ``2**8`` times beyond the limit (``cond^2 mu > 2**34``; or a Gram matrix
    with no positive smallest eigenvalue) skips the Gram pass.  On ``x, ..., x^6``
    over ``[1, 2]`` (``cond^2 mu`` about ``1e13``) that saves half the time; a
    wrong guess costs only speed (the Householder route refines to the same
    correctly rounded solution).  A constant column, or non-finite sums, leave the
    decision to the Gram pass.
    """
    n, d = X.shape
    p = d + int(fit_intercept)
    stride = max(16, -(-n // _SAMPLE_ROWS))
    rows = -(-n // stride)
    if rows < _SAMPLE_PER_COLUMN * p:
        return False
    # One BLAS thread: a woken pool would spin on the cores the next passes need.
    with single_blas(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        S = np.array(X[::stride], dtype=np.float64)
        means = S.mean(axis=0) if fit_intercept else np.zeros(d)
        if fit_intercept:
            S -= means
        gram = S.T @ S
        D = np.sqrt(np.diag(gram))
        if not (np.all(np.isfinite(gram)) and np.all(D > 0.0)):
            return False
        lam = np.linalg.eigvalsh(gram / np.outer(D, D))
        mu = float(np.max(np.sqrt(1.0 + rows * (means / D) ** 2)))
    low, high = float(np.min(lam)), float(np.max(lam))
    if fit_intercept:
        low, high = min(low, 1.0), max(high, 1.0)
    if not low > 0.0:
        return True
    return high / low * mu > _SEMINORMAL_LIMIT * _SAMPLE_MARGIN


def _seminormal_ok(fac: Centred, rk: Rank, y: Array | None = None) -> bool:
    """Whether the seminormal corrections contract fast enough (see :func:`correction`),
    and the data's magnitudes let them: they form ``A^T y`` and ``A^T f`` (``f`` about
    ``eps |y|``) in float64, which underflow, silently zeroing the slopes, when
    ``|X|`` and ``|y|`` are near 1e-300 (and overflow near 1e300).  Such data get
    Björck's corrections, which square nothing."""
    if rk.condition**2 * centring_gain(fac) > _SEMINORMAL_LIMIT:
        return False
    root_n = math.sqrt(fac.n)
    rms = np.concatenate([safe_column_norms(fac.R), uncentred_norms(fac)]) / root_n
    if y is not None:
        y_rms = vector_norm(y) / root_n
        rms = np.append(rms, y_rms) if y_rms > 0.0 else rms
    return bool(np.all((rms > _SAFE_SCALE[0]) & (rms < _SAFE_SCALE[1])))


def _result(
    x: Array,
    fac: Centred,
    rk: Rank,
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


def _min_norm(fac: Factorization, y: Array, rank: int) -> Array:
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
        out[:, j] = refine(design, fac, None, c, rk.condition, seminormal).x
    # Symmetrise: the two triangles agree to rounding.
    return np.asarray(0.5 * (out + out.T))


def residuals(
    X: Array,
    y: Array,
    coef: Array,
    intercept: float = 0.0,
    *,
    X_lo: Array | None = None,
    levels: int = MAX_LEVELS,
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
    if n * (d + 1) <= SMALL_PROBLEM or d == 0 or X_lo is not None:
        return MAX_LEVELS
    with np.errstate(over="ignore", invalid="ignore"):
        r = y - intercept - X @ coef
        columns = np.sqrt(np.einsum("ij,ij->j", X, X))
        r_norm, y_norm = vector_norm(r), vector_norm(y)
        terms = y_norm + r_norm + float(np.abs(coef) @ columns) + math.sqrt(n) * abs(intercept)
    if not (r_norm > 0.0 and math.isfinite(terms) and math.isfinite(r_norm)):
        return MAX_LEVELS
    bits = 53.0 + math.log2(max(terms / r_norm, 1.0)) + 6.0
    return levels_carrying(bits, ext.slice_bits(d), math.log2(d))
