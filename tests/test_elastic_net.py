"""The lasso and the elastic net: exact coordinate descent, ISTA/FISTA, proximal SGD.

Oracles: scikit-learn's ``ElasticNet`` and ``Lasso`` (the same minimiser, alpha for
alpha), exact optimality (KKT) conditions checked in rational arithmetic, and a plain
written-out ISTA loop.
"""

from __future__ import annotations

import json
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import ElasticNet, Lasso

from exact_oracle import gauss
from linreg import ConvergenceWarning, LinearModel, LinearRegression, LinregError
from linreg.io.persistence import load_model, save_model
from linreg.model import soft_threshold
from linreg.out_of_memory import fit_source
from linreg.problem import check_l1_ratio, objective, smooth_gradient
from linreg.solvers.elastic_net import alpha_max, elastic_net
from linreg.sources.batches import ArraySource
from strategies import FAST

Array = np.ndarray


def sparse_problem(seed: int = 0, n: int = 60, d: int = 6) -> tuple[Array, Array]:
    """y from three of d correlated features, plus noise and an offset."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, 1] += 0.8 * X[:, 0]
    true = np.zeros(d)
    true[[0, 2, d - 1]] = [3.0, -2.0, 1.0]
    return X, X @ true + 4.0 + 0.5 * rng.standard_normal(n)


def sklearn_fit(
    X: Array, y: Array, alpha: float, l1_ratio: float, w: Array | None = None, **kw: object
) -> ElasticNet:
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=100_000, **kw)
    return model.fit(X, y, sample_weight=w)


def oracle_coef(
    X: Array, y: Array, alpha: float, l1_ratio: float, w: Array, *, standardize: bool, **kw: object
) -> Array:
    """scikit-learn's W; with ``standardize`` the penalty falls on W * s (s the weighted
    deviations): the elastic net of X / s, its coefficients divided by s."""
    if not standardize:
        return np.asarray(sklearn_fit(X, y, alpha, l1_ratio, w, **kw).coef_)
    v = w / w.sum()
    s = np.sqrt(v @ (X - v @ X) ** 2)
    return np.asarray(sklearn_fit(X / s, y, alpha, l1_ratio, w, **kw).coef_) / s


# -- the objective ------------------------------------------------------------------------
def test_objective_is_the_mse_plus_the_elastic_net_penalty() -> None:
    X, y = sparse_problem()
    W, b = np.array([1.0, -2.0, 0.0, 0.5, 0.0, 3.0]), 0.5
    mse = float(np.mean((X @ W + b - y) ** 2))
    expected = mse + 0.3 * (0.75 * float(W @ W) + 2 * 0.25 * float(np.abs(W).sum()))
    assert objective(X, y, W, b, alpha=0.3, l1_ratio=0.25) == pytest.approx(expected, rel=1e-14)
    dW, db = smooth_gradient(X, y, W, b, alpha=0.3, l1_ratio=0.25)
    r = X @ W + b - y
    np.testing.assert_allclose(dW, 2 * X.T @ r / len(y) + 2 * 0.3 * 0.75 * W, rtol=1e-13)
    assert db == pytest.approx(2 * r.mean(), rel=1e-13)


def test_sklearn_objective_is_half_of_ours_with_the_same_alpha() -> None:
    """The scaling claim itself: at any W, 2 x sklearn's objective = ours."""
    X, y = sparse_problem(1)
    W, alpha, rho = np.array([0.5, 0.0, -1.0, 2.0, 0.0, 0.1]), 0.2, 0.6
    r = y - X @ W
    sklearn_value = (
        r @ r / (2 * len(y)) + alpha * rho * np.abs(W).sum() + alpha * (1 - rho) / 2 * W @ W
    )
    assert objective(X, y, W, 0.0, alpha=alpha, l1_ratio=rho) == pytest.approx(2 * sklearn_value)


# -- exact: sklearn as oracle --------------------------------------------------------------
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.1, 1.0), (0.3, 0.5), (0.05, 0.9), (1.0, 0.2)])
def test_exact_equals_sklearn_elastic_net(
    alpha: float, l1_ratio: float, weighted: bool, fit_intercept: bool
) -> None:
    X, y = sparse_problem(2)
    w = np.random.default_rng(3).uniform(0.2, 3.0, y.size) if weighted else None
    model = LinearRegression(
        solver="exact", alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept
    ).fit(X, y, sample_weight=w)
    oracle = sklearn_fit(X, y, alpha, l1_ratio, w, fit_intercept=fit_intercept)
    np.testing.assert_allclose(model.coef_, oracle.coef_, rtol=0, atol=1e-6)
    assert model.intercept_ == pytest.approx(oracle.intercept_, abs=1e-6)
    np.testing.assert_array_equal(model.coef_ == 0, oracle.coef_ == 0)  # the same zero set
    assert 0 <= model.dual_gap_ <= 1e-10 * np.var(y)
    assert model.stop_reason_ == "converged"


def test_lasso_equals_sklearn_lasso_with_exact_zeros() -> None:
    X, y = sparse_problem(4, d=8)
    model = LinearRegression(solver="exact", alpha=0.2, l1_ratio=1.0).fit(X, y)
    oracle = Lasso(alpha=0.2, tol=1e-14, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, oracle.coef_, atol=1e-9)
    zeros = model.coef_ == 0
    assert zeros.any()
    assert not zeros.all()
    assert np.all(np.signbit(model.coef_[zeros]) == False)  # noqa: E712 (no -0.0)


def test_l1_ratio_zero_keeps_the_exact_ridge_path() -> None:
    X, y = sparse_problem(5)
    ridge = LinearRegression(solver="exact", alpha=0.3, l1_ratio=0.0).fit(X, y)
    assert hasattr(ridge, "lstsq_")
    assert not hasattr(ridge, "dual_gap_")
    # Ridge, not ElasticNet(l1_ratio=0), as the oracle: scikit-learn 1.3's coordinate
    # descent does not converge without an L1 part. Its alpha is ours times N.
    from sklearn.linear_model import Ridge

    oracle = Ridge(alpha=0.3 * X.shape[0]).fit(X, y)
    np.testing.assert_allclose(ridge.coef_, oracle.coef_, atol=1e-9)


def test_kkt_conditions_hold_exactly_in_rational_arithmetic() -> None:
    """The float solution's support and signs give the exact optimum; it agrees to rounding.

    On that support, with signs s, the optimum solves (in exact arithmetic)
    (2/N) sum_i x_ij (x_i W + b - y_i) + 2 alpha (1 - rho) W_j + 2 alpha rho s_j = 0,
    sum_i (x_i W + b - y_i) = 0; it is optimal when its signs are s and every other
    feature has |(2/N) sum_i x_ij r_i| <= 2 alpha rho.
    """
    rng = np.random.default_rng(6)
    X = np.round(rng.standard_normal((12, 4)) * 8) / 8  # short binary fractions
    y = np.round((X @ [2.0, 0.0, -1.0, 0.1] + rng.standard_normal(12)) * 8) / 8
    alpha, rho = Fraction(1, 4), Fraction(3, 4)
    model = LinearRegression(solver="exact", alpha=0.25, l1_ratio=0.75).fit(X, y)
    support = [j for j in range(4) if model.coef_[j] != 0]
    assert 0 < len(support) < 4
    s = [int(np.sign(model.coef_[j])) for j in support]
    Xf = [[Fraction(v) for v in row] for row in X]
    yf = [Fraction(v) for v in y]
    n, k = len(yf), len(support)
    # Unknowns (W_support, b): k equations of the support, one of the intercept.
    G = [[Fraction(0)] * (k + 1) for _ in range(k + 1)]
    h = [Fraction(0)] * (k + 1)
    cols = [[row[j] for row in Xf] for j in support] + [[Fraction(1)] * n]
    for a in range(k + 1):
        for c in range(k + 1):
            G[a][c] = sum((p * q for p, q in zip(cols[a], cols[c], strict=True)), Fraction(0))
        h[a] = sum((p * q for p, q in zip(cols[a], yf, strict=True)), Fraction(0))
    for a in range(k):
        G[a][a] += n * alpha * (1 - rho)
        h[a] -= n * alpha * rho * s[a]
    exact = gauss(G, h)
    W = [Fraction(0)] * 4
    for a, j in enumerate(support):
        W[j] = exact[a]
        assert (exact[a] > 0) == (s[a] > 0)  # the signs are the optimum's
    b = exact[k]
    r = [
        sum((X_ij * W_j for X_ij, W_j in zip(row, W, strict=True)), b) - yi
        for row, yi in zip(Xf, yf, strict=True)
    ]
    for j in set(range(4)) - set(support):
        g = 2 * sum((row[j] * ri for row, ri in zip(Xf, r, strict=True)), Fraction(0)) / n
        assert abs(g) <= 2 * alpha * rho  # KKT of a zero weight, exactly
    np.testing.assert_allclose(model.coef_, [float(v) for v in W], rtol=1e-13, atol=1e-15)
    assert model.intercept_ == pytest.approx(float(b), rel=1e-13)


def test_alpha_max_zeroes_every_weight_and_just_below_it_one_leaves() -> None:
    X, y = sparse_problem(7)
    top = alpha_max(X, y, l1_ratio=0.5)
    at = LinearRegression(solver="exact", alpha=top, l1_ratio=0.5).fit(X, y)
    assert np.all(at.coef_ == 0)
    assert at.intercept_ == pytest.approx(y.mean())
    below = LinearRegression(solver="exact", alpha=top * 0.99, l1_ratio=0.5).fit(X, y)
    assert np.count_nonzero(below.coef_) == 1


def test_the_solver_reports_when_the_gap_was_not_met() -> None:
    X, y = sparse_problem(8)
    result = elastic_net(X, y, alpha=0.01, l1_ratio=1.0, max_sweeps=1, tol=1e-30)
    assert not result.converged
    assert result.n_sweeps == 1
    assert result.dual_gap > 0


# -- gradient descent: ISTA, FISTA, proximal SGD --------------------------------------------
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"acceleration": "fista"},
        {"standardize": True},
        {"engine": "fast"},
        {"engine": "fast", "standardize": True, "acceleration": "fista"},
        {"fit_intercept": False},
    ],
)
def test_proximal_gradient_descent_reaches_sklearns_solution(options: dict[str, object]) -> None:
    X, y = sparse_problem(9)
    w = np.random.default_rng(1).uniform(0.5, 2.0, y.size)
    model = LinearRegression(
        solver="gd", alpha=0.1, l1_ratio=0.7, learning_rate=0.1, epochs=3000, **options
    ).fit(X, y, sample_weight=w)
    oracle = oracle_coef(
        X,
        y,
        0.1,
        0.7,
        w,
        standardize=bool(options.get("standardize", False)),
        fit_intercept=options.get("fit_intercept", True),
    )
    np.testing.assert_allclose(model.coef_, oracle, atol=1e-6)
    np.testing.assert_array_equal(model.coef_ == 0, oracle == 0)


def test_fista_needs_fewer_epochs_than_ista() -> None:
    X, y = sparse_problem(10)
    X[:, 3] = X[:, 2] + 0.1 * X[:, 3]  # ill-conditioned: ISTA crawls
    oracle = sklearn_fit(X, y, 0.05, 1.0)
    errors = {}
    for acceleration in ("none", "fista"):
        model = LinearRegression(
            alpha=0.05, l1_ratio=1.0, learning_rate=0.1, epochs=300, acceleration=acceleration
        ).fit(X, y)
        errors[acceleration] = float(np.max(np.abs(model.coef_ - oracle.coef_)))
    assert errors["fista"] < 0.1 * errors["none"]  # measured: 0.029 against 0.59


@pytest.mark.parametrize("acceleration", ["none", "fista"])
@pytest.mark.parametrize("standardize", [False, True])
def test_fast_engine_gives_the_readable_loops_iterates(
    acceleration: str, standardize: bool
) -> None:
    X, y = sparse_problem(11)
    w = np.random.default_rng(2).uniform(0.5, 2.0, y.size)
    params = {
        "alpha": 0.2,
        "l1_ratio": 0.6,
        "learning_rate": 0.05,
        "epochs": 200,
        "acceleration": acceleration,
        "standardize": standardize,
    }
    reference = LinearRegression(engine="reference", **params).fit(X, y, sample_weight=w)
    fast = LinearRegression(engine="fast", **params).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(fast.history_.W, reference.history_.W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fast.history_.loss, reference.history_.loss, rtol=1e-10)


def test_sgd_takes_a_proximal_step_per_batch_on_either_engine() -> None:
    X, y = sparse_problem(12, n=200)
    params = {"solver": "sgd", "alpha": 0.1, "l1_ratio": 1.0, "learning_rate": 0.01, "epochs": 60}
    model = LinearRegression(engine="reference", **params).fit(X, y)
    oracle = sklearn_fit(X, y, 0.1, 1.0)
    np.testing.assert_allclose(model.coef_, oracle.coef_, atol=0.05)
    # The fast engine has no proximal SGD: it runs the readable loop, the same numbers.
    fast = LinearRegression(engine="fast", **params).fit(X, y)
    np.testing.assert_array_equal(fast.coef_, model.coef_)


def test_the_loss_recorded_is_the_whole_objective() -> None:
    X, y = sparse_problem(13)
    model = LinearRegression(alpha=0.1, l1_ratio=0.5, learning_rate=0.1, epochs=50).fit(X, y)
    W, b = model.history_.W[-1], model.history_.b[-1]
    final = objective(X, y, W, b, alpha=0.1, l1_ratio=0.5)
    assert model.history_.loss[-1] == pytest.approx(final, rel=1e-12)


def test_a_short_run_is_warned_against_the_elastic_net_optimum() -> None:
    """The yardstick of the convergence warning is the penalized optimum, not least squares."""
    X, y = sparse_problem(15)
    optimum = elastic_net(X, y, alpha=0.1, l1_ratio=1.0).objective
    with pytest.warns(ConvergenceWarning, match=f"optimum's {optimum:.6g}"):
        LinearRegression(alpha=0.1, l1_ratio=1.0, epochs=5, tol=1e-12).fit(X, y)


def ista_by_hand(X: Array, y: Array, alpha: float, rho: float, eta: float, epochs: int) -> Array:
    """Proximal gradient descent written out plainly, one line per formula."""
    n, d = X.shape
    W, b = np.zeros(d), 0.0
    path = [W.copy()]
    for _ in range(epochs):
        r = X @ W + b - y
        dW = 2 / n * X.T @ r + 2 * alpha * (1 - rho) * W
        db = 2 / n * r.sum()
        W, b = W - eta * dW, b - eta * db
        W = np.sign(W) * np.maximum(np.abs(W) - eta * 2 * alpha * rho, 0.0)
        path.append(W.copy())
    return np.array(path)


@FAST
@given(
    seed=st.integers(0, 2**16),
    alpha=st.floats(0.01, 1.0),
    rho=st.floats(0.0, 1.0),
    eta=st.floats(0.01, 0.2),
)
def test_ista_iterates_match_a_plain_written_out_loop(
    seed: int, alpha: float, rho: float, eta: float
) -> None:
    X, y = sparse_problem(seed, n=30, d=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a slow or unstable draw warns; the iterates count
        model = LinearRegression(
            alpha=alpha, l1_ratio=rho, learning_rate=eta, epochs=20, engine="reference"
        )
        try:
            model.fit(X, y)
        except LinregError:
            return  # diverged: reported, not compared
    np.testing.assert_allclose(
        model.history_.W, ista_by_hand(X, y, alpha, rho, eta, 20), rtol=1e-12, atol=1e-12
    )


@FAST
@given(seed=st.integers(0, 2**16), weighted=st.booleans(), rho=st.floats(0.0, 1.0))
def test_alpha_zero_gives_least_squares(seed: int, weighted: bool, rho: float) -> None:
    X, y = sparse_problem(seed, n=25, d=3)
    w = np.random.default_rng(seed).uniform(0.5, 2.0, y.size) if weighted else None
    root = np.ones(y.size) if w is None else np.sqrt(w)
    A = np.column_stack([X, np.ones(y.size)]) * root[:, None]
    expected = np.linalg.lstsq(A, y * root, rcond=None)[0]
    model = LinearRegression(solver="exact", alpha=0.0, l1_ratio=rho).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.coef_, expected[:-1], rtol=1e-10, atol=1e-12)
    # ... and the lasso's solutions tend to it as alpha goes to 0 (coordinate descent).
    near = elastic_net(X, y, alpha=1e-10, l1_ratio=max(rho, 0.5), sample_weight=w)
    np.testing.assert_allclose(near.coef, expected[:-1], rtol=1e-6, atol=1e-8)
    assert near.intercept == pytest.approx(expected[-1], rel=1e-6, abs=1e-8)


@FAST
@given(seed=st.integers(0, 2**16), alpha=st.floats(0.01, 2.0), rho=st.floats(0.1, 1.0))
def test_the_lasso_zero_set_is_stable_under_row_permutation(
    seed: int, alpha: float, rho: float
) -> None:
    X, y = sparse_problem(seed, n=30, d=5)
    order = np.random.default_rng(seed + 1).permutation(y.size)
    first = elastic_net(X, y, alpha=alpha, l1_ratio=rho)
    second = elastic_net(X[order], y[order], alpha=alpha, l1_ratio=rho)
    np.testing.assert_array_equal(first.coef == 0, second.coef == 0)
    np.testing.assert_allclose(first.coef, second.coef, atol=1e-9)


# -- the teaching model ---------------------------------------------------------------------
def test_soft_threshold_and_prox() -> None:
    np.testing.assert_array_equal(
        soft_threshold(np.array([3.0, -0.5, -2.0, 0.25]), np.array([1.0, 1.0, 1.0, 0.5])),
        [2.0, 0.0, -1.0, 0.0],
    )
    model = LinearModel(2)
    model.W = np.array([0.3, -0.05])
    model.prox(0.1, 1.0)
    np.testing.assert_allclose(model.W, [0.2, 0.0])
    assert model.loss(np.zeros(1), np.zeros(1), l1=2.0) == pytest.approx(0.4)


# -- bad input, persistence, summary, streamed data -----------------------------------------
@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "lasso", True, None])
def test_l1_ratio_outside_zero_one_is_refused(bad: object) -> None:
    with pytest.raises(LinregError, match="l1_ratio"):
        check_l1_ratio(bad)
    X, y = sparse_problem()
    with pytest.raises(LinregError, match="l1_ratio"):
        LinearRegression(l1_ratio=bad, alpha=0.1).fit(X, y)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"acceleration": "nesterov"}, "acceleration must be one of"),
        ({"acceleration": "fista", "solver": "sgd"}, "for solver='gd' without momentum"),
        ({"acceleration": "fista", "momentum": 0.5}, "for solver='gd' without momentum"),
    ],
)
def test_bad_acceleration_is_refused(params: dict[str, object], match: str) -> None:
    X, y = sparse_problem()
    with pytest.raises(LinregError, match=match):
        LinearRegression(**params).fit(X, y)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "exact"},
        {"solver": "exact", "fit_intercept": False},
        {"solver": "gd", "learning_rate": 0.1, "epochs": 400},
        {"solver": "gd", "learning_rate": 0.1, "epochs": 150, "acceleration": "fista"},
        {"solver": "gd", "learning_rate": 0.1, "epochs": 150, "standardize": True},
    ],
)
def test_streamed_fits_equal_the_in_memory_ones(params: dict[str, object]) -> None:
    """Exact: coordinate descent on the moments; gd: the proximal step after each epoch."""
    X, y = sparse_problem(14, n=200)
    w = np.random.default_rng(4).uniform(0.5, 2.0, y.size)
    memory = LinearRegression(alpha=0.1, l1_ratio=0.8, **params).fit(X, y, sample_weight=w)  # type: ignore[arg-type]
    streamed = fit_source(
        LinearRegression(alpha=0.1, l1_ratio=0.8, **params),  # type: ignore[arg-type]
        ArraySource(X, y, batch_rows=64, sample_weight=w),
    )
    model = streamed.model
    np.testing.assert_allclose(model.coef_, memory.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(model.coef_ == 0, memory.coef_ == 0)
    np.testing.assert_allclose(model.history_.loss, memory.history_.loss, rtol=1e-9)
    oracle = oracle_coef(
        X,
        y,
        0.1,
        0.8,
        w,
        standardize=bool(params.get("standardize", False)),
        fit_intercept=params.get("fit_intercept", True),
    )
    np.testing.assert_allclose(streamed.optimum.coef_, oracle, atol=1e-9)
    if params["solver"] == "exact":
        assert 0.0 <= model.dual_gap_ <= 1e-10 * np.var(y)
    else:
        assert not hasattr(model, "dual_gap_")


def test_model_files_keep_l1_ratio_and_older_files_still_load(tmp_path: Path) -> None:
    X, y = sparse_problem()
    model = LinearRegression(solver="exact", alpha=0.1, l1_ratio=0.5).fit(X, y)
    path = tmp_path / "m.json"
    save_model(model, path)
    loaded, _ = load_model(path)
    assert loaded.l1_ratio == 0.5
    assert loaded.acceleration == "none"
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    content = json.loads(path.read_text())
    del content["hyperparameters"]["l1_ratio"], content["hyperparameters"]["acceleration"]
    content["hyperparameters"]["alpha"] = 0.0
    old = tmp_path / "old.json"
    old.write_text(json.dumps(content))
    assert load_model(old)[0].l1_ratio == 0.0


@pytest.mark.parametrize(
    ("l1_ratio", "name"), [(1.0, "lasso"), (0.5, "elastic net"), (0.0, "ridge")]
)
def test_summary_names_the_penalty(l1_ratio: float, name: str) -> None:
    X, y = sparse_problem()
    model = LinearRegression(solver="exact", alpha=0.1, l1_ratio=l1_ratio).fit(X, y)
    summary = model.summary()
    assert f"{name} (exact)" in summary
    assert ("L1 ratio:" in summary) == (l1_ratio > 0)
    with pytest.raises(LinregError, match="penalized"):
        model.inference()
