"""Row weights from every source: weight columns of files, weight arrays, Dask weights.

The weights a source serves (``Batch.w``, a Dask partition's) must be the very
numbers of the file's column, bit for bit, whether the file is read whole
(:func:`linreg.io.tables.read_table`) or streamed in batches; the passes must hand
each batch's weights to the solvers' piece functions and give them the exact sum
of all weights (checked with ``fractions.Fraction``); a bad weight or weight
column fails with one error naming the file, the column, the row and the value.

The end-to-end tests at the bottom compare weighted and penalized streamed fits
(files, arrays, Dask) with ``LinearRegression(...).fit(X, y, sample_weight=w)`` in
memory: exact bit for bit, gradient descent along its whole path. The exact ones
need the weighted exact solver of issue 12 (the ``exact`` branch).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine_data import RTOL, assert_same_history, regression_data, relative
from linreg import LinearRegression
from linreg.errors import LinregError
from linreg.io.tables import read_table
from linreg.out_of_memory import fit_file, fit_source
from linreg.sources import passes as passes_module
from linreg.sources.batches import ArraySource, Batch, BatchSource, open_source, preview
from linreg.sources.passes import SourcePasses, WeightSum

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow", reason="streaming needs pyarrow: pip install 'linreg[stream]'")
pq = pytest.importorskip("pyarrow.parquet")

#: Small batches, so that a few thousand rows make dozens of them.
SMALL_BATCH = 1 << 14
N, D = 3_000, 3


def spread_weights(n: int, seed: int = 0) -> np.ndarray:
    """Weights over twelve orders of magnitude, some zero: their float sum rounds."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 1.0, n) * 10.0 ** rng.integers(-6, 6, n)
    w[rng.choice(n, n // 20, replace=False)] = 0.0
    return w


def exact_sum(values: Any) -> Fraction:
    return sum((Fraction(float(v)) for v in values), Fraction(0))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = regression_data(n=N, d=D, seed=4)
    return X, y, spread_weights(N)


def write_files(
    folder: Path, X: np.ndarray, y: np.ndarray, w: Any, name: str = "train"
) -> dict[str, Path]:
    """The same rows as CSV and Parquet: ``x1..xd``, then the weights ``w``, then ``y``."""
    columns = {f"x{j + 1}": X[:, j] for j in range(X.shape[1])}
    frame = pd.DataFrame({**columns, "w": w, "y": y})
    csv = folder / f"{name}.csv"
    frame.to_csv(csv, index=False, na_rep="nan")
    parquet = folder / f"{name}.parquet"
    # From NumPy arrays, so that a NaN stays a NaN (pandas would make it a null).
    table = pa.table({c: frame[c].to_numpy() for c in frame.columns})
    pq.write_table(table, parquet, row_group_size=700)
    return {"csv": csv, "parquet": parquet}


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> dict[str, Path]:
    return write_files(tmp_path_factory.mktemp("weights"), *data)


def served(source: BatchSource) -> tuple[list[Batch], np.ndarray]:
    """Every batch of one pass, and their weights end to end."""
    batches = list(source.batches())
    assert all(b.w is not None and b.w.shape == b.y.shape for b in batches)
    return batches, np.concatenate([b.w for b in batches if b.w is not None])


# -- the weight column ------------------------------------------------------------------------
def test_read_table_takes_the_weight_column_out_of_the_features(
    files: dict[str, Path], data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    X, _, w = data
    table = read_table(files["csv"], sample_weight="w")
    assert table.feature_names == ["x1", "x2", "x3"]
    assert table.weight_name == "w"
    assert table.w is not None
    assert table.w.tobytes() == w.tobytes()  # CSV floats are written exactly
    assert table.X.tobytes() == X.tobytes()
    # Without sample_weight the column is data like any other: today's reading.
    plain = read_table(files["csv"])
    assert plain.w is None
    assert plain.feature_names == ["x1", "x2", "x3", "w"]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_streamed_file_serves_the_weights_read_in_memory(
    files: dict[str, Path], data: tuple[np.ndarray, np.ndarray, np.ndarray], kind: str
) -> None:
    X, _, w = data
    source = open_source(files[kind], sample_weight="w", batch_bytes=SMALL_BATCH)
    assert source.feature_names == ["x1", "x2", "x3"]
    assert source.weight_name == "w"
    batches, streamed = served(source)
    assert len(batches) >= 3
    memory = read_table(files["csv"], sample_weight="w").w
    assert memory is not None
    assert streamed.tobytes() == memory.tobytes() == w.tobytes()
    assert np.concatenate([b.X for b in batches]).tobytes() == X.tobytes()
    assert [b.start for b in batches] == list(np.cumsum([0] + [len(b.y) for b in batches])[:-1])


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_the_preview_of_a_weighted_file(
    files: dict[str, Path], data: tuple[np.ndarray, np.ndarray, np.ndarray], kind: str
) -> None:
    _, _, w = data
    table = preview(files[kind], sample_weight="w", rows=100)
    assert table.feature_names == ["x1", "x2", "x3"]
    assert table.w is not None
    assert table.w.tobytes() == w[:100].tobytes()
    with pytest.raises(LinregError, match="no weight column 'v'"):
        preview(files[kind], sample_weight="v")


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_dask_reads_a_weight_column_apart_from_the_features(
    files: dict[str, Path], kind: str
) -> None:
    _, _, distributed = dask_modules()
    X, _, chosen = distributed.read_frame(files[kind], sample_weight="w")
    assert chosen == ["x1", "x2", "x3"]
    assert [str(c) for c in X.columns] == chosen
    with pytest.raises(LinregError, match="no weight column 'v'"):
        distributed.read_frame(files[kind], sample_weight="v")


def test_fit_path_fits_with_the_file_s_weight_column(
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, Path],
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """``linreg train --dask``'s entry point hands the weight column, partitioned like y, on."""
    import contextlib

    from linreg.fitted import StreamFit

    _, _, distributed = dask_modules()
    seen: dict[str, Any] = {}

    def fake_fit_dask(estimator: Any, X: Any, y: Any, *args: Any, **kwargs: Any) -> StreamFit:
        seen.update(X=X, y=y, w=kwargs["sample_weight"])
        return StreamFit(estimator, estimator, N, 1, list(X.columns), "y")

    monkeypatch.setattr(distributed, "connect", lambda address: contextlib.nullcontext())
    monkeypatch.setattr(distributed, "fit_dask", fake_fit_dask)
    distributed.fit_path(files["csv"], LinearRegression(), address="local", sample_weight="w")
    assert list(seen["X"].columns) == ["x1", "x2", "x3"]
    assert seen["w"].npartitions == seen["y"].npartitions
    assert seen["w"].compute().to_numpy().tobytes() == data[2].tobytes()


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_unweighted_sources_serve_no_weights(files: dict[str, Path], kind: str) -> None:
    source = open_source(files[kind], features=["x1", "x2", "x3"], batch_bytes=SMALL_BATCH)
    assert source.weight_name is None
    assert all(b.w is None for b in source.batches())
    passes = SourcePasses(source)
    assert not passes.weighted
    assert sum(len(y) for _, y, _ in passes.batches("read")) == N
    assert passes.weight_sum is None


def test_an_array_source_serves_its_weights_in_the_batches(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    X, y, w = data
    source = ArraySource(X, y, batch_rows=700, sample_weight=w)
    batches, streamed = served(source)
    assert [len(b.y) for b in batches] == [700, 700, 700, 700, 200]
    assert streamed.tobytes() == w.tobytes()
    assert ArraySource(X, y).weight_name is None


# -- bad weights: one clear error naming file, column, row and value ----------------------------
BAD_WEIGHTS = {
    "negative": (-0.5, r"has the weight -0\.5; weights must be finite numbers >= 0"),
    "NaN": (math.nan, r"has NaN"),
    "infinite": (math.inf, r"has an infinite value"),
}


def bad_weights(value: float) -> np.ndarray:
    w = np.ones(40)
    w[17] = value  # data row 18; line 19 of the CSV
    return w


@pytest.mark.parametrize("case", list(BAD_WEIGHTS))
def test_a_bad_weight_is_named_in_memory_and_streamed(tmp_path: Path, case: str) -> None:
    value, message = BAD_WEIGHTS[case]
    X, y = regression_data(n=40, d=2, seed=1)
    paths = write_files(tmp_path, X, y, bad_weights(value), name="bad")
    with pytest.raises(LinregError, match=rf"bad\.csv: column 'w' line 19 {message}"):
        read_table(paths["csv"], sample_weight="w")
    # A streamed CSV names the line, as in memory; Parquet has rows, not lines.
    for kind, where in (("csv", "line 19"), ("parquet", "data row 18")):
        source = open_source(paths[kind], sample_weight="w")
        with pytest.raises(LinregError, match=rf"bad\.{kind}: column 'w' {where} {message}"):
            list(source.batches())


@pytest.mark.parametrize("case", list(BAD_WEIGHTS))
def test_a_bad_weight_array_is_named(case: str) -> None:
    value, _ = BAD_WEIGHTS[case]
    X, y = regression_data(n=40, d=2, seed=1)
    with pytest.raises(LinregError, match=r"sample_weight\[17\] is .*finite numbers >= 0"):
        ArraySource(X, y, sample_weight=bad_weights(value))


def test_weights_that_are_all_zero_are_refused(tmp_path: Path) -> None:
    X, y = regression_data(n=40, d=2, seed=1)
    paths = write_files(tmp_path, X, y, np.zeros(40), name="zero")
    with pytest.raises(LinregError, match=r"zero\.csv: the weights in column 'w' are all zero"):
        read_table(paths["csv"], sample_weight="w")
    for kind in ("csv", "parquet"):
        passes = SourcePasses(open_source(paths[kind], sample_weight="w", batch_bytes=1024))
        with pytest.raises(LinregError, match=rf"zero\.{kind}: the weights in column 'w' are all"):
            list(passes.batches("read"))
    with pytest.raises(LinregError, match="sample_weight is all zero"):
        ArraySource(X, y, sample_weight=np.zeros(40))


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_missing_or_misused_weight_column_is_named(files: dict[str, Path], kind: str) -> None:
    path = files[kind]
    with pytest.raises(LinregError, match=r"no weight column 'weight' \(columns: x1, x2, x3, w"):
        open_source(path, sample_weight="weight")
    with pytest.raises(LinregError, match=r"the weight column 'w' cannot also be a feature"):
        open_source(path, features=["x1", "w"], sample_weight="w")
    with pytest.raises(LinregError, match=r"the target 'y' cannot also be the weights"):
        open_source(path, sample_weight="y")
    if kind == "csv":
        with pytest.raises(LinregError, match=r"no weight column 'weight'"):
            read_table(path, sample_weight="weight")
        with pytest.raises(LinregError, match=r"'w' cannot also be a feature"):
            read_table(path, features=["x1", "w"], sample_weight="w")


# -- the passes hand the weights on, and their exact sum -----------------------------------------
def test_the_weight_sum_is_exact() -> None:
    w = spread_weights(10_000, seed=2)
    total = WeightSum()
    for start in range(0, w.shape[0], 999):
        total.add(w[start : start + 999])
    parts = total.parts()
    assert exact_sum(parts) == exact_sum(w)
    assert math.fsum(parts) == math.fsum(w)


class Recorder:
    """Stands in for a piece function: records the weights it was given, then runs the real one
    without them (this branch's pieces may not take them yet)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.weights: list[np.ndarray | None] = []
        self.calls: list[tuple[np.ndarray, np.ndarray | None]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        w = kwargs.pop("sample_weight", None)
        if len(args) == 3:  # moments_piece(X, y, w)
            *args, w = args  # type: ignore[assignment]
        self.weights.append(w)
        self.calls.append((args[0], w))
        return self.real(*args, **kwargs)


@pytest.mark.parametrize("kind", ["csv", "parquet", "arrays"])
def test_source_passes_give_every_piece_its_batch_s_weights(
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, Path],
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    kind: str,
) -> None:
    X, y, w = data
    source: BatchSource = (
        ArraySource(X, y, batch_rows=500, sample_weight=w)
        if kind == "arrays"
        else open_source(files[kind], sample_weight="w", batch_bytes=SMALL_BATCH)
    )
    qr = Recorder(passes_module.qr_piece)
    moments = Recorder(passes_module.moments_piece)
    monkeypatch.setattr(passes_module, "qr_piece", qr)
    monkeypatch.setattr(passes_module, "moments_piece", moments)
    passes = SourcePasses(source)
    assert passes.weighted
    passes.qr(True)
    assert passes.weight_sum is not None
    assert exact_sum(passes.weight_sum) == exact_sum(w)
    passes.moments()
    for recorded in (qr.weights, moments.weights):
        assert len(recorded) > 1
        assert all(r is not None for r in recorded)
        assert np.concatenate([r for r in recorded if r is not None]).tobytes() == w.tobytes()
    served_w = [w_b for _, _, w_b in passes.batches("sgd")]
    assert np.concatenate([b for b in served_w if b is not None]).tobytes() == w.tobytes()


def test_unweighted_passes_call_the_pieces_as_before(
    monkeypatch: pytest.MonkeyPatch, data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    X, y, _ = data
    qr = Recorder(passes_module.qr_piece)
    monkeypatch.setattr(passes_module, "qr_piece", qr)
    passes = SourcePasses(ArraySource(X, y, batch_rows=500))
    passes.qr(True)
    assert qr.weights == [None] * 6
    assert passes.weight_sum is None


# -- Dask weights ---------------------------------------------------------------------------------
def dask_modules() -> tuple[Any, Any, Any]:
    pytest.importorskip(
        "dask.dataframe", reason='Dask is not installed: pip install "linreg[dask]"'
    )
    import dask.array as da
    import dask.dataframe as dd

    from linreg.sources import distributed

    return da, dd, distributed


@pytest.mark.parametrize("kind", ["array", "dataframe"])
def test_dask_partitions_carry_the_weights(
    monkeypatch: pytest.MonkeyPatch, data: tuple[np.ndarray, np.ndarray, np.ndarray], kind: str
) -> None:
    da, dd, distributed = dask_modules()
    X, y, w = data
    if kind == "array":
        chunks = (1_000, 700, 1_300)
        collections = (
            da.from_array(X, chunks=(chunks, D)),
            da.from_array(y, chunks=(chunks,)),
            da.from_array(w, chunks=(500,)),  # chunked otherwise: rechunked like X
        )
    else:
        frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(w=w, y=y)
        ddf = dd.from_pandas(frame, npartitions=4)
        collections = (ddf[["a", "b", "c"]], ddf["y"], ddf["w"])
    parts, names, _ = distributed._partitions(*collections)
    qr = Recorder(distributed.qr_piece)
    monkeypatch.setattr(distributed, "qr_piece", qr)
    # The local (threaded) scheduler: the tasks run in this process and see the recorder.
    import dask

    with dask.config.set(scheduler="threads"):
        passes = distributed.DaskPasses(parts, names)
        assert passes.weighted
        passes.qr(True)
        served_w = [b for _, _, b in passes.batches("sgd")]
    assert passes.weight_sum is not None
    assert exact_sum(passes.weight_sum) == exact_sum(w)
    # The partitions ran in any order: each call's weights are those of its own rows.
    assert len(qr.calls) == len(parts)
    for X_k, w_k in qr.calls:
        start = int(np.flatnonzero((X_k[0] == X).all(axis=1))[0])
        assert w_k is not None
        assert w_k.tobytes() == w[start : start + len(w_k)].tobytes()
    assert sum(len(X_k) for X_k, _ in qr.calls) == N
    assert np.concatenate([b for b in served_w if b is not None]).tobytes() == w.tobytes()


def test_bad_dask_weights_are_named(
    monkeypatch: pytest.MonkeyPatch, data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    da, dd, distributed = dask_modules()
    X, y, _ = data
    import dask

    monkeypatch.setattr(distributed, "qr_piece", Recorder(distributed.qr_piece))

    w = np.ones(N)
    w[1_234] = -2.0
    Xd, yd = da.from_array(X, chunks=(1_000, D)), da.from_array(y, chunks=(1_000,))
    parts, names, _ = distributed._partitions(Xd, yd, da.from_array(w, chunks=(1_000,)))
    with (
        dask.config.set(scheduler="threads"),
        pytest.raises(LinregError, match=r"'weights' partition 1 row 234 has the weight -2\.0"),
    ):
        distributed.DaskPasses(parts, names).qr(True)
    parts, names, _ = distributed._partitions(Xd, yd, da.zeros(N, chunks=(1_000,)))
    with (
        dask.config.set(scheduler="threads"),
        pytest.raises(LinregError, match="sample_weight is all zero"),
    ):
        distributed.DaskPasses(parts, names).qr(True)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    ddf = dd.from_pandas(frame, npartitions=3)
    other = dd.from_pandas(pd.Series(np.ones(N)), npartitions=2)
    with pytest.raises(LinregError, match="X has 3 partitions but sample_weight has 2"):
        distributed._partitions(ddf[["a", "b", "c"]], ddf["y"], other)
    with pytest.raises(LinregError, match="give sample_weight as a Dask Series"):
        distributed._partitions(ddf[["a", "b", "c"]], ddf["y"], np.ones(N))


# -- end to end: weighted streamed fits equal weighted fits in memory ---------------------------
@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_weighted_exact_from_a_file_equals_the_in_memory_fit_bit_for_bit(
    files: dict[str, Path],
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    kind: str,
    alpha: float,
) -> None:
    X, y, w = data
    memory = LinearRegression(solver="exact", alpha=alpha).fit(X, y, sample_weight=w)
    fitted = fit_file(
        files[kind],
        LinearRegression(solver="exact", alpha=alpha),
        sample_weight="w",
        batch_bytes=SMALL_BATCH,
    )
    model = fitted.model
    assert model.coef_.tobytes() == memory.coef_.tobytes()
    assert model.intercept_ == memory.intercept_
    np.testing.assert_allclose(model.history_.loss, memory.history_.loss, rtol=1e-12)
    assert model.weighted_ is True
    assert list(model.feature_names_in_) == ["x1", "x2", "x3"]


def test_weighted_exact_from_arrays_equals_the_in_memory_fit_bit_for_bit(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    X, y, w = data
    memory = LinearRegression(solver="exact").fit(X, y, sample_weight=w)
    fitted = fit_source(
        LinearRegression(solver="exact"), ArraySource(X, y, batch_rows=400, sample_weight=w)
    )
    assert fitted.model.coef_.tobytes() == memory.coef_.tobytes()
    assert fitted.model.intercept_ == memory.intercept_


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_weighted_gd_from_a_file_follows_the_in_memory_path(
    files: dict[str, Path], data: tuple[np.ndarray, np.ndarray, np.ndarray], kind: str
) -> None:
    X, y, w = data
    params: dict[str, Any] = {"solver": "gd", "learning_rate": 0.02, "epochs": 200}
    memory = LinearRegression(**params).fit(X, y, sample_weight=w)
    fitted = fit_file(
        files[kind], LinearRegression(**params), sample_weight="w", batch_bytes=SMALL_BATCH
    )
    assert_same_history(fitted.model.history_, memory.history_, rtol=RTOL)


@pytest.mark.parametrize("kind", ["array", "dataframe"])
def test_weighted_exact_on_dask_equals_the_in_memory_fit(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], kind: str
) -> None:
    da, dd, _ = dask_modules()
    import dask

    X, y, w = data
    if kind == "array":
        collections = (
            da.from_array(X, chunks=(1_000, D)),
            da.from_array(y, chunks=(1_000,)),
            da.from_array(w, chunks=(1_000,)),
        )
    else:
        frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(w=w, y=y)
        ddf = dd.from_pandas(frame, npartitions=3)
        collections = (ddf[["a", "b", "c"]], ddf["y"], ddf["w"])
    memory = LinearRegression(solver="exact").fit(X, y, sample_weight=w)
    with dask.config.set(scheduler="threads"):
        model = LinearRegression(solver="exact").fit(
            collections[0], collections[1], sample_weight=collections[2]
        )
    assert relative(model.coef_, memory.coef_) <= RTOL
    assert abs(model.intercept_ - memory.intercept_) <= RTOL * max(1.0, abs(memory.intercept_))
    assert model.weighted_ is True


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("standardize", [False, True])
def test_penalized_weighted_gd_from_a_file_follows_the_in_memory_path(
    files: dict[str, Path],
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    kind: str,
    standardize: bool,
) -> None:
    X, y, w = data
    params: dict[str, Any] = {
        "solver": "gd",
        "learning_rate": 0.02,
        "epochs": 150,
        "alpha": 0.3,
        "standardize": standardize,
    }
    memory = LinearRegression(**params).fit(X, y, sample_weight=w)
    fitted = fit_file(
        files[kind], LinearRegression(**params), sample_weight="w", batch_bytes=SMALL_BATCH
    )
    assert_same_history(fitted.model.history_, memory.history_, rtol=RTOL)
    stab, mem = fitted.model.stability_, memory.stability_
    assert stab is not None
    assert mem is not None
    assert stab.max_stable_learning_rate == pytest.approx(mem.max_stable_learning_rate, rel=1e-12)
    # The optimum beside the fit is the penalized, weighted one, with its objective.
    assert fitted.optimum.history_.final_loss <= fitted.model.history_.final_loss


def test_weighted_sgd_in_one_batch_is_the_in_memory_run(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """One record batch of all rows: the stream's shuffle is the in-memory one."""
    X, y, w = data
    params: dict[str, Any] = {"solver": "sgd", "learning_rate": 1e-3, "epochs": 2, "alpha": 0.1}
    memory = LinearRegression(engine="fast", **params).fit(X, y, sample_weight=w)
    fitted = fit_source(
        LinearRegression(**params), ArraySource(X, y, batch_rows=N, sample_weight=w)
    )
    assert_same_history(fitted.model.history_, memory.history_, rtol=RTOL)


def test_penalized_weighted_gd_on_dask_follows_the_in_memory_path(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    da, _, _ = dask_modules()
    import dask

    X, y, w = data
    params: dict[str, Any] = {"solver": "gd", "learning_rate": 0.02, "epochs": 100, "alpha": 0.2}
    memory = LinearRegression(**params).fit(X, y, sample_weight=w)
    chunks = (1_000, 700, 1_300)
    with dask.config.set(scheduler="threads"):
        model = LinearRegression(**params).fit(
            da.from_array(X, chunks=(chunks, D)),
            da.from_array(y, chunks=(chunks,)),
            sample_weight=da.from_array(w, chunks=(chunks,)),
        )
    assert_same_history(model.history_, memory.history_, rtol=RTOL)
    assert model.weighted_ is True
