"""Tests of linreg.viz.plots: valid image files, faithful figures, no side effects.

Figures are checked through the artists they contain (the path drawn on a
landscape is read back from its Line2D) and through the files they write
(PNG signature, pixel size, GIF frame count). Data and epoch counts are small
so that the whole module runs in a few seconds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from linreg import Dataset, History, LinearRegression, make_regression, stability
from linreg.viz import plots
from linreg.viz.animation import finite_prefix, progress_frames, readout

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_GIF_BYTES = 3_000_000


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data() -> Dataset:
    return make_regression(n_samples=100, seed=3)


@pytest.fixture(scope="module")
def data3() -> Dataset:
    return make_regression(n_samples=100, n_features=3, weights=[1.0, -2.0, 0.5], seed=4)


@pytest.fixture(scope="module")
def model(data: Dataset) -> LinearRegression:
    return LinearRegression(learning_rate=0.02, epochs=150).fit(data.X, data.y)


@pytest.fixture(scope="module")
def model3(data3: Dataset) -> LinearRegression:
    return LinearRegression(learning_rate=0.005, epochs=80).fit(data3.X, data3.y)


@dataclass(frozen=True)
class Run:
    """A stand-in for linreg.stats.sweep's run type: only the protocol's attributes."""

    learning_rate: float
    history: History
    status: str
    diverged_at_epoch: int | None


@dataclass
class ClosedFormModel:
    """A fitted model whose history has one entry, as the exact solver records."""

    coef_: np.ndarray
    intercept_: float
    history_: History
    fit_intercept: bool = True


def _closed_form(data: Dataset) -> ClosedFormModel:
    A = np.column_stack([data.X, np.ones(data.n_samples)])
    theta = np.linalg.lstsq(A, data.y, rcond=None)[0]
    loss = float(np.mean((A @ theta - data.y) ** 2))
    history = History(loss=np.array([loss]), W=theta[None, :-1].copy(), b=theta[-1:].copy())
    return ClosedFormModel(coef_=theta[:-1], intercept_=float(theta[-1]), history_=history)


def _sweep_runs(data: Dataset) -> list[Run]:
    rate = stability(data.X).max_stable_learning_rate
    good = LinearRegression(learning_rate=0.5 * rate, epochs=40).fit(data.X, data.y)
    slow = LinearRegression(learning_rate=0.05 * rate, epochs=40).fit(data.X, data.y)
    # A diverging history, written by hand: the loss grows geometrically.
    n = 12
    growth = 3.0 ** np.arange(n)
    bad = History(
        loss=good.history_.loss[0] * growth,
        W=np.outer(growth, [1.0]),
        b=growth.copy(),
    )
    return [
        Run(0.5 * rate, good.history_, "converged", None),
        Run(1.5 * rate, bad, "diverged", n),
        Run(0.05 * rate, slow.history_, "slow", None),
    ]


def _direct_mse(X: np.ndarray, y: np.ndarray, W: np.ndarray, b: float) -> float:
    return float(np.mean((X @ W + b - y) ** 2))


def _all_figures(
    data: Dataset, data3: Dataset, model: LinearRegression, model3: LinearRegression
) -> dict[str, Figure]:
    h, h3 = model.history_, model3.history_
    std = (data.X - data.X.mean(0)) / data.X.std(0)
    std_model = LinearRegression(learning_rate=0.3, epochs=30).fit(std, data.y)
    sgd = LinearRegression(solver="sgd", learning_rate=0.005, epochs=10).fit(data.X, data.y)
    return {
        "raw_data_1": plots.raw_data(data.X, data.y),
        "raw_data_3": plots.raw_data(data3.X, data3.y, feature_names=["a", "b", "c"]),
        "loss_curve": plots.loss_curve(h),
        "fit_line_1": plots.fit_line(model, data.X, data.y),
        "fit_line_3": plots.fit_line(model3, data3.X, data3.y),
        "untrained_vs_trained": plots.untrained_vs_trained(h, data.X, data.y, data.y_true),
        "true_vs_learned_1": plots.true_vs_learned(
            data.X,
            true_weights=data.weights,  # type: ignore[arg-type]
            true_bias=data.bias,  # type: ignore[arg-type]
            coef=model.coef_,
            intercept=model.intercept_,
            y=data.y,
        ),
        "true_vs_learned_3": plots.true_vs_learned(
            data3.X,
            true_weights=data3.weights,  # type: ignore[arg-type]
            true_bias=data3.bias,  # type: ignore[arg-type]
            coef=model3.coef_,
            intercept=model3.intercept_,
        ),
        "residuals": plots.residuals(data.y, model.predict(data.X)),
        "learning_rate_sweep": plots.learning_rate_sweep(
            _sweep_runs(data), stability(data.X).max_stable_learning_rate
        ),
        "loss_landscape_1": plots.loss_landscape(data.X, data.y, h),
        "loss_landscape_3": plots.loss_landscape(data3.X, data3.y, h3, params=(0, 3)),
        "optimizer_paths": plots.optimizer_paths(
            data.X, data.y, {"full-batch GD": h, "mini-batch SGD": sgd.history_}
        ),
        "scaling_lab": plots.scaling_lab(
            data.X,
            data.y,
            h,
            std_model.history_,
            raw_stability=stability(data.X),
            std_stability=stability(std),
        ),
    }


@pytest.fixture(scope="module")
def figures(
    data: Dataset, data3: Dataset, model: LinearRegression, model3: LinearRegression
) -> dict[str, Figure]:
    return _all_figures(data, data3, model, model3)


def _main_axes(fig: Figure) -> list[Axes]:
    # Colour bars are axes too, but they carry a label instead of a title.
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def _check_png(path: Path, fig: Figure) -> None:
    raw = path.read_bytes()
    assert raw.startswith(PNG_SIGNATURE)
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        width, height = fig.get_size_inches() * fig.dpi
        assert image.size == (round(width), round(height))


def _path_lines(ax: Axes) -> list[Line2D]:
    return [line for line in ax.get_lines() if line.get_gid() == "optimizer-path"]


# -- every figure: a valid PNG with titles and labels ------------------------------------------
def test_every_figure_saves_as_png_of_the_figure_size(
    figures: dict[str, Figure], tmp_path: Path
) -> None:
    for name, fig in figures.items():
        path = plots.save_figure(fig, tmp_path / f"{name}.png")
        assert path == tmp_path / f"{name}.png"
        _check_png(path, fig)


def test_every_axes_has_a_title_and_axis_labels(figures: dict[str, Figure]) -> None:
    for name, fig in figures.items():
        for ax in _main_axes(fig):
            assert ax.get_title(), f"{name}: axes without a title"
            assert ax.get_xlabel(), f"{name}: axes without an x label"
            assert ax.get_ylabel(), f"{name}: axes without a y label"
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                assert ax.get_ylabel(), f"{name}: colour bar without a label"


def test_axes_with_several_series_have_a_legend(figures: dict[str, Figure]) -> None:
    for name, fig in figures.items():
        for ax in _main_axes(fig):
            _, labels = ax.get_legend_handles_labels()
            if len(labels) > 1:
                assert ax.get_legend() is not None or fig.legends, f"{name}: no legend"


def test_figures_are_not_registered_with_pyplot(figures: dict[str, Figure]) -> None:
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []
    assert all(isinstance(fig, Figure) for fig in figures.values())


def test_untrained_is_vermillion_and_trained_is_blue(
    model: LinearRegression, data: Dataset
) -> None:
    fig = plots.untrained_vs_trained(model.history_, data.X, data.y, data.y_true)
    ax = fig.axes[0]
    untrained, trained = ax.collections[:2]
    # x = ground truth, y = prediction of W[0], b[0] (zeros: predicts 0).
    np.testing.assert_array_equal(untrained.get_offsets()[:, 0], data.y_true)
    np.testing.assert_allclose(untrained.get_offsets()[:, 1], 0.0)
    np.testing.assert_allclose(
        trained.get_offsets()[:, 1], data.X @ model.history_.W[-1] + model.history_.b[-1]
    )
    assert tuple(untrained.get_facecolor()[0][:3]) == pytest.approx((0xD5 / 255, 0x5E / 255, 0.0))
    assert tuple(trained.get_facecolor()[0][:3]) == pytest.approx((0.0, 0x72 / 255, 0xB2 / 255))


def test_loss_curve_uses_a_log_scale_and_shows_validation() -> None:
    loss = np.geomspace(100.0, 1.0, 11)
    history = History(loss=loss, W=np.zeros((11, 1)), b=np.zeros(11), val_loss=loss * 1.1)
    ax = plots.loss_curve(history, title="My run").axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_title().startswith("My run")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["training", "validation"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), loss * 1.1)


def test_sweep_marks_divergence_and_states_eta_max(data: Dataset) -> None:
    eta_max = stability(data.X).max_stable_learning_rate
    fig = plots.learning_rate_sweep(_sweep_runs(data), eta_max)
    ax = fig.axes[0]
    assert f"{eta_max:.4g}" in ax.get_title()
    assert ax.get_yscale() == "log"
    labels = ax.get_legend_handles_labels()[1]
    assert any("diverged at epoch 12" in label for label in labels)
    assert any(label.startswith("η_max") for label in labels)
    crosses = [line for line in ax.get_lines() if line.get_marker() == "X"]
    assert len(crosses) == 1
    assert crosses[0].get_xdata()[0] == 11  # the last recorded epoch of the diverged run
    # Runs are drawn in order of learning rate.
    curves = [label for label in labels if label.startswith("η =")]
    rates = [float(label.split()[2]) for label in curves]
    assert rates == sorted(rates)


# -- the loss landscape ----------------------------------------------------------------------
def test_landscape_grid_equals_direct_mse(data: Dataset, model: LinearRegression) -> None:
    grid = plots.landscape_grid(data.X, data.y, histories=[model.history_], resolution=41)
    assert grid.loss.shape == (41, 41)
    for k, col in [(0, 0), (5, 17), (20, 20), (40, 3), (33, 40)]:
        w, b = grid.p[col], grid.q[k]
        expected = _direct_mse(data.X, data.y, np.array([w]), b)
        assert grid.loss[k, col] == pytest.approx(expected, rel=1e-10)


def test_landscape_slice_holds_other_parameters_at_the_optimum(data3: Dataset) -> None:
    grid = plots.landscape_grid(data3.X, data3.y, params=(1, 3), resolution=15)
    A = np.column_stack([data3.X, np.ones(data3.n_samples)])
    theta_star = np.linalg.lstsq(A, data3.y, rcond=None)[0]
    np.testing.assert_allclose(grid.center, theta_star, rtol=1e-10)
    for k, col in [(0, 0), (7, 3), (14, 14)]:
        theta = theta_star.copy()
        theta[1], theta[3] = grid.p[col], grid.q[k]
        expected = _direct_mse(data3.X, data3.y, theta[:3], theta[3])
        assert grid.loss[k, col] == pytest.approx(expected, rel=1e-10)
    # The slice passes through the optimum, so nothing on it is lower.
    assert grid.loss.min() >= grid.center_loss * (1 - 1e-12)


def test_landscape_without_intercept_and_with_a_given_optimum(data: Dataset) -> None:
    grid = plots.landscape_grid(data.X, data.y, fit_intercept=False, resolution=9)
    w_star = float(data.X[:, 0] @ data.y / (data.X[:, 0] @ data.X[:, 0]))
    assert grid.center == pytest.approx([w_star, 0.0])
    given = plots.landscape_grid(data.X, data.y, optimum=([2.5], 1.0), resolution=9)
    assert given.center == pytest.approx([2.5, 1.0])
    assert given.loss[4, 4] == pytest.approx(_direct_mse(data.X, data.y, np.array([2.5]), 1.0))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weighted_penalized_landscape_is_the_objective_about_ridges_optimum(
    data3: Dataset, fit_intercept: bool
) -> None:
    """With weights and alpha the grid is L = (1/S) sum w r^2 + alpha |W|^2, evaluated
    directly, and its centre is scikit-learn's Ridge(alpha * S) with those weights."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(4)
    w = rng.uniform(0.0, 3.0, data3.n_samples)
    alpha = 0.7
    grid = plots.landscape_grid(
        data3.X, data3.y, params=(0, 3), resolution=11, fit_intercept=fit_intercept,
        sample_weight=w, alpha=alpha,
    )  # fmt: skip
    oracle = Ridge(alpha=alpha * w.sum(), fit_intercept=fit_intercept, solver="svd")
    oracle.fit(data3.X, data3.y, sample_weight=w)
    np.testing.assert_allclose(grid.center, [*oracle.coef_, oracle.intercept_], rtol=1e-9)

    def objective(theta: np.ndarray) -> float:
        r = data3.X @ theta[:3] + theta[3] - data3.y
        return float(w @ r**2 / w.sum() + alpha * theta[:3] @ theta[:3])

    assert grid.center_loss == pytest.approx(objective(grid.center), rel=1e-10)
    for k, col in [(0, 0), (4, 9), (10, 10)]:
        theta = grid.center.copy()
        theta[0], theta[3] = grid.p[col], grid.q[k]
        assert grid.loss[k, col] == pytest.approx(objective(theta), rel=1e-10)
    assert grid.loss.min() >= grid.center_loss * (1 - 1e-12)


def test_unweighted_unpenalized_landscape_is_unchanged(data3: Dataset) -> None:
    plain = plots.landscape_grid(data3.X, data3.y, resolution=9)
    explicit = plots.landscape_grid(data3.X, data3.y, resolution=9, sample_weight=None, alpha=0.0)
    np.testing.assert_array_equal(plain.loss, explicit.loss)
    ones = np.ones(data3.n_samples)
    equal = plots.landscape_grid(data3.X, data3.y, resolution=9, sample_weight=ones)
    np.testing.assert_allclose(equal.loss, plain.loss, rtol=1e-10)


@pytest.mark.parametrize("bad", [{"alpha": -1.0}, {"alpha": float("nan")}, {"sample_weight": -1}])
def test_landscape_rejects_bad_weights_and_alpha(data3: Dataset, bad: dict[str, float]) -> None:
    kwargs = dict(bad)
    if "sample_weight" in kwargs:
        kwargs["sample_weight"] = np.full(data3.n_samples, kwargs["sample_weight"])
    with pytest.raises(ValueError, match=r"alpha|sample_weight"):
        plots.landscape_grid(data3.X, data3.y, **kwargs)


def test_landscape_grid_covers_the_path_and_the_optimum(
    data: Dataset, model: LinearRegression
) -> None:
    h = model.history_
    grid = plots.landscape_grid(data.X, data.y, histories=[h])
    for values, axis, centre in [
        (h.W[:, 0], grid.p, grid.center[0]),
        (h.b, grid.q, grid.center[1]),
    ]:
        span = max(values.max(), centre) - min(values.min(), centre)
        assert axis[0] < min(values.min(), centre) - 0.05 * span
        assert axis[-1] > max(values.max(), centre) + 0.05 * span


def test_landscape_draws_the_history_path(
    data: Dataset, data3: Dataset, model: LinearRegression, model3: LinearRegression
) -> None:
    ax = plots.loss_landscape(data.X, data.y, model.history_).axes[0]
    (line,) = _path_lines(ax)
    np.testing.assert_array_equal(line.get_xdata(), model.history_.W[:, 0])
    np.testing.assert_array_equal(line.get_ydata(), model.history_.b)

    h3 = model3.history_
    for params in [(0, 1), (2, 3), (3, 1)]:
        ax = plots.loss_landscape(data3.X, data3.y, h3, params=params).axes[0]
        (line,) = _path_lines(ax)
        theta = np.column_stack([h3.W, h3.b])
        np.testing.assert_array_equal(line.get_xdata(), theta[:, params[0]])
        np.testing.assert_array_equal(line.get_ydata(), theta[:, params[1]])


def test_optimizer_paths_draws_every_history(data: Dataset, model: LinearRegression) -> None:
    sgd = LinearRegression(solver="sgd", learning_rate=0.005, epochs=5, batch_size=1)
    sgd.fit(data.X, data.y)
    histories = {"GD": model.history_, "SGD": sgd.history_}
    ax = plots.optimizer_paths(data.X, data.y, histories).axes[0]
    lines = _path_lines(ax)
    assert len(lines) == 2
    for line, history in zip(lines, histories.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), history.W[:, 0])
        np.testing.assert_array_equal(line.get_ydata(), history.b)


def test_scaling_lab_titles_give_kappa_eta_max_and_convergence(
    figures: dict[str, Figure], data: Dataset
) -> None:
    raw_ax, std_ax = _main_axes(figures["scaling_lab"])
    raw = stability(data.X)
    assert f"κ = {raw.condition_number:.3g}" in raw_ax.get_title()
    assert f"η_max = {raw.max_stable_learning_rate:.4g}" in raw_ax.get_title()
    assert "κ = 1," in std_ax.get_title()
    assert "epoch" in raw_ax.get_title()
    assert "epoch" in std_ax.get_title()
    # The standardized panel is square in target units, so round bowls look round.
    assert std_ax.get_aspect() == 1.0


def test_landscape_cost_does_not_grow_with_grid_times_rows() -> None:
    # 10^5 rows on a 301 x 301 grid: looping over the data per grid point would
    # take minutes; the sufficient statistics take one pass over X.
    big = make_regression(n_samples=100_000, n_features=2, seed=5)
    start = time.perf_counter()
    grid = plots.landscape_grid(big.X, big.y, resolution=301)
    assert time.perf_counter() - start < 5.0
    assert grid.loss.shape == (301, 301)


def test_invalid_landscape_params_are_rejected(data3: Dataset) -> None:
    for params in [(0, 0), (0, 4), (-1, 2)]:
        with pytest.raises(ValueError, match="params"):
            plots.landscape_grid(data3.X, data3.y, params=params)


# -- the animation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n_epochs", "max_frames"), [(0, 60), (5, 60), (59, 60), (60, 60), (150, 20), (5000, 60)]
)
def test_animation_epochs_are_log_spaced_and_complete(n_epochs: int, max_frames: int) -> None:
    epochs = plots.animation_epochs(n_epochs, max_frames)
    assert len(epochs) == min(n_epochs + 1, max_frames)
    assert epochs[0] == 0
    assert epochs[-1] == n_epochs
    assert np.all(np.diff(epochs) > 0)
    if n_epochs > 10 * max_frames:
        # More frames early than late: the first half of the frames ends well
        # before the middle epoch.
        assert epochs[max_frames // 2] < n_epochs / 4


def test_training_animation_writes_a_small_gif(
    data: Dataset, model: LinearRegression, tmp_path: Path
) -> None:
    path = plots.training_animation(
        data.X, data.y, model.history_, tmp_path / "anim" / "training.gif", max_frames=12
    )
    assert path == tmp_path / "anim" / "training.gif"
    assert path.stat().st_size < MAX_GIF_BYTES
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == len(progress_frames(model.history_, 12)) == 12
        assert gif.size == (1080, 360)
    assert sorted(p.name for p in path.parent.iterdir()) == ["training.gif"]


def test_training_animation_several_features(
    data3: Dataset, model3: LinearRegression, tmp_path: Path
) -> None:
    path = plots.training_animation(
        data3.X, data3.y, model3.history_, tmp_path / "t.gif", max_frames=6, fps=5
    )
    with Image.open(path) as gif:
        assert gif.n_frames == 6
        assert gif.info["duration"] == 200


# -- the set the command line writes ---------------------------------------------------------
def test_write_training_figures_writes_the_standard_set_and_changes_nothing(
    data: Dataset, tmp_path: Path
) -> None:
    # Few epochs keep the GIF short: one frame per epoch below max_frames.
    model = LinearRegression(learning_rate=0.02, epochs=25).fit(data.X, data.y)
    # Read-only copies: any in-place write to the data raises.
    X, y, y_true = data.X.copy(), data.y.copy(), data.y_true.copy()  # type: ignore[union-attr]
    for array in (X, y, y_true):
        array.flags.writeable = False
    coef, intercept, history = model.coef_.copy(), model.intercept_, model.history_
    recorded = {k: np.array(v) for k, v in history.to_dict().items()}

    out = tmp_path / "figs"
    paths = plots.write_training_figures(
        out,
        model,
        X,
        y,
        y_true=y_true,
        true_weights=data.weights,
        true_bias=data.bias,
        animate=True,
    )
    names = [p.name for p in paths]
    assert names == [
        "raw_data.png",
        "loss_curve.png",
        "fit.png",
        "untrained_vs_trained.png",
        "residuals.png",
        "true_vs_learned.png",
        "loss_landscape.png",
        "training.gif",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no temporary files left
    for path in paths[:-1]:
        raw = path.read_bytes()
        assert raw.startswith(PNG_SIGNATURE)
        assert len(raw) > 1000
    with Image.open(paths[-1]) as gif:
        assert gif.n_frames == 26

    np.testing.assert_array_equal(model.coef_, coef)
    assert model.intercept_ == intercept
    assert model.history_ is history
    for key, value in history.to_dict().items():
        np.testing.assert_array_equal(np.array(value), recorded[key])
    np.testing.assert_array_equal(X, data.X)
    np.testing.assert_array_equal(y, data.y)


def test_write_training_figures_for_a_closed_form_fit(data3: Dataset, tmp_path: Path) -> None:
    model = _closed_form(data3)
    paths = plots.write_training_figures(tmp_path, model, data3.X, data3.y)
    # One history entry: no loss curve, no path to draw on a landscape.
    assert [p.name for p in paths] == [
        "raw_data.png",
        "fit.png",
        "untrained_vs_trained.png",
        "residuals.png",
    ]


def test_landscape_figures_change_neither_history_nor_data(
    data: Dataset, model: LinearRegression
) -> None:
    X, y = data.X.copy(), data.y.copy()
    X.flags.writeable = False
    y.flags.writeable = False
    h = model.history_
    recorded = {k: np.array(v) for k, v in h.to_dict().items()}
    plots.loss_landscape(X, y, h)
    plots.optimizer_paths(X, y, {"GD": h})
    plots.scaling_lab(X, y, h, h, raw_stability=stability(X), std_stability=stability(X))
    for key, value in h.to_dict().items():
        np.testing.assert_array_equal(np.array(value), recorded[key])


# -- atomic writes ---------------------------------------------------------------------------
def test_save_figure_creates_parents_and_leaves_no_temporary_file(
    figures: dict[str, Figure], tmp_path: Path
) -> None:
    target = tmp_path / "a" / "b" / "fit.png"
    plots.save_figure(figures["fit_line_1"], target)
    assert [p.name for p in target.parent.iterdir()] == ["fit.png"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)


def test_failed_save_leaves_no_partial_file(
    figures: dict[str, Figure], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fig = figures["fit_line_1"]
    existing = tmp_path / "kept.png"
    plots.save_figure(fig, existing)
    good = existing.read_bytes()

    def broken_savefig(self: Figure, fname: os.PathLike[str], **kwargs: object) -> None:
        Path(fname).write_bytes(PNG_SIGNATURE + b"half a picture")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(OSError, match="disk full"):
        plots.save_figure(fig, tmp_path / "new.png")
    with pytest.raises(OSError, match="disk full"):
        plots.save_figure(fig, existing)
    # The old file is intact, the new one never appeared, no temporary file is left.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.png"]
    assert existing.read_bytes() == good


def test_failed_animation_leaves_no_partial_file(
    data: Dataset, model: LinearRegression, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.animation import PillowWriter

    calls = 0
    original = PillowWriter.grab_frame

    def flaky_grab_frame(self: PillowWriter, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("interrupted")
        original(self, **kwargs)

    monkeypatch.setattr(PillowWriter, "grab_frame", flaky_grab_frame)
    with pytest.raises(RuntimeError, match="interrupted"):
        plots.training_animation(data.X, data.y, model.history_, tmp_path / "t.gif", max_frames=5)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere"
)
def test_save_into_read_only_directory_fails_cleanly(
    figures: dict[str, Figure], tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            plots.save_figure(figures["fit_line_1"], locked / "fit.png")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_save_below_a_file_fails_cleanly(figures: dict[str, Figure], tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with pytest.raises((FileExistsError, NotADirectoryError)):
        plots.save_figure(figures["fit_line_1"], blocker / "fit.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


# -- input checks ------------------------------------------------------------------------------
def test_mismatched_inputs_are_reported(data: Dataset, model: LinearRegression) -> None:
    with pytest.raises(ValueError, match="rows"):
        plots.raw_data(data.X, data.y[:-1])
    with pytest.raises(ValueError, match="feature_names"):
        plots.raw_data(data.X, data.y, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="weights"):
        plots.fit_line(model, np.column_stack([data.X, data.X]), data.y)
    with pytest.raises(ValueError, match="at least one"):
        plots.optimizer_paths(data.X, data.y, {})


def test_fit_line_accepts_the_teaching_model(data: Dataset) -> None:
    from linreg import LinearModel

    teaching = LinearModel(1)
    teaching.W = np.array([2.0])
    teaching.b = 1.0
    ax = plots.fit_line(teaching, data.X, data.y).axes[0]
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), 2.0 * np.asarray(line.get_xdata()) + 1.0)
    assert "2·X + 1" in line.get_label()


def test_figures_of_a_thinned_history_use_its_entries_and_name_its_epochs(tmp_path: Path) -> None:
    """A thinned history (entries for epochs 0, 1, 2, 5) draws its last entry as the trained
    model and labels it epoch 5; the lab's convergence epoch is the entry's epoch."""
    from linreg.viz.lab import epochs_to_converge

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 1))
    y = 2.0 * X[:, 0] + 1.0
    W = np.array([[0.0], [1.0], [1.5], [2.0]])
    b = np.array([0.0, 0.5, 0.8, 1.0])
    history = History(loss=np.array([5.0, 2.0, 1.0, 0.0]), W=W, b=b, epoch=np.array([0, 1, 2, 5]))
    fig = plots.untrained_vs_trained(history, X, y)
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert any("epoch 5" in label for label in labels)
    assert epochs_to_converge(history, 0.0, 1e-3) == 5
    gif = plots.training_animation(X, y, history, tmp_path / "a.gif")
    assert gif.stat().st_size > 0


# -- the faults a learner noticed (issue 16) -------------------------------------------------
def test_loss_curve_of_a_long_run_has_a_log_epoch_axis() -> None:
    loss = np.geomspace(100.0, 1.0, 1001)
    history = History(loss=loss, W=np.zeros((1001, 1)), b=np.zeros(1001))
    ax = plots.loss_curve(history).axes[0]
    assert ax.get_xscale() == "symlog"  # like the sweep and the animation
    assert ax.get_xlim() == (0.0, 1000.0)
    short = History(loss=loss[:11], W=np.zeros((11, 1)), b=np.zeros(11))
    assert plots.loss_curve(short).axes[0].get_xscale() == "linear"


def test_true_line_is_drawn_above_the_learned_one_and_their_gap_below(
    data: Dataset, model: LinearRegression
) -> None:
    fig = plots.true_vs_learned(
        data.X,
        true_weights=[3.0],
        true_bias=2.0,
        coef=model.coef_,
        intercept=model.intercept_,
        y=data.y,
    )
    top, gap = fig.axes
    lines = {line.get_label().split(":")[0]: line for line in top.get_lines()}
    assert lines["true"].get_zorder() > lines["learned"].get_zorder()
    assert lines["true"].get_linewidth() < lines["learned"].get_linewidth()
    (difference,) = [line for line in gap.get_lines() if len(line.get_xdata()) > 2]
    x = np.asarray(difference.get_xdata())
    expected = (model.coef_[0] - 3.0) * x + (model.intercept_ - 2.0)
    np.testing.assert_allclose(difference.get_ydata(), expected, rtol=1e-12)


def test_landscape_numbers_epochs_and_keeps_the_end_above_the_star(data: Dataset) -> None:
    run = LinearRegression(learning_rate=0.02, epochs=1000).fit(data.X, data.y)
    ax = plots.loss_landscape(data.X, data.y, run.history_).axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["1", "10", "100"]
    by_label = {line.get_label(): line for line in ax.get_lines()}
    marks = by_label["after 1, 10, 100, ... epochs"]
    np.testing.assert_array_equal(marks.get_xdata(), run.history_.W[[1, 10, 100], 0])
    end, star = by_label["end (epoch 1000)"], by_label["least-squares optimum"]
    assert end.get_zorder() > star.get_zorder()


def test_marked_epochs_of_a_thinned_history() -> None:
    from linreg.viz.landscape import marked_epochs

    assert marked_epochs(np.arange(1001.0)) == [1, 10, 100]
    assert marked_epochs(np.array([0.0, 2.0, 4.0, 50.0, 120.0, 400.0])) == [1, 3, 4]
    assert marked_epochs(np.array([0.0, 1.0])) == []


def test_optimizer_paths_have_one_legend_entry_each_in_distinct_styles(
    data: Dataset, model: LinearRegression
) -> None:
    sgd = LinearRegression(solver="sgd", learning_rate=0.005, epochs=5, batch_size=1)
    mini = LinearRegression(solver="sgd", learning_rate=0.01, epochs=5, batch_size=10)
    histories = {
        "GD": model.history_,
        "mini": mini.fit(data.X, data.y).history_,
        "SGD": sgd.fit(data.X, data.y).history_,
    }
    fig = plots.optimizer_paths(data.X, data.y, histories)
    labels = fig.legends[0].get_texts() if fig.legends else fig.axes[0].get_legend().get_texts()
    names = [t.get_text() for t in labels]
    assert len(names) == 5  # three paths, the start and the optimum
    lines = _path_lines(fig.axes[0])
    assert len({line.get_color() for line in lines}) == 3
    assert len({line.get_linestyle() for line in lines}) == 3


def _path_share(history: History) -> np.ndarray:
    theta = np.column_stack([history.W, history.b])
    scaled = theta / (theta.max(axis=0) - theta.min(axis=0))
    steps = np.linalg.norm(np.diff(scaled, axis=0), axis=1)
    length = np.concatenate([[0.0], np.cumsum(steps)])
    return length / length[-1]


def test_animation_frames_are_spaced_by_progress(data: Dataset) -> None:
    # Log-spaced epochs left most late frames still once training had converged.
    run = LinearRegression(learning_rate=0.01, epochs=3000, init="random", seed=8)
    history = run.fit(data.X, data.y).history_
    share = _path_share(history)
    frames = progress_frames(history, 60)
    assert len(frames) == 60
    assert (frames[0], frames[-1]) == (0, 3000)
    assert np.all(np.diff(frames) > 0)
    still = int(np.sum(np.diff(share[frames]) < 1e-3))
    still_log = int(np.sum(np.diff(share[plots.animation_epochs(3000, 60)]) < 1e-3))
    assert still <= 1 < still_log
    assert list(progress_frames(history.__class__(**_first(history, 5)), 60)) == [0, 1, 2, 3, 4]


def _first(history: History, n: int) -> dict[str, np.ndarray]:
    return {"loss": history.loss[:n], "W": history.W[:n], "b": history.b[:n]}


def test_finite_prefix_stops_before_the_first_overflow() -> None:
    loss = np.array([5.0, 50.0, 5e8, np.inf])
    W = np.array([[1.0], [-3.0], [9e4], [np.inf]])
    history = History(loss=loss, W=W, b=np.array([0.0, 1.0, 2.0, np.nan]))
    kept = finite_prefix(history)
    np.testing.assert_array_equal(kept.loss, loss[:3])
    np.testing.assert_array_equal(kept.W, W[:3])
    whole = History(loss=loss[:2], W=W[:2], b=np.zeros(2))
    assert finite_prefix(whole) is whole


def test_animation_reads_out_w_and_b() -> None:
    assert readout(np.array([2.99279]), 1.99378) == "W = 2.993, b = 1.994"
    assert readout(np.array([1.0, -2.0]), 0.5) == "W = [1, -2], b = 0.5"
    assert readout(np.ones(4), 0.0) == "|W| = 2, b = 0"
