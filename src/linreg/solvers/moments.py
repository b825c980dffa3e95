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
  no standardized copy is made. The penalty stays on the original units' W:
  ``alpha |W|^2 = sum_j (alpha / scale_j^2) V_j^2`` with ``V = W scale``.
* *Stability for free.* The Hessian is (d + 1) x (d + 1) whatever N
  (:func:`stability_from_moments`), so eta_max costs no further pass; the sums
  also reveal any NaN or infinity (:attr:`Moments.finite`).

Timings: ``benchmarks/README.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

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
