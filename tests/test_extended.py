"""Tests of the error-free transformations and sums of ``linreg.solvers.extended``.

Oracle: exact rational arithmetic (``fractions.Fraction``). The kernels that split a
whole design are tested through the solver in tests/test_lstsq.py; the norm-sliced
kernel of the seminormal corrections also on its own here.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linreg.solvers.extended import (
    MAX_THREADS,
    centred_sum,
    fsum_columns,
    map_chunks,
    slice_bits,
    sum_k,
    two_product,
    two_sum,
)
from linreg.solvers.norm_sliced import (
    BlockCuts,
    ChunkScratch,
    column_norms,
    seminormal_terms,
    two_diff,
)
from sliced_data import cancelling_block, exact_residual

#: Floats over 200 decades (TwoProduct is exact barring underflow and overflow).
wide = st.one_of(
    st.just(0.0), st.floats(min_value=1e-100, max_value=1e100), st.floats(-1e100, -1e-100)
)


@settings(max_examples=60, deadline=None)
@given(a=wide, b=wide)
def test_two_sum_and_two_product_are_exact(a: float, b: float) -> None:
    s, e = two_sum(np.array([a]), np.array([b]))
    assert Fraction(s[0]) + Fraction(e[0]) == Fraction(a) + Fraction(b)
    p, q = two_product(np.array([a]), np.array([b]))
    assert Fraction(p[0]) + Fraction(q[0]) == Fraction(a) * Fraction(b)


def test_slice_bits_shrink_with_the_length_of_the_sums() -> None:
    assert slice_bits(1) > slice_bits(16) > slice_bits(4096)
    assert slice_bits(16) >= 20


def _rounded(value: Fraction) -> float:
    return float(value)  # Fraction -> float rounds correctly


@settings(max_examples=40, deadline=None)
@given(
    terms=st.lists(st.floats(-1e8, 1e8), min_size=2, max_size=12),
    scale=st.floats(1e-6, 1e6),
)
def test_sum_k_is_faithful_despite_cancellation(terms: list[float], scale: float) -> None:
    """Each term and its near-negation: the sum is only what the rounding left. SumK
    bounds its error by (eps + 3 gamma^2) |s|: within an ulp (Hypothesis found a
    case an ulp off; fsum_columns is the correctly rounded sum)."""
    values = [t * scale for t in terms] + [-t * scale * (1 + 2**-40) for t in terms]
    exact = sum((Fraction(v) for v in values), Fraction(0))
    got = sum_k([np.array([v]) for v in values], 4)[0]
    assert abs(Fraction(float(got)) - exact) <= Fraction(float(np.spacing(abs(_rounded(exact)))))
    assert fsum_columns(np.array([values])[:, :, None][0])[0] == _rounded(exact)


def test_centred_sum_applies_t_transpose_before_rounding() -> None:
    """v_j - m_j v_0 where the two cancel to 1e-12 of their size: rounding v first
    would leave only noise; the exact products keep every bit."""
    rng = np.random.default_rng(4)
    m = np.array([1e6 + 0.5, -3e5 + 0.25, 7.0])
    v0_terms = [float(t) for t in rng.standard_normal(5) * 1e-3]
    v0 = sum((Fraction(t) for t in v0_terms), Fraction(0))
    small = rng.standard_normal(3) * 1e-9
    # v_j = m_j v_0 + small_j, spread over terms that round on their own.
    cols = [np.array([float(Fraction(mj) * v0) for mj in m]), small]
    lost = [float(Fraction(mj) * v0 - Fraction(c)) for mj, c in zip(m, cols[0], strict=True)]
    cols.append(np.array(lost))  # what rounding m_j v_0 left out
    exact_v = [sum((Fraction(c[j]) for c in cols), Fraction(0)) for j in range(3)]
    extra = np.array([1e-15, -2e-15, 3e-15])
    got = centred_sum(v0_terms, cols, m, centred_ones=[1e-20], centred_cols=[extra])
    assert got[0] == _rounded(v0 + Fraction(1e-20))
    for j in range(3):
        want = exact_v[j] - Fraction(m[j]) * v0 + Fraction(extra[j])
        assert got[1 + j] == _rounded(want)
    rounded_first = sum_k(cols, 3) - m * float(v0)
    assert np.any(rounded_first != got[1:])  # the naive order loses the small parts


def test_fsum_columns_rounds_each_column_once() -> None:
    terms = np.array([[1e16, 1.0], [1.0, 1e-30], [-1e16, -1.0]])
    np.testing.assert_array_equal(fsum_columns(terms), [1.0, 1e-30])
    with np.errstate(over="ignore"):
        assert np.isinf(fsum_columns(np.array([[1e308], [1e308]]))[0])
    assert np.isnan(fsum_columns(np.array([[np.inf], [-np.inf]]))[0])


def test_two_diff_is_exact() -> None:
    a, b = np.array([1e16, 0.1, -3.0]), np.array([-1.0, 0.3, 1e-20])
    s, e = two_diff(a, b)
    for j in range(3):
        assert Fraction(s[j]) + Fraction(e[j]) == Fraction(a[j]) - Fraction(b[j])


# -- the norm-sliced seminormal kernel ---------------------------------------------------


def _block_terms(
    C: np.ndarray, y: np.ndarray, b: float, w: np.ndarray, levels: int = 1
) -> tuple[list[Fraction], Fraction, float]:
    """Run :func:`seminormal_terms` on one block with its exact column norms; return
    each column's sum of terms, the ones' sum (both exact, as Fractions) and |e|^2."""
    cuts = BlockCuts.of(column_norms(C, C.shape[0]), b, w, levels=levels, rows=C.shape[0])
    scratch = ChunkScratch(*C.shape, levels)
    cols, ones, sumsq = seminormal_terms(C, y, cuts, 0, scratch)
    assert (len(cols), len(ones)) == (2 * levels, levels + 1)  # exact terms, then a tail
    col_sums = [sum((Fraction(float(t[j])) for t in cols), Fraction(0)) for j in range(C.shape[1])]
    return col_sums, sum((Fraction(t) for t in ones), Fraction(0)), sumsq


@pytest.mark.parametrize(("levels", "bits"), [(1, 72), (2, 96)])
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 400),
    scale=st.floats(-30, 30),
    offset=st.floats(0, 6),
    noise=st.floats(-12, 0),
)
def test_seminormal_terms_match_exact_arithmetic(
    levels: int, bits: int, seed: int, rows: int, scale: float, offset: float, noise: float
) -> None:
    """``A^T (y - b - C w)`` as exact terms plus a rounded tail, within the kernel's
    bounds: its error, against ``|C_j|`` times what ``e``'s error scales with, is
    below 2**-72 with one level and 2**-96 with two (measured: 2**-81 and 2**-104),
    whatever the scale of the columns, offsets of 10**offset standard deviations,
    and residuals 10**noise of the fitted values, where ``y - C w`` cancels."""
    rng = np.random.default_rng(seed)
    C, y, b, w = cancelling_block(rng, rows, int(rng.integers(1, 6)), scale, offset, noise)
    k = C.shape[1]
    cols, ones, sumsq = _block_terms(C, y, b, w, levels)
    e = exact_residual(C, y, b, w)
    e_norm = float(np.sqrt(float(sum(v * v for v in e))))
    rows_norm = float(np.linalg.norm(np.abs(C) @ np.abs(w) + abs(b)))
    reach = np.sqrt(rows) * e_norm + (k + 1) * rows_norm  # what |e|'s error scales with
    for j in range(k):
        exact = sum((Fraction(C[i, j]) * e[i] for i in range(rows)), Fraction(0))
        assert abs(float(cols[j] - exact)) <= 2.0**-bits * np.linalg.norm(C[:, j]) * reach
    exact_ones = sum(e, Fraction(0))
    assert abs(float(ones - exact_ones)) <= 2.0**-bits * np.sqrt(rows) * reach
    # |e| itself carries e's error, which may be large beside a tiny residual.
    assert np.sqrt(sumsq) == pytest.approx(e_norm, rel=1e-12, abs=2.0**-bits * reach)


@pytest.mark.parametrize("levels", [1, 2])
def test_seminormal_terms_on_a_zero_residual_and_zero_block(levels: int) -> None:
    C = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([0.5, -0.25])
    cols, ones, sumsq = _block_terms(C, C @ w + 1.0, 1.0, w, levels)
    assert cols == [0, 0]
    assert ones == 0
    assert sumsq == 0.0
    zero = np.zeros((3, 2))
    cols, ones, sumsq = _block_terms(zero, np.array([1.0, 2.0, 3.0]), 0.0, w, levels)
    assert cols == [0, 0]
    assert ones == 6
    assert sumsq == 14.0


def test_chunk_scratch_refills_its_shifts_only_when_they_change() -> None:
    scratch = ChunkScratch(4, 2, 2)
    first = scratch.shift(np.array([1.0, 2.0]), 3)
    assert first.shape == (3, 2)
    assert np.all(first == [1.0, 2.0])
    scratch._shifts[0][0, 0] = 7.0  # a stale fill would show here
    assert scratch.shift(np.array([1.0, 2.0]), 4)[0, 0] == 7.0
    assert scratch.shift(np.array([1.0, 3.0]), 4)[0, 0] == 1.0
    assert scratch.shift(np.array([5.0, 6.0]), 4, 1)[3, 1] == 6.0
    assert scratch.shift(np.array([1.0, 3.0]), 4)[0, 0] == 1.0  # level 0 kept its own


def test_map_chunks_keeps_chunk_order_and_caps_its_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a machine of many cores the kernels' per-thread scratch stays bounded."""
    import threading

    import linreg.solvers.extended as extended_module

    monkeypatch.setattr(extended_module, "cpu_count", lambda: 64)
    threads: set[int] = set()

    def work(s: int, state: None) -> int:
        threads.add(threading.get_ident())
        return s

    assert map_chunks(work, 1000, 7, lambda: None) == list(range(0, 1000, 7))
    assert 1 <= len(threads) <= MAX_THREADS
