"""Figures of generalization: fits of growing flexibility, error curves, bias and variance.

These are the figures of the notebook ``notebooks/generalization.ipynb``; each draws numbers
the caller computed (errors, predictions), so they work for any model:

- :func:`polynomial_fits`: a few fitted curves over the data and the true curve, one panel
  each (underfitting and overfitting side by side);
- :func:`complexity_curve`: training and held-out error against a hyperparameter (the U
  curve of degree, or a cross-validation curve over alpha);
- :func:`bias_variance_fits`: many refits of one model on fresh samples, their mean and
  the truth, one panel per model;
- :func:`bias_variance_curve`: bias², variance and their sum against a hyperparameter;
- :func:`learning_curve`: training and held-out error against the number of training rows;
- :func:`loss_curves`: several runs' loss per epoch on one axes (SGD schedules, momentum).

Errors are mean squared errors in the target's units squared and are drawn on a log axis
when all are positive. Conventions (palette, labels, saving) are those of
:mod:`linreg.viz.style`. Bad input (lengths that disagree, values that are not finite
where they must be) raises :class:`linreg.errors.LinregError`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from linreg.errors import LinregError
from linreg.viz.style import (
    COLOR_CYCLE,
    DATA_COLOR,
    MAX_PANELS,
    OKABE_ITO,
    Array,
    add_legend,
    fmt_value,
    new_figure,
    padded_span,
    scatter_style,
    set_labels,
    use_log_scale,
)

__all__ = [
    "bias_variance_curve",
    "bias_variance_fits",
    "complexity_curve",
    "learning_curve",
    "loss_curves",
    "polynomial_fits",
]

#: Refits drawn per panel of :func:`bias_variance_fits`; more only darken the bundle.
MAX_REFIT_LINES = 60


# -- input checks ------------------------------------------------------------------------------
def _vector(values: ArrayLike, name: str, *, n: int | None = None, finite: bool = True) -> Array:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise LinregError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise LinregError(f"{name} has {arr.shape[0]} values but {n} were expected (one per x)")
    if finite and not np.all(np.isfinite(arr)):
        raise LinregError(f"{name} holds NaN or infinite values; pass finite numbers")
    return arr


def _floor(noise_floor: float | None) -> float | None:
    if noise_floor is None:
        return None
    value = float(noise_floor)
    if not np.isfinite(value) or value < 0:
        raise LinregError(f"noise_floor must be a finite number >= 0, got {noise_floor!r}")
    return value


def _draw_floor(ax: Axes, noise_floor: float | None) -> None:
    if noise_floor is not None:
        ax.axhline(
            noise_floor,
            color=OKABE_ITO["black"],
            lw=1.0,
            ls=":",
            label=f"noise floor σ² = {fmt_value(noise_floor)}",
        )


def _panels(fig: Figure, n: int) -> list[Axes]:
    axes = fig.subplots(1, n, sharey=True, squeeze=False)[0]
    return list(axes)


def _check_panels(count: int, what: str) -> None:
    if count == 0:
        raise LinregError(f"{what} is empty; pass at least one labelled series")
    if count > MAX_PANELS:
        raise LinregError(f"{what} has {count} entries; at most {MAX_PANELS} panels are drawn")


# -- 1. fits of growing flexibility -------------------------------------------------------------
def polynomial_fits(
    x: ArrayLike,
    y: ArrayLike,
    x_grid: ArrayLike,
    fits: Mapping[str, ArrayLike],
    *,
    y_true_grid: ArrayLike | None = None,
    title: str = "Underfitting and overfitting",
) -> Figure:
    """The data, the true curve and one fitted curve per panel.

    Parameters
    ----------
    x, y : array-like of shape (N,)
        The training data, drawn as points in every panel.
    x_grid : array-like of shape (G,)
        Where the curves are evaluated, increasing.
    fits : mapping of str to array-like of shape (G,)
        Panel title (e.g. ``"degree 1"``) to the fitted model's predictions on ``x_grid``;
        1 to :data:`~linreg.viz.style.MAX_PANELS` entries.
    y_true_grid : array-like of shape (G,), optional
        The noise-free curve on ``x_grid``, drawn dashed.
    title : str, default="Underfitting and overfitting"

    Returns
    -------
    Figure
        One panel per fit, sharing the y-axis, whose range is that of the data (padded):
        a wild overfit leaves the panel rather than flattening the others.
    """
    xa = _vector(x, "x")
    ya = _vector(y, "y", n=xa.shape[0])
    grid = _vector(x_grid, "x_grid")
    _check_panels(len(fits), "fits")
    curves = {
        label: _vector(pred, f"fits[{label!r}]", n=grid.shape[0], finite=False)
        for label, pred in fits.items()
    }
    truth = None if y_true_grid is None else _vector(y_true_grid, "y_true_grid", n=grid.shape[0])
    span = ya if truth is None else np.concatenate([ya, truth])
    lo, hi = padded_span(span, 0.15)
    fig = new_figure((3.4 * len(curves) + 0.8, 3.8))
    for i, (ax, (label, pred)) in enumerate(
        zip(_panels(fig, len(curves)), curves.items(), strict=True)
    ):
        ax.scatter(xa, ya, color=DATA_COLOR, label="data", **scatter_style(xa.shape[0]))
        if truth is not None:
            ax.plot(grid, truth, color=OKABE_ITO["black"], lw=1.4, ls="--", label="true curve")
        ax.plot(grid, pred, color=COLOR_CYCLE[i % len(COLOR_CYCLE)], lw=2.0, label="fit")
        ax.set_ylim(lo, hi)
        set_labels(ax, label, "x", "y" if i == 0 else "")
        ax.grid(True, alpha=0.3)
        if i == 0:
            add_legend(ax, fontsize="small")
    fig.suptitle(title)
    return fig


# -- 2. error against a hyperparameter ----------------------------------------------------------
def complexity_curve(
    values: ArrayLike,
    train_error: ArrayLike,
    test_error: ArrayLike,
    *,
    param_name: str = "degree",
    test_label: str = "test",
    test_spread: ArrayLike | None = None,
    spread_label: str = "1 s.d. over folds",
    noise_floor: float | None = None,
    log_x: bool = False,
    best: float | None = None,
    title: str | None = None,
) -> Figure:
    """Training and held-out error (log scale) against a hyperparameter: the U curve.

    Parameters
    ----------
    values : array-like of shape (k,)
        The hyperparameter's values (degrees, alphas, epochs).
    train_error, test_error : array-like of shape (k,)
        Mean squared errors on the training rows and on held-out rows (a test set, or
        the mean over cross-validation folds).
    param_name : str, default="degree"
    test_label : str, default="test"
        The held-out curve's name: ``"test"``, ``"5-fold CV"``...
    test_spread : array-like of shape (k,), optional
        A spread of the held-out error (the folds' standard deviation), drawn as a band
        of plus or minus one spread.
    spread_label : str, default="1 s.d. over folds"
        What the spread is, for the legend: ``"1 standard error"`` for the standard
        error of a mean over folds.
    noise_floor : float, optional
        sigma², the error no model can beat, drawn as a dotted line.
    log_x : bool, default=False
        A log axis for the hyperparameter (for alpha); values must then be positive.
    best : float, optional
        The value chosen, marked by a vertical line.
    title : str, optional

    Returns
    -------
    Figure
        One axes; the held-out curve's minimum is marked with a dot.
    """
    v = _vector(values, "values")
    k = v.shape[0]
    train = _vector(train_error, "train_error", n=k)
    test = _vector(test_error, "test_error", n=k)
    floor = _floor(noise_floor)
    if log_x and np.any(v <= 0):
        raise LinregError(f"log_x needs {param_name} values > 0; got {v.min():g}")
    fig = new_figure((6.8, 4.6))
    ax = fig.add_subplot()
    marker = "o" if k <= 30 else None
    ax.plot(v, train, color=OKABE_ITO["blue"], lw=2, marker=marker, ms=4, label="training")
    ax.plot(v, test, color=OKABE_ITO["vermillion"], lw=2, marker=marker, ms=4, label=test_label)
    shown = [train, test]
    if test_spread is not None:
        spread = _vector(test_spread, "test_spread", n=k)
        lower = np.maximum(test - spread, test.min() * 0.5) if np.all(test > 0) else test - spread
        ax.fill_between(
            v,
            lower,
            test + spread,
            color=OKABE_ITO["vermillion"],
            alpha=0.15,
            lw=0,
            label=f"{test_label} ± {spread_label}",
        )
    i_min = int(np.argmin(test))
    ax.plot(
        v[i_min],
        test[i_min],
        "o",
        ms=10,
        mfc="none",
        color=OKABE_ITO["black"],
        label=f"lowest {test_label}: {param_name} = {fmt_value(v[i_min])}",
    )
    if best is not None:
        ax.axvline(
            float(best),
            color=OKABE_ITO["green"],
            lw=1.2,
            label=f"chosen {param_name} = {fmt_value(float(best))}",
        )
    _draw_floor(ax, floor)
    use_log_scale(ax, np.concatenate(shown))
    if log_x:
        ax.set_xscale("log")
    if title is None:
        title = f"Training and {test_label} error against {param_name}"
    set_labels(ax, title, param_name, "mean squared error (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    add_legend(ax, fontsize="small")
    return fig


# -- 3. bias and variance -----------------------------------------------------------------------
def bias_variance_fits(
    x_grid: ArrayLike,
    predictions: Mapping[str, ArrayLike],
    y_true_grid: ArrayLike,
    *,
    title: str = "Refits on fresh samples",
) -> Figure:
    """Many refits of each model (thin lines), their mean (thick) and the true curve.

    The spread of the thin lines around their mean is the variance; the gap between the
    mean and the true curve is the bias.

    Parameters
    ----------
    x_grid : array-like of shape (G,)
    predictions : mapping of str to array-like of shape (R, G)
        Panel title to the predictions of R refits on the grid, one row per refit; at
        most :data:`MAX_REFIT_LINES` rows are drawn, all R enter the mean.
    y_true_grid : array-like of shape (G,)
    title : str, default="Refits on fresh samples"

    Returns
    -------
    Figure
        One panel per model, sharing the y-axis (the range of the truth and the means,
        padded), with the model's bias² and variance averaged over the grid in its title.
    """
    grid = _vector(x_grid, "x_grid")
    truth = _vector(y_true_grid, "y_true_grid", n=grid.shape[0])
    _check_panels(len(predictions), "predictions")
    preds: dict[str, Array] = {}
    for label, value in predictions.items():
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] != grid.shape[0]:
            raise LinregError(
                f"predictions[{label!r}] must have shape (R >= 2, {grid.shape[0]}), "
                f"one row per refit; got {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise LinregError(f"predictions[{label!r}] holds NaN or infinite values")
        preds[label] = arr
    means = [p.mean(axis=0) for p in preds.values()]
    lo, hi = padded_span(np.concatenate([truth, *means]), 0.35)
    fig = new_figure((3.4 * len(preds) + 0.8, 3.8))
    for i, (ax, (label, arr)) in enumerate(
        zip(_panels(fig, len(preds)), preds.items(), strict=True)
    ):
        color = COLOR_CYCLE[i % len(COLOR_CYCLE)]
        for row in arr[:MAX_REFIT_LINES]:
            ax.plot(grid, row, color=color, lw=0.6, alpha=0.25)
        ax.plot([], [], color=color, lw=0.8, label=f"{arr.shape[0]} refits")
        mean = means[i]
        ax.plot(grid, mean, color=color, lw=2.4, label="mean of the refits")
        ax.plot(grid, truth, color=OKABE_ITO["black"], lw=1.4, ls="--", label="true curve")
        bias_sq = float(np.mean((mean - truth) ** 2))
        variance = float(np.mean(arr.var(axis=0)))
        ax.set_ylim(lo, hi)
        set_labels(
            ax,
            f"{label}\nbias² {bias_sq:.3g}, variance {variance:.3g}",
            "x",
            "prediction" if i == 0 else "",
        )
        ax.grid(True, alpha=0.3)
        if i == 0:
            add_legend(ax, fontsize="small")
    fig.suptitle(title)
    return fig


def bias_variance_curve(
    values: ArrayLike,
    bias_squared: ArrayLike,
    variance: ArrayLike,
    *,
    noise: float | None = None,
    param_name: str = "degree",
    title: str = "Bias² and variance",
) -> Figure:
    """Bias², variance and the expected test error against a hyperparameter.

    Parameters
    ----------
    values : array-like of shape (k,)
    bias_squared, variance : array-like of shape (k,)
        Each averaged over the inputs, in the target's units squared (>= 0).
    noise : float, optional
        sigma²: then the total drawn is bias² + variance + sigma², the expected squared
        error on a fresh target, and sigma² is drawn as the floor.
    param_name : str, default="degree"
    title : str, default="Bias² and variance"

    Returns
    -------
    Figure
        One axes, log scale, with the total's minimum marked.
    """
    v = _vector(values, "values")
    k = v.shape[0]
    b2 = _vector(bias_squared, "bias_squared", n=k)
    var = _vector(variance, "variance", n=k)
    if np.any(b2 < 0) or np.any(var < 0):
        raise LinregError("bias_squared and variance must be >= 0 (they are squares)")
    floor = _floor(noise)
    total = b2 + var + (floor or 0.0)
    fig = new_figure((6.8, 4.6))
    ax = fig.add_subplot()
    marker = "o" if k <= 30 else None
    ax.plot(v, b2, color=OKABE_ITO["blue"], lw=2, marker=marker, ms=4, label="bias²")
    ax.plot(v, var, color=OKABE_ITO["orange"], lw=2, marker=marker, ms=4, label="variance")
    total_label = "bias² + variance" + (" + σ²" if floor is not None else "")
    ax.plot(v, total, color=OKABE_ITO["vermillion"], lw=2.4, label=total_label)
    i_min = int(np.argmin(total))
    ax.plot(
        v[i_min],
        total[i_min],
        "o",
        ms=10,
        mfc="none",
        color=OKABE_ITO["black"],
        label=f"lowest total: {param_name} = {fmt_value(v[i_min])}",
    )
    _draw_floor(ax, floor)
    use_log_scale(ax, np.concatenate([b2[b2 > 0], var[var > 0], total]))
    set_labels(ax, title, param_name, "squared error (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    add_legend(ax, fontsize="small")
    return fig


# -- 4. learning curve --------------------------------------------------------------------------
def learning_curve(
    train_sizes: ArrayLike,
    train_error: ArrayLike,
    test_error: ArrayLike,
    *,
    noise_floor: float | None = None,
    expected: tuple[ArrayLike, ArrayLike] | None = None,
    title: str = "Learning curve",
) -> Figure:
    """Training and held-out error against the number of training rows.

    Parameters
    ----------
    train_sizes : array-like of shape (k,)
        Rows trained on, increasing.
    train_error, test_error : array-like of shape (k,)
        Mean squared errors (averaged over repeats, if any).
    noise_floor : float, optional
        sigma², which both curves approach from either side for a model that can
        represent the truth.
    expected : (array-like of shape (k,), array-like of shape (k,)), optional
        Theoretical training and test errors, drawn as thin dashed lines (e.g.
        sigma² (1 - p/N) and sigma² (1 + p/N)).
    title : str, default="Learning curve"

    Returns
    -------
    Figure
        One axes, log-scaled error against N.
    """
    sizes = _vector(train_sizes, "train_sizes")
    k = sizes.shape[0]
    if np.any(sizes <= 0):
        raise LinregError("train_sizes must be positive numbers of rows")
    train = _vector(train_error, "train_error", n=k)
    test = _vector(test_error, "test_error", n=k)
    floor = _floor(noise_floor)
    fig = new_figure((6.8, 4.6))
    ax = fig.add_subplot()
    marker = "o" if k <= 30 else None
    ax.plot(sizes, train, color=OKABE_ITO["blue"], lw=2, marker=marker, ms=4, label="training")
    ax.plot(sizes, test, color=OKABE_ITO["vermillion"], lw=2, marker=marker, ms=4, label="test")
    shown = [train, test]
    if expected is not None:
        exp_train = _vector(expected[0], "expected[0]", n=k)
        exp_test = _vector(expected[1], "expected[1]", n=k)
        ax.plot(sizes, exp_train, color=OKABE_ITO["blue"], lw=1, ls="--", label="theory")
        ax.plot(sizes, exp_test, color=OKABE_ITO["vermillion"], lw=1, ls="--")
        shown += [exp_train, exp_test]
    _draw_floor(ax, floor)
    use_log_scale(ax, np.concatenate(shown))
    set_labels(ax, title, "training rows N", "mean squared error (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    add_legend(ax, fontsize="small")
    return fig


# -- 5. several loss curves ---------------------------------------------------------------------
def loss_curves(
    curves: Mapping[str, ArrayLike],
    *,
    title: str = "Loss per epoch",
    ylabel: str = "training MSE (log scale)",
    xlabel: str = "epoch",
) -> Figure:
    """Several runs' losses per epoch on one log-scale axes.

    Parameters
    ----------
    curves : mapping of str to array-like of shape (n_i,)
        Run name to its loss after each epoch (epoch 0 first); non-finite values
        (a diverged run) are left out of the line.
    title, ylabel, xlabel : str

    Returns
    -------
    Figure
        One line per run, in the mapping's order.
    """
    if not curves:
        raise LinregError("curves is empty; pass at least one run's losses")
    fig = new_figure((6.8, 4.6))
    ax = fig.add_subplot()
    styles = ("-", "--", "-.", ":")
    shown: list[Array] = []
    for i, (label, values) in enumerate(curves.items()):
        loss = _vector(values, f"curves[{label!r}]", finite=False)
        ok = np.isfinite(loss)
        epochs = np.arange(loss.shape[0])
        ax.plot(
            epochs[ok],
            loss[ok],
            color=COLOR_CYCLE[i % len(COLOR_CYCLE)],
            ls=styles[i % len(styles)],
            lw=1.8,
            label=label,
        )
        shown.append(loss[ok])
    use_log_scale(ax, np.concatenate(shown))
    set_labels(ax, title, xlabel, ylabel)
    ax.grid(True, which="major", alpha=0.3)
    add_legend(ax, fontsize="small")
    return fig
