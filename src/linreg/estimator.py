"""``LinearRegression``: the estimator users call, with scikit-learn's conventions.

``fit`` validates its input once, then hands pure arrays to one of three solvers:

- ``"gd"``: full-batch gradient descent, the update of :mod:`linreg.model`;
- ``"sgd"``: mini-batch stochastic gradient descent (shuffled from the seed);
- ``"exact"``: closed-form least squares by Householder QR with iterative
  refinement (:mod:`linreg.solvers.lstsq`), never the normal equations; with an
  L1 penalty (``l1_ratio > 0``), coordinate descent to a duality gap at rounding level
  (:mod:`linreg.solvers.elastic_net`).

Fitted attributes end in an underscore: ``coef_`` (d,), ``intercept_``,
``history_``, ``n_iter_``, ``n_steps_``, ``stop_reason_``, ``stability_``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.assessment import AssessmentMixin
from linreg.base import ParamsMixin
from linreg.descent_fit import fit_gradient
from linreg.errors import (
    ConvergenceWarning,
    LinregError,
    NonFiniteDataError,
)
from linreg.fitted import Fitted, StreamFit
from linreg.history import History
from linreg.metrics import r2
from linreg.optimality import (
    coefficients_overflow_error,
    convergence_message,
    exact_objective,
    relative_gap,
)
from linreg.problem import check_alpha, check_l1_ratio, check_sample_weight, penalty_scale
from linreg.sklearn_compat import RegressorProtocol
from linreg.solvers import fast
from linreg.stability import Stability
from linreg.training import SCHEDULES, EpochCallback
from linreg.validation import (
    check_finite,
    check_positive,
    check_X,
    check_X_y,
    check_y,
    is_dask_collection,
    require_finite,
)

if TYPE_CHECKING:
    from linreg.sources.passes import Passes

__all__ = ["ACCELERATIONS", "SOLVERS", "LinearRegression"]

Array = NDArray[np.float64]

SOLVERS = ("gd", "sgd", "exact")

#: Values of ``LinearRegression(acceleration=...)``.
ACCELERATIONS = ("none", "fista")


class RawDesign(Protocol):
    """What encodes raw rows into a model's features (:class:`linreg.formula.FormulaDesign`)."""

    def design_frame(self, data: Any, *, name: str = ...) -> Any: ...


class LinearRegression(RegressorProtocol, AssessmentMixin, ParamsMixin):
    """Linear regression y = X W + b, fitted by gradient descent or exactly.

    Parameters
    ----------
    solver : {"gd", "sgd", "exact"}, default="gd"
        ``"gd"`` full-batch gradient descent; ``"sgd"`` mini-batch SGD;
        ``"exact"`` closed-form least squares (QR with iterative refinement).
    learning_rate : float or "auto", default=0.01
        Step size eta of ``"gd"`` and ``"sgd"``. ``"auto"`` takes it from the
        Hessian H of the loss in the units trained on, which the fit computes anyway
        for eta_max = 2 / lambda_max(H): ``"gd"`` steps 1 / lambda_max(H) = eta_max / 2,
        the fastest safe rate of the stiffest direction; ``"sgd"``, whose batches'
        curvature exceeds the mean's, the more cautious eta_max / 4
        (:func:`linreg.descent_fit.auto_learning_rate`). The rate used is
        ``learning_rate_``.
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
        Train on (X - mean) / std and report W and b in the original units. With a
        penalty (``alpha > 0``) the penalty then falls on the standardized
        coefficients ``W * std``, as glmnet and a ``StandardScaler`` + ``Ridge`` /
        ``Lasso`` pipeline do: ``alpha ((1 - rho) |std W|^2 + 2 rho |std W|_1)``, std
        the (weighted, ddof 0) deviation of each feature, 1 for a constant one
        (:func:`linreg.problem.penalty_scale`). Every solver has that minimiser;
        without a penalty the flag changes the units trained in, not the fit.
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
        ``ElasticNet(alpha=alpha, l1_ratio=0)`` (with ``standardize``, of the
        standardized features: see ``standardize``).
    l1_ratio : float, default=0.0
        The L1 share rho in [0, 1] of the penalty: the objective becomes the weighted
        MSE plus ``alpha ((1 - rho) |W|^2 + 2 rho |W|_1)``, whose minimiser is
        scikit-learn's ``ElasticNet(alpha=alpha, l1_ratio=rho)`` (``Lasso(alpha)`` at 1).
        ``"exact"`` solves it by coordinate descent (exact zeros, ``dual_gap_``);
        ``"gd"`` and ``"sgd"`` by proximal gradient descent (soft-thresholding after
        every step). Needs the data in memory.
    acceleration : {"none", "fista"}, default="none"
        ``"fista"``: full-batch ``"gd"`` steps from FISTA's extrapolated point
        ``W_k + (t_k - 1) / t_{k+1} (W_k - W_{k-1})`` (Nesterov's acceleration, with
        or without an L1 penalty); not with ``momentum`` or ``"sgd"``. (With an L1
        penalty, ``momentum`` steps with the heavy-ball velocity of the smooth
        gradient, then soft-thresholds: a heuristic; FISTA is the accelerated method
        with a guarantee.)
    early_stopping : bool, default=False
        ``"gd"`` and ``"sgd"`` only, with validation data ``fit(X, y, X_val, y_val)``:
        stop once the validation loss has not improved for ``n_iter_no_change``
        epochs, and keep the parameters of the epoch where it was lowest
        (``best_epoch_``; ``stop_reason_`` is then ``"early_stopping"``).
    n_iter_no_change : int, default=10
        The patience of early stopping, in epochs.
    lr_schedule : {"constant", "invscaling", "step"}, default="constant"
        The step size of epoch k (:class:`linreg.training.Schedule`), from eta_0 =
        ``learning_rate``: eta_0; eta_0 / (k + 1)^power_t; or
        eta_0 * decay_factor^floor(k / decay_every).
    power_t : float, default=0.25
        The exponent of ``"invscaling"``.
    decay_every : int, default=100
        Epochs between two decays of ``"step"``.
    decay_factor : float, default=0.5
        The factor in (0, 1] of each decay of ``"step"``.

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
        ``"max_epochs"``, ``"converged"``, ``"early_stopping"`` or ``"closed_form"`` (an
        ``"exact"`` elastic net: ``"converged"``, or ``"max_epochs"`` with a warning).
    best_epoch_ : int or None
        With ``early_stopping``, the epoch whose parameters were kept (the lowest
        validation loss; ``history_`` goes on to where it stopped, ``n_iter_``);
        None otherwise.
    dual_gap_ : float
        Only for an ``"exact"`` fit with ``l1_ratio > 0``: the duality gap, an upper
        bound on how far the objective is above its minimum, in its units.
    learning_rate_ : float or None
        The step size gradient descent took (the number ``"auto"`` chose); None
        for ``"exact"``.
    optimality_gap_ : float or None
        How far the final loss L is above the least-squares optimum's L*, relatively:
        (L - L*) / L* (:func:`linreg.optimality.relative_gap`); 0.0 for ``"exact"``,
        None where the optimum was not computed (large data without moments). A
        gradient fit that ran out of epochs far above the optimum also warns.
    stability_ : Stability or None
        eta_max and the condition number of the data trained on (GD solvers;
        for ``"sgd"`` in memory on more rows than its sample, estimated from a
        random sample of 16,384 rows, fewer for 257 to 2,047 features:
        :func:`linreg.stability.sample_rows`).
    weighted_ : bool or None
        Whether the fit weighed its rows (``sample_weight``, a weight column); None
        for a model loaded from a file that did not say.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a pandas DataFrame.
    formula_ : FormulaDesign
        Only for a model fitted by :func:`linreg.fit_formula`: how raw DataFrames are
        encoded into the features (see :meth:`_design_matrix`).

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

    _expected_failed_checks: ClassVar[dict[str, str]] = {
        "check_fit1d": "a 1-D X is taken as one feature, a documented convenience",
        "check_sample_weight_equivalence_on_dense_data": (
            "its 15 rows of 30 features are refused: fewer rows than parameters "
            "have no unique least-squares fit"
        ),
    }
    formula_: RawDesign

    def __init__(
        self,
        *,
        solver: str = "gd",
        learning_rate: float | str = 0.01,
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
        l1_ratio: float = 0.0,
        acceleration: str = "none",
        early_stopping: bool = False,
        n_iter_no_change: int = 10,
        lr_schedule: str = "constant",
        power_t: float = 0.25,
        decay_every: int = 100,
        decay_factor: float = 0.5,
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
        self.l1_ratio = l1_ratio
        self.acceleration = acceleration
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.lr_schedule = lr_schedule
        self.power_t = power_t
        self.decay_every = decay_every
        self.decay_factor = decay_factor

    # -- fitting ---------------------------------------------------------------------------
    def _validate_params(self) -> None:
        if self.solver not in SOLVERS:
            raise LinregError(f"solver must be one of {', '.join(SOLVERS)}; got {self.solver!r}")
        check_alpha(self.alpha)
        check_l1_ratio(self.l1_ratio)
        if self.acceleration not in ACCELERATIONS:
            raise LinregError(
                f"acceleration must be one of {', '.join(ACCELERATIONS)}; got {self.acceleration!r}"
            )
        if isinstance(self.learning_rate, str) and self.learning_rate != "auto":
            raise LinregError(
                f"learning rate must be a positive number or 'auto', got {self.learning_rate!r}"
            )
        if self.learning_rate != "auto":
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
        check_positive(self.n_iter_no_change, "n_iter_no_change", integer=True)
        if self.lr_schedule not in SCHEDULES:
            raise LinregError(
                f"lr_schedule must be one of {', '.join(SCHEDULES)}; got {self.lr_schedule!r}"
            )
        check_positive(self.power_t, "power_t")
        check_positive(self.decay_every, "decay_every", integer=True)
        factor = self.decay_factor
        if not (isinstance(factor, (int, float)) and not isinstance(factor, bool)) or not (
            0.0 < factor <= 1.0
        ):
            raise LinregError(f"decay_factor must be in (0, 1], got {factor!r}")
        if self.acceleration == "fista" and (self.solver != "gd" or self.momentum):
            raise LinregError(
                "acceleration='fista' is for solver='gd' without momentum; "
                f"got solver={self.solver!r}, momentum={self.momentum!r}"
            )
        for flag in ("standardize", "fit_intercept", "early_stopping"):
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
            Xv, _ = check_X(X_val, n_features=X_arr.shape[1], estimator=type(self).__name__)
            val = (Xv, check_y(y_val, Xv.shape[0]))
        if self.early_stopping and (val is None or self.solver == "exact"):
            raise LinregError(
                "early_stopping=True needs gradient descent (solver 'gd' or 'sgd') and "
                "validation data: fit(X, y, X_val, y_val)"
            )

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
        vars(self).pop("dual_gap_", None)
        vars(self).pop("inference_pieces_", None)  # an earlier streamed fit's
        vars(self).pop("formula_", None)  # fit_formula sets it again after fit
        # Kept by reference (no copy) so that inference can revisit the data.
        self._X_fit, self._y_fit, self._w_fit = X, y, sample_weight
        self.weighted_: bool | None = sample_weight is not None

        if self.solver == "exact" and self._lasso():
            self._fit_elastic_net(X, y, val, sample_weight)
        elif self.solver == "exact":
            self._fit_exact(X, y, val, sample_weight)
        else:
            fit_gradient(self, X, y, val, on_epoch, sample_weight)

    def _lasso(self) -> bool:
        """Whether the penalty has an L1 part (``alpha > 0`` and ``l1_ratio > 0``)."""
        return float(self.alpha) > 0.0 and float(self.l1_ratio) > 0.0

    def _penalty_scale(self, X: Array, sample_weight: Array | None) -> Array | None:
        """The penalty scale ``s`` (d,) of a standardized, penalized fit; None otherwise.

        With ``standardize`` the penalty falls on ``V = W * s`` (:mod:`linreg.problem`);
        without a penalty, or without ``standardize``, on W itself (None).
        """
        if not (self.standardize and float(self.alpha) > 0.0):
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            return penalty_scale(X, sample_weight, standardize=True)

    def _fit_elastic_net(
        self,
        X: Array,
        y: Array,
        val: tuple[Array, Array] | None,
        sample_weight: Array | None = None,
    ) -> None:
        from linreg.solvers.elastic_net import elastic_net

        require_finite(X, y)
        with np.errstate(over="ignore", invalid="ignore"):
            result = elastic_net(
                X,
                y,
                alpha=float(self.alpha),
                l1_ratio=float(self.l1_ratio),
                sample_weight=sample_weight,
                fit_intercept=bool(self.fit_intercept),
                penalty_scale=self._penalty_scale(X, sample_weight),
            )
        if not (np.all(np.isfinite(result.coef)) and np.isfinite(result.intercept)):
            raise coefficients_overflow_error()
        self.coef_, self.intercept_ = result.coef, float(result.intercept)
        self.dual_gap_ = result.dual_gap
        self.stability_: Stability | None = None
        val_loss = None
        if val is not None:
            with np.errstate(over="ignore"):
                val_loss = np.array([np.mean((val[1] - self._decision(val[0])) ** 2)])
        self.history_ = History(
            loss=np.array([result.objective]),
            W=self.coef_[None, :].copy(),
            b=np.array([self.intercept_]),
            val_loss=val_loss,
        )
        self.n_iter_ = result.n_sweeps
        self.n_steps_: int | None = 0
        self.stop_reason_ = "converged" if result.converged else "max_epochs"
        if not result.converged:
            warnings.warn(
                f"coordinate descent stopped after {result.n_sweeps:,} sweeps with the "
                f"duality gap at {result.dual_gap:.3g}, above its tolerance; the features "
                "may be nearly collinear: standardize them, or raise alpha",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _fit_exact(
        self,
        X: Array,
        y: Array,
        val: tuple[Array, Array] | None,
        sample_weight: Array | None = None,
    ) -> None:
        from linreg.solvers.lstsq import lstsq

        if self.standardize and float(self.alpha) > 0.0:
            require_finite(X, y)  # the scales are taken before the solver's own check
        scale = self._penalty_scale(X, sample_weight)
        # The standardized penalty alpha |s W|^2 is sum_j (alpha s_j^2) W_j^2.
        ridge = float(self.alpha) if scale is None else float(self.alpha) * scale**2
        # Data whose solution overflows make NaN inside; refused below by name.
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                result = lstsq(
                    X,
                    y,
                    fit_intercept=bool(self.fit_intercept),
                    sample_weight=sample_weight,
                    alpha=ridge,
                    feature_names=getattr(self, "feature_names_in_", None),
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
        self.stability_ = None
        # The objective L of linreg.problem at the solution: weighted MSE + penalty;
        # the refinement's own residual, where it kept one, saves a pass over X.
        loss = exact_objective(
            X,
            y,
            self.coef_,
            self.intercept_,
            sample_weight=sample_weight,
            alpha=float(self.alpha),
            scale=scale,
            rss=result.residual_sum_of_squares,
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
        self.n_steps_ = 0
        self.stop_reason_ = "closed_form"
        self.best_epoch_: int | None = None
        self.learning_rate_: float | None = None
        self.optimality_gap_: float | None = 0.0

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
        self.best_epoch_ = fitted.best_epoch
        self.stability_ = fitted.stability
        if fitted.lstsq is not None:
            self.lstsq_ = fitted.lstsq
        else:
            vars(self).pop("lstsq_", None)
        if fitted.dual_gap is not None:
            self.dual_gap_ = fitted.dual_gap
        else:
            vars(self).pop("dual_gap_", None)
        if fitted.stop_reason == "closed_form":
            self.learning_rate_, self.optimality_gap_ = None, 0.0
        else:
            if optimum is None and fitted.optimum is not None:
                optimum = fitted.optimum.loss
            self.learning_rate_ = fitted.learning_rate
            self.optimality_gap_ = relative_gap(float(fitted.history.loss[-1]), optimum)
        if fitted.inference is not None:  # the sums of data not kept (linreg.stats.pieces)
            self.inference_pieces_ = fitted.inference
        else:
            vars(self).pop("inference_pieces_", None)
        message = convergence_message(
            fitted,
            tol=self.tol,
            epochs=int(self.epochs),
            learning_rate=float(fitted.learning_rate or 0.0),
            optimum=optimum,
            solver=str(self.solver),
            standardize=bool(self.standardize),
            auto_rate=self.learning_rate == "auto",
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
        kept: :meth:`inference` answers from the O(p^2) sums the fit computed
        (:mod:`linreg.stats.pieces`; unweighted, unpenalized fits) and needs ``X`` and
        ``y`` for robust types.

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
        if self.early_stopping:
            raise LinregError(
                "early_stopping is for data in memory, fit(X, y, X_val, y_val); "
                "streamed and Dask fits run all epochs (or stop by tol)"
            )
        names = [str(n) for n in feature_names]
        fitted = solve_passes(self, passes, feature_names=names, val=val, on_epoch=on_epoch)
        self.n_features_in_ = len(names)
        if set_names:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        else:
            vars(self).pop("feature_names_in_", None)
        for attribute in ("_X_fit", "_y_fit", "_w_fit", "formula_"):  # nothing to revisit
            vars(self).pop(attribute, None)
        self.weighted_ = bool(passes.weighted)
        self._store(fitted, stacklevel=5)  # _store <- fit_passes <- fit_source <- fit_file
        optimum = self
        if fitted.optimum is not None:  # gradient descent's: a closed-form model of its own
            optimum = type(self)(
                solver="exact",
                standardize=self.standardize,
                fit_intercept=self.fit_intercept,
                alpha=self.alpha,
                l1_ratio=self.l1_ratio,
            )
            optimum.n_features_in_, optimum.weighted_ = len(names), self.weighted_
            # The exact minimiser of the same data: the same inference pieces.
            optimum._store(dataclasses.replace(fitted.optimum.fitted(), inference=fitted.inference))
        return StreamFit(
            model=self,
            optimum=optimum,
            n_samples=int(fitted.n_samples or 0),
            passes=int(fitted.passes or 0),
            feature_names=names,
            target_name=target_name,
        )

    # -- using a fitted model --------------------------------------------------------------
    def _decision(self, X: Array) -> Array:
        return X @ self.coef_ + self.intercept_

    def _design_matrix(self, X: Any) -> Any:
        """``X`` as the model's features: a model fitted by a formula encodes a raw
        DataFrame (:func:`linreg.fit_formula`); other input is returned as it is."""
        design = getattr(self, "formula_", None)
        if design is None or not hasattr(X, "columns"):
            return X
        return design.design_frame(X, name="X")

    def predict(self, X: ArrayLike) -> Array:
        """Predictions y_pred = X W + b of shape (N,).

        A model fitted by :func:`linreg.fit_formula` takes a DataFrame of the raw columns.
        """
        self._check_fitted()
        names = getattr(self, "feature_names_in_", None)
        X_arr, _ = check_X(
            self._design_matrix(X),
            n_features=self.n_features_in_,
            feature_names=None if names is None else list(names),
            estimator=type(self).__name__,
        )
        return self._decision(X_arr)

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """R^2 of the predictions on (X, y), weighted by ``sample_weight`` if given.

        R^2 = 1 - sum_i w_i (y_i - y_pred_i)^2 / sum_i w_i (y_i - ybar_w)^2 with
        ybar_w = sum_i w_i y_i / sum_i w_i (scikit-learn's ``r2_score``); all w_i = 1
        without weights.
        """
        y_pred = self.predict(X)
        y_arr = check_y(y, y_pred.shape[0])
        if sample_weight is None:
            return r2(y_arr, y_pred)
        w = check_sample_weight(sample_weight, y_arr.shape[0])
        if w is None:
            return r2(y_arr, y_pred)
        y_bar = float(w @ y_arr) / float(np.sum(w))
        rss, tss = float(w @ (y_arr - y_pred) ** 2), float(w @ (y_arr - y_bar) ** 2)
        if tss == 0.0:
            return 1.0 if rss == 0.0 else 0.0
        return 1.0 - rss / tss
