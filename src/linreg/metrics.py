"""Regression metrics: MSE, RMSE, MAE and R^2.

All take ``y_true`` and ``y_pred`` of shape (N,) and return a float.
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
    """Mean squared error, (1/N) sum (y_pred - y_true)^2."""
    a, p = _pair(y_true, y_pred)
    return float(np.mean((p - a) ** 2))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error, sqrt(MSE), in the units of y."""
    return float(np.sqrt(mse(y_true, y_pred)))


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error, (1/N) sum |y_pred - y_true|."""
    a, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(p - a)))


def r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination R^2 = 1 - SS_res / SS_tot.

    Notes
    -----
    SS_res = sum (y_true - y_pred)^2 and SS_tot = sum (y_true - mean(y_true))^2.
    When y_true is constant, R^2 is 1.0 for a perfect prediction and 0.0
    otherwise (the convention of scikit-learn).
    """
    a, p = _pair(y_true, y_pred)
    ss_res = float(np.sum((a - p) ** 2))
    ss_tot = float(np.sum((a - a.mean()) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot
