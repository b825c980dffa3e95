"""What a training run records: the loss and the parameters of every epoch.

Entry k belongs to the parameters after k epochs (W_0, b_0 are the starting
point), so a run of n epochs has n + 1 entries and ``loss[0]`` is the loss of the
untrained model. Mini-batch SGD with ``tol`` may stop within an epoch
(:class:`linreg.training.Plateau`); its last entry is then where it stopped, and
counts as that epoch. Parameters are always stored in the units of the original
features, even when training ran on standardized ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["History"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class History:
    """Per-epoch record of a training run.

    Attributes
    ----------
    loss : ndarray of shape (n_epochs + 1,)
        Training MSE at the parameters of each epoch.
    W : ndarray of shape (n_epochs + 1, d)
        Weights of each epoch; ``W[0]`` is the starting point.
    b : ndarray of shape (n_epochs + 1,)
        Bias of each epoch.
    val_loss : ndarray of shape (n_epochs + 1,) or None
        Validation MSE at the same parameters, when validation data were given.
    """

    loss: Array
    W: Array
    b: Array
    val_loss: Array | None = None

    @property
    def epochs(self) -> NDArray[np.int64]:
        """Epoch numbers 0..n, one per entry."""
        return np.arange(self.loss.shape[0])

    @property
    def n_epochs(self) -> int:
        """Number of updates recorded (entries minus one)."""
        return int(self.loss.shape[0]) - 1

    @property
    def final_loss(self) -> float:
        return float(self.loss[-1])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; floats keep every digit (Python writes them exactly)."""
        out: dict[str, Any] = {
            "loss": self.loss.tolist(),
            "W": self.W.tolist(),
            "b": self.b.tolist(),
        }
        if self.val_loss is not None:
            out["val_loss"] = self.val_loss.tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on inconsistent lengths."""
        loss = np.asarray(data["loss"], dtype=np.float64)
        W = np.asarray(data["W"], dtype=np.float64)
        b = np.asarray(data["b"], dtype=np.float64)
        val = data.get("val_loss")
        val_loss = None if val is None else np.asarray(val, dtype=np.float64)
        n = loss.shape[0]
        if loss.ndim != 1 or W.ndim != 2 or W.shape[0] != n or b.shape != (n,):
            raise ValueError("history: loss, W and b must have one entry per epoch")
        if val_loss is not None and val_loss.shape != (n,):
            raise ValueError("history: val_loss must have one entry per epoch")
        return cls(loss=loss, W=W, b=b, val_loss=val_loss)
