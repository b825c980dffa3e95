"""The README's numbers and claims against the code that makes them.

Hand-typed numbers drift (it once said κ ≈ 170 and η_max ≈ 0.026 where the demo printed
153.2 and 0.02824): every "κ ≈ x" and "η_max ≈ x" in the README must equal, to the digits
shown, what linreg computes for the demo's training data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import linreg
from linreg.cli.demo import SWEEP_RATES
from linreg.data import train_test_split

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _demo_stability() -> linreg.Stability:
    data = linreg.make_regression(n_samples=1000, seed=0)  # linreg demo's data, --seed 0
    train, _ = train_test_split(data, test_size=0.2, seed=0)
    return linreg.stability(train.X)


def _agrees(shown: str, value: float) -> bool:
    """``shown`` is ``value`` rounded to the decimals written."""
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return round(value, decimals) == float(shown)


@pytest.mark.parametrize(
    ("symbol", "attribute"),
    [("κ", "condition_number"), ("η_max", "max_stable_learning_rate")],
)
def test_readme_numbers_are_the_codes(symbol: str, attribute: str) -> None:
    shown = re.findall(re.escape(symbol) + r" ≈ ([0-9]+(?:\.[0-9]+)?)", README)
    assert shown, f"the README gives no {symbol} ≈ number"
    value = getattr(_demo_stability(), attribute)
    for number in shown:
        assert _agrees(number, value), f"README: {symbol} ≈ {number}, the code: {value:.6g}"


def test_readme_says_above_eta_max_not_at_or_above() -> None:
    assert "at or above η_max" not in README.lower()
    assert "Above η_max, gradient descent diverges" in README


def test_readme_sweep_table_lists_the_demos_rates() -> None:
    table = README.split("The learning-rate experiment of `linreg demo`")[1].split("![")[0]
    rates = [float(r) for r in re.findall(r"^\| ([0-9.]+) \|", table, flags=re.MULTILINE)]
    assert rates == list(SWEEP_RATES)


def test_readme_starts_with_the_learning_path() -> None:
    start = README.index("## Start here to learn")
    assert start < README.index("## Requirements") < README.index("## Accuracy")
    path = README[start : README.index("## Requirements")]
    steps = ["demo", "linear_regression_from_scratch.ipynb", "linreg lab", "exercises.ipynb"]
    positions = [path.index(step) for step in steps]
    assert positions == sorted(positions)
    assert path.index("generalization") > positions[-1]
    for name in ("exercises", "solutions", "linear_regression_from_scratch"):
        assert f"notebooks/{name}.ipynb" in README
    assert (
        "colab.research.google.com/github/<owner>/<repo>/blob/main/notebooks/<name>.ipynb" in README
    )
