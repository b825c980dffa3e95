"""Input checks at the boundary of the library.

Everything a user hands to linreg passes through here once; the math behind it
can then assume finite float64 arrays of consistent shapes. Each message names
the value at fault and what to do about it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError, NonFiniteDataError
from linreg.missing import as_numeric
from linreg.sklearn_compat import sklearn_twin

__all__ = [
    "DataConversionWarning",
    "DataWarning",
    "as_float_array",
    "check_X",
    "check_X_y",
    "check_finite",
    "check_positive",
    "check_rows",
    "constant_columns",
    "is_dask_collection",
    "require_finite",
    "warn_constant",
]

Array = NDArray[np.float64]

# numpy >= 1.25 moved its warnings to numpy.exceptions.
_ComplexWarning: type[Warning] = getattr(np, "exceptions", np).ComplexWarning


class DataWarning(UserWarning):
    """The data are usable but suspicious (for example a constant feature)."""


class DataConversionWarning(DataWarning):
    """The data were taken in another shape than given (a column vector y as 1-D).

    Named as scikit-learn's warning of the same case, which its checks look for.
    """


def _feature_names(X: Any) -> list[str] | None:
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    return [str(c) for c in columns]


def as_float_array(value: Any, what: str) -> Array:
    """``value`` as a float64 array, or an error naming ``what``.

    Raises
    ------
    TypeError
        For a string, or values that are not numbers.
    LinregError
        For a scipy sparse matrix (linreg needs dense data) or complex numbers.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be numeric array-like, got a string")
    if _is_sparse(value):
        raise LinregError(
            f"{what} is a scipy sparse {type(value).__name__}; sparse input is not "
            f"supported: pass a dense array ({what}.toarray())"
        )
    # Casting complex numbers to float would drop their imaginary parts.
    with warnings.catch_warnings():
        warnings.simplefilter("error", _ComplexWarning)
        try:
            arr = np.asarray(as_numeric(value), dtype=np.float64)  # pandas' NA -> NaN
        except _ComplexWarning:
            arr = None
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{what} must contain only numbers: {exc}") from None
    if arr is None:
        raise LinregError(
            f"{what} holds complex numbers (Complex data not supported); "
            f"give real values, e.g. the real part {what}.real"
        )
    return arr


def _is_sparse(value: Any) -> bool:
    """Whether ``value`` is a scipy sparse matrix or array, without importing scipy."""
    return type(value).__module__.startswith("scipy.sparse") and hasattr(value, "toarray")


def _check_finite(arr: Array, what: str, names: list[str] | None) -> None:
    # One cheap pass: the sum is finite whenever every entry is (it can also overflow
    # on huge finite data, which the exact check below then clears).
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(arr)):
            return
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.argwhere(bad)[0]
        kind = "NaN" if np.isnan(arr[tuple(where)]) else "an infinite value"
        if arr.ndim == 2:
            col = names[where[1]] if names else f"column {where[1]}"
            loc = f"row {where[0]}, {col}"
        else:
            loc = f"row {where[0]}"
        raise LinregError(
            f"{what} contains {kind} at {loc} ({int(bad.sum())} bad value(s) in all); "
            "remove or impute them before fitting"
        )


def require_finite(X: Array, y: Array | None = None) -> None:
    """Raise :class:`~linreg.errors.NonFiniteDataError` unless ``X`` (and ``y``) are
    finite: for solvers whose sums came out non-finite, to tell NaN and infinities
    from overflow (the caller then has :func:`check_finite` name the cell)."""
    if not (np.isfinite(X).all() and (y is None or np.isfinite(y).all())):
        raise NonFiniteDataError(
            "X or y contains NaN or infinite values; remove or impute them before fitting"
        )


def check_finite(X: Array, y: Array | None = None, names: list[str] | None = None) -> None:
    """Raise a :class:`LinregError` naming the first NaN or infinite cell of ``X``
    (then of ``y``), if there is one; ``names`` are the columns of ``X``."""
    _check_finite(X, "X", names)
    if y is not None:
        _check_finite(y, "y", None)


def check_X(
    X: Any,
    *,
    n_features: int | None = None,
    feature_names: list[str] | None = None,
    finite: bool = True,
    estimator: str = "the model",
) -> tuple[Array, list[str] | None]:
    """Validate a feature matrix and return it as float64 (N, d) with its column names.

    Parameters
    ----------
    X : array-like of shape (N, d) or (N,), or a pandas DataFrame
        A 1-D input is taken as one feature.
    n_features : int, optional
        The number of features the model was fitted with.
    feature_names : list of str, optional
        The names the model was fitted with; a DataFrame must carry the same.
    finite : bool, default True
        Check that every value is finite. A caller whose first pass over the
        data would see a NaN or infinity anyway (the solvers' sums) may leave it
        to that pass, and call :func:`check_finite` when it does.
    estimator : str, default="the model"
        Who asks, for the messages (the class name of a fitted estimator).

    Raises
    ------
    LinregError
        For no rows or no columns, more than 2 dimensions, a non-finite value,
        or features other than the fitted ones (a 1-D X against a model of
        several features: reshape it).
    """
    names = _feature_names(X)
    arr = as_float_array(X, "X")
    if arr.ndim == 1:
        if n_features is not None and n_features != 1:
            raise LinregError(
                f"X is 1-D ({arr.shape[0]} values) but {estimator} was fitted with "
                f"{n_features} features; Reshape your data: X.reshape(1, -1) if it is one sample"
            )
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise LinregError(f"X must be 2-D (samples x features), got {arr.ndim} dimensions")
    if arr.shape[0] == 0:
        raise LinregError(
            f"X has no rows: 0 samples (shape={arr.shape}) while a minimum of 1 is required; "
            "give at least one row"
        )
    if arr.shape[1] == 0:
        raise LinregError(
            f"X has no columns: 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required; "
            "give at least one feature column"
        )
    if finite:
        _check_finite(arr, "X", names)
    if n_features is not None and arr.shape[1] != n_features:
        raise LinregError(
            f"X has {arr.shape[1]} features, but {estimator} is expecting {n_features} "
            "features as input; give the same features as in training"
        )
    if names is not None and feature_names is not None and names != list(feature_names):
        raise LinregError(
            f"X has columns {names} but the model was fitted on {list(feature_names)}; "
            "give the same features as in training"
        )
    return arr, names


def check_y(y: Any, n_samples: int, *, finite: bool = True) -> Array:
    """Validate a target vector: shape (N,) (or (N, 1)), finite (unless ``finite`` is
    False, see :func:`check_X`), as float64."""
    if y is None:
        raise LinregError("fitting requires y to be passed, but the target y is None")
    arr = as_float_array(y, "y")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise LinregError(f"y must be 1-D with one target per row, got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise LinregError(f"X has {n_samples} rows but y has {arr.shape[0]}; give one y per row")
    if finite:
        _check_finite(arr, "y", None)
    return arr


def check_X_y(
    X: Any, y: Any, *, fit_intercept: bool = True, finite: bool = True
) -> tuple[Array, Array, list[str] | None]:
    """Validate training data: finite, enough rows, a warning for constant features.

    ``finite=False`` leaves the finiteness to the caller (see :func:`check_X`).

    Raises
    ------
    LinregError
        For one row, or fewer rows than parameters (d + 1 with an intercept).
    """
    X_arr, names = check_X(X, finite=finite)
    if getattr(y, "ndim", 1) == 2 and getattr(y, "shape", (0, 0))[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected; "
            "taking it as 1-D (give y.ravel() to say so)",
            sklearn_twin(DataConversionWarning, "exceptions", "DataConversionWarning"),
            stacklevel=3,
        )
    y_arr = check_y(y, X_arr.shape[0], finite=finite)
    check_rows(X_arr.shape[0], X_arr.shape[1], fit_intercept)
    # (A column of one infinite value is not "constant": the finiteness check names it.)
    constant = [j for j in constant_columns(X_arr) if np.isfinite(X_arr[0, j])]
    warn_constant([names[j] if names else f"column {j}" for j in constant], stacklevel=4)
    return X_arr, y_arr, names


def check_rows(n_samples: int, n_features: int, fit_intercept: bool) -> None:
    """Raise unless there are at least two rows and as many rows as parameters."""
    if n_samples < 2:
        many = "only one row" if n_samples == 1 else "no rows"
        raise LinregError(
            f"the data have {many} (n_samples={n_samples}); a line needs at least two"
        )
    n_params = n_features + int(fit_intercept)
    if n_samples < n_params:
        raise LinregError(
            f"the data have {n_samples} rows but {n_params} parameters to learn "
            f"({n_features} feature(s){' + intercept' if fit_intercept else ''}); "
            "give at least as many rows as parameters, or fewer features"
        )


def warn_constant(labels: Sequence[str], stacklevel: int) -> None:
    """The :class:`DataWarning` for constant features (none if ``labels`` is empty)."""
    if labels:
        warnings.warn(
            f"feature(s) {', '.join(labels)} are constant: they carry no information "
            "and make the problem singular; consider dropping them",
            DataWarning,
            stacklevel=stacklevel,
        )


def constant_columns(X: Array, block: int = 1 << 16) -> NDArray[np.intp]:
    """Indices of the columns whose every value equals the first row's.

    Reads X in blocks growing from 16 rows to ``block`` (times 4 each), each only in
    the columns that may still be constant, and stops as soon as none may: on real
    data after the first 16 rows, whatever the size of X.
    """
    constant = np.ones(X.shape[1], dtype=bool)
    first = X[0]
    start, size = 0, min(16, block)
    while start < X.shape[0]:
        columns = np.flatnonzero(constant)
        if columns.size == 0:
            break
        rows = X[start : start + size]
        if columns.size < X.shape[1]:
            constant[columns] = ~np.any(rows[:, columns] != first[columns], axis=0)
        else:
            constant = ~np.any(rows != first, axis=0)
        start, size = start + size, min(4 * size, block)
    return np.flatnonzero(constant)


def check_positive(value: Any, name: str, *, integer: bool = False) -> None:
    """Raise ``LinregError`` unless ``value`` is a finite number > 0 (an int if asked)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok and integer:
        ok = float(value) == int(value)
    if not ok or not np.isfinite(value) or value <= 0:
        kind = "a positive integer" if integer else "a positive number"
        raise LinregError(f"{name} must be {kind}, got {value!r}")


def is_dask_collection(obj: Any) -> bool:
    """Whether ``obj`` is a Dask collection (array, DataFrame, Series), without importing Dask.

    Dask collections implement ``__dask_graph__`` (the collection protocol); the
    type is asked, not the instance, so that a DataFrame's column access is not
    triggered.
    """
    return callable(getattr(type(obj), "__dask_graph__", None))
