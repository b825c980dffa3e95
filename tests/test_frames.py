"""Whole files as DataFrames for formulas (``linreg.io.frames.read_frame``): every format
and CSV dialect gives the same frame, and formula fits from the command line read them all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_one_error_line, run
from linreg.errors import LinregError
from linreg.io.frames import read_frame


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Numbers with many digits, a text column, and gaps in both."""
    rng = np.random.default_rng(11)
    n = 60
    x = rng.normal(0.0, 3.0, n).round(6)
    region = rng.choice(["north", "south", "west"], n)
    # At most 15 significant digits: what a workbook holds (openpyxl writes no more).
    y = (1.5 + 2.25 * x + np.where(region == "south", 4.0, 0.0) + rng.normal(0.0, 0.5, n)).round(6)
    out = pd.DataFrame({"x": x, "region": region.astype(object), "y": y})
    out.loc[3, "x"] = np.nan
    out.loc[7, "region"] = None
    return out


def _plain(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, na_rep="", float_format=lambda v: repr(float(v)))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("frames")
    plain = _plain(frame)
    paths = {
        "csv": folder / "d.csv",
        "semicolon": folder / "semi.csv",
        "tab": folder / "tab.tsv",
        "xlsx": folder / "d.xlsx",
        "parquet": folder / "d.parquet",
    }
    paths["csv"].write_text(plain, encoding="utf-8")
    # The same cells, ';'-separated with decimal commas (as a European spreadsheet saves).
    paths["semicolon"].write_text(plain.replace(",", ";").replace(".", ","), encoding="utf-8")
    paths["tab"].write_text(plain.replace(",", "\t"), encoding="utf-8")
    frame.to_excel(paths["xlsx"], index=False, sheet_name="data")
    frame.to_parquet(paths["parquet"], index=False)
    return paths


def test_a_csv_gives_numbers_text_and_gaps(files: dict[str, Path], frame: pd.DataFrame) -> None:
    read = read_frame(files["csv"])
    assert list(read.columns) == ["x", "region", "y"]
    assert read["x"].dtype == np.float64
    assert read["region"].dtype.kind != "f"  # text (object, or pandas 3's str)
    assert np.isnan(read.loc[3, "x"])
    assert pd.isna(read.loc[7, "region"])
    np.testing.assert_array_equal(read["y"].to_numpy(), frame["y"].to_numpy())


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("semicolon", {"delimiter": ";", "decimal": ","}),
        ("tab", {"delimiter": "\t"}),
        ("xlsx", {}),
        ("xlsx", {"sheet": "data"}),
        ("parquet", {}),
    ],
)
def test_every_format_and_dialect_gives_the_same_frame(
    files: dict[str, Path], kind: str, options: dict[str, str]
) -> None:
    expected = read_frame(files["csv"])
    pd.testing.assert_frame_equal(read_frame(files[kind], **options), expected, check_exact=True)


def test_a_sheet_for_a_csv_is_refused(files: dict[str, Path]) -> None:
    with pytest.raises(LinregError, match="--sheet is for Excel workbooks"):
        read_frame(files["csv"], sheet="data")


def test_a_missing_sheet_is_named(files: dict[str, Path]) -> None:
    with pytest.raises(LinregError, match="no sheet 'other'"):
        read_frame(files["xlsx"], sheet="other")


@pytest.mark.parametrize(
    ("kind", "flags"),
    [
        ("semicolon", ["--delimiter", ";", "--decimal", ","]),
        ("tab", ["--delimiter", "tab"]),
        ("xlsx", ["--sheet", "data"]),
    ],
)
def test_a_formula_fit_reads_every_format(
    capsys: pytest.CaptureFixture[str],
    files: dict[str, Path],
    frame: pd.DataFrame,
    tmp_path: Path,
    kind: str,
    flags: list[str],
) -> None:
    smf = pytest.importorskip("statsmodels.formula.api")
    formula = "y ~ x + C(region)"
    plain = run(capsys, "train", files["csv"], "--formula", formula, "--missing", "drop",
                "--out", tmp_path / "a.json", "--json")  # fmt: skip
    other = run(capsys, "train", files[kind], *flags, "--formula", formula, "--missing",
                "drop", "--out", tmp_path / "b.json", "--json")  # fmt: skip
    assert plain.code == other.code == 0, other.err
    assert other.json()["coef"] == plain.json()["coef"]  # the same bits
    assert other.json()["intercept"] == plain.json()["intercept"]
    # The oracle: statsmodels on the frame, rows with a gap dropped.
    fit = smf.ols(formula, data=frame.dropna()).fit()
    np.testing.assert_allclose(other.json()["coef"], fit.params.to_numpy()[1:], rtol=1e-9)


def test_predict_reads_a_workbook_for_a_formula_model(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path
) -> None:
    model = tmp_path / "m.json"
    fitted = run(capsys, "train", files["csv"], "--formula", "y ~ x + C(region)",
                 "--missing", "drop", "--out", model, "--json")  # fmt: skip
    assert fitted.code == 0, fitted.err
    clean = pd.read_csv(files["csv"]).dropna()
    workbook = tmp_path / "clean.xlsx"
    clean.to_excel(workbook, index=False)
    from_csv = run(capsys, "predict", model, files["csv"])
    from_xlsx = run(capsys, "predict", model, workbook)
    assert from_xlsx.code == 0, from_xlsx.err
    assert from_csv.code != 0  # the CSV holds the gaps: its rows cannot be predicted whole
    predicted = pd.read_csv(__import__("io").StringIO(from_xlsx.out))["y_pred"].to_numpy()
    assert predicted.shape == (len(clean),)
    assert np.all(np.isfinite(predicted))


def test_sheet_with_a_formula_on_a_csv_is_one_line(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path
) -> None:
    result = run(capsys, "train", files["csv"], "--formula", "y ~ x", "--sheet", "data",
                 "--out", tmp_path / "m.json")  # fmt: skip
    assert_one_error_line(result, "--sheet", "Excel")
