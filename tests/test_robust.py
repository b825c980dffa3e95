"""Robust and clustered covariances (linreg.stats.robust) against statsmodels and exact arithmetic.

Oracles: statsmodels' ``OLS``/``WLS(...).fit(cov_type=..., use_t=...)`` on its shipped
datasets (engel, stackloss, longley, grunfeld clustered by firm), and the sandwich
formulas evaluated in exact rational arithmetic (Fractions) on Longley, where
statsmodels' own HC2/HC3 are off by about 1e-8 (its leverages cancel) and linreg's
agree with the exact values to 1e-11.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings

import linreg
from exact_oracle import gauss
from linreg.errors import LinregError
from linreg.stats.inference import Inference, ols_inference, wls_inference
from linreg.stats.robust import group_codes, leverage_of

HC = ["HC0", "HC1", "HC2", "HC3"]


def _dataset(name: str) -> tuple[pd.DataFrame, str, list[str]]:
    if name == "engel":
        return sm.datasets.engel.load_pandas().data, "foodexp", ["income"]
    if name == "stackloss":
        data = sm.datasets.stackloss.load_pandas().data
        return data, "STACKLOSS", ["AIRFLOW", "WATERTEMP", "ACIDCONC"]
    if name == "longley":
        data = sm.datasets.longley.load_pandas().data
        return data, "TOTEMP", ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]
    return sm.datasets.grunfeld.load_pandas().data, "invest", ["value", "capital"]


def _agree(ours: Inference, ref: object, rtol: float) -> None:
    np.testing.assert_allclose(ours.std_errors, ref.bse, rtol=rtol)  # type: ignore[attr-defined]
    np.testing.assert_allclose(ours.covariance, ref.cov_params(), rtol=rtol, atol=0)  # type: ignore[attr-defined]
    np.testing.assert_allclose(ours.t_values, ref.tvalues, rtol=rtol)  # type: ignore[attr-defined]
    np.testing.assert_allclose(ours.p_values, ref.pvalues, rtol=max(rtol, 1e-9))  # type: ignore[attr-defined]
    np.testing.assert_allclose(ours.conf_int(0.1), ref.conf_int(0.1), rtol=rtol)  # type: ignore[attr-defined]
    np.testing.assert_allclose(ours.f_statistic, ref.fvalue, rtol=rtol)  # type: ignore[attr-defined]
    np.testing.assert_allclose(ours.f_pvalue, ref.f_pvalue, rtol=max(rtol, 1e-9))  # type: ignore[attr-defined]


# Longley's HC2/HC3 (and its Wald F) are compared with statsmodels at 1e-6: statsmodels'
# own error there (checked against exact arithmetic below) is about 1e-8.
@pytest.mark.parametrize("name", ["engel", "stackloss", "longley", "grunfeld"])
@pytest.mark.parametrize("cov_type", ["nonrobust", *HC])
@pytest.mark.parametrize("use_t", [None, True, False])
def test_ols_covariance_types_match_statsmodels(
    name: str, cov_type: str, use_t: bool | None
) -> None:
    data, target, features = _dataset(name)
    X, y = data[features].to_numpy(float), data[target].to_numpy(float)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    ours = model.inference(cov_type=cov_type, use_t=use_t)
    ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type=cov_type, use_t=use_t)
    assert ours.use_t == ref.use_t
    assert ours.cov_type == cov_type
    _agree(ours, ref, 1e-6 if name == "longley" else 1e-8)


@pytest.mark.parametrize("use_t", [None, True])
def test_grunfeld_clustered_by_firm_matches_statsmodels(use_t: bool | None) -> None:
    data, target, features = _dataset("grunfeld")
    X, y = data[features].to_numpy(float), data[target].to_numpy(float)
    firms = data["firm"].to_numpy(dtype=str)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    ours = model.inference(cov_type="cluster", groups=firms, use_t=use_t)
    codes = pd.Categorical(firms).codes
    ref = sm.OLS(y, sm.add_constant(X)).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=use_t
    )
    _agree(ours, ref, 1e-8)
    assert ours.n_groups == 11
    assert ours.df_tests == ref.df_resid_inference == 10
    # The measure: clustered errors are 2.2-3.5 times the nonrobust ones.
    ratio = ours.std_errors / model.inference().std_errors
    assert np.all((ratio > 2.0) & (ratio < 3.6))


@pytest.mark.parametrize("name", ["engel", "stackloss", "grunfeld"])
@pytest.mark.parametrize("cov_type", [*HC, "cluster"])
def test_weighted_robust_covariances_match_statsmodels_wls(name: str, cov_type: str) -> None:
    data, target, features = _dataset(name)
    X, y = data[features].to_numpy(float), data[target].to_numpy(float)
    w = np.random.default_rng(3).uniform(0.2, 3.0, y.shape[0])
    groups = np.arange(y.shape[0]) % 7
    model = linreg.LinearRegression(solver="exact").fit(X, y, sample_weight=w)
    kw = {"groups": groups} if cov_type == "cluster" else {}
    ours = model.inference(cov_type=cov_type, **kw)  # type: ignore[arg-type]
    ref = sm.WLS(y, sm.add_constant(X), weights=w).fit(cov_type=cov_type, cov_kwds=kw or None)
    _agree(ours, ref, 1e-8)


def test_no_intercept_wald_test_covers_every_parameter() -> None:
    data, target, features = _dataset("stackloss")
    X, y = data[features].to_numpy(float), data[target].to_numpy(float)
    model = linreg.LinearRegression(solver="exact", fit_intercept=False).fit(X, y)
    ref = sm.OLS(y, X).fit(cov_type="HC2")
    _agree(model.inference(cov_type="HC2"), ref, 1e-8)


def _exact_sandwich_variances(X: np.ndarray, y: np.ndarray, kind: str) -> np.ndarray:
    """diag of the HC covariance of the exact least-squares fit, in rational arithmetic."""
    n, d = X.shape
    p = d + 1
    A = [[Fraction(1)] + [Fraction(float(v)) for v in row] for row in X]
    Y = [Fraction(float(v)) for v in y]
    gram = [
        [sum((A[i][a] * A[i][b] for i in range(n)), Fraction(0)) for b in range(p)]
        for a in range(p)
    ]
    cols = [gauss(gram, [Fraction(int(i == j)) for i in range(p)]) for j in range(p)]
    theta = gauss(gram, [sum((A[i][a] * Y[i] for i in range(n)), Fraction(0)) for a in range(p)])
    u = [Y[i] - sum((A[i][a] * theta[a] for a in range(p)), Fraction(0)) for i in range(n)]
    B = [
        [sum((A[i][a] * cols[k][a] for a in range(p)), Fraction(0)) for k in range(p)]
        for i in range(n)
    ]
    h = [sum((B[i][k] * A[i][k] for k in range(p)), Fraction(0)) for i in range(n)]
    omega = [ui * ui for ui in u]
    if kind == "HC1":
        omega = [o * Fraction(n, n - p) for o in omega]
    elif kind == "HC2":
        omega = [o / (1 - hi) for o, hi in zip(omega, h, strict=True)]
    elif kind == "HC3":
        omega = [o / (1 - hi) ** 2 for o, hi in zip(omega, h, strict=True)]
    return np.array(
        [float(sum((B[i][k] ** 2 * omega[i] for i in range(n)), Fraction(0))) for k in range(p)]
    )


@pytest.mark.parametrize("kind", HC)
def test_longley_robust_variances_are_exact_to_1e_11(kind: str) -> None:
    data, target, features = _dataset("longley")
    X, y = data[features].to_numpy(float), data[target].to_numpy(float)
    exact = _exact_sandwich_variances(X, y, kind)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    np.testing.assert_allclose(model.inference(cov_type=kind).std_errors ** 2, exact, rtol=1e-11)


def test_leverage_is_exact_where_the_columns_cancel() -> None:
    """Longley's leverages from the centred QR, against a^T (A^T A)^{-1} a in Fractions."""
    data, _target, features = _dataset("longley")
    X = data[features].to_numpy(float)
    A = np.column_stack([np.ones(len(X)), X])
    F = [[Fraction(float(v)) for v in row] for row in A]
    p = A.shape[1]
    gram = [[sum((r[a] * r[b] for r in F), Fraction(0)) for b in range(p)] for a in range(p)]
    exact = [float(sum((r[k] * c for k, c in enumerate(gauss(gram, r))), Fraction(0))) for r in F]
    h = leverage_of(A, intercept=True, rank=p)
    np.testing.assert_allclose(h, exact, rtol=1e-13)
    np.testing.assert_allclose(1.0 - h, 1.0 - np.array(exact), rtol=1e-12)


def _homoskedastic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, X @ [1.0, -2.0] + 0.5 + rng.normal(size=n)


def test_hc0_approaches_nonrobust_on_homoskedastic_data() -> None:
    gaps = []
    for n in (50, 5_000, 50_000):
        X, y = _homoskedastic(n, 11)
        model = linreg.LinearRegression(solver="exact").fit(X, y)
        ratio = model.inference(cov_type="HC0").std_errors / model.inference().std_errors
        gaps.append(float(np.max(np.abs(ratio - 1.0))))
    assert gaps[2] < gaps[0], gaps
    assert gaps[2] < 0.02, gaps


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cov_type=st.sampled_from([*HC, "cluster"]))
def test_permuting_rows_changes_nothing(seed: int, cov_type: str) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    X = rng.normal(size=(n, 3))
    y = X @ rng.normal(size=3) + rng.normal(size=n) * (1 + np.abs(X[:, 0]))
    groups = rng.integers(0, 6, n)
    perm = rng.permutation(n)
    kw = (lambda g: {"groups": g}) if cov_type == "cluster" else (lambda g: {})
    a = ols_inference(X, y, *_fit(X, y), cov_type=cov_type, **kw(groups))  # type: ignore[arg-type]
    b = ols_inference(  # type: ignore[arg-type]
        X[perm], y[perm], *_fit(X[perm], y[perm]), cov_type=cov_type, **kw(groups[perm])
    )
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-10)
    np.testing.assert_allclose(a.f_statistic, b.f_statistic, rtol=1e-9)


def _fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    return model.coef_, model.intercept_


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), weighted=st.booleans())
def test_one_row_per_cluster_is_hc1(seed: int, weighted: bool) -> None:
    """With singleton clusters c = N/(N-1) (N-1)/(N-p) = N/(N-p): HC1's factor exactly."""
    rng = np.random.default_rng(seed)
    n = 30
    X = rng.normal(size=(n, 2))
    y = X @ [0.3, 2.0] + rng.normal(size=n) * (1 + X[:, 1] ** 2)
    coef, b = _fit(X, y)
    labels = [f"row{i}" for i in range(n)]
    if weighted:
        w = rng.uniform(0.5, 2.0, n)
        hc1 = wls_inference(X, y, coef, b, w, cov_type="HC1")
        cl = wls_inference(X, y, coef, b, w, cov_type="cluster", groups=labels)
    else:
        hc1 = ols_inference(X, y, coef, b, cov_type="HC1")
        cl = ols_inference(X, y, coef, b, cov_type="cluster", groups=labels)
    np.testing.assert_allclose(cl.covariance, hc1.covariance, rtol=1e-12, atol=1e-300)
    assert cl.df_tests == n - 1
    assert hc1.df_tests == n - 3


@pytest.fixture
def fitted() -> linreg.LinearRegression:
    X, y = _homoskedastic(30, 2)
    return linreg.LinearRegression(solver="exact").fit(X, y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cov_type": "HC4"}, r"cov_type must be one of nonrobust, HC0.*'HC4'"),
        ({"cov_type": "cluster"}, r"cov_type='cluster' needs groups"),
        ({"cov_type": "HC0", "use_t": "yes"}, r"use_t must be True, False or None, got 'yes'"),
        ({"cov_type": "HC1", "groups": np.zeros(30)}, r"groups are used by cov_type='cluster'"),
        ({"cov_type": "cluster", "groups": np.zeros(29)}, r"one label per row: 30 rows"),
        ({"cov_type": "cluster", "groups": np.zeros(30)}, r"at least two groups, got 1"),
        (
            {"cov_type": "cluster", "groups": np.r_[np.nan, np.arange(29.0)]},
            r"missing label",
        ),
        (
            {"cov_type": "cluster", "groups": np.array([None] + ["a"] * 29, dtype=object)},
            r"missing label",
        ),
    ],
)
def test_bad_covariance_requests_are_refused_by_name(
    fitted: linreg.LinearRegression, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(LinregError, match=message):
        fitted.inference(**kwargs)  # type: ignore[arg-type]


def test_cov_type_names_are_case_insensitive(fitted: linreg.LinearRegression) -> None:
    assert fitted.inference(cov_type="hc3").cov_type == "HC3"


def test_hc3_refuses_a_row_the_fit_passes_through() -> None:
    """A dummy column that is 1 on one row alone gives that row leverage 1."""
    X, y = _homoskedastic(20, 5)
    X = np.column_stack([X, np.eye(20)[:, 4]])
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    with pytest.raises(LinregError, match=r"row 4 has leverage 1.*use HC0 or HC1"):
        model.inference(cov_type="HC3")
    assert np.all(np.isfinite(model.inference(cov_type="HC1").std_errors))


def test_group_codes_number_labels_in_sorted_order() -> None:
    codes, n = group_codes(np.array(["b", "a", "b", "c"]), 4)
    assert n == 3
    assert codes.tolist() == [1, 0, 1, 2]


def test_robust_summary_names_the_covariance_and_uses_z(fitted: linreg.LinearRegression) -> None:
    text = fitted.summary(cov_type="HC3")
    assert "HC3" in text
    assert "P>|z|" in text
    assert "P>|t|" not in text
    assert "normal distribution" in text
    groups = np.arange(30) % 5
    clustered = fitted.summary(cov_type="cluster", groups=groups, use_t=True)
    assert "cluster (5 groups)" in clustered
    assert "P>|t|" in clustered
    assert "Student's t(4)" in clustered
    as_dict = fitted.inference(cov_type="cluster", groups=groups).to_dict()
    assert as_dict["cov_type"] == "cluster"
    assert as_dict["df_inference"] == 4


def test_robust_prediction_intervals_match_statsmodels() -> None:
    data, target, features = _dataset("engel")
    X, y = data[features].to_numpy(float), data[target].to_numpy(float)
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    new = np.array([[500.0], [3000.0]])
    ours = model.inference(cov_type="HC3").predict_interval(new, alpha=0.1)
    ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type="HC3").get_prediction(sm.add_constant(new))
    frame = ref.summary_frame(alpha=0.1)
    np.testing.assert_allclose(ours.mean_std_error, frame["mean_se"], rtol=1e-10)
    np.testing.assert_allclose(ours.ci_lower, frame["mean_ci_lower"], rtol=1e-10)
    np.testing.assert_allclose(ours.pi_upper, frame["obs_ci_upper"], rtol=1e-10)


@pytest.mark.parametrize("cov_type", [*HC, "cluster"])
def test_rank_deficient_designs_match_statsmodels_pseudo_inverse(cov_type: str) -> None:
    """A column that is the sum of two others: pseudo-inverse sandwich, leverage over the rank."""
    from linreg.errors import RankDeficiencyWarning

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    X = np.column_stack([X, X[:, 0] + X[:, 1]])
    y = X[:, 0] - X[:, 1] + rng.normal(size=50) * (1 + np.abs(X[:, 0]))
    groups = np.arange(50) % 6
    with pytest.warns(RankDeficiencyWarning):
        model = linreg.LinearRegression(solver="exact").fit(X, y)
    kw = {"groups": groups} if cov_type == "cluster" else {}
    ours = model.inference(cov_type=cov_type, **kw)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' own warning of the same deficiency
        ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type=cov_type, cov_kwds=kw or None)
        ref_f = ref.fvalue  # a Wald test on 2 of 3 constraints' rank: warns too
    np.testing.assert_allclose(ours.std_errors, ref.bse, rtol=1e-10)
    np.testing.assert_allclose(ours.f_statistic, ref_f, rtol=1e-10)
