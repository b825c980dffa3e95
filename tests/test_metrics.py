"""Regression metrics against scikit-learn's."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import assume, given

from linreg import metrics
from strategies import FAST, grid_floats, vector_pairs

Metric = Callable[[np.ndarray, np.ndarray], float]


def sk_rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """scikit-learn's RMSE: ``root_mean_squared_error`` is new in 1.4, we support 1.3."""
    return float(np.sqrt(skm.mean_squared_error(y_true, y_pred)))


PAIRS: list[tuple[Metric, Metric]] = [
    (metrics.mse, skm.mean_squared_error),
    (metrics.rmse, sk_rmse),
    (metrics.mae, skm.mean_absolute_error),
    (metrics.r2, skm.r2_score),
]
IDS = ["mse", "rmse", "mae", "r2"]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=IDS)
@pytest.mark.parametrize("n", [2, 7, 100])
def test_metrics_agree_with_scikit_learn(
    rng: np.random.Generator, ours: Metric, theirs: Metric, n: int
) -> None:
    y_true = rng.normal(loc=5.0, scale=3.0, size=n)
    y_pred = y_true + rng.normal(scale=0.5, size=n)
    assert ours(y_true, y_pred) == pytest.approx(theirs(y_true, y_pred), rel=1e-12)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=IDS)
@FAST
@given(pair=vector_pairs(grid_floats, max_size=20))
def test_metrics_agree_with_scikit_learn_property(
    ours: Metric, theirs: Metric, pair: tuple[np.ndarray, np.ndarray]
) -> None:
    y_true, y_pred = pair
    # scikit-learn leaves R^2 of one sample undefined (nan, with a warning).
    assume(theirs is not skm.r2_score or y_true.size >= 2)
    assert ours(y_true, y_pred) == pytest.approx(theirs(y_true, y_pred), rel=1e-9, abs=1e-12)


def test_values_by_hand() -> None:
    y_true, y_pred = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 4.0])
    # residuals 1, 0, -2, 0: SS_res = 5; mean 2.5, SS_tot = 5.
    assert metrics.mse(y_true, y_pred) == 1.25
    assert metrics.rmse(y_true, y_pred) == pytest.approx(np.sqrt(1.25))
    assert metrics.mae(y_true, y_pred) == 0.75
    assert metrics.r2(y_true, y_pred) == 0.0
    assert metrics.r2(y_true, y_true) == 1.0


@pytest.mark.parametrize(("y_pred", "expected"), [([3.0, 3.0, 3.0], 1.0), ([3.0, 3.0, 4.0], 0.0)])
def test_r2_of_a_constant_target_follows_scikit_learn(y_pred: list[float], expected: float) -> None:
    y_true = [3.0, 3.0, 3.0]
    assert metrics.r2(y_true, y_pred) == expected == skm.r2_score(y_true, y_pred)


@pytest.mark.parametrize("metric", [metrics.mse, metrics.rmse, metrics.mae, metrics.r2], ids=IDS)
def test_column_vectors_are_accepted(rng: np.random.Generator, metric: Metric) -> None:
    y_true, y_pred = rng.normal(size=6), rng.normal(size=6)
    assert metric(y_true[:, None], y_pred) == metric(y_true, y_pred[:, None])
    assert metric(y_true[:, None], y_pred) == metric(y_true, y_pred)


@pytest.mark.parametrize("metric", [metrics.mse, metrics.rmse, metrics.mae, metrics.r2], ids=IDS)
@pytest.mark.parametrize(
    ("shape_true", "shape_pred"), [((5,), (4,)), ((5,), (5, 2)), ((2, 3), (2, 3))]
)
def test_shape_mismatch_is_an_error(
    metric: Metric, shape_true: tuple[int, ...], shape_pred: tuple[int, ...]
) -> None:
    with pytest.raises(ValueError, match=r"y_true has shape .* but y_pred has shape"):
        metric(np.zeros(shape_true), np.zeros(shape_pred))


@pytest.mark.parametrize("metric", [metrics.mse, metrics.rmse, metrics.mae, metrics.r2], ids=IDS)
def test_empty_input_is_an_error(metric: Metric) -> None:
    with pytest.raises(ValueError, match="empty"):
        metric([], [])
