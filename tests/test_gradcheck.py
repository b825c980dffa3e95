"""gradcheck: passes for LinearModel, and catches models whose backward is wrong."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linreg import Dataset, Gradients, LinearModel, gradcheck, make_regression
from strategies import FAST, ols, parameters, regression_problems


class NoFactorTwo(LinearModel):
    """The classic slip: differentiating r^2 as r instead of 2r."""

    def backward(self, X: np.ndarray, y: np.ndarray, y_pred: np.ndarray) -> Gradients:
        grads = super().backward(X, y, y_pred)
        return Gradients(dW=grads.dW / 2, db=grads.db / 2)


class SumNotMean(LinearModel):
    """Forgets the 1/N of the mean."""

    def backward(self, X: np.ndarray, y: np.ndarray, y_pred: np.ndarray) -> Gradients:
        grads = super().backward(X, y, y_pred)
        return Gradients(dW=grads.dW * X.shape[0], db=grads.db * X.shape[0])


class FlippedResidual(LinearModel):
    """Uses y - y_pred: the gradient of ascent."""

    def backward(self, X: np.ndarray, y: np.ndarray, y_pred: np.ndarray) -> Gradients:
        return super().backward(X, y_pred, y)


class BiasWithoutFactorTwo(LinearModel):
    """Right weights, wrong bias: only ``b`` should be flagged."""

    def backward(self, X: np.ndarray, y: np.ndarray, y_pred: np.ndarray) -> Gradients:
        grads = super().backward(X, y, y_pred)
        return Gradients(dW=grads.dW, db=grads.db / 2)


def random_model(
    cls: type[LinearModel], rng: np.random.Generator, n_features: int, fit_intercept: bool = True
) -> LinearModel:
    model = cls(n_features, fit_intercept=fit_intercept)
    model.W = 3 * rng.normal(size=n_features)
    model.b = float(3 * rng.normal()) if fit_intercept else 0.0
    return model


def problem(rng: np.random.Generator, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(-5, 5, size=(25, n_features))
    y = X @ rng.normal(size=n_features) - 2.0 + rng.normal(size=25)
    return X, y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_features", [1, 3, 6])
def test_gradcheck_passes_for_the_linear_model(
    rng: np.random.Generator, n_features: int, fit_intercept: bool
) -> None:
    X, y = problem(rng, n_features)
    for _ in range(4):
        result = gradcheck(random_model(LinearModel, rng, n_features, fit_intercept), X, y)
        assert result.passed, str(result)
        assert result.max_relative_error < 1e-6
        np.testing.assert_allclose(result.numeric, result.analytic, rtol=1e-6)


@FAST
@given(data=st.data())
def test_gradcheck_passes_at_random_points_property(data: st.DataObject) -> None:
    drawn = data.draw(regression_problems())
    W, b = data.draw(parameters(drawn.n_features))
    model = LinearModel(drawn.n_features)
    model.W, model.b = W, b
    result = gradcheck(model, drawn.X, drawn.y)
    assert result.passed, str(result)


@pytest.mark.parametrize("broken", [NoFactorTwo, SumNotMean, FlippedResidual])
@pytest.mark.parametrize("n_features", [1, 4])
def test_gradcheck_fails_for_a_wrong_backward(
    rng: np.random.Generator, broken: type[LinearModel], n_features: int
) -> None:
    X, y = problem(rng, n_features)
    result = gradcheck(random_model(broken, rng, n_features), X, y)
    assert not result.passed
    assert result.max_relative_error > 0.1
    assert str(result).splitlines()[-1].startswith("FAIL")


def test_gradcheck_points_at_the_wrong_parameter(rng: np.random.Generator) -> None:
    X, y = problem(rng, 3)
    result = gradcheck(random_model(BiasWithoutFactorTwo, rng, 3), X, y)
    failing = [name for name, *_, error in result.table() if error > result.tolerance]
    assert failing == ["b"]
    # Without an intercept the bias gradient is never used, so nothing is wrong.
    assert gradcheck(random_model(BiasWithoutFactorTwo, rng, 3, fit_intercept=False), X, y).passed


def test_tolerance_decides(rng: np.random.Generator) -> None:
    X, y = problem(rng, 2)
    model = random_model(NoFactorTwo, rng, 2)
    result = gradcheck(model, X, y, tolerance=0.6)  # the error of a missing 2 is exactly 1/2
    assert result.passed
    np.testing.assert_allclose(result.relative_error, 0.5, rtol=1e-6)


@pytest.mark.parametrize("cls", [LinearModel, NoFactorTwo])
def test_gradcheck_leaves_the_model_unchanged(rng: np.random.Generator, cls: type) -> None:
    X, y = problem(rng, 3)
    model = random_model(cls, rng, 3)
    W, b = model.W.copy(), model.b
    gradcheck(model, X, y)
    np.testing.assert_array_equal(model.W, W)
    assert model.b == b


def test_result_reports_every_parameter(rng: np.random.Generator) -> None:
    X, y = problem(rng, 2)
    result = gradcheck(random_model(LinearModel, rng, 2), X, y, h=1e-4)
    assert result.names == ["W[0]", "W[1]", "b"]
    assert [row[0] for row in result.table()] == result.names
    text = str(result)
    assert "W[1]" in text
    assert text.splitlines()[-1].startswith("PASS")


def at_least_squares(data: Dataset) -> tuple[np.ndarray, float]:
    return ols(data.X, data.y)


def bias_gradient_tiny(data: Dataset) -> tuple[np.ndarray, float]:
    """W = 1 (far from 3, dW ~ -36) with b set so that db = 1e-8 L ~ 3.6e-7: not an optimum."""
    W = np.array([1.0])
    b_star = float(np.mean(data.y - data.X @ W))
    loss = float(np.mean((data.X @ W + b_star - data.y) ** 2))
    return W, b_star + 1e-8 * loss / 2  # db = 2 (b - b_star)


@pytest.mark.parametrize(
    ("data", "point"),
    [
        (make_regression(), at_least_squares),
        (
            make_regression(n_samples=50, n_features=3, weights=[1.0, 2.0, 3.0], seed=1),
            at_least_squares,
        ),
        (make_regression(), bias_gradient_tiny),
    ],
    ids=["optimum-1d", "optimum-3d", "small-db"],
)
def test_gradcheck_passes_where_a_derivative_is_small(
    data: Dataset, point: Callable[[Dataset], tuple[np.ndarray, float]]
) -> None:
    W, b = point(data)
    model = LinearModel(data.n_features)
    model.W, model.b = W, b
    assert gradcheck(model, data.X, data.y).passed
