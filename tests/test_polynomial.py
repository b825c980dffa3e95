"""Tests of ``PolynomialRegression`` and the double-double monomial design."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures as SkPolynomialFeatures

from linreg.errors import LinregError, NotFittedError, RankDeficiencyWarning
from linreg.stats.features import PolynomialFeatures, polynomial_powers
from linreg.stats.nist import load_nist, lre
from linreg.stats.polynomial import PolynomialRegression, monomial_design, polynomial_design

Array = NDArray[np.float64]


def test_monomial_design_is_exact_to_double_double() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-9.0, 9.0, 40)
    hi, lo = monomial_design(x, 10)
    assert hi.shape == lo.shape == (40, 10)
    for i in range(40):
        for j in range(10):
            exact = Fraction(x[i]) ** (j + 1)
            got = Fraction(hi[i, j]) + Fraction(lo[i, j])
            assert abs(got - exact) <= abs(exact) * Fraction(2.0**-100)
    # The leading part is the power rounded to float64 (to within an ulp).
    np.testing.assert_allclose(hi, x[:, None] ** np.arange(1, 11), rtol=2.3e-16)


def test_monomial_design_rejects_overflow() -> None:
    with pytest.raises(LinregError, match="overflows"):
        monomial_design(np.array([1e200, 2.0]), 2)


# -- accuracy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "target"), [("Filip", 12.0)] + [(f"Wampler{i}", 13.0) for i in range(1, 6)]
)
def test_nist_polynomials(name: str, target: float) -> None:
    ds = load_nist(name)
    model = PolynomialRegression(degree=ds.degree).fit(ds.x, ds.y)  # x of shape (n, 1)
    params = np.concatenate([[model.intercept_], model.coef_])
    assert lre(params, ds.certified_coef) >= target
    assert model.coef_.shape == (ds.degree,)
    assert model.n_features_in_ == 1


def test_exact_polynomial_is_recovered_exactly() -> None:
    x = np.arange(0.0, 21.0)
    y = 1 + x + x**2 + x**3 + x**4 + x**5  # Wampler1: integers, exactly representable
    model = PolynomialRegression(degree=5).fit(x, y)
    assert model.intercept_ == 1.0
    np.testing.assert_array_equal(model.coef_, np.ones(5))
    assert model.score(x, y) == 1.0
    np.testing.assert_array_equal(model.predict(x), y)


@st.composite
def curves(draw: st.DrawFn) -> tuple[Array, Array, int]:
    degree = draw(st.integers(min_value=1, max_value=4))
    n = draw(st.integers(min_value=degree + 3, max_value=40))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    y = np.polyval(rng.uniform(-3.0, 3.0, degree + 1), x) + 0.1 * rng.standard_normal(n)
    return x, y, degree


@settings(max_examples=30, deadline=None)
@given(data=curves(), fit_intercept=st.booleans())
def test_agrees_with_scikit_learn_on_well_conditioned_fits(
    data: tuple[Array, Array, int], fit_intercept: bool
) -> None:
    x, y, degree = data
    powers = x[:, None] ** np.arange(1, degree + 1)
    sk = SkLinearRegression(fit_intercept=fit_intercept).fit(powers, y)
    model = PolynomialRegression(degree, fit_intercept=fit_intercept).fit(x, y)
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-8, atol=1e-9)
    assert model.intercept_ == pytest.approx(sk.intercept_, rel=1e-8, abs=1e-9)
    np.testing.assert_allclose(model.predict(x), sk.predict(powers), rtol=1e-9, atol=1e-9)
    assert model.score(x, y) == pytest.approx(r2_score(y, sk.predict(powers)), abs=1e-9)


def test_agrees_with_numpy_polyfit() -> None:
    rng = np.random.default_rng(3)
    x = np.linspace(0.0, 5.0, 30)
    y = 2.0 - x + 0.3 * x**2 + 0.05 * rng.standard_normal(30)
    model = PolynomialRegression(2).fit(x, y)
    ref = np.polyfit(x, y, 2)[::-1]
    np.testing.assert_allclose(np.concatenate([[model.intercept_], model.coef_]), ref, rtol=1e-10)


def test_without_intercept_the_curve_passes_through_the_origin() -> None:
    x = np.linspace(-1.0, 1.0, 11)
    y = 3.0 * x - 2.0 * x**2
    model = PolynomialRegression(2, fit_intercept=False).fit(x, y)
    assert model.intercept_ == 0.0
    np.testing.assert_allclose(model.coef_, [3.0, -2.0], rtol=1e-15)
    assert model.predict([0.0])[0] == 0.0


def test_column_vector_and_flat_input_agree_and_are_not_mutated() -> None:
    x = np.linspace(-3.0, 3.0, 15)
    y = np.sin(x)
    x0, y0 = x.copy(), y.copy()
    a = PolynomialRegression(3).fit(x, y)
    b = PolynomialRegression(3).fit(x.reshape(-1, 1), y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.intercept_ == b.intercept_
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(a.predict(x.reshape(-1, 1)), a.predict(list(x)))


def test_too_few_distinct_points_warns_and_interpolates() -> None:
    x = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0])
    y = np.array([1.0, 3.0, 2.0, 1.0, 3.0, 2.0])
    with pytest.warns(RankDeficiencyWarning, match=r"columns \[2\] \(x\^3\).*3 distinct x"):
        model = PolynomialRegression(3).fit(x, y)
    assert model.rank_ == 3
    np.testing.assert_allclose(model.predict([0.0, 1.0, 2.0]), [1.0, 3.0, 2.0], atol=1e-12)


# -- the estimator protocol ----------------------------------------------------------------


def test_hyperparameters_are_stored_unchanged_and_validated_in_fit() -> None:
    model = PolynomialRegression(degree=2.5, solver="qr")  # type: ignore[arg-type]
    assert model.degree == 2.5
    assert model.solver == "qr"
    x, y = np.arange(5.0), np.arange(5.0)
    with pytest.raises(LinregError, match="degree"):
        model.fit(x, y)
    model.set_params(degree=2)
    with pytest.raises(ValueError, match="'exact'"):
        model.fit(x, y)
    with pytest.raises(LinregError, match="degree"):
        PolynomialRegression(0).fit(x, y)
    with pytest.raises(LinregError, match="degree"):
        PolynomialRegression(True).fit(x, y)
    with pytest.raises(LinregError, match="fit_intercept"):
        PolynomialRegression(fit_intercept="yes").fit(x, y)  # type: ignore[arg-type]


def test_params_protocol_and_repr() -> None:
    model = PolynomialRegression(3, fit_intercept=False)
    assert model.get_params() == {
        "degree": 3,
        "solver": "exact",
        "fit_intercept": False,
        "interaction_only": False,
    }
    assert repr(model) == "PolynomialRegression(degree=3, fit_intercept=False)"
    assert model.set_params(degree=4) is model
    assert model.degree == 4
    with pytest.raises(ValueError, match="unknown parameter"):
        model.set_params(alpha=1.0)


def test_bad_data_are_rejected() -> None:
    model = PolynomialRegression(2)
    with pytest.raises(LinregError, match="shape"):
        model.fit(np.ones((4, 2, 2)), np.ones(4))
    with pytest.raises(LinregError, match="non-finite"):
        model.fit([0.0, 1.0, np.nan], [1.0, 2.0, 3.0])
    with pytest.raises(LinregError, match="one y per x"):
        model.fit([0.0, 1.0, 2.0], [1.0, 2.0])
    with pytest.raises(TypeError, match="string"):
        model.fit("abc", [1.0])


def test_predict_before_fit_raises() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        PolynomialRegression().predict([1.0])


def test_fit_returns_self_and_records_the_solver() -> None:
    x = np.linspace(0.0, 1.0, 10)
    model = PolynomialRegression(2)
    assert model.fit(x, x**2) is model
    assert model.n_iter_ >= 0
    assert model.lstsq_.rank == 3
    assert model.score(x, np.full(10, 2.0)) == 0.0  # constant target, not predicted


# -- several inputs and the feature transformer ----------------------------------------------


def test_polynomial_design_of_several_inputs_is_exact_to_double_double() -> None:
    rng = np.random.default_rng(7)
    X = rng.uniform(-5.0, 5.0, (15, 3))
    powers = polynomial_powers(3, 4)
    hi, lo = polynomial_design(X, powers)
    assert hi.shape == lo.shape == (15, powers.shape[0])
    for i in range(15):
        for t, row in enumerate(powers):
            exact = Fraction(1)
            for j, e in enumerate(row):
                exact *= Fraction(X[i, j]) ** int(e)
            got = Fraction(hi[i, t]) + Fraction(lo[i, t])
            assert abs(got - exact) <= abs(exact) * Fraction(2.0**-98)


def test_several_inputs_recover_an_exact_polynomial_with_interactions() -> None:
    g = np.arange(-3.0, 4.0)
    x1, x2 = (a.ravel() for a in np.meshgrid(g, g))
    X = np.column_stack([x1, x2])
    y = 1 + 2 * x1 - x2 + 0.5 * x1**2 + 3 * x1 * x2 - x2**2 + 0.25 * x1**2 * x2
    model = PolynomialRegression(3).fit(X, y)
    assert model.term_names_ == ["x1", "x2", "x1^2", "x1 x2", "x2^2", "x1^3", "x1^2 x2",
                                 "x1 x2^2", "x2^3"]  # fmt: skip
    expected = [2.0, -1.0, 0.5, 3.0, -1.0, 0.0, 0.25, 0.0, 0.0]
    np.testing.assert_allclose(model.coef_, expected, atol=1e-14)
    assert model.intercept_ == pytest.approx(1.0, abs=1e-14)
    assert model.n_features_in_ == 2
    np.testing.assert_allclose(model.predict(X), y, rtol=1e-15, atol=1e-13)
    assert model.score(X, y) == 1.0
    assert model.inference().names[:3] == ["intercept", "x1", "x2"]


def test_several_inputs_match_sklearn_polynomial_features_and_least_squares() -> None:
    rng = np.random.default_rng(8)
    X = rng.uniform(-2.0, 2.0, (60, 3))
    y = X[:, 0] * X[:, 1] - X[:, 2] ** 2 + rng.standard_normal(60) * 0.1
    for interaction_only in (False, True):
        model = PolynomialRegression(2, interaction_only=interaction_only).fit(X, y)
        design = SkPolynomialFeatures(2, interaction_only=interaction_only, include_bias=False)
        Z = design.fit_transform(X)
        oracle = SkLinearRegression().fit(Z, y)
        np.testing.assert_allclose(model.coef_, oracle.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(model.powers_, design.powers_)


def test_one_input_in_a_column_is_the_classic_polynomial() -> None:
    x = np.linspace(-1.0, 2.0, 20)
    y = np.cos(x)
    a = PolynomialRegression(4).fit(x, y)
    b = PolynomialRegression(4).fit(x[:, None], y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.term_names_ == ["x", "x^2", "x^3", "x^4"]


def test_several_inputs_too_few_distinct_rows_warns() -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    with pytest.warns(RankDeficiencyWarning, match="3 distinct rows of x for 6 parameters"):
        PolynomialRegression(2).fit(X, np.arange(4.0))


def test_several_inputs_bad_data() -> None:
    rng = np.random.default_rng(11)
    model = PolynomialRegression(2).fit(rng.standard_normal((10, 2)), rng.standard_normal(10))
    with pytest.raises(LinregError, match="fitted with 2"):
        model.predict(np.ones((3, 3)))
    with pytest.raises(LinregError, match="row 1, column 0"):
        PolynomialRegression(2).fit([[0.0, 1.0], [np.inf, 2.0]], [1.0, 2.0])


@pytest.mark.parametrize("degree", [1, 2, 3])
@pytest.mark.parametrize("interaction_only", [False, True])
@pytest.mark.parametrize("include_bias", [False, True])
def test_polynomial_features_equal_sklearns(
    degree: int, interaction_only: bool, include_bias: bool
) -> None:
    X = np.random.default_rng(9).standard_normal((6, 3))
    ours = PolynomialFeatures(degree, interaction_only=interaction_only, include_bias=include_bias)
    theirs = SkPolynomialFeatures(
        degree, interaction_only=interaction_only, include_bias=include_bias
    )
    np.testing.assert_allclose(ours.fit_transform(X), theirs.fit_transform(X), rtol=1e-14)
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert list(ours.get_feature_names_out(["a", "b", "c"])) == list(
        theirs.get_feature_names_out(["a", "b", "c"])
    )
    assert ours.n_output_features_ == theirs.n_output_features_


def test_polynomial_features_in_a_sklearn_pipeline_with_dataframe_names() -> None:
    rng = np.random.default_rng(10)
    frame = pd.DataFrame(rng.standard_normal((30, 2)), columns=["u", "v"])
    y = frame["u"] ** 2 - frame["u"] * frame["v"] + 1.0
    pipe = make_pipeline(PolynomialFeatures(2), SkLinearRegression()).fit(frame, y)
    assert pipe.score(frame, y) == pytest.approx(1.0)
    assert list(pipe[0].get_feature_names_out()) == ["u", "v", "u^2", "u v", "v^2"]
    cloned = clone(PolynomialFeatures(3, interaction_only=True))
    assert cloned.get_params() == {"degree": 3, "interaction_only": True, "include_bias": False}


@pytest.mark.parametrize("degree", [0, -1, 1.5, True, "2"])
def test_polynomial_features_refuse_a_degree_below_one(degree: object) -> None:
    with pytest.raises(LinregError, match="degree must be an integer >= 1"):
        PolynomialFeatures(degree).fit(np.ones((3, 2)))  # type: ignore[arg-type]


def test_polynomial_features_errors() -> None:
    features = PolynomialFeatures(2)
    with pytest.raises(NotFittedError):
        features.transform(np.ones((2, 2)))
    features.fit(np.ones((2, 2)))
    with pytest.raises(LinregError, match="fitted with 2"):
        features.transform(np.ones((2, 3)))
    with pytest.raises(LinregError, match="input_features has 3 names"):
        features.get_feature_names_out(["a", "b", "c"])
    with pytest.raises(LinregError, match="include_bias"):
        PolynomialFeatures(include_bias="no").fit(np.ones((2, 2)))  # type: ignore[arg-type]
