"""Fuzzers of the data readers: mutated CSV and Parquet files, read in memory and streamed.

The contract, for every file: either the same result as a clean reference reading,
or one clear :class:`~linreg.LinregError` (one line, naming the file); never another
exception, a hang, or a change to the file. The in-memory and streamed CSV readers
must agree to the bit, or fail with the same message. The reference reading of a
CSV is an independent implementation of the documented rules
(:mod:`linreg.io.columns`) with Python's ``csv`` module and ``float``.

``LINREG_FUZZ=long`` (``make fuzz``) runs many more examples; outcomes are counted
with ``pytest --hypothesis-show-statistics``.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import fuzz_settings, tally
from linreg import LinregError
from linreg.io.columns import SNIFF_ROWS
from linreg.io.tables import read_table
from linreg.sources.batches import open_source

pytestmark = pytest.mark.fuzz

#: Cells that are not numbers, from the fuzzing campaign of issue 18.
BAD_TOKENS = [
    "1.2.3",
    '"1,000"',
    "1_000",
    "NA",
    "null",
    "0x1p3",
    " ",
    "",
    '"1\n2"',
    "1\x00",
    "nan",
    "-inf",
    "1e999",
    "abc",
    "١٢",
    "1e",
    "--1",
    "+",
]

_NUMBER = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan(?:\([0-9A-Za-z_]*\))?)",
    re.IGNORECASE,
)


# -- the reference reading: the documented rules, implemented independently --------------
class Unjudged(Exception):
    """The reference cannot read this file (Python's csv refuses it)."""


def reference(raw: bytes, textual: bool) -> tuple[str, Any]:
    """("read", result), ("error", None), or ("n/a", None) for bytes or an unjudged file."""
    if not textual:
        return "n/a", None
    try:
        result = reference_read(raw)
    except Unjudged:
        return "n/a", None
    return ("error", None) if result is None else ("read", result)


def _number(cell: str) -> float | None:
    trimmed = cell.strip(" \t")
    if not _NUMBER.fullmatch(trimmed):
        return None
    if trimmed.lstrip("+-").lower().startswith("nan"):
        return float("nan")
    return float(trimmed)


def reference_read(raw: bytes, target: str = "y") -> tuple[list[str], Any, Any] | None:
    """``(features, X, y)`` by the documented rules, or None where they say "error"."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    except csv.Error:  # Python 3.10's csv refuses NUL bytes: no reference then
        raise Unjudged from None
    if len(records) < 2:
        return None
    header = [c.strip() for c in records[0]]
    rows = records[1:]
    if "" in header or len(set(header)) < len(header) or target not in header:
        return None
    if any(len(r) != len(header) for r in rows):
        return None
    column = {c: [r[j] for r in rows] for j, c in enumerate(header)}
    numeric = [
        c
        for c in header
        if any(cell.strip(" \t") and _number(cell) is not None for cell in column[c][:SNIFF_ROWS])
    ]
    features = [c for c in numeric if c not in (target, "y_true")]
    if not features:
        return None
    used = [*features, target, *(["y_true"] if "y_true" in header else [])]
    values = {}
    for c in used:
        parsed = [_number(cell) for cell in column[c]]
        if any(v is None or not np.isfinite(v) for v in parsed):
            return None
        values[c] = np.array(parsed, dtype=np.float64)
    return features, np.column_stack([values[c] for c in features]), values[target]


# -- the files ----------------------------------------------------------------------------
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def cell_texts(draw: st.DrawFn) -> str:
    """A number written as people write them: repr, integer, exponent, padded, quoted."""
    value = draw(finite)
    form = draw(st.sampled_from(["repr", "int", "e", "pad", "quote", "plus"]))
    if form == "int":
        return str(draw(st.integers(-(10**6), 10**6)))
    if form == "e":
        return f"{value:.6e}"
    text = repr(value)
    if form == "pad":
        return f" {text}\t"
    if form == "quote":
        return f'"{text}"'
    if form == "plus" and not text.startswith("-"):
        return "+" + text
    return text


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A CSV (bytes) and whether its mutations kept it text that Python's csv reads alike."""
    d = draw(st.integers(1, 3))
    n = draw(st.integers(1, 12))
    header = [f"x{j + 1}" for j in range(d)] + ["y"]
    if draw(st.booleans()):
        header.insert(draw(st.integers(0, d)), "label")
    if draw(st.booleans()):
        header.append("y_true")
    rows = []
    for i in range(n):
        row = [draw(cell_texts()) for _ in header]
        if "label" in header:
            row[header.index("label")] = f"city{i}"
        rows.append(row)
    textual = True
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(
            st.sampled_from(
                ["bad cell", "longer row", "shorter row", "blank line", "quote", "bytes"]
            )
        )
        i = draw(st.integers(0, len(rows) - 1))
        if kind in ("bad cell", "quote") and not rows[i]:
            continue
        if kind == "bad cell":
            rows[i][draw(st.integers(0, len(rows[i]) - 1))] = draw(
                st.sampled_from(BAD_TOKENS) | st.text(max_size=4)
            )
        elif kind == "longer row":
            rows[i] = [*rows[i], draw(cell_texts())]
        elif kind == "shorter row" and len(rows[i]) > 1:
            rows[i] = rows[i][:-1]
        elif kind == "blank line":
            rows.insert(i, [])
        elif kind == "quote":
            j = draw(st.integers(0, len(rows[i]) - 1))
            rows[i][j] = '"' + rows[i][j]
        elif kind == "bytes":
            textual = False
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    text = bom + newline.join(",".join(r) for r in [header, *rows]) + newline
    raw = text.encode("utf-8")
    if not textual:
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(raw)))
            op = draw(st.sampled_from(["insert", "delete", "replace"]))
            junk = draw(st.binary(min_size=1, max_size=4))
            if op == "insert":
                raw = raw[:at] + junk + raw[at:]
            elif op == "delete":
                raw = raw[:at] + raw[at + len(junk) :]
            else:
                raw = raw[:at] + junk + raw[at + len(junk) :]
    return raw, textual


def _read(how: str, path: Path) -> tuple[str, Any]:
    """("ok", (features, X, y, warnings)) or ("error", message) of one reader."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if how == "memory":
                table = read_table(path)
                result = (table.feature_names, table.X, table.y)
            else:
                source = open_source(path, batch_bytes=64)
                batches = list(source.batches())
                X = np.concatenate([b.X for b in batches]) if batches else np.empty((0, 1))
                y = np.concatenate([b.y for b in batches]) if batches else np.empty(0)
                result = (source.feature_names, X, y)
        except LinregError as exc:
            message = str(exc)
            assert message.startswith(f"{path}: "), message
            assert "\n" not in message, message
            return "error", message
    return "ok", (*result, sorted(str(w.message) for w in caught))


@fuzz_settings(default=60, long=3000)
@given(case=csv_files())
def test_csv_readers_agree_with_each_other_and_the_reference(
    tmp_path: Path, case: tuple[bytes, bool]
) -> None:
    raw, textual = case
    path = tmp_path / "fuzz.csv"
    path.write_bytes(raw)
    memory = _read("memory", path)
    streamed = _read("streamed", path)
    assert path.read_bytes() == raw  # reading never changes a file
    assert memory[0] == streamed[0], (memory, streamed)
    if memory[0] == "error":
        assert memory[1] == streamed[1]
        tally("clean error")
        return
    names, X, y, caught = memory[1]
    assert streamed[1][0] == names
    assert np.array_equal(streamed[1][1], X)
    assert np.array_equal(streamed[1][2], y)
    assert streamed[1][3] == caught
    assert np.isfinite(X).all()
    assert np.isfinite(y).all()
    tally("success")
    verdict, expected = reference(raw, textual)
    if verdict != "n/a":
        assert verdict == "read", "read, but the rules say it is an error"
        assert expected[0] == names
        assert np.array_equal(expected[1], X)
        assert np.array_equal(expected[2], y)


@fuzz_settings(default=40, long=2000)
@given(case=csv_files())
def test_the_reference_errors_are_reader_errors(tmp_path: Path, case: tuple[bytes, bool]) -> None:
    """Where the documented rules say "error", the reader says so too (no silent reading)."""
    raw, textual = case
    verdict, _ = reference(raw, textual)
    path = tmp_path / "fuzz.csv"
    path.write_bytes(raw)
    outcome = _read("memory", path)
    if verdict == "error":
        assert outcome[0] == "error", outcome
    tally(f"{outcome[0]} (the rules say {verdict})")


# -- Parquet ------------------------------------------------------------------------------
INT_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint32(), pa.uint64()]


@st.composite
def parquet_columns(draw: st.DrawFn, n: int) -> tuple[pa.DataType, list[Any]]:
    kind = draw(st.sampled_from(["int", "float32", "float64", "decimal", "string", "bool"]))
    nulls = draw(st.booleans()) and draw(st.booleans())

    def maybe(value: Any) -> Any:
        return None if nulls and draw(st.integers(0, 4)) == 0 else value

    if kind == "int":
        t = draw(st.sampled_from(INT_TYPES))
        lo = 0 if pa.types.is_unsigned_integer(t) else -(2 ** (t.bit_width - 1))
        hi = 2 ** (t.bit_width - (0 if pa.types.is_unsigned_integer(t) else 1)) - 1
        return t, [maybe(draw(st.integers(lo, hi))) for _ in range(n)]
    if kind == "float32":
        values = st.floats(width=32, allow_nan=draw(st.booleans()))
        return pa.float32(), [maybe(draw(values)) for _ in range(n)]
    if kind == "float64":
        values = st.floats(allow_nan=draw(st.booleans()), allow_infinity=draw(st.booleans()))
        return pa.float64(), [maybe(draw(values)) for _ in range(n)]
    if kind == "decimal":
        values = st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False)
        return pa.decimal128(12, 3), [maybe(draw(values)) for _ in range(n)]
    if kind == "string":
        return pa.string(), [maybe(draw(st.text(max_size=3))) for _ in range(n)]
    return pa.bool_(), [maybe(draw(st.booleans())) for _ in range(n)]


@st.composite
def parquet_tables(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(1, 20))
    names = [f"c{j}" for j in range(draw(st.integers(1, 4)))] + ["y"]
    arrays = []
    for _ in names:
        t, values = draw(parquet_columns(n))
        arrays.append(pa.array(values, type=t))
    return pa.table(dict(zip(names, arrays, strict=True)))


def _expected_parquet(table: pa.Table) -> tuple[list[str], Any, Any] | None:
    """The documented rules on an Arrow table: numeric by type, every cell a finite number."""

    def numeric(t: pa.DataType) -> bool:
        return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))

    if not numeric(table.schema.field("y").type):
        return None
    features = [f.name for f in table.schema if f.name != "y" and numeric(f.type)]
    if not features:
        return None
    out = []
    for c in [*features, "y"]:
        values = table.column(c).to_pylist()
        if any(v is None for v in values):
            return None
        if pa.types.is_integer(table.schema.field(c).type) and any(abs(v) > 2**53 for v in values):
            return None
        floats = np.array([float(v) for v in values], dtype=np.float64)
        if not np.isfinite(floats).all():
            return None
        out.append(floats)
    return features, np.column_stack(out[:-1]), out[-1]


def _stream(path: Path) -> tuple[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            source = open_source(path, batch_bytes=64)
            batches = list(source.batches())
        except LinregError as exc:
            message = str(exc)
            assert message.startswith(f"{path}: "), message
            assert "\n" not in message, message
            return "error", message
    X = np.concatenate([b.X for b in batches]) if batches else np.empty((0, 0))
    y = np.concatenate([b.y for b in batches]) if batches else np.empty(0)
    return "ok", (source.feature_names, X, y)


@fuzz_settings(default=40, long=2000)
@given(table=parquet_tables())
def test_parquet_of_odd_types_reads_as_the_rules_say(tmp_path: Path, table: pa.Table) -> None:
    path = tmp_path / "fuzz.parquet"
    pq.write_table(table, path)
    expected = _expected_parquet(table)
    outcome = _stream(path)
    if expected is None:
        assert outcome[0] == "error", outcome
        tally("clean error")
        return
    assert outcome[0] == "ok", (outcome, table.schema)
    names, X, y = outcome[1]
    assert names == expected[0]
    decimals = [j for j, c in enumerate(names) if pa.types.is_decimal(table.schema.field(c).type)]
    exact = [j for j in range(len(names)) if j not in decimals]
    assert np.array_equal(X[:, exact], expected[1][:, exact])
    np.testing.assert_allclose(X[:, decimals], expected[1][:, decimals], rtol=1e-15)
    if not pa.types.is_decimal(table.schema.field("y").type):
        assert np.array_equal(y, expected[2])
    tally("success")


@pytest.fixture(scope="module")
def parquet_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    rng = np.random.default_rng(18)
    path = tmp_path_factory.mktemp("pq") / "valid.parquet"
    X = rng.normal(size=(300, 3))
    table = pa.table({"x1": X[:, 0], "x2": X[:, 1], "n": np.arange(300), "y": X[:, 2]})
    pq.write_table(table, path, row_group_size=100)
    return path.read_bytes()


@fuzz_settings(default=60, long=3000)
@given(data=st.data())
def test_mutated_parquet_bytes_read_or_fail_cleanly(
    tmp_path: Path, parquet_bytes: bytes, data: st.DataObject
) -> None:
    raw = parquet_bytes
    for _ in range(data.draw(st.integers(1, 4))):
        if not raw:
            break
        op = data.draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, len(raw) - 1))
        junk = data.draw(st.binary(min_size=1, max_size=8))
        if op == "replace":
            raw = raw[:at] + junk + raw[at + len(junk) :]
        elif op == "insert":
            raw = raw[:at] + junk + raw[at:]
        elif op == "delete":
            raw = raw[:at] + raw[at + len(junk) :]
        else:
            raw = raw[:at]
    path = tmp_path / "mutated.parquet"
    path.write_bytes(raw)
    outcome = _stream(path)
    assert path.read_bytes() == raw
    if outcome[0] == "ok":
        names, X, y = outcome[1]
        assert np.isfinite(X).all()
        assert np.isfinite(y).all()
        assert X.shape == (y.shape[0], len(names))
    tally("success" if outcome[0] == "ok" else "clean error")


# -- the rule of a number -----------------------------------------------------------------
@fuzz_settings(default=200, long=20_000)
@given(
    cell=st.text(alphabet=st.sampled_from(list("0123456789+-.eEinfatyINFATY_x, \t()")), max_size=12)
)
def test_the_number_pattern_is_what_arrow_parses(cell: str) -> None:
    """The sniffing pattern and Arrow's float parser (with trimming) agree on every cell."""
    from linreg.io.csvreader import NUMBER_PATTERN, parses_as_number

    parsed = parses_as_number(pa.array([cell], type=pa.string()))
    matched = re.match(NUMBER_PATTERN, cell.strip(" \t")) is not None
    assert (parsed is not None) == matched, cell
    assert (_number(cell) is not None) == matched, cell
    if parsed is not None and cell.strip(" \t"):
        value = parsed.to_pylist()[0]
        expected = _number(cell)
        assert expected is not None
        assert (np.isnan(value) and np.isnan(expected)) or value == expected


# -- the command line: a few examples through `linreg train` ------------------------------
@fuzz_settings(default=6, long=200)
@given(cell=st.sampled_from(BAD_TOKENS[:10]), stream=st.booleans())
def test_train_names_a_bad_cell_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: str, stream: bool
) -> None:
    from cli_helpers import assert_one_error_line, run

    path = tmp_path / "onebad.csv"
    path.write_text(f"x1,x2,y\n1,1,6\n2,1,9\n{cell},4,17\n6,6,32\n", encoding="utf-8")
    out = tmp_path / "model.json"
    args = ["train", path, "--solver", "exact", "--out", out, *(["--stream"] if stream else [])]
    result = run(capsys, *args)
    assert_one_error_line(result, f"{path}: column 'x1' line 4 has ")
    assert not out.exists()
    tally("clean error")
