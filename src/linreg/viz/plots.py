"""Every figure of :mod:`linreg.viz` by name, and the set of figures of one training run.

The figures live in modules by family: :mod:`linreg.viz.fit_plots` (the data and the
fitted model), :mod:`linreg.viz.training_plots` (loss curve, learning-rate sweep),
:mod:`linreg.viz.landscape` (loss landscapes, optimizer paths, the scaling lab),
:mod:`linreg.viz.selection_plots` (learning and validation curves) and
:mod:`linreg.viz.animation` (the training GIF); their shared conventions (Okabe–Ito
palette, labels, atomic saving) are in :mod:`linreg.viz.style`. This module names them all
in one place, ``from linreg.viz import plots; plots.loss_curve(...)``, as the notebooks and
the command line use them, and adds :func:`write_training_figures`, the set the command
line writes for a training run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from linreg.problem import ridge_penalty
from linreg.viz.animation import animation_epochs, training_animation
from linreg.viz.fit_plots import (
    fit_line,
    raw_data,
    residuals,
    true_vs_learned,
    untrained_vs_trained,
)
from linreg.viz.landscape import (
    Landscape,
    landscape_grid,
    loss_landscape,
    optimizer_paths,
    scaling_lab,
)
from linreg.viz.selection_plots import learning_curve, validation_curve
from linreg.viz.style import (
    DPI,
    OKABE_ITO,
    FittedModel,
    SweepRunLike,
    TrainedModel,
    as_X,
    as_y,
    column_names,
    params_of,
    save_figure,
)
from linreg.viz.training_plots import learning_rate_sweep, loss_curve

__all__ = [
    "DPI",
    "OKABE_ITO",
    "FittedModel",
    "Landscape",
    "SweepRunLike",
    "TrainedModel",
    "animation_epochs",
    "fit_line",
    "landscape_grid",
    "learning_curve",
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
    "validation_curve",
    "write_training_figures",
]


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
    sample_weight: ArrayLike | None = None,
    alpha: float = 0.0,
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
    sample_weight : array-like of shape (N,), optional
    alpha : float, default=0.0
        The row weights and ridge penalty of the fit: the loss landscape is drawn for the
        objective the model minimised (see :func:`linreg.viz.landscape.landscape_grid`).

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
    Xa = as_X(X)
    ya = as_y(y, Xa.shape[0])
    names = column_names(feature_names, Xa.shape[1])
    history = model.history_
    trained = history.n_epochs >= 1
    coef, intercept = params_of(model)
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
            Xa,
            ya,
            history,
            fit_intercept=bool(model.fit_intercept),
            feature_names=names,
            sample_weight=sample_weight,
            # A standardized penalty is alpha s^2 per feature on W (linreg.problem).
            alpha=ridge_penalty(
                alpha,
                Xa,
                None if sample_weight is None else as_y(sample_weight, Xa.shape[0]),
                standardize=bool(getattr(model, "standardize", False)),
            ),
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
