"""How far a gradient-descent fit ended from its optimum, and data too small to descend.

A fit that ends far from its optimum says so. After ``"gd"`` or ``"sgd"``, the
estimator compares the final objective ``L`` (weighted MSE plus penalty, as
recorded in the history) with the exact least-squares optimum's ``L*``. The fit
is *far* from it when

    L - L* > allowed = OPTIMUM_GAP * max(L*, OPTIMUM_FLOOR * L_0),

i.e. more than 10% above the optimum, where ``L_0`` is the loss at the starting
point: on data without noise (``L* = 0``) a fit within a millionth of its
starting loss counts as there. A far fit warns
(:class:`~linreg.errors.ConvergenceWarning`, naming both numbers) when

- ``tol`` was given (the run was asked to converge, and stopped or ran out of
  epochs far from the optimum), or
- it stopped because its ``epochs`` ran out, far from the optimum: ``"gd"`` by
  more than :data:`OPTIMUM_GAP`, ``"sgd"`` by more than the wider
  :data:`NOISE_GAP`, as SGD at a constant rate hovers above the optimum however
  long it runs. Gradient descent's default (rate 0.01, 1,000 epochs) ends 84%
  above the optimum on scikit-learn's diabetes data, R^2 0.11 against 0.52: the
  warning gives the relative gap ``(L - L*) / L*`` and the ways there
  (``standardize=True``, more epochs, ``learning_rate="auto"``, ``solver="exact"``);
  the estimator keeps the gap as ``optimality_gap_`` (:func:`relative_gap`), or
- it ended above its own best, by the wider :data:`NOISE_GAP` (50%):
  ``L - L* > noisy`` and ``L - min_k L_k > noisy`` with ``noisy = NOISE_GAP *
  max(L*, OPTIMUM_FLOOR * L_0)``. The run had been closer and came away again:
  heavy momentum (sgd with momentum 0.999 ends 100 times above the optimum after
  having been within 30% of it), or SGD's noise at too large a rate. The wider
  margin leaves alone the jitter of SGD at a constant rate, which the teaching
  notebook shows on purpose (batch size 1 ends 13% above the optimum after
  having been within 1% of it).

A run at a learning rate at or above eta_max (divergent above it, never converging at
it) is not checked: its
:class:`~linreg.errors.StabilityWarning` already said to expect this. ``L*`` comes from the
fast engine's moments where it has them, from the exact solver on data of up
to :data:`OPTIMUM_CHECK_ELEMENTS` matrix entries, and from the streamed solvers'
own optimum; on larger in-memory data without moments (SGD on the fast engine
without ``tol``) it is not checked.

Gradient descent on a target so small that its squares underflow (below about
1e-154) would see a loss and gradient of 0 and stay at W = 0 without a word:
:func:`check_not_underflowing` refuses it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Final

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.fitted import Fitted

__all__ = [
    "NOISE_GAP",
    "OPTIMUM_CHECK_ELEMENTS",
    "OPTIMUM_FLOOR",
    "OPTIMUM_GAP",
    "REMEDIES",
    "UNDERFLOW_BOUND",
    "check_moments_not_underflowing",
    "check_not_underflowing",
    "coefficients_overflow_error",
    "column_std",
    "convergence_message",
    "exact_objective",
    "optimum_gap_message",
    "optimum_loss",
    "relative_gap",
]

Array = NDArray[np.float64]

#: What a fit that ran out of epochs far from the optimum can do (those not
#: already in effect are offered).
REMEDIES: Final = ("standardize=True", "more epochs", "learning_rate='auto'", "solver='exact'")

#: A fit more than this fraction above the optimum's loss is reported.
OPTIMUM_GAP: Final = 0.10

#: A run without ``tol`` that ended above its own best is reported past this
#: fraction above the optimum (and above its best).
NOISE_GAP: Final = 0.5

#: ... unless the excess is below this fraction of the starting loss.
OPTIMUM_FLOOR: Final = 1e-6

#: Without the fast engine's moments, the optimum is solved for on data of at
#: most this many matrix entries N * d (QR: tens of milliseconds).
OPTIMUM_CHECK_ELEMENTS: Final = 1_000_000

#: Targets whose largest |value| is below this square to below the smallest
#: normal float64 (2.2e-308): sqrt(2.2e-308).
UNDERFLOW_BOUND: Final = float(np.sqrt(np.finfo(np.float64).tiny))


def check_not_underflowing(y: Array) -> None:
    """Refuse a nonzero target so small that gradient descent's squares underflow.

    Raises
    ------
    LinregError
        When ``0 < max |y| < 1.5e-154``, naming the largest value.
    """
    # max |y| as max(max y, -min y): two reductions, no |y| copy (NaN passes through).
    _check_top(max(float(np.max(y)), -float(np.min(y))) if y.size else 0.0)


def check_moments_not_underflowing(y_mean: float, yty: float, n: int) -> None:
    """:func:`check_not_underflowing` from a streamed target's moments.

    The target's size is judged by ``max(|mean|, sqrt(yty / n))``, its mean and
    standard deviation; both below 1.5e-154 (and not both zero) is refused.
    """
    spread = float(np.sqrt(max(yty, 0.0) / max(n, 1)))
    _check_top(max(abs(float(y_mean)), spread))


def _check_top(top: float) -> None:
    """Refuse a target whose largest |value| ``top`` is nonzero but squares underflow."""
    if 0.0 < top < UNDERFLOW_BOUND:
        power = int(np.ceil(-np.log10(top)))
        raise LinregError(
            f"the target is too small for gradient descent in float64: its size, "
            f"{top:.3g}, squares to below 2.2e-308 (values below about 1.5e-154 underflow), "
            f"so the loss and the gradient vanish and W would stay 0; rescale the target "
            f"and the features (e.g. multiply them by 1e{power}), or use solver='exact'"
        )


def exact_objective(
    X: Array,
    y: Array,
    coef: Array,
    intercept: float,
    *,
    sample_weight: Array | None,
    alpha: float,
    scale: Array | None = None,
    rss: float | None = None,
) -> float:
    """The objective ``L`` of :mod:`linreg.problem` at (coef, intercept); inf on overflow.

    ``scale`` is the penalty scale ``s`` (d,) of a standardized penalty
    ``alpha |s W|^2`` (None: ``alpha |W|^2``). ``rss``, the residual sum of squares
    ``sum(w r^2)`` (``|r|^2`` without weights) if known, as the exact solver's
    refinement gives it, saves the pass over X.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if sample_weight is None and alpha == 0.0:
            if rss is None:
                rss = float(np.sum((y - (X @ coef + intercept)) ** 2))
            return rss / len(y)
        if rss is not None:
            data = rss / (len(y) if sample_weight is None else float(np.sum(sample_weight)))
        else:
            r = y - (X @ coef + intercept)
            data = (
                float(np.mean(r**2))
                if sample_weight is None
                else float(np.sum(sample_weight * r**2) / np.sum(sample_weight))
            )
        V = coef if scale is None else coef * scale
        return data + alpha * float(V @ V)


def optimum_loss(
    X: Array,
    y: Array,
    *,
    fit_intercept: bool,
    sample_weight: Array | None,
    alpha: float,
    scale: Array | None = None,
) -> float | None:
    """The optimum's objective ``L*`` by the exact solver, or None on larger data.

    ``scale``: the penalty scale of a standardized penalty (None: the penalty is on W).
    None when ``N * d > OPTIMUM_CHECK_ELEMENTS`` or the solution is not finite.
    """
    if X.shape[0] * X.shape[1] > OPTIMUM_CHECK_ELEMENTS:
        return None
    from linreg.solvers.lstsq import lstsq

    # The optimum is a yardstick here: its own warnings (rank) are not the fit's.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ridge = alpha if scale is None else alpha * scale**2
        result = lstsq(X, y, fit_intercept=fit_intercept, sample_weight=sample_weight, alpha=ridge)
    if not (np.all(np.isfinite(result.coef)) and np.isfinite(result.intercept)):
        return None
    rss = result.residual_sum_of_squares if sample_weight is None and alpha == 0.0 else None
    return exact_objective(
        X,
        y,
        result.coef,
        float(result.intercept),
        sample_weight=sample_weight,
        alpha=alpha,
        scale=scale,
        rss=rss,
    )


def relative_gap(final: float, optimum: float | None) -> float | None:
    """``(L - L*) / L*``: how far above the optimum's loss a fit ended, relatively.

    None when the optimum is unknown or either loss is not finite; 0.0 at an
    optimum of zero reached exactly, ``inf`` above an optimum of zero.
    """
    if optimum is None or not (np.isfinite(optimum) and np.isfinite(final)):
        return None
    if optimum > 0.0:
        return max(final / optimum - 1.0, 0.0)
    return 0.0 if final <= optimum else float("inf")


def optimum_gap_message(
    losses: Array,
    optimum: float | None,
    *,
    asked_to_converge: bool,
    ran_out: bool = False,
    solver: str = "gd",
    epochs: int | None = None,
    remedies: Sequence[str] = REMEDIES,
) -> str | None:
    """Why a fit whose history recorded ``losses`` is far from ``optimum``, or None.

    See the module docstring for the rule; None when ``optimum`` is unknown or
    not finite, or the fit is close enough, or still improving without ``tol``
    (``asked_to_converge`` False) and not stopped by its ``epochs`` (``ran_out``
    False). A run that used all its epochs is far past :data:`OPTIMUM_GAP` for
    ``"gd"``, past the wider :data:`NOISE_GAP` for ``"sgd"`` (whose steps at a
    constant rate keep it hovering above the optimum however long it runs);
    its message offers ``remedies``.
    """
    if optimum is None or losses.size == 0:
        return None
    final, start, best = float(losses[-1]), float(losses[0]), float(np.min(losses))
    if not (np.isfinite(optimum) and np.isfinite(final)):
        return None
    allowed = OPTIMUM_GAP * max(optimum, OPTIMUM_FLOOR * start)
    if final - optimum <= allowed:
        return None
    noisy = NOISE_GAP * max(optimum, OPTIMUM_FLOOR * start)
    if asked_to_converge:
        why = "it was asked to converge (tol)"
    elif final - optimum > noisy and final - best > noisy:
        why = f"it had reached {best:.6g} before: it oscillates or is noisy"
    elif ran_out and (solver != "sgd" or final - optimum > noisy):
        return (
            f"{_name(solver)} stopped after its {epochs or losses.size - 1} epochs at loss "
            f"{final:.6g}, {_above(final, optimum)} the least-squares optimum's {optimum:.6g} "
            f"(relative gap {_gap_text(final, optimum)}); to fit it: {_either(remedies)}"
        )
    else:
        return None
    return (
        f"gradient descent ended at loss {final:.6g}, {_above(final, optimum)} the "
        f"least-squares optimum's {optimum:.6g}, and {why}; lower the learning rate "
        "or the momentum, train longer, standardize the features, or use solver='exact'"
    )


def _either(options: Sequence[str]) -> str:
    """'a, b, or c'."""
    if len(options) <= 1:
        return "".join(options)
    return f"{', '.join(options[:-1])}, or {options[-1]}"


def _name(solver: str) -> str:
    return "stochastic gradient descent" if solver == "sgd" else "gradient descent"


def _gap_text(final: float, optimum: float) -> str:
    gap = relative_gap(final, optimum)
    return "unknown" if gap is None else f"{gap:.3g}"


def convergence_message(
    fitted: Fitted,
    *,
    tol: float | None,
    epochs: int,
    learning_rate: float,
    optimum: float | None,
    solver: str = "gd",
    standardize: bool = False,
    auto_rate: bool = False,
) -> str | None:
    """The :class:`~linreg.errors.ConvergenceWarning` a gradient-descent fit deserves, or None.

    Two reasons, joined when both hold: ``tol`` was given and the run used all
    ``epochs`` without meeting it; the fit ended far from the optimum's loss
    ``optimum`` (or ``fitted.optimum``'s), see :func:`optimum_gap_message`. A
    closed-form fit gets none; nor does the gap of a run at a learning rate at or
    above eta_max, whose :class:`~linreg.errors.StabilityWarning` said to expect it.
    """
    reasons = []
    if tol is not None and fitted.stop_reason == "max_epochs":
        reasons.append(
            f"gradient descent did not reach tol={tol:g} within {epochs} epochs "
            f"(last relative loss change above it); consider increasing epochs, "
            "raising the learning rate below eta_max, or standardizing"
        )
    stable = fitted.stability is None or learning_rate < fitted.stability.max_stable_learning_rate
    # Early stopping ends above the training optimum on purpose: no gap to warn of.
    if fitted.stop_reason != "closed_form" and fitted.best_epoch is None and stable:
        if optimum is None and fitted.optimum is not None:
            optimum = fitted.optimum.loss
        gap = optimum_gap_message(
            fitted.history.loss,
            optimum,
            asked_to_converge=tol is not None,
            ran_out=fitted.stop_reason == "max_epochs",
            solver=solver,
            epochs=epochs,
            remedies=[
                r
                for r in REMEDIES
                if not (standardize and r.startswith("standardize"))
                and not (auto_rate and r.startswith("learning_rate"))
            ],
        )
        if gap is not None:
            reasons.append(gap)
    return "; ".join(reasons) if reasons else None


def column_std(X: Array) -> Array:
    """The standard deviation of every column of X, without overflow.

    Columns beyond about 1e154 have squares that overflow: their deviations are
    then taken of the column divided by its largest |value| and scaled back.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        scale = X.std(axis=0)
    wild = ~np.isfinite(scale)
    if np.any(wild):
        top = np.max(np.abs(X[:, wild]), axis=0)
        scale[wild] = (X[:, wild] / top).std(axis=0) * top
    return scale


def coefficients_overflow_error(subnormal: bool = False) -> LinregError:
    """The error of an exact fit whose coefficients overflow float64 (NaN or inf).

    Tiny features with a large target can need weights beyond 1.8e308: the
    solver's arithmetic then makes NaN. (A fit whose *loss* overflows, on data
    beyond about 1e154, is a fit: its loss is ``inf`` in the history, written
    ``null`` in a model file.)
    """
    if subnormal:
        return LinregError(
            "the data are too small for the exact solver in float64: values below "
            "2.2e-308 (subnormal) have lost digits and overflow its scalings; rescale "
            "the features and the target (e.g. multiply them by a power of ten)"
        )
    return LinregError(
        "the least-squares coefficients overflow float64: the target is too large "
        "for features this small (a weight would exceed 1.8e308); rescale the "
        "features and the target (e.g. divide them by a power of ten) and fit again"
    )


def _above(final: float, optimum: float) -> str:
    """How far above: a percentage of the optimum, when it is positive."""
    if optimum > 0.0:
        return f"{100.0 * (final / optimum - 1.0):.3g}% above"
    return "above"
