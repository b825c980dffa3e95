"""Inference (standard errors, tests, intervals, fit statistics) against statsmodels.

statsmodels' OLS is the oracle for every number; it is used only here, in tests.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import assume, given
from hypothesis import strategies as st

import linreg
from linreg.errors import LinregError, NotFittedError
from linreg.stats.inference import ols_inference, penalized_summary, wls_inference
from strategies import FAST, Problem, regression_problems

RTOL = 1e-8


def oracle(
    X: np.ndarray, y: np.ndarray, fit_intercept: bool
) -> sm.regression.linear_model.RegressionResults:
    exog = sm.add_constant(X, has_constant="add") if fit_intercept else X
    return sm.OLS(y, exog).fit()


def assert_matches_statsmodels(inf: linreg.stats.inference.Inference, ref: object) -> None:
    close = {"rtol": RTOL, "atol": 0.0}
    np.testing.assert_allclose(inf.params, ref.params, **close)
    np.testing.assert_allclose(inf.std_errors, ref.bse, **close)
    np.testing.assert_allclose(inf.t_values, ref.tvalues, **close)
    # p-values far in the tail are tiny numbers whose relative accuracy is set by the
    # t distribution's tail, so compare them with an absolute floor too.
    np.testing.assert_allclose(inf.p_values, ref.pvalues, rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(inf.conf_int(0.05), ref.conf_int(0.05), **close)
    np.testing.assert_allclose(inf.conf_int(0.1), ref.conf_int(0.1), **close)
    for ours, theirs in [
        (inf.residual_std, np.sqrt(ref.scale)),
        (inf.r2, ref.rsquared),
        (inf.adj_r2, ref.rsquared_adj),
        (inf.f_statistic, ref.fvalue),
        (inf.log_likelihood, ref.llf),
        (inf.aic, ref.aic),
        (inf.bic, ref.bic),
    ]:
        assert ours == pytest.approx(theirs, rel=RTOL)
    assert inf.f_pvalue == pytest.approx(ref.f_pvalue, rel=1e-6, abs=1e-300)
    assert inf.df_model == ref.df_model
    assert inf.df_resid == ref.df_resid


@FAST
@given(problem=regression_problems(), fit_intercept=st.booleans())
def test_every_number_matches_statsmodels(problem: Problem, fit_intercept: bool) -> None:
    assume(problem.noise > 0.05)
    model = linreg.LinearRegression(solver="exact", fit_intercept=fit_intercept)
    model.fit(problem.X, problem.y)
    inf = model.inference()
    ref = oracle(problem.X, problem.y, fit_intercept)
    assert_matches_statsmodels(inf, ref)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_prediction_intervals_match_statsmodels(fit_intercept: bool) -> None:
    data = linreg.make_regression(n_samples=80, n_features=2, seed=3)
    model = linreg.LinearRegression(solver="exact", fit_intercept=fit_intercept)
    model.fit(data.X, data.y)
    X_new = np.array([[0.0, 0.0], [5.0, 5.0], [12.0, -3.0]])
    ref = oracle(data.X, data.y, fit_intercept)
    exog = sm.add_constant(X_new, has_constant="add") if fit_intercept else X_new
    for alpha in (0.05, 0.2):
        frame = ref.get_prediction(exog).summary_frame(alpha=alpha)
        ours = model.predict_interval(X_new, alpha=alpha)
        np.testing.assert_allclose(ours.mean, frame["mean"], rtol=RTOL)
        np.testing.assert_allclose(ours.mean_std_error, frame["mean_se"], rtol=RTOL)
        np.testing.assert_allclose(ours.ci_lower, frame["mean_ci_lower"], rtol=RTOL)
        np.testing.assert_allclose(ours.ci_upper, frame["mean_ci_upper"], rtol=RTOL)
        np.testing.assert_allclose(ours.pi_lower, frame["obs_ci_lower"], rtol=RTOL)
        np.testing.assert_allclose(ours.pi_upper, frame["obs_ci_upper"], rtol=RTOL)
        assert np.all(ours.pi_lower < ours.ci_lower)
        assert np.all(ours.ci_upper < ours.pi_upper)


def test_uncentred_r2_without_intercept() -> None:
    data = linreg.make_regression(n_samples=50, seed=1)
    model = linreg.LinearRegression(solver="exact", fit_intercept=False).fit(data.X, data.y)
    inf = model.inference()
    resid = data.y - model.predict(data.X)
    assert inf.r2 == pytest.approx(1 - resid @ resid / (data.y @ data.y), rel=1e-12)
    assert inf.names == ["X"]


def test_gradient_descent_is_assessed_where_it_stopped() -> None:
    data = linreg.make_regression(n_samples=100, seed=0)
    short = linreg.LinearRegression(learning_rate=0.01, epochs=50).fit(data.X, data.y)
    inf = short.inference()
    # The table describes the parameters reached, not the optimum ...
    np.testing.assert_array_equal(inf.params, [short.intercept_, *short.coef_])
    # ... says how far they are from it, and warns.
    assert inf.optimum_distance is not None
    assert inf.optimum_distance > 1e-3
    assert any("away from the least-squares optimum" in note for note in inf.notes)
    assert "away from the least-squares" in short.summary()

    converged = linreg.LinearRegression(learning_rate=0.02, epochs=5000).fit(data.X, data.y)
    inf = converged.inference()
    assert inf.optimum_distance is not None
    assert inf.optimum_distance < 1e-9
    assert not inf.notes
    assert_matches_statsmodels(inf, oracle(data.X, data.y, True))


def test_a_large_condition_number_is_noted() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 60)
    X = np.column_stack([x, x + 1e-5 * rng.standard_normal(60)])
    y = x + 0.1 * rng.standard_normal(60)
    inf = linreg.LinearRegression(solver="exact").fit(X, y).inference()
    assert inf.condition_number > 1e3
    assert any("condition number is large" in note for note in inf.notes)
    assert "condition number is large" in inf.summary()


def test_summary_lists_every_parameter_with_its_name() -> None:
    import pandas as pd

    data = linreg.make_regression(n_samples=40, n_features=2, seed=4)
    frame = pd.DataFrame(data.X, columns=["height", "width"])
    model = linreg.LinearRegression(solver="exact").fit(frame, data.y)
    text = model.summary()
    for name in ("intercept", "height", "width", "R-squared", "F-statistic", "AIC"):
        assert name in text
    as_dict = model.inference().to_dict()
    assert [p["name"] for p in as_dict["parameters"]] == ["intercept", "height", "width"]


def test_a_loaded_model_needs_the_data_for_robust_errors(tmp_path: object) -> None:
    from pathlib import Path

    from linreg.io.persistence import load_model, save_model

    data = linreg.make_regression(n_samples=40, seed=4)
    model = linreg.LinearRegression(solver="exact").fit(data.X, data.y)
    path = save_model(model, Path(str(tmp_path)) / "m.json")
    loaded, _ = load_model(path)
    with pytest.raises(LinregError, match="pass X and y"):
        loaded.inference(cov_type="HC3")
    np.testing.assert_allclose(
        loaded.inference().std_errors, model.inference().std_errors, rtol=1e-12
    )
    np.testing.assert_allclose(
        loaded.inference(data.X, data.y).std_errors, model.inference().std_errors, rtol=1e-12
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.inference(np.ones((5, 1))), "both X and y"),
        (lambda m: m.inference().conf_int(alpha=1.5), "alpha"),
        (lambda m: m.predict_interval([[1.0]], alpha=0.0), "alpha"),
        (lambda m: m.inference().predict_interval(np.ones((2, 3))), "feature column"),
    ],
)
def test_bad_arguments(call: object, message: str) -> None:
    data = linreg.make_regression(n_samples=30, seed=0)
    model = linreg.LinearRegression(solver="exact").fit(data.X, data.y)
    with pytest.raises(LinregError, match=message):
        call(model)  # type: ignore[operator]


def test_not_fitted_and_too_few_rows() -> None:
    with pytest.raises(NotFittedError):
        linreg.LinearRegression().inference()
    X = np.array([[1.0], [2.0]])
    with pytest.raises(LinregError, match="more rows than parameters"):
        ols_inference(X, np.array([1.0, 3.0]), np.array([2.0]), -1.0)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_polynomial_inference_matches_statsmodels(fit_intercept: bool) -> None:
    rng = np.random.default_rng(11)
    x = rng.uniform(-2, 2, 60)
    y = 1.0 - 2.0 * x + 0.5 * x**3 + rng.normal(0, 0.3, 60)
    model = linreg.PolynomialRegression(3, fit_intercept=fit_intercept).fit(x, y)
    inf = model.inference()
    powers = np.column_stack([x, x**2, x**3])
    ref = oracle(powers, y, fit_intercept)
    assert_matches_statsmodels(inf, ref)
    names = ["x", "x^2", "x^3"]
    assert inf.names == (["intercept", *names] if fit_intercept else names)
    x_new = np.array([-1.0, 0.5, 3.0])
    exog = np.column_stack([x_new, x_new**2, x_new**3])
    exog = sm.add_constant(exog, has_constant="add") if fit_intercept else exog
    frame = ref.get_prediction(exog).summary_frame(alpha=0.05)
    ours = model.predict_interval(x_new)
    np.testing.assert_allclose(ours.pi_lower, frame["obs_ci_lower"], rtol=RTOL)
    np.testing.assert_allclose(ours.ci_upper, frame["mean_ci_upper"], rtol=RTOL)
    assert "x^3" in model.summary()


def test_large_problems_statsmodels_and_the_cheaper_residuals() -> None:
    """Above 65,536 entries the sum of squares takes the residuals at the precision it
    needs (residual_levels), and an exact fit's own solution is reused: the numbers
    stay statsmodels', and those of the full-precision residuals."""
    from linreg.solvers.lstsq import residual_levels, residuals

    rng = np.random.default_rng(44)
    n = 60_000
    X = rng.standard_normal((n, 3)) * [1.0, 20.0, 0.5] + [0.0, 400.0, -3.0]
    y = X @ [1.5, -0.25, 2.0] + 7.0 + rng.standard_normal(n)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    levels = residual_levels(X, y, model.coef_, model.intercept_)
    assert levels < 6
    fast = residuals(X, y, model.coef_, model.intercept_, levels=levels)
    full = residuals(X, y, model.coef_, model.intercept_)
    assert float(fast @ fast) == pytest.approx(float(full @ full), rel=1e-15)
    default, given_data = model.inference(), model.inference(X, y)
    np.testing.assert_array_equal(default.std_errors, given_data.std_errors)
    assert default.rss == given_data.rss
    # The refinement's own sum of squares, against one of the residuals recomputed.
    assert model.lstsq_.residual_sum_of_squares == default.rss
    copied = model.inference(X.copy(), y.copy())
    assert copied.rss == pytest.approx(float(full @ full), rel=1e-14)
    np.testing.assert_allclose(copied.std_errors, default.std_errors, rtol=1e-14)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    np.testing.assert_allclose(default.std_errors, ols.bse, rtol=1e-9)
    assert default.rss == pytest.approx(ols.ssr, rel=1e-11)
    assert default.r2 == pytest.approx(ols.rsquared, rel=1e-12)


def test_a_refit_with_another_solver_forgets_the_exact_solution() -> None:
    rng = np.random.default_rng(45)
    X = rng.standard_normal((500, 2))
    y = X @ [1.0, -1.0] + rng.standard_normal(500)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    assert hasattr(model, "lstsq_")
    model.set_params(solver="gd", epochs=50).fit(X, y)
    assert not hasattr(model, "lstsq_")
    assert model.inference().optimum_distance is not None


# -- weighted least squares: statsmodels' WLS is the oracle --------------------------------------
def wls_oracle(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, fit_intercept: bool
) -> sm.regression.linear_model.RegressionResults:
    exog = sm.add_constant(X, has_constant="add") if fit_intercept else X
    return sm.WLS(y, exog, weights=w).fit()


def weights_for(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.05, 20.0, n)


@FAST
@given(problem=regression_problems(), fit_intercept=st.booleans(), seed=st.integers(0, 99))
def test_weighted_inference_matches_statsmodels_wls(
    problem: Problem, fit_intercept: bool, seed: int
) -> None:
    """At WLS's own estimates, every number of the table is statsmodels'."""
    assume(problem.noise > 0.05)
    w = weights_for(problem.n_samples, seed)
    ref = wls_oracle(problem.X, problem.y, w, fit_intercept)
    params = np.asarray(ref.params)
    coef, intercept = (params[1:], float(params[0])) if fit_intercept else (params, 0.0)
    assume(np.linalg.cond(ref.model.wexog) < 1e8)
    inf = wls_inference(problem.X, problem.y, coef, intercept, w, fit_intercept=fit_intercept)
    assert_matches_statsmodels(inf, ref)
    assert inf.n_samples == problem.n_samples


def test_rows_of_weight_zero_do_not_count() -> None:
    """statsmodels counts them in nobs (its log-likelihood is then -inf): we leave them out,
    and equal WLS on the rows of positive weight."""
    data = linreg.make_regression(n_samples=60, n_features=2, noise=1.0, seed=8)
    w = weights_for(60, 1)
    w[[3, 10, 11, 40]] = 0.0
    keep = w > 0
    ref = wls_oracle(data.X[keep], data.y[keep], w[keep], True)
    params = np.asarray(ref.params)
    inf = wls_inference(data.X, data.y, params[1:], float(params[0]), w)
    assert_matches_statsmodels(inf, ref)
    assert inf.n_samples == 56
    assert inf.df_resid == 53


def test_weighted_prediction_intervals_match_statsmodels() -> None:
    data = linreg.make_regression(n_samples=80, n_features=2, noise=2.0, seed=3)
    w = weights_for(80, 2)
    ref = wls_oracle(data.X, data.y, w, True)
    params = np.asarray(ref.params)
    inf = wls_inference(data.X, data.y, params[1:], float(params[0]), w)
    X_new = np.array([[0.0, 0.0], [5.0, 5.0], [12.0, -3.0]])
    frame = ref.get_prediction(sm.add_constant(X_new, has_constant="add")).summary_frame(alpha=0.1)
    ours = inf.predict_interval(X_new, alpha=0.1)
    np.testing.assert_allclose(ours.mean_std_error, frame["mean_se"], rtol=RTOL)
    np.testing.assert_allclose(ours.ci_lower, frame["mean_ci_lower"], rtol=RTOL)
    np.testing.assert_allclose(ours.pi_upper, frame["obs_ci_upper"], rtol=RTOL)


def test_equal_weights_give_the_ordinary_table() -> None:
    data = linreg.make_regression(n_samples=50, n_features=2, noise=1.0, seed=4)
    model = linreg.LinearRegression(solver="exact").fit(data.X, data.y)
    ols = model.inference()
    wls = wls_inference(data.X, data.y, model.coef_, model.intercept_, np.full(50, 3.0))
    np.testing.assert_allclose(wls.std_errors, ols.std_errors, rtol=1e-12)
    for name in ("r2", "adj_r2", "f_statistic", "condition_number"):
        assert getattr(wls, name) == pytest.approx(getattr(ols, name), rel=1e-12)
    # WLS's likelihood does not change when every weight is scaled: the 1/2 sum log w
    # term makes up for RSS growing threefold.
    assert wls.log_likelihood == pytest.approx(ols.log_likelihood, rel=1e-12)
    assert wls.rss == pytest.approx(3.0 * ols.rss, rel=1e-12)


def test_the_estimator_s_weighted_table_is_statsmodels_wls() -> None:
    """Needs the weighted exact solver (issue 12): passes once it is merged."""
    data = linreg.make_regression(n_samples=70, n_features=3, noise=1.5, seed=6)
    w = weights_for(70, 3)
    model = linreg.LinearRegression(solver="exact").fit(data.X, data.y, sample_weight=w)
    ref = wls_oracle(data.X, data.y, w, True)
    assert_matches_statsmodels(model.inference(), ref)
    assert_matches_statsmodels(model.inference(data.X, data.y, sample_weight=w), ref)
    assert "WLS (exact)" in model.summary()


# -- a penalized fit: no least-squares standard errors -------------------------------------------
@pytest.fixture
def ridge() -> linreg.LinearRegression:
    data = linreg.make_regression(n_samples=40, n_features=2, seed=2)
    return linreg.LinearRegression(alpha=0.3, epochs=20).fit(data.X, data.y)


def test_a_penalized_fit_refuses_inference_and_intervals(ridge: linreg.LinearRegression) -> None:
    with pytest.raises(LinregError, match=r"inference is not available for a penalized fit"):
        ridge.inference()
    with pytest.raises(LinregError, match=r"predict_interval is not available .*\(alpha=0\.3\)"):
        ridge.predict_interval(np.zeros((1, 2)))


def test_a_penalized_summary_prints_coefficients_and_says_why_nothing_else(
    ridge: linreg.LinearRegression,
) -> None:
    text = ridge.summary()
    assert "Penalized linear regression results" in text
    alpha_row = next(r for r in text.splitlines() if r.startswith("Penalty alpha:"))
    assert alpha_row.split()[-1] == "0.3"
    assert "standard errors, t and p values, confidence intervals and the F test do not apply" in (
        " ".join(text.split())
    )
    for label, value in [("intercept", ridge.intercept_), ("x1", ridge.coef_[0])]:
        line = next(row for row in text.splitlines() if row.startswith(label))
        assert float(line.split()[1]) == pytest.approx(value, rel=1e-5)
    for meaningless in ("std err", "P>|t|", "R-squared", "F-statistic", "Log-likelihood"):
        assert meaningless not in text


def test_penalized_summary_without_intercept_lists_the_slopes_only() -> None:
    text = penalized_summary(np.array([1.5, -2.0]), 0.0, 1.0, fit_intercept=False, names=["a", "b"])
    rows = [r.split()[0] for r in text.splitlines() if r[:1] in ("a", "b")]
    assert rows == ["a", "b"]
    intercept_row = next(r for r in text.splitlines() if r.startswith("Intercept:"))
    assert intercept_row.split() == ["Intercept:", "no"]


def test_wide_numbers_in_the_summary_stay_apart() -> None:
    """Values of 1e150 are wider than their columns: a space still separates them."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    y = (X @ [2.0, 3.0] + 1.0 + 0.1 * rng.normal(size=50)) * 1e150
    text = linreg.LinearRegression(solver="exact").fit(X, y).summary()
    row = next(line for line in text.splitlines() if line.startswith("intercept"))
    assert len(row.split()) == 7, row
