"""The teaching model: linear regression written like its equations.

Symbols, used the same way everywhere in linreg:

- ``X`` : inputs, shape (N, d), one row per sample, one column per feature.
- ``y`` : targets, shape (N,).
- ``W`` : weights, shape (d,); ``b`` : bias, a scalar.
- ``y_pred = X W + b`` : predictions, shape (N,).
- ``L = mean((y_pred - y)^2)`` : the mean squared error (no 1/2 factor).
- ``w`` : optional row weights of mean one, shape (N,), and ``alpha`` an optional
  penalty: then ``L = mean(w (y_pred - y)^2) + alpha |W|^2``, the objective of
  :mod:`linreg.problem` (weights ``w_i N / sum(w)`` make its ``1 / sum(w)`` a mean).
- ``t`` : an optional L1 penalty ``sum_j t_j |W_j|`` (the lasso's, ``t = 2 alpha rho``):
  it has no gradient at 0, so gradient descent steps on the rest and then applies
  its *proximal* step, soft-thresholding (:func:`soft_threshold`, :meth:`LinearModel.prox`).

Each method below is one step of gradient descent and reads like its formula:
``forward`` -> ``loss`` -> ``backward`` -> ``step``, and with an L1 penalty ``prox``
(proximal gradient descent, ISTA). Validation happens at the
boundary (:class:`linreg.LinearRegression`); the math here stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Gradients", "LinearModel", "soft_threshold"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Gradients:
    """The gradient of the loss: ``dW`` of shape (d,) and ``db``, a scalar."""

    dW: Array
    db: float

    @property
    def norm(self) -> float:
        """Euclidean norm of the whole gradient, sqrt(|dW|^2 + db^2)."""
        return float(np.sqrt(self.dW @ self.dW + self.db**2))


class LinearModel:
    """A linear model y_pred = X W + b, trained by hand.

    Parameters
    ----------
    n_features : int
        Number of input features d.
    init : {"zeros", "random"}, default="zeros"
        ``"zeros"`` starts at W = 0, b = 0 (the textbook start). ``"random"``
        draws W and b from a standard normal with ``seed``.
    seed : int, default=0
        Seed of the ``np.random.Generator`` used by ``init="random"``.
    fit_intercept : bool, default=True
        When False, b stays 0 and its gradient is not used.

    Attributes
    ----------
    W : ndarray of shape (d,)
    b : float

    Examples
    --------
    >>> import numpy as np
    >>> model = LinearModel(n_features=1)
    >>> X, y = np.array([[1.0], [2.0]]), np.array([3.0, 5.0])
    >>> y_pred = model.forward(X)
    >>> float(model.loss(y_pred, y))
    17.0
    >>> grads = model.backward(X, y, y_pred)
    >>> model.step(grads, learning_rate=0.1)
    >>> model
    LinearModel(W=[1.3], b=0.8)
    """

    def __init__(
        self,
        n_features: int,
        *,
        init: str = "zeros",
        seed: int = 0,
        fit_intercept: bool = True,
    ) -> None:
        if init == "zeros":
            self.W: Array = np.zeros(n_features)
            self.b: float = 0.0
        elif init == "random":
            rng = np.random.default_rng(seed)
            self.W = rng.standard_normal(n_features)
            self.b = float(rng.standard_normal()) if fit_intercept else 0.0
        else:
            raise ValueError(f"init must be 'zeros' or 'random', got {init!r}")
        self.fit_intercept = fit_intercept

    def forward(self, X: Array) -> Array:
        """Predictions y_pred = X W + b.

        Parameters
        ----------
        X : ndarray of shape (N, d)

        Returns
        -------
        y_pred : ndarray of shape (N,)
        """
        return X @ self.W + self.b

    def loss(
        self,
        y_pred: Array,
        y: Array,
        *,
        sample_weight: Array | None = None,
        alpha: float | Array = 0.0,
        l1: float | Array = 0.0,
    ) -> float:
        """Mean squared error L = (1/N) sum_i (y_pred_i - y_i)^2.

        With row weights of mean one ``w`` and a penalty ``alpha``, the objective
        L = (1/N) sum_i w_i (y_pred_i - y_i)^2 + sum_j alpha_j W_j^2.

        Parameters
        ----------
        y_pred, y : ndarray of shape (N,)
            Both must have the same shape: (N,) against (N, 1) would broadcast
            to an (N, N) matrix and give a silently wrong loss.
        sample_weight : ndarray of shape (N,), optional
            Weights of mean one (:func:`linreg.problem.mean_one_weights`).
        alpha : float or ndarray of shape (d,), default=0.0
            The penalty on W: one for all weights, or one each (standardized
            training penalizes ``V = W s`` by ``alpha / s^2``).
        l1 : float or ndarray of shape (d,), default=0.0
            The L1 penalty ``sum_j l1_j |W_j|`` (standardized: ``l1 / s``).
        """
        if y_pred.shape != y.shape:
            raise ValueError(f"y_pred has shape {y_pred.shape} but y has shape {y.shape}")
        residual = y_pred - y
        if sample_weight is None:
            L = float(np.mean(residual**2))
        else:
            L = float(np.mean(sample_weight * residual**2))
        if _penalized(alpha):
            L += float(np.sum(alpha * self.W**2))
        if _penalized(l1):
            L += float(np.sum(l1 * np.abs(self.W)))
        return L

    def backward(
        self,
        X: Array,
        y: Array,
        y_pred: Array,
        *,
        sample_weight: Array | None = None,
        alpha: float | Array = 0.0,
    ) -> Gradients:
        """Gradients of the MSE with respect to W and b.

        Notes
        -----
        With the residual r = y_pred - y,

        .. math::

            \\frac{\\partial L}{\\partial W} = \\frac{2}{N} X^\\top r, \\qquad
            \\frac{\\partial L}{\\partial b} = \\frac{2}{N} \\sum_i r_i ;

        with weights of mean one and a penalty (see :meth:`loss`), ``r`` becomes
        ``w r`` in both and ``dL/dW`` gains ``2 alpha W``.

        Returns
        -------
        Gradients
            ``dW`` of shape (d,) and ``db`` (0 when ``fit_intercept`` is False).
        """
        N = X.shape[0]
        residual = y_pred - y
        if sample_weight is not None:
            residual = sample_weight * residual
        dW = (2.0 / N) * (X.T @ residual)
        if _penalized(alpha):
            dW += 2.0 * alpha * self.W
        db = (2.0 / N) * float(np.sum(residual)) if self.fit_intercept else 0.0
        return Gradients(dW=dW, db=db)

    def step(self, grads: Gradients, learning_rate: float) -> None:
        """One gradient-descent update: W <- W - lr dW, b <- b - lr db."""
        self.W = self.W - learning_rate * grads.dW
        self.b = self.b - learning_rate * grads.db

    def prox(self, learning_rate: float, threshold: float | Array) -> None:
        """The proximal step of the L1 penalty ``sum_j t_j |W_j|``: W <- S(W, lr t).

        After :meth:`step` on the smooth part, this is proximal gradient descent
        (ISTA): every weight moves ``lr t_j`` towards 0 and stops there, an exact 0,
        if it would cross it. The bias is not penalized.
        """
        self.W = soft_threshold(self.W, learning_rate * threshold)

    def __repr__(self) -> str:
        weights = ", ".join(f"{w:.6g}" for w in self.W)
        return f"LinearModel(W=[{weights}], b={self.b:.6g})"


def soft_threshold(v: Array, t: float | Array) -> Array:
    """Soft-thresholding ``S(v, t) = sign(v) max(|v| - t, 0)``, elementwise.

    The minimiser of ``(1/2)(u - v)^2 + t |u|`` over u: the proximal map of ``t |.|``.
    ``v`` of shape (d,); ``t >= 0`` a scalar or of shape (d,).

    >>> soft_threshold(np.array([3.0, -0.5, -2.0]), 1.0)
    array([ 2.,  0., -1.])
    """
    shrunk = np.sign(v) * np.maximum(np.abs(v) - t, 0.0)
    return np.where(shrunk == 0.0, 0.0, shrunk)  # no negative zeros


def _penalized(alpha: float | Array) -> bool:
    """Whether ``alpha`` penalizes anything (cheap for the float 0 of unpenalized fits)."""
    return bool(np.any(alpha)) if isinstance(alpha, np.ndarray) else alpha != 0.0
