"""A whole CSV, Excel or Parquet file as a pandas DataFrame of numbers and text, for formulas.

A formula reads columns of any kind (``C(region)`` a text column), so its files are read
whole, every column kept, by :func:`read_frame`:

* **CSV.** The header is checked as by every reader (:func:`linreg.io.columns.check_header`).
  A cell is *missing* when it is empty (spaces aside) or one of :data:`MISSING_MARKERS`.
  A column whose every other cell is a number by linreg's rule
  (:mod:`linreg.io.columns`) is float64, missing cells NaN; any other column is text,
  missing cells None.
  The file's dialect (delimiter, decimal mark) is given by the caller, as resolved by
  :func:`linreg.io.dialect.resolve_dialect`.
* **Excel** (``.xlsx``). One sheet's cells as :mod:`linreg.io.excel` reads them, then
  as a CSV's.
* **Parquet.** Arrow's types, as pandas reads them; the index pandas saved
  (``__index_level_0__``) is not a column.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from linreg.errors import LinregError
from linreg.io.csvreader import CSVReader, parses_as_number
from linreg.io.dialect import Dialect
from linreg.io.excel import SheetReader
from linreg.io.tables import file_kind

__all__ = ["MISSING_MARKERS", "read_frame"]

#: Cells of a CSV read as a missing value (besides empty ones).
MISSING_MARKERS: Final = ("NA", "N/A", "null", "NULL")
_PANDAS_INDEX: Final = "__index_level_0__"


def read_frame(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
    sheet: str | None = None,
) -> pd.DataFrame:
    """Every column of a CSV, Excel or Parquet file: numbers as float64, text as text,
    gaps missing.

    Parameters
    ----------
    path : path-like
        Read as :func:`linreg.io.tables.file_kind` says.
    delimiter, decimal : str, optional
        A CSV's dialect (:func:`linreg.io.dialect.resolve_dialect`); ``","`` and ``"."``
        when not given.
    sheet : str, optional
        An Excel workbook's sheet; the first by default.

    Raises
    ------
    LinregError
        Missing, empty or malformed file, naming it; ``sheet`` for a file that is no
        workbook.
    """
    p = Path(path)
    kind = file_kind(p)
    if sheet is not None and kind != "excel":
        raise LinregError(f"{p}: --sheet is for Excel workbooks, and this is a {kind} file")
    if kind == "parquet":
        return _read_parquet(p)
    if kind == "excel":
        workbook = SheetReader(p, sheet=sheet)
        return _frame(workbook.header, workbook.text(workbook.header), ".")
    import pyarrow as pa
    import pyarrow.csv as pcsv

    dialect = Dialect(delimiter or ",", decimal or ".")
    reader = CSVReader(p, dialect=dialect)  # the checks of every reader
    header = reader.header
    try:
        table = pcsv.read_csv(
            p,
            read_options=pcsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pcsv.ParseOptions(delimiter=dialect.delimiter),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LinregError(f"{reader.name}: not a valid CSV file ({first})") from None
    cells = {name: table[name].combine_chunks() for name in header}
    return _frame(header, cells, dialect.decimal)


def _frame(header: list[str], cells: dict[str, Any], decimal: str) -> pd.DataFrame:
    """Columns of text cells (Arrow string arrays) as float64 where every present cell
    is a number (written with ``decimal``), else as text; gaps NaN or None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns: dict[str, Any] = {}
    for name in header:
        trimmed = pc.utf8_trim(cells[name], characters=" \t")
        gap = np.asarray(
            pc.or_(pc.equal(trimmed, ""), pc.is_in(trimmed, pa.array(MISSING_MARKERS))),
            dtype=bool,
        )
        present = pc.filter(cells[name], pa.array(~gap))
        numbers = parses_as_number(present, decimal) if len(present) else None
        if numbers is not None and len(present):
            values = np.full(len(gap), np.nan)
            values[~gap] = np.asarray(numbers, dtype=np.float64)
            columns[name] = values
        else:
            text = np.asarray(trimmed.to_pylist(), dtype=object)
            text[gap] = None
            columns[name] = text
    return pd.DataFrame(columns, columns=header)


def _read_parquet(p: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not p.is_file():
        raise LinregError(f"{p}: file not found; check the path")
    try:
        table = pq.read_table(p)
    except (pa.ArrowInvalid, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LinregError(f"{p}: not a valid Parquet file ({first})") from None
    frame = table.to_pandas()
    return frame.drop(columns=[_PANDAS_INDEX], errors="ignore").reset_index(drop=True)
