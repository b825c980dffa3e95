"""Record batches of CSV and Parquet files, and of arrays: the sources of streamed passes.


A :class:`BatchSource` serves the rows of a file in *record batches* of bounded
size (:data:`BATCH_BYTES` of float64 features and targets), as many times as a
solver needs passes. The three solvers of :class:`~linreg.LinearRegression` then
work from per-batch summaries that combine exactly or stably, never from all rows
at once:


CSV is read by :class:`linreg.io.csvreader.CSVReader` (``pyarrow.csv.open_csv``, the
reader :func:`linreg.io.tables.read_table` uses too; blocks of 1 MiB of text gathered
into batches, in the file's dialect), Parquet by :class:`linreg.io.parquet.ParquetReader`
(``ParquetFile.iter_batches``; the saved pandas index left out, as in memory). Columns and
cells follow the rules of :mod:`linreg.io.columns`, shared by every reader: the
target is ``target``, the features are ``features`` or every other numeric column
except ``y_true``, and every cell must be a finite number. A CSV error names the
file, the column, the line and the value, exactly as in memory; a Parquet error the
file, the column and the data row (the ``k``-th row).

Memory
------
What is held: one batch of :data:`BATCH_BYTES` = 4 MiB of numbers, the reader's
buffers, a few scratch copies of the batch, and summaries of size O(d^2). Parquet
is read with ``pre_buffer=False`` and 1 MiB buffered reads (the default
pre-buffering kept every column chunk of a 238 MB file: 246 MB), CSV in 1 MiB
blocks of text (:data:`CSV_BLOCK_BYTES`; the reader reads many blocks ahead).
Measured with ``benchmarks/stream_memory.py``, peak resident memory (``VmHWM``) of
the whole ``linreg train --stream`` process:

=====================================================  ======  ======  =========
file                                                   solver  peak    time
=====================================================  ======  ======  =========
Parquet, 2.64 GB (15.4 million rows x 16, 2.0 GB f8)   exact   281 MB  22 s
same                                                   gd      287 MB   8 s
Parquet, 3.14 GB (18.4 million rows x 16, C kernel)    exact   269 MB  28 s
CSV, 2.32 GB (7.5 million rows x 16)                   exact   251 MB  26 s
=====================================================  ======  ======  =========

(The exact Parquet fit took 16 s before the refinement chose its precision per
coefficient: in this file the intercept, 1, is small beside fitted values of
about 680, and rounding it correctly takes a second slicing level. With the
general kernels that made 30 s; the refinement pass now takes the norm-sliced
kernel at two levels (:class:`Levels`), which carries those bits for less. The
CSV row predates that and is parsing-bound; it also predates the one CSV reader of
:mod:`linreg.io.csvreader`, which reads cells as text and then parses them: streaming
a 117 MB CSV took about 1.2 times as long as before. Read whole, the same file now
peaks at 173 MB above the start of the process, 465 MB with the former pandas reader.)

Of that, about 160 MB is the command line before it reads anything (Python with
NumPy, SciPy, pandas and linreg) and about 60 MB pyarrow's libraries and threads;
the rest varies by some tens of MB from run to run with how the allocators of
NumPy, OpenBLAS and pyarrow reuse memory, but does not grow with the file.
:func:`wants_streaming` decides when the command line streams.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.io.columns import (
    TRUTH_COLUMN,
    check_weight_column,
    resolve_columns,
)
from linreg.io.csvreader import CSV_BLOCK_BYTES, CSVReader
from linreg.io.dialect import resolve_dialect
from linreg.io.parquet import ParquetReader, column_values
from linreg.io.tables import PARQUET_SUFFIXES, Table, file_kind
from linreg.problem import check_sample_weight
from linreg.sources.passes import PassProgress, ProgressCallback

__all__ = [
    "BATCH_BYTES",
    "PARQUET_SUFFIXES",
    "SAMPLE_ROWS",
    "ArraySource",
    "Batch",
    "BatchSource",
    "CSVSource",
    "ParquetSource",
    "PassProgress",
    "ProgressCallback",
    "Reservoir",
    "open_source",
    "preview",
    "wants_streaming",
]

Array = NDArray[np.float64]
#: Bytes of float64 features and targets in one record batch. Smaller batches cost
#: per-batch overhead, larger ones memory (on 2.8 million x 17 Parquet: 4 MiB took
#: 2.3 s and 275 MB peak, 8 MiB 2.1 s and 321 MB, 16 MiB 1.8 s and 338 MB).
BATCH_BYTES: Final = 4 << 20
#: Rows kept (uniformly at random) from a streamed file for its figures.
SAMPLE_ROWS: Final = 10_000
#: The command line streams a CSV larger than 1/STREAM_MEMORY_RATIO of the available
#: memory: reading it whole (pandas, cell by cell) peaks at about 3.5 times its size
#: (measured: 84 MB of CSV, 280 MB), and the fit needs another copy of the numbers.
STREAM_MEMORY_RATIO: Final = 8
_INSTALL_HINT = 'pip install "linreg[stream]"'


# ---------------------------------------------------------------------------
# Batches and their sources
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """One record batch: ``X`` (m, d) C-ordered float64, ``y`` (m,), and where it lies.

    ``start`` is the index of its first row in the file; ``position`` the bytes of
    the file read once it is delivered (for progress bars). ``w`` (m,) holds the
    rows' weights when the source has a weight column, else None (equal weights).
    """

    X: Array
    y: Array
    start: int
    position: int
    w: Array | None = None


class BatchSource(Protocol):
    """Rows served in record batches, as many passes as asked for.

    ``weight_name`` names the rows' weights (a file's weight column) when every
    batch carries them in ``Batch.w``; None when the rows weigh the same.
    """

    name: str
    feature_names: list[str]
    target_name: str
    weight_name: str | None
    total_bytes: int | None

    def batches(self) -> Iterator[Batch]:
        """One pass over the rows, in order."""
        ...


class ArraySource:
    """In-memory arrays served in row blocks: the streaming algorithms on data at hand.

    Parameters
    ----------
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    batch_rows : int, default=65536
    feature_names : list of str, optional
    target_name : str, default="y"
    sample_weight : array-like of shape (N,), optional
        Row weights, checked as ``LinearRegression.fit`` checks them
        (:func:`linreg.problem.check_sample_weight`); served in ``Batch.w``.
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        *,
        batch_rows: int = 65536,
        feature_names: Sequence[str] | None = None,
        target_name: str = "y",
        sample_weight: Any = None,
    ) -> None:
        self._X = np.ascontiguousarray(X, dtype=np.float64)
        self._y = np.ascontiguousarray(y, dtype=np.float64)
        if self._X.ndim != 2 or self._y.shape != (self._X.shape[0],):
            raise LinregError(
                f"X must be 2-D and y 1-D with one value per row; got {self._X.shape}, "
                f"{self._y.shape}"
            )
        self._w = check_sample_weight(sample_weight, self._X.shape[0])
        self._rows = max(1, int(batch_rows))
        d = self._X.shape[1]
        self.name = "arrays"
        self.feature_names = (
            list(feature_names) if feature_names is not None else [f"x{j + 1}" for j in range(d)]
        )
        self.target_name = target_name
        self.weight_name: str | None = None if self._w is None else "sample_weight"
        self.total_bytes: int | None = self._X.nbytes + self._y.nbytes

    def batches(self) -> Iterator[Batch]:
        n, row_bytes = self._X.shape[0], 8 * (self._X.shape[1] + 1)
        for start in range(0, n, self._rows):
            stop = min(n, start + self._rows)
            w = None if self._w is None else self._w[start:stop]
            yield Batch(self._X[start:stop], self._y[start:stop], start, stop * row_bytes, w)


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - depends on the environment
        raise LinregError(f"streaming files needs pyarrow: {_INSTALL_HINT}") from None
    return pyarrow


class _ArrowBatches:
    """What the CSV and Parquet sources share: record batches to checked float64 arrays."""

    name: str
    feature_names: list[str]
    target_name: str
    weight_name: str | None
    total_bytes: int | None

    def _columns(self) -> list[str]:
        """The columns read: the features, the target, and the weights if any."""
        weights = [] if self.weight_name is None else [self.weight_name]
        return [*self.feature_names, self.target_name, *weights]

    def _arrays(self, batch: Any, start: int, what: str) -> tuple[Array, Array, Array | None]:
        """``X`` (m, d), ``y`` (m,) and the weights ``w`` (m,) or None of a record batch.

        Every cell must be a finite number, and every weight ``>= 0``. ``what`` names
        a missing cell in messages ("an empty cell", "a missing value").
        """
        m, d = batch.num_rows, len(self.feature_names)
        X = np.empty((m, d))
        for j, column in enumerate(self.feature_names):
            X[:, j] = self._values(batch.column(column), column, start, what)
        y = self._values(batch.column(self.target_name), self.target_name, start, what)
        w = None
        if self.weight_name is not None:
            w = self._values(batch.column(self.weight_name), self.weight_name, start, what)
            check_weight_column(
                w, self.name, self.weight_name, lambda row: f"data row {start + row + 1}"
            )
        return X, y, w

    def _values(self, array: Any, column: str, start: int, what: str) -> Array:
        return column_values(
            array, self.name, column, lambda row: f"data row {start + row + 1}", what
        )


class CSVSource:
    """A CSV file read in batches of ``batch_bytes`` of numbers, by linreg's one CSV reader.

    :class:`linreg.io.csvreader.CSVReader` parses blocks of at most
    :data:`CSV_BLOCK_BYTES` of text; their rows are gathered into batches of
    ``batch_bytes / (8 (d + 1))`` rows. Columns and cells follow
    :func:`linreg.io.tables.read_table`'s rules (:mod:`linreg.io.columns`), so a
    file streams to the same features, values and errors as it reads in memory.

    Parameters
    ----------
    path : path-like
    target : str, default="y"
    features : sequence of str, optional
        By default every other numeric column (a number among the first 1,000 data
        rows), except ``y_true`` and the weights.
    sample_weight : str, optional
        The column of row weights (finite, ``>= 0``), served in ``Batch.w``.
    batch_bytes : int, default=BATCH_BYTES
    delimiter, decimal : str, optional
        The field delimiter and decimal mark; detected when not given
        (:func:`linreg.io.dialect.resolve_dialect`), as in memory.

    Raises
    ------
    LinregError
        Missing, empty or malformed file; missing columns (see :func:`resolve_columns`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        target: str = "y",
        features: Sequence[str] | None = None,
        sample_weight: str | None = None,
        batch_bytes: int = BATCH_BYTES,
        delimiter: str | None = None,
        decimal: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        dialect = resolve_dialect(self.path, delimiter=delimiter, decimal=decimal)
        # Blocks of text as in memory, whatever the batch: the same rows, the same errors.
        self._reader = CSVReader(self.path, block_bytes=CSV_BLOCK_BYTES, dialect=dialect)
        header = self._reader.header
        numeric = self._reader.numeric_columns() if features is None else set(header)
        self.feature_names = resolve_columns(
            self.name,
            header,
            numeric.__contains__,
            target=target,
            features=features,
            weight=sample_weight,
            cells=self._reader.sample_cells,  # text columns judged as in memory
        )
        self.target_name = target
        self.weight_name = sample_weight
        self.total_bytes: int | None = self.path.stat().st_size
        self._rows = max(1, int(batch_bytes) // (8 * (len(self.feature_names) + 1)))

    def batches(self) -> Generator[Batch, None, None]:
        d = len(self.feature_names)
        weights = [] if self.weight_name is None else [self.weight_name]
        columns = [*self.feature_names, self.target_name, *weights]
        if TRUTH_COLUMN in self._reader.header and TRUTH_COLUMN not in columns:
            columns.append(TRUTH_COLUMN)  # checked as in memory, though not served
        served = d + 1 + len(weights)
        start = 0  # first row of the next batch
        parts: list[list[Array]] = []  # the rows read but not yet served, by column
        gathered = 0
        total = self.total_bytes or 0

        def batch(stacked: list[Array], lo: int, hi: int, position: int) -> Batch:
            X = np.empty((hi - lo, d))
            for j in range(d):
                X[:, j] = stacked[j][lo:hi]
            w = stacked[d + 1][lo:hi] if self.weight_name is not None else None
            return Batch(X, stacked[d][lo:hi].copy(), start, min(total, position), w)

        for first, arrays in self._reader.blocks(columns):
            if self.weight_name is not None:
                check_weight_column(
                    arrays[d + 1], self.name, self.weight_name, self._reader.locator(first)
                )
            parts.append(arrays[:served])
            gathered += arrays[0].shape[0]
            if gathered < self._rows:
                continue
            # Batches of exactly self._rows rows, however large the blocks of text.
            stacked = [np.concatenate(p) if len(p) > 1 else p[0] for p in zip(*parts, strict=True)]
            lo = 0
            while gathered - lo >= self._rows:
                yield batch(stacked, lo, lo + self._rows, self._reader.position)
                start, lo = start + self._rows, lo + self._rows
            parts = [[c[lo:] for c in stacked]] if lo < gathered else []
            gathered -= lo
        if parts and gathered:
            stacked = [np.concatenate(p) if len(p) > 1 else p[0] for p in zip(*parts, strict=True)]
            yield batch(stacked, 0, gathered, total)


class ParquetSource(_ArrowBatches):
    """A Parquet file read by ``ParquetFile.iter_batches`` in batches of ``batch_bytes``.

    Parameters
    ----------
    path : path-like
    target : str, default="y"
    features : sequence of str, optional
        By default every other integer, floating-point or decimal column except
        ``y_true`` and the weights.
    sample_weight : str, optional
        The column of row weights (finite, ``>= 0``), served in ``Batch.w``.
    batch_bytes : int, default=BATCH_BYTES
        Float64 bytes of one batch (its rows: ``batch_bytes / (8 (d + 1))``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        target: str = "y",
        features: Sequence[str] | None = None,
        sample_weight: str | None = None,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        named = [target, *(features or ()), *([] if sample_weight is None else [sample_weight])]
        self._reader = ParquetReader(self.path, keep=named)
        self.n_rows = self._reader.n_rows
        self.feature_names = resolve_columns(
            self.name,
            self._reader.header,
            self._reader.numeric_columns().__contains__,
            target=target,
            features=features,
            weight=sample_weight,
        )
        self.target_name = target
        self.weight_name = sample_weight
        self._reader.check_numeric(self._columns())
        self._rows = max(1024, int(batch_bytes) // (8 * (len(self.feature_names) + 1)))
        self.total_bytes = self.path.stat().st_size

    def batches(self) -> Generator[Batch, None, None]:
        start = 0
        total = self.total_bytes or 0
        # pre_buffer (the default) caches whole column chunks: on a 238 MB file it
        # held all of them, 246 MB; buffered reads of 1 MiB keep the pool at ~40 MB.
        records = self._reader.records(
            self._columns(), self._rows, pre_buffer=False, buffer_size=1 << 20
        )
        for record in records:
            X, y, w = self._arrays(record, start, "a missing value")
            start += record.num_rows
            position = total * start // max(self.n_rows, 1)
            yield Batch(X, y, start - record.num_rows, position, w)


def open_source(
    path: str | os.PathLike[str],
    *,
    target: str = "y",
    features: Sequence[str] | None = None,
    sample_weight: str | None = None,
    batch_bytes: int = BATCH_BYTES,
    delimiter: str | None = None,
    decimal: str | None = None,
) -> CSVSource | ParquetSource:
    """A :class:`ParquetSource` for ``.parquet``/``.pq`` files, else a :class:`CSVSource`.

    ``sample_weight`` names the column of row weights, if any; ``delimiter`` and
    ``decimal`` a CSV's dialect (detected when not given). An Excel workbook is not
    streamed (it is read whole, :func:`linreg.io.tables.read_table`): an error.
    """
    kind = file_kind(path)
    if kind == "excel":
        raise LinregError(
            f"{path}: an Excel workbook is read whole, not streamed; drop --stream "
            "(or save the sheet as CSV or Parquet to stream it)"
        )
    if kind == "parquet":
        return ParquetSource(
            path,
            target=target,
            features=features,
            sample_weight=sample_weight,
            batch_bytes=batch_bytes,
        )
    return CSVSource(
        path,
        target=target,
        features=features,
        sample_weight=sample_weight,
        batch_bytes=batch_bytes,
        delimiter=delimiter,
        decimal=decimal,
    )


def available_memory() -> int:
    """Bytes of memory available to new processes (``MemAvailable``), or a guess."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    try:  # pragma: no cover - not Linux
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 1 << 62


def wants_streaming(path: str | os.PathLike[str], *, force: bool = False) -> bool:
    """Whether the command line streams ``path`` rather than reading it whole.

    Always for ``force`` and for Parquet files; never (unless forced) for an Excel
    workbook, which is read whole; for a CSV when it is larger than
    1/:data:`STREAM_MEMORY_RATIO` of the available memory.
    """
    p = Path(path)
    kind = file_kind(p)
    if force or kind == "parquet":
        return True
    if kind == "excel":
        return False
    try:
        size = p.stat().st_size
    except OSError:
        return False  # read_table reports the problem
    return size * STREAM_MEMORY_RATIO > available_memory()


class Reservoir:
    """A uniform sample of ``size`` rows of a stream (Vitter's algorithm R), for figures.

    Row ``i`` (0-based) of the stream replaces a random slot with probability
    ``size / (i + 1)``; the draws come from ``seed``, so a file gives the same sample.
    """

    def __init__(self, size: int = SAMPLE_ROWS, seed: int = 0) -> None:
        self.size = size
        self._rng = np.random.default_rng(seed)
        self._X: Array | None = None
        self._y: Array | None = None
        self._seen = 0

    def add(self, X: Array, y: Array) -> None:
        """Offer the rows of one batch."""
        m = X.shape[0]
        if self._X is None or self._y is None:
            self._X, self._y = np.empty((self.size, X.shape[1])), np.empty(self.size)
        first = self._seen
        fill = max(0, min(m, self.size - first))
        self._X[first : first + fill] = X[:fill]
        self._y[first : first + fill] = y[:fill]
        if fill < m:
            index = np.arange(first + fill, first + m)
            slot = self._rng.integers(0, index + 1)
            keep = np.flatnonzero(slot < self.size)
            # A slot drawn twice keeps the later row, as one row at a time would.
            slots, last = np.unique(slot[keep][::-1], return_index=True)
            rows = keep[::-1][last] + fill
            self._X[slots] = X[rows]
            self._y[slots] = y[rows]
        self._seen += m

    def arrays(self) -> tuple[Array, Array]:
        """The sample: ``min(size, rows seen)`` rows."""
        if self._X is None or self._y is None:
            return np.empty((0, 0)), np.empty(0)
        k = min(self.size, self._seen)
        return self._X[:k].copy(), self._y[:k].copy()


def preview(
    path: str | os.PathLike[str],
    *,
    target: str = "y",
    features: Sequence[str] | None = None,
    rows: int = 1_000,
    dask: bool = False,
    sample_weight: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
) -> Table:
    """The first ``rows`` rows of a file as a :class:`~linreg.io.tables.Table` (streaming rules).

    For the command line, before a long streamed fit: it checks the columns early
    and gives the gradient check its rows; ``sample_weight`` names the weight column
    (checked and left out of the features; streamed, its first values are ``Table.w``);
    ``delimiter`` and ``decimal`` a CSV's dialect. With ``dask``, the file is read by
    ``dask.dataframe`` (:func:`linreg.sources.distributed.read_frame`), first partition only.
    """
    if dask:
        from linreg.sources.distributed import read_frame

        X_frame, y_series, chosen = read_frame(
            path, target=target, features=features, sample_weight=sample_weight
        )
        head_X, head_y = X_frame.partitions[0].compute(), y_series.partitions[0].compute()
        X = head_X.to_numpy(dtype=np.float64)[:rows]
        y = head_y.to_numpy(dtype=np.float64)[:rows]
        return Table(
            X=X, y=y, y_true=None, feature_names=chosen, target_name=target, path=Path(path)
        )
    source = open_source(
        path,
        target=target,
        features=features,
        sample_weight=sample_weight,
        delimiter=delimiter,
        decimal=decimal,
    )
    batches = source.batches()
    try:
        first = next(batches, None)
    finally:
        batches.close()
    if first is None:
        raise LinregError(f"{source.name}: has a header but no data rows")
    return Table(
        X=first.X[:rows].copy(),
        y=first.y[:rows].copy(),
        y_true=None,
        feature_names=source.feature_names,
        target_name=source.target_name,
        path=Path(path),
        w=None if first.w is None else first.w[:rows].copy(),
        weight_name=sample_weight,
    )
