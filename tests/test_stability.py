"""eta_max and the condition number, and gradient descent on either side of eta_max."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linreg import (
    Dataset,
    DivergenceError,
    LinearRegression,
    StabilityWarning,
    make_regression,
    stability,
)
from linreg.stability import (
    SAMPLE_ENTRIES,
    SAMPLE_ROWS,
    SAMPLE_ROWS_PER_FEATURE,
    hessian,
    sample_rows,
    sample_size,
    stable_rate_with_momentum,
)
from strategies import FAST, Problem, design, hessian_eigenvalues, ols, regression_problems


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_features", [1, 2, 5])
def test_eta_max_is_two_over_the_largest_eigenvalue(
    rng: np.random.Generator, n_features: int, fit_intercept: bool
) -> None:
    X = rng.normal(loc=2.0, scale=rng.uniform(0.5, 4, size=n_features), size=(30, n_features))
    lam = hessian_eigenvalues(X, fit_intercept)
    s = stability(X, fit_intercept=fit_intercept)
    assert s.max_stable_learning_rate == pytest.approx(2.0 / lam[-1], rel=1e-12)
    assert s.lambda_max == pytest.approx(lam[-1], rel=1e-12)
    assert s.lambda_min == pytest.approx(lam[0], rel=1e-8)
    assert s.condition_number == pytest.approx(lam[-1] / lam[0], rel=1e-8)
    assert s.condition_number == pytest.approx(np.linalg.cond(design(X, fit_intercept)) ** 2)
    assert s.optimal_learning_rate == pytest.approx(2.0 / (lam[0] + lam[-1]), rel=1e-8)


@FAST
@given(problem=regression_problems(), fit_intercept=st.booleans())
def test_eta_max_property(problem: Problem, fit_intercept: bool) -> None:
    lam = hessian_eigenvalues(problem.X, fit_intercept)
    s = stability(problem.X, fit_intercept=fit_intercept)
    assert s.max_stable_learning_rate == pytest.approx(2.0 / lam[-1], rel=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_is_two_over_n_a_transpose_a(rng: np.random.Generator, fit_intercept: bool) -> None:
    X = rng.normal(size=(12, 3))
    A = design(X, fit_intercept)
    np.testing.assert_allclose(hessian(X, fit_intercept=fit_intercept), (2 / 12) * A.T @ A)


def test_the_docstring_example() -> None:
    s = stability(np.array([[1.0], [-1.0]]))  # H = 2 I
    assert (s.max_stable_learning_rate, s.condition_number) == (1.0, 1.0)


def test_the_default_data() -> None:
    # H = 2 [[mean x^2, mean x], [mean x, 1]] for y = 3x + 2 on [0, 10).
    data = make_regression()
    x = data.X[:, 0]
    H = 2 * np.array([[np.mean(x**2), np.mean(x)], [np.mean(x), 1.0]])
    trace, det = np.trace(H), np.linalg.det(H)
    lam_max = trace / 2 + np.sqrt(trace**2 / 4 - det)
    s = stability(data.X)
    assert s.max_stable_learning_rate == pytest.approx(2 / lam_max, rel=1e-12)
    assert 0.005 < s.max_stable_learning_rate < 0.1  # the rates the reference projects use


def test_a_constant_feature_makes_the_problem_singular() -> None:
    X = np.column_stack([np.linspace(0, 1, 10), np.ones(10)])
    s = stability(X)
    assert s.condition_number == np.inf
    assert s.lambda_min == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(s.max_stable_learning_rate)


def test_standardizing_lowers_the_condition_number(default_data: Dataset) -> None:
    X = default_data.X
    raw = stability(X).condition_number
    standardized = stability((X - X.mean(axis=0)) / X.std(axis=0)).condition_number
    assert raw > 50
    assert standardized == pytest.approx(1.0)


# -- gradient descent on either side of eta_max ---------------------------------------------


def small_problem() -> tuple[np.ndarray, np.ndarray]:
    X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [3.0, 0.0], [4.0, 2.0], [5.0, 1.5]])
    y = X @ [1.5, -2.0] + 0.5 + np.array([0.1, -0.2, 0.0, 0.3, -0.1, 0.05])
    return X, y


def test_gd_just_below_eta_max_converges() -> None:
    X, y = small_problem()
    eta_max = 2.0 / hessian_eigenvalues(X)[-1]
    model = LinearRegression(learning_rate=0.99 * eta_max, epochs=4000).fit(X, y)
    coef, intercept = ols(X, y)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-6)


def test_gd_just_above_eta_max_diverges() -> None:
    X, y = small_problem()
    eta_max = 2.0 / hessian_eigenvalues(X)[-1]
    model = LinearRegression(learning_rate=1.01 * eta_max, epochs=20_000)
    with pytest.warns(StabilityWarning), pytest.raises(DivergenceError) as info:
        model.fit(X, y)
    assert info.value.report.max_stable_learning_rate == pytest.approx(eta_max, rel=1e-12)


def test_the_warning_starts_exactly_at_eta_max() -> None:
    X, y = small_problem()
    eta_max = stability(X).max_stable_learning_rate
    with pytest.warns(StabilityWarning, match="equals the largest stable rate.*flip sign"):
        LinearRegression(learning_rate=eta_max, epochs=5).fit(X, y)
    with pytest.warns(StabilityWarning, match="is above the largest stable rate.*divergence"):
        LinearRegression(learning_rate=np.nextafter(eta_max, 1), epochs=5).fit(X, y)
    LinearRegression(learning_rate=np.nextafter(eta_max, 0), epochs=5).fit(X, y)  # silent


def test_momentum_at_1_5_eta_max_converges_without_a_warning() -> None:
    """Heavy ball with mu = 0.9 is stable below (1 + mu) eta_max = 1.9 eta_max: at
    1.5 eta_max (where plain GD diverges) it converges, and nothing warns."""
    X, y = small_problem()
    eta_max = 2.0 / hessian_eigenvalues(X)[-1]
    model = LinearRegression(learning_rate=1.5 * eta_max, momentum=0.9, epochs=4000).fit(X, y)
    coef, intercept = ols(X, y)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-6)
    assert stable_rate_with_momentum(eta_max, 0.9) == pytest.approx(1.9 * eta_max, rel=1e-15)


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_the_momentum_warning_starts_at_one_plus_mu_eta_max(engine: str) -> None:
    """Just above (1 + mu) eta_max the warning names that rate, and momentum diverges,
    with the report quoting it; just below it, silence."""
    X, y = small_problem()
    limit = 1.5 * stability(X).max_stable_learning_rate
    params = {"momentum": 0.5, "engine": engine}
    with (
        pytest.warns(StabilityWarning, match="with momentum 0.5") as caught,
        pytest.raises(DivergenceError) as info,
    ):
        LinearRegression(learning_rate=1.02 * limit, epochs=20_000, **params).fit(X, y)
    assert f"{limit:.4g}" in str(caught[0].message)
    assert info.value.report.max_stable_learning_rate == pytest.approx(limit, rel=1e-12)
    LinearRegression(learning_rate=np.nextafter(limit, 0), epochs=5, **params).fit(X, y)


def test_momentum_just_below_its_limit_converges_and_above_it_does_not() -> None:
    """The bound is tight: the heavy ball's slowest mode has spectral radius 1 at
    eta = 2 (1 + mu) / lambda_max; 2% below converges, 2% above diverges."""
    X, y = small_problem()
    limit = stable_rate_with_momentum(2.0 / hessian_eigenvalues(X)[-1], 0.7)
    LinearRegression(learning_rate=0.98 * limit, momentum=0.7, epochs=20_000, tol=1e-14).fit(X, y)
    with pytest.warns(StabilityWarning), pytest.raises(DivergenceError):
        LinearRegression(learning_rate=1.02 * limit, momentum=0.7, epochs=20_000).fit(X, y)


@pytest.mark.parametrize("fraction", [0.3, 0.9, 1.0])
def test_gd_error_shrinks_at_the_predicted_rate(fraction: float) -> None:
    # With step eta, the error of GD shrinks by at least rho = max |1 - eta lambda| per epoch.
    X, y = small_problem()
    lam = hessian_eigenvalues(X)
    eta = fraction * 2.0 / (lam[0] + lam[-1])
    rho = max(abs(1 - eta * lam[0]), abs(1 - eta * lam[-1]))
    model = LinearRegression(learning_rate=eta, epochs=200).fit(X, y)
    coef, intercept = ols(X, y)
    theta = np.column_stack([model.history_.W, model.history_.b])
    error = np.linalg.norm(theta - np.append(coef, intercept), axis=1)
    bound = rho ** np.arange(201) * error[0]
    assert np.all(error <= bound * (1 + 1e-9) + 1e-12)
    assert error[-1] > 1e-3 * bound[-1]  # and not much faster: rho is the true rate


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_integer_weights_are_repeated_rows_in_the_hessian(
    rng: np.random.Generator, fit_intercept: bool
) -> None:
    X = rng.standard_normal((30, 3))
    k = rng.integers(0, 4, 30)
    k[0] = 1
    weighted = hessian(X, fit_intercept=fit_intercept, sample_weight=k.astype(float), alpha=0.3)
    repeated = hessian(np.repeat(X, k, axis=0), fit_intercept=fit_intercept, alpha=0.3)
    np.testing.assert_allclose(weighted, repeated, rtol=1e-13, atol=1e-15)


def test_the_penalty_is_on_the_weights_not_the_intercept(rng: np.random.Generator) -> None:
    X = rng.standard_normal((20, 2))
    H0, H = hessian(X), hessian(X, alpha=np.array([0.5, 2.0]))
    np.testing.assert_array_equal(H - H0, np.diag([1.0, 4.0, 0.0]))


@given(n_features=st.integers(1, 100_000))
def test_the_sgd_sample_is_bounded_in_rows_and_in_entries(n_features: int) -> None:
    m = sample_size(n_features)
    assert m <= SAMPLE_ROWS
    # Either within the entries' budget, or at the floor of rows per feature.
    assert (
        m * n_features <= SAMPLE_ENTRIES
        or m >= SAMPLE_ROWS_PER_FEATURE * n_features
        or (m == SAMPLE_ROWS)
    )
    assert m >= min(SAMPLE_ROWS, SAMPLE_ROWS_PER_FEATURE * n_features)


def test_the_sgd_sample_rows_are_sorted_draws_of_their_size() -> None:
    assert sample_rows(8_192, seed=0, n_features=512) is None  # all rows
    rows = sample_rows(50_000, seed=3, n_features=512)
    assert rows is not None
    assert rows.shape == (8_192,)
    assert np.all(np.diff(rows) >= 0)
    assert rows[0] >= 0
    assert rows[-1] < 50_000
    narrow = sample_rows(50_000, seed=3, n_features=16)
    assert narrow is not None
    assert narrow.shape == (SAMPLE_ROWS,)


def test_a_wide_sgd_fit_estimates_eta_max_from_its_smaller_sample(
    rng: np.random.Generator,
) -> None:
    # 300 features: 2**22 // 300 = 13,981 rows, fewer than the 16,384 of narrow data.
    X = rng.standard_normal((20_000, 300)) + 3.0
    y = X @ rng.standard_normal(300) + rng.standard_normal(20_000)
    model = LinearRegression(solver="sgd", epochs=1, learning_rate=1e-4, seed=5).fit(X, y)
    rows = sample_rows(20_000, seed=5, n_features=300)
    assert rows is not None
    assert rows.shape == (13_981,)
    expected = stability(X[rows])
    assert model.stability_ == expected
    # Features far from zero: one dominant direction, which the sample finds closely
    # (an oracle from all rows' Hessian eigenvalues).
    lam = hessian_eigenvalues(X, True)
    assert expected.lambda_max == pytest.approx(lam[-1], rel=0.02)
