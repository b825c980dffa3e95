"""Choosing the penalty alpha by cross-validation: ``LinearRegressionCV``.

For each alpha of a grid, cross-validation estimates the error on unseen data; the
best alpha is then refitted on all the rows. For ridge (``l1_ratio=0``) there is a
shortcut with no refit at all: a penalized least-squares fit is a *linear smoother*,
``y_hat = H y``, and the leave-one-out residual of row i is exactly

.. math:: e_i = \\frac{y_i - \\hat y_i}{1 - H_{ii}},

so one SVD of the centred design ``X_c = U S V^T`` (shape (N, d)) gives every alpha's
N leave-one-out errors at once (:func:`ridge_loo`): with the intercept unpenalized,

.. math:: H = \\frac{1}{N} 1 1^T + U \\, \\mathrm{diag}\\Big(\\frac{s_j^2}{s_j^2 +
          \\lambda}\\Big) U^T .

Units: linreg's objective on m rows is ``(1/m) sum r^2 + alpha |W|^2``, i.e. the sum of
squares plus ``lambda = m alpha`` times ``|W|^2``. A leave-one-out fit has m = N - 1
rows, so the shortcut uses ``lambda = (N - 1) alpha``: its errors are exactly those
of ``LinearRegression(alpha=alpha)`` refitted on the N - 1 other rows. (scikit-learn's
``RidgeCV`` keeps its ``alpha`` fixed in sum-of-squares units, so its ``alpha_`` is
``(N - 1)`` times ours given the grid ``(N - 1) * alphas``.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.base import ParamsMixin
from linreg.errors import LinregError, NotFittedError
from linreg.estimator import LinearRegression
from linreg.model_selection.scoring import (
    Scoring,
    check_scoring,
    greater_is_better,
    score_predictions,
)
from linreg.model_selection.splits import KFold
from linreg.model_selection.validate import clone, validation_curve
from linreg.problem import check_alpha
from linreg.validation import check_X_y

__all__ = ["ALPHAS", "LinearRegressionCV", "ridge_loo"]

Array = NDArray[np.float64]

#: The default grid of alphas, in the MSE's units.
ALPHAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)

#: A leverage H_ii this close to 1 means row i fixes its own fit: no leave-one-out error.
_LEVERAGE_ONE = 1e-10


def ridge_loo(X: Array, y: Array, alphas: Array, *, fit_intercept: bool = True) -> Array:
    """Exact leave-one-out residuals of ridge regression for every alpha, from one SVD.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    alphas : ndarray of shape (m,)
        Penalties in linreg's units (``(1/n) sum r^2 + alpha |W|^2`` on the n = N - 1
        rows of each fit), each >= 0.
    fit_intercept : bool, default=True
        An unpenalized intercept (the design is centred first).

    Returns
    -------
    ndarray of shape (m, N)
        ``e[k, i] = y_i - y_hat_(-i)`` for ``alphas[k]``: row i's residual under the
        fit to the other rows. ``inf`` where row i alone fixes its fit (``H_ii = 1``,
        e.g. alpha = 0 with no more rows than parameters).
    """
    N = X.shape[0]
    if fit_intercept:
        Xc, yc, base = X - X.mean(axis=0), y - y.mean(), 1.0 / N
    else:
        Xc, yc, base = X, y, 0.0
    U, s, _ = np.linalg.svd(Xc, full_matrices=False)
    keep = s > s[0] * max(Xc.shape) * np.finfo(np.float64).eps if s.size else s > 0
    U, s2 = U[:, keep], s[keep] ** 2
    lam = (N - 1) * np.asarray(alphas, dtype=np.float64)[:, None]  # (m, 1)
    shrink = s2 / (s2 + lam)  # (m, r): each direction's share of the fit
    Uty = U.T @ yc  # (r,)
    fitted = (shrink * Uty) @ U.T  # (m, N), around the mean
    leverage = base + shrink @ (U**2).T  # (m, N): H_ii
    residual = yc - fitted
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = residual / (1.0 - leverage)
    return np.where(leverage >= 1.0 - _LEVERAGE_ONE, np.inf, loo)


class LinearRegressionCV(ParamsMixin):
    """``LinearRegression`` with its penalty alpha chosen by cross-validation.

    Parameters
    ----------
    alphas : sequence of float, default=(1e-4, 1e-3, 1e-2, 1e-1, 1, 10)
        The grid of penalties (each >= 0), in the MSE's units of
        :class:`~linreg.LinearRegression`'s ``alpha``.
    l1_ratio : float, default=0.0
        The L1 share of the penalty (elastic net), passed on to the estimator; 0 is
        ridge. Only an estimator with an ``l1_ratio`` parameter accepts another value.
    cv : int, KFold or None, default=None
        None: exact leave-one-out by the ridge formula (:func:`ridge_loo`, no refits),
        for ``l1_ratio=0`` and an estimator with ``standardize=False``; otherwise 5
        folds. (With ``standardize=True`` the penalty's units are the estimator's
        business, so its own fits are cross-validated.) A number k or a
        :class:`KFold`: k-fold cross-validation of the estimator itself
        (:func:`~linreg.model_selection.validation_curve` over ``alpha``).
    scoring : {"mse", "r2"} or callable, default="mse"
        What chooses: the lowest cross-validated MSE, or the highest R^2 (a callable,
        ``f(estimator, X, y)``, needs k folds).
    seed : int, default=0
        Seed of the folds' shuffle when ``cv`` is a number.
    estimator : LinearRegression, optional
        Whose other hyperparameters (solver, standardize, epochs, ...) every fit
        uses; default ``LinearRegression(solver="exact")``. The leave-one-out formula
        is that of the exact minimiser, whatever the solver; the final refit uses it.

    Attributes
    ----------
    alpha_ : float
        The chosen alpha.
    best_score_ : float
        Its cross-validated score (MSE, lower is better; or R^2 / the callable's).
    scores_ : ndarray of shape (m,)
        The cross-validated score of every alpha of the grid.
    best_estimator_ : LinearRegression
        Refitted on all the rows with ``alpha_``.
    coef_ : ndarray of shape (d,)
    intercept_ : float

    Examples
    --------
    >>> from linreg import make_regression
    >>> data = make_regression(n_samples=50, n_features=3, seed=1)
    >>> LinearRegressionCV(alphas=[0.01, 0.1, 1.0]).fit(data.X, data.y).alpha_
    0.01
    """

    def __init__(
        self,
        alphas: Sequence[float] = ALPHAS,
        *,
        l1_ratio: float = 0.0,
        cv: int | KFold | None = None,
        scoring: Scoring = "mse",
        seed: int = 0,
        estimator: LinearRegression | None = None,
    ) -> None:
        self.alphas = alphas
        self.l1_ratio = l1_ratio
        self.cv = cv
        self.scoring = scoring
        self.seed = seed
        self.estimator = estimator

    def _base(self) -> LinearRegression:
        base = LinearRegression(solver="exact") if self.estimator is None else self.estimator
        if not isinstance(base, LinearRegression):
            raise LinregError(f"estimator must be a LinearRegression, got {type(base).__name__}")
        if self.l1_ratio != 0.0:
            if "l1_ratio" not in base.get_params():
                raise LinregError(
                    f"l1_ratio={self.l1_ratio!r} needs LinearRegression's elastic net "
                    "(an l1_ratio parameter), which this version lacks; use l1_ratio=0"
                )
            return clone(base, l1_ratio=self.l1_ratio)
        return clone(base)

    def fit(
        self, X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None
    ) -> LinearRegressionCV:
        """Score every alpha by cross-validation, keep the best, refit on all rows.

        Raises
        ------
        LinregError
            An empty or bad grid, a bad ``cv`` or ``scoring``, ``sample_weight`` with
            the leave-one-out formula (give ``cv=k``), or no alpha with a finite score.
        """
        alphas = np.array([check_alpha(a) for a in np.asarray(self.alphas).reshape(-1)])
        if alphas.size == 0:
            raise LinregError("alphas is empty; give at least one penalty to try")
        scoring = check_scoring(self.scoring)
        base = self._base()
        loo = self.cv is None and self.l1_ratio == 0.0 and not base.standardize
        if loo:
            if callable(scoring):
                raise LinregError("a scoring function needs k folds: give cv=5 (or another k)")
            if sample_weight is not None:
                raise LinregError(
                    "the leave-one-out formula is for unweighted rows; "
                    "with sample_weight give cv=5 (or another k)"
                )
            X_arr, y_arr, _ = check_X_y(X, y, fit_intercept=bool(base.fit_intercept))
            errors = ridge_loo(X_arr, y_arr, alphas, fit_intercept=bool(base.fit_intercept))
            scores = np.array([score_predictions(y_arr, y_arr - e, str(scoring)) for e in errors])
        else:
            curve = validation_curve(
                base,
                X,
                y,
                "alpha",
                alphas.tolist(),
                cv=5 if self.cv is None else self.cv,
                scoring=scoring,
                seed=self.seed,
                sample_weight=sample_weight,
            )
            scores = curve.test_scores.mean(axis=1)
        finite = np.isfinite(scores)
        if not finite.any():
            raise LinregError(
                "no alpha of the grid has a finite cross-validated score "
                "(alpha = 0 with no more rows than parameters?); try larger alphas"
            )
        ranked = np.where(finite, scores, np.nan)
        best = int(np.nanargmax(ranked) if greater_is_better(scoring) else np.nanargmin(ranked))
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(scores[best])
        self.scores_ = scores
        model = clone(base, alpha=self.alpha_)
        if sample_weight is None:
            model.fit(X, y)
        else:
            model.fit(X, y, sample_weight=sample_weight)
        self.best_estimator_ = model
        self.coef_ = model.coef_
        self.intercept_ = model.intercept_
        self.n_features_in_ = model.n_features_in_
        return self

    def _fitted(self) -> LinearRegression:
        if not hasattr(self, "best_estimator_"):
            raise NotFittedError("this LinearRegressionCV is not fitted yet; call fit(X, y) first")
        model: LinearRegression = self.best_estimator_
        return model

    def predict(self, X: ArrayLike) -> Array:
        """Predictions of the refitted model, shape (N,)."""
        return self._fitted().predict(X)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """R^2 of the refitted model on (X, y)."""
        return self._fitted().score(X, y)
