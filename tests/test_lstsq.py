"""Tests of the exact least-squares solver ``linreg.solvers.lstsq``.

Oracles: exact rational arithmetic (``fractions.Fraction``) for the extended-precision
kernels and for small ill-conditioned problems, ``numpy.linalg.lstsq`` and scikit-learn
for well-conditioned ones, ``numpy.linalg.pinv`` for minimum-norm solutions.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from sklearn.linear_model import LinearRegression as SkLinearRegression

import linreg.solvers.design as design_module
import linreg.solvers.extended as extended_module
import linreg.solvers.lstsq as lstsq_module
import linreg.solvers.refine as refine_module
from conftest import KernelChoice
from exact_oracle import gauss
from linreg.errors import NonFiniteDataError, RankDeficiencyWarning
from linreg.solvers.design import Design
from linreg.solvers.lstsq import (
    LstsqResult,
    inverse_gram,
    lstsq,
    residuals,
)
from linreg.stats.nist import load_nist, lre

Array = NDArray[np.float64]

EPS = np.finfo(np.float64).eps


# -- exact rational oracles --------------------------------------------------------------


def exact_solve(A: Array, b: Array) -> list[Fraction]:
    """Exact least squares of float64 data: Gaussian elimination on ``A^T A x = A^T b``."""
    Af = [[Fraction(v) for v in row] for row in A.tolist()]
    bf = [Fraction(v) for v in b.tolist()]
    p = len(Af[0])
    G = [[sum((r[i] * r[j] for r in Af), Fraction(0)) for j in range(p)] for i in range(p)]
    h = [sum((r[i] * bi for r, bi in zip(Af, bf, strict=True)), Fraction(0)) for i in range(p)]
    return gauss(G, h)


def rel_err(est: Array, exact: list[Fraction]) -> float:
    """Largest componentwise relative error of float64 estimates against exact values."""
    return max(
        float(abs(Fraction(e) - x) / abs(x)) if x != 0 else abs(float(e))
        for e, x in zip(est.tolist(), exact, strict=True)
    )


def design(X: Array, fit_intercept: bool) -> Array:
    return np.column_stack([np.ones(X.shape[0]), X]) if fit_intercept else X


# -- error-free transformations ----------------------------------------------------------

# -- the extended-precision kernels ------------------------------------------------------


def _nasty_problem(rng: np.random.Generator, n: int, d: int) -> tuple[Array, Array, Array]:
    """Rows whose terms cancel almost completely, with magnitudes over 40 decades."""
    X = rng.standard_normal((n, d)) * 10.0 ** rng.integers(-20, 20, size=(n, d))
    w = rng.standard_normal(d) * 10.0 ** rng.integers(-10, 10, size=d)
    y = X @ w  # rounded: the exact residual y - X w is tiny and all cancellation
    return X, y, w


@pytest.mark.parametrize(("n", "d"), [(7, 1), (50, 5), (300, 12)])
def test_residuals_are_correctly_rounded_despite_cancellation(n: int, d: int) -> None:
    rng = np.random.default_rng(n * 100 + d)
    X, y, w = _nasty_problem(rng, n, d)
    b = 0.1
    r = residuals(X, y, w, b)
    for i in range(n):
        exact = (
            Fraction(y[i])
            - Fraction(b)
            - sum((Fraction(X[i, j]) * Fraction(w[j]) for j in range(d)), Fraction(0))
        )
        # Correctly rounded to within one ulp of the exact residual.
        assert abs(Fraction(r[i]) - exact) <= abs(exact) * Fraction(EPS), i


def test_gradient_kernel_matches_exact_arithmetic_across_chunks() -> None:
    rng = np.random.default_rng(3)
    n, d = 1500, 3
    X = rng.standard_normal((n, d)) * 10.0 ** rng.integers(-8, 8, size=(n, d))
    r = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, size=n)
    D = Design(X, None, True)
    D.chunk = 256  # force several chunks and their double-double accumulation
    c = np.array([0.5, -1.0, 2.0, 0.0])
    _, g, _ = D.evaluate(np.zeros(n), r, np.zeros(d + 1), c, (1, 4))
    Xf = [[Fraction(v) for v in row] for row in X.tolist()]
    rf = [Fraction(v) for v in r.tolist()]
    exact = [Fraction(c[0]) - sum(rf, Fraction(0))]
    for j in range(d):
        exact.append(Fraction(c[j + 1]) - sum((Xf[i][j] * rf[i] for i in range(n)), Fraction(0)))
    for gj, ej in zip(g.tolist(), exact, strict=True):
        assert abs(Fraction(gj) - ej) <= abs(ej) * Fraction(EPS)


# -- accuracy on hard problems -----------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_offset_data_match_the_exact_rational_solution(fit_intercept: bool) -> None:
    """Longley-style columns: huge means, tiny spreads (numpy loses many digits)."""
    rng = np.random.default_rng(11)
    n = 15
    X = np.column_stack(
        [
            1947.0 + np.arange(n),
            1e6 + rng.integers(0, 50, n).astype(float),
            np.round(rng.standard_normal(n) * 100.0, 1),
        ]
    )
    y = np.round(60000.0 + 300.0 * rng.standard_normal(n))
    res = lstsq(X, y, fit_intercept=fit_intercept)
    exact = exact_solve(design(X, fit_intercept), y)
    assert rel_err(res.params, exact) <= 4 * EPS
    assert res.rank == X.shape[1] + int(fit_intercept)
    assert res.dependent_columns == ()
    assert res.converged


def exact_solve_scaled(A: Array, b: Array) -> list[Fraction]:
    """:func:`exact_solve` for many rows: the sums over rows in Python integers.

    Every float64 is an integer over a power of two, so each column (and ``b``)
    times its largest denominator is integer; only the p x p system needs fractions.
    """

    def integers(v: Array) -> tuple[list[int], int]:
        ratios = [float(t).as_integer_ratio() for t in v]
        den = max(q for _, q in ratios)
        return [num * (den // q) for num, q in ratios], den

    cols, dens = zip(*(integers(A[:, j]) for j in range(A.shape[1])), strict=True)
    rhs, den_b = integers(b)
    p = len(cols)
    G = [
        [Fraction(sum(a * c for a, c in zip(cols[i], cols[j], strict=True))) for j in range(p)]
        for i in range(p)
    ]
    h = [Fraction(sum(a * c for a, c in zip(cols[i], rhs, strict=True))) for i in range(p)]
    z = gauss(G, h)
    return [zj * dens[j] / den_b for j, zj in enumerate(z)]


@pytest.mark.parametrize(("ratio", "seed"), [(1e5, 1), (1e6, 2)])
@pytest.mark.parametrize("preconditioner", ["gram", "householder"])
def test_intercept_behind_large_offsets_is_correctly_rounded(
    monkeypatch: pytest.MonkeyPatch, ratio: float, seed: int, preconditioner: str
) -> None:
    """Columns |mean| / std = 1e5-1e6 away from zero: the intercept b = u_0 - m^T w
    multiplies the error of w by m. Before the refinement chose its precision per
    component and applied T^T before rounding, b came out 45 and 1,800 ulps off."""
    rng = np.random.default_rng(seed)
    n = 20_000
    scale = np.array([1.0, 0.01, 3.0, 1.0])
    offset = scale * ratio * rng.uniform(0.5, 1.0, 4) * np.array([1.0, 1.0, -1.0, 0.001])
    X = rng.standard_normal((n, 4)) * scale + offset
    y = X @ rng.uniform(-3, 3, 4) + 4.0 + 0.01 * rng.standard_normal(n)
    if preconditioner == "householder":
        _householder_only(monkeypatch)
    res = lstsq(X, y)
    exact = exact_solve_scaled(design(X, True), y)
    for got, want in zip(res.params.tolist(), exact, strict=True):
        ulp = np.spacing(abs(float(want)))
        assert abs(Fraction(got) - want) <= Fraction(ulp) / 2, (got, float(want))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), fit_intercept=st.booleans())
def test_large_problems_are_correctly_rounded(seed: int, fit_intercept: bool) -> None:
    """Above 65,536 entries the precision is chosen per problem: whatever the scales,
    offsets, rounding of the data and conditioning, every coefficient is within half
    an ulp of the exact rational least-squares solution."""
    rng = np.random.default_rng(seed)
    n, d = 17_000, int(rng.integers(1, 7))
    scale = 10.0 ** rng.uniform(-4, 4, d)
    offset = scale * 10.0 ** rng.uniform(-1, 5, d) * rng.choice([-1.0, 0.0, 1.0], d)
    X = rng.standard_normal((n, d)) * scale + offset
    if d >= 3 and rng.random() < 0.3:  # nearly collinear: cond(Z) up to 1e9
        X[:, 2] = 0.5 * X[:, 0] + 1e-3 * X[:, 1] + 1e-4 * scale[2] * rng.standard_normal(n)
    if rng.random() < 0.3:
        X = np.round(X, 2)
    w = rng.uniform(-3, 3, d) * 10.0 ** rng.uniform(-3, 1, d)
    fitted = X @ w + (rng.uniform(-10, 10) if fit_intercept else 0.0)
    y = fitted + 10.0 ** rng.uniform(-8, 0) * np.abs(fitted).mean() * rng.standard_normal(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RankDeficiencyWarning)
        res = lstsq(X, y, fit_intercept=fit_intercept)
    assume(res.rank == d + int(fit_intercept))
    exact = exact_solve_scaled(design(X, fit_intercept), y)
    for got, want in zip(res.params.tolist(), exact, strict=True):
        assert abs(Fraction(got) - want) <= Fraction(np.spacing(abs(float(want)))) / 2


def test_polynomial_design_matches_the_exact_rational_solution() -> None:
    x = np.linspace(1.0, 3.0, 25)
    X = np.column_stack([x**k for k in range(1, 7)])
    y = np.cos(3 * x)
    res = lstsq(X, y)
    assert res.condition_number > 1e5  # a genuinely ill-conditioned test
    exact = exact_solve(design(X, True), y)
    assert rel_err(res.params, exact) <= 8 * EPS


@pytest.mark.parametrize(("name", "copies"), [("Longley", 2000), ("Wampler4", 1000)])
def test_large_stacked_nist_problems_keep_their_accuracy(name: str, copies: int) -> None:
    """Stacking copies of a dataset leaves its solution unchanged; big enough to take the
    adaptive-precision path of the kernels (and many chunks)."""
    ds = load_nist(name)
    X = np.tile(ds.design(), (copies, 1))
    y = np.tile(ds.y, copies)
    res = lstsq(X, y)
    assert lre(res.params, ds.certified_coef) >= 13.0


def test_chunks_threads_and_layout_do_not_change_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(21)
    X = rng.standard_normal((3000, 5)) * [1.0, 1e3, 1e-3, 10.0, 1.0] + [0.0, 1e5, 0.0, -50.0, 3.0]
    y = X @ rng.standard_normal(5) + rng.standard_normal(3000)
    reference = lstsq(X, y).params
    monkeypatch.setattr(design_module, "CHUNK_ELEMENTS", 700)  # 256-row chunks
    for threads in (1, 3):
        monkeypatch.setattr(extended_module, "cpu_count", lambda threads=threads: threads)
        np.testing.assert_array_equal(lstsq(X, y).params, reference)
        np.testing.assert_array_equal(lstsq(np.asfortranarray(X), y).params, reference)
    exact = exact_solve(design(X[:40], True), y[:40])
    assert rel_err(lstsq(X[:40], y[:40]).params, exact) <= 4 * EPS


def test_gram_path_is_thread_independent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large well-conditioned problems take R from the centred Gram matrix."""
    rng = np.random.default_rng(23)
    X = rng.standard_normal((20_000, 4)) * [1.0, 100.0, 0.01, 5.0] + [10.0, -3.0, 0.0, 1e4]
    y = X @ rng.standard_normal(4) + rng.standard_normal(20_000)
    fac, _, seminormal = lstsq_module._precondition(X, True, y)
    assert isinstance(fac, lstsq_module.GramR)
    assert seminormal
    reference = lstsq(X, y)
    assert 1 <= reference.n_refinements <= 2
    for threads in (1, 2, 5):
        monkeypatch.setattr(extended_module, "cpu_count", lambda threads=threads: threads)
        np.testing.assert_array_equal(lstsq(X, y).params, reference.params)
    sk = SkLinearRegression().fit(X, y)
    np.testing.assert_allclose(reference.coef, sk.coef_, rtol=1e-10)


def _householder_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise np.linalg.LinAlgError("forced: not positive definite")

    monkeypatch.setattr(lstsq_module, "GramR", refuse)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    ("scale", "offset"),
    [(1.0, 0.0), (np.array([0.1, 1.0, 1e3, 7.0, 0.5]), np.array([100.0, -300.0, 0.0, 5.0, 2e3]))],
)
def test_gram_and_householder_preconditioners_give_the_same_bits(
    monkeypatch: pytest.MonkeyPatch,
    fit_intercept: bool,
    scale: Array | float,
    offset: Array | float,
) -> None:
    """Both only precondition the refinement, which ends at the same rounded solution."""
    rng = np.random.default_rng(31)
    X = rng.standard_normal((40_000, 5)) * scale + offset
    y = X @ rng.uniform(-3, 3, 5) + 4.0 + 0.01 * rng.standard_normal(40_000)
    gram = lstsq(X, y, fit_intercept=fit_intercept)
    _householder_only(monkeypatch)
    householder = lstsq(X, y, fit_intercept=fit_intercept)
    np.testing.assert_array_equal(gram.params, householder.params)
    assert gram.condition_number == pytest.approx(householder.condition_number, rel=0.05)


def test_ill_conditioned_large_problem_falls_back_to_householder() -> None:
    """cond(Z)^2 beyond the seminormal limit: the Gram matrix is not trusted."""
    rng = np.random.default_rng(32)
    x = rng.uniform(1.0, 2.0, 40_000)
    X = np.column_stack([x**k for k in range(1, 7)])  # cond(Z) ~ 1e6
    y = np.cos(x) + 1e-3 * rng.standard_normal(40_000)
    fac, rk, _ = lstsq_module._precondition(X, True, y)
    assert isinstance(fac, lstsq_module.Factorization)
    assert rk.condition**2 > lstsq_module._SEMINORMAL_LIMIT
    res = lstsq(X, y)
    np.testing.assert_allclose(
        res.params, np.linalg.lstsq(design(X, True), y, rcond=None)[0], rtol=1e-6
    )


def test_large_inverse_gram_on_the_gram_path() -> None:
    rng = np.random.default_rng(33)
    X = rng.standard_normal((30_000, 3)) * [2.0, 0.5, 30.0] + [1.0, 100.0, -4.0]
    A = design(X, True)
    oracle = np.linalg.inv(A.T @ A)
    atol = 1e-13 * np.abs(oracle).max()
    np.testing.assert_allclose(inverse_gram(X), oracle, rtol=1e-10, atol=atol)


@pytest.mark.parametrize("limit", [0.0, math.inf])
def test_seminormal_and_bjorck_corrections_agree(
    monkeypatch: pytest.MonkeyPatch, limit: float
) -> None:
    """Large problems correct with R alone when well conditioned; the answer is the same."""
    rng = np.random.default_rng(22)
    x = rng.uniform(1.0, 2.0, 30_000)
    X = np.column_stack([x, x**2, x**3])
    y = np.sin(3 * x) + 0.01 * rng.standard_normal(30_000)
    reference = lstsq(X, y).params
    monkeypatch.setattr(lstsq_module, "_SEMINORMAL_LIMIT", limit)
    np.testing.assert_array_equal(lstsq(X, y).params, reference)


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_large_problems_at_extreme_scales(
    kernel: KernelChoice, scale: float, fit_intercept: bool
) -> None:
    """Scaling X and y by the same power of ten leaves the slopes as they were. Near
    1e-300 the seminormal corrections' float64 products underflowed and returned zero
    slopes; such data now get Björck's corrections, which square nothing."""
    rng = np.random.default_rng(35)
    X = rng.standard_normal((40_000, 2)) + np.array([0.5, -1.0])
    y = X @ [0.3, -0.2] + 0.7 + rng.standard_normal(40_000)
    plain = lstsq(X, y, fit_intercept=fit_intercept)
    scaled = lstsq(X * scale, y * scale, fit_intercept=fit_intercept)
    # Near 1e300 the splitting overflows: the QR solution, unrefined, is returned.
    rtol = 1e-9 if scale > 1e200 else 1e-14
    np.testing.assert_allclose(scaled.coef, plain.coef, rtol=rtol)
    assert scaled.intercept == pytest.approx(plain.intercept * scale, rel=rtol)


def test_large_intercept_only_and_zero_targets() -> None:
    rng = np.random.default_rng(36)
    y = rng.standard_normal(100_000) + 3.0
    res = lstsq(np.zeros((100_000, 0)), y)
    assert res.intercept == pytest.approx(float(np.mean(y)), rel=1e-15)
    zero = lstsq(rng.standard_normal((100_000, 3)), np.zeros(100_000))
    assert not zero.params.any()


def test_huge_values_never_give_nan() -> None:
    """Near overflow the splitting cannot run; the QR solution is returned instead."""
    rng = np.random.default_rng(13)
    X = rng.standard_normal((30, 2)) * 1e300
    y = X @ np.array([0.5, 0.25]) + 1e299
    res = lstsq(X, y)
    assert np.all(np.isfinite(res.params))
    np.testing.assert_allclose(res.coef, [0.5, 0.25], rtol=1e-10)


# -- agreement with numpy and scikit-learn ------------------------------------------------


@st.composite
def problems(draw: st.DrawFn) -> tuple[Array, Array]:
    d = draw(st.integers(min_value=0, max_value=6))
    n = draw(st.integers(min_value=d + 2, max_value=d + 40))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    offset = rng.uniform(-50, 50, d)
    X = offset + rng.uniform(0.5, 5.0, d) * rng.standard_normal((n, d))
    y = X @ rng.uniform(-5, 5, d) + rng.uniform(-10, 10) + rng.standard_normal(n)
    return X, y


@settings(max_examples=40, deadline=None)
@given(data=problems(), fit_intercept=st.booleans(), fortran=st.booleans())
def test_agrees_with_numpy_lstsq(
    data: tuple[Array, Array], fit_intercept: bool, fortran: bool
) -> None:
    X, y = data
    if fortran:
        X = np.asfortranarray(X)
    A = design(X, fit_intercept)
    if A.shape[1] == 0:
        return
    ref = np.linalg.lstsq(A, y, rcond=None)[0]
    res = lstsq(X, y, fit_intercept=fit_intercept)
    scale = np.abs(ref) + np.linalg.norm(ref) * 1e-6
    np.testing.assert_array_less(np.abs(res.params - ref), 1e-8 * scale)


@pytest.mark.parametrize(("n", "d"), [(30, 1), (200, 5), (5000, 20)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_agrees_with_scikit_learn(n: int, d: int, fit_intercept: bool) -> None:
    rng = np.random.default_rng(n + d)
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10, d) + rng.uniform(-3, 3, d)
    y = X @ rng.standard_normal(d) + 2.0 + 0.1 * rng.standard_normal(n)
    sk = SkLinearRegression(fit_intercept=fit_intercept).fit(X, y)
    res = lstsq(X, y, fit_intercept=fit_intercept)
    np.testing.assert_allclose(res.coef, sk.coef_, rtol=1e-9, atol=1e-12)
    assert res.intercept == pytest.approx(sk.intercept_, rel=1e-9, abs=1e-12)


def test_layout_does_not_change_the_answer() -> None:
    rng = np.random.default_rng(5)
    X = rng.standard_normal((400, 6)) + 100.0
    y = rng.standard_normal(400)
    a = lstsq(np.ascontiguousarray(X), y)
    b = lstsq(np.asfortranarray(X), y)
    np.testing.assert_array_equal(a.params, b.params)


def test_exact_integer_model_is_recovered_exactly() -> None:
    x = np.arange(-10.0, 11.0)
    X = np.column_stack([x, x**2, x**3])
    y = 7.0 - 3.0 * x + 2.0 * x**2 + 0.5 * x**3
    res = lstsq(X, y)
    np.testing.assert_array_equal(res.params, [7.0, -3.0, 2.0, 0.5])


# -- special shapes ------------------------------------------------------------------------


def test_intercept_only_is_the_mean() -> None:
    y = np.array([1e16, 1.0, -1e16, 3.0])
    res = lstsq(np.empty((4, 0)), y)
    assert res.intercept == 1.0  # exact mean, despite the cancellation
    assert res.coef.shape == (0,)
    assert res.rank == 1


def test_no_parameters_at_all() -> None:
    res = lstsq(np.empty((3, 0)), np.ones(3), fit_intercept=False)
    assert res.coef.shape == (0,)
    assert res.intercept == 0.0
    assert res.rank == 0


def test_without_intercept_the_intercept_is_zero() -> None:
    rng = np.random.default_rng(2)
    X = rng.standard_normal((20, 2))
    y = X @ np.array([1.5, -2.0]) + 3.0
    res = lstsq(X, y, fit_intercept=False)
    assert res.intercept == 0.0
    np.testing.assert_allclose(res.coef, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-12)


def test_inputs_are_not_mutated() -> None:
    rng = np.random.default_rng(8)
    X = np.asfortranarray(rng.standard_normal((50, 3)) + 10.0)
    y = rng.standard_normal(50)
    X0, y0 = X.copy(), y.copy()
    lstsq(X, y)
    lstsq(np.ascontiguousarray(X), y, fit_intercept=False)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert X.flags.f_contiguous


def test_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="y must have shape"):
        lstsq(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="2-D"):
        lstsq(np.ones(3), np.ones(3))


# -- rank deficiency -----------------------------------------------------------------------


def _centred_pinv(X: Array, y: Array, rcond: float = 1e-15) -> tuple[Array, float]:
    m = X.mean(axis=0)
    w = np.linalg.pinv(X - m, rcond=rcond) @ (y - y.mean())
    return w, float(y.mean() - m @ w)


def test_dependent_column_warns_and_returns_the_minimum_norm_solution() -> None:
    rng = np.random.default_rng(4)
    X = rng.standard_normal((40, 3))
    X = np.column_stack([X, X[:, 0] - 2.0 * X[:, 1]])  # column 3 depends on 0 and 1
    y = X[:, :3] @ np.array([1.0, 2.0, 3.0]) + 0.5 + 0.01 * rng.standard_normal(40)
    with pytest.warns(RankDeficiencyWarning, match=r"columns \[3\] are linearly dependent"):
        res = lstsq(X, y)
    assert res.rank == 4
    assert res.dependent_columns == (3,)
    assert res.n_refinements == 0
    w, b = _centred_pinv(X, y)
    np.testing.assert_allclose(res.coef, w, rtol=1e-9, atol=1e-12)
    assert res.intercept == pytest.approx(b, rel=1e-9)


def test_large_rank_deficient_problem_uses_the_exact_centring() -> None:
    """The centring shift comes from a sample of rows; the minimum-norm answer must not."""
    rng = np.random.default_rng(17)
    n = 150_000
    t = np.sort(rng.uniform(0, 1000.0, n))  # a trend: sample and full means differ
    X = np.column_stack([t, rng.standard_normal(n) + 40.0, 2.0 * t + 7.0])
    y = 0.3 * t - X[:, 1] + rng.standard_normal(n)
    with pytest.warns(RankDeficiencyWarning, match=r"columns \[2\]"):
        res = lstsq(X, y)
    # Centring rounds the exact dependency to 1e-14: pinv's default cutoff would keep it.
    w, b = _centred_pinv(X, y, rcond=1e-10)
    np.testing.assert_allclose(res.coef, w, rtol=1e-9)
    assert res.intercept == pytest.approx(b, rel=1e-9)


def test_duplicate_column_is_named() -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal(30)
    X = np.column_stack([x, rng.standard_normal(30), x])
    y = 2.0 * x + 1.0
    with pytest.warns(RankDeficiencyWarning, match=r"columns \[2\]"):
        res = lstsq(X, y)
    # The minimum-norm solution splits the weight evenly between the twins.
    assert res.coef[0] == pytest.approx(1.0, rel=1e-12)
    assert res.coef[2] == pytest.approx(1.0, rel=1e-12)
    assert res.coef[1] == pytest.approx(0.0, abs=1e-12)


def test_constant_column_depends_on_the_intercept() -> None:
    rng = np.random.default_rng(7)
    X = np.column_stack([rng.standard_normal(25), np.full(25, 0.1)])
    y = rng.standard_normal(25)
    with pytest.warns(RankDeficiencyWarning, match=r"columns \[1\]"):
        res = lstsq(X, y)
    assert abs(res.coef[1]) < 1e-15
    w, b = _centred_pinv(X, y)
    np.testing.assert_allclose(res.coef, w, atol=1e-12)
    assert res.intercept == pytest.approx(b, rel=1e-12)


def test_zero_column_without_intercept() -> None:
    X = np.column_stack([np.arange(1.0, 6.0), np.zeros(5)])
    y = np.arange(1.0, 6.0) * 2.0
    with pytest.warns(RankDeficiencyWarning, match=r"columns \[1\]"):
        res = lstsq(X, y, fit_intercept=False)
    np.testing.assert_allclose(res.coef, [2.0, 0.0], atol=1e-14)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_fewer_rows_than_parameters(fit_intercept: bool) -> None:
    rng = np.random.default_rng(9)
    X = rng.standard_normal((3, 5))
    y = rng.standard_normal(3)
    with pytest.warns(RankDeficiencyWarning, match="only 3 rows"):
        res = lstsq(X, y, fit_intercept=fit_intercept)
    assert res.rank == 3
    assert len(res.dependent_columns) == 5 + int(fit_intercept) - 3
    if fit_intercept:
        w, b = _centred_pinv(X, y)
    else:
        w, b = np.linalg.pinv(X) @ y, 0.0
    np.testing.assert_allclose(res.coef, w, rtol=1e-10, atol=1e-12)
    assert res.intercept == pytest.approx(b, rel=1e-10, abs=1e-12)
    # An underdetermined problem is interpolated.
    np.testing.assert_allclose(res.intercept + X @ res.coef, y, atol=1e-12)


# -- what inference needs ----------------------------------------------------------------


def test_inverse_gram_matches_exact_arithmetic() -> None:
    x = np.arange(0.0, 21.0)
    X = np.column_stack([x**k for k in range(1, 6)])  # Wampler's design
    V = inverse_gram(X)
    A = design(X, True)
    p = A.shape[1]
    for j in (0, 2, 5):
        e = np.zeros(p)
        e[j] = 1.0
        exact = gauss(
            [
                [sum((Fraction(r[a]) * Fraction(r[b]) for r in A), Fraction(0)) for b in range(p)]
                for a in range(p)
            ],
            [Fraction(v) for v in e.tolist()],
        )
        assert rel_err(V[:, j], exact) <= 16 * EPS


def test_unscaled_covariance_from_r_agrees_with_numpy() -> None:
    rng = np.random.default_rng(12)
    X = rng.standard_normal((60, 3)) * [1.0, 10.0, 0.1] + [5.0, -3.0, 100.0]
    res = lstsq(X, rng.standard_normal(60))
    A = design(X, True)
    np.testing.assert_allclose(res.unscaled_covariance(), np.linalg.inv(A.T @ A), rtol=1e-9)
    np.testing.assert_allclose(inverse_gram(X), np.linalg.inv(A.T @ A), rtol=1e-9)


def test_inverse_gram_refuses_a_singular_design() -> None:
    X = np.column_stack([np.arange(5.0), np.arange(5.0)])
    with pytest.raises(ValueError, match="rank deficient"):
        inverse_gram(X)


def test_result_is_a_frozen_record() -> None:
    x = np.arange(5.0)
    res = lstsq(np.column_stack([x, x**2]), np.exp(x))
    assert isinstance(res, LstsqResult)
    with pytest.raises(AttributeError):
        res.intercept = 1.0  # type: ignore[misc]
    assert res.r_factor.shape == (3, 3)
    assert res.column_means == pytest.approx([2.0, 6.0])
    np.testing.assert_array_equal(res.params, np.concatenate([[res.intercept], res.coef]))


# -- the norm-sliced pass of large well-conditioned problems ----------------------------


def _general_kernel_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refine_module, "norm_sliced_bits", lambda d, rows, levels=1: (0.0, 0.0))


def _count_sliced(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Spy on the norm-sliced pass: the levels of each call."""
    calls: list[int] = []
    original = design_module.Design.seminormal_rhs

    def spy(self: design_module.Design, *args: object, **kwargs: object) -> object:
        calls.append(int(args[5]) if len(args) > 5 else int(kwargs.get("levels", 1)))  # type: ignore[call-overload]
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(design_module.Design, "seminormal_rhs", spy)
    return calls


def _two_levels_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make one level look too short, so that every sliced fit takes two."""
    bits = refine_module.norm_sliced_bits
    monkeypatch.setattr(
        refine_module,
        "norm_sliced_bits",
        lambda d, rows, levels=1: (0.0, 0.0) if levels == 1 else bits(d, rows, levels),
    )


@pytest.mark.parametrize("levels", [1, 2])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    ("scale", "offset", "noise"),
    [
        (1.0, 0.0, 1.0),  # the benchmark's kind of data
        (np.array([1e-3, 1.0, 1e4, 7.0]), np.array([0.0, 3.0, -2e3, 5.0]), 1e-2),
        (np.array([1e40, 1.0, 1e-40, 1.0]), 0.0, 1e-3),
        (1.0, 0.0, 0.0),  # an exact fit: the residual is zero
    ],
)
def test_norm_sliced_pass_gives_the_same_bits_as_the_general_kernels(
    monkeypatch: pytest.MonkeyPatch,
    kernel: KernelChoice,
    levels: int,
    fit_intercept: bool,
    scale: Array | float,
    offset: Array | float,
    noise: float,
) -> None:
    """Both are correctly rounded, so they agree to the bit; the spy shows the sliced
    pass ran (with two levels where one is made to look too short), and where it
    did, the result carries |y - A x|^2."""
    rng = np.random.default_rng(41)
    n = 17_000
    X = rng.integers(-8, 8, (n, 4)) * 0.25 * scale + offset if noise == 0.0 else None
    if X is None:
        X = rng.standard_normal((n, 4)) * scale + offset
    w = rng.uniform(-2, 2, 4) / scale
    y = X @ w + (1.5 if fit_intercept else 0.0) + noise * rng.standard_normal(n)
    if levels == 2:
        _two_levels_only(monkeypatch)
    calls = _count_sliced(monkeypatch)
    sliced = lstsq(X, y, fit_intercept=fit_intercept)
    assert calls, "the norm-sliced pass did not run"
    assert set(calls) == {levels}
    assert (kernel.runs > 0) == (kernel.name == "c")
    _general_kernel_only(monkeypatch)
    general = lstsq(X, y, fit_intercept=fit_intercept)
    np.testing.assert_array_equal(sliced.params, general.params)
    rss = sliced.residual_sum_of_squares
    assert rss is not None
    residual = y - X @ sliced.coef - sliced.intercept
    # (float64's own residual is rounding noise, ~eps |y| a row, on the exact fit.)
    noise_floor = n * (4 * EPS * float(np.abs(y).max())) ** 2
    assert rss == pytest.approx(float(residual @ residual), rel=1e-12, abs=noise_floor)
    # The general pass's own |r + f|^2, where its last step was negligible beside it.
    if general.residual_sum_of_squares is not None:
        assert general.residual_sum_of_squares == pytest.approx(rss, rel=1e-12, abs=noise_floor)
    exact = exact_solve_scaled(design(X, fit_intercept), y)
    for got, want in zip(sliced.params.tolist(), exact, strict=True):
        assert abs(Fraction(got) - want) <= Fraction(np.spacing(abs(float(want)))) / 2


@pytest.mark.parametrize("levels", [1, 2])
def test_norm_sliced_pass_is_thread_and_layout_independent(
    monkeypatch: pytest.MonkeyPatch, kernel: KernelChoice, levels: int
) -> None:
    """Also across kernels: an F-ordered design takes the NumPy kernel even where the
    compiled one serves the C-ordered one."""
    rng = np.random.default_rng(42)
    X = rng.standard_normal((50_000, 3)) * [1.0, 1e3, 1e-2] + [0.0, 5e2, 0.01]
    y = X @ [0.5, -1e-3, 20.0] + 1.0 + 0.1 * rng.standard_normal(50_000)
    if levels == 2:
        _two_levels_only(monkeypatch)
    calls = _count_sliced(monkeypatch)
    reference = lstsq(X, y).params
    assert set(calls) == {levels}
    for threads in (1, 3):
        monkeypatch.setattr(extended_module, "cpu_count", lambda threads=threads: threads)
        np.testing.assert_array_equal(lstsq(X, y).params, reference)
        np.testing.assert_array_equal(lstsq(np.asfortranarray(X), y).params, reference)


def test_precision_beyond_the_norm_sliced_pass_takes_the_general_kernels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A column 1e6 standard deviations from zero needs more bits than a norm-sliced
    pass carries even at two levels: the level rule sends it to the sliced-by-maxima
    kernels."""
    rng = np.random.default_rng(43)
    X = rng.standard_normal((40_000, 2)) + np.array([1e6, 0.0])
    y = X @ [2.0, -1.0] + 3.0 + 1e-3 * rng.standard_normal(40_000)
    calls = _count_sliced(monkeypatch)
    res = lstsq(X, y)
    assert not calls
    # The general pass may report |y - A x|^2 too (where its last step was negligible).
    if res.residual_sum_of_squares is not None:
        exact_r = lstsq_module.residuals(X, y, res.coef, res.intercept)
        assert res.residual_sum_of_squares == pytest.approx(float(exact_r @ exact_r), rel=1e-12)
    fac, rk, _ = lstsq_module._precondition(X, True, y)
    y_norm, r_norm = refine_module.residual_norms(fac, y, fac.start)
    need = refine_module.bits_needed(fac, fac.start, rk.condition, y_norm, r_norm)
    have = refine_module.norm_sliced_bits(fac.d, fac.block_rows, 2)
    assert any(n > h for n, h in zip(need, have, strict=True))


def test_offsets_and_a_small_intercept_take_two_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns 2.5 standard deviations from zero and an intercept small beside the
    fitted values (the streaming benchmark's data): one level carries too few bits
    for the intercept, two carry them, and the answer is correctly rounded."""
    rng = np.random.default_rng(47)
    X = rng.standard_normal((17_000, 16)) * 2.0 + 5.0
    y = X @ np.arange(1.0, 17.0) + 1.0 + rng.standard_normal(17_000)
    calls = _count_sliced(monkeypatch)
    res = lstsq(X, y)
    assert calls == [2]
    exact = exact_solve_scaled(design(X, True), y)
    for got, want in zip(res.params.tolist(), exact, strict=True):
        assert abs(Fraction(got) - want) <= Fraction(np.spacing(abs(float(want)))) / 2


@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_moments_bound_every_block_column_norm(offset: float) -> None:
    from linreg.solvers.fast import Moments

    rng = np.random.default_rng(44)
    X = rng.standard_normal((70_000, 3)) * [1.0, 1e-3, 50.0] + offset
    X[20_000:30_000, 1] = 0.0
    moments = Moments.from_data(X, rng.standard_normal(70_000))
    assert moments.block_norms is not None
    rows = moments.block_rows
    actual = np.array([np.linalg.norm(X[s : s + rows], axis=0) for s in range(0, X.shape[0], rows)])
    assert np.all(moments.block_norms >= actual)
    assert np.all(moments.block_norms <= 2.0 * actual + 1e-300)


@pytest.mark.parametrize("n", [50, 40_000])
@pytest.mark.parametrize("where", ["X", "y"])
def test_non_finite_data_are_refused(n: int, where: str) -> None:
    """Large problems find a NaN or infinity in the Gram pass's sums (no pass of its
    own); small ones check first. Either way a clear error, not a NaN solution."""
    rng = np.random.default_rng(46)
    X = rng.standard_normal((n, 3))
    y = X @ [1.0, 2.0, 3.0] + rng.standard_normal(n)
    if where == "X":
        X[n // 2, 1] = np.inf
    else:
        y[n - 1] = np.nan
    with pytest.raises(NonFiniteDataError, match="NaN or infinite values"):
        lstsq(X, y)
