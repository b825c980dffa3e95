"""The generalization figures draw the numbers they are given, and refuse bad ones."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure

from linreg.errors import LinregError
from linreg.viz import generalization_plots as gp
from linreg.viz.style import MAX_PANELS


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _line(fig: Figure, label: str, axes: int = 0) -> tuple[np.ndarray, np.ndarray]:
    for line in fig.axes[axes].get_lines():
        if line.get_label() == label:
            return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    raise AssertionError(f"no line labelled {label!r}")


GRID = np.linspace(-1.0, 1.0, 25)
TRUTH = 1.0 - 3.0 * GRID + 4.0 * GRID**3


def test_polynomial_fits_one_panel_per_fit_and_draws_the_predictions() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 15)
    y = 1.0 - 3.0 * x + 4.0 * x**3 + 0.1 * rng.standard_normal(15)
    fits = {"degree 1": 1.0 - 0.6 * GRID, "degree 3": TRUTH, "degree 12": TRUTH * 50}
    fig = gp.polynomial_fits(x, y, GRID, fits, y_true_grid=TRUTH)
    assert len(fig.axes) == 3
    for i, (label, pred) in enumerate(fits.items()):
        assert fig.axes[i].get_title() == label
        xs, ys = _line(fig, "fit", axes=i)
        np.testing.assert_array_equal(xs, GRID)
        np.testing.assert_array_equal(ys, pred)
    # The y-range follows the data and the truth, not the wild fit.
    lo, hi = fig.axes[2].get_ylim()
    assert hi < 10.0
    assert lo > -10.0
    assert _png(fig).startswith(b"\x89PNG")


def test_polynomial_fits_refuses_mismatched_lengths_and_too_many_panels() -> None:
    with pytest.raises(LinregError, match=r"fits\['a'\] has 3 values"):
        gp.polynomial_fits([0.0, 1.0], [1.0, 2.0], GRID, {"a": [1.0, 2.0, 3.0]})
    with pytest.raises(LinregError, match="y has 1 values"):
        gp.polynomial_fits([0.0, 1.0], [1.0], GRID, {"a": GRID})
    many = {str(i): GRID for i in range(MAX_PANELS + 1)}
    with pytest.raises(LinregError, match="at most"):
        gp.polynomial_fits([0.0, 1.0], [1.0, 2.0], GRID, many)
    with pytest.raises(LinregError, match="empty"):
        gp.polynomial_fits([0.0, 1.0], [1.0, 2.0], GRID, {})


def test_complexity_curve_marks_the_lowest_held_out_error() -> None:
    degrees = np.arange(1, 8)
    train = np.array([0.5, 0.45, 0.09, 0.085, 0.08, 0.07, 0.05])
    test = np.array([0.55, 0.5, 0.1, 0.11, 0.15, 0.4, 2.0])
    fig = gp.complexity_curve(degrees, train, test, noise_floor=0.09, best=3)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(_line(fig, "training")[1], train)
    np.testing.assert_array_equal(_line(fig, "test")[1], test)
    lowest = [line for line in ax.get_lines() if str(line.get_label()).startswith("lowest")]
    assert len(lowest) == 1
    assert lowest[0].get_xdata()[0] == 3
    assert lowest[0].get_ydata()[0] == pytest.approx(0.1)
    assert "degree = 3" in str(lowest[0].get_label())
    assert any("σ² = 0.09" in str(line.get_label()) for line in ax.get_lines())
    assert _png(fig)


def test_complexity_curve_over_alpha_with_a_spread_band() -> None:
    alphas = np.logspace(-4, 1, 6)
    test = np.array([0.3, 0.2, 0.12, 0.1, 0.2, 0.5])
    fig = gp.complexity_curve(
        alphas,
        test * 0.8,
        test,
        param_name="alpha",
        test_label="5-fold CV",
        test_spread=test * 0.1,
        log_x=True,
    )
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert len(ax.collections) == 1  # the band
    with pytest.raises(LinregError, match="log_x needs alpha values > 0"):
        gp.complexity_curve([0.0, 1.0], [1.0, 1.0], [1.0, 1.0], param_name="alpha", log_x=True)
    with pytest.raises(LinregError, match="NaN or infinite"):
        gp.complexity_curve([1.0, 2.0], [1.0, np.nan], [1.0, 1.0])
    with pytest.raises(LinregError, match="noise_floor"):
        gp.complexity_curve([1.0, 2.0], [1.0, 1.0], [1.0, 1.0], noise_floor=-1.0)


def test_bias_variance_fits_reports_bias_and_variance_of_the_refits() -> None:
    rng = np.random.default_rng(1)
    refits = TRUTH + 0.2 + 0.3 * rng.standard_normal((40, GRID.size))
    fig = gp.bias_variance_fits(GRID, {"degree 3": refits}, TRUTH)
    ax = fig.axes[0]
    bias_sq = np.mean((refits.mean(axis=0) - TRUTH) ** 2)
    variance = np.mean(refits.var(axis=0))
    assert f"bias² {bias_sq:.3g}" in ax.get_title()
    assert f"variance {variance:.3g}" in ax.get_title()
    np.testing.assert_allclose(_line(fig, "mean of the refits")[1], refits.mean(axis=0))
    # 40 thin lines, the mean, the truth and the legend's stand-in.
    assert len(ax.get_lines()) == 40 + 3
    with pytest.raises(LinregError, match=r"shape \(R >= 2, 25\)"):
        gp.bias_variance_fits(GRID, {"one": refits[:1]}, TRUTH)
    bad = refits.copy()
    bad[0, 0] = np.inf
    with pytest.raises(LinregError, match="NaN"):
        gp.bias_variance_fits(GRID, {"bad": bad}, TRUTH)


def test_bias_variance_fits_draws_at_most_the_cap_of_lines() -> None:
    refits = np.tile(TRUTH, (gp.MAX_REFIT_LINES + 20, 1))
    fig = gp.bias_variance_fits(GRID, {"a": refits}, TRUTH)
    assert len(fig.axes[0].get_lines()) == gp.MAX_REFIT_LINES + 3


def test_bias_variance_curve_adds_the_noise_to_the_total() -> None:
    degrees = [1, 3, 9]
    b2 = np.array([0.36, 0.001, 0.0005])
    var = np.array([0.01, 0.02, 0.2])
    fig = gp.bias_variance_curve(degrees, b2, var, noise=0.09)
    np.testing.assert_allclose(_line(fig, "bias² + variance + σ²")[1], b2 + var + 0.09)
    fig = gp.bias_variance_curve(degrees, b2, var)
    np.testing.assert_allclose(_line(fig, "bias² + variance")[1], b2 + var)
    with pytest.raises(LinregError, match=">= 0"):
        gp.bias_variance_curve(degrees, -b2, var)


def test_learning_curve_draws_theory_and_floor() -> None:
    sizes = np.array([10, 20, 40, 80])
    p = 4
    exp_train, exp_test = 0.09 * (1 - p / sizes), 0.09 * (1 + p / sizes)
    fig = gp.learning_curve(
        sizes, exp_train * 1.05, exp_test * 0.95, noise_floor=0.09, expected=(exp_train, exp_test)
    )
    np.testing.assert_allclose(_line(fig, "theory")[1], exp_train)
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(LinregError, match="train_sizes must be positive"):
        gp.learning_curve([0, 10], [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(LinregError, match="test_error has 1 values"):
        gp.learning_curve([5, 10], [1.0, 1.0], [1.0])


def test_loss_curves_leave_out_a_diverged_tail() -> None:
    fig = gp.loss_curves({"constant": [1.0, 0.5, 0.4], "diverged": [1.0, 10.0, np.inf]})
    xs, ys = _line(fig, "diverged")
    np.testing.assert_array_equal(xs, [0, 1])
    np.testing.assert_array_equal(ys, [1.0, 10.0])
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(LinregError, match="curves is empty"):
        gp.loss_curves({})
