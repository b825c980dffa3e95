"""Householder QR of a tall, narrow ``Z`` by row blocks (a one-level TSQR), ``Q`` kept.

With ``Z`` cut into row blocks ``Z_i`` (each of at least ``p`` rows),

.. math::

    Z_i = Q_i \\begin{bmatrix} R_i \\\\ 0 \\end{bmatrix}, \\qquad
    \\begin{bmatrix} R_1 \\\\ \\vdots \\\\ R_B \\end{bmatrix}
    = Q_0 \\begin{bmatrix} R \\\\ 0 \\end{bmatrix},

so ``Z = Q [R; 0]`` with ``Q = diag(Q_i) Q_0`` (``Q_0`` acting on the blocks' first
``p`` coordinates): one ``dgeqrf`` per block while it sits in cache, on a thread per
core, and a small one of the stacked ``R_i``. One big ``dgeqrf`` of a narrow ``Z``
instead reads all of it once per column (its panel is the whole matrix): 1,000,000 x 7
took 16 ms that way and 8 ms by blocks on two cores. ``Q^T v`` and ``Q v`` are block
``dormqr`` calls and one on the stacked part, each block in cache.

The coordinates of ``Q^T v``: first the ``B p`` of ``Q_0^T`` applied to the blocks'
leading parts (its first ``p`` are ``Q_1^T v`` of the thin factor ``Z = Q_1 R``), then
each block's trailing ``m_i - p``. :meth:`BlockQR.q` inverts :meth:`BlockQR.qt` in that
layout; norms and the first ``p`` entries, all the refinement uses, are those of any
orthogonal ``Q``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import lapack

from linreg.solvers.extended import map_chunks

__all__ = ["MAX_COLUMNS", "BlockQR", "apply_q", "block_rows", "householder"]

Array = NDArray[np.float64]

#: The widest ``Z`` factored by blocks (wider ones are compute-bound: one ``dgeqrf``).
MAX_COLUMNS: Final = 64
#: Bytes of a block: about half the 1 MiB L2 cache per core, for ``dgeqrf``'s sweeps.
BLOCK_BYTES: Final = 1 << 19
#: Fewest blocks worth the split (below, one ``dgeqrf`` costs as much).
MIN_BLOCKS: Final = 4
#: ``dormqr`` workspace for one right-hand side: ``NB_MAX + (NB_MAX + 1) * NB_MAX``.
_ORMQR_LWORK: Final = 64 + 65 * 64


def block_rows(n: int, p: int) -> int:
    """Rows of a block for an ``n x p`` design, or 0 where one ``dgeqrf`` is the better
    route (too wide, or too few blocks)."""
    if not 0 < p <= MAX_COLUMNS:
        return 0
    rows = max(BLOCK_BYTES // (8 * p), 4 * p)
    return rows if n >= MIN_BLOCKS * rows else 0


def householder(a: Array) -> tuple[Array, Array]:
    """LAPACK ``dgeqrf`` of an F-ordered ``a``, in place: ``(qr, tau)``."""
    lwork = max(1, int(lapack.dgeqrf_lwork(*a.shape)[0])) if a.size else 1
    qr, tau, _, info = lapack.dgeqrf(a, lwork=lwork, overwrite_a=1)
    if info != 0:  # pragma: no cover - LAPACK argument errors only
        raise RuntimeError(f"dgeqrf failed with info={info}")
    return qr, tau


def apply_q(qr: Array, tau: Array, c: Array, trans: str) -> Array:
    """``Q^T c`` (``trans="T"``) or ``Q c`` (``"N"``) with ``Q`` from :func:`householder`."""
    reflectors = tau.shape[0]
    if reflectors == 0:
        return np.array(c, dtype=np.float64)
    cc = np.array(c, dtype=np.float64, order="F").reshape(-1, 1)
    out, _, info = lapack.dormqr(
        "L", trans, qr[:, :reflectors], tau, cc, lwork=_ORMQR_LWORK, overwrite_c=1
    )
    if info != 0:  # pragma: no cover
        raise RuntimeError(f"dormqr failed with info={info}")
    return np.asarray(out[:, 0])


class BlockQR:
    """``Z = Q [R; 0]`` by row blocks (see the module docstring).

    Parameters
    ----------
    n, p : int
        The shape of ``Z`` (``n >= p``).
    rows : int
        Rows of a block (:func:`block_rows`); the last block takes what is left
        (between ``rows`` and ``2 rows`` rows).
    fill : callable
        ``fill(s, out)`` writes rows ``s:s + m`` of ``Z`` into ``out`` of shape
        (p, m), transposed (each block is F-ordered, its transpose C-ordered).

    Attributes
    ----------
    R : ndarray of shape (p, p)
        Upper triangular.
    """

    def __init__(self, n: int, p: int, rows: int, fill: Callable[[int, Array], None]) -> None:
        self.n, self.p = n, p
        count = max(1, n // rows)
        self.starts = [i * rows for i in range(count)] + [n]  # the last block takes the rest
        self.heads = count * p

        def factor(i: int, _: None) -> tuple[Array, Array]:
            s, e = self.starts[i], self.starts[i + 1]
            block = np.empty((e - s, p), order="F")
            fill(s, block.T)
            return householder(block)

        self.blocks = map_chunks(factor, count, 1, lambda: None)
        stacked = np.vstack([np.triu(qr[:p]) for qr, _ in self.blocks])
        self.top = householder(np.asfortranarray(stacked))
        self.R = np.triu(self.top[0][:p])
        tails = np.array([e - s - p for s, e in zip(self.starts, self.starts[1:], strict=False)])
        self.tail_starts = self.heads + np.concatenate([[0], np.cumsum(tails)])

    def qt(self, v: Array) -> Array:
        """``Q^T v`` for an ``n``-vector (first ``p`` entries: ``Q_1^T v``)."""
        p, heads = self.p, self.heads

        def block(i: int, _: None) -> Array:
            qr, tau = self.blocks[i]
            return apply_q(qr, tau, v[self.starts[i] : self.starts[i + 1]], "T")

        parts = map_chunks(block, len(self.blocks), 1, lambda: None)
        out = np.empty(self.n)
        out[:heads] = apply_q(*self.top, np.concatenate([u[:p] for u in parts]), "T")
        for i, u in enumerate(parts):
            out[self.tail_starts[i] : self.tail_starts[i + 1]] = u[p:]
        return out

    def q(self, v: Array) -> Array:
        """``Q v``, the inverse of :meth:`qt`."""
        p = self.p
        lead = apply_q(*self.top, v[: self.heads], "N")
        out = np.empty(self.n)

        def block(i: int, _: None) -> None:
            qr, tau = self.blocks[i]
            u = np.concatenate(
                [lead[i * p : (i + 1) * p], v[self.tail_starts[i] : self.tail_starts[i + 1]]]
            )
            out[self.starts[i] : self.starts[i + 1]] = apply_q(qr, tau, u, "N")

        map_chunks(block, len(self.blocks), 1, lambda: None)
        return out
