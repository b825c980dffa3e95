"""``linreg diagnose`` end to end: its numbers against statsmodels, the plots, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.outliers_influence import OLSInfluence

from cli_helpers import PNG_MAGIC, assert_one_error_line, run


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "stackloss.csv"
    sm.datasets.stackloss.load_pandas().data.to_csv(path, index=False)
    return path


def test_json_matches_statsmodels(csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "diagnose", csv, "--target", "STACKLOSS", "--json")
    assert result.code == 0, result.err
    out = result.json()
    frame = pd.read_csv(csv)
    exog = sm.add_constant(frame[["AIRFLOW", "WATERTEMP", "ACIDCONC"]].to_numpy())
    ref = sm.OLS(frame["STACKLOSS"].to_numpy(), exog).fit()
    inf = OLSInfluence(ref)
    rows = out["rows"]
    np.testing.assert_allclose(rows["cooks_distance"], inf.cooks_distance[0], rtol=1e-8)
    np.testing.assert_allclose(rows["leverage"], inf.hat_matrix_diag, rtol=1e-8)
    np.testing.assert_allclose(rows["dfbetas"], inf.dfbetas, rtol=1e-8)
    bp = out["tests"]["breusch_pagan"]
    assert bp["statistic"] == pytest.approx(het_breuschpagan(ref.resid, exog)[0], rel=1e-8)
    assert out["target_name"] == "STACKLOSS"
    assert out["feature_names"] == ["AIRFLOW", "WATERTEMP", "ACIDCONC"]
    assert out["flags"]["influential_rows"] == ["20"]
    assert out["flags"]["high_leverage_rows"] == ["16"]
    assert out["plots"] == []
    assert set(out["vif"]) == {"AIRFLOW", "WATERTEMP", "ACIDCONC"}


def test_text_output_and_plots(
    csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plots = tmp_path / "figures"
    result = run(capsys, "diagnose", csv, "--target", "STACKLOSS", "--plots", plots)
    assert result.code == 0, result.err
    for text in (
        "Jarque-Bera",
        "Omnibus",
        "Durbin-Watson",
        "Breusch-Pagan",
        "White",
        "AIRFLOW",
        "Influential rows (Cook's D > 4/n = 0.1905): 1",
        "5 figures written to",
    ):
        assert text in result.out, text
    names = sorted(p.name for p in plots.iterdir())
    assert names == sorted(
        [
            "residuals_vs_fitted.png",
            "normal_qq.png",
            "scale_location.png",
            "residuals_vs_leverage.png",
            "diagnostics.png",
        ]
    )
    assert all((plots / n).read_bytes().startswith(PNG_MAGIC) for n in names)


def test_features_and_no_intercept(csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["diagnose", csv, "--target", "STACKLOSS", "--features", "AIRFLOW,ACIDCONC"]
    out = run(capsys, *args, "--no-intercept", "--json").json()
    assert out["param_names"] == ["AIRFLOW", "ACIDCONC"]
    assert out["fit_intercept"] is False


def test_collinear_columns_are_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=40)
    frame = pd.DataFrame({"a": a, "b": a + 0.02 * rng.normal(size=40), "c": rng.normal(size=40)})
    frame["y"] = frame["a"] + frame["c"] + rng.normal(size=40)
    path = tmp_path / "collinear.csv"
    frame.to_csv(path, index=False)
    result = run(capsys, "diagnose", path)
    assert result.code == 0, result.err
    assert "> 10: collinear" in result.out
    assert run(capsys, "diagnose", path, "--json").json()["flags"]["collinear_columns"] == [
        "a",
        "b",
    ]


def test_bad_input_is_one_line(
    csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_one_error_line(run(capsys, "diagnose", csv, "--target", "nope"), "no target column")
    dependent = tmp_path / "dependent.csv"
    frame = pd.DataFrame({"x": np.arange(10.0), "y": np.sin(np.arange(10.0))})
    frame["z"] = 2 * frame["x"]
    frame.to_csv(dependent, index=False)
    assert_one_error_line(run(capsys, "diagnose", dependent), str(dependent), "full-rank")
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("x,y\n1,2\n2,4.5\n3,5\n", encoding="utf-8")
    assert_one_error_line(run(capsys, "diagnose", tiny), str(tiny), "at least p + 2 = 4 rows")
    a_file = tmp_path / "taken"
    a_file.write_text("", encoding="utf-8")
    result = run(capsys, "diagnose", csv, "--target", "STACKLOSS", "--plots", a_file)
    assert_one_error_line(result, "--plots must be a folder")


def test_weighted_rows_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--sample-weight: summary is statsmodels' WLS, diagnose the whitened OLS influence."""
    rng = np.random.default_rng(7)
    n = 60
    X = rng.normal(size=(n, 2))
    w = rng.uniform(0.2, 3.0, n)
    w[3] = 0.0
    y = 1.0 + X @ np.array([1.0, -2.0]) + rng.normal(size=n) / np.sqrt(np.maximum(w, 0.1))
    path = tmp_path / "w.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "wt": w, "y": y}).to_csv(path, index=False)
    keep = w > 0
    A = sm.add_constant(X[keep])
    wls = sm.WLS(y[keep], A, weights=w[keep]).fit()
    summary = run(capsys, "summary", path, "--sample-weight", "wt", "--json")
    assert summary.code == 0, summary.err
    ours = [row["std_error"] for row in summary.json()["parameters"]]
    np.testing.assert_allclose(ours, wls.bse, rtol=1e-8)
    diagnosed = run(capsys, "diagnose", path, "--sample-weight", "wt", "--json")
    assert diagnosed.code == 0, diagnosed.err
    out = diagnosed.json()
    assert out["feature_names"] == ["a", "b"]  # the weight column is no feature
    root = np.sqrt(w[keep])
    influence = OLSInfluence(sm.OLS(root * y[keep], A * root[:, None]).fit())
    np.testing.assert_allclose(out["rows"]["leverage"], influence.hat_matrix_diag, rtol=1e-9)
    np.testing.assert_allclose(
        out["rows"]["cooks_distance"], influence.cooks_distance[0], rtol=1e-8
    )
    text = run(capsys, "diagnose", path, "--sample-weight", "wt")
    assert "weighted by column wt" in text.out
    assert "weight zero left out" in text.out
