"""The moments pass (:func:`linreg.solvers.moments._shifted_sums`): its segments run on a
thread per core, and no sum depends on how many; integer data, whose sums float64 holds
exactly, are the oracle. Each test runs on both routes: the compiled sweep
(:mod:`linreg.solvers.gram_pass`) and NumPy's blocks."""

from __future__ import annotations

import numpy as np
import pytest

from linreg.solvers import extended, gram_pass, moments


@pytest.fixture(params=["compiled", "numpy"], autouse=True)
def route(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test on the compiled sweep (where built) and on NumPy's route."""
    if request.param == "numpy":
        monkeypatch.setattr(gram_pass, "available", lambda X: False)
    elif gram_pass._load() is None:
        pytest.skip("the C kernel is not built")
    return str(request.param)


def _integer_data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.integers(-50, 51, size=(n, d)).astype(np.float64)
    y = rng.integers(-1000, 1001, size=n).astype(np.float64)
    return X, y


def test_the_segments_add_up_to_the_exact_sums() -> None:
    d = 4
    rows = moments.chunk_rows(d)
    n = rows * moments.SEGMENT_BLOCKS * 2 + rows // 3  # three segments, the last short
    X, y = _integer_data(n, d, 0)
    shift, y_shift = np.array([1.0, -2.0, 0.0, 3.0]), 5.0
    S, xty, sx, yty, sy, sumsq = moments._shifted_sums(X, y, shift, y_shift)
    B, v = X - shift, y - y_shift  # integers: every product and sum below is exact
    np.testing.assert_array_equal(S, B.T @ B)
    np.testing.assert_array_equal(xty, v @ B)
    np.testing.assert_array_equal(sx, B.sum(axis=0))
    assert yty == float(v @ v)
    assert sy == float(v.sum())
    assert sumsq.shape == (-(-n // rows), d)
    np.testing.assert_array_equal(sumsq[-1], (B[(n // rows) * rows :] ** 2).sum(axis=0))


def test_no_sum_depends_on_the_number_of_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    d = 3
    n = moments.chunk_rows(d) * moments.SEGMENT_BLOCKS * 3
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, d)) * 1e3 + 7.0
    y = rng.normal(size=n)
    shift = X[:50].mean(axis=0)
    several = moments._shifted_sums(X, y, shift, 0.25)
    monkeypatch.setattr(extended, "cpu_count", lambda: 1)
    one = moments._shifted_sums(X, y, shift, 0.25)
    for a, b in zip(several, one, strict=True):
        np.testing.assert_array_equal(a, b)
