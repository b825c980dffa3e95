"""What a fitted estimator says about itself: inference, its summary, prediction intervals.

:class:`AssessmentMixin` gives :class:`~linreg.estimator.LinearRegression` its
``inference``, ``summary`` and ``predict_interval``. It reads the fitted state the
estimator stored (``coef_``, ``intercept_``, ``lstsq_``, the training data kept by
reference) and leaves the statistics to :mod:`linreg.stats.inference`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.errors import LinregError
from linreg.problem import check_sample_weight
from linreg.validation import check_X, check_y

if TYPE_CHECKING:
    from linreg.stats.inference import Inference, PredictionInterval

__all__ = ["AssessmentMixin"]

Array = NDArray[np.float64]


class AssessmentMixin:
    """``inference``, ``summary`` and ``predict_interval`` of a fitted linear model.

    The class using it sets the fitted attributes below and ``_check_fitted``.
    """

    solver: str
    alpha: float
    fit_intercept: bool
    coef_: Array
    intercept_: float
    n_iter_: int
    n_features_in_: int
    _X_fit: Array
    _y_fit: Array

    def _check_fitted(self) -> None:  # pragma: no cover - the estimator's own
        raise NotImplementedError

    def _design_matrix(self, X: Any) -> Any:  # pragma: no cover - the estimator's own
        raise NotImplementedError

    def _penalized(self) -> bool:
        return float(getattr(self, "alpha", 0.0) or 0.0) != 0.0

    def _assessed_data(
        self, X: ArrayLike | None, y: ArrayLike | None, sample_weight: ArrayLike | None
    ) -> tuple[Array, Array, Array | None]:
        """The data to assess the fit on: the training data by default, else (X, y, w) checked."""
        if (X is None) != (y is None):
            raise LinregError("give both X and y, or neither")
        if X is None:
            if sample_weight is not None:
                raise LinregError("give sample_weight with X and y (the training weights are kept)")
            if not hasattr(self, "_X_fit"):
                raise LinregError(
                    "this model keeps no training data (it was loaded from a file, or "
                    "trained on a stream or a cluster); pass X and y to inference()"
                )
            return self._X_fit, self._y_fit, getattr(self, "_w_fit", None)
        names = getattr(self, "feature_names_in_", None)
        X_arr, _ = check_X(
            self._design_matrix(X),
            n_features=self.n_features_in_,
            feature_names=None if names is None else list(names),
        )
        y_arr = check_y(y, X_arr.shape[0])
        return X_arr, y_arr, check_sample_weight(sample_weight, X_arr.shape[0])

    def inference(
        self,
        X: ArrayLike | None = None,
        y: ArrayLike | None = None,
        *,
        sample_weight: ArrayLike | None = None,
    ) -> Inference:
        """Standard errors, t and p values, R^2, F, AIC/BIC... of the fitted parameters.

        With row weights (the training weights, or ``sample_weight`` given with
        ``X`` and ``y``) the table is weighted least squares', as statsmodels'
        ``WLS(y, add_constant(X), weights=w)`` computes it (rows of weight zero are
        left out: :func:`linreg.stats.inference.wls_inference`).

        Parameters
        ----------
        X, y : array-like, optional
            The data to assess the fit on; by default the training data (kept by
            reference since ``fit``), with the training weights. A model loaded
            from a file needs them.
        sample_weight : array-like of shape (N,), optional
            Row weights of ``X`` and ``y``; None weighs them equally.

        Returns
        -------
        Inference
            For iterative solvers, computed at the solution reached, with its
            distance from the least-squares optimum (``optimum_distance``).

        Raises
        ------
        LinregError
            A penalized fit (``alpha > 0``): least-squares standard errors do not
            apply to it (:meth:`summary` prints its coefficients alone).
        """
        from linreg.stats.inference import ols_inference, penalized_error, wls_inference

        self._check_fitted()
        if self._penalized():
            raise penalized_error("inference", self.alpha)
        X_arr, y_arr, w = self._assessed_data(X, y, sample_weight)
        names = getattr(self, "feature_names_in_", None)
        method = {
            "exact": "least squares (exact)",
            "gd": f"gradient descent, {self.n_iter_} epochs",
            "sgd": f"mini-batch SGD, {self.n_iter_} epochs",
        }[self.solver]
        label = None if names is None else [str(n) for n in names]
        if w is not None:
            return wls_inference(
                X_arr,
                y_arr,
                self.coef_,
                self.intercept_,
                w,
                fit_intercept=bool(self.fit_intercept),
                names=label,
                method="WLS (exact)" if self.solver == "exact" else f"WLS, {method}",
                iterative=self.solver != "exact",
            )
        return ols_inference(
            X_arr,
            y_arr,
            self.coef_,
            self.intercept_,
            fit_intercept=bool(self.fit_intercept),
            names=label,
            method=method,
            iterative=self.solver != "exact",
            # The exact fit's solution of its training data (passed again or not): no
            # need to solve again, nor to sum the squared residuals.
            solution=getattr(self, "lstsq_", None)
            if self._is_training_data(X_arr, y_arr)
            else None,
        )

    def _is_training_data(self, X: Array, y: Array) -> bool:
        """Whether ``X`` and ``y`` are the very arrays ``fit`` was given (kept by reference)."""
        return X is getattr(self, "_X_fit", None) and y is getattr(self, "_y_fit", None)

    def summary(
        self,
        X: ArrayLike | None = None,
        y: ArrayLike | None = None,
        *,
        sample_weight: ArrayLike | None = None,
    ) -> str:
        """The inference table as text, in the layout of statsmodels' OLS summary.

        A penalized fit (``alpha > 0``) gets its coefficients alone, with a note
        that least-squares standard errors do not apply to it
        (:func:`linreg.stats.inference.penalized_summary`).
        """
        if self._penalized():
            from linreg.stats.inference import penalized_summary

            self._check_fitted()
            names = getattr(self, "feature_names_in_", None)
            return penalized_summary(
                self.coef_,
                self.intercept_,
                float(self.alpha),
                fit_intercept=bool(self.fit_intercept),
                names=None if names is None else [str(n) for n in names],
                method=f"ridge ({self.solver})",
            )
        return self.inference(X, y, sample_weight=sample_weight).summary()

    def predict_interval(self, X: ArrayLike, alpha: float = 0.05) -> PredictionInterval:
        """Predictions of new rows with confidence and prediction intervals (1 - alpha).

        Computed from the training data (and weights); refused for a penalized fit,
        whose intervals least squares does not give.
        """
        names = getattr(self, "feature_names_in_", None)
        self._check_fitted()
        if self._penalized():
            from linreg.stats.inference import penalized_error

            raise penalized_error("predict_interval", self.alpha)
        X_arr, _ = check_X(
            self._design_matrix(X),
            n_features=self.n_features_in_,
            feature_names=None if names is None else list(names),
        )
        return self.inference().predict_interval(X_arr, alpha)
