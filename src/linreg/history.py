"""What a training run records: the loss and the parameters of every epoch.

Entry k belongs to the parameters after k epochs (W_0, b_0 are the starting
point), so a run of n epochs has n + 1 entries and ``loss[0]`` is the loss of the
untrained model. Mini-batch SGD with ``tol`` may stop within an epoch
(:class:`linreg.training.Plateau`); its last entry is then where it stopped, and
counts as that epoch. Parameters are always stored in the units of the original
features, even when training ran on standardized ones.

A history is bounded (:class:`Recorder`): a run keeps every epoch up to
``history_limit(d) // 2`` (50,000 with :data:`HISTORY_MAX` = 100,000 entries and
d <= 40), then a log-spaced subsample of the later epochs, never more than
``history_limit(d)`` entries in all; the last epoch is always kept. A thinned
history says so: ``History.epoch`` holds the epoch of each entry (None when every
epoch is there), and a model file stores it as ``history.epoch``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["HISTORY_MAX", "HISTORY_MAX_VALUES", "History", "Recorder", "history_limit"]

Array = NDArray[np.float64]

#: The most entries a history keeps (see :class:`Recorder`).
HISTORY_MAX: Final = 100_000

#: The most numbers its W holds, entries x features (32 MB): wide models keep fewer
#: entries, at least 1,000 (see :func:`history_limit`).
HISTORY_MAX_VALUES: Final = 4_000_000


def history_limit(n_features: int) -> int:
    """The most entries a history of ``n_features`` weights keeps.

    ``min(HISTORY_MAX, max(1000, HISTORY_MAX_VALUES // n_features))``: 100,000 up
    to 40 features, fewer for wider models, so that W stays within about 32 MB.
    """
    return min(HISTORY_MAX, max(1000, HISTORY_MAX_VALUES // max(n_features, 1)))


@dataclass(frozen=True)
class History:
    """Per-epoch record of a training run.

    Attributes
    ----------
    loss : ndarray of shape (n_entries,)
        Training loss at the parameters of each entry. A loss that overflowed
        float64 (an exact fit of data beyond about 1e154) is ``inf``.
    W : ndarray of shape (n_entries, d)
        Weights of each entry; ``W[0]`` is the starting point.
    b : ndarray of shape (n_entries,)
        Bias of each entry.
    val_loss : ndarray of shape (n_entries,) or None
        Validation MSE at the same parameters, when validation data were given.
    epoch : ndarray of int64 of shape (n_entries,) or None
        The epoch of each entry, when the history was thinned (a run longer than
        :func:`history_limit` entries); None when entry k is epoch k.
    """

    loss: Array
    W: Array
    b: Array
    val_loss: Array | None = None
    epoch: NDArray[np.int64] | None = None

    @property
    def epochs(self) -> NDArray[np.int64]:
        """The epoch of every entry: 0..n, or the kept epochs of a thinned history."""
        if self.epoch is not None:
            return self.epoch
        return np.arange(self.loss.shape[0])

    @property
    def n_epochs(self) -> int:
        """Number of epochs run (the last entry's epoch)."""
        if self.epoch is not None and self.epoch.size:
            return int(self.epoch[-1])
        return int(self.loss.shape[0]) - 1

    @property
    def thinned(self) -> bool:
        """Whether some epochs were left out (see :class:`Recorder`)."""
        return self.epoch is not None

    @property
    def final_loss(self) -> float:
        return float(self.loss[-1])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; floats keep every digit (Python writes them exactly).

        A loss that overflowed (``inf``) is written ``null``, as JSON has no
        infinity; ``epoch`` is written only for a thinned history.
        """
        out: dict[str, Any] = {
            "loss": _losses_out(self.loss),
            "W": self.W.tolist(),
            "b": self.b.tolist(),
        }
        if self.val_loss is not None:
            out["val_loss"] = _losses_out(self.val_loss)
        if self.epoch is not None:
            out["epoch"] = self.epoch.tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on inconsistent entries.

        ``null`` losses are read as ``inf``; any other number must be finite.
        ``epoch``, when present, must be whole numbers from 0, strictly increasing,
        one per entry.
        """
        if not isinstance(data, dict) or not {"loss", "W", "b"} <= data.keys():
            raise ValueError("history: must be an object with loss, W and b")
        loss = _losses_in(data["loss"])
        W = _floats(data["W"], "W")
        b = _floats(data["b"], "b")
        val = data.get("val_loss")
        val_loss = None if val is None else _losses_in(val)
        n = loss.shape[0]
        if loss.ndim != 1 or W.ndim != 2 or W.shape[0] != n or b.shape != (n,):
            raise ValueError("history: loss, W and b must have one entry per epoch")
        if val_loss is not None and val_loss.shape != (n,):
            raise ValueError("history: val_loss must have one entry per epoch")
        epoch = None
        raw = data.get("epoch")
        if raw is not None:
            if not isinstance(raw, list) or not all(
                isinstance(e, int) and not isinstance(e, bool) and 0 <= e < 2**63 for e in raw
            ):
                raise ValueError("history: epoch must list whole numbers >= 0")
            epoch = np.asarray(raw, dtype=np.int64).reshape(-1)
            if epoch.shape != (n,) or (n and epoch[0] != 0) or np.any(np.diff(epoch) <= 0):
                raise ValueError("history: epoch must start at 0 and increase, one entry per epoch")
        return cls(loss=loss, W=W, b=b, val_loss=val_loss, epoch=epoch)


def _losses_out(values: Array) -> list[float | None]:
    """Losses for JSON: an overflowed one (``inf``) as None; a NaN stays NaN (refused on save)."""
    return [None if v == math.inf else float(v) for v in values.tolist()]


def _losses_in(values: Any) -> Array:
    """Losses from JSON: None (an overflowed loss) as inf."""
    if not isinstance(values, list):
        raise ValueError("history: loss must be a list")
    losses = _floats([0.0 if v is None else v for v in values], "loss")
    losses[[v is None for v in values]] = np.inf
    return losses


def _floats(values: Any, what: str) -> Array:
    """``values`` as float64, a ``ValueError`` naming ``what`` for anything else."""
    message = f"history: {what} must hold finite numbers within float64's range"
    try:
        array = np.asarray(values, dtype=np.float64)
    except (OverflowError, TypeError, ValueError):
        raise ValueError(message) from None
    if not np.all(np.isfinite(array)):  # 1e400 in a file reads as inf
        raise ValueError(message)
    return array


class Recorder:
    """A growing history in preallocated arrays, thinned past :func:`history_limit`.

    Entries go into arrays that double when full (no list of arrays). Every epoch
    below ``limit // 2`` is kept; later ones on a log-spaced grid, epoch k kept
    when it reaches the next grid point ``ceil(k_last * ratio)``, ratio starting
    at ``1 + 2 / limit``. When the arrays hold ``limit`` entries, every other
    entry of the log-spaced part is dropped and the ratio squared (the kept ones
    are again log-spaced), so the history never exceeds ``limit`` entries
    however many epochs run (a long run keeps between 3/4 and all of it). The newest entry
    is always kept, replaced by the next unless it is on the grid, so the last
    entry is where training stopped.

    Parameters
    ----------
    n_features : int
    validation : bool
        Whether a validation loss is recorded.
    limit : int, optional
        The most entries; :func:`history_limit` of ``n_features`` by default.
    """

    def __init__(self, n_features: int, validation: bool, limit: int | None = None) -> None:
        self.limit = history_limit(n_features) if limit is None else int(limit)
        if self.limit < 4:
            raise ValueError("a history keeps at least 4 entries")
        self._dense = self.limit // 2
        self._ratio = 1.0 + 2.0 / self.limit
        self._next = self._dense  # the next epoch on the log-spaced grid
        self._validation = validation
        self._n = 0
        self._provisional = False  # the newest entry is off the grid
        self._thinned = False
        size = min(1024, self.limit)
        self._loss = np.empty(size)
        self._W = np.empty((size, n_features))
        self._b = np.empty(size)
        self._val = np.empty(size)
        self._epoch = np.empty(size, dtype=np.int64)

    def add(self, epoch: int, loss: float, W: Array, b: float, val_loss: float = 0.0) -> None:
        """Record one epoch (epochs come in increasing order)."""
        if self._provisional:
            self._n -= 1  # the previous newest entry was off the grid: replace it
            self._thinned = True
        if self._n == self._loss.shape[0]:
            self._grow()
        i = self._n
        self._loss[i], self._W[i], self._b[i] = loss, W, b
        self._val[i], self._epoch[i] = val_loss, epoch
        self._n += 1
        on_grid = epoch < self._dense or epoch >= self._next
        if on_grid and epoch >= self._dense:
            self._next = max(epoch + 1, math.ceil(epoch * self._ratio))
        self._provisional = not on_grid
        if self._n == self.limit and not self._provisional:
            self._thin()

    def _grow(self) -> None:
        size = min(2 * self._loss.shape[0], self.limit)
        for name in ("_loss", "_W", "_b", "_val", "_epoch"):
            old = getattr(self, name)
            new = np.empty((size, *old.shape[1:]), dtype=old.dtype)
            new[: self._n] = old[: self._n]
            setattr(self, name, new)

    def _thin(self) -> None:
        """Drop every other log-spaced entry (the newest kept) and square the ratio."""
        keep = np.r_[np.arange(self._dense), np.arange(self._n - 1, self._dense - 1, -2)[::-1]]
        for name in ("_loss", "_W", "_b", "_val", "_epoch"):
            array = getattr(self, name)
            array[: keep.shape[0]] = array[keep]
        self._n = keep.shape[0]
        self._ratio *= self._ratio
        last = int(self._epoch[self._n - 1])
        self._next = max(last + 1, math.ceil(last * self._ratio))
        self._thinned = True

    def history(self) -> History:
        """The entries so far, as a :class:`History` (copies)."""
        n = self._n
        return History(
            loss=self._loss[:n].copy(),
            W=self._W[:n].copy(),
            b=self._b[:n].copy(),
            val_loss=self._val[:n].copy() if self._validation else None,
            epoch=self._epoch[:n].copy() if self._thinned else None,
        )

    @property
    def last(self) -> tuple[Array, float] | None:
        """The newest entry's (W, b), or None before the first."""
        if self._n == 0:
            return None
        return self._W[self._n - 1].copy(), float(self._b[self._n - 1])
