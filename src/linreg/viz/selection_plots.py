"""Figures of model selection: the learning curve and the validation curve.

Both draw the training error and the cross-validated (held-out) error, the mean over
the folds with a band of +- one standard deviation: against the number of training
rows (:func:`learning_curve`), or against a hyperparameter (:func:`validation_curve`).
Errors (MSE) go on a log axis, where a U shape reads plainly; a penalty alpha over
decades on a log x axis too (alpha = 0, if tried, is drawn at the axis's left end).
Conventions (palette, labels, saving) are those of :mod:`linreg.viz.style`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from linreg.viz.style import OKABE_ITO, Array, add_legend, new_figure, set_labels, use_log_scale

if TYPE_CHECKING:
    from linreg.model_selection import LearningCurve, ValidationCurve

__all__ = ["learning_curve", "validation_curve"]


def _score_label(scoring: object) -> str:
    if scoring == "mse":
        return "mean squared error (target units²)"
    if scoring == "r2":
        return "R² (higher is better)"
    return "score (higher is better)"


def _bands(ax: Axes, x: Array, train: Array, test: Array, scoring: object) -> None:
    """The two curves (means over the folds) with +- one standard deviation."""
    for scores, color, ls, label in (
        (train, OKABE_ITO["blue"], "-", "training"),
        (test, OKABE_ITO["vermillion"], "--", "validation (cross-validated)"),
    ):
        mean, std = scores.mean(axis=1), scores.std(axis=1)
        ax.plot(x, mean, color=color, ls=ls, lw=2, marker="o", ms=4, label=label)
        low = np.maximum(mean - std, mean / 10) if scoring == "mse" else mean - std
        ax.fill_between(x, low, mean + std, color=color, alpha=0.15, lw=0)
    if scoring == "mse":
        use_log_scale(ax, np.concatenate([train.ravel(), test.ravel()]))
    ax.grid(True, which="major", alpha=0.3)
    add_legend(ax)


def learning_curve(curve: LearningCurve, *, title: str = "Learning curve") -> Figure:
    """Training and validation error against the number of training rows.

    Parameters
    ----------
    curve : LearningCurve
        ``train_sizes`` (m,), ``train_scores`` and ``test_scores`` (m, k).

    Returns
    -------
    Figure
        One axes: training rows on x, the score (MSE on a log scale) on y.
    """
    fig = new_figure((6.4, 4.8))
    ax = fig.add_subplot()
    x = curve.train_sizes.astype(np.float64)
    _bands(ax, x, curve.train_scores, curve.test_scores, curve.scoring)
    k = curve.test_scores.shape[1]
    set_labels(ax, f"{title} ({k}-fold)", "training rows", _score_label(curve.scoring))
    return fig


def validation_curve(
    curve: ValidationCurve, *, log_x: bool | None = None, title: str = "Validation curve"
) -> Figure:
    """Training and validation error against one hyperparameter, the best marked.

    Parameters
    ----------
    curve : ValidationCurve
        ``param_range`` (m values), ``train_scores`` and ``test_scores`` (m, k).
    log_x : bool, optional
        A log x axis; by default when the positive values span more than a factor
        of 100 (a grid of alphas).

    Returns
    -------
    Figure
    """
    fig = new_figure((6.4, 4.8))
    ax = fig.add_subplot()
    x = np.asarray(curve.param_range, dtype=np.float64)
    positive = x[x > 0]
    if log_x is None:
        log_x = positive.size >= 2 and positive.max() / positive.min() > 100
    name = curve.param_name
    xlabel = name
    if log_x and positive.size:
        if np.any(x <= 0):
            xlabel = f"{name} (0 drawn at the left end)"
        x = np.where(x > 0, x, positive.min() / 10)
        ax.set_xscale("log")
    _bands(ax, x, curve.train_scores, curve.test_scores, curve.scoring)
    best = curve.best_index
    ax.axvline(x[best], color=OKABE_ITO["green"], lw=1.5, ls=":", label="best (cross-validated)")
    add_legend(ax)
    k = curve.test_scores.shape[1]
    set_labels(
        ax,
        f"{title} ({k}-fold): best {name} = {curve.param_range[best]:g}",
        xlabel,
        _score_label(curve.scoring),
    )
    return fig
