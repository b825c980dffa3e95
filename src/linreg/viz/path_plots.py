"""The classic figure of the lasso and the elastic net: the weights along alpha.

One line per feature, W_j against alpha on a log scale, largest alpha on the left
as the path is computed: all weights start at 0 at ``alpha_max`` and leave it one
after another as the penalty weakens, towards the least-squares weights on the right.
The number of nonzero weights is written along the top, inside the axes. Conventions (palette,
labels, saving) are those of :mod:`linreg.viz.style`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from matplotlib.figure import Figure

from linreg.viz.style import COLOR_CYCLE, Array, add_legend, column_names, new_figure, set_labels

__all__ = ["PathLike", "plot_regularization_path"]


class PathLike(Protocol):
    """What the figure reads of a path (:class:`linreg.stats.path.RegularizationPath`)."""

    @property
    def alphas(self) -> Array: ...

    @property
    def coefs(self) -> Array: ...

    @property
    def l1_ratio(self) -> float: ...

    @property
    def feature_names(self) -> list[str] | None: ...


def plot_regularization_path(path: PathLike, *, title: str | None = None) -> Figure:
    """The weights W_j (y) against alpha (x, log scale, decreasing to the right).

    Parameters
    ----------
    path : RegularizationPath
        ``alphas`` (k,) decreasing and ``coefs`` (k, d); an alpha of 0 is left out
        of the log axis.
    title : str, optional
        Default: "Lasso path" (l1_ratio 1) or "Elastic-net path (l1_ratio = ...)".

    Returns
    -------
    Figure
        One axes, one line per feature, labelled by name when there are at most 12.
    """
    alphas = np.asarray(path.alphas, dtype=np.float64)
    coefs = np.asarray(path.coefs, dtype=np.float64)
    keep = alphas > 0
    if not np.any(keep):
        raise ValueError("the path has no alpha > 0 to draw on a log axis")
    alphas, coefs = alphas[keep], coefs[keep]
    names = column_names(path.feature_names, coefs.shape[1])
    fig = new_figure((7.2, 4.8))
    ax = fig.add_subplot()
    for j in range(coefs.shape[1]):
        label = names[j] if coefs.shape[1] <= 12 else None
        ax.plot(alphas, coefs[:, j], color=COLOR_CYCLE[j % len(COLOR_CYCLE)], lw=1.8, label=label)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xscale("log")
    if alphas.size > 1 and alphas[0] != alphas[-1]:
        ax.set_xlim(alphas.max(), alphas.min())  # strong penalty on the left
    # The number of nonzero weights at a few alphas, along the top inside the axes.
    inner = np.linspace(0, alphas.size - 1, min(alphas.size, 7) + 2)[1:-1]  # off the edges
    ticks = np.unique(inner.round().astype(int))
    for i in ticks:
        ax.annotate(
            str(int(np.count_nonzero(coefs[i]))),
            xy=(float(alphas[i]), 0.98),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="top",
            fontsize="small",
            color="0.3",
        )
    rho = float(path.l1_ratio)
    if title is None:
        title = "Lasso path" if rho == 1.0 else f"Elastic-net path (l1_ratio = {rho:g})"
    set_labels(
        ax,
        f"{title}: nonzero weights along the top",
        "alpha (penalty, log scale)",
        "weight W_j (original units)",
    )
    ax.grid(True, which="major", alpha=0.3)
    add_legend(ax, fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig
