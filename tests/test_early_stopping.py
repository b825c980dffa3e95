"""Early stopping on a validation set and learning-rate schedules, on both engines."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine_data import assert_same_history
from linreg import LinearModel, LinearRegression, LinregError
from linreg.io.persistence import load_model, save_model
from linreg.training import Schedule, train


def overfitting_data(seed: int = 0) -> tuple[np.ndarray, ...]:
    """30 training rows of 20 features, one of which matters: GD overfits them in time."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(130, 20))
    y = 2.0 * X[:, 0] + rng.normal(size=130)
    return X[:30], y[:30], X[30:], y[30:]


def fit_both(X: np.ndarray, y: np.ndarray, *val: np.ndarray, **params: Any) -> list[Any]:
    return [LinearRegression(engine=e, **params).fit(X, y, *val) for e in ("reference", "fast")]


def test_schedule_rates() -> None:
    assert Schedule().rate(0.1, 7) == 0.1
    assert Schedule("invscaling", power_t=0.5).rate(0.1, 3) == pytest.approx(0.1 / 2.0)
    step = Schedule("step", decay_every=10, decay_factor=0.5)
    assert [step.rate(1.0, k) for k in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]


@settings(max_examples=20, deadline=None)
@given(power_t=st.floats(0.1, 1.0), momentum=st.sampled_from([0.0, 0.5]))
def test_scheduled_gd_is_the_written_out_loop(power_t: float, momentum: float) -> None:
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 2)), rng.normal(size=20)
    model = LinearModel(2)
    schedule = Schedule("invscaling", power_t=power_t)
    result = train(model, X, y, learning_rate=0.1, epochs=15, momentum=momentum, schedule=schedule)
    W, b, vW, vb = np.zeros(2), 0.0, np.zeros(2), 0.0
    for k in range(15):
        r = X @ W + b - y
        gW, gb = 2 / 20 * X.T @ r, 2 / 20 * r.sum()
        vW, vb = momentum * vW + gW, momentum * vb + gb
        eta = 0.1 / (k + 1) ** power_t
        W, b = W - eta * vW, b - eta * vb
    np.testing.assert_allclose(result.history.W[-1], W, rtol=1e-12)
    assert result.history.b[-1] == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize("solver", ["gd", "sgd"])
@pytest.mark.parametrize("schedule", ["invscaling", "step"])
def test_schedules_are_the_same_on_both_engines(solver: str, schedule: str) -> None:
    X, y, X_val, y_val = overfitting_data()
    ref, fast = fit_both(
        X,
        y,
        X_val,
        y_val,
        solver=solver,
        learning_rate=0.05,
        epochs=60,
        batch_size=8,
        lr_schedule=schedule,
        decay_every=20,
        standardize=True,
    )
    assert_same_history(fast.history_, ref.history_)
    constant = LinearRegression(solver=solver, learning_rate=0.05, epochs=60, batch_size=8)
    assert not np.allclose(constant.fit(X, y).coef_, ref.coef_)  # the schedule did something


@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_early_stopping_keeps_the_best_epoch(solver: str) -> None:
    X, y, X_val, y_val = overfitting_data()
    params = {"learning_rate": 0.02, "epochs": 3000, "batch_size": 10, "n_iter_no_change": 25}
    ref, fast = fit_both(X, y, X_val, y_val, solver=solver, early_stopping=True, **params)
    for model in (ref, fast):
        assert model.stop_reason_ == "early_stopping"
        best = model.best_epoch_
        assert best == int(np.argmin(model.history_.val_loss))
        assert model.n_iter_ == best + 25 < 3000
        np.testing.assert_allclose(model.coef_, model.history_.W[best], rtol=1e-12)
        assert model.intercept_ == pytest.approx(model.history_.b[best], rel=1e-12)
    assert fast.best_epoch_ == ref.best_epoch_
    np.testing.assert_allclose(fast.coef_, ref.coef_, rtol=1e-9)
    # Stopped early, the model does better on new rows than the one trained to the end.
    full = LinearRegression(solver=solver, **params).fit(X, y)
    mse = [np.mean((m.predict(X_val) - y_val) ** 2) for m in (ref, full)]
    assert mse[0] < mse[1]
    assert full.best_epoch_ is None


def test_early_stopping_bad_input() -> None:
    X, y, X_val, y_val = overfitting_data()
    with pytest.raises(LinregError, match="early_stopping=True needs gradient descent"):
        LinearRegression(early_stopping=True).fit(X, y)
    with pytest.raises(LinregError, match="early_stopping=True needs gradient descent"):
        LinearRegression(solver="exact", early_stopping=True).fit(X, y, X_val, y_val)
    for params, message in [
        ({"n_iter_no_change": 0}, "n_iter_no_change"),
        ({"lr_schedule": "cosine"}, "lr_schedule must be one of constant, invscaling, step"),
        ({"decay_factor": 0.0}, "decay_factor must be in \\(0, 1\\]"),
        ({"decay_every": 2.5}, "decay_every"),
        ({"power_t": -1.0}, "power_t"),
        ({"early_stopping": "yes"}, "early_stopping must be True or False"),
    ]:
        with pytest.raises(LinregError, match=message):
            LinearRegression(**params).fit(X, y)


def test_model_files_keep_the_new_hyperparameters(tmp_path: Any) -> None:
    X, y, X_val, y_val = overfitting_data()
    model = LinearRegression(
        learning_rate=0.02, epochs=300, early_stopping=True, lr_schedule="step", decay_every=50
    ).fit(X, y, X_val, y_val)
    path = save_model(model, tmp_path / "model.json")
    loaded, _ = load_model(path)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    assert loaded.best_epoch_ == model.best_epoch_ is not None


def test_streamed_fits_take_schedules_and_refuse_early_stopping(tmp_path: Any) -> None:
    from linreg.out_of_memory import fit_file

    X, y, X_val, y_val = overfitting_data()
    path = tmp_path / "train.csv"
    names = [f"x{j}" for j in range(X.shape[1])]
    np.savetxt(path, np.c_[X, y], delimiter=",", header=",".join([*names, "y"]), comments="")
    params: dict[str, Any] = {"learning_rate": 0.05, "epochs": 40, "lr_schedule": "invscaling"}
    streamed = fit_file(path, LinearRegression(**params)).model
    in_memory = LinearRegression(engine="fast", **params).fit(X, y)
    np.testing.assert_allclose(streamed.coef_, in_memory.coef_, rtol=1e-9)
    with pytest.raises(LinregError, match="early_stopping is for data in memory"):
        fit_file(path, LinearRegression(early_stopping=True, **params), val=(X_val, y_val))


def test_early_stopping_and_schedules_with_the_lasso_step() -> None:
    X, y, X_val, y_val = overfitting_data()
    params: dict[str, Any] = {
        "learning_rate": 0.02,
        "epochs": 3000,
        "alpha": 0.05,
        "l1_ratio": 1.0,
        "early_stopping": True,
        "n_iter_no_change": 25,
        "lr_schedule": "step",
        "decay_every": 1000,
    }
    ref, fast = fit_both(X, y, X_val, y_val, **params)
    assert ref.stop_reason_ == fast.stop_reason_ == "early_stopping"
    assert fast.best_epoch_ == ref.best_epoch_ is not None
    np.testing.assert_allclose(fast.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    assert np.any(ref.coef_ == 0.0)  # soft-thresholding's exact zeros survive the restore
