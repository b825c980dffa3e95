"""Regression metrics: MSE, RMSE, MAE and R^2.

All take ``y_true`` and ``y_pred`` of shape (N,) and return a float. They
tolerate overflow: errors whose squares exceed float64 give ``inf`` (a value to
report, never a traceback), and R^2 is computed on rescaled values, so that it
stays finite when the sums of squares themselves would overflow.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["mae", "mse", "r2", "rmse"]


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if a.shape != p.shape or a.ndim != 1:
        raise ValueError(f"y_true has shape {a.shape} but y_pred has shape {p.shape}")
    if a.size == 0:
        raise ValueError("y_true and y_pred are empty")
    return a, p


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error, (1/N) sum (y_pred - y_true)^2; ``inf`` when it overflows."""
    a, p = _pair(y_true, y_pred)
    with np.errstate(over="ignore"):
        return float(np.mean((p - a) ** 2))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error, sqrt(MSE), in the units of y."""
    return float(np.sqrt(mse(y_true, y_pred)))


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error, (1/N) sum |y_pred - y_true|."""
    a, p = _pair(y_true, y_pred)
    with np.errstate(over="ignore"):
        return float(np.mean(np.abs(p - a)))


def r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination R^2 = 1 - SS_res / SS_tot.

    Notes
    -----
    SS_res = sum (y_true - y_pred)^2 and SS_tot = sum (y_true - mean(y_true))^2.
    When y_true is constant, R^2 is 1.0 for a perfect prediction and 0.0
    otherwise (the convention of scikit-learn). Both sums are taken on values
    divided by a power of two near the largest deviation, so R^2 stays finite
    (the same digits: the division is exact)
    when they would overflow; it is ``-inf`` when a residual itself overflows and
    NaN when the values are not finite.
    """
    a, p = _pair(y_true, y_pred)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(p))):
        return float("nan")
    with np.errstate(over="ignore", invalid="ignore"):
        res = a - p
        dev = a - _power_of_two(a) * np.mean(a / _power_of_two(a))
    if not np.all(np.isfinite(res)):
        return -np.inf
    # A power of two: dividing by it is exact, so small data give the textbook digits.
    scale = _power_of_two(np.concatenate([res, dev]))
    ss_res = float(np.sum((res / scale) ** 2))
    ss_tot = float(np.sum((dev / scale) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


def _power_of_two(v: np.ndarray) -> float:
    """A power of two within a factor 2 of max |v| (1.0 for zeros): an exact divisor."""
    top = float(np.max(np.abs(v)))
    return 1.0 if top == 0.0 else float(np.ldexp(1.0, int(np.frexp(top)[1]) - 1))
