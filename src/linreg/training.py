"""The training loop: gradient descent on a :class:`~linreg.model.LinearModel`.

The algorithm, for every epoch k = 0, 1, ..., epochs:

1. forward:  y_pred = X W + b, and L_k = mean((y_pred - y)^2)
2. record L_k, W, b (and the validation loss); stop if L_k is not finite or has
   exploded, if k = epochs, or if |L_k - L_{k-1}| / L_{k-1} < tol
3. update: full-batch GD takes one step with the gradient of the whole data;
   mini-batch SGD shuffles the rows (from the seed) and takes one step per batch.
   Momentum keeps a velocity v <- mu v + g and steps with v.

So ``epochs`` means ``epochs`` updates of GD, and with momentum 0 and no tol the
iterates are exactly those of the textbook loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from linreg.errors import DivergenceError, DivergenceReport
from linreg.history import History
from linreg.model import Gradients, LinearModel

__all__ = ["EXPLOSION_FACTOR", "TrainResult", "train"]

Array = NDArray[np.float64]

#: A loss this many times the starting loss counts as diverged: a stable run
#: never climbs that far above where it started.
EXPLOSION_FACTOR = 1e8

#: Maps parameters in training units (maybe standardized) to original units.
ToOriginal = Callable[[Array, float], tuple[Array, float]]
#: Called after each recorded epoch with (epoch, loss).
EpochCallback = Callable[[int, float], None]


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`: the history, why it stopped, and how many updates."""

    history: History
    stop_reason: str
    n_iter: int


def identity_map(W: Array, b: float) -> tuple[Array, float]:
    """The :data:`ToOriginal` of unstandardized training: (W, b) as they are (W copied)."""
    return W.copy(), b


# Overflow is expected while diverging; it is detected and reported below.
@np.errstate(over="ignore", invalid="ignore")
def train(
    model: LinearModel,
    X: Array,
    y: Array,
    *,
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
) -> TrainResult:
    """Train ``model`` in place by gradient descent and record every epoch.

    Parameters
    ----------
    model : LinearModel
        Updated in place; on divergence it is left at the last finite parameters.
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    solver : {"gd", "sgd"}, default="gd"
    learning_rate : float, default=0.01
    epochs : int, default=1000
    batch_size : int, default=32
        Rows per update of ``"sgd"`` (1 is classic SGD).
    momentum : float, default=0.0
        Heavy-ball momentum mu in [0, 1).
    tol : float or None, default=None
        Stop when the relative loss change between epochs falls below ``tol``.
    seed : int, default=0
        Seed of the per-epoch shuffles of ``"sgd"``.
    X_val, y_val : ndarrays, optional
        Validation data, in the same units as ``X``.
    max_stable_learning_rate : float, default=inf
        eta_max, quoted in the divergence report.
    to_original : callable, optional
        Converts (W, b) to the original feature units before recording.
    on_epoch : callable, optional
        Called with (epoch, loss) after each recorded epoch (progress bars).

    Returns
    -------
    TrainResult

    Raises
    ------
    DivergenceError
        At the first non-finite or exploding loss, with the history so far.
    """
    N = X.shape[0]
    rng = np.random.default_rng(seed)
    velocity_W = np.zeros_like(model.W)
    velocity_b = 0.0
    losses: list[float] = []
    val_losses: list[float] = []
    path_W: list[Array] = []
    path_b: list[float] = []
    limit = np.inf

    def history() -> History:
        return History(
            loss=np.asarray(losses),
            W=np.asarray(path_W).reshape(len(path_W), model.W.shape[0]),
            b=np.asarray(path_b),
            val_loss=np.asarray(val_losses) if X_val is not None else None,
        )

    def update(X_batch: Array, y_batch: Array, y_pred_batch: Array) -> None:
        nonlocal velocity_W, velocity_b
        grads = model.backward(X_batch, y_batch, y_pred_batch)
        if momentum:
            velocity_W = momentum * velocity_W + grads.dW
            velocity_b = momentum * velocity_b + grads.db
            grads = Gradients(dW=velocity_W, db=velocity_b)
        model.step(grads, learning_rate)

    epoch = 0
    stop_reason = "max_epochs"
    last_finite = (model.W.copy(), model.b)
    while True:
        y_pred = model.forward(X)
        loss = model.loss(y_pred, y)
        if not np.isfinite(loss) or loss > limit:
            model.W, model.b = last_finite
            raise DivergenceError(
                _report(model, X, y, epoch, learning_rate, max_stable_learning_rate, history())
            )
        if epoch == 0:
            limit = EXPLOSION_FACTOR * max(loss, np.finfo(np.float64).tiny)
        last_finite = (model.W.copy(), model.b)
        W_orig, b_orig = to_original(model.W, model.b)
        losses.append(loss)
        path_W.append(W_orig)
        path_b.append(b_orig)
        if X_val is not None and y_val is not None:
            val_losses.append(model.loss(model.forward(X_val), y_val))
        if on_epoch is not None:
            on_epoch(epoch, loss)

        if epoch == epochs:
            break
        if tol is not None and epoch > 0:
            previous = losses[-2]
            if abs(previous - loss) <= tol * max(previous, np.finfo(np.float64).tiny):
                stop_reason = "converged"
                break

        if solver == "gd":
            update(X, y, y_pred)
        else:
            order = rng.permutation(N)
            for start in range(0, N, batch_size):
                index = order[start : start + batch_size]
                X_batch, y_batch = X[index], y[index]
                update(X_batch, y_batch, model.forward(X_batch))
        epoch += 1

    return TrainResult(history=history(), stop_reason=stop_reason, n_iter=epoch)


def _report(
    model: LinearModel,
    X: Array,
    y: Array,
    epoch: int,
    learning_rate: float,
    max_stable_learning_rate: float,
    history: History,
) -> DivergenceReport:
    with np.errstate(all="ignore"):
        grads = model.backward(X, y, model.forward(X))
        gradient_norm = grads.norm
    W = history.W[-1] if history.W.shape[0] else model.W.copy()
    b = float(history.b[-1]) if history.b.shape[0] else model.b
    return DivergenceReport(
        epoch=epoch,
        learning_rate=learning_rate,
        max_stable_learning_rate=max_stable_learning_rate,
        W=W,
        b=b,
        gradient_norm=gradient_norm,
        history=history,
    )
