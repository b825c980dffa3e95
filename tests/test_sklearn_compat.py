"""linreg's estimators in scikit-learn's tools, on scikit-learn 1.3 to the newest.

The oracle is scikit-learn's own ``LinearRegression``: the exact solver gives the
same least-squares fit, so every score of a tool (cross-validation, a grid search
over a pipeline, stacking) must equal the one scikit-learn's estimator gets, to
1e-8. ``check_estimator`` runs per documented configuration, each check a test.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import config_context  # noqa: E402
from sklearn.base import clone, is_regressor  # noqa: E402
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor  # noqa: E402
from sklearn.ensemble import StackingRegressor  # noqa: E402
from sklearn.exceptions import NotFittedError as SklearnNotFittedError  # noqa: E402
from sklearn.linear_model import LinearRegression as SkLinearRegression  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    KFold,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import PolynomialFeatures, StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from linreg import LinearRegression, NotFittedError, PolynomialRegression  # noqa: E402
from linreg.sklearn_compat import expected_failed_checks  # noqa: E402

SKLEARN = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
CV = KFold(5, shuffle=True, random_state=0)


def _data(n: int = 120, d: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.array([1.0, 10.0, 0.1, 3.0])[:d] + 5.0
    y = X @ np.arange(1.0, d + 1.0) + 2.0 + rng.normal(scale=0.5, size=n)
    return X, y


def _weights(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.2, 3.0, size=n)


# -- scikit-learn stays optional -------------------------------------------------------------
def test_import_linreg_does_not_import_sklearn() -> None:
    code = "import sys, linreg; linreg.LinearRegression(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_linreg_works_without_sklearn() -> None:
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import numpy as np, linreg\n"
        "X = np.arange(20.0).reshape(10, 2); X[:, 1] = X[:, 1] ** 2; y = X @ [1.0, 2.0] + 3\n"
        "m = linreg.LinearRegression(solver='exact').fit(X, y)\n"
        "print(repr(m), round(m.score(X, y), 6), m.set_fit_request(sample_weight=True) is m)\n"
        "try:\n"
        "    linreg.LinearRegression().predict(X)\n"
        "except linreg.NotFittedError as e:\n"
        "    print(type(e).__mro__[1].__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["LinearRegression(solver='exact')", "1.0", "True", "LinregError"]


# -- the protocol ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "estimator", [LinearRegression(), LinearRegression(solver="exact"), PolynomialRegression(3)]
)
def test_is_a_regressor_and_clones(estimator: Any) -> None:
    assert is_regressor(estimator)
    copy = clone(estimator)
    assert copy is not estimator
    assert copy.get_params() == estimator.get_params()


def test_clone_keeps_the_metadata_request_not_the_fit() -> None:
    X, y = _data()
    model = LinearRegression(solver="exact").set_fit_request(sample_weight=True).fit(X, y)
    copy = clone(model)
    assert not hasattr(copy, "coef_")
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(copy)
    routing = copy.get_metadata_routing()
    assert routing.fit.requests == {"sample_weight": True}
    check_is_fitted(model)


def test_not_fitted_error_is_both_linregs_and_sklearns() -> None:
    X, _ = _data()
    with pytest.raises(NotFittedError) as info:
        LinearRegression().predict(X)
    assert isinstance(info.value, SklearnNotFittedError)
    with pytest.raises(SklearnNotFittedError, match="not fitted yet"):
        PolynomialRegression().predict(X[:, 0])


def test_a_request_is_checked() -> None:
    with pytest.raises(TypeError, match="request must be True, False, None or a name"):
        LinearRegression().set_fit_request(sample_weight=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"PolynomialRegression\.fit takes no sample_weight"):
        PolynomialRegression().set_fit_request(sample_weight=True)


def test_weighted_score_is_sklearns_r2() -> None:
    from sklearn.metrics import r2_score

    X, y = _data()
    w = _weights(len(y))
    model = LinearRegression(solver="exact").fit(X[:80], y[:80])
    expected = r2_score(y[80:], model.predict(X[80:]), sample_weight=w[80:])
    assert model.score(X[80:], y[80:], sample_weight=w[80:]) == pytest.approx(expected, rel=1e-12)


# -- model selection, pipelines, ensembles: equal to scikit-learn's LinearRegression -------
def test_cross_val_score_equals_sklearns() -> None:
    X, y = _data()
    ours = cross_val_score(LinearRegression(solver="exact"), X, y, cv=CV)
    theirs = cross_val_score(SkLinearRegression(), X, y, cv=CV)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-8)


def test_cross_val_score_of_the_default_gd_is_finite() -> None:
    X, y = _data()
    scores = cross_val_score(
        LinearRegression(learning_rate="auto", standardize=True, epochs=300), X, y, cv=CV
    )
    assert np.all(np.isfinite(scores))
    assert scores.min() > 0.99


def test_pipeline_with_a_scaler() -> None:
    X, y = _data()
    ours = make_pipeline(StandardScaler(), LinearRegression(learning_rate="auto", epochs=500))
    theirs = make_pipeline(StandardScaler(), SkLinearRegression())
    ours.fit(X, y)
    theirs.fit(X, y)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6)


def test_grid_search_over_a_pipeline_equals_sklearns() -> None:
    X, y = _data(d=2)
    grid = {"polynomialfeatures__degree": [1, 2, 3], "regressor__fit_intercept": [True, False]}

    def search(regressor: Any) -> GridSearchCV:
        pipe = make_pipeline(StandardScaler(), PolynomialFeatures(include_bias=False))
        pipe.steps.append(("regressor", regressor))
        return GridSearchCV(pipe, grid, cv=CV).fit(X, y)

    ours = search(LinearRegression(solver="exact"))
    theirs = search(SkLinearRegression())
    scores = ours.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    np.testing.assert_allclose(scores, theirs.cv_results_["mean_test_score"], rtol=0, atol=1e-8)
    assert ours.best_params_ == theirs.best_params_


def test_grid_search_over_learning_rates() -> None:
    X, y = _data()
    search = GridSearchCV(
        LinearRegression(standardize=True, epochs=200),
        {"learning_rate": [0.001, "auto"]},
        cv=CV,
    )
    with warnings.catch_warnings():
        # 0.001 for 200 epochs stops far from the optimum, and says so.
        warnings.filterwarnings("ignore", ".*stopped after its 200 epochs")
        search.fit(X, y)
    assert search.best_params_ == {"learning_rate": "auto"}
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_column_transformer() -> None:
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    columns = ColumnTransformer([("scaled", StandardScaler(), ["a", "b"])], remainder="passthrough")
    ours = make_pipeline(columns, LinearRegression(solver="exact")).fit(frame, y)
    theirs = make_pipeline(clone(columns), SkLinearRegression()).fit(frame, y)
    np.testing.assert_allclose(ours.predict(frame), theirs.predict(frame), rtol=1e-10)


def test_transformed_target_regressor() -> None:
    X, y = _data()
    y = np.exp(y / 20.0)
    log: dict[str, Any] = {"func": np.log, "inverse_func": np.exp}
    ours = TransformedTargetRegressor(LinearRegression(solver="exact"), **log).fit(X, y)
    theirs = TransformedTargetRegressor(SkLinearRegression(), **log).fit(X, y)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)


def test_stacking_regressor() -> None:
    X, y = _data()
    base = [
        ("exact", LinearRegression(solver="exact")),
        ("ridge", LinearRegression(solver="exact", alpha=10.0)),
    ]
    stack = StackingRegressor(base, final_estimator=LinearRegression(solver="exact"), cv=3)
    reference = StackingRegressor(
        [("exact", SkLinearRegression()), ("ridge", LinearRegression(solver="exact", alpha=10.0))],
        final_estimator=SkLinearRegression(),
        cv=3,
    )
    stack.fit(X, y)
    reference.fit(X, y)
    assert stack.score(X, y) > 0.99
    np.testing.assert_allclose(stack.predict(X), reference.predict(X), rtol=1e-8)


def test_polynomial_regression_in_model_selection() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, size=(80, 1))
    y = 1.0 - x[:, 0] + 0.5 * x[:, 0] ** 3 + rng.normal(scale=0.1, size=80)
    search = GridSearchCV(PolynomialRegression(), {"degree": [1, 2, 3, 4]}, cv=CV).fit(x, y)
    assert search.best_params_["degree"] in (3, 4)
    ours = cross_val_score(PolynomialRegression(3), x, y, cv=CV)
    theirs = cross_val_score(
        make_pipeline(PolynomialFeatures(3, include_bias=False), SkLinearRegression()), x, y, cv=CV
    )
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-8)


# -- sample_weight through the tools ---------------------------------------------------------
def _weighted_cv(estimator: Any, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> Any:
    if SKLEARN >= (1, 4):
        return cross_validate(estimator, X, y, cv=CV, params={"sample_weight": w})
    return cross_validate(estimator, X, y, cv=CV, fit_params={"sample_weight": w})


def test_sample_weight_through_cross_validate() -> None:
    X, y = _data()
    w = _weights(len(y))
    ours = _weighted_cv(LinearRegression(solver="exact"), X, y, w)["test_score"]
    theirs = _weighted_cv(SkLinearRegression(), X, y, w)["test_score"]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-8)
    unweighted = cross_validate(LinearRegression(solver="exact"), X, y, cv=CV)["test_score"]
    assert not np.allclose(ours, unweighted, rtol=0, atol=1e-8)


def test_sample_weight_through_a_pipeline() -> None:
    X, y = _data()
    w = _weights(len(y))
    ours = make_pipeline(StandardScaler(), LinearRegression(solver="exact"))
    theirs = make_pipeline(StandardScaler(), SkLinearRegression())
    ours.fit(X, y, linearregression__sample_weight=w)
    theirs.fit(X, y, linearregression__sample_weight=w)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)


needs_routing = pytest.mark.skipif(
    SKLEARN < (1, 4), reason="Pipeline and cross_validate route metadata from 1.4"
)


@needs_routing
def test_sample_weight_routed_through_a_pipeline() -> None:
    X, y = _data()
    w = _weights(len(y))
    with config_context(enable_metadata_routing=True):

        def pipe(regressor: Any) -> Any:
            scaler = StandardScaler().set_fit_request(sample_weight=False)
            return make_pipeline(scaler, regressor.set_fit_request(sample_weight=True))

        ours = pipe(LinearRegression(solver="exact")).fit(X, y, sample_weight=w)
        theirs = pipe(SkLinearRegression()).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)
        # Not requested: scikit-learn refuses the weights rather than drop them.
        with pytest.raises(ValueError, match="sample_weight"):
            make_pipeline(StandardScaler(), LinearRegression(solver="exact")).fit(
                X, y, sample_weight=w
            )


@needs_routing
def test_sample_weight_routed_through_cross_validate() -> None:
    X, y = _data()
    w = _weights(len(y))
    with config_context(enable_metadata_routing=True):

        def scores(regressor: Any) -> Any:
            regressor.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
            return cross_validate(regressor, X, y, cv=CV, params={"sample_weight": w})

        ours, theirs = scores(LinearRegression(solver="exact")), scores(SkLinearRegression())
    np.testing.assert_allclose(ours["test_score"], theirs["test_score"], rtol=0, atol=1e-8)


# -- check_estimator, one test per check and configuration -----------------------------------
#: The documented configurations. The gradient solvers train on standardized
#: features at the rate from the Hessian, which converges on the checks' data in a
#: few dozen epochs.
CONFIGURATIONS = [
    LinearRegression(solver="exact"),
    LinearRegression(solver="gd", learning_rate="auto", standardize=True, epochs=200),
    LinearRegression(solver="sgd", learning_rate="auto", standardize=True, epochs=50),
]


def _checks() -> Callable[[Callable[..., None]], Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "does not inherit from BaseEstimator": by design
        if SKLEARN >= (1, 6):
            return parametrize_with_checks(  # type: ignore[no-any-return]
                CONFIGURATIONS, expected_failed_checks=expected_failed_checks
            )
        return parametrize_with_checks(CONFIGURATIONS)  # type: ignore[no-any-return]


@pytest.fixture(autouse=False)
def quiet_checks() -> Iterator[None]:
    # The checks fit odd data on purpose (constant columns, integers, a 1-feature X
    # against 3 parameters...); linreg's warnings about them are not failures.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@_checks()
def test_check_estimator(estimator: Any, check: Callable[[Any], None], quiet_checks: None) -> None:
    check(estimator)


def test_the_expected_failures_are_few_and_explained() -> None:
    for estimator in [*CONFIGURATIONS, PolynomialRegression()]:
        failures = expected_failed_checks(estimator)
        assert len(failures) <= 3
        assert all(reason and "\n" not in reason for reason in failures.values())
