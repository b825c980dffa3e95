"""Files as people keep them: CSV dialects, Parquet (with a saved pandas index) and Excel.

The same data written by pandas in every format must give every command the same
numbers as the plain CSV: bit for bit where the format keeps the bits (CSV in any
dialect, Parquet), to 1e-15 for Excel (whose writer keeps 16 digits). The oracles:
the plain CSV read by the one CSV reader, pandas' own writers and readers, and
statsmodels' OLS on the index-free frame.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cli_helpers import Result, assert_one_error_line, run
from linreg import DataWarning, LinregError
from linreg.io.dialect import Dialect, parse_delimiter, resolve_dialect
from linreg.io.parquet import pandas_index_columns
from linreg.io.tables import read_columns, read_table
from linreg.sources.batches import open_source, preview

N_ROWS = 40


def frame(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "id": [f"r{i:02d}" for i in range(N_ROWS)],
            "x1": rng.normal(size=N_ROWS),
            "x2": rng.normal(scale=3.0, size=N_ROWS),
        }
    )
    data["y"] = 0.5 + 2.0 * data["x1"] - 0.75 * data["x2"] + rng.normal(scale=0.3, size=N_ROWS)
    return data


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same data in every format; ``plain.csv`` is the reference."""
    folder = tmp_path_factory.mktemp("formats")
    data = frame()
    paths = {
        name: folder / name
        for name in (
            "plain.csv",
            "euro.csv",
            "tab.tsv",
            "plain.parquet",
            "indexed.parquet",
            "named.parquet",
            "book.xlsx",
            "labelled.xlsx",
        )
    }
    data.to_csv(paths["plain.csv"], index=False)
    data.to_csv(paths["euro.csv"], index=False, sep=";", decimal=",")
    data.to_csv(paths["tab.tsv"], index=False, sep="\t")
    data.to_parquet(paths["plain.parquet"], index=False)
    # A filtered, reordered DataFrame: its index (3, 10, 17, ...) is saved with it.
    data.set_axis(np.arange(N_ROWS) * 7 + 3).to_parquet(paths["indexed.parquet"])
    data.set_index("id").to_parquet(paths["named.parquet"])
    data.to_excel(paths["book.xlsx"], index=False)
    data.to_excel(paths["labelled.xlsx"])  # pandas' default: the index as a first column
    return paths


@pytest.fixture(scope="module")
def model(files: dict[str, Path]) -> Path:
    out = files["plain.csv"].parent / "model.json"
    result = cli(None, "train", files["plain.csv"], "--solver", "exact", "--out", out, "--json")
    assert result.code == 0, result.err
    return out


def cli(capsys: pytest.CaptureFixture[str] | None, *argv: str | Path) -> Result:
    if capsys is not None:
        return run(capsys, *argv)
    from cli_helpers import run_quietly

    return run_quietly(*argv)


def quietly_read(path: Path, **options: Any) -> Any:
    """read_table without the expected warnings (the text column, a detected dialect)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return read_table(path, **options)


# -- every format reads to the same numbers ----------------------------------------------------
@pytest.mark.parametrize(
    ("name", "exact"),
    [
        ("euro.csv", True),
        ("tab.tsv", True),
        ("plain.parquet", True),
        ("indexed.parquet", True),
        ("named.parquet", True),
        ("book.xlsx", False),
        ("labelled.xlsx", False),
    ],
)
def test_every_format_reads_to_the_plain_csv_numbers(
    files: dict[str, Path], name: str, exact: bool
) -> None:
    reference = quietly_read(files["plain.csv"])
    table = quietly_read(files[name])
    assert table.feature_names == ["x1", "x2"]
    rtol = 0.0 if exact else 1e-15
    np.testing.assert_allclose(table.X, reference.X, rtol=rtol, atol=0)
    np.testing.assert_allclose(table.y, reference.y, rtol=rtol, atol=0)
    np.testing.assert_array_equal(reference.X, frame()[["x1", "x2"]].to_numpy())


# -- the saved pandas index is never a feature -------------------------------------------------
def test_the_saved_index_is_found_in_the_pandas_metadata(files: dict[str, Path]) -> None:
    import pyarrow.parquet as pq

    assert pandas_index_columns(pq.read_schema(files["indexed.parquet"])) == ["__index_level_0__"]
    assert pandas_index_columns(pq.read_schema(files["named.parquet"])) == ["id"]
    assert pandas_index_columns(pq.read_schema(files["plain.parquet"])) == []


@pytest.mark.parametrize("name", ["indexed.parquet", "named.parquet"])
def test_train_on_an_indexed_parquet_fits_the_index_free_coefficients(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], name: str
) -> None:
    import statsmodels.api as sm

    data = frame()
    ols = sm.OLS(data["y"], sm.add_constant(data[["x1", "x2"]])).fit()
    out = files[name].parent / f"{name}.json"
    result = run(capsys, "train", files[name], "--solver", "exact", "--out", out, "--json")
    assert result.code == 0, result.err
    fitted = result.json()
    assert fitted["feature_names"] == ["x1", "x2"]
    np.testing.assert_allclose(fitted["coef"], ols.params[["x1", "x2"]], rtol=1e-12)
    np.testing.assert_allclose(fitted["intercept"], ols.params["const"], rtol=1e-12)


def test_the_streamed_reader_leaves_the_index_out_too(files: dict[str, Path]) -> None:
    with pytest.warns(DataWarning, match="ignoring non-numeric column"):  # 'id', not the index
        source = open_source(files["indexed.parquet"])
    assert source.feature_names == ["x1", "x2"]
    X = np.concatenate([b.X for b in source.batches()])
    np.testing.assert_array_equal(X, frame()[["x1", "x2"]].to_numpy())


def test_an_index_named_by_the_user_is_read(files: dict[str, Path]) -> None:
    # Asked for by name it is a column like any other (and here changes the fit).
    table = read_table(files["indexed.parquet"], features=["__index_level_0__", "x1"])
    np.testing.assert_array_equal(table.X[:, 0], np.arange(N_ROWS) * 7 + 3)
    streamed = preview(files["indexed.parquet"], features=["__index_level_0__", "x1"])
    np.testing.assert_array_equal(streamed.X, table.X)


# -- every command reads every format ----------------------------------------------------------
FORMATS = ["plain.csv", "euro.csv", "tab.tsv", "plain.parquet", "indexed.parquet", "book.xlsx"]


def command_argv(command: str, data: Path, model: Path, out: Path) -> list[str | Path]:
    return {
        "train": ["train", data, "--solver", "exact", "--out", out / "m.json", "--json"],
        "gradcheck": ["gradcheck", data, "--json"],
        "evaluate": ["evaluate", model, data, "--json"],
        "predict": ["predict", model, data, "--json"],
        "summary": ["summary", data, "--json"],
        "report": ["report", model, data, "--out", out / "r.html", "--no-animation", "--json"],
        "sweep": ["sweep", data, "--lrs", "0.01,0.1", "--epochs", "20", "--json"],
        "scaling": ["scaling", data, "--epochs", "5", "--json"],
        "compare-optimizers": ["compare-optimizers", data, "--epochs", "3", "--json"],
    }[command]


COMMANDS = [
    "train",
    "gradcheck",
    "evaluate",
    "predict",
    "summary",
    "report",
    "sweep",
    "scaling",
    "compare-optimizers",
]


def numbers(payload: Any) -> list[float]:
    """Every number of a JSON result, in order (the paths and names left out)."""
    if isinstance(payload, dict):
        return [v for key in sorted(payload) for v in numbers(payload[key])]
    if isinstance(payload, list):
        return [v for item in payload for v in numbers(item)]
    if isinstance(payload, (int, float)) and not isinstance(payload, bool):
        return [float(payload)]
    return []


@pytest.fixture(scope="module")
def reference_results(files: dict[str, Path], model: Path) -> dict[str, list[float]]:
    results = {}
    for command in COMMANDS:
        out = files["plain.csv"].parent / f"ref-{command}"
        out.mkdir(exist_ok=True)
        result = cli(None, *command_argv(command, files["plain.csv"], model, out))
        assert result.code == 0, (command, result.err)
        results[command] = numbers(comparable(command, result.json()))
    return results


def comparable(command: str, payload: Any) -> Any:
    """The numbers of a result that must not depend on the file's format.

    ``train`` streams a Parquet file (and then reports its passes too): its fit is
    compared; a gradient check's relative errors are rounding noise, only its verdict.
    """
    if command == "train":
        return {"coef": payload["coef"], "intercept": payload["intercept"]}
    if command == "gradcheck":
        return {"passed": float(payload["passed"])}
    return drop_sizes(payload)


def drop_sizes(payload: Any) -> Any:
    """A result less what depends on the file's bytes, not its numbers (sizes, hashes)."""
    if isinstance(payload, dict):
        return {
            k: drop_sizes(v)
            for k, v in payload.items()
            if k not in ("size_bytes", "bytes", "sha256", "figures")
        }
    if isinstance(payload, list):
        return [drop_sizes(v) for v in payload]
    return payload


#: A report takes seconds: on one file of each kind.
CASES = [
    (command, name)
    for command in COMMANDS
    for name in FORMATS[1:]
    if command != "report" or name in ("euro.csv", "plain.parquet", "book.xlsx")
]


@pytest.mark.parametrize(("command", "name"), CASES)
def test_every_command_gives_the_plain_csv_numbers(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, Path],
    model: Path,
    reference_results: dict[str, list[float]],
    command: str,
    name: str,
) -> None:
    result = run(capsys, *command_argv(command, files[name], model, tmp_path))
    assert result.code == 0, result.err
    assert "not a text CSV" not in result.err
    got = numbers(comparable(command, result.json()))
    expected = reference_results[command]
    assert len(got) == len(expected)
    if name.endswith(".xlsx"):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    else:
        assert got == expected


# -- CSV dialects ------------------------------------------------------------------------------
def test_a_detected_dialect_is_announced_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    out = tmp_path / "m.json"
    result = run(capsys, "train", files["euro.csv"], "--solver", "exact", "--out", out)
    assert result.code == 0, result.err
    announced = [line for line in result.err.splitlines() if "detected" in line]
    assert announced == [
        f"linreg: warning: {files['euro.csv']}: read as ';'-separated, ',' decimal mark "
        "(detected; give --delimiter ';' --decimal ',' to say so)"
    ]


def test_a_dialect_given_is_not_announced_and_fits_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    fits = []
    for data, options in [
        (files["plain.csv"], []),
        (files["euro.csv"], ["--delimiter", ";", "--decimal", ","]),
        (files["tab.tsv"], ["--delimiter", "tab"]),
    ]:
        out = tmp_path / f"{data.name}.json"
        result = run(capsys, "train", data, *options, "--solver", "exact", "--out", out, "--json")
        assert result.code == 0, result.err
        assert "detected" not in result.err
        fits.append((result.json()["coef"], result.json()["intercept"]))
    assert fits[0] == fits[1] == fits[2]


def test_a_streamed_fit_reads_the_dialect_as_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    coefs = []
    for extra in ([], ["--stream"]):
        out = tmp_path / f"m{len(extra)}.json"
        argv = ["train", files["euro.csv"], *extra, "--solver", "exact", "--out", out, "--json"]
        result = run(capsys, *argv)
        assert result.code == 0, result.err
        assert result.err.count("detected") == 1  # announced once, however often it is read
        coefs.append(result.json()["coef"])
    np.testing.assert_allclose(coefs[0], coefs[1], rtol=1e-14)


def test_the_streamed_source_reads_a_semicolon_file(files: dict[str, Path]) -> None:
    source = open_source(files["euro.csv"], features=["x1", "x2"], delimiter=";", decimal=",")
    X = np.concatenate([b.X for b in source.batches()])
    np.testing.assert_array_equal(X, frame()[["x1", "x2"]].to_numpy())


@pytest.mark.parametrize(
    ("text", "dialect"),
    [
        ("a,b\n1,2\n", Dialect(",", ".")),
        ("a;b\n1,5;2\n", Dialect(";", ",")),
        ("a;b\n1.5;2\n", Dialect(";", ".")),
        ("a;b\n1;2\n", Dialect(";", ".")),
        ("a\tb\n-0,25e3\t,5\n", Dialect("\t", ",")),
        ("a|b\n1|2\n", Dialect("|", ".")),
        ('"a;x",b\n"1;2",3\n', Dialect(",", ".")),
        ("y\n1\n2\n", Dialect(",", ".")),
    ],
)
def test_resolve_dialect_detects(tmp_path: Path, text: str, dialect: Dialect) -> None:
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        found = resolve_dialect(path)
    assert (found.delimiter, found.decimal) == (dialect.delimiter, dialect.decimal)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a;b\n1,5;2.5\n", "cannot tell the decimal mark: the numbers '1,5' and '2.5'"),
        ("a;b|c\n1;2|3\n", "cannot tell the delimiter: ';' and '|' each split every row"),
    ],
)
def test_an_ambiguous_dialect_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, fragment: str
) -> None:
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    result = run(capsys, "summary", path)
    assert_one_error_line(result, str(path), fragment)


def test_a_thousands_separator_is_never_read_as_a_decimal_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x;y\n1,5;2\n1.234,5;3\n2,5;4\n", encoding="utf-8")
    result = run(capsys, "summary", path, "--delimiter", ";", "--decimal", ",")
    assert_one_error_line(result, f"{path}: column 'x' line 3 has the non-numeric value '1.234,5'")


def test_a_wrong_delimiter_is_one_error_line(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    result = run(capsys, "summary", files["plain.csv"], "--delimiter", ";")
    assert_one_error_line(result, str(files["plain.csv"]), "no target column 'y'")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--delimiter", ";;"], "--delimiter must be one character"),
        (["--delimiter", "tab;"], "--delimiter must be one character"),
        (["--sheet", "Sheet1"], "--sheet is for Excel workbooks"),
    ],
)
def test_bad_reading_options_are_one_error_line(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], options: list[str], fragment: str
) -> None:
    assert_one_error_line(run(capsys, "summary", files["plain.csv"], *options), fragment)


def test_quoted_decimal_commas_in_a_comma_file(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('x,y\n"1,5","2,25"\n"-0,5",3\n', encoding="utf-8")
    table = read_table(path, decimal=",")
    np.testing.assert_array_equal(table.X[:, 0], [1.5, -0.5])
    np.testing.assert_array_equal(table.y, [2.25, 3.0])
    with pytest.raises(LinregError, match=r"line 2 has the non-numeric value '1,5'"):
        read_table(path, features=["x"])  # a decimal point by default: never 1 or 15


def test_parse_delimiter_reads_tab() -> None:
    assert parse_delimiter("tab") == parse_delimiter("\\t") == "\t"
    with pytest.raises(LinregError, match="one character"):
        parse_delimiter('"')


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_subnormal=False)


@settings(max_examples=25, deadline=None)
@given(values=arrays(np.float64, st.tuples(st.integers(2, 12), st.just(3)), elements=finite))
def test_any_european_export_reads_to_the_same_bits(values: np.ndarray) -> None:
    import tempfile

    data = pd.DataFrame(values, columns=["x1", "x2", "y"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "euro.csv"
        data.to_csv(path, index=False, sep=";", decimal=",")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # the detected decimal comma
            table = read_table(path)  # both detected
    np.testing.assert_array_equal(table.X, values[:, :2])
    np.testing.assert_array_equal(table.y, values[:, 2])


# -- Excel -------------------------------------------------------------------------------------
def test_the_pandas_index_of_a_workbook_is_left_out_with_a_warning(files: dict[str, Path]) -> None:
    with pytest.warns(DataWarning) as caught:
        table = read_table(files["labelled.xlsx"])
    assert any("leaving out the first column of sheet 'Sheet1'" in str(w.message) for w in caught)
    assert table.feature_names == ["x1", "x2"]


def test_a_sheet_is_chosen_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "two.xlsx"
    data = frame().drop(columns="id")
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["not this one"]}).to_excel(writer, sheet_name="About", index=False)
        data.to_excel(writer, sheet_name="Data", index=False)
    table = read_table(path, sheet="Data")
    np.testing.assert_allclose(table.X, data[["x1", "x2"]].to_numpy(), rtol=1e-15)
    result = run(capsys, "summary", path, "--sheet", "Nope")
    assert_one_error_line(result, f"{path}: no sheet 'Nope' (sheets: 'About', 'Data')", "--sheet")


def test_a_bad_cell_names_the_sheet_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.xlsx"
    pd.DataFrame({"x": [1.0, 2.0, "n/a", 4.0], "y": [1.0, 2.0, 3.0, 4.0]}).to_excel(
        path, index=False
    )
    result = run(capsys, "summary", path, "--features", "x")
    assert_one_error_line(
        result, f"{path}: column 'x' sheet 'Sheet1' row 4 has the non-numeric value 'n/a'"
    )


def test_a_file_that_is_not_a_workbook_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("x,y\n1,2\n", encoding="utf-8")
    assert_one_error_line(run(capsys, "summary", path), f"{path}: not a readable .xlsx workbook")


def test_without_openpyxl_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    result = run(capsys, "summary", files["book.xlsx"])
    assert_one_error_line(
        result, "reading Excel files needs openpyxl", 'pip install "linreg[excel]"'
    )


def test_a_workbook_is_not_streamed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    out = tmp_path / "m.json"
    result = run(capsys, "train", files["book.xlsx"], "--stream", "--out", out)
    assert_one_error_line(result, "an Excel workbook is read whole, not streamed")
    assert not out.exists()


# -- predict keeps the other columns -----------------------------------------------------------
def predictions(model: Path, data: pd.DataFrame) -> np.ndarray:
    content = json.loads(model.read_text(encoding="utf-8"))
    return data[["x1", "x2"]].to_numpy() @ np.asarray(content["coef"]) + content["intercept"]


def test_predict_keeps_every_column_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Path], model: Path
) -> None:
    out = tmp_path / "p.csv"
    assert run(capsys, "predict", model, files["plain.csv"], "--out", out).code == 0
    written = pd.read_csv(out, dtype=str)
    assert list(written.columns) == ["id", "x1", "x2", "y", "y_pred"]
    original = pd.read_csv(files["plain.csv"], dtype=str)
    pd.testing.assert_frame_equal(written.drop(columns="y_pred"), original)  # as written
    np.testing.assert_allclose(
        written["y_pred"].astype(np.float64), predictions(model, frame()), rtol=1e-13
    )


@pytest.mark.parametrize(("keep", "columns"), [("id", ["id"]), ("y,id", ["y", "id"]), ("", [])])
def test_predict_keep_chooses_the_columns(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, Path],
    model: Path,
    keep: str,
    columns: list[str],
) -> None:
    result = run(capsys, "predict", model, files["plain.parquet"], "--keep", keep)
    assert result.code == 0, result.err
    printed = pd.read_csv(__import__("io").StringIO(result.out), dtype={"id": str})
    assert list(printed.columns) == [*columns, "y_pred"]
    if "id" in columns:
        assert printed["id"].tolist() == frame()["id"].tolist()


def test_predict_keeps_a_named_index_first_and_writes_parquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Path], model: Path
) -> None:
    out = tmp_path / "p.parquet"
    result = run(capsys, "predict", model, files["named.parquet"], "--out", out)
    assert result.code == 0, result.err
    written = pd.read_parquet(out)
    assert list(written.columns) == ["id", "x1", "x2", "y", "y_pred"]
    assert written["id"].tolist() == frame()["id"].tolist()
    np.testing.assert_allclose(written["y_pred"], predictions(model, frame()), rtol=1e-13)


def test_predict_writes_a_csv_in_the_input_dialect(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], model: Path
) -> None:
    result = run(capsys, "predict", model, files["euro.csv"], "--delimiter", ";", "--decimal", ",")
    assert result.code == 0, result.err
    import io

    # Read as text and parsed by Python's float: pandas 2.0's parser of "2,5" decimals is
    # not exact to the last bit.
    text = pd.read_csv(io.StringIO(result.out), sep=";", dtype=str)
    printed = {c: text[c].str.replace(",", ".").astype(float) for c in ("x1", "y_pred")}
    np.testing.assert_allclose(printed["y_pred"], predictions(model, frame()), rtol=1e-13)
    np.testing.assert_array_equal(printed["x1"], frame()["x1"])


@pytest.mark.parametrize(
    ("keep", "fragment"),
    [
        ("id,nope", "no column(s) 'nope' (columns: id, x1, x2, y); check the names"),
        (None, "already has a column 'y_pred'"),
    ],
)
def test_predict_refuses_a_missing_or_clashing_column_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    model: Path,
    keep: str | None,
    fragment: str,
) -> None:
    data = tmp_path / "new.csv"
    clash = frame().assign(y_pred=1.0) if keep is None else frame()
    clash.to_csv(data, index=False)
    out = tmp_path / "p.csv"
    out.write_text("keep me\n", encoding="utf-8")
    extra = [] if keep is None else ["--keep", keep]
    result = run(capsys, "predict", model, data, *extra, "--out", out)
    assert_one_error_line(result, str(data), fragment)
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv", "p.csv"]


def test_read_columns_gives_text_as_written(files: dict[str, Path]) -> None:
    columns = read_columns(files["euro.csv"], ["id", "x1"], delimiter=";", decimal=",")
    assert columns["x1"][0] == repr(float(frame()["x1"][0])).replace(".", ",")
    assert columns["id"].tolist() == frame()["id"].tolist()


def test_dask_refuses_a_dialect_it_cannot_read_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    out = tmp_path / "m.json"
    result = run(capsys, "train", files["euro.csv"], "--dask", "local", "--out", out)
    assert_one_error_line(result, "--dask reads comma-separated files with a decimal point")
    result = run(capsys, "train", files["book.xlsx"], "--dask", "local", "--out", out)
    assert_one_error_line(result, "--dask reads CSV and Parquet files")
    assert not out.exists()


@pytest.mark.parametrize("name", ["plain.parquet", "book.xlsx"])
def test_a_renamed_file_is_read_by_its_first_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Path], name: str
) -> None:
    renamed = tmp_path / "export.dat"
    renamed.write_bytes(files[name].read_bytes())
    result = run(capsys, "summary", renamed, "--json")
    assert result.code == 0, result.err
    assert "not a text CSV" not in result.err


def damaged_workbooks(book: bytes) -> dict[str, bytes]:
    """A workbook cut short, and one whose sheet's XML is broken."""
    import io
    import zipfile

    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return {"truncated": book[: len(book) // 2], "broken-xml": broken.getvalue()}


@pytest.mark.parametrize("damage", ["truncated", "broken-xml"])
def test_a_damaged_workbook_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Path], damage: str
) -> None:
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(damaged_workbooks(files["book.xlsx"].read_bytes())[damage])
    assert_one_error_line(run(capsys, "summary", path), f"{path}: not a readable .xlsx workbook")


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('ab12.,;|\t"\n\r -e')), max_size=80))
def test_detection_on_any_text_is_a_dialect_or_one_clear_error(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.csv"
        path.write_text(text, encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            try:
                dialect: Dialect | str = resolve_dialect(path)
            except LinregError as exc:
                dialect = str(exc)
    if isinstance(dialect, str):
        assert dialect.startswith(f"{path}: cannot tell the")
        assert "\n" not in dialect
    else:
        assert dialect.delimiter in ",;\t|"
        assert dialect.decimal in ".,"
