"""Figures of a linear regression run, drawn from the user's own data and history.

Every public function here builds and returns a :class:`matplotlib.figure.Figure`
(or, for the animation, writes a GIF). Figures are created with ``Figure()``
directly rather than through pyplot, so nothing needs a display, nothing is
registered in pyplot's global figure list, and the module works under any
backend. :func:`save_figure` writes a figure to PNG atomically.

Conventions shared by all figures:

- colours come from the Okabe–Ito palette (:data:`OKABE_ITO`), which stays
  distinguishable under the common forms of colour blindness; the loss
  landscape uses the perceptually uniform, colour-blind-safe ``viridis`` map;
- every axes has a title and labelled axes, and a legend when it shows more
  than one series;
- nothing is mutated: inputs are only read, models are only queried.

Symbols are those of :mod:`linreg.model`: ``X`` (N, d), ``y`` (N,), ``W`` (d,),
``b``, and a parameter vector theta = [W, b] of length d + 1 whose last entry
is the bias.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import matplotlib as mpl
import numpy as np
from matplotlib import patheffects
from matplotlib.animation import PillowWriter
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patheffects import AbstractPathEffect
from numpy.typing import ArrayLike, NDArray

from linreg.data import default_feature_names
from linreg.history import History
from linreg.model import LinearModel
from linreg.stability import Stability, hessian

__all__ = [
    "OKABE_ITO",
    "FittedModel",
    "Landscape",
    "SweepRunLike",
    "TrainedModel",
    "animation_epochs",
    "fit_line",
    "landscape_grid",
    "learning_rate_sweep",
    "loss_curve",
    "loss_landscape",
    "optimizer_paths",
    "raw_data",
    "residuals",
    "save_figure",
    "scaling_lab",
    "training_animation",
    "true_vs_learned",
    "untrained_vs_trained",
    "write_training_figures",
]

Array = NDArray[np.float64]

#: The Okabe–Ito palette (Okabe & Ito, 2008): eight colours that stay distinct
#: for deuteranopia, protanopia and tritanopia. Defined once, used everywhere.
OKABE_ITO: Final[dict[str, str]] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

# Order used when several series need colours. Yellow comes last: it is the
# hardest to see on white, so it only appears when seven others are in use.
_CYCLE: Final[tuple[str, ...]] = tuple(
    OKABE_ITO[name]
    for name in ("blue", "vermillion", "green", "orange", "purple", "sky_blue", "black", "yellow")
)
_DATA_COLOR: Final = "#666666"  # neutral grey: data recede, model lines stand out
_LANDSCAPE_CMAP: Final = "viridis"

#: Resolution of saved PNGs; pixel size = figsize * DPI.
DPI: Final = 100
_ANIMATION_DPI: Final = 80
_ANIMATION_FIGSIZE: Final = (9.0, 4.0)
_MAX_PANELS: Final = 6


# -- protocols for the objects figures read -------------------------------------------------
class FittedModel(Protocol):
    """What figures need from a fitted estimator such as :class:`linreg.LinearRegression`."""

    @property
    def coef_(self) -> Array: ...

    @property
    def intercept_(self) -> float: ...


class TrainedModel(FittedModel, Protocol):
    """A fitted estimator that also kept its training record (``history_``)."""

    @property
    def history_(self) -> History: ...

    @property
    def fit_intercept(self) -> bool: ...


class SweepRunLike(Protocol):
    """One run of a learning-rate sweep, as read by :func:`learning_rate_sweep`.

    Attributes
    ----------
    learning_rate : float
    history : History
        What the run recorded (up to divergence, for diverged runs).
    status : str
        ``"converged"``, ``"slow"`` or ``"diverged"``.
    diverged_at_epoch : int or None
        The first epoch whose loss was non-finite or exploding.
    """

    @property
    def learning_rate(self) -> float: ...

    @property
    def history(self) -> History: ...

    @property
    def status(self) -> str: ...

    @property
    def diverged_at_epoch(self) -> int | None: ...


# -- small shared helpers -------------------------------------------------------------------
def _new_figure(figsize: tuple[float, float], dpi: float = DPI) -> Figure:
    # Constrained layout keeps titles, labels and colour bars from overlapping
    # without the pixel size changing (unlike bbox_inches="tight").
    return Figure(figsize=figsize, dpi=dpi, layout="constrained")


def _label(ax: Axes, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _legend(ax: Axes, **kwargs: Any) -> None:
    # Only when something is labelled: an empty legend() call warns.
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        _opaque(ax.legend(**kwargs))


def _opaque(legend: Legend) -> None:
    # Faded scatter points are right for the plot but too faint for the key.
    for handle in legend.legend_handles:
        if handle is not None:
            handle.set_alpha(1.0)


def _legend_below(fig: Figure, ax: Axes, ncols: int = 4) -> None:
    # Landscapes are busy: a key inside the axes would hide part of the path, so
    # it goes under the figure, where constrained layout makes room for it.
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        _opaque(fig.legend(handles, labels, loc="outside lower center", ncols=ncols))


def _as_X(X: ArrayLike) -> Array:
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"X must have shape (N, d) with N, d >= 1, got {arr.shape}")
    return arr


def _as_y(y: ArrayLike, n: int | None = None, name: str = "y") -> Array:
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values but X has {n} rows")
    return arr


def _names(feature_names: Sequence[str] | None, d: int) -> list[str]:
    if feature_names is None:
        return default_feature_names(d)
    names = [str(n) for n in feature_names]
    if len(names) != d:
        raise ValueError(f"feature_names has {len(names)} names but X has {d} columns")
    return names


def _scatter_style(n: int) -> dict[str, Any]:
    # Many points drawn opaquely merge into a blob; fade them as N grows.
    alpha = 0.75 if n <= 200 else 0.45 if n <= 2000 else 0.2
    return {"s": 14 if n <= 2000 else 6, "alpha": alpha, "linewidths": 0}


def _params_of(model: FittedModel | LinearModel) -> tuple[Array, float]:
    if isinstance(model, LinearModel):
        return np.asarray(model.W, dtype=np.float64), float(model.b)
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _equation(w: float, b: float, feature: str, target: str) -> str:
    sign = "−" if b < 0 else "+"
    return f"{target} = {_fmt(w)}·{feature} {sign} {_fmt(abs(b))}"


def _use_log_scale(ax: Axes, values: Array) -> None:
    # A log axis over data with no positive value warns and shows nothing;
    # keep the axis linear in that (degenerate, e.g. perfect fit) case.
    finite = values[np.isfinite(values)]
    if np.any(finite > 0):
        ax.set_yscale("log")


def _log_epochs(ax: Axes, last_epoch: int) -> None:
    # Linear from 0 to 1, logarithmic after: epoch 0 stays on the axis, and the
    # first few epochs, where most of the learning (or diverging) happens, get
    # as much room as the last thousands.
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(0, last_epoch)  # symlog's autoscale would add negative epochs


def _r2(y: Array, y_pred: Array) -> float:
    ss_res = float(np.sum((y - y_pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


def _diagonal(ax: Axes, lo: float, hi: float) -> None:
    ax.plot([lo, hi], [lo, hi], color=OKABE_ITO["black"], lw=1.2, ls="--", label="y = x")


def _span(values: Array, margin: float = 0.05) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    lo, hi = float(finite.min()), float(finite.max())
    pad = (hi - lo) * margin if hi > lo else max(abs(hi), 1.0) * 0.5
    return lo - pad, hi + pad


# -- atomic writing --------------------------------------------------------------------------
@contextmanager
def _atomic_target(path: Path, suffix: str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it over ``path`` on success.

    The temporary file lives in the same directory so that ``os.replace`` is an
    atomic rename on the same file system: readers see the old file or the new
    one, never half a PNG. On any error the temporary file is removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # The suffix matters: Pillow picks the image format from the extension.
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp creates files readable by the owner only; figures are for sharing.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` to ``path`` as a PNG, atomically.

    The PNG is written to a temporary file in the same directory and then renamed
    over ``path``; if anything fails, the temporary file is removed and ``path``
    is left as it was. Parent directories are created. The image is
    ``figsize * fig.dpi`` pixels (no tight cropping).

    Parameters
    ----------
    fig : Figure
    path : str or path-like
        Destination; PNG is written whatever the extension.

    Returns
    -------
    Path
        ``path``.
    """
    target = Path(path)
    with (
        _atomic_target(target, ".png") as tmp,
        mpl.rc_context({"savefig.bbox": "standard"}),  # a user's "tight" would crop
    ):
        fig.savefig(tmp, format="png", dpi=fig.dpi, facecolor="white")
    return target


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
    Xa = _as_X(X)
    ya = _as_y(y, Xa.shape[0])
    n, d = Xa.shape
    names = _names(feature_names, d)
    shown = min(d, _MAX_PANELS)
    ncols = min(shown, 3)
    nrows = -(-shown // ncols)
    figsize = (6.4, 4.8) if shown == 1 else (3.6 * ncols + 0.4, 3.1 * nrows + 0.7)
    fig = _new_figure(figsize)
    grid = fig.add_gridspec(nrows, ncols)
    style = _scatter_style(n)
    for j in range(shown):
        ax = fig.add_subplot(grid[j // ncols, j % ncols])
        ax.scatter(Xa[:, j], ya, color=OKABE_ITO["blue"], **style)
        _label(ax, f"{target_name} vs {names[j]}", names[j], target_name)
    title = f"Raw data: N = {n} samples"
    if d > 1:
        title += f", d = {d} features"
        if d > shown:
            title += f" (first {shown} shown)"
        fig.suptitle(title)
    else:
        fig.axes[0].set_title(title)
    return fig


# -- 2. loss curve ---------------------------------------------------------------------------
def loss_curve(history: History, *, title: str = "Training loss") -> Figure:
    """Training (and validation) MSE per epoch on a log scale.

    Parameters
    ----------
    history : History
        ``loss`` of shape (n+1,), optionally ``val_loss`` of shape (n+1,).
    title : str, default="Training loss"

    Returns
    -------
    Figure
        One axes: epoch on x, MSE (log scale) on y.
    """
    fig = _new_figure((6.4, 4.8))
    ax = fig.add_subplot()
    epochs = history.epochs
    marker = "o" if history.loss.shape[0] <= 30 else None
    ax.plot(
        epochs, history.loss, color=OKABE_ITO["blue"], lw=2, marker=marker, ms=4, label="training"
    )
    values = history.loss
    if history.val_loss is not None:
        ax.plot(
            epochs,
            history.val_loss,
            color=OKABE_ITO["vermillion"],
            lw=2,
            ls="--",
            marker=marker,
            ms=4,
            label="validation",
        )
        values = np.concatenate([values, history.val_loss])
    _use_log_scale(ax, values)
    full_title = f"{title}: final MSE {_fmt(history.final_loss)} after {history.n_epochs} epochs"
    _label(ax, full_title, "epoch (number of updates)", "mean squared error (target units²)")
    ax.grid(True, which="major", alpha=0.3)
    _legend(ax)
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
    Xa = _as_X(X)
    ya = _as_y(y, Xa.shape[0])
    n, d = Xa.shape
    names = _names(feature_names, d)
    W, b = _params_of(model)
    if W.shape != (d,):
        raise ValueError(f"the model has {W.shape[0]} weights but X has {d} columns")
    y_pred = Xa @ W + b
    r2 = _r2(ya, y_pred)
    fig = _new_figure((6.4, 4.8))
    ax = fig.add_subplot()
    if d == 1:
        ax.scatter(Xa[:, 0], ya, color=_DATA_COLOR, label="data", **_scatter_style(n))
        x_line = np.array([Xa[:, 0].min(), Xa[:, 0].max()])
        ax.plot(
            x_line,
            W[0] * x_line + b,
            color=OKABE_ITO["blue"],
            lw=2.5,
            label=f"fit: {_equation(W[0], b, names[0], target_name)}",
        )
        _label(ax, f"Fitted line (R² = {r2:.4f})", names[0], target_name)
    else:
        ax.scatter(ya, y_pred, color=OKABE_ITO["blue"], label="samples", **_scatter_style(n))
        lo, hi = _span(np.concatenate([ya, y_pred]), margin=0.02)
        _diagonal(ax, lo, hi)
        _label(
            ax,
            f"Predicted vs actual (R² = {r2:.4f})",
            f"actual {target_name}",
            f"predicted {target_name}",
        )
    ax.grid(True, alpha=0.3)
    _legend(ax)
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
    Xa = _as_X(X)
    n = Xa.shape[0]
    truth = _as_y(y, n) if y_true is None else _as_y(y_true, n, "y_true")
    truth_label = "observed y" if y_true is None else "ground truth y_true (noise-free)"
    last = history.n_epochs
    before = Xa @ history.W[0] + history.b[0]
    after = Xa @ history.W[last] + history.b[last]
    fig = _new_figure((6.4, 4.8))
    ax = fig.add_subplot()
    style = _scatter_style(n)
    if last > 0:
        ax.scatter(
            truth, before, color=OKABE_ITO["vermillion"], label="untrained (epoch 0)", **style
        )
        after_label = f"trained (epoch {last})"
    else:
        # A closed-form fit records a single entry: there is no untrained model to show.
        after_label = "closed-form fit (no training steps)"
    ax.scatter(truth, after, color=OKABE_ITO["blue"], label=after_label, marker="s", **style)
    lo, hi = _span(truth, margin=0.02)
    _diagonal(ax, lo, hi)
    _label(ax, "Untrained vs trained predictions", truth_label, "model prediction")
    ax.grid(True, alpha=0.3)
    _legend(ax)
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
        For d = 1 the two lines over the x range; for d > 1 a bar chart of the
        true and the learned value of every weight and of the bias.
    """
    Xa = _as_X(X)
    n, d = Xa.shape
    names = _names(feature_names, d)
    W_true = np.atleast_1d(np.asarray(true_weights, dtype=np.float64))
    W = np.atleast_1d(np.asarray(coef, dtype=np.float64))
    if W_true.shape != (d,) or W.shape != (d,):
        raise ValueError(f"true_weights and coef must have shape ({d},)")
    b_true, b = float(true_bias), float(intercept)
    if d == 1:
        fig = _new_figure((6.4, 4.8))
        ax = fig.add_subplot()
        if y is not None:
            ya = _as_y(y, n)
            ax.scatter(Xa[:, 0], ya, color=_DATA_COLOR, label="data", **_scatter_style(n))
        x_line = np.array([Xa[:, 0].min(), Xa[:, 0].max()])
        ax.plot(
            x_line,
            W_true[0] * x_line + b_true,
            color=OKABE_ITO["black"],
            lw=2,
            ls="--",
            label=f"true: {_equation(W_true[0], b_true, names[0], target_name)}",
        )
        ax.plot(
            x_line,
            W[0] * x_line + b,
            color=OKABE_ITO["blue"],
            lw=2.5,
            alpha=0.85,
            label=f"learned: {_equation(W[0], b, names[0], target_name)}",
        )
        _label(ax, "True vs learned function", names[0], target_name)
        ax.grid(True, alpha=0.3)
    else:
        labels = [*(f"w{j + 1} ({name})" for j, name in enumerate(names)), "bias b"]
        true_params = np.append(W_true, b_true)
        learned = np.append(W, b)
        fig = _new_figure((max(6.4, 0.55 * (d + 1) + 2.0), 4.8))
        ax = fig.add_subplot()
        pos = np.arange(d + 1)
        width = 0.4
        ax.bar(pos - width / 2, true_params, width, color=OKABE_ITO["black"], label="true")
        ax.bar(pos + width / 2, learned, width, color=OKABE_ITO["blue"], label="learned")
        ax.axhline(0.0, color=OKABE_ITO["black"], lw=0.8)
        ax.set_xticks(pos, labels, rotation=45 if d > 8 else 0)
        worst = float(np.max(np.abs(learned - true_params)))
        _label(
            ax,
            f"True vs learned parameters (largest error {_fmt(worst)})",
            "parameter",
            "value",
        )
        ax.grid(True, axis="y", alpha=0.3)
    _legend(ax)
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
    ya = _as_y(y)
    pa = _as_y(y_pred, ya.shape[0], "y_pred")
    r = ya - pa
    n = r.shape[0]
    fig = _new_figure((10.0, 4.5))
    grid = fig.add_gridspec(1, 2, width_ratios=(2.2, 1.0))
    ax = fig.add_subplot(grid[0, 0])
    ax_hist = fig.add_subplot(grid[0, 1], sharey=ax)
    ax.scatter(pa, r, color=OKABE_ITO["blue"], label="samples", **_scatter_style(n))
    ax.axhline(0.0, color=OKABE_ITO["black"], lw=1.2, ls="--", label="zero residual")
    _label(ax, "Residuals vs predicted", "predicted y", "residual y − ŷ (target units)")
    ax.grid(True, alpha=0.3)
    _legend(ax)

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
    _label(ax_hist, f"Distribution (RMSE {_fmt(rmse)})", "count", "residual y − ŷ")
    _legend(ax_hist, fontsize="small")
    fig.suptitle(f"Residuals of {n} predictions")
    return fig


# -- 7. learning-rate sweep ------------------------------------------------------------------
def learning_rate_sweep(runs: Sequence[SweepRunLike], max_stable_learning_rate: float) -> Figure:
    """Loss curves of several learning rates on one log-scale axes.

    Parameters
    ----------
    runs : sequence of SweepRunLike
        Objects with ``learning_rate``, ``history``, ``status`` and
        ``diverged_at_epoch`` (see :class:`SweepRunLike`); drawn in order of
        learning rate.
    max_stable_learning_rate : float
        eta_max = 2 / lambda_max of full-batch gradient descent on the data.

    Returns
    -------
    Figure
        Each run's training MSE per epoch. A diverged run ends in an X at its last
        recorded epoch and says in the legend where it diverged. eta_max is given
        in the title and the legend.
    """
    eta_max = float(max_stable_learning_rate)
    fig = _new_figure((8.0, 5.0))
    ax = fig.add_subplot()
    styles = ("-", "--", ":", "-.")
    all_losses: list[Array] = []
    for i, run in enumerate(sorted(runs, key=lambda r: r.learning_rate)):
        color = _CYCLE[i % len(_CYCLE)]
        ls = styles[(i // len(_CYCLE)) % len(styles)]
        loss = np.asarray(run.history.loss, dtype=np.float64)
        epochs = np.arange(loss.shape[0])
        ratio = run.learning_rate / eta_max if np.isfinite(eta_max) and eta_max > 0 else np.nan
        label = f"η = {_fmt(run.learning_rate)}"
        if np.isfinite(ratio):
            label += f" ({ratio:.2f} η_max)"
        if run.status == "diverged":
            where = run.diverged_at_epoch
            label += ": diverged" if where is None else f": diverged at epoch {where}"
        else:
            label += f": {run.status}"
        finite = np.isfinite(loss)
        ax.plot(epochs[finite], loss[finite], color=color, ls=ls, lw=2, label=label)
        all_losses.append(loss[finite])
        if run.status == "diverged" and finite.any():
            last = int(np.flatnonzero(finite)[-1])
            ax.plot(
                epochs[last],
                loss[last],
                marker="X",
                ms=12,
                color=color,
                markeredgecolor=OKABE_ITO["black"],
                ls="none",
            )
    # A label-only legend entry so that eta_max is readable next to the curves.
    ax.plot([], [], ls="none", label=f"η_max = 2/λ_max = {_fmt(eta_max)}")
    epoch_label = "epoch (number of updates)"
    if all_losses:
        _use_log_scale(ax, np.concatenate(all_losses))
        longest = max(loss.shape[0] for loss in all_losses) - 1
        if longest > 100:
            _log_epochs(ax, longest)
            epoch_label = "epoch (log scale after 1)"
    _label(
        ax,
        f"Learning-rate sweep (η_max = {_fmt(eta_max)}; X = diverged)",
        epoch_label,
        "training MSE (target units²)",
    )
    ax.grid(True, alpha=0.3)
    _legend(ax, fontsize="small")
    return fig


# -- 8. loss landscape -----------------------------------------------------------------------
@dataclass(frozen=True)
class Landscape:
    """The MSE on a grid over two parameters, the others held fixed.

    Attributes
    ----------
    p : ndarray of shape (n_p,)
        Values of the first parameter (x axis).
    q : ndarray of shape (n_q,)
        Values of the second parameter (y axis).
    loss : ndarray of shape (n_q, n_p)
        ``loss[k, l]`` is the MSE at parameter ``params[0] = p[l]``,
        ``params[1] = q[k]`` (the layout of ``numpy.meshgrid`` and ``contour``).
    params : (int, int)
        Indices into theta = [W, b]; index d is the bias.
    center : ndarray of shape (d + 1,)
        The parameter vector the slice passes through: the least-squares optimum
        (or the ``optimum`` given); parameters not in ``params`` stay at it.
    center_loss : float
        The MSE at ``center``.
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


def _center(
    X: Array, y: Array, fit_intercept: bool, optimum: tuple[ArrayLike, float] | None
) -> Array:
    d = X.shape[1]
    if optimum is None:
        return _least_squares(X, y, fit_intercept)
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
) -> Landscape:
    """Evaluate the MSE exactly on a grid over two parameters.

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

    Returns
    -------
    Landscape

    Notes
    -----
    The MSE is a quadratic in theta. With A = [X 1], the residual r0 at the
    centre theta0, L0 = r0ᵀr0 / N, g = Aᵀr0 / N and G = AᵀA / N,

    .. math:: L(\\theta_0 + \\delta) = L_0 + 2 g^\\top \\delta + \\delta^\\top G \\delta

    exactly. G and g cost one O(N d²) pass; each grid point then costs O(1), so
    the grid never loops over the data. Expanding about theta0 (rather than
    using θᵀGθ − 2θᵀc + yᵀy, which subtracts large numbers) keeps the values
    accurate near the optimum, where the contours matter most.
    """
    Xa = _as_X(X)
    ya = _as_y(y, Xa.shape[0])
    n, d = Xa.shape
    i, j = _check_params(params, d)
    names = _names(feature_names, d)
    center = _center(Xa, ya, fit_intercept, optimum)

    r0 = Xa @ center[:d] + center[d] - ya
    L0 = float(r0 @ r0) / n
    g = np.append(Xa.T @ r0, r0.sum()) / n
    G = hessian(Xa, fit_intercept=True) / 2.0  # (2/N) AᵀA / 2, intercept last

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


def _draw_landscape(fig: Figure, ax: Axes, grid: Landscape, *, n_levels: int = 14) -> None:
    """Filled contours with levels log-spaced in the excess loss, and a colour bar."""
    lo, hi = float(grid.loss.min()), float(grid.loss.max())
    ax.set_xlim(grid.p[0], grid.p[-1])
    ax.set_ylim(grid.q[0], grid.q[-1])
    if not hi > lo:
        return  # a flat landscape has no contours to draw
    # Levels log-spaced in L − L_min: the MSE near the optimum sits on the noise
    # floor, so log-spacing L itself would crowd every contour far from it.
    excess = np.geomspace((hi - lo) * 1e-4, hi - lo, n_levels)
    levels = np.concatenate([[lo], lo + excess])
    levels[-1] = hi
    # When the loss barely varies, lo + tiny rounds back to lo; contourf needs
    # strictly increasing levels.
    levels = np.unique(levels)
    if levels.shape[0] < 3:
        return
    cmap = mpl.colormaps[_LANDSCAPE_CMAP]
    norm = BoundaryNorm(levels, cmap.N)  # equal colour steps between log-spaced levels
    filled = ax.contourf(grid.p, grid.q, grid.loss, levels=levels, cmap=cmap, norm=norm, alpha=0.8)
    ax.contour(grid.p, grid.q, grid.loss, levels=levels[1:-1], colors="white", linewidths=0.5)
    cbar = fig.colorbar(filled, ax=ax, shrink=0.9)
    ticks = [float(v) for v in levels[:: max(1, len(levels) // 6)]]
    cbar.set_ticks(ticks, labels=[f"{v:.3g}" for v in ticks])
    cbar.set_label("MSE (log-spaced above its minimum)")


def _outline(width: float) -> list[AbstractPathEffect]:
    # A thin dark outline keeps a coloured path readable on every colour of the
    # landscape (and on the white legend), whatever its own colour.
    return [patheffects.withStroke(linewidth=width + 1.6, foreground=OKABE_ITO["black"])]


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
) -> Line2D:
    p, q = _path(history, params)
    n = p.shape[0]
    # Per-epoch dots help while they can be told apart; beyond that they are noise.
    marker = "o" if n <= 60 else None
    (line,) = ax.plot(
        p,
        q,
        color=color,
        lw=1.8,
        marker=marker,
        ms=3,
        label=label,
        gid="optimizer-path",
        path_effects=_outline(1.8),
    )
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
        ms=9,
        ls="none",
        color=color,
        markeredgecolor=OKABE_ITO["black"],
        label=f"end (epoch {n - 1})" if end_label is None else end_label,
    )
    return line


def _draw_optimum(ax: Axes, grid: Landscape) -> None:
    i, j = grid.params
    ax.plot(
        grid.center[i],
        grid.center[j],
        marker="*",
        ms=17,
        ls="none",
        color=OKABE_ITO["yellow"],
        markeredgecolor=OKABE_ITO["black"],
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
) -> Figure:
    """Contours of the MSE over two parameters with the optimizer's path.

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

    Returns
    -------
    Figure
        Filled contours (levels log-spaced above the minimum), the path with its
        start (circle) and end (square), and the optimum (star). The path line
        carries ``gid="optimizer-path"``; its data are the history's values.
    """
    Xa = _as_X(X)
    d = Xa.shape[1]
    grid = landscape_grid(
        Xa,
        y,
        params=params,
        fit_intercept=fit_intercept,
        optimum=optimum,
        histories=[history],
        feature_names=feature_names,
    )
    fig = _new_figure((7.2, 6.0))
    ax = fig.add_subplot()
    _draw_landscape(fig, ax, grid)
    _draw_path(
        ax, history, grid.params, color=OKABE_ITO["vermillion"], label="gradient-descent path"
    )
    _draw_optimum(ax, grid)
    _label(
        ax,
        f"Loss landscape and training path ({history.n_epochs} epochs){_slice_note(d)}",
        *grid.labels,
    )
    _legend_below(fig, ax, ncols=2)
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

    Returns
    -------
    Figure
        One landscape covering every path; each path in its own colour, ending
        in its own marker; the start of the first path as a circle; the optimum
        as a star. Path lines carry ``gid="optimizer-path"``.
    """
    Xa = _as_X(X)
    d = Xa.shape[1]
    if not histories:
        raise ValueError("optimizer_paths needs at least one history")
    grid = landscape_grid(
        Xa,
        y,
        params=params,
        fit_intercept=fit_intercept,
        histories=list(histories.values()),
        feature_names=feature_names,
    )
    fig = _new_figure((7.6, 6.4))
    ax = fig.add_subplot()
    _draw_landscape(fig, ax, grid)
    end_markers = ("s", "D", "^", "v", "P", "h", "<", ">")
    # Blue and green are close to the landscape's own colours; warm and light
    # colours stand out on it.
    colors = (
        OKABE_ITO["vermillion"],
        OKABE_ITO["orange"],
        OKABE_ITO["sky_blue"],
        OKABE_ITO["purple"],
        OKABE_ITO["yellow"],
    )
    for k, (name, history) in enumerate(histories.items()):
        _draw_path(
            ax,
            history,
            grid.params,
            color=colors[k % len(colors)],
            label=f"{name} ({history.n_epochs} epochs)",
            end_marker=end_markers[k % len(end_markers)],
            end_label=f"end of {name}",
            mark_start=k == 0,
        )
    _draw_optimum(ax, grid)
    _label(ax, f"Optimizer paths on the loss landscape{_slice_note(d)}", *grid.labels)
    _legend_below(fig, ax, ncols=2)
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
    Xa = _as_X(X)
    ya = _as_y(y, Xa.shape[0])
    d = Xa.shape[1]
    names = _names(feature_names, d)
    std = Xa.std(axis=0)
    std = np.where(std == 0.0, 1.0, std)  # a constant column stays as it is
    Z = (Xa - Xa.mean(axis=0)) / std

    fig = _new_figure((13.0, 6.0))
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
        _label(
            ax,
            f"{name}: κ = {stab.condition_number:.3g}, "
            f"η_max = {_fmt(stab.max_stable_learning_rate)}\n{when}",
            *grid.labels,
        )
    _legend_below(fig, axes[0], ncols=4)
    fig.suptitle(
        "Feature scaling: same data, same model, a rounder bowl\n"
        "(κ = λ_max / λ_min of the Hessian; converged = MSE within 0.1% of the "
        "least-squares MSE)"
    )
    return fig


# -- 9. animation ----------------------------------------------------------------------------
def animation_epochs(n_epochs: int, max_frames: int = 60) -> NDArray[np.intp]:
    """The epochs shown by :func:`training_animation`.

    Parameters
    ----------
    n_epochs : int
        Updates recorded; the history has ``n_epochs + 1`` entries.
    max_frames : int, default=60

    Returns
    -------
    ndarray of int, shape (min(n_epochs + 1, max_frames),)
        Strictly increasing, always starting at 0 and ending at ``n_epochs``,
        log-spaced so that the fast early learning gets most of the frames.
    """
    if n_epochs < 0 or max_frames < 2:
        raise ValueError("need n_epochs >= 0 and max_frames >= 2")
    total = n_epochs + 1
    if total <= max_frames:
        return np.arange(total)
    # Log-spaced in (epoch + 1), then nudged apart so that rounding never
    # repeats an epoch: forward pass forces increase, backward pass caps at n.
    idx = np.rint(np.geomspace(1, total, max_frames) - 1).astype(np.intp)
    for k in range(1, max_frames):
        idx[k] = max(idx[k], idx[k - 1] + 1)
    idx[-1] = n_epochs
    for k in range(max_frames - 2, -1, -1):
        idx[k] = min(idx[k], idx[k + 1] - 1)
    return idx


def training_animation(
    X: ArrayLike,
    y: ArrayLike,
    history: History,
    path: str | os.PathLike[str],
    *,
    max_frames: int = 60,
    fps: int = 10,
    feature_names: Sequence[str] | None = None,
    target_name: str = "y",
) -> Path:
    """Write a GIF of training: the model on the left, the loss curve on the right.

    Parameters
    ----------
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    history : History
        Frames show ``W[k]``, ``b[k]`` for the epochs :func:`animation_epochs`
        picks (log-spaced, first and last included).
    path : str or path-like
        Destination GIF, written atomically (temporary file, then rename).
    max_frames : int, default=60
    fps : int, default=10
    feature_names : sequence of d str, optional
    target_name : str, default="y"

    Returns
    -------
    Path
        ``path``. The GIF is 720 × 320 pixels with ``len(animation_epochs(...))``
        frames.
    """
    Xa = _as_X(X)
    ya = _as_y(y, Xa.shape[0])
    n, d = Xa.shape
    names = _names(feature_names, d)
    if history.W.shape[1] != d:
        raise ValueError(f"history has {history.W.shape[1]} weights but X has {d} columns")
    frames = animation_epochs(history.n_epochs, max_frames)
    preds_needed = Xa if d > 1 else np.array([[Xa[:, 0].min()], [Xa[:, 0].max()]])
    # Predictions of every shown frame at once: (rows, frames).
    preds = preds_needed @ history.W[frames].T + history.b[frames]

    fig = _new_figure(_ANIMATION_FIGSIZE, dpi=_ANIMATION_DPI)
    grid = fig.add_gridspec(1, 2)
    ax_fit = fig.add_subplot(grid[0, 0])
    ax_loss = fig.add_subplot(grid[0, 1])

    # Fixed limits: the data's range, widened to show early (bad) models but
    # not so far that a wild first guess squashes the data into a line.
    y_lo, y_hi = _span(ya)
    reach = y_hi - y_lo
    p_lo, p_hi = _span(preds.ravel())
    lim = (max(min(y_lo, p_lo), y_lo - reach), min(max(y_hi, p_hi), y_hi + reach))
    style = _scatter_style(n)
    moving: Artist
    if d == 1:
        ax_fit.scatter(Xa[:, 0], ya, color=_DATA_COLOR, label="data", **style)
        (moving,) = ax_fit.plot(
            preds_needed[:, 0], preds[:, 0], color=OKABE_ITO["blue"], lw=2.5, label="model"
        )
        ax_fit.set_ylim(*lim)
        _label(ax_fit, "Model over the data", names[0], target_name)
    else:
        _diagonal(ax_fit, *lim)
        moving = ax_fit.scatter(ya, preds[:, 0], color=OKABE_ITO["blue"], label="samples", **style)
        ax_fit.set_xlim(*lim)
        ax_fit.set_ylim(*lim)
        _label(ax_fit, "Predicted vs actual", f"actual {target_name}", f"predicted {target_name}")
    ax_fit.legend(loc="best", fontsize="small")

    ax_loss.plot(history.epochs, history.loss, color=OKABE_ITO["blue"], lw=2, label="training MSE")
    (marker,) = ax_loss.plot(
        [0],
        [history.loss[0]],
        marker="o",
        ms=9,
        ls="none",
        color=OKABE_ITO["vermillion"],
        markeredgecolor=OKABE_ITO["black"],
        label="current epoch",
    )
    _use_log_scale(ax_loss, history.loss)
    epoch_label = "epoch"
    if history.n_epochs > 100:
        # The frames are log-spaced in epochs; a log-like epoch axis moves the
        # marker at an even pace instead of parking it at the left edge.
        _log_epochs(ax_loss, history.n_epochs)
        epoch_label = "epoch (log scale after 1)"
    _label(ax_loss, "Training loss", epoch_label, "MSE (target units²)")
    ax_loss.grid(True, alpha=0.3)
    ax_loss.legend(loc="best", fontsize="small")
    # The longest title text, so that the layout leaves room for every frame's.
    title = fig.suptitle(f"Epoch {history.n_epochs} of {history.n_epochs}: MSE = -0.0000e-00")

    def show(col: int, epoch: int) -> None:
        if isinstance(moving, Line2D):
            moving.set_ydata(preds[:, col])
        elif isinstance(moving, PathCollection):
            moving.set_offsets(np.column_stack([ya, preds[:, col]]))
        marker.set_data([epoch], [history.loss[epoch]])
        # The epoch number also keeps consecutive frames distinct, so Pillow
        # never merges two of them and the frame count stays predictable.
        title.set_text(
            f"Epoch {epoch} of {history.n_epochs}: MSE = {_fmt(float(history.loss[epoch]))}"
        )

    # Blitting: a full redraw costs tens of milliseconds (ticks, text, legends),
    # so the static figure is drawn once and each frame redraws only what moves.
    # It is drawn in the final state, so that the legends' "best" places avoid
    # the trained model, where the animation lingers longest.
    show(len(frames) - 1, int(frames[-1]))
    animated: list[Artist] = [moving, marker, title]
    for artist in animated:
        artist.set_animated(True)
    canvas: Any = FigureCanvasAgg(fig)  # typed Any: the Agg canvas has no annotations
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    # PillowWriter renders whatever figure it is given; give it one that holds
    # just the blitted pixels, which it converts and encodes as GIF frames.
    height, width = int(fig.bbox.height), int(fig.bbox.width)
    frame_fig = Figure(figsize=_ANIMATION_FIGSIZE, dpi=_ANIMATION_DPI)
    frame = frame_fig.figimage(np.zeros((height, width, 4), dtype=np.uint8), origin="upper")

    target = Path(path)
    writer = PillowWriter(fps=fps)
    with (
        _atomic_target(target, ".gif") as tmp,
        writer.saving(frame_fig, str(tmp), _ANIMATION_DPI),
    ):
        for col, epoch in enumerate(frames):
            show(col, int(epoch))
            canvas.restore_region(background)
            for artist in animated:
                fig.draw_artist(artist)
            frame.set_data(np.asarray(canvas.buffer_rgba()))
            writer.grab_frame()
    return target


# -- 12. the set written by the command line ---------------------------------------------------
def write_training_figures(
    out_dir: str | os.PathLike[str],
    model: TrainedModel,
    X: ArrayLike,
    y: ArrayLike,
    *,
    y_true: ArrayLike | None = None,
    true_weights: ArrayLike | None = None,
    true_bias: float | None = None,
    feature_names: Sequence[str] | None = None,
    target_name: str = "y",
    animate: bool = False,
) -> list[Path]:
    """Write the standard figures of one training run to ``out_dir``.

    Parameters
    ----------
    out_dir : str or path-like
        Created if missing.
    model : fitted LinearRegression
        Read for ``coef_``, ``intercept_``, ``history_`` and ``fit_intercept``.
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    y_true : array-like of shape (N,), optional
        Noise-free targets, the ground truth of ``untrained_vs_trained.png``.
    true_weights : array-like of shape (d,), optional
    true_bias : float, optional
        With ``true_weights``: also write ``true_vs_learned.png``.
    feature_names : sequence of d str, optional
    target_name : str, default="y"
    animate : bool, default=False
        Also write ``training.gif``.

    Returns
    -------
    list of Path
        The files written, in this order: raw_data.png, loss_curve.png (not for a
        closed-form fit, whose history has one entry), fit.png,
        untrained_vs_trained.png, residuals.png, true_vs_learned.png (with true
        parameters), loss_landscape.png (history with two or more entries) and
        training.gif (with ``animate``).
    """
    out = Path(out_dir)
    Xa = _as_X(X)
    ya = _as_y(y, Xa.shape[0])
    names = _names(feature_names, Xa.shape[1])
    history = model.history_
    trained = history.n_epochs >= 1
    coef, intercept = _params_of(model)
    written: list[Path] = []

    def save(fig: Figure, name: str) -> None:
        written.append(save_figure(fig, out / name))

    save(raw_data(Xa, ya, feature_names=names, target_name=target_name), "raw_data.png")
    if trained:
        save(loss_curve(history), "loss_curve.png")
    save(fit_line(model, Xa, ya, feature_names=names, target_name=target_name), "fit.png")
    save(untrained_vs_trained(history, Xa, ya, y_true), "untrained_vs_trained.png")
    save(residuals(ya, Xa @ coef + intercept), "residuals.png")
    if true_weights is not None and true_bias is not None:
        fig = true_vs_learned(
            Xa,
            true_weights=true_weights,
            true_bias=true_bias,
            coef=coef,
            intercept=intercept,
            y=ya,
            feature_names=names,
            target_name=target_name,
        )
        save(fig, "true_vs_learned.png")
    if trained:
        fig = loss_landscape(
            Xa, ya, history, fit_intercept=bool(model.fit_intercept), feature_names=names
        )
        save(fig, "loss_landscape.png")
    if animate:
        written.append(
            training_animation(
                Xa,
                ya,
                history,
                out / "training.gif",
                feature_names=names,
                target_name=target_name,
            )
        )
    return written
