"""The residual tests against SciPy's implementations of the same formulas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from linreg.stats import residual_tests as rt


@pytest.mark.parametrize("n", [20, 57, 400])
def test_normality_tests_match_scipy(n: int, rng: np.random.Generator) -> None:
    e = rng.standard_t(5, size=n)
    jb, skew, kurt = rt.jarque_bera(e)
    ref = stats.jarque_bera(e)
    assert jb.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert jb.p_value == pytest.approx(ref.pvalue, rel=1e-8)
    assert skew == pytest.approx(stats.skew(e), rel=1e-10)
    assert kurt == pytest.approx(stats.kurtosis(e, fisher=False), rel=1e-10)
    k2 = rt.omnibus(e)
    ref2 = stats.normaltest(e)
    assert k2.statistic == pytest.approx(ref2.statistic, rel=1e-10)
    assert k2.p_value == pytest.approx(ref2.pvalue, rel=1e-8)


def test_scale_free_and_degenerate(rng: np.random.Generator) -> None:
    e = rng.normal(size=50)
    for scale in (1e-160, 1e150):
        assert rt.jarque_bera(e * scale)[0].statistic == pytest.approx(
            rt.jarque_bera(e)[0].statistic, rel=1e-12
        )
    assert np.isnan(rt.jarque_bera(np.zeros(10))[0].statistic)
    assert rt.omnibus(np.zeros(10)).note == "the residuals are all equal"
    assert np.isnan(rt.durbin_watson(np.zeros(5)).statistic)


def test_durbin_watson_sees_autocorrelation(rng: np.random.Generator) -> None:
    white_noise = rng.normal(size=2000)
    walk = np.cumsum(white_noise)
    assert rt.durbin_watson(white_noise).statistic == pytest.approx(2.0, abs=0.15)
    assert rt.durbin_watson(walk).statistic < 0.1
    assert rt.durbin_watson(np.array([1.0, -1.0, 1.0, -1.0])).statistic == pytest.approx(3.0)


def test_heteroskedasticity_tests_see_a_growing_spread(rng: np.random.Generator) -> None:
    n = 400
    X = rng.uniform(0.0, 3.0, size=(n, 2))
    calm = rng.normal(size=n)
    fanning = calm * (0.2 + X[:, 0] ** 2)
    for test in (rt.breusch_pagan, rt.white):
        assert test(calm, X).p_value > 1e-3  # type: ignore[operator]
        assert test(fanning, X).p_value < 1e-6  # type: ignore[operator]
    assert rt.breusch_pagan(calm, X).df == 2
    assert rt.white(calm, X).df == 5  # x1, x2, x1^2, x1 x2, x2^2


def test_white_duplicates_and_size_limits(rng: np.random.Generator) -> None:
    n = 60
    binary = rng.integers(0, 2, size=n).astype(float)  # binary^2 = binary: one column fewer
    X = np.column_stack([binary, rng.normal(size=n)])
    assert rt.white(rng.normal(size=n), X).df == 4
    small = rng.normal(size=(8, 3))  # 10 auxiliary columns for 8 rows
    assert "10 columns" in rt.white(rng.normal(size=8), small).note
    wide = np.zeros((10, 20_000))
    assert "too large" in rt.white(np.ones(10), wide).note
    payload = rt.white(np.ones(10), wide).to_dict()
    assert payload["statistic"] is None
    assert payload["name"] == "White"
