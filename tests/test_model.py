"""LinearModel (forward, loss, backward, step) against arithmetic written out in the tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linreg import Dataset, Gradients, LinearModel
from strategies import (
    FAST,
    Problem,
    design,
    ols,
    parameters,
    regression_problems,
    vector_pairs,
)

EPS = np.finfo(np.float64).eps


def mse_by_hand(X: np.ndarray, y: np.ndarray, W: np.ndarray, b: float) -> float:
    """The loss from its definition, row by row with exact summation."""
    residuals = [
        math.fsum([*(x * w for x, w in zip(row, W, strict=True)), b]) - t
        for row, t in zip(X, y, strict=True)
    ]
    return math.fsum(r * r for r in residuals) / len(y)


def central_differences(
    X: np.ndarray, y: np.ndarray, W: np.ndarray, b: float, fit_intercept: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Numeric gradient of the MSE and a bound on its round-off, per parameter.

    The loss is a quadratic in (W, b), so central differences have no truncation
    error at any step size: what remains is round-off of about eps * L / h.
    """
    theta = np.append(W, b)

    def loss(t: np.ndarray) -> float:
        r = X @ t[:-1] + t[-1] - y
        return float(r @ r) / len(y)

    numeric = np.zeros_like(theta)
    roundoff = np.zeros_like(theta)
    n_params = theta.size if fit_intercept else theta.size - 1
    for j in range(n_params):
        h = 1e-3 * max(1.0, abs(theta[j]))
        step = np.zeros_like(theta)
        step[j] = h
        up, down = loss(theta + step), loss(theta - step)
        numeric[j] = (up - down) / (2 * h)
        roundoff[j] = 1e3 * EPS * (up + down) / (2 * h)
    return numeric, roundoff


def model_at(W: np.ndarray, b: float, fit_intercept: bool = True) -> LinearModel:
    model = LinearModel(W.shape[0], fit_intercept=fit_intercept)
    model.W, model.b = W.copy(), (b if fit_intercept else 0.0)
    return model


def assert_gradient_matches_differences(
    X: np.ndarray, y: np.ndarray, W: np.ndarray, b: float, fit_intercept: bool
) -> None:
    model = model_at(W, b, fit_intercept)
    grads = model.backward(X, y, model.forward(X))
    analytic = np.append(grads.dW, grads.db)
    numeric, roundoff = central_differences(X, y, model.W, model.b, fit_intercept)
    # Round-off of both gradients: a residual x.theta - y carries an error of about
    # eps (|x| |theta| + |y|), and each derivative sums (2/N) |x_j| times that.
    A, theta = design(X), np.append(model.W, model.b)
    terms = (2.0 / len(y)) * np.abs(A).T @ (np.abs(A) @ np.abs(theta) + np.abs(y))
    atol = roundoff + 1e3 * EPS * terms
    assert np.all(np.abs(analytic - numeric) <= 1e-9 * np.abs(numeric) + atol), (
        analytic,
        numeric,
    )


# -- forward and loss ----------------------------------------------------------------------


@pytest.mark.parametrize("n_features", [1, 3, 7])
def test_forward_is_x_dot_w_plus_b(rng: np.random.Generator, n_features: int) -> None:
    X = rng.normal(size=(11, n_features))
    W, b = rng.normal(size=n_features), float(rng.normal())
    expected = [math.fsum([*(x * w for x, w in zip(row, W, strict=True)), b]) for row in X]
    y_pred = model_at(W, b).forward(X)
    assert y_pred.shape == (11,)
    np.testing.assert_allclose(y_pred, expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("n_features", [1, 4])
def test_loss_is_the_mean_squared_error(rng: np.random.Generator, n_features: int) -> None:
    X, y = rng.normal(size=(9, n_features)), rng.normal(size=9)
    W, b = rng.normal(size=n_features), float(rng.normal())
    model = model_at(W, b)
    assert model.loss(model.forward(X), y) == pytest.approx(mse_by_hand(X, y, W, b), rel=1e-13)


def test_docstring_example_by_hand() -> None:
    # y_pred = 0, so L = (3^2 + 5^2) / 2 = 17; dW = (2/2)(1*-3 + 2*-5) = -13, db = -8.
    model = LinearModel(n_features=1)
    X, y = np.array([[1.0], [2.0]]), np.array([3.0, 5.0])
    y_pred = model.forward(X)
    assert model.loss(y_pred, y) == 17.0
    grads = model.backward(X, y, y_pred)
    assert grads.dW.tolist() == [-13.0]
    assert grads.db == -8.0
    model.step(grads, learning_rate=0.1)
    np.testing.assert_allclose(model.W, [1.3], rtol=1e-15)
    assert model.b == pytest.approx(0.8)
    assert repr(model) == "LinearModel(W=[1.3], b=0.8)"


def test_loss_rejects_a_column_target() -> None:
    # (N,) against (N, 1) would broadcast to an (N, N) matrix and a wrong number.
    model = LinearModel(1)
    with pytest.raises(ValueError, match=r"shape \(3,\) but y has shape \(3, 1\)"):
        model.loss(np.zeros(3), np.ones((3, 1)))


@FAST
@given(vector_pairs())
def test_loss_is_non_negative(pair: tuple[np.ndarray, np.ndarray]) -> None:
    y_pred, y = pair
    loss = LinearModel(1).loss(y_pred, y)
    assert np.isfinite(loss)
    assert loss >= 0.0
    # The mean of squares is at least the largest square over N (no cancellation).
    assert loss >= np.max((y_pred - y) ** 2) / y.size
    if np.array_equal(y_pred, y):
        assert loss == 0.0


# -- backward ------------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_features", [1, 2, 5])
def test_backward_matches_central_differences(
    rng: np.random.Generator, n_features: int, fit_intercept: bool
) -> None:
    X = rng.uniform(-3, 3, size=(20, n_features))
    y = X @ rng.normal(size=n_features) + 1.5 + rng.normal(size=20)
    for _ in range(5):  # several random points, away from and near the optimum
        W, b = 4 * rng.normal(size=n_features), float(4 * rng.normal())
        assert_gradient_matches_differences(X, y, W, b, fit_intercept)


@FAST
@given(data=st.data(), fit_intercept=st.booleans())
def test_backward_matches_central_differences_property(
    data: st.DataObject, fit_intercept: bool
) -> None:
    problem = data.draw(regression_problems())
    W, b = data.draw(parameters(problem.n_features))
    assert_gradient_matches_differences(problem.X, problem.y, W, b, fit_intercept)


def test_backward_without_intercept_has_zero_db(rng: np.random.Generator) -> None:
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10) + 5.0
    model = LinearModel(2, fit_intercept=False)
    grads = model.backward(X, y, model.forward(X))
    assert grads.db == 0.0
    np.testing.assert_allclose(grads.dW, -(2.0 / 10) * X.T @ y, rtol=1e-12)


@FAST
@given(problem=regression_problems(), fit_intercept=st.booleans())
def test_gradient_vanishes_at_least_squares_solution(problem: Problem, fit_intercept: bool) -> None:
    X, y = problem.X, problem.y
    coef, intercept = ols(X, y, fit_intercept)
    model = model_at(coef, intercept, fit_intercept)
    grads = model.backward(X, y, model.forward(X))
    # Zero up to round-off, measured against the size of the terms the gradient sums:
    # (2/N) |A|^T (|A| |theta| + |y|), where A is the design matrix.
    A = design(X, fit_intercept)
    theta = np.append(coef, intercept) if fit_intercept else coef
    gradient = np.append(grads.dW, grads.db) if fit_intercept else grads.dW
    scale = (2.0 / len(y)) * np.abs(A).T @ (np.abs(A) @ np.abs(theta) + np.abs(y))
    assert np.all(np.abs(gradient) <= 1e-10 * scale), gradient / scale


def test_gradient_does_not_vanish_away_from_the_solution(default_data: Dataset) -> None:
    X, y = default_data.X, default_data.y
    coef, intercept = ols(X, y)
    model = model_at(coef + 0.1, intercept)
    grads = model.backward(X, y, model.forward(X))
    assert grads.norm > 1.0


# -- step, init, Gradients -----------------------------------------------------------------


def test_step_moves_against_the_gradient(rng: np.random.Generator) -> None:
    W, b = rng.normal(size=3), 0.5
    model = model_at(W, b)
    grads = Gradients(dW=np.array([1.0, -2.0, 0.25]), db=4.0)
    model.step(grads, learning_rate=0.1)
    np.testing.assert_array_equal(model.W, W - 0.1 * grads.dW)
    assert model.b == b - 0.1 * 4.0


def test_gradients_norm_is_euclidean() -> None:
    assert Gradients(dW=np.array([3.0, 0.0]), db=4.0).norm == 5.0
    assert Gradients(dW=np.array([1.0, 2.0, 2.0]), db=0.0).norm == 3.0


def test_zero_init_is_the_textbook_start() -> None:
    model = LinearModel(4)
    np.testing.assert_array_equal(model.W, np.zeros(4))
    assert model.b == 0.0


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_random_init_follows_the_seed(fit_intercept: bool) -> None:
    a = LinearModel(3, init="random", seed=7, fit_intercept=fit_intercept)
    b = LinearModel(3, init="random", seed=7, fit_intercept=fit_intercept)
    c = LinearModel(3, init="random", seed=8, fit_intercept=fit_intercept)
    np.testing.assert_array_equal(a.W, b.W)
    assert a.b == b.b
    assert not np.array_equal(a.W, c.W)
    assert (a.b == 0.0) is not fit_intercept


def test_unknown_init_is_rejected() -> None:
    with pytest.raises(ValueError, match="init must be 'zeros' or 'random'"):
        LinearModel(2, init="ones")
