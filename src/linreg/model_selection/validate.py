"""Cross-validation and the two curves of model selection, in a few readable loops.

Every function here refits a *fresh copy* of the estimator on each training part,
``type(est)(**est.get_params())`` (the estimator given is never fitted or changed),
and scores it (:mod:`linreg.model_selection.scoring`) on the rows held out:

- :func:`cross_validate`: one score per fold of :class:`~linreg.model_selection.KFold`;
  their mean estimates the error on data the model has not seen;
- :func:`learning_curve`: the scores against the number of training rows n_train,
  training on the first n_train rows of each fold's training part;
- :func:`validation_curve`: the scores against one hyperparameter (a polynomial's
  degree, the penalty alpha, the epochs of gradient descent).

Given the same folds (``KFold(k, seed=s)`` here, ``KFold(k, shuffle=True,
random_state=s)`` there) the numbers are those of scikit-learn's
``cross_validate``, ``learning_curve`` and ``validation_curve`` with the same model.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.errors import LinregError
from linreg.model_selection.scoring import Scoring, check_scoring, greater_is_better, score
from linreg.model_selection.splits import KFold, check_cv, n_rows

__all__ = [
    "CrossValidation",
    "LearningCurve",
    "ValidationCurve",
    "clone",
    "cross_validate",
    "learning_curve",
    "validation_curve",
]

Array = NDArray[np.float64]
Index = NDArray[np.intp]

#: learning_curve's default training sizes, as fractions of the largest.
TRAIN_SIZES = (0.1, 0.325, 0.55, 0.775, 1.0)


@dataclass(frozen=True)
class CrossValidation:
    """The scores of :func:`cross_validate`, one per fold.

    Attributes
    ----------
    test_score : ndarray of shape (k,)
        Score on each held-out fold.
    train_score : ndarray of shape (k,) or None
        Score on each fold's training rows (``return_train_score=True``).
    scoring : str or callable
    """

    test_score: Array
    train_score: Array | None
    scoring: Scoring

    @property
    def mean(self) -> float:
        """Mean test score over the folds: the cross-validated estimate."""
        return float(np.mean(self.test_score))

    @property
    def std(self) -> float:
        """Standard deviation of the test scores over the folds."""
        return float(np.std(self.test_score))


@dataclass(frozen=True)
class LearningCurve:
    """Scores against the number of training rows (:func:`learning_curve`).

    Attributes
    ----------
    train_sizes : ndarray of int of shape (m,)
    train_scores, test_scores : ndarrays of shape (m, k)
        Row i: the k folds' scores with ``train_sizes[i]`` training rows.
    scoring : str or callable
    """

    train_sizes: NDArray[np.int64]
    train_scores: Array
    test_scores: Array
    scoring: Scoring


@dataclass(frozen=True)
class ValidationCurve:
    """Scores against one hyperparameter (:func:`validation_curve`).

    Attributes
    ----------
    param_name : str
    param_range : list
    train_scores, test_scores : ndarrays of shape (m, k)
        Row i: the k folds' scores with ``param_name = param_range[i]``.
    scoring : str or callable
    """

    param_name: str
    param_range: list[Any]
    train_scores: Array
    test_scores: Array
    scoring: Scoring

    @property
    def best_index(self) -> int:
        """Where the mean test score is best (lowest MSE, else highest)."""
        means = self.test_scores.mean(axis=1)
        return int(np.argmax(means) if greater_is_better(self.scoring) else np.argmin(means))


def clone(estimator: Any, **params: Any) -> Any:
    """A new, unfitted estimator with the same hyperparameters (and ``params`` changed)."""
    for method in ("get_params", "fit", "predict"):
        if not callable(getattr(estimator, method, None)):
            raise LinregError(
                f"{type(estimator).__name__} is not an estimator (it has no {method} method); "
                "give e.g. LinearRegression() or PolynomialRegression()"
            )
    given = estimator.get_params()
    unknown = sorted(set(params) - set(given))
    if unknown:
        raise LinregError(
            f"{unknown[0]!r} is not a parameter of {type(estimator).__name__}; "
            f"its parameters are {', '.join(given)}"
        )
    return type(estimator)(**{**given, **params})


def cross_validate(
    estimator: Any,
    X: Any,
    y: ArrayLike,
    *,
    cv: int | KFold = 5,
    scoring: Scoring = "mse",
    seed: int = 0,
    sample_weight: ArrayLike | None = None,
    return_train_score: bool = False,
) -> CrossValidation:
    """Score ``estimator`` by k-fold cross-validation.

    For each fold j of the k (:class:`KFold`, shuffled from ``seed``): fit a copy on
    the other folds' rows, score it on fold j's. The mean of the k test scores
    estimates how the model does on new data of the same kind.

    Parameters
    ----------
    estimator : LinearRegression, PolynomialRegression, or any estimator with
        ``get_params``, ``fit`` and ``predict``. It is copied, never fitted.
    X : array-like of shape (N, d) (or (N,) for ``PolynomialRegression``)
    y : array-like of shape (N,)
    cv : int or KFold, default=5
        Number of folds k (2 <= k <= N), or the splits themselves.
    scoring : {"mse", "r2"} or callable, default="mse"
        See :mod:`linreg.model_selection.scoring`; ``"mse"`` is an error (lower is better).
    seed : int, default=0
        Seed of the folds' shuffle when ``cv`` is a number.
    sample_weight : array-like of shape (N,), optional
        Row weights: each fold's fit gets its rows' weights, and ``"mse"`` and
        ``"r2"`` weigh the test rows by them.
    return_train_score : bool, default=False
        Also score each fit on its own training rows.

    Returns
    -------
    CrossValidation
    """
    X, y_arr, w = _check_data(estimator, X, y, sample_weight)
    scoring = check_scoring(scoring)
    test, train = [], []
    for train_rows, test_rows in check_cv(cv, seed).split(y_arr):
        model = _fit(clone(estimator), X, y_arr, w, train_rows)
        test.append(_score(model, X, y_arr, w, test_rows, scoring))
        if return_train_score:
            train.append(_score(model, X, y_arr, w, train_rows, scoring))
    return CrossValidation(
        test_score=np.array(test),
        train_score=np.array(train) if return_train_score else None,
        scoring=scoring,
    )


def learning_curve(
    estimator: Any,
    X: Any,
    y: ArrayLike,
    *,
    train_sizes: Sequence[float] | ArrayLike = TRAIN_SIZES,
    cv: int | KFold = 5,
    scoring: Scoring = "mse",
    seed: int = 0,
) -> LearningCurve:
    """Training and test scores against the number of training rows.

    For every fold and every size n: fit a copy on the *first* n rows of the fold's
    training rows (in increasing row order), score it on those n rows and on the
    held-out fold. A gap between the two curves that stays open as n grows is
    variance (overfitting); two curves that meet high are bias (underfitting).

    Parameters
    ----------
    estimator, X, y, cv, scoring, seed :
        As in :func:`cross_validate`.
    train_sizes : sequence of float or int, default=(0.1, 0.325, 0.55, 0.775, 1.0)
        Fractions in (0, 1] of the smallest training part n_max (``int(f * n_max)``,
        at least 1), or whole numbers of rows in [1, n_max]. Repeated sizes are
        kept once, in increasing order.

    Returns
    -------
    LearningCurve
    """
    X, y_arr, _ = _check_data(estimator, X, y, None)
    scoring = check_scoring(scoring)
    folds = list(check_cv(cv, seed).split(y_arr))
    n_max = min(train.shape[0] for train, _ in folds)
    sizes = _train_sizes(train_sizes, n_max)
    train_scores = np.empty((sizes.shape[0], len(folds)))
    test_scores = np.empty_like(train_scores)
    for j, (train_rows, test_rows) in enumerate(folds):
        for i, n in enumerate(sizes.tolist()):
            rows = train_rows[:n]
            model = _fit(clone(estimator), X, y_arr, None, rows)
            train_scores[i, j] = _score(model, X, y_arr, None, rows, scoring)
            test_scores[i, j] = _score(model, X, y_arr, None, test_rows, scoring)
    return LearningCurve(sizes, train_scores, test_scores, scoring)


def validation_curve(
    estimator: Any,
    X: Any,
    y: ArrayLike,
    param_name: str,
    param_range: Iterable[Any],
    *,
    cv: int | KFold = 5,
    scoring: Scoring = "mse",
    seed: int = 0,
    sample_weight: ArrayLike | None = None,
) -> ValidationCurve:
    """Training and test scores against one hyperparameter.

    For every value v of ``param_range`` and every fold: fit a copy with
    ``param_name = v`` on the fold's training rows and score it there and on the
    held-out fold. The test curve's best point is the value cross-validation picks
    (:attr:`ValidationCurve.best_index`); the training curve only ever improves with
    more freedom, which is why the test curve, never the training one, chooses.

    Parameters
    ----------
    estimator, X, y, cv, scoring, seed, sample_weight :
        As in :func:`cross_validate`.
    param_name : str
        A parameter of ``estimator`` (``get_params()``), e.g. ``"degree"`` of
        ``PolynomialRegression``, ``"alpha"`` or ``"epochs"`` of ``LinearRegression``.
    param_range : iterable
        Its values, in the order to report them.

    Returns
    -------
    ValidationCurve
    """
    X, y_arr, w = _check_data(estimator, X, y, sample_weight)
    scoring = check_scoring(scoring)
    values = list(param_range)
    if not values:
        raise LinregError(f"param_range for {param_name!r} is empty; give at least one value")
    clone(estimator, **{param_name: values[0]})  # an unknown name fails here, before any fit
    folds = list(check_cv(cv, seed).split(y_arr))
    train_scores = np.empty((len(values), len(folds)))
    test_scores = np.empty_like(train_scores)
    for j, (train_rows, test_rows) in enumerate(folds):
        for i, value in enumerate(values):
            model = _fit(clone(estimator, **{param_name: value}), X, y_arr, w, train_rows)
            train_scores[i, j] = _score(model, X, y_arr, w, train_rows, scoring)
            test_scores[i, j] = _score(model, X, y_arr, w, test_rows, scoring)
    return ValidationCurve(param_name, values, train_scores, test_scores, scoring)


def _check_data(
    estimator: Any, X: Any, y: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[Any, Array, Array | None]:
    """X as rows that can be indexed, y and the weights as float vectors of the same length."""
    clone(estimator)  # an estimator at all
    if not hasattr(X, "iloc"):  # a DataFrame is indexed by position and keeps its names
        X = np.asarray(X)
    y_arr = np.asarray(y, dtype=np.float64)
    if y_arr.ndim != 1:
        raise LinregError(f"y must be one column of shape (N,), got shape {y_arr.shape}")
    n = n_rows(X)
    if y_arr.shape[0] != n:
        raise LinregError(f"X has {n} rows but y has {y_arr.shape[0]}; give one y per row")
    w = None
    if sample_weight is not None:
        from linreg.problem import check_sample_weight

        if "sample_weight" not in inspect.signature(estimator.fit).parameters:
            raise LinregError(
                f"{type(estimator).__name__}.fit takes no sample_weight; leave it out"
            )
        w = check_sample_weight(sample_weight, n)
    return X, y_arr, w


def _rows(X: Any, rows: Index) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _fit(model: Any, X: Any, y: Array, w: Array | None, rows: Index) -> Any:
    if w is None:
        return model.fit(_rows(X, rows), y[rows])
    return model.fit(_rows(X, rows), y[rows], sample_weight=w[rows])


def _score(model: Any, X: Any, y: Array, w: Array | None, rows: Index, scoring: Scoring) -> float:
    return score(model, _rows(X, rows), y[rows], scoring, None if w is None else w[rows])


def _train_sizes(train_sizes: Sequence[float] | ArrayLike, n_max: int) -> NDArray[np.int64]:
    """Training sizes as whole numbers of rows in [1, n_max], increasing, each once."""
    sizes = np.asarray(train_sizes, dtype=np.float64).reshape(-1)
    if sizes.size == 0 or not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise LinregError(
            f"train_sizes must be positive fractions (at most 1) or numbers of rows; "
            f"got {np.asarray(train_sizes).tolist()}"
        )
    if np.all(sizes <= 1.0) and np.asarray(train_sizes).dtype.kind == "f":
        rows = np.maximum((sizes * n_max).astype(np.int64), 1)
    else:
        if np.any(sizes != np.round(sizes)) or np.any(sizes > n_max):
            raise LinregError(
                f"train_sizes as numbers of rows must be whole numbers in [1, {n_max}] "
                f"(the smallest training part of the folds); got {sizes.tolist()}"
            )
        rows = sizes.astype(np.int64)
    return np.unique(rows)
