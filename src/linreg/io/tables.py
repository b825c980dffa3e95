"""Reading and writing data files, and atomic writes.

A CSV is read by :class:`linreg.io.csvreader.CSVReader` (Apache Arrow's parser, the
same one that streams files); which columns are features and what a bad cell is
follow the rules of :mod:`linreg.io.columns`, shared by every reader. Every problem
with a file is a :class:`~linreg.errors.LinregError` whose message starts with the
file name and says what to do.

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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

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

__all__ = [
    "PARQUET_SUFFIXES",
    "Table",
    "atomic_write",
    "check_finite_column",
    "check_weight_column",
    "check_weights_not_all_zero",
    "file_sha256",
    "read_table",
    "resolve_columns",
    "write_dataset_csv",
    "write_frame_csv",
]

Array = NDArray[np.float64]

#: Suffixes read as Parquet (by the streaming and Dask readers); everything else is CSV.
PARQUET_SUFFIXES = (".parquet", ".pq")


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
) -> Table:
    """Read a CSV of features and a target (and row weights).

    Parameters
    ----------
    path : path-like
    target : str, default="y"
        Name of the target column.
    features : sequence of str, optional
        Feature columns; by default every other numeric column except ``y_true``.
    require_target : bool, default=True
        When False, a missing target column gives ``y=None`` (for prediction).
    sample_weight : str, optional
        The column of row weights (``Table.w``): every one a finite number ``>= 0``,
        not all zero. It is not a feature.

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
    """
    reader = CSVReader(path)
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
        cells=reader.sample_cells,
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


def write_frame_csv(path: str | os.PathLike[str], frame: pd.DataFrame) -> None:
    """Write a DataFrame as CSV atomically; floats are written in their shortest exact form."""
    with atomic_write(path) as handle:
        frame.to_csv(handle, index=False, lineterminator="\n")


def write_dataset_csv(path: str | os.PathLike[str], data: Dataset) -> None:
    """Write a dataset as CSV: ``X`` (one feature) or ``x1..xd``, then ``y``, then ``y_true``."""
    frame = pd.DataFrame(data.X, columns=data.feature_names)
    frame["y"] = data.y
    if data.y_true is not None:
        frame[TRUTH_COLUMN] = data.y_true
    write_frame_csv(path, frame)
