"""Fitting the estimator from passes over data it never holds: files and Dask collections.

:func:`solve_passes` runs a solver over a :class:`~linreg.sources.passes.Passes`
(a file's record batches, a Dask collection's partitions) and returns what it found
as a :class:`~linreg.fitted.Fitted`; the estimator stores it
(:meth:`linreg.estimator.LinearRegression.fit_passes`). Nothing here sets an
estimator's fitted attributes or imports the estimator: :func:`fit_source` and
:func:`fit_file` call its public ``fit_passes``.

The objective is :mod:`linreg.problem`'s: the rows' weights come with the passes
(a weight column, ``Batch.w``), the penalty is ``estimator.alpha`` and its L1 share
``estimator.l1_ratio``. With an L1 share, ``"exact"`` runs coordinate descent on the
moments (:func:`linreg.solvers.elastic_net.elastic_net_from_moments`, one pass) and
``"gd"`` takes the proximal step after every epoch's step, ``"sgd"`` after every
mini-batch's (:class:`linreg.solvers.streamed_sgd.StreamSGD`).
With ``estimator.standardize`` the penalty falls on the standardized weights ``W * s``,
``s`` the (weighted) deviations of the moments (:func:`penalty_scale_of`), as in memory.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from linreg.descent_fit import auto_learning_rate, schedule_of
from linreg.errors import ConvergenceWarning, LinregError, StabilityWarning
from linreg.fitted import Fitted, Optimum, StreamFit
from linreg.history import History
from linreg.model import LinearModel
from linreg.optimality import check_moments_not_underflowing
from linreg.solvers import fast
from linreg.solvers.elastic_net import ElasticNetResult, elastic_net_from_moments
from linreg.solvers.moments import Moments
from linreg.solvers.streamed_exact import ExactSolution, solve_exact
from linreg.solvers.streamed_qr import QRPiece
from linreg.solvers.streamed_sgd import StreamSGD
from linreg.sources.batches import (
    BATCH_BYTES,
    BatchSource,
    ProgressCallback,
    Reservoir,
    open_source,
)
from linreg.sources.passes import Passes, SourcePasses, standardization
from linreg.stability import stable_rate_with_momentum, unstable_rate_warning
from linreg.stats.pieces import InferencePieces
from linreg.training import EpochCallback
from linreg.validation import check_rows, warn_constant

if TYPE_CHECKING:
    from linreg.estimator import LinearRegression

__all__ = ["Fitted", "StreamFit", "fit_file", "fit_source", "penalty_scale_of", "solve_passes"]

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
    if estimator.solver == "exact" and alpha * float(estimator.l1_ratio) > 0.0:
        return _solve_elastic_net(estimator, passes, names, val)
    if estimator.solver == "exact":
        scale = None
        if estimator.standardize and alpha > 0.0:  # one pass more, for the deviations
            scale = penalty_scale_of(passes.moments()[0], standardize=True)
        return _solve_exact(
            passes,
            names,
            val,
            fit_intercept=bool(estimator.fit_intercept),
            alpha=alpha,
            scale=scale,
        )
    return _solve_gradient(estimator, passes, names, val, on_epoch)


def penalty_scale_of(moments: Moments, *, standardize: bool) -> Array | None:
    """The penalty scale ``s`` (d,) from the moments: the (weighted) deviations, 1 for a
    constant column (:func:`linreg.problem.penalty_scale`); None without ``standardize``."""
    if not standardize:
        return None
    return standardization(moments, None, standardize=True, fit_intercept=True)[1]


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
    scale: Array | None = None,
) -> Fitted:
    qr = passes.qr(fit_intercept)
    check_rows(qr.n, len(names), fit_intercept)
    warn_constant([names[j] for j in np.flatnonzero(qr.high == qr.low)], stacklevel=5)
    # The penalty and the weights' exact sum only where there are some: the
    # unweighted, unpenalized fit keeps its own code path.
    extra: dict[str, Any] = {}
    if alpha != 0.0:
        # The standardized penalty alpha |s W|^2 is sum_j (alpha s_j^2) W_j^2.
        extra["alpha"] = alpha if scale is None else alpha * scale**2
    if passes.weight_sum is not None:
        extra["weight_sum"] = passes.weight_sum
    solution = solve_exact(
        qr,
        lambda x, levels, shift: passes.gradient(x, fit_intercept, levels, shift),
        feature_names=names,
        **extra,
    )
    result = solution.result
    coef, intercept = result.coef, float(result.intercept)
    # The objective L: the (weighted) mean squared error, plus the penalty if any.
    V = coef if scale is None else coef * scale
    loss = solution.mse if alpha == 0.0 else solution.mse + alpha * float(V @ V)
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
        inference=None if alpha != 0.0 or passes.weighted else _exact_pieces(qr, solution),
    )


def _exact_pieces(qr: QRPiece, solution: ExactSolution) -> InferencePieces:
    """The inference pieces of an unweighted exact fit (:mod:`linreg.stats.pieces`).

    ``qr.R`` factors ``[1, X - 1 s^T, y - s_y]`` (``[X, y]`` without intercept): below
    its first row (the ones' projection), its last column holds the part of y
    orthogonal to the intercept, so TSS is the sum of its squares there (all of
    it, uncentred, without intercept). RSS* is the refinement's own sum of the
    residuals in extended precision, else rho^2 of the factor.
    """
    result = solution.result
    p = result.r_factor.shape[1]
    off = int(result.fit_intercept)
    y_column = qr.R[:, p]
    tss = math.fsum((y_column[off:] ** 2).tolist())
    rss = solution.mse * qr.n
    if not math.isfinite(rss):
        rss = float(qr.R[p, p]) ** 2 if qr.R.shape[0] > p else 0.0
    return InferencePieces(
        n_samples=qr.n,
        fit_intercept=result.fit_intercept,
        r_factor=np.triu(result.r_factor),
        column_means=result.column_means,
        optimum=result.params,
        rss=rss,
        tss=tss,
        rank=result.rank,
        condition_number=result.condition_number,
    )


def _solve_elastic_net(
    estimator: LinearRegression,
    passes: Passes,
    names: list[str],
    val: tuple[Array, Array] | None,
) -> Fitted:
    """The exact elastic net by coordinate descent on the moments (one pass over the data)."""
    fit_intercept = bool(estimator.fit_intercept)
    moments, _ = passes.moments()
    check_rows(moments.n, len(names), fit_intercept)
    check_moments_not_underflowing(moments.y_mean, moments.yty, moments.n)
    warn_constant([names[j] for j in np.flatnonzero(moments.variance == 0.0)], stacklevel=5)
    result = _moments_elastic_net(estimator, moments)
    coef, intercept = result.coef, float(result.intercept)
    val_loss = None if val is None else np.array([_val_loss(val, coef, intercept)])
    if not result.converged:
        warnings.warn(
            f"coordinate descent stopped after {result.n_sweeps:,} sweeps with the duality "
            f"gap at {result.dual_gap:.3g}, above its tolerance; the features may be nearly "
            "collinear: standardize them, or raise alpha",
            ConvergenceWarning,
            stacklevel=5,
        )
    return Fitted(
        coef=coef,
        intercept=intercept,
        history=History(
            loss=np.array([result.objective]),
            W=coef[None, :].copy(),
            b=np.array([intercept]),
            val_loss=val_loss,
        ),
        n_iter=result.n_sweeps,
        n_steps=0,
        stop_reason="converged" if result.converged else "max_epochs",
        n_samples=moments.n,
        passes=passes.count,
        feature_names=names,
        dual_gap=result.dual_gap,
    )


def _moments_elastic_net(estimator: LinearRegression, moments: Moments) -> ElasticNetResult:
    """The estimator's elastic net solved from the (weighted, centred) moments."""
    return elastic_net_from_moments(
        moments.gram,
        moments.xty,
        moments.yty,
        total=moments.total,
        mean=moments.mean,
        y_mean=moments.y_mean,
        alpha=float(estimator.alpha),
        l1_ratio=float(estimator.l1_ratio),
        fit_intercept=bool(estimator.fit_intercept),
        penalty_scale=penalty_scale_of(moments, standardize=bool(estimator.standardize)),
    )


def _solve_gradient(
    estimator: LinearRegression,
    passes: Passes,
    names: list[str],
    val: tuple[Array, Array] | None,
    on_epoch: EpochCallback | None,
) -> Fitted:
    fit_intercept = bool(estimator.fit_intercept)
    rho = float(estimator.l1_ratio)
    alpha = float(estimator.alpha) * (1.0 - rho)  # the smooth part's L2 penalty
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
    learning_rate = auto_learning_rate(estimator.learning_rate, eta_max, estimator.solver)
    momentum = float(estimator.momentum)
    limit = stable_rate_with_momentum(eta_max, momentum)  # (1 + mu) eta_max
    with_momentum = f"with momentum {momentum:g} " if momentum else ""
    unstable = unstable_rate_warning(learning_rate, limit, with_momentum + "on this data")
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

    lasso = float(estimator.alpha) * rho
    # The proximal step's thresholds, in the units of V (the penalty's, see penalty_scale_of).
    l1 = np.full(d, 2.0 * lasso) if lasso else None
    sgd = None
    if estimator.solver == "sgd":
        sgd = StreamSGD(
            passes,
            center,
            scale,
            batch_size=int(estimator.batch_size),
            seed=int(estimator.seed),
            learning_rate=learning_rate,
            momentum=float(estimator.momentum),
            fit_intercept=fit_intercept,
            tol=None if estimator.tol is None else float(estimator.tol),
            weight_factor=moments.weight_factor,
            alpha=alpha,
            l1=l1,
        )
    model = LinearModel(d, init=estimator.init, seed=estimator.seed, fit_intercept=fit_intercept)
    result = fast.descend(
        model,
        objective,
        learning_rate=learning_rate,
        epochs=epochs,
        momentum=float(estimator.momentum),
        tol=None if estimator.tol is None else float(estimator.tol),
        max_stable_learning_rate=limit,
        to_original=to_original,
        on_epoch=on_epoch,
        val_objective=val_objective,
        sgd=sgd,
        l1=l1,
        fista=estimator.acceleration == "fista",
        schedule=schedule_of(estimator),
    )
    coef, intercept = to_original(model.W, model.b)
    optimum_coef, optimum_intercept = to_original(W_a, b_a)
    optimum_loss = objective.loss(W_a, b_a)
    if lasso:  # the anchor is ridge's optimum; the elastic net's comes from the moments
        exact = _moments_elastic_net(estimator, moments)
        optimum_coef, optimum_intercept = exact.coef, exact.intercept
        optimum_loss = exact.objective
    return Fitted(
        coef=coef,
        intercept=intercept,
        history=result.history,
        n_iter=result.n_iter,
        n_steps=result.n_steps,
        stop_reason=result.stop_reason,
        stability=stab,
        lstsq=None,
        optimum=Optimum(optimum_coef, optimum_intercept, optimum_loss),
        n_samples=moments.n,
        passes=passes.count,
        feature_names=names,
        learning_rate=learning_rate,
        inference=None
        if alpha != 0.0 or moments.weight_sum is not None
        else InferencePieces.from_moments(
            n=moments.n,
            mean=moments.mean,
            y_mean=moments.y_mean,
            gram=moments.gram,
            yty=moments.yty,
            fit_intercept=fit_intercept,
            optimum=np.concatenate([[optimum_intercept], optimum_coef])
            if fit_intercept
            else optimum_coef,
            # The objective at the optimum is its mean squared error: RSS* = N L*.
            rss=moments.n * optimum_loss,
        ),
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
