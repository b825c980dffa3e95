"""A default fit never ends far from the optimum without a word; ``learning_rate="auto"``.

Real data, as practitioners meet them: scikit-learn's diabetes (scaled as it ships,
and raw) and statsmodels' statecrime. The yardstick is the least-squares optimum's
loss, which the exact solver finds and scikit-learn's LinearRegression confirms.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import run
from linreg import ConvergenceWarning, DivergenceError, LinearRegression, StabilityWarning
from linreg.descent_fit import AUTO_FRACTION, auto_learning_rate
from linreg.io.persistence import load_model, save_model
from linreg.optimality import relative_gap
from linreg.out_of_memory import fit_file

Data = tuple[np.ndarray, np.ndarray]


@pytest.fixture(scope="module")
def diabetes() -> Data:
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_diabetes(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def diabetes_raw() -> Data:
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_diabetes(return_X_y=True, scaled=False)
    return X, y


@pytest.fixture(scope="module")
def statecrime() -> Data:
    sm_datasets = pytest.importorskip("statsmodels.datasets")
    frame = sm_datasets.statecrime.load_pandas().data
    X = frame[["poverty", "hs_grad", "urban", "white", "single"]].to_numpy(float)
    return X, frame["murder"].to_numpy(float)


def _write_csv(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    header = ",".join([*(f"x{j}" for j in range(X.shape[1])), "y"])
    np.savetxt(
        path, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt="%.17g"
    )
    return path


def _optimum_loss(X: np.ndarray, y: np.ndarray) -> float:
    from sklearn.linear_model import LinearRegression as SkLinearRegression

    reference = SkLinearRegression().fit(X, y)
    return float(np.mean((y - reference.predict(X)) ** 2))


# -- the default warns where it stops short ----------------------------------------------------
def test_the_default_on_diabetes_warns_with_the_gap(diabetes: Data) -> None:
    X, y = diabetes
    with pytest.warns(ConvergenceWarning) as record:
        model = LinearRegression().fit(X, y)
    optimum = _optimum_loss(X, y)
    gap = model.history_.final_loss / optimum - 1.0
    assert gap == pytest.approx(0.84, abs=0.01)  # R^2 0.11 against 0.52
    assert model.optimality_gap_ == pytest.approx(gap, rel=1e-9)
    (message,) = [str(w.message) for w in record]
    assert "stopped after its 1000 epochs" in message
    assert "84% above the least-squares optimum" in message
    assert "(relative gap 0.84)" in message
    for remedy in ("standardize=True", "more epochs", "learning_rate='auto'", "solver='exact'"):
        assert remedy in message
    assert "\n" not in message


def test_a_short_run_still_improving_warns() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0 + 0.1 * rng.normal(size=400)
    with pytest.warns(ConvergenceWarning, match=r"stopped after its 3 epochs .*relative gap"):
        LinearRegression(epochs=3).fit(X, y)


def test_sgd_on_diabetes_within_its_noise_does_not_warn(diabetes: Data) -> None:
    X, y = diabetes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearRegression(solver="sgd").fit(X, y)
    assert 0.05 < model.optimality_gap_ < 0.5  # SGD's noise at a constant rate


@pytest.mark.parametrize("name", ["diabetes_raw", "statecrime"])
def test_unscaled_data_diverge_at_once_naming_eta_max(
    name: str, request: pytest.FixtureRequest
) -> None:
    X, y = request.getfixturevalue(name)
    with pytest.warns(StabilityWarning, match="eta_max"), pytest.raises(DivergenceError) as info:
        LinearRegression().fit(X, y)
    assert "eta_max" in str(info.value)


def test_auto_alone_on_statecrime_warns_and_offers_what_is_left(statecrime: Data) -> None:
    X, y = statecrime
    with pytest.warns(ConvergenceWarning, match="relative gap") as record:
        model = LinearRegression(learning_rate="auto").fit(X, y)
    message = str(record[0].message)
    assert "standardize=True" in message
    assert "learning_rate='auto'" not in message  # already in effect
    assert model.optimality_gap_ > 0.5  # condition number 1e5: auto is not enough alone


# -- learning_rate="auto" ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["diabetes", "diabetes_raw", "statecrime"])
def test_auto_with_standardize_converges(name: str, request: pytest.FixtureRequest) -> None:
    X, y = request.getfixturevalue(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearRegression(learning_rate="auto", standardize=True).fit(X, y)
    assert model.learning_rate_ == pytest.approx(
        model.stability_.max_stable_learning_rate / 2, rel=1e-12
    )
    assert model.optimality_gap_ < 1e-3
    assert model.history_.final_loss == pytest.approx(_optimum_loss(X, y), rel=1e-3)


def test_auto_reaches_one_percent_sooner_than_the_default_rate(diabetes: Data) -> None:
    X, y = diabetes
    optimum = _optimum_loss(X, y)

    def epochs_to_one_percent(rate: float | str) -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LinearRegression(learning_rate=rate, standardize=True, epochs=400).fit(X, y)
        return int(np.flatnonzero(model.history_.loss <= 1.01 * optimum)[0])

    assert epochs_to_one_percent("auto") < epochs_to_one_percent(0.01) / 5


def test_auto_sgd_is_more_cautious(diabetes: Data) -> None:
    X, y = diabetes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearRegression(solver="sgd", learning_rate="auto", standardize=True).fit(X, y)
    eta_max = model.stability_.max_stable_learning_rate
    assert model.learning_rate_ == pytest.approx(eta_max * AUTO_FRACTION["sgd"], rel=1e-12)
    assert model.optimality_gap_ < 0.1


def test_auto_learning_rate_rule() -> None:
    assert auto_learning_rate("auto", 2.0, "gd") == 1.0
    assert auto_learning_rate("auto", 2.0, "sgd") == 0.5
    assert auto_learning_rate(0.3, 2.0, "gd") == 0.3


def test_a_bad_learning_rate_names_auto() -> None:
    with pytest.raises(ValueError, match=r"learning rate .*'auto'.*got 'fast'"):
        LinearRegression(learning_rate="fast").fit(np.arange(6.0), np.arange(6.0))


def test_exact_never_warns(diabetes: Data, statecrime: Data) -> None:
    for X, y in (diabetes, statecrime):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model = LinearRegression(solver="exact").fit(X, y)
        assert model.optimality_gap_ == 0.0
        assert model.learning_rate_ is None


def test_relative_gap() -> None:
    assert relative_gap(3.0, 2.0) == 0.5
    assert relative_gap(0.0, 0.0) == 0.0
    assert relative_gap(1.0, 0.0) == float("inf")
    assert relative_gap(1.0, None) is None
    assert relative_gap(float("inf"), 1.0) is None


def test_auto_when_streamed(tmp_path: Path, diabetes: Data) -> None:
    path = _write_csv(tmp_path / "diabetes.csv", *diabetes)
    model = LinearRegression(learning_rate="auto", standardize=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_file(path, model, batch_bytes=4096)
    assert model.learning_rate_ == pytest.approx(
        model.stability_.max_stable_learning_rate / 2, rel=1e-12
    )
    assert model.optimality_gap_ < 1e-3


def test_auto_is_kept_in_model_files(tmp_path: Path, diabetes: Data) -> None:
    X, y = diabetes
    model = LinearRegression(learning_rate="auto", standardize=True, epochs=50).fit(X, y)
    save_model(model, tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")[0]
    assert loaded.learning_rate == "auto"
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


# -- the command line: the same line, and optimality_gap in --json ------------------------------
@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory: pytest.TempPathFactory, diabetes: Data) -> Path:
    return _write_csv(tmp_path_factory.mktemp("default_fit") / "diabetes.csv", *diabetes)


def test_cli_default_prints_the_warning_and_the_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], diabetes_csv: Path
) -> None:
    result = run(capsys, "train", diabetes_csv, "--out", tmp_path / "m.json", "--json")
    assert result.code == 0
    (line,) = result.err.splitlines()
    assert line.startswith("linreg: warning: gradient descent stopped after its 1000 epochs")
    assert "(relative gap 0.84)" in line
    report = json.loads(result.out)
    assert report["optimality_gap"] == pytest.approx(0.84, abs=0.01)
    assert report["learning_rate"] == 0.01


def test_cli_lr_auto(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], diabetes_csv: Path
) -> None:
    out = tmp_path / "m.json"
    result = run(
        capsys, "train", diabetes_csv, "--lr", "auto", "--standardize", "--out", out, "--json"
    )
    assert result.code == 0
    assert result.err == ""
    report = json.loads(result.out)
    assert report["optimality_gap"] < 1e-3
    assert report["learning_rate"] == pytest.approx(report["max_stable_learning_rate"] / 2)
    assert json.loads(out.read_text())["hyperparameters"]["learning_rate"] == "auto"


def test_cli_lr_must_be_a_number_or_auto(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], diabetes_csv: Path
) -> None:
    with pytest.raises(SystemExit) as info:
        run(capsys, "train", diabetes_csv, "--lr", "fast", "--out", tmp_path / "m.json")
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --lr: give a number > 0 or 'auto', not 'fast'" in err
    assert len(err.strip().splitlines()) == 1
