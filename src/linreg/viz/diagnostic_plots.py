"""The four residual plots of R's ``plot(lm)``, drawn from a fit's :class:`Diagnostics`.

1. **Residuals vs Fitted**: ``e`` against ``y_hat`` with a smoother; a curve means the
   model misses structure.
2. **Normal Q-Q**: the sorted standardized residuals ``r_i = e_i / (s sqrt(1 - h_i))``
   against the normal quantiles ``Phi^{-1}((i - a) / (n + 1 - 2a))`` (R's ``ppoints``:
   ``a = 3/8`` for ``n <= 10``, else ``1/2``), with the line through the quartiles.
3. **Scale-Location**: ``sqrt(|r_i|)`` against ``y_hat`` with a smoother; a trend means
   the spread of the errors changes (heteroskedasticity).
4. **Residuals vs Leverage**: ``r_i`` against ``h_i`` with the contours of Cook's
   distance 0.5 and 1, ``r = +-sqrt(D p (1 - h) / h)``; points beyond them move the fit.

The three rows of largest Cook's distance are labelled (by their row label) on every
panel. Past :data:`PLOT_MAX_POINTS` rows the panels draw a seeded random sample of the
points plus the most extreme rows (the legend says how many). The smoother is
:func:`local_linear`, a local linear fit with tricube weights over the nearest ``frac``
of the points (LOWESS without its robustness steps). Styling follows
:mod:`linreg.viz.style`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Final

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray
from scipy import stats

from linreg.stats.diagnostics import Diagnostics
from linreg.viz.style import (
    DATA_COLOR,
    OKABE_ITO,
    add_legend,
    new_figure,
    save_figure,
    scatter_style,
    set_labels,
)

__all__ = [
    "PANELS",
    "diagnostic_figure",
    "diagnostic_panel",
    "local_linear",
    "write_diagnostic_plots",
]

Array = NDArray[np.float64]

#: The smoother uses at most this many points (evenly spaced in x order) and evaluates
#: the curve at this many abscissae: a few hundred kilobytes whatever n.
SMOOTHER_MAX_POINTS: Final = 5000
SMOOTHER_GRID: Final = 80
N_LABELLED: Final = 3

#: Above this many rows the panels draw a seeded random sample of the points, plus the
#: rows of most extreme residual, leverage and Cook's distance (the smoother still sees
#: every row, up to ``SMOOTHER_MAX_POINTS``): a million points take a minute to draw and
#: show no more than this many.
PLOT_MAX_POINTS: Final = 20_000
N_EXTREMES: Final = 200


def local_linear(x: Array, y: Array, frac: float = 2.0 / 3.0) -> tuple[Array, Array]:
    """A local linear smoother of ``y`` on ``x`` (tricube weights, nearest ``frac`` of points).

    At each abscissa ``g`` the weights are ``w_i = (1 - (|x_i - g| / b)^3)^3`` for the
    ``k = ceil(frac n)`` points nearest to ``g`` (``b``: the distance to the farthest),
    and the curve is the value at ``g`` of the weighted least-squares line.

    Parameters
    ----------
    x, y : ndarray of shape (n,)
        Finite values.
    frac : float, default 2/3
        The share of points in each neighbourhood (R's ``lowess`` default).

    Returns
    -------
    xs, ys : ndarray of shape (m,)
        The curve at up to ``SMOOTHER_GRID`` abscissae spanning ``x``; empty when ``x``
        has fewer than two distinct values.
    """
    order = np.argsort(x, kind="stable")
    if x.shape[0] > SMOOTHER_MAX_POINTS:
        order = order[np.linspace(0, x.shape[0] - 1, SMOOTHER_MAX_POINTS).astype(np.intp)]
    xs, ys = x[order], y[order]
    n = xs.shape[0]
    if n < 2 or xs[0] == xs[-1]:
        return np.empty(0), np.empty(0)
    k = min(n, max(2, math.ceil(frac * n)))
    grid = np.linspace(xs[0], xs[-1], SMOOTHER_GRID)
    dist = np.abs(xs[None, :] - grid[:, None])  # (m, n)
    band = np.partition(dist, k - 1, axis=1)[:, k - 1]
    band = np.maximum(band, 1e-12 * (xs[-1] - xs[0]))[:, None]
    w = np.clip(1.0 - (dist / band) ** 3, 0.0, None) ** 3
    sw = w.sum(axis=1)
    mx = (w @ xs) / sw
    my = (w @ ys) / sw
    dx = xs[None, :] - mx[:, None]
    sxx = np.einsum("ij,ij->i", w, dx * dx)
    sxy = np.einsum("ij,ij->i", w, dx * (ys[None, :] - my[:, None]))
    slope = np.divide(sxy, sxx, out=np.zeros_like(sxy), where=sxx > 0)
    return grid, my + slope * (grid - mx)


def _ppoints(n: int) -> Array:
    a = 3.0 / 8.0 if n <= 10 else 0.5
    return (np.arange(1, n + 1, dtype=np.float64) - a) / (n + 1 - 2 * a)


def _label(ax: Axes, d: Diagnostics, xs: Array, ys: Array, rows: NDArray[np.intp]) -> None:
    """Write the row labels of ``rows`` beside their points ``(xs[i], ys[i])``."""
    for i in rows:
        if math.isfinite(xs[i]) and math.isfinite(ys[i]):
            ax.annotate(
                d.row_labels[i],
                (float(xs[i]), float(ys[i])),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize="small",
                color=OKABE_ITO["vermillion"],
                zorder=6,  # above a legend (zorder 5) that happens to cover the point
            )


def _shown_rows(d: Diagnostics) -> NDArray[np.intp]:
    """Every row, or past :data:`PLOT_MAX_POINTS` a seeded sample plus the extreme rows."""
    n = d.n_samples
    if n <= PLOT_MAX_POINTS:
        return np.arange(n)
    sample = np.random.default_rng(0).choice(n, PLOT_MAX_POINTS, replace=False)
    extremes = [
        np.argsort(-np.nan_to_num(np.abs(v), nan=np.inf), kind="stable")[:N_EXTREMES]
        for v in (d.studentized_internal, d.leverage, d.cooks_distance)
    ]
    return np.unique(np.concatenate([sample, *extremes]))


def _points(ax: Axes, d: Diagnostics, x: Array, y: Array) -> None:
    rows = _shown_rows(d)
    x, y = x[rows], y[rows]
    ok = np.isfinite(x) & np.isfinite(y)
    label = "rows" if rows.shape[0] == d.n_samples else f"{rows.shape[0]:,} of {d.n_samples:,} rows"
    ax.scatter(x[ok], y[ok], color=DATA_COLOR, label=label, **scatter_style(int(ok.sum())))


def _legend(ax: Axes, d: Diagnostics, fallback: str) -> None:
    """The legend where it hides fewest points; at ``fallback`` for many rows, where
    matplotlib's search for that place is slow."""
    add_legend(ax, fontsize="small", loc="best" if d.n_samples <= 5000 else fallback)


def _smooth(ax: Axes, x: Array, y: Array) -> None:
    ok = np.isfinite(x) & np.isfinite(y)
    gx, gy = local_linear(x[ok], y[ok])
    if gx.shape[0]:
        ax.plot(gx, gy, color=OKABE_ITO["vermillion"], lw=1.8, label="smoother")


def _residuals_vs_fitted(ax: Axes, d: Diagnostics) -> None:
    # A weighted fit's are sqrt(w) e, as R's plot(lm) draws them.
    residuals = d.weighted_residuals
    _points(ax, d, d.fitted, residuals)
    ax.axhline(0.0, color=OKABE_ITO["black"], lw=1.0, ls=":")
    _smooth(ax, d.fitted, residuals)
    _label(ax, d, d.fitted, residuals, d.most_influential(N_LABELLED))
    kind = "residuals" if d.weights is None else "weighted residuals"
    set_labels(ax, "Residuals vs Fitted", "fitted values", kind)
    _legend(ax, d, "upper right")


def _normal_qq(ax: Axes, d: Diagnostics) -> None:
    r = d.studentized_internal
    rows = np.flatnonzero(np.isfinite(r))
    order = rows[np.argsort(r[rows], kind="stable")]
    theory = np.full(r.shape, np.nan)
    theory[order] = stats.norm.ppf(_ppoints(order.shape[0]))
    _points(ax, d, theory, r)
    if order.shape[0] >= 2:
        q_sample = np.quantile(r[order], [0.25, 0.75])
        q_theory = stats.norm.ppf([0.25, 0.75])
        slope = (q_sample[1] - q_sample[0]) / (q_theory[1] - q_theory[0])
        ax.axline(
            (float(q_theory[0]), float(q_sample[0])),
            slope=float(slope),
            color=OKABE_ITO["blue"],
            lw=1.2,
            ls="--",
            label="line through the quartiles",
        )
    _label(ax, d, theory, r, d.most_influential(N_LABELLED))
    set_labels(ax, "Normal Q-Q", "theoretical quantiles", "standardized residuals")
    _legend(ax, d, "upper left")


def _scale_location(ax: Axes, d: Diagnostics) -> None:
    root = np.sqrt(np.abs(d.studentized_internal))
    _points(ax, d, d.fitted, root)
    _smooth(ax, d.fitted, root)
    _label(ax, d, d.fitted, root, d.most_influential(N_LABELLED))
    set_labels(ax, "Scale-Location", "fitted values", "√|standardized residuals|")
    _legend(ax, d, "upper right")


def _residuals_vs_leverage(ax: Axes, d: Diagnostics) -> None:
    h, r = d.leverage, d.studentized_internal
    _points(ax, d, h, r)
    ax.axhline(0.0, color=OKABE_ITO["black"], lw=1.0, ls=":")
    ok = np.isfinite(r)
    span = float(np.max(np.abs(r[ok]))) if ok.any() else 1.0
    ax.set_ylim(-1.15 * span - 0.1, 1.15 * span + 0.1)
    h_max = min(float(np.max(h)) * 1.08, 0.999)
    grid = np.linspace(h_max / 200.0, h_max, 200)
    for level, style in ((0.5, "--"), (1.0, "-.")):
        bound = np.sqrt(level * d.n_params * (1.0 - grid) / grid)
        color = OKABE_ITO["orange"]
        ax.plot(grid, bound, color=color, lw=1.2, ls=style, label=f"Cook's distance {level:g}")
        ax.plot(grid, -bound, color=color, lw=1.2, ls=style)
    ax.set_xlim(0.0, h_max)
    _label(ax, d, h, r, d.most_influential(N_LABELLED))
    set_labels(ax, "Residuals vs Leverage", "leverage", "standardized residuals")
    _legend(ax, d, "lower left")


#: Each panel's file stem, title and drawing function, in R's order.
PANELS: Final[dict[str, tuple[str, Callable[[Axes, Diagnostics], None]]]] = {
    "residuals_vs_fitted": ("Residuals vs Fitted", _residuals_vs_fitted),
    "normal_qq": ("Normal Q-Q", _normal_qq),
    "scale_location": ("Scale-Location", _scale_location),
    "residuals_vs_leverage": ("Residuals vs Leverage", _residuals_vs_leverage),
}


def diagnostic_panel(diagnostics: Diagnostics, which: str) -> Figure:
    """One of the four panels (a key of :data:`PANELS`) as its own figure."""
    if which not in PANELS:
        raise ValueError(f"unknown panel {which!r}; choose one of {', '.join(PANELS)}")
    fig = new_figure((6.0, 4.5))
    PANELS[which][1](fig.add_subplot(), diagnostics)
    return fig


def diagnostic_figure(diagnostics: Diagnostics) -> Figure:
    """The four panels in a 2 x 2 figure, in R's order."""
    fig = new_figure((11.0, 8.5))
    for k, (_, draw) in enumerate(PANELS.values()):
        draw(fig.add_subplot(2, 2, k + 1), diagnostics)
    fig.suptitle(f"Regression diagnostics of {diagnostics.n_samples:,} rows")
    return fig


def write_diagnostic_plots(diagnostics: Diagnostics, folder: str | os.PathLike[str]) -> list[Path]:
    """Write each panel (``<key>.png``) and the 2 x 2 figure (``diagnostics.png``) to ``folder``.

    Returns
    -------
    list of Path
        The files written, panels first; each written atomically.
    """
    out = Path(folder)
    paths = [save_figure(diagnostic_panel(diagnostics, k), out / f"{k}.png") for k in PANELS]
    paths.append(save_figure(diagnostic_figure(diagnostics), out / "diagnostics.png"))
    return paths
