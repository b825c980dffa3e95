"""Tests of the general refinement kernel in C, ``linreg.solvers.general_kernel``.

Oracles: the NumPy kernels of :mod:`linreg.solvers.extended` (the C function must give
``r`` and ``f`` bit for bit, the same exact terms, and tails within their bound),
exact rational arithmetic (``fractions.Fraction``) for the sums the terms stand for,
and the solver's answers with the NumPy kernels (bit for bit: both correctly rounded).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from linreg.solvers import extended as ext
from linreg.solvers import general_kernel, kernels, lstsq
from linreg.solvers.lstsq import lstsq as solve_lstsq

Array = NDArray[np.float64]

needs_c = pytest.mark.skipif(
    not general_kernel.applies(np.zeros((1, 1)), None),
    reason="the C kernel was not built (no C compiler at install) or is turned off",
)


def _numpy_chunk(
    X: Array, y: Array, r: Array, b: float, w: Array, levels: tuple[int, int], fresh: bool
) -> tuple[Array, Array, list[float], list[Array]]:
    """What ``Design.evaluate`` computes for one chunk, with the NumPy kernels."""
    m, k = X.shape
    ws = ext.Workspace(k, m, max(levels))
    T = ws.transposed(X)
    r = r.copy()
    if fresh:
        r[:] = (y - b) - ext.dot_t(w, T)
    terms = [y, -r, np.full(m, -b)] + [-t for t in ext.matvec_terms(T, w, levels[0], ws)]
    f = ext.sum_k(terms, ext.sum_passes(levels[0], ext.slice_bits(k)))
    return r, f, ext.sum_terms(r, levels[1]), ext.rmatvec_terms(T, r, levels[1], ws)


def _data(seed: int, m: int, k: int, spread: float) -> tuple[Array, Array, Array, Array]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, k)) * 10.0 ** rng.uniform(-spread, spread, k) + rng.normal(size=k)
    w = rng.normal(size=k) * 10.0 ** rng.uniform(-spread, spread, k)
    y = X @ w + rng.normal(size=m) * 1e-6
    r = y - X @ w + rng.normal(size=m) * 1e-12
    return X, y, r, w


@needs_c
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(1, 700),
    k=st.sampled_from([1, 2, 6, 17, 70]),
    lf=st.integers(1, 6),
    lg=st.integers(1, 6),
    fresh=st.booleans(),
    spread=st.floats(0, 6),
)
def test_c_matches_numpy(
    seed: int, m: int, k: int, lf: int, lg: int, fresh: bool, spread: float
) -> None:
    X, y, r0, w = _data(seed, m, k, spread)
    b = 0.375
    r_np, f_np, ones_np, cols_np = _numpy_chunk(X, y, r0, b, w, (lf, lg), fresh)
    r_c, f_c = r0.copy(), np.empty(m)
    passes = ext.sum_passes(lf, ext.slice_bits(k))
    ones_c, cols_c = general_kernel.chunk_terms(X, y, r_c, b, w, (lf, lg), passes, fresh, f_c)
    if m == 1:
        # NumPy's einsum sums a single row's products in another order: the start
        # r = fl(y - b - X w) may differ by rounding, and f with it.
        magnitude = np.abs(y) + abs(b) + np.abs(X) @ np.abs(w)
        assert np.all(np.abs(r_c - r_np) <= 2 * (k + 2) * 2.0**-53 * magnitude)
        return
    # r and f: every operation in NumPy's order, the same bits.
    assert np.array_equal(r_c, r_np)
    assert np.array_equal(f_c, f_np)
    # The exact terms are the same numbers; the tails rounded sums of the same products.
    assert ones_c[:-1] == ones_np[:-1]
    assert len(cols_c) == len(cols_np)
    for got, want in zip(cols_c[:-1], cols_np[:-1], strict=True):
        assert np.array_equal(got, want)
    bound = 4 * m * 2.0**-52 * (np.abs(X).T @ np.abs(r_np)) * 2.0 ** -(lg * ext.slice_bits(m))
    assert np.all(np.abs(cols_c[-1] - cols_np[-1]) <= bound + 1e-300)
    assert abs(ones_c[-1] - ones_np[-1]) <= m * 2.0**-52 * float(np.sum(np.abs(r_np)))


@needs_c
def test_terms_sum_to_the_exact_products() -> None:
    """``fsum`` of the terms is ``X^T r`` and ``1^T r`` correctly rounded, and
    ``f`` is ``y - r - b - X w`` correctly rounded (Fraction arithmetic)."""
    X, y, r, w = _data(7, 60, 3, 4.0)
    b = -1.25
    f = np.empty(60)
    ones, cols = general_kernel.chunk_terms(X, y, r, b, w, (4, 4), 3, False, f)
    exact_cols = [
        sum((Fraction(float(X[i, j])) * Fraction(float(r[i])) for i in range(60)), Fraction(0))
        for j in range(3)
    ]
    got = [math.fsum(float(c[j]) for c in cols) for j in range(3)]
    assert got == [float(v) for v in exact_cols]
    assert math.fsum(ones) == float(sum((Fraction(float(v)) for v in r), Fraction(0)))
    for i in range(60):
        row = sum((Fraction(float(X[i, j])) * Fraction(float(w[j])) for j in range(3)), Fraction(0))
        exact = Fraction(float(y[i])) - Fraction(float(r[i])) - Fraction(b) - row
        assert abs(Fraction(float(f[i])) - exact) <= abs(exact) * Fraction(2) ** -52


@needs_c
@pytest.mark.parametrize("m", [1, 7, 8, 300, 1_000])
def test_caller_scratch_gives_the_same_numbers(m: int) -> None:
    """A thread's reused scratch (sized for a longer chunk, holding an earlier chunk's
    leftovers) changes no bit of the outputs against the C function's own."""
    X, y, r0, w = _data(11, m, 6, 3.0)
    work = general_kernel.scratch(1_024, 6, (3, 5))
    assert work is not None
    work[:] = np.nan  # leftovers must never be read
    outs = []
    for scratch in (None, work):
        r, f = r0.copy(), np.empty(m)
        ones, cols = general_kernel.chunk_terms(X, y, r, 0.5, w, (3, 5), 4, True, f, scratch)
        outs.append((r, f, ones, cols))
    (r_a, f_a, ones_a, cols_a), (r_b, f_b, ones_b, cols_b) = outs
    assert np.array_equal(r_a, r_b)
    assert np.array_equal(f_a, f_b)
    assert ones_a == ones_b
    assert all(np.array_equal(a, b) for a, b in zip(cols_a, cols_b, strict=True))


def _polynomial(n: int, degree: int, seed: int = 0) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 2.0, n)
    X = np.column_stack([x**k for k in range(1, degree + 1)])
    y = 1.0 + X @ rng.normal(size=degree) + rng.normal(0.0, 0.1, n)
    return X, y


@needs_c
@pytest.mark.parametrize(("n", "degree"), [(20_000, 6), (3_000, 4), (15_000, 5)])
def test_solver_same_bits_with_either_kernel(
    n: int, degree: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = _polynomial(n, degree)
    calls = []
    original = general_kernel.chunk_terms

    def counted(*args: object, **kwargs: object) -> general_kernel.ChunkTerms:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(general_kernel, "chunk_terms", counted)
    monkeypatch.delenv(kernels.ENV, raising=False)
    with_c = solve_lstsq(X, y)
    assert calls, "the C kernel was not used"
    monkeypatch.setenv(kernels.ENV, "numpy")
    calls.clear()
    with_numpy = solve_lstsq(X, y)
    assert not calls
    assert np.array_equal(with_c.coef, with_numpy.coef)
    assert with_c.intercept == with_numpy.intercept


def _exact_least_squares(X: Array, y: Array) -> list[Fraction]:
    """The least-squares ``(b, w)`` of ``y ~ b + X w`` in rational arithmetic."""
    n, d = X.shape
    A = [[Fraction(1)] + [Fraction(float(v)) for v in row] for row in X]
    Y = [Fraction(float(v)) for v in y]
    p = d + 1
    M = [
        [sum((A[i][a] * A[i][c] for i in range(n)), Fraction(0)) for c in range(p)]
        for a in range(p)
    ]
    v = [sum((A[i][a] * Y[i] for i in range(n)), Fraction(0)) for a in range(p)]
    for col in range(p):  # Gauss-Jordan, exact
        piv = next(i for i in range(col, p) if M[i][col] != 0)
        M[col], M[piv], v[col], v[piv] = M[piv], M[col], v[piv], v[col]
        for i in range(p):
            if i != col and M[i][col] != 0:
                factor = M[i][col] / M[col][col]
                M[i] = [a - factor * c for a, c in zip(M[i], M[col], strict=True)]
                v[i] -= factor * v[col]
    return [v[i] / M[i][i] for i in range(p)]


@needs_c
def test_ill_conditioned_polynomial_correctly_rounded() -> None:
    """x, ..., x^4 on [1, 2]: the C kernel's route ends at the exact solution, rounded."""
    X, y = _polynomial(2_500, 4, seed=3)
    res = solve_lstsq(X, y)
    exact = _exact_least_squares(X, y)
    assert res.intercept == float(exact[0])
    assert res.coef.tolist() == [float(v) for v in exact[1:]]


def test_sample_check_skips_the_gram_pass_only_when_hopeless() -> None:
    X, _ = _polynomial(1_200_000 // 8, 6)
    assert lstsq._sample_too_ill(X, True)
    rng = np.random.default_rng(1)
    assert not lstsq._sample_too_ill(rng.normal(size=(150_000, 6)), True)
    # Too few sample rows per column: no guess.
    assert not lstsq._sample_too_ill(X[:3_000], True)


def test_skipping_the_gram_pass_changes_no_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _polynomial(150_000, 6)
    skipped = solve_lstsq(X, y)
    monkeypatch.setattr(lstsq, "_sample_too_ill", lambda X, fit_intercept: False)
    tried = solve_lstsq(X, y)
    assert np.array_equal(skipped.coef, tried.coef)
    assert skipped.intercept == tried.intercept


@pytest.mark.parametrize(
    ("n", "degree", "noise", "given"), [(40_000, 6, 0.1, True), (20_000, 4, 1e-9, False)]
)
def test_householder_route_reports_the_residual_sum_of_squares(
    n: int, degree: int, noise: float, given: bool
) -> None:
    """The ill-conditioned route's |y - A x|^2 comes from its own pass (|r + f|^2 less
    the last step's |A dx|^2): it matches the residuals summed afresh in extended
    precision, so the estimator needs no pass over X for its loss.  A near-exact fit,
    whose last step is not negligible beside its tiny residual, leaves it to the
    caller (None)."""
    rng = np.random.default_rng(5)
    x = rng.uniform(1.0, 2.0, n)
    X = np.column_stack([x**k for k in range(1, degree + 1)])
    y = 1.0 + X @ rng.normal(size=degree) + rng.normal(0.0, noise, n)
    res = solve_lstsq(X, y)
    assert (res.residual_sum_of_squares is not None) == given
    if res.residual_sum_of_squares is None:
        return
    exact_r = lstsq.residuals(X, y, res.coef, res.intercept)
    want = math.fsum((exact_r * exact_r).tolist())
    assert res.residual_sum_of_squares == pytest.approx(want, rel=1e-12)


def test_moved_rss_refuses_a_step_that_is_not_negligible() -> None:
    """``moved_rss`` gives |e|^2 - |A dx|^2 only where |A dx|^2 <= 2**-52 |e|^2."""
    from linreg.solvers.factor import Factorization
    from linreg.solvers.refine import moved_rss

    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3))
    fac = Factorization(X, True)
    dx = np.array([1e-3, 0.0, 0.0, 0.0])  # |A dx|^2 = 200e-6
    step = 200 * 1e-6
    assert moved_rss(fac, None, dx) is None
    assert moved_rss(fac, math.inf, dx) is None
    assert moved_rss(fac, step * 2.0**40, dx) is None
    got = moved_rss(fac, step * 2.0**53, dx)
    assert got == pytest.approx(step * 2.0**53 - step, rel=1e-15)
