"""The problem every solver minimises, written out once: weighted least squares plus a penalty.

With row weights ``w`` (shape (N,), ``w_i >= 0``, not all zero), a penalty
``alpha >= 0`` on the weights (never on the intercept) and its L1 share
``l1_ratio = rho`` in [0, 1], the objective of ``y ~ X W + b`` is

.. math::

    L(W, b) = \\frac{1}{\\sum_i w_i} \\sum_i w_i (x_i W + b - y_i)^2
        + \\alpha \\left[ (1 - \\rho) \\lVert W \\rVert^2 + 2 \\rho \\lVert W \\rVert_1 \\right] ,

in the units of the mean squared error: with ``w = 1`` and ``alpha = 0`` it *is* the
MSE; ``rho = 0`` is ridge, ``rho = 1`` the lasso, in between the elastic net. The L1
term has no gradient where a weight is 0: solvers handle it by soft-thresholding
(:mod:`linreg.solvers.elastic_net`, :func:`linreg.model.soft_threshold`) and minimise
the rest, the *smooth part* ``f = data term + alpha (1 - rho) |W|^2``, with its
gradient (:func:`smooth_gradient`). ``W`` is optimal exactly when, for every feature,
``df/dW_j = -2 alpha rho sign(W_j)`` where ``W_j != 0`` and
``|df/dW_j| <= 2 alpha rho`` where ``W_j = 0`` (the KKT conditions).

The smooth part's gradient, with ``r = X W + b - y`` (shape (N,)) and ``S = sum(w)``
(``alpha`` standing for ``alpha (1 - rho)`` when ``rho > 0``):

.. math::

    \\frac{\\partial L}{\\partial W} = \\frac{2}{S} X^T (w \\odot r) + 2 \\alpha W, \\qquad
    \\frac{\\partial L}{\\partial b} = \\frac{2}{S} w^T r ,

and its Hessian in ``theta = (W, b)``, the same everywhere (a quadratic), is
``H = (2/S) [X 1]^T diag(w) [X 1] + 2 alpha diag(1, ..., 1, 0)``; the largest stable
learning rate of gradient descent is ``2 / lambda_max(H)``.

The minimiser is the solution of the normal equations
``(X_c^T diag(w) X_c + alpha S I) W = X_c^T diag(w) y`` (``X_c`` centred by the weighted
means; ``b = ybar_w - xbar_w W``). So the same model is, in other tools:

- scikit-learn ``Ridge(alpha=alpha * sum(w)).fit(X, y, sample_weight=w)``;
- scikit-learn ``ElasticNet(alpha=alpha, l1_ratio=0).fit(X, y, sample_weight=w)``
  (which rescales the weights to sum to N; the minimiser is unchanged);
- statsmodels ``WLS(y, add_constant(X), weights=w)`` when ``alpha = 0``.

With ``rho > 0`` (scikit-learn's objective ``1/(2n) |y - X w|^2 + a rho |w|_1 +
a (1 - rho)/2 |w|^2`` is half of this one with ``a = alpha``), the same minimiser is
scikit-learn's ``ElasticNet(alpha=alpha, l1_ratio=rho)``, ``Lasso(alpha=alpha)`` at
``rho = 1``, with the same ``sample_weight``.

Scaling every weight by the same ``c > 0`` changes nothing, and an integer weight ``k``
is the same as the row repeated ``k`` times.

**Standardized penalty.** With ``standardize=True`` the penalty falls on the
coefficients of the standardized features, ``V = W * s``, where ``s_j`` is the
(weighted, ddof 0) standard deviation of feature j, 1 for a constant column
(:func:`penalty_scale`); ``standardize=False`` keeps ``s = 1``. The objective is then

.. math::

    L(W, b) = \\frac{1}{\\sum_i w_i} \\sum_i w_i (x_i W + b - y_i)^2
        + \\alpha \\left[ (1 - \\rho) \\sum_j s_j^2 W_j^2
        + 2 \\rho \\sum_j s_j \\lvert W_j \\rvert \\right] ,

glmnet's ``standardize=TRUE`` and scikit-learn's
``make_pipeline(StandardScaler(), Ridge(alpha=alpha * N))`` (or ``ElasticNet``), with
W reported in the original units (``W = coef / s``). A feature measured in
millimetres is then penalized as the same feature in metres. Without an intercept the
features are scaled, not centred, but ``s`` is still the deviation about the mean.
With ``alpha = 0`` the flag changes nothing: least squares does not depend on units.
Every formula above holds with ``alpha`` read as the per-feature ``alpha s_j^2`` (its
L1 part ``alpha rho s_j``): the Hessian's ridge ``2 alpha diag(s^2)``, the normal
equations' ``alpha S diag(s^2)``.

Functions here validate the three at the boundary (:func:`check_sample_weight`,
:func:`check_alpha`, :func:`check_l1_ratio`) and state the objective and its gradient
plainly (:func:`objective`, :func:`gradient`, :func:`smooth_gradient`), the reference
the solvers are tested against, with the standardized penalty's scales
(:func:`penalty_scale`, :func:`ridge_penalty`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.errors import LinregError
from linreg.validation import constant_columns

__all__ = [
    "check_alpha",
    "check_l1_ratio",
    "check_ridge",
    "check_sample_weight",
    "gradient",
    "mean_one_weights",
    "objective",
    "penalty_scale",
    "ridge_penalty",
    "smooth_gradient",
]

Array = NDArray[np.float64]


def check_alpha(alpha: object) -> float:
    """``alpha`` as a float, or a :class:`LinregError` naming the bad value.

    The penalty must be a finite real number ``>= 0``.
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise LinregError(f"alpha must be a number >= 0, got {alpha!r}")
    value = float(alpha)
    if not math.isfinite(value) or value < 0:
        raise LinregError(f"alpha must be a finite number >= 0, got {alpha!r}")
    return value


def check_ridge(alpha: float | Array, n_features: int) -> float | Array:
    """A ridge penalty: one ``alpha`` (:func:`check_alpha`) or one per feature.

    A vector (shape (d,), as the standardized penalty's ``alpha s^2``) must hold
    finite numbers ``>= 0``; otherwise a :class:`LinregError` names the first bad one.
    """
    if np.ndim(alpha) == 0:
        return check_alpha(alpha)
    values = np.asarray(alpha, dtype=np.float64)
    if values.shape != (n_features,):
        raise LinregError(
            f"a per-feature alpha must have shape ({n_features},), got {values.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        j = int(bad[0])
        raise LinregError(f"alpha[{j}] is {float(values[j])!r}: penalties must be finite and >= 0")
    return values


def check_l1_ratio(l1_ratio: object) -> float:
    """``l1_ratio`` as a float in [0, 1], or a :class:`LinregError` naming the bad value.

    0 is ridge, 1 the lasso, in between the elastic net.
    """
    if isinstance(l1_ratio, bool) or not isinstance(
        l1_ratio, (int, float, np.integer, np.floating)
    ):
        raise LinregError(f"l1_ratio must be a number in [0, 1], got {l1_ratio!r}")
    value = float(l1_ratio)
    if not (0.0 <= value <= 1.0):  # NaN fails too
        raise LinregError(f"l1_ratio must be in [0, 1] (0 ridge, 1 lasso), got {l1_ratio!r}")
    return value


def check_sample_weight(sample_weight: ArrayLike | None, n_samples: int) -> Array | None:
    """The row weights as a float64 vector of shape (N,), or None for equal weights.

    Raises a :class:`LinregError` naming the first bad value: a weight that is
    negative, NaN or infinite, a vector of the wrong length or shape, or weights that
    are all zero (which leave nothing to fit).
    """
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise LinregError(f"sample_weight must be numbers: {exc}") from None
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.ndim != 1:
        raise LinregError(f"sample_weight must be one-dimensional, got shape {w.shape}")
    if w.shape[0] != n_samples:
        raise LinregError(
            f"sample_weight has {w.shape[0]} values but the data have {n_samples} rows"
        )
    # Two reductions decide (a NaN makes the minimum NaN); the first bad value is
    # looked for only when there is one.
    low, high = (float(np.min(w)), float(np.max(w))) if w.size else (0.0, 0.0)
    if not (low >= 0.0 and high < math.inf):
        i = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        raise LinregError(f"sample_weight[{i}] is {w[i]!r}: weights must be finite numbers >= 0")
    if not high > 0.0:
        raise LinregError("sample_weight is all zero: at least one row needs a weight > 0")
    return w


def mean_one_weights(sample_weight: Array | None, n_samples: int) -> Array | None:
    """The weights scaled to mean 1, ``w N / sum(w)``, or None for equal weights.

    With them ``(1/N) sum_i w~_i r_i^2`` is the objective's data term, so a mini-batch
    mean of ``w~_i r_i^2`` is an unbiased estimate of it (what SGD needs).
    """
    if sample_weight is None:
        return None
    return sample_weight * (n_samples / math.fsum(sample_weight))


def objective(
    X: Array,
    y: Array,
    W: Array,
    b: float,
    sample_weight: Array | None = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    scale: Array | None = None,
) -> float:
    """``L(W, b)``: the weighted MSE plus ``alpha ((1 - rho) |s W|^2 + 2 rho |s W|_1)``.

    Shapes: X (N, d), y (N,), W (d,), sample_weight (N,) or None, ``scale`` (d,) the
    penalty scale ``s`` of :func:`penalty_scale` (None: ones); ``rho = l1_ratio``.
    """
    r = X @ W + b - y
    if sample_weight is None:
        data = float(np.mean(r**2))
    else:
        data = float(np.sum(sample_weight * r**2) / np.sum(sample_weight))
    V = W if scale is None else W * scale
    penalty = (1.0 - l1_ratio) * float(V @ V) + 2.0 * l1_ratio * float(np.sum(np.abs(V)))
    return data + alpha * penalty


def gradient(
    X: Array,
    y: Array,
    W: Array,
    b: float,
    sample_weight: Array | None = None,
    alpha: float = 0.0,
    scale: Array | None = None,
) -> tuple[Array, float]:
    """``(dL/dW, dL/db)``: ``(2/S) X^T (w r) + 2 alpha s^2 W``, ``(2/S) 1^T w r``.

    ``scale`` is the penalty scale ``s`` (d,) of :func:`penalty_scale`; None: ones.
    """
    r = X @ W + b - y
    if sample_weight is None:
        wr, S = r, float(len(y))
    else:
        wr, S = sample_weight * r, float(np.sum(sample_weight))
    ridge = alpha * W if scale is None else alpha * scale**2 * W
    return (2.0 / S) * (X.T @ wr) + 2.0 * ridge, (2.0 / S) * float(np.sum(wr))


def smooth_gradient(
    X: Array,
    y: Array,
    W: Array,
    b: float,
    sample_weight: Array | None = None,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    scale: Array | None = None,
) -> tuple[Array, float]:
    """The gradient of the smooth part ``f``: ``(2/S) X^T (w r) + 2 alpha (1 - rho) s^2 W``.

    With ``rho = 0`` it is :func:`gradient`, the whole objective's; the L1 term
    ``2 alpha rho |W|_1`` is left to soft-thresholding.
    """
    return gradient(X, y, W, b, sample_weight, alpha * (1.0 - l1_ratio), scale)


def penalty_scale(X: Array, sample_weight: Array | None = None, *, standardize: bool) -> Array:
    """The per-feature penalty scale ``s`` (d,): the penalty falls on ``V = W * s``.

    With ``standardize``, ``s_j`` is the standard deviation of column j (ddof 0,
    about its mean; with ``sample_weight`` the weighted mean and deviation,
    ``s_j^2 = sum_i v_i (x_ij - xbar_j)^2`` with ``v = w / sum(w)``), the scale gradient
    descent trains in; a constant column gets 1 (its deviation is 0, or rounding
    noise; rows of weight 0 do not count). Without ``standardize``, ones: the penalty
    is on W itself.
    Columns beyond about 1e154 are scaled down first, so that squares cannot overflow.
    """
    d = X.shape[1]
    if not standardize or X.shape[0] == 0:
        return np.ones(d)
    v = None if sample_weight is None else sample_weight / math.fsum(sample_weight)

    def deviations(Z: Array) -> Array:
        if v is None:
            return np.asarray(Z.std(axis=0), dtype=np.float64)
        return np.asarray(np.sqrt(v @ (Z - v @ Z) ** 2), dtype=np.float64)

    with np.errstate(over="ignore", invalid="ignore"):
        scale = deviations(X)
    wild = ~np.isfinite(scale)
    if np.any(wild):  # squares beyond 1e308: the columns divided by their largest |x|
        top = np.max(np.abs(X[:, wild]), axis=0)
        scale[wild] = deviations(X[:, wild] / top) * top
    rows = X if sample_weight is None else X[sample_weight > 0]  # the rows that count
    scale[~(scale > 0.0)] = 1.0
    scale[constant_columns(rows)] = 1.0
    return np.asarray(scale, dtype=np.float64)


def ridge_penalty(
    alpha: float, X: Array, sample_weight: Array | None = None, *, standardize: bool
) -> float | Array:
    """The ridge penalty on W itself: ``alpha``, or with ``standardize`` one per feature.

    ``alpha |s W|^2 = sum_j (alpha s_j^2) W_j^2``: the vector ``alpha s^2`` (d,) with
    ``s`` of :func:`penalty_scale`, for code that penalizes W in the original units
    (the exact ridge solve, a loss landscape). ``alpha`` itself without ``standardize``
    or when it is 0.
    """
    if not standardize or alpha == 0.0:
        return alpha
    return alpha * penalty_scale(X, sample_weight, standardize=True) ** 2
