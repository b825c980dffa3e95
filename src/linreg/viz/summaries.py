"""The numbers shown beside the figures: the closed-form reference fit and the four metrics.

Shared by the report (:mod:`linreg.viz.report`), the lab (:mod:`linreg.viz.lab`) and the
command line, so that every place computes them the same way.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from linreg import metrics
from linreg.estimator import LinearRegression

__all__ = [
    "GAP_ROUNDING_ULPS",
    "METRIC_NAMES",
    "closed_form",
    "evaluate_metrics",
    "finite",
    "gap_text",
    "gap_tolerance",
]

Array = NDArray[np.float64]

#: How the metrics are named in tables, by their keys in :func:`evaluate_metrics`.
METRIC_NAMES = {"mse": "MSE", "rmse": "RMSE", "mae": "MAE", "r2": "R^2"}


def closed_form(
    X: Array,
    y: Array,
    fit_intercept: bool,
    *,
    sample_weight: Array | None = None,
    alpha: float = 0.0,
    standardize: bool = False,
) -> LinearRegression:
    """The optimum of the data's objective, fitted exactly (the reference for a trained model).

    The objective is that of :mod:`linreg.problem`,
    L(W, b) = (1/sum w) sum_i w_i (x_i W + b - y_i)^2 + alpha |W|^2; with no weights and
    ``alpha = 0`` it is the mean squared error and the optimum is least squares.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    fit_intercept : bool
    sample_weight : ndarray of shape (N,), optional
        Row weights w >= 0; None for equal weights.
    alpha : float, default=0.0
        The ridge penalty (the intercept is not penalized).
    standardize : bool, default=False
        Whether the penalty falls on the standardized weights ``W * s``, as the
        trained model's ``standardize`` says (:func:`linreg.problem.penalty_scale`).

    Returns
    -------
    LinearRegression
        Fitted with ``solver="exact"``: ``coef_`` (d,), ``intercept_`` and a one-entry history
        whose loss is L at the optimum.
    """
    if sample_weight is None and alpha == 0.0:  # least squares, called as it always was
        return LinearRegression(solver="exact", fit_intercept=fit_intercept).fit(X, y)
    model = LinearRegression(
        solver="exact", fit_intercept=fit_intercept, alpha=alpha, standardize=standardize
    )
    return model.fit(X, y, sample_weight=sample_weight)


def evaluate_metrics(y: Array, y_pred: Array) -> dict[str, float]:
    """MSE, RMSE, MAE and R^2 of predictions, by the keys of :data:`METRIC_NAMES`.

    Parameters
    ----------
    y : ndarray of shape (N,)
    y_pred : ndarray of shape (N,)

    Returns
    -------
    dict
        ``{"mse": (1/N) sum (y - y_pred)^2, "rmse": sqrt(mse), "mae": (1/N) sum |y - y_pred|,
        "r2": 1 - SS_res / SS_tot}``.
    """
    return {
        "mse": metrics.mse(y, y_pred),
        "rmse": metrics.rmse(y, y_pred),
        "mae": metrics.mae(y, y_pred),
        "r2": metrics.r2(y, y_pred),
    }


#: A difference of two MSEs within this many units in the last place of the larger one
#: is zero to rounding: each MSE is a sum of N squares, rounded at every addition.
GAP_ROUNDING_ULPS = 64


def gap_tolerance(mse: float, optimum_mse: float) -> float:
    """The size below which ``mse - optimum_mse`` is rounding: 64 eps max(|mse|, |optimum|)."""
    return GAP_ROUNDING_ULPS * float(np.finfo(np.float64).eps) * max(abs(mse), abs(optimum_mse))


def gap_text(mse: float, optimum_mse: float) -> str:
    """``mse - optimum_mse`` for people: "0 to rounding (...)" when it is within the tolerance.

    Examples
    --------
    >>> gap_text(1.0, 1.0 + 2.22e-16)
    '0 to rounding (|−2.22e-16| ≤ 1.42e-14 = 64 ε × MSE)'
    >>> gap_text(1.5, 1.0)
    '0.5'
    """
    gap = mse - optimum_mse
    if not (math.isfinite(mse) and math.isfinite(optimum_mse)):
        return f"{gap:.6g}"
    tol = gap_tolerance(mse, optimum_mse)
    if abs(gap) <= tol:
        shown = f"{abs(gap):.3g}" if gap >= 0 else f"−{abs(gap):.3g}"
        return f"0 to rounding (|{shown}| ≤ {tol:.3g} = {GAP_ROUNDING_ULPS} ε × MSE)"
    return f"{gap:.6g}"


def finite(value: float | None) -> float | None:
    """``value`` as a float, or None when it is None, infinite or NaN (JSON has no inf/NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
