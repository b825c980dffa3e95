"""Tests of the fast route for weighted and penalized exact fits,
``linreg.solvers.weighted_gram``, and of the norm-sliced kernel's row weights.

Oracles: exact rational arithmetic (``fractions.Fraction``) for the total weight, the
kernel's weighted terms and the minimiser; the Householder route
(:class:`linreg.solvers.weighted.WeightedFactorization`, kept as the fallback) bit for
bit, since both end at the correctly rounded minimiser; scikit-learn ``Ridge`` and
statsmodels ``WLS``; the C kernel against its Python statement, bit for bit.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from sklearn.linear_model import Ridge

import linreg.solvers.lstsq as lstsq_module
from exact_oracle import gauss
from linreg.errors import NonFiniteDataError, RankDeficiencyWarning
from linreg.solvers import kernels, weighted_gram
from linreg.solvers.lstsq import lstsq
from linreg.solvers.norm_sliced import BlockCuts, column_norms, second_slice_bits
from linreg.solvers.weighted_gram import exact_mass
from sliced_data import cancelling_block, exact_residual

Array = NDArray[np.float64]


# -- helpers ------------------------------------------------------------------------------


@contextmanager
def route_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Records, per weighted fit, whether the fast route gave the answer."""
    taken: list[bool] = []
    original = lstsq_module._weighted_gram

    def spy(*args: object, **kwargs: object) -> object:
        out = original(*args, **kwargs)  # type: ignore[arg-type]
        taken.append(out is not None)
        return out

    monkeypatch.setattr(lstsq_module, "_weighted_gram", spy)
    yield taken
    monkeypatch.setattr(lstsq_module, "_weighted_gram", original)


def householder(X: Array, y: Array, **kwargs: object) -> Array:
    """The Householder route's answer (the fast route turned off)."""
    original = lstsq_module._weighted_gram
    lstsq_module._weighted_gram = lambda *a, **k: None  # type: ignore[assignment]
    try:
        return lstsq(X, y, **kwargs).params  # type: ignore[arg-type]
    finally:
        lstsq_module._weighted_gram = original


def _integers(v: Array) -> tuple[list[int], int]:
    """``v`` exactly as integers over one power-of-two denominator."""
    ratios = [float(t).as_integer_ratio() for t in v]
    den = max(q for _, q in ratios)
    return [num * (den // q) for num, q in ratios], den


def exact_minimiser(
    X: Array, y: Array, w: Array, alpha: Array, fit_intercept: bool
) -> list[Fraction]:
    """``(A^T W A + S diag(0, alpha)) x = A^T W y`` in rationals (float64 data exactly),
    the sums over rows in Python integers."""
    A = np.column_stack([np.ones(len(y)), X]) if fit_intercept else X
    cols, dens = zip(*(_integers(A[:, j]) for j in range(A.shape[1])), strict=True)
    wi, den_w = _integers(w)
    yi, den_y = _integers(y)
    p = len(cols)
    wa = [[a * b for a, b in zip(c, wi, strict=True)] for c in cols]

    def dot(a: list[int], b: list[int]) -> int:
        return sum(s * t for s, t in zip(a, b, strict=True))

    G = [[Fraction(dot(wa[i], cols[j]), den_w * dens[i] * dens[j]) for j in range(p)]
         for i in range(p)]  # fmt: skip
    h = [Fraction(dot(wa[i], yi), den_w * dens[i] * den_y) for i in range(p)]
    S = Fraction(sum(wi), den_w)
    off = int(fit_intercept)
    for j in range(off, p):
        G[j][j] += Fraction(float(alpha[j - off])) * S
    return gauss(G, h)


def problem(
    seed: int, n: int, d: int, *, spread: float = 1.0, offset: float = 1.0, noise: float = 0.5
) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-spread, spread, d)
    X = rng.standard_normal((n, d)) * scale + offset * rng.uniform(-3, 3, d) * scale
    y = X @ (rng.standard_normal(d) / scale) + 1.5 + noise * rng.standard_normal(n)
    return X, y


# -- the exact total weight ---------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 3000),
    low=st.floats(-1074, 899),
    span=st.floats(0, 200),
    zeros=st.floats(0, 1),
)
def test_exact_mass_is_the_exact_sum(
    seed: int, n: int, low: float, span: float, zeros: float
) -> None:
    rng = np.random.default_rng(seed)
    w = np.exp2(np.minimum(low + span * rng.random(n), 899.0)) * rng.uniform(1, 2, n)
    w[rng.random(n) < zeros] = 0.0
    parts = exact_mass(w)
    assert sum(map(Fraction, parts), Fraction(0)) == sum(map(Fraction, w.tolist()), Fraction(0))


# -- the kernel's row weights -------------------------------------------------------------


def _run(X: Array, y: Array, cuts: BlockCuts, weights: Array, compiled: bool) -> tuple[Array, ...]:
    n, k = X.shape
    blocks, levels = -(-n // cuts.rows), cuts.levels
    cols, ones = np.empty((blocks, 2 * levels, k)), np.empty((blocks, levels + 1))
    sumsq, r, f = np.empty(blocks), np.full(cuts.rows, np.nan), np.full(cuts.rows, np.nan)
    run = kernels._compiled() if compiled else kernels.seminormal_blocks
    assert run is not None
    shifts, w_parts = np.stack(cuts.shifts), np.stack(cuts.w_parts)
    grid = 2.0 ** -second_slice_bits(cuts.rows)
    args = (cuts.w, cuts.b1, cuts.b2, grid, cols, ones, sumsq, r, f, weights)
    run(X, y, cuts.rows, shifts, w_parts, *args)
    return cols, ones, sumsq, r, f


def _weights(rng: np.random.Generator, n: int) -> Array:
    w = np.exp2(rng.uniform(-40, 0, n))
    w[rng.random(n) < 0.1] = 0.0
    return w


@pytest.mark.parametrize(("levels", "bits"), [(1, 72), (2, 96)])
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 150),
    rows=st.sampled_from([7, 64, 100]),
    noise=st.floats(-12, 0),
)
def test_weighted_terms_match_exact_arithmetic(
    levels: int, bits: int, seed: int, n: int, rows: int, noise: float
) -> None:
    """Per block, the terms sum to ``A^T W e`` within the unweighted kernel's bounds
    taken on ``W e`` (each ``w_i e_i`` is formed exactly)."""
    rng = np.random.default_rng(seed)
    k = 1 + seed % 4
    X, y, b, w = cancelling_block(rng, n, k, 0.0, 1.0, noise)
    weights = _weights(rng, n)
    rows = min(rows, n)
    cuts = BlockCuts.of(column_norms(X, rows), b, w, levels=levels, rows=rows)
    cols, ones, _, _, _ = _run(X, y, cuts, weights, compiled=False)
    for block, start in enumerate(range(0, n, rows)):
        C, yb = X[start : start + rows], y[start : start + rows]
        wb = [Fraction(v) for v in weights[start : start + rows].tolist()]
        e = [wi * ei for wi, ei in zip(wb, exact_residual(C, yb, b, w), strict=True)]
        m = len(e)
        e_norm = float(np.sqrt(float(sum(v * v for v in e))))
        row_size = np.abs(C) @ np.abs(w) + abs(b)
        reach = np.sqrt(m) * e_norm + (k + 1) * float(
            np.linalg.norm(weights[start:][:m] * row_size)
        )
        reach += (k + 1) * float(np.linalg.norm(row_size)) * 2.0**-53
        for j in range(k):
            exact = sum((Fraction(C[i, j]) * e[i] for i in range(m)), Fraction(0))
            got = sum(map(Fraction, cols[block, :, j].tolist()), Fraction(0))
            assert abs(float(got - exact)) <= 2.0**-bits * np.linalg.norm(C[:, j]) * reach
        got_ones = sum(map(Fraction, ones[block].tolist()), Fraction(0))
        assert abs(float(got_ones - sum(e, Fraction(0)))) <= 2.0**-bits * np.sqrt(m) * reach


@pytest.fixture
def c_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
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
    noise=st.floats(-16, 0),
)
def test_weighted_c_kernel_is_the_python_one_bit_for_bit(
    levels: int, seed: int, n: int, rows: int, scale: float, noise: float
) -> None:
    rng = np.random.default_rng(seed)
    X, y, b, w = cancelling_block(rng, n, 1 + seed % 7, scale, 1.0, noise)
    weights = _weights(rng, n)
    rows = min(rows, n)
    cuts = BlockCuts.of(column_norms(X, rows), b, w, levels=levels, rows=rows)
    python, compiled = _run(X, y, cuts, weights, False), _run(X, y, cuts, weights, True)
    for a, c in zip(python, compiled, strict=True):
        np.testing.assert_array_equal(a, c)


# -- the fast route: the same bits as Householder, and right --------------------------------


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    d=st.integers(1, 9),
    weighting=st.sampled_from(["none", "uniform", "wide", "zeros", "integers"]),
    alpha=st.sampled_from([0.0, 1e-9, 1e-3, 0.1, 10.0, -1.0]),
    fit_intercept=st.booleans(),
    spread=st.floats(0, 2),
    offset=st.floats(0, 3),
)
def test_fast_route_gives_the_householder_bits(
    seed: int,
    d: int,
    weighting: str,
    alpha: float,
    fit_intercept: bool,
    spread: float,
    offset: float,
) -> None:
    """On varied data (weights spanning 1e-8..1e8, zero weights, a penalty per slope as
    ``alpha = -1`` stands for here, offsets) both routes end at the same minimiser."""
    rng = np.random.default_rng(seed)
    n = 66_000 // d + 200
    X, y = problem(seed, n, d, spread=spread, offset=offset)
    w = {
        "none": None,
        "uniform": rng.uniform(0.5, 2.0, n),
        "wide": np.exp(rng.uniform(np.log(1e-8), np.log(1e8), n)),
        "zeros": np.where(rng.random(n) < 0.3, 0.0, rng.exponential(1.0, n)),
        "integers": rng.integers(0, 4, n).astype(float),
    }[weighting]
    penalty: float | Array = rng.uniform(0.0, 1.0, d) if alpha < 0 else alpha
    if w is None and alpha == 0.0:
        penalty = 0.5
    kwargs = {"sample_weight": w, "alpha": penalty, "fit_intercept": fit_intercept}
    taken: list[bool] = []
    original = lstsq_module._weighted_gram

    def spy(*args: object, **kw: object) -> object:
        out = original(*args, **kw)  # type: ignore[arg-type]
        taken.append(out is not None)
        return out

    lstsq_module._weighted_gram = spy  # type: ignore[assignment]
    try:
        fast = lstsq(X, y, **kwargs).params  # type: ignore[arg-type]
    finally:
        lstsq_module._weighted_gram = original
    assert taken == [True]
    np.testing.assert_array_equal(fast, householder(X, y, **kwargs))


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("per_slope", [False, True])
def test_fast_route_is_the_exact_rational_minimiser(
    monkeypatch: pytest.MonkeyPatch, fit_intercept: bool, per_slope: bool
) -> None:
    rng = np.random.default_rng(7)
    n, d = 22_000, 3
    X, y = problem(3, n, d, offset=2.0)
    w = rng.uniform(0.0, 3.0, n)
    w[:50] = 0.0
    alpha = rng.uniform(0.0, 0.2, d) if per_slope else np.full(d, 0.05)
    with route_spy(monkeypatch) as taken:
        res = lstsq(X, y, sample_weight=w, alpha=alpha, fit_intercept=fit_intercept)
    assert taken == [True]
    for got, want in zip(res.params.tolist(), exact_minimiser(X, y, w, alpha, fit_intercept),
                         strict=True):  # fmt: skip
        assert abs(Fraction(got) - want) <= Fraction(np.spacing(abs(float(want))))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_fast_route_agrees_with_scikit_learn_and_statsmodels(
    monkeypatch: pytest.MonkeyPatch, fit_intercept: bool
) -> None:
    rng = np.random.default_rng(5)
    n, d = 30_000, 6
    X, y = problem(5, n, d)
    w = rng.uniform(0.5, 2.0, n)
    with route_spy(monkeypatch) as taken:
        ridge = lstsq(X, y, sample_weight=w, alpha=0.1, fit_intercept=fit_intercept)
        wls = lstsq(X, y, sample_weight=w * 1e3, alpha=1e-300, fit_intercept=fit_intercept)
    assert taken == [True, True]
    sk = Ridge(alpha=0.1 * w.sum(), fit_intercept=fit_intercept, solver="cholesky")
    sk.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ridge.coef, sk.coef_, rtol=1e-10, atol=1e-12)
    assert ridge.intercept == pytest.approx(sk.intercept_, rel=1e-10, abs=1e-12)
    A = sm.add_constant(X) if fit_intercept else X
    sm_params = sm.WLS(y, A, weights=w).fit().params
    np.testing.assert_allclose(wls.params, sm_params, rtol=1e-10, atol=1e-12)


def test_unweighted_ridge_takes_the_fast_route_and_the_kernel_without_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = problem(9, 20_000, 8)
    seen: list[object] = []
    original = kernels.seminormal_pass

    def spy(X: Array, y: Array, cuts: BlockCuts, weights: Array | None = None) -> object:
        seen.append(weights)
        return original(X, y, cuts, weights)

    monkeypatch.setattr(kernels, "seminormal_pass", spy)
    res = lstsq(X, y, alpha=0.3)
    assert seen
    assert all(w is None for w in seen)
    np.testing.assert_array_equal(res.params, householder(X, y, alpha=0.3))


def test_numpy_and_c_kernels_give_the_same_weighted_solution(
    monkeypatch: pytest.MonkeyPatch, c_kernel: None
) -> None:
    rng = np.random.default_rng(2)
    X, y = problem(2, 40_000, 5, offset=2.5, noise=1e-6)
    w = np.exp(rng.uniform(-10, 10, 40_000))
    got = lstsq(X, y, sample_weight=w, alpha=1e-4)
    monkeypatch.setenv(kernels.ENV, "numpy")
    np.testing.assert_array_equal(got.params, lstsq(X, y, sample_weight=w, alpha=1e-4).params)


# -- where the fast route steps aside -----------------------------------------------------


def test_rank_deficient_design_falls_back_and_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = problem(4, 20_000, 4)
    X = np.column_stack([X, X[:, 1] * 2.0])
    w = np.random.default_rng(4).uniform(0.5, 2.0, 20_000)
    with route_spy(monkeypatch) as taken, pytest.warns(RankDeficiencyWarning, match="4"):
        res = lstsq(X, y, sample_weight=w)
    assert taken == [False]
    assert res.rank == 5


def test_ill_conditioned_design_falls_back_to_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t = np.linspace(1.0, 2.0, 30_000)
    X = np.column_stack([t**k for k in range(1, 6)])
    y = np.sin(3.0 * t)
    w = np.random.default_rng(1).uniform(0.5, 2.0, t.size)
    with route_spy(monkeypatch) as taken:
        res = lstsq(X, y, sample_weight=w, alpha=1e-12)
    assert taken == [False]
    assert res.converged


def test_one_huge_weight_is_still_the_minimiser(monkeypatch: pytest.MonkeyPatch) -> None:
    """A weight 1e12 times the others: whichever route answers, the same bits as
    Householder's, and the fit passes through that row almost exactly."""
    X, y = problem(6, 20_000, 4)
    w = np.ones(20_000)
    w[123] = 1e12
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = lstsq(X, y, sample_weight=w, alpha=0.01)
    np.testing.assert_array_equal(res.params, householder(X, y, sample_weight=w, alpha=0.01))
    fitted = res.intercept + X[123] @ res.coef
    assert fitted == pytest.approx(y[123], rel=1e-6, abs=1e-6)


def test_non_finite_data_still_raise() -> None:
    X, y = problem(8, 20_000, 3)
    X[500, 1] = np.nan
    with pytest.raises(NonFiniteDataError):
        lstsq(X, y, sample_weight=np.ones(20_000), alpha=0.1)


def test_the_gram_factor_matches_householder_r() -> None:
    """``R^T R`` of the weighted Gram pass is Householder's, to rounding."""
    X, y = problem(3, 20_000, 5, offset=2.0)
    w = np.random.default_rng(3).uniform(0.0, 2.0, 20_000)
    gram = weighted_gram.WeightedGramR(X, y, True, w, 0.2)
    from linreg.solvers.weighted import WeightedFactorization

    fac = WeightedFactorization(X, True, w, 0.2, float(np.sum(w)))
    np.testing.assert_allclose(gram.R.T @ gram.R, fac.R.T @ fac.R, rtol=1e-9, atol=1e-6)
    assert sum(map(Fraction, gram.mass), Fraction(0)) == sum(map(Fraction, w), Fraction(0))


@pytest.mark.parametrize("weighted", [False, True])
def test_residual_sum_of_squares_comes_from_the_pass(weighted: bool) -> None:
    """``sum(w r^2)`` as the kernel summed it, weights' power-of-two scale undone."""
    X, y = problem(12, 20_000, 4)
    w = np.random.default_rng(12).uniform(0.0, 3e5, 20_000) if weighted else None
    res = lstsq(X, y, sample_weight=w, alpha=0.2)
    r = y - res.intercept - X @ res.coef
    want = float(np.dot(r, r) if w is None else np.dot(w * r, r))
    assert res.residual_sum_of_squares == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("case", ["fortran", "sample_rows_unweighted", "tiny", "huge", "exact"])
def test_awkward_inputs_give_the_householder_bits(case: str) -> None:
    """An F-ordered design (the NumPy kernel), weights zero on every sampled row (the
    shift from all rows), data near 1e-150 or 1e150, and an exact fit."""
    rng = np.random.default_rng(21)
    n = 140_000 if case == "sample_rows_unweighted" else 20_000
    X, y = problem(21, n, 3, offset=2.0)
    w = rng.uniform(0.0, 2.0, n)
    if case == "sample_rows_unweighted":
        w[:: n // 65_536] = 0.0
    scale = {"tiny": 1e-150, "huge": 1e150}.get(case, 1.0)
    X, y = X * scale, y * scale
    if case == "exact":
        y = X @ np.array([0.5, -0.25, 2.0]) + 3.0
    got = lstsq(np.asfortranarray(X) if case == "fortran" else X, y, sample_weight=w, alpha=0.1)
    np.testing.assert_array_equal(got.params, householder(X, y, sample_weight=w, alpha=0.1))


@pytest.mark.parametrize("offset", [0.0, 3.0])
def test_compiled_gram_block_matches_numpy(
    monkeypatch: pytest.MonkeyPatch, c_kernel: None, offset: float
) -> None:
    """The C sweep of a Gram block gives NumPy's sums to rounding (with and without
    an origin), hence the same factor and block norms to rounding."""
    X, y = problem(13, 20_000, 6, offset=offset)
    w = np.random.default_rng(13).uniform(0.0, 1.0, 20_000)
    compiled = weighted_gram.WeightedGramR(X, y, True, w, 0.1)
    monkeypatch.setenv(kernels.ENV, "numpy")
    numpy = weighted_gram.WeightedGramR(X, y, True, w, 0.1)
    assert np.any(compiled._origin) == (offset > 0)
    np.testing.assert_allclose(compiled.R, numpy.R, rtol=1e-12, atol=1e-12 * np.abs(numpy.R).max())
    assert compiled.block_norms is not None
    assert numpy.block_norms is not None
    np.testing.assert_allclose(compiled.block_norms, numpy.block_norms, rtol=1e-13)


def test_a_build_without_row_weights_is_never_given_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stale extension (no ``linreg_seminormal_weighted``) would ignore the weights:
    weighted passes then take the NumPy kernel, and the answer is unchanged."""
    X, y = problem(14, 20_000, 3)
    w = np.random.default_rng(14).uniform(0.5, 2.0, 20_000)
    want = lstsq(X, y, sample_weight=w, alpha=0.1).params
    monkeypatch.setattr(kernels, "_takes_weights", lambda: False)
    monkeypatch.setattr(kernels, "_compiled", lambda: pytest.fail("C kernel given weights"))
    np.testing.assert_array_equal(lstsq(X, y, sample_weight=w, alpha=0.1).params, want)


def test_rows_of_next_to_no_weight_cost_the_pass_bits() -> None:
    """With 99.8% of the rows weighing 1e-12 of the rest, the plain column norms that
    set the kernel's grids are ~22 times the weighted ones: about 4.5 bits the rule
    adds; the answer is still Householder's."""
    rng = np.random.default_rng(15)
    n = 60_000
    X, y = problem(15, n, 5, noise=1e-3)
    w = np.full(n, 1e-12)
    w[rng.random(n) < 0.002] = 1.0
    gram = weighted_gram.WeightedGramR(X, y, True, w, 0.0)
    assert 3.5 < gram.weight_bits < 5.5
    unweighted = weighted_gram.WeightedGramR(X, y, True, None, 0.1)
    assert unweighted.weight_bits == 0.0
    res = lstsq(X, y, sample_weight=w, alpha=1e-6)
    np.testing.assert_array_equal(res.params, householder(X, y, sample_weight=w, alpha=1e-6))
