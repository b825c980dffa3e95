"""How a fitted estimator is scored on rows it is given: MSE, R^2, or your own function.

- ``"mse"``: the (weighted) mean squared error ``sum w (y_pred - y)^2 / sum w``, an
  *error*: lower is better. (scikit-learn's ``"neg_mean_squared_error"`` is its
  negative, so that larger is always better there.)
- ``"r2"``: ``R^2 = 1 - sum w (y - y_pred)^2 / sum w (y - ybar_w)^2``: higher is better.
- a callable ``scoring(estimator, X, y) -> float``, scikit-learn's scorer signature:
  higher is better.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.metrics import r2

__all__ = ["SCORINGS", "Scoring", "check_scoring", "greater_is_better", "score"]

Array = NDArray[np.float64]

#: The scorings known by name.
SCORINGS = ("mse", "r2")

#: A scoring: a name of :data:`SCORINGS` or ``f(estimator, X, y) -> float``.
Scoring = str | Callable[[Any, Any, Array], float]


def check_scoring(scoring: Scoring) -> Scoring:
    """``scoring`` if it is a known name or a callable, else a :class:`LinregError`."""
    if callable(scoring) or (isinstance(scoring, str) and scoring in SCORINGS):
        return scoring
    raise LinregError(
        f"unknown scoring {scoring!r}; use one of {', '.join(SCORINGS)} "
        "or a function f(estimator, X, y) -> float"
    )


def greater_is_better(scoring: Scoring) -> bool:
    """Whether a larger score is a better model (all but ``"mse"``)."""
    return scoring != "mse"


def score(
    estimator: Any, X: Any, y: Array, scoring: Scoring, sample_weight: Array | None = None
) -> float:
    """The score of the fitted ``estimator`` on ``(X, y)`` (row weights for the named ones)."""
    if callable(scoring):
        return float(scoring(estimator, X, y))
    y_pred = np.asarray(estimator.predict(X), dtype=np.float64)
    return score_predictions(y, y_pred, str(scoring), sample_weight)


def score_predictions(
    y: Array, y_pred: Array, scoring: str, sample_weight: Array | None = None
) -> float:
    """``"mse"`` or ``"r2"`` of predictions ``y_pred`` (shape (n,)) of ``y``, maybe weighted."""
    with np.errstate(over="ignore", invalid="ignore"):
        if sample_weight is None:
            if scoring == "mse":
                return float(np.mean((y_pred - y) ** 2))
            return r2(y, y_pred)
        w = sample_weight
        total = float(np.sum(w))
        if total <= 0.0:
            raise LinregError(
                "a test fold has only rows of weight zero, so it cannot be scored; "
                "use fewer folds or give those rows some weight"
            )
        rss = float(np.sum(w * (y - y_pred) ** 2))
        if scoring == "mse":
            return rss / total
        tss = float(np.sum(w * (y - np.sum(w * y) / total) ** 2))
        if tss == 0.0:
            return 1.0 if rss == 0.0 else 0.0
        return 1.0 - rss / tss
