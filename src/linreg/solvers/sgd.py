"""Mini-batch SGD epochs: the readable loop's shuffle and arithmetic, without a copy per batch.

:class:`ShuffledBatches` walks the readable loop's shuffle
(:func:`linreg.training.shuffle_rows`: rows dealt into buckets of about 32,768 at
random, each bucket shuffled; a uniformly random order) in the same batches, in one
of two kernels:

- **C** (:func:`linreg.solvers.kernels.sgd_run`, where the extension is built and
  ``LINREG_KERNELS`` is not ``numpy``): the whole stretch of the order in one call,
  each row read from X where it is, standardized on the fly, into the residual and
  the gradient, then momentum, the update and the L1 proximal step, a batch at a
  time. The same operations rounded the same way, but ``Z_b W`` summed in another
  order than BLAS's: the iterates agree with the readable loop's to rounding (about
  1e-15 relative after an epoch; tests/test_sgd_kernel.py asserts 1e-12), *not* bit
  for bit. About 20x fewer seconds than the NumPy kernel at batch 32, 100x at batch 1.
- **NumPy** (:func:`sgd_steps`, the fallback): gathers the rows of many batches at once
  (``np.take`` into one cache-sized buffer, standardized there in place) and updates W
  and b in place with the reference's arithmetic, operation for operation: the
  iterates are *bitwise* those of the readable loop (up to the last bit of the
  standardization's scale when standardizing), with row weights and the ridge
  penalty too.

:class:`RowOrder` deals the order from the same draws, a bucket at a time, so an
epoch pays only for the part it reads: with ``tol`` SGD usually stops within its
first epoch on large data (:class:`linreg.training.Plateau`; the C kernel runs to
the end of the plateau's current window at most, :func:`batches_to_verdict`, so
that it stops at the same batch).

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

from linreg.solvers import kernels
from linreg.solvers.moments import chunk_rows
from linreg.training import GROWTH, SHUFFLE_BUCKET_ROWS, Plateau, shuffle_buckets

__all__ = [
    "KERNEL_ROWS",
    "EpochRunner",
    "RowOrder",
    "ShuffledBatches",
    "batches_to_verdict",
    "compiled_steps",
    "count_steps",
    "sgd_steps",
]

Array = NDArray[np.float64]


class RowOrder:
    """:func:`linreg.training.shuffle_rows`, dealt out only as far as it is read.

    The same draws from the generator in the same order: the buckets of all rows,
    then one shuffle per bucket as SGD reaches it, so the rows come in the readable
    loop's order. An epoch that stops early leaves the later buckets unshuffled,
    and pays for a few buckets' shuffles, not a whole permutation. Rows are held
    as int32 below 2**31 rows (half the bytes to move; the shuffle's draws do not
    depend on the type). ``scanned``: the first buckets, found by one scan of the
    labels and a sort of theirs (cheap, where SGD may stop), before one stable sort
    of the rest finds all the others; 0 where the whole order is read anyway (the
    same order, from the same draws).
    """

    #: Buckets found by one scan (the first 262,144 rows or so: at 2,000,000 x 16 the
    #: benchmark's SGD stops within them) before one stable sort finds all the others.
    SCANNED_BUCKETS: Final = 8

    def __init__(self, rng: np.random.Generator, n: int, *, scanned: int = SCANNED_BUCKETS) -> None:
        self._rng, self.n, self._scanned = rng, n, scanned
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
        scanned = min(k, self._scanned)
        if scanned:  # one scan finds the first buckets' rows, a small sort parts them
            first = np.flatnonzero(bucket < scanned)
            labels = bucket[first]
            by_bucket = first[np.argsort(labels, kind="stable")].astype(self._index_type)
            ends = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=scanned))])
            for j in range(scanned):
                rows = by_bucket[ends[j] : ends[j + 1]]
                rng.shuffle(rows)
                yield rows
        if k > scanned:
            by_bucket = np.argsort(bucket, kind="stable").astype(self._index_type)
            ends = np.concatenate([[0], np.cumsum(np.bincount(bucket, minlength=k))])
            for j in range(scanned, k):
                rows = by_bucket[ends[j] : ends[j + 1]]
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


#: Rows of the order handed to the C kernel per call (whole batches, at least one).
KERNEL_ROWS: Final = 65_536


class ShuffledBatches:
    """Mini-batch SGD epochs with the textbook's shuffle, without a copy per batch.

    Every epoch deals the rows in the order of :func:`linreg.training.shuffle_rows`
    (:class:`RowOrder`, from the same draws) and walks them in the same batches,
    updating W and b in place: in the C kernel where it is built and X is float64
    (:func:`linreg.solvers.kernels.sgd_run`, the reference's numbers to rounding),
    else by :func:`sgd_steps` on rows gathered into a buffer (the reference's numbers
    bit for bit). With ``tol``, each batch's loss goes to a
    :class:`~linreg.training.Plateau`, which stops the run at the same batch as the
    reference's. ``sample_weight`` are the rows' weights of mean one, ``ridge`` the
    penalty and ``l1`` the L1 thresholds, both (d,) in training units (see
    :func:`sgd_steps`).
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
        l1: Array | None = None,
    ) -> None:
        self._X, self._y, self._w, self._ridge, self._l1 = X, y, sample_weight, ridge, l1
        self._center, self._scale = center, scale
        self._transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
        self._rng = np.random.default_rng(seed)
        self._batch = batch_size
        self.learning_rate, self._mu = learning_rate, momentum
        self._fit_intercept = fit_intercept
        self.plateau = None if tol is None else Plateau(tol, batch_size)
        self.steps = 0
        N, d = X.shape
        #: Whether the epochs run in the C kernel.
        self.compiled = kernels.sgd_available() and kernels.sgd_layout_ok(X, y)
        #: The NumPy kernel's buffers for the gathered rows of X, y and the weights.
        self._blocks: tuple[Array, Array, Array | None] | None = None
        if self.compiled:
            self._rows = max(1, KERNEL_ROWS // batch_size) * batch_size
            return
        per_chunk = max(1, chunk_rows(d) // batch_size)
        self._rows = min(N, per_chunk * batch_size)
        self._blocks = (
            np.empty((self._rows, d)),
            np.empty(self._rows),
            None if sample_weight is None else np.empty(self._rows),
        )

    @property
    def stopped(self) -> bool:
        """Whether the plateau test stopped the run within the last epoch."""
        return self.plateau is not None and self.plateau.stopped

    def epoch(
        self, W: Array, b: float, velocity_W: Array, velocity_b: float
    ) -> tuple[Array, float, Array, float]:
        """One pass of mini-batch updates; W and velocity_W are updated in place."""
        if self._blocks is None:
            return self._compiled_epoch(W, b, velocity_W, velocity_b)
        X, y, bs, lr, mu = self._X, self._y, self._batch, self.learning_rate, self._mu
        X_block, y_block, w_block = self._blocks
        for index in RowOrder(self._rng, X.shape[0]).chunks(self._rows):
            k = index.shape[0]
            # mode="clip" lets take write straight into the buffer (the indices are valid).
            Xk = np.take(X, index, axis=0, out=X_block[:k], mode="clip")
            yk = np.take(y, index, out=y_block[:k], mode="clip")
            if self._transform:
                Xk -= self._center
                Xk /= self._scale
            wk = None
            if self._w is not None and w_block is not None:
                wk = np.take(self._w, index, out=w_block[:k], mode="clip")
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
                l1=self._l1,
            )
            self.steps = count_steps(self.steps, k, bs, self.plateau)
            if self.stopped:
                break
        return W, b, velocity_W, velocity_b

    def _compiled_epoch(
        self, W: Array, b: float, velocity_W: Array, velocity_b: float
    ) -> tuple[Array, float, Array, float]:
        """:meth:`epoch` in the C kernel: a call per stretch of the order, cut at the
        end of the plateau's window (where it may stop) so it stops at the same batch."""
        bs, plateau = self._batch, self.plateau
        W = np.ascontiguousarray(W, dtype=np.float64)
        velocity_W = np.ascontiguousarray(velocity_W, dtype=np.float64)
        state = np.array([b, velocity_b], dtype=np.float64)
        losses = None if plateau is None else np.empty(-(-self._rows // bs))
        center, scale = (self._center, self._scale) if self._transform else (None, None)
        vectors = [_float_vector(v) for v in (center, scale, self._ridge, self._l1)]
        weight = None if self._w is None else _float_vector(self._w)
        # Without a plateau the whole order is read: one sort finds every bucket.
        order = RowOrder(
            self._rng, self._X.shape[0], scanned=0 if plateau is None else RowOrder.SCANNED_BUCKETS
        )
        return self._run(order.chunks(self._rows), W, velocity_W, state, losses, weight, vectors)

    def _run(
        self,
        pieces: Iterator[NDArray[np.integer]],
        W: Array,
        velocity_W: Array,
        state: Array,
        losses: Array | None,
        weight: Array | None,
        vectors: list[Array | None],
    ) -> tuple[Array, float, Array, float]:
        """The C kernel over the ``pieces`` of the order (see :meth:`_compiled_epoch`)."""
        b, velocity_b = float(state[0]), float(state[1])
        for index in pieces:
            W, b, velocity_W, velocity_b = compiled_steps(
                self._X,
                self._y,
                index,
                W,
                b,
                velocity_W,
                velocity_b,
                batch_size=self._batch,
                learning_rate=self.learning_rate,
                momentum=self._mu,
                fit_intercept=self._fit_intercept,
                plateau=self.plateau,
                center=vectors[0],
                scale=vectors[1],
                sample_weight=weight,
                ridge=vectors[2],
                l1=vectors[3],
                losses=losses,
            )
            self.steps = count_steps(self.steps, index.shape[0], self._batch, self.plateau)
            if self.stopped:
                break
        return W, b, velocity_W, velocity_b


def compiled_steps(
    X: Array,
    y: Array,
    index: NDArray[np.integer],
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
    center: Array | None = None,
    scale: Array | None = None,
    sample_weight: Array | None = None,
    ridge: Array | None = None,
    l1: Array | None = None,
    losses: Array | None = None,
) -> tuple[Array, float, Array, float]:
    """:func:`sgd_steps` on the rows ``index`` of ``(X - center) / scale``, in the C kernel.

    The rows are read where they are (:func:`linreg.solvers.kernels.sgd_run`); W and
    velocity_W (C-ordered float64) are updated in place. With a ``plateau``, a call runs
    to the end of its current window at most (:func:`batches_to_verdict`), where it may
    stop, so the steps end at the same batch as :func:`sgd_steps`'. ``sample_weight``
    (mean one) is indexed like the rows of X; ``losses`` is an optional scratch buffer of
    at least ``ceil(len(index) / batch_size)`` entries.
    """
    bs, n = batch_size, index.shape[0]
    state = np.array([b, velocity_b], dtype=np.float64)
    if plateau is not None and (losses is None or losses.shape[0] < -(-n // bs)):
        losses = np.empty(-(-n // bs))
    index = np.ascontiguousarray(index)
    start = 0
    while start < n:
        stop = n if plateau is None else min(n, start + batches_to_verdict(plateau) * bs)
        done = kernels.sgd_run(
            X,
            y,
            index[start:stop],
            W,
            velocity_W,
            state,
            batch_size=bs,
            learning_rate=learning_rate,
            momentum=momentum,
            fit_intercept=fit_intercept,
            center=center,
            scale=scale,
            sample_weight=sample_weight,
            ridge=ridge,
            l1=l1,
            losses=None
            if plateau is None or losses is None
            else losses[: -(-(stop - start) // bs)],
        )
        if plateau is not None and losses is not None:
            for loss in losses[:done].tolist():
                plateau.add(loss)
            if plateau.stopped:
                break
        start = stop
    return W, float(state[0]), velocity_W, float(state[1])


def _float_vector(v: Array | None) -> Array | None:
    return None if v is None else np.ascontiguousarray(v, dtype=np.float64)


def batches_to_verdict(plateau: Plateau) -> int:
    """Batches until ``plateau``'s current window closes: the next batch it may stop at.

    :meth:`linreg.training.Plateau.add`'s rule, replayed from its batch count alone:
    a window closes after ``max(window, before // GROWTH)`` batches, ``before`` those
    of the windows before it.
    """
    before, total = 0, plateau.batches
    while True:
        size = max(plateau.window, before // GROWTH)
        if before + size > total:
            return before + size - total
        before += size


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
    l1: Array | None = None,
) -> tuple[Array, float, Array, float]:
    """Mini-batch SGD steps over consecutive rows of ``Z`` (training units), in place.

    The arithmetic of each step is the reference's, in its order: ``r = Z_b W + b - y_b``,
    ``dW = (2/n_b) Z_b^T r``, ``db = (2/n_b) 1^T r``, momentum, then the update; so
    the fast and streamed engines give the reference's numbers bit for bit. With a
    ``plateau``, each batch's loss ``mean(r^2)`` (the reference's ``model.loss``) is
    added to it after the step, and the steps end when it says stop.

    With ``sample_weight`` (the rows' weights of mean one, aligned with Z), a
    penalty ``ridge`` (d,) or L1 thresholds ``l1`` (d,), :func:`_weighted_steps`, again
    the reference's arithmetic; without them, exactly the unweighted loop below.
    """
    if sample_weight is not None or ridge is not None or l1 is not None:
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
            l1=l1,
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
    l1: Array | None = None,
) -> tuple[Array, float, Array, float]:
    """:func:`sgd_steps` with weights of mean one ``w``, the penalty ``ridge`` and/or
    the L1 thresholds ``l1``.

    As :meth:`linreg.model.LinearModel.backward`: ``dW = (2/n_b) Z_b^T (w r) +
    2 ridge W``, ``db = (2/n_b) 1^T (w r)``; after the (momentum) step, the L1
    proximal step ``W_j <- sign(W_j) max(|W_j| - eta l1_j, 0)`` (the minimizer of
    ``|W - V|^2 / (2 eta) + sum(l1 |W|)``, so the steps descend ``... + sum(l1 |W|)``);
    the batch loss ``mean(w r^2) + sum(ridge W^2) + sum(l1 |W|)`` with W after the
    step, as :meth:`~linreg.model.LinearModel.loss` (plus the L1 term).
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
        if l1 is not None:
            shrunk = np.abs(W)
            shrunk -= lr * l1
            np.maximum(shrunk, 0.0, out=shrunk)
            np.multiply(np.sign(W), shrunk, out=W)
        if plateau is not None:
            loss = float(np.mean(r**2)) if wb is None else float(np.mean(wb * r**2))
            if ridge is not None:
                loss += float(np.sum(ridge * W**2))
            if l1 is not None:
                loss += float(np.sum(l1 * np.abs(W)))
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
