"""The four residual plots: the right panels, the labelled rows, the files, the smoother."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Annotation

import linreg
from linreg.stats.diagnostics import Diagnostics
from linreg.viz.diagnostic_plots import (
    PANELS,
    diagnostic_figure,
    diagnostic_panel,
    local_linear,
    write_diagnostic_plots,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TITLES = ["Residuals vs Fitted", "Normal Q-Q", "Scale-Location", "Residuals vs Leverage"]


@pytest.fixture(scope="module")
def stackloss() -> Diagnostics:
    data = sm.datasets.stackloss.load_pandas()
    model = linreg.LinearRegression(solver="exact").fit(data.exog, data.endog)
    return model.diagnostics()


def annotations(ax: Axes) -> list[str]:
    return sorted(c.get_text() for c in ax.get_children() if isinstance(c, Annotation))


def test_the_two_by_two_figure_has_r_panels_and_labels(stackloss: Diagnostics) -> None:
    fig = diagnostic_figure(stackloss)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == TITLES
    top3 = sorted(stackloss.row_labels[i] for i in stackloss.most_influential(3))
    assert top3 == sorted(["20", "0", "3"])  # R labels rows 21, 1 and 4 (1-based) too
    for ax in fig.axes:
        assert annotations(ax) == top3
        assert ax.get_xlabel()
        assert ax.get_ylabel()


def test_panels_draw_what_they_say(stackloss: Diagnostics) -> None:
    fig = diagnostic_panel(stackloss, "residuals_vs_fitted")
    (ax,) = fig.axes
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(
        np.asarray(points), np.column_stack([stackloss.fitted, stackloss.residuals])
    )
    assert "smoother" in [line.get_label() for line in ax.get_lines()]

    (qq,) = diagnostic_panel(stackloss, "normal_qq").axes
    xy = np.asarray(qq.collections[0].get_offsets())
    # Sorted by theoretical quantile, the sample quantiles are sorted too.
    order = np.argsort(xy[:, 0])
    assert np.all(np.diff(xy[order, 1]) >= 0)
    # R's ppoints(21)[1] = (1 - 1/2) / 21; qnorm of it is -1.98075.
    assert xy[:, 0].min() == pytest.approx(-1.98075, abs=1e-5)

    (scale,) = diagnostic_panel(stackloss, "scale_location").axes
    ys = np.asarray(scale.collections[0].get_offsets())[:, 1]
    np.testing.assert_allclose(
        np.sort(ys), np.sort(np.sqrt(np.abs(stackloss.studentized_internal)))
    )

    (lev,) = diagnostic_panel(stackloss, "residuals_vs_leverage").axes
    labels = [line.get_label() for line in lev.get_lines()]
    assert "Cook's distance 0.5" in labels
    assert "Cook's distance 1" in labels
    # On the contour, Cook's distance is the level: D = r^2 h / (p (1 - h)).
    contour = next(line for line in lev.get_lines() if line.get_label() == "Cook's distance 1")
    h, r = (np.asarray(a) for a in contour.get_data())
    np.testing.assert_allclose(r**2 * h / (stackloss.n_params * (1 - h)), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="unknown panel"):
        diagnostic_panel(stackloss, "cooks")


def test_write_diagnostic_plots(stackloss: Diagnostics, tmp_path: Path) -> None:
    paths = write_diagnostic_plots(stackloss, tmp_path / "plots")
    assert [p.name for p in paths] == [f"{k}.png" for k in PANELS] + ["diagnostics.png"]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(p.name for p in paths)


def test_local_linear_is_exact_on_a_line_and_follows_a_curve(rng: np.random.Generator) -> None:
    x = rng.uniform(-2.0, 3.0, size=300)
    xs, ys = local_linear(x, 4.0 - 1.5 * x)
    np.testing.assert_allclose(ys, 4.0 - 1.5 * xs, rtol=1e-10, atol=1e-10)
    assert xs[0] == pytest.approx(x.min())
    assert xs[-1] == pytest.approx(x.max())
    curve = np.sin(2 * x) + 0.05 * rng.normal(size=x.shape[0])
    xs, ys = local_linear(x, curve, frac=0.2)
    assert np.max(np.abs(ys - np.sin(2 * xs))) < 0.15
    assert local_linear(np.ones(5), np.arange(5.0))[0].shape == (0,)
    big = rng.normal(size=20_000)
    xs, ys = local_linear(big, 2.0 * big)  # subsampled: still the line
    np.testing.assert_allclose(ys, 2.0 * xs, rtol=1e-9, atol=1e-9)


def test_a_row_of_leverage_one_and_an_exact_fit_still_draw(rng: np.random.Generator) -> None:
    X = np.column_stack([rng.normal(size=12), np.r_[np.zeros(11), 1.0]])  # row 11 alone
    y = X[:, 0] + rng.normal(size=12)
    d = linreg.LinearRegression(solver="exact").fit(X, y).diagnostics()
    assert d.leverage[11] == pytest.approx(1.0)
    assert [ax.get_title() for ax in diagnostic_figure(d).axes] == TITLES
    x = np.arange(10.0).reshape(-1, 1)
    exact = linreg.LinearRegression(solver="exact").fit(x, 3.0 * x[:, 0]).diagnostics()
    assert len(diagnostic_figure(exact).axes) == 4


def test_many_rows_draw_a_sample_with_the_extremes(rng: np.random.Generator) -> None:
    n = 25_000
    X = rng.normal(size=(n, 2))
    X[123] = [9.0, -9.0]  # the largest leverage
    y = X @ np.array([1.0, 2.0]) + rng.normal(size=n)
    d = linreg.LinearRegression(solver="exact").fit(X, y).diagnostics()
    (ax,) = diagnostic_panel(d, "residuals_vs_leverage").axes
    points = np.asarray(ax.collections[0].get_offsets())
    assert 20_000 <= points.shape[0] < 20_700
    assert d.leverage[123] in points[:, 0]
    assert f"of {n:,} rows" in ax.collections[0].get_label()
