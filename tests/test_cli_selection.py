"""``linreg cv`` and ``linreg curves``: the library's numbers, figures, one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.model_selection import KFold, cross_val_score

from cli_helpers import PNG_MAGIC, assert_one_error_line, run
from linreg.cli.selection import parse_values
from linreg.errors import LinregError


@pytest.fixture(scope="module")
def linear_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X @ [1.0, -2.0] + 0.5 + rng.normal(size=60)
    path = tmp_path_factory.mktemp("data") / "linear.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="a,b,y", comments="")
    return path


@pytest.fixture(scope="module")
def curve_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=50)
    y = np.sin(3 * x) + 0.1 * rng.normal(size=50)
    path = tmp_path_factory.mktemp("data") / "curve.csv"
    np.savetxt(path, np.c_[x, y], delimiter=",", header="x,y", comments="")
    return path


def test_cv_is_sklearns_cross_val_score(
    capsys: pytest.CaptureFixture[str], linear_csv: Path
) -> None:
    result = run(capsys, "cv", linear_csv, "--folds", "4", "--seed", "3", "--json")
    assert result.code == 0, result.err
    data = np.loadtxt(linear_csv, delimiter=",", skiprows=1)
    theirs = -cross_val_score(
        SkLinearRegression(),
        data[:, :2],
        data[:, 2],
        cv=KFold(4, shuffle=True, random_state=3),
        scoring="neg_mean_squared_error",
    )
    np.testing.assert_allclose(result.json()["test_score"], theirs, rtol=1e-10)
    assert result.json()["mean"] == pytest.approx(theirs.mean())
    table = run(capsys, "cv", linear_csv, "--folds", "4", "--seed", "3")
    assert table.code == 0
    assert "mean mse" in table.out


def test_cv_chooses_alpha(capsys: pytest.CaptureFixture[str], linear_csv: Path) -> None:
    result = run(capsys, "cv", linear_csv, "--alpha", "0,0.1,1,10", "--json")
    assert result.code == 0, result.err
    payload = result.json()
    assert payload["best_alpha"] == payload["alphas"][int(np.argmin(payload["mean"]))]
    assert payload["best_alpha"] in (0.0, 0.1)  # 10 shrinks a clear signal far too much
    table = run(capsys, "cv", linear_csv, "--alpha", "0,0.1,1,10", "--solver", "gd", "--lr", "0.02")
    assert table.code == 0
    assert "(best)" in table.out


def test_curves_validation_degree(
    capsys: pytest.CaptureFixture[str], curve_csv: Path, tmp_path: Path
) -> None:
    result = run(
        capsys,
        "curves",
        curve_csv,
        "--kind",
        "validation",
        "--param",
        "degree",
        "--values",
        "1..6",
        "--plots",
        tmp_path,
        "--json",
    )
    assert result.code == 0, result.err
    payload = result.json()
    assert payload["values"] == list(range(1, 7))
    assert 3 <= payload["best"] <= 6  # a sine needs more than a line or a parabola
    assert np.all(np.diff(payload["train_mean"]) <= 1e-12)  # more degrees never fit worse
    assert (tmp_path / "validation_curve.png").read_bytes().startswith(PNG_MAGIC)


def test_curves_learning_and_alpha(
    capsys: pytest.CaptureFixture[str], linear_csv: Path, tmp_path: Path
) -> None:
    result = run(capsys, "curves", linear_csv, "--plots", tmp_path, "--train-sizes", "0.25,1")
    assert result.code == 0, result.err
    assert (tmp_path / "learning_curve.png").read_bytes().startswith(PNG_MAGIC)
    result = run(
        capsys,
        "curves",
        linear_csv,
        "--kind",
        "validation",
        "--param",
        "alpha",
        "--values",
        "0,0.01,1,100",
        "--json",
    )
    assert result.code == 0, result.err
    assert result.json()["best"] in (0, 0.01)
    # Two features: a polynomial in both, with their interaction; the truth is degree 1.
    result = run(
        capsys,
        "curves",
        linear_csv,
        "--kind",
        "validation",
        "--param",
        "degree",
        "--values",
        "1..3",
        "--json",
    )
    assert result.code == 0, result.err
    assert result.json()["best"] == 1


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["cv", "{linear}", "--folds", "61"], ["cv=61 folds is more than the 60 rows"]),
        (["cv", "{linear}", "--folds", "1"], ["must be a whole number >= 2, got 1"]),
        (["cv", "{linear}", "--alpha", "-1"], ["--alpha must be numbers >= 0"]),
        (
            ["curves", "{linear}", "--kind", "validation", "--param", "colour", "--values", "1"],
            ["'colour' is not a parameter of LinearRegression"],
        ),
        (
            ["curves", "{linear}", "--kind", "validation", "--param", "degree", "--values", "0,1"],
            ["degree must be an integer >= 1, got 0"],
        ),
        (
            ["curves", "{linear}", "--kind", "validation", "--param", "solver", "--values", "1"],
            ["is not a number"],
        ),
        (["curves", "{linear}", "--kind", "validation"], ["needs --param NAME"]),
        (
            ["curves", "{linear}", "--kind", "validation", "--param", "epochs", "--values", "1.5"],
            ["whole numbers"],
        ),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], linear_csv: Path, args: list[str], fragments: list[str]
) -> None:
    argv = [str(linear_csv) if a == "{linear}" else a for a in args]
    assert_one_error_line(run(capsys, *argv), *fragments)


def test_parse_values() -> None:
    assert parse_values("1..4", integer=True) == [1, 2, 3, 4]
    assert parse_values("0.1,1", integer=False) == [0.1, 1.0]
    assert parse_values("2,3", integer=True) == [2, 3]
    for bad in ("5..1", "1..x", "1..5000", "nan"):
        with pytest.raises(LinregError, match="--values"):
            parse_values(bad, integer=False)


def test_copied_schedules_are_the_librarys() -> None:
    from linreg.cli.args import LR_SCHEDULES
    from linreg.training import SCHEDULES

    assert LR_SCHEDULES == SCHEDULES
