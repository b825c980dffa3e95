"""fit_formula against statsmodels' formulas on real data, its encoding of new rows, missing
values, nullable dtypes, model files and the command line's --formula and --missing."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("formulaic")
sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")

from tests.cli_helpers import assert_one_error_line, run  # noqa: E402

import linreg  # noqa: E402
from linreg import LinearRegression, LinregError, MissingValuesWarning, ModelFileError  # noqa: E402
from linreg.formula import fit_formula  # noqa: E402
from linreg.io.persistence import load_model, save_model  # noqa: E402

RTOL = 1e-8


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    return sm.datasets.grunfeld.load_pandas().data


@pytest.fixture(scope="module")
def statecrime() -> pd.DataFrame:
    return sm.datasets.statecrime.load_pandas().data.reset_index(drop=True)


def assert_matches_statsmodels(model: LinearRegression, result: object) -> None:
    """Coefficients and standard errors equal statsmodels', name by name, to RTOL."""
    exog = list(result.model.exog_names)  # type: ignore[attr-defined]
    names = list(model.feature_names_in_)
    assert names == [n for n in exog if n != "Intercept"]  # statsmodels' names, in its order
    inference = model.inference()
    ours = dict(
        zip(inference.names, zip(inference.params, inference.std_errors, strict=True), strict=True)
    )
    if "Intercept" in exog:
        ours["Intercept"] = ours.pop("intercept")
    for name in exog:
        param, bse = ours[name]
        np.testing.assert_allclose(param, result.params[name], rtol=RTOL, err_msg=name)  # type: ignore[attr-defined]
        np.testing.assert_allclose(bse, result.bse[name], rtol=RTOL, err_msg=name)  # type: ignore[attr-defined]


# -- statsmodels as the oracle ------------------------------------------------------------------
def test_grunfeld_with_firm_as_categories_equals_statsmodels(grunfeld: pd.DataFrame) -> None:
    formula = "invest ~ value + capital + C(firm)"
    model = fit_formula(formula, grunfeld)
    assert_matches_statsmodels(model, smf.ols(formula, grunfeld).fit())
    assert "C(firm)[T.Chrysler]" in model.feature_names_in_
    assert model.fit_intercept


def test_logs_interactions_and_a_chosen_base_level_equal_statsmodels(
    grunfeld: pd.DataFrame,
) -> None:
    formula = "np.log(invest) ~ np.log(value) + capital + value:capital + C(firm, Treatment('IBM'))"
    model = fit_formula(formula, grunfeld)
    assert_matches_statsmodels(model, smf.ols(formula, grunfeld).fit())


def test_statecrime_with_a_log_equals_statsmodels(statecrime: pd.DataFrame) -> None:
    formula = "violent ~ np.log(poverty) + hs_grad + single + urban"
    assert_matches_statsmodels(fit_formula(formula, statecrime), smf.ols(formula, statecrime).fit())


def test_terms_come_in_statsmodels_order_whatever_their_degree(grunfeld: pd.DataFrame) -> None:
    formula = "invest ~ value:capital + C(firm):value + capital + value + np.log(capital)"
    assert_matches_statsmodels(fit_formula(formula, grunfeld), smf.ols(formula, grunfeld).fit())


def test_without_an_intercept_the_first_category_is_coded_in_full(
    grunfeld: pd.DataFrame,
) -> None:
    formula = "invest ~ C(firm) + value - 1"
    model = fit_formula(formula, grunfeld)
    assert not model.fit_intercept
    assert model.intercept_ == 0.0
    assert "C(firm)[American Steel]" in model.feature_names_in_
    assert_matches_statsmodels(model, smf.ols(formula, grunfeld).fit())


def test_missing_drop_equals_statsmodels_and_says_what_went(statecrime: pd.DataFrame) -> None:
    data = statecrime.copy()
    data.loc[[2, 10, 30], "poverty"] = np.nan
    formula = "violent ~ poverty + single + urban"
    with pytest.warns(
        MissingValuesWarning, match=r"^dropped 3 of 51 rows with missing values: poverty 3$"
    ):
        model = fit_formula(formula, data, missing="drop")
    assert_matches_statsmodels(model, smf.ols(formula, data, missing="drop").fit())
    with pytest.raises(
        LinregError, match=r"column 'poverty' has 3 missing value\(s\) \(the first in row 3\)"
    ):
        fit_formula(formula, data)


def test_gradient_descent_on_a_formula_gives_its_feature_names(grunfeld: pd.DataFrame) -> None:
    model = fit_formula(
        "invest ~ value + C(firm)",
        grunfeld,
        solver="gd",
        standardize=True,
        epochs=20_000,
        learning_rate=0.1,
        tol=1e-14,
    )
    exact = fit_formula("invest ~ value + C(firm)", grunfeld)
    assert list(model.feature_names_in_) == list(exact.feature_names_in_)
    np.testing.assert_allclose(model.coef_, exact.coef_, rtol=1e-4)


# -- new rows -----------------------------------------------------------------------------------
def test_predict_score_and_inference_encode_raw_rows(grunfeld: pd.DataFrame) -> None:
    formula = "invest ~ value + center(capital) + C(firm)"
    model = fit_formula(formula, grunfeld)
    result = smf.ols(formula, grunfeld).fit()
    rows = grunfeld.sample(15, random_state=0)
    np.testing.assert_allclose(model.predict(rows), result.predict(rows), rtol=1e-10)
    assert model.score(grunfeld, grunfeld["invest"]) == pytest.approx(result.rsquared, rel=1e-10)
    again = model.inference(grunfeld, grunfeld["invest"])
    np.testing.assert_allclose(again.std_errors, model.inference().std_errors, rtol=1e-10)
    design = model.formula_.design(rows)
    np.testing.assert_allclose(model.predict(design), model.predict(rows), rtol=1e-14)


def test_an_unseen_level_is_an_error_naming_column_and_level(grunfeld: pd.DataFrame) -> None:
    model = fit_formula("invest ~ value + C(firm)", grunfeld)
    rows = grunfeld.head(3).copy()
    rows.loc[1, "firm"] = "Apple"
    with pytest.raises(
        LinregError, match=r"column 'firm' has the level 'Apple', not seen in training"
    ):
        model.predict(rows)


def test_a_missing_column_or_value_in_new_rows_is_an_error(grunfeld: pd.DataFrame) -> None:
    model = fit_formula("invest ~ value + C(firm)", grunfeld)
    with pytest.raises(LinregError, match=r"no column\(s\) 'firm'"):
        model.predict(grunfeld[["value"]])
    rows = grunfeld.head(3).copy()
    rows.loc[0, "value"] = np.nan
    with pytest.raises(LinregError, match=r"column 'value' has 1 missing value"):
        model.predict(rows)


def test_a_plain_fit_forgets_the_formula(grunfeld: pd.DataFrame) -> None:
    model = fit_formula("invest ~ value", grunfeld)
    model.fit(grunfeld[["capital"]], grunfeld["invest"])
    assert not hasattr(model, "formula_")
    assert list(model.feature_names_in_) == ["capital"]


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("invest ~ value + nothing", r"no column\(s\) 'nothing'"),
        ("value + capital", "has no target"),
        ("invest ~ value +", "bad formula"),
        ("firm ~ value", "not (one )?numeric"),
    ],
)
def test_bad_formulas_are_one_line_errors(
    grunfeld: pd.DataFrame, formula: str, message: str
) -> None:
    with pytest.raises(LinregError, match=message) as caught:
        fit_formula(formula, grunfeld)
    assert "\n" not in str(caught.value)


def test_fit_intercept_comes_from_the_formula(grunfeld: pd.DataFrame) -> None:
    with pytest.raises(LinregError, match="write '- 1'"):
        fit_formula("invest ~ value", grunfeld, fit_intercept=False)
    with pytest.raises(LinregError, match="missing must be 'raise' or 'drop'"):
        fit_formula("invest ~ value", grunfeld, missing="ignore")


def test_without_formulaic_the_error_names_the_extra(
    grunfeld: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "formulaic", None)
    with pytest.raises(LinregError, match=r'pip install "linreg\[formula\]"'):
        linreg.fit_formula("invest ~ value", grunfeld)


# -- nullable dtypes ----------------------------------------------------------------------------
def test_nullable_dtypes_are_numbers_with_missing_values(statecrime: pd.DataFrame) -> None:
    data = statecrime[["violent", "poverty", "urban"]].copy()
    data["poverty"] = data["poverty"].astype("Float64")
    data.loc[[4, 5], "poverty"] = pd.NA
    data["urban"] = data["urban"].round().astype("Int64")
    with pytest.warns(
        MissingValuesWarning, match="dropped 2 of 51 rows with missing values: poverty 2"
    ):
        model = fit_formula("violent ~ poverty + urban", data, missing="drop")
    plain = data.dropna().astype("float64")
    assert_matches_statsmodels(model, smf.ols("violent ~ poverty + urban", plain).fit())


def test_the_estimator_reads_nullable_columns_and_names_the_gap() -> None:
    X = pd.DataFrame(
        {
            "a": pd.array([1, 2, 3, 5], dtype="Int64"),
            "b": pd.array([0.5, 1.5, 1.0, 4.0], dtype="Float64"),
        }
    )
    y = pd.Series(pd.array([1.0, 2.0, 2.5, 6.0], dtype="Float64"))
    model = LinearRegression(solver="exact").fit(X, y)
    reference = LinearRegression(solver="exact").fit(X.astype("float64"), y.astype("float64"))
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    X.loc[2, "b"] = pd.NA
    with pytest.raises(LinregError, match="NaN at row 2, b"):
        LinearRegression(solver="exact").fit(X, y)


# -- model files --------------------------------------------------------------------------------
def test_a_formula_model_file_round_trips_its_encoding(
    grunfeld: pd.DataFrame, tmp_path: Path
) -> None:
    formula = (
        "np.log(invest) ~ center(value) + poly(capital, 2) + C(firm, Treatment('IBM')) + {value**2}"
    )
    model = fit_formula(formula, grunfeld)
    path = save_model(model, tmp_path / "m.json")
    content = json.loads(path.read_text())
    assert content["formula"]["formula"] == formula
    assert content["target_name"] == "np.log(invest)"
    loaded, _ = load_model(path)
    rows = grunfeld.sample(30, random_state=1)
    np.testing.assert_array_equal(loaded.predict(rows), model.predict(rows))
    rows.loc[rows.index[0], "firm"] = "Apple"
    with pytest.raises(LinregError, match="'Apple', not seen in training"):
        loaded.predict(rows)


def _tampered(tmp_path: Path, grunfeld: pd.DataFrame, change: object) -> Path:
    path = save_model(fit_formula("invest ~ value + C(firm)", grunfeld), tmp_path / "m.json")
    content = json.loads(path.read_text())
    change(content["formula"])  # type: ignore[operator]
    path.write_text(json.dumps(content))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.update(formula=f["formula"] + " + {open('x').read()}"), "may not"),
        (lambda f: f.update(formula=f["formula"] + " + {value.__class__}"), "may not"),
        (lambda f: f.update(columns=f["columns"][::-1]), "must equal 'feature_names'"),
        (lambda f: f.update(spare=1), r"unknown field\(s\) \['spare'\]"),
        (lambda f: f.update(intercept="yes"), "must be true or false"),
        (lambda f: f.update(encoder_state={"set": [1]}), "unknown tag 'set'"),
        (lambda f: f.update(library="patsy"), "must be 'formulaic'"),
    ],
)
def test_a_tampered_formula_field_is_refused_by_name(
    grunfeld: pd.DataFrame, tmp_path: Path, change: object, message: str
) -> None:
    with pytest.raises(ModelFileError, match=message):
        load_model(_tampered(tmp_path, grunfeld, change))


# -- the command line ---------------------------------------------------------------------------
@pytest.fixture
def grunfeld_files(grunfeld: pd.DataFrame, tmp_path: Path) -> tuple[Path, Path]:
    data = grunfeld.copy()
    data.loc[[3, 7, 9], "capital"] = np.nan
    csv = tmp_path / "g.csv"
    data.to_csv(csv, index=False)
    parquet = tmp_path / "new.parquet"
    grunfeld.iloc[::7].to_parquet(parquet)
    return csv, parquet


def test_cli_train_evaluate_predict_and_summary_by_formula(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, grunfeld_files: tuple[Path, Path]
) -> None:
    csv, parquet = grunfeld_files
    formula = "invest ~ value + capital + C(firm)"
    out = tmp_path / "m.json"
    refused = run(capsys, "train", csv, "--formula", formula, "--solver", "exact", "--out", out)
    assert_one_error_line(refused, "column 'capital' has 3 missing value(s)", "--missing drop")
    result = run(
        capsys,
        "train",
        csv,
        "--formula",
        formula,
        "--solver",
        "exact",
        "--missing",
        "drop",
        "--out",
        out,
        "--json",
    )
    assert result.code == 0, result.err
    assert "linreg: warning: dropped 3 of 220 rows with missing values: capital 3" in result.err
    data = pd.read_csv(csv)
    expected = smf.ols(formula, data, missing="drop").fit()
    trained = result.json()
    assert trained["feature_names"] == list(load_model(out)[0].feature_names_in_)
    np.testing.assert_allclose(trained["intercept"], expected.params["Intercept"], rtol=RTOL)

    evaluated = run(capsys, "evaluate", out, parquet, "--json")
    assert evaluated.code == 0, evaluated.err
    new = pd.read_parquet(parquet)
    y_pred = expected.predict(new)
    assert evaluated.json()["mse"] == pytest.approx(
        float(np.mean((new["invest"] - y_pred) ** 2)), rel=1e-9
    )
    predicted = run(capsys, "predict", out, parquet, "--json")
    np.testing.assert_allclose(predicted.json()["predictions"], y_pred, rtol=1e-9)

    summary = run(capsys, "summary", csv, "--formula", formula, "--missing", "drop", "--json")
    assert summary.code == 0, summary.err
    table = summary.json()
    assert table is not None
    assert "C(firm)[T.IBM]" in json.dumps(table)


def test_cli_formula_refuses_flags_it_cannot_honour(
    capsys: pytest.CaptureFixture[str], grunfeld_files: tuple[Path, Path]
) -> None:
    csv, _ = grunfeld_files
    result = run(capsys, "train", csv, "--formula", "invest ~ value", "--features", "value")
    assert_one_error_line(result, "--formula cannot be combined with --features")
    result = run(capsys, "train", csv, "--formula", "invest ~ value", "--no-intercept")
    assert_one_error_line(result, "write '- 1'")
    result = run(capsys, "train", csv, "--formula", "invest ~ value", "--target", "value")
    assert_one_error_line(result, "--target 'value' is not the formula's target 'invest'")


def test_cli_missing_drop_without_a_formula(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, statecrime: pd.DataFrame
) -> None:
    data = statecrime.copy()
    data.loc[[1, 2, 3], "poverty"] = np.nan
    csv = tmp_path / "s.csv"
    data.to_csv(csv, index=False)
    result = run(
        capsys,
        "train",
        csv,
        "--target",
        "violent",
        "--features",
        "poverty,urban",
        "--solver",
        "exact",
        "--missing",
        "drop",
        "--out",
        tmp_path / "m.json",
        "--json",
    )
    assert result.code == 0, result.err
    assert "dropped 3 of 51 rows with missing values: poverty 3" in result.err
    expected = smf.ols("violent ~ poverty + urban", data, missing="drop").fit()
    np.testing.assert_allclose(
        result.json()["coef"], expected.params[["poverty", "urban"]], rtol=RTOL
    )
    summary = run(
        capsys,
        "summary",
        csv,
        "--target",
        "violent",
        "--features",
        "poverty,urban",
        "--missing",
        "drop",
        "--json",
    )
    assert summary.code == 0, summary.err
    rows = {p["name"]: p for p in summary.json()["parameters"]}
    np.testing.assert_allclose(rows["poverty"]["std_error"], expected.bse["poverty"], rtol=RTOL)


# -- text columns without a formula -------------------------------------------------------------
def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text)
    return path


def test_a_text_column_of_categories_points_at_the_formula(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _csv(tmp_path, "region,x,y\nnorth,1,2\nsouth,2,4.1\nnorth,3,6.2\nwest,4,7.9\n")
    result = run(capsys, "train", path, "--solver", "exact", "--out", tmp_path / "m.json")
    assert result.code == 0
    assert "'region', which look like categories" in result.err
    assert '--formula "y ~ ... + C(region)"' in result.err


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (['"25,593,414"', '"1,200"', "17"], "remove the commas, write 25593414"),
        (['"25,593,414"', '"1,200"'], "thousands separators ('25,593,414')"),
        (["True", "False", "true"], "holds True/False values"),
        (["1", "False", "true"], "write True/False as 1/0"),
    ],
)
def test_a_column_of_almost_numbers_is_an_error_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cells: list[str], message: str
) -> None:
    rows = "".join(f"{c},{i},{2 * i + 0.5}\n" for i, c in enumerate(cells))
    path = _csv(tmp_path, "pop,x,y\n" + rows)
    result = run(capsys, "train", path, "--solver", "exact", "--out", tmp_path / "m.json")
    assert_one_error_line(result, "column 'pop'", message)


def test_a_named_feature_that_is_text_stops_the_fit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _csv(tmp_path, "region,x,y\nnorth,1,2\nsouth,2,4.1\nnorth,3,6.2\n")
    result = run(capsys, "train", path, "--features", "x,region", "--out", tmp_path / "m.json")
    assert_one_error_line(result, "column 'region'")
    result = run(capsys, "train", path, "--features", "x,nowhere", "--out", tmp_path / "m.json")
    assert_one_error_line(result, "'nowhere'")


def test_warnings_are_none_on_a_clean_fit(grunfeld: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_formula("invest ~ value + C(firm)", grunfeld)


def test_a_formula_calls_the_callers_functions_but_a_model_file_keeps_none(
    grunfeld: pd.DataFrame, tmp_path: Path
) -> None:
    def halved(values: pd.Series) -> pd.Series:
        return values / 2

    model = fit_formula("invest ~ halved(value)", grunfeld)
    plain = fit_formula("invest ~ value", grunfeld)
    np.testing.assert_allclose(model.coef_, 2 * plain.coef_, rtol=1e-12)
    with pytest.raises(LinregError, match=r"cannot save this model: .*'halved\(value\)'"):
        save_model(model, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def test_a_formula_model_pickles_and_keeps_no_reference_to_the_callers_frame(
    grunfeld: pd.DataFrame,
) -> None:
    import pickle

    model = fit_formula("invest ~ np.log(value) + center(capital) + C(firm)", grunfeld)
    assert dict(model.formula_.context) == {}  # np is always there; nothing else is kept
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(grunfeld), model.predict(grunfeld))
