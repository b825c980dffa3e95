"""Gradient descent and SGD with sample weights and the ridge penalty (issue 12).

The objective is :mod:`linreg.problem`'s,
``L = (1/S) sum_i w_i (x_i W + b - y_i)^2 + alpha |W|^2``. Checked here against
independent oracles: scikit-learn's ``Ridge(alpha=alpha * sum(w))`` and statsmodels'
``WLS`` for the optimum, exact rational arithmetic for the moments and the gradient,
NumPy's ``eigvalsh`` of the Hessian written out for eta_max; and the engines against
each other: the fast engine gives the readable loop's iterates, a stream gives the
in-memory path's, and the weights mean what they say (an integer weight is a
repeated row, equal weights are no weights).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SgdKernelChoice
from engine_data import RTOL, assert_same_history, regression_data
from linreg import LinearModel, LinearRegression
from linreg.errors import DivergenceError, LinregError
from linreg.problem import mean_one_weights
from linreg.solvers import fast
from linreg.solvers.moments import Moments, Standardized, stability_from_moments
from linreg.solvers.objectives import make_objective
from linreg.solvers.streamed_sgd import StreamSGD
from linreg.sources.batches import Batch
from linreg.sources.passes import SourcePasses, merge_moments, moments_piece, standardization
from linreg.stability import stability
from linreg.training import train

Array = np.ndarray


def weights(n: int, seed: int = 5, zeros: bool = True) -> Array:
    """Positive weights of a wide range, some rows at zero weight."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 4.0, n)
    if zeros:
        w[rng.choice(n, n // 10, replace=False)] = 0.0
    return w


def fit_both(X: Array, y: Array, w: Array | None, **params: Any) -> tuple[Any, Any]:
    models = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eta_max warnings of the deliberately slow runs
        for engine in ("reference", "fast"):
            model = LinearRegression(engine=engine, **params)
            models.append(model.fit(X, y, sample_weight=w))
    return models[0], models[1]


# -- the optimum: scikit-learn and statsmodels -------------------------------------------------
@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 0.05, 2.0])
def test_gd_converges_to_the_weighted_ridge_optimum(
    engine: str, fit_intercept: bool, alpha: float
) -> None:
    from sklearn.linear_model import Ridge

    X, y = regression_data(n=3000, d=4, seed=2)
    w = weights(len(y))
    model = LinearRegression(
        engine=engine,
        standardize=True,
        fit_intercept=fit_intercept,
        alpha=alpha,
        learning_rate=0.1,
        epochs=4000,
    ).fit(X, y, sample_weight=w)
    # standardize=True penalizes the standardized weights W * s (s the weighted
    # deviations): scikit-learn's ridge of X / s, its coefficients divided by s.
    v = w / w.sum()
    s = np.sqrt(v @ (X - v @ X) ** 2)
    oracle = Ridge(alpha=alpha * w.sum(), fit_intercept=fit_intercept, solver="cholesky")
    oracle.fit(X / s, y, sample_weight=w)
    coef = oracle.coef_ / s
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-9, atol=1e-9)
    assert model.intercept_ == pytest.approx(oracle.intercept_, rel=1e-9, abs=1e-9)
    # The recorded loss is the objective at the fitted parameters, in original units.
    r = X @ coef + oracle.intercept_ - y
    objective = np.sum(w * r**2) / w.sum() + alpha * oracle.coef_ @ oracle.coef_
    assert model.history_.loss[-1] == pytest.approx(objective, rel=1e-9)


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_gd_without_penalty_is_weighted_least_squares(engine: str) -> None:
    import statsmodels.api as sm

    X, y = regression_data(n=2000, d=3, seed=4)
    w = weights(len(y), seed=1)
    model = LinearRegression(engine=engine, standardize=True, learning_rate=0.1, epochs=3000).fit(
        X, y, sample_weight=w
    )
    params = sm.WLS(y, sm.add_constant(X), weights=w).fit().params
    np.testing.assert_allclose(model.coef_, params[1:], rtol=1e-9)
    assert model.intercept_ == pytest.approx(params[0], rel=1e-9)


# -- the fast engine gives the readable loop's iterates ---------------------------------------
GD_CASES = {
    "raw": {"learning_rate": 0.02},
    "standardized": {"learning_rate": 0.2, "standardize": True},
    "no-intercept": {"learning_rate": 0.02, "fit_intercept": False},
    "standardized-no-intercept": {
        "learning_rate": 0.02,
        "standardize": True,
        "fit_intercept": False,
    },
    "momentum": {"learning_rate": 0.01, "momentum": 0.9},
    "tol": {"learning_rate": 0.2, "standardize": True, "tol": 1e-9},
}
PROBLEMS = {
    "weights": {"weighted": True, "alpha": 0.0},
    "ridge": {"weighted": False, "alpha": 0.3},
    "both": {"weighted": True, "alpha": 0.05},
}


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS.keys())
@pytest.mark.parametrize("params", GD_CASES.values(), ids=GD_CASES.keys())
def test_fast_gd_path_equals_the_reference(params: dict[str, Any], problem: dict[str, Any]) -> None:
    X, y = regression_data(n=20_000, d=6, seed=1)
    w = weights(len(y)) if problem["weighted"] else None
    ref, quick = fit_both(X, y, w, epochs=500, alpha=problem["alpha"], **params)
    assert quick.n_iter_ == ref.n_iter_
    assert quick.stop_reason_ == ref.stop_reason_
    assert_same_history(quick.history_, ref.history_)
    s_ref, s_fast = ref.stability_, quick.stability_
    assert s_fast.max_stable_learning_rate == pytest.approx(
        s_ref.max_stable_learning_rate, rel=RTOL
    )
    assert s_fast.condition_number == pytest.approx(s_ref.condition_number, rel=1e-8)


@pytest.mark.parametrize("objective", ["quadratic", "streaming"])
def test_both_fast_objectives_give_the_reference_path(objective: str) -> None:
    X, y = regression_data(n=3000, d=5, seed=6)
    w = weights(len(y))
    for standardize in (False, True):
        center = np.zeros(5)
        scale = np.ones(5)
        moments = Moments.from_data(X, y, w)
        if standardize:
            center, scale = fast.standardization(moments, X, standardize=True, fit_intercept=True)
        alpha = 0.2
        ridge = np.full(5, alpha)  # the penalty falls on the weights trained
        Z = (X - center) / scale
        lr = 0.5 / stability(Z, sample_weight=w, alpha=ridge).lambda_max
        model_ref, model_fast = LinearModel(5), LinearModel(5)
        expected = train(
            model_ref, Z, y, learning_rate=lr, epochs=200, sample_weight=w, alpha=ridge
        )
        got = fast.train(
            model_fast,
            X,
            y,
            center=center,
            scale=scale,
            learning_rate=lr,
            epochs=200,
            sample_weight=w,
            alpha=alpha,
            objective=objective,
            moments=moments,
        )
        assert_same_history(got.history, expected.history)


def test_fast_gd_divergence_is_reported_alike() -> None:
    X, y = regression_data(n=20_000, d=4, seed=3)
    w = weights(len(y))
    reports = []
    for engine in ("reference", "fast"):
        model = LinearRegression(engine=engine, learning_rate=0.5, alpha=0.1, epochs=200)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # eta_max: the divergence is the point
            with pytest.raises(DivergenceError) as caught:
                model.fit(X, y, sample_weight=w)
        reports.append(caught.value.report)
    ref, quick = reports
    assert quick.epoch == ref.epoch
    assert quick.gradient_norm == pytest.approx(ref.gradient_norm, rel=1e-8)
    assert_same_history(quick.history, ref.history)


SGD_CASES = {
    "plain": {},
    "momentum": {"momentum": 0.5},
    "tol": {"tol": 1e-3, "epochs": 20},
    "no-intercept": {"fit_intercept": False},
}


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS.keys())
@pytest.mark.parametrize("params", SGD_CASES.values(), ids=SGD_CASES.keys())
def test_fast_sgd_is_bitwise_the_reference(
    params: dict[str, Any], problem: dict[str, Any], sgd_kernel: SgdKernelChoice
) -> None:
    X, y = regression_data(n=20_000, d=5, seed=2)
    w = weights(len(y)) if problem["weighted"] else None
    settings_: dict[str, Any] = {"epochs": 2, "learning_rate": 0.002, "batch_size": 64}
    settings_.update(params)
    ref, quick = fit_both(X, y, w, solver="sgd", alpha=problem["alpha"], **settings_)
    assert (quick.n_iter_, quick.n_steps_, quick.stop_reason_) == (
        ref.n_iter_,
        ref.n_steps_,
        ref.stop_reason_,
    )
    sgd_kernel.assert_same(quick.history_.W, ref.history_.W)
    sgd_kernel.assert_same(quick.history_.b, ref.history_.b)
    np.testing.assert_allclose(quick.history_.loss, ref.history_.loss, rtol=RTOL)
    assert quick.stability_.max_stable_learning_rate == pytest.approx(
        ref.stability_.max_stable_learning_rate, rel=RTOL
    )


def test_fast_sgd_standardized_with_weights_equals_the_reference() -> None:
    X, y = regression_data(n=20_000, d=5, seed=3)
    w = weights(len(y))
    ref, quick = fit_both(
        X, y, w, solver="sgd", standardize=True, alpha=0.1, epochs=2, learning_rate=0.01
    )
    assert_same_history(quick.history_, ref.history_)


# -- what the weights mean ---------------------------------------------------------------------
small_problems = st.tuples(
    st.integers(min_value=5, max_value=40),  # rows
    st.integers(min_value=1, max_value=3),  # features
    st.integers(min_value=0, max_value=2**16),  # seed
)


def small_data(n: int, d: int, seed: int) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n)


@settings(max_examples=25, deadline=None)
@given(small_problems, st.floats(0.0, 1.0))
def test_integer_weights_are_repeated_rows(shape: tuple[int, int, int], alpha: float) -> None:
    n, d, seed = shape
    X, y = small_data(n, d, seed)
    k = np.random.default_rng(seed + 1).integers(0, 4, n)
    k[0] = max(k[0], 1)
    repeated = np.repeat(np.arange(n), k)
    lr = 0.5 / stability(X, sample_weight=k.astype(float), alpha=alpha).lambda_max
    weighted, copies = LinearModel(d), LinearModel(d)
    a = train(
        weighted, X, y, learning_rate=lr, epochs=50, sample_weight=k.astype(float), alpha=alpha
    )
    b = train(copies, X[repeated], y[repeated], learning_rate=lr, epochs=50, alpha=alpha)
    assert_same_history(a.history, b.history, rtol=1e-11)


@settings(max_examples=25, deadline=None)
@given(small_problems, st.sampled_from([0.25, 1.0, 8.0]), st.floats(0.01, 100.0))
def test_equal_weights_are_no_weights(
    shape: tuple[int, int, int], power_of_two: float, c: float
) -> None:
    n, d, seed = shape
    X, y = small_data(n, d, seed)
    lr = 0.5 / stability(X).lambda_max
    plain = train(LinearModel(d), X, y, learning_rate=lr, epochs=30)
    # Weights c 1 with c a power of two are scaled to exactly 1: the very same bits.
    exact = train(
        LinearModel(d), X, y, learning_rate=lr, epochs=30, sample_weight=np.full(n, power_of_two)
    )
    np.testing.assert_array_equal(exact.history.W, plain.history.W)
    np.testing.assert_array_equal(exact.history.loss, plain.history.loss)
    # Any other c: to rounding.
    other = train(LinearModel(d), X, y, learning_rate=lr, epochs=30, sample_weight=np.full(n, c))
    assert_same_history(other.history, plain.history, rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(small_problems, st.floats(0.01, 10.0))
def test_a_larger_penalty_shrinks_the_weights(shape: tuple[int, int, int], alpha: float) -> None:
    n, d, seed = shape
    X, y = small_data(n, d, seed)
    w = np.random.default_rng(seed).uniform(0.5, 2.0, n)
    norms = []
    for a in (0.0, alpha, 10 * alpha, 1e8):
        model = LinearRegression(
            engine="reference",
            alpha=a,
            learning_rate=0.5 / stability(X, sample_weight=w, alpha=a).lambda_max,
            epochs=3000,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y, sample_weight=w)
        norms.append(float(np.linalg.norm(model.coef_)))
    assert norms[0] >= norms[1] * (1 - 1e-9) >= norms[2] * (1 - 1e-9)
    assert norms[3] <= 1e-3 * max(norms[0], 1e-300) + 1e-12


# -- the loss, gradient and moments: exact arithmetic ------------------------------------------
def exact_objective_gradient(
    X: Array, y: Array, w: Array, W: Array, b: float, alpha: float
) -> tuple[Fraction, list[Fraction], Fraction]:
    n, d = X.shape
    S = sum(Fraction(v) for v in w)
    r = [
        sum(Fraction(X[i, j]) * Fraction(W[j]) for j in range(d)) + Fraction(b) - Fraction(y[i])
        for i in range(n)
    ]
    loss = sum(Fraction(w[i]) * r[i] ** 2 for i in range(n)) / S
    loss += Fraction(alpha) * sum(Fraction(v) ** 2 for v in W)
    dW = [
        2 * sum(Fraction(w[i]) * Fraction(X[i, j]) * r[i] for i in range(n)) / S
        + 2 * Fraction(alpha) * Fraction(W[j])
        for j in range(d)
    ]
    db = 2 * sum(Fraction(w[i]) * r[i] for i in range(n)) / S
    return loss, dW, db


@settings(max_examples=25, deadline=None)
@given(small_problems, st.floats(0.0, 2.0))
def test_model_loss_and_backward_are_the_objective(
    shape: tuple[int, int, int], alpha: float
) -> None:
    n, d, seed = shape
    X, y = small_data(n, d, seed)
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 3.0, n)
    w[0] = 1.0
    model = LinearModel(d, init="random", seed=seed)
    w1 = mean_one_weights(w, n)
    y_pred = model.forward(X)
    loss = model.loss(y_pred, y, sample_weight=w1, alpha=alpha)
    grads = model.backward(X, y, y_pred, sample_weight=w1, alpha=alpha)
    exact_loss, exact_dW, exact_db = exact_objective_gradient(X, y, w, model.W, model.b, alpha)
    assert loss == pytest.approx(float(exact_loss), rel=1e-12)
    scale = max(abs(float(v)) for v in [*exact_dW, exact_db]) + 1e-300
    np.testing.assert_allclose(
        grads.dW, [float(v) for v in exact_dW], rtol=1e-10, atol=1e-13 * scale
    )
    assert grads.db == pytest.approx(float(exact_db), rel=1e-10, abs=1e-13 * scale)


def test_weighted_moments_are_exact_to_rounding() -> None:
    rng = np.random.default_rng(3)
    n, d = 60, 3
    X = np.round(rng.standard_normal((n, d)) * 100 + 1e4, 2)  # offset: cancellation-prone
    y = np.round(X @ rng.standard_normal(d) + rng.standard_normal(n), 2)
    w = np.round(rng.uniform(0, 3, n), 3)
    m = Moments.from_data(X, y, w)
    F = Fraction
    S = sum(F(v) for v in w)
    mean = [sum(F(w[i]) * F(X[i, j]) for i in range(n)) / S for j in range(d)]
    y_mean = sum(F(w[i]) * F(y[i]) for i in range(n)) / S
    Xc = [[F(X[i, j]) - mean[j] for j in range(d)] for i in range(n)]
    yc = [F(y[i]) - y_mean for i in range(n)]
    gram = [
        [sum(F(w[i]) * Xc[i][j] * Xc[i][k] for i in range(n)) for k in range(d)] for j in range(d)
    ]
    xty = [sum(F(w[i]) * Xc[i][j] * yc[i] for i in range(n)) for j in range(d)]
    yty = sum(F(w[i]) * yc[i] ** 2 for i in range(n))
    assert m.weight_sum == float(S)
    np.testing.assert_allclose(m.mean, [float(v) for v in mean], rtol=1e-15)
    assert m.y_mean == pytest.approx(float(y_mean), rel=1e-15)
    np.testing.assert_allclose(m.gram, [[float(v) for v in row] for row in gram], rtol=1e-10)
    np.testing.assert_allclose(m.xty, [float(v) for v in xty], rtol=1e-10)
    assert m.yty == pytest.approx(float(yty), rel=1e-10)


def test_unweighted_moments_are_unchanged_by_the_weighted_code() -> None:
    X, y = regression_data(n=5000, d=4)
    plain = Moments.from_data(X, y)
    assert plain.weight_sum is None
    assert plain.total == 5000
    ones = Moments.from_data(X, y, np.ones(5000))
    np.testing.assert_allclose(ones.gram, plain.gram, rtol=1e-12)
    np.testing.assert_allclose(ones.mean, plain.mean, rtol=1e-14)
    assert ones.weight_factor == 1.0


# -- eta_max and kappa from the weighted, penalized Hessian ------------------------------------
def direct_hessian(Z: Array, w: Array, ridge: Array, fit_intercept: bool) -> Array:
    A = np.column_stack([Z, np.ones(len(Z))]) if fit_intercept else Z
    H = 2.0 / w.sum() * (A.T * w) @ A
    d = Z.shape[1]
    H[:d, :d] += np.diag(2.0 * ridge)
    return H


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("standardize", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_eta_max_is_two_over_the_largest_eigenvalue(
    fit_intercept: bool, standardize: bool, alpha: float
) -> None:
    X, y = regression_data(n=4000, d=4, seed=8)
    w = weights(len(y))
    moments = Moments.from_data(X, y, w)
    center, scale = fast.standardization(
        moments, X, standardize=standardize, fit_intercept=fit_intercept
    )
    Z = (X - center) / scale
    # The penalty falls on the weights trained, V = W * scale: 2 alpha on the diagonal.
    ridge = np.full(4, alpha)
    eigenvalues = np.linalg.eigvalsh(direct_hessian(Z, w, ridge, fit_intercept))
    expected = 2.0 / eigenvalues[-1]
    from_moments = stability_from_moments(
        moments, center, scale, fit_intercept=fit_intercept, alpha=alpha
    )
    direct = stability(Z, fit_intercept=fit_intercept, sample_weight=w, alpha=ridge)
    for s in (from_moments, direct):
        assert s.max_stable_learning_rate == pytest.approx(expected, rel=1e-12)
        assert s.condition_number == pytest.approx(eigenvalues[-1] / eigenvalues[0], rel=1e-6)
    for engine in ("reference", "fast"):
        model = LinearRegression(
            engine=engine,
            standardize=standardize,
            fit_intercept=fit_intercept,
            alpha=alpha,
            epochs=1,
        ).fit(X, y, sample_weight=w)
        assert model.stability_.max_stable_learning_rate == pytest.approx(expected, rel=1e-12)


def test_the_penalty_bounds_the_condition_number() -> None:
    X = np.column_stack([np.linspace(0, 1, 50), np.linspace(0, 1, 50)])  # singular Hessian
    assert stability(X).condition_number == np.inf
    s = stability(X, alpha=0.5)
    assert np.isfinite(s.condition_number)
    # Without an intercept the penalty adds 2 alpha I: every eigenvalue is at least 1.
    assert stability(X, fit_intercept=False, alpha=0.5).lambda_min >= 1.0 - 1e-12
    # A zero-weight row is no row at all.
    X3 = np.vstack([X, [[1e3, -1e3]]])
    w = np.r_[np.ones(50), 0.0]
    np.testing.assert_allclose(
        stability(X3, sample_weight=w).lambda_max, stability(X).lambda_max, rtol=1e-12
    )


# -- streamed: pieces merge to the whole, the stream's GD is the in-memory GD -------------------
class WeightedSource:
    """The rows of (X, y, w) in batches of ``rows``: a stand-in for a weighted file."""

    def __init__(self, X: Array, y: Array, w: Array | None, rows: int) -> None:
        self.X, self.y, self.w, self.rows = X, y, w, rows
        self.name = "weighted arrays"
        self.feature_names = [f"x{j}" for j in range(X.shape[1])]
        self.target_name = "y"
        self.total_bytes = None

    def batches(self) -> Iterator[Batch]:
        for start in range(0, len(self.y), self.rows):
            stop = start + self.rows
            w = None if self.w is None else self.w[start:stop]
            yield Batch(self.X[start:stop], self.y[start:stop], start, stop, w=w)


def test_merged_weighted_moments_are_the_whole_ones() -> None:
    X, y = regression_data(n=10_000, d=5, seed=9, offset=300.0)
    w = weights(len(y))
    w[:700] = 0.0  # a batch of zero weights only
    whole = Moments.from_data(X, y, w)
    merged = None
    for start in range(0, 10_000, 700):
        piece = moments_piece(
            X[start : start + 700], y[start : start + 700], w[start : start + 700]
        )
        merged = piece if merged is None else merge_moments(merged, piece)
    assert merged is not None
    assert merged.n == whole.n
    assert merged.weight_sum == pytest.approx(whole.weight_sum, rel=1e-14)
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-14)
    np.testing.assert_allclose(merged.gram, whole.gram, rtol=1e-11)
    np.testing.assert_allclose(
        merged.xty, whole.xty, rtol=1e-10, atol=1e-10 * np.abs(whole.xty).max()
    )
    assert merged.yty == pytest.approx(whole.yty, rel=1e-11)


def test_all_zero_weights_in_a_stream_are_refused() -> None:
    X, y = regression_data(n=100, d=2)
    passes = SourcePasses(WeightedSource(X, y, np.zeros(100), rows=30))  # type: ignore[arg-type]
    with pytest.raises(LinregError, match="all zero"):
        passes.moments()


@pytest.mark.parametrize("standardize", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_streamed_gd_equals_in_memory_gd(standardize: bool, alpha: float) -> None:
    X, y = regression_data(n=8000, d=4, seed=11)
    w = weights(len(y))
    passes = SourcePasses(WeightedSource(X, y, w, rows=1500))  # type: ignore[arg-type]
    moments, row_mean = passes.moments()
    assert row_mean is None
    center, scale = standardization(moments, row_mean, standardize=standardize, fit_intercept=True)
    objective = fast.quadratic_objective(
        moments,
        center,
        scale,
        fit_intercept=True,
        alpha=alpha,
        residuals=lambda zbar, W, b: passes.anchor(moments, scale, zbar, W, b),
    )
    lr = (
        0.5
        * stability_from_moments(
            moments, center, scale, fit_intercept=True, alpha=alpha
        ).max_stable_learning_rate
    )

    def to_original(W: Array, b: float) -> tuple[Array, float]:
        return W / scale, float(b - (W / scale) @ center)

    streamed = fast.descend(
        LinearModel(4),
        objective,
        learning_rate=lr,
        epochs=300,
        momentum=0.0,
        tol=None,
        max_stable_learning_rate=np.inf,
        to_original=to_original,
    )
    in_memory = LinearRegression(
        engine="fast", standardize=standardize, alpha=alpha, learning_rate=lr, epochs=300
    ).fit(X, y, sample_weight=w)
    assert_same_history(streamed.history, in_memory.history_)


def test_streamed_near_perfect_fit_takes_the_weighted_anchor_pass() -> None:
    X, y = regression_data(n=5000, d=3, seed=12, noise=1e-7)
    w = weights(len(y))
    passes = SourcePasses(WeightedSource(X, y, w, rows=999))  # type: ignore[arg-type]
    moments, _ = passes.moments()
    center, scale = np.zeros(3), np.ones(3)
    calls = []

    def residuals(zbar: Array, W: Array, b: float) -> tuple[float, Array, float]:
        calls.append(1)
        return passes.anchor(moments, scale, zbar, W, b)

    streamed = fast.quadratic_objective(
        moments, center, scale, fit_intercept=True, residuals=residuals
    )
    in_memory = make_objective(
        X, y, center, scale, fit_intercept=True, passes=1000, sample_weight=w, kind="quadratic"
    )
    assert calls == [1]
    W0 = np.ones(3)
    direct = float(np.sum(w * (X @ W0 + 0.5 - y) ** 2) / w.sum())
    assert streamed.loss(W0, 0.5) == pytest.approx(direct, rel=1e-9)
    assert in_memory.loss(W0, 0.5) == pytest.approx(direct, rel=1e-9)
    W_a, b_a = streamed.anchor
    at_anchor = float(np.sum(w * (X @ W_a + b_a - y) ** 2) / w.sum())
    assert streamed.loss(W_a, b_a) == pytest.approx(at_anchor, rel=1e-6)


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_streamed_sgd_in_one_batch_is_bitwise_the_reference(
    alpha: float, sgd_kernel: SgdKernelChoice
) -> None:
    """One record batch of all rows: the stream's shuffle is the in-memory one (bit for
    bit on the NumPy loop, to rounding on the C kernel)."""
    X, y = regression_data(n=3000, d=3, seed=13)
    w = weights(len(y))
    passes = SourcePasses(WeightedSource(X, y, w, rows=3000))  # type: ignore[arg-type]
    moments, _ = passes.moments()
    center, scale = np.zeros(3), np.ones(3)
    sgd = StreamSGD(
        passes,
        center,
        scale,
        batch_size=32,
        seed=4,
        learning_rate=0.002,
        momentum=0.0,
        fit_intercept=True,
        weight_factor=moments.weight_factor,
        alpha=alpha,
    )
    objective = fast.quadratic_objective(
        moments,
        center,
        scale,
        fit_intercept=True,
        alpha=alpha,
        residuals=lambda zbar, W, b: passes.anchor(moments, scale, zbar, W, b),
    )
    streamed = fast.descend(
        LinearModel(3),
        objective,
        learning_rate=0.002,
        epochs=2,
        momentum=0.0,
        tol=None,
        max_stable_learning_rate=np.inf,
        to_original=lambda W, b: (W.copy(), b),
        sgd=sgd,
    )
    reference = train(
        LinearModel(3),
        X,
        y,
        solver="sgd",
        learning_rate=0.002,
        epochs=2,
        batch_size=32,
        seed=4,
        sample_weight=w,
        alpha=alpha,
    )
    sgd_kernel.assert_same(streamed.history.W, reference.history.W)
    sgd_kernel.assert_same(streamed.history.b, reference.history.b)
    np.testing.assert_allclose(streamed.history.loss, reference.history.loss, rtol=1e-12)
    assert streamed.n_steps == reference.n_steps


def test_standardized_moments_carry_the_penalty_in_training_units() -> None:
    X, y = regression_data(n=500, d=3, seed=14)
    m = Moments.from_data(X, y, weights(500))
    scale = np.array([2.0, 0.5, 4.0])
    s = Standardized.of(m, np.zeros(3), scale, alpha=0.3)
    assert s.n == m.weight_sum
    assert s.ridge is not None
    np.testing.assert_array_equal(s.ridge, np.full(3, 0.3))  # on V = W * scale
    assert Standardized.of(m, np.zeros(3), scale).ridge is None
