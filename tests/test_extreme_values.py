"""Numbers at the edges of float64: a clear error, a warning or a correct result, never
a silent wrong answer (issue 18, section 1 and 2: data near 1e-300 and 1e200,
targets beyond 1e154, momentum that ends far from the optimum)."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from cli_helpers import assert_one_error_line, run
from linreg import LinearRegression
from linreg.errors import (
    ConvergenceWarning,
    DivergenceError,
    LinregError,
    RankDeficiencyWarning,
    StabilityWarning,
)
from linreg.io.persistence import load_model, save_model
from linreg.metrics import mae, mse, r2, rmse
from linreg.optimality import NOISE_GAP, OPTIMUM_GAP, optimum_gap_message

ENGINES = ["reference", "fast"]


def _data(n: int = 50, x_scale: float = 1.0, y_scale: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = X @ [2.0, 3.0] + 1.0 + 0.1 * rng.normal(size=n)
    return X * x_scale, y * y_scale


def _csv(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "y": y}).to_csv(path, index=False)
    return path


# -- data around 1e-300: squares underflow, gradient descent would stay at W = 0 --------


@pytest.mark.parametrize("solver", ["gd", "sgd"])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_target_whose_squares_underflow_is_refused(solver: str, engine: str) -> None:
    X, y = _data(x_scale=1e-300, y_scale=1e-300)
    model = LinearRegression(solver=solver, engine=engine, epochs=20)
    with pytest.raises(LinregError, match=r"too small .* squares to below 2.2e-308 .* rescale"):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


def test_the_exact_solver_fits_data_near_1e_300() -> None:
    X, y = _data(x_scale=1e-300, y_scale=1e-300)
    model = LinearRegression(solver="exact").fit(X, y)
    np.testing.assert_allclose(model.coef_, [2.0, 3.0], rtol=0.05)


def test_a_zero_target_is_not_an_underflow() -> None:
    X, _ = _data()
    model = LinearRegression(epochs=20).fit(X, np.zeros(len(X)))
    assert np.all(model.coef_ == 0.0)
    assert model.history_.final_loss == 0.0


def test_tiny_features_with_an_ordinary_target_warn_rather_than_stall() -> None:
    """Features of 1e-300 make the gradient of W vanish: the fit cannot get near
    the optimum, and says so when asked to converge."""
    X, y = _data(x_scale=1e-300)
    with pytest.warns(ConvergenceWarning, match="above the least-squares optimum"):
        LinearRegression(epochs=200, tol=1e-9).fit(X, y)


def test_cli_train_refuses_data_near_1e_300(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _csv(tmp_path / "tiny.csv", *_data(x_scale=1e-300, y_scale=1e-300))
    for solver in ("gd", "sgd"):
        out = tmp_path / f"{solver}.json"
        result = run(capsys, "train", data, "--solver", solver, "--out", out)
        assert_one_error_line(result, "tiny.csv", "too small", "rescale")
        assert not out.exists()
        result = run(capsys, "train", data, "--solver", solver, "--stream", "--quiet", "--out", out)
        assert_one_error_line(result, "too small", "1.5e-300", "rescale")
        assert not out.exists()


# -- data near 1e200: statistics that would be inf, nan or 0 are refused ---------------


def test_summary_refuses_standard_errors_float64_cannot_hold() -> None:
    X, y = _data(x_scale=1e200, y_scale=1e150)
    model = LinearRegression(solver="exact").fit(X, y)
    with pytest.raises(LinregError, match="standard errors cannot be computed in float64"):
        model.summary()


def test_summary_of_data_whose_squares_overflow_is_refused() -> None:
    X, y = _data(x_scale=1e200, y_scale=1e200)
    model = LinearRegression(solver="exact").fit(X, y)
    with pytest.raises(LinregError, match="rescale the features and the target"):
        model.inference()


def test_summary_of_ordinary_data_still_prints_every_statistic() -> None:
    X, y = _data()
    table = LinearRegression(solver="exact").fit(X, y).inference()
    assert np.all(np.isfinite(table.std_errors))
    assert np.all(table.std_errors > 0)


def test_cli_summary_near_1e200_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _csv(tmp_path / "huge.csv", *_data(x_scale=1e200, y_scale=1e150))
    result = run(capsys, "summary", data)
    assert_one_error_line(result, "huge.csv", "standard errors", "rescale")
    assert "inf" not in result.out
    assert "nan" not in result.out


# -- exact fits whose loss overflows: a fit, its loss inf, written null ----------------


def test_an_exact_fit_whose_loss_overflows_is_kept_and_saved(tmp_path: Path) -> None:
    X, y = _data(x_scale=1e200, y_scale=1e200)
    model = LinearRegression(solver="exact").fit(X, y)
    np.testing.assert_allclose(model.coef_, [2.0, 3.0], rtol=0.05)
    assert model.history_.final_loss == np.inf
    path = save_model(model, tmp_path / "m.json")
    content = json.loads(path.read_text())
    assert content["history"]["loss"] == [None]
    assert content["training"]["final_loss"] is None
    loaded, _ = load_model(path)
    assert loaded.history_.final_loss == np.inf
    np.testing.assert_array_equal(loaded.coef_, model.coef_)


def test_cli_train_exact_near_1e200_writes_a_valid_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _csv(tmp_path / "big.csv", *_data(x_scale=1e200, y_scale=1e200))
    out = tmp_path / "m.json"
    result = run(capsys, "train", data, "--solver", "exact", "--out", out)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert json.loads(out.read_text())["history"]["loss"] == [None]
    assert run(capsys, "predict", out, data).code == 0


def test_coefficients_that_overflow_are_refused_by_name() -> None:
    X, y = _data(x_scale=1e-200, y_scale=1e150)
    model = LinearRegression(solver="exact")
    with pytest.raises(LinregError, match="coefficients overflow float64"):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


# -- targets near 1e154 and beyond with gd/sgd: the divergence report stays a report ---


@pytest.mark.parametrize("solver", ["gd", "sgd"])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_target_beyond_1e154_gives_a_divergence_report(solver: str, engine: str) -> None:
    X, y = _data(y_scale=1e160)
    model = LinearRegression(solver=solver, engine=engine, epochs=5)
    if engine == "fast" and solver == "gd":  # its moments' squares overflow first
        with pytest.raises(LinregError, match=r"squares overflow \(features or target"):
            model.fit(X, y)
        return
    with pytest.raises(DivergenceError) as caught:
        model.fit(X, y)
    report = caught.value.report
    assert report.epoch == 0
    assert report.gradient_norm == np.inf
    assert "rescale the target" in str(caught.value)


def test_cli_train_with_a_target_beyond_1e154_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _csv(tmp_path / "ybig.csv", *_data(y_scale=1e160))
    for solver in ("gd", "sgd"):
        out = tmp_path / "m.json"
        result = run(capsys, "train", data, "--solver", solver, "--out", out)
        assert_one_error_line(result, "diverged at epoch 0", "rescale")
        assert not out.exists()


# -- a fit that ends far from its optimum says so ----------------------------------------


@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_heavy_momentum_far_from_the_optimum_warns_with_both_losses(solver: str) -> None:
    X, y = _data()
    model = LinearRegression(solver=solver, momentum=0.999)
    with pytest.warns(ConvergenceWarning) as record:
        model.fit(X, y)
    (message,) = [str(w.message) for w in record]
    optimum = LinearRegression(solver="exact").fit(X, y).history_.final_loss
    assert f"{model.history_.final_loss:.6g}" in message
    assert f"{optimum:.6g}" in message
    assert model.history_.final_loss > (1 + NOISE_GAP) * optimum


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "gd"},
        {"solver": "gd", "momentum": 0.9},
        {"solver": "sgd"},
        {"solver": "sgd", "momentum": 0.9, "learning_rate": 0.001},
        {"solver": "gd", "tol": 1e-10, "epochs": 5000},
        # A run that ran out of epochs far from the optimum warns, even still improving
        # (issue 13 section 5): tests/test_default_fit.py.
    ],
)
@pytest.mark.parametrize("engine", ENGINES)
def test_ordinary_fits_do_not_warn(params: dict, engine: str) -> None:
    X, y = _data(n=400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LinearRegression(engine=engine, **params).fit(X, y)


def test_a_short_run_asked_to_converge_names_both_reasons() -> None:
    X, y = _data()
    with pytest.warns(ConvergenceWarning) as record:
        LinearRegression(epochs=3, tol=1e-12).fit(X, y)
    (message,) = [str(w.message) for w in record]
    assert "did not reach tol" in message
    assert "least-squares optimum" in message


def test_the_fast_engine_knows_the_optimum_from_its_moments() -> None:
    X, y = _data(n=60_000)
    with pytest.warns(ConvergenceWarning, match="least-squares optimum"):
        LinearRegression(solver="gd", engine="fast", momentum=0.999, epochs=1000).fit(X, y)


def test_cli_train_with_heavy_momentum_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _csv(tmp_path / "ok.csv", *_data())
    out = tmp_path / "m.json"
    result = run(capsys, "train", data, "--solver", "sgd", "--momentum", "0.999", "--out", out)
    assert result.code == 0
    assert "linreg: warning: gradient descent ended at loss" in result.err
    assert "least-squares optimum" in result.err


@given(
    optimum=st.floats(0.0, 1e6),
    excess=st.floats(0.0, 10.0),
    start=st.floats(1e-3, 1e9),
)
@settings(max_examples=50, deadline=None)
def test_the_gap_rule_is_relative_with_a_floor(optimum: float, excess: float, start: float) -> None:
    final = optimum * (1.0 + excess) + excess * 1e-7 * start
    losses = np.array([max(start, final), final * 0.5, final])  # it had been lower
    message = optimum_gap_message(losses, optimum, asked_to_converge=False)
    noisy = NOISE_GAP * max(optimum, 1e-6 * start)
    far = final - optimum > noisy and final - 0.5 * final > noisy
    assert (message is not None) == far
    asked = optimum_gap_message(losses, optimum, asked_to_converge=True)
    assert (asked is not None) == (final - optimum > OPTIMUM_GAP * max(optimum, 1e-6 * start))


# -- metrics tolerate overflow -----------------------------------------------------------


def test_metrics_overflow_to_inf_without_a_warning() -> None:
    a = np.array([1e200, -1e200, 3e200])
    p = 1.01 * a
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mse(a, p) == np.inf
        assert rmse(a, p) == np.inf
        assert np.isfinite(mae(a, p))
        assert r2(a, p) == pytest.approx(1.0 - 0.01**2 * 11.0 / 8.0 * 3.0 / 3.0, rel=1e-3)
        assert r2(np.array([1e308, 1.7e308]), np.array([-1e308, -1.7e308])) == -np.inf


@given(
    a=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30),
    noise=st.floats(-1.0, 1.0),
    k=st.integers(-1000, 1000),
)
@settings(max_examples=100, deadline=None)
def test_r2_is_the_same_at_every_power_of_two(a: list[float], noise: float, k: int) -> None:
    y = np.array(a)
    p = y + noise * np.arange(len(y))
    scale = 2.0**k
    if not (np.all(np.isfinite(y * scale)) and np.all(y * scale == 0.0) == np.all(y == 0.0)):
        return
    if np.any((y != 0) & (np.abs(y * scale) < 1e-290)) or np.any(np.abs(p * scale) < 1e-290):
        return  # subnormal: scaling is no longer exact
    assert r2(y * scale, p * scale) == r2(y, p)


def test_cli_evaluate_with_an_overflowing_mse_prints_inf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _csv(tmp_path / "big.csv", *_data(x_scale=1e200, y_scale=1e200))
    out = tmp_path / "m.json"
    assert run(capsys, "train", data, "--solver", "exact", "--out", out).code == 0
    result = run(capsys, "evaluate", out, data)
    assert result.code == 0
    assert "Traceback" not in result.err
    assert "inf" in result.out


# -- fuzzing the magnitudes -------------------------------------------------------------

FUZZ_N = 200 if os.environ.get("LINREG_FUZZ") == "long" else 25


@pytest.mark.fuzz
@given(
    x_power=st.integers(-320, 308),
    y_power=st.integers(-320, 308),
    solver=st.sampled_from(["gd", "sgd", "exact"]),
    engine=st.sampled_from(ENGINES),
    momentum=st.sampled_from([0.0, 0.9, 0.999]),
    seed=st.integers(0, 3),
)
@settings(max_examples=FUZZ_N, deadline=None)
def test_fuzz_magnitudes_give_a_fit_or_one_clear_error(
    x_power: int, y_power: int, solver: str, engine: str, momentum: float, seed: int
) -> None:
    """Contract: a finite fit (with a warning if it ended far from its optimum), or one
    LinregError; never another exception, a RuntimeWarning or a silent W = 0, b = 0."""
    with np.errstate(over="ignore"):
        X, y = _data(n=40, x_scale=10.0**x_power, y_scale=10.0**y_power, seed=seed)
    assume(np.all(np.isfinite(X)) and np.all(np.isfinite(y)))
    model = LinearRegression(solver=solver, engine=engine, momentum=momentum, epochs=60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)  # a warning is an answer
        warnings.simplefilter("ignore", StabilityWarning)
        warnings.simplefilter("ignore", RankDeficiencyWarning)
        message = None
        try:
            model.fit(X, y)
        except LinregError as exc:
            message = str(exc)
    if message is not None:
        assert "\n" not in message, message  # one line, saying what to do
        assert any(fix in message for fix in ("rescale", "To fix", "constant")), message
        event("clean error")
        return
    event("fit")
    assert np.all(np.isfinite(model.coef_))
    assert np.isfinite(model.intercept_)
    if np.any(y != 0.0) and solver != "exact":
        assert np.any(model.coef_ != 0.0) or model.intercept_ != 0.0
