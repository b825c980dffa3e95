"""The regularization path: the lasso or elastic net's weights along a grid of alpha.

With ``rho = l1_ratio > 0``, every weight is 0 from

.. math::

    \\alpha_{max} = \\frac{1}{\\rho}
        \\max_j \\left| \\sum_i v_i (x_{ij} - \\bar x_j)(y_i - \\bar y) \\right|

on (``v`` the weights scaled to sum 1; :func:`linreg.solvers.elastic_net.alpha_max`):
there the gradient of the data term at W = 0 is inside the L1 term's reach. Below it
weights leave zero one after another. :func:`regularization_path` solves the problem
of :mod:`linreg.problem` exactly (coordinate descent to a duality gap at rounding
level) on a log grid from ``alpha_max`` down to ``eps * alpha_max``, each solve started
from the previous alpha's weights (a warm start: neighbouring solutions are close, so
each takes a few sweeps). The alphas are in this package's units, which are
scikit-learn's: the path equals its ``enet_path`` / ``lasso_path`` of the centred data
(which have no intercept of their own), alpha for alpha.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.errors import LinregError
from linreg.problem import check_l1_ratio, check_sample_weight
from linreg.solvers.elastic_net import alpha_max, elastic_net
from linreg.validation import check_X_y

__all__ = ["RegularizationPath", "regularization_path"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class RegularizationPath:
    """Solutions along a grid of alpha, largest alpha first.

    Attributes
    ----------
    alphas : ndarray of shape (k,)
        Decreasing.
    coefs : ndarray of shape (k, d)
        ``coefs[i]`` is W at ``alphas[i]``, exact zeros included.
    intercepts : ndarray of shape (k,)
    dual_gaps : ndarray of shape (k,)
        Each solution's duality gap, in the objective's units.
    l1_ratio : float
    feature_names : list of str or None
        The columns of a DataFrame ``X``.
    """

    alphas: Array
    coefs: Array
    intercepts: Array
    dual_gaps: Array
    l1_ratio: float
    feature_names: list[str] | None = None

    @property
    def n_nonzero(self) -> NDArray[np.int_]:
        """Nonzero weights at each alpha, shape (k,)."""
        return np.count_nonzero(self.coefs, axis=1)

    def as_dict(self) -> dict[str, object]:
        """Plain lists for JSON: alphas, coefs, intercepts, dual_gaps, l1_ratio, names."""
        return {
            "l1_ratio": self.l1_ratio,
            "alphas": self.alphas.tolist(),
            "coefs": self.coefs.tolist(),
            "intercepts": self.intercepts.tolist(),
            "dual_gaps": self.dual_gaps.tolist(),
            "feature_names": self.feature_names,
        }


def _grid(alphas: ArrayLike | None, top: float, n_alphas: int, eps: float) -> Array:
    """The alphas: those given, largest first, or ``n_alphas`` from ``top`` to ``eps top``."""
    if alphas is not None:
        grid = np.asarray(alphas, dtype=np.float64).ravel()
        if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
            raise LinregError("alphas must be a non-empty list of finite numbers >= 0")
        return np.sort(grid)[::-1]
    if isinstance(n_alphas, bool) or not isinstance(n_alphas, (int, np.integer)) or n_alphas < 1:
        raise LinregError(f"n_alphas must be a whole number >= 1, got {n_alphas!r}")
    if not (isinstance(eps, (int, float)) and 0.0 < eps < 1.0):
        raise LinregError(f"eps must be a number in (0, 1), got {eps!r}")
    if top == 0.0:  # y is constant (or X is): every alpha gives W = 0
        return np.zeros(int(n_alphas))
    return np.geomspace(top, top * eps, int(n_alphas))


def regularization_path(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l1_ratio: float = 1.0,
    alphas: ArrayLike | None = None,
    n_alphas: int = 100,
    eps: float = 1e-3,
    sample_weight: ArrayLike | None = None,
    fit_intercept: bool = True,
) -> RegularizationPath:
    """The exact lasso / elastic-net solutions along a grid of alpha, with warm starts.

    Parameters
    ----------
    X : array-like of shape (N, d) or DataFrame
    y : array-like of shape (N,)
    l1_ratio : float, default=1.0
        rho in [0, 1]; 1 is the lasso. The default grid needs ``rho > 0``.
    alphas : array-like of shape (k,), optional
        The penalties to solve at (sorted largest first); default a log grid.
    n_alphas : int, default=100
        Points of the default grid.
    eps : float, default=1e-3
        The default grid ends at ``eps * alpha_max``.
    sample_weight : array-like of shape (N,), optional
    fit_intercept : bool, default=True

    Returns
    -------
    RegularizationPath

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [3.0, 0.0]])
    >>> path = regularization_path(X, X @ [2.0, 0.5], n_alphas=5)
    >>> path.n_nonzero.tolist()
    [0, 1, 2, 2, 2]
    """
    rho = check_l1_ratio(l1_ratio)
    if alphas is None and rho == 0.0:
        raise LinregError(
            "l1_ratio=0 (ridge) sets no weight to zero, so it has no alpha_max to start "
            "the default grid from: give alphas, or an l1_ratio > 0"
        )
    X_arr, y_arr, names = check_X_y(X, y, fit_intercept=bool(fit_intercept))
    w = check_sample_weight(sample_weight, X_arr.shape[0])
    top = 0.0
    if alphas is None:
        top = alpha_max(X_arr, y_arr, l1_ratio=rho, sample_weight=w, fit_intercept=fit_intercept)
    grid = _grid(alphas, top, n_alphas, eps)
    d = X_arr.shape[1]
    coefs, intercepts, gaps = np.zeros((grid.size, d)), np.zeros(grid.size), np.zeros(grid.size)
    start = None
    for i, alpha in enumerate(grid):
        result = elastic_net(
            X_arr,
            y_arr,
            alpha=float(alpha),
            l1_ratio=rho,
            sample_weight=w,
            fit_intercept=bool(fit_intercept),
            coef_init=start,
        )
        coefs[i], intercepts[i], gaps[i] = result.coef, result.intercept, result.dual_gap
        start = result.coef
    return RegularizationPath(
        alphas=grid,
        coefs=coefs,
        intercepts=intercepts,
        dual_gaps=gaps,
        l1_ratio=rho,
        feature_names=names,
    )
