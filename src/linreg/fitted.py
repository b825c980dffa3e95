"""What a fit found, as plain values: the estimator stores it, in one place.

Solvers that run outside the estimator (:mod:`linreg.out_of_memory`, over the
passes of a file or a Dask collection) return a :class:`Fitted`; the estimator
turns it into its fitted attributes (``coef_``, ``intercept_``, ``history_``, ...)
itself, so no other module sets them. :class:`StreamFit` is a streamed fit with
what the command line reports of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from linreg.history import History
from linreg.stability import Stability

if TYPE_CHECKING:
    from linreg.estimator import LinearRegression
    from linreg.solvers.lstsq import LstsqResult
    from linreg.stats.pieces import InferencePieces

__all__ = ["Fitted", "Optimum", "StreamFit"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Optimum:
    """The exact minimiser of the objective, as gradient descent's fit found it.

    ``coef`` (d,), ``intercept`` and ``loss``, the objective
    ``L = (1/S) sum_i w_i r_i^2 + alpha |W|^2`` there (:mod:`linreg.problem`).
    """

    coef: Array
    intercept: float
    loss: float

    def fitted(self) -> Fitted:
        """This solution as a closed-form :class:`Fitted` (no iterations, one history entry)."""
        coef = np.asarray(self.coef, dtype=np.float64)
        history = History(
            loss=np.array([self.loss]), W=coef[None, :].copy(), b=np.array([self.intercept])
        )
        return Fitted(coef, float(self.intercept), history, 0, 0, "closed_form")


@dataclass(frozen=True)
class Fitted:
    """The result of one fit, in the units of the original features.

    Attributes
    ----------
    coef : ndarray of shape (d,)
    intercept : float
    history : History
        The objective (weighted MSE plus penalty) and parameters of every epoch.
    n_iter : int
        Epochs, or refinement steps of ``"exact"``.
    n_steps : int or None
        Parameter updates (0 for ``"exact"``).
    stop_reason : str
        ``"max_epochs"``, ``"converged"``, ``"early_stopping"`` or ``"closed_form"``.
    stability : Stability or None
        eta_max and the condition number of the weighted, penalized Hessian (GD).
    lstsq : LstsqResult or None
        The exact solver's factorisation, for inference (``"exact"`` only).
    optimum : Optimum or None
        The exact minimiser where an out-of-core fit is iterative; None otherwise.
    n_samples : int or None
        Rows read (out-of-core fits).
    passes : int or None
        Passes over the data (out-of-core fits).
    feature_names : list of str or None
        The features' names (out-of-core fits).
    dual_gap : float or None
        The duality gap of an exact elastic-net fit (``l1_ratio > 0``); None otherwise.
    learning_rate : float or None
        The step size gradient descent took (``learning_rate="auto"`` resolved).
    inference : InferencePieces or None
        The O(p^2) sums nonrobust inference needs, for fits that keep no data
        (unweighted, unpenalized out-of-core fits); None otherwise.
    best_epoch : int or None
        The epoch whose parameters early stopping kept; None without it.
    """

    coef: Array
    intercept: float
    history: History
    n_iter: int
    n_steps: int | None
    stop_reason: str
    stability: Stability | None = None
    lstsq: LstsqResult | None = None
    optimum: Optimum | None = None
    n_samples: int | None = None
    passes: int | None = None
    feature_names: list[str] | None = None
    dual_gap: float | None = None
    learning_rate: float | None = None
    inference: InferencePieces | None = None
    best_epoch: int | None = None


@dataclass(frozen=True)
class StreamFit:
    """A streamed (or distributed) fit and what the command line reports of it.

    Attributes
    ----------
    model : LinearRegression
        The fitted estimator.
    optimum : LinearRegression
        The exact least-squares fit: ``model`` itself for ``"exact"``; for
        ``"gd"``/``"sgd"`` the solution of the moments' normal equations (by
        Cholesky of the Jacobi-scaled matrix, the anchor of the quadratic), with
        its loss.
    n_samples : int
    passes : int
        Passes over the data.
    feature_names : list of str
    target_name : str
    sample : (ndarray (k, d), ndarray (k,)) or None
        A uniform sample of rows, for figures, when asked for.
    """

    model: LinearRegression
    optimum: LinearRegression
    n_samples: int
    passes: int
    feature_names: list[str]
    target_name: str
    sample: tuple[Array, Array] | None = None
