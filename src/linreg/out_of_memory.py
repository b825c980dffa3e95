"""Fitting the estimator from passes over data it never holds: files and Dask collections."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError, StabilityWarning
from linreg.history import History
from linreg.model import LinearModel
from linreg.solvers import fast
from linreg.training import EpochCallback
from linreg.validation import check_rows, warn_constant

if TYPE_CHECKING:
    from linreg.estimator import LinearRegression
from linreg.solvers.streamed_exact import solve_exact
from linreg.solvers.streamed_sgd import StreamSGD
from linreg.sources.batches import (
    BATCH_BYTES,
    BatchSource,
    ProgressCallback,
    Reservoir,
    open_source,
)
from linreg.sources.passes import Passes, SourcePasses, standardization

Array = NDArray[np.float64]
# ---------------------------------------------------------------------------
# The estimator's side
# ---------------------------------------------------------------------------


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


def _closed_form_model(
    coef: Array, intercept: float, loss: float, *, fit_intercept: bool
) -> LinearRegression:
    """A fitted ``LinearRegression(solver="exact")`` holding a known solution."""
    from linreg.estimator import LinearRegression

    model = LinearRegression(solver="exact", fit_intercept=fit_intercept)
    model.coef_ = np.asarray(coef, dtype=np.float64)
    model.intercept_ = float(intercept)
    model.n_features_in_ = model.coef_.shape[0]
    model.history_ = History(
        loss=np.array([loss]), W=model.coef_[None, :].copy(), b=np.array([model.intercept_])
    )
    model.n_iter_ = model.n_steps_ = 0
    model.stop_reason_ = "closed_form"
    model.stability_ = None
    return model


def fit_passes(
    estimator: LinearRegression,
    passes: Passes,
    *,
    feature_names: Sequence[str],
    target_name: str = "y",
    set_names: bool = True,
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
) -> StreamFit:
    """Fit ``estimator`` in place from passes over data it never holds.

    Parameters
    ----------
    estimator : LinearRegression
        Its hyperparameters choose the solver; its fitted attributes are set as by
        ``fit`` (``coef_``, ``intercept_``, ``history_``, ``n_iter_``,
        ``stop_reason_``, ``stability_``, ``n_features_in_``, and
        ``feature_names_in_`` when ``set_names``; ``"exact"`` also ``lstsq_``).
    passes : Passes
        The data: a file (:class:`SourcePasses`) or a Dask collection.
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
    """
    estimator._validate_params()
    d = len(feature_names)
    estimator.n_features_in_ = d
    if set_names:
        estimator.feature_names_in_ = np.asarray(list(feature_names), dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    for attribute in ("_X_fit", "_y_fit"):  # nothing to revisit: inference needs X and y
        if hasattr(estimator, attribute):
            delattr(estimator, attribute)
    if val is not None and val[0].shape[1] != d:
        raise LinregError(
            f"the validation data have {val[0].shape[1]} feature(s) but the training data {d}"
        )
    if estimator.solver == "exact":
        optimum, n = _fit_exact(estimator, passes, list(feature_names), val)
    else:
        optimum, n = _fit_gradient(estimator, passes, list(feature_names), val, on_epoch)
    return StreamFit(
        model=estimator,
        optimum=optimum,
        n_samples=n,
        passes=passes.count,
        feature_names=list(feature_names),
        target_name=target_name,
    )


def _fit_exact(
    estimator: LinearRegression,
    passes: Passes,
    names: list[str],
    val: tuple[Array, Array] | None,
) -> tuple[LinearRegression, int]:
    fit_intercept = bool(estimator.fit_intercept)
    qr = passes.qr(fit_intercept)
    check_rows(qr.n, len(names), fit_intercept)
    warn_constant([names[j] for j in np.flatnonzero(qr.high == qr.low)], stacklevel=4)
    solution = solve_exact(
        qr, lambda x, levels, shift: passes.gradient(x, fit_intercept, levels, shift)
    )
    result = solution.result
    estimator.coef_ = result.coef
    estimator.intercept_ = float(result.intercept)
    estimator.lstsq_ = result
    estimator.stability_ = None
    val_loss = None
    if val is not None:
        val_loss = np.array([np.mean((val[1] - val[0] @ result.coef - result.intercept) ** 2)])
    estimator.history_ = History(
        loss=np.array([solution.mse]),
        W=result.coef[None, :].copy(),
        b=np.array([estimator.intercept_]),
        val_loss=val_loss,
    )
    estimator.n_iter_ = result.n_refinements
    estimator.n_steps_ = 0
    estimator.stop_reason_ = "closed_form"
    return estimator, qr.n


def _fit_gradient(
    estimator: LinearRegression,
    passes: Passes,
    names: list[str],
    val: tuple[Array, Array] | None,
    on_epoch: EpochCallback | None,
) -> tuple[LinearRegression, int]:
    fit_intercept = bool(estimator.fit_intercept)
    moments, row_mean = passes.moments()
    d = len(names)
    check_rows(moments.n, d, fit_intercept)
    warn_constant([names[j] for j in np.flatnonzero(moments.variance == 0.0)], stacklevel=4)
    center, scale = standardization(
        moments, row_mean, standardize=bool(estimator.standardize), fit_intercept=fit_intercept
    )
    stab = fast.stability_from_moments(moments, center, scale, fit_intercept=fit_intercept)
    estimator.stability_ = stab
    eta_max = stab.max_stable_learning_rate
    if estimator.learning_rate >= eta_max:
        warnings.warn(
            f"learning rate {estimator.learning_rate:g} is at or above the largest stable rate "
            f"eta_max = {eta_max:.4g} of full-batch gradient descent on this data; "
            "expect divergence: lower it, or standardize the features",
            StabilityWarning,
            stacklevel=4,
        )
    standardized = fast.Standardized.of(moments, center, scale)
    W_a, b_a = fast.least_squares_from_moments(standardized, fit_intercept)
    sse, g, h = fast.anchor_from_moments(standardized, moments.yty, W_a, b_a)
    if not sse >= fast.ANCHOR_FROM_MOMENTS * moments.yty:
        # A near-perfect fit: the moments' sse has lost more than four digits.
        sse, g, h = passes.anchor(moments, scale, standardized.zbar, W_a, b_a)
    objective = fast.QuadraticObjective(standardized, W_a, b_a, sse, g, h)
    epochs = int(estimator.epochs)
    val_objective = None
    if val is not None:
        made = fast.make_objective(
            val[0],
            val[1],
            center,
            scale,
            fit_intercept=fit_intercept,
            passes=epochs + 1,
            gradient=False,
            anchor=(W_a, b_a),
            kind="quadratic",
        )
        assert isinstance(made, fast.QuadraticObjective)
        val_objective = made

    def to_original(W: Array, b: float) -> tuple[Array, float]:
        W_orig = W / scale
        return W_orig, float(b - W_orig @ center)

    sgd = None
    if estimator.solver == "sgd":
        sgd = StreamSGD(
            passes,
            center,
            scale,
            batch_size=int(estimator.batch_size),
            seed=int(estimator.seed),
            learning_rate=float(estimator.learning_rate),
            momentum=float(estimator.momentum),
            fit_intercept=fit_intercept,
            tol=None if estimator.tol is None else float(estimator.tol),
        )
    model = LinearModel(d, init=estimator.init, seed=estimator.seed, fit_intercept=fit_intercept)
    result = fast.descend(
        model,
        objective,
        learning_rate=float(estimator.learning_rate),
        epochs=epochs,
        momentum=float(estimator.momentum),
        tol=None if estimator.tol is None else float(estimator.tol),
        max_stable_learning_rate=eta_max,
        to_original=to_original,
        on_epoch=on_epoch,
        val_objective=val_objective,
        sgd=sgd,
    )
    estimator._store_descent(model, result, to_original, stacklevel=5)
    coef, intercept = to_original(W_a, b_a)
    optimum = _closed_form_model(coef, intercept, sse / moments.n, fit_intercept=fit_intercept)
    return optimum, moments.n


def fit_source(
    estimator: LinearRegression,
    source: BatchSource,
    *,
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
    progress: ProgressCallback | None = None,
    sample_rows: int = 0,
) -> StreamFit:
    """Fit ``estimator`` by passes over ``source``; see :func:`fit_passes`.

    ``sample_rows`` > 0 keeps a uniform sample of that many rows (for figures).
    """
    sample = Reservoir(sample_rows) if sample_rows > 0 else None
    passes = SourcePasses(source, progress=progress, sample=sample)
    fitted = fit_passes(
        estimator,
        passes,
        feature_names=source.feature_names,
        target_name=source.target_name,
        val=val,
        on_epoch=on_epoch,
    )
    return fitted if sample is None else replace(fitted, sample=sample.arrays())


def fit_file(
    path: str | os.PathLike[str],
    estimator: LinearRegression,
    *,
    target: str = "y",
    features: Sequence[str] | None = None,
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
    progress: ProgressCallback | None = None,
    sample_rows: int = 0,
    batch_bytes: int = BATCH_BYTES,
) -> StreamFit:
    """Fit ``estimator`` to a CSV or Parquet file by streaming it in record batches.

    Parameters
    ----------
    path : path-like
        ``.parquet``/``.pq`` files are read as Parquet, others as CSV.
    estimator : LinearRegression
        Fitted in place (see :func:`fit_passes`).
    target : str, default="y"
    features : sequence of str, optional
        By default every other numeric column except ``y_true``.
    val : (ndarray, ndarray), optional
        Validation data in memory.
    on_epoch : callable, optional
    progress : callable, optional
        Called with a :class:`PassProgress` after every batch of every pass.
    sample_rows : int, default=0
        Keep a uniform sample of this many rows (``StreamFit.sample``).
    batch_bytes : int, default=BATCH_BYTES

    Returns
    -------
    StreamFit

    Raises
    ------
    LinregError
        Bad file or column, a cell that is not a finite number (naming the file,
        column and data row), too few rows.
    """
    source = open_source(path, target=target, features=features, batch_bytes=batch_bytes)
    return fit_source(
        estimator,
        source,
        val=val,
        on_epoch=on_epoch,
        progress=progress,
        sample_rows=sample_rows,
    )
