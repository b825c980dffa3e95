"""Missing values: pandas' nullable numbers read as floats, and rows with a gap dropped or refused.

Two rules, shared by :func:`linreg.fit_formula`, the estimator's checks and the command line:

* **Nullable dtypes are numbers.** A pandas column of ``Float64``, ``Int64`` (any nullable
  integer) or ``boolean`` dtype holds numbers with ``pd.NA`` for a gap. It reads as
  float64 with NaN for each gap (:func:`as_numeric`), so the usual checks then name the
  gap rather than failing on the ``NA`` object.
* **missing = "raise" or "drop".** Every row with a missing value (NaN, ``None``,
  ``pd.NA``) in a column the fit uses is either refused, naming the column
  (``"raise"``, the default), or dropped (``"drop"``) with a
  :class:`~linreg.errors.MissingValuesWarning` saying how many rows went and from which
  columns: ``dropped 3 of 51 rows with missing values: poverty 3``. This is
  statsmodels' ``missing="drop"``: the rows are dropped before the fit, listwise.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from linreg.errors import LinregError, MissingValuesWarning

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MISSING_ACTIONS", "Dropped", "as_numeric", "check_missing_action", "drop_missing"]

#: What ``missing=`` may be.
MISSING_ACTIONS = ("raise", "drop")


def _is_nullable_number(dtype: Any) -> bool:
    """Whether ``dtype`` is a pandas extension dtype of numbers or booleans (with ``pd.NA``)."""
    return not isinstance(dtype, np.dtype) and getattr(dtype, "kind", "O") in "biuf"


def as_numeric(value: Any) -> Any:
    """``value``, with pandas' nullable numbers as a float64 array (NaN for ``pd.NA``).

    A pandas DataFrame or Series whose every column is a number type, at least one of
    them nullable (``Float64``, ``Int64``, ``boolean``...), becomes
    ``value.to_numpy(float64, na_value=nan)`` of the same shape; anything else is
    returned as it is. NumPy cannot convert ``pd.NA`` to a float by itself.
    """
    if not type(value).__module__.startswith("pandas"):
        return value
    dtypes = getattr(value, "dtypes", None)
    if dtypes is None:
        return value
    kinds = [getattr(value, "dtype", None)] if not hasattr(dtypes, "tolist") else dtypes.tolist()
    if not any(_is_nullable_number(d) for d in kinds):
        return value
    if not all(_is_nullable_number(d) or getattr(d, "kind", "O") in "biuf" for d in kinds):
        return value
    return value.to_numpy(dtype=np.float64, na_value=np.nan)


def numeric_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with its nullable number ``columns`` (``Float64``, ``Int64``, ``boolean``)
    as float64, NaN for ``pd.NA``; a copy when any changes."""
    changed = {c: frame[c] for c in columns if _is_nullable_number(frame[c].dtype)}
    if not changed:
        return frame
    frame = frame.copy()
    for column, values in changed.items():
        frame[column] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return frame


def check_missing_action(missing: Any) -> str:
    """``missing`` if it is ``"raise"`` or ``"drop"``, else the one-line error."""
    if missing not in MISSING_ACTIONS:
        raise LinregError(f"missing must be 'raise' or 'drop', got {missing!r}")
    return str(missing)


@dataclass(frozen=True)
class Dropped:
    """The rows :func:`drop_missing` dropped: how many of how many, and per column.

    Attributes
    ----------
    n_dropped, n_rows : int
    by_column : dict of str to int
        Missing cells in each column that has some, in the columns' order.
    """

    n_dropped: int
    n_rows: int
    by_column: dict[str, int]

    def __str__(self) -> str:
        where = ", ".join(f"{c} {n}" for c, n in self.by_column.items())
        return f"dropped {self.n_dropped} of {self.n_rows} rows with missing values: {where}"


def drop_missing(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    missing: str = "raise",
    name: str = "data",
    weights: Any = None,
    stacklevel: int = 3,
) -> tuple[pd.DataFrame, Any, Dropped | None]:
    """``frame`` without the rows that miss a value in ``columns`` (``missing="drop"``).

    Parameters
    ----------
    frame : pandas.DataFrame
        N rows; ``columns`` must be among its columns.
    columns : sequence of str
        The columns the fit uses.
    missing : {"raise", "drop"}, default="raise"
    name : str
        The data, for messages.
    weights : array-like of shape (N,), optional
        Row weights, cut to the rows kept.
    stacklevel : int
        Of the :class:`~linreg.errors.MissingValuesWarning`.

    Returns
    -------
    frame : pandas.DataFrame
        The rows kept (``frame`` itself when none is missing), index reset.
    weights : array-like or None
        The weights of the rows kept.
    dropped : Dropped or None
        What was dropped; None when no row was.

    Raises
    ------
    LinregError
        ``missing="raise"`` and a value is missing: names the column, the count and
        the first row, and the two ways out.
    """
    check_missing_action(missing)
    columns = list(dict.fromkeys(columns))
    gaps = frame[columns].isna().to_numpy()
    if not gaps.any():
        return frame, weights, None
    counts = gaps.sum(axis=0)
    by_column = {c: int(n) for c, n in zip(columns, counts, strict=True) if n}
    if missing == "raise":
        column = next(iter(by_column))
        row = int(np.flatnonzero(gaps[:, columns.index(column)])[0])
        raise LinregError(
            f"{name + ': ' if name else ''}column {column!r} has {by_column[column]} missing "
            f"value(s) (the first in "
            f"row {row + 1}); drop those rows with missing='drop' (--missing drop) or impute them"
        )
    keep = ~gaps.any(axis=1)
    dropped = Dropped(int((~keep).sum()), int(frame.shape[0]), by_column)
    if not keep.any():
        raise LinregError(
            f"{name + ': ' if name else ''}every row misses a value ({dropped}); nothing is left"
        )
    warnings.warn(str(dropped), MissingValuesWarning, stacklevel=stacklevel)
    kept_weights = None if weights is None else np.asarray(as_numeric(weights))[keep]
    return frame.loc[keep].reset_index(drop=True), kept_weights, dropped
