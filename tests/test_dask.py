"""Fits of Dask arrays and DataFrames on a local cluster equal fits in memory.

A ``distributed.LocalCluster`` of two worker processes (one thread each) serves the
whole module. ``exact`` must agree with the in-memory fit to 1e-10 relative (it
agrees to the last bits), ``gd`` along its whole path, ``sgd`` (partitions streamed
in order, shuffled within) statistically. Also ``LinearRegression.fit`` on Dask
input, bad partitions, and ``linreg train --dask`` against the running cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask.dataframe", reason='Dask is not installed: pip install "linreg[dask]"')
pytest.importorskip("distributed", reason='Dask is not installed: pip install "linreg[dask]"')

import dask.array as da
import dask.dataframe as dd
from distributed import Client, LocalCluster

from cli_helpers import run
from engine_data import RTOL, make_data, regression_data, relative
from linreg import LinearRegression
from linreg.errors import LinregError
from linreg.sources import distributed as distributed_module
from linreg.sources.distributed import fit_dask, is_dask_collection

pytestmark = [
    # What distributed may warn about its own housekeeping while worker processes
    # start and stop (sockets and event loops it closes itself; a dashboard port
    # taken by another cluster): not warnings about linreg's code. None is raised
    # by the versions tested, and everything else still fails the test.
    pytest.mark.filterwarnings("ignore:unclosed.*:ResourceWarning"),
    pytest.mark.filterwarnings("ignore:Port .* is already in use:UserWarning"),
]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Two worker processes of one thread each, shut down after the module."""
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return regression_data(n=24_000, d=4)


@pytest.fixture(scope="module")
def collections(data: tuple[np.ndarray, np.ndarray]) -> dict[str, tuple[Any, Any]]:
    """The same rows as Dask arrays (uneven chunks) and as a Dask DataFrame."""
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]).assign(target=y)
    ddf = dd.from_pandas(frame, npartitions=5)
    chunks = (7_000, 5_000, 9_000, 3_000)
    return {
        "array": (da.from_array(X, chunks=(chunks, 2)), da.from_array(y, chunks=(chunks,))),
        "dataframe": (ddf[list(frame.columns[:-1])], ddf["target"]),
    }


@pytest.mark.parametrize("kind", ["array", "dataframe"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_exact_on_the_cluster_equals_the_in_memory_fit(
    client: Client,
    data: tuple[np.ndarray, np.ndarray],
    collections: dict[str, tuple[Any, Any]],
    kind: str,
    fit_intercept: bool,
) -> None:
    X, y = data
    memory = LinearRegression(solver="exact", fit_intercept=fit_intercept).fit(X, y)
    fitted = fit_dask(
        LinearRegression(solver="exact", fit_intercept=fit_intercept), *collections[kind]
    )
    assert relative(fitted.model.coef_, memory.coef_) <= RTOL
    assert abs(fitted.model.intercept_ - memory.intercept_) <= RTOL * max(
        1.0, abs(memory.intercept_)
    )
    assert fitted.passes == 2  # one map-reduce for R, one refinement
    assert fitted.n_samples == X.shape[0]
    if kind == "dataframe":
        assert list(fitted.model.feature_names_in_) == ["f0", "f1", "f2", "f3"]
    else:
        assert not hasattr(fitted.model, "feature_names_in_")


@pytest.mark.parametrize("kind", ["array", "dataframe"])
@pytest.mark.parametrize(
    "params",
    [{}, {"fit_intercept": False}, {"momentum": 0.5, "init": "random"}],
    ids=["plain", "no-intercept", "momentum"],
)
def test_gd_on_the_cluster_follows_the_in_memory_path(
    client: Client,
    data: tuple[np.ndarray, np.ndarray],
    collections: dict[str, tuple[Any, Any]],
    kind: str,
    params: dict[str, Any],
) -> None:
    X, y = data
    memory = LinearRegression(solver="gd", **params).fit(X, y)
    fitted = fit_dask(LinearRegression(solver="gd", **params), *collections[kind])
    assert fitted.passes == 1  # the moments, in one map-reduce
    for got, want in (
        (fitted.model.history_.W, memory.history_.W),
        (fitted.model.history_.b, memory.history_.b),
        (fitted.model.history_.loss, memory.history_.loss),
    ):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * np.abs(want).max())


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "exact", "alpha": 0.5},
        {"solver": "exact", "alpha": 0.2, "l1_ratio": 1.0},
        {"solver": "gd", "alpha": 0.5, "learning_rate": 0.2, "epochs": 300},
    ],
    ids=["ridge", "lasso", "gd-ridge"],
)
def test_a_standardized_penalty_on_the_cluster_is_the_in_memory_one(
    client: Client,
    data: tuple[np.ndarray, np.ndarray],
    collections: dict[str, tuple[Any, Any]],
    params: dict[str, Any],
) -> None:
    """``standardize=True`` penalizes W * s, s from the partitions' moments."""
    X, y = (data[0] * np.array([1.0, 50.0, 0.01, 3.0]), data[1])  # units that matter
    scaled = {
        "array": (
            collections["array"][0] * np.array([1.0, 50.0, 0.01, 3.0]),
            collections["array"][1],
        )
    }
    memory = LinearRegression(standardize=True, **params).fit(X, y)
    penalty = {k: v for k, v in params.items() if k in ("alpha", "l1_ratio")}
    plain = LinearRegression(solver="exact", **penalty).fit(X, y)
    fitted = fit_dask(LinearRegression(standardize=True, **params), *scaled["array"])
    assert relative(fitted.model.coef_, memory.coef_) <= 1e-9
    assert relative(plain.coef_, memory.coef_) > 1e-6  # the penalty's units do matter here
    np.testing.assert_array_equal(fitted.model.coef_ == 0, memory.coef_ == 0)


def test_gd_standardized_uses_the_accurate_mean(
    client: Client, data: tuple[np.ndarray, np.ndarray], collections: dict[str, tuple[Any, Any]]
) -> None:
    """The centre is the moments' mean, X.mean(axis=0) in memory: equal to rounding here."""
    X, y = data
    params = {"solver": "gd", "standardize": True, "learning_rate": 0.1}
    memory = LinearRegression(**params).fit(X, y)
    fitted = fit_dask(LinearRegression(**params), *collections["array"])
    np.testing.assert_allclose(fitted.model.history_.W, memory.history_.W, rtol=1e-9, atol=1e-9)
    assert relative(fitted.model.coef_, memory.coef_) <= RTOL


def test_sgd_streams_the_partitions(
    client: Client, data: tuple[np.ndarray, np.ndarray], collections: dict[str, tuple[Any, Any]]
) -> None:
    X, y = data
    params = {"solver": "sgd", "epochs": 3, "learning_rate": 0.01, "batch_size": 64}
    runs = [fit_dask(LinearRegression(**params), *collections["dataframe"]) for _ in range(2)]
    assert runs[0].passes == 1 + 3
    np.testing.assert_array_equal(runs[0].model.history_.W, runs[1].model.history_.W)
    best = LinearRegression(solver="exact").fit(X, y).history_.final_loss
    memory = LinearRegression(**params).fit(X, y)
    for model in (runs[0].model, memory):
        assert best <= model.history_.final_loss < 1.15 * best


def test_sgd_with_tol_stops_within_a_pass_over_the_partitions(client: Client) -> None:
    data = make_data(120_000, 3, seed=20)
    X, y = da.from_array(data.X, chunks=(30_000, 3)), da.from_array(data.y, chunks=(30_000,))
    params = {"solver": "sgd", "epochs": 3, "learning_rate": 0.01, "batch_size": 32, "tol": 1e-3}
    fitted = fit_dask(LinearRegression(**params), X, y)
    assert fitted.model.stop_reason_ == "converged"
    assert fitted.model.n_iter_ == 1
    optimum = LinearRegression(solver="exact").fit(data.X, data.y).history_.final_loss
    assert fitted.model.history_.final_loss < 1.01 * optimum


def test_fit_accepts_dask_collections(
    client: Client, data: tuple[np.ndarray, np.ndarray], collections: dict[str, tuple[Any, Any]]
) -> None:
    X, y = data
    Xd, yd = collections["dataframe"]
    assert is_dask_collection(Xd)
    assert is_dask_collection(yd)
    assert not is_dask_collection(X)
    assert not is_dask_collection(pd.DataFrame(X))
    model = LinearRegression(solver="exact").fit(Xd, yd, X[:100], y[:100])
    memory = LinearRegression(solver="exact").fit(X, y, X[:100], y[:100])
    assert relative(model.coef_, memory.coef_) <= RTOL
    assert model.history_.val_loss is not None
    assert memory.history_.val_loss is not None
    np.testing.assert_allclose(model.history_.val_loss, memory.history_.val_loss, rtol=1e-12)
    np.testing.assert_allclose(model.predict(X[:10]), memory.predict(X[:10]), rtol=1e-12)


def test_bad_partitions_are_named(client: Client, data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    X = X.copy()
    X[10_001, 2] = np.nan
    Xd = da.from_array(X, chunks=(6_000, 4))
    with pytest.raises(LinregError, match="NaN at partition 1 row 4001, column 'x3'"):
        LinearRegression(solver="exact").fit(Xd, da.from_array(y, chunks=6_000))
    frame = dd.from_pandas(pd.DataFrame({"a": X[:, 0], "y": y}), npartitions=3)
    other = dd.from_pandas(pd.DataFrame({"y": y}), npartitions=4)
    with pytest.raises(LinregError, match="3 partitions but y has 4"):
        LinearRegression(solver="gd").fit(frame[["a"]], other["y"])
    with pytest.raises(LinregError, match="not numeric"):
        LinearRegression(solver="gd").fit(frame.assign(s="text")[["a", "s"]], frame["y"])


def test_train_dask_runs_on_the_cluster(
    capsys: pytest.CaptureFixture[str],
    client: Client,
    tmp_path: Path,
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = data
    path = tmp_path / "train.parquet"
    pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(y=y).to_parquet(path)
    out = tmp_path / "model.json"
    result = run(
        capsys,
        "train",
        path,
        "--solver",
        "exact",
        "--dask",
        client.scheduler.address,
        "--out",
        out,
        "--json",
    )
    assert result.code == 0, result.err
    payload = result.json()
    memory = LinearRegression(solver="exact").fit(X, y)
    assert relative(np.array(payload["coef"]), memory.coef_) <= RTOL
    assert payload["feature_names"] == ["a", "b", "c", "d"]
    assert payload["streamed"]["n_samples"] == X.shape[0]
    assert out.is_file()


def test_train_dask_names_an_unreachable_scheduler(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    monkeypatch.setattr(distributed_module, "CONNECT_TIMEOUT", "1s")
    X, y = data
    path = tmp_path / "train.parquet"
    pd.DataFrame(X[:100], columns=["a", "b", "c", "d"]).assign(y=y[:100]).to_parquet(path)
    result = run(capsys, "train", path, "--dask", "tcp://127.0.0.1:9", "--out", tmp_path / "m.json")
    assert result.code == 1
    assert "cannot reach the scheduler" in result.err


# -- the readers' one rule, read by Dask (issue 18) -------------------------------------------
def test_dask_reads_a_csv_by_the_same_rule_as_memory(client: Client, tmp_path: Path) -> None:
    from linreg import DataWarning
    from linreg.io.tables import read_table
    from linreg.sources.distributed import read_frame

    rng = np.random.default_rng(18)
    X = rng.normal(size=(500, 2)) * 1e-7
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(label="t", y=X.sum(axis=1))
    path = tmp_path / "clean.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(DataWarning, match="ignoring non-numeric column"):
        table = read_table(path)
    with pytest.warns(DataWarning, match="ignoring non-numeric column"):
        X_frame, y_series, names = read_frame(path)
    assert names == table.feature_names == ["a", "b"]
    np.testing.assert_array_equal(X_frame.compute().to_numpy(), table.X)
    np.testing.assert_array_equal(y_series.compute().to_numpy(), table.y)


@pytest.mark.parametrize(
    ("cell", "what"),
    [("1.2.3", "'1.2.3'"), ("NA", "'NA'"), ("1_000", "'1_000'"), ("null", "'null'")],
)
def test_dask_names_a_bad_cell_instead_of_dropping_the_column(
    client: Client, tmp_path: Path, cell: str, what: str
) -> None:
    from linreg.sources.distributed import read_frame

    path = tmp_path / "onebad.csv"
    path.write_text(f"x1,x2,y\n1,1,6\n2,1,9\n{cell},4,17\n6,6,32\n", encoding="utf-8")
    X_frame, _, names = read_frame(path)
    assert names == ["x1", "x2"]
    with pytest.raises(
        LinregError, match=rf"column 'x1' row 3 of partition 0 has the non-numeric value {what}"
    ):
        X_frame.compute()


def test_dask_refuses_rows_longer_than_the_header(client: Client, tmp_path: Path) -> None:
    from linreg.sources.distributed import read_frame

    path = tmp_path / "long.csv"
    path.write_text("x,y\n1,2,3\n4,5,6\n7,8,10\n", encoding="utf-8")
    with pytest.raises(LinregError, match=r"line 2 has 3 field\(s\) but the header has 2"):
        read_frame(path)
