"""Excel workbooks (``.xlsx``): one sheet read as a table, by the rules of a CSV.

:class:`SheetReader` reads a sheet with openpyxl (the optional extra
``linreg[excel]``), turns every cell into the text a CSV would hold (a number into
its shortest exact form, an empty cell into ``""``, ``TRUE``/``FALSE`` into those
words) and then applies :mod:`linreg.io.columns`' rules exactly as
:class:`linreg.io.csvreader.CSVReader` does: which columns are numeric, what a bad
cell is, and the messages (which name the sheet's row, as Excel numbers it).

The first non-empty row is the header. Empty rows are skipped. A first column with
no name over a named rest is the index ``DataFrame.to_excel`` writes by default: it
labels rows, so it is left out with a :class:`~linreg.validation.DataWarning`.
"""

from __future__ import annotations

import datetime
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.io.columns import SNIFF_ROWS, bad_cell_error, check_finite_column, check_header
from linreg.io.csvreader import NUMBER_PATTERN, first_bad_cell, parses_as_number
from linreg.validation import DataWarning

__all__ = ["EXCEL_SUFFIXES", "INSTALL_HINT", "SheetReader", "cell_text"]

Array = NDArray[np.float64]
#: Suffixes read as Excel workbooks.
EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm")
INSTALL_HINT: Final = 'pip install "linreg[excel]"'


def _openpyxl(name: str) -> Any:
    try:
        import openpyxl
    except ImportError:
        raise LinregError(
            f"{name}: reading Excel files needs openpyxl: {INSTALL_HINT} (or save the sheet as CSV)"
        ) from None
    return openpyxl


def cell_text(value: Any) -> str:
    """A cell's value as a CSV would hold it: numbers in their shortest exact form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


class SheetReader:
    """One sheet of an ``.xlsx`` workbook as a table of text cells.

    Parameters
    ----------
    path : path-like
    sheet : str, optional
        The sheet's name; the first sheet by default.

    Attributes
    ----------
    name : str
    sheet : str
        The sheet read.
    header : list of str

    Raises
    ------
    LinregError
        openpyxl not installed, a missing file, not a workbook, no such sheet, an
        empty sheet, a header without data rows, an unnamed or repeated column.
    """

    def __init__(self, path: str | os.PathLike[str], *, sheet: str | None = None) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.exists():
            raise LinregError(f"{self.name}: file not found; check the path")
        if self.path.is_dir():
            raise LinregError(f"{self.name}: is a folder, not a data file")
        rows, self.sheet = self._rows(sheet)
        if not rows:
            raise LinregError(f"{self.name}: sheet {self.sheet!r} is empty; it needs a header row")
        (_, head), body = rows[0], rows[1:]
        width = max(len(values) for _, values in rows)
        head = [*head, *[""] * (width - len(head))]
        while width and head[width - 1] == "" and all(len(v) < width for _, v in body):
            width -= 1  # a trailing column with neither name nor values
        drop = 1 if width > 1 and head[0].strip() == "" and "" not in head[1:width] else 0
        if drop:
            warnings.warn(
                f"{self.name}: leaving out the first column of sheet {self.sheet!r}: it has "
                "no name (the row labels pandas writes by default; to_excel(index=False) "
                "leaves them out)",
                DataWarning,
                stacklevel=3,
            )
        self.header = check_header(self.name, head[drop:width])
        if not body:
            raise LinregError(f"{self.name}: sheet {self.sheet!r} has a header but no data rows")
        self._lines = np.array([line for line, _ in body])
        self._cells = {
            c: [v[j] if j < len(v) else "" for _, v in body]
            for c, j in zip(self.header, range(drop, width), strict=True)
        }

    def _rows(self, sheet: str | None) -> tuple[list[tuple[int, list[str]]], str]:
        """The non-empty rows of the sheet as (Excel row number, text cells), and its name.

        Whatever openpyxl raises on a damaged workbook (a bad zip, XML, a missing part)
        becomes the one-line error naming the file.
        """
        openpyxl = _openpyxl(self.name)
        # A handle, not the name: openpyxl refuses names without an Excel suffix.
        with open(self.path, "rb") as handle:
            try:
                return self._read_rows(openpyxl, handle, sheet)
            except (LinregError, MemoryError):
                raise
            except OSError as exc:
                raise LinregError(f"{self.name}: cannot read it ({exc.strerror or exc})") from None
            except Exception as exc:  # a third-party parser's failures, whatever they are
                why = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise LinregError(
                    f"{self.name}: not a readable .xlsx workbook ({type(exc).__name__}"
                    f"{': ' + why[:200] if why else ''}); open and save it again in Excel, "
                    "or save the sheet as CSV"
                ) from None

    def _read_rows(
        self, openpyxl: Any, handle: Any, sheet: str | None
    ) -> tuple[list[tuple[int, list[str]]], str]:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            names = list(book.sheetnames)
            if sheet is None:
                if not names:
                    raise LinregError(f"{self.name}: the workbook has no sheet")
                sheet = names[0]
            if sheet not in names:
                raise LinregError(
                    f"{self.name}: no sheet {sheet!r} (sheets: {', '.join(map(repr, names))}); "
                    "choose one with --sheet"
                )
            rows = []
            for number, values in enumerate(book[sheet].iter_rows(values_only=True), start=1):
                text = [cell_text(v) for v in values]
                while text and text[-1] == "":
                    text.pop()
                if text:
                    rows.append((number, text))
        finally:
            book.close()
        return rows, sheet

    def numeric_columns(self) -> set[str]:
        """Columns with a number among the non-empty cells of their first rows."""
        pa = _arrow()
        pc = pa.compute
        numeric = set()
        for column, cells in self._cells.items():
            sample = pc.utf8_trim(pa.array(cells[:SNIFF_ROWS], pa.string()), characters=" \t")
            if pc.any(pc.match_substring_regex(sample, NUMBER_PATTERN)).as_py():
                numeric.add(column)
        return numeric

    def locator(self, start: int) -> Callable[[int], str]:
        """``where`` for the data rows from ``start``: the sheet's row, as Excel numbers it."""
        return lambda row: f"sheet {self.sheet!r} row {int(self._lines[start + row])}"

    def blocks(self, columns: list[str]) -> Iterator[tuple[int, list[Array]]]:
        """One block, ``(0, arrays)``: the float64 values of ``columns``, each finite."""
        pa = _arrow()
        where = self.locator(0)
        arrays = []
        for column in columns:
            cells = pa.array(self._cells[column], pa.string())
            parsed = parses_as_number(cells)
            if parsed is None:
                row = first_bad_cell(cells)
                raise bad_cell_error(self.name, column, where(row), cells[row].as_py())
            values = np.asarray(parsed.to_numpy(zero_copy_only=False), dtype=np.float64)
            check_finite_column(values, self.name, column, where)
            arrays.append(values)
        yield 0, arrays

    def text(self, columns: list[str]) -> dict[str, Any]:
        """``columns`` as Arrow string arrays, each cell as :func:`cell_text` wrote it."""
        pa = _arrow()
        return {c: pa.array(self._cells[c], pa.string()) for c in columns}


def _arrow() -> Any:
    import pyarrow
    import pyarrow.compute

    return pyarrow
