"""Loss landscapes: the MSE over two parameters with the path gradient descent took, several
optimizers on one landscape, and raw vs standardized features side by side (the scaling lab).

Conventions (palette, labels, saving) are those of :mod:`linreg.viz.style`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patheffects import AbstractPathEffect
from numpy.typing import ArrayLike

from linreg.history import History
from linreg.stability import Stability, hessian

if TYPE_CHECKING:
    from linreg.viz.lab import StepPath
from linreg.viz.style import (
    LANDSCAPE_CMAP,
    OKABE_ITO,
    Array,
    as_X,
    as_y,
    column_names,
    fmt_value,
    legend_below,
    new_figure,
    set_labels,
)


# -- 8. loss landscape -----------------------------------------------------------------------
@dataclass(frozen=True)
class Landscape:
    """The loss on a grid over two parameters, the others held fixed.

    The loss is the MSE, or the weighted, penalized objective (see :func:`landscape_grid`).

    Attributes
    ----------
    p : ndarray of shape (n_p,)
        Values of the first parameter (x axis).
    q : ndarray of shape (n_q,)
        Values of the second parameter (y axis).
    loss : ndarray of shape (n_q, n_p)
        ``loss[k, l]`` is the loss at parameter ``params[0] = p[l]``,
        ``params[1] = q[k]`` (the layout of ``numpy.meshgrid`` and ``contour``).
    params : (int, int)
        Indices into theta = [W, b]; index d is the bias.
    center : ndarray of shape (d + 1,)
        The parameter vector the slice passes through: the least-squares optimum
        (or the ``optimum`` given); parameters not in ``params`` stay at it.
    center_loss : float
        The loss at ``center``.
    labels : (str, str)
        Axis labels of the two parameters.
    """

    p: Array
    q: Array
    loss: Array
    params: tuple[int, int]
    center: Array
    center_loss: float
    labels: tuple[str, str]


def _least_squares(X: Array, y: Array, fit_intercept: bool) -> Array:
    # The reference optimum, from numpy's SVD least squares; b = 0 without intercept.
    n = X.shape[0]
    if fit_intercept:
        A = np.column_stack([X, np.ones(n)])
        theta = np.linalg.lstsq(A, y, rcond=None)[0]
    else:
        theta = np.append(np.linalg.lstsq(X, y, rcond=None)[0], 0.0)
    return np.asarray(theta, dtype=np.float64)


def _penalized_least_squares(
    X: Array, y: Array, fit_intercept: bool, w: Array, alpha: float | Array
) -> Array:
    # The minimiser of (1/S) sum w r^2 + alpha |W|^2 as least squares on augmented rows:
    # sqrt(w/S) [X 1] theta ~ sqrt(w/S) y, and sqrt(alpha) W ~ 0 (the intercept is free).
    n, d = X.shape
    A = np.column_stack([X, np.ones(n)]) if fit_intercept else X
    scale = np.sqrt(w / np.sum(w))
    penalty = np.eye(d, A.shape[1]) * np.sqrt(np.broadcast_to(alpha, (d,)))[:, None]
    theta = np.linalg.lstsq(
        np.vstack([A * scale[:, None], penalty]),
        np.concatenate([y * scale, np.zeros(d)]),
        rcond=None,
    )[0]
    return np.asarray(theta if fit_intercept else np.append(theta, 0.0), dtype=np.float64)


def _center(
    X: Array,
    y: Array,
    fit_intercept: bool,
    optimum: tuple[ArrayLike, float] | None,
    w: Array | None = None,
    alpha: float | Array = 0.0,
) -> Array:
    d = X.shape[1]
    if optimum is None:
        if w is None and not np.any(alpha):
            return _least_squares(X, y, fit_intercept)
        weights = np.ones(X.shape[0]) if w is None else w
        return _penalized_least_squares(X, y, fit_intercept, weights, alpha)
    coef = np.atleast_1d(np.asarray(optimum[0], dtype=np.float64))
    if coef.shape != (d,):
        raise ValueError(f"optimum coef must have shape ({d},), got {coef.shape}")
    return np.append(coef, float(optimum[1]))


def _check_params(params: tuple[int, int] | None, d: int) -> tuple[int, int]:
    if params is None:
        return (0, 1)  # (w, b) for one feature, (w1, w2) for several
    i, j = (int(v) for v in params)
    if not (0 <= i <= d and 0 <= j <= d) or i == j:
        raise ValueError(f"params must be two different indices in 0..{d} (d = bias), got {params}")
    return i, j


def _param_label(index: int, d: int, feature_names: Sequence[str], unit_hint: str) -> str:
    if index == d:
        return "bias b (target units)"
    name = "w" if d == 1 else f"w{index + 1}"
    return f"weight {name} (target units {unit_hint} {feature_names[index]})"


def _path(history: History, params: tuple[int, int]) -> tuple[Array, Array]:
    d = history.W.shape[1]

    def column(k: int) -> Array:
        values = history.b if k == d else history.W[:, k]
        return np.array(values, dtype=np.float64)  # a copy: artists never alias the history

    return column(params[0]), column(params[1])


def _limits(values: Sequence[Array], center: float) -> tuple[float, float]:
    pool = np.concatenate([*(v[np.isfinite(v)] for v in values), [center]])
    lo, hi = float(pool.min()), float(pool.max())
    span = hi - lo
    if span <= 1e-12 * max(1.0, abs(center)):
        # Nothing moved (e.g. a closed-form fit): show a window around the point.
        span = max(abs(center), 1.0)
        return center - span, center + span
    return lo - 0.15 * span, hi + 0.15 * span


def landscape_grid(
    X: ArrayLike,
    y: ArrayLike,
    *,
    params: tuple[int, int] | None = None,
    fit_intercept: bool = True,
    optimum: tuple[ArrayLike, float] | None = None,
    histories: Sequence[History] = (),
    limits: tuple[tuple[float, float], tuple[float, float]] | None = None,
    resolution: int = 121,
    feature_names: Sequence[str] | None = None,
    unit_hint: str = "per unit of",
    sample_weight: ArrayLike | None = None,
    alpha: float | Array = 0.0,
) -> Landscape:
    """Evaluate the loss exactly on a grid over two parameters.

    The loss is the objective of :mod:`linreg.problem`,
    L(W, b) = (1/S) sum_i w_i (x_i W + b - y_i)^2 + alpha |W|^2 with S = sum w; with no
    weights and ``alpha = 0``, the MSE.

    Parameters
    ----------
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    params : (int, int), optional
        Indices into theta = [W, b] (index d is the bias). Default (0, 1): (w, b)
        for one feature, (w1, w2) for several.
    fit_intercept : bool, default=True
        Whether the optimum is fitted with an intercept (without one, b = 0).
    optimum : (coef, intercept), optional
        The point the slice passes through; default the least-squares solution of
        ``numpy.linalg.lstsq`` on [X 1] (or X).
    histories : sequence of History
        Paths the grid must cover, with a margin.
    limits : ((p_lo, p_hi), (q_lo, q_hi)), optional
        Explicit ranges, overriding the automatic ones.
    resolution : int, default=121
        Grid points along each axis.
    feature_names : sequence of d str, optional
        Used in the axis labels.
    unit_hint : str, default="per unit of"
        Connects "target units" and the feature name in weight labels.
    sample_weight : array-like of shape (N,), optional
        Row weights w >= 0 (not all zero); None for equal weights.
    alpha : float or ndarray of shape (d,), default=0.0
        The ridge penalty, or one per feature (a standardized penalty's ``alpha s^2``,
        :func:`linreg.problem.ridge_penalty`); the default centre is then the penalized
        optimum.

    Returns
    -------
    Landscape

    Notes
    -----
    The loss is a quadratic in theta. With A = [X 1], the residual r0 at the
    centre theta0, L0 = r0ᵀr0 / N, g = Aᵀr0 / N and G = AᵀA / N,

    .. math:: L(\\theta_0 + \\delta) = L_0 + 2 g^\\top \\delta + \\delta^\\top G \\delta

    exactly. With weights and the penalty, L0 = (1/S) r0ᵀ W r0 + alpha |W0|²,
    g = AᵀW r0 / S + alpha [W0, 0] and G = AᵀW A / S + alpha diag(1, ..., 1, 0), W = diag(w).
    G and g cost one O(N d²) pass; each grid point then costs O(1), so
    the grid never loops over the data. Expanding about theta0 (rather than
    using θᵀGθ − 2θᵀc + yᵀy, which subtracts large numbers) keeps the values
    accurate near the optimum, where the contours matter most.
    """
    Xa = as_X(X)
    ya = as_y(y, Xa.shape[0])
    n, d = Xa.shape
    i, j = _check_params(params, d)
    names = column_names(feature_names, d)
    w = None if sample_weight is None else as_y(sample_weight, n, "sample_weight")
    if w is not None and (np.any(~np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0)):
        raise ValueError("sample_weight must be finite numbers >= 0, not all zero")
    if not (np.all(np.isfinite(alpha)) and np.all(np.asarray(alpha) >= 0.0)):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    center = _center(Xa, ya, fit_intercept, optimum, w, alpha)

    r0 = Xa @ center[:d] + center[d] - ya
    if w is None and not np.any(alpha):
        L0 = float(r0 @ r0) / n
        g = np.append(Xa.T @ r0, r0.sum()) / n
        G = hessian(Xa, fit_intercept=True) / 2.0  # (2/N) AᵀA / 2, intercept last
    else:
        weights = np.ones(n) if w is None else w
        total = float(np.sum(weights))
        wr = weights * r0
        W0 = center[:d]
        ridge = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (d,))
        L0 = float(r0 @ wr) / total + float(np.sum(ridge * W0**2))
        g = np.append(Xa.T @ wr, wr.sum()) / total + np.append(ridge * W0, 0.0)
        A = np.column_stack([Xa, np.ones(n)])
        G = (A.T @ (A * weights[:, None])) / total + np.diag(np.append(ridge, 0.0))

    for history in histories:
        if history.W.ndim != 2 or history.W.shape[1] != d:
            raise ValueError(f"a history has weights of shape {history.W.shape}; X has {d} columns")
    if limits is None:
        paths = [_path(h, (i, j)) for h in histories]
        p_lim = _limits([pp for pp, _ in paths], float(center[i]))
        q_lim = _limits([qq for _, qq in paths], float(center[j]))
    else:
        p_lim, q_lim = limits
    p = np.linspace(p_lim[0], p_lim[1], resolution)
    q = np.linspace(q_lim[0], q_lim[1], resolution)
    dp = (p - center[i])[None, :]
    dq = (q - center[j])[:, None]
    loss = (
        L0
        + 2.0 * (g[i] * dp + g[j] * dq)
        + G[i, i] * dp**2
        + 2.0 * G[i, j] * dp * dq
        + G[j, j] * dq**2
    )
    labels = (
        _param_label(i, d, names, unit_hint),
        _param_label(j, d, names, unit_hint),
    )
    return Landscape(
        p=p,
        q=q,
        loss=np.asarray(loss, dtype=np.float64),
        params=(i, j),
        center=center,
        center_loss=L0,
        labels=labels,
    )


#: Contour levels of a landscape.
LANDSCAPE_LEVELS = 14


def landscape_levels(grid: Landscape, n_levels: int = LANDSCAPE_LEVELS) -> Array | None:
    """Contour levels log-spaced in the excess loss above the minimum, or None when the
    landscape is (nearly) flat and has no contours to draw."""
    lo, hi = float(grid.loss.min()), float(grid.loss.max())
    if not hi > lo:
        return None
    # Levels log-spaced in L − L_min: the MSE near the optimum sits on the noise
    # floor, so log-spacing L itself would crowd every contour far from it.
    excess = np.geomspace((hi - lo) * 1e-4, hi - lo, n_levels)
    levels = np.concatenate([[lo], lo + excess])
    levels[-1] = hi
    # When the loss barely varies, lo + tiny rounds back to lo; contourf needs
    # strictly increasing levels.
    levels = np.unique(levels)
    return levels if levels.shape[0] >= 3 else None


def _draw_landscape(
    fig: Figure, ax: Axes, grid: Landscape, *, n_levels: int = LANDSCAPE_LEVELS
) -> None:
    """Filled contours with levels log-spaced in the excess loss, and a colour bar."""
    ax.set_xlim(grid.p[0], grid.p[-1])
    ax.set_ylim(grid.q[0], grid.q[-1])
    levels = landscape_levels(grid, n_levels)
    if levels is None:
        return
    cmap = mpl.colormaps[LANDSCAPE_CMAP]
    norm = BoundaryNorm(levels, cmap.N)  # equal colour steps between log-spaced levels
    filled = ax.contourf(grid.p, grid.q, grid.loss, levels=levels, cmap=cmap, norm=norm, alpha=0.8)
    ax.contour(grid.p, grid.q, grid.loss, levels=levels[1:-1], colors="white", linewidths=0.5)
    cbar = fig.colorbar(filled, ax=ax, shrink=0.9)
    ticks = [float(v) for v in levels[:: max(1, len(levels) // 6)]]
    cbar.set_ticks(ticks, labels=[f"{v:.3g}" for v in ticks])
    cbar.set_label("MSE (log-spaced above its minimum)")


#: Colours of several paths on one landscape: viridis is blue, green and yellow, so the
#: paths take colours far from those and from each other (vermillion, white, pink,
#: orange), each with a dark outline and its own line style.
PATH_COLORS = (OKABE_ITO["vermillion"], "#FFFFFF", OKABE_ITO["purple"], OKABE_ITO["orange"])
PATH_STYLES = ("-", "--", ":", "-.")
PATH_END_MARKERS = (("s", "square"), ("D", "diamond"), ("^", "triangle"), ("v", "down triangle"))


def _outline(width: float) -> list[AbstractPathEffect]:
    # A thin dark outline keeps a coloured path readable on every colour of the
    # landscape (and on the white legend), whatever its own colour.
    return [patheffects.withStroke(linewidth=width + 1.6, foreground=OKABE_ITO["black"])]


def _thin_outline(width: float) -> list[AbstractPathEffect]:
    # A path through single steps: a faint outline, so the steps' jitter is not one dark band.
    return [patheffects.withStroke(linewidth=width + 0.6, foreground=OKABE_ITO["black"], alpha=0.5)]


def _draw_path(
    ax: Axes,
    history: History,
    params: tuple[int, int],
    *,
    color: str,
    label: str,
    end_marker: str = "s",
    end_label: str | None = None,
    mark_start: bool = True,
    mark_epochs: bool = False,
    linestyle: str = "-",
    epoch_ends: list[int] | None = None,
) -> Line2D:
    # ``epoch_ends``: ``history`` holds steps within the epochs; a thin line, dots at these.
    p, q = _path(history, params)
    n = p.shape[0]
    # Per-epoch dots help while they can be told apart; beyond that they are noise.
    marker = "o" if n <= 60 or epoch_ends is not None else None
    width = 1.8 if epoch_ends is None else 0.7
    (line,) = ax.plot(
        p,
        q,
        color=color,
        lw=width,
        marker=marker,
        markevery=epoch_ends,
        ms=3 if epoch_ends is None else 2.5,
        ls=linestyle,
        label=label,
        gid="optimizer-path",
        path_effects=_outline(width) if epoch_ends is None else _thin_outline(width),
    )
    if mark_epochs:
        _mark_epochs(ax, history, p, q)
    if mark_start:
        ax.plot(
            p[0],
            q[0],
            marker="o",
            ms=9,
            ls="none",
            color="white",
            markeredgecolor=OKABE_ITO["black"],
            label="start (epoch 0)",
        )
    ax.plot(
        p[-1],
        q[-1],
        marker=end_marker,
        ms=7,
        ls="none",
        color=color,
        markeredgecolor=OKABE_ITO["black"],
        zorder=6,  # above the optimum's star, which it often reaches
        label=f"end (epoch {history.epochs[-1]})" if end_label is None else end_label,
    )
    return line


def marked_epochs(epochs: Array) -> list[int]:
    """Indices of the history entries marked on a path: epochs 1, 10, 100, ... (the first
    entry at or after each power of ten), leaving out the start and the end, which have
    markers of their own."""
    last = int(epochs[-1])
    out: list[int] = []
    power = 1
    while power < last:
        index = int(np.searchsorted(epochs, power))
        if 0 < index < len(epochs) - 1 and index not in out:
            out.append(index)
        power *= 10
    return out


def _mark_epochs(ax: Axes, history: History, p: Array, q: Array) -> None:
    # Where the path was after 1, 10, 100, ... epochs: how fast it moves along it.
    indices = marked_epochs(history.epochs.astype(np.float64))
    if not indices:
        return
    ax.plot(
        p[indices],
        q[indices],
        marker="o",
        ms=6,
        ls="none",
        color="white",
        markeredgecolor=OKABE_ITO["black"],
        zorder=5,
        label="after 1, 10, 100, ... epochs",
    )
    for index in indices:
        ax.annotate(
            f"{int(history.epochs[index])}",
            (p[index], q[index]),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=9,
            color="white",
            path_effects=_outline(0.5),
            zorder=5,
        )


def _draw_optimum(ax: Axes, grid: Landscape) -> None:
    i, j = grid.params
    ax.plot(
        grid.center[i],
        grid.center[j],
        marker="*",
        ms=19,
        ls="none",
        color=OKABE_ITO["yellow"],
        markeredgecolor=OKABE_ITO["black"],
        zorder=4,  # under the end markers: a path that reaches it still shows its end
        label="least-squares optimum",
    )


def _slice_note(d: int) -> str:
    # With more than two parameters the picture is a slice, and should say so.
    return "" if d == 1 else "\n(slice: other parameters held at their optimum)"


def loss_landscape(
    X: ArrayLike,
    y: ArrayLike,
    history: History,
    *,
    fit_intercept: bool = True,
    params: tuple[int, int] | None = None,
    optimum: tuple[ArrayLike, float] | None = None,
    feature_names: Sequence[str] | None = None,
    sample_weight: ArrayLike | None = None,
    alpha: float | Array = 0.0,
) -> Figure:
    """Contours of the loss over two parameters with the optimizer's path.

    The loss is the MSE, or with ``sample_weight`` and ``alpha`` the objective the model
    minimised (see :func:`landscape_grid`).

    Parameters
    ----------
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    history : History
        ``W`` (n+1, d) and ``b`` (n+1,): the path drawn, epoch by epoch.
    fit_intercept : bool, default=True
    params : (int, int), optional
        Which two entries of theta = [W, b] to show (index d is b); default
        (w, b) for one feature and (w1, w2) for several, the other parameters
        held at their least-squares optimum.
    optimum : (coef, intercept), optional
        Use this instead of computing the least-squares optimum.
    feature_names : sequence of d str, optional
    sample_weight : array-like of shape (N,), optional
        Row weights; None for equal weights.
    alpha : float or ndarray of shape (d,), default=0.0
        The ridge penalty, or one per feature (see :func:`landscape_grid`).

    Returns
    -------
    Figure
        Filled contours (levels log-spaced above the minimum), the path with its
        start (circle), the epochs 1, 10, 100, ... (numbered dots), its end (a
        square drawn above the optimum's star, which it often reaches) and the
        optimum (star). The path line carries ``gid="optimizer-path"``; its data are
        the history's values.
    """
    Xa = as_X(X)
    d = Xa.shape[1]
    grid = landscape_grid(
        Xa,
        y,
        params=params,
        fit_intercept=fit_intercept,
        optimum=optimum,
        histories=[history],
        feature_names=feature_names,
        sample_weight=sample_weight,
        alpha=alpha,
    )
    fig = new_figure((7.2, 6.0))
    ax = fig.add_subplot()
    _draw_landscape(fig, ax, grid)
    _draw_path(
        ax,
        history,
        grid.params,
        color=OKABE_ITO["vermillion"],
        label="gradient-descent path",
        mark_epochs=True,
    )
    _draw_optimum(ax, grid)
    set_labels(
        ax,
        f"Loss landscape and training path ({history.n_epochs} epochs){_slice_note(d)}",
        *grid.labels,
    )
    legend_below(fig, ax, ncols=2)
    return fig


# -- 10. several optimizers on one landscape -------------------------------------------------
def optimizer_paths(
    X: ArrayLike,
    y: ArrayLike,
    histories: Mapping[str, History],
    *,
    fit_intercept: bool = True,
    params: tuple[int, int] | None = None,
    feature_names: Sequence[str] | None = None,
    steps: Mapping[str, StepPath] | None = None,
) -> Figure:
    """Paths of several optimizers on the same loss landscape.

    Parameters
    ----------
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    histories : mapping of str to History
        Name (e.g. ``"full-batch GD"``, ``"mini-batch SGD"``) to its run, all
        started from the same point.
    fit_intercept : bool, default=True
    params : (int, int), optional
        As in :func:`loss_landscape`; default (w, b) for one feature.
    feature_names : sequence of d str, optional
    steps : mapping of str to StepPath, optional
        For some of the names, the run's parameters after its updates within the
        epochs (:func:`linreg.viz.lab.record_steps`). Such a path is drawn through
        every kept update, as a thin line with a dot at each epoch end, so the noise
        of single SGD steps shows; the others are drawn epoch by epoch.

    Returns
    -------
    Figure
        One landscape covering every path; each path in its own colour, ending
        in its own marker; the start of the first path as a circle; the optimum
        as a star. Path lines carry ``gid="optimizer-path"``.
    """
    Xa = as_X(X)
    d = Xa.shape[1]
    if not histories:
        raise ValueError("optimizer_paths needs at least one history")
    within = {name: path for name, path in (steps or {}).items() if name in histories}
    grid = landscape_grid(
        Xa,
        y,
        params=params,
        fit_intercept=fit_intercept,
        histories=[
            *histories.values(),  # the grid covers the steps within the epochs too
            *(History(loss=np.zeros(s.b.shape[0]), W=s.W, b=s.b) for s in within.values()),
        ],
        feature_names=feature_names,
    )
    fig = new_figure((7.6, 6.4))
    ax = fig.add_subplot()
    _draw_landscape(fig, ax, grid)
    for k, (name, history) in enumerate(histories.items()):
        marker, marker_name = PATH_END_MARKERS[k % len(PATH_END_MARKERS)]
        drawn, thin = history, None
        if name in within:  # every kept update, a dot at each epoch end
            path = within[name]
            drawn = History(loss=np.zeros(path.b.shape[0]), W=path.W, b=path.b)
            thin = path.epoch_ends.tolist()
        _draw_path(
            ax,
            drawn,
            grid.params,
            color=PATH_COLORS[k % len(PATH_COLORS)],
            label=f"{name} ({history.n_epochs} epochs, ends at the {marker_name})",
            end_marker=marker,
            end_label="_nolegend_",  # named in the path's own entry: one entry per path
            mark_start=k == 0,
            linestyle=PATH_STYLES[k % len(PATH_STYLES)],
            epoch_ends=thin,
        )
    _draw_optimum(ax, grid)
    set_labels(ax, f"Optimizer paths on the loss landscape{_slice_note(d)}", *grid.labels)
    legend_below(fig, ax, ncols=1)  # long labels: one a line, all visible
    return fig


# -- 11. scaling lab -------------------------------------------------------------------------
def _epochs_to_converge(history: History, best: float, rtol: float = 1e-3) -> int | None:
    # Converged = MSE within rtol (relative) of the least-squares MSE; for an exact
    # fit (best = 0) fall back to a tiny fraction of the starting loss.
    threshold = rtol * best if best > 0 else 1e-12 * float(history.loss[0])
    hits = np.flatnonzero(np.asarray(history.loss) - best <= threshold)
    return int(hits[0]) if hits.size else None


def _square(limits: tuple[float, float], other: tuple[float, float]) -> tuple[float, float]:
    # Widen ``limits`` about its centre to the span of ``other`` if that is larger.
    half = max(limits[1] - limits[0], other[1] - other[0]) / 2
    mid = (limits[0] + limits[1]) / 2
    return mid - half, mid + half


def scaling_lab(
    X: ArrayLike,
    y: ArrayLike,
    raw: History,
    standardized: History,
    *,
    raw_stability: Stability,
    std_stability: Stability,
    fit_intercept: bool = True,
    params: tuple[int, int] | None = None,
    feature_names: Sequence[str] | None = None,
) -> Figure:
    """Why standardizing helps: raw and standardized landscapes side by side.

    Parameters
    ----------
    X : array-like of shape (N, d)
        The raw features.
    y : array-like of shape (N,)
    raw : History
        A run trained on ``X`` itself.
    standardized : History
        A run trained on Z = (X − mean) / std, **in standardized units**. Train it
        on Z directly (e.g. ``LinearRegression(standardize=False).fit(Z, y)``,
        with the population std, ``X.std(axis=0)``): the estimator's
        ``standardize=True`` records its history in the original units, which
        belongs on the left panel, not here.
    raw_stability, std_stability : Stability
        ``stability(X)`` and ``stability(Z)``: condition number and eta_max.
    fit_intercept : bool, default=True
    params : (int, int), optional
        As in :func:`loss_landscape`; default (w, b) for one feature.
    feature_names : sequence of d str, optional
        Names of the raw features.

    Returns
    -------
    Figure
        Two landscapes with their paths. Titles give the condition number kappa,
        eta_max and the epoch at which the MSE came within 0.1% of the
        least-squares MSE. The standardized panel is drawn to equal scale (all
        its parameters are in target units), so a well-conditioned bowl looks round.
    """
    Xa = as_X(X)
    ya = as_y(y, Xa.shape[0])
    d = Xa.shape[1]
    names = column_names(feature_names, d)
    std = Xa.std(axis=0)
    std = np.where(std == 0.0, 1.0, std)  # a constant column stays as it is
    Z = (Xa - Xa.mean(axis=0)) / std

    fig = new_figure((13.0, 6.0))
    layout = fig.add_gridspec(1, 2)
    panels = (
        ("Raw features", Xa, raw, raw_stability, "per unit of"),
        ("Standardized features", Z, standardized, std_stability, "per std of"),
    )
    axes: list[Axes] = []
    for k, (name, data, history, stab, hint) in enumerate(panels):
        ax = fig.add_subplot(layout[0, k])
        axes.append(ax)
        grid = landscape_grid(
            data,
            ya,
            params=params,
            fit_intercept=fit_intercept,
            histories=[history],
            feature_names=names,
            unit_hint=hint,
        )
        if k == 1:
            # Same units on both axes: make the window square and draw to equal
            # scale, so that kappa = 1 shows as circles, not as stretched ellipses.
            p_lim = (float(grid.p[0]), float(grid.p[-1]))
            q_lim = (float(grid.q[0]), float(grid.q[-1]))
            grid = landscape_grid(
                data,
                ya,
                params=params,
                fit_intercept=fit_intercept,
                limits=(_square(p_lim, q_lim), _square(q_lim, p_lim)),
                feature_names=names,
                unit_hint=hint,
            )
            ax.set_aspect("equal", adjustable="box")
        _draw_landscape(fig, ax, grid)
        _draw_path(
            ax,
            history,
            grid.params,
            color=OKABE_ITO["vermillion"],
            label="gradient-descent path",
            end_label="end (last epoch)",
        )
        _draw_optimum(ax, grid)
        reached = _epochs_to_converge(history, grid.center_loss)
        when = (
            f"converged at epoch {reached} of {history.n_epochs}"
            if reached is not None
            else f"not converged in {history.n_epochs} epochs"
        )
        set_labels(
            ax,
            f"{name}: κ = {stab.condition_number:.3g}, "
            f"η_max = {fmt_value(stab.max_stable_learning_rate)}\n{when}",
            *grid.labels,
        )
    legend_below(fig, axes[0], ncols=4)
    fig.suptitle(
        "Feature scaling: same data, same model, a rounder bowl\n"
        "(κ = λ_max / λ_min of the Hessian; converged = MSE within 0.1% of the "
        "least-squares MSE)"
    )
    return fig
