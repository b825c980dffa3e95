"""Regression diagnostics against statsmodels on its shipped datasets, and their properties.

Oracles (tests only): statsmodels' ``OLSInfluence``, ``variance_inflation_factor``,
``jarque_bera``, ``omni_normtest``, ``durbin_watson``, ``het_breuschpagan`` and
``het_white``, on engel, grunfeld, stackloss and longley, to 1e-8 relative.
"""

from __future__ import annotations

import json
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import assume, given
from hypothesis import strategies as st
from statsmodels.stats.diagnostic import het_breuschpagan, het_white
from statsmodels.stats.outliers_influence import OLSInfluence, variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera, omni_normtest

import linreg
from linreg.errors import LinregError
from linreg.stats.diagnostics import Diagnostics, diagnose
from strategies import FAST, Problem, regression_problems

RTOL = 1e-8
DATASETS = ["engel", "grunfeld", "stackloss", "longley"]


def load(name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """X, y and the feature names of one of statsmodels' datasets (grunfeld: invest ~ value +
    capital, the regression the issue's clustered errors use)."""
    if name == "grunfeld":
        frame = sm.datasets.grunfeld.load_pandas().data
        cols = ["value", "capital"]
        return frame[cols].to_numpy(float), frame["invest"].to_numpy(float), cols
    data = getattr(sm.datasets, name).load_pandas()
    exog = data.exog if data.exog.ndim == 2 else data.exog.to_frame()
    return exog.to_numpy(float), data.endog.to_numpy(float), [str(c) for c in exog.columns]


def close(ours: Any, theirs: Any) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=0.0)


@pytest.fixture(scope="module", params=DATASETS)
def case(request: pytest.FixtureRequest) -> tuple[str, Diagnostics, Any, np.ndarray]:
    X, y, _names = load(request.param)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    exog = sm.add_constant(X)
    return request.param, model.diagnostics(), sm.OLS(y, exog).fit(), exog


def test_influence_matches_statsmodels(case: tuple[str, Diagnostics, Any, np.ndarray]) -> None:
    _, d, res, _ = case
    inf = OLSInfluence(res)
    close(d.leverage, inf.hat_matrix_diag)
    close(d.studentized_internal, inf.resid_studentized_internal)
    close(d.studentized_external, inf.resid_studentized_external)
    close(d.cooks_distance, inf.cooks_distance[0])
    close(d.dffits, inf.dffits[0])
    close(d.dfbetas, inf.dfbetas)
    close(d.residuals, res.resid)
    close(d.fitted, res.fittedvalues)
    assert d.residual_std == pytest.approx(np.sqrt(res.scale), rel=RTOL)
    assert d.leverage.sum() == pytest.approx(d.n_params, rel=1e-12)


def test_vif_and_condition_number(case: tuple[str, Diagnostics, Any, np.ndarray]) -> None:
    _, d, _, exog = case
    close(d.vif, [variance_inflation_factor(exog, j) for j in range(1, exog.shape[1])])
    # The centred design with unit-norm columns, as the inference summary defines it.
    Z = np.column_stack([np.ones(len(exog)), exog[:, 1:] - exog[:, 1:].mean(axis=0)])
    assert d.condition_number == pytest.approx(
        np.linalg.cond(Z / np.linalg.norm(Z, axis=0)), rel=1e-6
    )


def test_residual_tests_match_statsmodels(case: tuple[str, Diagnostics, Any, np.ndarray]) -> None:
    name, d, res, exog = case
    e = res.resid
    jb, jb_p, skew, kurt = jarque_bera(e)
    t = d.tests["jarque_bera"]
    close([t.statistic, t.p_value, d.skew, d.kurtosis], [jb, jb_p, skew, kurt])
    with warnings.catch_warnings():  # scipy warns that kurtosistest wants n >= 20 (longley)
        warnings.simplefilter("ignore", UserWarning)
        k2, k2_p = omni_normtest(e)
    t = d.tests["omnibus"]
    close([t.statistic, t.p_value], [k2, k2_p])
    assert d.tests["durbin_watson"].statistic == pytest.approx(durbin_watson(e), rel=RTOL)
    assert d.tests["durbin_watson"].p_value is None
    t = d.tests["breusch_pagan"]
    close([t.statistic, t.p_value, t.f_statistic, t.f_p_value], het_breuschpagan(e, exog))
    assert t.df == exog.shape[1] - 1
    t = d.tests["white"]
    if name == "longley":  # 28 auxiliary columns for 16 rows: no test
        assert np.isnan(t.statistic)
        assert "28 columns" in t.note
        assert any(n.startswith("White:") for n in d.notes)
    else:
        close([t.statistic, t.p_value, t.f_statistic, t.f_p_value], het_white(e, exog))


@pytest.mark.parametrize("name", ["stackloss", "grunfeld"])
def test_without_intercept(name: str) -> None:
    """The design without its constant; the residual tests regress on [1, X] all the same."""
    X, y, _ = load(name)
    d = linreg.LinearRegression(solver="exact", fit_intercept=False).fit(X, y).diagnostics()
    res = sm.OLS(y, X).fit()
    inf = OLSInfluence(res)
    close(d.leverage, inf.hat_matrix_diag)
    close(d.studentized_external, inf.resid_studentized_external)
    close(d.cooks_distance, inf.cooks_distance[0])
    close(d.dfbetas, inf.dfbetas)
    # Without a constant, R_j^2 is uncentred: statsmodels' OLS of x_j on the other columns
    # (variance_inflation_factor centres them first since statsmodels 0.15).
    others = [np.delete(X, j, axis=1) for j in range(X.shape[1])]
    r2 = [sm.OLS(X[:, j], others[j]).fit().rsquared for j in range(X.shape[1])]
    close(d.vif, 1.0 / (1.0 - np.asarray(r2)))
    bp = d.tests["breusch_pagan"]
    close([bp.statistic, bp.p_value], het_breuschpagan(res.resid, sm.add_constant(X))[:2])
    assert d.param_names == [f"x{j + 1}" for j in range(X.shape[1])]


def test_stackloss_matches_r() -> None:
    """R: ``cooks.distance(lm(stack.loss ~ ., stackloss))[21]`` is 0.6920; ``hatvalues``
    of row 17 0.4121 (the largest)."""
    X, y, _ = load("stackloss")
    d = linreg.LinearRegression(solver="exact").fit(X, y).diagnostics()
    assert d.cooks_distance[20] == pytest.approx(0.6920, abs=5e-5)
    assert d.leverage[16] == pytest.approx(0.4121, abs=5e-5)
    assert list(d.influential_rows) == [20]
    assert list(d.high_leverage_rows) == [16]
    assert d.most_influential()[0] == 20


# -- flags, output --------------------------------------------------------------------------------
def test_flags_find_an_outlier_and_collinear_columns(rng: np.random.Generator) -> None:
    n = 60
    x1 = rng.normal(size=n)
    x2 = x1 + 0.05 * rng.normal(size=n)  # nearly a copy: VIF in the hundreds
    x3 = rng.normal(size=n)
    X = np.column_stack([x1, x2, x3])
    y = 1.0 + x1 + x3 + 0.1 * rng.normal(size=n)
    X[7, 2], y[7] = 6.0, -5.0  # far out in x3, far off the plane
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    d = model.diagnostics()
    assert d.influential_rows[0] == 7
    assert 7 in d.high_leverage_rows
    assert d.collinear_columns == ["x1", "x2"]
    assert d.vif[2] < 10
    assert np.all(d.cooks_distance[d.influential_rows] > 4 / n)
    assert np.all(d.leverage[d.high_leverage_rows] > 2 * 4 / n)
    text = d.summary()
    assert "x1" in text
    assert "collinear" in text
    assert "Breusch-Pagan" in text
    assert str(d) == text
    payload = d.to_dict()
    json.dumps(payload, allow_nan=False)  # plain JSON
    flags = payload["flags"]
    assert isinstance(flags, dict)
    assert flags["influential_rows"][0] == "7"
    assert flags["collinear_columns"] == ["x1", "x2"]


def test_data_passed_again_and_named_features(rng: np.random.Generator) -> None:
    import pandas as pd

    X = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"])
    y = X["a"].to_numpy() - X["b"].to_numpy() + rng.normal(size=30)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    d1, d2 = model.diagnostics(), model.diagnostics(X, y)
    assert d1.feature_names == ["a", "b"]
    assert d1.param_names == ["intercept", "a", "b"]
    np.testing.assert_allclose(d1.cooks_distance, d2.cooks_distance, rtol=1e-13)
    # A gradient-descent fit gets the same numbers near the optimum, with a note if far.
    gd = linreg.LinearRegression(learning_rate=0.1, epochs=5).fit(X, y)
    assert "least-squares solution" in " ".join(gd.diagnostics().notes)


def test_memory_is_linear_in_n(rng: np.random.Generator) -> None:
    """n = 20,000 rows: an n x n hat matrix would take 3.2 GB; the peak stays tens of MB.

    The largest piece is White's auxiliary design, n x (1 + d + d (d + 1) / 2) and its copies.
    """
    n, d = 20_000, 3
    X = rng.normal(size=(n, d))
    y = X @ np.ones(d) + rng.normal(size=n)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    tracemalloc.start()
    try:
        diag = model.diagnostics()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert diag.leverage.shape == (n,)
    assert peak < 300 * n * 8  # 48 MB: a few copies of n x 10


# -- refusals -------------------------------------------------------------------------------------
def test_refusals(rng: np.random.Generator) -> None:
    X = rng.normal(size=(20, 2))
    y = X[:, 0] + rng.normal(size=20)
    with pytest.raises(LinregError, match="penalized"):
        linreg.LinearRegression(solver="exact", alpha=0.5).fit(X, y).diagnostics()
    w = np.ones(20)
    w[:17] = 0.0  # 3 rows of weight: fewer than p + 2 = 5
    with pytest.raises(LinregError, match="p \\+ 2 = 5 rows"):
        linreg.LinearRegression(solver="exact").fit(X, y, sample_weight=w).diagnostics()
    dependent = np.column_stack([X, X[:, 0] + X[:, 1]])
    with pytest.warns(linreg.errors.RankDeficiencyWarning):
        model = linreg.LinearRegression(solver="exact").fit(dependent, y)
    with pytest.raises(LinregError, match="full-rank"):
        model.diagnostics()
    with pytest.raises(LinregError, match="p \\+ 2 = 5 rows"):
        linreg.LinearRegression(solver="exact").fit(X[:4], y[:4]).diagnostics()
    with pytest.raises(LinregError, match="both X and y"):
        linreg.LinearRegression(solver="exact").fit(X, y).diagnostics(X)
    with pytest.raises(LinregError, match="row_labels has 3"):
        diagnose(X, y, np.zeros(2), 0.0, row_labels=["a", "b", "c"])


def test_a_loaded_model_needs_the_data_again(rng: np.random.Generator, tmp_path: Path) -> None:
    from linreg.io.persistence import load_model, save_model

    X = rng.normal(size=(20, 2))
    y = X[:, 0] + rng.normal(size=20)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    loaded, _ = load_model(save_model(model, tmp_path / "model.json"))
    with pytest.raises(LinregError, match="pass X and y to diagnostics"):
        loaded.diagnostics()
    np.testing.assert_allclose(
        loaded.diagnostics(X, y).cooks_distance, model.diagnostics().cooks_distance, rtol=1e-12
    )


def test_small_samples_leave_the_omnibus_out(rng: np.random.Generator) -> None:
    X = rng.normal(size=(7, 1))
    y = X[:, 0] + rng.normal(size=7)
    d = linreg.LinearRegression(solver="exact").fit(X, y).diagnostics()
    assert np.isnan(d.tests["omnibus"].statistic)
    assert "Omnibus: needs at least 8 rows" in d.notes
    assert np.isfinite(d.tests["jarque_bera"].statistic)


# -- properties -----------------------------------------------------------------------------------
@FAST
@given(problem=regression_problems(), seed=st.integers(0, 2**32 - 1))
def test_permuting_rows_permutes_the_measures(problem: Problem, seed: int) -> None:
    """Row measures follow the rows; the tests (but the order-bound Durbin-Watson) stay."""
    assume(problem.noise > 0.05)  # residuals of an exact fit are rounding: no statistics
    perm = np.random.default_rng(seed).permutation(problem.X.shape[0])
    X, y = problem.X, problem.y
    d = linreg.LinearRegression(solver="exact").fit(X, y).diagnostics()
    dp = linreg.LinearRegression(solver="exact").fit(X[perm], y[perm]).diagnostics()
    tol = {"rtol": 1e-7, "atol": 1e-9}
    np.testing.assert_allclose(dp.leverage, d.leverage[perm], **tol)
    np.testing.assert_allclose(dp.cooks_distance, d.cooks_distance[perm], **tol)
    np.testing.assert_allclose(dp.studentized_external, d.studentized_external[perm], **tol)
    np.testing.assert_allclose(dp.dfbetas, d.dfbetas[perm], **tol)
    np.testing.assert_allclose(dp.vif, d.vif, **tol)
    for key in ("jarque_bera", "omnibus", "breusch_pagan", "white"):
        a, b = d.tests[key].statistic, dp.tests[key].statistic
        assert a == pytest.approx(b, rel=1e-6, abs=1e-9, nan_ok=True), key


def test_an_exact_fit_gives_nan_with_a_note() -> None:
    X = np.arange(10.0).reshape(-1, 1)
    y = 2.0 * X[:, 0] + 1.0  # every residual zero
    d = linreg.LinearRegression(solver="exact").fit(X, y).diagnostics()
    assert np.all(d.residuals == 0.0)
    assert np.all(np.isnan(d.cooks_distance))
    assert any("exact fit" in n for n in d.notes)
    assert np.isnan(d.tests["jarque_bera"].statistic)
    json.dumps(d.to_dict(), allow_nan=False)
    assert "Regression diagnostics" in d.summary()


# -- weighted least squares: the whitened rows' diagnostics ------------------------------------
def _weighted_problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 80
    X = rng.normal(size=(n, 3))
    X[:, 2] += 0.5 * X[:, 0]  # some collinearity, for the VIFs
    w = rng.uniform(0.2, 3.0, n)
    w[[5, 17]] = 0.0
    y = 1.0 + X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=n) / np.sqrt(np.maximum(w, 0.1))
    return X, y, w


def test_weighted_influence_is_that_of_the_whitened_rows() -> None:
    """Oracle: statsmodels' OLS influence of sqrt(w) y on sqrt(w) [1 X] (weights > 0)."""
    X, y, w = _weighted_problem()
    d = linreg.LinearRegression(solver="exact").fit(X, y, sample_weight=w).diagnostics()
    keep = w > 0
    root = np.sqrt(w[keep])
    A = sm.add_constant(X[keep])
    oracle = sm.OLS(root * y[keep], A * root[:, None]).fit().get_influence()
    assert d.n_samples == 78
    assert "5" not in d.row_labels
    assert "17" not in d.row_labels
    assert any("weight zero" in note for note in d.notes)
    np.testing.assert_allclose(d.leverage, oracle.hat_matrix_diag, rtol=1e-10)
    np.testing.assert_allclose(d.studentized_internal, oracle.resid_studentized_internal, rtol=1e-9)
    np.testing.assert_allclose(d.studentized_external, oracle.resid_studentized_external, rtol=1e-9)
    np.testing.assert_allclose(d.cooks_distance, oracle.cooks_distance[0], rtol=1e-9)
    np.testing.assert_allclose(d.dffits, oracle.dffits[0], rtol=1e-9)
    np.testing.assert_allclose(d.dfbetas, oracle.dfbetas, rtol=1e-7, atol=1e-12)
    # The residuals reported are y - A theta; the tests take the whitened ones, as
    # statsmodels' WLS summary does (Durbin-Watson of wresid).
    wls = sm.WLS(y[keep], A, weights=w[keep]).fit()
    np.testing.assert_allclose(d.residuals, wls.resid, rtol=1e-9, atol=1e-12)
    assert d.tests["durbin_watson"].statistic == pytest.approx(
        sm.stats.durbin_watson(wls.wresid), rel=1e-10
    )


def test_weighted_vifs_regress_each_column_on_the_others_with_weights() -> None:
    """Oracle: 1 / (1 - R_j^2) of the weighted regression of column j on the others."""
    X, y, w = _weighted_problem(3)
    d = linreg.LinearRegression(solver="exact").fit(X, y, sample_weight=w).diagnostics()
    keep = w > 0
    root = np.sqrt(w[keep])
    centred = (X[keep] - np.average(X[keep], axis=0, weights=w[keep])) * root[:, None]
    A = np.column_stack([root, centred])
    expected = []
    for j in range(1, 4):
        others = [k for k in range(4) if k != j]
        beta, *_ = np.linalg.lstsq(A[:, others], A[:, j], rcond=None)
        rest = A[:, j] - A[:, others] @ beta
        expected.append(float(A[:, j] @ A[:, j] / (rest @ rest)))
    np.testing.assert_allclose(d.vif, expected, rtol=1e-9)


def test_equal_weights_give_the_unweighted_diagnostics() -> None:
    X, y, _ = _weighted_problem(4)
    plain = linreg.LinearRegression(solver="exact").fit(X, y).diagnostics()
    weighted = linreg.LinearRegression(solver="exact").fit(X, y, sample_weight=np.full(80, 2.5))
    d = weighted.diagnostics()
    np.testing.assert_allclose(d.leverage, plain.leverage, rtol=1e-10)
    np.testing.assert_allclose(d.cooks_distance, plain.cooks_distance, rtol=1e-8)
    np.testing.assert_allclose(d.vif, plain.vif, rtol=1e-10)


def test_weights_given_with_new_data() -> None:
    X, y, w = _weighted_problem(5)
    model = linreg.LinearRegression(solver="exact").fit(X, y, sample_weight=w)
    same = model.diagnostics(X.copy(), y.copy(), sample_weight=w)
    np.testing.assert_allclose(same.leverage, model.diagnostics().leverage, rtol=1e-12)
    with pytest.raises(LinregError, match="sample_weight"):
        model.diagnostics(sample_weight=w)  # the training weights are kept


def test_weighted_residuals_are_whitened_and_plain_ones_unchanged() -> None:
    X, y, w = _weighted_problem(6)
    d = linreg.LinearRegression(solver="exact").fit(X, y, sample_weight=w).diagnostics()
    keep = w > 0
    assert d.weights is not None
    np.testing.assert_array_equal(d.weights, w[keep])
    np.testing.assert_allclose(d.weighted_residuals, np.sqrt(w[keep]) * d.residuals)
    plain = linreg.LinearRegression(solver="exact").fit(X, y).diagnostics()
    assert plain.weights is None
    assert plain.weighted_residuals is plain.residuals
