"""Reading and writing data files, and atomic writes.

A CSV is read with pandas; the target column is chosen by name (default ``y``)
and the features are the other numeric columns except ``y_true`` (or the ones
named). Every problem with a file is a :class:`~linreg.errors.LinregError` whose
message starts with the file name and says what to do.

Every file linreg writes goes through :func:`atomic_write`: the content goes to
a temporary file in the same folder, which is renamed over the target only when
complete, so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import os
import stat
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from linreg.data import Dataset
from linreg.errors import LinregError
from linreg.validation import DataWarning

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

TRUTH_COLUMN = "y_true"
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


def _read_frame(path: Path) -> pd.DataFrame:
    name = str(path)
    if not path.exists():
        raise LinregError(f"{name}: file not found; check the path")
    if path.is_dir():
        raise LinregError(f"{name}: is a folder, not a CSV file")
    try:
        # Blank lines are kept (and dropped below) so that index + 2 is the line number.
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=False
        )
    except pd.errors.EmptyDataError:
        raise LinregError(
            f"{name}: the file is empty; it needs a header row and data rows"
        ) from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0]
        raise LinregError(f"{name}: not a valid CSV file ({first})") from None
    except UnicodeDecodeError:
        raise LinregError(f"{name}: not a text CSV file (it is not UTF-8)") from None
    frame = frame.fillna("")
    frame = frame[~(frame == "").all(axis=1)]
    if frame.shape[0] == 0:
        raise LinregError(f"{name}: has a header but no data rows")
    # pandas renames a repeated name to "X.1", so duplicates are sought in the raw header.
    with open(path, newline="", encoding="utf-8-sig") as handle:
        header = [c.strip() for c in next(csv.reader(handle), [])]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise LinregError(f"{name}: column(s) {duplicated} appear more than once; rename them")
    frame.columns = header
    return frame


def _line(frame: pd.DataFrame, row: int) -> int:
    """Line number in the file of data row ``row`` (the header is line 1)."""
    return int(frame.index[row]) + 2


def _parse_column(frame: pd.DataFrame, column: str, name: str) -> Array:
    """Parse one column as float64, naming the first bad cell (line numbers count the header)."""
    raw = frame[column].str.strip()
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & ~raw.str.lower().isin(["nan"]).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        cell = raw.iloc[row]
        what = "an empty cell" if cell == "" else f"the non-numeric value {cell!r}"
        raise LinregError(
            f"{name}: column {column!r} line {_line(frame, row)} has {what}; "
            "fix or remove that row (every cell must be a number)"
        )
    check_finite_column(values, name, column, lambda row: f"line {_line(frame, row)}")
    return values


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


def _is_numeric(frame: pd.DataFrame, column: str) -> bool:
    """A column counts as numeric when any of its non-empty cells parses as a number."""
    raw = frame[column].str.strip()
    parsed = pd.to_numeric(raw[raw != ""], errors="coerce")
    return bool(parsed.notna().any())


def resolve_columns(
    name: str,
    columns: Sequence[str],
    is_numeric: Callable[[str], bool],
    *,
    target: str | None,
    features: Sequence[str] | None,
    require_target: bool = True,
    weight: str | None = None,
) -> list[str]:
    """The feature columns of a file by linreg's rules, shared by every reader.

    The target is ``target``; the features are ``features`` when given, else every
    other numeric column except ``y_true`` and the weight column ``weight``.

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

    Raises
    ------
    LinregError
        Repeated column names, a missing target, feature or weight column, a target
        or weight column among the features, or no feature left.
    """
    duplicated = sorted({c for c in columns if list(columns).count(c) > 1})
    if duplicated:
        raise LinregError(f"{name}: column(s) {duplicated} appear more than once; rename them")
    if weight is not None:
        if weight not in columns:
            raise LinregError(
                f"{name}: no weight column {weight!r} (columns: {', '.join(columns)}); "
                "name the column of row weights"
            )
        if weight == target:
            raise LinregError(f"{name}: the target {target!r} cannot also be the weights")
        if features is not None and weight in features:
            raise LinregError(f"{name}: the weight column {weight!r} cannot also be a feature")
    if target is not None and target not in columns and require_target:
        raise LinregError(
            f"{name}: no target column {target!r} (columns: {', '.join(columns)}); "
            "name the target with --target"
        )
    if features is not None:
        missing = [f for f in features if f not in columns]
        if missing:
            raise LinregError(
                f"{name}: no feature column(s) {', '.join(map(repr, missing))} "
                f"(columns: {', '.join(columns)})"
            )
        if target in features:
            raise LinregError(f"{name}: the target {target!r} cannot also be a feature")
        chosen = list(features)
    else:
        candidates = [c for c in columns if c not in (target, TRUTH_COLUMN, weight)]
        chosen = [c for c in candidates if is_numeric(c)]
        skipped = [c for c in candidates if c not in chosen]
        if skipped:
            warnings.warn(
                f"{name}: ignoring non-numeric column(s) {', '.join(map(repr, skipped))}",
                DataWarning,
                stacklevel=3,  # the reader's caller: shown once however often a file is opened
            )
    if not chosen:
        raise LinregError(
            f"{name}: no numeric feature columns besides the target {target!r}; "
            "the file needs at least one feature"
        )
    return chosen


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
        infinite cell, a missing column, a bad weight, or no feature left.
    """
    p = Path(path)
    name = str(p)
    frame = _read_frame(p)
    columns = list(frame.columns)
    has_target = target is not None and target in columns
    feature_names = resolve_columns(
        name,
        columns,
        lambda c: _is_numeric(frame, c),
        target=target,
        features=features,
        require_target=require_target,
        weight=sample_weight,
    )
    w = None
    if sample_weight is not None:
        w = _parse_column(frame, sample_weight, name)
        check_weight_column(w, name, sample_weight, lambda row: f"line {_line(frame, row)}")
        check_weights_not_all_zero(w, name, sample_weight)
    X = np.column_stack([_parse_column(frame, c, name) for c in feature_names])
    y = _parse_column(frame, target, name) if has_target and target is not None else None
    y_true = _parse_column(frame, TRUTH_COLUMN, name) if TRUTH_COLUMN in columns else None
    return Table(
        X=X,
        y=y,
        y_true=y_true,
        feature_names=feature_names,
        target_name=target or "y",
        path=p,
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
