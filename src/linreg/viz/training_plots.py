"""Figures of the training record: the loss curve and the learning-rate sweep.

Conventions (palette, labels, saving) are those of :mod:`linreg.viz.style`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from linreg.history import History
from linreg.viz.style import (
    COLOR_CYCLE,
    OKABE_ITO,
    Array,
    SweepRunLike,
    add_legend,
    fmt_value,
    log_epoch_axis,
    new_figure,
    set_labels,
    use_log_scale,
)


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
        One axes: epoch on x (logarithmic after epoch 1 once there are more than 100,
        like the sweep and the animation, so that the first epochs, where most of the
        learning happens, are not squeezed against the axis), MSE (log scale) on y.
    """
    fig = new_figure((6.4, 4.8))
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
    use_log_scale(ax, values)
    epoch_label = "epoch (number of updates)"
    if int(epochs[-1]) > 100:
        log_epoch_axis(ax, int(epochs[-1]))
        epoch_label = "epoch (number of updates; log scale after 1)"
    full_title = (
        f"{title}: final MSE {fmt_value(history.final_loss)} after {history.n_epochs} epochs"
    )
    set_labels(ax, full_title, epoch_label, "mean squared error (target units²)")
    ax.grid(True, which="major", alpha=0.3)
    add_legend(ax)
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
    fig = new_figure((8.0, 5.0))
    ax = fig.add_subplot()
    styles = ("-", "--", ":", "-.")
    all_losses: list[Array] = []
    for i, run in enumerate(sorted(runs, key=lambda r: r.learning_rate)):
        color = COLOR_CYCLE[i % len(COLOR_CYCLE)]
        ls = styles[(i // len(COLOR_CYCLE)) % len(styles)]
        loss = np.asarray(run.history.loss, dtype=np.float64)
        epochs = np.arange(loss.shape[0])
        ratio = run.learning_rate / eta_max if np.isfinite(eta_max) and eta_max > 0 else np.nan
        label = f"η = {fmt_value(run.learning_rate)}"
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
    ax.plot([], [], ls="none", label=f"η_max = 2/λ_max = {fmt_value(eta_max)}")
    epoch_label = "epoch (number of updates)"
    if all_losses:
        use_log_scale(ax, np.concatenate(all_losses))
        longest = max(loss.shape[0] for loss in all_losses) - 1
        if longest > 100:
            log_epoch_axis(ax, longest)
            epoch_label = "epoch (log scale after 1)"
    set_labels(
        ax,
        f"Learning-rate sweep (η_max = {fmt_value(eta_max)}; X = diverged)",
        epoch_label,
        "training MSE (target units²)",
    )
    ax.grid(True, alpha=0.3)
    add_legend(ax, fontsize="small")
    return fig
