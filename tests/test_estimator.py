"""LinearRegression: the solution it reaches, its conventions, and its input checks.

Oracles: numpy.linalg.lstsq on [X 1] and scikit-learn (used only here, in tests).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.metrics import r2_score

from linreg import (
    ConvergenceWarning,
    Dataset,
    DataWarning,
    DivergenceError,
    LinearRegression,
    LinregError,
    NotFittedError,
    StabilityWarning,
    make_regression,
    train_test_split,
)
from linreg.optimality import UNDERFLOW_BOUND
from strategies import (
    FAST,
    Problem,
    design,
    hessian_eigenvalues,
    ols,
    regression_problems,
    standardized,
)


def descendable(y: np.ndarray) -> None:
    """Leave out targets whose squares underflow: gradient descent refuses them
    (tests/test_extreme_values.py)."""
    assume(not 0.0 < np.abs(y).max() < UNDERFLOW_BOUND)


def converged_gd(
    X: np.ndarray, y: np.ndarray, *, standardize: bool = True, fit_intercept: bool = True
) -> LinearRegression:
    """GD run long enough to be at the least-squares solution up to round-off.

    The step is 2 / (lambda_min + lambda_max) of the Hessian GD sees, which shrinks
    the error by rho = (kappa - 1) / (kappa + 1) per epoch; we run until rho^k < 1e-15.
    """
    Z = standardized(X, fit_intercept) if standardize else X
    eig = hessian_eigenvalues(Z, fit_intercept)
    lr = 2.0 / (eig[0] + eig[-1])
    rho = (eig[-1] - eig[0]) / (eig[-1] + eig[0])
    epochs = 20 + (int(np.log(1e-15) / np.log(rho)) if rho > 1e-3 else 0)
    assert epochs < 5000, "ill-conditioned test data: this helper is for benign problems"
    model = LinearRegression(
        learning_rate=lr, epochs=epochs, standardize=standardize, fit_intercept=fit_intercept
    )
    return model.fit(X, y)


def mse(X: np.ndarray, y: np.ndarray, coef: np.ndarray, intercept: float) -> float:
    return float(np.mean((X @ coef + intercept - y) ** 2))


def assert_at_least_squares(model: LinearRegression, X: np.ndarray, y: np.ndarray) -> None:
    """Same loss as the lstsq solution (to round-off) and the same parameters."""
    coef, intercept = ols(X, y, model.fit_intercept)
    best = mse(X, y, coef, intercept)
    assert mse(X, y, model.coef_, model.intercept_) <= best * (1 + 1e-10) + 1e-20
    scale = 1.0 + np.abs(coef).max() + abs(intercept)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-7, atol=1e-9 * scale)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-7, abs=1e-9 * scale)


def ols_standard_errors(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Standard errors of (coef, intercept) of the OLS fit: sqrt(diag(s^2 (A^T A)^-1))."""
    A = design(X)
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    s2 = np.sum((A @ theta - y) ** 2) / (A.shape[0] - A.shape[1])
    return np.sqrt(np.diag(s2 * np.linalg.inv(A.T @ A)))


def offset_data(rng: np.random.Generator, n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Features on very different scales and far from 0: GD needs standardizing."""
    X = rng.normal(loc=[100.0, -5.0, 0.0], scale=[20.0, 0.05, 1.0], size=(n, 3))
    y = X @ [0.05, 40.0, -1.0] + 7.0 + 0.5 * rng.normal(size=n)
    return X, y


def centred_data(rng: np.random.Generator, n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Centred features of similar scale: raw GD converges quickly."""
    X = rng.normal(scale=[1.0, 0.7, 1.3], size=(n, 3))
    y = X @ [2.0, -1.0, 0.5] + 3.0 + 0.5 * rng.normal(size=n)
    return X, y


# -- reaching the closed form -------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_data", "standardize", "fit_intercept"),
    [
        (centred_data, False, True),
        (centred_data, False, False),
        (centred_data, True, True),
        (centred_data, True, False),
        (offset_data, True, True),
    ],
    ids=["raw", "raw-no-intercept", "standardized", "standardized-no-intercept", "offset"],
)
def test_gd_reaches_the_least_squares_solution(
    rng: np.random.Generator, make_data: Any, standardize: bool, fit_intercept: bool
) -> None:
    X, y = make_data(rng)
    model = converged_gd(X, y, standardize=standardize, fit_intercept=fit_intercept)
    assert_at_least_squares(model, X, y)
    if not fit_intercept:
        assert model.intercept_ == 0.0
        assert np.all(model.history_.b == 0.0)


@FAST
@given(problem=regression_problems())
def test_standardized_gd_reaches_least_squares_property(problem: Problem) -> None:
    # Offsets up to 20 and spreads down to 0.1: only the standardized problem is benign.
    descendable(problem.y)
    model = converged_gd(problem.X, problem.y, standardize=True)
    assert_at_least_squares(model, problem.X, problem.y)


@FAST
@given(problem=regression_problems(centered=True), fit_intercept=st.booleans())
def test_raw_gd_reaches_least_squares_property(problem: Problem, fit_intercept: bool) -> None:
    descendable(problem.y)
    model = converged_gd(problem.X, problem.y, standardize=False, fit_intercept=fit_intercept)
    assert_at_least_squares(model, problem.X, problem.y)


@pytest.mark.parametrize(("momentum", "learning_rate"), [(0.0, 0.01), (0.9, 0.001)])
def test_sgd_gets_close_to_the_least_squares_solution(
    rng: np.random.Generator, momentum: float, learning_rate: float
) -> None:
    X, y = centred_data(rng, n=200)
    model = LinearRegression(
        solver="sgd", learning_rate=learning_rate, momentum=momentum, batch_size=20, epochs=100
    ).fit(X, y)
    coef, intercept = ols(X, y)
    np.testing.assert_allclose(model.coef_, coef, atol=0.03)
    assert model.intercept_ == pytest.approx(intercept, abs=0.03)
    assert mse(X, y, model.coef_, model.intercept_) < 1.01 * mse(X, y, coef, intercept)


# -- recovering the reference projects' parameters ----------------------------------------


@pytest.mark.parametrize(
    ("data", "true_w", "true_b"),
    [
        pytest.param(make_regression(), 3.0, 2.0, id="y=3x+2"),
        pytest.param(make_regression(n_samples=1000, weights=[2], bias=1), 2.0, 1.0, id="y=2x+1"),
    ],
)
def test_recovers_the_reference_parameters(data: Dataset, true_w: float, true_b: float) -> None:
    model = LinearRegression(learning_rate=0.005, epochs=10_000).fit(data.X, data.y)
    (w,), b = model.coef_, model.intercept_
    se_w, se_b = ols_standard_errors(data.X, data.y)
    assert abs(w - true_w) < 4 * se_w
    assert abs(b - true_b) < 4 * se_b
    (w_ols,), b_ols = ols(data.X, data.y)
    assert abs(w - w_ols) < 5e-4
    assert abs(b - b_ols) < 5e-4


# -- scikit-learn as oracle -----------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_converged_gd_agrees_with_scikit_learn(rng: np.random.Generator, fit_intercept: bool):
    X, y = offset_data(rng) if fit_intercept else centred_data(rng)
    ours = converged_gd(X, y, fit_intercept=fit_intercept)
    theirs = SkLinearRegression(fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-7)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-7, abs=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_exact_solver_agrees_with_scikit_learn(rng: np.random.Generator, fit_intercept: bool):
    X, y = offset_data(rng)
    ours = LinearRegression(solver="exact", fit_intercept=fit_intercept).fit(X, y)
    theirs = SkLinearRegression(fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-9, abs=1e-12)
    assert ours.stop_reason_ == "closed_form"
    assert ours.history_.loss.shape == (1,)


def test_exact_solver_records_a_one_entry_history(default_data: Dataset) -> None:
    train_part, val = train_test_split(default_data, test_size=0.25, seed=1)
    model = LinearRegression(solver="exact").fit(train_part.X, train_part.y, val.X, val.y)
    coef, intercept = ols(train_part.X, train_part.y)
    h = model.history_
    np.testing.assert_allclose(h.W, [coef], rtol=1e-12)
    assert h.b == pytest.approx([intercept], rel=1e-12)
    assert h.loss == pytest.approx([mse(train_part.X, train_part.y, coef, intercept)], rel=1e-12)
    assert h.val_loss == pytest.approx([mse(val.X, val.y, coef, intercept)], rel=1e-12)


# -- invariances (Hypothesis) ---------------------------------------------------------------

shifts = st.floats(min_value=-100.0, max_value=100.0, allow_subnormal=False)
factors = st.floats(min_value=-10.0, max_value=10.0).filter(lambda s: abs(s) > 0.1)


@FAST
@given(problem=regression_problems(), c=shifts)
def test_shifting_y_shifts_only_the_intercept(problem: Problem, c: float) -> None:
    descendable(problem.y)
    base = converged_gd(problem.X, problem.y)
    shifted = converged_gd(problem.X, problem.y + c)
    scale = 1.0 + np.abs(base.coef_).max() + abs(base.intercept_) + abs(c)
    assert shifted.intercept_ == pytest.approx(base.intercept_ + c, abs=1e-8 * scale)
    np.testing.assert_allclose(shifted.coef_, base.coef_, rtol=1e-7, atol=1e-9 * scale)


@FAST
@given(problem=regression_problems(), s=factors)
def test_scaling_y_scales_all_parameters(problem: Problem, s: float) -> None:
    descendable(problem.y)
    base = converged_gd(problem.X, problem.y)
    scaled = converged_gd(problem.X, s * problem.y)
    scale = abs(s) * (1.0 + np.abs(base.coef_).max() + abs(base.intercept_))
    np.testing.assert_allclose(scaled.coef_, s * base.coef_, rtol=1e-7, atol=1e-9 * scale)
    assert scaled.intercept_ == pytest.approx(s * base.intercept_, rel=1e-7, abs=1e-9 * scale)


@FAST
@given(problem=regression_problems(), c=shifts, s=factors)
def test_exact_solver_shift_and_scale(problem: Problem, c: float, s: float) -> None:
    X, y = problem.X, problem.y

    def fit(target: np.ndarray) -> LinearRegression:
        return LinearRegression(solver="exact").fit(X, target)

    base, shifted, scaled = fit(y), fit(y + c), fit(s * y)
    scale = 1.0 + np.abs(base.coef_).max() + abs(base.intercept_)
    assert shifted.intercept_ == pytest.approx(base.intercept_ + c, abs=1e-9 * (scale + abs(c)))
    np.testing.assert_allclose(shifted.coef_, base.coef_, atol=1e-9 * (scale + abs(c)))
    np.testing.assert_allclose(scaled.coef_, s * base.coef_, atol=1e-9 * abs(s) * scale)
    assert scaled.intercept_ == pytest.approx(s * base.intercept_, abs=1e-9 * abs(s) * scale)


# -- scikit-learn's conventions -------------------------------------------------------------

DEFAULTS = {
    "solver": "gd",
    "learning_rate": 0.01,
    "epochs": 1000,
    "batch_size": 32,
    "momentum": 0.0,
    "tol": None,
    "standardize": False,
    "fit_intercept": True,
    "init": "zeros",
    "seed": 0,
    "engine": "auto",
    "alpha": 0.0,
    "l1_ratio": 0.0,
    "acceleration": "none",
    "early_stopping": False,
    "n_iter_no_change": 10,
    "lr_schedule": "constant",
    "power_t": 0.25,
    "decay_every": 100,
    "decay_factor": 0.5,
}


def test_get_params_lists_every_hyperparameter() -> None:
    assert LinearRegression().get_params() == DEFAULTS
    assert LinearRegression(epochs=5, solver="sgd").get_params()["epochs"] == 5


def test_set_params_returns_self_and_changes_them() -> None:
    model = LinearRegression()
    assert model.set_params(learning_rate=0.2, momentum=0.5) is model
    assert model.get_params() == {**DEFAULTS, "learning_rate": 0.2, "momentum": 0.5}
    with pytest.raises(ValueError, match="unknown parameter 'lr'"):
        model.set_params(lr=0.1)


def test_clone_gives_an_unfitted_copy_with_the_same_params(default_data: Dataset) -> None:
    model = LinearRegression(learning_rate=0.005, epochs=5).fit(default_data.X, default_data.y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        copy.predict(default_data.X)


def test_repr_shows_the_changed_params() -> None:
    assert repr(LinearRegression()) == "LinearRegression()"
    assert repr(LinearRegression(epochs=50, solver="sgd")) == (
        "LinearRegression(solver='sgd', epochs=50)"
    )


def test_fit_returns_self(default_data: Dataset) -> None:
    model = LinearRegression(epochs=3, learning_rate=0.005)
    assert model.fit(default_data.X, default_data.y) is model


@pytest.mark.parametrize("method", ["predict", "score"])
def test_using_an_unfitted_model_raises(default_data: Dataset, method: str) -> None:
    args = (default_data.X,) if method == "predict" else (default_data.X, default_data.y)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(LinearRegression(), method)(*args)


@pytest.mark.parametrize(
    "params",
    [
        {"learning_rate": 0.005},
        {"learning_rate": 0.1, "standardize": True},
        {"learning_rate": 0.005, "fit_intercept": False},
        {"solver": "sgd", "learning_rate": 0.001, "momentum": 0.5},
        {"solver": "exact"},
    ],
    ids=["gd", "standardize", "no-intercept", "sgd", "exact"],
)
def test_inputs_are_not_mutated(default_data: Dataset, params: dict[str, Any]) -> None:
    X, y = default_data.X, default_data.y
    X_val, y_val = X[:20] + 1.0, y[:20] - 1.0
    copies = [a.copy() for a in (X, y, X_val, y_val)]
    model = LinearRegression(epochs=20, **params).fit(X, y, X_val, y_val)
    model.predict(X_val)
    model.score(X_val, y_val)
    for original, copy in zip((X, y, X_val, y_val), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


def test_lists_give_the_same_fit_as_arrays(rng: np.random.Generator) -> None:
    X, y = centred_data(rng, n=30)
    from_arrays = LinearRegression(epochs=50).fit(X, y)
    from_lists = LinearRegression(epochs=50).fit(X.tolist(), y.tolist())
    np.testing.assert_array_equal(from_lists.coef_, from_arrays.coef_)
    assert from_lists.intercept_ == from_arrays.intercept_
    np.testing.assert_array_equal(from_lists.predict(X[:3].tolist()), from_arrays.predict(X[:3]))


def test_a_flat_list_is_one_feature() -> None:
    model = LinearRegression(epochs=10, learning_rate=0.01).fit([0.0, 1.0, 2.0, 3.0], [1, 3, 5, 7])
    assert model.n_features_in_ == 1
    assert model.predict([4.0]).shape == (1,)


def test_dataframes_keep_feature_names(rng: np.random.Generator) -> None:
    X, y = centred_data(rng, n=30)
    frame = pd.DataFrame(X, columns=["height", "age", "income"])
    model = LinearRegression(epochs=50).fit(frame, pd.Series(y))
    assert list(model.feature_names_in_) == ["height", "age", "income"]
    np.testing.assert_allclose(model.predict(frame), model.predict(X), rtol=1e-14)
    renamed = frame.rename(columns={"age": "years"})
    with pytest.raises(LinregError, match=r"fitted on \['height', 'age', 'income'\]"):
        model.predict(renamed)
    with pytest.raises(LinregError, match="columns"):
        model.predict(frame[["age", "height", "income"]])
    # Refitting on a plain array forgets the names.
    model.fit(X, y)
    assert not hasattr(model, "feature_names_in_")


def test_predict_checks_the_number_of_features(default_data: Dataset) -> None:
    model = LinearRegression(epochs=5, learning_rate=0.005).fit(default_data.X, default_data.y)
    with pytest.raises(LinregError, match=r"X has 2 features, but LinearRegression is expecting 1"):
        model.predict(np.ones((4, 2)))


def test_score_is_r2(default_data: Dataset) -> None:
    train_part, test_part = train_test_split(default_data, test_size=0.3, seed=2)
    model = LinearRegression(learning_rate=0.005, epochs=500).fit(train_part.X, train_part.y)
    expected = r2_score(test_part.y, model.predict(test_part.X))
    assert model.score(test_part.X, test_part.y) == pytest.approx(expected, rel=1e-12)
    assert model.score(test_part.X, test_part.y) > 0.9


# -- bad input ------------------------------------------------------------------------------


def _with(array: np.ndarray, index: tuple[int, ...], value: float) -> np.ndarray:
    out = array.copy()
    out[index] = value
    return out


X0 = np.arange(20.0).reshape(10, 2) % 7
Y0 = np.arange(10.0)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (_with(X0, (3, 1), np.nan), Y0, "X contains NaN at row 3, column 1"),
        (_with(X0, (0, 0), np.inf), Y0, "X contains an infinite value at row 0, column 0"),
        (_with(X0, (9, 1), -np.inf), Y0, "infinite value at row 9, column 1"),
        (X0, _with(Y0, (5,), np.nan), "y contains NaN at row 5"),
        (X0, _with(Y0, (2,), np.inf), "y contains an infinite value at row 2"),
        (X0[:1], Y0[:1], "only one row"),
        (X0[:2], Y0[:2], "2 rows but 3 parameters"),
        (X0, Y0[:9], "X has 10 rows but y has 9"),
        (X0[:9], Y0, "X has 9 rows but y has 10"),
        (X0[:, :0], Y0, "no columns"),
        (X0.reshape(10, 2, 1), Y0, "2-D"),
        (X0, np.ones((10, 2)), "y must be 1-D"),
    ],
    ids=[
        "nan-X",
        "inf-X",
        "neg-inf-X",
        "nan-y",
        "inf-y",
        "one-row",
        "fewer-rows-than-params",
        "y-too-short",
        "y-too-long",
        "no-columns",
        "3-d",
        "2-d-y",
    ],
)
def test_bad_data_is_rejected(X: np.ndarray, y: np.ndarray, match: str) -> None:
    with pytest.raises(LinregError, match=match):
        LinearRegression(epochs=5).fit(X, y)


@pytest.mark.parametrize(
    ("solver", "engine"), [("exact", "auto"), ("gd", "fast"), ("sgd", "fast"), ("gd", "reference")]
)
@pytest.mark.parametrize(
    ("cell", "value", "match"),
    [
        ((70_001, 2), np.nan, "X contains NaN at row 70001, column 2"),
        ((5, 0), -np.inf, "X contains an infinite value at row 5, column 0"),
        ((99_999,), np.nan, "y contains NaN at row 99999"),
    ],
)
def test_bad_cells_in_large_data_are_named_and_the_old_fit_kept(
    solver: str, engine: str, cell: tuple[int, ...], value: float, match: str
) -> None:
    """The exact solver and the fast engine leave finiteness to their first pass over
    the data; the error still names the cell, and a refused fit changes nothing."""
    rng = np.random.default_rng(12)
    X = rng.standard_normal((100_000, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0 + 0.1 * rng.standard_normal(100_000)
    model = LinearRegression(solver=solver, engine=engine, epochs=3, learning_rate=0.05)
    model.fit(X[:50], y[:50])
    before = (model.coef_.copy(), model.intercept_, model.n_features_in_)
    bad_X, bad_y = (_with(X, cell, value), y) if len(cell) == 2 else (X, _with(y, cell, value))
    with pytest.raises(LinregError, match=match):
        model.fit(bad_X, bad_y)
    np.testing.assert_array_equal(model.coef_, before[0])
    assert (model.intercept_, model.n_features_in_) == before[1:]
    assert model._X_fit.shape == (50, 3)


@pytest.mark.parametrize(
    ("solver", "engine"), [("gd", "fast"), ("sgd", "fast"), ("gd", "reference")]
)
def test_huge_finite_data_are_not_mistaken_for_infinities(solver: str, engine: str) -> None:
    """Squares of 1e200 overflow in the first pass's sums, though the data are finite:
    the exact solver fits them, gradient descent says why it cannot (it raised
    numpy's LinAlgError from the Hessian's eigenvalues before)."""
    rng = np.random.default_rng(13)
    X = rng.standard_normal((50_000, 2)) * 1e200
    y = X @ [1.0, 2.0] + 1e200 * rng.standard_normal(50_000)
    exact = LinearRegression(solver="exact").fit(X, y)
    np.testing.assert_allclose(exact.coef_, [1.0, 2.0], rtol=1e-2)
    model = LinearRegression(solver=solver, engine=engine, epochs=2, learning_rate=1e-3)
    with pytest.raises(LinregError, match=r"squares overflow .* use solver='exact'"):
        model.fit(X, y)


def test_nan_in_a_dataframe_names_the_column() -> None:
    frame = pd.DataFrame(_with(X0, (4, 1), np.nan), columns=["a", "b"])
    with pytest.raises(LinregError, match="NaN at row 4, b"):
        LinearRegression(epochs=5).fit(frame, Y0)


def test_without_intercept_one_parameter_fewer_is_needed() -> None:
    X, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1.0, 2.0])
    with pytest.raises(LinregError, match="2 rows but 3 parameters"):
        LinearRegression(epochs=5).fit(X, y)
    model = LinearRegression(epochs=5, fit_intercept=False).fit(X, y)
    assert model.coef_.shape == (2,)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"learning_rate": 0.0}, "learning rate must be a positive number"),
        ({"learning_rate": -0.01}, "learning rate must be a positive number"),
        ({"learning_rate": np.inf}, "learning rate must be a positive number"),
        ({"learning_rate": np.nan}, "learning rate must be a positive number"),
        ({"learning_rate": "0.1"}, "learning rate must be a positive number"),
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": -10}, "epochs must be a positive integer"),
        ({"epochs": 2.5}, "epochs must be a positive integer"),
        ({"epochs": True}, "epochs must be a positive integer"),
        ({"epochs": "100"}, "epochs must be a positive integer"),
        ({"solver": "newton"}, "solver must be one of gd, sgd, exact; got 'newton'"),
        ({"momentum": -0.1}, r"momentum must be in \[0, 1\)"),
        ({"momentum": 1.0}, r"momentum must be in \[0, 1\)"),
        ({"momentum": 1.5}, r"momentum must be in \[0, 1\)"),
        ({"momentum": np.nan}, r"momentum must be in \[0, 1\)"),
        ({"batch_size": 0}, "batch size must be a positive integer"),
        ({"tol": 0.0}, "tol must be a positive number"),
        ({"init": "ones"}, "init must be 'zeros' or 'random'"),
        ({"standardize": "yes"}, "standardize must be True or False"),
        ({"fit_intercept": 1}, "fit_intercept must be True or False"),
    ],
)
def test_bad_hyperparameters_are_rejected(
    default_data: Dataset, params: dict[str, Any], match: str
) -> None:
    with pytest.raises(LinregError, match=match):
        LinearRegression(**params).fit(default_data.X, default_data.y)


def test_validation_data_must_come_in_pairs(default_data: Dataset) -> None:
    model = LinearRegression(epochs=5, learning_rate=0.005)
    with pytest.raises(LinregError, match="give both X_val and y_val"):
        model.fit(default_data.X, default_data.y, X_val=default_data.X)
    with pytest.raises(LinregError, match=r"X has 3 features, but LinearRegression is expecting 1"):
        model.fit(default_data.X, default_data.y, np.ones((5, 3)), np.ones(5))


@pytest.mark.parametrize(("column", "label"), [(0, "column 0"), (2, "column 2")])
def test_a_constant_feature_warns(rng: np.random.Generator, column: int, label: str) -> None:
    X = rng.normal(size=(20, 3))
    X[:, column] = 4.0
    y = rng.normal(size=20)
    with pytest.warns(DataWarning, match=f"{label} are constant"):
        LinearRegression(epochs=5).fit(X, y)


def fit_allowing_divergence(model: LinearRegression, X: np.ndarray, y: np.ndarray) -> None:
    with contextlib.suppress(DivergenceError):
        model.fit(X, y)  # the line the warnings must name


@pytest.mark.parametrize(
    ("params", "category"),
    [
        ({"solver": "gd", "learning_rate": 3.0, "epochs": 1}, StabilityWarning),
        ({"solver": "sgd", "learning_rate": 3.0, "epochs": 1}, StabilityWarning),
        ({"solver": "gd", "learning_rate": 1e-3, "epochs": 2, "tol": 1e-12}, ConvergenceWarning),
    ],
)
@pytest.mark.parametrize("n", [50, 50_000])
def test_warnings_point_at_the_callers_line(params: dict, category: type, n: int) -> None:
    """A warning names the line that called fit, not a line inside linreg."""
    rng = np.random.default_rng(21)
    X = rng.standard_normal((n, 2))
    y = X @ [1.0, 2.0] + rng.standard_normal(n)
    model = LinearRegression(**params)
    with pytest.warns(category) as record:
        fit_allowing_divergence(model, X, y)
    assert {w.filename for w in record if issubclass(w.category, category)} == {__file__}


# -- fits over passes (files, Dask): the estimator stores their result itself ------------------
def _source_modules() -> list[Any]:
    import ast
    from pathlib import Path

    import linreg

    root = Path(linreg.__file__).parent
    paths = [*sorted((root / "sources").glob("*.py")), root / "out_of_memory.py"]
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in paths]


def test_out_of_core_code_neither_imports_the_estimator_nor_sets_its_state() -> None:
    import ast

    for path, tree in _source_modules():
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and getattr(block.test, "id", None) == "TYPE_CHECKING"
            for statement in block.body
            for node in ast.walk(statement)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "linreg.estimator":
                # Only for annotations, and never under sources/.
                assert id(node) in typing_only, path
                assert path.parent.name != "sources", path
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                private = node.attr.startswith("_") and not node.attr.startswith("__")
                assert not (node.value.id in ("estimator", "model") and private), (path, node.attr)
                if isinstance(node.ctx, ast.Store):
                    assert node.value.id == "self", (path, node.value.id, node.attr)


def test_a_fit_over_passes_replaces_the_in_memory_state() -> None:
    from linreg.out_of_memory import fit_source
    from linreg.sources.batches import ArraySource

    X = make_regression(n_samples=300, n_features=2, seed=5).X
    y = X @ np.array([2.0, -1.0]) + 0.5 + np.random.default_rng(1).normal(size=300)
    model = LinearRegression(solver="gd", epochs=50).fit(pd.DataFrame(X, columns=["a", "b"]), y)
    model.inference()  # the training data are kept
    fitted = fit_source(model, ArraySource(X, y, batch_rows=64))
    assert fitted.model is model
    assert model.weighted_ is False
    assert list(model.feature_names_in_) == ["x1", "x2"]
    assert model.history_.n_epochs == 50
    assert not hasattr(model, "_X_fit")  # the in-memory data are let go
    assert model.inference().n_samples == 300  # from the pass's sums (linreg.stats.pieces)
    with pytest.raises(LinregError, match="needs every residual"):
        model.inference(cov_type="HC0")
    # gradient descent's exact optimum is a model of its own, fitted in closed form
    assert fitted.optimum is not model
    assert fitted.optimum.stop_reason_ == "closed_form"
    assert fitted.optimum.history_.final_loss <= model.history_.final_loss
    exact = fit_source(LinearRegression(solver="exact"), ArraySource(X, y, batch_rows=64))
    assert exact.optimum is exact.model
    assert exact.model.lstsq_.converged
    np.testing.assert_allclose(fitted.optimum.coef_, exact.model.coef_, rtol=1e-9)


def test_a_refused_fit_over_passes_leaves_the_estimator_as_it_was() -> None:
    from linreg.out_of_memory import fit_source
    from linreg.sources.batches import ArraySource

    data = make_regression(n_samples=100, n_features=2, seed=2)
    model = LinearRegression(solver="exact").fit(data.X, data.y)
    before = model.coef_.copy()
    model.set_params(momentum=2.0)
    with pytest.raises(LinregError, match="momentum must be in"):
        fit_source(model, ArraySource(np.ones((5, 3)), np.ones(5)))
    assert model.coef_.tobytes() == before.tobytes()
    assert model.n_features_in_ == 2
