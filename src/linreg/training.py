"""The training loop: gradient descent on a :class:`~linreg.model.LinearModel`.

The algorithm, for every epoch k = 0, 1, ..., epochs:

1. forward:  y_pred = X W + b, and L_k = mean((y_pred - y)^2), or with row weights
   and a penalty the objective of :mod:`linreg.problem`,
   L_k = mean(w~ (y_pred - y)^2) + alpha |W|^2 with ``w~ = w N / sum(w)``
2. record L_k, W, b (and the validation loss); stop if L_k is not finite or has
   exploded, if k = epochs, or if |L_k - L_{k-1}| / L_{k-1} < tol
3. update: full-batch GD takes one step with the gradient of the whole data;
   mini-batch SGD shuffles the rows (from the seed, :func:`shuffle_rows`) and
   takes one step per batch. Momentum keeps a velocity v <- mu v + g and steps
   with v. The step size of epoch k is eta_k of a :class:`Schedule`: eta_0 always
   (constant), eta_0 / (k + 1)^power_t (inverse scaling) or eta_0 gamma^floor(k / s)
   (step decay). With an L1 penalty ``t |W|_1`` (the lasso's, t = 2 alpha rho), the gradient
   is the smooth part's and every step is followed by one more line, the proximal
   step W <- sign(W) max(|W| - eta t, 0) (ISTA; FISTA with ``acceleration="fista"``,
   which takes each gradient step from W_k + (t_k - 1)/t_{k+1} (W_k - W_{k-1})).

Steps 1 and 3 are the loop itself, :func:`gradient_descent`, a generator that
yields L_k and, asked for the next epoch, takes the steps: forward, loss, backward,
step, nothing else. Step 2 wraps it from outside, :func:`watch`: the records, the
divergence check, the callback and the stopping rules, shared with the fast engine
(:func:`linreg.solvers.fast.descend`). :func:`train` puts the two together.

So ``epochs`` means ``epochs`` updates of GD, and with momentum 0 and no tol the
iterates are exactly those of the textbook loop. The weights of mean one ``w~`` make
the full-batch gradient the objective's, ``(2/N) X^T (w~ r) = (2/S) X^T (w r)``, and
a mini-batch's ``(2/B) sum_B w~_i x_i r_i + 2 alpha W`` an unbiased estimate of it.

Early stopping (:class:`EarlyStopping`) watches the validation loss instead: after
``patience`` epochs without a new lowest validation loss the run stops, and the model
goes back to the parameters of its best epoch. Gradient descent from zero walks from
the simplest model towards the least-squares fit, so stopping it early is a penalty
of its own, chosen by the data held out.

SGD with ``tol`` also stops *within* an epoch (:class:`Plateau`): each batch's
loss, taken before its step, is a loss on rows the model has not yet been
trained on this epoch (a progressive validation loss), so windows of them show
when the model has stopped improving long before the epoch ends. On 2,000,000
rows of 16 features, batch 512, the model is within 1% of the optimum after
about 2% of the first epoch, and with tol = 1e-3 the test stops it after 3-5%.
The last record of such a run is where it stopped,
so ``history.W[-1]`` is the fitted W, except after early stopping, where the fitted W
is that of the best epoch, ``TrainResult.best_epoch``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import NDArray

from linreg.errors import DivergenceError, DivergenceReport
from linreg.history import History, Recorder
from linreg.model import Gradients, LinearModel
from linreg.problem import mean_one_weights

__all__ = [
    "EXPLOSION_FACTOR",
    "GROWTH",
    "PATIENCE",
    "PLATEAU_ROWS",
    "SCHEDULES",
    "SHUFFLE_BUCKET_ROWS",
    "EarlyStopping",
    "Plateau",
    "Schedule",
    "TrainResult",
    "gradient_descent",
    "shuffle_buckets",
    "shuffle_rows",
    "train",
    "watch",
]

Array = NDArray[np.float64]

#: A loss this many times the starting loss counts as diverged: a stable run
#: never climbs that far above where it started.
EXPLOSION_FACTOR = 1e8

#: SGD's shuffle deals rows into buckets of about this many (see :func:`shuffle_rows`).
SHUFFLE_BUCKET_ROWS = 2**15

#: SGD's convergence test within an epoch averages the batch losses of windows of
#: about this many rows (see :class:`Plateau`): their mean is then known to about
#: 1% (sqrt(2 / 16,384) for Gaussian residuals).
PLATEAU_ROWS = 16_384

#: A window is also at least 1 / GROWTH of the batches before it, so that windows
#: grow with the run and their means get steadier (see :class:`Plateau`).
GROWTH = 4

#: Windows in a row that must fail to improve before SGD stops.
PATIENCE = 2

#: The learning-rate schedules (:class:`Schedule`).
SCHEDULES = ("constant", "invscaling", "step")

#: Maps parameters in training units (maybe standardized) to original units.
ToOriginal = Callable[[Array, float], tuple[Array, float]]
#: Called after each recorded epoch with (epoch, loss).
EpochCallback = Callable[[int, float], None]


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`: the history, why it stopped, its epochs and updates.

    ``n_steps`` counts the parameter updates: one an epoch for GD, one a batch for SGD.
    ``optimum_loss`` is the least-squares optimum's loss where the engine knows it
    for free (the fast engine's moments), else None.
    """

    history: History
    stop_reason: str
    n_iter: int
    n_steps: int
    optimum_loss: float | None = None
    best_epoch: int | None = None


@dataclass(frozen=True)
class Schedule:
    """The step size of every epoch: eta_k from the starting rate eta_0.

    - ``"constant"``: eta_k = eta_0;
    - ``"invscaling"``: eta_k = eta_0 / (k + 1)^power_t (scikit-learn's SGD counts
      k in rows seen; here in epochs);
    - ``"step"``: eta_k = eta_0 * decay_factor^floor(k / decay_every).

    Steps that shrink let SGD settle: with a constant eta its iterates keep
    jumping around the optimum by an amount that grows with eta and the gradient
    noise; sum eta_k = inf with eta_k -> 0 lets them converge.
    """

    kind: str = "constant"
    power_t: float = 0.25
    decay_every: int = 100
    decay_factor: float = 0.5

    def rate(self, eta0: float, epoch: int) -> float:
        """eta_k for epoch k = ``epoch`` (its steps all use it)."""
        if self.kind == "invscaling":
            return eta0 / float(epoch + 1) ** self.power_t
        if self.kind == "step":
            return eta0 * self.decay_factor ** (epoch // self.decay_every)
        return eta0


class EarlyStopping:
    """Stop when the validation loss has not improved for ``patience`` epochs.

    :meth:`update` is given each epoch's validation loss with the model at that
    epoch's parameters, and keeps a copy of the parameters of the lowest loss so
    far (epoch 0 counts); :meth:`restore` puts them back at the end of the run.

    Parameters
    ----------
    patience : int
        Epochs after the best one without a lower validation loss before stopping.
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_loss = np.inf
        self.best_epoch: int | None = None
        self._best: tuple[Array, float] | None = None

    def update(self, epoch: int, val_loss: float, model: LinearModel) -> bool:
        """Record epoch ``epoch``; True once ``patience`` epochs passed without a better one."""
        if self.best_epoch is None or val_loss < self.best_loss:
            self.best_loss, self.best_epoch = val_loss, epoch
            self._best = (model.W.copy(), float(model.b))
            return False
        return epoch - self.best_epoch >= self.patience

    def restore(self, model: LinearModel) -> None:
        """Set ``model`` to the best epoch's parameters."""
        if self._best is not None:
            model.W, model.b = self._best[0].copy(), self._best[1]


def identity_map(W: Array, b: float) -> tuple[Array, float]:
    """The :data:`ToOriginal` of unstandardized training: (W, b) as they are (W copied)."""
    return W.copy(), b


def shuffle_buckets(rng: np.random.Generator, n: int) -> NDArray[np.uint16] | NDArray[np.uint32]:
    """The bucket of every row in :func:`shuffle_rows` (its first draw from ``rng``)."""
    k = -(-n // SHUFFLE_BUCKET_ROWS)
    return rng.integers(0, k, size=n, dtype=np.uint16 if k <= 2**16 else np.uint32)


def shuffle_rows(rng: np.random.Generator, n: int) -> NDArray[np.intp]:
    """A uniformly random order of the rows 0 .. n-1: one SGD epoch's shuffle.

    Every row draws one of ``k = ceil(n / 2**15)`` buckets at random; the order is
    bucket 0's rows, shuffled, then bucket 1's, shuffled, and so on. Every one of
    the n! orders is equally likely, as with ``rng.permutation(n)`` (which this is
    when k = 1, n <= 32,768): relabelling the rows changes neither the law of
    the buckets nor that of the shuffles. Unlike a single permutation, the order
    can be dealt out bucket by bucket, and only as far as SGD gets: the fast engine
    does (:class:`linreg.solvers.fast.RowOrder`), from the same draws in the same order.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int

    Returns
    -------
    ndarray of shape (n,)
    """
    if n <= SHUFFLE_BUCKET_ROWS:
        return rng.permutation(n)
    bucket = shuffle_buckets(rng, n)
    by_bucket = np.argsort(bucket, kind="stable")  # each bucket's rows, in row order
    ends = np.cumsum(np.bincount(bucket, minlength=-(-n // SHUFFLE_BUCKET_ROWS)))
    parts = np.split(by_bucket, ends[:-1])
    for part in parts:
        rng.shuffle(part)
    return np.concatenate(parts)


class Plateau:
    """SGD's convergence test within an epoch: windows of batch losses stop improving.

    Each batch's loss ``mean((X_b W + b - y_b)^2)``, taken before its step, is
    added. A window closes after ``ceil(PLATEAU_ROWS / batch_size)`` batches, or
    after a quarter (1 / :data:`GROWTH`) of all the batches before it if that is
    more; its mean is compared with the best window's so far. A window that fails
    to improve on it by the fraction ``tol``, i.e. ``mean >= (1 - tol) * best``,
    fails; after :data:`PATIENCE` failures in a row, :attr:`stopped` is set. A
    window with a non-finite mean fails too, so that a diverging run also stops
    and is reported.

    Why growing windows: the mean of 16,384 rows' losses is only known to about 1%,
    so fixed windows stop on noise, not on a lack of progress. Measured (4 seeds,
    batch 512, lr 0.05, tol 1e-3): on 2,000,000 x 16 well-conditioned data both
    rules stop after a few percent of the epoch, 0.16-0.35% above the optimum's
    test MSE; on 1,000,000 x 8 correlated, standardized features, fixed windows
    stopped 2.4-6.4% above it, growing ones 0.1-0.42% (where the whole epoch gets).

    Parameters
    ----------
    tol : float
        Relative improvement a window must make.
    batch_size : int
    """

    def __init__(self, tol: float, batch_size: int) -> None:
        self.tol = tol
        self.window = -(-PLATEAU_ROWS // batch_size)
        self.best = np.inf
        self.stopped = False
        self._sum = 0.0
        self._count = 0
        self._fails = 0
        self._before = 0  # batches in the windows before this one

    @property
    def batches(self) -> int:
        """Batch losses added so far: the SGD steps of the run."""
        return self._before + self._count

    def add(self, batch_loss: float) -> bool:
        """Record one batch's loss; True once the run should stop."""
        self._sum += batch_loss
        self._count += 1
        if self._count < max(self.window, self._before // GROWTH):
            return False
        mean = self._sum / self._count
        self._before += self._count
        self._sum, self._count = 0.0, 0
        if mean < (1.0 - self.tol) * self.best:
            self.best = mean
            self._fails = 0
        else:
            self._fails += 1
            self.stopped = self._fails >= PATIENCE
        return self.stopped


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
    sample_weight: Array | None = None,
    alpha: float | Array = 0.0,
    schedule: Schedule | None = None,
    early_stopping: int | None = None,
    l1: float | Array = 0.0,
    acceleration: str = "none",
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
        Stop when the relative loss change between epochs falls below ``tol``;
        ``"sgd"`` also stops within an epoch when its batch losses stop improving
        by ``tol`` (:class:`Plateau`).
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
    sample_weight : ndarray of shape (N,), optional
        Row weights (validated, :func:`linreg.problem.check_sample_weight`).
    alpha : float or ndarray of shape (d,), default=0.0
        The penalty ``alpha |W|^2`` in the units trained on; the estimator, training on
        ``Z = (X - c) / s``, passes its own ``alpha``: the standardized penalty.
        The validation loss is the plain MSE of ``X_val``, without weights or penalty.
    schedule : Schedule, optional
        The step size of each epoch from ``learning_rate``; None keeps it constant.
    early_stopping : int, optional
        Patience of :class:`EarlyStopping` on the validation loss (needs ``X_val``):
        the model ends at its best epoch's parameters, ``TrainResult.best_epoch``.
    l1 : float or ndarray of shape (d,), default=0.0
        The L1 penalty ``sum_j l1_j |W_j|`` in the units trained on (``2 alpha rho``,
        standardized or not); each step is followed by the proximal step :meth:`LinearModel.prox`.
    acceleration : {"none", "fista"}, default="none"
        ``"fista"``: full-batch GD steps from the extrapolated point of FISTA.

    Returns
    -------
    TrainResult

    Raises
    ------
    DivergenceError
        At the first non-finite or exploding loss, with the history so far.
    """
    w = mean_one_weights(sample_weight, X.shape[0])
    plateau = Plateau(tol, batch_size) if tol is not None and solver == "sgd" else None
    loop = gradient_descent(
        model,
        X,
        y,
        solver=solver,
        learning_rate=learning_rate,
        batch_size=batch_size,
        momentum=momentum,
        seed=seed,
        sample_weight=w,
        alpha=alpha,
        plateau=plateau,
        schedule=schedule,
        l1=l1,
        fista=acceleration == "fista",
    )
    early = None
    if early_stopping is not None and X_val is not None:
        early = EarlyStopping(early_stopping)

    def gradient_norm() -> float:
        return model.backward(X, y, model.forward(X), sample_weight=w, alpha=alpha).norm

    history, stop_reason, n_iter = watch(
        loop,
        model,
        epochs=epochs,
        tol=tol,
        learning_rate=learning_rate,
        max_stable_learning_rate=max_stable_learning_rate,
        to_original=to_original,
        on_epoch=on_epoch,
        val_loss=None if X_val is None or y_val is None else partial(_mse, model, X_val, y_val),
        stopped=None if plateau is None else lambda: plateau.stopped,
        gradient_norm=gradient_norm,
        early=early,
    )
    if plateau is not None:
        n_steps = plateau.batches
    else:
        n_steps = n_iter if solver == "gd" else n_iter * -(-X.shape[0] // batch_size)
    return TrainResult(
        history=history,
        stop_reason=stop_reason,
        n_iter=n_iter,
        n_steps=n_steps,
        best_epoch=None if early is None else early.best_epoch,
    )


def gradient_descent(
    model: LinearModel,
    X: Array,
    y: Array,
    *,
    solver: str,
    learning_rate: float,
    batch_size: int,
    momentum: float,
    seed: int,
    sample_weight: Array | None,
    alpha: float | Array,
    plateau: Plateau | None,
    schedule: Schedule | None = None,
    l1: float | Array = 0.0,
    fista: bool = False,
) -> Iterator[float]:
    """The textbook loop, forever: yield the loss of epoch k, then take epoch k's steps.

    Full-batch GD takes one step with the gradient of the whole data; SGD shuffles
    the rows and takes one step per batch, giving each batch's loss to ``plateau``
    and ending the epoch when it says stop. ``sample_weight`` are of mean one. Epoch
    k's steps are of size ``schedule.rate(learning_rate, k)``.
    Stopping, divergence checks and records are the caller's (:func:`watch`): it
    simply asks for no further epoch. ``l1`` adds the proximal step after every step;
    ``fista`` (full batch) steps from FISTA's extrapolated point.
    """
    N = X.shape[0]
    rng = np.random.default_rng(seed)
    velocity = Gradients(dW=np.zeros_like(model.W), db=0.0)
    eta = learning_rate
    lasso = bool(np.any(l1))
    t_k, previous = 1.0, (model.W.copy(), model.b)  # FISTA's t_k and W_{k-1}, b_{k-1}

    def step(X_b: Array, y_b: Array, y_pred_b: Array, w_b: Array | None) -> None:
        nonlocal velocity
        grads = model.backward(X_b, y_b, y_pred_b, sample_weight=w_b, alpha=alpha)
        if momentum:  # heavy ball: v <- mu v + g, step with v
            velocity = Gradients(
                dW=momentum * velocity.dW + grads.dW, db=momentum * velocity.db + grads.db
            )
            grads = velocity
        model.step(grads, eta)
        if lasso:
            model.prox(eta, l1)  # the L1 penalty's step: soft-thresholding

    epoch = 0
    while True:
        eta = learning_rate if schedule is None else schedule.rate(learning_rate, epoch)
        epoch += 1
        y_pred = model.forward(X)
        yield model.loss(y_pred, y, sample_weight=sample_weight, alpha=alpha, l1=l1)
        if solver == "gd":
            if fista:  # step from W_k + beta (W_k - W_{k-1}), beta = (t_k - 1) / t_{k+1}
                t_next = (1.0 + np.sqrt(1.0 + 4.0 * t_k * t_k)) / 2.0
                beta = (t_k - 1.0) / t_next
                current = (model.W, model.b)
                model.W = model.W + beta * (model.W - previous[0])
                model.b = model.b + beta * (model.b - previous[1])
                previous, t_k = current, t_next
                y_pred = model.forward(X)
            step(X, y, y_pred, sample_weight)
            continue
        order = shuffle_rows(rng, N)
        for start in range(0, N, batch_size):
            index = order[start : start + batch_size]
            X_b, y_b = X[index], y[index]
            w_b = None if sample_weight is None else sample_weight[index]
            y_pred_b = model.forward(X_b)
            step(X_b, y_b, y_pred_b, w_b)
            if plateau is not None and plateau.add(
                model.loss(y_pred_b, y_b, sample_weight=w_b, alpha=alpha, l1=l1)
            ):
                break  # the last record is then this point within the epoch


def watch(
    losses: Iterator[float],
    model: LinearModel,
    *,
    epochs: int,
    tol: float | None,
    learning_rate: float,
    max_stable_learning_rate: float,
    to_original: ToOriginal,
    on_epoch: EpochCallback | None,
    val_loss: Callable[[], float] | None,
    stopped: Callable[[], bool] | None,
    gradient_norm: Callable[[], float],
    early: EarlyStopping | None = None,
) -> tuple[History, str, int]:
    """Run a descent loop from outside: record, check, call back and stop it.

    ``losses`` yields the loss of every epoch with ``model`` at that epoch's
    parameters and takes the epoch's steps when asked for the next one (both
    engines' loops do). Each epoch, in order: raise
    :class:`~linreg.errors.DivergenceError` at a non-finite or exploding loss (the
    model back at its last finite parameters, ``gradient_norm`` taken there);
    record the loss, the parameters in original units and ``val_loss`` (in a
    bounded :class:`~linreg.history.Recorder`, thinned past its limit); call
    ``on_epoch``; stop when ``early`` says so (``"early_stopping"``), when
    ``stopped`` says so (SGD's plateau), at ``epochs``, or when the relative loss
    change is at most ``tol``. With ``early``, the model ends at its best epoch.

    Returns
    -------
    (History, stop_reason, n_iter)
    """
    recorder = Recorder(model.W.shape[0], validation=val_loss is not None)
    limit = np.inf
    previous = np.nan
    tiny = np.finfo(np.float64).tiny
    last_finite = (model.W.copy(), model.b)
    for epoch, loss in enumerate(losses):
        if not np.isfinite(loss) or loss > limit:
            model.W, model.b = last_finite
            norm = _tolerant(gradient_norm)
            W, b = recorder.last or (model.W.copy(), model.b)
            report = DivergenceReport(
                epoch=epoch,
                learning_rate=learning_rate,
                max_stable_learning_rate=max_stable_learning_rate,
                W=W,
                b=float(b),
                gradient_norm=norm,
                history=recorder.history(),
            )
            raise DivergenceError(report)
        if epoch == 0:
            limit = EXPLOSION_FACTOR * max(loss, np.finfo(np.float64).tiny)
        last_finite = (model.W.copy(), model.b)
        W_orig, b_orig = to_original(model.W, model.b)
        val = val_loss() if val_loss is not None else 0.0
        recorder.add(epoch, loss, W_orig, b_orig, val)
        if on_epoch is not None:
            on_epoch(epoch, loss)
        reason = None
        if early is not None and val_loss is not None and early.update(epoch, val, model):
            reason = "early_stopping"
        elif stopped is not None and stopped():
            reason = "converged"
        elif epoch == epochs:
            reason = "max_epochs"
        elif tol is not None and epoch > 0 and abs(previous - loss) <= tol * max(previous, tiny):
            reason = "converged"
        if reason is not None:
            if early is not None:
                early.restore(model)
            return recorder.history(), reason, epoch
        previous = loss
    raise AssertionError("a descent loop ends only when watch stops it")


def _tolerant(value: Callable[[], float]) -> float:
    """``value()`` with overflow tolerated: ``inf`` where a number of a report overflows.

    A divergence report is a report: on data beyond about 1e154 the gradient's
    squares overflow (NumPy's as ``inf``, Python floats' by raising), and ``inf``
    is then the true value to print.
    """
    try:
        with np.errstate(all="ignore"):
            return float(value())
    except OverflowError:
        return np.inf


def _mse(model: LinearModel, X: Array, y: Array) -> float:
    """The model's mean squared error on (X, y): the validation loss."""
    return model.loss(model.forward(X), y)
