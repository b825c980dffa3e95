"""Reading and writing data files, and atomic writes.

:func:`open_reader` is the one door to a data file, by its suffix: Parquet
(``.parquet``, ``.pq``) by :class:`linreg.io.parquet.ParquetReader`, Excel (``.xlsx``)
by :class:`linreg.io.excel.SheetReader`, anything else as CSV by
:class:`linreg.io.csvreader.CSVReader` (Apache Arrow's parser, the same one that
streams files) in the dialect given or detected (:mod:`linreg.io.dialect`). Which
columns are features and what a bad cell is follow the rules of
:mod:`linreg.io.columns`, shared by every reader. Every problem with a file is a
:class:`~linreg.errors.LinregError` whose message starts with the file name and says
what to do.

Every file linreg writes goes through :func:`atomic_write`: the content goes to
a temporary file in the same folder, which is renamed over the target only when
complete, so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from linreg.data import Dataset
from linreg.errors import LinregError
from linreg.io.columns import (
    TRUTH_COLUMN,
    check_finite_column,
    check_weight_column,
    check_weights_not_all_zero,
    resolve_columns,
)
from linreg.io.csvreader import CSVReader
from linreg.io.dialect import Dialect, resolve_dialect
from linreg.io.excel import EXCEL_SUFFIXES, SheetReader
from linreg.io.parquet import ParquetReader, is_unnamed_index
from linreg.validation import DataWarning

__all__ = [
    "EXCEL_SUFFIXES",
    "PARQUET_SUFFIXES",
    "DataReader",
    "Table",
    "atomic_write",
    "check_finite_column",
    "check_weight_column",
    "check_weights_not_all_zero",
    "file_kind",
    "file_sha256",
    "open_reader",
    "read_columns",
    "read_table",
    "resolve_columns",
    "write_dataset_csv",
    "write_frame_csv",
    "write_frame_parquet",
]

Array = NDArray[np.float64]

#: Suffixes read as Parquet; those of :data:`EXCEL_SUFFIXES` as Excel; everything else is CSV.
PARQUET_SUFFIXES = (".parquet", ".pq")


class DataReader(Protocol):
    """What :func:`read_table` needs of a file's reader (CSV, Parquet or Excel).

    ``header`` lists the columns; ``blocks(columns)`` yields ``(start, arrays)``, the
    float64 values of ``columns`` from data row ``start`` on, every one checked;
    ``locator(start)`` places a row of such a block in messages; ``text(columns)``
    gives the columns as written (Arrow arrays), for carrying them through.
    """

    name: str
    header: list[str]

    def numeric_columns(self) -> set[str]: ...

    def blocks(self, columns: list[str]) -> Iterator[tuple[int, list[Array]]]: ...

    def locator(self, start: int) -> Any: ...

    def text(self, columns: list[str]) -> dict[str, Any]: ...


def file_kind(path: str | os.PathLike[str]) -> str:
    """``"parquet"``, ``"excel"`` or ``"csv"``: how :func:`open_reader` reads ``path``.

    By the suffix; a file with another suffix is a CSV unless its first bytes are
    Parquet's magic number ``PAR1`` or a zip archive's (an ``.xlsx`` renamed).
    """
    suffix = Path(path).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError:
        return "csv"  # the CSV reader names the problem
    if magic == b"PAR1":
        return "parquet"
    return "excel" if magic == b"PK\x03\x04" else "csv"


def open_reader(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
    sheet: str | None = None,
    named: Sequence[str] = (),
) -> CSVReader | ParquetReader | SheetReader:
    """The reader of a data file, of the kind :func:`file_kind` says (see the module).

    Parameters
    ----------
    path : path-like
    delimiter, decimal : str, optional
        A CSV's dialect; the parts not given are detected
        (:func:`linreg.io.dialect.resolve_dialect`). Ignored for other files.
    sheet : str, optional
        An Excel workbook's sheet (the first by default); refused for other files.
    named : sequence of str
        Columns the user named: a Parquet file's saved pandas index is left out of
        the header unless named here.
    """
    kind = file_kind(path)
    if sheet is not None and kind != "excel":
        raise LinregError(f"{path}: --sheet is for Excel workbooks (.xlsx), not this file")
    if kind == "parquet":
        return ParquetReader(path, keep=named)
    if kind == "excel":
        return SheetReader(path, sheet=sheet)
    if not Path(path).is_file():
        return CSVReader(path)  # its error: not found, a folder
    dialect: Dialect = resolve_dialect(path, delimiter=delimiter, decimal=decimal)
    return CSVReader(path, dialect=dialect)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it onto ``path`` on success.

    On any exception (``KeyboardInterrupt`` included) the temporary file is removed and
    ``path`` is untouched. Parent folders are created as needed.

    Raises
    ------
    OSError
        Whose ``filename`` is ``path`` (never the temporary file's name) and whose message
        says nothing was written: a full disk, a read-only folder, ``path`` a folder.
    """
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, "is a folder; give a file name (nothing was written)", str(target)
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _cannot_write(exc, target) from None
    try:
        encoding = None if "b" in mode else "utf-8"
        with open(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _new_file_mode(target))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (None, tmp):
            raise _cannot_write(exc, target) from None
        raise


def _cannot_write(exc: OSError, target: Path) -> OSError:
    """``exc`` about ``target``: its errno, the reason and that nothing was written."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return OSError(exc.errno, f"cannot write it: {reason} (nothing was written)", str(target))


def _new_file_mode(target: Path) -> int:
    """The mode a plain ``open`` would give: the old file's, else 0666 less the umask.

    ``mkstemp`` makes private (0600) files; without this every file linreg writes
    would be unreadable to the user's group, unlike any other tool's output.
    """
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, as hex (what ``sha256sum`` prints)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Table:
    """Numeric data read from a file.

    Attributes
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,) or None
        None when the file has no target column and none was required.
    y_true : ndarray of shape (N,) or None
        Noise-free targets, when the file has a ``y_true`` column.
    feature_names : list of str
    target_name : str
    path : Path
    w : ndarray of shape (N,) or None
        Row weights, from the column named by ``read_table(sample_weight=...)``;
        None when the rows weigh the same.
    weight_name : str or None
        That column's name.
    """

    X: Array
    y: Array | None
    y_true: Array | None
    feature_names: list[str]
    target_name: str
    path: Path
    w: Array | None = None
    weight_name: str | None = None

    @property
    def frame(self) -> pd.DataFrame:
        """The features as a DataFrame with their column names."""
        return pd.DataFrame(self.X, columns=self.feature_names)


def read_table(
    path: str | os.PathLike[str],
    *,
    target: str | None = "y",
    features: Sequence[str] | None = None,
    require_target: bool = True,
    sample_weight: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    sheet: str | None = None,
) -> Table:
    """Read a data file (CSV, Parquet or Excel) of features and a target (and row weights).

    Parameters
    ----------
    path : path-like
        Read as :func:`open_reader` says, by its suffix.
    target : str, default="y"
        Name of the target column.
    features : sequence of str, optional
        Feature columns; by default every other numeric column except ``y_true``.
    require_target : bool, default=True
        When False, a missing target column gives ``y=None`` (for prediction).
    sample_weight : str, optional
        The column of row weights (``Table.w``): every one a finite number ``>= 0``,
        not all zero. It is not a feature.
    delimiter, decimal : str, optional
        A CSV's field delimiter and decimal mark; detected when not given
        (:func:`linreg.io.dialect.resolve_dialect`).
    sheet : str, optional
        The sheet of an Excel workbook; the first by default.

    Raises
    ------
    LinregError
        Missing or empty file, header only, a non-numeric, missing, NaN or
        infinite cell, a row with more or fewer fields than the header, more
        columns than the limit, a missing column, a bad weight, or no feature left.

    Notes
    -----
    The rules (:mod:`linreg.io.columns`), the same for the streamed readers:

    * A cell is a number when, spaces and tabs trimmed, it is a decimal literal
      (``-1.5e-3``, ``.5``, ``7.``) or ``nan``/``inf``; not ``1,000``, ``1_000``,
      ``0x1p3``, ``NA``, ``null`` or an empty cell. It is parsed correctly rounded,
      so a file reads to the same bits on every supported version.
    * Without ``features``, a column is a feature when at least one non-empty cell
      among its first 1,000 data rows is a number; the other (text) columns are left
      out with a :class:`~linreg.validation.DataWarning`.
    * In every column used, every cell must be a finite number: the first that is
      not is an error naming the file, the column, the line and the value.
    * At most :data:`linreg.io.columns.DEFAULT_MAX_COLUMNS` columns, unless the
      environment variable ``LINREG_MAX_COLUMNS`` allows more.
    * Parquet and Excel cells are typed: a column is numeric when it holds integers,
      floating point or decimals (Parquet), or as in a CSV (Excel). The index pandas
      saves beside a DataFrame is never a feature (:mod:`linreg.io.parquet`).
    """
    named = [c for c in (target, sample_weight, *(features or ())) if c is not None]
    reader = open_reader(path, delimiter=delimiter, decimal=decimal, sheet=sheet, named=named)
    name, columns = reader.name, reader.header
    numeric = reader.numeric_columns() if features is None else set(columns)
    feature_names = resolve_columns(
        name,
        columns,
        numeric.__contains__,
        target=target,
        features=features,
        require_target=require_target,
        weight=sample_weight,
        # A CSV's sampled text cells tell a number column written with thousands
        # separators or True/False from categories; Parquet and Excel types say it.
        cells=reader.sample_cells if isinstance(reader, CSVReader) else None,
    )
    has_target = target is not None and target in columns
    used = list(feature_names)
    if has_target and target is not None:
        used.append(target)
    if TRUTH_COLUMN in columns:
        used.append(TRUTH_COLUMN)
    if sample_weight is not None:
        used.append(sample_weight)
    used = list(dict.fromkeys(used))
    parts: list[list[Array]] = [[] for _ in used]
    for start, arrays in reader.blocks(used):
        if sample_weight is not None:
            check_weight_column(
                arrays[used.index(sample_weight)],
                name,
                sample_weight,
                reader.locator(start),
            )
        for part, values in zip(parts, arrays, strict=True):
            part.append(values)
    read = {c: np.concatenate(part) for c, part in zip(used, parts, strict=True) if part}
    if not read:
        raise LinregError(f"{name}: has a header but no data rows")
    w = None
    if sample_weight is not None:
        w = read[sample_weight]
        check_weights_not_all_zero(w, name, sample_weight)
    return Table(
        X=np.column_stack([read[c] for c in feature_names]),
        y=read[target] if has_target and target is not None else None,
        y_true=read.get(TRUTH_COLUMN),
        feature_names=feature_names,
        target_name=target or "y",
        path=Path(path),
        w=w,
        weight_name=sample_weight,
    )


def read_columns(
    path: str | os.PathLike[str],
    columns: Sequence[str] | None = None,
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
    sheet: str | None = None,
) -> pd.DataFrame:
    """Columns of a data file as written: text from a CSV or Excel, typed from Parquet.

    For carrying columns through unchanged (identifiers kept beside predictions), after
    :func:`read_table` has read the file: its warnings are not repeated.

    Parameters
    ----------
    path : path-like
    columns : sequence of str, optional
        By default every column; of a Parquet file's saved pandas index
        (:mod:`linreg.io.parquet`), only the levels with a name, first.
    delimiter, decimal, sheet : str, optional
        As for :func:`read_table`.

    Raises
    ------
    LinregError
        An unreadable file, or a column not in it.
    """
    with warnings.catch_warnings():
        # What read_table says about the file (its dialect, a left-out column), not again.
        warnings.simplefilter("ignore", DataWarning)
        reader = open_reader(
            path, delimiter=delimiter, decimal=decimal, sheet=sheet, named=list(columns or ())
        )
    if columns is not None:
        wanted = list(dict.fromkeys(columns))
    elif isinstance(reader, ParquetReader):
        # A named saved index (an id) labels rows: kept, first, as pandas shows it.
        index = [c for c in reader.index_columns if not is_unnamed_index(c)]
        reader = ParquetReader(path, keep=index)
        wanted = [*index, *(c for c in reader.header if c not in index)]
    else:
        wanted = list(reader.header)
    missing = [c for c in wanted if c not in reader.header]
    if missing:
        shown = ", ".join(reader.header[:20])
        more = f" and {len(reader.header) - 20} more" if len(reader.header) > 20 else ""
        raise LinregError(
            f"{reader.name}: no column(s) {', '.join(map(repr, missing))} "
            f"(columns: {shown}{more}); check the names"
        )
    arrays = reader.text(wanted)
    return pd.DataFrame({c: arrays[c].to_pandas() for c in wanted})


def write_frame_csv(
    path: str | os.PathLike[str],
    frame: pd.DataFrame,
    *,
    delimiter: str = ",",
    decimal: str = ".",
) -> None:
    """Write a DataFrame as CSV atomically; floats are written in their shortest exact form.

    ``delimiter`` and ``decimal`` choose the dialect (``";"`` and ``","`` for a file
    that a European spreadsheet opens as it wrote it).
    """
    with atomic_write(path) as handle:
        frame.to_csv(handle, index=False, lineterminator="\n", sep=delimiter, decimal=decimal)


def write_frame_parquet(path: str | os.PathLike[str], frame: pd.DataFrame) -> None:
    """Write a DataFrame as Parquet atomically, without its (range) index."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise LinregError(
            f"{path}: cannot write these columns as Parquet ({str(exc)[:200]}); write a "
            "CSV instead (nothing was written)"
        ) from None
    with atomic_write(path, "wb") as handle:
        pq.write_table(table, handle)


def write_dataset_csv(path: str | os.PathLike[str], data: Dataset) -> None:
    """Write a dataset as CSV: ``X`` (one feature) or ``x1..xd``, then ``y``, then ``y_true``."""
    frame = pd.DataFrame(data.X, columns=data.feature_names)
    frame["y"] = data.y
    if data.y_true is not None:
        frame[TRUTH_COLUMN] = data.y_true
    write_frame_csv(path, frame)
