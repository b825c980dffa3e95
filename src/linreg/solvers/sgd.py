"""Mini-batch SGD epochs: the readable loop's shuffle and arithmetic, without a copy per batch.

:class:`ShuffledBatches` walks the readable loop's shuffle
(:func:`linreg.training.shuffle_rows`: rows dealt into buckets of about 32,768 at
random, each bucket shuffled; a uniformly random order) in the same batches, but
gathers the rows of many batches at once (``np.take`` into one cache-sized buffer,
standardized there in place) and updates W and b in place with the reference's
arithmetic, operation for operation (:func:`sgd_steps`): the iterates are *bitwise*
those of the readable loop (up to the last bit of the standardization's scale when
standardizing), with row weights and the ridge penalty too. :class:`RowOrder` deals
the order from the same draws, a bucket at a time, so an epoch pays only for the part
it reads: with ``tol`` SGD usually stops within its first epoch on large data
(:class:`linreg.training.Plateau`).

The bucketed shuffle is as random as a permutation (every order equally likely;
tested by chi-square); block schemes, measured faster, fail on ordered data
(``benchmarks/README.md``). Nothing of size N x d is allocated: SGD holds the
buckets of the N rows (2 N bytes) and, past its first buckets, their order (4 N bytes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from linreg.solvers.moments import chunk_rows
from linreg.training import SHUFFLE_BUCKET_ROWS, Plateau, shuffle_buckets

__all__ = ["EpochRunner", "RowOrder", "ShuffledBatches", "count_steps", "sgd_steps"]

Array = NDArray[np.float64]


class RowOrder:
    """:func:`linreg.training.shuffle_rows`, dealt out only as far as it is read.

    The same draws from the generator in the same order: the buckets of all rows,
    then one shuffle per bucket as SGD reaches it, so the rows come in the readable
    loop's order. An epoch that stops early leaves the later buckets unshuffled,
    and pays for a few buckets' shuffles, not a whole permutation. Rows are held
    as int32 below 2**31 rows (half the bytes to move; the shuffle's draws do not
    depend on the type).
    """

    #: Buckets found by a scan each (cheap for the first few) before one stable
    #: sort finds all the others.
    SCANNED_BUCKETS: Final = 4

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self._rng, self.n = rng, n
        self._bucket = None if n <= SHUFFLE_BUCKET_ROWS else shuffle_buckets(rng, n)
        self._index_type = np.int32 if n < 2**31 else np.intp

    def _buckets(self) -> Iterator[NDArray[np.integer]]:
        """The shuffled buckets in order, each drawn when it is reached."""
        rng, bucket = self._rng, self._bucket
        if bucket is None:
            order = np.arange(self.n, dtype=self._index_type)
            rng.shuffle(order)  # rng.permutation(n)'s draws and values
            yield order
            return
        k = -(-self.n // SHUFFLE_BUCKET_ROWS)  # the buckets drawn from
        for j in range(min(k, self.SCANNED_BUCKETS)):
            rows = np.flatnonzero(bucket == j).astype(self._index_type)
            rng.shuffle(rows)
            yield rows
        if k > self.SCANNED_BUCKETS:
            by_bucket = np.argsort(bucket, kind="stable").astype(self._index_type)
            ends = np.cumsum(np.bincount(bucket, minlength=k))
            for j in range(self.SCANNED_BUCKETS, k):
                rows = by_bucket[ends[j - 1] : ends[j]]
                rng.shuffle(rows)
                yield rows

    def chunks(self, size: int) -> Iterator[NDArray[np.integer]]:
        """The order in consecutive pieces of ``size`` rows (the last may be shorter)."""
        pending: NDArray[np.integer] | None = None
        for rows in self._buckets():
            pending = rows if pending is None else np.concatenate([pending, rows])
            while pending.shape[0] >= size:
                yield pending[:size]
                pending = pending[size:]
        if pending is not None and pending.shape[0]:
            yield pending


class ShuffledBatches:
    """Mini-batch SGD epochs with the textbook's shuffle, without a copy per batch.

    Every epoch deals the rows in the order of :func:`linreg.training.shuffle_rows`
    (:class:`RowOrder`, from the same draws) and walks them in the same batches, but
    gathers the rows of many batches at once (``np.take`` into one cache-sized
    buffer, standardized there in place) and updates W and b in place. The
    arithmetic of each step is the reference's, operation for operation, so the
    iterates are bitwise those of the readable loop on the same training data; with
    ``tol``, so are the batch losses and the :class:`~linreg.training.Plateau`'s
    verdicts. ``sample_weight`` are the rows' weights of mean one and ``ridge`` the
    penalty in training units (see :func:`sgd_steps`).
    """

    def __init__(
        self,
        X: Array,
        y: Array,
        center: Array,
        scale: Array,
        *,
        batch_size: int,
        seed: int,
        learning_rate: float,
        momentum: float,
        fit_intercept: bool,
        tol: float | None = None,
        sample_weight: Array | None = None,
        ridge: Array | None = None,
    ) -> None:
        self._X, self._y, self._w, self._ridge = X, y, sample_weight, ridge
        self._center, self._scale = center, scale
        self._transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
        self._rng = np.random.default_rng(seed)
        self._batch = batch_size
        N, d = X.shape
        per_chunk = max(1, chunk_rows(d) // batch_size)
        self._rows = min(N, per_chunk * batch_size)
        self._X_block = np.empty((self._rows, d))
        self._y_block = np.empty(self._rows)
        self._w_block = None if sample_weight is None else np.empty(self._rows)
        self.learning_rate, self._mu = learning_rate, momentum
        self._fit_intercept = fit_intercept
        self.plateau = None if tol is None else Plateau(tol, batch_size)
        self.steps = 0

    @property
    def stopped(self) -> bool:
        """Whether the plateau test stopped the run within the last epoch."""
        return self.plateau is not None and self.plateau.stopped

    def epoch(
        self, W: Array, b: float, velocity_W: Array, velocity_b: float
    ) -> tuple[Array, float, Array, float]:
        """One pass of mini-batch updates; W and velocity_W are updated in place."""
        X, y, bs, lr, mu = self._X, self._y, self._batch, self.learning_rate, self._mu
        for index in RowOrder(self._rng, X.shape[0]).chunks(self._rows):
            k = index.shape[0]
            # mode="clip" lets take write straight into the buffer (the indices are valid).
            Xk = np.take(X, index, axis=0, out=self._X_block[:k], mode="clip")
            yk = np.take(y, index, out=self._y_block[:k], mode="clip")
            if self._transform:
                Xk -= self._center
                Xk /= self._scale
            wk = None
            if self._w is not None and self._w_block is not None:
                wk = np.take(self._w, index, out=self._w_block[:k], mode="clip")
            W, b, velocity_W, velocity_b = sgd_steps(
                Xk,
                yk,
                W,
                b,
                velocity_W,
                velocity_b,
                batch_size=bs,
                learning_rate=lr,
                momentum=mu,
                fit_intercept=self._fit_intercept,
                plateau=self.plateau,
                sample_weight=wk,
                ridge=self._ridge,
            )
            self.steps = count_steps(self.steps, k, bs, self.plateau)
            if self.stopped:
                break
        return W, b, velocity_W, velocity_b


def sgd_steps(
    Z: Array,
    y: Array,
    W: Array,
    b: float,
    velocity_W: Array,
    velocity_b: float,
    *,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    fit_intercept: bool,
    plateau: Plateau | None = None,
    sample_weight: Array | None = None,
    ridge: Array | None = None,
) -> tuple[Array, float, Array, float]:
    """Mini-batch SGD steps over consecutive rows of ``Z`` (training units), in place.

    The arithmetic of each step is the reference's, in its order: ``r = Z_b W + b - y_b``,
    ``dW = (2/n_b) Z_b^T r``, ``db = (2/n_b) 1^T r``, momentum, then the update; so
    the fast and streamed engines give the reference's numbers bit for bit. With a
    ``plateau``, each batch's loss ``mean(r^2)`` (the reference's ``model.loss``) is
    added to it after the step, and the steps end when it says stop.

    With ``sample_weight`` (the rows' weights of mean one, aligned with Z) or a
    penalty ``ridge`` (d,), :func:`_weighted_steps`, again the reference's arithmetic;
    without them, exactly the unweighted loop below.
    """
    if sample_weight is not None or ridge is not None:
        return _weighted_steps(
            Z,
            y,
            W,
            b,
            velocity_W,
            velocity_b,
            batch_size=batch_size,
            learning_rate=learning_rate,
            momentum=momentum,
            fit_intercept=fit_intercept,
            plateau=plateau,
            sample_weight=sample_weight,
            ridge=ridge,
        )
    # Local names: at 32 rows a step is mostly call overhead (np.dot is cheaper
    # than @ on such small operands, same BLAS call).
    dot, add_reduce = np.dot, np.add.reduce
    bs, lr, mu = batch_size, learning_rate, momentum
    for s in range(0, Z.shape[0], bs):
        Zb = Z[s : s + bs]
        nb = Zb.shape[0]
        r = dot(Zb, W)
        r += b
        r -= y[s : s + bs]
        dW = dot(Zb.T, r)
        dW *= 2.0 / nb
        db = (2.0 / nb) * float(add_reduce(r)) if fit_intercept else 0.0
        if mu:
            velocity_W *= mu
            velocity_W += dW
            velocity_b = mu * velocity_b + db
            dW, db = velocity_W, velocity_b
        W -= lr * dW
        b = b - lr * db
        if plateau is not None and plateau.add(float(np.mean(r**2))):
            break
    return W, b, velocity_W, velocity_b


def _weighted_steps(
    Z: Array,
    y: Array,
    W: Array,
    b: float,
    velocity_W: Array,
    velocity_b: float,
    *,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    fit_intercept: bool,
    plateau: Plateau | None,
    sample_weight: Array | None,
    ridge: Array | None,
) -> tuple[Array, float, Array, float]:
    """:func:`sgd_steps` with weights of mean one ``w`` and/or the penalty ``ridge``.

    As :meth:`linreg.model.LinearModel.backward`: ``dW = (2/n_b) Z_b^T (w r) +
    2 ridge W``, ``db = (2/n_b) 1^T (w r)``; the batch loss ``mean(w r^2) +
    sum(ridge W^2)`` with W after the step, as :meth:`~linreg.model.LinearModel.loss`.
    """
    dot, add_reduce = np.dot, np.add.reduce
    bs, lr, mu = batch_size, learning_rate, momentum
    for s in range(0, Z.shape[0], bs):
        Zb = Z[s : s + bs]
        nb = Zb.shape[0]
        r = dot(Zb, W)
        r += b
        r -= y[s : s + bs]
        wb = None if sample_weight is None else sample_weight[s : s + bs]
        wr = r if wb is None else wb * r
        dW = dot(Zb.T, wr)
        dW *= 2.0 / nb
        if ridge is not None:
            dW += 2.0 * ridge * W
        db = (2.0 / nb) * float(add_reduce(wr)) if fit_intercept else 0.0
        if mu:
            velocity_W *= mu
            velocity_W += dW
            velocity_b = mu * velocity_b + db
            dW, db = velocity_W, velocity_b
        W -= lr * dW
        b = b - lr * db
        if plateau is not None:
            loss = float(np.mean(r**2)) if wb is None else float(np.mean(wb * r**2))
            if ridge is not None:
                loss += float(np.sum(ridge * W**2))
            if plateau.add(loss):
                break
    return W, b, velocity_W, velocity_b


def count_steps(steps: int, rows: int, batch_size: int, plateau: Plateau | None) -> int:
    """SGD steps after :func:`sgd_steps` on ``rows`` rows: one a batch, or, with a
    plateau test (which may stop them early), one per batch loss it was given."""
    return plateau.batches if plateau is not None else steps + -(-rows // batch_size)


class EpochRunner(Protocol):
    """One epoch of mini-batch SGD from (W, b) and the momentum velocities.

    ``stopped`` says whether its :class:`~linreg.training.Plateau` ended the run
    within the epoch just run; ``steps`` counts the updates so far;
    ``learning_rate`` is the step size of the next epoch (a schedule changes it).
    """

    steps: int
    learning_rate: float

    @property
    def stopped(self) -> bool: ...

    def epoch(
        self, W: Array, b: float, velocity_W: Array, velocity_b: float
    ) -> tuple[Array, float, Array, float]: ...
