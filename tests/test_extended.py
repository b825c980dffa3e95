"""Tests of the error-free transformations and sums of ``linreg.extended``.

Oracle: exact rational arithmetic (``fractions.Fraction``). The kernels that split a
whole design are tested through the solver in tests/test_lstsq.py.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linreg.extended import centred_sum, slice_bits, sum_k, two_product, two_sum

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
def test_sum_k_is_correctly_rounded_despite_cancellation(terms: list[float], scale: float) -> None:
    """Each term and its near-negation: the sum is only what the rounding left."""
    values = [t * scale for t in terms] + [-t * scale * (1 + 2**-40) for t in terms]
    exact = sum((Fraction(v) for v in values), Fraction(0))
    got = sum_k([np.array([v]) for v in values], 4)[0]
    assert got == _rounded(exact)


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
    got = centred_sum(v0_terms, cols, m, 3, centred_ones=[1e-20], centred_cols=[extra])
    assert got[0] == _rounded(v0 + Fraction(1e-20))
    for j in range(3):
        want = exact_v[j] - Fraction(m[j]) * v0 + Fraction(extra[j])
        assert got[1 + j] == _rounded(want)
    rounded_first = sum_k(cols, 3) - m * float(v0)
    assert np.any(rounded_first != got[1:])  # the naive order loses the small parts
