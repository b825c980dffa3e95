"""A whole CSV or Parquet file as a pandas DataFrame of numbers and text, for formulas.

A formula reads columns of any kind (``C(region)`` a text column), so its files are read
whole, every column kept, by :func:`read_frame`:

* **CSV.** The header is checked as by every reader (:func:`linreg.io.columns.check_header`).
  A cell is *missing* when it is empty (spaces aside) or one of :data:`MISSING_MARKERS`.
  A column whose every other cell is a number by linreg's rule
  (:mod:`linreg.io.columns`) is float64, missing cells NaN; any other column is text,
  missing cells None.
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

__all__ = ["MISSING_MARKERS", "read_frame"]

#: Cells of a CSV read as a missing value (besides empty ones).
MISSING_MARKERS: Final = ("NA", "N/A", "null", "NULL")
_PANDAS_INDEX: Final = "__index_level_0__"


def read_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Every column of a CSV or Parquet file: numbers as float64, text as text, gaps missing.

    Raises
    ------
    LinregError
        Missing, empty or malformed file, naming it.
    """
    p = Path(path)
    if p.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(p)
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    reader = CSVReader(p)  # the checks of every reader: found, UTF-8, header, columns
    header = reader.header
    try:
        table = pcsv.read_csv(
            p,
            read_options=pcsv.ReadOptions(column_names=header, skip_rows=1),
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
    columns: dict[str, Any] = {}
    for name in header:
        cells = table[name].combine_chunks()
        trimmed = pc.utf8_trim(cells, characters=" \t")
        gap = np.asarray(
            pc.or_(pc.equal(trimmed, ""), pc.is_in(trimmed, pa.array(MISSING_MARKERS))),
            dtype=bool,
        )
        present = pc.filter(cells, pa.array(~gap))
        numbers = parses_as_number(present) if len(present) else None
        if numbers is not None and len(present):
            values = np.full(len(cells), np.nan)
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
