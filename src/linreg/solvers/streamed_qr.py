"""The streamed exact solver's factor: R of many batches, merged by TSQR.

Each batch is centred by its own (weighted) mean and factored by Householder QR
together with its target, ``[1, X_k - 1 s_k^T, y_k - s_ky] = Q_k R_k`` (rows scaled
by ``sqrt(w)`` where weighted). Two batches combine by a TSQR step: both factors
are moved to the mean ``m`` of the union, which changes only their first row,

.. math:: R_k(m)_{0,j} = R_k(s_k)_{0,j} - R_k(s_k)_{00} (m - s_k)_j,

because ``[1, X - 1 m^T] = [1, X - 1 s^T] T`` with ``T`` the identity but for its
first row (with weights the first column is ``sqrt(w)`` and the same holds), and
``R_k T`` differs from ``R_k`` only there; then the stacked ``[R_a(m); R_b(m)]`` is
factored again. Factors merge pairwise like a binary counter (:class:`QRTree`,
``O(log K)`` factors held for ``K`` batches), and every Householder step sees
columns centred at the mean of the rows it combines, so no offset inflates the
rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.solvers import extended as ext
from linreg.solvers.factor import geqrf, geqrf_lwork

__all__ = ["QRPiece", "QRTree", "merge_qr", "qr_piece", "stacked_r"]

Array = NDArray[np.float64]
#: Rows per block of the streamed QR: 512 x 16 stays under OpenBLAS's threading
#: thresholds (about 8,192 elements), so each LAPACK call runs on its own thread.
_TSQR_ROWS: Final = 512


def _pilot(values: Array) -> Array:
    """A batch's centring shift: column means of at most 1,024 evenly spaced rows.

    Any shift near the mean serves (:func:`merge_qr` moves every factor to the
    exact mean of all rows), and a sample costs no copy of the batch. Computed as
    ``v_0 + mean(v - v_0)``, exactly ``v_0`` for a constant column.
    """
    sample = values[:: max(1, values.shape[0] // 1024)]
    return np.asarray(sample[0] + (sample - sample[0]).mean(axis=0), dtype=np.float64)


def _weighted_pilot(values: Array, w: Array) -> Array:
    """:func:`_pilot` with the rows' weights: ``v_0 + sum(w (v - v_0)) / sum(w)`` over
    the sample (``v_0`` itself where the sampled weights are all zero)."""
    step = max(1, values.shape[0] // 1024)
    sample, ws = values[::step], w[::step]
    total = float(np.sum(ws))
    if not total > 0.0:
        return np.asarray(sample[0], dtype=np.float64).copy()
    offsets = np.tensordot(ws, sample - sample[0], axes=(0, 0)) / total
    return np.asarray(sample[0] + offsets, dtype=np.float64)


@dataclass(frozen=True)
class QRPiece:
    """The R factor of some rows: what the exact solver keeps of them.

    Attributes
    ----------
    n : int
        Rows summarised.
    shift : ndarray of shape (d + 1,)
        Means of the features and (last) of the target the rows were centred by
        (zeros without intercept).
    R : ndarray of shape (k, q)
        Upper-triangular (trapezoidal when ``n < q``) factor of
        ``[1, X - 1 s^T, y - s_y]`` (``q = d + 2``), or of ``[X, y]`` (``q = d + 1``)
        without intercept; ``k = min(n, q)``.
    low, high : ndarrays of shape (d,)
        Column minima and maxima (to name constant features).
    fit_intercept : bool
    weight : ndarray of shape (k,) or None
        Weighted rows: floats whose exact sum is ``sum(w)`` (an expansion: its
        ``math.fsum`` is the correctly rounded total), and then ``R`` is that of the
        rows scaled by ``sqrt(w)``, centred at (near) their weighted means. None:
        every row has weight 1.
    """

    n: int
    shift: Array
    R: Array
    low: Array
    high: Array
    fit_intercept: bool
    weight: Array | None = None

    @property
    def mass(self) -> float:
        """``sum(w)``, correctly rounded (``n`` for unweighted rows)."""
        return float(self.n) if self.weight is None else math.fsum(self.weight)


def qr_piece(
    X: Array, y: Array, *, fit_intercept: bool, sample_weight: Array | None = None
) -> QRPiece:
    """The :class:`QRPiece` of one batch: blocked Householder QR of its centred rows.

    Blocks of 512 rows of ``[1, X - 1 s^T, y - s_y]`` (``s`` the batch's means) are
    formed in a scratch buffer, factored by LAPACK ``dgeqrf`` on a thread pool, and
    their stacked triangles factored once more (the "tall-skinny QR" of Demmel et
    al., as stable as one Householder QR). Cost: about ``2 m q^2`` flops; memory:
    one ``q x 512`` buffer per thread.

    With ``sample_weight`` (shape (m,), ``w >= 0``) every row is scaled by
    ``sqrt(w_i)`` and ``s`` is (near) the weighted mean: ``R^T R`` is then the
    weighted Gram matrix ``Z^T diag(w) Z`` up to rounding, which is all a
    preconditioner needs (the refinement works on the unrounded weights).
    """
    if sample_weight is not None:
        return _weighted_qr_piece(X, y, fit_intercept, sample_weight)
    m, d = X.shape
    off = int(fit_intercept)
    q = d + off + 1
    if fit_intercept:
        shift_x, shift_y = _pilot(X), float(_pilot(y))
    else:
        shift_x, shift_y = np.zeros(d), 0.0
    rows = _TSQR_ROWS
    lwork = geqrf_lwork(rows, q)

    def factor(s: int, buf: Array) -> Array:
        k = min(rows, m - s)
        block = buf[:, :k]
        if fit_intercept:
            block[0] = 1.0
            np.subtract(X[s : s + k].T, shift_x[:, None], out=block[1 : d + 1])
            np.subtract(y[s : s + k], shift_y, out=block[d + 1])
        else:
            np.copyto(block[:d], X[s : s + k].T)
            np.copyto(block[d], y[s : s + k])
        qr, _ = geqrf(block.T, lwork)
        return np.triu(qr[: min(k, q)])

    tops = ext.map_chunks(factor, m, rows, lambda: np.empty((q, rows)))
    R = tops[0] if len(tops) == 1 else stacked_r(tops)
    shift = np.append(shift_x, shift_y) if fit_intercept else np.zeros(d + 1)
    return QRPiece(m, shift, R, X.min(axis=0), X.max(axis=0), fit_intercept)


def _weighted_qr_piece(X: Array, y: Array, fit_intercept: bool, w: Array) -> QRPiece:
    """:func:`qr_piece` of rows weighted by ``w``: the QR of ``sqrt(w)``-scaled rows."""
    m, d = X.shape
    q = d + int(fit_intercept) + 1
    root = np.sqrt(w)
    if fit_intercept:
        shift_x, shift_y = _weighted_pilot(X, w), float(_weighted_pilot(y, w))
    else:
        shift_x, shift_y = np.zeros(d), 0.0
    rows = _TSQR_ROWS
    lwork = geqrf_lwork(rows, q)

    def factor(s: int, buf: Array) -> Array:
        k = min(rows, m - s)
        block = buf[:, :k]
        scale = root[s : s + k]
        if fit_intercept:
            block[0] = scale
            np.subtract(X[s : s + k].T, shift_x[:, None], out=block[1 : d + 1])
            np.subtract(y[s : s + k], shift_y, out=block[d + 1])
            block[1:] *= scale
        else:
            np.multiply(X[s : s + k].T, scale, out=block[:d])
            np.multiply(y[s : s + k], scale, out=block[d])
        qr, _ = geqrf(block.T, lwork)
        return np.triu(qr[: min(k, q)])

    tops = ext.map_chunks(factor, m, rows, lambda: np.empty((q, rows)))
    R = tops[0] if len(tops) == 1 else stacked_r(tops)
    shift = np.append(shift_x, shift_y) if fit_intercept else np.zeros(d + 1)
    weight = ext.expansion(w.reshape(-1, 1))[:, 0]
    return QRPiece(m, shift, R, X.min(axis=0), X.max(axis=0), fit_intercept, weight)


def stacked_r(factors: Sequence[Array]) -> Array:
    """R of the rows of all ``factors`` stacked: one more Householder QR."""
    stacked = np.asfortranarray(np.vstack(factors))
    qr, _ = geqrf(stacked, geqrf_lwork(*stacked.shape))
    return np.triu(qr[: min(stacked.shape)])


def merge_qr(pieces: Sequence[QRPiece]) -> QRPiece:
    """One :class:`QRPiece` of the rows of all ``pieces`` (a TSQR step).

    Every factor is moved to the mean ``m`` of the union, which changes its first
    row only: ``R(m)[0, j] = R(s)[0, j] - R(s)[0, 0] (m - s)_j`` (see the module
    docstring); the stacked factors are then factored again. Without intercept the
    factors are stacked as they are.
    """
    if len(pieces) == 1:
        return pieces[0]
    first = pieces[0]
    n = sum(p.n for p in pieces)
    shift = first.shift.copy()
    weighted = any(p.weight is not None for p in pieces)
    if weighted:
        # Unweighted pieces count as rows of weight 1.
        parts = [np.array([float(p.n)]) if p.weight is None else p.weight for p in pieces]
        weight: Array | None = ext.expansion(np.concatenate(parts).reshape(-1, 1))[:, 0]
        if first.fit_intercept:
            mass = [p.mass for p in pieces]
            total = math.fsum(mass)
            if total > 0.0:
                shift = (
                    first.shift
                    + sum(
                        (a * (p.shift - first.shift) for a, p in zip(mass, pieces, strict=True)),
                        np.zeros_like(first.shift),
                    )
                    / total
                )
    elif first.fit_intercept:
        # The union's mean, as base + weighted offsets: exact for a constant column.
        shift = first.shift + sum(p.n * (p.shift - first.shift) for p in pieces) / n
    if not weighted:
        weight = None
    moved = []
    for p in pieces:
        R = p.R.copy()
        if p.fit_intercept and R.shape[0]:
            R[0, 1:] -= R[0, 0] * (shift - p.shift)
        moved.append(R)
    return QRPiece(
        n,
        shift,
        stacked_r(moved),
        np.min([p.low for p in pieces], axis=0),
        np.max([p.high for p in pieces], axis=0),
        first.fit_intercept,
        weight,
    )


class QRTree:
    """Merges :class:`QRPiece` s pairwise as they come, like a binary counter.

    Slot ``k`` holds the factor of ``2**k`` pieces or nothing; adding a piece merges
    it up through the occupied slots. ``K`` pieces leave at most ``log2 K + 1``
    factors in memory, and each row goes through ``log2 K`` Householder steps
    (a sequential merge would take ``K``).
    """

    def __init__(self) -> None:
        self._slots: list[QRPiece | None] = []

    def add(self, piece: QRPiece) -> None:
        for level, held in enumerate(self._slots):
            if held is None:
                self._slots[level] = piece
                return
            piece = merge_qr([held, piece])
            self._slots[level] = None
        self._slots.append(piece)

    def result(self) -> QRPiece:
        """The factor of every piece added (oldest rows first)."""
        held = [p for p in reversed(self._slots) if p is not None]
        if not held:
            raise LinregError("no rows to fit")
        return merge_qr(held)
