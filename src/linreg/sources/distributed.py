"""Fitting Dask arrays and DataFrames: per-partition summaries, combined on the client.

``LinearRegression.fit`` hands Dask collections here (``pip install "linreg[dask]"``);
``linreg train --dask ADDRESS`` reads a CSV or Parquet file with ``dask.dataframe``
and fits it on a Dask cluster. The algorithms are :mod:`linreg.solvers.streamed_exact`'s, with a
partition in the place of a record batch; Dask runs the per-partition work where
the data live, and only summaries of size O(d^2) travel:

``"exact"``
    One map-reduce for the R factors: every partition returns the
    :class:`~linreg.solvers.streamed_exact.QRPiece` of its rows (centred by its own means), and the
    client combines them (:func:`~linreg.solvers.streamed_exact.merge_qr`: all factors moved to the
    mean of all rows and stacked, one Householder QR). Then one more map-reduce per
    refinement step, each partition returning its unrounded extended-precision
    ``A^T (y - A x)`` (:class:`~linreg.solvers.streamed_exact.GradientPiece`); typically one.
``"gd"``
    One map-reduce for the moments (per-partition
    :meth:`~linreg.solvers.fast.Moments.from_data`, merged by Chan's formula); the epochs then
    run on the client in O(d^2) each. A second map-reduce only for a near-perfect
    fit, as in :mod:`linreg.solvers.streamed_exact`. The centre of ``standardize`` is the accurate
    mean of the moments.
``"sgd"``
    Inherently sequential: the partitions are streamed to the client in order (the
    next one computed while the current one is used) and shuffled within, as a file's
    record batches are.

Partitions are recomputed on every pass unless the collection is persisted
(``X.persist()``), so memory stays bounded by a few partitions per worker. The
results are those of a fit in memory: exact to the float64 limit (the same
solution as :func:`linreg.solvers.lstsq.lstsq`), GD iterates equal to rounding.

Nothing here imports Dask until a Dask collection or ``--dask`` asks for it;
:func:`is_dask_collection` recognises one without importing Dask.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.fitted import StreamFit
from linreg.io.columns import check_exact_integers, check_weight_column, resolve_columns
from linreg.io.csvreader import CSVReader, parse_text_partition
from linreg.io.tables import PARQUET_SUFFIXES
from linreg.solvers import fast
from linreg.solvers.streamed_exact import (
    GradientPiece,
    Levels,
    QRPiece,
    gradient_piece,
    merge_gradients,
    merge_qr,
    qr_piece,
)
from linreg.sources.passes import (
    Passes,
    WeightSum,
    anchor_piece,
    merge_moments,
    moments_piece,
    weight_keywords,
)
from linreg.training import EpochCallback
from linreg.validation import check_X, check_y, is_dask_collection

__all__ = [
    "DaskPasses",
    "PassesFitter",
    "connect",
    "fit_dask",
    "fit_path",
    "is_dask_collection",
    "read_frame",
]

Array = NDArray[np.float64]

INSTALL_HINT = 'pip install "linreg[dask]"'
#: How long ``--dask ADDRESS`` tries to reach the scheduler.
CONNECT_TIMEOUT = "10s"


def _require_dask() -> tuple[Any, Any, Any]:
    """``dask``, ``dask.array`` and ``dask.dataframe``, or a LinregError saying how to get them.

    Imported as untyped modules: Dask is optional, and its typing differs between
    versions.
    """
    try:
        dask: Any = importlib.import_module("dask")
        da: Any = importlib.import_module("dask.array")
        dd: Any = importlib.import_module("dask.dataframe")
    except ImportError:
        raise LinregError(f"Dask is not installed: {INSTALL_HINT}") from None
    return dask, da, dd


def _distributed() -> Any:
    """The ``distributed`` module, or None when it is not installed."""
    try:
        return importlib.import_module("distributed")
    except ImportError:
        return None


# ---------------------------------------------------------------------------
# Partitions
# ---------------------------------------------------------------------------


def _is_number_dtype(dtype: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


Part = tuple[Any, Any, Any]


def _column_like_X(v: Any, what: str, npartitions: int) -> Any:
    """``v`` (``y`` or the weights beside a Dask DataFrame X) as one numeric Dask Series
    partitioned like X, or a :class:`LinregError` naming ``what`` is wrong."""
    _, _, dd = _require_dask()
    if isinstance(v, dd.DataFrame):
        if len(v.columns) != 1:
            raise LinregError(f"{what} must be one column, got {len(v.columns)}")
        v = v[v.columns[0]]
    if not isinstance(v, dd.Series):
        raise LinregError(
            f"with X a Dask DataFrame, give {what} as a Dask Series partitioned like X "
            "(a column of the same DataFrame)"
        )
    if not _is_number_dtype(v.dtype):
        raise LinregError(f"{what}: column {v.name!r} is not numeric")
    if v.npartitions != npartitions:
        raise LinregError(
            f"X has {npartitions} partitions but {what} has {v.npartitions}; "
            "take both from the same DataFrame"
        )
    return v


def _weight_partitions(w: Any, X: Any, frame: bool, npartitions: int) -> list[Any]:
    """The delayed partitions of the weights ``w``, aligned with X's; one None each if no ``w``."""
    _, da, dd = _require_dask()
    if w is None:
        return [None] * npartitions
    if frame:
        return list(_column_like_X(w, "sample_weight", npartitions).to_delayed())
    if isinstance(w, dd.Series | dd.DataFrame):
        raise LinregError("with X a Dask array, give sample_weight as a Dask array chunked like X")
    if not isinstance(w, da.Array):
        w = da.from_array(np.asarray(w, dtype=np.float64), chunks=(X.chunks[0],))
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim != 1:
        raise LinregError(
            f"sample_weight must be 1-D with one weight per row, got {w.ndim} dimensions"
        )
    if w.chunks[0] != X.chunks[0]:
        if any(np.isnan(c) for c in (*X.chunks[0], *w.chunks[0])):
            raise LinregError(
                "X and sample_weight have unknown chunk sizes; call compute_chunk_sizes() on them"
            )
        w = w.rechunk((X.chunks[0],))
    return list(w.to_delayed())


def _partitions(X: Any, y: Any, w: Any = None) -> tuple[list[Part], list[str], bool]:
    """Triples of delayed ``(X, y, w)`` partitions, the feature names, and whether X named them.

    ``w`` (the rows' weights, partitioned like ``y``) is None in every triple
    when no weights are given.

    Raises
    ------
    LinregError
        X, y and the weights not partitioned alike, non-numeric columns, or unknown
        chunk sizes.
    """
    _, da, dd = _require_dask()
    if isinstance(X, dd.Series):
        X = X.to_frame()
    if isinstance(X, dd.DataFrame):
        names = [str(c) for c in X.columns]
        bad = [str(c) for c, t in X.dtypes.items() if not _is_number_dtype(t)]
        if bad:
            raise LinregError(
                f"X: column(s) {', '.join(map(repr, bad))} are not numeric; select numeric columns"
            )
        y = _column_like_X(y, "y", X.npartitions)
        weights = _weight_partitions(w, X, True, X.npartitions)
        parts = list(zip(X.to_delayed(), y.to_delayed(), weights, strict=True))
        return parts, names, True
    if isinstance(X, da.Array):
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2:
            raise LinregError(f"X must be 2-D (samples x features), got {X.ndim} dimensions")
        if X.dtype.kind not in "fiu":
            raise LinregError(f"X must be numeric, got dtype {X.dtype}")
        if isinstance(y, dd.Series | dd.DataFrame):
            raise LinregError("with X a Dask array, give y as a Dask array chunked like X")
        if not isinstance(y, da.Array):
            y = da.from_array(np.asarray(y, dtype=np.float64), chunks=(X.chunks[0],))
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise LinregError(f"y must be 1-D with one target per row, got {y.ndim} dimensions")
        X = X.rechunk({1: -1})
        if y.chunks[0] != X.chunks[0]:
            if any(np.isnan(c) for c in (*X.chunks[0], *y.chunks[0])):
                raise LinregError(
                    "X and y have unknown chunk sizes; call compute_chunk_sizes() on them"
                )
            y = y.rechunk((X.chunks[0],))
        names = [f"x{j + 1}" for j in range(X.shape[1])]
        blocks = X.to_delayed()[:, 0]
        weights = _weight_partitions(w, X, False, len(blocks))
        return list(zip(blocks, y.to_delayed(), weights, strict=True)), names, False
    raise LinregError(f"X must be a Dask array or DataFrame, got {type(X).__name__}")


def _arrays(
    xp: Any, yp: Any, k: int, names: Sequence[str], wp: Any = None
) -> tuple[Array, Array, Array | None] | None:
    """One partition as ``X`` (m, d) C-ordered float64, ``y`` (m,), ``w`` (m,) or None.

    None if the partition is empty.

    Raises
    ------
    LinregError
        Row counts that differ, a cell that is not a finite number (naming the
        partition, its row and the column), or a weight that is not a finite number
        ``>= 0``.
    """
    X = np.ascontiguousarray(np.asarray(xp, dtype=np.float64))
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(yp, dtype=np.float64).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise LinregError(
            f"partition {k}: X has {X.shape[0]} rows but y has {y.shape[0]}; "
            "partition X and y alike"
        )
    w = None
    if wp is not None:
        w = np.asarray(wp, dtype=np.float64).reshape(-1)
        if w.shape[0] != X.shape[0]:
            raise LinregError(
                f"partition {k}: {X.shape[0]} rows but {w.shape[0]} weights; "
                "partition X and the weights alike"
            )
    if X.shape[0] == 0:
        return None
    for what, values in (("X", X), ("y", y)):
        bad = ~np.isfinite(values)
        if bad.any():
            where = np.argwhere(bad)[0]
            kind = "NaN" if np.isnan(values[tuple(where)]) else "an infinite value"
            column = f", column {names[where[1]]!r}" if values.ndim == 2 else ""
            raise LinregError(
                f"{what} contains {kind} at partition {k} row {where[0]}{column} "
                f"({int(bad.sum())} bad value(s) in that partition); "
                "remove or impute them before fitting"
            )
    if w is not None:
        check_weight_column(w, "sample_weight", "weights", lambda row: f"partition {k} row {row}")
    return X, y, w


def _weight_parts(w: Array | None) -> list[float] | None:
    """Floats summing exactly to a partition's weights (:class:`WeightSum`), or None."""
    if w is None:
        return None
    total = WeightSum()
    total.add(w)
    return total.parts()


# The tasks, run on the workers: module-level functions, so that they pickle by name.
# Each takes a partition's weights last (None for equal weights).
def _qr_task(
    xp: Any, yp: Any, k: int, names: Sequence[str], fit_intercept: bool, wp: Any = None
) -> QRPiece | None:
    data = _arrays(xp, yp, k, names, wp)
    if data is None:
        return None
    X, y, w = data
    return qr_piece(X, y, fit_intercept=fit_intercept, **weight_keywords(w))


def _gradient_task(
    xp: Any,
    yp: Any,
    k: int,
    names: Sequence[str],
    x: Array,
    fit_intercept: bool,
    levels: Levels,
    shift: Array | None,
    wp: Any = None,
) -> GradientPiece | None:
    data = _arrays(xp, yp, k, names, wp)
    if data is None:
        return None
    X, y, w = data
    return gradient_piece(
        X, y, x, fit_intercept=fit_intercept, levels=levels, shift=shift, **weight_keywords(w)
    )


def _moments_task(
    xp: Any, yp: Any, k: int, names: Sequence[str], wp: Any = None
) -> fast.Moments | None:
    data = _arrays(xp, yp, k, names, wp)
    return None if data is None else moments_piece(*data)


def _anchor_task(
    xp: Any,
    yp: Any,
    k: int,
    names: Sequence[str],
    moments: fast.Moments,
    scale: Array,
    zbar: Array,
    W: Array,
    b: float,
    wp: Any = None,
) -> tuple[float, Array, float] | None:
    data = _arrays(xp, yp, k, names, wp)
    if data is None:
        return None
    X, y, w = data
    return anchor_piece(X, y, moments, scale, zbar, W, b, w)


def _with_weight_sum(
    task: Any, xp: Any, yp: Any, k: int, names: Sequence[str], args: tuple[Any, ...], wp: Any
) -> tuple[Any, list[float] | None] | None:
    """``task``'s piece of a partition, and the exact sum of its weights (None without)."""
    piece = task(xp, yp, k, names, *args, wp)
    if piece is None:
        return None
    return piece, _weight_parts(None if wp is None else np.asarray(wp, dtype=np.float64))


class DaskPasses:
    """:class:`linreg.sources.passes.Passes` over Dask partitions: map on the cluster, combine here.

    Parameters
    ----------
    parts : list of (Delayed, Delayed, Delayed or None)
        The ``(X, y, w)`` partitions; ``w`` None throughout for equal weights.
    names : sequence of str
        Feature names, for messages.
    """

    def __init__(self, parts: list[Part], names: Sequence[str]) -> None:
        self._parts = parts
        self._names = list(names)
        self.count = 0
        self.weighted = any(wp is not None for _, _, wp in parts)
        self.weight_sum: list[float] | None = None

    def _map(self, task: Any, *args: Any) -> list[Any]:
        """``task(X_k, y_k, k, names, *args, w_k)`` on every partition; the non-empty pieces.

        Also keeps the exact sum of the weights (:attr:`weight_sum`).
        """
        dask, _, _ = _require_dask()
        self.count += 1
        delayed = dask.delayed(_with_weight_sum, pure=True)
        tasks = [
            delayed(task, xp, yp, k, self._names, args, wp)
            for k, (xp, yp, wp) in enumerate(self._parts)
        ]
        results = [r for r in dask.compute(*tasks) if r is not None]
        if not results:
            raise LinregError("the data have no rows")
        if self.weighted:
            total = WeightSum()
            for _, parts in results:
                total.add(np.asarray(parts, dtype=np.float64))
            self.weight_sum = total.parts()
            if self.weight_sum == [0.0]:
                raise LinregError("sample_weight is all zero: at least one row needs a weight > 0")
        return [piece for piece, _ in results]

    def qr(self, fit_intercept: bool) -> QRPiece:
        return merge_qr(self._map(_qr_task, fit_intercept))

    def gradient(
        self, x: Array, fit_intercept: bool, levels: Levels, shift: Array | None
    ) -> GradientPiece:
        return merge_gradients(self._map(_gradient_task, x, fit_intercept, levels, shift))

    def moments(self) -> tuple[fast.Moments, Array | None]:
        pieces = self._map(_moments_task)
        total = pieces[0]
        for piece in pieces[1:]:
            total = merge_moments(total, piece)
        return total, None

    def anchor(
        self, moments: fast.Moments, scale: Array, zbar: Array, W: Array, b: float
    ) -> tuple[float, Array, float]:
        pieces = self._map(_anchor_task, moments, scale, zbar, W, b)
        return (
            sum(p[0] for p in pieces),
            np.sum([p[1] for p in pieces], axis=0),
            sum(p[2] for p in pieces),
        )

    def batches(self, label: str) -> Iterator[tuple[Array, Array, Array | None]]:
        """The partitions in order, on the client; the next is computed meanwhile."""
        dask, _, _ = _require_dask()
        self.count += 1
        delayed = dask.delayed(_arrays, pure=True)
        tasks = [delayed(xp, yp, k, self._names, wp) for k, (xp, yp, wp) in enumerate(self._parts)]
        client = _current_client()
        if client is None:
            pending: Iterator[Any] = (dask.compute(t)[0] for t in tasks)
        else:
            pending = _prefetched(client, tasks)
        for data in pending:
            if data is not None:
                yield data


def _current_client() -> Any:
    """The active ``distributed.Client``, or None (then Dask's local scheduler runs)."""
    distributed = _distributed()
    if distributed is None:
        return None
    try:
        return distributed.default_client()
    except ValueError:
        return None


def _prefetched(client: Any, tasks: list[Any]) -> Iterator[Any]:
    """Results of ``tasks`` in order, each computed on the cluster while the previous is used."""
    future = client.compute(tasks[0]) if tasks else None
    for k in range(len(tasks)):
        assert future is not None
        current = future
        future = client.compute(tasks[k + 1]) if k + 1 < len(tasks) else None
        yield current.result()
        current.release()


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


class PassesFitter(Protocol):
    """What the entry points need of an estimator: its public ``fit_passes``.

    :meth:`linreg.estimator.LinearRegression.fit_passes` is one; nothing here
    imports the estimator.
    """

    def fit_passes(
        self,
        passes: Passes,
        *,
        feature_names: Sequence[str],
        target_name: str = "y",
        set_names: bool = True,
        val: tuple[Array, Array] | None = None,
        on_epoch: EpochCallback | None = None,
    ) -> StreamFit: ...


def fit_dask(
    estimator: PassesFitter,
    X: Any,
    y: Any,
    X_val: Any = None,
    y_val: Any = None,
    *,
    sample_weight: Any = None,
    on_epoch: EpochCallback | None = None,
) -> StreamFit:
    """Fit ``estimator`` in place to Dask collections (what ``LinearRegression.fit`` calls).

    Parameters
    ----------
    estimator : LinearRegression
        Fitted through its public ``fit_passes``, penalized by its ``alpha``.
    X : dask.array.Array of shape (N, d), or dask.dataframe.DataFrame
    y : dask.array.Array of shape (N,) chunked like X (or a NumPy array when X's
        chunks are known), or a dask.dataframe.Series partitioned like X
    X_val, y_val : array-like or Dask collections, optional
        Validation data; computed into memory.
    sample_weight : like ``y``, optional
        Row weights (finite, ``>= 0``, not all zero), partitioned like ``y``: a
        Dask array chunked like X (or a NumPy array), or a Dask Series of X's
        DataFrame. None weighs every row equally.
    on_epoch : callable, optional

    Returns
    -------
    StreamFit
    """
    parts, names, named = _partitions(X, y, sample_weight)
    val = None
    if (X_val is None) != (y_val is None):
        raise LinregError("give both X_val and y_val, or neither")
    if X_val is not None:
        Xv = X_val.compute() if is_dask_collection(X_val) else X_val
        yv = y_val.compute() if is_dask_collection(y_val) else y_val
        Xv_arr, _ = check_X(Xv, n_features=len(names))
        val = (Xv_arr, check_y(yv, Xv_arr.shape[0]))
    return estimator.fit_passes(
        DaskPasses(parts, names),
        feature_names=names,
        set_names=named,
        val=val,
        on_epoch=on_epoch,
    )


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A ``distributed.Client`` of the scheduler at ``address``, or of a new local cluster.

    ``address`` is ``tcp://host:port`` (a running ``dask scheduler``) or ``"local"``:
    a ``LocalCluster`` of worker processes on this machine, one per core, shut down
    on exit. The client is the default one inside the block, so Dask computations
    run on it.
    """
    distributed = _distributed()
    if distributed is None:
        raise LinregError(f"--dask needs dask.distributed: {INSTALL_HINT}")
    if address == "local":
        with (
            distributed.LocalCluster(processes=True, dashboard_address=None) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LinregError(
            f"--dask {address}: cannot reach the scheduler ({first}); start one with "
            "'dask scheduler' and give its address, or use --dask local"
        ) from None
    with client:
        yield client


def read_frame(
    path: str | os.PathLike[str],
    *,
    target: str = "y",
    features: Sequence[str] | None = None,
    sample_weight: str | None = None,
) -> tuple[Any, Any, list[str]]:
    """``(X, y, feature_names)`` of a CSV or Parquet file (or glob, or Parquet folder) in Dask.

    See :func:`_read_columns`; the weight column, if named, is checked but left out.
    """
    frame, chosen = _read_columns(
        path, target=target, features=features, sample_weight=sample_weight
    )
    return frame[chosen], frame[target], chosen


def _read_columns(
    path: str | os.PathLike[str],
    *,
    target: str,
    features: Sequence[str] | None,
    sample_weight: str | None,
) -> tuple[Any, list[str]]:
    """The Dask frame of a file's used columns (float64) and the feature names.

    The columns follow :func:`linreg.io.tables.read_table`'s rules
    (:mod:`linreg.io.columns`): a CSV's header and numeric columns are judged by
    :class:`linreg.io.csvreader.CSVReader` on the (first) file, exactly as in memory;
    its cells are read as text and parsed by the same rule, so a bad cell fails the
    fit naming the file, the column, the partition's row and the value, and a row
    with more fields than the header is an error, never a shifted table. Parquet
    columns are numeric by type. A weight column ``sample_weight``, if named, is
    checked and left out of the features (:func:`fit_path` reads it).
    """
    _, _, dd = _require_dask()
    name = str(path)
    parquet = Path(name).suffix.lower() in PARQUET_SUFFIXES or Path(name).is_dir()
    if parquet:
        try:
            frame = dd.read_parquet(name)
            columns = [str(c) for c in frame.columns]
            dtypes = dict(zip(columns, frame.dtypes, strict=True))
        except (OSError, ValueError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LinregError(f"{name}: cannot read it ({first})") from None
        numeric = {c for c, t in dtypes.items() if _is_number_dtype(t)}
    else:
        reader = CSVReader(_first_file(name))
        columns = reader.header
        numeric = reader.numeric_columns() if features is None else set(columns)
    chosen = resolve_columns(
        name,
        columns,
        numeric.__contains__,
        target=target,
        features=features,
        weight=sample_weight,
    )
    weights = [] if sample_weight is None else [sample_weight]
    used = list(dict.fromkeys([*chosen, target, *weights]))
    if parquet:
        for column in used:
            if column not in numeric:
                raise LinregError(
                    f"{name}: column {column!r} is not numeric ({dtypes[column]}); "
                    "choose numeric columns with --target and --features"
                )
        integers = [c for c in used if np.dtype(dtypes[c]).kind in "iu"]
        picked = frame[used]
        if integers:
            picked = picked.map_partitions(check_exact_integers, name, integers, meta=picked._meta)
        return picked.astype(np.float64), chosen
    import pandas as pd

    try:
        text = dd.read_csv(
            name,
            header=0,
            names=columns,
            usecols=used,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            index_col=False,
            on_bad_lines="error",
        )
    except (OSError, ValueError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LinregError(f"{name}: cannot read it ({first})") from None
    meta = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in used})
    return text.map_partitions(parse_text_partition, name, used, meta=meta), chosen


def _first_file(name: str) -> str:
    """The file a CSV path or glob names first (its header and columns stand for all)."""
    import glob

    if not glob.has_magic(name):
        return name
    matches = sorted(glob.glob(name))
    if not matches:
        raise LinregError(f"{name}: no file matches; check the path")
    return matches[0]


def fit_path(
    path: str | os.PathLike[str],
    estimator: PassesFitter,
    *,
    address: str,
    target: str = "y",
    features: Sequence[str] | None = None,
    sample_weight: str | None = None,
    val: tuple[Array, Array] | None = None,
    on_epoch: EpochCallback | None = None,
    sample_rows: int = 0,
) -> StreamFit:
    """``linreg train --dask``: fit a file on the cluster at ``address`` (or ``"local"``).

    Parameters
    ----------
    path : path-like
        CSV or Parquet file, glob, or Parquet folder, readable by the workers.
    estimator : LinearRegression
        Fitted in place through its public ``fit_passes``.
    address : str
        Scheduler address ``tcp://host:port``, or ``"local"``.
    target, features, sample_weight :
        As for :func:`linreg.io.tables.read_table` (``sample_weight`` names the
        column of row weights).
    val : (ndarray, ndarray), optional
        Validation data in memory.
    on_epoch : callable, optional
    sample_rows : int, default=0
        Also draw a random sample of about this many rows (one more pass).

    Returns
    -------
    StreamFit
    """
    name = str(path)
    with connect(address):
        frame, names = _read_columns(
            path, target=target, features=features, sample_weight=sample_weight
        )
        X, y = frame[names], frame[target]
        # A column of the same frame: partitioned like X and y.
        w = None if sample_weight is None else frame[sample_weight]
        try:
            fitted = fit_dask(
                estimator,
                X,
                y,
                None if val is None else val[0],
                None if val is None else val[1],
                sample_weight=w,
                on_epoch=on_epoch,
            )
        except LinregError as exc:
            if str(exc).startswith(f"{name}: "):  # the readers name the file themselves
                raise
            raise LinregError(f"{name}: {exc}") from None
        except (ValueError, TypeError) as exc:  # a line the CSV reader could not split
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LinregError(f"{name}: {first}") from None
        sample = None
        if sample_rows > 0:
            fraction = min(1.0, sample_rows / fitted.n_samples)
            rows = X.assign(**{target: y}).sample(frac=fraction, random_state=0).compute()
            sample = (
                rows[names].to_numpy(dtype=np.float64),
                rows[target].to_numpy(dtype=np.float64),
            )
    return replace(fitted, target_name=target, sample=sample)
