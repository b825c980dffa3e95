"""Gradient descent as the estimator runs it: standardize, check eta_max, train, store.

:func:`fit_gradient` is ``LinearRegression.fit``'s path for ``solver="gd"`` and
``"sgd"`` on data in memory. It chooses the units trained on (the features as
given, or standardized by their (weighted) means and deviations), measures the
largest stable learning rate eta_max of those units (:mod:`linreg.stability`),
warns above it, runs the readable loop of :mod:`linreg.training` or the fast engine
of :mod:`linreg.solvers.fast`, and hands what it reached, in the original units,
to the estimator to store.

With V the weights in the units trained on, W = V / scale and
b = b_V - W . mean. The penalty falls on V (:mod:`linreg.problem`): with
``standardize`` the scale is the penalty scale s, so in the units trained on the
penalty is plain ``alpha |V|^2`` and the elastic net's L1 term ``2 alpha rho |V|_1``
(the proximal step's threshold ``2 alpha rho`` for every feature); without it the
scale is 1 and V = W. Every solver finds the same minimiser.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError, StabilityWarning
from linreg.fitted import Fitted
from linreg.model import LinearModel
from linreg.optimality import (
    OPTIMUM_CHECK_ELEMENTS,
    check_not_underflowing,
    column_std,
    optimum_loss,
)
from linreg.solvers import fast
from linreg.stability import (
    OVERFLOW_MESSAGE,
    sample_rows,
    stability,
    stable_rate_with_momentum,
    unstable_rate_warning,
)
from linreg.training import EpochCallback, Schedule, TrainResult, train
from linreg.validation import constant_columns, require_finite

if TYPE_CHECKING:
    from linreg.estimator import LinearRegression

__all__ = ["AUTO_FRACTION", "auto_learning_rate", "fit_gradient", "schedule_of", "store_descent"]

Array = NDArray[np.float64]

#: ``learning_rate="auto"``'s step as a fraction of eta_max = 2 / lambda_max(H), per solver.
AUTO_FRACTION: Final = {"gd": 0.5, "sgd": 0.25}


def auto_learning_rate(learning_rate: float | str, eta_max: float, solver: str) -> float:
    """The step size to take: ``learning_rate``, or for ``"auto"`` one from eta_max.

    Parameters
    ----------
    learning_rate : float or "auto"
    eta_max : float
        The largest stable rate 2 / lambda_max(H) of full-batch gradient descent on
        the units trained on, H = (2/N) [X 1]^T W [X 1] + the penalty's 2 alpha
        (:func:`linreg.stability.stability`).
    solver : {"gd", "sgd"}

    Returns
    -------
    float
        For ``"gd"``, eta_max / 2 = 1 / lambda_max(H): the step that takes the
        stiffest direction to its minimum at once, and every other closer each
        epoch (their error shrinks by 1 - lambda / lambda_max). For ``"sgd"``,
        eta_max / 4: a batch's Hessian is a noisy estimate of H whose largest
        eigenvalue is often larger, so the step is halved again; on data with rare
        extreme rows and small batches a lower number may still be needed.
    """
    if isinstance(learning_rate, str):
        return AUTO_FRACTION.get(solver, AUTO_FRACTION["sgd"]) * eta_max
    return float(learning_rate)


def fit_gradient(
    est: LinearRegression,
    X: Array,
    y: Array,
    val: tuple[Array, Array] | None,
    on_epoch: EpochCallback | None,
    sample_weight: Array | None = None,
) -> None:
    check_not_underflowing(y)
    d = X.shape[1]
    sgd = est.solver == "sgd"
    rho = float(est.l1_ratio)
    alpha = float(est.alpha) * (1.0 - rho)  # the smooth part's L2 penalty
    lasso = float(est.alpha) * rho  # the L1 term is 2 alpha rho |W|_1
    moments = None
    fast_engine = fast.use_fast_engine(est.engine, *X.shape)
    if fast_engine:
        shape = (X.shape[0], X.shape[1])
        if not sgd or est.standardize or fast.sgd_needs_moments(shape, est.epochs, est.tol):
            # One pass gives the means, scales and Hessian; the fast path then
            # standardizes block by block instead of copying X.
            with np.errstate(over="ignore", invalid="ignore"):
                moments = fast.Moments.from_data(X, y, sample_weight)
            if not moments.finite:
                require_finite(X, y)  # a NaN or infinity; else squares that overflow:
                raise LinregError(OVERFLOW_MESSAGE)
        mean, scale = fast.standardization(
            moments,
            X,
            standardize=bool(est.standardize),
            fit_intercept=bool(est.fit_intercept),
        )
        X_train, X_val = X, None if val is None else val[0]
    elif est.standardize and sample_weight is not None:
        # The weighted means and deviations, the fast engine's own.
        with np.errstate(over="ignore", invalid="ignore"):
            weighted = fast.Moments.from_data(X, y, sample_weight)
        mean, scale = fast.standardization(
            weighted, X, standardize=True, fit_intercept=bool(est.fit_intercept)
        )
        X_train = (X - mean) / scale
        X_val = None if val is None else (val[0] - mean) / scale
    elif est.standardize:
        mean = X.mean(axis=0)
        scale = column_std(X)
        # A constant column's std is zero, or rounding noise when its mean does
        # not round back to its value: dividing by that would blow the noise up.
        scale[scale == 0.0] = 1.0
        scale[constant_columns(X)] = 1.0
        if not est.fit_intercept:
            # Without an intercept, centring would change the model; only scale.
            mean = np.zeros(d)
        X_train = (X - mean) / scale
        X_val = None if val is None else (val[0] - mean) / scale
    else:
        mean, scale = np.zeros(d), np.ones(d)
        X_train, X_val = X, None if val is None else val[0]

    def to_original(W: Array, b: float) -> tuple[Array, float]:
        W_orig = W / scale
        return W_orig, float(b - W_orig @ mean)

    # The penalty is on V = W scale, the weights trained (standardize) or W itself
    # (scale 1): plain alpha |V|^2 + 2 alpha rho |V|_1 in the units trained on.
    ridge: float | Array = alpha
    l1 = np.full(d, 2.0 * lasso) if lasso else None  # the proximal step's thresholds
    acceleration = str(est.acceleration)
    trainer: Callable[..., TrainResult] = partial(
        train, alpha=ridge, l1=0.0 if l1 is None else l1, acceleration=acceleration
    )
    if fast_engine:
        trainer = partial(
            fast.train,
            center=mean,
            scale=scale,
            moments=moments,
            alpha=alpha,
            l1=l1,
            acceleration=acceleration,
        )
    on_data = "on this data"
    if sgd:
        # Estimated from a sample of rows, the same on both engines.
        rows = sample_rows(X.shape[0], est.seed, X.shape[1])
        if rows is not None:
            on_data = f"on a sample of {len(rows):,} rows of this data"
        sample = X if rows is None else X[rows]
        sample_w = sample_weight if rows is None or sample_weight is None else sample_weight[rows]
        if np.any(mean != 0.0) or np.any(scale != 1.0):
            sample = (sample - mean) / scale
        if sample_w is not None and not np.any(sample_w > 0):
            sample_w = None  # no weighted row in the sample: its rows alike
        try:
            est.stability_ = stability(
                sample,
                fit_intercept=bool(est.fit_intercept),
                sample_weight=sample_w,
                alpha=ridge,
            )
        except LinregError:
            require_finite(X, y)  # a NaN or infinity; else squares that overflow
            raise
    elif moments is None:
        est.stability_ = stability(
            X_train,
            fit_intercept=bool(est.fit_intercept),
            sample_weight=sample_weight,
            alpha=ridge,
        )
    else:
        est.stability_ = fast.stability_from_moments(
            moments, mean, scale, fit_intercept=bool(est.fit_intercept), alpha=alpha
        )
    eta_max = est.stability_.max_stable_learning_rate
    learning_rate = auto_learning_rate(est.learning_rate, eta_max, est.solver)
    # Heavy-ball momentum mu is stable up to (1 + mu) eta_max on a quadratic.
    momentum = float(est.momentum)
    limit = stable_rate_with_momentum(eta_max, momentum)
    with_momentum = f"with momentum {momentum:g} " if momentum else ""
    unstable = unstable_rate_warning(learning_rate, limit, with_momentum + on_data)
    if unstable is not None:
        warnings.warn(
            unstable,
            StabilityWarning,
            stacklevel=4,  # fit_gradient <- _solve <- fit <- the caller
        )
    model = LinearModel(d, init=est.init, seed=est.seed, fit_intercept=est.fit_intercept)
    result = trainer(
        model,
        X_train,
        y,
        solver=est.solver,
        learning_rate=learning_rate,
        epochs=int(est.epochs),
        batch_size=int(est.batch_size),
        momentum=float(est.momentum),
        tol=None if est.tol is None else float(est.tol),
        seed=est.seed,
        X_val=X_val,
        y_val=None if val is None else val[1],
        max_stable_learning_rate=limit,
        to_original=to_original,
        on_epoch=on_epoch,
        sample_weight=sample_weight,
        schedule=schedule_of(est),
        early_stopping=int(est.n_iter_no_change) if est.early_stopping else None,
    )
    store_descent(
        est, model, result, to_original, stacklevel=5, learning_rate=learning_rate, scale=scale
    )


def schedule_of(est: LinearRegression) -> Schedule | None:
    """The estimator's learning-rate schedule, or None for a constant rate."""
    if est.lr_schedule == "constant":
        return None
    return Schedule(
        kind=str(est.lr_schedule),
        power_t=float(est.power_t),
        decay_every=int(est.decay_every),
        decay_factor=float(est.decay_factor),
    )


def store_descent(
    est: LinearRegression,
    model: LinearModel,
    result: TrainResult,
    to_original: Callable[[Array, float], tuple[Array, float]],
    stacklevel: int = 4,
    learning_rate: float | None = None,
    scale: Array | None = None,
) -> None:
    """Keep what gradient descent reached (in original units), and the rate it took;
    warn if tol was missed or it ended far from the optimum.

    ``scale`` is the penalty scale trained with (None or ones: the penalty is on W).
    """
    if scale is not None and not (est.standardize and float(est.alpha) > 0.0):
        scale = None
    coef, intercept = to_original(model.W, model.b)
    fitted = Fitted(
        coef=coef,
        intercept=intercept,
        history=result.history,
        n_iter=result.n_iter,
        n_steps=result.n_steps,
        stop_reason=result.stop_reason,
        stability=getattr(est, "stability_", None),
        best_epoch=result.best_epoch,
        learning_rate=learning_rate,
    )
    optimum = result.optimum_loss
    if optimum is None and float(est.l1_ratio) > 0.0 and float(est.alpha) > 0.0:
        optimum = elastic_net_loss(est, scale)
    elif optimum is None:
        optimum = optimum_loss(
            est._X_fit,
            est._y_fit,
            fit_intercept=bool(est.fit_intercept),
            sample_weight=est._w_fit,
            alpha=float(est.alpha),
            scale=scale,
        )
    est._store(fitted, stacklevel=stacklevel + 1, optimum=optimum)


def elastic_net_loss(est: LinearRegression, scale: Array | None = None) -> float | None:
    """The elastic-net optimum's objective on the estimator's data (None on larger data).

    ``scale``: the penalty scale of a standardized penalty (None: the penalty is on W).
    """
    X, y = est._X_fit, est._y_fit
    if X.shape[0] * X.shape[1] > OPTIMUM_CHECK_ELEMENTS:
        return None
    from linreg.solvers.elastic_net import elastic_net

    with np.errstate(all="ignore"):
        result = elastic_net(
            X,
            y,
            alpha=float(est.alpha),
            l1_ratio=float(est.l1_ratio),
            sample_weight=est._w_fit,
            fit_intercept=bool(est.fit_intercept),
            max_sweeps=1000,
            penalty_scale=scale,
        )
    return result.objective if np.isfinite(result.objective) else None
