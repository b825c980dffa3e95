"""The exact solver with sample weights and the ridge penalty (issue 12).

The problem is :mod:`linreg.problem`'s: ``L(W, b) = (1/S) sum_i w_i (x_i W + b - y_i)^2
+ alpha |W|^2``. Oracles: its minimiser in exact rational arithmetic
(``fractions.Fraction``: the normal equations ``(A^T diag(w) A + alpha S D) x =
A^T diag(w) y``), statsmodels ``WLS`` (alpha = 0) and scikit-learn ``Ridge(alpha=alpha
* sum(w))`` with ``sample_weight``; and properties that hold exactly because every
route ends at the correctly rounded minimiser (integer weights are repeated rows,
equal weights are no weights, a stream equals memory).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from fractions import Fraction

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from sklearn.linear_model import Ridge

import linreg.solvers.lstsq as lstsq_module
from exact_oracle import gauss
from linreg import LinearRegression
from linreg.errors import ConvergenceWarning, LinregError, RankDeficiencyWarning
from linreg.problem import objective
from linreg.solvers.lstsq import lstsq
from linreg.solvers.streamed_exact import (
    GradientPiece,
    Levels,
    QRTree,
    gradient_piece,
    merge_gradients,
    merge_qr,
    qr_piece,
    solve_exact,
)
from linreg.sources.batches import Batch
from linreg.sources.passes import SourcePasses

Array = NDArray[np.float64]


# -- the exact rational oracle --------------------------------------------------------


def _integers(v: Array) -> tuple[list[int], int]:
    """``v`` as integers over one common power-of-two denominator."""
    ratios = [float(t).as_integer_ratio() for t in v]
    den = max(q for _, q in ratios)
    return [num * (den // q) for num, q in ratios], den


def exact_minimiser(
    X: Array, y: Array, w: Array, alpha: float, fit_intercept: bool
) -> list[Fraction]:
    """The exact minimiser of the weighted, penalized objective of the float64 data:
    ``(A^T W A + alpha S D) x = A^T W y``, sums over rows in Python integers."""
    A = np.column_stack([np.ones(len(y)), X]) if fit_intercept else X
    cols, dens = zip(*(_integers(A[:, j]) for j in range(A.shape[1])), strict=True)
    wi, den_w = _integers(w)
    yi, den_y = _integers(y)
    p = len(cols)
    weighted = [[a * b for a, b in zip(c, wi, strict=True)] for c in cols]
    G = [
        [
            Fraction(sum(a * c for a, c in zip(weighted[i], cols[j], strict=True)))
            / (den_w * dens[i] * dens[j])
            for j in range(p)
        ]
        for i in range(p)
    ]
    h = [
        Fraction(sum(a * c for a, c in zip(weighted[i], yi, strict=True)))
        / (den_w * dens[i] * den_y)
        for i in range(p)
    ]
    S = Fraction(sum(wi), den_w)
    for j in range(int(fit_intercept), p):
        G[j][j] += Fraction(alpha) * S
    return gauss(G, h)


def assert_within_one_ulp(params: Array, exact: list[Fraction]) -> None:
    for got, want in zip(params.tolist(), exact, strict=True):
        ulp = Fraction(np.spacing(abs(float(want))))
        assert abs(Fraction(got) - want) <= ulp, (got, float(want))


def offset_problem(seed: int, n: int, zeros: int = 3) -> tuple[Array, Array, Array]:
    """Longley-style columns (huge means, small spreads) with uneven weights."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            1947.0 + np.arange(n),
            1e6 + rng.integers(0, 50, n).astype(float),
            np.round(rng.standard_normal(n) * 100.0, 1),
        ]
    )
    y = np.round(60000.0 + 300.0 * rng.standard_normal(n))
    w = rng.uniform(0.0, 5.0, n)
    w[rng.choice(n, zeros, replace=False)] = 0.0
    return X, y, w


# -- correctly rounded: against exact arithmetic ------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 1e-9, 1e-3, 0.7])
def test_offset_data_match_the_exact_rational_minimiser(fit_intercept: bool, alpha: float) -> None:
    X, y, w = offset_problem(11, 30)
    res = lstsq(X, y, fit_intercept=fit_intercept, sample_weight=w, alpha=alpha)
    assert res.converged
    assert_within_one_ulp(res.params, exact_minimiser(X, y, w, alpha, fit_intercept))


def test_penalty_alone_matches_the_exact_rational_minimiser() -> None:
    rng = np.random.default_rng(4)
    X = rng.standard_normal((40, 4)) * [1.0, 1e3, 1e-2, 5.0] + [3.0, -1e4, 0.0, 7.0]
    y = X @ rng.standard_normal(4) + rng.standard_normal(40)
    res = lstsq(X, y, alpha=0.25)
    assert_within_one_ulp(res.params, exact_minimiser(X, y, np.ones(40), 0.25, True))


@pytest.mark.parametrize(("seed", "alpha"), [(1, 0.0), (2, 1e-4)])
def test_large_weighted_problems_are_correctly_rounded(seed: int, alpha: float) -> None:
    """Above 65,536 entries the precision is chosen from the problem's norms; still
    within an ulp of the exact minimiser, columns far from zero included."""
    rng = np.random.default_rng(seed)
    n = 20_000
    scale = np.array([1.0, 0.01, 3.0, 1.0])
    X = rng.standard_normal((n, 4)) * scale + scale * 1e3 * np.array([1.0, 1.0, -1.0, 0.0])
    y = X @ rng.uniform(-3, 3, 4) + 4.0 + 0.01 * rng.standard_normal(n)
    w = rng.exponential(1.0, n)
    res = lstsq(X, y, sample_weight=w, alpha=alpha)
    assert_within_one_ulp(res.params, exact_minimiser(X, y, w, alpha, True))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_weighted_problems_are_correctly_rounded(seed: int) -> None:
    """Scales over eight decades, offsets up to 1e4 of them, nearly collinear columns
    (condition numbers to 1e10), weights spread over sixteen decades, integer or
    zero: every component within half an ulp of the exact minimiser."""
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(5, 50)), int(rng.integers(1, 5))
    fit_intercept = bool(rng.random() < 0.7)
    scale = 10.0 ** rng.uniform(-4, 4, d)
    X = rng.standard_normal((n, d)) * scale
    X += scale * 10.0 ** rng.uniform(-1, 4, d) * rng.choice([-1.0, 0.0, 1.0], d)
    if d >= 3 and rng.random() < 0.3:
        X[:, 2] = 0.5 * X[:, 0] + 1e-3 * X[:, 1] + 1e-5 * scale[2] * rng.standard_normal(n)
    fitted = X @ rng.uniform(-3, 3, d) + rng.uniform(-10, 10)
    y = fitted + 10.0 ** rng.uniform(-8, 0) * np.abs(fitted).mean() * rng.standard_normal(n)
    w = [
        rng.uniform(0, 1, n),
        10.0 ** rng.uniform(-8, 8, n),
        rng.integers(0, 5, n).astype(float),
    ][int(rng.integers(0, 3))]
    assume(bool(w.any()))
    alpha = [0.0, 1e-12, 1e-6, 1e-2, 10.0][int(rng.integers(0, 5))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RankDeficiencyWarning)
        res = lstsq(X, y, fit_intercept=fit_intercept, sample_weight=w, alpha=alpha)
    assume(res.rank == d + int(fit_intercept))
    exact = exact_minimiser(X, y, w, alpha, fit_intercept)
    for got, want in zip(res.params.tolist(), exact, strict=True):
        assert abs(Fraction(got) - want) <= Fraction(np.spacing(abs(float(want)))) / 2


def test_intercept_only_is_the_correctly_rounded_weighted_mean() -> None:
    rng = np.random.default_rng(5)
    y = rng.standard_normal(500) + 1e3
    w = rng.uniform(0.0, 1.0, 500)
    res = lstsq(np.zeros((500, 0)), y, sample_weight=w, alpha=3.0)
    mean = sum(Fraction(a) * Fraction(b) for a, b in zip(w, y, strict=True)) / sum(
        Fraction(a) for a in w
    )
    assert res.intercept == float(mean)


# -- against statsmodels and scikit-learn -------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weighted_least_squares_agrees_with_statsmodels_wls(fit_intercept: bool) -> None:
    rng = np.random.default_rng(6)
    X = rng.standard_normal((300, 4)) * [1.0, 10.0, 0.1, 2.0] + [1.0, -2.0, 0.5, 0.0]
    y = X @ [1.5, -0.2, 3.0, 0.7] + 2.0 + rng.standard_normal(300)
    w = rng.uniform(0.1, 4.0, 300)
    res = lstsq(X, y, fit_intercept=fit_intercept, sample_weight=w)
    design = sm.add_constant(X) if fit_intercept else X
    want = sm.WLS(y, design, weights=w).fit().params
    np.testing.assert_allclose(res.params, want, rtol=1e-10)
    fitted = y - res.params @ design.T
    assert res.residual_sum_of_squares == pytest.approx(float(w @ fitted**2), rel=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [1e-3, 0.1, 10.0])
@pytest.mark.parametrize("weighted", [True, False])
def test_ridge_agrees_with_scikit_learn(fit_intercept: bool, alpha: float, weighted: bool) -> None:
    rng = np.random.default_rng(7)
    X = rng.standard_normal((200, 5)) * [1.0, 3.0, 0.3, 1.0, 2.0] + [0.0, 5.0, -1.0, 2.0, 0.0]
    y = X @ rng.standard_normal(5) + 1.0 + 0.5 * rng.standard_normal(200)
    w = rng.uniform(0.0, 3.0, 200) if weighted else np.ones(200)
    res = lstsq(
        X, y, fit_intercept=fit_intercept, sample_weight=w if weighted else None, alpha=alpha
    )
    sk = Ridge(alpha=alpha * w.sum(), fit_intercept=fit_intercept, solver="cholesky", tol=1e-14)
    sk.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(res.coef, sk.coef_, rtol=1e-10)
    assert res.intercept == pytest.approx(sk.intercept_, rel=1e-10, abs=1e-12)


# -- properties that hold bit for bit -----------------------------------------------------


def small_problem(seed: int, n: int, d: int) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * 10.0 ** rng.uniform(-2, 2, d) + rng.uniform(-50, 50, d)
    y = X @ rng.uniform(-3, 3, d) + rng.uniform(-5, 5) + rng.standard_normal(n)
    return X, y


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    d=st.integers(1, 4),
    alpha=st.sampled_from([0.0, 0.01, 2.0]),
    fit_intercept=st.booleans(),
)
def test_integer_weights_are_repeated_rows(
    seed: int, d: int, alpha: float, fit_intercept: bool
) -> None:
    X, y = small_problem(seed, 40, d)
    counts = np.random.default_rng(seed + 1).integers(0, 4, 40)
    counts[: d + 2] = 1  # enough rows for a full-rank fit
    weighted = lstsq(
        X, y, fit_intercept=fit_intercept, sample_weight=counts.astype(float), alpha=alpha
    )
    repeated = lstsq(
        np.repeat(X, counts, axis=0), np.repeat(y, counts), fit_intercept=fit_intercept, alpha=alpha
    )
    np.testing.assert_array_equal(weighted.params, repeated.params)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    d=st.integers(1, 4),
    c=st.sampled_from([1.0, 0.3, 7.0, 2.0**-20, 1e6]),
    fit_intercept=st.booleans(),
)
def test_equal_weights_are_no_weights(seed: int, d: int, c: float, fit_intercept: bool) -> None:
    """``w = c 1`` goes the weighted way, ``None`` today's unweighted one: same bits."""
    X, y = small_problem(seed, 50, d)
    weighted = lstsq(X, y, fit_intercept=fit_intercept, sample_weight=np.full(50, c))
    plain = lstsq(X, y, fit_intercept=fit_intercept)
    np.testing.assert_array_equal(weighted.params, plain.params)


@pytest.mark.parametrize("power", [-1000, -300, 300, 1000])
def test_weights_at_any_scale_give_the_same_bits(power: int) -> None:
    """Only the weights' ratios matter; ``w y`` and ``w r`` must not over- or
    underflow at 2**-1000 or 2**1000."""
    X, y, w = offset_problem(18, 60)
    expected = lstsq(X, y, sample_weight=w, alpha=0.01)
    scaled = lstsq(X, y, sample_weight=np.ldexp(w, power), alpha=0.01)
    np.testing.assert_array_equal(scaled.params, expected.params)
    assert scaled.converged


@pytest.mark.parametrize("n", [300, 17_000])
def test_a_penalized_constant_column_gets_exactly_zero(n: int) -> None:
    """Centred, a constant column is zero; only the penalty sees it, so its slope is 0."""
    rng = np.random.default_rng(19)
    X = np.column_stack([rng.standard_normal(n), np.full(n, -0.43)])
    y = 2.0 * X[:, 0] + 1.0 + rng.standard_normal(n)
    w = rng.exponential(1.0, n)
    res = lstsq(X, y, sample_weight=w, alpha=1e-10)
    assert res.coef[1] == 0.0
    assert res.converged
    assert_within_one_ulp(res.params, exact_minimiser(X, y, w, 1e-10, True))


def test_zero_weights_drop_their_rows() -> None:
    X, y, w = offset_problem(12, 40, zeros=9)
    keep = w > 0
    full = lstsq(X, y, sample_weight=w, alpha=0.01)
    kept = lstsq(X[keep], y[keep], sample_weight=w[keep], alpha=0.01)
    np.testing.assert_array_equal(full.params, kept.params)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), fit_intercept=st.booleans())
def test_a_large_penalty_shrinks_the_slopes_to_zero(seed: int, fit_intercept: bool) -> None:
    X, y = small_problem(seed, 60, 3)
    w = np.random.default_rng(seed).uniform(0.5, 2.0, 60)
    norms = [
        float(
            np.linalg.norm(lstsq(X, y, fit_intercept=fit_intercept, sample_weight=w, alpha=a).coef)
        )
        for a in (0.0, 1.0, 1e2, 1e4, 1e12)
    ]
    assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(norms))
    assert norms[-1] <= 1e-6 * norms[0]
    if fit_intercept:  # with W = 0 the intercept is the weighted mean of y
        res = lstsq(X, y, sample_weight=w, alpha=1e14)
        assert res.intercept == pytest.approx(float(w @ y / w.sum()), rel=1e-8, abs=1e-8)


def test_a_penalty_makes_a_singular_design_regular() -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal(80)
    X = np.column_stack([x, 2.0 * x, rng.standard_normal(80)])
    y = x + rng.standard_normal(80)
    w = rng.uniform(0.5, 1.5, 80)
    with pytest.warns(RankDeficiencyWarning, match="columns \\[1\\]"):
        singular = lstsq(X, y, sample_weight=w)
    # The minimum-norm solution of the weighted, centred problem (numpy's pinv).
    xbar, ybar, root = w @ X / w.sum(), w @ y / w.sum(), np.sqrt(w)
    slopes = np.linalg.pinv((X - xbar) * root[:, None]) @ ((y - ybar) * root)
    np.testing.assert_allclose(singular.coef, slopes, rtol=1e-12)
    assert singular.intercept == pytest.approx(ybar - xbar @ slopes, abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RankDeficiencyWarning)
        res = lstsq(X, y, sample_weight=w, alpha=0.1)
    assert res.rank == 4
    sk = Ridge(alpha=0.1 * w.sum(), solver="cholesky").fit(X, y, sample_weight=w)
    np.testing.assert_allclose(res.coef, sk.coef_, rtol=1e-10)
    assert res.coef[1] == pytest.approx(2.0 * res.coef[0], rel=1e-12)


# -- the streamed solver equals the in-memory one -----------------------------------------


class WeightedBatches:
    """A :class:`linreg.sources.batches.BatchSource` of arrays with row weights."""

    def __init__(self, X: Array, y: Array, w: Array, rows: int) -> None:
        self.X, self.y, self.w, self.rows = X, y, w, rows
        self.name = "weighted arrays"
        self.feature_names = [f"x{j}" for j in range(X.shape[1])]
        self.target_name = "y"
        self.total_bytes = None

    def batches(self) -> Iterator[Batch]:
        for s in range(0, len(self.y), self.rows):
            e = s + self.rows
            yield Batch(self.X[s:e], self.y[s:e], s, e, self.w[s:e])


@pytest.mark.parametrize("alpha", [0.0, 0.05])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("rows", [1, 13, 250, 999, 5000])
def test_streamed_weighted_fit_equals_the_in_memory_one(
    alpha: float, fit_intercept: bool, rows: int
) -> None:
    X, y, w = offset_problem(13, 999, zeros=50)
    expected = lstsq(X, y, fit_intercept=fit_intercept, sample_weight=w, alpha=alpha)
    passes = SourcePasses(WeightedBatches(X, y, w, rows))
    qr = passes.qr(fit_intercept)
    solution = solve_exact(
        qr, lambda x, lv, shift: passes.gradient(x, fit_intercept, lv, shift), alpha=alpha
    )
    np.testing.assert_array_equal(solution.result.params, expected.params)
    W, b = solution.result.coef, solution.result.intercept
    want = objective(X, y, W, b, w, alpha)
    assert solution.objective == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize(("seed", "alpha"), [(0, 0.0), (1, 1e-6), (2, 1e-2)])
def test_large_streamed_weighted_fit_equals_the_in_memory_one(seed: int, alpha: float) -> None:
    """Above 65,536 entries each solver picks its precision from its own factor (the
    in-memory one Björck's corrections with Q, the streamed one R alone): the same
    correctly rounded bits, correlated columns far from zero included."""
    rng = np.random.default_rng(seed)
    n, d = 40_000, 5
    scale = 10.0 ** rng.uniform(-2, 2, d)
    X = rng.standard_normal((n, d)) * scale + scale * 10.0 ** rng.uniform(-1, 3, d)
    X[:, 1] = X[:, 0] * (scale[1] / scale[0]) + 0.01 * scale[1] * rng.standard_normal(n)
    y = X @ rng.uniform(-3, 3, d) + 4.0 + rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 0)
    w = rng.exponential(1.0, n)
    w[rng.random(n) < 0.1] = 0.0
    expected = lstsq(X, y, sample_weight=w, alpha=alpha)
    passes = SourcePasses(WeightedBatches(X, y, w, 15_000))
    solution = solve_exact(
        passes.qr(True), lambda x, lv, s: passes.gradient(x, True, lv, s), alpha=alpha
    )
    np.testing.assert_array_equal(solution.result.params, expected.params)


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    cuts=st.lists(st.integers(1, 299), max_size=5),
    alpha=st.sampled_from([0.0, 1e-3, 1.0]),
)
def test_any_batch_layout_gives_the_in_memory_bits(
    seed: int, cuts: list[int], alpha: float
) -> None:
    """Pieces merged in any layout, and the Σw given explicitly as per-row floats."""
    X, y = small_problem(seed, 300, 3)
    w = np.random.default_rng(seed).uniform(0.0, 2.0, 300)
    expected = lstsq(X, y, sample_weight=w, alpha=alpha)
    edges = [0, *sorted(set(cuts)), 300]
    spans = [(s, e) for s, e in itertools.pairwise(edges) if e > s]
    tree = QRTree()
    for s, e in spans:
        tree.add(qr_piece(X[s:e], y[s:e], fit_intercept=True, sample_weight=w[s:e]))

    def gradient_pass(x: Array, levels: Levels, shift: Array | None) -> GradientPiece:
        return merge_gradients(
            [
                gradient_piece(
                    X[s:e],
                    y[s:e],
                    x,
                    fit_intercept=True,
                    levels=levels,
                    shift=shift,
                    sample_weight=w[s:e],
                )
                for s, e in spans
            ]
        )

    solution = solve_exact(tree.result(), gradient_pass, alpha=alpha, weight_sum=w.tolist())
    np.testing.assert_array_equal(solution.result.params, expected.params)


def test_unweighted_streamed_penalty_equals_in_memory() -> None:
    """alpha > 0 without weights: the norm-sliced kernel may serve the passes."""
    rng = np.random.default_rng(14)
    X = rng.standard_normal((40_000, 6)) * 2.0 + 3.0
    y = X @ np.arange(1.0, 7.0) + rng.standard_normal(40_000)
    expected = lstsq(X, y, alpha=1e-3)
    spans = [(s, min(s + 15_000, 40_000)) for s in range(0, 40_000, 15_000)]
    tree = QRTree()
    for s, e in spans:
        tree.add(qr_piece(X[s:e], y[s:e], fit_intercept=True))

    def gradient_pass(x: Array, levels: Levels, shift: Array | None) -> GradientPiece:
        return merge_gradients(
            [
                gradient_piece(X[s:e], y[s:e], x, fit_intercept=True, levels=levels, shift=shift)
                for s, e in spans
            ]
        )

    solution = solve_exact(tree.result(), gradient_pass, alpha=1e-3)
    np.testing.assert_array_equal(solution.result.params, expected.params)


# -- the unweighted path is today's -------------------------------------------------------


def test_no_weights_and_no_penalty_take_the_unweighted_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = small_problem(3, 100, 3)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the weighted path was taken")

    monkeypatch.setattr(lstsq_module, "WeightedFactorization", refuse)
    res = lstsq(X, y, sample_weight=None, alpha=0.0)
    assert res.residual_sum_of_squares is None or res.residual_sum_of_squares >= 0.0
    with pytest.raises(AssertionError, match="weighted path"):
        lstsq(X, y, alpha=0.5)


# -- the boundary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (np.array([1.0, -1.0, 1.0, 1.0]), "sample_weight\\[1\\] is .*-1.0"),
        (np.array([1.0, 1.0, np.nan, 1.0]), "sample_weight\\[2\\] is .*nan"),
        (np.zeros(4), "all zero"),
        (np.ones(3), "3 values but the data have 4 rows"),
    ],
)
def test_bad_weights_are_named(weights: Array, message: str) -> None:
    X, y = small_problem(1, 4, 1)
    with pytest.raises(LinregError, match=message):
        lstsq(X, y, sample_weight=weights)


@pytest.mark.parametrize("alpha", [-1.0, float("inf"), float("nan")])
def test_bad_alpha_is_named(alpha: float) -> None:
    X, y = small_problem(1, 10, 1)
    with pytest.raises(LinregError, match="alpha"):
        lstsq(X, y, alpha=alpha)


# -- the estimator --------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [True, False])
def test_estimator_stores_the_solution_and_records_the_objective(
    alpha: float, weighted: bool
) -> None:
    X, y, w = offset_problem(15, 60)
    w = w if weighted else np.ones(60)
    model = LinearRegression(solver="exact", alpha=alpha).fit(
        X, y, sample_weight=w if weighted else None
    )
    expected = lstsq(X, y, sample_weight=w if weighted else None, alpha=alpha)
    np.testing.assert_array_equal(model.coef_, expected.coef)
    assert model.intercept_ == expected.intercept
    assert model.lstsq_ is not None
    want = objective(X, y, model.coef_, model.intercept_, w if weighted else None, alpha)
    assert model.history_.loss.shape == (1,)
    assert model.history_.loss[0] == pytest.approx(want, rel=1e-12)
    assert model.stop_reason_ == "closed_form"


def test_dask_tasks_take_a_partition_s_weights() -> None:
    """The Dask workers' tasks (plain functions, no cluster needed) pass a partition's
    weights to the pieces: merged, they give the in-memory bits."""
    import linreg.sources.distributed as distributed

    X, y, w = offset_problem(16, 200, zeros=20)
    names = ["a", "b", "c"]
    spans = [(0, 70), (70, 71), (71, 200)]
    qr = [
        distributed._qr_task(X[s:e], y[s:e], k, names, True, w[s:e])
        for k, (s, e) in enumerate(spans)
    ]
    factor = merge_qr([piece for piece in qr if piece is not None])

    def gradient_pass(x: Array, levels: Levels, shift: Array | None) -> GradientPiece:
        pieces = [
            distributed._gradient_task(X[s:e], y[s:e], k, names, x, True, levels, shift, w[s:e])
            for k, (s, e) in enumerate(spans)
        ]
        return merge_gradients([piece for piece in pieces if piece is not None])

    solution = solve_exact(factor, gradient_pass, alpha=0.01)
    expected = lstsq(X, y, sample_weight=w, alpha=0.01)
    np.testing.assert_array_equal(solution.result.params, expected.params)
    with pytest.raises(LinregError, match="partition 0: 70 rows but 3 weights"):
        distributed._qr_task(X[:70], y[:70], 0, names, True, np.ones(3))


def test_streamed_weighted_fit_of_an_ill_conditioned_design_warns() -> None:
    """Without Q the seminormal corrections stall near condition 1e10; the streamed
    solver says so (the in-memory one, with Björck's corrections, is exact)."""
    rng = np.random.default_rng(17)
    x = rng.uniform(0.0, 10.0, 3000)
    X = np.column_stack([x**k for k in range(1, 15)])
    y = np.cos(x) + 1e-3 * rng.standard_normal(3000)
    w = rng.uniform(0.5, 2.0, 3000)
    assert lstsq(X, y, sample_weight=w).converged
    passes = SourcePasses(WeightedBatches(X, y, w, 1000))
    with pytest.warns(ConvergenceWarning, match="stopped refining"):
        solve_exact(passes.qr(True), lambda x, lv, s: passes.gradient(x, True, lv, s))
