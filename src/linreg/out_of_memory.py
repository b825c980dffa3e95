"""Fitting the estimator from passes over data it never holds: files and Dask collections.

:func:`solve_passes` runs a solver over a :class:`~linreg.sources.passes.Passes`
(a file's record batches, a Dask collection's partitions) and returns what it found
as a :class:`~linreg.fitted.Fitted`; the estimator stores it
(:meth:`linreg.estimator.LinearRegression.fit_passes`). Nothing here sets an
estimator's fitted attributes or imports the estimator: :func:`fit_source` and
:func:`fit_file` call its public ``fit_passes``.

The objective is :mod:`linreg.problem`'s: the rows' weights come with the passes
(a weight column, ``Batch.w``), the penalty is ``estimator.alpha``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError, StabilityWarning
from linreg.fitted import Fitted, Optimum, StreamFit
from linreg.history import History
from linreg.model import LinearModel
from linreg.optimality import check_moments_not_underflowing
from linreg.solvers import fast
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
from linreg.stability import unstable_rate_warning
from linreg.training import EpochCallback
from linreg.validation import check_rows, warn_constant

if TYPE_CHECKING:
    from linreg.estimator import LinearRegression

__all__ = ["Fitted", "StreamFit", "fit_file", "fit_source", "solve_passes"]

Array = NDArray[np.float64]


def solve_passes(
    estimator: LinearRegression,
    passes: Passes,
    *,
    feature_names: Sequence[str],
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
) -> Fitted:
    """Fit by passes over data nobody holds whole; the estimator's hyperparameters choose how.

    Reads ``estimator``'s hyperparameters (``solver``, ``alpha``, ``learning_rate``,
    ...; validated by the caller) and sets nothing on it: the result is returned,
    and :meth:`linreg.estimator.LinearRegression.fit_passes` stores it. The rows'
    weights are the passes' own (``Batch.w`` of a file's weight column, a Dask
    weight partition), the penalty ``estimator.alpha``.

    Parameters
    ----------
    estimator : LinearRegression
    passes : Passes
        The data: a file (:class:`SourcePasses`) or a Dask collection.
    feature_names : sequence of str
    val : (ndarray (k, d), ndarray (k,)), optional
        Validation data, in memory; their loss is recorded every epoch.
    on_epoch : callable, optional
        Called with (epoch, loss) after every epoch.

    Returns
    -------
    Fitted
    """
    names = list(feature_names)
    d = len(names)
    if val is not None and val[0].shape[1] != d:
        raise LinregError(
            f"the validation data have {val[0].shape[1]} feature(s) but the training data {d}"
        )
    alpha = float(estimator.alpha)
    if estimator.solver == "exact":
        return _solve_exact(
            passes, names, val, fit_intercept=bool(estimator.fit_intercept), alpha=alpha
        )
    return _solve_gradient(estimator, passes, names, val, on_epoch)


def _val_loss(val: tuple[Array, Array], coef: Array, intercept: float) -> float:
    """The validation data's plain mean squared error (no weights, no penalty), as in memory."""
    return float(np.mean((val[1] - val[0] @ coef - intercept) ** 2))


def _solve_exact(
    passes: Passes,
    names: list[str],
    val: tuple[Array, Array] | None,
    *,
    fit_intercept: bool,
    alpha: float,
) -> Fitted:
    qr = passes.qr(fit_intercept)
    check_rows(qr.n, len(names), fit_intercept)
    warn_constant([names[j] for j in np.flatnonzero(qr.high == qr.low)], stacklevel=5)
    # The penalty and the weights' exact sum only where there are some: the
    # unweighted, unpenalized fit keeps its own code path.
    extra: dict[str, Any] = {}
    if alpha != 0.0:
        extra["alpha"] = alpha
    if passes.weight_sum is not None:
        extra["weight_sum"] = passes.weight_sum
    solution = solve_exact(
        qr, lambda x, levels, shift: passes.gradient(x, fit_intercept, levels, shift), **extra
    )
    result = solution.result
    coef, intercept = result.coef, float(result.intercept)
    # The objective L: the (weighted) mean squared error, plus the penalty if any.
    loss = solution.mse if alpha == 0.0 else solution.mse + alpha * float(coef @ coef)
    val_loss = None if val is None else np.array([_val_loss(val, coef, intercept)])
    return Fitted(
        coef=coef,
        intercept=intercept,
        history=History(
            loss=np.array([loss]),
            W=coef[None, :].copy(),
            b=np.array([intercept]),
            val_loss=val_loss,
        ),
        n_iter=result.n_refinements,
        n_steps=0,
        stop_reason="closed_form",
        stability=None,
        lstsq=result,
        optimum=None,
        n_samples=qr.n,
        passes=passes.count,
        feature_names=names,
    )


def _solve_gradient(
    estimator: LinearRegression,
    passes: Passes,
    names: list[str],
    val: tuple[Array, Array] | None,
    on_epoch: EpochCallback | None,
) -> Fitted:
    fit_intercept = bool(estimator.fit_intercept)
    alpha = float(estimator.alpha)
    moments, row_mean = passes.moments()
    d = len(names)
    check_rows(moments.n, d, fit_intercept)
    check_moments_not_underflowing(moments.y_mean, moments.yty, moments.n)
    warn_constant([names[j] for j in np.flatnonzero(moments.variance == 0.0)], stacklevel=5)
    center, scale = standardization(
        moments, row_mean, standardize=bool(estimator.standardize), fit_intercept=fit_intercept
    )
    stab = fast.stability_from_moments(
        moments, center, scale, fit_intercept=fit_intercept, alpha=alpha
    )
    eta_max = stab.max_stable_learning_rate
    unstable = unstable_rate_warning(float(estimator.learning_rate), eta_max, "on this data")
    if unstable is not None:
        warnings.warn(
            unstable,
            StabilityWarning,
            stacklevel=5,  # _solve_gradient <- solve_passes <- fit_passes <- fit_* <- caller
        )
    objective = fast.quadratic_objective(
        moments,
        center,
        scale,
        fit_intercept=fit_intercept,
        residuals=lambda zbar, W, b: passes.anchor(moments, scale, zbar, W, b),
        alpha=alpha,
    )
    W_a, b_a = objective.anchor
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
            weight_factor=moments.weight_factor,
            alpha=alpha,
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
    coef, intercept = to_original(model.W, model.b)
    optimum_coef, optimum_intercept = to_original(W_a, b_a)
    return Fitted(
        coef=coef,
        intercept=intercept,
        history=result.history,
        n_iter=result.n_iter,
        n_steps=result.n_steps,
        stop_reason=result.stop_reason,
        stability=stab,
        lstsq=None,
        optimum=Optimum(optimum_coef, optimum_intercept, objective.loss(W_a, b_a)),
        n_samples=moments.n,
        passes=passes.count,
        feature_names=names,
    )


def fit_source(
    estimator: LinearRegression,
    source: BatchSource,
    *,
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
    progress: ProgressCallback | None = None,
    sample_rows: int = 0,
) -> StreamFit:
    """Fit ``estimator`` in place by passes over ``source``, with the source's row weights.

    ``sample_rows`` > 0 keeps a uniform sample of that many rows (for figures).
    See :meth:`linreg.estimator.LinearRegression.fit_passes`.
    """
    sample = Reservoir(sample_rows) if sample_rows > 0 else None
    passes = SourcePasses(source, progress=progress, sample=sample)
    fitted = estimator.fit_passes(
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
    sample_weight: str | None = None,
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
    progress: ProgressCallback | None = None,
    sample_rows: int = 0,
    batch_bytes: int = BATCH_BYTES,
    delimiter: str | None = None,
    decimal: str | None = None,
) -> StreamFit:
    """Fit ``estimator`` to a CSV or Parquet file by streaming it in record batches.

    Parameters
    ----------
    path : path-like
        ``.parquet``/``.pq`` files are read as Parquet, others as CSV.
    estimator : LinearRegression
        Fitted in place, penalized by its ``alpha``
        (:meth:`~linreg.estimator.LinearRegression.fit_passes`).
    target : str, default="y"
    features : sequence of str, optional
        By default every other numeric column except ``y_true`` and the weights.
    sample_weight : str, optional
        The column of row weights (finite, ``>= 0``, not all zero); not a feature.
        None weighs every row equally.
    val : (ndarray, ndarray), optional
        Validation data in memory.
    on_epoch : callable, optional
    progress : callable, optional
        Called with a :class:`PassProgress` after every batch of every pass.
    sample_rows : int, default=0
        Keep a uniform sample of this many rows (``StreamFit.sample``).
    batch_bytes : int, default=BATCH_BYTES
    delimiter, decimal : str, optional
        A CSV's field delimiter and decimal mark; detected when not given
        (:func:`linreg.io.dialect.resolve_dialect`).

    Returns
    -------
    StreamFit

    Raises
    ------
    LinregError
        Bad file or column, a cell that is not a finite number (naming the file,
        column and data row), a bad weight, too few rows.
    """
    source = open_source(
        path,
        target=target,
        features=features,
        sample_weight=sample_weight,
        batch_bytes=batch_bytes,
        delimiter=delimiter,
        decimal=decimal,
    )
    return fit_source(
        estimator,
        source,
        val=val,
        on_epoch=on_epoch,
        progress=progress,
        sample_rows=sample_rows,
    )
