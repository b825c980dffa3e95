"""The training animation: the fitted line and the loss, epoch by epoch, as a GIF.

Conventions (palette, labels, atomic writing) are those of :mod:`linreg.viz.style`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.animation import PillowWriter
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike, NDArray

from linreg.history import History
from linreg.viz.style import (
    ANIMATION_DPI,
    ANIMATION_FIGSIZE,
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
    Xa = as_X(X)
    ya = as_y(y, Xa.shape[0])
    n, d = Xa.shape
    names = column_names(feature_names, d)
    if history.W.shape[1] != d:
        raise ValueError(f"history has {history.W.shape[1]} weights but X has {d} columns")
    # Frames are entries of the history; a thinned history's entries name their epochs.
    frames = animation_epochs(history.loss.shape[0] - 1, max_frames)
    entry_epochs = history.epochs
    preds_needed = Xa if d > 1 else np.array([[Xa[:, 0].min()], [Xa[:, 0].max()]])
    # Predictions of every shown frame at once: (rows, frames).
    preds = preds_needed @ history.W[frames].T + history.b[frames]

    fig = new_figure(ANIMATION_FIGSIZE, dpi=ANIMATION_DPI)
    grid = fig.add_gridspec(1, 2)
    ax_fit = fig.add_subplot(grid[0, 0])
    ax_loss = fig.add_subplot(grid[0, 1])

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
            preds_needed[:, 0], preds[:, 0], color=OKABE_ITO["blue"], lw=2.5, label="model"
        )
        ax_fit.set_ylim(*lim)
        set_labels(ax_fit, "Model over the data", names[0], target_name)
    else:
        draw_diagonal(ax_fit, *lim)
        moving = ax_fit.scatter(ya, preds[:, 0], color=OKABE_ITO["blue"], label="samples", **style)
        ax_fit.set_xlim(*lim)
        ax_fit.set_ylim(*lim)
        set_labels(
            ax_fit, "Predicted vs actual", f"actual {target_name}", f"predicted {target_name}"
        )
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
    use_log_scale(ax_loss, history.loss)
    epoch_label = "epoch"
    if history.n_epochs > 100:
        # The frames are log-spaced in epochs; a log-like epoch axis moves the
        # marker at an even pace instead of parking it at the left edge.
        log_epoch_axis(ax_loss, history.n_epochs)
        epoch_label = "epoch (log scale after 1)"
    set_labels(ax_loss, "Training loss", epoch_label, "MSE (target units²)")
    ax_loss.grid(True, alpha=0.3)
    ax_loss.legend(loc="best", fontsize="small")
    # The longest title text, so that the layout leaves room for every frame's.
    title = fig.suptitle(f"Epoch {history.n_epochs} of {history.n_epochs}: MSE = -0.0000e-00")

    def show(col: int, entry: int) -> None:
        if isinstance(moving, Line2D):
            moving.set_ydata(preds[:, col])
        elif isinstance(moving, PathCollection):
            moving.set_offsets(np.column_stack([ya, preds[:, col]]))
        epoch = int(entry_epochs[entry])
        marker.set_data([epoch], [history.loss[entry]])
        # The epoch number also keeps consecutive frames distinct, so Pillow
        # never merges two of them and the frame count stays predictable.
        title.set_text(
            f"Epoch {epoch} of {history.n_epochs}: MSE = {fmt_value(float(history.loss[entry]))}"
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
    frame_fig = Figure(figsize=ANIMATION_FIGSIZE, dpi=ANIMATION_DPI)
    frame = frame_fig.figimage(np.zeros((height, width, 4), dtype=np.uint8), origin="upper")

    target = Path(path)
    writer = PillowWriter(fps=fps)
    with (
        atomic_target(target, ".gif") as tmp,
        writer.saving(frame_fig, str(tmp), ANIMATION_DPI),
    ):
        for col, epoch in enumerate(frames):
            show(col, int(epoch))
            canvas.restore_region(background)
            for artist in animated:
                fig.draw_artist(artist)
            frame.set_data(np.asarray(canvas.buffer_rgba()))
            writer.grab_frame()
    return target
