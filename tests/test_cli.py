"""The ``linreg`` command end to end, in temporary folders.

Most tests call :func:`linreg.cli.main.main` in-process and read its output with
``capsys``; a few start the real command in a subprocess to see its exit code
and its stderr as a user would.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from cli_helpers import PNG_MAGIC, assert_one_error_line, run, run_quietly
from linreg import Gradients, LinearModel, LinearRegression
from linreg.cli import generate as generate_command
from linreg.cli.main import main
from linreg.io.persistence import save_model
from linreg.io.tables import atomic_write, read_table

GIF_MAGIC = (b"GIF87a", b"GIF89a")
SUBCOMMANDS = ("generate", "train", "evaluate", "predict", "sweep", "gradcheck", "demo")
METRICS = ("mse", "rmse", "mae", "r2")
KNOWN = b'{"format": "linreg-model", "note": "written by the test, must survive"}\n'


def leftovers(folder: Path) -> list[str]:
    """Temporary files of atomic writes (hidden ``.NAME.*.tmp`` files), anywhere below."""
    return sorted(str(p) for p in folder.rglob("*") if p.name.startswith(".") or ".tmp" in p.name)


def assert_images(paths: list[Path] | list[str], magic: bytes | tuple[bytes, ...]) -> None:
    assert paths
    for path in map(Path, paths):
        assert path.is_file(), path
        content = path.read_bytes()
        assert content.startswith(magic), path
        assert len(content) > 1000, path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- shared data (read-only: tests that change files make their own) ------------------------
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default problem y = 3x + 2 + noise: 800 training and 200 test rows, truth.json."""
    folder = tmp_path_factory.mktemp("cli") / "data"
    assert run_quietly("generate", "--out", folder).code == 0
    return folder


@pytest.fixture(scope="module")
def train_csv(data_dir: Path) -> Path:
    return data_dir / "train.csv"


@pytest.fixture(scope="module")
def test_csv(data_dir: Path) -> Path:
    return data_dir / "test.csv"


@pytest.fixture(scope="module")
def model_file(data_dir: Path, train_csv: Path) -> Path:
    """A model file made through the library, as ``train`` does (no exact solver needed)."""
    table = read_table(train_csv)
    model = LinearRegression(learning_rate=0.02, epochs=300).fit(table.frame, table.y)
    return save_model(
        model,
        data_dir.parent / "api_model.json",
        feature_names=table.feature_names,
        target_name=table.target_name,
    )


@pytest.fixture(scope="module")
def trained(data_dir: Path, train_csv: Path, test_csv: Path) -> tuple[Path, dict[str, Any]]:
    """``linreg train --json`` with validation data: the model file and the report."""
    out = data_dir.parent / "trained" / "model.json"
    result = run_quietly(
        "train", train_csv, "--epochs", "400", "--lr", "0.02", "--val", test_csv, "--out", out,
        "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    return out, result.json()


def model_content(path: Path) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return content


# -- help ------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [None, *SUBCOMMANDS])
def test_every_help_exits_0_with_an_example(
    capsys: pytest.CaptureFixture[str], command: str | None
) -> None:
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out
    assert (f"linreg {command}" if command else "linreg demo") in out
    if command is not None:
        assert "--json" in out


def test_version(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The version, and whether the exact solver runs its C kernel (a practitioner's
    first question when a fit is slower than the README says)."""
    import linreg
    from linreg.solvers import kernels

    monkeypatch.setenv(kernels.ENV, "numpy")
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    kernel = "NumPy (LINREG_KERNELS=numpy)"
    assert capsys.readouterr().out.strip() == (
        f"linreg {linreg.__version__} (exact solver's refinement kernel: {kernel})"
    )


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


# -- generate --------------------------------------------------------------------------------
def test_generate_writes_train_test_and_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    result = run(
        capsys, "generate", "--samples", "50", "--features", "2", "--weights", "1.5,-2",
        "--bias", "0.5", "--noise", "0.1", "--x-range=-1,1", "--test-size", "0.2",
        "--seed", "3", "--out", out, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    assert set(report) >= {"files", "n_train", "n_test", "weights", "bias", "noise", "seed"}
    assert report["files"] == [str(out / n) for n in ("train.csv", "test.csv", "truth.json")]
    assert (report["n_train"], report["n_test"], report["n_samples"]) == (40, 10, 50)
    assert (report["weights"], report["bias"], report["noise"]) == ([1.5, -2.0], 0.5, 0.1)
    assert report["x_range"] == [-1.0, 1.0]
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["weights"] == [1.5, -2.0]
    assert truth["bias"] == 0.5
    assert truth["seed"] == 3
    train = pd.read_csv(out / "train.csv")
    test = pd.read_csv(out / "test.csv")
    assert list(train.columns) == ["x1", "x2", "y", "y_true"]
    assert (len(train), len(test)) == (40, 10)
    X = train[["x1", "x2"]].to_numpy()
    assert X.min() >= -1.0
    assert X.max() < 1.0
    np.testing.assert_allclose(train["y_true"], X @ [1.5, -2.0] + 0.5, rtol=1e-12)
    assert np.abs(train["y"] - train["y_true"]).max() < 1.0  # noise of sd 0.1
    assert leftovers(tmp_path) == []


def test_generate_is_reproducible_and_explains_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(capsys, "generate", "--samples", "30", "--seed", "9", "--out", tmp_path / "a")
    second = run(capsys, "generate", "--samples", "30", "--seed", "9", "--out", tmp_path / "b")
    assert first.code == second.code == 0
    assert "y = 3*X + 2 + noise" in first.out
    assert "24 rows" in first.out
    for name in ("train.csv", "test.csv", "truth.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--test-size", "0"], "test size must be strictly between 0 and 1, got 0.0"),
        (["--test-size", "1"], "test size must be strictly between 0 and 1, got 1.0"),
        (["--test-size", "1.5"], "test size must be strictly between 0 and 1, got 1.5"),
        (["--test-size=-0.2"], "test size must be strictly between 0 and 1, got -0.2"),
        (["--test-size", "nan"], "test size must be strictly between 0 and 1"),
        (["--samples", "0"], "n_samples must be a positive integer, got 0"),
        (["--features", "0"], "n_features must be a positive integer, got 0"),
        (["--noise=-1"], "noise must be a finite number >= 0, got -1.0"),
        (["--weights", "1,b"], "--weights must be comma-separated numbers, got '1,b'"),
        (["--weights", "1,2"], "weights has 2 values but n_features is 1"),
        (["--x-range", "5,1"], "x_range must be (low, high) with low < high"),
        (["--x-range", "1"], "--x-range must be two numbers low,high, got '1'"),
    ],
)
def test_generate_rejects_bad_options_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "data"
    assert_one_error_line(run(capsys, "generate", *args, "--out", out), message)
    assert not out.exists()


def test_generate_refuses_a_file_as_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = write(tmp_path / "data", "precious\n")
    assert_one_error_line(run(capsys, "generate", "--out", out), str(out), "must be a folder")
    assert out.read_text(encoding="utf-8") == "precious\n"


# -- train -----------------------------------------------------------------------------------
TRAIN_KEYS = {"coef", "intercept", "final_loss", "epochs_run", "stop_reason", "optimum_loss"}


def test_train_gd_reports_and_saves_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    out = tmp_path / "model.json"
    result = run(capsys, "train", train_csv, "--epochs", "50", "--out", out, "--json")
    assert result.code == 0, result.err
    # --json draws no progress bar; 50 epochs stop 33% above the optimum, and say so.
    (line,) = result.err.splitlines()
    assert line.startswith("linreg: warning: gradient descent stopped after its 50 epochs")
    report = result.json()
    assert set(report) >= TRAIN_KEYS
    assert report["epochs_run"] == 50
    assert report["stop_reason"] == "max_epochs"
    assert report["feature_names"] == ["X"]
    assert report["truth"] == {"weights": [3.0], "bias": 2.0}
    assert report["model"] == str(out)
    assert report["final_loss"] >= report["optimum_loss"] > 0
    assert 0 < report["max_stable_learning_rate"] < 0.1
    content = model_content(out)
    assert content["coef"] == report["coef"]
    assert content["intercept"] == report["intercept"]
    assert content["training"]["n_iter"] == 50
    assert content["training"]["final_loss"] == report["final_loss"]
    assert len(content["history"]["loss"]) == 51
    assert content["history"]["loss"][-1] < content["history"]["loss"][0]
    assert content["training"]["data_sha256"] is not None
    assert content["extra"]["truth"] == {"weights": [3.0], "bias": 2.0}
    assert leftovers(tmp_path) == []


def test_train_exact_equals_the_closed_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    result = run(
        capsys, "train", train_csv, "--solver", "exact", "--out", tmp_path / "m.json", "--json"
    )
    assert result.code == 0, result.err
    report = result.json()
    assert report["stop_reason"] == "closed_form"
    assert report["coef"] == report["closed_form"]["coef"]
    assert report["intercept"] == report["closed_form"]["intercept"]
    assert report["final_loss"] == report["optimum_loss"]
    table = read_table(train_csv)
    A = np.column_stack([table.X, np.ones(len(table.X))])
    expected = np.linalg.lstsq(A, table.y, rcond=None)[0]
    np.testing.assert_allclose([*report["coef"], report["intercept"]], expected, rtol=1e-10)


def test_train_sgd_runs_its_epochs_near_the_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    result = run(
        capsys, "train", train_csv, "--solver", "sgd", "--epochs", "20", "--batch-size", "16",
        "--out", tmp_path / "m.json", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    assert report["epochs_run"] == 20
    assert report["stop_reason"] == "max_epochs"
    assert report["coef"][0] == pytest.approx(3.0, abs=0.3)
    assert model_content(tmp_path / "m.json")["hyperparameters"]["solver"] == "sgd"


def test_train_standardized_reaches_the_optimum_in_original_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    result = run(
        capsys, "train", train_csv, "--standardize", "--lr", "0.1", "--epochs", "200",
        "--out", tmp_path / "m.json", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    closed = report["closed_form"]
    np.testing.assert_allclose(report["coef"], closed["coef"], rtol=1e-9)
    assert report["intercept"] == pytest.approx(closed["intercept"], rel=1e-9)
    assert report["final_loss"] == pytest.approx(report["optimum_loss"], rel=1e-12)
    # Standardized data: eta_max of the scaled problem, far above the raw one (~0.028).
    assert report["max_stable_learning_rate"] == pytest.approx(1.0, rel=1e-6)


def test_train_with_tol_stops_early(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    result = run(
        capsys, "train", train_csv, "--standardize", "--lr", "0.1", "--epochs", "5000",
        "--tol", "1e-10", "--out", tmp_path / "m.json", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    assert report["stop_reason"] == "converged"
    assert report["epochs_run"] < 5000


def test_train_without_intercept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    result = run(
        capsys, "train", train_csv, "--no-intercept", "--epochs", "30",
        "--out", tmp_path / "m.json", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()["intercept"] == 0.0
    assert result.json()["closed_form"]["intercept"] == 0.0


def test_train_records_the_validation_loss(trained: tuple[Path, dict[str, Any]]) -> None:
    path, report = trained
    history = model_content(path)["history"]
    assert len(history["val_loss"]) == len(history["loss"]) == report["epochs_run"] + 1 == 401
    assert all(np.isfinite(history["val_loss"]))
    assert history["val_loss"][-1] < history["val_loss"][0]


def test_train_grad_check_passes_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    result = run(
        capsys, "train", train_csv, "--grad-check", "--epochs", "5",
        "--out", tmp_path / "m.json", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    check = result.json()["grad_check"]
    assert check["passed"] is True
    assert check["max_relative_error"] < 1e-6


def test_train_prints_tables_without_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    out = tmp_path / "m.json"
    result = run(capsys, "train", train_csv, "--epochs", "20", "--quiet", "--grad-check",
                 "--out", out)  # fmt: skip
    assert result.code == 0, result.err
    (line,) = result.err.splitlines()  # 20 epochs stop far from the optimum: one warning
    assert line.startswith("linreg: warning: gradient descent stopped after its 20 epochs")
    for text in ("Parameters", "closed form", "true", "stop reason", f"model written to {out}"):
        assert text in result.out
    assert "PASS: max relative error" in result.out
    assert out.is_file()


def test_train_draws_its_progress_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    result = run(capsys, "train", train_csv, "--epochs", "40", "--out", tmp_path / "m.json")
    assert result.code == 0, result.err
    assert "training" in result.err
    assert "40/40" in result.err
    assert "40/40" not in result.out
    assert "Parameters" in result.out


def test_an_invalid_truth_file_is_an_error_and_no_model_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    csv = tmp_path / "train.csv"
    csv.write_bytes(train_csv.read_bytes())
    truth = write(tmp_path / "truth.json", '{"weights": "three", "bias": 2}\n')
    out = tmp_path / "model.json"
    out.write_bytes(KNOWN)
    result = run(capsys, "train", csv, "--epochs", "5", "--quiet", "--out", out)
    assert_one_error_line(result, f"{truth}: not a valid truth file")
    assert out.read_bytes() == KNOWN
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["train", "predict"])
def test_an_unwritable_output_is_one_error_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    model_file: Path,
    train_csv: Path,
    command: str,
) -> None:
    blocker = write(tmp_path / "blocker", "a file where a folder should be\n")
    out = blocker / "result.out"
    argv = {
        "train": ["train", train_csv, "--epochs", "5", "--quiet", "--out", out],
        "predict": ["predict", model_file, train_csv, "--out", out],
    }[command]
    assert_one_error_line(run(capsys, *argv), str(blocker))
    assert blocker.read_text(encoding="utf-8") == "a file where a folder should be\n"
    assert leftovers(tmp_path) == []


def test_an_interrupt_leaves_no_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(path: Path, data: Any) -> None:
        with atomic_write(path) as handle:
            handle.write("X,y,y_true\n1.0,")
            raise KeyboardInterrupt

    monkeypatch.setattr(generate_command, "write_dataset_csv", interrupted)
    out = tmp_path / "data"
    result = run(capsys, "generate", "--out", out)
    assert result.code == 130
    assert result.err == (
        "linreg: interrupted; no file was left half-written and no new output was kept\n"
    )
    assert not out.exists()  # the folder the run created goes with it


def test_train_plots_write_png_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    figures = tmp_path / "figures"
    result = run(
        capsys, "train", train_csv, "--epochs", "30", "--out", tmp_path / "m.json",
        "--plots", figures, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    written = result.json()["figures"]
    assert {Path(p).name for p in written} >= {"loss_curve.png", "fit.png", "residuals.png"}
    assert_images(written, PNG_MAGIC)
    assert not list(figures.glob("*.gif"))
    assert leftovers(tmp_path) == []


def test_train_animate_writes_a_gif(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    figures = tmp_path / "figures"
    result = run(
        capsys, "train", train_csv, "--epochs", "30", "--out", tmp_path / "m.json",
        "--plots", figures, "--animate", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    gifs = [p for p in result.json()["figures"] if p.endswith(".gif")]
    assert gifs == [str(figures / "training.gif")]
    assert_images(gifs, GIF_MAGIC)


# -- divergence ------------------------------------------------------------------------------
def test_train_divergence_fails_and_writes_no_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    out = tmp_path / "model.json"
    result = run(
        capsys, "train", train_csv, "--lr", "0.1", "--epochs", "200", "--quiet", "--out", out
    )
    line = assert_one_error_line(result, "diverged at epoch", "learning rate 0.1")
    assert "eta_max" in line
    assert "linreg: warning: learning rate 0.1 is above the largest stable rate" in result.err
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_train_divergence_keeps_an_existing_model_and_reports_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    out = tmp_path / "model.json"
    out.write_bytes(KNOWN)
    result = run(
        capsys, "train", train_csv, "--lr", "0.1", "--epochs", "200", "--out", out, "--json"
    )
    assert_one_error_line(result, "diverged at epoch")
    report = result.json()
    assert report["error"] == "diverged"
    assert isinstance(report["epoch"], int)
    assert 0 < report["epoch"] < 200
    assert report["learning_rate"] == 0.1
    assert 0.005 < report["max_stable_learning_rate"] < 0.1
    assert len(report["loss_history"]) == report["epoch"]
    assert all(np.isfinite(report["loss_history"]))
    assert len(report["last_finite_coef"]) == 1
    assert out.read_bytes() == KNOWN
    assert leftovers(tmp_path) == []


def test_train_divergence_still_draws_the_loss_until_then(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    figures = tmp_path / "figures"
    result = run(
        capsys, "train", train_csv, "--lr", "0.1", "--out", tmp_path / "m.json",
        "--plots", figures, "--quiet",
    )  # fmt: skip
    assert_one_error_line(result, "diverged at epoch")
    assert_images([figures / "loss_curve.png"], PNG_MAGIC)
    assert not (tmp_path / "m.json").exists()


def test_train_divergence_is_animated_up_to_the_last_finite_epoch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    figures = tmp_path / "figures"
    result = run(
        capsys, "train", train_csv, "--lr", "0.03", "--epochs", "300", "--out",
        tmp_path / "m.json", "--plots", figures, "--animate", "--json",
    )  # fmt: skip
    assert result.code == 1
    diverged_at = json.loads(result.out)["epoch"]
    assert_images([figures / "training.gif"], GIF_MAGIC)
    with Image.open(figures / "training.gif") as gif:
        assert gif.n_frames >= 2
    assert not (tmp_path / "m.json").exists()
    assert diverged_at > 1


# -- evaluate --------------------------------------------------------------------------------
def test_evaluate_metrics_match_scikit_learn(
    capsys: pytest.CaptureFixture[str], model_file: Path, test_csv: Path
) -> None:
    result = run(capsys, "evaluate", model_file, test_csv, "--json")
    assert result.code == 0, result.err
    report = result.json()
    content = model_content(model_file)
    test = pd.read_csv(test_csv)
    y_pred = test[["X"]].to_numpy() @ np.asarray(content["coef"]) + content["intercept"]
    expected = {
        "mse": mean_squared_error(test["y"], y_pred),
        # sqrt of sklearn's MSE: root_mean_squared_error is new in scikit-learn 1.4
        "rmse": float(np.sqrt(mean_squared_error(test["y"], y_pred))),
        "mae": mean_absolute_error(test["y"], y_pred),
        "r2": r2_score(test["y"], y_pred),
    }
    for name in METRICS:
        assert report[name] == pytest.approx(expected[name], rel=1e-12), name
    assert 0.9 < report["r2"] < 1.0
    assert report["figures"] == []


def test_evaluate_prints_a_table(
    capsys: pytest.CaptureFixture[str], model_file: Path, test_csv: Path
) -> None:
    result = run(capsys, "evaluate", model_file, test_csv)
    assert result.code == 0, result.err
    for text in ("Metrics", "MSE", "RMSE", "MAE", "R^2", "200 rows"):
        assert text in result.out


def test_evaluate_compare_nests_untrained_trained_and_ground_truth(
    capsys: pytest.CaptureFixture[str], trained: tuple[Path, dict[str, Any]], test_csv: Path
) -> None:
    model, _ = trained
    result = run(capsys, "evaluate", model, test_csv, "--compare", "--json")
    assert result.code == 0, result.err
    report = result.json()
    test = pd.read_csv(test_csv)
    for part in ("untrained", "trained", "ground_truth"):
        assert set(report[part]) == set(METRICS), part
    assert report["trained"] == {k: report[k] for k in METRICS}
    # The untrained model is the start W = 0, b = 0: it predicts 0 everywhere.
    assert report["untrained"]["mse"] == pytest.approx(float(np.mean(test["y"] ** 2)), rel=1e-12)
    assert report["ground_truth"]["mse"] == pytest.approx(
        mean_squared_error(test["y"], test["y_true"]), rel=1e-12
    )
    assert report["untrained"]["mse"] > report["trained"]["mse"]
    gap = report["optimization_gap"]
    assert gap["data_is_training_data"] is False  # the test set: not an optimization gap
    assert gap["data_mse"] == report["mse"]
    assert gap["data_mse"] >= gap["data_optimum_mse"] > 0
    assert gap["data_gap"] >= 0
    assert gap["training_mse"] >= gap["training_optimum_mse"] > 0
    params = report["parameters"]
    assert params["names"] == ["X", "intercept"]
    assert params["true"] == [3.0, 2.0]
    assert params["untrained"] == [0.0, 0.0]


def test_evaluate_compare_prints_and_plots(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    trained: tuple[Path, dict[str, Any]],
    test_csv: Path,
) -> None:
    model, _ = trained
    figures = tmp_path / "eval"
    result = run(capsys, "evaluate", model, test_csv, "--compare", "--plots", figures)
    assert result.code == 0, result.err
    for text in ("untrained", "ground truth", "Optimization gap", "Parameters"):
        assert text in result.out
    # The test set's difference to its own best line is not called an optimization gap.
    assert (
        "This data is not the training data: its difference is to the best line for this data"
        in " ".join(result.out.split())
    )
    names = {"eval_fit.png", "eval_residuals.png", "eval_untrained_vs_trained.png"}
    assert {p.name for p in figures.iterdir()} == names
    assert_images(sorted(figures.iterdir()), PNG_MAGIC)


# -- predict ---------------------------------------------------------------------------------
def test_predict_out_writes_x_times_coef_plus_intercept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_file: Path, test_csv: Path
) -> None:
    out = tmp_path / "pred.csv"
    result = run(capsys, "predict", model_file, test_csv, "--out", out)
    assert result.code == 0, result.err
    assert f"wrote 200 predictions to {out}" in result.out
    content = model_content(model_file)
    # Parsed by float(), correctly rounded: pandas < 3's default float parser is not.
    X = pd.read_csv(test_csv, dtype=str)[["X"]].astype(np.float64).to_numpy()
    written = pd.read_csv(out, dtype=str).astype(np.float64)
    # Every input column is kept, as written, beside the predictions (see --keep).
    assert list(written.columns) == [*pd.read_csv(test_csv, nrows=0).columns, "y_pred"]
    np.testing.assert_array_equal(written["X"], X[:, 0])
    np.testing.assert_array_equal(
        written["y_pred"], X @ np.asarray(content["coef"]) + content["intercept"]
    )
    assert leftovers(tmp_path) == []


def test_predict_json_and_stdout_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_file: Path
) -> None:
    # New data without a target column.
    new = write(tmp_path / "new.csv", "X\n0\n1\n2.5\n")
    content = model_content(model_file)
    expected = np.array([0.0, 1.0, 2.5]) * content["coef"][0] + content["intercept"]
    as_json = run(capsys, "predict", model_file, new, "--json")
    as_csv = run(capsys, "predict", model_file, new)
    assert as_json.code == as_csv.code == 0
    assert as_json.json() == {"predictions": expected.tolist(), "out": None}
    printed = pd.read_csv(io.StringIO(as_csv.out))
    np.testing.assert_array_equal(printed["y_pred"], expected)


# -- sweep -----------------------------------------------------------------------------------
def test_sweep_labels_the_three_learning_rates(
    capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    result = run(
        capsys, "sweep", train_csv, "--lrs", "0.001,0.005,0.1", "--epochs", "10000", "--json"
    )
    assert result.code == 0, result.err
    report = result.json()
    runs = {r["learning_rate"]: r for r in report["runs"]}
    assert list(runs) == [0.001, 0.005, 0.1]
    for r in runs.values():
        assert set(r) >= {"learning_rate", "status", "final_loss", "diverged_at_epoch"}
    assert runs[0.001]["status"] == "slow"
    assert runs[0.005]["status"] == "converged"
    assert runs[0.1]["status"] == "diverged"
    assert runs[0.001]["diverged_at_epoch"] is None
    assert runs[0.005]["diverged_at_epoch"] is None
    assert isinstance(runs[0.1]["diverged_at_epoch"], int)
    assert 0 < runs[0.1]["diverged_at_epoch"] < 10000
    assert runs[0.005]["epochs_run"] == 10000
    assert runs[0.005]["final_loss"] == pytest.approx(report["optimum_loss"], rel=1e-6)
    assert runs[0.001]["final_loss"] > runs[0.005]["final_loss"]
    assert 0.005 < report["max_stable_learning_rate"] < 0.1


def test_sweep_plots_and_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    figures = tmp_path / "figures"
    result = run(
        capsys, "sweep", train_csv, "--lrs", "0.001,0.1", "--epochs", "200", "--plots", figures
    )
    assert result.code == 0, result.err
    assert "eta_max" in result.out
    assert "diverged at epoch" in result.out
    assert_images([figures / "lr_sweep.png"], PNG_MAGIC)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lrs", "0.01,0"], "--lrs: learning rates must be positive numbers, got 0"),
        (["--lrs=-0.5"], "--lrs: learning rates must be positive numbers, got -0.5"),
        (["--lrs", "0.01,fast"], "--lrs must be comma-separated numbers, got '0.01,fast'"),
        (["--lrs", ","], "--lrs is empty"),
        (["--epochs", "0"], "epochs must be a positive integer, got 0"),
    ],
)
def test_sweep_rejects_bad_options(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    train_csv: Path,
    args: list[str],
    message: str,
) -> None:
    figures = tmp_path / "figures"
    result = run(capsys, "sweep", train_csv, *args, "--plots", figures)
    assert_one_error_line(result, message)
    assert not figures.exists()


# -- gradcheck -------------------------------------------------------------------------------
def test_gradcheck_passes(capsys: pytest.CaptureFixture[str], train_csv: Path) -> None:
    as_json = run(capsys, "gradcheck", train_csv, "--json")
    assert as_json.code == 0, as_json.err
    report = as_json.json()
    assert report["passed"] is True
    assert report["max_relative_error"] < report["tolerance"] == 1e-6
    assert [p["name"] for p in report["parameters"]] == ["W[0]", "b"]
    as_text = run(capsys, "gradcheck", train_csv)
    assert as_text.code == 0
    assert "PASS" in as_text.out


def half_gradient(self: LinearModel, X: Any, y: Any, y_pred: Any) -> Gradients:
    """A classic slip: the derivative of (1/N) sum r^2 written without its factor 2."""
    residual = y_pred - y
    return Gradients(dW=X.T @ residual / X.shape[0], db=float(np.mean(residual)))


def test_gradcheck_fails_on_a_wrong_gradient(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    monkeypatch.setattr(LinearModel, "backward", half_gradient)
    as_json = run(capsys, "gradcheck", train_csv, "--json")
    assert as_json.code == 1
    report = as_json.json()
    assert report["passed"] is False
    assert report["max_relative_error"] == pytest.approx(0.5, rel=1e-3)
    assert_one_error_line(as_json, "gradient check failed", "5.00e-01")
    as_text = run(capsys, "gradcheck", train_csv)
    assert as_text.code == 1
    assert "FAIL" in as_text.out
    assert_one_error_line(as_text, "gradient check failed")


def test_train_grad_check_refuses_to_train_on_a_wrong_gradient(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    train_csv: Path,
) -> None:
    monkeypatch.setattr(LinearModel, "backward", half_gradient)
    out = tmp_path / "model.json"
    result = run(capsys, "train", train_csv, "--grad-check", "--out", out)
    assert result.code == 1
    assert result.err.startswith("linreg: error: gradient check failed before training")
    assert "FAIL" in result.out  # the table goes to stdout, the error is one line
    assert not out.exists()


def test_a_failed_train_grad_check_is_one_error_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    train_csv: Path,
) -> None:
    monkeypatch.setattr(LinearModel, "backward", half_gradient)
    result = run(capsys, "train", train_csv, "--grad-check", "--out", tmp_path / "m.json")
    assert_one_error_line(result, "gradient check failed")
    assert len(result.err.splitlines()) == 1


# -- demo ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo") / "results"
    result = run_quietly("demo", "--out", out, "--json")
    assert result.code == 0, result.err
    return out, result.json()


def test_demo_writes_data_model_and_figures(demo: tuple[Path, dict[str, Any]]) -> None:
    out, report = demo
    for name in ("data/train.csv", "data/test.csv", "data/truth.json", "model.json", "lab.html"):
        assert (out / name).is_file(), name
    assert report["lab"] == str(out / "lab.html")
    figures = [Path(p) for p in report["figures"]]
    assert all(p.parent == out / "figures" for p in figures)
    names = {p.name for p in figures}
    assert {"loss_curve.png", "fit.png", "lr_sweep.png", "training.gif"} <= names
    assert_images([p for p in figures if p.suffix == ".png"], PNG_MAGIC)
    assert_images([p for p in figures if p.suffix == ".gif"], GIF_MAGIC)
    assert leftovers(out) == []
    assert sorted(figures) == sorted((out / "figures").iterdir())


def test_demo_counts_the_figures_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It once printed "9 figures (and the training animation)" for 8 PNGs and a GIF.
    from linreg.cli.demo import figure_summary

    pngs = [tmp_path / f"f{k}.png" for k in range(8)]
    assert (
        figure_summary([*pngs, tmp_path / "training.gif"]) == "8 figures and the training animation"
    )
    assert figure_summary(pngs[:1]) == "1 figure"


def test_demo_report_has_the_test_set_and_the_sweep(demo: tuple[Path, dict[str, Any]]) -> None:
    out, report = demo
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Metrics on held-out data" in page
    # Every link of the contents leads to a section of the page, the held-out one too.
    links = re.findall(r"<nav><ul>(.*?)</ul></nav>", page)[0]
    targets = re.findall(r'href="#([^"]+)"', links)
    assert "held-out" in targets
    for key in targets:
        assert f'id="{key}"' in page, key
    assert 'id="fig-lr_sweep"' in page
    trained = report["test_metrics"]["trained"]
    assert f"{trained['mse']:.6g}" in page  # the test MSE the demo printed


def test_demo_starts_from_the_notebooks_random_start(demo: tuple[Path, dict[str, Any]]) -> None:
    out, _ = demo
    start = model_content(out / "model.json")["history"]
    assert start["W"][0][0] == pytest.approx(
        -1.73827, abs=1e-5
    )  # LinearModel(init="random", seed=8)


def test_demo_learns_the_closed_form_near_the_truth(demo: tuple[Path, dict[str, Any]]) -> None:
    out, report = demo
    closed = report["closed_form"]
    assert abs(report["coef"][0] - closed["coef"][0]) < 1e-3
    assert abs(report["intercept"] - closed["intercept"]) < 1e-3
    assert report["coef"][0] == pytest.approx(3.0, abs=0.1)
    assert report["intercept"] == pytest.approx(2.0, abs=0.2)
    assert report["truth"] == {"coef": [3.0], "intercept": 2.0}
    saved = model_content(out / "model.json")
    assert saved["coef"] == report["coef"]
    metrics = report["test_metrics"]
    assert metrics["trained"]["mse"] < metrics["untrained"]["mse"]
    assert metrics["trained"]["mse"] == pytest.approx(metrics["ground_truth"]["mse"], rel=0.1)


def test_demo_runs_the_learning_rate_experiment(demo: tuple[Path, dict[str, Any]]) -> None:
    _, report = demo
    status = {r["learning_rate"]: r["status"] for r in report["sweep"]}
    # 0.02 is in the band just below eta_max where the steep direction oscillates but converges
    assert status == {0.001: "slow", 0.005: "converged", 0.02: "converged", 0.1: "diverged"}
    assert report["max_stable_learning_rate"] / 2 < 0.02 < report["max_stable_learning_rate"]
    diverged = report["sweep"][3]
    assert isinstance(diverged["diverged_at_epoch"], int)
    assert 0.005 < report["max_stable_learning_rate"] < 0.1


def test_demo_refuses_a_file_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = write(tmp_path / "results", "not a folder\n")
    assert_one_error_line(run(capsys, "demo", "--out", out), "must be a folder")
    assert out.read_text(encoding="utf-8") == "not a folder\n"


# -- bad input files, for every command that reads one ---------------------------------------
BAD_CSV = {
    "empty file": ("", "the file is empty"),
    "header only": ("X,y\n", "has a header but no data rows"),
    "non-numeric cell": (
        "X,y\n1,2\nx7,2\n3,4\n",
        "column 'X' line 3 has the non-numeric value 'x7'",
    ),
    "empty cell": ("X,y\n1,2\n2,\n3,4\n", "column 'y' line 3 has an empty cell"),
    "NaN": ("X,y\n1,2\n2,NaN\n3,4\n", "column 'y' line 3 has NaN"),
    "infinite": ("X,y\n1,2\n2,3\n-inf,4\n", "column 'X' line 4 has an infinite value"),
}


def command_reading(command: str, csv: Path, folder: Path, model: Path) -> tuple[list[Any], Path]:
    """argv of ``command`` reading ``csv``, and a file in the folder its outputs would go to."""
    guarded = folder / "outputs" / "result.out"
    argv: dict[str, list[Any]] = {
        "train": ["train", csv, "--epochs", "5", "--quiet", "--out", guarded],
        "sweep": ["sweep", csv, "--epochs", "5", "--plots", folder / "outputs"],
        "gradcheck": ["gradcheck", csv],
        "evaluate": ["evaluate", model, csv, "--plots", folder / "outputs"],
        "predict": ["predict", model, csv, "--out", guarded],
    }
    return argv[command], guarded


def assert_untouched(folder: Path, guarded: Path) -> None:
    """The pre-existing output keeps its bytes and nothing else appeared."""
    assert guarded.read_bytes() == KNOWN
    assert sorted(p.name for p in guarded.parent.iterdir()) == [guarded.name]
    assert leftovers(folder) == []


COMMANDS_READING = ("train", "sweep", "gradcheck", "evaluate", "predict")


@pytest.mark.parametrize("command", COMMANDS_READING)
@pytest.mark.parametrize(("text", "message"), BAD_CSV.values(), ids=BAD_CSV.keys())
def test_bad_csv_is_one_error_line_naming_file_and_place(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    model_file: Path,
    command: str,
    text: str,
    message: str,
) -> None:
    csv = write(tmp_path / "bad.csv", text)
    argv, guarded = command_reading(command, csv, tmp_path, model_file)
    write(guarded, KNOWN.decode())
    assert_one_error_line(run(capsys, *argv), f"{csv}: ", message)
    assert_untouched(tmp_path, guarded)


@pytest.mark.parametrize("command", COMMANDS_READING)
def test_a_missing_csv_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_file: Path, command: str
) -> None:
    csv = tmp_path / "no_such.csv"
    argv, guarded = command_reading(command, csv, tmp_path, model_file)
    write(guarded, KNOWN.decode())
    assert_one_error_line(run(capsys, *argv), f"{csv}: file not found")
    assert_untouched(tmp_path, guarded)


@pytest.mark.parametrize("command", ["train", "sweep", "gradcheck", "evaluate"])
def test_a_missing_target_column_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_file: Path, command: str
) -> None:
    csv = write(tmp_path / "no_target.csv", "X,price\n1,2\n2,4\n3,6\n")
    argv, guarded = command_reading(command, csv, tmp_path, model_file)
    write(guarded, KNOWN.decode())
    assert_one_error_line(run(capsys, *argv), f"{csv}: no target column 'y' (columns: X, price)")
    assert_untouched(tmp_path, guarded)


# -- bad training runs: the old model survives -----------------------------------------------
FEW_ROWS = "x1,x2,x3,y\n1,2,3,4\n5,6,7,9\n9,1,2,3\n"

TRAIN_ERRORS = {
    "one row": ("X,y\n1,2\n", [], "the data have only one row"),
    "fewer rows than features": (FEW_ROWS, [], "the data have 3 rows but 4 parameters"),
    "lr 0": (None, ["--lr", "0"], "learning rate must be a positive number, got 0.0"),
    "lr negative": (None, ["--lr=-0.01"], "learning rate must be a positive number, got -0.01"),
    "lr inf": (None, ["--lr", "inf"], "learning rate must be a positive number, got inf"),
    "epochs 0": (None, ["--epochs", "0"], "epochs must be a positive integer, got 0"),
    "epochs negative": (None, ["--epochs=-3"], "epochs must be a positive integer, got -3"),
    "batch size 0": (None, ["--solver", "sgd", "--batch-size", "0"], "batch size must be"),
    "momentum 1": (None, ["--momentum", "1"], "momentum must be in [0, 1), got 1.0"),
    "tol 0": (None, ["--tol", "0"], "tol must be a positive number, got 0.0"),
    "unknown feature": (None, ["--features", "X,z"], "no feature column(s) 'z'"),
    "unknown target": (None, ["--target", "price"], "no target column 'price'"),
    "target as feature": (None, ["--features", "X,y"], "the target 'y' cannot also be a feature"),
}


@pytest.mark.parametrize(("text", "args", "message"), TRAIN_ERRORS.values(), ids=list(TRAIN_ERRORS))
def test_a_failing_train_leaves_the_old_model_intact(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    train_csv: Path,
    text: str | None,
    args: list[str],
    message: str,
) -> None:
    csv = train_csv if text is None else write(tmp_path / "small.csv", text)
    out = tmp_path / "model.json"
    out.write_bytes(KNOWN)
    # The case's own options come last, so that its --epochs wins over the default 5.
    result = run(capsys, "train", csv, "--epochs", "5", "--quiet", "--out", out, *args)
    line = assert_one_error_line(result, message)
    if text is not None:  # a problem of the data: the message says which file
        assert line.startswith(f"linreg: error: {csv}: "), line
    assert out.read_bytes() == KNOWN
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {"model.json", *([] if text is None else ["small.csv"])}
    )


def test_train_rejects_a_folder_as_model_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    result = run(capsys, "train", train_csv, "--out", tmp_path)
    assert_one_error_line(result, f"{tmp_path}: --out must be a file name for the model")


def test_train_rejects_a_file_as_plots_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    plots = write(tmp_path / "figs", "a file\n")
    out = tmp_path / "m.json"
    result = run(capsys, "train", train_csv, "--out", out, "--plots", plots)
    assert_one_error_line(result, f"{plots}: --plots must be a folder")
    assert not out.exists()


def test_train_rejects_validation_data_with_other_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], train_csv: Path
) -> None:
    val = write(tmp_path / "val.csv", "size,y\n1,2\n2,3\n")
    out = tmp_path / "m.json"
    result = run(capsys, "train", train_csv, "--val", val, "--out", out)
    assert_one_error_line(result, f"{val}: no feature column(s) 'X'")
    assert not out.exists()


def test_a_constant_feature_is_a_warning_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = "\n".join(f"{x},7,{3 * x + 2 + (-1) ** x * 0.1}" for x in range(20))
    csv = write(tmp_path / "const.csv", f"x1,x2,y\n{rows}\n")
    out = tmp_path / "m.json"
    result = run(capsys, "train", csv, "--epochs", "20", "--lr", "0.001", "--out", out, "--json")
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert "linreg: error" not in result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("linreg: warning: ")]
    assert any("x2" in line and "constant" in line for line in warnings), result.err
    assert result.json()["epochs_run"] == 20
    assert out.is_file()


def test_a_truth_file_for_other_data_does_not_crash_train(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(capsys, "generate", "--features", "2", "--samples", "40", "--out", tmp_path).code == 0
    )
    # A one-feature truth left beside two-feature data (say, from an earlier generate).
    write(tmp_path / "truth.json", '{"weights": [3.0], "bias": 2.0}\n')
    result = run(capsys, "train", tmp_path / "train.csv", "--epochs", "5", "--quiet",
                 "--out", tmp_path / "m.json")  # fmt: skip
    assert "Traceback" not in result.err
    assert result.code == 0 or result.err.startswith("linreg: error: ")


# -- evaluate/predict with the wrong model or data -------------------------------------------
@pytest.mark.parametrize("command", ["evaluate", "predict"])
@pytest.mark.parametrize(
    ("header", "missing"),
    [("size,y", "'X'"), ("x1,x2,y", "'X'")],
    ids=["renamed feature", "other features"],
)
def test_data_without_the_models_features_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    model_file: Path,
    command: str,
    header: str,
    missing: str,
) -> None:
    values = ",".join(["1"] * len(header.split(",")))
    csv = write(tmp_path / "other.csv", f"{header}\n{values}\n{values}\n")
    out = tmp_path / "pred.csv"
    extra = ["--out", out] if command == "predict" else []
    result = run(capsys, command, model_file, csv, *extra)
    assert_one_error_line(result, f"{csv}: no feature column(s) {missing}")
    assert not out.exists()


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_a_two_feature_model_refuses_one_feature_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, test_csv: Path
) -> None:
    X = np.random.default_rng(1).uniform(size=(30, 2))
    model = LinearRegression(epochs=5).fit(X, X @ [1.0, 2.0])
    path = save_model(model, tmp_path / "two.json", feature_names=["X", "age"])
    result = run(capsys, command, path, test_csv)
    assert_one_error_line(result, f"{test_csv}: no feature column(s) 'age'")


def corrupt(content: dict[str, Any], field: str, value: Any) -> str:
    content[field] = value
    return json.dumps(content)


MODEL_DAMAGE: dict[str, tuple[Callable[[str], str], str]] = {
    "truncated JSON": (lambda t: t[: len(t) // 3], "not valid JSON"),
    "empty": (lambda t: "", "not valid JSON"),
    "wrong format": (
        lambda t: corrupt(json.loads(t), "format", "keras-model"),
        'not a linreg model file (no "format": "linreg-model")',
    ),
    "newer format_version": (
        lambda t: corrupt(json.loads(t), "format_version", 99),
        "written by a newer linreg",
    ),
    "non-numeric coef": (
        lambda t: corrupt(json.loads(t), "coef", ["three"]),
        "field 'coef' must be a non-empty list of finite numbers",
    ),
    "missing intercept": (
        lambda t: corrupt(json.loads(t), "intercept", None),
        "field 'intercept'",
    ),
}


@pytest.mark.parametrize("command", ["evaluate", "predict"])
@pytest.mark.parametrize(("damage", "message"), MODEL_DAMAGE.values(), ids=list(MODEL_DAMAGE))
def test_a_corrupt_model_file_is_one_error_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    model_file: Path,
    test_csv: Path,
    command: str,
    damage: Callable[[str], str],
    message: str,
) -> None:
    bad = write(tmp_path / "bad_model.json", damage(model_file.read_text(encoding="utf-8")))
    out = tmp_path / "pred.csv"
    extra = ["--out", out] if command == "predict" else []
    assert_one_error_line(run(capsys, command, bad, test_csv, *extra), f"{bad}: ", message)
    assert not out.exists()


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_a_missing_model_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], test_csv: Path, command: str
) -> None:
    missing = tmp_path / "model.json"
    assert_one_error_line(
        run(capsys, command, missing, test_csv), f"{missing}: model file not found"
    )


def test_evaluate_compare_on_a_model_with_a_corrupt_extra_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model_file: Path, test_csv: Path
) -> None:
    bad = write(tmp_path / "m.json", corrupt(model_content(model_file), "extra", []))
    assert_one_error_line(run(capsys, "evaluate", bad, test_csv, "--compare"), "'extra'")


# -- the real command, in a subprocess -------------------------------------------------------
LAUNCHERS = {
    "python -m linreg.cli.main": [sys.executable, "-m", "linreg.cli.main"],
    "python -m linreg_launch": [sys.executable, "-m", "linreg_launch"],
    "linreg script": [str(Path(sys.executable).with_name("linreg"))],
}


@pytest.fixture(params=list(LAUNCHERS), ids=list(LAUNCHERS))
def launcher(request: pytest.FixtureRequest) -> list[str]:
    command = LAUNCHERS[request.param]
    if not Path(command[0]).is_file():
        pytest.skip(f"{command[0]} is not installed")
    return command


def subprocess_run(launcher: list[str], cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "120"}
    return subprocess.run(
        [*launcher, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_subprocess_error_is_exit_1_and_one_line(launcher: list[str], tmp_path: Path) -> None:
    (tmp_path / "model.json").write_bytes(KNOWN)
    done = subprocess_run(launcher, tmp_path, "train", "missing.csv", "--out", "model.json")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "linreg: error: missing.csv: file not found; check the path\n"
    assert (tmp_path / "model.json").read_bytes() == KNOWN


def test_subprocess_bad_cell_and_corrupt_model(launcher: list[str], tmp_path: Path) -> None:
    write(tmp_path / "d.csv", "X,y\n1,2\n2,oops\n")
    done = subprocess_run(launcher, tmp_path, "gradcheck", "d.csv")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "linreg: error: d.csv: column 'y' line 3 has the non-numeric value 'oops'; "
        "fix or remove that row (every cell must be a number)"
    ]
    write(tmp_path / "m.json", '{"format": "linreg-model", "format_versi')
    done = subprocess_run(launcher, tmp_path, "predict", "m.json", "d.csv")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("linreg: error: m.json: not valid JSON")


def test_subprocess_success_is_exit_0_with_json(launcher: list[str], tmp_path: Path) -> None:
    done = subprocess_run(launcher, tmp_path, "generate", "--samples", "20", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout)
    assert (report["n_train"], report["n_test"]) == (16, 4)
    assert (tmp_path / "data" / "train.csv").is_file()
