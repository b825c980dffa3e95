"""Formulas beside the statistics commands: ``summary --formula --cov-type`` and
``diagnose --formula``, against statsmodels' formula API on its grunfeld data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.cli_helpers import assert_one_error_line, run

pytest.importorskip("formulaic")
sm = pytest.importorskip("statsmodels.api")
smf = pytest.importorskip("statsmodels.formula.api")

FORMULA = "invest ~ value + capital + C(firm)"


@pytest.fixture(scope="module")
def grunfeld(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    frame = sm.datasets.grunfeld.load_pandas().data
    path = tmp_path_factory.mktemp("grunfeld") / "grunfeld.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_summary_with_a_formula_clusters_as_statsmodels(
    capsys: pytest.CaptureFixture[str], grunfeld: tuple[Path, object]
) -> None:
    path, frame = grunfeld
    result = run(
        capsys, "summary", path, "--formula", FORMULA, "--cov-type", "cluster",
        "--groups", "firm", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    payload = result.json()
    oracle = smf.ols(FORMULA, frame).fit(
        cov_type="cluster", cov_kwds={"groups": frame["firm"].astype("category").cat.codes}
    )
    ours = {row["name"]: row["std_error"] for row in payload["parameters"]}
    for name, se in oracle.bse.items():
        label = "intercept" if name == "Intercept" else name
        assert ours[label] == pytest.approx(se, rel=1e-8), name
    assert payload["target"] == "invest"


def test_clusters_after_dropped_rows_match_statsmodels(
    capsys: pytest.CaptureFixture[str], grunfeld: tuple[Path, object], tmp_path: Path
) -> None:
    """--missing drop with --groups: the kept rows' labels, as statsmodels' missing='drop'."""
    _, frame = grunfeld
    holes = frame.copy()  # type: ignore[attr-defined]
    holes.loc[[3, 40, 41, 77], "value"] = np.nan
    holes.loc[[120], "invest"] = np.nan
    holes.loc[[150], "firm"] = None  # a missing category: that row goes too
    path = tmp_path / "holes.csv"
    holes.to_csv(path, index=False)
    result = run(
        capsys, "summary", path, "--formula", FORMULA, "--cov-type", "cluster",
        "--groups", "firm", "--missing", "drop", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "dropped 6 of 220 rows" in result.err
    kept = holes.dropna(subset=["invest", "value", "capital", "firm"])
    oracle = smf.ols(FORMULA, kept).fit(
        cov_type="cluster", cov_kwds={"groups": kept["firm"].astype("category").cat.codes}
    )
    payload = result.json()
    ours = {row["name"]: row["std_error"] for row in payload["parameters"]}
    for name, se in oracle.bse.items():
        label = "intercept" if name == "Intercept" else name
        assert ours[label] == pytest.approx(se, rel=1e-8), name


def test_summary_with_a_formula_needs_groups_for_clusters(
    capsys: pytest.CaptureFixture[str], grunfeld: tuple[Path, object]
) -> None:
    path, _ = grunfeld
    result = run(capsys, "summary", path, "--formula", FORMULA, "--cov-type", "cluster")
    assert_one_error_line(result, "--groups")


def test_diagnose_with_a_formula_equals_statsmodels_influence(
    capsys: pytest.CaptureFixture[str], grunfeld: tuple[Path, object]
) -> None:
    from statsmodels.stats.outliers_influence import OLSInfluence

    path, frame = grunfeld
    result = run(capsys, "diagnose", path, "--formula", FORMULA, "--json")
    assert result.code == 0, result.err
    payload = result.json()
    influence = OLSInfluence(smf.ols(FORMULA, frame).fit())
    rows = payload["rows"]
    np.testing.assert_allclose(rows["leverage"], influence.hat_matrix_diag, rtol=1e-8)
    np.testing.assert_allclose(rows["cooks_distance"], influence.cooks_distance[0], rtol=1e-8)
    assert payload["target_name"] == "invest"
