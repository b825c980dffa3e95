"""The fast engine of gradient descent: the readable loop's numbers, a fraction of its time.

:func:`linreg.training.train` is the readable loop: every epoch multiplies the
whole (N, d) matrix by W, then by the residual, two passes over the data. This
engine gives the same iterates, history and errors without those passes, and
without copying X. ``LinearRegression(engine=...)`` chooses: ``"reference"`` the
readable loop, ``"fast"`` this engine, ``"auto"`` (the default) this engine from
N * d >= :data:`AUTO_MIN_ELEMENTS` = 100,000 on. Below that both take milliseconds
and the teaching examples (and every notebook) run the textbook loop.

Its parts, one idea each:

- :mod:`linreg.solvers.moments`: one pass for the centred (weighted) moments, the
  standardization folded into them, eta_max and kappa from them;
- :mod:`linreg.solvers.objectives`: the loss and gradient from the moments (an
  anchored quadratic, O(d^2) an epoch) or by a fused pass, and the cost model that
  picks one;
- :mod:`linreg.solvers.sgd`: mini-batch epochs with the readable loop's shuffle and
  arithmetic, bit for bit;
- here: :func:`train` assembles them and :func:`descend` runs the epochs (also
  for streamed data, :mod:`linreg.out_of_memory`).

Full-batch GD agrees with the readable loop to about 1e-14 relative after 1,000
epochs (tests/test_fast.py asserts 1e-10 for the whole path, with and without
intercept, standardization, momentum, row weights and the penalty, with tol and at
divergence, which is reported at the same epoch with the same report). On data
whose means are hundreds of standard deviations, the original-units intercept
``b - W^T mean / scale`` amplifies both paths' rounding by mean / std. Timings and
memory: ``benchmarks/README.md``.

The public names of the parts are re-exported here for the engine's users.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from typing import Final

import numpy as np
from numpy.typing import NDArray

from linreg.errors import DivergenceError
from linreg.model import LinearModel, soft_threshold
from linreg.problem import mean_one_weights
from linreg.solvers.moments import (
    Moments,
    Standardized,
    chunk_rows,
    stability_from_moments,
    standardization,
)
from linreg.solvers.objectives import (
    ANCHOR_FROM_MOMENTS,
    Objective,
    QuadraticObjective,
    StreamingObjective,
    anchor_from_moments,
    anchor_pass,
    expected_evaluations,
    least_squares_from_moments,
    make_objective,
    prefer_streaming,
    quadratic_objective,
    sgd_needs_moments,
)
from linreg.solvers.sgd import EpochRunner, RowOrder, ShuffledBatches, count_steps, sgd_steps
from linreg.training import (
    EarlyStopping,
    EpochCallback,
    Schedule,
    ToOriginal,
    TrainResult,
    identity_map,
    watch,
)
from linreg.validation import require_finite

__all__ = [
    "ANCHOR_FROM_MOMENTS",
    "AUTO_MIN_ELEMENTS",
    "ENGINES",
    "EpochRunner",
    "Moments",
    "QuadraticObjective",
    "RowOrder",
    "Standardized",
    "StreamingObjective",
    "anchor_from_moments",
    "anchor_pass",
    "chunk_rows",
    "count_steps",
    "descend",
    "least_squares_from_moments",
    "make_objective",
    "prefer_streaming",
    "quadratic_objective",
    "sgd_needs_moments",
    "sgd_steps",
    "stability_from_moments",
    "standardization",
    "train",
    "use_fast_engine",
]

Array = NDArray[np.float64]

#: Values of ``LinearRegression(engine=...)``.
ENGINES: Final = ("auto", "reference", "fast")

#: ``engine="auto"`` takes the fast path from this many matrix entries N * d on.
AUTO_MIN_ELEMENTS: Final = 100_000


def use_fast_engine(engine: str, n_samples: int, n_features: int) -> bool:
    """Whether ``engine`` runs the fast path for data of this shape."""
    if engine == "auto":
        return n_samples * n_features >= AUTO_MIN_ELEMENTS
    return engine == "fast"


# Overflow is expected while diverging; it is detected and reported below.
@np.errstate(over="ignore", invalid="ignore")
def train(
    model: LinearModel,
    X: Array,
    y: Array,
    *,
    center: Array,
    scale: Array,
    moments: Moments | None = None,
    solver: str = "gd",
    learning_rate: float = 0.01,
    epochs: int = 1000,
    batch_size: int = 32,
    momentum: float = 0.0,
    tol: float | None = None,
    seed: int = 0,
    X_val: Array | None = None,
    y_val: Array | None = None,
    max_stable_learning_rate: float = np.inf,
    to_original: ToOriginal = identity_map,
    on_epoch: EpochCallback | None = None,
    objective: str = "auto",
    sample_weight: Array | None = None,
    alpha: float = 0.0,
    schedule: Schedule | None = None,
    early_stopping: int | None = None,
    l1: Array | None = None,
    acceleration: str = "none",
) -> TrainResult:
    """:func:`linreg.training.train`, fast: the same iterates, history and errors.

    Parameters
    ----------
    model : LinearModel
        Updated in place; on divergence it is left at the last finite parameters.
    X : ndarray of shape (N, d)
        The features in their *original* units: training runs on
        ``Z = (X - center) / scale``, computed block by block, never stored.
    y : ndarray of shape (N,)
    center, scale : ndarrays of shape (d,)
        The standardization (zeros and ones for none), see :func:`standardization`.
    moments : Moments, optional
        The moments of (X, y) if already computed (the estimator needs them first
        for the standardization and eta_max).
    solver, learning_rate, epochs, batch_size, momentum, tol, seed, max_stable_learning_rate,
    to_original, on_epoch, schedule, early_stopping :
        As in :func:`linreg.training.train`.
    X_val, y_val : ndarrays, optional
        Validation data, in original units like X.
    objective : {"auto", "quadratic", "streaming"}, default="auto"
        How the loss and the full gradient are computed (see :func:`make_objective`).
    sample_weight : ndarray of shape (N,), optional
        Row weights (validated); ``moments``, if given, must be the weighted ones.
    alpha : float, default=0.0
        The penalty ``alpha |V|^2`` on the weights V of the units trained on: with
        ``standardize`` the standardized penalty of :mod:`linreg.problem`, else
        (scale 1) ``alpha |W|^2``; the readable loop takes the same ``alpha``.
        The validation loss is the plain MSE of ``X_val``, as in the readable loop.
        With an L1 penalty this is its smooth part's, ``alpha (1 - rho)``.
    l1, acceleration :
        The L1 penalty in the units trained on (``2 alpha rho`` a feature) and
        ``"fista"`` or ``"none"``, as in :func:`linreg.training.train` (FISTA for
        full-batch GD only; SGD takes the proximal step after every batch).

    Returns
    -------
    TrainResult

    Raises
    ------
    DivergenceError
        At the first non-finite or exploding loss, with the history so far.
    """
    fit_intercept = model.fit_intercept
    kind = objective
    evaluations = expected_evaluations(solver, epochs, tol)
    train_objective = make_objective(
        X,
        y,
        center,
        scale,
        fit_intercept=fit_intercept,
        passes=evaluations,
        gradient=solver == "gd",
        moments=moments,
        kind=kind,
        sample_weight=sample_weight,
        alpha=alpha,
    )
    val_objective = None
    if X_val is not None and y_val is not None:
        # Anchored where training ends up, the validation loss is accurate there too.
        anchor = train_objective.anchor if isinstance(train_objective, QuadraticObjective) else None
        val_objective = make_objective(
            X_val,
            y_val,
            center,
            scale,
            fit_intercept=fit_intercept,
            passes=evaluations,
            gradient=False,
            anchor=anchor,
            kind=kind,
        )
    batches = None
    if solver != "gd":
        batches = ShuffledBatches(
            X,
            y,
            center,
            scale,
            batch_size=batch_size,
            seed=seed,
            learning_rate=learning_rate,
            momentum=momentum,
            fit_intercept=fit_intercept,
            tol=tol,
            sample_weight=mean_one_weights(sample_weight, X.shape[0]),
            ridge=np.full_like(scale, alpha) if alpha else None,
            l1=l1,
        )

    # Without moments, the streaming objective's passes are the only look at X.
    streaming = train_objective if isinstance(train_objective, StreamingObjective) else None
    try:
        result = descend(
            model,
            train_objective,
            learning_rate=learning_rate,
            epochs=epochs,
            momentum=momentum,
            tol=tol,
            max_stable_learning_rate=max_stable_learning_rate,
            to_original=to_original,
            on_epoch=on_epoch,
            val_objective=val_objective,
            sgd=batches,
            schedule=schedule,
            early_stopping=early_stopping,
            l1=l1,
            fista=acceleration == "fista",
        )
    except DivergenceError:
        if streaming is not None:
            require_finite(X, y)
        raise
    if streaming is not None and streaming.passes == 0:
        require_finite(X, y)  # every loss was taken at W = 0: X was never read
    if isinstance(train_objective, QuadraticObjective) and l1 is None:
        # The anchor is the least-squares optimum (of the moments): its loss is free.
        optimum = train_objective.loss(*train_objective.anchor)
        result = replace(result, optimum_loss=float(optimum))
    return result


# Overflow is expected while diverging; it is detected and reported below.
@np.errstate(over="ignore", invalid="ignore")
def descend(
    model: LinearModel,
    objective: Objective,
    *,
    learning_rate: float,
    epochs: int,
    momentum: float,
    tol: float | None,
    max_stable_learning_rate: float,
    to_original: ToOriginal,
    on_epoch: EpochCallback | None = None,
    val_objective: Objective | None = None,
    sgd: EpochRunner | None = None,
    schedule: Schedule | None = None,
    early_stopping: int | None = None,
    l1: Array | None = None,
    fista: bool = False,
) -> TrainResult:
    """The epochs of :func:`train` on a prebuilt objective (also for streamed data).

    The loop yields every epoch's loss (from ``objective``, O(d^2)) and updates:
    full-batch GD from the objective's gradient, or one SGD epoch (``sgd``);
    :func:`linreg.training.watch` records, checks for divergence, calls back and
    stops it, as it does the readable loop. Epoch k steps with
    ``schedule.rate(learning_rate, k)``; ``early_stopping`` is the patience of an
    :class:`~linreg.training.EarlyStopping` on ``val_objective``'s loss. ``l1`` (the
    L1 penalty in the units trained on) adds the loss ``sum_j l1_j |W_j|`` and the
    proximal step after every GD step (``sgd`` takes its own after every batch: give it
    the same ``l1``); ``fista`` steps from FISTA's extrapolated point,
    as the readable loop does.
    """
    fit_intercept = model.fit_intercept

    def loop() -> Iterator[float]:
        W, b = model.W.copy(), float(model.b)
        velocity_W, velocity_b = np.zeros_like(W), 0.0
        epoch = 0
        t_k, W_prev, b_prev = 1.0, W, b  # FISTA's t_k, W_{k-1}, b_{k-1}
        while True:
            model.W, model.b = W, b  # what watch records, and the result
            eta = learning_rate if schedule is None else schedule.rate(learning_rate, epoch)
            epoch += 1
            if sgd is not None:
                yield _loss_plus_l1(objective, W, b, l1)
                sgd.learning_rate = eta
                W, b, velocity_W, velocity_b = sgd.epoch(W, b, velocity_W, velocity_b)
                continue
            if fista:
                t_next = (1.0 + math.sqrt(1.0 + 4.0 * t_k * t_k)) / 2.0
                beta = (t_k - 1.0) / t_next
                yield _loss_plus_l1(objective, W, b, l1)
                W_prev, b_prev, W, b = W, b, W + beta * (W - W_prev), b + beta * (b - b_prev)
                t_k = t_next
                _, dW, db = objective.loss_and_gradient(W, b)
            else:
                loss, dW, db = objective.loss_and_gradient(W, b)
                yield loss if l1 is None else loss + float(np.sum(l1 * np.abs(W)))
            if not fit_intercept:
                db = 0.0
            if momentum:
                velocity_W = momentum * velocity_W + dW
                velocity_b = momentum * velocity_b + db
                dW, db = velocity_W, velocity_b
            W = W - eta * dW
            b = b - eta * db
            if l1 is not None:
                W = soft_threshold(W, eta * l1)

    def gradient_norm() -> float:
        _, dW, db = objective.loss_and_gradient(model.W, model.b)
        if not fit_intercept:
            db = 0.0
        return math.sqrt(float(dW @ dW) + db**2)

    val_loss = None if val_objective is None else partial(_loss_at, val_objective, model)
    early = None
    if early_stopping is not None and val_loss is not None:
        early = EarlyStopping(early_stopping)
    history, stop_reason, n_iter = watch(
        loop(),
        model,
        epochs=epochs,
        tol=tol,
        learning_rate=learning_rate,
        max_stable_learning_rate=max_stable_learning_rate,
        to_original=to_original,
        on_epoch=on_epoch,
        val_loss=val_loss,
        stopped=None if sgd is None else lambda: sgd.stopped,
        gradient_norm=gradient_norm,
        early=early,
    )
    steps = n_iter if sgd is None else sgd.steps
    best = None if early is None else early.best_epoch
    return TrainResult(
        history=history, stop_reason=stop_reason, n_iter=n_iter, n_steps=steps, best_epoch=best
    )


def _loss_plus_l1(objective: Objective, W: Array, b: float, l1: Array | None) -> float:
    """The objective's loss at (W, b) plus the L1 penalty ``sum_j l1_j |W_j|`` if any."""
    loss = objective.loss(W, b)
    return loss if l1 is None else loss + float(np.sum(l1 * np.abs(W)))


def _loss_at(objective: Objective, model: LinearModel) -> float:
    """``objective``'s loss at the model's parameters (the validation loss)."""
    return objective.loss(model.W, model.b)
