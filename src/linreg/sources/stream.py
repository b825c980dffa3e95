"""Fitting data larger than memory: record batches of CSV and Parquet files.

A :class:`BatchSource` serves the rows of a file in *record batches* of bounded
size (:data:`BATCH_BYTES` of float64 features and targets), as many times as a
solver needs passes. The three solvers of :class:`~linreg.LinearRegression` then
work from per-batch summaries that combine exactly or stably, never from all rows
at once:

``"exact"``: R factors, then refinement passes
    Each batch is centred by its own mean and factored by Householder QR together
    with its target, ``[1, X_k - 1 s_k^T, y_k - s_ky] = Q_k R_k``. Two batches
    combine by a TSQR step: both factors are moved to the mean ``m`` of the union,
    which changes only their first row,

    .. math:: R_k(m)_{0,j} = R_k(s_k)_{0,j} - R_k(s_k)_{00} (m - s_k)_j,

    because ``[1, X - 1 m^T] = [1, X - 1 s^T] T`` with ``T`` the identity but for
    its first row, and ``R_k T`` differs from ``R_k`` only there; then the stacked
    ``[R_a(m); R_b(m)]`` is factored again. Factors merge pairwise like a binary
    counter (a TSQR tree, ``O(log K)`` factors held for ``K`` batches), and every
    Householder step sees columns centred at the mean of the rows it combines, so
    no offset inflates the rounding (a shift fixed from the first batch would cost
    ``eps |m - s| / std`` relative in ``R``). The last column of the final factor
    holds ``Q^T y`` and ``|r|``: the least-squares solution of that one pass is as
    accurate as :func:`numpy.linalg.lstsq` in memory. Refinement passes then take
    it to the float64 limit, as :func:`linreg.solvers.lstsq.lstsq` does: each computes
    ``A^T (y - A x)`` in extended precision with :mod:`linreg.solvers.lstsq`'s
    error-free-splitting kernels (``r = fl(y - A x)``, then ``f = y - r - A x`` and
    ``A^T r`` as exact slice products, summed over all batches without rounding,
    see :class:`ExactSum`), and corrects ``x`` by the corrected seminormal
    equations ``R^T R du = T^T A^T (y - A x)``. ``Q`` is never available (it has
    ``N`` rows), so the corrections are lstsq's seminormal ones, which contract by
    about ``64 eps cond(Z)^2 mu`` a pass; passes repeat, with lstsq's stopping rules,
    until the correction is at rounding level. Typical data take two passes in
    all (the factor and one refinement); ill-conditioned data take more. Measured
    on polynomial designs (200,000 rows, powers of x in [0, 10]): up to degree 10,
    ``cond(Z) = 1.2e7``, three passes give lstsq's coefficients bit for bit; at
    degree 12, ``cond(Z) = 3.9e8``, the corrections stop shrinking after four
    steps (the answer was still within 4e-16 of lstsq's), and a
    :class:`~linreg.errors.ConvergenceWarning` says that the float64 limit may not
    be reached without ``Q``.

``"gd"``: sufficient statistics in one pass
    Each batch gives its centred moments (:meth:`linreg.solvers.fast.Moments.from_data`),
    merged by the parallel formula of Chan, Golub and LeVeque,

    .. math:: G_{ab} = G_a + G_b + \\frac{n_a n_b}{n_a + n_b} \\delta \\delta^\\top,
              \\quad \\delta = m_b - m_a,

    after which every epoch costs O(d^2) (:class:`linreg.solvers.fast.QuadraticObjective`):
    the iterates are those of gradient descent in memory (measured: the whole
    recorded path within 1e-14 relative without standardization, 5e-12 with it on
    features whose means are 1,000 standard deviations). ``standardize`` centres
    by ``X.mean(axis=0)`` as the in-memory path does, bit for bit: NumPy sums the
    rows one after the other, and the pass continues that sum batch by batch. The
    quadratic is
    anchored at the least-squares solution of the moments; its residual sum of
    squares there comes from the moments too unless that loses more than four
    digits (``sse < 1e-4 y_c^T y_c``, a near-perfect fit), when one more pass
    computes it directly, as the in-memory fast path always does.

``"sgd"``: epochs over the stream
    One pass for the moments (the loss of every epoch, eta_max and the
    standardization come from them), then every epoch reads the batches in file
    order, shuffles the rows *within* each batch from the seed, and takes
    mini-batch steps of ``batch_size`` rows (rows left over at the end of a batch
    open the next one's first step). The in-memory solver shuffles all rows; the
    streamed one is deterministic for a given seed and batch layout, and
    statistically equivalent when the file's order is not itself informative.
    With ``tol`` it stops within a pass as in memory
    (:class:`linreg.training.Plateau`), and reads no further.

Files
-----
CSV is read by ``pyarrow.csv.open_csv`` (a streaming reader; blocks of 1 MiB of text
gathered into batches), Parquet by ``pyarrow.parquet.ParquetFile.iter_batches``. Columns follow
:func:`linreg.io.tables.read_table`'s rules: the target is ``target``, the features are
``features`` or every other numeric column except ``y_true``, and every cell
must be a finite number; errors name the file, the column and the data row (the
``k``-th row after the header; blank lines are not counted). Which CSV columns
are numeric is judged from the first block of the file.

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
CSV row predates that and is parsing-bound.)

Of that, about 160 MB is the command line before it reads anything (Python with
NumPy, SciPy, pandas and linreg) and about 60 MB pyarrow's libraries and threads;
the rest varies by some tens of MB from run to run with how the allocators of
NumPy, OpenBLAS and pyarrow reuse memory, but does not grow with the file.
:func:`wants_streaming` decides when the command line streams.
"""

from __future__ import annotations

import csv
import math
import os
import re
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular

from linreg.errors import ConvergenceWarning, LinregError, StabilityWarning
from linreg.history import History
from linreg.io.tables import Table, check_finite_column, resolve_columns
from linreg.model import LinearModel
from linreg.solvers import extended as ext
from linreg.solvers import fast, kernels
from linreg.solvers.lstsq import (
    CHUNK_ELEMENTS,
    MAX_REFINEMENTS,
    Centred,
    Design,
    LstsqResult,
    StopRule,
    bits_needed,
    geqrf,
    geqrf_lwork,
    levels_for_bits,
    norm_sliced_levels,
    numerical_rank,
    seminormal_du,
    truncated_pinv_solve,
    uncentred_norms,
    vector_norm,
    warn_rank,
)
from linreg.training import EpochCallback, Plateau
from linreg.validation import check_rows, warn_constant

if TYPE_CHECKING:
    from linreg.estimator import LinearRegression

__all__ = [
    "BATCH_BYTES",
    "ArraySource",
    "Batch",
    "BatchSource",
    "CSVSource",
    "ExactSum",
    "GradientPiece",
    "Levels",
    "ParquetSource",
    "PassProgress",
    "Passes",
    "QRPiece",
    "RichProgress",
    "StreamFit",
    "fit_file",
    "fit_passes",
    "fit_source",
    "gradient_piece",
    "merge_gradients",
    "merge_moments",
    "merge_qr",
    "open_source",
    "preview",
    "qr_piece",
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
#: Text per block of pyarrow's CSV reader, which reads many blocks ahead: on a 363 MB
#: CSV, 4 MiB blocks peaked at 374 MB resident, 1 MiB blocks at 226 MB, as fast.
CSV_BLOCK_BYTES: Final = 1 << 20
#: Suffixes read as Parquet; everything else is read as CSV.
PARQUET_SUFFIXES: Final = (".parquet", ".pq")
#: Rows of partial sums an :class:`ExactSum` holds before compressing them.
_EXACT_SUM_ROWS: Final = 2048
#: Rows per block of the streamed QR: 512 x 16 stays under OpenBLAS's threading
#: thresholds (about 8,192 elements), so each LAPACK call runs on its own thread.
_TSQR_ROWS: Final = 512

_INSTALL_HINT = 'pip install "linreg[stream]"'


# ---------------------------------------------------------------------------
# Batches and their sources
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """One record batch: ``X`` (m, d) C-ordered float64, ``y`` (m,), and where it lies.

    ``start`` is the index of its first row in the file; ``position`` the bytes of
    the file read once it is delivered (for progress bars).
    """

    X: Array
    y: Array
    start: int
    position: int


class BatchSource(Protocol):
    """Rows served in record batches, as many passes as asked for."""

    name: str
    feature_names: list[str]
    target_name: str
    total_bytes: int | None

    def batches(self) -> Iterator[Batch]:
        """One pass over the rows, in order."""
        ...


@dataclass(frozen=True)
class PassProgress:
    """Where a pass over the data stands: its label, rows and bytes read so far."""

    label: str
    rows: int
    bytes: int
    total_bytes: int | None


#: Called after every batch of every pass.
ProgressCallback = Callable[[PassProgress], None]


class ArraySource:
    """In-memory arrays served in row blocks: the streaming algorithms on data at hand.

    Parameters
    ----------
    X : array-like of shape (N, d)
    y : array-like of shape (N,)
    batch_rows : int, default=65536
    feature_names : list of str, optional
    target_name : str, default="y"
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        *,
        batch_rows: int = 65536,
        feature_names: Sequence[str] | None = None,
        target_name: str = "y",
    ) -> None:
        self._X = np.ascontiguousarray(X, dtype=np.float64)
        self._y = np.ascontiguousarray(y, dtype=np.float64)
        if self._X.ndim != 2 or self._y.shape != (self._X.shape[0],):
            raise LinregError(
                f"X must be 2-D and y 1-D with one value per row; got {self._X.shape}, "
                f"{self._y.shape}"
            )
        self._rows = max(1, int(batch_rows))
        d = self._X.shape[1]
        self.name = "arrays"
        self.feature_names = (
            list(feature_names) if feature_names is not None else [f"x{j + 1}" for j in range(d)]
        )
        self.target_name = target_name
        self.total_bytes: int | None = self._X.nbytes + self._y.nbytes

    def batches(self) -> Iterator[Batch]:
        n, row_bytes = self._X.shape[0], 8 * (self._X.shape[1] + 1)
        for start in range(0, n, self._rows):
            stop = min(n, start + self._rows)
            yield Batch(self._X[start:stop], self._y[start:stop], start, stop * row_bytes)


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - depends on the environment
        raise LinregError(f"streaming files needs pyarrow: {_INSTALL_HINT}") from None
    return pyarrow


def _check_path(path: Path) -> None:
    if not path.exists():
        raise LinregError(f"{path}: file not found; check the path")
    if path.is_dir():
        raise LinregError(f"{path}: is a folder, not a data file")


class _ArrowBatches:
    """What the CSV and Parquet sources share: record batches to checked float64 arrays."""

    name: str
    feature_names: list[str]
    target_name: str
    total_bytes: int | None

    def _arrays(self, batch: Any, start: int, what: str) -> tuple[Array, Array]:
        """``X`` (m, d) and ``y`` (m,) of a record batch, every cell a finite number.

        ``what`` names a missing cell in messages ("an empty cell", "a missing value").
        """
        m, d = batch.num_rows, len(self.feature_names)
        X = np.empty((m, d))
        for j, column in enumerate(self.feature_names):
            X[:, j] = self._values(batch.column(column), column, start, what)
        y = self._values(batch.column(self.target_name), self.target_name, start, what)
        return X, y

    def _values(self, array: Any, column: str, start: int, what: str) -> Array:
        pa = _pyarrow()
        if array.null_count:
            row = int(np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))[0])
            raise LinregError(
                f"{self.name}: column {column!r} data row {start + row + 1} has {what}; "
                "fix or remove that row (every cell must be a number)"
            )
        if not pa.types.is_floating(array.type):
            array = array.cast(pa.float64())
        values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
        check_finite_column(values, self.name, column, lambda row: f"data row {start + row + 1}")
        return values


class CSVSource(_ArrowBatches):
    """A CSV file read by pyarrow's streaming reader, in batches of ``batch_bytes`` of numbers.

    The reader parses blocks of at most :data:`CSV_BLOCK_BYTES` of text; their rows
    are gathered into batches of ``batch_bytes / (8 (d + 1))`` rows.

    Parameters
    ----------
    path : path-like
    target : str, default="y"
    features : sequence of str, optional
        By default every other column that is numeric in the first block, except ``y_true``.
    batch_bytes : int, default=BATCH_BYTES

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
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        _check_path(self.path)
        self._header = self._read_header()
        self._block = max(1 << 16, min(CSV_BLOCK_BYTES, int(batch_bytes)))
        numeric = self._numeric_columns() if features is None else set(self._header)
        self.feature_names = resolve_columns(
            self.name, self._header, numeric.__contains__, target=target, features=features
        )
        self.target_name = target
        self.total_bytes = self.path.stat().st_size
        self._rows = max(1, int(batch_bytes) // (8 * (len(self.feature_names) + 1)))

    def _read_header(self) -> list[str]:
        try:
            with open(self.path, newline="", encoding="utf-8-sig") as handle:
                header = next(csv.reader(handle), None)
        except UnicodeDecodeError:
            raise LinregError(f"{self.name}: not a text CSV file (it is not UTF-8)") from None
        if not header:
            raise LinregError(
                f"{self.name}: the file is empty; it needs a header row and data rows"
            )
        return [c.strip() for c in header]

    def _open(self, handle: Any, columns: list[str] | None) -> Any:
        pa = _pyarrow()
        from pyarrow import csv as pacsv

        read = pacsv.ReadOptions(column_names=self._header, skip_rows=1, block_size=self._block)
        if columns is None:
            convert = pacsv.ConvertOptions(null_values=[""], strings_can_be_null=True)
        else:
            convert = pacsv.ConvertOptions(
                null_values=[""],
                include_columns=columns,
                column_types={c: pa.float64() for c in columns},
            )
        return pacsv.open_csv(handle, read_options=read, convert_options=convert)

    def _numeric_columns(self) -> set[str]:
        """Columns typed as integers or floats by pyarrow's inference on the first block."""
        pa = _pyarrow()
        try:
            with pa.OSFile(self.name) as handle:
                reader = self._open(handle, None)
                schema = reader.schema
                try:
                    reader.read_next_batch()
                except StopIteration:
                    raise LinregError(f"{self.name}: has a header but no data rows") from None
        except pa.ArrowInvalid as exc:
            raise self._error(exc, 0) from None
        return {
            f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
        }

    def _error(self, exc: Exception, rows_before: int) -> LinregError:
        message = str(exc).strip().splitlines()[0]
        bad = re.match(
            r"In CSV column #(\d+): CSV conversion error to \w+: invalid value (.*)$", message
        )
        if bad and int(bad.group(1)) < len(self._header):
            column = self._header[int(bad.group(1))]
            return LinregError(
                f"{self.name}: column {column!r} has the non-numeric value {bad.group(2)} "
                f"(a data row after row {rows_before}); fix or remove that row "
                "(every cell must be a number)"
            )
        message = message.removeprefix("CSV parse error: ")
        return LinregError(f"{self.name}: not a valid CSV file ({message})")

    def batches(self) -> Generator[Batch, None, None]:
        pa = _pyarrow()
        columns = [*self.feature_names, self.target_name]
        start = 0  # first row of the batch being gathered
        parts: list[tuple[Array, Array]] = []
        gathered = 0
        total = self.total_bytes or 0

        def batch(position: int) -> Batch:
            X = parts[0][0] if len(parts) == 1 else np.concatenate([p[0] for p in parts])
            y = parts[0][1] if len(parts) == 1 else np.concatenate([p[1] for p in parts])
            return Batch(X, y, start, min(total, position))

        with pa.OSFile(self.name) as handle:
            try:
                for record in self._open(handle, columns):
                    if record.num_rows == 0:
                        continue
                    parts.append(self._arrays(record, start + gathered, "an empty cell"))
                    gathered += record.num_rows
                    if gathered >= self._rows:
                        yield batch(handle.tell())
                        start, parts, gathered = start + gathered, [], 0
            except pa.ArrowInvalid as exc:
                raise self._error(exc, start + gathered) from None
            if parts:
                yield batch(total)


class ParquetSource(_ArrowBatches):
    """A Parquet file read by ``ParquetFile.iter_batches`` in batches of ``batch_bytes``.

    Parameters
    ----------
    path : path-like
    target : str, default="y"
    features : sequence of str, optional
        By default every other integer, floating-point or decimal column except ``y_true``.
    batch_bytes : int, default=BATCH_BYTES
        Float64 bytes of one batch (its rows: ``batch_bytes / (8 (d + 1))``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        target: str = "y",
        features: Sequence[str] | None = None,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        pa = _pyarrow()
        import pyarrow.parquet as pq

        self.path = Path(path)
        self.name = str(self.path)
        _check_path(self.path)
        try:
            with pq.ParquetFile(self.name) as handle:
                schema = handle.schema_arrow
                self.n_rows = int(handle.metadata.num_rows)
        except (pa.ArrowInvalid, OSError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise LinregError(f"{self.name}: not a valid Parquet file ({first})") from None
        types = {f.name: f.type for f in schema}
        numeric = {
            c
            for c, t in types.items()
            if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
        }
        self.feature_names = resolve_columns(
            self.name, list(schema.names), numeric.__contains__, target=target, features=features
        )
        self.target_name = target
        for column in [*self.feature_names, target]:
            if column not in numeric:
                raise LinregError(
                    f"{self.name}: column {column!r} is not numeric (type {types[column]}); "
                    "choose numeric columns with --target and --features"
                )
        self._rows = max(1024, int(batch_bytes) // (8 * (len(self.feature_names) + 1)))
        self.total_bytes = self.path.stat().st_size

    def batches(self) -> Generator[Batch, None, None]:
        import pyarrow.parquet as pq

        columns = [*self.feature_names, self.target_name]
        start = 0
        total = self.total_bytes or 0
        # pre_buffer (the default) caches whole column chunks: on a 238 MB file it
        # held all of them, 246 MB; buffered reads of 1 MiB keep the pool at ~40 MB.
        with pq.ParquetFile(self.name, pre_buffer=False, buffer_size=1 << 20) as handle:
            for record in handle.iter_batches(batch_size=self._rows, columns=columns):
                if record.num_rows == 0:
                    continue
                X, y = self._arrays(record, start, "a missing value")
                start += record.num_rows
                position = total * start // max(self.n_rows, 1)
                yield Batch(X, y, start - record.num_rows, position)


def open_source(
    path: str | os.PathLike[str],
    *,
    target: str = "y",
    features: Sequence[str] | None = None,
    batch_bytes: int = BATCH_BYTES,
) -> CSVSource | ParquetSource:
    """A :class:`ParquetSource` for ``.parquet``/``.pq`` files, else a :class:`CSVSource`."""
    if Path(path).suffix.lower() in PARQUET_SUFFIXES:
        return ParquetSource(path, target=target, features=features, batch_bytes=batch_bytes)
    return CSVSource(path, target=target, features=features, batch_bytes=batch_bytes)


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

    Always for ``force`` and for Parquet files; for a CSV when it is larger than
    1/:data:`STREAM_MEMORY_RATIO` of the available memory.
    """
    p = Path(path)
    if force or p.suffix.lower() in PARQUET_SUFFIXES:
        return True
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


# ---------------------------------------------------------------------------
# Exact solver: R factors and extended-precision gradients
# ---------------------------------------------------------------------------


def _pilot(values: Array) -> Array:
    """A batch's centring shift: column means of at most 1,024 evenly spaced rows.

    Any shift near the mean serves (:func:`merge_qr` moves every factor to the
    exact mean of all rows), and a sample costs no copy of the batch. Computed as
    ``v_0 + mean(v - v_0)``, exactly ``v_0`` for a constant column.
    """
    sample = values[:: max(1, values.shape[0] // 1024)]
    return np.asarray(sample[0] + (sample - sample[0]).mean(axis=0), dtype=np.float64)


@dataclass(frozen=True)
class QRPiece:
    """The R factor of some rows: what the exact solver keeps of them.

    Attributes
    ----------
    n : int
        Rows summarised.
    shift : ndarray of shape (d + 1,)
        Means of the features and (last) of the target the rows were centred by
        (zeros without intercept).
    R : ndarray of shape (k, q)
        Upper-triangular (trapezoidal when ``n < q``) factor of
        ``[1, X - 1 s^T, y - s_y]`` (``q = d + 2``), or of ``[X, y]`` (``q = d + 1``)
        without intercept; ``k = min(n, q)``.
    low, high : ndarrays of shape (d,)
        Column minima and maxima (to name constant features).
    fit_intercept : bool
    """

    n: int
    shift: Array
    R: Array
    low: Array
    high: Array
    fit_intercept: bool


def qr_piece(X: Array, y: Array, *, fit_intercept: bool) -> QRPiece:
    """The :class:`QRPiece` of one batch: blocked Householder QR of its centred rows.

    Blocks of 512 rows of ``[1, X - 1 s^T, y - s_y]`` (``s`` the batch's means) are
    formed in a scratch buffer, factored by LAPACK ``dgeqrf`` on a thread pool, and
    their stacked triangles factored once more (the "tall-skinny QR" of Demmel et
    al., as stable as one Householder QR). Cost: about ``2 m q^2`` flops; memory:
    one ``q x 512`` buffer per thread.
    """
    m, d = X.shape
    off = int(fit_intercept)
    q = d + off + 1
    if fit_intercept:
        shift_x, shift_y = _pilot(X), float(_pilot(y))
    else:
        shift_x, shift_y = np.zeros(d), 0.0
    rows = _TSQR_ROWS
    lwork = geqrf_lwork(rows, q)

    def factor(s: int, buf: Array) -> Array:
        k = min(rows, m - s)
        block = buf[:, :k]
        if fit_intercept:
            block[0] = 1.0
            np.subtract(X[s : s + k].T, shift_x[:, None], out=block[1 : d + 1])
            np.subtract(y[s : s + k], shift_y, out=block[d + 1])
        else:
            np.copyto(block[:d], X[s : s + k].T)
            np.copyto(block[d], y[s : s + k])
        qr, _ = geqrf(block.T, lwork)
        return np.triu(qr[: min(k, q)])

    tops = ext.map_chunks(factor, m, rows, lambda: np.empty((q, rows)))
    R = tops[0] if len(tops) == 1 else _stacked_r(tops)
    shift = np.append(shift_x, shift_y) if fit_intercept else np.zeros(d + 1)
    return QRPiece(m, shift, R, X.min(axis=0), X.max(axis=0), fit_intercept)


def _stacked_r(factors: Sequence[Array]) -> Array:
    """R of the rows of all ``factors`` stacked: one more Householder QR."""
    stacked = np.asfortranarray(np.vstack(factors))
    qr, _ = geqrf(stacked, geqrf_lwork(*stacked.shape))
    return np.triu(qr[: min(stacked.shape)])


def merge_qr(pieces: Sequence[QRPiece]) -> QRPiece:
    """One :class:`QRPiece` of the rows of all ``pieces`` (a TSQR step).

    Every factor is moved to the mean ``m`` of the union, which changes its first
    row only: ``R(m)[0, j] = R(s)[0, j] - R(s)[0, 0] (m - s)_j`` (see the module
    docstring); the stacked factors are then factored again. Without intercept the
    factors are stacked as they are.
    """
    if len(pieces) == 1:
        return pieces[0]
    first = pieces[0]
    n = sum(p.n for p in pieces)
    shift = first.shift.copy()
    if first.fit_intercept:
        # The union's mean, as base + weighted offsets: exact for a constant column.
        shift = first.shift + sum(p.n * (p.shift - first.shift) for p in pieces) / n
    moved = []
    for p in pieces:
        R = p.R.copy()
        if p.fit_intercept and R.shape[0]:
            R[0, 1:] -= R[0, 0] * (shift - p.shift)
        moved.append(R)
    return QRPiece(
        n,
        shift,
        _stacked_r(moved),
        np.min([p.low for p in pieces], axis=0),
        np.max([p.high for p in pieces], axis=0),
        first.fit_intercept,
    )


class QRTree:
    """Merges :class:`QRPiece` s pairwise as they come, like a binary counter.

    Slot ``k`` holds the factor of ``2**k`` pieces or nothing; adding a piece merges
    it up through the occupied slots. ``K`` pieces leave at most ``log2 K + 1``
    factors in memory, and each row goes through ``log2 K`` Householder steps
    (a sequential merge would take ``K``).
    """

    def __init__(self) -> None:
        self._slots: list[QRPiece | None] = []

    def add(self, piece: QRPiece) -> None:
        for level, held in enumerate(self._slots):
            if held is None:
                self._slots[level] = piece
                return
            piece = merge_qr([held, piece])
            self._slots[level] = None
        self._slots.append(piece)

    def result(self) -> QRPiece:
        """The factor of every piece added (oldest rows first)."""
        held = [p for p in reversed(self._slots) if p is not None]
        if not held:
            raise LinregError("no rows to fit")
        return merge_qr(held)


def _expansion(terms: Array, parts: int = 3) -> Array:
    """``parts`` float64 rows whose column sums equal those of ``terms`` to ``~53 parts`` bits.

    ``math.fsum`` is correctly rounded; subtracting each rounded part and summing
    again gives the next: ``|sum - (s_1 + s_2 + s_3)| <= 2**-159 |sum|``, relative to
    the *sum* (however much its terms cancel), not to the terms.
    """
    out = np.zeros((parts, terms.shape[1]))
    for j in range(terms.shape[1]):
        values = terms[:, j].tolist()
        for level in range(parts):
            try:
                s = math.fsum(values)
            except (OverflowError, ValueError):  # non-finite terms: the caller stops
                out[level, j] = float(np.sum(terms[:, j]))
                break
            out[level, j] = s
            values.append(-s)
    return out


class ExactSum:
    """Sums of many float64 vectors, without rounding the partial sums.

    The terms are kept as rows and compressed by :func:`_expansion` every
    ``2048`` rows into three, so memory stays O(width) however many are added.

    Parameters
    ----------
    width : int
        Length of the vectors.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self._rows: list[Array] = []
        self._count = 0

    def add(self, terms: Array) -> None:
        """Add the rows of ``terms`` (shape (k, width), or one vector (width,))."""
        block = np.atleast_2d(terms)
        self._rows.append(block)
        self._count += block.shape[0]
        if self._count > _EXACT_SUM_ROWS:
            self._compress()

    def _compress(self) -> None:
        if len(self._rows) != 1 or self._count > 3:
            stacked = np.concatenate(self._rows) if self._rows else np.zeros((1, self.width))
            self._rows = [_expansion(stacked)]
            self._count = 3

    def expansion(self) -> Array:
        """Three rows (3, width) summing to the total (see :func:`_expansion`)."""
        self._compress()
        return self._rows[0]

    def total(self) -> Array:
        """The sum, correctly rounded, of shape (width,)."""
        return self.expansion()[0].copy()


@dataclass(frozen=True)
class GradientPiece:
    """``A^T (y - A x)`` of some rows, unrounded, and their residual sum of squares.

    Attributes
    ----------
    n : int
        Rows summarised.
    terms : ndarray of shape (3, p)
        Rows whose column sums are ``T^T A^T (y - A x)``, centred by the shift
        given to :func:`gradient_piece` (``A^T (y - A x)`` without one), as
        :class:`ExactSum`'s expansion.
    sse : float
        ``|fl(y - A x)|^2`` in float64.
    """

    n: int
    terms: Array
    sse: float


class Levels(NamedTuple):
    """The precision of a refinement pass (:func:`gradient_piece`).

    ``f`` and ``g`` are the slicing levels of the general kernels' row products and
    column sums (:func:`linreg.solvers.lstsq.levels_for`); ``sliced`` (1 or 2), where the
    problem allows it (:func:`linreg.solvers.lstsq.norm_sliced_bits`), has the norm-sliced
    kernel (:func:`linreg.solvers.extended.seminormal_terms`) do the pass instead.
    """

    f: int
    g: int
    sliced: int = 0


def gradient_piece(
    X: Array,
    y: Array,
    x: Array,
    *,
    fit_intercept: bool,
    levels: tuple[int, int] | Levels,
    shift: Array | None = None,
) -> GradientPiece:
    """``T^T A^T (y - A x)`` on one batch in extended precision, ``A = [1 X]`` (or ``X``).

    Parameters
    ----------
    X : ndarray of shape (m, d)
    y : ndarray of shape (m,)
    x : ndarray of shape (p,)
        ``(b, w)``, or ``w`` without intercept.
    fit_intercept : bool
    levels : (int, int) or Levels
        Slicing levels of the row products and of the column sums (lstsq's), or a
        :class:`Levels` that names the norm-sliced kernel.
    shift : ndarray of shape (d,), optional
        The centring shift ``m`` of ``T = [[1, -m^T], [0, I]]`` (intercept models);
        without it ``T = I``.

    Returns
    -------
    GradientPiece

    Notes
    -----
    Per chunk of rows, as in :meth:`linreg.solvers.lstsq.Design.evaluate` with a fresh
    residual: ``r = fl(y - A x)`` in float64, then ``f = y - r - A x`` in
    extended precision (the rounding error of ``r``), and
    ``A^T (y - A x) = A^T r + A^T f`` with ``A^T r`` as exact slice products plus a
    tail ``2**-(levels * bits)`` smaller, and ``A^T f`` (a rounding-level vector) in
    float64. ``T^T`` is applied before anything is rounded: the exact terms of
    ``A^T r`` with their products by ``m`` (TwoProduct), and ``Z^T f`` from the
    centred chunk (``A^T f`` would carry rounding errors ``m_j`` times larger), as
    :meth:`linreg.solvers.lstsq.Design.evaluate` does. Nothing is rounded when the chunks
    are summed (:class:`ExactSum`), so the result is as accurate for a file of any
    length as for one chunk.
    """
    design = Design(X, None, fit_intercept)
    n, d, p, step = design.n, design.d, design.p, design.chunk
    b, w = design._split_x(x)
    off = int(fit_intercept)
    passes_f = ext.sum_passes(levels[0], ext.slice_bits(max(d, 1)))
    centre = shift if fit_intercept and shift is not None and np.any(shift) else None
    if isinstance(levels, Levels) and levels.sliced:
        return _sliced_gradient_piece(X, y, b, w, levels.sliced, centre, fit_intercept)

    def work(s: int, ws: ext.Workspace) -> tuple[Array, float]:
        # Beyond 2**900 the slicing overflows; the caller sees non-finite terms.
        with np.errstate(over="ignore", invalid="ignore"):
            return chunk(s, ws)

    def chunk(s: int, ws: ext.Workspace) -> tuple[Array, float]:
        e = min(n, s + step)
        T = ws.transposed(X[s:e])
        r = (y[s:e] - b) - ext.dot_t(w, T)
        terms = [y[s:e], -r, np.full(e - s, -b)]
        terms.extend(-t for t in ext.matvec_terms(T, w, levels[0], ws))
        f = ext.sum_k(terms, passes_f)
        cols = ext.rmatvec_terms(T, r, levels[1], ws)
        ones = ext.sum_terms(r, levels[1]) if fit_intercept else []
        Z = T if centre is None else np.subtract(T, centre[:, None], out=ws.matrices(e - s)[0])
        if centre is not None:
            with np.errstate(over="ignore", invalid="ignore"):  # beyond 2**996: non-finite
                cols.extend(part for t in ones for part in ext.two_product(-centre, t))
        cols.append(ext.dot(Z, f))
        if fit_intercept:
            ones.append(float(np.sum(f)))
        block = np.zeros((max(len(cols), len(ones)), p))
        block[: len(cols), off:] = cols
        if fit_intercept:
            block[: len(ones), 0] = ones
        return block, float(r @ r)

    parts = ext.map_chunks(work, n, step, lambda: ext.Workspace(d, min(step, n), max(levels)))
    total = ExactSum(p)
    sse = 0.0
    for block, part_sse in parts:
        total.add(block)
        sse += part_sse
    return GradientPiece(n, total.expansion(), sse)


def sliced_rows(d: int) -> int:
    """Rows per block of the norm-sliced kernel in a streamed pass (1 MiB blocks)."""
    return fast.chunk_rows(d)


def _sliced_gradient_piece(
    X: Array,
    y: Array,
    b: float,
    w: Array,
    levels: int,
    centre: Array | None,
    fit_intercept: bool,
) -> GradientPiece:
    """:func:`gradient_piece` by the norm-sliced kernel, on blocks of
    :func:`sliced_rows` rows whose column norms it measures first (the in-memory
    solver has them from its Gram pass)."""
    n, d = X.shape
    p, off = d + int(fit_intercept), int(fit_intercept)
    rows = min(n, sliced_rows(d))
    cuts = ext.BlockCuts.of(ext.column_norms(X, rows), b, w, levels=levels, rows=rows)
    parts = kernels.seminormal_pass(X, y, cuts)
    total = ExactSum(p)
    for cols, ones, _ in parts:
        if centre is not None:  # T^T, exactly: the products m_j t join the terms
            with np.errstate(over="ignore", invalid="ignore"):
                cols = cols + [part for t in ones for part in ext.two_product(-centre, t)]
        block = np.zeros((max(len(cols), len(ones)), p))
        block[: len(cols), off:] = cols
        if fit_intercept:
            block[: len(ones), 0] = ones
        total.add(block)
    return GradientPiece(n, total.expansion(), math.fsum(sumsq for _, _, sumsq in parts))


def merge_gradients(pieces: Sequence[GradientPiece]) -> GradientPiece:
    """One :class:`GradientPiece` of the rows of all ``pieces``, still unrounded."""
    total = ExactSum(pieces[0].terms.shape[1])
    for piece in pieces:
        total.add(piece.terms)
    return GradientPiece(
        sum(p.n for p in pieces), total.expansion(), math.fsum(p.sse for p in pieces)
    )


class _StreamedR(Centred):
    """The final factor in the shape :mod:`linreg.solvers.lstsq`'s rank and level rules read."""

    def __init__(self, R: Array, means: Array, n: int, fit_intercept: bool) -> None:
        self.n, self.d = n, means.shape[0]
        self.p = self.d + int(fit_intercept)
        self.k = min(n, self.p)
        self.fit_intercept = fit_intercept
        self.means = means
        self.R = R


def _exact_levels(
    fac: _StreamedR, condition: float, R_aug: Array, x: Array, y_shift: float
) -> Levels:
    """Precision of the refinement: lstsq's rule, from the streamed factor.

    :func:`linreg.solvers.lstsq.levels_for` needs ``|y|`` and ``|r|``; here they come from
    the augmented factor ``R_aug`` of ``[Z, y - s_y]``: its last column has the
    norm of ``y - s_y`` and ends with ``|r|``. The norm-sliced kernel, at one
    level or two, where it carries the bits needed, as in memory.
    """
    n, d, p = fac.n, fac.d, fac.p
    y_norm = vector_norm(R_aug[:, p])
    if fac.fit_intercept:
        y_norm = math.hypot(y_norm, math.sqrt(n) * abs(y_shift))
    r_norm = abs(float(R_aug[p, p]))
    chunk = min(n, max(256, CHUNK_ELEMENTS // max(d, 1)))
    bits = bits_needed(fac, x, condition, y_norm, r_norm)
    f, g = levels_for_bits(bits, d, chunk)
    return Levels(f, g, norm_sliced_levels(bits, d, min(n, sliced_rows(d))))


#: One pass computing ``T^T A^T (y - A x)`` at ``x`` with the given slicing levels
#: and centring shift (see :func:`gradient_piece`).
GradientPass = Callable[[Array, Levels, "Array | None"], GradientPiece]


@dataclass(frozen=True)
class ExactSolution:
    """The streamed exact solver's result: lstsq's, the MSE, and the passes it took."""

    result: LstsqResult
    mse: float
    passes: int


def solve_exact(qr: QRPiece, gradient_pass: GradientPass) -> ExactSolution:
    """Least squares from the factor of all rows, refined by passes over them.

    Parameters
    ----------
    qr : QRPiece
        The factor of all rows (:func:`merge_qr` of every batch's).
    gradient_pass : callable
        ``gradient_pass(x, levels, shift)``: one pass over the rows returning the
        :class:`GradientPiece` of all of them at ``x``.

    Returns
    -------
    ExactSolution

    Notes
    -----
    With ``R_aug = [[R, z], [0, rho]]`` the factor of ``[Z, y - s_y]``, the centred
    least-squares solution is ``u = R^{-1} z`` and ``x = T u`` (plus ``s_y`` on the
    intercept). Each refinement step solves ``R^T R du = T^T g`` with ``T^T g`` the
    extended-precision ``T^T A^T (y - A x)`` of one pass, ``dx = T du``, and stops by
    :class:`linreg.solvers.lstsq.StopRule` for its seminormal corrections: the
    relative change is at rounding level, or the contraction factor (at least
    ``64 eps cond(Z)^2 mu``) predicts the next one would be, or it stopped
    halving, or after ten steps. A rank-deficient design gets lstsq's
    minimum-norm solution of the centred problem, unrefined, and its warning.
    """
    n, fit_intercept = qr.n, qr.fit_intercept
    d = qr.shift.shape[0] - 1
    off = int(fit_intercept)
    p = d + off
    R_aug = np.zeros((p + 1, p + 1))
    R_aug[: qr.R.shape[0]] = qr.R[: p + 1]
    R = R_aug[:p, :p].copy()
    z = R_aug[:p, p]
    y_shift = float(qr.shift[d]) if fit_intercept else 0.0
    fac = _StreamedR(R, qr.shift[:d].copy(), n, fit_intercept)
    rk = numerical_rank(fac, uncentred_norms(fac))
    rho = float(R_aug[p, p])

    def result(x: Array, steps: int, converged: bool, dep: tuple[int, ...]) -> LstsqResult:
        return LstsqResult(
            coef=np.array(x[off:], dtype=np.float64),
            intercept=float(x[0]) if off else 0.0,
            rank=rk.rank,
            dependent_columns=dep,
            n_refinements=steps,
            converged=converged,
            r_factor=R,
            column_means=fac.means,
            condition_number=rk.condition,
            fit_intercept=fit_intercept,
            n_samples=n,
        )

    if rk.rank < p:
        dep = tuple(j - off for j in rk.dependent if j >= off)
        if fit_intercept:
            # Q^T y = z + s_y Q^T 1, and Q^T 1 = R[:, 0] = (R_00, 0, ..., 0).
            w = truncated_pinv_solve(R[1:, 1:], z[1:], rk.rank - 1)
            b0 = (z[0] - float(R[0, 1:] @ w)) / R[0, 0] + y_shift - float(fac.means @ w)
            x = np.concatenate([[b0], w])
        else:
            x = truncated_pinv_solve(R, z, rk.rank)
        warn_rank(dep, n, p)
        return ExactSolution(result(x, 0, False, dep), rho * rho / n, 0)

    x = fac.t_apply(solve_triangular(R, z, check_finite=False))
    if fit_intercept:
        x[0] += y_shift
    levels = _exact_levels(fac, rk.condition, R_aug, x, y_shift)
    rule = StopRule(fac, x, rk.condition, seminormal=True)
    mse = rho * rho / n
    passes, converged = 0, False
    applied = math.nan  # the relative size of the last correction applied
    while rule.steps < MAX_REFINEMENTS:
        piece = gradient_pass(x, levels, fac.means if fit_intercept else None)
        passes += 1
        mse = piece.sse / n
        tg = piece.terms[0]  # the correctly rounded T^T A^T (y - A x)
        if not tg.any():
            converged = True
            break
        if not np.all(np.isfinite(tg)):
            break  # data near overflow: keep the current iterate
        dx = fac.t_apply(seminormal_du(fac, tg))
        verdict = rule.judge(x, dx)
        if verdict == "reject":
            break
        x, applied = x + dx, rule.delta
        if verdict != "continue":
            converged = verdict == "converged" or rule.delta <= 2.0**-40
            break
    steps = rule.steps
    if not converged:
        # The corrections stopped shrinking: the last one bounds the error only
        # loosely (at condition 4e8 the answer still matched lstsq's to 4e-16).
        warnings.warn(
            f"the streamed exact solution stopped refining after {steps} step(s) with a "
            f"last correction of {applied:.1e} (relative): the "
            f"design is ill-conditioned (condition number {rk.condition:.3g}) for "
            "refinement from R alone, and may fall short of the float64 limit; a fit in "
            "memory reaches it",
            ConvergenceWarning,
            stacklevel=3,
        )
    return ExactSolution(result(x, steps, converged, ()), mse, passes)


# ---------------------------------------------------------------------------
# Gradient descent from the moments
# ---------------------------------------------------------------------------


def merge_moments(a: fast.Moments, b: fast.Moments) -> fast.Moments:
    """The :class:`~linreg.solvers.fast.Moments` of the rows of ``a`` and ``b`` together.

    Chan, Golub & LeVeque's update: with ``delta = m_b - m_a`` and
    ``w = n_a n_b / (n_a + n_b)``, ``G = G_a + G_b + w delta delta^T`` and likewise
    for ``X_c^T y_c`` and ``y_c^T y_c``; nothing cancels, whatever the offsets.
    """
    n = a.n + b.n
    share = b.n / n
    dm = b.mean - a.mean
    dy = b.y_mean - a.y_mean
    weight = a.n * b.n / n
    return fast.Moments(
        n=n,
        mean=a.mean + share * dm,
        y_mean=a.y_mean + share * dy,
        gram=a.gram + b.gram + weight * np.outer(dm, dm),
        xty=a.xty + b.xty + (weight * dy) * dm,
        yty=a.yty + b.yty + weight * dy * dy,
    )


def moments_piece(X: Array, y: Array) -> fast.Moments:
    """The moments of one batch (:meth:`linreg.solvers.fast.Moments.from_data`)."""
    return fast.Moments.from_data(X, y)


def anchor_piece(
    X: Array,
    y: Array,
    moments: fast.Moments,
    scale: Array,
    zbar: Array,
    W: Array,
    b: float,
) -> tuple[float, Array, float]:
    """``|r|^2``, ``Z^T r`` and ``1^T r`` of one batch at the anchor (sums over batches add)."""
    return fast.anchor_pass(X, y, moments, scale, zbar, W, b)


class Passes(Protocol):
    """The passes over the data the solvers need; files and Dask provide them."""

    count: int

    def qr(self, fit_intercept: bool) -> QRPiece:
        """One pass: the factor of all rows."""
        ...

    def gradient(
        self, x: Array, fit_intercept: bool, levels: Levels, shift: Array | None
    ) -> GradientPiece:
        """One pass: ``T^T A^T (y - A x)`` of all rows, unrounded (see :func:`gradient_piece`)."""
        ...

    def moments(self) -> tuple[fast.Moments, Array | None]:
        """One pass: the moments of all rows, and ``X.mean(axis=0)`` if it can be reproduced.

        The second value is the column means as NumPy's ``X.mean(axis=0)`` computes
        them in memory (a sequential sum over the rows, divided by N), bit for bit,
        where the passes can reproduce that order (a file read in order), else None.
        """
        ...

    def anchor(
        self, moments: fast.Moments, scale: Array, zbar: Array, W: Array, b: float
    ) -> tuple[float, Array, float]:
        """One pass: :func:`anchor_piece` summed over all rows."""
        ...

    def batches(self, label: str) -> Iterator[tuple[Array, Array]]:
        """One pass delivering the rows, in order, in batches (for SGD)."""
        ...


class SourcePasses:
    """:class:`Passes` over a :class:`BatchSource`, reporting progress.

    The first pass also checks that there are rows and feeds ``sample``, if given.
    """

    def __init__(
        self,
        source: BatchSource,
        *,
        progress: ProgressCallback | None = None,
        sample: Reservoir | None = None,
    ) -> None:
        self.source = source
        self.progress = progress
        self.sample = sample
        self.count = 0

    def _batches(self, label: str) -> Iterator[Batch]:
        self.count += 1
        first = self.count == 1
        rows = 0
        for batch in self.source.batches():
            if first and self.sample is not None:
                self.sample.add(batch.X, batch.y)
            rows += batch.X.shape[0]
            yield batch
            if self.progress is not None:
                self.progress(PassProgress(label, rows, batch.position, self.source.total_bytes))
        if rows == 0:
            raise LinregError(f"{self.source.name}: has a header but no data rows")

    def qr(self, fit_intercept: bool) -> QRPiece:
        tree = QRTree()
        for batch in self._batches("reading: R factor"):
            tree.add(qr_piece(batch.X, batch.y, fit_intercept=fit_intercept))
        return tree.result()

    def gradient(
        self, x: Array, fit_intercept: bool, levels: Levels, shift: Array | None
    ) -> GradientPiece:
        total: ExactSum | None = None
        n, sse = 0, 0.0
        for batch in self._batches(f"refinement {self.count}"):
            piece = gradient_piece(
                batch.X, batch.y, x, fit_intercept=fit_intercept, levels=levels, shift=shift
            )
            total = total or ExactSum(piece.terms.shape[1])
            total.add(piece.terms)
            n, sse = n + piece.n, sse + piece.sse
        assert total is not None  # _batches raises on no rows
        return GradientPiece(n, total.expansion(), sse)

    def moments(self) -> tuple[fast.Moments, Array | None]:
        total: fast.Moments | None = None
        row_sum: Array | None = None
        for batch in self._batches("reading: moments"):
            piece = moments_piece(batch.X, batch.y)
            total = piece if total is None else merge_moments(total, piece)
            # NumPy sums axis 0 of a C-ordered array row after row: continuing that
            # sum batch by batch gives its rounding exactly.
            rows = batch.X if row_sum is None else np.vstack([row_sum, batch.X])
            row_sum = np.add.reduce(rows, axis=0)
        assert total is not None
        assert row_sum is not None
        return total, row_sum / total.n

    def anchor(
        self, moments: fast.Moments, scale: Array, zbar: Array, W: Array, b: float
    ) -> tuple[float, Array, float]:
        sse, ZTr, rsum = 0.0, np.zeros(W.shape[0]), 0.0
        for batch in self._batches("residuals at the anchor"):
            s, g, h = anchor_piece(batch.X, batch.y, moments, scale, zbar, W, b)
            sse, ZTr, rsum = sse + s, ZTr + g, rsum + h
        return sse, ZTr, rsum

    def batches(self, label: str) -> Iterator[tuple[Array, Array]]:
        for batch in self._batches(label):
            yield batch.X, batch.y


def _standardization(
    moments: fast.Moments, row_mean: Array | None, *, standardize: bool, fit_intercept: bool
) -> tuple[Array, Array]:
    """Centre and scale trained on, ``Z = (X - center) / scale``, from the moments.

    :func:`linreg.solvers.fast.standardization`'s rule. The centre is ``row_mean``, the
    in-memory path's own ``X.mean(axis=0)`` reproduced bit for bit, where the
    passes give it (files): its rounding differs from the accurate mean by up to
    1e-11 standard deviations on offset data, and gradient descent amplifies a
    different centre by up to ``|b| / |W|`` before it converges (1e-7 relative
    measured, mean/std = 1000). Elsewhere (Dask) the accurate mean of the moments.
    """
    d = moments.mean.shape[0]
    if not standardize:
        return np.zeros(d), np.ones(d)
    scale = np.sqrt(moments.variance)
    scale[scale == 0.0] = 1.0
    if not fit_intercept:
        return np.zeros(d), scale
    return (moments.mean.copy() if row_mean is None else row_mean), scale


class _StreamSGD:
    """Mini-batch SGD epochs over the batches of a pass (see the module docstring).

    The arithmetic of a step is the textbook's, in the order of
    :class:`linreg.solvers.fast.RowOrder`'s in-memory epochs: ``r = Z_b W + b - y_b``,
    ``dW = (2/n_b) Z_b^T r``, ``db = (2/n_b) 1^T r``, momentum, then the update.
    """

    def __init__(
        self,
        passes: Passes,
        center: Array,
        scale: Array,
        *,
        batch_size: int,
        seed: int,
        learning_rate: float,
        momentum: float,
        fit_intercept: bool,
        tol: float | None = None,
    ) -> None:
        self._passes = passes
        self._center, self._scale = center, scale
        self._transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
        self._rng = np.random.default_rng(seed)
        self._batch = batch_size
        self._lr, self._mu = learning_rate, momentum
        self._fit_intercept = fit_intercept
        self.epochs = 0
        self.steps = 0
        self.plateau = None if tol is None else Plateau(tol, batch_size)

    @property
    def stopped(self) -> bool:
        """Whether the plateau test stopped the run within the last epoch."""
        return self.plateau is not None and self.plateau.stopped

    def epoch(
        self, W: Array, b: float, velocity_W: Array, velocity_b: float
    ) -> tuple[Array, float, Array, float]:
        """One epoch: every batch of one pass, shuffled within; W is updated in place."""
        self.epochs += 1
        bs = self._batch
        left_X: Array | None = None
        left_y: Array | None = None
        for X, y in self._passes.batches(f"epoch {self.epochs}"):
            order = self._rng.permutation(X.shape[0])
            Zk, yk = X[order], y[order]
            if self._transform:
                Zk -= self._center
                Zk /= self._scale
            if left_X is not None and left_y is not None:
                Zk, yk = np.concatenate([left_X, Zk]), np.concatenate([left_y, yk])
            full = (Zk.shape[0] // bs) * bs
            W, b, velocity_W, velocity_b = self._steps(
                Zk[:full], yk[:full], W, b, velocity_W, velocity_b
            )
            if self.stopped:
                return W, b, velocity_W, velocity_b  # the rest of the pass is not read
            left_X, left_y = (
                (Zk[full:].copy(), yk[full:].copy()) if full < Zk.shape[0] else (None, None)
            )
        if left_X is not None and left_y is not None:
            W, b, velocity_W, velocity_b = self._steps(left_X, left_y, W, b, velocity_W, velocity_b)
        return W, b, velocity_W, velocity_b

    def _steps(
        self, Zk: Array, yk: Array, W: Array, b: float, velocity_W: Array, velocity_b: float
    ) -> tuple[Array, float, Array, float]:
        stepped = fast.sgd_steps(
            Zk,
            yk,
            W,
            b,
            velocity_W,
            velocity_b,
            batch_size=self._batch,
            learning_rate=self._lr,
            momentum=self._mu,
            fit_intercept=self._fit_intercept,
            plateau=self.plateau,
        )
        self.steps = fast.count_steps(self.steps, Zk.shape[0], self._batch, self.plateau)
        return stepped


# Overflow is expected while diverging; it is detected and reported below.
@np.errstate(over="ignore", invalid="ignore")
# ---------------------------------------------------------------------------
# The estimator's side
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamFit:
    """A streamed (or distributed) fit and what the command line reports of it.

    Attributes
    ----------
    model : LinearRegression
        The fitted estimator.
    optimum : LinearRegression
        The exact least-squares fit: ``model`` itself for ``"exact"``; for
        ``"gd"``/``"sgd"`` the solution of the moments' normal equations (by
        Cholesky of the Jacobi-scaled matrix, the anchor of the quadratic), with
        its loss.
    n_samples : int
    passes : int
        Passes over the data.
    feature_names : list of str
    target_name : str
    sample : (ndarray (k, d), ndarray (k,)) or None
        A uniform sample of rows, for figures, when asked for.
    """

    model: LinearRegression
    optimum: LinearRegression
    n_samples: int
    passes: int
    feature_names: list[str]
    target_name: str
    sample: tuple[Array, Array] | None = None


def _closed_form_model(
    coef: Array, intercept: float, loss: float, *, fit_intercept: bool
) -> LinearRegression:
    """A fitted ``LinearRegression(solver="exact")`` holding a known solution."""
    from linreg.estimator import LinearRegression

    model = LinearRegression(solver="exact", fit_intercept=fit_intercept)
    model.coef_ = np.asarray(coef, dtype=np.float64)
    model.intercept_ = float(intercept)
    model.n_features_in_ = model.coef_.shape[0]
    model.history_ = History(
        loss=np.array([loss]), W=model.coef_[None, :].copy(), b=np.array([model.intercept_])
    )
    model.n_iter_ = model.n_steps_ = 0
    model.stop_reason_ = "closed_form"
    model.stability_ = None
    return model


def fit_passes(
    estimator: LinearRegression,
    passes: Passes,
    *,
    feature_names: Sequence[str],
    target_name: str = "y",
    set_names: bool = True,
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
) -> StreamFit:
    """Fit ``estimator`` in place from passes over data it never holds.

    Parameters
    ----------
    estimator : LinearRegression
        Its hyperparameters choose the solver; its fitted attributes are set as by
        ``fit`` (``coef_``, ``intercept_``, ``history_``, ``n_iter_``,
        ``stop_reason_``, ``stability_``, ``n_features_in_``, and
        ``feature_names_in_`` when ``set_names``; ``"exact"`` also ``lstsq_``).
    passes : Passes
        The data: a file (:class:`SourcePasses`) or a Dask collection.
    feature_names : sequence of str
    target_name : str, default="y"
    set_names : bool, default=True
        Set ``feature_names_in_`` (as a fit on a DataFrame does).
    val : (ndarray (k, d), ndarray (k,)), optional
        Validation data, in memory; their loss is recorded every epoch.
    on_epoch : callable, optional
        Called with (epoch, loss) after every epoch.

    Returns
    -------
    StreamFit
    """
    estimator._validate_params()
    d = len(feature_names)
    estimator.n_features_in_ = d
    if set_names:
        estimator.feature_names_in_ = np.asarray(list(feature_names), dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    for attribute in ("_X_fit", "_y_fit"):  # nothing to revisit: inference needs X and y
        if hasattr(estimator, attribute):
            delattr(estimator, attribute)
    if val is not None and val[0].shape[1] != d:
        raise LinregError(
            f"the validation data have {val[0].shape[1]} feature(s) but the training data {d}"
        )
    if estimator.solver == "exact":
        optimum, n = _fit_exact(estimator, passes, list(feature_names), val)
    else:
        optimum, n = _fit_gradient(estimator, passes, list(feature_names), val, on_epoch)
    return StreamFit(
        model=estimator,
        optimum=optimum,
        n_samples=n,
        passes=passes.count,
        feature_names=list(feature_names),
        target_name=target_name,
    )


def _fit_exact(
    estimator: LinearRegression,
    passes: Passes,
    names: list[str],
    val: tuple[Array, Array] | None,
) -> tuple[LinearRegression, int]:
    fit_intercept = bool(estimator.fit_intercept)
    qr = passes.qr(fit_intercept)
    check_rows(qr.n, len(names), fit_intercept)
    warn_constant([names[j] for j in np.flatnonzero(qr.high == qr.low)], stacklevel=4)
    solution = solve_exact(
        qr, lambda x, levels, shift: passes.gradient(x, fit_intercept, levels, shift)
    )
    result = solution.result
    estimator.coef_ = result.coef
    estimator.intercept_ = float(result.intercept)
    estimator.lstsq_ = result
    estimator.stability_ = None
    val_loss = None
    if val is not None:
        val_loss = np.array([np.mean((val[1] - val[0] @ result.coef - result.intercept) ** 2)])
    estimator.history_ = History(
        loss=np.array([solution.mse]),
        W=result.coef[None, :].copy(),
        b=np.array([estimator.intercept_]),
        val_loss=val_loss,
    )
    estimator.n_iter_ = result.n_refinements
    estimator.n_steps_ = 0
    estimator.stop_reason_ = "closed_form"
    return estimator, qr.n


def _fit_gradient(
    estimator: LinearRegression,
    passes: Passes,
    names: list[str],
    val: tuple[Array, Array] | None,
    on_epoch: EpochCallback | None,
) -> tuple[LinearRegression, int]:
    fit_intercept = bool(estimator.fit_intercept)
    moments, row_mean = passes.moments()
    d = len(names)
    check_rows(moments.n, d, fit_intercept)
    warn_constant([names[j] for j in np.flatnonzero(moments.variance == 0.0)], stacklevel=4)
    center, scale = _standardization(
        moments, row_mean, standardize=bool(estimator.standardize), fit_intercept=fit_intercept
    )
    stab = fast.stability_from_moments(moments, center, scale, fit_intercept=fit_intercept)
    estimator.stability_ = stab
    eta_max = stab.max_stable_learning_rate
    if estimator.learning_rate >= eta_max:
        warnings.warn(
            f"learning rate {estimator.learning_rate:g} is at or above the largest stable rate "
            f"eta_max = {eta_max:.4g} of full-batch gradient descent on this data; "
            "expect divergence: lower it, or standardize the features",
            StabilityWarning,
            stacklevel=4,
        )
    standardized = fast.Standardized.of(moments, center, scale)
    W_a, b_a = fast.least_squares_from_moments(standardized, fit_intercept)
    sse, g, h = fast.anchor_from_moments(standardized, moments.yty, W_a, b_a)
    if not sse >= fast.ANCHOR_FROM_MOMENTS * moments.yty:
        # A near-perfect fit: the moments' sse has lost more than four digits.
        sse, g, h = passes.anchor(moments, scale, standardized.zbar, W_a, b_a)
    objective = fast.QuadraticObjective(standardized, W_a, b_a, sse, g, h)
    epochs = int(estimator.epochs)
    val_objective = None
    if val is not None:
        made = fast.make_objective(
            val[0],
            val[1],
            center,
            scale,
            fit_intercept=fit_intercept,
            passes=epochs + 1,
            gradient=False,
            anchor=(W_a, b_a),
            kind="quadratic",
        )
        assert isinstance(made, fast.QuadraticObjective)
        val_objective = made

    def to_original(W: Array, b: float) -> tuple[Array, float]:
        W_orig = W / scale
        return W_orig, float(b - W_orig @ center)

    sgd = None
    if estimator.solver == "sgd":
        sgd = _StreamSGD(
            passes,
            center,
            scale,
            batch_size=int(estimator.batch_size),
            seed=int(estimator.seed),
            learning_rate=float(estimator.learning_rate),
            momentum=float(estimator.momentum),
            fit_intercept=fit_intercept,
            tol=None if estimator.tol is None else float(estimator.tol),
        )
    model = LinearModel(d, init=estimator.init, seed=estimator.seed, fit_intercept=fit_intercept)
    result = fast.descend(
        model,
        objective,
        learning_rate=float(estimator.learning_rate),
        epochs=epochs,
        momentum=float(estimator.momentum),
        tol=None if estimator.tol is None else float(estimator.tol),
        max_stable_learning_rate=eta_max,
        to_original=to_original,
        on_epoch=on_epoch,
        val_objective=val_objective,
        sgd=sgd,
    )
    estimator._store_descent(model, result, to_original, stacklevel=5)
    coef, intercept = to_original(W_a, b_a)
    optimum = _closed_form_model(coef, intercept, sse / moments.n, fit_intercept=fit_intercept)
    return optimum, moments.n


def fit_source(
    estimator: LinearRegression,
    source: BatchSource,
    *,
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
    progress: ProgressCallback | None = None,
    sample_rows: int = 0,
) -> StreamFit:
    """Fit ``estimator`` by passes over ``source``; see :func:`fit_passes`.

    ``sample_rows`` > 0 keeps a uniform sample of that many rows (for figures).
    """
    sample = Reservoir(sample_rows) if sample_rows > 0 else None
    passes = SourcePasses(source, progress=progress, sample=sample)
    fitted = fit_passes(
        estimator,
        passes,
        feature_names=source.feature_names,
        target_name=source.target_name,
        val=val,
        on_epoch=on_epoch,
    )
    return fitted if sample is None else replace(fitted, sample=sample.arrays())


def fit_file(
    path: str | os.PathLike[str],
    estimator: LinearRegression,
    *,
    target: str = "y",
    features: Sequence[str] | None = None,
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
    progress: ProgressCallback | None = None,
    sample_rows: int = 0,
    batch_bytes: int = BATCH_BYTES,
) -> StreamFit:
    """Fit ``estimator`` to a CSV or Parquet file by streaming it in record batches.

    Parameters
    ----------
    path : path-like
        ``.parquet``/``.pq`` files are read as Parquet, others as CSV.
    estimator : LinearRegression
        Fitted in place (see :func:`fit_passes`).
    target : str, default="y"
    features : sequence of str, optional
        By default every other numeric column except ``y_true``.
    val : (ndarray, ndarray), optional
        Validation data in memory.
    on_epoch : callable, optional
    progress : callable, optional
        Called with a :class:`PassProgress` after every batch of every pass.
    sample_rows : int, default=0
        Keep a uniform sample of this many rows (``StreamFit.sample``).
    batch_bytes : int, default=BATCH_BYTES

    Returns
    -------
    StreamFit

    Raises
    ------
    LinregError
        Bad file or column, a cell that is not a finite number (naming the file,
        column and data row), too few rows.
    """
    source = open_source(path, target=target, features=features, batch_bytes=batch_bytes)
    return fit_source(
        estimator,
        source,
        val=val,
        on_epoch=on_epoch,
        progress=progress,
        sample_rows=sample_rows,
    )


def preview(
    path: str | os.PathLike[str],
    *,
    target: str = "y",
    features: Sequence[str] | None = None,
    rows: int = 1_000,
    dask: bool = False,
) -> Table:
    """The first ``rows`` rows of a file as a :class:`~linreg.io.tables.Table` (streaming rules).

    For the command line, before a long streamed fit: it checks the columns early
    and gives the gradient check its rows. With ``dask``, the file is read by
    ``dask.dataframe`` (:func:`linreg.sources.distributed.read_frame`), first partition only.
    """
    if dask:
        from linreg.sources.distributed import read_frame

        X_frame, y_series, chosen = read_frame(path, target=target, features=features)
        head_X, head_y = X_frame.partitions[0].compute(), y_series.partitions[0].compute()
        X = head_X.to_numpy(dtype=np.float64)[:rows]
        y = head_y.to_numpy(dtype=np.float64)[:rows]
        return Table(
            X=X, y=y, y_true=None, feature_names=chosen, target_name=target, path=Path(path)
        )
    source = open_source(path, target=target, features=features)
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
    )


class RichProgress:
    """A progress bar of a streamed fit on stderr: one bar per pass, in bytes and rows.

    Silent when ``enabled`` is False; drawn from the first report on, so a run
    that fails early draws nothing.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self._label: str | None = None

    def __enter__(self) -> RichProgress:
        return self

    def __call__(self, info: PassProgress) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TextColumn("{task.fields[rows]} rows"),
                TimeRemainingColumn(),
                console=Console(stderr=True, highlight=False),
            )
            self._progress.__enter__()
        if info.label != self._label:
            if self._task is not None:
                self._progress.update(self._task, total=self._progress.tasks[-1].completed)
            self._task = self._progress.add_task(info.label, total=info.total_bytes, rows="0")
            self._label = info.label
        self._progress.update(self._task, completed=info.bytes, rows=f"{info.rows:,}")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
