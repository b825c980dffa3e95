"""The moments of the data, one pass: what full-batch gradient descent needs of X.

For the objective of :mod:`linreg.problem` the gradient only needs the moments of
the data: with ``Z`` the features trained on, ``A = [Z 1]`` and row weights ``w``,
``grad = (2/S)(A^T diag(w) A theta - A^T diag(w) y) + 2 alpha (W, 0)``. One pass
(:class:`Moments`) computes the (weighted) centred Gram matrix, ``X^T y`` and the
means; after it an epoch costs O(d^2), not O(N d).

* *Centred moments.* Raw moments (``X^T X - N m m^T``) lose ``log10(m^2/var)``
  digits; the pass accumulates rows shifted by a pilot mean (see
  :meth:`Moments.from_data`), as accurate as a two-pass algorithm in one pass.
* *Standardization folded in.* Training on ``Z = (X - center) / scale`` needs
  only the moments of Z, which follow exactly from those of X (:class:`Standardized`);
  no standardized copy is made. The penalty falls on ``V = W scale``, plain
  ``alpha |V|^2`` in these units: the standardized penalty of :mod:`linreg.problem`
  (with scale 1, ``alpha |W|^2``).
* *Stability for free.* The Hessian is (d + 1) x (d + 1) whatever N
  (:func:`stability_from_moments`), so eta_max costs no further pass; the sums
  also reveal any NaN or infinity (:attr:`Moments.finite`).

Timings: ``benchmarks/README.md``.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from linreg.solvers import gram_pass
from linreg.solvers.extended import map_chunks
from linreg.solvers.gram_pass import SEGMENT_BLOCKS
from linreg.solvers.threads import NARROW_FEATURES, single_blas
from linreg.stability import Stability

__all__ = [
    "CHUNK_BYTES",
    "Moments",
    "Standardized",
    "chunk_rows",
    "stability_from_moments",
    "standardization",
]

Array = NDArray[np.float64]

#: Size of the row blocks the passes work on, about the 1 MiB L2 cache per core, so
#: that a block is still in cache for the second product that uses it.
CHUNK_BYTES: Final = 1 << 20


def chunk_rows(n_columns: int, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Rows of a block of ``n_columns`` float64 columns: ``chunk_bytes`` of them, at least 1024.

    At least 1024 rows keep the block products efficient when d is large (a
    ``syrk`` with a short inner dimension runs at a fraction of its speed; see
    ``benchmarks/README.md``).
    """
    return max(1024, chunk_bytes // (8 * n_columns))


# -- one pass: the moments of the data -------------------------------------------------------
@dataclass(frozen=True)
class Moments:
    """Centred first and second moments of (X, y), from one pass over the data.

    With ``Xc = X - 1 mean^T`` and ``yc = y - y_mean``. With row weights ``w`` the
    means are weighted, ``mean = X^T w / S`` with ``S = sum(w)``, and every product
    carries ``diag(w)``: ``gram = Xc^T diag(w) Xc`` and so on.

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
        (:func:`linreg.solvers.norm_sliced.seminormal_terms`). ``None`` when the moments were
        combined from elsewhere (files, partitions).
    block_rows : int
        Rows per block of ``block_norms``.
    weight_sum : float or None
        ``S = sum(w)`` (``math.fsum``), or None without weights (then S = N).
    """

    n: int
    mean: Array
    y_mean: float
    gram: Array
    xty: Array
    yty: float
    block_norms: Array | None = None
    block_rows: int = 0
    weight_sum: float | None = None

    @property
    def total(self) -> float:
        """``S``: the sum of the weights, N without weights."""
        return self.n if self.weight_sum is None else self.weight_sum

    @property
    def weight_factor(self) -> float:
        """``N / S``, which scales the weights to mean one (1.0 without weights)."""
        return 1.0 if self.weight_sum is None else self.n / self.weight_sum

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
        """Population variance of each column, diag(gram) / N (what ``X.var(axis=0)`` gives).

        With weights, the weighted variance diag(gram) / S.
        """
        return np.diag(self.gram) / self.total

    @classmethod
    def from_data(cls, X: Array, y: Array, sample_weight: Array | None = None) -> Moments:
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

        With ``sample_weight`` (N,), the weighted moments by the same method
        (:func:`_weighted_moments`); without, exactly the unweighted code.
        """
        if sample_weight is not None:
            return _weighted_moments(X, y, sample_weight)
        N, d = X.shape
        shift, y_shift = _pilot_shift(X, y)
        for attempt in range(2):
            S, xty, sx, yty, sy, block_sumsq = _shifted_sums(X, y, shift, y_shift)
            offset, y_offset = sx / N, sy / N
            gram = S - np.outer(sx, offset)
            xty = xty - sx * y_offset
            yty = yty - sy * y_offset
            variance = np.diag(gram) / N
            # np.square: a Python float would raise on overflow (a target beyond 1e154).
            close = np.all(offset**2 <= variance) and np.square(y_offset) <= yty / N
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


def _pilot_shift(X: Array, y: Array) -> tuple[Array, float]:
    """The pilot means of :meth:`Moments.from_data`: of about 1,000 rows spread over X.

    Zero for X when every column's pilot mean is within a standard deviation of 0.
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
    return shift, y_shift


def _weighted_moments(X: Array, y: Array, w: Array) -> Moments:
    """:meth:`Moments.from_data` with row weights ``w``: the same shifted one-pass sums.

    With ``B = X - 1 s^T``, ``v = y - s_y`` and ``S = sum(w)`` (``math.fsum``):
    ``X_c^T diag(w) X_c = B^T diag(w) B - S (m - s)(m - s)^T`` with the weighted mean
    ``m = s + B^T w / S``, and likewise for ``X_c^T diag(w) y_c`` and
    ``y_c^T diag(w) y_c``. The products are of rows scaled by ``sqrt(w)``, so the Gram
    matrix is still one symmetric rank-k update a block. Weights that are all zero
    (a batch of a stream) give zero moments with ``weight_sum = 0``, which
    :func:`linreg.sources.passes.merge_moments` skips. No ``block_norms``.
    """
    N, d = X.shape
    total = math.fsum(w)
    if total == 0.0:
        zeros = np.zeros(d)
        return Moments(N, zeros, 0.0, np.zeros((d, d)), zeros.copy(), 0.0, weight_sum=0.0)
    shift, y_shift = _pilot_shift(X, y)
    for attempt in range(2):
        S, xty, sx, yty, sy = _weighted_sums(X, y, w, shift, y_shift)
        offset, y_offset = sx / total, sy / total
        gram = S - np.outer(sx, offset)
        xty = xty - sx * y_offset
        yty = yty - sy * y_offset
        variance = np.diag(gram) / total
        close = np.all(offset**2 <= variance) and np.square(y_offset) <= yty / total
        if close or attempt == 1:
            break
        shift, y_shift = shift + offset, y_shift + y_offset
    np.fill_diagonal(gram, np.maximum(np.diag(gram), 0.0))
    return Moments(
        n=N,
        mean=shift + offset,
        y_mean=y_shift + y_offset,
        gram=gram,
        xty=xty,
        yty=max(yty, 0.0),
        weight_sum=total,
    )


def _weighted_sums(
    X: Array, y: Array, w: Array, shift: Array, y_shift: float
) -> tuple[Array, Array, Array, float, float]:
    """``B^T W B``, ``B^T W v``, ``B^T w``, ``v^T W v`` and ``w^T v`` (``W = diag(w)``).

    ``B = X - 1 shift^T`` and ``v = y - y_shift``, by row blocks scaled by ``sqrt(w)``.
    """
    N, d = X.shape
    rows = min(N, chunk_rows(d))
    block, v_block = np.empty((rows, d)), np.empty(rows)
    S, xty, sx = np.zeros((d, d)), np.zeros(d), np.zeros(d)
    yty = sy = 0.0
    for start in range(0, N, rows):
        stop = min(start + rows, N)
        k = stop - start
        root = np.sqrt(w[start:stop])
        B = np.subtract(X[start:stop], shift, out=block[:k])
        B *= root[:, None]
        v = np.subtract(y[start:stop], y_shift, out=v_block[:k])
        v *= root
        S += B.T @ B
        xty += v @ B
        sx += root @ B
        yty += float(v @ v)
        sy += float(root @ v)
    return S, xty, sx, yty, sy


def _shifted_sums(
    X: Array, y: Array, shift: Array, y_shift: float
) -> tuple[Array, Array, Array, float, float, Array]:
    """Sums over the rows of ``B = X - 1 shift^T`` and ``v = y - y_shift``.

    Returns ``B^T B`` (d, d), ``B^T v`` (d,), ``B^T 1`` (d,), ``v^T v``, ``1^T v``
    and each block's column sums of squares (n_blocks, d), the diagonal of its
    ``B_k^T B_k``: per row block, one symmetric rank-k update (BLAS ``syrk``) and
    three matrix-vector products while the block is in cache; or, for a C-ordered
    design of at most :data:`linreg.solvers.gram_pass.MAX_FEATURES` columns, the same
    sums in one compiled sweep (:func:`linreg.solvers.gram_pass.gram_sums`; 2,000,000
    x 16: 45 -> 20 ms). Otherwise, for at most
    :data:`linreg.solvers.threads.NARROW_FEATURES` columns, segments of
    :data:`linreg.solvers.gram_pass.SEGMENT_BLOCKS` blocks are summed apart, on a
    thread per core with one BLAS thread each
    (:func:`linreg.solvers.extended.map_chunks`), then added in order (2,000,000 x
    16: 74 -> 64 ms); wider designs are one segment, whose ``syrk`` calls
    take every BLAS thread (100,000 x 512: two segments at a time, each with BLAS on
    both cores, took 1.3 s for the exact fit where one took 0.9 s).
    """
    N, d = X.shape
    rows = min(N, chunk_rows(d))
    shifting = bool(np.any(shift != 0.0))
    if gram_pass.available(X):  # one compiled sweep (the same segments)
        sums = gram_pass.gram_sums(X, y, rows, shift if shifting else None, y_shift)
        return sums.gram, sums.xty, sums.sx, sums.yty, sums.sy, sums.sumsq
    # Narrow blocks are memory-bound: a thread per core, each with one BLAS thread.
    # Wide ones are compute-bound: one segment, and every BLAS thread for each block.
    narrow = d <= NARROW_FEATURES
    span = rows * SEGMENT_BLOCKS if narrow else N

    def scratch() -> tuple[Array | None, Array, Array]:
        return (np.empty((rows, d)) if shifting else None), np.empty(rows), np.ones(rows)

    def segment(
        first: int, state: tuple[Array | None, Array, Array]
    ) -> tuple[Array, Array, Array, float, float, Array]:
        block, v_block, ones = state
        last = min(first + span, N)
        S, xty, sx = np.zeros((d, d)), np.zeros(d), np.zeros(d)
        sumsq = np.empty((-(-(last - first) // rows), d))
        yty = sy = 0.0
        for i, start in enumerate(range(first, last, rows)):
            stop = min(start + rows, last)
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

    with single_blas() if narrow and span < N else nullcontext():
        parts = map_chunks(segment, N, span, scratch)
    S, xty, sx, yty, sy, _ = parts[0]
    for part in parts[1:]:
        S = S + part[0]
        xty = xty + part[1]
        sx = sx + part[2]
        yty += part[3]
        sy += part[4]
    return S, xty, sx, yty, sy, np.concatenate([part[5] for part in parts])


# -- standardization and stability from the moments ------------------------------------------
def standardization(
    moments: Moments | None, X: Array, *, standardize: bool, fit_intercept: bool
) -> tuple[Array, Array]:
    """Centre and scale of the features trained on: ``Z = (X - center) / scale``.

    The reference path's rule: with ``standardize``, the column means (zero
    without an intercept, where centring would change the model) and population
    standard deviations, a zero deviation replaced by 1; otherwise ``Z = X``.

    The scale comes from the moments. The centre is the reference's own
    expression ``X.mean(axis=0)`` (no copy): its row-by-row sum can differ from the
    accurate mean by 1e-14 relative, which on offset data (mean / std = 350) moved
    the original-units intercept by 1e-8 relative; with the same centre both paths
    train on the same Z. A constant column's deviation here is exactly 0, so its
    scale is 1, as on the reference path, which sets it so because ``X.std`` can
    return a rounding-level value. Without ``standardize`` the moments are not
    needed (None).

    With row weights (weighted ``moments``) both engines standardize by the weighted
    means and deviations of the moments: this function's result is then what the
    reference path uses too.
    """
    d = X.shape[1]
    if not standardize:
        return np.zeros(d), np.ones(d)
    if moments is None:
        raise ValueError("standardization needs the moments of X")
    scale = np.sqrt(moments.variance)
    scale[scale == 0.0] = 1.0
    if not fit_intercept:
        return np.zeros(d), scale
    return (X.mean(axis=0) if moments.weight_sum is None else moments.mean.copy()), scale


@dataclass(frozen=True)
class Standardized:
    """The moments of one dataset in the units trained on, Z = (X - center) / scale.

    ``n`` is the number of rows N, or the sum of the weights S with weights (every
    formula below reads ``S`` for ``N``); ``zbar`` (d,) is the mean of Z,
    ``C = Zc^T Zc`` (d, d) its centred Gram matrix and ``zty = Zc^T yc`` (d,).
    ``ridge`` (d,) is the penalty in these units, ``alpha`` for every feature (the
    penalty falls on ``V = W scale``, :mod:`linreg.problem`), or None without one.
    """

    n: float
    zbar: Array
    C: Array
    zty: Array
    y_mean: float
    ridge: Array | None = None

    @classmethod
    def of(cls, moments: Moments, center: Array, scale: Array, alpha: float = 0.0) -> Standardized:
        """The moments of ``Z = (X - center) / scale``, and the penalty ``alpha`` in its units."""
        return cls(
            n=moments.total,
            zbar=(moments.mean - center) / scale,
            C=moments.gram / np.outer(scale, scale),
            zty=moments.xty / scale,
            y_mean=moments.y_mean,
            ridge=np.full_like(scale, alpha) if alpha else None,
        )

    def hessian(self, fit_intercept: bool) -> Array:
        """(2/N) A^T A with A = [Z 1] (or Z), built from the centred moments.

        ``Z^T Z = C + N zbar zbar^T`` and ``Z^T 1 = N zbar``: sums of non-negative
        terms, so nothing cancels. With weights N reads S; with a penalty,
        ``2 ridge`` is added to the diagonal of the W block.
        """
        if self.ridge is not None:
            H = self._hessian(fit_intercept)
            d = self.ridge.shape[0]
            H[np.arange(d), np.arange(d)] += 2.0 * self.ridge
            return H
        return self._hessian(fit_intercept)

    def _hessian(self, fit_intercept: bool) -> Array:
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
    moments: Moments, center: Array, scale: Array, *, fit_intercept: bool, alpha: float = 0.0
) -> Stability:
    """:func:`linreg.stability.stability` of ``Z = (X - center) / scale``, from the moments.

    The Hessian is (d + 1) x (d + 1) whatever N, so this costs no pass over the
    data; its eigenvalues are turned into eta_max and kappa by the same rules. With
    weighted moments and the penalty ``alpha |V|^2`` (units trained on), the Hessian of the
    weighted, penalized objective (:mod:`linreg.problem`).
    """
    standardized = Standardized.of(moments, center, scale, alpha)
    return Stability.from_hessian(standardized.hessian(fit_intercept))
