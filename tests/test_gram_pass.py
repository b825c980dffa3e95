"""Tests of the compiled Gram pass, ``linreg.solvers.gram_pass``.

Oracles: exact rational arithmetic (``fractions.Fraction``) for the sums, to the
rounding their order allows, and for each block's mass exactly; NumPy's route through
:class:`linreg.solvers.weighted_gram.WeightedGramR` for the solution, which both routes
must give bit for bit (they only precondition the same refinement).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from linreg.solvers import compiled, extended, gram_pass
from linreg.solvers import weighted_gram as wg
from linreg.solvers.lstsq import lstsq

Array = NDArray[np.float64]

pytestmark = pytest.mark.skipif(
    compiled.library() is None or gram_pass._load() is None, reason="the C kernel is not built"
)


def exact_sums(
    X: Array, y: Array, origin: Array | None, y_origin: float, w: Array | None
) -> tuple[list[list[Fraction]], list[Fraction], list[Fraction], Fraction, Fraction]:
    """The module's sums in rationals."""
    n, d = X.shape
    o = [Fraction(0)] * d if origin is None else [Fraction(v) for v in origin]
    gram = [[Fraction(0)] * d for _ in range(d)]
    sx, xty = [Fraction(0)] * d, [Fraction(0)] * d
    sy = yty = Fraction(0)
    for i in range(n):
        wi = Fraction(1) if w is None else Fraction(w[i])
        b = [Fraction(X[i, j]) - o[j] for j in range(d)]
        v = Fraction(y[i]) - Fraction(y_origin)
        for j in range(d):
            sx[j] += wi * b[j]
            xty[j] += wi * v * b[j]
            for k in range(d):
                gram[j][k] += wi * b[j] * b[k]
        sy += wi * v
        yty += wi * v * v
    return gram, sx, xty, sy, yty


def close(got: float, want: Fraction, scale: float, n: int) -> bool:
    """Within the rounding of ``n`` terms of magnitude up to ``scale``."""
    return abs(Fraction(got) - want) <= Fraction(4 * (n + 2) * scale * 2.0**-53)


@pytest.mark.parametrize("d", [1, 3, 8, 9, 16, 17, 33, 64])
@pytest.mark.parametrize("weighted", [False, True])
def test_sums_equal_the_exact_ones_to_rounding(d: int, weighted: bool) -> None:
    rng = np.random.default_rng(d)
    n, rows = 150, 40  # four blocks, the last short
    X = rng.normal(3.0, 2.0, (n, d))
    y = rng.normal(-1.0, 1.0, n)
    w = rng.uniform(0.0, 2.0, n) if weighted else None
    origin = X[::7].mean(axis=0)
    sums = gram_pass.gram_sums(X, y, rows, origin, 0.5, w)
    gram, sx, xty, sy, yty = exact_sums(X, y, origin, 0.5, w)
    B = X - origin
    top = 2.0 * float(np.max(np.abs(B))) ** 2 * (2.0 if weighted else 1.0)
    assert all(close(sums.gram[j, k], gram[j][k], top, n) for j in range(d) for k in range(d))
    assert np.array_equal(sums.gram, sums.gram.T)
    assert all(close(sums.sx[j], sx[j], top, n) and close(sums.xty[j], xty[j], 10 * top, n)
               for j in range(d))  # fmt: skip
    assert close(sums.sy, sy, 10.0, n)
    assert close(sums.yty, yty, 20.0, n)
    for b, start in enumerate(range(0, n, rows)):
        block = B[start : start + rows]
        want = [sum(Fraction(v) ** 2 for v in block[:, j]) for j in range(d)]
        assert all(close(sums.sumsq[b, j], want[j], top, rows) for j in range(d))
    if weighted:
        assert w is not None
        assert sum(Fraction(t) for t in sums.mass) == sum(Fraction(v) for v in w)
    else:
        assert sums.mass == []


def test_no_origin_is_the_plain_sums() -> None:
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((300, 5)), rng.standard_normal(300)
    plain = gram_pass.gram_sums(X, y, 64)
    zero = gram_pass.gram_sums(X, y, 64, np.zeros(5), 0.0, None)
    assert np.allclose(plain.gram, X.T @ X, rtol=1e-13, atol=1e-12)
    assert np.allclose(plain.xty, y @ X, rtol=1e-13, atol=1e-12)
    assert np.array_equal(plain.gram, zero.gram)
    assert np.array_equal(plain.sumsq, zero.sumsq)


@settings(max_examples=40, deadline=None)
@given(
    exponents=st.lists(st.integers(-1074, 0), min_size=1, max_size=300),
    mantissas=st.data(),
)
def test_each_blocks_mass_is_exact(exponents: list[int], mantissas: st.DataObject) -> None:
    """Weights spread over every binade, subnormals and zeros included."""
    m = mantissas.draw(st.lists(st.floats(0.0, 1.0), min_size=len(exponents),
                                max_size=len(exponents)))  # fmt: skip
    w = np.array([math.ldexp(a, e) for a, e in zip(m, exponents, strict=True)])
    n = w.shape[0]
    X, y = np.ones((n, 1)), np.zeros(n)
    rows = 37
    sums = gram_pass.gram_sums(X, y, rows, None, 0.0, w)
    assert sum(Fraction(t) for t in sums.mass) == sum(Fraction(v) for v in w)
    assert math.fsum(sums.mass) == math.fsum(w.tolist())


def test_the_sums_do_not_depend_on_the_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    n, rows = 40 * gram_pass.SEGMENT_BLOCKS * 3 + 17, 40
    X, y, w = rng.standard_normal((n, 12)), rng.standard_normal(n), rng.uniform(0, 1, n)
    runs = []
    for cores in (1, 2, 3):
        monkeypatch.setattr(extended, "cpu_count", lambda cores=cores: cores)
        runs.append(gram_pass.gram_sums(X, y, rows, np.full(12, 0.25), 1.0, w))
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            assert np.array_equal(np.asarray(a), np.asarray(b))


def test_which_designs_it_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    X = np.zeros((10, 4))
    assert gram_pass.available(X)
    assert not gram_pass.available(np.asfortranarray(np.zeros((10, 4))))
    assert not gram_pass.available(np.zeros((10, gram_pass.MAX_FEATURES + 1)))
    assert not gram_pass.available(np.zeros((10, 0)))
    assert not gram_pass.available(X.astype(np.float32))
    monkeypatch.setenv(compiled.ENV, "numpy")
    assert not gram_pass.available(X)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shift", [0.0, 50.0])
def test_both_routes_give_the_same_bits(
    weighted: bool, shift: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compiled and NumPy Gram passes precondition the same refinement."""
    rng = np.random.default_rng(3)
    n, d = 60_000, 7
    X = rng.standard_normal((n, d)) + shift
    y = X @ np.linspace(-1, 1, d) + rng.standard_normal(n)
    w = rng.uniform(0.1, 3.0, n) if weighted else None
    seen: list[bool] = []
    original = wg.WeightedGramR._sums

    def spy(self: wg.WeightedGramR, *args: object) -> object:
        seen.append(gram_pass.available(args[0]))  # type: ignore[arg-type]
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(wg.WeightedGramR, "_sums", spy)
    fast = lstsq(X, y, sample_weight=w, alpha=0.05)
    monkeypatch.setattr(gram_pass, "available", lambda X: False)
    slow = lstsq(X, y, sample_weight=w, alpha=0.05)
    assert seen == [True, False]
    assert np.array_equal(fast.coef, slow.coef)
    assert fast.intercept == slow.intercept
