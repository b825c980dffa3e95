"""Parquet files: their columns (the saved pandas index left out) and checked values.

:class:`ParquetReader` is to Parquet what :class:`linreg.io.csvreader.CSVReader` is
to CSV: the header, the numeric columns and blocks of float64 values, for
:func:`linreg.io.tables.read_table` (in memory) and
:class:`linreg.sources.batches.ParquetSource` (streamed), which therefore see the
same columns and the same errors.

The pandas index
----------------
``DataFrame.to_parquet`` stores a DataFrame's index, unless it is a plain range,
as columns: ``__index_level_0__`` when unnamed, its name otherwise, listed under
``index_columns`` in the ``pandas`` metadata of the schema. An index labels rows;
it is not a measurement, and fitting it would change every other coefficient. So
those columns are not in :attr:`ParquetReader.header`, unless asked for by name
(``keep``: a target, a feature or a weight column the user named).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.io.columns import check_finite_column

__all__ = [
    "ParquetReader",
    "column_values",
    "is_unnamed_index",
    "pandas_index_columns",
    "parquet_error",
]

Array = NDArray[np.float64]
#: The largest integer magnitude below which every integer is a float64 (2**53).
_EXACT_INTEGER: Final = 2**53
#: Rows per block read into memory.
_BLOCK_ROWS: Final = 1 << 16
_UNNAMED_INDEX = re.compile(r"__index_level_\d+__")
_INSTALL_HINT = 'pip install "pyarrow>=14"'


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise LinregError(f"reading Parquet files needs pyarrow: {_INSTALL_HINT}") from None
    return pyarrow


def parquet_error(name: str, exc: BaseException) -> LinregError:
    """A reading error of pyarrow's Parquet reader as one line naming the file."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if len(first) > 200:
        first = first[:200] + "..."
    return LinregError(f"{name}: not a valid Parquet file ({first}); check or rewrite the file")


def is_unnamed_index(column: str) -> bool:
    """Whether ``column`` is pandas' name for an unnamed index level (``__index_level_0__``)."""
    return _UNNAMED_INDEX.fullmatch(column) is not None


def pandas_index_columns(schema: Any) -> list[str]:
    """The columns of an Arrow ``schema`` that hold a saved pandas index.

    Those listed as ``index_columns`` in the schema's ``pandas`` metadata, and any
    named ``__index_level_N__`` (pandas' name for an unnamed index level).
    """
    names = list(schema.names)
    index = [n for n in names if _UNNAMED_INDEX.fullmatch(n)]
    raw = (schema.metadata or {}).get(b"pandas")
    if raw:
        try:
            listed = json.loads(raw).get("index_columns", [])
        except (ValueError, AttributeError, RecursionError):
            listed = []  # metadata not written by pandas: no index
        if isinstance(listed, list):
            index += [n for n in listed if isinstance(n, str) and n in names]
    return list(dict.fromkeys(index))


def column_values(
    array: Any, name: str, column: str, where: Callable[[int], str], what: str
) -> Array:
    """The values of an Arrow numeric ``array`` as float64, each a finite number.

    Parameters
    ----------
    array : pyarrow.Array
        Integers, floating point or decimals.
    name, column : str
        The file and the column, for messages.
    where : callable
        ``where(row)`` places row ``row`` of ``array`` for messages.
    what : str
        What a missing value is called ("a missing value").

    Raises
    ------
    LinregError
        A missing value, an integer beyond 2**53 (float64 would round it), NaN or
        an infinity.
    """
    pa = _pyarrow()
    if array.null_count:
        row = int(np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))[0])
        raise LinregError(
            f"{name}: column {column!r} {where(row)} has {what}; "
            "fix or remove that row (every cell must be a number)"
        )
    if pa.types.is_integer(array.type):
        exact = np.asarray(array.to_numpy(zero_copy_only=False))
        big = np.flatnonzero((exact > _EXACT_INTEGER) | (exact < -_EXACT_INTEGER))
        if big.size:
            row = int(big[0])
            raise LinregError(
                f"{name}: column {column!r} {where(row)} has the integer {int(exact[row])}, "
                "beyond 2**53: float64 cannot hold it exactly; scale the column or store "
                "it as floating point"
            )
        return exact.astype(np.float64)
    if not pa.types.is_floating(array.type):
        array = array.cast(pa.float64(), safe=False)
    values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
    check_finite_column(values, name, column, where)
    return values


class ParquetReader:
    """A Parquet file's columns, numeric columns and checked values.

    Parameters
    ----------
    path : path-like
    keep : collection of str, optional
        Columns named by the user: kept in :attr:`header` even when they hold the
        saved pandas index.

    Attributes
    ----------
    name : str
    header : list of str
        The columns in file order, less the saved pandas index (see the module).
    index_columns : list of str
        The pandas index columns left out.
    types : dict of str to pyarrow.DataType
    n_rows : int

    Raises
    ------
    LinregError
        Missing file, a folder, not a Parquet file.
    """

    def __init__(self, path: str | os.PathLike[str], *, keep: Collection[str] = ()) -> None:
        pa = _pyarrow()
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.exists():
            raise LinregError(f"{self.name}: file not found; check the path")
        if self.path.is_dir():
            raise LinregError(f"{self.name}: is a folder, not a data file")
        try:
            with pa.parquet.ParquetFile(self.name) as handle:
                schema = handle.schema_arrow
                self.n_rows = int(handle.metadata.num_rows)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise parquet_error(self.name, exc) from None
        index = set(pandas_index_columns(schema)) - set(keep)
        self.index_columns = [n for n in schema.names if n in index]
        self.header = [n for n in schema.names if n not in index]
        self.types = {f.name: f.type for f in schema}

    def numeric_columns(self) -> set[str]:
        """The columns of integers, floating point or decimals."""
        t = _pyarrow().types
        return {
            c
            for c in self.header
            if t.is_integer(self.types[c])
            or t.is_floating(self.types[c])
            or t.is_decimal(self.types[c])
        }

    def check_numeric(self, columns: Collection[str]) -> None:
        """Raise the one-line error for the first of ``columns`` that is not numeric."""
        numeric = self.numeric_columns()
        for column in columns:
            if column not in numeric:
                raise LinregError(
                    f"{self.name}: column {column!r} is not numeric (type "
                    f"{self.types[column]}); choose numeric columns with --target and --features"
                )

    def locator(self, start: int) -> Callable[[int], str]:
        """``where`` for the rows of a block whose first row is data row ``start``."""
        return lambda row: f"data row {start + row + 1}"

    def records(self, columns: list[str], rows: int = _BLOCK_ROWS, **options: Any) -> Iterator[Any]:
        """Arrow record batches of ``columns``, ``rows`` rows at most each, errors as one line.

        ``options`` go to ``pyarrow.parquet.ParquetFile``.
        """
        pa = _pyarrow()
        try:
            with pa.parquet.ParquetFile(self.name, **options) as handle:
                for record in handle.iter_batches(batch_size=rows, columns=columns):
                    if record.num_rows:
                        yield record
        except (pa.ArrowException, OSError, ValueError) as exc:
            if isinstance(exc, LinregError):
                raise
            raise parquet_error(self.name, exc) from None

    def blocks(self, columns: list[str]) -> Iterator[tuple[int, list[Array]]]:
        """``(start, arrays)`` per block of rows: the float64 values of ``columns``.

        Every cell is a finite number, or the first that is not raises the one-line
        error naming the file, the column and the data row.
        """
        self.check_numeric(columns)
        start = 0
        for record in self.records(columns):
            where = self.locator(start)
            yield (
                start,
                [
                    column_values(record.column(c), self.name, c, where, "a missing value")
                    for c in columns
                ],
            )
            start += record.num_rows

    def text(self, columns: list[str]) -> dict[str, Any]:
        """``columns`` as Arrow arrays of their own types (the columns kept beside predictions)."""
        pa = _pyarrow()
        try:
            table = pa.parquet.read_table(self.name, columns=columns)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise parquet_error(self.name, exc) from None
        return {c: table.column(c).combine_chunks() for c in columns}
