"""What a fitted estimator says about itself: inference, its summary, prediction intervals.

:class:`AssessmentMixin` gives :class:`~linreg.estimator.LinearRegression` its
``inference``, ``summary`` and ``predict_interval``. It reads the fitted state the
estimator stored (``coef_``, ``intercept_``, ``lstsq_``, the training data kept by
reference, or for fits that keep no data ``inference_pieces_``) and leaves the
statistics to :mod:`linreg.stats.inference` and :mod:`linreg.stats.pieces`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.errors import LinregError
from linreg.problem import check_sample_weight
from linreg.validation import check_X, check_y

if TYPE_CHECKING:
    from linreg.stats.diagnostics import Diagnostics
    from linreg.stats.inference import Inference, PredictionInterval
    from linreg.stats.pieces import InferencePieces

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
    inference_pieces_: InferencePieces

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
                    "trained on a stream or a cluster) nor the sums its inference needs "
                    "(weighted or penalized, or saved by an older linreg); pass X and y"
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
        cov_type: str = "nonrobust",
        groups: ArrayLike | None = None,
        use_t: bool | None = None,
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
            reference since ``fit``), with the training weights. A model that
            keeps no data (loaded from a file, fitted on a stream or a cluster)
            answers the nonrobust table from the sums it kept
            (:mod:`linreg.stats.pieces`); robust types, and weighted or
            penalized fits, need ``X`` and ``y`` again.
        sample_weight : array-like of shape (N,), optional
            Row weights of ``X`` and ``y``; None weighs them equally.
        cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}
            The covariance of the estimates, statsmodels' names and definitions
            (:mod:`linreg.stats.robust`); weighted fits get the weighted versions.
        groups : array-like of shape (N,), optional
            Cluster labels of the rows, for ``cov_type="cluster"``.
        use_t : bool, optional
            Student's t (True) or the normal distribution (False) for p values and
            intervals; by default t for nonrobust, normal for robust (statsmodels).

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
        result = self._inference(X, y, sample_weight, cov_type, groups, use_t)
        target = getattr(getattr(self, "formula_", None), "target", None)
        if target is None:
            return result
        return dataclasses.replace(result, target_name=str(target))  # a formula's left side

    def _inference(
        self,
        X: ArrayLike | None,
        y: ArrayLike | None,
        sample_weight: ArrayLike | None,
        cov_type: str,
        groups: ArrayLike | None,
        use_t: bool | None,
    ) -> Inference:
        """:meth:`inference`'s table, named by the estimator's features."""
        from linreg.stats.inference import ols_inference, penalized_error, wls_inference

        self._check_fitted()
        if self._penalized():
            raise penalized_error("inference", self.alpha)
        names = getattr(self, "feature_names_in_", None)
        method = {
            "exact": "least squares (exact)",
            "gd": f"gradient descent, {self.n_iter_} epochs",
            "sgd": f"mini-batch SGD, {self.n_iter_} epochs",
        }[self.solver]
        label = None if names is None else [str(n) for n in names]
        pieces = getattr(self, "inference_pieces_", None)
        if X is None and y is None and not hasattr(self, "_X_fit") and pieces is not None:
            return self._inference_from_pieces(cov_type, groups, sample_weight, label, method)
        X_arr, y_arr, w = self._assessed_data(X, y, sample_weight)
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
                cov_type=cov_type,
                groups=groups,
                use_t=use_t,
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
            cov_type=cov_type,
            groups=groups,
            use_t=use_t,
        )

    def _inference_from_pieces(
        self,
        cov_type: str,
        groups: ArrayLike | None,
        sample_weight: ArrayLike | None,
        label: list[str] | None,
        method: str,
    ) -> Inference:
        """Nonrobust inference from ``inference_pieces_``: a model that keeps no rows."""
        from linreg.stats.pieces import pieces_inference
        from linreg.stats.robust import check_cov_type

        if sample_weight is not None:
            raise LinregError("give sample_weight with X and y (the training weights are kept)")
        if check_cov_type(cov_type, groups) != "nonrobust":
            raise LinregError(
                f"cov_type={cov_type!r} needs every residual, so a pass over the data, and "
                "this model keeps only the sums of nonrobust inference (it was loaded from "
                "a file, or trained on a stream or a cluster): pass X and y (and groups)"
            )
        return pieces_inference(
            self.inference_pieces_,
            self.coef_,
            self.intercept_,
            names=label,
            method=method,
            iterative=self.solver != "exact",
        )

    def inference_pieces(self) -> InferencePieces | None:
        """The O(p^2) sums of the training data that nonrobust inference needs, if known.

        What a model file keeps so that :meth:`inference` works after loading
        (:mod:`linreg.stats.pieces`): a streamed fit's own, or those of the training
        data kept since ``fit``. None for weighted or penalized fits, for data with
        no more rows than parameters, and for data whose sums float64 cannot hold
        (near 1e154 and beyond: :meth:`inference` then says so when asked).
        """
        from linreg.stats.pieces import pieces_from_data

        self._check_fitted()
        if self._penalized():
            return None
        pieces: InferencePieces | None = getattr(self, "inference_pieces_", None)
        if pieces is None and hasattr(self, "_X_fit"):
            X, y = self._X_fit, self._y_fit
            if getattr(self, "_w_fit", None) is not None:
                return None
            if X.shape[0] <= X.shape[1] + int(self.fit_intercept):
                return None
            try:
                pieces = pieces_from_data(
                    X,
                    y,
                    fit_intercept=bool(self.fit_intercept),
                    solution=getattr(self, "lstsq_", None),
                )
            except LinregError:  # the statistics overflow float64
                return None
        return pieces if pieces is not None and pieces.is_finite() else None

    def _is_training_data(self, X: Array, y: Array) -> bool:
        """Whether ``X`` and ``y`` are the very arrays ``fit`` was given (kept by reference)."""
        return X is getattr(self, "_X_fit", None) and y is getattr(self, "_y_fit", None)

    def summary(
        self,
        X: ArrayLike | None = None,
        y: ArrayLike | None = None,
        *,
        sample_weight: ArrayLike | None = None,
        cov_type: str = "nonrobust",
        groups: ArrayLike | None = None,
        use_t: bool | None = None,
    ) -> str:
        """The inference table as text, in the layout of statsmodels' OLS summary.

        The arguments are :meth:`inference`'s.

        A penalized fit (``alpha > 0``) gets its coefficients alone, with a note
        that least-squares standard errors do not apply to it
        (:func:`linreg.stats.tables.penalized_summary`).
        """
        if self._penalized():
            from linreg.stats.inference import penalty_name
            from linreg.stats.tables import penalized_summary

            self._check_fitted()
            names = getattr(self, "feature_names_in_", None)
            l1_ratio = float(getattr(self, "l1_ratio", 0.0))
            return penalized_summary(
                self.coef_,
                self.intercept_,
                float(self.alpha),
                fit_intercept=bool(self.fit_intercept),
                names=None if names is None else [str(n) for n in names],
                method=f"{penalty_name(l1_ratio)} ({self.solver})",
                l1_ratio=l1_ratio,
            )
        inf = self.inference(
            X, y, sample_weight=sample_weight, cov_type=cov_type, groups=groups, use_t=use_t
        )
        return inf.summary()

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

    def diagnostics(
        self,
        X: ArrayLike | None = None,
        y: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> Diagnostics:
        """Leverage, influence, VIFs and residual tests (:mod:`linreg.stats.diagnostics`).

        On the training data (and its weights) by default, else on ``X`` and ``y``
        (and ``sample_weight``); memory O(n p). A weighted fit's are those of its
        whitened rows (:mod:`linreg.stats.diagnostics`). Refused for penalized
        (``alpha > 0``) fits, to which the least-squares influence formulas do not apply.
        """
        from linreg.stats.diagnostics import diagnose

        self._check_fitted()
        if self._penalized():
            raise LinregError(
                f"diagnostics are for least-squares fits; this one is penalized "
                f"(alpha={self.alpha:g}): fit with alpha=0"
            )
        if X is None and y is None and not hasattr(self, "_X_fit"):
            raise LinregError(
                "this model keeps no training data (it was loaded from a file, or trained on "
                "a stream or a cluster); pass X and y to diagnostics()"
            )
        X_arr, y_arr, w = self._assessed_data(X, y, sample_weight)
        names = getattr(self, "feature_names_in_", None)
        return diagnose(
            X_arr,
            y_arr,
            self.coef_,
            self.intercept_,
            fit_intercept=bool(self.fit_intercept),
            names=None if names is None else [str(n) for n in names],
            solution=getattr(self, "lstsq_", None)
            if self._is_training_data(X_arr, y_arr) and w is getattr(self, "_w_fit", None)
            else None,
            sample_weight=w,
        )
