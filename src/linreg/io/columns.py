"""The column rules every reader shares: names, the number of columns, features, bad cells.

One rule, in one place, for the in-memory CSV reader
(:func:`linreg.io.tables.read_table`), the streamed CSV and Parquet sources
(:mod:`linreg.sources.batches`) and the Dask reader (:mod:`linreg.sources.distributed`):

* **Names.** Header names are trimmed of spaces; every column needs a name, no
  name may appear twice, and a file may have at most :func:`max_columns` columns
  (:data:`DEFAULT_MAX_COLUMNS`, changed by the environment variable
  :data:`MAX_COLUMNS_ENV`).
* **A number.** A cell is a number when, with spaces and tabs around it trimmed,
  it is a decimal floating-point literal: an optional sign, digits with an optional
  decimal point, an optional exponent (``-1.5e-3``, ``.5``, ``7.``), or ``nan`` /
  ``inf`` / ``infinity`` in any case. Nothing else is: not ``1,000``, ``1_000``,
  ``0x1p3``, ``NA``, ``null``, an empty cell, a cell with a line break or a NUL
  byte. The parse is Apache Arrow's, correctly rounded, so a file reads to the same
  bits whatever the versions of pandas or NumPy.
* **A bad cell.** In every column used (the target, the features, the weights,
  ``y_true``) every cell must be a *finite* number; the first one that is not is a
  :class:`~linreg.errors.LinregError` naming the file, the column, the line and the
  value.
* **The features.** The target is chosen by name; the features are the columns
  named, else every other *numeric* column except ``y_true`` and the weights. A CSV
  column is numeric when at least one non-empty cell among its first
  :data:`SNIFF_ROWS` data rows is a number; a text column is left out with a
  :class:`~linreg.validation.DataWarning`. Once a column is numeric, every cell of
  it must be a number: one bad cell anywhere is an error, never a dropped column.
  A Parquet column is numeric when its type is an integer, floating-point or
  decimal type (integers beyond 2**53 in magnitude are an error: float64 cannot
  hold them exactly).
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.validation import DataWarning

__all__ = [
    "DEFAULT_MAX_COLUMNS",
    "MAX_COLUMNS_ENV",
    "SNIFF_ROWS",
    "TRUTH_COLUMN",
    "bad_cell_error",
    "check_exact_integers",
    "check_finite_column",
    "check_header",
    "check_text_columns",
    "check_weight_column",
    "check_weights_not_all_zero",
    "describe_cell",
    "max_columns",
    "resolve_columns",
]

Array = NDArray[np.float64]

TRUTH_COLUMN: Final = "y_true"
#: Columns a file may have unless :data:`MAX_COLUMNS_ENV` says otherwise: column
#: handling is linear, but a fit with d features needs d^2 numbers.
DEFAULT_MAX_COLUMNS: Final = 10_000
#: The environment variable that changes the column limit (a positive integer).
MAX_COLUMNS_ENV: Final = "LINREG_MAX_COLUMNS"
#: Data rows of a CSV that decide which columns are numeric (the same in every reader).
SNIFF_ROWS: Final = 1_000
#: Characters of a bad cell quoted in a message.
_CELL_CHARS: Final = 40
#: A text column with at most this many distinct values among its sampled cells looks
#: like categories, and its message says how to use it in a formula.
CATEGORY_LEVELS: Final = 50
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BOOLEANS = frozenset({"true", "false"})


def max_columns() -> int:
    """The most columns a file may have: :data:`MAX_COLUMNS_ENV`, else the default."""
    raw = os.environ.get(MAX_COLUMNS_ENV)
    if raw is None or raw.strip() == "":
        return DEFAULT_MAX_COLUMNS
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise LinregError(
            f"{MAX_COLUMNS_ENV}={raw[:_CELL_CHARS]!r} is not a positive whole number; "
            f"set it to the most columns a file may have (default {DEFAULT_MAX_COLUMNS})"
        )
    return value


def check_column_count(name: str, count: int) -> None:
    """Refuse a file of more than :func:`max_columns` columns, saying how to allow it."""
    limit = max_columns()
    if count > limit:
        raise LinregError(
            f"{name}: has {count} columns, more than the limit of {limit}; "
            f"set the environment variable {MAX_COLUMNS_ENV} to allow more"
        )


def check_header(name: str, header: Sequence[str]) -> list[str]:
    """The trimmed column names, checked: at most :func:`max_columns`, named, unique.

    Linear in the number of columns.
    """
    check_column_count(name, len(header))
    names = [str(c).strip() for c in header]
    unnamed = [i + 1 for i, c in enumerate(names) if c == ""]
    if unnamed:
        raise LinregError(
            f"{name}: column {unnamed[0]} of the header has no name; name every column"
        )
    _check_unique(name, names)
    return names


def _check_unique(name: str, columns: Sequence[str]) -> None:
    duplicated = sorted(c for c, n in Counter(columns).items() if n > 1)
    if duplicated:
        shown = duplicated[:10]
        more = f" and {len(duplicated) - 10} more" if len(duplicated) > 10 else ""
        raise LinregError(f"{name}: column(s) {shown}{more} appear more than once; rename them")


def describe_cell(cell: str) -> str:
    """A cell for a message: "an empty cell" or "the non-numeric value '...'" (one line)."""
    if cell.strip(" \t") == "":
        return "an empty cell" if cell == "" else f"a blank cell {cell!r}"
    shown = cell if len(cell) <= _CELL_CHARS else cell[:_CELL_CHARS] + "..."
    return f"the non-numeric value {shown!r}"


def bad_cell_error(name: str, column: str, where: str, cell: str) -> LinregError:
    """The one-line error for a cell that is not a number (with the fix for a number
    written with thousands separators, or True/False)."""
    why = "every cell must be a number"
    trimmed = cell.strip(" \t")
    if _THOUSANDS.fullmatch(trimmed):
        why = (
            f"a number with thousands separators: remove the commas, write "
            f"{trimmed.replace(',', '')}, so that the column reads as numbers"
        )
    elif trimmed.lower() in _BOOLEANS:
        why = "write True/False as 1/0: every cell must be a number"
    fix = f"fix or remove that row ({why})"
    return LinregError(f"{name}: column {column!r} {where} has {describe_cell(cell)}; {fix}")


def check_finite_column(
    values: NDArray[np.float64], name: str, column: str, where: Callable[[int], str]
) -> None:
    """Raise the one-line error for the first NaN or infinity of a file's column.

    ``where(row)`` places the row for the reader (a CSV line, a data row of a batch).
    """
    nonfinite = ~np.isfinite(values)
    if nonfinite.any():
        row = int(np.flatnonzero(nonfinite)[0])
        kind = "NaN" if np.isnan(values[row]) else "an infinite value"
        raise LinregError(
            f"{name}: column {column!r} {where(row)} has {kind}; "
            "remove or impute it (every cell must be a finite number)"
        )


def check_weight_column(
    values: NDArray[np.float64], name: str, column: str, where: Callable[[int], str]
) -> None:
    """Raise the one-line error for the first weight that is not a finite number ``>= 0``.

    :func:`linreg.problem.check_sample_weight`'s rule for a file's weight column,
    naming the file, the column, the row (``where(row)``) and the value. That the
    weights are not all zero is checked once all rows are read.
    """
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LinregError(
            f"{name}: column {column!r} {where(row)} has the weight {float(values[row])!r}; "
            "weights must be finite numbers >= 0"
        )


def check_weights_not_all_zero(values: NDArray[np.float64], name: str, column: str) -> None:
    """Raise the one-line error for a weight column with no weight above zero."""
    if not np.any(values > 0):
        raise LinregError(
            f"{name}: the weights in column {column!r} are all zero; "
            "at least one row needs a weight > 0"
        )


def check_exact_integers(
    part: Any, name: str, columns: list[str], partition_info: Any = None
) -> Any:
    """The pandas partition ``part``, unless an integer column holds a value beyond 2**53.

    float64 cannot hold such an integer exactly. For Dask's ``map_partitions``
    (``partition_info`` numbers the partition).
    """
    number = "?" if not partition_info else partition_info.get("number", "?")
    for column in columns:
        values = part[column].to_numpy()
        big = np.flatnonzero((values > 2**53) | (values < -(2**53)))
        if big.size:
            row = int(big[0])
            raise LinregError(
                f"{name}: column {column!r} row {row + 1} of partition {number} has the "
                f"integer {int(values[row])}, beyond 2**53: float64 cannot hold it exactly; "
                "scale the column or store it as floating point"
            )
    return part


def check_text_columns(
    name: str, columns: Sequence[str], cells: Callable[[str], Sequence[str]], target: str | None
) -> None:
    """Say what to do with text columns that are not features, by their sampled ``cells``.

    A column of numbers written with thousands separators (``"25,593,414"``) or of
    ``True``/``False`` is an error naming the column and the fix: it is almost numbers,
    and never silently left out. A column of few distinct texts (at most
    :data:`CATEGORY_LEVELS`) gets a :class:`~linreg.validation.DataWarning` naming it
    and the ``--formula`` way to use it as categories; other text columns a warning
    that they are left out.
    """
    categories: list[str] = []
    others: list[str] = []
    for column in columns:
        values = [c.strip(" \t") for c in cells(column)]
        values = [v for v in values if v]
        if values and all(_THOUSANDS.fullmatch(v) or _PLAIN_NUMBER.fullmatch(v) for v in values):
            example = next(v for v in values if "," in v)
            raise LinregError(
                f"{name}: column {column!r} holds numbers written with thousands separators "
                f"({example!r}); remove the commas (write {example.replace(',', '')}) so that "
                "it is read as numbers, or leave it out with --features"
            )
        if values and {v.lower() for v in values} <= _BOOLEANS:
            raise LinregError(
                f"{name}: column {column!r} holds True/False values, not numbers; write them "
                f'as 1/0, or use it as a category with --formula "{target or "y"} ~ ... + '
                f'C({column})"'
            )
        if values and len(set(values)) <= CATEGORY_LEVELS:
            categories.append(column)
        else:
            others.append(column)
    if categories:
        terms = " + ".join(f"C({c})" for c in categories[:3])
        warnings.warn(
            f"{name}: ignoring non-numeric column(s) {_listing([repr(c) for c in categories])}, "
            f'which look like categories; to use them, fit with --formula "{target or "y"} ~ ... + '
            f'{terms}"',
            DataWarning,
            stacklevel=4,
        )
    if others:
        warnings.warn(
            f"{name}: ignoring non-numeric column(s) {_listing([repr(c) for c in others])}",
            DataWarning,
            stacklevel=4,
        )


def _listing(columns: Sequence[str]) -> str:
    shown = ", ".join(columns[:20])
    return shown if len(columns) <= 20 else f"{shown}, ... ({len(columns)} in all)"


def resolve_columns(
    name: str,
    columns: Sequence[str],
    is_numeric: Callable[[str], bool],
    *,
    target: str | None,
    features: Sequence[str] | None,
    require_target: bool = True,
    weight: str | None = None,
    cells: Callable[[str], Sequence[str]] | None = None,
) -> list[str]:
    """The feature columns of a file by linreg's rules, shared by every reader.

    The target is ``target``; the features are ``features`` when given, else every
    other numeric column except ``y_true`` and the weight column ``weight``. Linear
    in the number of columns.

    Parameters
    ----------
    name : str
        The file, for messages.
    columns : sequence of str
        The file's columns, in order.
    is_numeric : callable
        Whether a column holds numbers.
    target : str or None
    features : sequence of str, optional
        The features asked for; by default every other numeric column except ``y_true``.
    require_target : bool, default=True
        When False, a missing target is allowed (for prediction).
    weight : str, optional
        The column of row weights: it must exist, and is neither target nor feature.
    cells : callable, optional
        The sampled cells of a text column, as text: then a text column left out is
        judged by :func:`check_text_columns` (numbers with thousands separators or
        True/False an error, categories a hint at ``--formula``).

    Raises
    ------
    LinregError
        Too many or repeated column names, a missing target, feature or weight
        column, a target or weight column among the features, a feature named
        twice, or no feature left.
    """
    columns = list(columns)
    check_column_count(name, len(columns))
    _check_unique(name, columns)
    present = set(columns)
    if weight is not None:
        if weight not in present:
            raise LinregError(
                f"{name}: no weight column {weight!r} (columns: {_listing(columns)}); "
                "name the column of row weights"
            )
        if weight == target:
            raise LinregError(f"{name}: the target {target!r} cannot also be the weights")
        if features is not None and weight in features:
            raise LinregError(f"{name}: the weight column {weight!r} cannot also be a feature")
    if target is not None and target not in present and require_target:
        raise LinregError(
            f"{name}: no target column {target!r} (columns: {_listing(columns)}); "
            "name the target with --target"
        )
    if features is not None:
        missing = [f for f in features if f not in present]
        if missing:
            raise LinregError(
                f"{name}: no feature column(s) {', '.join(map(repr, missing))} "
                f"(columns: {_listing(columns)})"
            )
        if target in features:
            raise LinregError(f"{name}: the target {target!r} cannot also be a feature")
        twice = sorted(c for c, n in Counter(features).items() if n > 1)
        if twice:
            raise LinregError(f"{name}: feature(s) {twice} are named more than once")
        chosen = list(features)
    else:
        candidates = [c for c in columns if c not in (target, TRUTH_COLUMN, weight)]
        chosen = [c for c in candidates if is_numeric(c)]
        kept = set(chosen)
        skipped = [c for c in candidates if c not in kept]
        if skipped and cells is not None:
            check_text_columns(name, skipped, cells, target)
        elif skipped:  # no cells to judge them by (a Parquet or Dask column of text)
            warnings.warn(
                f"{name}: ignoring non-numeric column(s) {_listing([repr(c) for c in skipped])}; "
                f'to use text as categories, fit with --formula "{target or "y"} ~ ... + '
                f'C({skipped[0]})"',
                DataWarning,
                stacklevel=3,  # the reader's caller: shown once however often a file is opened
            )
    if not chosen:
        raise LinregError(
            f"{name}: no numeric feature columns besides the target {target!r}; "
            "the file needs at least one feature"
        )
    return chosen
