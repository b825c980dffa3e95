"""The visual lab: two experiments that show *why* gradient descent behaves as it does.

``compare optimizers``
    Full-batch gradient descent, mini-batch SGD and single-row SGD, trained from
    the same start on the same data and drawn on one loss landscape. Each run's
    final MSE and its distance to the least-squares optimum are reported.

``scaling``
    The same problem on raw and on standardized features: the condition number
    kappa of the Hessian, the largest stable learning rate eta_max, and how many
    epochs gradient descent needs in each case, with both paths on their
    landscapes.

:func:`compare_optimizers` and :func:`scaling_experiment` do the work and return plain
dataclasses; the commands ``linreg compare-optimizers`` and ``linreg scaling``
(:mod:`linreg.cli.lab`) only read files, print and draw.

Choice of learning rates
------------------------
*compare-optimizers*: full-batch GD and mini-batch SGD use ``--lr``. One row per
update is far noisier: a step on row i multiplies the error along
a_i = [x_i, 1] by (1 - 2 eta ||a_i||^2), so it is stable only for
eta < 1 / max_i ||a_i||^2. Unless ``--sgd-lr`` is given, single-row SGD uses
``min(--lr, 0.1 / max_i ||a_i||^2)``: a tenth of that limit, so that no single
step moves the parameters more than 20% of the way to fitting its one row.

*scaling*: each problem runs at the same fraction of its *own* eta_max, by
default one half: eta = 1 / lambda_max. That is the largest rate at which no
direction overshoots (every factor 1 - eta lambda is in [0, 1)), so both paths
head straight down their bowls and stay readable, and the comparison is fair:
the steepest direction is solved in one step in both, and the flattest shrinks
by (1 - 1 / kappa) per epoch, so the epochs needed grow with kappa alone. With
kappa = 1 (one standardized feature) a single step lands on the optimum.
``--fraction`` changes the fraction (0.9 shows the zig-zag of a rate near
eta_max); ``--lr`` sets one absolute rate for both instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from linreg.errors import DivergenceError, LinregError
from linreg.estimator import LinearRegression
from linreg.history import History
from linreg.model import Gradients, LinearModel
from linreg.solvers import fast
from linreg.stability import Stability, stability
from linreg.stats.sweep import CONVERGED_RTOL, fit_recording_divergence
from linreg.training import train
from linreg.validation import check_positive
from linreg.viz.summaries import closed_form

__all__ = [
    "MAX_PATH_POINTS",
    "SCALING_FRACTION",
    "SGD_SAFETY",
    "Comparison",
    "OptimizerRun",
    "ScalingResult",
    "ScalingRun",
    "StepPath",
    "compare_optimizers",
    "default_sgd_learning_rate",
    "epochs_to_converge",
    "record_steps",
    "scaling_experiment",
    "standardize",
]

Array = NDArray[np.float64]

#: Single-row SGD's default rate is this fraction of its stability limit 1 / max ||a_i||^2.
SGD_SAFETY = 0.1

#: Default learning rate of ``scaling``, as a fraction of each problem's own eta_max.
SCALING_FRACTION = 0.5

#: At most about this many parameter updates are kept in a run's :class:`StepPath`
#: (every k-th update, evenly spaced), besides the epoch ends, which are always kept.
MAX_PATH_POINTS = 5000

#: Tolerance of the scaling figure's titles (plots.scaling_lab): MSE within 0.1%.
FIGURE_RTOL = 1e-3

EpochHook = Callable[[str], Callable[[int, float], None] | None]


# -- shared pieces ---------------------------------------------------------------------------
def _fit(
    X: Array,
    y: Array,
    *,
    solver: str,
    learning_rate: float,
    epochs: int,
    batch_size: int = 32,
    seed: int = 0,
    on_epoch: Callable[[int, float], None] | None = None,
) -> tuple[History, int | None]:
    """Train from W = 0, b = 0; returns the history and the epoch of divergence (or None).

    A run that diverges keeps the history recorded up to the divergence.
    """
    model = LinearRegression(
        solver=solver,
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
    )
    return fit_recording_divergence(model, X, y, on_epoch)


def epochs_to_converge(history: History, optimum_loss: float, rtol: float) -> int | None:
    """The first epoch whose MSE is within ``rtol`` (relative) of the optimum, or None.

    Parameters
    ----------
    history : History
    optimum_loss : float
        The least-squares MSE L*.
    rtol : float
        Converged means L_k - L* <= rtol * L*. For an exact fit (L* = 0) the
        threshold is ``rtol * 1e-6`` of the starting loss instead.

    Returns
    -------
    int or None
        None when no recorded epoch gets there.
    """
    loss = np.asarray(history.loss, dtype=np.float64)
    if loss.size == 0:
        return None
    threshold = rtol * optimum_loss if optimum_loss > 0 else rtol * 1e-6 * float(loss[0])
    hits = np.flatnonzero(np.isfinite(loss) & (loss - optimum_loss <= threshold))
    return int(history.epochs[hits[0]]) if hits.size else None  # a thinned history's epoch


# -- compare-optimizers ----------------------------------------------------------------------
@dataclass(frozen=True)
class StepPath:
    """The parameters of a run after its updates *within* the epochs, not only at their ends.

    Attributes
    ----------
    W : ndarray of shape (m, d)
        Weights after each kept update; ``W[0]`` is the start (update 0).
    b : ndarray of shape (m,)
    update : ndarray of int64 of shape (m,)
        The number of updates made when each point was taken (0, k, 2k, ...,
        and every multiple of ``updates_per_epoch``).
    updates_per_epoch : int
        ceil(N / B) for batches of B rows.

    The points at the epoch ends (``update % updates_per_epoch == 0``) are the
    run's history, point for point.
    """

    W: Array
    b: Array
    update: NDArray[np.int64]
    updates_per_epoch: int

    @property
    def epoch_ends(self) -> NDArray[np.intp]:
        """Indices of the points taken at the end of an epoch (the start included)."""
        return np.flatnonzero(self.update % self.updates_per_epoch == 0)


class _StepRecorder(LinearModel):
    """A :class:`LinearModel` from W = 0, b = 0 that keeps its parameters after
    every ``every``-th update and after the last update of every epoch."""

    def __init__(self, n_features: int, *, every: int, per_epoch: int) -> None:
        super().__init__(n_features)
        self.every, self.per_epoch, self.updates = every, per_epoch, 0
        self.kept: list[tuple[int, Array, float]] = [(0, self.W.copy(), self.b)]

    def step(self, grads: Gradients, learning_rate: float) -> None:
        super().step(grads, learning_rate)
        self.updates += 1
        if self.updates % self.every == 0 or self.updates % self.per_epoch == 0:
            self.kept.append((self.updates, self.W.copy(), float(self.b)))


def record_steps(
    X: Array,
    y: Array,
    *,
    learning_rate: float,
    epochs: int,
    batch_size: int,
    seed: int = 0,
    max_points: int = MAX_PATH_POINTS,
) -> StepPath:
    """Run SGD from W = 0, b = 0 and keep the parameters after the updates within each epoch.

    The run is the readable loop's, :func:`linreg.training.train` with
    ``solver="sgd"``, the same shuffles (``seed``) and steps as
    ``LinearRegression(solver="sgd", ...)`` on data of teaching size (below
    :data:`linreg.solvers.fast.AUTO_MIN_ELEMENTS`); its model keeps theta = [W, b]
    after its updates.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    learning_rate, epochs, batch_size, seed
        As ``LinearRegression``'s.
    max_points : int, default=MAX_PATH_POINTS
        With U = epochs * ceil(N / B) updates in all, every k-th update is kept,
        k = ceil(U / max_points), so at most about ``max_points`` evenly spaced
        points, plus the end of every epoch, always kept (k = 1 keeps them all).

    Returns
    -------
    StepPath
        A run that diverges keeps its points up to its last finite epoch end.
    """
    check_positive(max_points, "max_points", integer=True)
    n = X.shape[0]
    per_epoch = -(-n // min(batch_size, n))
    every = max(1, -(-epochs * per_epoch // max_points))
    model = _StepRecorder(X.shape[1], every=every, per_epoch=per_epoch)
    try:
        train(
            model,
            X,
            y,
            solver="sgd",
            learning_rate=learning_rate,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
        )
        last = epochs * per_epoch
    except DivergenceError as exc:
        last = max(exc.report.epoch - 1, 0) * per_epoch  # the last finite epoch end
    kept = [point for point in model.kept if point[0] <= last]
    return StepPath(
        W=np.array([W for _, W, _ in kept], dtype=np.float64).reshape(len(kept), X.shape[1]),
        b=np.array([b for _, _, b in kept], dtype=np.float64),
        update=np.array([u for u, _, _ in kept], dtype=np.int64),
        updates_per_epoch=per_epoch,
    )


@dataclass(frozen=True)
class OptimizerRun:
    """One optimizer's run in :func:`compare_optimizers`.

    Attributes
    ----------
    name : str
        E.g. ``"full-batch GD"``, ``"mini-batch SGD (batch 32)"``, ``"SGD (batch 1)"``.
    solver : {"gd", "sgd"}
    learning_rate : float
    batch_size : int
        Rows per update (N for full-batch GD).
    history : History
        Full-data MSE and parameters at the end of every epoch (up to divergence).
    diverged_at_epoch : int or None
    final_loss : float
        MSE at the last recorded parameters (NaN when nothing was recorded).
    distance_to_optimum : float
        Euclidean distance ||theta - theta*|| of the last recorded theta = [W, b]
        from the least-squares optimum.
    updates : int
        Parameter updates made: epochs run times updates per epoch.
    steps : StepPath or None
        SGD's parameters after the updates within each epoch (:func:`record_steps`);
        None for full-batch GD (one update per epoch: the history is the path) and
        for data of :data:`linreg.solvers.fast.AUTO_MIN_ELEMENTS` cells or more,
        which the fast engine trains.
    """

    name: str
    solver: str
    learning_rate: float
    batch_size: int
    history: History
    diverged_at_epoch: int | None
    final_loss: float
    distance_to_optimum: float
    updates: int
    steps: StepPath | None = None

    @property
    def epochs_run(self) -> int:
        """Epochs completed (entries of the history minus one)."""
        return self.history.n_epochs

    @property
    def status(self) -> str:
        """``"diverged"`` or ``"stable"``."""
        return "stable" if self.diverged_at_epoch is None else "diverged"


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_optimizers`: the runs and the optimum they aim for."""

    runs: list[OptimizerRun]
    optimum_coef: Array
    optimum_intercept: float
    optimum_loss: float
    stability: Stability


def default_sgd_learning_rate(X: Array, learning_rate: float) -> float:
    """The default rate of single-row SGD: ``min(learning_rate, SGD_SAFETY / max ||a_i||^2)``.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    learning_rate : float
        The rate of the other optimizers.

    Notes
    -----
    A step on the single row a_i = [x_i, 1] multiplies the error along a_i by
    1 - 2 eta ||a_i||^2; it is stable only for eta < 1 / ||a_i||^2, and the row
    with the largest norm sets the limit.
    """
    largest = float(np.max(np.sum(X * X, axis=1) + 1.0))
    return min(float(learning_rate), SGD_SAFETY / largest)


def compare_optimizers(
    X: Array,
    y: Array,
    *,
    learning_rate: float = 0.01,
    epochs: int = 200,
    batch_size: int = 32,
    sgd_learning_rate: float | None = None,
    seed: int = 0,
    on_epoch: EpochHook | None = None,
) -> Comparison:
    """Train full-batch GD, mini-batch SGD and single-row SGD from W = 0, b = 0.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    learning_rate : float, default=0.01
        Rate of full-batch GD and mini-batch SGD.
    epochs : int, default=200
        Passes over the data, the same for all three.
    batch_size : int, default=32
        Rows per update of mini-batch SGD.
    sgd_learning_rate : float, optional
        Rate of single-row SGD; default :func:`default_sgd_learning_rate`.
    seed : int, default=0
        Seed of the SGD shuffles (both SGD runs use it).
    on_epoch : callable, optional
        Given a run's name, returns a per-epoch callback (or None), e.g. a progress bar.

    Returns
    -------
    Comparison
        Runs in the order GD, mini-batch SGD, SGD. The two SGD runs also carry
        their path within the epochs, ``steps`` (:func:`record_steps`: at most
        about :data:`MAX_PATH_POINTS` evenly spaced updates plus every epoch end),
        so that a figure can show the noise of single steps; full-batch GD makes
        one update per epoch, so its history is its whole path.
    """
    check_positive(learning_rate, "--lr")
    check_positive(epochs, "--epochs", integer=True)
    check_positive(batch_size, "--batch-size", integer=True)
    if sgd_learning_rate is None:
        sgd_learning_rate = default_sgd_learning_rate(X, learning_rate)
    check_positive(sgd_learning_rate, "--sgd-lr")
    optimum = closed_form(X, y, True)
    theta_star = np.append(optimum.coef_, optimum.intercept_)
    n = X.shape[0]
    plan = (
        ("full-batch GD", "gd", learning_rate, n),
        (f"mini-batch SGD (batch {batch_size})", "sgd", learning_rate, batch_size),
        ("SGD (batch 1)", "sgd", sgd_learning_rate, 1),
    )
    runs = []
    for name, solver, rate, batch in plan:
        history, diverged = _fit(
            X,
            y,
            solver=solver,
            learning_rate=rate,
            epochs=epochs,
            batch_size=batch,
            seed=seed,
            on_epoch=None if on_epoch is None else on_epoch(name),
        )
        if history.loss.size:
            theta = np.append(history.W[-1], history.b[-1])
            distance = float(np.linalg.norm(theta - theta_star))
            final = history.final_loss
        else:
            distance = final = math.nan
        steps = None
        if solver == "sgd" and not fast.use_fast_engine("auto", *X.shape):
            steps = record_steps(
                X, y, learning_rate=rate, epochs=epochs, batch_size=batch, seed=seed
            )
        runs.append(
            OptimizerRun(
                name=name,
                solver=solver,
                learning_rate=float(rate),
                batch_size=min(batch, n),
                history=history,
                diverged_at_epoch=diverged,
                final_loss=final,
                distance_to_optimum=distance,
                updates=history.n_epochs * math.ceil(n / min(batch, n)),
                steps=steps,
            )
        )
    return Comparison(
        runs=runs,
        optimum_coef=optimum.coef_,
        optimum_intercept=float(optimum.intercept_),
        optimum_loss=optimum.history_.final_loss,
        stability=stability(X),
    )


# -- scaling ---------------------------------------------------------------------------------
def standardize(X: Array) -> tuple[Array, Array, Array]:
    """Z = (X - mean) / std with the population std; a constant column is only centred.

    Returns
    -------
    Z, mean, std : ndarrays
        ``std`` has 1 where a column is constant (as :func:`linreg.viz.plots.scaling_lab`).
    """
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std == 0.0, 1.0, std)
    return (X - mean) / std, mean, std


@dataclass(frozen=True)
class ScalingRun:
    """Gradient descent on one version of the problem (raw or standardized).

    Attributes
    ----------
    stability : Stability
        kappa, eta_max, lambda_max and lambda_min of this version's Hessian.
    learning_rate : float
    history : History
        In this version's own units (standardized runs: weights per std of x).
    diverged_at_epoch : int or None
    epochs_to_converge : int or None
        First epoch with MSE within ``rtol`` of the optimum (None: not reached).
    epochs_to_figure_tolerance : int or None
        The same within 0.1%, the tolerance the figure's titles use.
    """

    stability: Stability
    learning_rate: float
    history: History
    diverged_at_epoch: int | None
    epochs_to_converge: int | None
    epochs_to_figure_tolerance: int | None


@dataclass(frozen=True)
class ScalingResult:
    """Result of :func:`scaling_experiment`."""

    raw: ScalingRun
    standardized: ScalingRun
    mean: Array
    std: Array
    optimum_loss: float
    epochs: int
    rtol: float


def scaling_experiment(
    X: Array,
    y: Array,
    *,
    learning_rate: float | None = None,
    fraction: float = SCALING_FRACTION,
    epochs: int = 2000,
    rtol: float = CONVERGED_RTOL,
) -> ScalingResult:
    """Full-batch gradient descent on X and on its standardized version Z.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    learning_rate : float, optional
        One absolute rate for both; overrides ``fraction``.
    fraction : float, default=0.5
        Without ``learning_rate``, each problem runs at ``fraction`` times its own
        eta_max = 2 / lambda_max (0.5 gives 1 / lambda_max: no direction overshoots),
        so that only the condition number differs between the two.
    epochs : int, default=2000
    rtol : float, default=1e-6
        Converged means the MSE is within ``rtol`` (relative) of the least-squares MSE.

    Returns
    -------
    ScalingResult
        The standardized history is in standardized units, trained on Z itself.
    """
    if learning_rate is not None:
        check_positive(learning_rate, "--lr")
    elif not (math.isfinite(fraction) and 0.0 < fraction < 1.0):
        raise LinregError(f"--fraction must be in (0, 1), got {fraction:g}")
    check_positive(epochs, "--epochs", integer=True)
    check_positive(rtol, "--rtol")
    Z, mean, std = standardize(X)
    optimum_loss = closed_form(X, y, True).history_.final_loss

    def run(data: Array) -> ScalingRun:
        stab = stability(data)
        rate = learning_rate
        if rate is None:
            rate = fraction * stab.max_stable_learning_rate
            if not (math.isfinite(rate) and rate > 0):
                raise LinregError("the features are all zero: there is nothing to learn")
        history, diverged = _fit(data, y, solver="gd", learning_rate=rate, epochs=epochs)
        return ScalingRun(
            stability=stab,
            learning_rate=float(rate),
            history=history,
            diverged_at_epoch=diverged,
            epochs_to_converge=epochs_to_converge(history, optimum_loss, rtol),
            epochs_to_figure_tolerance=epochs_to_converge(history, optimum_loss, FIGURE_RTOL),
        )

    return ScalingResult(
        raw=run(X),
        standardized=run(Z),
        mean=mean,
        std=std,
        optimum_loss=optimum_loss,
        epochs=epochs,
        rtol=rtol,
    )
