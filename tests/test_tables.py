"""The summary tables (linreg.stats.tables) stay readable: whole names, numbers apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import linreg
from linreg.errors import RankDeficiencyWarning
from linreg.stats.tables import columns, penalized_summary


def _rows(text: str, names: list[str]) -> list[str]:
    return [line for line in text.splitlines() if line.split()[:1] and line.split()[0] in names]


def test_long_names_are_never_cut_so_two_never_look_alike() -> None:
    rng = np.random.default_rng(1)
    names = ["household_income_2019", "household_income_2020", "x"]
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=names)
    y = frame.to_numpy() @ [1.0, 2.0, 3.0] + rng.normal(size=40)
    text = linreg.LinearRegression(solver="exact").fit(frame, y).summary()
    rows = _rows(text, names)
    assert [r.split()[0] for r in rows] == names
    assert "~" not in text
    # The numbers still line up: each column ends at the same place on every row.
    ends = {len(r) for r in rows}
    assert len(ends) == 1


def test_wide_confidence_limits_never_run_together() -> None:
    """Limits like 0.062 and -1.4063e+07 and 5.5937e+08 each stay a separate word."""
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(size=30), rng.normal(size=30) * 1e-8])
    y = 0.06 + X[:, 0] + 1e8 * rng.normal(size=30) * 1e-8 + 1e9 * X[:, 1] ** 2
    model = linreg.LinearRegression(solver="exact").fit(X, y)
    inf = model.inference()
    text = inf.summary()
    ci = inf.conf_int()
    for j, row in enumerate(_rows(text, inf.names)):
        words = row.split()
        assert len(words) == 7, row
        assert float(words[5]) == pytest.approx(ci[j, 0], rel=1e-4)
        assert float(words[6]) == pytest.approx(ci[j, 1], rel=1e-4)


def test_columns_are_two_spaces_apart_at_least() -> None:
    lines = columns(["", "a", "b"], [["n", "-1.4063e+07", "5.5937e+08"], ["long_name", "1", "2"]])
    assert lines[1] == "n          -1.4063e+07  5.5937e+08"
    assert lines[2].startswith("long_name")
    assert "  " in lines[1].strip()


def test_penalized_summary_keeps_long_names_whole() -> None:
    text = penalized_summary(
        np.array([1.0, 2.0]),
        0.5,
        1.0,
        names=["a_very_long_feature_name_1", "a_very_long_feature_name_2"],
    )
    assert "a_very_long_feature_name_1" in text
    assert "a_very_long_feature_name_2" in text


def test_rank_deficiency_names_the_columns() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(30, 2)), columns=["height", "width"])
    frame["perimeter"] = 2 * frame["height"] + 2 * frame["width"]
    y = rng.normal(size=30)
    with pytest.warns(RankDeficiencyWarning, match=r"columns \['perimeter'\] are linearly"):
        model = linreg.LinearRegression(solver="exact").fit(frame, y)
    text = model.summary()  # the fit's own solution: no second warning
    assert "perimeter depend on the others" in " ".join(text.split())


def test_rank_deficiency_without_names_gives_the_indices() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 2))
    X = np.column_stack([X, X[:, 0] - X[:, 1]])
    with pytest.warns(RankDeficiencyWarning, match=r"columns \[2\] are linearly"):
        linreg.LinearRegression(solver="exact").fit(X, rng.normal(size=30))
