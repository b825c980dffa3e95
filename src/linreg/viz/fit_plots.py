"""Figures of the data and the fitted model: raw data, the fitted line, untrained vs trained,
true vs learned, and the residuals.

Conventions (palette, labels, saving) are those of :mod:`linreg.viz.style`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from linreg.history import History
from linreg.model import LinearModel
from linreg.viz.style import (
    DATA_COLOR,
    MAX_PANELS,
    OKABE_ITO,
    FittedModel,
    add_legend,
    as_X,
    as_y,
    column_names,
    draw_diagonal,
    fmt_value,
    line_equation,
    new_figure,
    padded_span,
    params_of,
    r_squared,
    scatter_style,
    set_labels,
)


# -- 1. raw data -----------------------------------------------------------------------------
def raw_data(
    X: ArrayLike,
    y: ArrayLike,
    *,
    feature_names: Sequence[str] | None = None,
    target_name: str = "y",
) -> Figure:
    """Scatter the target against each feature.

    Parameters
    ----------
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    feature_names : sequence of d str, optional
        Default ``["X"]`` or ``["x1", ..., "xd"]``.
    target_name : str, default="y"

    Returns
    -------
    Figure
        One panel for one feature; one small panel per feature for several
        (the first six when d > 6, said in the title).
    """
    Xa = as_X(X)
    ya = as_y(y, Xa.shape[0])
    n, d = Xa.shape
    names = column_names(feature_names, d)
    shown = min(d, MAX_PANELS)
    ncols = min(shown, 3)
    nrows = -(-shown // ncols)
    figsize = (6.4, 4.8) if shown == 1 else (3.6 * ncols + 0.4, 3.1 * nrows + 0.7)
    fig = new_figure(figsize)
    grid = fig.add_gridspec(nrows, ncols)
    style = scatter_style(n)
    for j in range(shown):
        ax = fig.add_subplot(grid[j // ncols, j % ncols])
        ax.scatter(Xa[:, j], ya, color=OKABE_ITO["blue"], **style)
        set_labels(ax, f"{target_name} vs {names[j]}", names[j], target_name)
    title = f"Raw data: N = {n} samples"
    if d > 1:
        title += f", d = {d} features"
        if d > shown:
            title += f" (first {shown} shown)"
        fig.suptitle(title)
    else:
        fig.axes[0].set_title(title)
    return fig


# -- 3. fitted line / predicted vs actual ----------------------------------------------------
def fit_line(
    model: FittedModel | LinearModel,
    X: ArrayLike,
    y: ArrayLike,
    *,
    feature_names: Sequence[str] | None = None,
    target_name: str = "y",
) -> Figure:
    """The fitted model against the data.

    Parameters
    ----------
    model : fitted LinearRegression (``coef_``, ``intercept_``) or LinearModel (``W``, ``b``)
        Only read.
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    feature_names : sequence of d str, optional
    target_name : str, default="y"

    Returns
    -------
    Figure
        For d = 1 the data and the fitted line; for d > 1 predicted against
        actual values with the y = x diagonal (points on it are predicted exactly).
    """
    Xa = as_X(X)
    ya = as_y(y, Xa.shape[0])
    n, d = Xa.shape
    names = column_names(feature_names, d)
    W, b = params_of(model)
    if W.shape != (d,):
        raise ValueError(f"the model has {W.shape[0]} weights but X has {d} columns")
    y_pred = Xa @ W + b
    r2 = r_squared(ya, y_pred)
    fig = new_figure((6.4, 4.8))
    ax = fig.add_subplot()
    if d == 1:
        ax.scatter(Xa[:, 0], ya, color=DATA_COLOR, label="data", **scatter_style(n))
        x_line = np.array([Xa[:, 0].min(), Xa[:, 0].max()])
        ax.plot(
            x_line,
            W[0] * x_line + b,
            color=OKABE_ITO["blue"],
            lw=2.5,
            label=f"fit: {line_equation(W[0], b, names[0], target_name)}",
        )
        set_labels(ax, f"Fitted line (R² = {r2:.4f})", names[0], target_name)
    else:
        ax.scatter(ya, y_pred, color=OKABE_ITO["blue"], label="samples", **scatter_style(n))
        lo, hi = padded_span(np.concatenate([ya, y_pred]), margin=0.02)
        draw_diagonal(ax, lo, hi)
        set_labels(
            ax,
            f"Predicted vs actual (R² = {r2:.4f})",
            f"actual {target_name}",
            f"predicted {target_name}",
        )
    ax.grid(True, alpha=0.3)
    add_legend(ax)
    return fig


# -- 4. untrained vs trained -----------------------------------------------------------------
def untrained_vs_trained(
    history: History,
    X: ArrayLike,
    y: ArrayLike,
    y_true: ArrayLike | None = None,
) -> Figure:
    """Predictions before and after training against the ground truth.

    Parameters
    ----------
    history : History
        Entry 0 is the untrained model, the last entry the trained one.
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
        Observed targets, used as ground truth when ``y_true`` is None.
    y_true : array-like of shape (N,), optional
        Noise-free targets (synthetic data).

    Returns
    -------
    Figure
        Ground truth on x, prediction on y: the untrained model in vermillion,
        the trained model in blue, and the y = x line a perfect model would lie on.
    """
    Xa = as_X(X)
    n = Xa.shape[0]
    truth = as_y(y, n) if y_true is None else as_y(y_true, n, "y_true")
    truth_label = "observed y" if y_true is None else "ground truth y_true (noise-free)"
    last = history.n_epochs  # the last entry's epoch (a thinned history keeps fewer entries)
    before = Xa @ history.W[0] + history.b[0]
    after = Xa @ history.W[-1] + history.b[-1]
    fig = new_figure((6.4, 4.8))
    ax = fig.add_subplot()
    style = scatter_style(n)
    if last > 0:
        ax.scatter(
            truth, before, color=OKABE_ITO["vermillion"], label="untrained (epoch 0)", **style
        )
        after_label = f"trained (epoch {last})"
    else:
        # A closed-form fit records a single entry: there is no untrained model to show.
        after_label = "closed-form fit (no training steps)"
    ax.scatter(truth, after, color=OKABE_ITO["blue"], label=after_label, marker="s", **style)
    lo, hi = padded_span(truth, margin=0.02)
    draw_diagonal(ax, lo, hi)
    set_labels(ax, "Untrained vs trained predictions", truth_label, "model prediction")
    ax.grid(True, alpha=0.3)
    add_legend(ax)
    return fig


# -- 5. true vs learned ----------------------------------------------------------------------
def true_vs_learned(
    X: ArrayLike,
    *,
    true_weights: ArrayLike,
    true_bias: float,
    coef: ArrayLike,
    intercept: float,
    y: ArrayLike | None = None,
    feature_names: Sequence[str] | None = None,
    target_name: str = "y",
) -> Figure:
    """The function that made the data against the function that was learned.

    Parameters
    ----------
    X : array-like of shape (N, d)
        Gives d and, for one feature, the x range.
    true_weights : array-like of shape (d,)
    true_bias : float
    coef : array-like of shape (d,)
        Learned weights.
    intercept : float
        Learned bias.
    y : array-like of shape (N,), optional
        Drawn as a scatter behind the lines (one feature only).
    feature_names : sequence of d str, optional
    target_name : str, default="y"

    Returns
    -------
    Figure
        For d = 1 the two lines over the x range (the true one dashed, drawn on top of
        the learned one so that both show where they coincide) and, below, their
        difference learned − true over the same range, where a gap the lines hide is
        visible; for d > 1 a bar chart of the true and the learned value of every
        weight and of the bias.
    """
    Xa = as_X(X)
    n, d = Xa.shape
    names = column_names(feature_names, d)
    W_true = np.atleast_1d(np.asarray(true_weights, dtype=np.float64))
    W = np.atleast_1d(np.asarray(coef, dtype=np.float64))
    if W_true.shape != (d,) or W.shape != (d,):
        raise ValueError(f"true_weights and coef must have shape ({d},)")
    b_true, b = float(true_bias), float(intercept)
    if d == 1:
        fig = new_figure((6.4, 5.6))
        ax, gap_ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        if y is not None:
            ya = as_y(y, n)
            ax.scatter(Xa[:, 0], ya, color=DATA_COLOR, label="data", **scatter_style(n))
        x_line = np.array([Xa[:, 0].min(), Xa[:, 0].max()])
        # The learned line wide and pale underneath, the true one dashed on top: where
        # they coincide both stay visible.
        ax.plot(
            x_line,
            W[0] * x_line + b,
            color=OKABE_ITO["sky_blue"],
            lw=6,
            alpha=0.9,
            solid_capstyle="butt",
            zorder=3,
            label=f"learned: {line_equation(W[0], b, names[0], target_name)}",
        )
        ax.plot(
            x_line,
            W_true[0] * x_line + b_true,
            color=OKABE_ITO["black"],
            lw=1.8,
            ls=(0, (5, 3)),
            zorder=4,
            label=f"true: {line_equation(W_true[0], b_true, names[0], target_name)}",
        )
        set_labels(ax, "True vs learned function", names[0], target_name)
        ax.grid(True, alpha=0.3)
        x_fine = np.linspace(x_line[0], x_line[1], 50)
        gap = (W[0] - W_true[0]) * x_fine + (b - b_true)
        gap_ax.axhline(0.0, color=OKABE_ITO["black"], lw=0.8)
        gap_ax.plot(x_fine, gap, color=OKABE_ITO["vermillion"], lw=2)
        set_labels(gap_ax, "Their difference, on its own scale", names[0], "learned − true")
        gap_ax.grid(True, alpha=0.3)
    else:
        labels = [*(f"w{j + 1} ({name})" for j, name in enumerate(names)), "bias b"]
        true_params = np.append(W_true, b_true)
        learned = np.append(W, b)
        fig = new_figure((max(6.4, 0.55 * (d + 1) + 2.0), 4.8))
        ax = fig.add_subplot()
        pos = np.arange(d + 1)
        width = 0.4
        ax.bar(pos - width / 2, true_params, width, color=OKABE_ITO["black"], label="true")
        ax.bar(pos + width / 2, learned, width, color=OKABE_ITO["blue"], label="learned")
        ax.axhline(0.0, color=OKABE_ITO["black"], lw=0.8)
        ax.set_xticks(pos, labels, rotation=45 if d > 8 else 0)
        worst = float(np.max(np.abs(learned - true_params)))
        set_labels(
            ax,
            f"True vs learned parameters (largest error {fmt_value(worst)})",
            "parameter",
            "value",
        )
        ax.grid(True, axis="y", alpha=0.3)
    add_legend(ax)
    return fig


# -- 6. residuals ----------------------------------------------------------------------------
def residuals(y: ArrayLike, y_pred: ArrayLike) -> Figure:
    """Residuals r = y − y_pred against the predictions, and their histogram.

    Parameters
    ----------
    y : array-like of shape (N,)
    y_pred : array-like of shape (N,)

    Returns
    -------
    Figure
        Left: residual against prediction with the zero line (a pattern means the
        model misses structure). Right: histogram of the residuals with the normal
        density of the same mean and standard deviation.
    """
    ya = as_y(y)
    pa = as_y(y_pred, ya.shape[0], "y_pred")
    r = ya - pa
    n = r.shape[0]
    fig = new_figure((10.0, 4.5))
    grid = fig.add_gridspec(1, 2, width_ratios=(2.2, 1.0))
    ax = fig.add_subplot(grid[0, 0])
    ax_hist = fig.add_subplot(grid[0, 1], sharey=ax)
    ax.scatter(pa, r, color=OKABE_ITO["blue"], label="samples", **scatter_style(n))
    ax.axhline(0.0, color=OKABE_ITO["black"], lw=1.2, ls="--", label="zero residual")
    set_labels(ax, "Residuals vs predicted", "predicted y", "residual y − ŷ (target units)")
    ax.grid(True, alpha=0.3)
    add_legend(ax)

    bins = int(np.clip(np.sqrt(n), 10, 50))
    _, edges, _ = ax_hist.hist(
        r, bins=bins, orientation="horizontal", color=OKABE_ITO["sky_blue"], label="residuals"
    )
    mean, std = float(r.mean()), float(r.std())
    if std > 0:
        grid_r = np.linspace(edges[0], edges[-1], 200)
        # Scale the density to counts: N * bin width * pdf.
        density = n * (edges[1] - edges[0]) / (std * np.sqrt(2 * np.pi))
        ax_hist.plot(
            density * np.exp(-0.5 * ((grid_r - mean) / std) ** 2),
            grid_r,
            color=OKABE_ITO["vermillion"],
            lw=2,
            label="normal, same mean/std",
        )
    ax_hist.axhline(0.0, color=OKABE_ITO["black"], lw=1.2, ls="--")
    rmse = float(np.sqrt(np.mean(r**2)))
    set_labels(ax_hist, f"Distribution (RMSE {fmt_value(rmse)})", "count", "residual y − ŷ")
    add_legend(ax_hist, fontsize="small")
    fig.suptitle(f"Residuals of {n} predictions")
    return fig
