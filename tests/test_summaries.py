"""linreg.viz.summaries: the numbers beside the figures, against scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from linreg.viz.summaries import (
    METRIC_NAMES,
    closed_form,
    evaluate_metrics,
    finite,
    gap_text,
    gap_tolerance,
)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 50))
def test_metrics_are_scikit_learns(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.normal(3.0, 2.0, n)
    y_pred = y + rng.normal(0.0, 0.5, n)
    got = evaluate_metrics(y, y_pred)
    assert set(got) == set(METRIC_NAMES)
    assert got["mse"] == pytest.approx(mean_squared_error(y, y_pred), rel=1e-12)
    assert got["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, y_pred)), rel=1e-12)
    assert got["mae"] == pytest.approx(mean_absolute_error(y, y_pred), rel=1e-12)
    assert got["r2"] == pytest.approx(r2_score(y, y_pred), rel=1e-9, abs=1e-12)


def test_finite_maps_inf_and_nan_to_none() -> None:
    assert finite(None) is None
    assert finite(math.inf) is None
    assert finite(-math.inf) is None
    assert finite(math.nan) is None
    assert finite(np.float64(2.5)) == 2.5
    assert type(finite(np.float64(2.5))) is float


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_closed_form_is_least_squares(fit_intercept: bool) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 1.5 + rng.normal(0, 0.1, 40)
    model = closed_form(X, y, fit_intercept)
    oracle = SkLinearRegression(fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(model.coef_, oracle.coef_, rtol=1e-10)
    assert model.intercept_ == pytest.approx(oracle.intercept_, abs=1e-10)


def test_closed_form_with_weights_and_alpha_is_ridges_minimiser() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 2))
    y = X @ np.array([2.0, -1.0]) + 0.5 + rng.normal(0, 0.3, 40)
    w = rng.uniform(0.0, 2.0, 40)
    model = closed_form(X, y, True, sample_weight=w, alpha=0.4)
    oracle = Ridge(alpha=0.4 * w.sum(), solver="svd").fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.coef_, oracle.coef_, rtol=1e-9)
    assert model.intercept_ == pytest.approx(oracle.intercept_, rel=1e-9)


def test_gap_text_calls_rounding_zero() -> None:
    # The report once printed "Optimization gap = -2.22e-16": zero to rounding, with its tolerance.
    text = gap_text(0.95, 0.95 + 2.2e-16)
    assert text.startswith("0 to rounding (|−2.22e-16| ≤ 1.35e-14")
    assert "64 ε × MSE" in text
    assert gap_text(1.0, 1.0).startswith("0 to rounding (|0| ≤ 1.42e-14")
    assert gap_text(1.2, 1.0) == "0.2"
    assert gap_text(1.0, 1.2) == "-0.2"  # beyond rounding: shown as it is
    tol = gap_tolerance(1.0, 1.0)
    assert tol == 64 * np.finfo(float).eps
    assert gap_text(1.0 + 2 * tol, 1.0) != gap_text(1.0 + tol / 2, 1.0)
