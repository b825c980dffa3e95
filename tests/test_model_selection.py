"""Model selection against scikit-learn: KFold, cross-validation, the curves, RidgeCV."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import KFold as SkKFold
from sklearn.model_selection import cross_val_score
from sklearn.model_selection import learning_curve as sk_learning_curve
from sklearn.model_selection import validation_curve as sk_validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from linreg import LinearRegression, LinregError, PolynomialRegression
from linreg.model_selection import (
    KFold,
    LinearRegressionCV,
    cross_validate,
    learning_curve,
    ridge_loo,
    validation_curve,
)


def data(n: int = 60, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ np.arange(1.0, d + 1) + 0.5 + rng.normal(size=n)
    return X, y


def curve_data(n: int = 40, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=n)
    return x[:, None], np.sin(3 * x) + 0.1 * rng.normal(size=n)


# -- KFold -------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 60), k=st.integers(2, 10), seed=st.integers(0, 2**31 - 1))
def test_kfold_is_sklearns(n: int, k: int, seed: int) -> None:
    if k > n:
        with pytest.raises(LinregError, match=f"cv={k} folds is more than the {n} rows"):
            list(KFold(k, seed=seed).split(np.zeros(n)))
        return
    ours = list(KFold(k, seed=seed).split(np.zeros(n)))
    theirs = list(SkKFold(k, shuffle=True, random_state=seed).split(np.zeros(n)))
    assert len(ours) == k
    for (a_train, a_test), (b_train, b_test) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a_train, b_train)
        np.testing.assert_array_equal(a_test, b_test)
    tested = np.concatenate([test for _, test in ours])
    np.testing.assert_array_equal(np.sort(tested), np.arange(n))  # each row tested once


def test_kfold_unshuffled_and_bad_input() -> None:
    ours = [t.tolist() for _, t in KFold(3, shuffle=False).split(range(7))]
    assert ours == [[0, 1, 2], [3, 4], [5, 6]]
    for bad in (1, 0, 2.5, True):
        with pytest.raises(LinregError, match="cv \\(the number of folds\\) must be"):
            KFold(bad)  # type: ignore[arg-type]


# -- cross_validate ---------------------------------------------------------------------
def test_cross_validate_matches_cross_val_score() -> None:
    X, y = data()
    folds = SkKFold(5, shuffle=True, random_state=3)
    theirs = cross_val_score(SkLinearRegression(), X, y, cv=folds, scoring="neg_mean_squared_error")
    ours = cross_validate(LinearRegression(solver="exact"), X, y, cv=5, seed=3)
    np.testing.assert_allclose(ours.test_score, -theirs, rtol=1e-10)
    r2 = cross_validate(LinearRegression(solver="exact"), X, y, cv=5, seed=3, scoring="r2")
    np.testing.assert_allclose(
        r2.test_score, cross_val_score(SkLinearRegression(), X, y, cv=folds), rtol=1e-10
    )
    assert ours.mean == pytest.approx(-theirs.mean())


def test_cross_validate_never_fits_the_estimator_given() -> None:
    X, y = data()
    model = LinearRegression(learning_rate=0.1, epochs=200)
    result = cross_validate(model, X, y, cv=4, return_train_score=True)
    assert not hasattr(model, "coef_")
    assert result.train_score is not None
    assert result.train_score.shape == (4,)
    # The training rows are fitted, so their error is the smaller one on average.
    assert result.train_score.mean() < result.test_score.mean()


def test_cross_validate_weights_fit_and_score() -> None:
    X, y = data(40)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=40)
    ours = cross_validate(LinearRegression(solver="exact"), X, y, cv=4, sample_weight=w)
    expected = []
    for train, test in SkKFold(4, shuffle=True, random_state=0).split(X):
        fit = SkLinearRegression().fit(X[train], y[train], sample_weight=w[train])
        r = fit.predict(X[test]) - y[test]
        expected.append(np.sum(w[test] * r**2) / np.sum(w[test]))
    np.testing.assert_allclose(ours.test_score, expected, rtol=1e-10)


def test_callable_scoring_and_dataframes() -> None:
    pd = pytest.importorskip("pandas")
    X, y = data(30)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])

    def max_error(est: LinearRegression, X_: object, y_: np.ndarray) -> float:
        return -float(np.max(np.abs(est.predict(X_) - y_)))

    result = cross_validate(LinearRegression(solver="exact"), frame, y, cv=3, scoring=max_error)
    assert np.all(result.test_score < 0)


def test_cross_validate_bad_input() -> None:
    X, y = data(10)
    model = LinearRegression(solver="exact")
    with pytest.raises(LinregError, match="cv=11 folds is more than the 10 rows"):
        cross_validate(model, X, y, cv=11)
    with pytest.raises(LinregError, match="must be a whole number >= 2, got 1"):
        cross_validate(model, X, y, cv=1)
    with pytest.raises(LinregError, match="unknown scoring 'mae'"):
        cross_validate(model, X, y, scoring="mae")
    with pytest.raises(LinregError, match="X has 10 rows but y has 9"):
        cross_validate(model, X, y[:9])
    with pytest.raises(LinregError, match="not an estimator"):
        cross_validate(object(), X, y)
    with pytest.raises(LinregError, match=r"PolynomialRegression\.fit takes no sample_weight"):
        cross_validate(PolynomialRegression(), X[:, 0], y, sample_weight=np.ones(10))


# -- learning and validation curves -----------------------------------------------------
def test_learning_curve_matches_sklearn() -> None:
    X, y = data(50)
    sizes = [0.2, 0.5, 1.0]
    folds = SkKFold(5, shuffle=True, random_state=0)
    n, train, test = sk_learning_curve(
        SkLinearRegression(), X, y, train_sizes=sizes, cv=folds, scoring="neg_mean_squared_error"
    )
    ours = learning_curve(LinearRegression(solver="exact"), X, y, train_sizes=sizes, cv=5)
    np.testing.assert_array_equal(ours.train_sizes, n)
    np.testing.assert_allclose(ours.test_scores, -test, rtol=1e-9)
    np.testing.assert_allclose(ours.train_scores, -train, rtol=1e-9, atol=1e-12)


def test_learning_curve_sizes() -> None:
    X, y = data(20)
    model = LinearRegression(solver="exact")
    curve = learning_curve(model, X, y, train_sizes=[8, 16, 16], cv=5)
    assert curve.train_sizes.tolist() == [8, 16]  # repeated sizes kept once
    assert curve.test_scores.shape == (2, 5)
    with pytest.raises(LinregError, match="whole numbers in \\[1, 16\\]"):
        learning_curve(model, X, y, train_sizes=[17], cv=5)
    with pytest.raises(LinregError, match="train_sizes must be positive"):
        learning_curve(model, X, y, train_sizes=[0.0, 0.5], cv=5)


def test_validation_curve_degree_matches_sklearn_pipeline() -> None:
    x, y = curve_data()
    degrees = [1, 3, 5, 9]
    folds = SkKFold(4, shuffle=True, random_state=2)
    train, test = sk_validation_curve(
        make_pipeline(PolynomialFeatures(include_bias=False), SkLinearRegression()),
        x,
        y,
        param_name="polynomialfeatures__degree",
        param_range=degrees,
        cv=folds,
        scoring="neg_mean_squared_error",
    )
    ours = validation_curve(PolynomialRegression(), x, y, "degree", degrees, cv=4, seed=2)
    np.testing.assert_allclose(ours.test_scores, -test, rtol=1e-7)
    np.testing.assert_allclose(ours.train_scores, -train, rtol=1e-7)
    assert ours.param_range[ours.best_index] in (3, 5)  # not the straight line, not degree 9


def test_validation_curve_alpha_matches_ridge() -> None:
    X, y = data(60)  # 5 folds of 12: every training part has 48 rows
    alphas = [0.0, 0.1, 1.0, 10.0]
    train, test = sk_validation_curve(
        Ridge(),
        X,
        y,
        param_name="alpha",
        param_range=[48 * a for a in alphas],  # linreg's alpha is the MSE's: Ridge's / n
        cv=SkKFold(5, shuffle=True, random_state=0),
        scoring="neg_mean_squared_error",
    )
    ours = validation_curve(LinearRegression(solver="exact"), X, y, "alpha", alphas)
    np.testing.assert_allclose(ours.test_scores, -test, rtol=1e-9)
    np.testing.assert_allclose(ours.train_scores, -train, rtol=1e-9)


def test_validation_curve_epochs_of_gradient_descent() -> None:
    X, y = data(40)
    model = LinearRegression(learning_rate=0.01)
    curve = validation_curve(model, X, y, "epochs", [1, 10, 100], cv=4)
    # More epochs from zero bring the training error down, epoch after epoch.
    assert np.all(np.diff(curve.train_scores.mean(axis=1)) < 0)


def test_validation_curve_bad_param() -> None:
    X, y = data(20)
    with pytest.raises(LinregError, match="'degree' is not a parameter of LinearRegression"):
        validation_curve(LinearRegression(), X, y, "degree", [1, 2])
    with pytest.raises(LinregError, match="param_range for 'alpha' is empty"):
        validation_curve(LinearRegression(), X, y, "alpha", [])


# -- choosing alpha ---------------------------------------------------------------------
def test_ridge_loo_is_the_refit_on_the_other_rows() -> None:
    X, y = data(15)
    alphas = np.array([0.0, 0.3])
    loo = ridge_loo(X, y, alphas)
    for k, alpha in enumerate(alphas):
        for i in (0, 7, 14):
            rest = np.delete(np.arange(15), i)
            fit = LinearRegression(solver="exact", alpha=float(alpha)).fit(X[rest], y[rest])
            assert loo[k, i] == pytest.approx(y[i] - fit.predict(X[i : i + 1])[0], rel=1e-9)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_cv_matches_ridgecv(fit_intercept: bool) -> None:
    X, y = data(40, d=4, seed=5)
    alphas = np.array([1e-3, 0.03, 0.1, 0.3, 1.0, 3.0])
    y = y + 3 * np.random.default_rng(9).normal(size=40)  # noisy: a penalty helps
    ours = LinearRegressionCV(
        alphas, estimator=LinearRegression(solver="exact", fit_intercept=fit_intercept)
    ).fit(X, y)
    theirs = RidgeCV(alphas=(40 - 1) * alphas, fit_intercept=fit_intercept).fit(X, y)
    assert ours.alpha_ == pytest.approx(theirs.alpha_ / 39)
    assert ours.best_score_ == pytest.approx(-theirs.best_score_, rel=1e-9)
    np.testing.assert_allclose(
        ours.coef_,
        Ridge(alpha=40 * ours.alpha_, fit_intercept=fit_intercept).fit(X, y).coef_,
        rtol=1e-8,
    )


def test_linear_regression_cv_with_folds_and_r2() -> None:
    X, y = data(40)
    alphas = [0.01, 0.1, 1.0]
    ours = LinearRegressionCV(alphas, cv=4, scoring="r2").fit(X, y)
    curve = validation_curve(
        LinearRegression(solver="exact"), X, y, "alpha", alphas, cv=4, scoring="r2"
    )
    np.testing.assert_allclose(ours.scores_, curve.test_scores.mean(axis=1))
    assert ours.alpha_ == alphas[int(np.argmax(ours.scores_))]
    assert ours.predict(X).shape == (40,)
    assert -1.0 < ours.score(X, y) <= 1.0


def test_linear_regression_cv_bad_input() -> None:
    X, y = data(20)
    with pytest.raises(LinregError, match="alphas is empty"):
        LinearRegressionCV([]).fit(X, y)
    with pytest.raises(LinregError, match="alpha must be a finite number >= 0"):
        LinearRegressionCV([-1.0]).fit(X, y)
    with pytest.raises(LinregError, match="with sample_weight give cv=5"):
        LinearRegressionCV().fit(X, y, sample_weight=np.ones(20))
    with pytest.raises(LinregError, match="not fitted"):
        LinearRegressionCV().predict(X)
    with pytest.raises(LinregError, match="cv=21 folds is more than the 20 rows"):
        LinearRegressionCV(cv=21).fit(X, y)


@settings(max_examples=15, deadline=None)
@given(alpha=st.floats(0.0, 5.0), seed=st.integers(0, 1000), intercept=st.booleans())
def test_leave_one_out_formula_is_n_refits(alpha: float, seed: int, intercept: bool) -> None:
    X, y = data(9, d=2, seed=seed)
    model = LinearRegression(solver="exact", alpha=alpha, fit_intercept=intercept)
    refits = cross_validate(model, X, y, cv=9)  # 9 folds of one row: leave-one-out
    chosen = LinearRegressionCV([alpha], estimator=model).fit(X, y)
    assert chosen.best_score_ == pytest.approx(refits.mean, rel=1e-8)


def test_linear_regression_cv_standardized_uses_folds() -> None:
    X, y = data(40)
    X[:, 0] *= 100.0
    alphas = [0.001, 0.1]
    base = LinearRegression(solver="exact", standardize=True)
    ours = LinearRegressionCV(alphas, estimator=base).fit(X, y)
    curve = validation_curve(base, X, y, "alpha", alphas, cv=5)
    np.testing.assert_allclose(ours.scores_, curve.test_scores.mean(axis=1))


def test_linear_regression_cv_lasso_matches_lassocv() -> None:
    from sklearn.linear_model import LassoCV

    X, y = data(50, d=5, seed=4)
    y = y + 2 * np.random.default_rng(3).normal(size=50)
    alphas = [0.3, 0.1, 0.03, 0.01]
    ours = LinearRegressionCV(alphas, l1_ratio=1.0).fit(X, y)  # cv=None: 5 folds for the lasso
    theirs = LassoCV(alphas=alphas, cv=SkKFold(5, shuffle=True, random_state=0), tol=1e-12)
    theirs.fit(X, y)
    order = np.argsort(theirs.alphas_)[::-1]  # LassoCV lists its alphas from the largest
    np.testing.assert_allclose(theirs.alphas_[order], alphas)
    np.testing.assert_allclose(ours.scores_, theirs.mse_path_[order].mean(axis=1), rtol=1e-6)
    assert ours.alpha_ == pytest.approx(theirs.alpha_)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
