"""``LinearRegression``: the estimator users call, with scikit-learn's conventions.

``fit`` validates its input once, then hands pure arrays to one of three solvers:

- ``"gd"``: full-batch gradient descent, the update of :mod:`linreg.model`;
- ``"sgd"``: mini-batch stochastic gradient descent (shuffled from the seed);
- ``"exact"``: closed-form least squares by Householder QR with iterative
  refinement (:mod:`linreg.solvers.lstsq`), never the normal equations.

Fitted attributes end in an underscore: ``coef_`` (d,), ``intercept_``,
``history_``, ``n_iter_``, ``n_steps_``, ``stop_reason_``, ``stability_``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.base import ParamsMixin
from linreg.errors import (
    ConvergenceWarning,
    LinregError,
    NonFiniteDataError,
    NotFittedError,
    StabilityWarning,
)
from linreg.fitted import Fitted, StreamFit
from linreg.history import History
from linreg.metrics import r2
from linreg.model import LinearModel
from linreg.optimality import (
    check_not_underflowing,
    coefficients_overflow_error,
    column_std,
    convergence_message,
    exact_objective,
    optimum_loss,
)
from linreg.problem import check_alpha, check_sample_weight
from linreg.solvers import fast
from linreg.stability import OVERFLOW_MESSAGE, Stability, sample_rows, stability
from linreg.training import EpochCallback, TrainResult, train
from linreg.validation import (
    check_finite,
    check_positive,
    check_X,
    check_X_y,
    check_y,
    constant_columns,
    is_dask_collection,
    require_finite,
)

if TYPE_CHECKING:
    from linreg.sources.passes import Passes
    from linreg.stats.inference import Inference, PredictionInterval

__all__ = ["SOLVERS", "LinearRegression"]

Array = NDArray[np.float64]

SOLVERS = ("gd", "sgd", "exact")


class LinearRegression(ParamsMixin):
    """Linear regression y = X W + b, fitted by gradient descent or exactly.

    Parameters
    ----------
    solver : {"gd", "sgd", "exact"}, default="gd"
        ``"gd"`` full-batch gradient descent; ``"sgd"`` mini-batch SGD;
        ``"exact"`` closed-form least squares (QR with iterative refinement).
    learning_rate : float, default=0.01
        Step size eta of ``"gd"`` and ``"sgd"``.
    epochs : int, default=1000
        Number of passes over the data (``"gd"``: exactly this many updates).
    batch_size : int, default=32
        Rows per update of ``"sgd"``; 1 is classic SGD.
    momentum : float, default=0.0
        Heavy-ball momentum mu in [0, 1): v <- mu v + g, theta <- theta - eta v.
    tol : float or None, default=None
        Stop early when the relative change of the loss between two epochs is
        below ``tol``. ``"sgd"`` also stops within an epoch once the mean loss of
        its batches (each taken before its step) fails twice in a row to improve
        by the fraction ``tol``, over windows of at least 16,384 rows that grow
        with the run (:class:`linreg.training.Plateau`): on large data, well
        before the first epoch ends. None runs all ``epochs``.
    standardize : bool, default=False
        Train on (X - mean) / std and report W and b in the original units.
    fit_intercept : bool, default=True
        Learn the bias b; when False, b = 0.
    init : {"zeros", "random"}, default="zeros"
        Starting point of gradient descent.
    seed : int, default=0
        Seed of the random start and of the SGD shuffles.
    engine : {"auto", "reference", "fast"}, default="auto"
        How ``"gd"`` and ``"sgd"`` run. ``"reference"``: the readable loop of
        :mod:`linreg.training`. ``"fast"``: :mod:`linreg.solvers.fast`, which never copies X
        and gives the same iterates (SGD bit for bit; GD from the data's moments in
        O(d^2) an epoch, equal to rounding, 1e-10 relative after 1,000 epochs).
        ``"auto"``: ``"fast"`` from N * d >= 100,000 on, so that data of teaching
        size run the textbook loop.
    alpha : float, default=0.0
        L2 penalty ``alpha |W|^2`` added to the (weighted) mean squared error, in its
        units; the intercept is not penalized (:mod:`linreg.problem`). The minimiser
        equals scikit-learn's ``Ridge(alpha=alpha * sum(sample_weight))`` and
        ``ElasticNet(alpha=alpha, l1_ratio=0)``.

    Attributes
    ----------
    coef_ : ndarray of shape (d,)
        Learned weights W, in the units of the input features.
    intercept_ : float
        Learned bias b.
    history_ : History
        Loss (and validation loss) and parameters of every epoch.
    n_iter_ : int
        Epochs run, a last one stopped partway by ``tol`` included (for
        ``"exact"``, refinement steps).
    n_steps_ : int or None
        Parameter updates taken: one an epoch for ``"gd"``, one a batch for
        ``"sgd"`` (so ``n_steps_ * batch_size / N`` epochs' worth of rows), 0 for
        ``"exact"``; None for a model loaded from a file that did not record it.
    stop_reason_ : str
        ``"max_epochs"``, ``"converged"`` or ``"closed_form"``.
    stability_ : Stability or None
        eta_max and the condition number of the data trained on (GD solvers;
        for ``"sgd"`` in memory on more than 16,384 rows, estimated from a random
        sample of 16,384 rows: :func:`linreg.stability.sample_rows`).
    weighted_ : bool or None
        Whether the fit weighed its rows (``sample_weight``, a weight column); None
        for a model loaded from a file that did not say.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a pandas DataFrame.

    Notes
    -----
    Gradient descent minimises L(W, b) = (1/N) sum_i (x_i W + b - y_i)^2 by

    .. math:: W \\leftarrow W - \\eta \\frac{2}{N} X^\\top r, \\quad
              b \\leftarrow b - \\eta \\frac{2}{N} \\sum_i r_i, \\quad r = XW + b - y,

    which is stable only for eta < eta_max = 2 / lambda_max((2/N) [X 1]^T [X 1]).

    Examples
    --------
    >>> from linreg import LinearRegression, make_regression
    >>> data = make_regression(n_samples=100, seed=0)
    >>> model = LinearRegression(learning_rate=0.02, epochs=3000).fit(data.X, data.y)
    >>> round(model.coef_[0], 1), round(model.intercept_, 1)
    (3.0, 1.9)
    """

    def __init__(
        self,
        *,
        solver: str = "gd",
        learning_rate: float = 0.01,
        epochs: int = 1000,
        batch_size: int = 32,
        momentum: float = 0.0,
        tol: float | None = None,
        standardize: bool = False,
        fit_intercept: bool = True,
        init: str = "zeros",
        seed: int = 0,
        engine: str = "auto",
        alpha: float = 0.0,
    ) -> None:
        self.solver = solver
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.momentum = momentum
        self.tol = tol
        self.standardize = standardize
        self.fit_intercept = fit_intercept
        self.init = init
        self.seed = seed
        self.engine = engine
        self.alpha = alpha

    # -- fitting ---------------------------------------------------------------------------
    def _validate_params(self) -> None:
        if self.solver not in SOLVERS:
            raise LinregError(f"solver must be one of {', '.join(SOLVERS)}; got {self.solver!r}")
        check_alpha(self.alpha)
        check_positive(self.learning_rate, "learning rate")
        check_positive(self.epochs, "epochs", integer=True)
        check_positive(self.batch_size, "batch size", integer=True)
        if not (isinstance(self.momentum, (int, float)) and 0.0 <= self.momentum < 1.0):
            raise LinregError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if self.tol is not None:
            check_positive(self.tol, "tol")
        if self.init not in ("zeros", "random"):
            raise LinregError(f"init must be 'zeros' or 'random', got {self.init!r}")
        if self.engine not in fast.ENGINES:
            raise LinregError(
                f"engine must be one of {', '.join(fast.ENGINES)}; got {self.engine!r}"
            )
        for flag in ("standardize", "fit_intercept"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise LinregError(f"{flag} must be True or False, got {getattr(self, flag)!r}")

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        X_val: ArrayLike | None = None,
        y_val: ArrayLike | None = None,
        *,
        sample_weight: ArrayLike | None = None,
        on_epoch: EpochCallback | None = None,
    ) -> LinearRegression:
        """Fit the model to training data; returns self.

        Parameters
        ----------
        X : array-like of shape (N, d), list, or pandas DataFrame
            Or a Dask array or DataFrame (``pip install "linreg[dask]"``): fitted by
            :mod:`linreg.sources.distributed` from per-partition summaries, never gathered
            (:meth:`fit_passes`).
        y : array-like of shape (N,)
            A Dask array or Series partitioned like a Dask ``X``.
        X_val, y_val : array-like, optional
            Validation data; its loss is recorded in ``history_.val_loss``.
        sample_weight : array-like of shape (N,), optional
            Row weights ``w_i >= 0`` (not all zero) of the weighted least-squares
            objective (:mod:`linreg.problem`); None weighs every row equally. With a
            Dask ``X``, a Dask array or Series partitioned like ``y``.
        on_epoch : callable, optional
            Called with (epoch, loss) after every epoch, e.g. for a progress bar.

        Raises
        ------
        LinregError
            Bad hyperparameters or data (a ``ValueError``).
        DivergenceError
            Gradient descent diverged; ``.report.history`` keeps what was recorded.
        """
        if is_dask_collection(X) or is_dask_collection(y):
            # Imported only here: the Dask path brings pandas and pyarrow (60 MB).
            from linreg.sources.distributed import fit_dask

            fit_dask(self, X, y, X_val, y_val, sample_weight=sample_weight, on_epoch=on_epoch)
            return self
        self._validate_params()
        # Finiteness is left to the solvers' first pass over the data, which sees a
        # NaN or infinity in its sums (20 ms of 0.2 s at 2,000,000 x 16); see _solve.
        X_arr, y_arr, names = check_X_y(X, y, fit_intercept=bool(self.fit_intercept), finite=False)
        if not (self.solver == "exact" or fast.use_fast_engine(self.engine, *X_arr.shape)):
            check_finite(X_arr, y_arr, names)
        w = check_sample_weight(sample_weight, X_arr.shape[0])
        val: tuple[Array, Array] | None = None
        if (X_val is None) != (y_val is None):
            raise LinregError("give both X_val and y_val, or neither")
        if X_val is not None:
            Xv, _ = check_X(X_val, n_features=X_arr.shape[1])
            val = (Xv, check_y(y_val, Xv.shape[0]))

        before = dict(vars(self))
        try:
            self._solve(X_arr, y_arr, names, val, on_epoch, w)
        except NonFiniteDataError:
            # The fit is refused as a whole: the estimator keeps its earlier state,
            # and the error names the first bad cell.
            vars(self).clear()
            vars(self).update(before)
            check_finite(X_arr, y_arr, names)
            raise
        return self

    def _solve(
        self,
        X: Array,
        y: Array,
        names: list[str] | None,
        val: tuple[Array, Array] | None,
        on_epoch: EpochCallback | None,
        sample_weight: Array | None = None,
    ) -> None:
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        vars(self).pop("lstsq_", None)  # an earlier exact fit's, of other data
        # Kept by reference (no copy) so that inference can revisit the data.
        self._X_fit, self._y_fit, self._w_fit = X, y, sample_weight
        self.weighted_: bool | None = sample_weight is not None

        if self.solver == "exact":
            self._fit_exact(X, y, val, sample_weight)
        else:
            self._fit_gradient(X, y, val, on_epoch, sample_weight)

    def _fit_exact(
        self,
        X: Array,
        y: Array,
        val: tuple[Array, Array] | None,
        sample_weight: Array | None = None,
    ) -> None:
        from linreg.solvers.lstsq import lstsq

        # Data whose solution overflows make NaN inside; refused below by name.
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                result = lstsq(
                    X,
                    y,
                    fit_intercept=bool(self.fit_intercept),
                    sample_weight=sample_weight,
                    alpha=float(self.alpha),
                )
            except OverflowError:  # the refinement's scalings of subnormal data
                raise coefficients_overflow_error(subnormal=True) from None
        self.coef_ = result.coef
        self.intercept_ = float(result.intercept)
        if not (np.all(np.isfinite(self.coef_)) and np.isfinite(self.intercept_)):
            for attribute in ("coef_", "intercept_", "lstsq_", "stability_"):
                vars(self).pop(attribute, None)  # nothing of the fit is kept
            raise coefficients_overflow_error()
        self.lstsq_ = result
        self.stability_: Stability | None = None
        # The objective L of linreg.problem at the solution: weighted MSE + penalty;
        # the refinement's own residual, where it kept one, saves a pass over X.
        loss = exact_objective(
            X,
            y,
            self.coef_,
            self.intercept_,
            sample_weight=sample_weight,
            alpha=float(self.alpha),
            rss=result.residual_sum_of_squares
            if sample_weight is None and self.alpha == 0.0
            else None,
        )
        val_loss = None
        if val is not None:
            with np.errstate(over="ignore"):
                val_loss = np.array([np.mean((val[1] - self._decision(val[0])) ** 2)])
        self.history_ = History(
            loss=np.array([loss]),
            W=self.coef_[None, :].copy(),
            b=np.array([self.intercept_]),
            val_loss=val_loss,
        )
        self.n_iter_ = result.n_refinements
        self.n_steps_: int | None = 0
        self.stop_reason_ = "closed_form"

    def _fit_gradient(
        self,
        X: Array,
        y: Array,
        val: tuple[Array, Array] | None,
        on_epoch: EpochCallback | None,
        sample_weight: Array | None = None,
    ) -> None:
        check_not_underflowing(y)
        d = X.shape[1]
        sgd = self.solver == "sgd"
        alpha = float(self.alpha)
        moments = None
        fast_engine = fast.use_fast_engine(self.engine, *X.shape)
        if fast_engine:
            shape = (X.shape[0], X.shape[1])
            if not sgd or self.standardize or fast.sgd_needs_moments(shape, self.epochs, self.tol):
                # One pass gives the means, scales and Hessian; the fast path then
                # standardizes block by block instead of copying X.
                with np.errstate(over="ignore", invalid="ignore"):
                    moments = fast.Moments.from_data(X, y, sample_weight)
                if not moments.finite:
                    require_finite(X, y)  # a NaN or infinity; else squares that overflow:
                    raise LinregError(OVERFLOW_MESSAGE)
            mean, scale = fast.standardization(
                moments,
                X,
                standardize=bool(self.standardize),
                fit_intercept=bool(self.fit_intercept),
            )
            X_train, X_val = X, None if val is None else val[0]
        elif self.standardize and sample_weight is not None:
            # The weighted means and deviations, the fast engine's own.
            with np.errstate(over="ignore", invalid="ignore"):
                weighted = fast.Moments.from_data(X, y, sample_weight)
            mean, scale = fast.standardization(
                weighted, X, standardize=True, fit_intercept=bool(self.fit_intercept)
            )
            X_train = (X - mean) / scale
            X_val = None if val is None else (val[0] - mean) / scale
        elif self.standardize:
            mean = X.mean(axis=0)
            scale = column_std(X)
            # A constant column's std is zero, or rounding noise when its mean does
            # not round back to its value: dividing by that would blow the noise up.
            scale[scale == 0.0] = 1.0
            scale[constant_columns(X)] = 1.0
            if not self.fit_intercept:
                # Without an intercept, centring would change the model; only scale.
                mean = np.zeros(d)
            X_train = (X - mean) / scale
            X_val = None if val is None else (val[0] - mean) / scale
        else:
            mean, scale = np.zeros(d), np.ones(d)
            X_train, X_val = X, None if val is None else val[0]

        def to_original(W: Array, b: float) -> tuple[Array, float]:
            W_orig = W / scale
            return W_orig, float(b - W_orig @ mean)

        # The penalty alpha |W|^2 of the original units' W is sum((alpha / scale^2) V^2)
        # in the units trained on, V = W scale.
        ridge: float | Array = alpha / scale**2 if alpha else 0.0
        trainer: Callable[..., TrainResult] = partial(train, alpha=ridge)
        if fast_engine:
            trainer = partial(fast.train, center=mean, scale=scale, moments=moments, alpha=alpha)
        on_data = "on this data"
        if sgd:
            # Estimated from a sample of rows, the same on both engines.
            rows = sample_rows(X.shape[0], self.seed)
            if rows is not None:
                on_data = f"on a sample of {len(rows):,} rows of this data"
            sample = X if rows is None else X[rows]
            sample_w = (
                sample_weight if rows is None or sample_weight is None else sample_weight[rows]
            )
            if np.any(mean != 0.0) or np.any(scale != 1.0):
                sample = (sample - mean) / scale
            if sample_w is not None and not np.any(sample_w > 0):
                sample_w = None  # no weighted row in the sample: its rows alike
            try:
                self.stability_ = stability(
                    sample,
                    fit_intercept=bool(self.fit_intercept),
                    sample_weight=sample_w,
                    alpha=ridge,
                )
            except LinregError:
                require_finite(X, y)  # a NaN or infinity; else squares that overflow
                raise
        elif moments is None:
            self.stability_ = stability(
                X_train,
                fit_intercept=bool(self.fit_intercept),
                sample_weight=sample_weight,
                alpha=ridge,
            )
        else:
            self.stability_ = fast.stability_from_moments(
                moments, mean, scale, fit_intercept=bool(self.fit_intercept), alpha=alpha
            )
        eta_max = self.stability_.max_stable_learning_rate
        if self.learning_rate >= eta_max:
            warnings.warn(
                f"learning rate {self.learning_rate:g} is at or above the largest stable rate "
                f"eta_max = {eta_max:.4g} of full-batch gradient descent {on_data}; "
                "expect divergence: lower it, or standardize the features",
                StabilityWarning,
                stacklevel=4,  # _fit_gradient <- _solve <- fit <- the caller
            )
        model = LinearModel(d, init=self.init, seed=self.seed, fit_intercept=self.fit_intercept)
        result = trainer(
            model,
            X_train,
            y,
            solver=self.solver,
            learning_rate=float(self.learning_rate),
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            momentum=float(self.momentum),
            tol=None if self.tol is None else float(self.tol),
            seed=self.seed,
            X_val=X_val,
            y_val=None if val is None else val[1],
            max_stable_learning_rate=eta_max,
            to_original=to_original,
            on_epoch=on_epoch,
            sample_weight=sample_weight,
        )
        self._store_descent(model, result, to_original, stacklevel=5)

    def _store_descent(
        self,
        model: LinearModel,
        result: TrainResult,
        to_original: Callable[[Array, float], tuple[Array, float]],
        stacklevel: int = 4,
    ) -> None:
        """Keep what gradient descent reached (in original units); warn if tol was missed."""
        coef, intercept = to_original(model.W, model.b)
        fitted = Fitted(
            coef=coef,
            intercept=intercept,
            history=result.history,
            n_iter=result.n_iter,
            n_steps=result.n_steps,
            stop_reason=result.stop_reason,
            stability=getattr(self, "stability_", None),
        )
        optimum = result.optimum_loss
        if optimum is None:
            optimum = optimum_loss(
                self._X_fit,
                self._y_fit,
                fit_intercept=bool(self.fit_intercept),
                sample_weight=self._w_fit,
                alpha=float(self.alpha),
            )
        self._store(fitted, stacklevel=stacklevel + 1, optimum=optimum)

    def _store(self, fitted: Fitted, stacklevel: int = 4, optimum: float | None = None) -> None:
        """Take the fitted attributes from ``fitted``: the one place they are set from a result.

        Warns (:class:`~linreg.errors.ConvergenceWarning`, once) when ``tol`` was given
        and gradient descent ran out of epochs before meeting it, or when it ended
        far above the optimum's loss ``optimum`` (or ``fitted.optimum``'s), see
        :mod:`linreg.optimality`.
        """
        self.coef_ = np.asarray(fitted.coef, dtype=np.float64)
        self.intercept_ = float(fitted.intercept)
        self.history_ = fitted.history
        self.n_iter_ = fitted.n_iter
        self.n_steps_ = fitted.n_steps
        self.stop_reason_ = fitted.stop_reason
        self.stability_ = fitted.stability
        if fitted.lstsq is not None:
            self.lstsq_ = fitted.lstsq
        else:
            vars(self).pop("lstsq_", None)
        message = convergence_message(
            fitted,
            tol=self.tol,
            epochs=int(self.epochs),
            learning_rate=float(self.learning_rate),
            optimum=optimum,
        )
        if message is not None:
            warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel)

    def fit_passes(
        self,
        passes: Passes,
        *,
        feature_names: Sequence[str],
        target_name: str = "y",
        set_names: bool = True,
        val: tuple[Array, Array] | None = None,
        on_epoch: EpochCallback | None = None,
    ) -> StreamFit:
        """Fit from passes over data this process never holds whole; returns the fit's report.

        The record batches of a file (:func:`linreg.out_of_memory.fit_file`,
        :func:`~linreg.out_of_memory.fit_source`) or the partitions of a Dask
        collection (:func:`linreg.sources.distributed.fit_dask`) come as a
        :class:`~linreg.sources.passes.Passes`, with the rows' weights if any; the
        solver (:func:`linreg.out_of_memory.solve_passes`) minimises the same
        objective as :meth:`fit`, penalized by ``alpha``. The fitted attributes are
        set as by ``fit`` (``feature_names_in_`` when ``set_names``), but no data are
        kept: :meth:`inference` then needs ``X`` and ``y``.

        Parameters
        ----------
        passes : Passes
        feature_names : sequence of str
        target_name : str, default="y"
        set_names : bool, default=True
            Set ``feature_names_in_`` (as a fit on a DataFrame does).
        val : (ndarray (k, d), ndarray (k,)), optional
            Validation data, in memory; their loss is recorded every epoch.
        on_epoch : callable, optional
            Called with (epoch, loss) after every epoch.

        Returns
        -------
        StreamFit
            ``model`` is this estimator; ``optimum`` the exact minimiser (this
            estimator for ``"exact"``), rows read and passes taken.
        """
        from linreg.out_of_memory import solve_passes

        self._validate_params()
        names = [str(n) for n in feature_names]
        fitted = solve_passes(self, passes, feature_names=names, val=val, on_epoch=on_epoch)
        self.n_features_in_ = len(names)
        if set_names:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        else:
            vars(self).pop("feature_names_in_", None)
        for attribute in ("_X_fit", "_y_fit", "_w_fit"):  # nothing to revisit
            vars(self).pop(attribute, None)
        self.weighted_ = bool(passes.weighted)
        self._store(fitted, stacklevel=5)  # _store <- fit_passes <- fit_source <- fit_file
        optimum = self
        if fitted.optimum is not None:  # gradient descent's: a closed-form model of its own
            optimum = type(self)(solver="exact", fit_intercept=self.fit_intercept, alpha=self.alpha)
            optimum.n_features_in_, optimum.weighted_ = len(names), self.weighted_
            optimum._store(fitted.optimum.fitted())
        return StreamFit(
            model=self,
            optimum=optimum,
            n_samples=int(fitted.n_samples or 0),
            passes=int(fitted.passes or 0),
            feature_names=names,
            target_name=target_name,
        )

    # -- using a fitted model --------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, y) first"
            )

    def _decision(self, X: Array) -> Array:
        return X @ self.coef_ + self.intercept_

    def predict(self, X: ArrayLike) -> Array:
        """Predictions y_pred = X W + b of shape (N,)."""
        self._check_fitted()
        names = getattr(self, "feature_names_in_", None)
        X_arr, _ = check_X(
            X,
            n_features=self.n_features_in_,
            feature_names=None if names is None else list(names),
        )
        return self._decision(X_arr)

    # -- inference -------------------------------------------------------------------------
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
            X,
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
            X, n_features=self.n_features_in_, feature_names=None if names is None else list(names)
        )
        return self.inference().predict_interval(X_arr, alpha)

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """R^2 of the predictions on (X, y)."""
        y_pred = self.predict(X)
        return r2(check_y(y, y_pred.shape[0]), y_pred)
