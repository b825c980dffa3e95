"""``standardize=True`` puts the penalty on the standardized coefficients (issue 15, §2).

The objective (:mod:`linreg.problem`) is then
``(1/S) sum_i w_i r_i^2 + alpha ((1 - rho) |s W|^2 + 2 rho |s W|_1)``, ``s`` the
(weighted, ddof 0) deviations of the features: glmnet's convention. The oracle is
scikit-learn's pipeline ``StandardScaler`` + ``Ridge`` / ``ElasticNet`` / ``Lasso``,
its coefficients mapped back to the original units (``W = coef / scale``,
``b = intercept - W . mean``). Every solver (exact, gd, sgd, the fast engine, a
stream, the regularization path) must reach that minimiser.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import ElasticNet, Lasso, Ridge, lasso_path
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from linreg import LinearRegression
from linreg.errors import LinregError
from linreg.io.persistence import load_model, save_model
from linreg.out_of_memory import fit_source
from linreg.problem import check_ridge, objective, penalty_scale
from linreg.solvers.elastic_net import alpha_max
from linreg.sources.batches import ArraySource
from linreg.stats.path import regularization_path

Array = np.ndarray

#: Features of very different units (the point of a fair penalty), one offset.
UNITS = np.array([1.0, 30.0, 0.02, 500.0])


def problem(
    n: int = 80, seed: int = 0, weighted: bool = False
) -> tuple[Array, Array, Array | None]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)) * UNITS + np.array([0.0, 100.0, -1.0, 0.0])
    W = np.array([1.5, 0.02, 0.0, -0.003])  # one true zero
    y = X @ W + 2.0 + 0.5 * rng.standard_normal(n)
    w = rng.uniform(0.2, 3.0, n) if weighted else None
    return X, y, w


def sklearn_standardized(
    estimator: Any, X: Array, y: Array, w: Array | None, fit_intercept: bool = True
) -> tuple[Array, float]:
    """The pipeline's (W, b) in the original units: W = coef / scale, b = c - W . mean."""
    scaler = StandardScaler(with_mean=fit_intercept)
    pipe = make_pipeline(scaler, estimator)
    pipe.fit(X, y, standardscaler__sample_weight=w, **{f"{pipe.steps[-1][0]}__sample_weight": w})
    W = estimator.coef_ / scaler.scale_
    mean = scaler.mean_ if fit_intercept else np.zeros(X.shape[1])
    return W, float(estimator.intercept_) - float(W @ mean)


def ridge_oracle(
    X: Array, y: Array, w: Array | None, alpha: float, fit_intercept: bool = True
) -> tuple[Array, float]:
    total = len(y) if w is None else float(w.sum())
    ridge = Ridge(alpha=alpha * total, fit_intercept=fit_intercept, solver="cholesky")
    return sklearn_standardized(ridge, X, y, w, fit_intercept)


def enet_oracle(
    X: Array, y: Array, w: Array | None, alpha: float, rho: float, fit_intercept: bool = True
) -> tuple[Array, float]:
    kw: dict[str, Any] = {"tol": 1e-14, "max_iter": 100_000, "fit_intercept": fit_intercept}
    model = Lasso(alpha=alpha, **kw) if rho == 1.0 else ElasticNet(alpha=alpha, l1_ratio=rho, **kw)
    return sklearn_standardized(model, X, y, w, fit_intercept)


def quiet_fit(model: LinearRegression, X: Array, y: Array, w: Array | None) -> LinearRegression:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eta_max / convergence warnings of the slow runs
        return model.fit(X, y, sample_weight=w)


# -- the penalty scale ------------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
def test_penalty_scale_is_the_scalers_scale(weighted: bool) -> None:
    X, _, w = problem(weighted=weighted)
    scaler = StandardScaler().fit(X, sample_weight=w)
    np.testing.assert_allclose(penalty_scale(X, w, standardize=True), scaler.scale_, rtol=1e-13)
    np.testing.assert_array_equal(penalty_scale(X, w, standardize=False), np.ones(4))
    X[:, 2] = 0.1  # a constant column (whose mean rounds off 0.1): scale 1
    assert penalty_scale(X, w, standardize=True)[2] == 1.0
    if w is not None:  # constant where the weights are: rows of weight 0 do not count
        w[:5], X[:5, 1] = 0.0, 1e6
        X[5:, 1] = 0.3
        assert penalty_scale(X, w, standardize=True)[1] == 1.0


def test_penalty_scale_of_huge_columns_does_not_overflow() -> None:
    X = np.array([[1e300, 1.0], [-1e300, 2.0], [3e300, 4.0]])
    s = penalty_scale(X, standardize=True)
    assert np.all(np.isfinite(s))
    assert s[0] == pytest.approx(np.std(X[:, 0] / 1e300) * 1e300, rel=1e-14)


def test_objective_penalizes_the_standardized_weights() -> None:
    X, y, w = problem(weighted=True)
    W, b = np.array([1.0, -0.1, 3.0, 0.01]), 0.5
    s = penalty_scale(X, w, standardize=True)
    assert w is not None
    data = float(np.sum(w * (X @ W + b - y) ** 2) / w.sum())
    V = W * s
    expected = data + 0.3 * (0.6 * float(V @ V) + 2 * 0.4 * float(np.abs(V).sum()))
    got = objective(X, y, W, b, w, alpha=0.3, l1_ratio=0.4, scale=s)
    assert got == pytest.approx(expected, rel=1e-14)


def test_a_per_feature_ridge_is_validated() -> None:
    np.testing.assert_array_equal(check_ridge(np.array([0.5, 0.0]), 2), [0.5, 0.0])
    with pytest.raises(LinregError, match=r"shape \(3,\)"):
        check_ridge(np.array([0.5, 0.0]), 3)
    with pytest.raises(LinregError, match=r"alpha\[1\] is -1.0"):
        check_ridge(np.array([0.5, -1.0]), 2)


# -- exact solvers: scikit-learn's pipeline ---------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.01, 1.0])
def test_exact_ridge_is_the_standardized_pipelines(
    weighted: bool, fit_intercept: bool, alpha: float
) -> None:
    X, y, w = problem(weighted=weighted)
    model = LinearRegression(
        solver="exact", standardize=True, alpha=alpha, fit_intercept=fit_intercept
    ).fit(X, y, sample_weight=w)
    W, b = ridge_oracle(X, y, w, alpha, fit_intercept)
    np.testing.assert_allclose(model.coef_, W, rtol=1e-8, atol=1e-12)
    assert model.intercept_ == pytest.approx(b, rel=1e-8, abs=1e-10)
    # The recorded loss is the standardized objective at the fit.
    s = penalty_scale(X, w, standardize=True)
    expected = objective(X, y, W, b, w, alpha=alpha, scale=s)
    assert model.history_.loss[-1] == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("rho", [0.5, 1.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_exact_elastic_net_is_the_standardized_pipelines(
    weighted: bool, rho: float, fit_intercept: bool
) -> None:
    X, y, w = problem(weighted=weighted)
    alpha = 0.4
    model = LinearRegression(
        solver="exact", standardize=True, alpha=alpha, l1_ratio=rho, fit_intercept=fit_intercept
    ).fit(X, y, sample_weight=w)
    W, b = enet_oracle(X, y, w, alpha, rho, fit_intercept)
    np.testing.assert_allclose(model.coef_, W, rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(model.coef_ == 0, W == 0)
    if fit_intercept:  # (without, feature 2, of mean -1, stands in for the intercept)
        assert np.count_nonzero(W == 0) >= 1  # the test has a zero to keep
    assert model.intercept_ == pytest.approx(b, rel=1e-8, abs=1e-10)
    assert 0.0 <= model.dual_gap_ <= 1e-10 * np.var(y)


def test_the_standardized_penalty_is_fair_across_units() -> None:
    """Not the plain penalty: a feature in tiny units is no longer wiped out."""
    X, y, _ = problem()
    plain = LinearRegression(solver="exact", alpha=0.05, l1_ratio=1.0).fit(X, y)
    fair = LinearRegression(solver="exact", alpha=0.05, l1_ratio=1.0, standardize=True).fit(X, y)
    # Feature 1 (sd 30) matters; the plain lasso keeps it only because its units are big.
    assert not np.allclose(plain.coef_, fair.coef_, rtol=1e-3)
    # Rescaling a column rescales its weight alone: the fit is the same model.
    X2 = X * np.array([1000.0, 1.0, 1.0, 0.001])
    again = LinearRegression(solver="exact", alpha=0.05, l1_ratio=1.0, standardize=True)
    again.fit(X2, y)
    np.testing.assert_allclose(again.coef_ * [1000.0, 1.0, 1.0, 0.001], fair.coef_, rtol=1e-9)
    np.testing.assert_allclose(again.predict(X2), fair.predict(X), rtol=1e-10)


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.floats(-6, 6), min_size=3, max_size=3),
    st.floats(1e-3, 10.0),
    st.sampled_from([0.0, 0.5, 1.0]),
)
def test_units_do_not_change_a_standardized_fit(
    log_units: list[float], alpha: float, rho: float
) -> None:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 3))
    y = X @ [1.0, -0.5, 0.0] + 0.3 * rng.standard_normal(40)
    c = 10.0 ** np.array(log_units)
    base = LinearRegression(solver="exact", alpha=alpha, l1_ratio=rho, standardize=True)
    scaled = LinearRegression(solver="exact", alpha=alpha, l1_ratio=rho, standardize=True)
    base.fit(X, y)
    scaled.fit(X * c, y)
    np.testing.assert_allclose(scaled.coef_ * c, base.coef_, rtol=1e-7, atol=1e-10)
    assert scaled.intercept_ == pytest.approx(base.intercept_, rel=1e-8, abs=1e-10)


def test_without_a_penalty_standardize_changes_nothing() -> None:
    X, y, w = problem(weighted=True)
    a = LinearRegression(solver="exact").fit(X, y, sample_weight=w)
    b = LinearRegression(solver="exact", standardize=True).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.intercept_ == b.intercept_


# -- gradient descent, SGD, the fast engine ---------------------------------------------------
GD_CASES = {
    "ridge": {"alpha": 0.3},
    "elastic-net": {"alpha": 0.05, "l1_ratio": 0.5},
    "lasso-fista": {"alpha": 0.05, "l1_ratio": 1.0, "acceleration": "fista"},
}


@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("params", GD_CASES.values(), ids=GD_CASES.keys())
def test_gd_reaches_the_exact_standardized_optimum(
    engine: str, weighted: bool, params: dict[str, Any]
) -> None:
    X, y, w = problem(weighted=weighted)
    exact = LinearRegression(
        solver="exact",
        standardize=True,
        **{k: v for k, v in params.items() if k != "acceleration"},
    ).fit(X, y, sample_weight=w)
    gd = LinearRegression(
        solver="gd", engine=engine, standardize=True, learning_rate=0.2, epochs=2000, **params
    ).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(gd.coef_, exact.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(gd.coef_ == 0, exact.coef_ == 0)
    assert gd.intercept_ == pytest.approx(exact.intercept_, rel=1e-8)
    assert gd.history_.loss[-1] == pytest.approx(exact.history_.loss[-1], rel=1e-10)


@pytest.mark.parametrize("params", [{"alpha": 1.0}, {"alpha": 0.2, "l1_ratio": 1.0}])
def test_sgd_heads_for_the_standardized_optimum(params: dict[str, Any]) -> None:
    X, y, _ = problem(n=400)
    fair = LinearRegression(solver="exact", standardize=True, **params).fit(X, y)
    plain = LinearRegression(solver="exact", **params).fit(X, y)
    sgd = LinearRegression(
        solver="sgd", standardize=True, learning_rate=0.005, batch_size=16, epochs=60, **params
    )
    quiet_fit(sgd, X, y, None)
    scale = penalty_scale(X, standardize=True)
    to_fair = np.max(np.abs((sgd.coef_ - fair.coef_) * scale))
    to_plain = np.max(np.abs((sgd.coef_ - plain.coef_) * scale))
    assert to_fair < 0.05  # SGD's noise, in standardized units
    assert to_fair < 0.1 * to_plain


# -- streamed and path -----------------------------------------------------------------------
STREAM_CASES = {
    "exact-ridge": {"solver": "exact", "alpha": 0.3},
    "exact-ridge-no-intercept": {"solver": "exact", "alpha": 0.3, "fit_intercept": False},
    "exact-lasso": {"solver": "exact", "alpha": 0.05, "l1_ratio": 1.0},
    "gd-ridge": {"solver": "gd", "alpha": 0.3, "learning_rate": 0.2, "epochs": 1500},
    "gd-enet": {
        "solver": "gd",
        "alpha": 0.05,
        "l1_ratio": 0.5,
        "learning_rate": 0.2,
        "epochs": 1500,
    },
}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("params", STREAM_CASES.values(), ids=STREAM_CASES.keys())
def test_streamed_fits_reach_the_standardized_optimum(
    weighted: bool, params: dict[str, Any]
) -> None:
    X, y, w = problem(weighted=weighted)
    keys = ("alpha", "l1_ratio", "fit_intercept")
    exact = LinearRegression(
        solver="exact", standardize=True, **{k: v for k, v in params.items() if k in keys}
    ).fit(X, y, sample_weight=w)
    streamed = fit_source(
        LinearRegression(standardize=True, **params),
        ArraySource(X, y, batch_rows=32, sample_weight=w),
    )
    np.testing.assert_allclose(streamed.model.coef_, exact.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(streamed.model.coef_ == 0, exact.coef_ == 0)
    assert streamed.model.intercept_ == pytest.approx(exact.intercept_, rel=1e-8, abs=1e-10)
    np.testing.assert_allclose(streamed.optimum.coef_, exact.coef_, rtol=1e-8, atol=1e-10)
    assert streamed.model.history_.loss[-1] == pytest.approx(exact.history_.loss[-1], rel=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_the_standardized_path_is_the_scaled_lasso_path(weighted: bool) -> None:
    X, y, w = problem(weighted=weighted)
    path = regularization_path(X, y, l1_ratio=1.0, n_alphas=8, sample_weight=w, standardize=True)
    s = penalty_scale(X, w, standardize=True)
    # At alpha_max every weight is zero; just below it one leaves zero.
    top = alpha_max(X, y, l1_ratio=1.0, sample_weight=w, penalty_scale=s)
    assert path.alphas[0] == pytest.approx(top)
    assert path.n_nonzero[0] == 0
    below = LinearRegression(solver="exact", alpha=0.99 * top, l1_ratio=1.0, standardize=True)
    assert np.count_nonzero(below.fit(X, y, sample_weight=w).coef_) == 1
    # Against scikit-learn's lasso_path of the centred, weighted, standardized data.
    v = np.full(len(y), 1.0 / len(y)) if w is None else w / w.sum()
    root = np.sqrt(v * len(y))
    Z = root[:, None] * (X - v @ X) / s
    c = root * (y - v @ y)
    _, coefs, _ = lasso_path(Z, c, alphas=path.alphas, tol=1e-14, max_iter=100_000)
    np.testing.assert_allclose(path.coefs, coefs.T / s, rtol=1e-7, atol=1e-10)


# -- model files ------------------------------------------------------------------------------
def test_a_standardized_penalized_model_file_round_trips(tmp_path: Path) -> None:
    X, y, w = problem(weighted=True)
    model = LinearRegression(solver="exact", standardize=True, alpha=0.05, l1_ratio=0.5)
    model.fit(X, y, sample_weight=w)
    path = save_model(model, tmp_path / "m.json")
    loaded, _ = load_model(path)
    assert loaded.standardize is True
    assert (loaded.alpha, loaded.l1_ratio) == (0.05, 0.5)
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    # The hyperparameters say which objective: refitting reproduces the file's model.
    refit = LinearRegression(**loaded.get_params()).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(refit.coef_, loaded.coef_, rtol=1e-12)


# -- the command line's optimum and the loss landscape ---------------------------------------
def test_the_reference_optimum_and_the_landscape_use_the_standardized_penalty() -> None:
    from linreg.problem import ridge_penalty
    from linreg.viz.landscape import landscape_grid
    from linreg.viz.summaries import closed_form

    X, y, w = problem(weighted=True)
    model = LinearRegression(solver="exact", alpha=0.5, standardize=True)
    model.fit(X, y, sample_weight=w)
    optimum = closed_form(X, y, True, sample_weight=w, alpha=0.5, standardize=True)
    np.testing.assert_array_equal(optimum.coef_, model.coef_)
    ridge = ridge_penalty(0.5, X, w, standardize=True)
    assert w is not None
    np.testing.assert_allclose(ridge, 0.5 * StandardScaler().fit(X, sample_weight=w).scale_ ** 2)
    grid = landscape_grid(X, y, params=(0, 4), sample_weight=w, alpha=ridge, resolution=5)
    np.testing.assert_allclose(grid.center[:4], model.coef_, rtol=1e-7)
    assert grid.center_loss == pytest.approx(model.history_.loss[-1], rel=1e-9)
    assert ridge_penalty(0.5, X, w, standardize=False) == 0.5


def test_the_command_line_fits_with_a_standardized_penalty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    from cli_helpers import run

    X, y, _ = problem()
    csv = tmp_path / "d.csv"
    pd.DataFrame(np.column_stack([X, y]), columns=["a", "b", "c", "d", "y"]).to_csv(
        csv, index=False
    )
    result = run(capsys, "path", csv, "--standardize", "--n-alphas", "6", "--json")
    assert result.code == 0, result.err
    expected = regularization_path(X, y, n_alphas=6, standardize=True)
    np.testing.assert_allclose(result.json()["coefs"], expected.coefs, rtol=1e-12, atol=1e-15)
    out = tmp_path / "m.json"
    result = run(capsys, "train", csv, "--standardize", "--alpha", "0.5", "--out", out)
    assert result.code == 0, result.err
    fair = LinearRegression(solver="exact", alpha=0.5, standardize=True).fit(X, y)
    loaded, meta = load_model(out)
    # gd's fit and the reported closed form are both the standardized optimum
    np.testing.assert_allclose(loaded.coef_, fair.coef_, rtol=1e-6)
    np.testing.assert_allclose(meta["extra"]["optimum_coef"], fair.coef_, rtol=1e-12)
    assert meta["extra"]["optimum_loss"] == pytest.approx(fair.history_.loss[-1], rel=1e-12)
