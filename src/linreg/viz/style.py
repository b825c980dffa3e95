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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Protocol

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from numpy.typing import ArrayLike, NDArray

from linreg.data import default_feature_names
from linreg.history import History
from linreg.model import LinearModel

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
COLOR_CYCLE: Final[tuple[str, ...]] = tuple(
    OKABE_ITO[name]
    for name in ("blue", "vermillion", "green", "orange", "purple", "sky_blue", "black", "yellow")
)
DATA_COLOR: Final = "#666666"  # neutral grey: data recede, model lines stand out
LANDSCAPE_CMAP: Final = "viridis"

#: Resolution of saved PNGs; pixel size = figsize * DPI.
DPI: Final = 100
ANIMATION_DPI: Final = 80
ANIMATION_FIGSIZE: Final = (9.0, 4.0)
MAX_PANELS: Final = 6


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
def new_figure(figsize: tuple[float, float], dpi: float = DPI) -> Figure:
    # Constrained layout keeps titles, labels and colour bars from overlapping
    # without the pixel size changing (unlike bbox_inches="tight").
    return Figure(figsize=figsize, dpi=dpi, layout="constrained")


def set_labels(ax: Axes, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def add_legend(ax: Axes, **kwargs: Any) -> None:
    # Only when something is labelled: an empty legend() call warns.
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        opaque_legend(ax.legend(**kwargs))


def opaque_legend(legend: Legend) -> None:
    # Faded scatter points are right for the plot but too faint for the key.
    for handle in legend.legend_handles:
        if handle is not None:
            handle.set_alpha(1.0)


def legend_below(fig: Figure, ax: Axes, ncols: int = 4) -> None:
    # Landscapes are busy: a key inside the axes would hide part of the path, so
    # it goes under the figure, where constrained layout makes room for it.
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        opaque_legend(fig.legend(handles, labels, loc="outside lower center", ncols=ncols))


def as_X(X: ArrayLike) -> Array:
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"X must have shape (N, d) with N, d >= 1, got {arr.shape}")
    return arr


def as_y(y: ArrayLike, n: int | None = None, name: str = "y") -> Array:
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values but X has {n} rows")
    return arr


def column_names(feature_names: Sequence[str] | None, d: int) -> list[str]:
    if feature_names is None:
        return default_feature_names(d)
    names = [str(n) for n in feature_names]
    if len(names) != d:
        raise ValueError(f"feature_names has {len(names)} names but X has {d} columns")
    return names


def scatter_style(n: int) -> dict[str, Any]:
    # Many points drawn opaquely merge into a blob; fade them as N grows.
    alpha = 0.75 if n <= 200 else 0.45 if n <= 2000 else 0.2
    return {"s": 14 if n <= 2000 else 6, "alpha": alpha, "linewidths": 0}


def params_of(model: FittedModel | LinearModel) -> tuple[Array, float]:
    if isinstance(model, LinearModel):
        return np.asarray(model.W, dtype=np.float64), float(model.b)
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)


def fmt_value(value: float) -> str:
    return f"{value:.4g}"


def line_equation(w: float, b: float, feature: str, target: str) -> str:
    sign = "−" if b < 0 else "+"
    return f"{target} = {fmt_value(w)}·{feature} {sign} {fmt_value(abs(b))}"


def use_log_scale(ax: Axes, values: Array) -> None:
    # A log axis over data with no positive value warns and shows nothing;
    # keep the axis linear in that (degenerate, e.g. perfect fit) case.
    finite = values[np.isfinite(values)]
    if np.any(finite > 0):
        ax.set_yscale("log")


def log_epoch_axis(ax: Axes, last_epoch: int) -> None:
    # Linear from 0 to 1, logarithmic after: epoch 0 stays on the axis, and the
    # first few epochs, where most of the learning (or diverging) happens, get
    # as much room as the last thousands.
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(0, last_epoch)  # symlog's autoscale would add negative epochs


def r_squared(y: Array, y_pred: Array) -> float:
    ss_res = float(np.sum((y - y_pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if ss_tot == 0.0:
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


def draw_diagonal(ax: Axes, lo: float, hi: float) -> None:
    ax.plot([lo, hi], [lo, hi], color=OKABE_ITO["black"], lw=1.2, ls="--", label="y = x")


def padded_span(values: Array, margin: float = 0.05) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    lo, hi = float(finite.min()), float(finite.max())
    pad = (hi - lo) * margin if hi > lo else max(abs(hi), 1.0) * 0.5
    return lo - pad, hi + pad


# -- atomic writing --------------------------------------------------------------------------
@contextmanager
def atomic_target(path: Path, suffix: str) -> Iterator[Path]:
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
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename in (None, name):  # e.g. a full disk
            why = exc.strerror or str(exc) or type(exc).__name__
            raise OSError(
                exc.errno, f"cannot write it: {why} (nothing was written)", str(path)
            ) from None
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
        atomic_target(target, ".png") as tmp,
        mpl.rc_context({"savefig.bbox": "standard"}),  # a user's "tight" would crop
    ):
        fig.savefig(tmp, format="png", dpi=fig.dpi, facecolor="white")
    return target
