"""The visual lab end to end: ``linreg compare-optimizers`` and ``linreg scaling``.

Every test runs the real command in-process (:func:`linreg.cli.main.main`) on a small
CSV in a temporary folder and reads what it printed with ``capsys``. Figures are
checked as files (valid PNGs of the size the plotting module promises) and as
drawings: the path on the landscape must be, point for point, the path of an
independent run of :class:`linreg.LinearRegression` with the same settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from cli_helpers import PNG_MAGIC, Result, assert_one_error_line, run
from linreg import LinearRegression, make_regression, stability
from linreg.errors import LinregError
from linreg.history import History
from linreg.io.tables import read_table, write_dataset_csv
from linreg.viz import plots
from linreg.viz.lab import (
    SCALING_FRACTION,
    SGD_SAFETY,
    compare_optimizers,
    epochs_to_converge,
    record_steps,
    standardize,
)

N_ROWS = 120
EPOCHS = 15
BATCH = 16
RUN_NAMES = ["full-batch GD", f"mini-batch SGD (batch {BATCH})", "SGD (batch 1)"]


def assert_png(path: Path, size: tuple[int, int]) -> None:
    assert path.read_bytes().startswith(PNG_MAGIC), path
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == size


def figure_size(figsize: tuple[float, float]) -> tuple[int, int]:
    return round(figsize[0] * plots.DPI), round(figsize[1] * plots.DPI)


def drawn_paths(fig: Figure) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (x, y) data of every optimizer path drawn, in drawing order."""
    return [
        (np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float))
        for ax in fig.axes
        for line in ax.get_lines()
        if line.get_gid() == "optimizer-path"
    ]


def path_lines(fig: Figure) -> list[Line2D]:
    """The optimizer paths drawn (lines with ``gid="optimizer-path"``), in drawing order."""
    return [
        line for ax in fig.axes for line in ax.get_lines() if line.get_gid() == "optimizer-path"
    ]


def line_data(line: Line2D) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def assert_same_path(drawn: tuple[np.ndarray, np.ndarray], history: History) -> None:
    np.testing.assert_array_equal(drawn[0], history.W[:, 0])
    np.testing.assert_array_equal(drawn[1], history.b)


@pytest.fixture
def saved_figures(monkeypatch: pytest.MonkeyPatch) -> dict[str, Figure]:
    """Figures passed to ``plots.save_figure``, by file name (they are still written)."""
    figures: dict[str, Figure] = {}
    original = plots.save_figure

    def keep(fig: Figure, path: Any) -> Path:
        figures[Path(path).name] = fig
        return original(fig, path)

    monkeypatch.setattr(plots, "save_figure", keep)
    return figures


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """y = 3x + 2 + noise, x in [0, 10): condition number about 150 before scaling."""
    path = tmp_path_factory.mktemp("lab") / "train.csv"
    write_dataset_csv(path, make_regression(n_samples=N_ROWS, seed=0))
    return path


def xy(path: Path) -> tuple[np.ndarray, np.ndarray]:
    table = read_table(path)
    assert table.y is not None
    return table.X, table.y


# -- compare-optimizers ----------------------------------------------------------------------
def compare(capsys: pytest.CaptureFixture[str], data: Path, *extra: str | Path) -> Result:
    return run(
        capsys, "compare-optimizers", data, "--epochs", EPOCHS, "--batch-size", BATCH, *extra
    )


def test_compare_json_reports_every_run(capsys: pytest.CaptureFixture[str], data_csv: Path) -> None:
    result = compare(capsys, data_csv, "--json")
    assert result.code == 0, result.err
    out = result.json()
    assert [r["name"] for r in out["runs"]] == RUN_NAMES
    X, _ = xy(data_csv)
    optimum = np.append(out["optimum"]["coef"], out["optimum"]["intercept"])
    for run_, batch in zip(out["runs"], [N_ROWS, BATCH, 1], strict=True):
        for key in ("name", "learning_rate", "batch_size", "final_loss", "distance_to_optimum"):
            assert key in run_, key
        assert run_["batch_size"] == batch
        assert run_["status"] == "stable"
        assert run_["epochs_run"] == EPOCHS
        assert run_["updates"] == EPOCHS * -(-N_ROWS // batch)
        theta = np.append(run_["coef"], run_["intercept"])
        assert run_["distance_to_optimum"] == pytest.approx(np.linalg.norm(theta - optimum))
        assert run_["final_loss"] >= out["optimum"]["loss"] * (1 - 1e-12)
    # GD and mini-batch SGD share --lr; batch-1 SGD is capped below its stability limit.
    assert out["runs"][0]["learning_rate"] == out["runs"][1]["learning_rate"] == 0.01
    cap = SGD_SAFETY / float(np.max(X[:, 0] ** 2 + 1.0))
    assert out["runs"][2]["learning_rate"] == pytest.approx(min(0.01, cap))
    assert out["max_stable_learning_rate"] == pytest.approx(stability(X).max_stable_learning_rate)
    assert out["figures"] == []


def test_compare_figure_draws_each_optimizers_own_path(
    capsys: pytest.CaptureFixture[str],
    data_csv: Path,
    tmp_path: Path,
    saved_figures: dict[str, Figure],
) -> None:
    result = compare(capsys, data_csv, "--sgd-lr", "0.002", "--plots", tmp_path, "--json")
    assert result.code == 0, result.err
    out = result.json()
    figure = tmp_path / "optimizers.png"
    assert out["figures"] == [str(figure)]
    assert_png(figure, figure_size((7.6, 6.4)))
    assert out["runs"][2]["learning_rate"] == 0.002

    # The same three runs, made independently of the lab.
    X, y = xy(data_csv)
    settings: list[dict[str, Any]] = [
        {"solver": "gd", "learning_rate": 0.01},
        {"solver": "sgd", "learning_rate": 0.01, "batch_size": BATCH},
        {"solver": "sgd", "learning_rate": 0.002, "batch_size": 1},
    ]
    lines = path_lines(saved_figures["optimizers.png"])
    assert len(lines) == 3
    for line, setting in zip(lines, settings, strict=True):
        model = LinearRegression(epochs=EPOCHS, **setting).fit(X, y)
        drawn = line_data(line)
        assert drawn[0][0] == drawn[1][0] == 0.0  # the same start: W = 0, b = 0
        if setting["solver"] == "gd":
            assert_same_path(drawn, model.history_)  # one update per epoch
            continue
        # SGD: every update within the epochs is drawn, a dot at each epoch end,
        # and the epoch ends are the independent run's history, point for point.
        per_epoch = -(-N_ROWS // setting["batch_size"])
        assert drawn[0].shape == (EPOCHS * per_epoch + 1,)
        ends = np.asarray(line.get_markevery())
        np.testing.assert_array_equal(ends, np.arange(EPOCHS + 1) * per_epoch)
        assert_same_path((drawn[0][ends], drawn[1][ends]), model.history_)
        assert line.get_linewidth() < 1.0  # thin: the noise shows, not a thick line


def test_single_row_sgd_path_has_every_update_and_its_epoch_ends_are_the_history(
    data_csv: Path,
) -> None:
    X, y = xy(data_csv)
    result = compare_optimizers(X, y, epochs=EPOCHS, batch_size=BATCH, sgd_learning_rate=0.002)
    gd, mini, single = result.runs
    assert gd.steps is None  # one update per epoch: the history is the whole path
    for run_, per_epoch in ((mini, -(-N_ROWS // BATCH)), (single, N_ROWS)):
        steps = run_.steps
        assert steps is not None
        assert steps.updates_per_epoch == per_epoch
        np.testing.assert_array_equal(steps.update, np.arange(EPOCHS * per_epoch + 1))
        np.testing.assert_array_equal(steps.W[steps.epoch_ends], run_.history.W)
        np.testing.assert_array_equal(steps.b[steps.epoch_ends], run_.history.b)
    # Within an epoch single-row SGD wanders: its steps are not on the epoch-to-epoch line.
    assert single.steps is not None
    inside = np.setdiff1d(np.arange(single.steps.b.size), single.steps.epoch_ends)
    assert np.ptp(single.steps.b[inside[:N_ROWS]]) > 0


def test_record_steps_keeps_every_kth_update_and_every_epoch_end(data_csv: Path) -> None:
    X, y = xy(data_csv)
    epochs, cap = 7, 100  # 840 updates: every 9th kept, and each epoch end (120 k)
    steps = record_steps(X, y, learning_rate=0.002, epochs=epochs, batch_size=1, max_points=cap)
    expected = np.union1d(np.arange(0, epochs * N_ROWS + 1, 9), np.arange(epochs + 1) * N_ROWS)
    np.testing.assert_array_equal(steps.update, expected)
    assert steps.b.size <= cap + epochs + 1
    model = LinearRegression(solver="sgd", learning_rate=0.002, batch_size=1, epochs=epochs)
    model.fit(X, y)
    np.testing.assert_array_equal(steps.W[steps.epoch_ends], model.history_.W)
    np.testing.assert_array_equal(steps.b[steps.epoch_ends], model.history_.b)


def test_record_steps_refuses_a_cap_below_one(data_csv: Path) -> None:
    X, y = xy(data_csv)
    with pytest.raises(LinregError, match="max_points"):
        record_steps(X, y, learning_rate=0.002, epochs=1, batch_size=1, max_points=0)


def test_record_steps_of_a_diverging_run_stop_at_its_last_finite_epoch(data_csv: Path) -> None:
    X, y = xy(data_csv)
    steps = record_steps(X, y, learning_rate=0.5, epochs=50, batch_size=BATCH)
    assert steps.update[-1] % steps.updates_per_epoch == 0
    assert steps.update[-1] < 50 * steps.updates_per_epoch
    assert np.all(np.isfinite(steps.W))
    assert np.all(np.isfinite(steps.b))


def test_compare_reports_a_diverged_run_and_leaves_it_out_of_the_figure(
    capsys: pytest.CaptureFixture[str],
    data_csv: Path,
    tmp_path: Path,
    saved_figures: dict[str, Figure],
) -> None:
    result = compare(capsys, data_csv, "--lr", "0.2", "--plots", tmp_path, "--json")
    assert result.code == 0, result.err
    runs = result.json()["runs"]
    assert runs[0]["status"] == "diverged"
    assert isinstance(runs[0]["diverged_at_epoch"], int)
    assert runs[0]["final_loss"] is None or np.isfinite(runs[0]["final_loss"])
    stable = [r for r in runs if r["status"] == "stable"]
    assert stable, "batch-1 SGD is capped, so it stays stable"
    assert len(drawn_paths(saved_figures["optimizers.png"])) == len(stable)
    assert "diverged runs are not drawn" in result.json()["note"]


def test_compare_prints_a_table(capsys: pytest.CaptureFixture[str], data_csv: Path) -> None:
    result = compare(capsys, data_csv, "--quiet")
    assert result.code == 0, result.err
    for text in ("full-batch GD", "SGD (batch 1)", "distance", "least-squares optimum MSE"):
        assert text in result.out
    assert "max ||[x_i, 1]||^2" in result.out  # printed as written, not taken for markup


# -- scaling ---------------------------------------------------------------------------------
def test_scaling_json_standardizing_gives_kappa_one_and_fewer_epochs(
    capsys: pytest.CaptureFixture[str], data_csv: Path
) -> None:
    result = run(capsys, "scaling", data_csv, "--epochs", "1500", "--json")
    assert result.code == 0, result.err
    out = result.json()
    keys = ("condition_number", "max_stable_learning_rate", "learning_rate", "epochs_to_converge")
    for part in ("raw", "standardized"):
        for key in keys:
            assert key in out[part], (part, key)
        facts = out[part]
        # The default: the same fraction of each problem's own eta_max.
        assert facts["learning_rate"] == pytest.approx(
            SCALING_FRACTION * facts["max_stable_learning_rate"]
        )
    raw, std = out["raw"], out["standardized"]
    X, _ = xy(data_csv)
    assert raw["condition_number"] == pytest.approx(stability(X).condition_number)
    assert raw["condition_number"] > 50
    assert std["condition_number"] == pytest.approx(1.0, abs=1e-9)
    assert raw["epochs_to_converge"] is not None
    assert std["epochs_to_converge"] < raw["epochs_to_converge"]
    assert std["epochs_to_within_0.1_percent"] <= std["epochs_to_converge"]
    assert std["mean"] == pytest.approx([X[:, 0].mean()])


def test_scaling_figure_draws_raw_and_standardized_paths(
    capsys: pytest.CaptureFixture[str],
    data_csv: Path,
    tmp_path: Path,
    saved_figures: dict[str, Figure],
) -> None:
    result = run(capsys, "scaling", data_csv, "--epochs", "300", "--plots", tmp_path, "--json")
    assert result.code == 0, result.err
    out = result.json()
    figure = tmp_path / "scaling.png"
    assert out["figures"] == [str(figure)]
    assert_png(figure, figure_size((13.0, 6.0)))

    X, y = xy(data_csv)
    Z, _, _ = standardize(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0)
    raw = LinearRegression(learning_rate=out["raw"]["learning_rate"], epochs=300).fit(X, y)
    std = LinearRegression(learning_rate=out["standardized"]["learning_rate"], epochs=300)
    std.fit(Z, y)  # trained on Z itself: its path is in standardized units
    paths = drawn_paths(saved_figures["scaling.png"])
    assert len(paths) == 2
    assert_same_path(paths[0], raw.history_)
    assert_same_path(paths[1], std.history_)


def test_scaling_says_honestly_when_it_has_not_converged(
    capsys: pytest.CaptureFixture[str], data_csv: Path
) -> None:
    result = run(capsys, "scaling", data_csv, "--epochs", "5")
    assert result.code == 0, result.err
    assert "not within 5 epochs" in result.out
    out = run(capsys, "scaling", data_csv, "--epochs", "5", "--json").json()
    assert out["raw"]["epochs_to_converge"] is None
    assert out["standardized"]["epochs_to_converge"] == 1  # kappa = 1: one step at 1/lambda


def test_scaling_with_one_rate_too_large_for_the_raw_problem(
    capsys: pytest.CaptureFixture[str], data_csv: Path, tmp_path: Path
) -> None:
    result = run(
        capsys, "scaling", data_csv, "--lr", "0.5", "--epochs", "50", "--plots", tmp_path, "--json"
    )
    assert result.code == 0, result.err
    out = result.json()
    assert out["raw"]["status"] == "diverged"
    assert out["raw"]["epochs_to_converge"] is None
    assert out["standardized"]["status"] == "stable"
    assert out["figures"] == []
    assert "diverged" in out["note"]
    assert not (tmp_path / "scaling.png").exists()


def test_epochs_to_converge_counts_from_epoch_zero() -> None:
    history = History(
        loss=np.array([10.0, 2.0, 1.0005, 1.0000001]), W=np.zeros((4, 1)), b=np.zeros(4)
    )
    assert epochs_to_converge(history, 1.0, 1e-3) == 2
    assert epochs_to_converge(history, 1.0, 1e-6) == 3
    assert epochs_to_converge(history, 1.0, 1e-9) is None
    assert epochs_to_converge(history, 0.0, 1e-3) is None


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["compare-optimizers", "scaling"])
def test_missing_file_is_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "nope.csv"
    assert_one_error_line(run(capsys, command, missing), str(missing), "not found")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["compare-optimizers", "--epochs", "0"], "--epochs"),
        (["compare-optimizers", "--lr", "-1"], "--lr"),
        (["compare-optimizers", "--batch-size", "0"], "--batch-size"),
        (["compare-optimizers", "--sgd-lr", "nan"], "--sgd-lr"),
        (["scaling", "--fraction", "1.5"], "--fraction"),
        (["scaling", "--lr", "0"], "--lr"),
        (["scaling", "--features", "nope"], "nope"),
    ],
)
def test_bad_options_are_one_error_line(
    capsys: pytest.CaptureFixture[str], data_csv: Path, argv: list[str], fragment: str
) -> None:
    command, *options = argv
    assert_one_error_line(run(capsys, command, data_csv, *options), fragment)


@pytest.mark.parametrize("command", ["compare-optimizers", "scaling"])
def test_plots_must_be_a_folder(
    capsys: pytest.CaptureFixture[str], data_csv: Path, tmp_path: Path, command: str
) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    result = run(capsys, command, data_csv, "--epochs", "2", "--plots", a_file)
    assert_one_error_line(result, "--plots must be a folder")
