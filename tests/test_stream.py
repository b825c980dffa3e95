"""Streaming fits from files equal fits in memory; bad files fail clearly; memory stays bounded.

Every accuracy test fits the same numbers twice: in memory (``LinearRegression.fit``)
and streamed from a CSV or Parquet file in many small record batches
(:mod:`linreg.sources.passes`), and compares. ``exact`` must agree to 1e-10 relative (it
agrees to the last bits), ``gd`` along its whole recorded path to 1e-10, ``sgd``
(which shuffles within batches, not globally) statistically. The memory test runs
a streamed fit in a child process and reads its peak resident memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli_helpers import PNG_MAGIC, assert_one_error_line, run
from conftest import KernelChoice
from engine_data import RTOL, assert_same_history, make_data, regression_data, relative
from linreg import DivergenceError, LinearRegression
from linreg.errors import LinregError, StabilityWarning
from linreg.io.persistence import load_model
from linreg.io.tables import file_sha256
from linreg.out_of_memory import fit_file, fit_source
from linreg.solvers.lstsq import lstsq
from linreg.solvers.streamed_exact import ExactSum, QRTree, merge_qr, qr_piece
from linreg.sources.batches import (
    ArraySource,
    PassProgress,
    Reservoir,
    open_source,
    wants_streaming,
)
from linreg.validation import DataWarning

pa = pytest.importorskip("pyarrow", reason="streaming needs pyarrow: pip install 'linreg[stream]'")
pq = pytest.importorskip("pyarrow.parquet")

#: Small batches, so that a few thousand rows make dozens of them.
SMALL_BATCH = 1 << 16


def names(d: int) -> list[str]:
    return [f"x{j + 1}" for j in range(d)]


def write_csv(
    path: Path, X: np.ndarray, y: np.ndarray, extra: dict[str, Any] | None = None
) -> Path:
    """A CSV of ``x1..xd, y`` (floats written in their shortest exact form)."""
    import pandas as pd

    frame = pd.DataFrame(X, columns=names(X.shape[1]))
    for column, values in (extra or {}).items():
        frame[column] = values
    frame["y"] = y
    frame.to_csv(path, index=False)
    return path


def write_parquet(path: Path, X: np.ndarray, y: np.ndarray, row_group: int = 5_000) -> Path:
    table = pa.table([*X.T, y], names=[*names(X.shape[1]), "y"])
    pq.write_table(table, path, row_group_size=row_group)
    return path


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return regression_data(n=30_000, d=5)


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, data: tuple[np.ndarray, np.ndarray]
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("stream")
    X, y = data
    return {
        "csv": write_csv(folder / "train.csv", X, y),
        "parquet": write_parquet(folder / "train.parquet", X, y),
    }


# -- exact: the same solution as in memory -------------------------------------------------
@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_exact_from_a_file_equals_the_in_memory_fit(
    files: dict[str, Path],
    data: tuple[np.ndarray, np.ndarray],
    kind: str,
    fit_intercept: bool,
) -> None:
    X, y = data
    memory = LinearRegression(solver="exact", fit_intercept=fit_intercept).fit(X, y)
    fitted = fit_file(
        files[kind],
        LinearRegression(solver="exact", fit_intercept=fit_intercept),
        batch_bytes=SMALL_BATCH,
    )
    model = fitted.model
    assert relative(model.coef_, memory.coef_) <= RTOL
    assert abs(model.intercept_ - memory.intercept_) <= RTOL * max(abs(memory.intercept_), 1.0)
    assert fitted.n_samples == X.shape[0]
    assert model.lstsq_.converged
    assert fitted.passes == 2  # the R factor, then one refinement (well conditioned)
    assert list(model.feature_names_in_) == names(X.shape[1])
    np.testing.assert_allclose(model.history_.loss, memory.history_.loss, rtol=1e-12)
    assert model.stop_reason_ == "closed_form"


@pytest.mark.parametrize(
    "case",
    ["offsets of 1e6", "sorted by x1", "badly scaled", "tiny batches"],
)
def test_exact_reaches_the_float64_limit_on_hard_data(case: str) -> None:
    """Offsets, unrepresentative batches and scales: still lstsq's answer to the last bits."""
    X, y = regression_data(n=6_000, d=4, seed=3)
    rows = 2_000
    if case == "offsets of 1e6":
        X = X + np.array([1e6, -3e5, 2e7, 0.0])
        y = y + 5e5
    elif case == "sorted by x1":
        order = np.argsort(X[:, 0])
        X, y = X[order], y[order]
    elif case == "badly scaled":
        X = X * np.array([1e-8, 1.0, 1e6, 3e3])
    else:
        rows = 7
    expected = lstsq(X, y)
    fitted = fit_source(LinearRegression(solver="exact"), ArraySource(X, y, batch_rows=rows))
    assert relative(fitted.model.coef_, expected.coef) <= 1e-13
    assert relative(fitted.model.intercept_, expected.intercept) <= 1e-13


def test_exact_intercept_behind_large_offsets_matches_memory_bit_for_bit() -> None:
    """|mean| / std = 1e6: the streamed refinement centres its gradient before rounding,
    as lstsq does, and both give the correctly rounded intercept (tests/test_lstsq.py)."""
    rng = np.random.default_rng(2)
    n = 20_000
    scale = np.array([1.0, 0.01, 3.0, 1.0])
    offset = scale * 1e6 * rng.uniform(0.5, 1.0, 4) * np.array([1.0, 1.0, -1.0, 0.001])
    X = rng.standard_normal((n, 4)) * scale + offset
    y = X @ rng.uniform(-3, 3, 4) + 4.0 + 0.01 * rng.standard_normal(n)
    expected = lstsq(X, y)
    fitted = fit_source(LinearRegression(solver="exact"), ArraySource(X, y, batch_rows=5_000))
    np.testing.assert_array_equal(fitted.model.coef_, expected.coef)
    assert fitted.model.intercept_ == expected.intercept
    assert fitted.model.lstsq_.converged


@pytest.mark.parametrize(("offset", "intercept", "levels"), [(0.0, 1.5, 1), (5.0, 1.0, 2)])
def test_exact_norm_sliced_passes_match_memory_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch,
    kernel: KernelChoice,
    offset: float,
    intercept: float,
    levels: int,
) -> None:
    """The streamed refinement takes the norm-sliced kernel where it carries the bits
    (one level for standardized data, two for columns 2.5 standard deviations out
    with a small intercept), and the general kernels otherwise: the same bits as
    lstsq in memory either way."""
    import linreg.solvers.refine as refine_module
    import linreg.solvers.streamed_exact as stream_module

    rng = np.random.default_rng(48)
    X = rng.standard_normal((40_000, 16)) * 2.0 + offset
    y = X @ np.arange(1.0, 17.0) + intercept + rng.standard_normal(40_000)
    expected = lstsq(X, y)
    seen: list[int] = []
    sliced = stream_module._sliced_gradient_piece

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[4])
        return sliced(*args, **kwargs)

    monkeypatch.setattr(stream_module, "_sliced_gradient_piece", spy)
    source = ArraySource(X, y, batch_rows=15_000)
    fitted = fit_source(LinearRegression(solver="exact"), source)
    assert set(seen) == {levels}
    assert (kernel.runs > 0) == (kernel.name == "c")
    np.testing.assert_array_equal(fitted.model.coef_, expected.coef)
    assert fitted.model.intercept_ == expected.intercept
    monkeypatch.setattr(refine_module, "norm_sliced_bits", lambda d, rows, levels=1: (0.0, 0.0))
    seen.clear()
    general = fit_source(LinearRegression(solver="exact"), ArraySource(X, y, batch_rows=15_000))
    assert not seen
    np.testing.assert_array_equal(general.model.coef_, expected.coef)
    assert general.model.intercept_ == expected.intercept


def test_exact_refines_an_ill_conditioned_design_in_more_passes() -> None:
    """A degree-9 polynomial (cond(Z) ~ 2e6): lstsq's coefficients, bit for bit."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 10.0, 60_000)
    X = np.column_stack([x**k for k in range(1, 10)])
    y = np.sin(x) + 0.1 * rng.standard_normal(x.size)
    expected = lstsq(X, y)
    fitted = fit_source(LinearRegression(solver="exact"), ArraySource(X, y, batch_rows=9_000))
    assert fitted.passes >= 3
    assert fitted.model.lstsq_.converged
    assert relative(fitted.model.coef_, expected.coef) <= 1e-14
    assert relative(fitted.model.intercept_, expected.intercept) <= 1e-14


def test_the_merged_r_factor_is_that_of_all_rows() -> None:
    """TSQR with per-batch centring: R^T R is the centred Gram matrix of all rows."""
    X, y = regression_data(n=3_000, d=3, seed=5, offset=1e4)
    tree = QRTree()
    for start in range(0, 3_000, 250):
        tree.add(qr_piece(X[start : start + 250], y[start : start + 250], fit_intercept=True))
    piece = tree.result()
    Z = np.column_stack([np.ones(3_000), X - piece.shift[:3], y - piece.shift[3]])
    np.testing.assert_allclose(piece.R.T @ piece.R, Z.T @ Z, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(piece.shift[:3], X.mean(axis=0), rtol=1e-14)
    # Merging all at once gives the same factor, up to row signs.
    pieces = [
        qr_piece(X[s : s + 1_000], y[s : s + 1_000], fit_intercept=True) for s in (0, 1_000, 2_000)
    ]
    flat = merge_qr(pieces)
    np.testing.assert_allclose(np.abs(flat.R), np.abs(piece.R), rtol=1e-11, atol=1e-9)


def test_exact_sum_is_exact_despite_cancellation() -> None:
    rng = np.random.default_rng(0)
    terms = rng.standard_normal((5_000, 3)) * 10.0 ** rng.integers(-20, 20, (5_000, 3))
    terms = np.vstack([terms, -terms[:4_990]])  # most of it cancels exactly
    total = ExactSum(3)
    for start in range(0, terms.shape[0], 700):
        total.add(terms[start : start + 700])
    for j in range(3):
        exact = sum((Fraction(v) for v in terms[:, j]), Fraction(0))
        assert total.total()[j] == float(exact)


def test_a_rank_deficient_stream_warns_and_gives_the_minimum_norm_solution() -> None:
    X, y = regression_data(n=4_000, d=3, seed=2)
    X = np.column_stack([X, X[:, 0] + X[:, 1]])
    from linreg.errors import RankDeficiencyWarning

    with pytest.warns(RankDeficiencyWarning, match="columns \\[3\\]|columns \\[2, 3\\]|linearly"):
        expected = lstsq(X, y)
    with pytest.warns(RankDeficiencyWarning, match="linearly dependent"):
        fitted = fit_source(LinearRegression(solver="exact"), ArraySource(X, y, batch_rows=500))
    np.testing.assert_allclose(fitted.model.coef_, expected.coef, rtol=1e-8, atol=1e-10)


# -- gd: the in-memory path, from one pass -------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"standardize": True, "learning_rate": 0.1},
        {"fit_intercept": False},
        {"momentum": 0.5, "learning_rate": 0.01, "standardize": True, "init": "random"},
    ],
    ids=["plain", "standardized", "no-intercept", "momentum"],
)
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_gd_from_a_file_follows_the_in_memory_path(
    files: dict[str, Path],
    data: tuple[np.ndarray, np.ndarray],
    kind: str,
    params: dict[str, Any],
) -> None:
    X, y = data
    memory = LinearRegression(solver="gd", **params).fit(X, y)
    fitted = fit_file(files[kind], LinearRegression(solver="gd", **params), batch_bytes=SMALL_BATCH)
    assert fitted.passes == 1  # sufficient statistics in one pass
    assert_same_history(fitted.model.history_, memory.history_)
    assert fitted.model.n_iter_ == memory.n_iter_ == 1000
    assert relative(fitted.model.coef_, memory.coef_) <= RTOL
    stab, stab_memory = fitted.model.stability_, memory.stability_
    assert stab is not None
    assert stab_memory is not None
    assert relative(stab.max_stable_learning_rate, stab_memory.max_stable_learning_rate) <= 1e-12


def test_gd_with_tol_and_validation_matches_in_memory(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    X_val, y_val = regression_data(n=2_000, d=5, seed=0, rows_seed=1)
    params = {
        "solver": "gd",
        "tol": 1e-12,
        "epochs": 5_000,
        "learning_rate": 0.1,
        "standardize": True,
    }
    memory = LinearRegression(**params).fit(X, y, X_val, y_val)
    fitted = fit_source(
        LinearRegression(**params), ArraySource(X, y, batch_rows=3_000), val=(X_val, y_val)
    )
    assert fitted.model.stop_reason_ == memory.stop_reason_ == "converged"
    assert fitted.model.n_iter_ == memory.n_iter_
    assert_same_history(fitted.model.history_, memory.history_)


def test_gd_on_a_near_perfect_fit_reads_the_residuals_in_a_second_pass() -> None:
    X, y = regression_data(n=20_000, d=5, noise=1e-7)
    memory = LinearRegression(solver="gd", standardize=True, learning_rate=0.2).fit(X, y)
    fitted = fit_source(
        LinearRegression(solver="gd", standardize=True, learning_rate=0.2),
        ArraySource(X, y, batch_rows=3_000),
    )
    assert fitted.passes == 2
    assert_same_history(fitted.model.history_, memory.history_, rtol=1e-9)


def test_gd_divergence_is_reported_at_the_same_epoch(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    errors = []
    for fit in (
        lambda m: m.fit(X, y),
        lambda m: fit_source(m, ArraySource(X, y, batch_rows=4_000)),
    ):
        with pytest.warns(StabilityWarning), pytest.raises(DivergenceError) as info:
            fit(LinearRegression(solver="gd", learning_rate=5.0))
        errors.append(info.value.report)
    assert errors[0].epoch == errors[1].epoch
    assert relative(errors[1].max_stable_learning_rate, errors[0].max_stable_learning_rate) < 1e-12


# -- sgd: epochs over the stream -----------------------------------------------------------
def test_sgd_is_deterministic_per_seed_and_close_to_the_in_memory_fit(
    files: dict[str, Path], data: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = data
    params = {"solver": "sgd", "epochs": 4, "learning_rate": 0.02, "batch_size": 64}
    runs = [
        fit_file(files["parquet"], LinearRegression(seed=seed, **params), batch_bytes=SMALL_BATCH)
        for seed in (0, 0, 1)
    ]
    assert runs[0].passes == 1 + 4  # the moments, then one pass an epoch
    np.testing.assert_array_equal(runs[0].model.history_.W, runs[1].model.history_.W)
    assert not np.array_equal(runs[0].model.coef_, runs[2].model.coef_)
    memory = LinearRegression(**params).fit(X, y)
    optimum = LinearRegression(solver="exact").fit(X, y)
    best = optimum.history_.final_loss
    # Both end within SGD's noise of the optimum: the same excess loss, statistically.
    excess = [m.history_.final_loss / best - 1.0 for m in (runs[0].model, runs[2].model, memory)]
    assert max(excess) < 0.15, excess
    assert min(excess) >= 0.0
    # The loss of every epoch is the exact MSE of its parameters (from the moments).
    W, b = runs[0].model.history_.W[-1], runs[0].model.history_.b[-1]
    assert relative(runs[0].model.history_.final_loss, np.mean((X @ W + b - y) ** 2)) < 1e-12


def test_sgd_with_tol_stops_within_a_pass_and_reads_no_further() -> None:
    """With tol the streamed SGD stops inside its first epoch, as in memory, and the
    rest of that pass is never read."""
    data = make_data(300_000, 4, seed=19)
    read: dict[str, int] = {}

    def progress(p: PassProgress) -> None:
        read[p.label] = p.rows

    params = {"solver": "sgd", "epochs": 3, "learning_rate": 0.01, "batch_size": 128}
    fitted = fit_source(
        LinearRegression(tol=1e-3, **params),
        ArraySource(data.X, data.y, batch_rows=10_000),
        progress=progress,
    )
    assert fitted.model.stop_reason_ == "converged"
    assert fitted.model.n_iter_ == 1
    assert read["epoch 1"] < 300_000
    assert fitted.model.n_steps_ is not None
    # (progress is told after each batch: the one in hand when SGD stopped is not counted)
    assert fitted.model.n_steps_ * 128 <= read["epoch 1"] + 10_000
    np.testing.assert_array_equal(fitted.model.history_.W[-1], fitted.model.coef_)
    optimum = LinearRegression(solver="exact").fit(data.X, data.y).history_.final_loss
    assert fitted.model.history_.final_loss < 1.01 * optimum


def test_sgd_steps_are_whole_batches_across_record_batches() -> None:
    """Rows left at the end of a record batch open the next one's first step."""
    X, y = regression_data(n=1_000, d=2)
    fits = [
        fit_source(
            LinearRegression(solver="sgd", epochs=1, batch_size=1_000, learning_rate=0.01),
            ArraySource(X, y, batch_rows=rows),
        )
        for rows in (1_000, 333)
    ]
    # One step over all 1,000 rows: the order within the step does not matter.
    np.testing.assert_allclose(fits[0].model.coef_, fits[1].model.coef_, rtol=1e-13)
    full = LinearRegression(solver="gd", epochs=1, learning_rate=0.01).fit(X, y)
    np.testing.assert_allclose(fits[0].model.coef_, full.coef_, rtol=1e-13)


# -- files: the column rules and their errors ----------------------------------------------
def test_columns_follow_read_table(tmp_path: Path) -> None:
    X, y = regression_data(n=200, d=2)
    path = write_csv(tmp_path / "d.csv", X, y, extra={"label": ["a"] * 200, "y_true": y * 0.0})
    with pytest.warns(DataWarning, match="ignoring non-numeric column\\(s\\) 'label'"):
        source = open_source(path)
    assert source.feature_names == ["x1", "x2"]
    chosen = open_source(path, features=["x2"], target="x1")
    assert chosen.feature_names == ["x2"]
    assert chosen.target_name == "x1"


def _bad_csv(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lines", "fragments"),
    [
        (["x,y", "1,2", "3,"], ["column 'y'", "line 3", "an empty cell"]),
        (["x,y", "1,2", "nan,4"], ["column 'x'", "line 3", "NaN"]),
        (["x,y", "1,2", "inf,4"], ["column 'x'", "line 3", "infinite"]),
        (["x,y", "1,2", "1,2,3"], ["not a valid CSV file", "line 3 has 3 field(s)"]),
        (["x,z", "1,2"], ["no target column 'y'", "--target"]),
        (["x,x,y", "1,2,3"], ["['x'] appear more than once"]),
        ([], ["the file is empty"]),
        (["x,y"], ["has a header but no data rows"]),
    ],
    ids=["empty-cell", "nan", "inf", "ragged", "no-target", "duplicate", "empty", "header-only"],
)
def test_bad_csv_files_fail_with_one_clear_message(
    tmp_path: Path, lines: list[str], fragments: list[str]
) -> None:
    path = _bad_csv(tmp_path, lines)
    with pytest.raises(LinregError) as info:
        fit_file(path, LinearRegression(solver="exact"))
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_a_non_numeric_value_far_into_a_csv_is_named(tmp_path: Path) -> None:
    """Columns are judged on the first rows; a later bad cell still names column and line."""
    rows = [f"{i},{2 * i}" for i in range(20_000)]
    rows[15_000] = "oops,3"
    path = _bad_csv(tmp_path, ["x,y", *rows])
    with pytest.raises(LinregError, match="column 'x' line 15002 has the non-numeric value 'oops'"):
        fit_file(path, LinearRegression(solver="gd"), batch_bytes=SMALL_BATCH)


def test_missing_features_and_files_are_named(tmp_path: Path, files: dict[str, Path]) -> None:
    with pytest.raises(LinregError, match="no feature column\\(s\\) 'nope'"):
        open_source(files["parquet"], features=["nope"])
    with pytest.raises(LinregError, match="cannot also be a feature"):
        open_source(files["csv"], features=["x1", "y"])
    with pytest.raises(LinregError, match="file not found"):
        open_source(tmp_path / "missing.parquet")
    (tmp_path / "fake.parquet").write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(LinregError, match="not a valid Parquet file"):
        open_source(tmp_path / "fake.parquet")


def test_bad_parquet_cells_and_types_are_named(tmp_path: Path) -> None:
    table = pa.table({"x": [1.0, None, 3.0], "y": [1.0, 2.0, 3.0]})
    pq.write_table(table, tmp_path / "null.parquet")
    with pytest.raises(LinregError, match="column 'x' data row 2 has a missing value"):
        fit_file(tmp_path / "null.parquet", LinearRegression(solver="exact"))
    pq.write_table(pa.table({"x": [1, 2, 3], "y": ["a", "b", "c"]}), tmp_path / "text.parquet")
    with pytest.raises(LinregError, match="column 'y' is not numeric"):
        fit_file(tmp_path / "text.parquet", LinearRegression(solver="exact"))


def test_too_few_rows_are_rejected_as_in_memory(tmp_path: Path) -> None:
    path = _bad_csv(tmp_path, ["a,b,c,y", "1,2,3,4", "2,3,5,1"])
    with pytest.raises(LinregError, match="2 rows but 4 parameters"):
        fit_file(path, LinearRegression(solver="exact"))


def test_when_the_command_line_streams(tmp_path: Path, files: dict[str, Path]) -> None:
    assert wants_streaming(files["parquet"])
    assert not wants_streaming(files["csv"])
    assert wants_streaming(files["csv"], force=True)
    assert not wants_streaming(tmp_path / "missing.csv")


def test_the_sample_for_figures_is_uniform_and_repeatable() -> None:
    X = np.arange(100_000, dtype=np.float64)[:, None]
    samples = []
    for _ in range(2):
        reservoir = Reservoir(size=2_000, seed=0)
        for start in range(0, 100_000, 7_000):
            reservoir.add(X[start : start + 7_000], X[start : start + 7_000, 0])
        samples.append(reservoir.arrays())
    np.testing.assert_array_equal(samples[0][0], samples[1][0])
    values = samples[0][1]
    assert values.shape == (2_000,)
    assert np.unique(values).size == 2_000
    # Uniform over the stream: each tenth holds about a tenth of the sample.
    counts = np.histogram(values, bins=10, range=(0, 100_000))[0]
    assert counts.min() > 140
    assert counts.max() < 260


# -- memory: a child process streams a file far larger than its own growth ------------------
_CHILD = textwrap.dedent(
    """
    import json, resource, sys

    def peak_mb():
        # VmHWM: the peak resident set of this process image. ru_maxrss is no use
        # here: Linux carries the parent's (pytest's) resident set over fork and exec.
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from linreg import LinearRegression
    from linreg.out_of_memory import fit_file

    start = peak_mb()  # Python, NumPy, SciPy, pandas and linreg imported
    fit = fit_file(sys.argv[1], LinearRegression(solver="exact"))
    print(json.dumps({"start_mb": start, "peak_mb": peak_mb(), "passes": fit.passes,
                      "coef": fit.model.coef_.tolist(), "intercept": fit.model.intercept_}))
    """
)


def test_a_streamed_fit_keeps_peak_memory_bounded(tmp_path: Path) -> None:
    """275 MB of numbers in a Parquet file: the child fits them in far less than that.

    Its peak resident memory stays below 400 MB for the whole process, and what
    the fit adds to the imports (pyarrow's libraries and threads included) stays
    well below the data's in-memory size, where a fit in memory needs all of it
    and more. (benchmarks/stream_memory.py measures a 2.6 GB file: 271 MB peak.)
    """
    rng = np.random.default_rng(0)
    d, rows, chunk = 8, 4_000_000, 250_000
    weights = np.arange(1.0, d + 1.0)
    path = tmp_path / "big.parquet"
    column_names = [*names(d), "y"]
    schema = pa.schema([(c, pa.float64()) for c in column_names])
    with pq.ParquetWriter(path, schema, compression="none") as writer:
        for _ in range(0, rows, chunk):
            X = rng.standard_normal((chunk, d)) + 3.0
            y = X @ weights + 2.0 + rng.standard_normal(chunk)
            writer.write_table(pa.table([*X.T, y], names=column_names), row_group_size=chunk)
    data_mb = rows * (d + 1) * 8 / 2**20
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = json.loads(child.stdout)
    assert report["passes"] == 2, report
    assert report["peak_mb"] <= 400, report
    # Measured: 215-260 MB peak, 100-145 MB over the imports (it varies with how the
    # allocators of NumPy, OpenBLAS and pyarrow's threads happen to reuse memory).
    assert report["peak_mb"] - report["start_mb"] < 0.75 * data_mb, (data_mb, report)
    np.testing.assert_allclose(report["coef"], weights, atol=0.01)


# -- the command line ------------------------------------------------------------------------
def test_train_streams_a_parquet_file_to_the_in_memory_model(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    files: dict[str, Path],
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = data
    out = tmp_path / "model.json"
    result = run(capsys, "train", files["parquet"], "--solver", "exact", "--out", out, "--json")
    assert result.code == 0, result.err
    payload = result.json()
    memory = LinearRegression(solver="exact").fit(X, y)
    assert relative(np.array(payload["coef"]), memory.coef_) <= RTOL
    assert payload["streamed"] == {
        "n_samples": X.shape[0],
        "passes": 2,
        "figures_from_sample_of": None,
    }
    model, content = load_model(out)
    assert content["feature_names"] == names(X.shape[1])
    assert content["training"]["data_sha256"] == file_sha256(files["parquet"])
    np.testing.assert_allclose(model.predict(X[:5]), memory.predict(X[:5]), rtol=1e-12)


def test_train_stream_csv_gives_the_in_memory_command_s_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: dict[str, Path]
) -> None:
    results = []
    for flag in ([], ["--stream"]):
        out = tmp_path / f"model{len(flag)}.json"
        argv = ["train", files["csv"], "--solver", "gd", "--lr", "0.05", "--out", out, "--json"]
        result = run(capsys, *argv, *flag)
        assert result.code == 0, result.err
        results.append(result.json())
    assert "streamed" not in results[0]
    assert results[1]["streamed"]["passes"] == 1
    for key in ("coef", "closed_form"):
        want = results[0][key]["coef"] if key == "closed_form" else results[0][key]
        got = results[1][key]["coef"] if key == "closed_form" else results[1][key]
        assert relative(np.array(got), np.array(want)) <= RTOL
    assert relative(results[1]["final_loss"], results[0]["final_loss"]) <= RTOL


def test_train_streamed_figures_come_from_a_sample(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: dict[str, Path]
) -> None:
    result = run(
        capsys,
        "train",
        files["parquet"],
        "--solver",
        "exact",
        "--out",
        tmp_path / "m.json",
        "--plots",
        tmp_path / "figures",
    )
    assert result.code == 0, result.err
    assert "figures drawn from a sample of" in result.out
    pngs = sorted((tmp_path / "figures").glob("*.png"))
    assert pngs
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in pngs)


def test_train_reports_a_bad_streamed_file_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, float("nan")], "y": [1.0, 2.0, 3.0]}), path)
    result = run(capsys, "train", path, "--solver", "gd", "--out", tmp_path / "m.json")
    assert_one_error_line(result, str(path), "column 'x' data row 3 has NaN")
    assert not (tmp_path / "m.json").exists()


def test_warnings_from_a_clean_stream_are_none(files: dict[str, Path]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_file(files["parquet"], LinearRegression(solver="exact"))


# -- Parquet: integers float64 cannot hold, corrupt files (issue 18) ----------------------
def test_parquet_integers_beyond_2_to_the_53_are_named(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "big.parquet"
    big = 2**53 + 1
    pq.write_table(pa.table({"x": pa.array([1, 2, big], pa.int64()), "y": [1.0, 2.0, 3.0]}), path)
    source = open_source(path)
    with pytest.raises(LinregError, match=rf"column 'x' data row 3 has the integer {big}, beyond"):
        list(source.batches())
    exact = tmp_path / "exact.parquet"
    pq.write_table(pa.table({"x": pa.array([1, -(2**53)], pa.int64()), "y": [1.0, 2.0]}), exact)
    batch = next(open_source(exact).batches())
    np.testing.assert_array_equal(batch.X[:, 0], [1.0, -(2.0**53)])


def test_a_corrupt_parquet_file_is_named(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "corrupt.parquet"
    rng = np.random.default_rng(4)
    pq.write_table(pa.table({"x": rng.normal(size=500), "y": rng.normal(size=500)}), path)
    raw = bytearray(path.read_bytes())
    raw[8:200] = bytes(range(192))  # the first data pages, not the footer
    path.write_bytes(bytes(raw))
    with pytest.raises(LinregError, match=r"corrupt\.parquet: not a valid Parquet file \(") as info:
        list(open_source(path).batches())
    assert "\n" not in str(info.value)
