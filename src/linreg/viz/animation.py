"""The training animation: the model, its path in parameter space and the loss, as a GIF.

Three panels, epoch by epoch: the model over the data, the path of (W, b) on the loss
landscape, and the loss curve, with W, b and the MSE read out above them. Frames are
spaced by progress (how far the parameters moved, plus a share of the epochs), so
something moves in every frame: log-spaced epochs left the last three quarters of the
frames still once training had converged. A diverged run is animated too, up to its
last finite epoch (:func:`finite_prefix`).

Conventions (palette, labels, atomic writing) are those of :mod:`linreg.viz.style`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike, NDArray

from linreg.history import History
from linreg.viz.landscape import LANDSCAPE_LEVELS, landscape_grid, landscape_levels
from linreg.viz.style import (
    ANIMATION_DPI,
    DATA_COLOR,
    OKABE_ITO,
    as_X,
    as_y,
    atomic_target,
    column_names,
    draw_diagonal,
    fmt_value,
    log_epoch_axis,
    new_figure,
    padded_span,
    scatter_style,
    set_labels,
    use_log_scale,
)

Array = NDArray[np.float64]

#: The GIF's size in inches at ANIMATION_DPI (1080 x 360 pixels) and its font size:
#: three panels with text that reads at the size a README or a slide shows it.
FIGSIZE = (13.5, 4.5)
FONT_SIZE = 12
#: The share of the frame spacing given to epochs rather than to movement: a run that
#: barely moves for a while still shows its epochs ticking.
EPOCH_SHARE = 0.05


# -- 9. animation ----------------------------------------------------------------------------
def finite_prefix(history: History) -> History:
    """The entries of ``history`` up to its last finite one (the whole history if all are).

    A diverged run records a loss or parameters that overflowed; the animation and the
    figures stop at the epoch before.
    """
    finite = (
        np.isfinite(history.loss) & np.all(np.isfinite(history.W), axis=1) & np.isfinite(history.b)
    )
    bad = np.flatnonzero(~finite)
    if bad.size == 0:
        return history
    keep = int(bad[0])
    if keep == 0:
        raise ValueError("the history's first entry is not finite: nothing to animate")
    data = history.to_dict()
    for key, value in data.items():
        if isinstance(value, list) and len(value) == history.loss.shape[0]:
            data[key] = value[:keep]
    return History.from_dict(data)


def progress_frames(history: History, max_frames: int = 60) -> NDArray[np.intp]:
    """The history entries shown by :func:`training_animation`, spaced by progress.

    Progress after entry k is ``(1 - s) P_k + s k / n`` with ``P_k`` the share of the
    path length (each parameter scaled by its range along the path) travelled by
    entry k, ``s = EPOCH_SHARE`` and ``n`` the last entry: frames fall where the
    parameters move, and a few on the epochs.

    Returns
    -------
    ndarray of int, shape (min(n + 1, max_frames),)
        Strictly increasing entry indices, from 0 to n.
    """
    if max_frames < 2:
        raise ValueError("need max_frames >= 2")
    total = history.loss.shape[0]
    if total <= max_frames:
        return np.arange(total)
    theta = np.column_stack([history.W, history.b])
    span = theta.max(axis=0) - theta.min(axis=0)
    scaled = theta / np.where(span > 0, span, 1.0)
    length = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(scaled, axis=0), axis=1))])
    moved = length / length[-1] if length[-1] > 0 else np.zeros(total)
    progress = (1 - EPOCH_SHARE) * moved + EPOCH_SHARE * np.arange(total) / (total - 1)
    idx = np.searchsorted(progress, np.linspace(0.0, 1.0, max_frames) - 1e-12).astype(np.intp)
    # Nudged apart as in animation_epochs: strictly increasing, from 0 to the last entry.
    idx[0] = 0
    for k in range(1, max_frames):
        idx[k] = max(idx[k], idx[k - 1] + 1)
    idx[-1] = total - 1
    for k in range(max_frames - 2, -1, -1):
        idx[k] = min(idx[k], idx[k + 1] - 1)
    return idx


def readout(W: Array, b: float) -> str:
    """ "W = 2.993, b = 1.994" (up to three weights; more are summarised by their norm)."""
    if W.shape[0] == 1:
        weights = f"W = {W[0]:.4g}"
    elif W.shape[0] <= 3:
        weights = "W = [" + ", ".join(f"{w:.3g}" for w in W) + "]"
    else:
        weights = f"|W| = {float(np.linalg.norm(W)):.4g}"
    return f"{weights}, b = {b:.4g}"


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
    """Write a GIF of training: the model, the path on the loss landscape, the loss.

    Parameters
    ----------
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    history : History
        Frames show ``W[k]``, ``b[k]`` for the entries :func:`progress_frames` picks
        (first and last included). A diverged history is shown up to its last finite
        entry (:func:`finite_prefix`).
    path : str or path-like
        Destination GIF, written atomically (temporary file, then rename).
    max_frames : int, default=60
    fps : int, default=10
    feature_names : sequence of d str, optional
    target_name : str, default="y"

    Returns
    -------
    Path
        ``path``. The GIF is 1080 × 360 pixels with ``len(progress_frames(...))`` frames.
    """
    Xa = as_X(X)
    ya = as_y(y, Xa.shape[0])
    n, d = Xa.shape
    names = column_names(feature_names, d)
    if history.W.shape[1] != d:
        raise ValueError(f"history has {history.W.shape[1]} weights but X has {d} columns")
    history = finite_prefix(history)
    frames = progress_frames(history, max_frames)
    entry_epochs = history.epochs
    last_epoch = int(entry_epochs[-1])
    preds_needed = Xa if d > 1 else np.array([[Xa[:, 0].min()], [Xa[:, 0].max()]])
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run's last frames
        preds = preds_needed @ history.W[frames].T + history.b[frames]
    grid = landscape_grid(Xa, ya, histories=[history], feature_names=names)
    i, j = grid.params
    theta = np.column_stack([history.W, history.b])

    with mpl.rc_context({"font.size": FONT_SIZE, "legend.fontsize": FONT_SIZE - 2}):
        fig = new_figure(FIGSIZE, dpi=ANIMATION_DPI)
        ax_fit, ax_path, ax_loss = fig.subplots(1, 3)

        # Fixed limits: the data's range, widened to show early (bad) models but
        # not so far that a wild first guess squashes the data into a line.
        y_lo, y_hi = padded_span(ya)
        reach = y_hi - y_lo
        p_lo, p_hi = padded_span(preds.ravel())
        lim = (max(min(y_lo, p_lo), y_lo - reach), min(max(y_hi, p_hi), y_hi + reach))
        style = scatter_style(n)
        moving: Artist
        if d == 1:
            ax_fit.scatter(Xa[:, 0], ya, color=DATA_COLOR, label="data", **style)
            (moving,) = ax_fit.plot(
                preds_needed[:, 0], preds[:, 0], color=OKABE_ITO["blue"], lw=3, label="model"
            )
            ax_fit.set_ylim(*lim)
            set_labels(ax_fit, "Model over the data", names[0], target_name)
        else:
            draw_diagonal(ax_fit, *lim)
            moving = ax_fit.scatter(
                ya, preds[:, 0], color=OKABE_ITO["blue"], label="samples", **style
            )
            ax_fit.set_xlim(*lim)
            ax_fit.set_ylim(*lim)
            set_labels(
                ax_fit, "Predicted vs actual", f"actual {target_name}", f"predicted {target_name}"
            )
        ax_fit.legend(loc="upper left")

        # The parameter space: contour lines (filled contours would swell the GIF's
        # palette), the optimum, the whole path faint, and the path so far.
        levels = landscape_levels(grid, LANDSCAPE_LEVELS)
        if levels is not None:
            ax_path.contour(grid.p, grid.q, grid.loss, levels=levels, cmap="viridis", linewidths=1)
        ax_path.set_xlim(grid.p[0], grid.p[-1])
        ax_path.set_ylim(grid.q[0], grid.q[-1])
        ax_path.plot(theta[:, i], theta[:, j], color=OKABE_ITO["vermillion"], lw=1, alpha=0.25)
        ax_path.plot(
            grid.center[i],
            grid.center[j],
            marker="*",
            ms=16,
            ls="none",
            color=OKABE_ITO["yellow"],
            markeredgecolor=OKABE_ITO["black"],
            label="optimum",
        )
        (trail,) = ax_path.plot(
            theta[:1, i], theta[:1, j], color=OKABE_ITO["vermillion"], lw=2, label="path so far"
        )
        (point,) = ax_path.plot(
            theta[:1, i],
            theta[:1, j],
            marker="o",
            ms=10,
            ls="none",
            color=OKABE_ITO["vermillion"],
            markeredgecolor=OKABE_ITO["black"],
        )
        set_labels(ax_path, "Parameters on the loss landscape", *grid.labels)
        ax_path.legend(loc="best")

        ax_loss.plot(
            entry_epochs, history.loss, color=OKABE_ITO["blue"], lw=2, label="training MSE"
        )
        (marker,) = ax_loss.plot(
            [0],
            [history.loss[0]],
            marker="o",
            ms=10,
            ls="none",
            color=OKABE_ITO["vermillion"],
            markeredgecolor=OKABE_ITO["black"],
            label="now",
        )
        use_log_scale(ax_loss, history.loss)
        epoch_label = "epoch"
        if last_epoch > 100:
            log_epoch_axis(ax_loss, last_epoch)
            epoch_label = "epoch (log scale after 1)"
        set_labels(ax_loss, "Training loss", epoch_label, "MSE (target units²)")
        ax_loss.grid(True, alpha=0.3)
        ax_loss.legend(loc="upper right")
        # The longest text, so that the layout leaves room for every frame's.
        widest = readout(np.full(d, -1.2345e-10), -1.2345e-10)
        title = fig.suptitle(
            f"Epoch {last_epoch} of {last_epoch}:  {widest},  MSE = -0.0000e-00",
            fontsize=FONT_SIZE + 2,
        )

        def show(col: int, entry: int) -> None:
            if isinstance(moving, Line2D):
                moving.set_ydata(preds[:, col])
            elif isinstance(moving, PathCollection):
                moving.set_offsets(np.column_stack([ya, preds[:, col]]))
            epoch = int(entry_epochs[entry])
            marker.set_data([epoch], [history.loss[entry]])
            trail.set_data(theta[: entry + 1, i], theta[: entry + 1, j])
            point.set_data([theta[entry, i]], [theta[entry, j]])
            # The epoch number also keeps consecutive frames distinct, so Pillow
            # never merges two of them and the frame count stays predictable.
            params = readout(history.W[entry], float(history.b[entry]))
            loss = fmt_value(float(history.loss[entry]))
            title.set_text(f"Epoch {epoch} of {last_epoch}:  {params},  MSE = {loss}")

        # Blitting: a full redraw costs tens of milliseconds (ticks, text, legends),
        # so the static figure is drawn once and each frame redraws only what moves.
        show(len(frames) - 1, int(frames[-1]))
        animated: list[Artist] = [moving, marker, trail, point, title]
        for artist in animated:
            artist.set_animated(True)
        canvas: Any = FigureCanvasAgg(fig)  # typed Any: the Agg canvas has no annotations
        canvas.draw()
        background = canvas.copy_from_bbox(fig.bbox)
        # PillowWriter renders whatever figure it is given; give it one that holds
        # just the blitted pixels, which it converts and encodes as GIF frames.
        height, width = int(fig.bbox.height), int(fig.bbox.width)
        frame_fig = Figure(figsize=FIGSIZE, dpi=ANIMATION_DPI)
        frame = frame_fig.figimage(np.zeros((height, width, 4), dtype=np.uint8), origin="upper")

        target = Path(path)
        writer = PillowWriter(fps=fps)
        with (
            atomic_target(target, ".gif") as tmp,
            writer.saving(frame_fig, str(tmp), ANIMATION_DPI),
        ):
            for col, entry in enumerate(frames):
                show(col, int(entry))
                canvas.restore_region(background)
                for artist in animated:
                    fig.draw_artist(artist)
                frame.set_data(np.asarray(canvas.buffer_rgba()))
                writer.grab_frame()
    return target
