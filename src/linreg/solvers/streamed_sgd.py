"""Mini-batch SGD epochs over the batches of a pass: SGD on data that do not fit in memory.

The moments pass comes first (the recorded losses, eta_max and the standardization
come from it, :mod:`linreg.sources.passes`), then every epoch reads the batches in
file order, shuffles the rows *within* each batch from the seed, and takes
mini-batch steps of ``batch_size`` rows (rows left over at the end of a batch open
the next one's first step). The in-memory solver shuffles all rows; the streamed
one is deterministic for a given seed and batch layout, and statistically
equivalent when the file's order is not itself informative (with a single batch
of all rows it *is* the in-memory order, and the iterates are bitwise the
readable loop's). With ``tol`` it stops within a pass as in memory
(:class:`linreg.training.Plateau`), and reads no further.

Row weights come with the batches (``Batch.w``) and are scaled to mean one by the
moments' ``N / S``; the penalty applies to the weights V of the units trained on, as in memory, and
the elastic net's L1 part is a proximal step after every mini-batch step, as in
memory. The steps run in the C kernel where it is built (the NumPy loop's numbers to
rounding, as for data in memory, :mod:`linreg.solvers.sgd`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from linreg.solvers import kernels
from linreg.solvers.sgd import compiled_steps, count_steps, sgd_steps
from linreg.sources.passes import Passes
from linreg.training import Plateau

Array = NDArray[np.float64]


class StreamSGD:
    """Mini-batch SGD epochs over the batches of a pass (see the module docstring).

    The arithmetic of a step is the textbook's, in the order of
    :class:`linreg.solvers.sgd.RowOrder`'s in-memory epochs: ``r = Z_b W + b - y_b``,
    ``dW = (2/n_b) Z_b^T r``, ``db = (2/n_b) 1^T r``, momentum, the update, then the
    L1 proximal step ``W_j <- sign(W_j) max(|W_j| - eta l1_j, 0)`` if ``l1`` is given.

    With row weights (the batches' ``w``), each is scaled to mean one by
    ``weight_factor = N / S`` (:attr:`linreg.solvers.moments.Moments.weight_factor`),
    and ``alpha`` is the penalty on the weights V of the units trained on, as in memory
    (:func:`linreg.solvers.sgd.sgd_steps`); ``l1`` (d,) are the L1 thresholds in the
    units trained on (``2 alpha rho`` a feature), as the in-memory engines take them.

    Where the C kernel is built (and a batch's X and y are float64), the steps over a
    batch's whole mini-batches run there on the rows where they are, standardized on
    the fly (:func:`linreg.solvers.sgd.compiled_steps`, the NumPy loop's numbers to
    rounding); a mini-batch that straddles two record batches is gathered first.
    Otherwise :func:`linreg.solvers.sgd.sgd_steps` runs on the gathered rows.
    """

    def __init__(
        self,
        passes: Passes,
        center: Array,
        scale: Array,
        *,
        batch_size: int,
        seed: int,
        learning_rate: float,
        momentum: float,
        fit_intercept: bool,
        tol: float | None = None,
        weight_factor: float = 1.0,
        alpha: float = 0.0,
        l1: Array | None = None,
    ) -> None:
        self._passes = passes
        self._weight_factor = weight_factor
        self._ridge = np.full_like(scale, alpha) if alpha else None
        self._l1 = None if l1 is None else np.ascontiguousarray(l1, dtype=np.float64)
        self._center = np.ascontiguousarray(center, dtype=np.float64)
        self._scale = np.ascontiguousarray(scale, dtype=np.float64)
        self._transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
        self._rng = np.random.default_rng(seed)
        self._batch = batch_size
        self.learning_rate, self._mu = learning_rate, momentum
        self._fit_intercept = fit_intercept
        self._compiled = kernels.sgd_available()
        self.epochs = 0
        self.steps = 0
        self.plateau = None if tol is None else Plateau(tol, batch_size)

    @property
    def stopped(self) -> bool:
        """Whether the plateau test stopped the run within the last epoch."""
        return self.plateau is not None and self.plateau.stopped

    def _gather(
        self, X: Array, y: Array, w: Array | None, rows: NDArray[np.integer]
    ) -> tuple[Array, Array, Array | None]:
        """The ``rows`` of a batch in training units, and their weights of mean one."""
        Zk, yk = X[rows], y[rows]
        wk = None if w is None else w[rows] * self._weight_factor
        if self._transform:
            Zk -= self._center
            Zk /= self._scale
        return Zk, yk, wk

    def epoch(
        self, W: Array, b: float, velocity_W: Array, velocity_b: float
    ) -> tuple[Array, float, Array, float]:
        """One epoch: every batch of one pass, shuffled within; W is updated in place."""
        self.epochs += 1
        bs = self._batch
        # The rows of the last mini-batch a record batch left unfinished, in training units.
        left: tuple[Array, Array, Array | None] | None = None
        W = np.ascontiguousarray(W, dtype=np.float64)
        velocity_W = np.ascontiguousarray(velocity_W, dtype=np.float64)
        for X, y, w in self._passes.batches(f"epoch {self.epochs}"):
            order = self._rng.permutation(X.shape[0])
            if not (self._compiled and kernels.sgd_layout_ok(X, y)):
                Zk, yk, wk = self._gather(X, y, w, order)
                if left is not None:
                    Zk, yk = np.concatenate([left[0], Zk]), np.concatenate([left[1], yk])
                    if wk is not None and left[2] is not None:
                        wk = np.concatenate([left[2], wk])
                full = (Zk.shape[0] // bs) * bs
                W, b, velocity_W, velocity_b = self._steps(
                    Zk[:full],
                    yk[:full],
                    None if wk is None else wk[:full],
                    W,
                    b,
                    velocity_W,
                    velocity_b,
                )
                left = None
                if full < Zk.shape[0]:
                    left = (
                        Zk[full:].copy(),
                        yk[full:].copy(),
                        None if wk is None else wk[full:].copy(),
                    )
            else:
                if left is not None:  # the straddling mini-batch: gathered, then one step
                    head = order[: bs - left[0].shape[0]]
                    order = order[head.shape[0] :]
                    Zh, yh, wh = self._gather(X, y, w, head)
                    Zk, yk = np.concatenate([left[0], Zh]), np.concatenate([left[1], yh])
                    wk = None if wh is None or left[2] is None else np.concatenate([left[2], wh])
                    left = None
                    if Zk.shape[0] < bs:  # still short of a mini-batch: carried on
                        left = (Zk, yk, wk)
                    else:
                        W, b, velocity_W, velocity_b = self._steps(
                            Zk, yk, wk, W, b, velocity_W, velocity_b
                        )
                if left is None and not self.stopped:
                    full = (order.shape[0] // bs) * bs
                    W, b, velocity_W, velocity_b = self._compiled_steps(
                        X, y, w, order[:full], W, b, velocity_W, velocity_b
                    )
                    if full < order.shape[0]:
                        left = self._gather(X, y, w, order[full:])
            if self.stopped:
                return W, b, velocity_W, velocity_b  # the rest of the pass is not read
        if left is not None:
            W, b, velocity_W, velocity_b = self._steps(*left, W, b, velocity_W, velocity_b)
        return W, b, velocity_W, velocity_b

    def _compiled_steps(
        self,
        X: Array,
        y: Array,
        w: Array | None,
        rows: NDArray[np.integer],
        W: Array,
        b: float,
        velocity_W: Array,
        velocity_b: float,
    ) -> tuple[Array, float, Array, float]:
        """The whole mini-batches over ``rows`` of a batch, in the C kernel."""
        if rows.shape[0] == 0:
            return W, b, velocity_W, velocity_b
        stepped = compiled_steps(
            X,
            y,
            rows,
            W,
            b,
            velocity_W,
            velocity_b,
            batch_size=self._batch,
            learning_rate=self.learning_rate,
            momentum=self._mu,
            fit_intercept=self._fit_intercept,
            plateau=self.plateau,
            center=self._center if self._transform else None,
            scale=self._scale if self._transform else None,
            sample_weight=None
            if w is None
            else np.ascontiguousarray(w * self._weight_factor, dtype=np.float64),
            ridge=self._ridge,
            l1=self._l1,
        )
        self.steps = count_steps(self.steps, rows.shape[0], self._batch, self.plateau)
        return stepped

    def _steps(
        self,
        Zk: Array,
        yk: Array,
        wk: Array | None,
        W: Array,
        b: float,
        velocity_W: Array,
        velocity_b: float,
    ) -> tuple[Array, float, Array, float]:
        if self._compiled and Zk.shape[0] and kernels.sgd_layout_ok(Zk, yk):
            # Already in training units and gathered: read in order, as they are.
            stepped = compiled_steps(
                Zk,
                yk,
                np.arange(Zk.shape[0]),
                W,
                b,
                velocity_W,
                velocity_b,
                batch_size=self._batch,
                learning_rate=self.learning_rate,
                momentum=self._mu,
                fit_intercept=self._fit_intercept,
                plateau=self.plateau,
                sample_weight=None if wk is None else np.ascontiguousarray(wk, dtype=np.float64),
                ridge=self._ridge,
                l1=self._l1,
            )
        else:
            stepped = sgd_steps(
                Zk,
                yk,
                W,
                b,
                velocity_W,
                velocity_b,
                batch_size=self._batch,
                learning_rate=self.learning_rate,
                momentum=self._mu,
                fit_intercept=self._fit_intercept,
                plateau=self.plateau,
                sample_weight=wk,
                ridge=self._ridge,
                l1=self._l1,
            )
        self.steps = count_steps(self.steps, Zk.shape[0], self._batch, self.plateau)
        return stepped
