"""Tests of the C refinement kernel and its statement in Python, ``linreg.solvers.kernels``.

Oracles: exact rational arithmetic (``fractions.Fraction``) for the kernel's terms,
run as plain Python; the C kernel is held to that Python bit for bit; and the
solvers' answers with the C kernel to those with the NumPy kernel, bit for bit (both
are correctly rounded).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from linreg import LinearRegression
from linreg.solvers import kernels
from linreg.solvers.lstsq import lstsq
from linreg.solvers.norm_sliced import BlockCuts, column_norms, second_slice_bits
from sliced_data import cancelling_block, exact_residual

Array = NDArray[np.float64]


def _run(X: Array, y: Array, cuts: BlockCuts, compiled: bool) -> tuple[Array, ...]:
    """The kernel's outputs (cols, ones, sumsq) and its scratch (r, f) of the last block."""
    n, k = X.shape
    blocks, levels = -(-n // cuts.rows), cuts.levels
    cols, ones = np.empty((blocks, 2 * levels, k)), np.empty((blocks, levels + 1))
    sumsq, r, f = np.empty(blocks), np.full(cuts.rows, np.nan), np.full(cuts.rows, np.nan)
    run = kernels._compiled() if compiled else kernels.seminormal_blocks
    assert run is not None
    shifts, w_parts = np.stack(cuts.shifts), np.stack(cuts.w_parts)
    grid = 2.0 ** -second_slice_bits(cuts.rows)
    run(X, y, cuts.rows, shifts, w_parts, cuts.w, cuts.b1, cuts.b2, grid, cols, ones, sumsq, r, f)
    return cols, ones, sumsq, r, f


@pytest.mark.parametrize(("levels", "bits"), [(1, 72), (2, 96)])
@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 200),
    rows=st.sampled_from([7, 64, 100, 200]),
    scale=st.floats(-30, 30),
    offset=st.floats(0, 4),
    noise=st.floats(-12, 0),
)
def test_terms_match_exact_arithmetic(
    levels: int,
    bits: int,
    seed: int,
    n: int,
    rows: int,
    scale: float,
    offset: float,
    noise: float,
) -> None:
    """Per block, the exact terms plus the tail are ``A^T (y - b - C w)`` within the
    NumPy kernel's bounds (2**-72 of ``|C_j|`` times what ``e``'s error scales with at
    one level, 2**-96 at two), over blocks and tiles of every size, partial ones too."""
    k = 1 + seed % 5
    X, y, b, w = cancelling_block(np.random.default_rng(seed), n, k, scale, offset, noise)
    rows = min(rows, n)
    cuts = BlockCuts.of(column_norms(X, rows), b, w, levels=levels, rows=rows)
    cols, ones, sumsq, _, _ = _run(X, y, cuts, compiled=False)
    for block, start in enumerate(range(0, n, rows)):
        C, yb = X[start : start + rows], y[start : start + rows]
        e = exact_residual(C, yb, b, w)
        m = len(e)
        e_norm = float(np.sqrt(float(sum(v * v for v in e))))
        reach = np.sqrt(m) * e_norm + (k + 1) * float(
            np.linalg.norm(np.abs(C) @ np.abs(w) + abs(b))
        )
        for j in range(k):
            exact = sum((Fraction(C[i, j]) * e[i] for i in range(m)), Fraction(0))
            got = sum(map(Fraction, cols[block, :, j].tolist()), Fraction(0))
            assert abs(float(got - exact)) <= 2.0**-bits * np.linalg.norm(C[:, j]) * reach
        got_ones = sum(map(Fraction, ones[block].tolist()), Fraction(0))
        assert abs(float(got_ones - sum(e, Fraction(0)))) <= 2.0**-bits * np.sqrt(m) * reach
        assert np.sqrt(sumsq[block]) == pytest.approx(e_norm, rel=1e-12, abs=2.0**-bits * reach)


@pytest.mark.parametrize("levels", [1, 2])
def test_zero_residual_and_zero_block(levels: int) -> None:
    X = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0], [0.0, 0.0]])
    w = np.array([0.5, -0.25])
    y = np.concatenate([X[:2] @ w + 1.0, [2.0, 3.0]])
    cuts = BlockCuts.of(column_norms(X, 2), 1.0, w, levels=levels, rows=2)
    cols, ones, sumsq, _, _ = _run(X, y, cuts, False)
    assert not cols.any()
    assert not ones[0].any()
    assert sum(ones[1]) == 3.0  # the zero block: e = y - b = [1, 2]
    assert sumsq.tolist() == [0.0, 5.0]


@pytest.fixture
def c_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The C kernel in use (the test skips where it was not built)."""
    monkeypatch.delenv(kernels.ENV, raising=False)
    if not kernels.available():
        pytest.skip("the C kernel was not built (no C compiler at install)")


@pytest.mark.usefixtures("c_kernel")
@pytest.mark.parametrize("levels", [1, 2])
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3000),
    rows=st.sampled_from([1, 63, 64, 65, 1000, 8192]),
    scale=st.floats(-30, 30),
    offset=st.floats(0, 4),
    noise=st.floats(-16, 0),
)
def test_c_kernel_is_the_python_one_bit_for_bit(
    levels: int, seed: int, n: int, rows: int, scale: float, offset: float, noise: float
) -> None:
    """No fast-math, no fused multiply-adds: the C computes what the Python computes,
    in the same order, and so gets the same bits (including its scratch)."""
    rng = np.random.default_rng(seed)
    X, y, b, w = cancelling_block(rng, n, 1 + seed % 7, scale, offset, noise)
    rows = min(rows, n)
    cuts = BlockCuts.of(column_norms(X, rows), b, w, levels=levels, rows=rows)
    python, compiled = _run(X, y, cuts, False), _run(X, y, cuts, True)
    for a, c in zip(python, compiled, strict=True):
        np.testing.assert_array_equal(a, c)


def test_c_kernel_refuses_arrays_it_cannot_read(c_kernel: None) -> None:
    X = np.ones((10, 2))
    cuts = BlockCuts.of(column_norms(X, 10), 0.0, np.ones(2), rows=10)
    with pytest.raises(ValueError, match="C-ordered float64"):
        _run(np.asfortranarray(X), np.ones(10), cuts, True)


PROBLEMS = [
    # (rows, features, spread of column scales in decades, offset, noise, intercept, levels)
    (20_000, 16, 0, 0.0, 0.5, 1.0, 1),  # the benchmark's kind of data
    (20_000, 16, 2, 0.0, 1.0, 1.5, 2),
    (30_001, 5, 0, 0.0, 0.0, 0.25, 1),  # an exact fit on a grid
    (40_000, 2, 1, 1.0, 1e-3, None, 1),  # no intercept
    (70_000, 8, 2, 0.0, 1e3, 2.0, 2),
    (25_000, 4, 0, 0.0, 1e-8, 3.0, 1),  # residuals 1e-8 of the fitted values
]


@pytest.mark.usefixtures("c_kernel")
@pytest.mark.parametrize(("n", "d", "spread", "offset", "noise", "intercept", "levels"), PROBLEMS)
def test_solutions_are_the_numpy_kernels_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch,
    n: int,
    d: int,
    spread: float,
    offset: float,
    noise: float,
    intercept: float | None,
    levels: int,
) -> None:
    """Both kernels lead the solver to the correctly rounded solution: the same bits,
    and the same residual sum of squares to its float64 accuracy."""
    rng = np.random.default_rng(n + d)
    if noise == 0.0:
        X = rng.integers(-64, 64, (n, d)) * 0.125
    else:
        X = rng.standard_normal((n, d)) * 10.0 ** rng.uniform(-spread, spread, d) + offset
    y = X @ rng.standard_normal(d) + (intercept or 0.0) + noise * rng.standard_normal(n)
    fit_intercept = intercept is not None
    monkeypatch.setenv(kernels.ENV, "numpy")
    reference = lstsq(X, y, fit_intercept=fit_intercept)
    monkeypatch.delenv(kernels.ENV)
    runs: list[int] = []
    compiled = kernels._compiled()
    assert compiled is not None

    def spy(*args: Array) -> None:
        runs.append(len(args[3]))  # the levels
        compiled(*args)

    monkeypatch.setattr(kernels, "_compiled", lambda: spy)
    got = lstsq(X, y, fit_intercept=fit_intercept)
    assert set(runs) == {levels}, "the C kernel did not run"
    np.testing.assert_array_equal(got.params, reference.params)
    assert got.residual_sum_of_squares == pytest.approx(
        reference.residual_sum_of_squares, rel=1e-12, abs=1e-300
    )


def test_the_estimator_refines_with_the_c_kernel(
    monkeypatch: pytest.MonkeyPatch, c_kernel: None
) -> None:
    runs: list[tuple[int, int]] = []
    compiled = kernels._compiled()
    assert compiled is not None

    def spy(*args: Array) -> None:
        runs.append(args[0].shape)
        compiled(*args)

    monkeypatch.setattr(kernels, "_compiled", lambda: spy)
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40_000, 16))
    LinearRegression(solver="exact").fit(X, X @ np.arange(16.0) + rng.standard_normal(40_000))
    assert sum(shape[0] for shape in runs) == 40_000  # the blocks, shared among threads


def test_environment_variable_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kernels.ENV, "NumPy")
    assert not kernels.available()
    assert kernels.describe() == "NumPy (LINREG_KERNELS=numpy)"


def test_without_the_extension_the_numpy_kernel_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(kernels.ENV, raising=False)
    monkeypatch.setattr(kernels, "_load", lambda: None)
    assert not kernels.available()
    assert "reinstall linreg with a C compiler" in kernels.describe()
    rng = np.random.default_rng(8)
    X = rng.standard_normal((40_000, 2))
    res = lstsq(X, X @ [1.0, 2.0] + 0.5)
    np.testing.assert_array_equal(res.params, [0.5, 1.0, 2.0])


def test_description_names_the_c_kernel(c_kernel: None) -> None:
    assert kernels.describe() == "C (linreg.solvers._kernels)"
