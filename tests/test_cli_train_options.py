"""``linreg train``'s learning-rate schedules and early stopping: the library's fits, from
the command line, and one clear line for each flag given where it cannot work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cli_helpers import assert_one_error_line, run, run_quietly
from linreg import LinearRegression
from linreg.io.tables import read_table


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("options") / "data"
    assert run_quietly("generate", "--samples", "2000", "--out", folder).code == 0
    return folder


def _library_fit(data: Path, **params: object) -> LinearRegression:
    train, val = read_table(data / "train.csv"), read_table(data / "test.csv")
    assert train.y is not None
    assert val.y is not None
    return LinearRegression(**params).fit(train.X, train.y, val.X, val.y)  # type: ignore[arg-type]


def test_early_stopping_keeps_the_library_s_best_epoch(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    result = run(
        capsys, "train", data / "train.csv", "--val", data / "test.csv", "--early-stopping",
        "--patience", "5", "--lr", "0.001", "--epochs", "5000", "--out", tmp_path / "m.json",
        "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    oracle = _library_fit(
        data, learning_rate=0.001, epochs=5000, early_stopping=True, n_iter_no_change=5
    )
    assert report["stop_reason"] == "early_stopping" == oracle.stop_reason_
    assert report["best_epoch"] == oracle.best_epoch_
    assert report["epochs_run"] == oracle.n_iter_ < 5000
    np.testing.assert_array_equal(report["coef"], oracle.coef_)
    assert report["intercept"] == oracle.intercept_


def test_the_table_names_the_epoch_kept(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    result = run(
        capsys, "train", data / "train.csv", "--val", data / "test.csv", "--early-stopping",
        "--patience", "2", "--lr", "0.001", "--epochs", "5000", "--quiet",
        "--out", tmp_path / "m.json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "parameters kept from epoch" in result.out
    assert "early_stopping" in result.out


@pytest.mark.parametrize(
    ("flags", "params"),
    [
        (["--lr-schedule", "step", "--decay-every", "50", "--decay-factor", "0.3"],
         {"lr_schedule": "step", "decay_every": 50, "decay_factor": 0.3}),
        (["--lr-schedule", "invscaling", "--power-t", "0.5"],
         {"lr_schedule": "invscaling", "power_t": 0.5}),
        (["--lr-schedule", "invscaling", "--solver", "sgd", "--batch-size", "16"],
         {"lr_schedule": "invscaling", "solver": "sgd", "batch_size": 16}),
    ],
)  # fmt: skip
def test_a_schedule_fits_as_the_library_does(
    capsys: pytest.CaptureFixture[str],
    data: Path,
    tmp_path: Path,
    flags: list[str],
    params: dict[str, object],
) -> None:
    result = run(
        capsys, "train", data / "train.csv", "--epochs", "300", "--lr", "0.02", *flags,
        "--out", tmp_path / "m.json", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    train = read_table(data / "train.csv")
    assert train.y is not None
    oracle = LinearRegression(learning_rate=0.02, epochs=300, **params).fit(train.X, train.y)  # type: ignore[arg-type]
    assert report["lr_schedule"] == params["lr_schedule"]
    np.testing.assert_allclose(report["coef"], oracle.coef_, rtol=1e-12)
    assert report["intercept"] == pytest.approx(oracle.intercept_, rel=1e-12)
    # A decaying step moves less than the constant one from the same start.
    constant = LinearRegression(learning_rate=0.02, epochs=300).fit(train.X, train.y)
    assert report["final_loss"] != constant.history_.final_loss


@pytest.mark.parametrize(
    ("flags", "fragments"),
    [
        (["--early-stopping"], ("--early-stopping", "--val")),
        (["--early-stopping", "--val", "VAL", "--solver", "exact"], ("--early-stopping", "exact")),
        (["--early-stopping", "--val", "VAL", "--stream"], ("--early-stopping", "memory")),
    ],
)
def test_early_stopping_where_it_cannot_work_is_one_line(
    capsys: pytest.CaptureFixture[str],
    data: Path,
    tmp_path: Path,
    flags: list[str],
    fragments: tuple[str, ...],
) -> None:
    out = tmp_path / "m.json"
    argv = [str(data / "test.csv") if f == "VAL" else f for f in flags]
    result = run(capsys, "train", data / "train.csv", *argv, "--out", out)
    assert_one_error_line(result, *fragments)
    assert not out.exists()


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--decay-factor", "1.5"], "--decay-factor: must be a number in (0, 1], got '1.5'"),
        (["--power-t", "-1"], "--power-t: must be a number > 0"),
        (["--power-t", "inf"], "--power-t: must be a number > 0"),
        (["--decay-every", "0"], "--decay-every: must be a whole number from 1"),
        (["--patience", "0"], "--patience: must be a whole number from 1"),
        (["--lr-schedule", "cosine"], "--lr-schedule: invalid choice"),
    ],
)
def test_a_bad_schedule_flag_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], data: Path, flags: list[str], fragment: str
) -> None:
    with pytest.raises(SystemExit) as info:
        run(capsys, "train", data / "train.csv", *flags)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err
