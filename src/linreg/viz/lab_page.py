"""The interactive lab: one self-contained HTML page to play with gradient descent.

``linreg lab DATA --out lab.html`` (and :func:`write_lab`) draws a page from the user's
own data, one feature ``x`` and a target ``y``: the model ``y_pred = W x + b``. On it
the learner drags ``(W, b)``, picks a learning rate on a slider marked with eta_max,
a batch size and raw or standardized ``x``, and watches the line, the squared
residuals, the loss landscape, the gradient and the path of descent, epoch by epoch.
:func:`show_lab` puts the same page in a notebook (a ``srcdoc`` iframe).

What the page stores (every number is computed here, in Python, when the page is written)
----------------------------------------------------------------------------------------
For each of the two views (``x`` raw and ``x`` standardized, ``x' = (x - mean) / std``)
the page holds the data's moments, written centred because that is exact to rounding
even when ``y`` has a large offset:

    N,  xbar = mean(x),  ybar = mean(y),
    sxx = mean((x - xbar)^2),  sxy = mean((x - xbar)(y - ybar)),

(the raw sums N, sum x, sum x^2, sum y, sum xy, sum y^2 carry the same information:
``sxx = sum x^2 / N - xbar^2`` and so on, but subtracting those loses digits), and the
least-squares optimum ``W* = sxy / sxx``, ``b* = ybar - W* xbar`` with its loss ``L*``
(linreg's exact solver and :meth:`linreg.LinearModel.loss`). With ``u = W - W*`` and
``e = W xbar + b - ybar`` the mean squared error of any (W, b) is exactly

    L(W, b) = L* + sxx u^2 + e^2,

since the residual ``W x_i + b - y_i = u (x_i - xbar) + e - (r*_i)`` splits into parts
orthogonal over the rows. Its gradient is

    dL/dW = 2 (sxx u + e xbar),    dL/db = 2 e,

so full-batch gradient descent, ``W <- W - eta dL/dW``, ``b <- b - eta dL/db``, is a
linear recurrence in (u, e) that the page's JavaScript runs for the chosen rate: the
same iterates as :func:`linreg.training.train` to rounding (the browser test checks it),
and as exact for the loss curve, the landscape and the arrow. The Hessian
``H = 2 [[mean x^2, xbar], [xbar, 1]]`` gives eta_max = 2 / lambda_max and the
condition number ``kappa`` (:func:`linreg.stability.stability`); standardizing makes
H = 2 I, kappa = 1: the valley becomes a round bowl.

A divergence is called as :func:`linreg.training.watch` calls it: at the first epoch
whose loss is not finite or exceeds ``EXPLOSION_FACTOR`` times the starting loss.

Mini-batches and SGD
--------------------
A mini-batch step needs the rows, and a shuffle. Rather than re-implement linreg's
shuffles and steps in JavaScript, the page carries their paths precomputed here, for
each rate of the slider: the steps of :func:`linreg.training.gradient_descent` (the
same :func:`linreg.training.shuffle_rows` from ``default_rng(seed)``, the same
per-batch gradient ``(2/B) X_B^T r_B``), run for all rates at once, vectorised over
the rates. So every point of a noisy path is linreg's, as the issue asks, and the page
needs no rows beyond those it draws. Each path keeps the iterate at every epoch's end
(full precision) and at most :data:`PATH_POINTS` points in between (every step, or
every k-th when there are more), over at most :data:`STEP_BUDGET` steps. That is why
the slider's rates are a fixed grid (fractions of eta_max, dense near it, some above
it) and not a continuum.

The drawing
-----------
Plain JavaScript on ``<canvas>``, in ``lab_assets/lab.js`` and ``lab_assets/lab.css``,
inlined at write time into the template ``lab_assets/lab.html``. The page needs four small plots and
five controls; a charting library (Plotly's bundle is about 3.5 MB, Bokeh's and
Vega's several hundred kB) would dwarf the few hundred lines it replaces and hides the
per-pixel landscape this page needs. With no library, the code is about 30 kB and the
page about 0.4 MB for the demo's 800 rows (most of it the stored mini-batch paths); it
loads nothing (a Content-Security-Policy forbids any request) and opens from
``file://``, in an e-mail attachment or in a notebook's iframe. In an iframe, once
drawn, it posts ``{"linregLab": "ready", "mse": ...}`` to the host page.

The scatter plot shows at most :data:`MAX_ROWS` rows (a seeded sample, said on the
page); the moments, the optimum and the paths use every row.
"""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.model import LinearModel
from linreg.optimality import column_std
from linreg.solvers.lstsq import lstsq
from linreg.stability import stability
from linreg.training import EXPLOSION_FACTOR, shuffle_rows

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_EPOCHS",
    "MAX_ROWS",
    "PATH_POINTS",
    "RATE_FRACTIONS",
    "STEP_BUDGET",
    "LabFrame",
    "batch_paths",
    "lab_data",
    "render_lab",
    "show_lab",
    "write_lab",
]

Array = NDArray[np.float64]

#: The scatter plot draws at most this many rows (a seeded sample of them).
MAX_ROWS = 2000

#: The learning-rate slider's rates, as fractions of each view's eta_max: dense near
#: 1, where descent oscillates and then diverges, and a few above it.
RATE_FRACTIONS = (
    0.02,
    0.05,
    0.1,
    0.2,
    0.35,
    0.5,
    0.65,
    0.8,
    0.9,
    0.95,
    0.99,
    1.02,
    1.05,
    1.1,
    1.25,
    1.5,
)

#: Epochs of full-batch gradient descent on the page (``--epochs``).
DEFAULT_EPOCHS = 300

#: The mini-batch size (``--batch-size``); the page also offers the full batch and 1.
DEFAULT_BATCH_SIZE = 32

#: A precomputed mini-batch path takes at most this many steps: whole epochs when one
#: fits, else the first :data:`PARTIAL_MARKS` marks of the first epoch.
STEP_BUDGET = 4000

#: An epoch longer than :data:`STEP_BUDGET` steps is shown at this many marks in its start.
PARTIAL_MARKS = 40

#: At most this many epochs of a mini-batch path (each stored at full precision).
MAX_MARKS = 200

#: ... and keeps at most about this many points between its epochs' ends.
PATH_POINTS = 300

#: The largest ``--epochs``: the browser runs that many steps at every move.
MAX_EPOCHS = 100_000

#: The landscape spans the start and the optimum with this margin.
MARGIN = 1.3


@dataclass(frozen=True)
class Moments:
    """The centred moments of one view (see the module docstring); all floats."""

    n: int
    xbar: float
    ybar: float
    sxx: float
    sxy: float
    W_opt: float
    b_opt: float
    loss_opt: float

    def loss(self, W: Array, b: Array) -> Array:
        """L(W, b) = L* + sxx (W - W*)^2 + (W xbar + b - ybar)^2, for arrays of (W, b)."""
        u = W - self.W_opt
        e = u * self.xbar + (b - self.b_opt)
        return self.loss_opt + self.sxx * u * u + e * e


def _moments(x: Array, y: Array) -> Moments:
    """The moments and the exact optimum of ``y ~ W x + b`` (linreg's exact solver)."""
    xbar, ybar = float(np.mean(x)), float(np.mean(y))
    dx, dy = x - xbar, y - ybar
    fit = lstsq(x[:, None], y)
    W_opt, b_opt = float(fit.coef[0]), float(fit.intercept)
    model = LinearModel(1)
    model.W, model.b = np.array([W_opt]), b_opt
    loss_opt = model.loss(model.forward(x[:, None]), y)
    return Moments(
        n=int(x.shape[0]),
        xbar=xbar,
        ybar=ybar,
        sxx=float(np.mean(dx * dx)),
        sxy=float(np.mean(dx * dy)),
        W_opt=W_opt,
        b_opt=b_opt,
        loss_opt=loss_opt,
    )


def batch_paths(
    x: Array,
    y: Array,
    rates: Array,
    *,
    batch_size: int,
    epochs: int,
    seed: int,
    start: tuple[float, float] = (0.0, 0.0),
) -> dict[str, Any]:
    """Mini-batch SGD from ``start`` at every rate at once: linreg's steps, vectorised.

    Each epoch draws ``order = shuffle_rows(rng, N)`` from ``rng = default_rng(seed)``
    and steps once per batch ``B`` of that order, as :func:`linreg.training.train`
    with ``solver="sgd"`` does: ``W <- W - eta (2/|B|) sum_B x_i r_i``,
    ``b <- b - eta (2/|B|) sum_B r_i``, ``r_i = W x_i + b - y_i``. A rate stops at
    the first step whose full-data loss is not finite or exceeds ``EXPLOSION_FACTOR``
    times the starting loss; linreg would report that at the epoch after the step.

    Parameters
    ----------
    x, y : ndarray of shape (N,)
    rates : ndarray of shape (R,)
    batch_size, epochs, seed : int
    start : (W0, b0)

    The iterates are marked at every epoch's end when an epoch fits in
    :data:`STEP_BUDGET` steps (at most ``epochs`` and :data:`MAX_MARKS` of them, as
    many as fit); a longer
    epoch (many rows, small batches) is marked every ``STEP_BUDGET // PARTIAL_MARKS``
    steps over its first ``STEP_BUDGET``.

    Returns
    -------
    dict
        ``steps_per_epoch``; ``mark_steps`` (steps between marks) and ``marks`` (how
        many after the start); ``path_steps``, the step of each recorded point (shape
        (P,)); and ``runs``, one dict per rate: ``mark_W``, ``mark_b`` (at the start and
        each mark, up to the divergence), ``path_W``, ``path_b`` (the recorded points)
        and ``diverged_at_epoch`` / ``diverged_at_step`` (None when it did not).
    """
    N = x.shape[0]
    moments = _moments(x, y)
    per_epoch = -(-N // batch_size)
    if per_epoch <= STEP_BUDGET:
        mark_steps = per_epoch
        marks = max(1, min(epochs, STEP_BUDGET // per_epoch, MAX_MARKS))
    else:
        mark_steps, marks = STEP_BUDGET // PARTIAL_MARKS, PARTIAL_MARKS
    total = marks * mark_steps
    stride = max(1, -(-total // PATH_POINTS))
    R = rates.shape[0]
    W = np.full(R, start[0])
    b = np.full(R, start[1])
    limit = EXPLOSION_FACTOR * max(float(moments.loss(W[:1], b[:1])[0]), np.finfo(float).tiny)
    alive = np.ones(R, dtype=bool)
    diverged_step = np.zeros(R, dtype=np.int64)
    mark_W, mark_b = [W.copy()], [b.copy()]
    path_W, path_b, path_steps = [W.copy()], [b.copy()], [0]
    rng = np.random.default_rng(seed)
    step = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while step < total:
            order = shuffle_rows(rng, N)
            for first in range(0, min(N, (total - step) * batch_size), batch_size):
                index = order[first : first + batch_size]
                xb, yb = x[index], y[index]
                r = W[:, None] * xb[None, :] + b[:, None] - yb[None, :]
                scale = 2.0 / index.shape[0]
                dW, db = scale * (r @ xb), scale * r.sum(axis=1)
                new_W = np.where(alive, W - rates * dW, W)
                new_b = np.where(alive, b - rates * db, b)
                step += 1
                loss = moments.loss(new_W, new_b)
                exploded = alive & ~(np.isfinite(loss) & (loss <= limit))
                diverged_step[exploded] = step
                alive &= ~exploded
                W = np.where(alive, new_W, W)
                b = np.where(alive, new_b, b)
                if step % stride == 0:
                    path_W.append(W.copy())
                    path_b.append(b.copy())
                    path_steps.append(step)
                if step % mark_steps == 0:
                    mark_W.append(W.copy())
                    mark_b.append(b.copy())
    runs = []
    for k in range(R):
        stop = int(diverged_step[k])
        last_mark = marks if stop == 0 else (stop - 1) // mark_steps
        last_point = len(path_steps) if stop == 0 else int(np.searchsorted(path_steps, stop))
        runs.append(
            {
                "mark_W": [float(a[k]) for a in mark_W[: last_mark + 1]],
                "mark_b": [float(a[k]) for a in mark_b[: last_mark + 1]],
                "path_W": [_short(a[k]) for a in path_W[:last_point]],
                "path_b": [_short(a[k]) for a in path_b[:last_point]],
                "diverged_at_epoch": None if stop == 0 else -(-stop // per_epoch),
                "diverged_at_step": None if stop == 0 else stop,
            }
        )
    return {
        "batch_size": batch_size,
        "steps_per_epoch": per_epoch,
        "mark_steps": mark_steps,
        "marks": marks,
        "path_steps": path_steps,
        "runs": runs,
    }


def _short(value: np.float64) -> float:
    """A drawn point's coordinate, to 7 significant digits (a smaller page)."""
    return float(f"{float(value):.7g}")


def _view(
    x: Array,
    y: Array,
    *,
    name: str,
    epochs: int,
    batch_size: int,
    seed: int,
) -> dict[str, Any]:
    """One view's numbers: moments, optimum, stability, landscape box, rates, SGD paths."""
    m = _moments(x, y)
    stab = stability(x[:, None])
    eta_max = stab.max_stable_learning_rate
    rates = np.array(RATE_FRACTIONS) * eta_max
    half = MARGIN * max(abs(m.W_opt), abs(m.b_opt), 1e-12 * (1 + abs(m.ybar)))
    batches = {}
    for label, size in (("mini", min(batch_size, m.n)), ("one", 1)):
        batches[label] = batch_paths(x, y, rates, batch_size=size, epochs=epochs, seed=seed)
    return {
        "name": name,
        "moments": {
            "n": m.n,
            "xbar": m.xbar,
            "ybar": m.ybar,
            "sxx": m.sxx,
            "sxy": m.sxy,
        },
        "optimum": {"W": m.W_opt, "b": m.b_opt, "loss": m.loss_opt},
        "start": {"W": 0.0, "b": 0.0},
        "eta_max": eta_max,
        "eta_best": stab.optimal_learning_rate,
        # inf (lambda_min lost to rounding: x nearly constant against its mean) as null.
        "kappa": stab.condition_number if math.isfinite(stab.condition_number) else None,
        "lambda_max": stab.lambda_max,
        "lambda_min": stab.lambda_min,
        "box": {
            "W": [m.W_opt - half, m.W_opt + half],
            "b": [m.b_opt - half, m.b_opt + half],
        },
        "rates": [float(r) for r in rates],
        "batches": batches,
    }


def lab_data(
    x: Array,
    y: Array,
    *,
    feature_name: str = "x",
    target_name: str = "y",
    source: str = "",
    epochs: int = DEFAULT_EPOCHS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
) -> dict[str, Any]:
    """Every number of the lab page, as a JSON-ready dict.

    Parameters
    ----------
    x : ndarray of shape (N,) or (N, 1)
        The one feature; (N, d) with d > 1 is refused (choose a column).
    y : ndarray of shape (N,)
    feature_name, target_name, source : str
        Labels for the page (``source``: where the data came from).
    epochs : int
        Epochs of full-batch descent on the page (mini-batch paths: at most these).
    batch_size : int
        The mini-batch size offered beside the full batch and 1.
    seed : int
        Seed of the shuffles and of the sample of drawn rows.

    Raises
    ------
    LinregError
        More than one feature, fewer than two rows, a non-finite value, a constant x,
        a bad ``epochs`` or ``batch_size``.
    """
    x, y = _checked(x, y, feature_name, target_name)
    if not 1 <= epochs <= MAX_EPOCHS:
        raise LinregError(f"epochs must be between 1 and {MAX_EPOCHS:,}, got {epochs}")
    if batch_size < 1:
        raise LinregError(f"batch_size must be a positive integer, got {batch_size}")
    scale = float(column_std(x[:, None])[0])
    xbar = float(np.mean(x))
    z = (x - xbar) / scale
    N = x.shape[0]
    rng = np.random.default_rng(seed)
    shown = np.sort(rng.choice(N, size=MAX_ROWS, replace=False)) if N > MAX_ROWS else np.arange(N)
    common = {"epochs": epochs, "batch_size": batch_size, "seed": seed}
    return {
        "feature": feature_name,
        "target": target_name,
        "source": source,
        "rows": N,
        "epochs": epochs,
        "seed": seed,
        "explosion_factor": EXPLOSION_FACTOR,
        "rate_fractions": list(RATE_FRACTIONS),
        "standardize": {"mean": xbar, "std": scale},
        "points": {"x": x[shown].tolist(), "y": y[shown].tolist()},
        "views": {
            "raw": _view(x, y, name=feature_name, **common),
            "std": _view(z, y, name=f"{feature_name} (standardized)", **common),
        },
    }


def _checked(x: Array, y: Array, feature: str, target: str) -> tuple[Array, Array]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        d = x.shape[1] if x.ndim == 2 else x.ndim
        raise LinregError(
            f"the lab shows one feature, got {d}: choose one (linreg lab --feature NAME)"
        )
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise LinregError(f"{target} must have one value per row of {feature}, got {y.shape}")
    if x.shape[0] < 2:
        raise LinregError(f"the lab needs at least 2 rows, got {x.shape[0]}")
    for values, name in ((x, feature), (y, target)):
        if not np.all(np.isfinite(values)):
            raise LinregError(f"column {name!r} has a missing or non-finite value")
    if float(np.ptp(x)) == 0.0:
        raise LinregError(f"column {feature!r} is constant: a slope cannot be learned from it")
    big = max(float(np.max(np.abs(x))), float(np.max(np.abs(y))))
    if big > 1e100:
        raise LinregError(
            f"values up to {big:.3g}: too large for the lab's squares in float64; rescale them"
        )
    return x, y


def _asset(name: str) -> str:
    return (
        resources.files("linreg.viz")
        .joinpath("lab_assets")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


def render_lab(data: dict[str, Any], *, title: str = "linreg lab") -> str:
    """The page: the template with the CSS, the JavaScript and ``data`` inlined.

    The data are JSON inside ``<script type="application/json">``, with ``<`` escaped
    so that no value can close the element.
    """
    payload = json.dumps(data, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")
    page = _asset("lab.html")
    for key, value in (
        ("{{TITLE}}", html.escape(title)),
        ("{{CSS}}", _asset("lab.css")),
        ("{{DATA}}", payload),
        ("{{JS}}", _asset("lab.js")),
    ):
        page = page.replace(key, value, 1)
    return page


def write_lab(
    path: str | os.PathLike[str],
    x: Array,
    y: Array,
    **options: Any,
) -> Path:
    """Write the lab page for ``(x, y)`` to ``path`` atomically; returns the path.

    ``options`` are those of :func:`lab_data` (the names, epochs, batch size, seed).
    """
    from linreg.io.tables import atomic_write  # pandas, loaded only to write

    page = render_lab(lab_data(x, y, **options))
    out = Path(path)
    with atomic_write(out) as handle:
        handle.write(page)
    return out


class LabFrame:
    """The lab in a notebook: an ``<iframe srcdoc=...>`` that Jupyter and VS Code show.

    Displayed through ``_repr_html_`` (no IPython import needed); ``html`` is the page.
    """

    def __init__(self, page: str, height: int = 900) -> None:
        self.html = page
        self.height = height

    def _repr_html_(self) -> str:
        # Non-ASCII characters as references: the page reads the same whatever the
        # notebook's own encoding.
        srcdoc = html.escape(self.html, quote=True).encode("ascii", "xmlcharrefreplace")
        return (
            f'<iframe srcdoc="{srcdoc.decode("ascii")}" '
            f'style="width:100%;height:{self.height}px;border:0" '
            'sandbox="allow-scripts" title="linreg lab"></iframe>'
        )


def show_lab(
    data: Any,
    y: Array | None = None,
    *,
    feature: str | None = None,
    height: int = 900,
    **options: Any,
) -> LabFrame:
    """The lab for a notebook cell: ``show_lab(dataset)`` or ``show_lab(x, y)``.

    Parameters
    ----------
    data : Dataset or ndarray of shape (N,) or (N, d)
        A :class:`linreg.Dataset` (its ``X``, ``y`` and feature names), or x.
    y : ndarray of shape (N,), optional
        The target, with an array ``data``.
    feature : str, optional
        With d > 1 features, the one to show (a name of ``data.feature_names``).
    height : int
        The iframe's height in pixels.
    **options
        Those of :func:`lab_data`.
    """
    if y is None:
        X, y = np.asarray(data.X, dtype=np.float64), data.y
        names = list(getattr(data, "feature_names", []) or [])
    else:
        X = np.asarray(data, dtype=np.float64)
        names = []
    if X.ndim == 2 and feature is not None:
        if feature not in names:
            raise LinregError(f"no feature {feature!r}; the features are {', '.join(names)}")
        X = X[:, names.index(feature)]
    name = feature or (names[0] if len(names) == 1 else "x")
    options.setdefault("feature_name", name)
    return LabFrame(render_lab(lab_data(X, np.asarray(y), **options)), height=height)
