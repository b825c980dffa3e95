"""CSV reading, atomic writes and CSV writing (``linreg.io.tables``) on files built here."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linreg import DataWarning, LinregError, make_regression
from linreg.io.tables import (
    atomic_write,
    file_sha256,
    read_table,
    write_dataset_csv,
    write_frame_csv,
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    """Temporary files atomic_write would leave behind (``.NAME.*.tmp``)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- read_table: choosing the columns --------------------------------------------------------
def test_default_features_are_every_numeric_column_but_target_and_y_true(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "x1,y,x2,y_true\n1,10,4,9.5\n2,20,5,19.5\n3,30,7,29.5\n")
    table = read_table(path)
    assert table.feature_names == ["x1", "x2"]
    np.testing.assert_array_equal(table.X, [[1, 4], [2, 5], [3, 7]])
    np.testing.assert_array_equal(table.y, [10, 20, 30])
    np.testing.assert_array_equal(table.y_true, [9.5, 19.5, 29.5])
    assert table.target_name == "y"
    assert table.path == path
    assert list(table.frame.columns) == ["x1", "x2"]


def test_named_features_are_taken_in_the_order_given(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "a,b,c,price\n1,2,3,4\n5,6,7,8\n")
    table = read_table(path, target="price", features=["c", "a"])
    assert table.feature_names == ["c", "a"]
    np.testing.assert_array_equal(table.X, [[3, 1], [7, 5]])
    np.testing.assert_array_equal(table.y, [4, 8])
    assert table.target_name == "price"
    assert table.y_true is None


def test_a_text_column_is_ignored_with_a_data_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "city,X,y\nOslo,1,2\nRome,2,4\nLima,3,6\n")
    with pytest.warns(DataWarning, match=r"ignoring non-numeric column\(s\) 'city'"):
        table = read_table(path)
    assert table.feature_names == ["X"]
    np.testing.assert_array_equal(table.X[:, 0], [1, 2, 3])


def test_a_named_text_feature_is_an_error_not_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "city,X,y\nOslo,1,2\nRome,2,4\n")
    with pytest.raises(LinregError, match=r"column 'city' line 2 has the non-numeric value 'Oslo'"):
        read_table(path, features=["city", "X"])


def test_without_a_target_column_prediction_input_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path / "new.csv", "X\n1.5\n2.5\n")
    table = read_table(path, require_target=False)
    assert table.y is None
    np.testing.assert_array_equal(table.X[:, 0], [1.5, 2.5])


def test_spaces_around_cells_and_names_are_tolerated(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", " X , y \n 1 , 2 \n3,  4\n")
    table = read_table(path)
    assert table.feature_names == ["X"]
    np.testing.assert_array_equal(table.X[:, 0], [1, 3])
    np.testing.assert_array_equal(table.y, [2, 4])


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbfX,y\r\n1,2\r\n2,4.5\r\n",
        b'"X","y"\n"1","2"\n"2","4.5"\n',
        b"X,y\n1,2\n2,4.5\n\n\n",
    ],
    ids=["Excel BOM and CRLF", "quoted cells", "trailing blank lines"],
)
def test_common_csv_dialects_read_the_same(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(raw)
    table = read_table(path)
    assert table.feature_names == ["X"]
    np.testing.assert_array_equal(table.X[:, 0], [1.0, 2.0])
    np.testing.assert_array_equal(table.y, [2.0, 4.5])


# -- read_table: every bad file names the file and what is wrong ----------------------------
BAD_FILES = {
    "empty": ("", {}, r"the file is empty"),
    "header only": ("X,y\n", {}, r"has a header but no data rows"),
    "non-numeric cell": (
        "X,y\n1,2\n2,abc\n",
        {},
        r"column 'y' line 3 has the non-numeric value 'abc'",
    ),
    "empty cell": ("X,y\n1,2\n,4\n", {}, r"column 'X' line 3 has an empty cell"),
    "NaN": ("X,y\n1,2\nnan,4\n", {}, r"column 'X' line 3 has NaN"),
    "infinity": ("X,y\n1,2\n2,inf\n", {}, r"column 'y' line 3 has an infinite value"),
    "minus infinity": ("X,y\n-inf,2\n2,3\n", {}, r"column 'X' line 2 has an infinite value"),
    "overflow to infinity": ("X,y\n1,1e999\n2,3\n", {}, r"column 'y' line 2 has an infinite"),
    "missing target": ("a,b\n1,2\n3,4\n", {}, r"no target column 'y' \(columns: a, b\)"),
    "missing named feature": ("X,y\n1,2\n", {"features": ["X", "z"]}, r"no feature column"),
    "target named as feature": ("X,y\n1,2\n", {"features": ["X", "y"]}, r"cannot also be a"),
    "no feature": ("y\n1\n2\n", {}, r"no numeric feature columns besides the target 'y'"),
    "duplicate after trimming": ("X ,X,y\n1,2,3\n", {}, r"\['X'\] appear more than once"),
    "ragged row": ("X,y\n1,2\n3,4,5,6\n", {}, r"not a valid CSV file"),
}


@pytest.mark.parametrize(("text", "kwargs", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_files_raise_one_line_naming_the_file(
    tmp_path: Path, text: str, kwargs: dict[str, list[str]], message: str
) -> None:
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(LinregError, match=message) as info:
        read_table(path, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(f"{path}: ")
    assert "\n" not in str(info.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(LinregError, match=r"nowhere\.csv: file not found"):
        read_table(path)


def test_a_folder_is_not_a_csv(tmp_path: Path) -> None:
    with pytest.raises(LinregError, match=r"is a folder, not a CSV file"):
        read_table(tmp_path)


def test_a_binary_file_is_not_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"X,y\n\xff\xfe\x00\x81,2\n")
    with pytest.raises(LinregError, match=r"image\.csv: not a text CSV file"):
        read_table(path)


def test_the_line_number_counts_blank_lines(tmp_path: Path) -> None:
    # Line 1 header, line 2 data, line 3 blank, line 4 the bad cell.
    path = write(tmp_path / "gap.csv", "X,y\n1,2\n\n3,abc\n")
    with pytest.raises(LinregError, match=r"column 'y' line 4 "):
        read_table(path)


def test_an_exactly_repeated_column_name_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "dup.csv", "X,X,y\n1,2,3\n4,5,6\n")
    with pytest.raises(LinregError, match=r"\['X'\] appear more than once"):
        read_table(path)


# -- atomic_write ----------------------------------------------------------------------------
class WriterFailed(RuntimeError):
    pass


def write_then_fail(target: Path, error: BaseException) -> None:
    """Start writing ``target`` atomically, then fail halfway through."""
    with atomic_write(target) as handle:
        handle.write('{"half": ')
        handle.flush()
        raise error


def test_atomic_write_replaces_the_file_when_complete(tmp_path: Path) -> None:
    target = write(tmp_path / "out.txt", "old\n")
    with atomic_write(target) as handle:
        handle.write("new ")
        # Until the block ends, the old content is what a reader sees.
        assert target.read_text(encoding="utf-8") == "old\n"
        handle.write("content\n")
    assert target.read_text(encoding="utf-8") == "new content\n"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [WriterFailed("disk full"), KeyboardInterrupt()])
def test_atomic_write_keeps_the_old_file_when_the_writer_raises_midway(
    tmp_path: Path, error: BaseException
) -> None:
    target = write(tmp_path / "model.json", '{"keep": "me"}\n')
    before = target.read_bytes()
    with pytest.raises(type(error)):
        write_then_fail(target, error)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_atomic_write_creates_nothing_when_the_writer_raises(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "new.csv"
    with pytest.raises(WriterFailed, match="midway"):
        write_then_fail(target, WriterFailed("midway"))
    assert not target.exists()
    assert leftovers(target.parent) == []


def test_atomic_write_makes_parent_folders_and_writes_bytes(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "blob.bin"
    payload = bytes(range(256))
    with atomic_write(target, "wb") as handle:
        handle.write(payload)
    assert target.read_bytes() == payload


def test_atomic_write_writes_utf8_text(tmp_path: Path) -> None:
    target = tmp_path / "greek.txt"
    with atomic_write(target) as handle:
        handle.write("η_max ≈ 0.028\n")
    assert target.read_bytes() == "η_max ≈ 0.028\n".encode()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_atomic_write_gives_new_files_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "shared.csv") as handle:
            handle.write("X,y\n")
        (tmp_path / "plain.csv").write_text("X,y\n", encoding="utf-8")
    finally:
        os.umask(umask)
    mode = stat.S_IMODE((tmp_path / "shared.csv").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.csv").stat().st_mode) == 0o644


def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    content = b"X,y\n1,2\n" * 100_000  # more than one read block
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    assert file_sha256(path) == hashlib.sha256(content).hexdigest()


# -- writing CSV files -----------------------------------------------------------------------
def test_dataset_round_trip_is_bit_exact(tmp_path: Path) -> None:
    data = make_regression(n_samples=300, n_features=3, weights=[1e-9, -2.5, 7e12], seed=4)
    path = tmp_path / "data.csv"
    write_dataset_csv(path, data)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "x1,x2,x3,y,y_true"
    table = read_table(path)
    assert table.feature_names == data.feature_names
    assert table.X.tobytes() == np.ascontiguousarray(data.X).tobytes()
    assert table.y is not None
    assert table.y_true is not None
    assert table.y.tobytes() == data.y.tobytes()
    assert data.y_true is not None
    assert table.y_true.tobytes() == data.y_true.tobytes()
    assert leftovers(tmp_path) == []


def test_one_feature_is_written_as_column_x(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    write_dataset_csv(path, make_regression(n_samples=5))
    assert path.read_text(encoding="utf-8").splitlines()[0] == "X,y,y_true"


finite = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(st.tuples(finite, finite), min_size=1, max_size=20))
def test_any_finite_float_survives_a_round_trip(
    tmp_path: Path, values: list[tuple[float, float]]
) -> None:
    frame = pd.DataFrame(values, columns=["X", "y"], dtype=np.float64)
    path = tmp_path / "floats.csv"
    write_frame_csv(path, frame)
    table = read_table(path)
    expected = frame.to_numpy()
    assert table.X[:, 0].tobytes() == np.ascontiguousarray(expected[:, 0]).tobytes()
    assert table.y is not None
    assert table.y.tobytes() == np.ascontiguousarray(expected[:, 1]).tobytes()


# -- one rule for every reader (issue 18) ----------------------------------------------------
ONE_BAD = "x1,x2,y\n1,1,6\n2,1,9\n3,2,14\n4,5,23\n5,3,20\n{cell},4,17\n6,6,32\n"

BAD_CELLS = {
    "two points": ("1.2.3", "the non-numeric value '1.2.3'"),
    "thousands separator": ('"1,000"', "the non-numeric value '1,000'"),
    "underscore": ("1_000", "the non-numeric value '1_000'"),
    "NA": ("NA", "the non-numeric value 'NA'"),
    "null": ("null", "the non-numeric value 'null'"),
    "hex float": ("0x1p3", "the non-numeric value '0x1p3'"),
    "whitespace": (" ", "a blank cell ' '"),
    "quoted newline": ('"1\n2"', "the non-numeric value '1\\n2'"),
    "NUL byte": ("1\x00", "the non-numeric value '1\\x00'"),
    "empty": ("", "an empty cell"),
}


def _streamed(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    from linreg.sources.batches import open_source

    source = open_source(path, batch_bytes=64)
    batches = list(source.batches())
    return (
        source.feature_names,
        np.concatenate([b.X for b in batches]),
        np.concatenate([b.y for b in batches]),
    )


@pytest.mark.parametrize(("cell", "what"), BAD_CELLS.values(), ids=BAD_CELLS.keys())
def test_a_bad_cell_is_the_same_error_in_memory_and_streamed(
    tmp_path: Path, cell: str, what: str
) -> None:
    """Issue 18: the streamed reader dropped the column x1; both must name the cell."""
    path = write(tmp_path / "onebad.csv", ONE_BAD.format(cell=cell))
    line = 7
    message = f"{path}: column 'x1' line {line} has {what}; fix or remove that row"
    with pytest.raises(LinregError) as memory:
        read_table(path)
    with pytest.raises(LinregError) as streamed:
        _streamed(path)
    assert str(memory.value).startswith(message)
    assert str(streamed.value) == str(memory.value)


def test_a_clean_file_reads_to_the_same_bits_in_memory_and_streamed(tmp_path: Path) -> None:
    rng = np.random.default_rng(18)
    X = rng.normal(size=(3_000, 3)) * 10.0 ** rng.integers(-300, 300, size=(3_000, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=X.sum(axis=1))
    path = tmp_path / "round.csv"
    write_frame_csv(path, frame)
    table = read_table(path)
    np.testing.assert_array_equal(table.X, X)  # a round trip to the last bit (§6)
    names, Xs, ys = _streamed(path)
    assert names == table.feature_names == ["a", "b", "c"]
    np.testing.assert_array_equal(Xs, table.X)
    np.testing.assert_array_equal(ys, table.y)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2,3\n4,5,6\n7,8,10\n", r"line 2 has 3 field\(s\) but the header has 2"),
        ("x,y\n1,2\n4,5\n7\n", r"line 4 has 1 field\(s\) but the header has 2"),
        ('x1, "a,b",y\n1,2,3\n2,3,5\n', r"line 2 has 3 field\(s\) but the header has 4"),
        ("x,,y\n1,2,3\n", r"column 2 of the header has no name"),
    ],
    ids=["row longer than the header", "row shorter", "header split by quotes", "unnamed"],
)
def test_rows_must_match_the_header_in_both_readers(
    tmp_path: Path, text: str, message: str
) -> None:
    """pandas took a longer row's first field as the index: a shifted table, exit 0."""
    path = write(tmp_path / "ragged.csv", text)
    with pytest.raises(LinregError, match=message) as memory:
        read_table(path)
    with pytest.raises(LinregError) as streamed:
        _streamed(path)
    assert str(streamed.value) == str(memory.value)
    assert str(memory.value).startswith(f"{path}: ")


def test_a_header_field_longer_than_pythons_csv_limit_is_read(tmp_path: Path) -> None:
    name = "a" * 140_000
    path = write(tmp_path / "long.csv", f"{name},y\n1,2\n2,4.5\n")
    assert read_table(path).feature_names == [name]
    assert _streamed(path)[0] == [name]


def test_blank_lines_before_the_header_are_skipped_and_lines_still_counted(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "gap.csv", "\n\nX,y\n1,2\n\n3,abc\n")
    with pytest.raises(LinregError, match=r"column 'y' line 6 has the non-numeric value 'abc'"):
        read_table(path)


def test_too_many_columns_are_refused_naming_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linreg.io.columns import DEFAULT_MAX_COLUMNS, MAX_COLUMNS_ENV

    d = DEFAULT_MAX_COLUMNS + 1
    header = ",".join(f"x{j}" for j in range(d)) + ",y"
    path = write(tmp_path / "wide.csv", f"{header}\n" + ",".join(["1"] * (d + 1)) + "\n")
    message = rf"has {d + 1} columns, more than the limit of {DEFAULT_MAX_COLUMNS}; set the"
    with pytest.raises(LinregError, match=message):
        read_table(path)
    with pytest.raises(LinregError, match=message):
        _streamed(path)
    monkeypatch.setenv(MAX_COLUMNS_ENV, str(d + 1))
    assert read_table(path).X.shape == (1, d)
    monkeypatch.setenv(MAX_COLUMNS_ENV, "many")
    with pytest.raises(LinregError, match=rf"{MAX_COLUMNS_ENV}='many' is not a positive"):
        read_table(path)


def test_wide_files_are_handled_in_linear_time(tmp_path: Path) -> None:
    """30,000 columns took 42 s (quadratic duplicate checks); 9,999 now take well under 10 s."""
    import time

    d = 9_999
    header = ",".join(f"x{j}" for j in range(d)) + ",y"
    rows = "\n".join(",".join([str(i)] * (d + 1)) for i in range(1, 3))
    path = write(tmp_path / "wide.csv", f"{header}\n{rows}\n")
    began = time.perf_counter()
    table = read_table(path, features=None)
    assert table.X.shape == (2, d)
    assert time.perf_counter() - began < 10.0


def test_a_repeated_feature_name_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", "a,b,y\n1,2,3\n4,5,6\n")
    with pytest.raises(LinregError, match=r"feature\(s\) \['a'\] are named more than once"):
        read_table(path, features=["a", "a"])


def test_a_text_column_is_judged_on_the_first_rows_only(tmp_path: Path) -> None:
    """A column is numeric when any of its first 1,000 cells is a number: then every
    later cell must be one too; a column of text in those rows is left out (warned)."""
    from linreg.io.columns import SNIFF_ROWS

    rows = [f"t{i},{i},{2 * i}" for i in range(SNIFF_ROWS)] + ["5,7,14"]
    path = write(tmp_path / "late.csv", "label,x,y\n" + "\n".join(rows) + "\n")
    with pytest.warns(DataWarning, match="ignoring non-numeric column"):
        table = read_table(path)
    assert table.feature_names == ["x"]
    with pytest.warns(DataWarning, match="ignoring non-numeric column"):
        assert _streamed(path)[0] == ["x"]
    rows = ["1,1,2", *[f"t{i},{i},{2 * i}" for i in range(3)]]
    path = write(tmp_path / "early.csv", "label,x,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(LinregError, match=r"column 'label' line 3 has the non-numeric value 't0'"):
        read_table(path)


@settings(max_examples=50, deadline=None)
@given(
    cells=st.lists(
        st.sampled_from(["1", " 2.5 ", "-3e4", "nan", "x", "", "1,0", "\t7\t", "0x1"]),
        min_size=1,
        max_size=40,
    )
)
def test_the_first_bad_cell_is_found_by_bisection(cells: list[str]) -> None:
    """``first_bad_cell`` names the first cell that alone does not parse; all parse: None."""
    import pyarrow as pa

    from linreg.io.csvreader import first_bad_cell, parses_as_number

    array = pa.array(cells, type=pa.string())
    alone = [parses_as_number(pa.array([c], type=pa.string())) is not None for c in cells]
    parsed = parses_as_number(array)
    assert (parsed is not None) == all(alone)
    if parsed is None:
        assert first_bad_cell(array) == alone.index(False)
