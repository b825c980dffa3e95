"""Björck's iterative refinement of the exact solver, and its precision rules.

:func:`refine` refines ``x = (b, w)`` and ``r`` on the augmented system of the
original design with extended-precision residuals (:class:`linreg.solvers.design.Design`),
solving the corrections with a :class:`linreg.solvers.factor.Centred` factor as
preconditioner; :class:`StopRule` decides when to stop.  :func:`bits_needed`,
:func:`levels_for` and :func:`norm_sliced_levels` work out how much precision a
problem's residuals need and which kernel carries it.  The streamed solver
(:mod:`linreg.solvers.streamed_exact`) shares the rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular

from linreg.solvers import extended as ext
from linreg.solvers import norm_sliced
from linreg.solvers.design import Design
from linreg.solvers.factor import (
    Centred,
    Factorization,
    safe_column_norms,
    uncentred_norms,
    vector_norm,
)

__all__ = [
    "MAX_LEVELS",
    "MAX_REFINEMENTS",
    "SMALL_PROBLEM",
    "PassRefined",
    "Refined",
    "RhsPass",
    "StopRule",
    "bits_needed",
    "centring_gain",
    "correction",
    "fitted_norm",
    "levels_carrying",
    "levels_for",
    "levels_for_bits",
    "moved_rss",
    "norm_sliced_bits",
    "norm_sliced_levels",
    "refine",
    "refine_by_passes",
    "residual_norms",
    "seminormal_du",
]

Array = NDArray[np.float64]

#: Machine epsilon of float64, 2**-52.
_EPS: Final = 2.0**-52
#: Unit roundoff of float64, 2**-53.
_U: Final = 2.0**-53
#: Refinement steps at most.
MAX_REFINEMENTS: Final = 10
#: Problems with at most this many design entries always get the full precision.
SMALL_PROBLEM: Final = 1 << 16
#: Safety factor on the theoretical contraction factor of the refinement.
_RATE_SAFETY: Final = 64.0
#: Most slicing levels used by the kernels (well beyond double-double).
MAX_LEVELS: Final = 6


class StopRule:
    """When the refinement stops (see :func:`refine`); the streamed solver shares it.

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
            * (cond**2 * centring_gain(fac) * fac.rate_factor if seminormal else cond)
        )
        # How much a component's relative error can exceed the normwise one the
        # contraction factor bounds (a small coefficient, an intercept behind offsets).
        self.gain = 2.0 ** component_bits(fac, x, fitted_norm(fac, x))
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
class Refined:
    x: Array
    steps: int
    converged: bool
    #: ``|y - A x|^2`` from the refinement's own residual, where it kept one.
    rss: float | None = None


def refine(
    design: Design,
    fac: Centred,
    y: Array | None,
    c: Array | None,
    condition: float,
    seminormal: bool,
) -> Refined:
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
        x, _ = correction(design, fac, y_arr, start_rhs, seminormal, f_is_zero=y is None)
    y_norm, r_norm = residual_norms(fac, y_arr, x)
    bits = bits_needed(fac, x, condition, y_norm, r_norm)
    shift = fac.means if fac.fit_intercept else None
    # The norm-sliced pass where it carries the bits needed (one slicing of X a step).
    sliced_ok = seminormal and c is None and fac.block_norms is not None and design.X_lo is None
    sliced_levels = norm_sliced_levels(bits, fac.d, fac.block_rows) if sliced_ok else 0
    sliced = sliced_levels > 0
    levels = levels_for_bits(bits, design.d, min(design.n, design.chunk))
    rule = StopRule(fac, x, condition, seminormal)
    if sliced:
        assert fac.block_norms is not None
        norms, rows = fac.block_norms, fac.block_rows

        def sliced_pass(x: Array) -> tuple[Array, float | None]:
            return design.seminormal_rhs(y_arr, x, shift, norms, rows, sliced_levels)

        out = refine_by_passes(fac, x, rule, sliced_pass)
        rss = out.rss if out.finite else None
        if rss is not None and out.last is not None:
            # |e - A dx|^2 = |e|^2 - 2 du^T Z^T e + |Z du|^2, with Z^T e = rhs, A dx = Z du.
            du, rhs = out.last
            rss = max(rss - 2.0 * float(du @ rhs) + vector_norm(fac.R @ du) ** 2, 0.0)
        return Refined(out.x, out.steps, out.converged, rss)
    rss = None
    r = np.empty(n)
    fresh = True  # the first pass sets r = fl(y - A x) as it goes
    converged = False
    while rule.steps < MAX_REFINEMENTS:
        # |y - A x|^2 from the pass's own residual, for least squares (c = 0); a
        # design that cannot give it (the weighted one) returns None.
        f, g, rhs, rss = design.evaluate_rss(
            y_arr,
            r,
            x,
            c_arr,
            levels,
            fresh_residual=fresh,
            with_rmatvec=seminormal,
            shift=shift,
            with_rss=c is None,
        )
        fresh = False
        if not (f.any() or g.any()):
            converged = True  # y = A x exactly (and A^T r = c)
            break
        if not all(np.all(np.isfinite(part)) for part in (f, g, rhs)):
            rss = None
            break  # data near overflow (beyond 2**900): keep the current iterate
        dx, residual_step = correction(design, fac, f, rhs, seminormal)
        verdict = rule.judge(x, dx)
        if verdict == "reject":
            break
        x = x + dx
        rss = moved_rss(fac, rss, dx)
        if verdict != "continue":
            converged = verdict == "converged" or rule.delta <= 2.0**-40
            break
        r = r + residual_step()
    return Refined(x, rule.steps, converged, rss)


def moved_rss(fac: Centred, rss: float | None, dx: Array) -> float | None:
    """``|y - A (x + dx)|^2`` from ``rss = |y - A x|^2``, where the step is negligible.

    Notes
    -----
    With ``x* = x + dx`` the least-squares solution, its residual ``e*`` is orthogonal
    to the range of ``A``, so ``|y - A x|^2 = |e*|^2 + |A dx|^2`` (Pythagoras), and
    ``|A dx| = |R T^{-1} dx|`` (:func:`fitted_norm`).  ``x + dx`` is the solution only
    to rounding, so the answer is given only when ``|A dx|^2 <= 2**-52 rss``: then
    the step, and any error of ``x + dx`` (smaller still: it is what the next step
    would correct), are below the rounding of ``rss`` itself.  Otherwise (or for a
    non-finite ``rss``) None: the caller sums the residuals afresh.
    """
    if rss is None or not math.isfinite(rss):
        return None
    step = fitted_norm(fac, dx) ** 2
    if not step <= 2.0**-52 * rss:
        return None
    return max(rss - step, 0.0)


#: One refinement pass at ``x``: the corrections' centred right-hand side ``T^T g``,
#: correctly rounded, and ``|r|^2`` at ``x`` where the pass gives it.
RhsPass = Callable[[Array], "tuple[Array, float | None]"]


@dataclass(frozen=True)
class PassRefined:
    """What :func:`refine_by_passes` ends with.

    ``rss`` is the last pass's ``|r|^2`` (at the iterate it was computed at) and
    ``finite`` whether that pass was; ``last`` is ``(du, rhs)`` of the correction
    applied after the last pass, if one was; ``applied`` the relative size of the
    last correction applied (nan if none).
    """

    x: Array
    steps: int
    converged: bool
    passes: int
    rss: float | None
    finite: bool
    last: tuple[Array, Array] | None
    applied: float


def refine_by_passes(fac: Centred, x: Array, rule: StopRule, rhs_pass: RhsPass) -> PassRefined:
    """The refinement loop of the corrected seminormal equations, one pass a step.

    Each step takes ``rhs = T^T g`` from ``rhs_pass(x)`` (in extended precision,
    rounded once), solves ``R^T R du = rhs`` and moves ``x`` by ``dx = T du``, until
    :class:`StopRule` says stop, ``rhs`` is exactly zero (converged) or not finite
    (data near overflow: the iterate is kept), or after ``MAX_REFINEMENTS`` steps.
    The one loop of the in-memory solver's norm-sliced passes (:func:`refine`) and
    of the streamed solver's passes over the data
    (:func:`linreg.solvers.streamed_exact.solve_exact`); Björck's corrections, which
    carry the residual along, are :func:`refine`'s own.
    """
    passes, converged, finite = 0, False, True
    rss: float | None = None
    last: tuple[Array, Array] | None = None
    applied = math.nan
    while rule.steps < MAX_REFINEMENTS:
        rhs, rss = rhs_pass(x)
        passes += 1
        last = None
        if not rhs.any():
            converged = True  # the normal equations hold exactly
            break
        if not np.all(np.isfinite(rhs)):
            finite = False
            break  # data near overflow (beyond 2**900): keep the current iterate
        du = seminormal_du(fac, rhs)
        dx = fac.t_apply(du)
        verdict = rule.judge(x, dx)
        if verdict == "reject":
            break
        x, applied, last = x + dx, rule.delta, (du, rhs)
        if verdict != "continue":
            converged = verdict == "converged" or rule.delta <= 2.0**-40
            break
    return PassRefined(x, rule.steps, converged, passes, rss, finite, last, applied)


def correction(
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
        assert isinstance(fac, Factorization), "Björck's corrections need Q"
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


def centring_gain(fac: Centred) -> float:
    """Largest ratio of a column's uncentred to centred norm (1 without centring)."""
    col = safe_column_norms(fac.R)
    full = uncentred_norms(fac)
    return float(np.max(full / np.where(col > 0, col, 1.0))) if full.size else 1.0


def residual_norms(fac: Centred, y: Array, x: Array) -> tuple[float, float]:
    """``|y|``, and ``|r|`` from ``|r|^2 = |y|^2 - |y_hat|^2`` at the least-squares
    solution (an exact fit may show rounding noise there, which only overstates
    ``|r|``: the safe side), for :func:`bits_needed`."""
    y_norm = fac.target_norm(y)
    yhat_norm = fitted_norm(fac, x)
    gap = max(y_norm - yhat_norm, 0.0) * (y_norm + yhat_norm)
    return y_norm, (math.sqrt(gap) if y_norm > 0.0 else yhat_norm)


def fitted_norm(fac: Centred, x: Array) -> float:
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
        levels_carrying(bits[0], ext.slice_bits(d_f), math.log2(d_f)),
        levels_carrying(bits[1], ext.slice_bits(rows), 0.5 * math.log2(rows)),
    )


def bits_needed(
    fac: Centred, x: Array, condition: float, y_norm: float, r_norm: float
) -> tuple[float, float]:
    """Bits ``(bits_f, bits_g)`` the refinement's residuals need (see :func:`levels_for`);
    infinite for small problems, which always get the most levels."""
    n, p = fac.n, fac.p
    if n * max(p, 1) <= SMALL_PROBLEM:
        return math.inf, math.inf
    log_cond = math.log2(max(condition, 1.0)) if math.isfinite(condition) else 53.0
    off = int(fac.fit_intercept)
    b = float(x[0]) if off else 0.0
    w = x[off:]
    full = uncentred_norms(fac)
    mu = centring_gain(fac)
    yhat_norm = fitted_norm(fac, x)
    with np.errstate(over="ignore"):
        terms = y_norm + r_norm + float(np.abs(w) @ full[off:]) + full[0] * abs(b)
    if not (math.isfinite(terms) and yhat_norm > 0.0):
        return math.inf, math.inf
    # The 6-bit margin also covers components up to 2**6 more sensitive than the norm.
    margin = max(6.0, component_bits(fac, x, yhat_norm))
    bits_f = 53.0 + log_cond + math.log2(max(terms / yhat_norm, 1.0)) + margin
    spread = mu * r_norm * 2.0 * math.sqrt(p) / yhat_norm
    bits_g = 53.0 + 2.0 * log_cond + math.log2(max(spread, 1.0)) + margin
    return bits_f, bits_g


def norm_sliced_bits(d: int, rows: int, levels: int = 1) -> tuple[float, float]:
    """Bits ``(f, g)`` the norm-sliced kernel carries, in :func:`bits_needed`'s terms.

    Notes
    -----
    From the bounds in :func:`linreg.solvers.norm_sliced.seminormal_terms`, with ``B`` =
    :data:`~linreg.solvers.norm_sliced.NORM_SLICE_BITS` and the sums' losses that
    :func:`levels_for` allows (``log2 d`` bits of a row product, ``log2(rows) / 2``
    of a column sum).

    One level: a row of ``e`` is rounded at about ``(d + 1) 2**-(53 + B)`` of the
    chunk's ``sum_j |C_j| |w_j|``, which bounds any of its rows; over the ``rows``
    rows of a chunk, ``53 + B - log2((d + 1) d) - log2(rows) / 2`` bits of
    ``sum_j |A_j| |x_j|``.  A column sum is rounded at about
    ``2**-(53 + B - 2) sqrt(rows)`` of ``|C_j| |r|`` per chunk (Cauchy-Schwarz
    carries that over to the whole column): ``53 + B - 2 - log2(rows)``.

    Two levels (second grids ``s`` = :func:`~linreg.solvers.norm_sliced.second_slice_bits`
    and ``t`` = :func:`~linreg.solvers.norm_sliced.weight_slice_bits` bits finer): what is
    rounded of a row is below ``d 2**-(B + t) + 2**-(B + s) + d 2**-53`` of its
    bound, and of a column sum below ``sqrt(rows) 2**-(B - 2 + s) + rows 2**-52``
    of ``|C_j| |r|``.

    At 16 features and 8,192-row blocks: 64.4 and 64 bits with one level, 87.9
    and 84.2 with two, against 71 and 63 for one level of :func:`levels_for`.
    """
    bits = 53.0 + norm_sliced.NORM_SLICE_BITS
    half_log_rows = 0.5 * math.log2(max(rows, 1))
    loss_f = math.log2(max(d, 1)) + half_log_rows
    if levels == 1:
        f = bits - math.log2(d + 1) - loss_f
        return f, bits - 2.0 - 2.0 * half_log_rows
    s, t = norm_sliced.second_slice_bits(rows), norm_sliced.weight_slice_bits(d)
    B = norm_sliced.NORM_SLICE_BITS
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


def component_bits(fac: Centred, x: Array, yhat_norm: float) -> float:
    """``log2`` of the largest ``gain_j`` of :func:`levels_for` (0 when all are below 1)."""
    D = safe_column_norms(fac.R)
    if not np.all(D > 0.0):
        return 53.0
    rows = 1.0 / D  # |(T D^{-1})_j| for the slopes: 1 / D_j
    if fac.fit_intercept:
        row = np.concatenate([[1.0 / D[0]], fac.means / D[1:]])  # (1, -m^T) D^{-1}
        rows[0] = float(safe_column_norms(row.reshape(-1, 1))[0])
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        gain = float(np.max(yhat_norm * rows / np.abs(x)))  # nan (0 / 0) counts as no gain
    if not gain > 1.0:
        return 0.0
    # A coefficient of exactly zero bounds no relative error: it gets the most levels.
    most = float(MAX_LEVELS * 53)
    return min(math.log2(gain), most) if math.isfinite(gain) else most


def levels_carrying(bits_needed: float, bits_per_level: int, loss: float) -> int:
    """Slicing levels that carry ``bits_needed`` bits (53 come free with float64)."""
    need = max(bits_needed - 53.0 + loss, 1.0)
    if not math.isfinite(need):
        return MAX_LEVELS
    return int(min(MAX_LEVELS, max(1, math.ceil(need / bits_per_level))))
