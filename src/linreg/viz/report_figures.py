"""The figures a report embeds: each drawn by :mod:`linreg.viz.plots` and kept as PNG or GIF bytes.

:func:`report_figures` draws them from the model and its data, in page order, with a title and a
caption each; :mod:`linreg.viz.report` writes them into the page as data URIs.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.estimator import LinearRegression
from linreg.io.tables import Table
from linreg.problem import ridge_penalty
from linreg.stats.diagnostics import Diagnostics

__all__ = ["ANIMATION_FRAMES", "EmbeddedFigure", "png_bytes", "report_figures"]

Array = NDArray[np.float64]

#: Frames of the embedded training animation: enough to see the model move,
#: few enough to keep the page at a few megabytes.
ANIMATION_FRAMES = 40


def _diagnostics(model: LinearRegression, X: Array, y: Array) -> Diagnostics | None:
    """The model's diagnostics on this data, or None where they do not apply.

    Penalized fits, too few rows or a rank-deficient design have none: the report leaves
    the figure out rather than failing.
    """
    if float(model.alpha) != 0.0:
        return None
    try:
        return model.diagnostics(X, y)
    except LinregError:
        return None


# -- the figures -------------------------------------------------------------------------------
@dataclass(frozen=True)
class EmbeddedFigure:
    """One figure of the page: its anchor ``key``, title, caption, MIME type and image bytes."""

    key: str
    title: str
    caption: str
    mime: str
    data: bytes

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in pixels, read from the PNG or GIF header."""
        if self.mime == "image/png":  # IHDR: big-endian width, height at bytes 16..24
            return (
                int.from_bytes(self.data[16:20], "big"),
                int.from_bytes(self.data[20:24], "big"),
            )
        # GIF logical screen: little-endian width, height at bytes 6..10
        return int.from_bytes(self.data[6:8], "little"), int.from_bytes(self.data[8:10], "little")


def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with mpl.rc_context({"savefig.bbox": "standard"}):  # the figure's own size, as save_figure
        fig.savefig(buffer, format="png", dpi=fig.dpi, facecolor="white")
    return buffer.getvalue()


def report_figures(
    model: LinearRegression,
    table: Table,
    truth: Sequence[float] | None,
    *,
    animate: bool,
) -> list[EmbeddedFigure]:
    from linreg.viz import plots

    X, y = table.X, table.y
    assert y is not None
    names = list(table.feature_names)
    target = table.target_name
    history = model.history_
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = float(model.intercept_)
    trained = history.n_epochs >= 1
    out: list[EmbeddedFigure] = []

    def add(key: str, title: str, caption: str, fig: Figure) -> None:
        out.append(EmbeddedFigure(key, title, caption, "image/png", png_bytes(fig)))

    add(
        "raw_data",
        "The data",
        f"{target} against each feature, before any model.",
        plots.raw_data(X, y, feature_names=names, target_name=target),
    )
    if trained:
        add(
            "loss_curve",
            "Loss curve",
            "Training MSE after every epoch (log scale); a validation curve when the model "
            "was trained with one. A steady fall that flattens out is healthy.",
            plots.loss_curve(history),
        )
    add(
        "fit",
        "The fit",
        "The learned model over this data (one feature: the line; several: predicted "
        "against actual, where a perfect model lies on the diagonal).",
        plots.fit_line(model, X, y, feature_names=names, target_name=target),
    )
    add(
        "untrained_vs_trained",
        "Untrained vs trained",
        "Predictions of the starting point (epoch 0) and of the trained model against "
        + ("the noise-free y_true." if table.y_true is not None else "the observed target."),
        plots.untrained_vs_trained(history, X, y, table.y_true),
    )
    add(
        "residuals",
        "Residuals",
        "What the model misses, y − ŷ. No pattern on the left and a bell shape on the right "
        "mean a straight line is all the data hold.",
        plots.residuals(y, X @ coef + intercept),
    )
    diagnostics = _diagnostics(model, X, y)
    if diagnostics is not None:
        from linreg.viz.diagnostic_plots import diagnostic_figure

        add(
            "diagnostics",
            "Regression diagnostics",
            "R's four residual plots of the model on this data: residuals and the square "
            "root of the standardized residuals against the fitted values (a smoother shows a "
            "trend), the normal Q-Q plot, and the residuals against the leverage with Cook's "
            "distance 0.5 and 1. The three most influential rows are labelled by index.",
            diagnostic_figure(diagnostics),
        )
    if truth is not None:
        add(
            "true_vs_learned",
            "True vs learned",
            "The function that generated the data against the one learned.",
            plots.true_vs_learned(
                X,
                true_weights=np.asarray(truth[:-1]),
                true_bias=float(truth[-1]),
                coef=coef,
                intercept=intercept,
                y=y,
                feature_names=names,
                target_name=target,
            ),
        )
    if trained:
        add(
            "loss_landscape",
            "Loss landscape and training path",
            "The MSE of this data over two parameters (the others at their optimum), with "
            "the path the model file recorded, epoch by epoch, from the circle to the square; "
            "the star is the least-squares optimum.",
            plots.loss_landscape(
                X,
                y,
                history,
                fit_intercept=bool(model.fit_intercept),
                feature_names=names,
                alpha=ridge_penalty(float(model.alpha), X, standardize=bool(model.standardize)),
            ),
        )
    if animate and history.loss.shape[0] >= 2:
        with tempfile.TemporaryDirectory(prefix="linreg-report-") as folder:
            path = plots.training_animation(
                X,
                y,
                history,
                Path(folder) / "training.gif",
                max_frames=ANIMATION_FRAMES,
                feature_names=names,
                target_name=target,
            )
            data = path.read_bytes()
        out.append(
            EmbeddedFigure(
                "training_animation",
                "Training, step by step",
                "The model over the data (left), its path on the loss landscape (middle) "
                "and the loss (right), from the untrained start to the end of training, with "
                "W and b read out above; frames are spaced by how far the parameters move.",
                "image/gif",
                data,
            )
        )
    return out
