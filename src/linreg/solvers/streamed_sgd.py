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
moments' ``N / S``; the penalty applies to the original units' W, as in memory.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from linreg.solvers.sgd import count_steps, sgd_steps
from linreg.sources.passes import Passes
from linreg.training import Plateau

Array = NDArray[np.float64]


class StreamSGD:
    """Mini-batch SGD epochs over the batches of a pass (see the module docstring).

    The arithmetic of a step is the textbook's, in the order of
    :class:`linreg.solvers.sgd.RowOrder`'s in-memory epochs: ``r = Z_b W + b - y_b``,
    ``dW = (2/n_b) Z_b^T r``, ``db = (2/n_b) 1^T r``, momentum, then the update.

    With row weights (the batches' ``w``), each is scaled to mean one by
    ``weight_factor = N / S`` (:attr:`linreg.solvers.moments.Moments.weight_factor`),
    and ``alpha`` is the penalty on the weights V of the units trained on, as in memory
    (:func:`linreg.solvers.sgd.sgd_steps`).
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
    ) -> None:
        self._passes = passes
        self._weight_factor = weight_factor
        self._ridge = np.full_like(scale, alpha) if alpha else None
        self._center, self._scale = center, scale
        self._transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
        self._rng = np.random.default_rng(seed)
        self._batch = batch_size
        self.learning_rate, self._mu = learning_rate, momentum
        self._fit_intercept = fit_intercept
        self.epochs = 0
        self.steps = 0
        self.plateau = None if tol is None else Plateau(tol, batch_size)

    @property
    def stopped(self) -> bool:
        """Whether the plateau test stopped the run within the last epoch."""
        return self.plateau is not None and self.plateau.stopped

    def epoch(
        self, W: Array, b: float, velocity_W: Array, velocity_b: float
    ) -> tuple[Array, float, Array, float]:
        """One epoch: every batch of one pass, shuffled within; W is updated in place."""
        self.epochs += 1
        bs = self._batch
        left_X: Array | None = None
        left_y: Array | None = None
        left_w: Array | None = None
        for X, y, w in self._passes.batches(f"epoch {self.epochs}"):
            order = self._rng.permutation(X.shape[0])
            Zk, yk = X[order], y[order]
            wk = None if w is None else w[order] * self._weight_factor
            if self._transform:
                Zk -= self._center
                Zk /= self._scale
            if left_X is not None and left_y is not None:
                Zk, yk = np.concatenate([left_X, Zk]), np.concatenate([left_y, yk])
                if wk is not None and left_w is not None:
                    wk = np.concatenate([left_w, wk])
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
            if self.stopped:
                return W, b, velocity_W, velocity_b  # the rest of the pass is not read
            left_X, left_y, left_w = None, None, None
            if full < Zk.shape[0]:
                left_X, left_y = Zk[full:].copy(), yk[full:].copy()
                left_w = None if wk is None else wk[full:].copy()
        if left_X is not None and left_y is not None:
            W, b, velocity_W, velocity_b = self._steps(
                left_X, left_y, left_w, W, b, velocity_W, velocity_b
            )
        return W, b, velocity_W, velocity_b

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
        )
        self.steps = count_steps(self.steps, Zk.shape[0], self._batch, self.plateau)
        return stepped
