"""The one CSV reader of linreg: Apache Arrow's, in memory and streamed alike.

:class:`CSVReader` reads a CSV in blocks of text with ``pyarrow.csv.open_csv``, every
cell as a string, and turns the columns asked for into float64 by the rules of
:mod:`linreg.io.columns` (what a number is, which columns are numeric, what a bad
cell is). :func:`linreg.io.tables.read_table` gathers all its blocks,
:class:`linreg.sources.batches.CSVSource` serves them as record batches: both see
the same header, the same columns and the same errors, whatever the file's size.

The file's :class:`~linreg.io.dialect.Dialect` (its delimiter and decimal mark, given or
detected by :func:`linreg.io.dialect.resolve_dialect`) is the reader's: Arrow splits the
fields by its delimiter, and cells written with a decimal comma are rewritten with a point
before they are parsed (:func:`with_decimal_point`), so ``2,5`` reads to the bits of ``2.5``.

The header is the first row and is split by the same parser as the data, so a
header can never be split differently from its rows. Every row must have one
value per column (a row longer than the header is an error naming its line, never
a shifted table). Blank lines are skipped. Errors name the file and, for a bad
cell or a ragged row, the line: it is found, only then, by a second pass with
Python's ``csv`` module (which counts lines in quoted line breaks too); should that
pass disagree, the message names the data row instead (the ``k``-th row after the
header, blank lines not counted).
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.io.columns import (
    SNIFF_ROWS,
    bad_cell_error,
    check_column_count,
    check_finite_column,
    check_header,
)
from linreg.io.dialect import DEFAULT_DIALECT, Dialect

__all__ = [
    "CSV_BLOCK_BYTES",
    "NUMBER_PATTERN",
    "CSVReader",
    "first_bad_cell",
    "parse_text_partition",
    "parses_as_number",
    "with_decimal_point",
]

Array = NDArray[np.float64]

#: Text per block of Arrow's CSV reader, which reads many blocks ahead: on a 363 MB
#: CSV, 4 MiB blocks peaked at 374 MB resident, 1 MiB blocks at 226 MB, as fast.
CSV_BLOCK_BYTES: Final = 1 << 20
#: What Arrow's float64 parser accepts (see :mod:`linreg.io.columns`), as a regular
#: expression: used to judge which columns are numeric, all cells of a column at once.
NUMBER_PATTERN: Final = (
    r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|(?i:inf|infinity|nan(?:\([0-9A-Za-z_]*\))?))$"
)
#: The largest field Python's ``csv`` module reads while it looks for a line.
_FIELD_LIMIT: Final = 2**31 - 1
_SPACES: Final = " \t"
_INSTALL_HINT = 'pip install "pyarrow>=14"'


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.compute
        import pyarrow.csv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise LinregError(f"reading CSV files needs pyarrow: {_INSTALL_HINT}") from None
    return pyarrow


def with_decimal_point(cells: Any, decimal: str) -> Any:
    """String ``cells`` written with the decimal mark ``decimal``, rewritten with a point.

    With a decimal comma, a ``.`` in a cell (a thousands separator, or a decimal point
    in a file of decimal commas) makes it no number rather than another number.
    """
    if decimal == ".":
        return cells
    pc = _pyarrow().compute
    cells = pc.replace_substring(cells, pattern=".", replacement="#")
    return pc.replace_substring(cells, pattern=decimal, replacement=".")


def parses_as_number(cells: Any, decimal: str = ".") -> Any:
    """Arrow's float64 values of string ``cells`` (spaces and tabs trimmed), or None.

    None when any cell is not a number by :mod:`linreg.io.columns`' rule; with
    ``decimal=","`` a number is written with a decimal comma (:func:`with_decimal_point`).
    """
    pa = _pyarrow()
    pc = pa.compute
    cells = with_decimal_point(cells, decimal)
    try:
        return pc.cast(cells, pa.float64())
    except pa.ArrowInvalid:
        pass
    try:
        return pc.cast(pc.utf8_trim(cells, characters=_SPACES), pa.float64())
    except pa.ArrowInvalid:
        return None


def first_bad_cell(cells: Any, decimal: str = ".") -> int:
    """Index of the first cell of ``cells`` (some of which are bad) that is not a number."""
    lo, hi = 0, len(cells)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if parses_as_number(cells.slice(lo, mid - lo), decimal) is not None:
            lo = mid
        else:
            hi = mid
    return lo


@contextlib.contextmanager
def _field_limit() -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(_FIELD_LIMIT)
    try:
        yield
    finally:
        csv.field_size_limit(old)


class CSVReader:
    """A CSV file read by Arrow in blocks of text, cells parsed by linreg's column rules.

    Parameters
    ----------
    path : path-like
    block_bytes : int, default=CSV_BLOCK_BYTES
        Text per block (raised to hold the header when it is longer).
    dialect : Dialect, default=DEFAULT_DIALECT
        The field delimiter and decimal mark (:func:`linreg.io.dialect.resolve_dialect`
        detects them).

    Attributes
    ----------
    name : str
    header : list of str
        The trimmed column names, checked by :func:`linreg.io.columns.check_header`.

    Raises
    ------
    LinregError
        Missing, empty, non-UTF-8 or malformed file, a file with too many columns,
        a header without data rows, an unnamed or repeated column.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        block_bytes: int = CSV_BLOCK_BYTES,
        dialect: Dialect = DEFAULT_DIALECT,
    ) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.dialect = dialect
        if not self.path.exists():
            raise LinregError(f"{self.name}: file not found; check the path")
        if self.path.is_dir():
            raise LinregError(f"{self.name}: is a folder, not a CSV file")
        count, chars = self._count_header()
        check_column_count(self.name, count)
        self._keys = [f"c{i}" for i in range(count)]
        # A block must hold the longest row: numbers may be longer than their names.
        self._block = max(int(block_bytes), 16 * chars + (1 << 16))
        head = self._head()
        self.header = check_header(self.name, [str(head[k][0]) for k in self._keys])
        self._index = dict(zip(self.header, self._keys, strict=True))
        self._sample = {c: head[k].slice(1) for c, k in self._index.items()}
        #: Bytes of the file read by the running :meth:`blocks` (for progress bars).
        self.position = 0
        if all(len(v) == 0 for v in self._sample.values()):
            raise LinregError(f"{self.name}: has a header but no data rows")

    def _empty(self) -> LinregError:
        return LinregError(f"{self.name}: the file is empty; it needs a header row and data rows")

    # -- the header and the first rows ------------------------------------------------------
    def _count_header(self) -> tuple[int, int]:
        """Fields and characters of the first record (Python's csv: a cheap, linear count)."""
        try:
            with (
                _field_limit(),
                open(self.path, newline="", encoding="utf-8-sig") as handle,
            ):
                lines = (line.replace("\0", "\ufffd") for line in handle)  # as _find_line
                records = csv.reader(lines, delimiter=self.dialect.delimiter)
                header = next((r for r in records if r), None)
        except UnicodeDecodeError:
            raise LinregError(f"{self.name}: not a text CSV file (it is not UTF-8)") from None
        except csv.Error as exc:
            raise LinregError(f"{self.name}: not a valid CSV file ({exc})") from None
        except OSError as exc:
            raise LinregError(f"{self.name}: cannot read it ({exc.strerror})") from None
        if not header:
            raise self._empty()
        return len(header), sum(len(c) + 1 for c in header)

    def _open(self, handle: Any, keys: list[str]) -> Any:
        pa = _pyarrow()
        read = pa.csv.ReadOptions(column_names=self._keys, block_size=self._block)
        parse = pa.csv.ParseOptions(delimiter=self.dialect.delimiter)
        convert = pa.csv.ConvertOptions(
            include_columns=keys,
            column_types=dict.fromkeys(keys, pa.string()),
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            auto_dict_encode=False,
        )
        return pa.csv.open_csv(
            handle, read_options=read, parse_options=parse, convert_options=convert
        )

    def _head(self) -> dict[str, Any]:
        """The header row and up to :data:`SNIFF_ROWS` data rows of every column, as strings."""
        pa = _pyarrow()
        parts: list[Any] = []
        rows = 0
        with self._arrow_errors(), pa.OSFile(self.name) as handle:
            for record in self._open(handle, self._keys):
                parts.append(record)
                rows += record.num_rows
                if rows > SNIFF_ROWS:
                    break
        if rows == 0:
            raise self._empty()
        table = pa.Table.from_batches(parts).slice(0, SNIFF_ROWS + 1).combine_chunks()
        return {k: table.column(k).chunk(0) for k in self._keys}

    def sample_cells(self, column: str) -> list[str]:
        """The first data cells of ``column`` (up to ``SNIFF_ROWS``), as text."""
        return [str(c) for c in self._sample[column].to_pylist()]

    def numeric_columns(self) -> set[str]:
        """Columns with a number among the non-empty cells of their first :data:`SNIFF_ROWS` rows.

        One regular expression over all sampled cells at once: linear in the columns.
        """
        pa = _pyarrow()
        pc = pa.compute
        lengths = [len(v) for v in self._sample.values()]
        cells = pa.concat_arrays(list(self._sample.values()))
        cells = pc.utf8_trim(with_decimal_point(cells, self.dialect.decimal), characters=_SPACES)
        number = pc.match_substring_regex(cells, NUMBER_PATTERN).to_numpy(zero_copy_only=False)
        counts = np.add.reduceat(number.astype(np.int64), np.cumsum([0, *lengths[:-1]]))
        return {c for c, n in zip(self._sample, counts.tolist(), strict=True) if n > 0}

    # -- the data ---------------------------------------------------------------------------
    def blocks(self, columns: list[str]) -> Iterator[tuple[int, list[Array]]]:
        """``(start, arrays)`` per block of text: the float64 values of ``columns``.

        ``start`` is the data row (0-based, blank lines not counted) of the block's
        first row. Every cell is a finite number, or the first that is not raises
        the one-line error naming the file, the column, the line and the value.
        """
        pa = _pyarrow()
        keys = [self._index[c] for c in columns]
        start = -1  # the header is row -1
        with self._arrow_errors(), pa.OSFile(self.name) as handle:
            for record in self._open(handle, keys):
                m = record.num_rows
                skip = 1 if start < 0 else 0
                if m > skip:
                    first = start + skip
                    yield (
                        first,
                        [
                            self._values(record.column(k).slice(skip), c, first)
                            for c, k in zip(columns, keys, strict=True)
                        ],
                    )
                start += m
                self.position = handle.tell()

    def text(self, columns: list[str]) -> dict[str, Any]:
        """Every data cell of ``columns`` as written, as Arrow string arrays.

        For columns carried through unchanged (the identifiers kept beside predictions).
        """
        pa = _pyarrow()
        keys = [self._index[c] for c in columns]
        parts: dict[str, list[Any]] = {c: [] for c in columns}
        skip = 1  # the header
        with self._arrow_errors(), pa.OSFile(self.name) as handle:
            for record in self._open(handle, keys):
                for c, k in zip(columns, keys, strict=True):
                    parts[c].append(record.column(k).slice(skip))
                skip = 0
        return {
            c: pa.concat_arrays(p) if p else pa.array([], pa.string()) for c, p in parts.items()
        }

    def _values(self, cells: Any, column: str, start: int) -> Array:
        parsed = parses_as_number(cells, self.dialect.decimal)
        if parsed is None:
            row = first_bad_cell(cells, self.dialect.decimal)
            raise bad_cell_error(self.name, column, self.where(start + row), cells[row].as_py())
        values = np.asarray(parsed.to_numpy(zero_copy_only=False), dtype=np.float64)
        check_finite_column(values, self.name, column, self.locator(start))
        return values

    def locator(self, start: int) -> Callable[[int], str]:
        """``where`` for the rows of a block that starts at data row ``start``."""
        return lambda row: self.where(start + row)

    def where(self, row: int) -> str:
        """Where data row ``row`` (0-based) lies: ``"line N"``, else ``"data row k"``."""
        line = self._find_line(lambda k, record: k == row)
        return f"line {line[0]}" if line is not None else f"data row {row + 1}"

    def _find_line(self, match: Any) -> tuple[int, list[str]] | None:
        """(line, record) of the first data record ``match(k, record)`` accepts, if any."""
        try:
            with (
                _field_limit(),
                open(self.path, newline="", encoding="utf-8-sig", errors="replace") as handle,
            ):
                # Python < 3.11's csv refuses NUL bytes: stand them in, only to count lines.
                reader = csv.reader(
                    (line.replace("\0", "\ufffd") for line in handle),
                    delimiter=self.dialect.delimiter,
                )
                if next((r for r in reader if r), None) is None:  # the header
                    return None
                k, before = -1, reader.line_num
                for record in reader:
                    first, before = before + 1, reader.line_num
                    if record:
                        k += 1
                        if match(k, record):
                            return first, record
        except (csv.Error, OSError):
            return None
        return None

    @contextlib.contextmanager
    def _arrow_errors(self) -> Iterator[None]:
        """Arrow's errors as one line naming the file (and the ragged row's line)."""
        pa = _pyarrow()
        try:
            yield
        except pa.ArrowInvalid as exc:
            raise self._error(exc) from None
        except OSError as exc:  # the file vanished or cannot be read midway
            raise LinregError(f"{self.name}: cannot read it ({exc})") from None

    def _error(self, exc: Exception) -> LinregError:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = message.removeprefix("CSV parse error: ")
        if "invalid UTF8" in message:
            return LinregError(f"{self.name}: not a text CSV file (it is not UTF-8)")
        if "Empty CSV file" in message:
            return self._empty()
        n = len(self._keys)
        if re.search(r"Expected \d+ columns, got \d+", message):
            found = self._find_line(lambda k, record: len(record) != n)
            if found is not None:
                line, record = found
                return LinregError(
                    f"{self.name}: not a valid CSV file: line {line} has {len(record)} "
                    f"field(s) but the header has {n}; every row needs one value per column"
                )
            got = re.search(r"Expected \d+ columns, got (\d+)", message)
            fields = got.group(1) if got else "another number of"
            return LinregError(
                f"{self.name}: not a valid CSV file: a row has {fields} field(s) but the "
                f"header has {n}; every row needs one value per column"
            )
        if "straddling" in message:
            return LinregError(
                f"{self.name}: not a valid CSV file: a row is longer than {self._block} bytes "
                "(an unclosed quote?)"
            )
        if len(message) > 200:
            message = message[:200] + "..."
        return LinregError(f"{self.name}: not a valid CSV file ({message})")


def parse_text_partition(
    part: Any, name: str, columns: list[str], partition_info: Any = None
) -> Any:
    """A pandas partition of text cells as float64, by the one cell rule.

    For Dask's ``map_partitions`` (``partition_info`` numbers the partition): a bad
    cell is the error naming the file ``name``, the column, the row within the
    partition and the value.
    """
    import pandas as pd

    pa = _pyarrow()

    number = "?" if not partition_info else partition_info.get("number", "?")
    out = {}
    for column in columns:
        cells = pa.array(part[column].astype(str).to_numpy(dtype=object), type=pa.string())
        parsed = parses_as_number(cells)

        def where(row: int) -> str:
            return f"row {row + 1} of partition {number}"

        if parsed is None:
            row = first_bad_cell(cells)
            raise bad_cell_error(name, column, where(row), cells[row].as_py())
        values = np.asarray(parsed.to_numpy(zero_copy_only=False), dtype=np.float64)
        check_finite_column(values, name, column, where)
        out[column] = values
    return pd.DataFrame(out, index=part.index)
