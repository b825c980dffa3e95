"""Fast paths of gradient descent: the textbook's numbers, a fraction of its time.

:func:`linreg.training.train` is the readable loop: every epoch multiplies the
whole (N, d) matrix by W, then by the residual, two passes over the data (75 ms
an epoch on 2,000,000 x 16 here, 75 s for 1,000 epochs). This module gives the
same iterates, history and errors without those passes, and without copying X.
``LinearRegression(engine=...)`` chooses: ``"reference"`` the readable loop,
``"fast"`` this module, ``"auto"`` (the default) this module from N * d >=
:data:`AUTO_MIN_ELEMENTS` = 100,000 on. Below that both take milliseconds and the
teaching examples (and every notebook) run the textbook loop.

Full-batch GD from the moments
------------------------------
For the MSE the gradient only needs the moments of the data: with ``Z`` the
features trained on and ``A = [Z 1]``, ``grad = (2/N)(A^T A theta - A^T y)``. One
pass (:class:`Moments`) computes the centred Gram matrix, ``X^T y`` and the means;
after it, an epoch costs O(d^2), not O(N d). Three details keep the numbers those
of the textbook loop:

* *Centred moments.* Raw moments (``X^T X - N m m^T``) lose ``log10(m^2/var)``
  digits; the pass accumulates rows shifted by a pilot mean (see
  :meth:`Moments.from_data`), as accurate as a two-pass algorithm in one pass.
* *An anchored loss.* ``N L = theta^T G theta - 2 theta^T c + y^T y`` subtracts
  numbers of the size of ``|y|^2`` to get the residual sum of squares: near the
  optimum of a good fit it is wrong in the 5th digit. :class:`QuadraticObjective`
  expands the loss around the least-squares solution instead, using the residual
  there; no term cancels. Its sum of squares comes from the moments while it is
  at least 1e-4 of ``|y - mean(y)|^2`` (at most four digits lost, of sixteen),
  and from a second pass over the data for better fits. Measured: the
  recorded loss equals the textbook's to 1e-14 on typical data and to 2e-10 when
  the residuals are 1e-6 of y (R^2 = 1 - 1e-13), where the textbook's own loss
  carries that much rounding error (both are within 2e-12 of the exact loss).
* *Standardization folded in.* Training on ``Z = (X - center) / scale`` needs
  only the moments of Z, which follow exactly from those of X; no standardized
  copy is made. The centre is the reference path's own ``X.mean(axis=0)`` (see
  :func:`standardization` for why).

The iterates then agree with the textbook loop to 1e-14 relative after 1,000
epochs (tests/test_fast.py asserts 1e-10 for the whole path, with and without
intercept, standardization and momentum, with tol and at divergence, which is
reported at the same epoch with the same report). On data whose means are
hundreds of standard deviations, the original-units intercept ``b - W^T mean /
scale`` amplifies both paths' rounding by mean / std: 1e-10 at mean / std = 350.
2,000,000 x 16, 1,000 epochs: about 0.09 s for the whole fit, of which 0.06 s is
the moments pass (whose sums also reveal any NaN or infinity, so that input
validation need not read X again: see :meth:`Moments.finite`) and 0.02 s the
1,000 epochs (with standardization, 0.04 s more for ``X.mean``; a near-perfect
fit, 0.03 s more for the anchor pass); the textbook loop takes 33-40 s
(``benchmarks/README.md``).

The fused pass, and when it is used
-----------------------------------
:class:`StreamingObjective` computes the loss and gradient the textbook way, but
block by block (:data:`CHUNK_BYTES` = 1 MiB blocks): the residual of a block,
then ``Z_k^T r_k`` while the block is still in cache, so X is read once an epoch,
not twice (0.65 ns per matrix entry here, against 2 passes of 0.5 ns). Which of
the two a fit uses is a cost model, :func:`prefer_streaming`, with constants
measured here: the moments pass is needed anyway (eta_max, see
:func:`stability_from_moments`, needs the Hessian's spectrum), so the quadratic
model costs one more pass, a Cholesky solve and O(d^2) an epoch, against O(N d)
an epoch for the fused pass. Since the estimator requires N >= d, the quadratic
model wins after a few epochs for any d (100,000 x 512: 49 us against 63 ms an
epoch); the fused pass is taken for short runs on wide data (e.g. 3 epochs on
2,000 x 1,000) and for a validation loss over a few epochs.

Mini-batch SGD
--------------
:class:`_ShuffledBatches` walks the readable loop's shuffle
(:func:`linreg.training.shuffle_rows`: rows dealt into buckets of about 32,768 at
random, each bucket shuffled; a uniformly random order) in the same batches, but
gathers the rows of many batches at once (``np.take`` into one 1 MiB buffer,
standardized there in place) and updates W and b in place with the reference's
arithmetic, operation for operation: the iterates are *bitwise* those of the
readable loop (up to the last bit of the standardization's scale when
standardizing). :class:`RowOrder` deals the order from the same draws, a bucket
at a time, so an epoch pays only for the part it reads.

That matters with ``tol``, when SGD stops within its first epoch
(:class:`linreg.training.Plateau`), as it does on large data: on 2,000,000 x 16
(batch 512, lr 0.05, tol 1e-3) it stopped after 3.3-5.1% of the epoch (128-200
steps, 5 seeds), 0.2% above the optimum's test MSE, in about 0.05 s: 13x
scikit-learn's ``SGDRegressor``, which checks its ``tol`` only at the end of an
epoch (0.6 s; ``benchmarks/README.md``). Of those 0.05 s:
the last loss, a pass over X, 0.015-0.025 s; the buckets of all rows 0.004 s;
finding and shuffling the buckets read 0.005 s; the gathers 0.005 s; 160 steps
0.006 s; eta_max from a 16,384-row sample 0.003 s
(:func:`linreg.stability.sample_rows`). SGD makes the moments pass only when it
pays (:func:`sgd_needs_moments`: standardization, or many epochs without
``tol``); otherwise each recorded loss is one fused pass, and the loss at W = 0
is ``mean(y^2)``, which needs no pass at all.

A whole epoch costs 0.2-0.3 s: the bucketed shuffle (0.07 s, no slower than
``rng.permutation``'s 0.04-0.1 s), the random gather (0.07-0.2 s) and 3,906
steps. Alternatives measured on 500,000 x 16 (batch 1,024, lr 0.2, excess test
MSE after one epoch, 4 seeds), before the bucketed shuffle:

==========================================  ========  ===========  ===========
scheme                                      time      shuffled     sorted by y
==========================================  ========  ===========  ===========
exact permutation, gathered                 54 ms     1.1%         1.2%
contiguous batches in a shuffled order      17 ms     0.5%         8.7%
shuffled 8,192-row blocks, rows within      33 ms     0.5%         208%
shuffled groups of 8 rows                   36 ms     1.1%         1.2%
==========================================  ========  ===========  ===========

Block schemes are faster but fail on ordered data; the bucketed shuffle is as
random as a permutation (every order equally likely; tested by chi-square), and
``engine="auto"`` never changes a result.

Memory
------
Nothing of size N x d is allocated: the passes use 1 MiB blocks; SGD holds the
buckets of the N rows (2 N bytes) and, past its first buckets, their order (4 N
bytes; 12 N for the moment it is sorted). Peak resident memory of a fit
of 500,000 x 16 (61 MiB) with standardization: 174 MiB for the whole process
(Python, NumPy, SciPy and linreg take about 100), against 289 MiB on the
reference path, which copies X and has ``X.std`` make another copy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from linreg.errors import DivergenceError, DivergenceReport
from linreg.history import History
from linreg.model import LinearModel
from linreg.stability import Stability
from linreg.training import (
    EXPLOSION_FACTOR,
    SHUFFLE_BUCKET_ROWS,
    EpochCallback,
    Plateau,
    ToOriginal,
    TrainResult,
    identity_map,
    shuffle_buckets,
)
from linreg.validation import require_finite

__all__ = [
    "AUTO_MIN_ELEMENTS",
    "ENGINES",
    "Moments",
    "QuadraticObjective",
    "RowOrder",
    "Standardized",
    "StreamingObjective",
    "anchor_pass",
    "least_squares_from_moments",
    "make_objective",
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

#: The residual sum of squares at the anchor comes from the moments unless it is
#: below this fraction of y_c^T y_c (then it would lose more than four digits).
ANCHOR_FROM_MOMENTS: Final = 1e-4

#: Size of the row blocks the passes work on, about the 1 MiB L2 cache per core, so
#: that a block is still in cache for the second product that uses it.
CHUNK_BYTES: Final = 1 << 20


def use_fast_engine(engine: str, n_samples: int, n_features: int) -> bool:
    """Whether ``engine`` runs the fast path for data of this shape."""
    if engine == "auto":
        return n_samples * n_features >= AUTO_MIN_ELEMENTS
    return engine == "fast"


def chunk_rows(n_columns: int, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Rows of a block of ``n_columns`` float64 columns: ``chunk_bytes`` of them, at least 1024.

    At least 1024 rows keep the block products efficient when d is large (a
    ``syrk`` with a short inner dimension runs at a fraction of its speed: the
    moments of 100,000 x 512 data took 0.92 s with 256-row blocks, 0.56 s with 1024).
    """
    return max(1024, chunk_bytes // (8 * n_columns))


# -- one pass: the moments of the data -------------------------------------------------------
@dataclass(frozen=True)
class Moments:
    """Centred first and second moments of (X, y), from one pass over the data.

    With ``Xc = X - 1 mean^T`` and ``yc = y - y_mean``:

    Attributes
    ----------
    n : int
        Number of rows N.
    mean : ndarray of shape (d,)
        Column means of X.
    y_mean : float
    gram : ndarray of shape (d, d)
        ``Xc^T Xc``, the centred Gram matrix (N times the covariance).
    xty : ndarray of shape (d,)
        ``Xc^T yc``.
    yty : float
        ``yc^T yc``.
    block_norms : ndarray of shape (n_blocks, d) or None
        Upper bounds of the column norms ``|X_j|_2`` of each row block of
        ``block_rows`` rows (the last may be shorter), as the pass over the data
        saw them; the exact solver's refinement slices its blocks by them
        (:func:`linreg.solvers.extended.seminormal_terms`). ``None`` when the moments were
        combined from elsewhere (files, partitions).
    block_rows : int
        Rows per block of ``block_norms``.
    """

    n: int
    mean: Array
    y_mean: float
    gram: Array
    xty: Array
    yty: float
    block_norms: Array | None = None
    block_rows: int = 0

    @property
    def finite(self) -> bool:
        """Whether every sum is finite: not so if the data hold a NaN or an infinity
        (or values whose squares overflow)."""
        return bool(
            np.isfinite(self.gram).all()
            and np.isfinite(self.xty).all()
            and math.isfinite(self.yty)
            and math.isfinite(self.y_mean)
            and np.isfinite(self.mean).all()
        )

    @property
    def variance(self) -> Array:
        """Population variance of each column, diag(gram) / N (what ``X.var(axis=0)`` gives)."""
        return np.diag(self.gram) / self.n

    @classmethod
    def from_data(cls, X: Array, y: Array) -> Moments:
        """Compute the moments in one pass over row blocks of ``X`` (no copy of X).

        The sums are accumulated on rows shifted by a pilot mean ``s`` (the mean of
        about 1,000 rows spread over the data), and the exact identity

        .. math:: X_c^\\top X_c = (X - 1 s^\\top)^\\top (X - 1 s^\\top)
                  - N (m - s)(m - s)^\\top

        centres them. Raw moments, ``X^T X - N m m^T``, would lose
        ``log10(1 + m^2 / var)`` digits to cancellation; with the shift the
        correction is of the size of ``(m - s)^2 / var``, about 1e-3. Columns whose
        pilot mean is already within one standard deviation of zero (standardized or
        centred data) lose at most a bit unshifted, and when all are, the blocks are
        used in place, which saves a copy. Should the pilot miss the mean by more
        than a standard deviation, the pass is repeated with the mean it found.
        """
        N, d = X.shape
        step = max(1, N // 1024)
        sample, y_sample = X[::step], y[::step]
        # x0 + mean(sample - x0) is exactly x0 for a constant column, whose centred
        # values, and variance, then come out exactly zero.
        shift = sample[0] + (sample - sample[0]).mean(axis=0)
        y_shift = float(y_sample[0] + (y_sample - y_sample[0]).mean())
        if not np.any(np.abs(shift) > sample.std(axis=0)):
            shift = np.zeros(d)
        for attempt in range(2):
            S, xty, sx, yty, sy, block_sumsq = _shifted_sums(X, y, shift, y_shift)
            offset, y_offset = sx / N, sy / N
            gram = S - np.outer(sx, offset)
            xty = xty - sx * y_offset
            yty = yty - sy * y_offset
            variance = np.diag(gram) / N
            close = np.all(offset**2 <= variance) and y_offset**2 <= yty / N
            if close or attempt == 1:
                break  # (the sums above are of this pass's shift)
            shift, y_shift = shift + offset, y_shift + y_offset
        # Round-off must not make a variance negative.
        np.fill_diagonal(gram, np.maximum(np.diag(gram), 0.0))
        rows = min(N, chunk_rows(d))
        counts = np.minimum(rows, N - np.arange(0, N, rows))
        # |X_j| <= |X_j - s_j| + sqrt(k) |s_j| on a block of k rows; the factor covers
        # the rounding of the computed sums of squares (at most k eps relative).
        block_norms = np.sqrt(block_sumsq) * (1.0 + 2.0**-30) + np.outer(
            np.sqrt(counts), np.abs(shift)
        )
        return cls(
            n=N,
            mean=shift + offset,
            y_mean=y_shift + y_offset,
            gram=gram,
            xty=xty,
            yty=max(yty, 0.0),
            block_norms=block_norms,
            block_rows=rows,
        )


def _shifted_sums(
    X: Array, y: Array, shift: Array, y_shift: float
) -> tuple[Array, Array, Array, float, float, Array]:
    """Sums over the rows of ``B = X - 1 shift^T`` and ``v = y - y_shift``.

    Returns ``B^T B`` (d, d), ``B^T v`` (d,), ``B^T 1`` (d,), ``v^T v``, ``1^T v``
    and each block's column sums of squares (n_blocks, d), the diagonal of its
    ``B_k^T B_k``: per row block, one symmetric rank-k update (BLAS ``syrk``) and
    three matrix-vector products while the block is in cache.
    """
    N, d = X.shape
    rows = min(N, chunk_rows(d))
    shifting = bool(np.any(shift != 0.0))
    block = np.empty((rows, d)) if shifting else None
    v_block = np.empty(rows)
    ones = np.ones(rows)
    S, xty, sx = np.zeros((d, d)), np.zeros(d), np.zeros(d)
    sumsq = np.empty((-(-N // rows), d))
    yty = sy = 0.0
    for i, start in enumerate(range(0, N, rows)):
        stop = min(start + rows, N)
        k = stop - start
        B = X[start:stop]
        if block is not None:
            B = np.subtract(B, shift, out=block[:k])
        v = np.subtract(y[start:stop], y_shift, out=v_block[:k])
        gram = B.T @ B
        S += gram
        sumsq[i] = np.diag(gram)
        xty += v @ B
        sx += ones[:k] @ B
        yty += float(v @ v)
        sy += float(np.add.reduce(v))
    return S, xty, sx, yty, sy, sumsq


# -- standardization and stability from the moments ------------------------------------------
def standardization(
    moments: Moments | None, X: Array, *, standardize: bool, fit_intercept: bool
) -> tuple[Array, Array]:
    """Centre and scale of the features trained on: ``Z = (X - center) / scale``.

    The reference path's rule: with ``standardize``, the column means (zero
    without an intercept, where centring would change the model) and population
    standard deviations, a zero deviation replaced by 1; otherwise ``Z = X``.

    The scale comes from the moments. The centre is the reference's own
    expression ``X.mean(axis=0)`` (no copy; 40 ms on 2,000,000 x 16): its
    row-by-row sum can differ from the accurate mean by 1e-14 relative, which
    on offset data (mean / std = 350) moved the original-units intercept by 1e-8
    relative; with the same centre both paths train on the same Z. A constant
    column's deviation here is exactly 0, so its scale is 1, as on the reference
    path, which sets it so because ``X.std`` can return a rounding-level value.
    Without ``standardize`` the moments are not needed (None).
    """
    d = X.shape[1]
    if not standardize:
        return np.zeros(d), np.ones(d)
    if moments is None:
        raise ValueError("standardization needs the moments of X")
    scale = np.sqrt(moments.variance)
    scale[scale == 0.0] = 1.0
    center = X.mean(axis=0) if fit_intercept else np.zeros(d)
    return center, scale


@dataclass(frozen=True)
class Standardized:
    """The moments of one dataset in the units trained on, Z = (X - center) / scale.

    ``zbar`` (d,) is the mean of Z, ``C = Zc^T Zc`` (d, d) its centred Gram matrix and
    ``zty = Zc^T yc`` (d,).
    """

    n: int
    zbar: Array
    C: Array
    zty: Array
    y_mean: float

    @classmethod
    def of(cls, moments: Moments, center: Array, scale: Array) -> Standardized:
        return cls(
            n=moments.n,
            zbar=(moments.mean - center) / scale,
            C=moments.gram / np.outer(scale, scale),
            zty=moments.xty / scale,
            y_mean=moments.y_mean,
        )

    def hessian(self, fit_intercept: bool) -> Array:
        """(2/N) A^T A with A = [Z 1] (or Z), built from the centred moments.

        ``Z^T Z = C + N zbar zbar^T`` and ``Z^T 1 = N zbar``: sums of non-negative
        terms, so nothing cancels.
        """
        n, d = self.n, self.zbar.shape[0]
        ZtZ = self.C + n * np.outer(self.zbar, self.zbar)
        if not fit_intercept:
            return (2.0 / n) * ZtZ
        H = np.empty((d + 1, d + 1))
        H[:d, :d] = ZtZ
        H[:d, d] = H[d, :d] = n * self.zbar
        H[d, d] = n
        return (2.0 / n) * H


def stability_from_moments(
    moments: Moments, center: Array, scale: Array, *, fit_intercept: bool
) -> Stability:
    """:func:`linreg.stability.stability` of ``Z = (X - center) / scale``, from the moments.

    The Hessian is (d + 1) x (d + 1) whatever N, so this costs no pass over the
    data; its eigenvalues are turned into eta_max and kappa by the same rules.
    """
    return Stability.from_hessian(Standardized.of(moments, center, scale).hessian(fit_intercept))


# -- the loss and its gradient: two ways -----------------------------------------------------
class Objective(Protocol):
    """The MSE of one dataset as a function of (W, b) in training units."""

    n: int

    def loss(self, W: Array, b: float) -> float:
        """L = (1/N) |Z W + b - y|^2."""

    def loss_and_gradient(self, W: Array, b: float) -> tuple[float, Array, float]:
        """L, dL/dW = (2/N) Z^T r and dL/db = (2/N) 1^T r at (W, b)."""


class QuadraticObjective:
    """The MSE as the exact quadratic it is, expanded around an anchor point.

    With ``r_a = Z W_a + b_a - y`` the residual at an anchor (W_a, b_a), and
    ``e = W - W_a``, ``e_b = b - b_a``, ``t = e_b + zbar^T e``, the residual is
    ``r = r_a + Zc e + t 1``, and since ``1^T Zc = 0``:

    .. math::

        N L = |r_a|^2 + 2 (e^\\top g_a + e_b h_a) + e^\\top C e + N t^2, \\\\
        Z^\\top r = g_a + C e + N t \\bar z, \\qquad 1^\\top r = h_a + N t,

    with ``g_a = Z^T r_a``, ``h_a = 1^T r_a`` and ``C = Zc^T Zc``. Every term costs
    O(d^2): an epoch no longer touches the data.

    Why an anchor: the textbook expansion around zero,
    ``N L = W^T Z^T Z W - 2 W^T Z^T y + y^T y``, subtracts numbers of the size of
    ``|y|^2`` to get the residual sum of squares, losing ``log10(var(y) / L)``
    digits near the optimum. Around an anchor at the least-squares solution,
    the terms are the residual sum of squares at the anchor, a cross term that
    is (nearly) zero there, and a non-negative quadratic: nothing cancels, and
    the loss is as accurate as the direct ``mean(r^2)``. The identity is exact
    for any anchor, so a rough one (a singular C) costs accuracy, never validity.
    """

    def __init__(
        self,
        standardized: Standardized,
        anchor_W: Array,
        anchor_b: float,
        sse: float,
        g: Array,
        h: float,
    ) -> None:
        self.n = standardized.n
        self._zbar = standardized.zbar
        self._C = standardized.C
        self._W_a, self._b_a = anchor_W, anchor_b
        self._sse, self._g, self._h = sse, g, h

    @property
    def anchor(self) -> tuple[Array, float]:
        """The anchor (W_a, b_a)."""
        return self._W_a, self._b_a

    def _terms(self, W: Array, b: float) -> tuple[Array, Array, float]:
        e = W - self._W_a
        return e, self._C @ e, (b - self._b_a) + float(self._zbar @ e)

    def _sse_at(self, e: Array, Ce: Array, t: float, b: float) -> float:
        cross = float(e @ self._g) + (b - self._b_a) * self._h
        return self._sse + 2.0 * cross + float(e @ Ce) + self.n * t * t

    def loss(self, W: Array, b: float) -> float:
        e, Ce, t = self._terms(W, b)
        return self._sse_at(e, Ce, t, b) / self.n

    def loss_and_gradient(self, W: Array, b: float) -> tuple[float, Array, float]:
        e, Ce, t = self._terms(W, b)
        loss = self._sse_at(e, Ce, t, b) / self.n
        ZTr = self._g + Ce + (self.n * t) * self._zbar
        return loss, (2.0 / self.n) * ZTr, (2.0 / self.n) * (self._h + self.n * t)


def least_squares_from_moments(
    standardized: Standardized, fit_intercept: bool
) -> tuple[Array, float]:
    """The least-squares (W, b) in training units, from the moments: the anchor.

    Solves the Jacobi-scaled normal equations by Cholesky, or, when they are
    singular or nearly so (condition above 1e10 from the factor's diagonal), by an
    SVD for the minimum-norm solution, which keeps the anchor bounded. It only
    needs to be close to the optimum, see :class:`QuadraticObjective`.
    """
    # Imported here: scipy.linalg costs 27 MB and 0.1 s at ``import linreg``.
    from scipy.linalg import cho_factor, cho_solve

    s = standardized
    n = s.n
    if fit_intercept:
        A, rhs = s.C, s.zty
    else:
        A = s.C + n * np.outer(s.zbar, s.zbar)
        rhs = s.zty + n * s.y_mean * s.zbar
    D = np.sqrt(np.diag(A))
    D[D == 0.0] = 1.0
    A, rhs = A / np.outer(D, D), rhs / D
    try:
        factor = cho_factor(A, check_finite=False)
        diagonal = np.abs(np.diag(factor[0]))
        if diagonal.min() ** 2 < 1e-10 * diagonal.max() ** 2:
            raise np.linalg.LinAlgError("nearly singular")
        u = cho_solve(factor, rhs, check_finite=False)
    except np.linalg.LinAlgError:
        u = np.linalg.lstsq(A, rhs, rcond=None)[0]
    W = u / D
    b = s.y_mean - float(s.zbar @ W) if fit_intercept else 0.0
    return W, b


def anchor_from_moments(
    s: Standardized, yty: float, W: Array, b: float
) -> tuple[float, Array, float]:
    """``|r_a|^2``, ``Z^T r_a`` and ``1^T r_a`` at ``(W, b)`` from the standardized moments.

    ``s`` holds ``n``, ``zbar``, ``C = Zc^T Zc``, ``zty = Zc^T yc`` and ``y_mean``;
    ``yty = yc^T yc``. No pass over the data, but ``|r_a|^2`` comes from a
    difference of terms of the size of ``yc^T yc``: :func:`make_objective` takes it
    only while it is at least :data:`ANCHOR_FROM_MOMENTS` of that (at most four
    digits lost to cancellation), and makes the anchor pass otherwise.

    With ``r_a = Zc W + t 1 - yc`` and ``t = b + zbar^T W - y_mean``:
    ``|r_a|^2 = W^T C W - 2 W^T Zc^T yc + yc^T yc + N t^2``,
    ``Z^T r_a = C W - Zc^T yc + N t zbar`` and ``1^T r_a = N t``.
    """
    n = s.n
    t = b + float(s.zbar @ W) - s.y_mean
    CW = s.C @ W
    sse = max(float(W @ CW) - 2.0 * float(W @ s.zty) + yty + n * t * t, 0.0)
    return sse, CW - s.zty + (n * t) * s.zbar, n * t


def anchor_pass(
    X: Array, y: Array, moments: Moments, scale: Array, zbar: Array, W: Array, b: float
) -> tuple[float, Array, float]:
    """One pass for ``|r_a|^2``, ``g_a = Z^T r_a`` and ``h_a = 1^T r_a`` at (W, b).

    Computed on rows centred by the column means m when any mean exceeds its
    standard deviation, ``r_a = (X - 1 m^T)(W / scale) + (b + zbar^T W) - y``, so that
    the products carry no offset to cancel, then
    ``Z^T r = (X - 1 m^T)^T r / scale + zbar 1^T r``.
    """
    N, d = X.shape
    shift = moments.mean if np.any(moments.mean**2 > moments.variance) else np.zeros(d)
    rows = min(N, chunk_rows(d))
    block = np.empty((rows, d)) if np.any(shift != 0.0) else None
    u = W / scale
    # Z W + b = (X - shift) u + (b + zbar^T W - (m - shift)^T u)
    offset = b + float(zbar @ W) - float((moments.mean - shift) @ u)
    sse, BTr, rsum = 0.0, np.zeros(d), 0.0
    for start in range(0, N, rows):
        stop = min(start + rows, N)
        B = X[start:stop]
        if block is not None:
            B = np.subtract(B, shift, out=block[: stop - start])
        r = B @ u
        r += offset
        r -= y[start:stop]
        sse += float(r @ r)
        BTr += r @ B
        rsum += float(np.add.reduce(r))
    # (X - 1 m^T)^T r = (X - 1 shift^T)^T r - (m - shift) 1^T r
    XcTr = BTr - (moments.mean - shift) * rsum
    return sse, XcTr / scale + zbar * rsum, rsum


class StreamingObjective:
    """The MSE by a fused pass over row blocks: the textbook sums, X read once.

    Each block ``Z_k = (X_k - center) / scale`` (standardized on the fly into a
    block-sized buffer, never a copy of X) gives ``r_k = Z_k W + b - y_k`` and, while
    it is still in cache, ``Z_k^T r_k``; the loss and gradient are their sums.
    The textbook loop reads X twice per epoch (X W, then X^T r); this reads it once.
    """

    def __init__(self, X: Array, y: Array, center: Array, scale: Array) -> None:
        self.n = X.shape[0]
        self._X, self._y = X, y
        self._center, self._scale = center, scale
        self._transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
        self._rows = min(self.n, chunk_rows(X.shape[1]))
        self._block = np.empty((self._rows, X.shape[1])) if self._transform else None
        #: Passes made over X so far (the loss at W = 0, b = 0 needs none).
        self.passes = 0

    def _pass(self, W: Array, b: float, gradient: bool) -> tuple[float, Array, float]:
        self.passes += 1
        X, y, n = self._X, self._y, self.n
        sse, ZTr, rsum = 0.0, np.zeros(X.shape[1]), 0.0
        for start in range(0, n, self._rows):
            stop = min(start + self._rows, n)
            Z = X[start:stop]
            if self._block is not None:
                Z = self._block[: stop - start]
                np.subtract(X[start:stop], self._center, out=Z)
                Z /= self._scale
            r = Z @ W
            r += b
            r -= y[start:stop]
            sse += float(r @ r)
            if gradient:
                ZTr += Z.T @ r
                rsum += float(np.add.reduce(r))
        return sse, ZTr, rsum

    def loss(self, W: Array, b: float) -> float:
        if b == 0.0 and not W.any():
            # The residual is -y whatever X holds (a NaN in X is then found by the
            # next pass, or by the caller when there is none: see train).
            return float(np.mean(self._y**2))
        return self._pass(W, b, gradient=False)[0] / self.n

    def loss_and_gradient(self, W: Array, b: float) -> tuple[float, Array, float]:
        sse, ZTr, rsum = self._pass(W, b, gradient=True)
        return sse / self.n, (2.0 / self.n) * ZTr, (2.0 / self.n) * rsum


#: Seconds per unit of work of each step, measured on the reference machine
#: (2-core AMD EPYC, OpenBLAS): per matrix entry N * d of a pass, per d^2 of an
#: epoch of the quadratic model (plus a fixed cost), per d^3 of the Cholesky
#: solve and per N * d^2 of the moments pass. Only their ratios matter.
_COST: Final = {
    "anchor_pass": 0.7e-9,
    "fused_pass": 0.65e-9,
    "loss_pass": 0.45e-9,
    "standardize": 1.6e-9,
    "quadratic_epoch": 10e-6,
    "quadratic_epoch_d2": 0.12e-9,
    "solve_d3": 0.01e-9,
    "moments_d2": 0.05e-9,
}


def prefer_streaming(
    n_samples: int,
    n_features: int,
    evaluations: int,
    *,
    gradient: bool = True,
    transform: bool = False,
    have_moments: bool = True,
) -> bool:
    """Whether ``evaluations`` fused passes cost less than the quadratic model.

    The quadratic model costs one anchor pass, an O(d^3) solve and O(d^2) per
    evaluation (plus a moments pass when the estimator has not made one); the
    fused pass costs O(N d) per evaluation, more when it standardizes on the fly.
    With N >= d (which the estimator requires) the model wins after a handful of
    epochs whatever d: the fused pass is chosen for short runs on wide data, or
    for the validation loss of a few epochs, where it saves the moments pass.
    """
    n, d = n_samples, n_features
    nd = float(n) * d
    quadratic = _COST["anchor_pass"] * nd + _COST["solve_d3"] * d**3
    quadratic += evaluations * (_COST["quadratic_epoch"] + _COST["quadratic_epoch_d2"] * d * d)
    if not have_moments:
        quadratic += _COST["moments_d2"] * nd * d + _COST["anchor_pass"] * nd
    per_pass = _COST["fused_pass"] if gradient else _COST["loss_pass"]
    if transform:
        per_pass += _COST["standardize"]
    return evaluations * per_pass * nd < quadratic


def expected_evaluations(solver: str, epochs: int, tol: float | None) -> int:
    """How many losses a fit is planned to evaluate, for :func:`prefer_streaming`.

    ``epochs + 1``, except for mini-batch SGD with ``tol``, which usually stops
    within its first epoch (:class:`~linreg.training.Plateau`): two. Should it run
    on, each further loss costs a pass, about a tenth of an SGD epoch's own cost.
    """
    return 2 if solver == "sgd" and tol is not None else epochs + 1


def sgd_needs_moments(shape: tuple[int, int], epochs: int, tol: float | None) -> bool:
    """Whether mini-batch SGD on data of ``shape`` should make the moments pass.

    SGD needs the moments only for its recorded losses (and a standardization);
    they cost about three passes over X, a loss without them one pass.
    """
    n, d = shape
    evaluations = expected_evaluations("sgd", epochs, tol)
    return not prefer_streaming(n, d, evaluations, gradient=False, have_moments=False)


def make_objective(
    X: Array,
    y: Array,
    center: Array,
    scale: Array,
    *,
    fit_intercept: bool,
    passes: int,
    gradient: bool = True,
    moments: Moments | None = None,
    anchor: tuple[Array, float] | None = None,
    kind: str = "auto",
) -> QuadraticObjective | StreamingObjective:
    """The cheaper objective for ``passes`` evaluations on (X, y).

    Parameters
    ----------
    X : ndarray of shape (N, d), in original units
    y : ndarray of shape (N,)
    center, scale : ndarrays of shape (d,)
        Training units ``Z = (X - center) / scale``.
    fit_intercept : bool
    passes : int
        How many times the loss (and gradient) will be evaluated, at most.
    gradient : bool, default=True
        Whether the gradient is needed too (full-batch GD) or only the loss.
    moments : Moments, optional
        The moments of (X, y), if already computed.
    anchor : (W, b), optional
        Anchor of the quadratic expansion (default: the least-squares solution of
        these data). A validation set is anchored at the training solution.
    kind : {"auto", "quadratic", "streaming"}, default="auto"
        ``"auto"`` picks the cheaper by :func:`prefer_streaming`.
    """
    if kind not in ("auto", "quadratic", "streaming"):
        raise ValueError(f"kind must be 'auto', 'quadratic' or 'streaming', got {kind!r}")
    n, d = X.shape
    transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
    if kind == "streaming" or (
        kind == "auto"
        and prefer_streaming(
            n, d, passes, gradient=gradient, transform=transform, have_moments=moments is not None
        )
    ):
        return StreamingObjective(X, y, center, scale)
    if moments is None:
        moments = Moments.from_data(X, y)
    standardized = Standardized.of(moments, center, scale)
    if anchor is None:
        anchor = least_squares_from_moments(standardized, fit_intercept)
    W_a, b_a = anchor
    sse, g, h = anchor_from_moments(standardized, moments.yty, W_a, b_a)
    if not sse >= ANCHOR_FROM_MOMENTS * moments.yty:
        # A near-perfect fit: the moments' sse has lost more than four digits.
        sse, g, h = anchor_pass(X, y, moments, scale, standardized.zbar, W_a, b_a)
    return QuadraticObjective(standardized, W_a, b_a, sse, g, h)


# -- the training loop -----------------------------------------------------------------------
class RowOrder:
    """:func:`linreg.training.shuffle_rows`, dealt out only as far as it is read.

    The same draws from the generator in the same order: the buckets of all rows,
    then one shuffle per bucket as SGD reaches it, so the rows come in the readable
    loop's order. An epoch that stops early leaves the later buckets unshuffled:
    stopping after 3% of 2,000,000 rows costs 5 ms of shuffling, not the 40-100 ms
    of a whole permutation. Rows are held as int32 below 2**31 rows (half the
    bytes to move; the shuffle's draws do not depend on the type).
    """

    #: Buckets found by a scan each (1 ms at 2,000,000 rows) before one stable
    #: sort (26 ms) finds all the others.
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


class _ShuffledBatches:
    """Mini-batch SGD epochs with the textbook's shuffle, without a copy per batch.

    Every epoch deals the rows in the order of :func:`linreg.training.shuffle_rows`
    (:class:`RowOrder`, from the same draws) and walks them in the same batches, but
    gathers the rows of many batches at once (``np.take`` into one cache-sized
    buffer, standardized there in place) and updates W and b in place. The
    arithmetic of each step is the reference's, operation for operation, so the
    iterates are bitwise those of the readable loop on the same training data; with
    ``tol``, so are the batch losses and the :class:`~linreg.training.Plateau`'s
    verdicts.
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
    ) -> None:
        self._X, self._y = X, y
        self._center, self._scale = center, scale
        self._transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
        self._rng = np.random.default_rng(seed)
        self._batch = batch_size
        N, d = X.shape
        per_chunk = max(1, chunk_rows(d) // batch_size)
        self._rows = min(N, per_chunk * batch_size)
        self._X_block = np.empty((self._rows, d))
        self._y_block = np.empty(self._rows)
        self._lr, self._mu = learning_rate, momentum
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
        X, y, bs, lr, mu = self._X, self._y, self._batch, self._lr, self._mu
        for index in RowOrder(self._rng, X.shape[0]).chunks(self._rows):
            k = index.shape[0]
            # mode="clip" lets take write straight into the buffer (the indices are valid).
            Xk = np.take(X, index, axis=0, out=self._X_block[:k], mode="clip")
            yk = np.take(y, index, out=self._y_block[:k], mode="clip")
            if self._transform:
                Xk -= self._center
                Xk /= self._scale
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
) -> tuple[Array, float, Array, float]:
    """Mini-batch SGD steps over consecutive rows of ``Z`` (training units), in place.

    The arithmetic of each step is the reference's, in its order: ``r = Z_b W + b - y_b``,
    ``dW = (2/n_b) Z_b^T r``, ``db = (2/n_b) 1^T r``, momentum, then the update; so
    the fast and streamed engines give the reference's numbers bit for bit. With a
    ``plateau``, each batch's loss ``mean(r^2)`` (the reference's ``model.loss``) is
    added to it after the step, and the steps end when it says stop.
    """
    # Local names: at 32 rows a step costs about 7 us, mostly call overhead
    # (np.dot is ~1 us cheaper than @ on such small operands, same BLAS call).
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


def count_steps(steps: int, rows: int, batch_size: int, plateau: Plateau | None) -> int:
    """SGD steps after :func:`sgd_steps` on ``rows`` rows: one a batch, or, with a
    plateau test (which may stop them early), one per batch loss it was given."""
    return plateau.batches if plateau is not None else steps + -(-rows // batch_size)


class EpochRunner(Protocol):
    """One epoch of mini-batch SGD from (W, b) and the momentum velocities.

    ``stopped`` says whether its :class:`~linreg.training.Plateau` ended the run
    within the epoch just run; ``steps`` counts the updates so far.
    """

    steps: int

    @property
    def stopped(self) -> bool: ...

    def epoch(
        self, W: Array, b: float, velocity_W: Array, velocity_b: float
    ) -> tuple[Array, float, Array, float]: ...


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
    to_original, on_epoch :
        As in :func:`linreg.training.train`.
    X_val, y_val : ndarrays, optional
        Validation data, in original units like X.
    objective : {"auto", "quadratic", "streaming"}, default="auto"
        How the loss and the full gradient are computed (see :func:`make_objective`).

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
        batches = _ShuffledBatches(
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
        )
    except DivergenceError:
        if streaming is not None:
            require_finite(X, y)
        raise
    if streaming is not None and streaming.passes == 0:
        require_finite(X, y)  # every loss was taken at W = 0: X was never read
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
) -> TrainResult:
    """The epochs of :func:`train` on a prebuilt objective (also for streamed data).

    Every epoch records the loss (from ``objective``, O(d^2)) and the parameters in
    original units, stops at ``epochs`` or when the relative loss change is at
    most ``tol``, raises :class:`~linreg.errors.DivergenceError` at the first
    non-finite or exploding loss, and otherwise updates: full-batch GD from the
    objective's gradient, or one streamed SGD epoch (``sgd``).
    """
    fit_intercept = model.fit_intercept
    W, b = model.W.copy(), float(model.b)
    velocity_W, velocity_b = np.zeros_like(W), 0.0
    losses: list[float] = []
    val_losses: list[float] = []
    path_W: list[Array] = []
    path_b: list[float] = []
    limit = np.inf

    def history() -> History:
        return History(
            loss=np.asarray(losses),
            W=np.asarray(path_W).reshape(len(path_W), W.shape[0]),
            b=np.asarray(path_b),
            val_loss=np.asarray(val_losses) if val_objective is not None else None,
        )

    epoch = 0
    stop_reason = "max_epochs"
    last_finite = (W.copy(), b)
    while True:
        if sgd is None:
            loss, dW, db = objective.loss_and_gradient(W, b)
        else:
            loss = objective.loss(W, b)
        if not np.isfinite(loss) or loss > limit:
            model.W, model.b = last_finite
            raise DivergenceError(
                _report(objective, model, epoch, learning_rate, max_stable_learning_rate, history())
            )
        if epoch == 0:
            limit = EXPLOSION_FACTOR * max(loss, np.finfo(np.float64).tiny)
        last_finite = (W.copy(), b)
        W_orig, b_orig = to_original(W, b)
        losses.append(loss)
        path_W.append(W_orig)
        path_b.append(b_orig)
        if val_objective is not None:
            val_losses.append(val_objective.loss(W, b))
        if on_epoch is not None:
            on_epoch(epoch, loss)
        if sgd is not None and sgd.stopped:
            stop_reason = "converged"
            break
        if epoch == epochs:
            break
        if tol is not None and epoch > 0:
            previous = losses[-2]
            if abs(previous - loss) <= tol * max(previous, np.finfo(np.float64).tiny):
                stop_reason = "converged"
                break
        if sgd is None:
            if not fit_intercept:
                db = 0.0
            if momentum:
                velocity_W = momentum * velocity_W + dW
                velocity_b = momentum * velocity_b + db
                dW, db = velocity_W, velocity_b
            W = W - learning_rate * dW
            b = b - learning_rate * db
        else:
            W, b, velocity_W, velocity_b = sgd.epoch(W, b, velocity_W, velocity_b)
        epoch += 1
    model.W, model.b = W, b
    steps = epoch if sgd is None else sgd.steps
    return TrainResult(history=history(), stop_reason=stop_reason, n_iter=epoch, n_steps=steps)


def _report(
    objective: Objective,
    model: LinearModel,
    epoch: int,
    learning_rate: float,
    max_stable_learning_rate: float,
    history: History,
) -> DivergenceReport:
    """The report of :func:`linreg.training.train`, the gradient norm from ``objective``."""
    with np.errstate(all="ignore"):
        _, dW, db = objective.loss_and_gradient(model.W, model.b)
        if not model.fit_intercept:
            db = 0.0
        gradient_norm = math.sqrt(float(dW @ dW) + db**2)
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
