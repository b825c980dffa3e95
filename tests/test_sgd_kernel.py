"""The C SGD kernel (``linreg_sgd_run``) against the NumPy loop and a plain textbook loop.

The C kernel is not bit for bit the NumPy loop (it sums ``z . W`` in eight partial sums,
NumPy in BLAS's order), so the three are compared to 1e-12 relative after an epoch:
with row weights, momentum, the ridge penalty, the L1 proximal step, standardization on
the fly, batches of 1, 32 and N, and a last partial batch. Views and orders of X read
in place give the C kernel's own bits; the plateau test stops it at the reference's batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linreg import LinearModel, LinearRegression
from linreg.solvers import kernels
from linreg.solvers.sgd import RowOrder, ShuffledBatches, batches_to_verdict, sgd_steps
from linreg.training import Plateau, shuffle_rows, train

RTOL = 1e-12


@pytest.fixture(autouse=True)
def c_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here runs the C kernel (skipped where the extension was not built)."""
    monkeypatch.delenv(kernels.ENV, raising=False)
    if not kernels.sgd_available():
        pytest.skip("the C kernel was not built (no C compiler at install)")


def data(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(3.0, 2.0, size=(n, d))
    y = X @ rng.normal(size=d) + 1.5 + 0.3 * rng.normal(size=n)
    return X, y


def plain_loop(
    Z: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    lr: float,
    mu: float = 0.0,
    w: np.ndarray | None = None,
    ridge: np.ndarray | None = None,
    l1: np.ndarray | None = None,
    fit_intercept: bool = True,
) -> tuple[np.ndarray, float, list[float]]:
    """The textbook mini-batch loop over the rows of Z in order, written row by row:
    the oracle of every option, the L1 step included. Returns W, b and the batch losses."""
    n, d = Z.shape
    W, b, v, vb = np.zeros(d), 0.0, np.zeros(d), 0.0
    w = np.ones(n) if w is None else w
    ridge = np.zeros(d) if ridge is None else ridge
    l1 = np.zeros(d) if l1 is None else l1
    losses = []
    for s in range(0, n, batch_size):
        rows = range(s, min(s + batch_size, n))
        g, gb, loss = np.zeros(d), 0.0, 0.0
        for i in rows:
            r = sum(Z[i, j] * W[j] for j in range(d)) + b - y[i]
            g += Z[i] * (w[i] * r)
            gb += w[i] * r
            loss += w[i] * r * r
        g = 2.0 * g / len(rows) + 2.0 * ridge * W
        gb = 2.0 * gb / len(rows) if fit_intercept else 0.0
        v, vb = mu * v + g, mu * vb + gb
        W = W - lr * v
        b = b - lr * vb
        W = np.sign(W) * np.maximum(np.abs(W) - lr * l1, 0.0)
        losses.append(loss / len(rows) + np.sum(ridge * W**2) + np.sum(l1 * np.abs(W)))
    return W, b, losses


def run_c(
    X: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int, **options: Any
) -> tuple[np.ndarray, float, np.ndarray]:
    d = X.shape[1]
    W, velocity, state = np.zeros(d), np.zeros(d), np.zeros(2)
    losses = np.empty(-(-order.shape[0] // batch_size))
    lr, mu = options.pop("lr"), options.pop("mu", 0.0)
    done = kernels.sgd_run(
        X,
        y,
        order,
        W,
        velocity,
        state,
        batch_size=batch_size,
        learning_rate=lr,
        momentum=mu,
        fit_intercept=options.pop("fit_intercept", True),
        losses=losses,
        **options,
    )
    assert done == losses.shape[0]
    return W, float(state[0]), losses


def assert_close(actual: Any, desired: Any) -> None:
    size = float(np.max(np.abs(desired)))
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=RTOL * size)


CASES = {
    "plain": {},
    "momentum": {"mu": 0.5},
    "weights": {"weighted": True},
    "ridge": {"ridge": 0.3},
    "l1": {"l1": 0.05},
    "standardized": {"standardize": True},
    "all": {"mu": 0.3, "weighted": True, "ridge": 0.1, "l1": 0.02, "standardize": True},
    "no-intercept": {"fit_intercept": False, "standardize": True, "l1": 0.01},
}


@pytest.mark.parametrize("batch_size", [1, 32, 1000, 1237])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_one_epoch_matches_the_plain_loop_and_the_numpy_kernel(
    case: dict[str, Any], batch_size: int
) -> None:
    """1,237 rows: batches of 32 end with a partial one of 21, batch 1,237 is all rows."""
    n, d = 1237, 5
    X, y = data(n, d, seed=batch_size)
    rng = np.random.default_rng(7)
    order = rng.permutation(n).astype(np.int32)
    standardize = case.get("standardize", False)
    center = X.mean(axis=0) if standardize else np.zeros(d)
    scale = X.std(axis=0) if standardize else np.ones(d)
    lr = 0.01 if standardize or batch_size > 1 else 0.002
    w = rng.uniform(0.0, 2.0, size=n) if case.get("weighted") else None
    if w is not None:
        w *= n / w.sum()
    ridge = np.full(d, case["ridge"]) if "ridge" in case else None
    l1 = np.linspace(0.0, case["l1"], d) if "l1" in case else None
    mu, fit_intercept = case.get("mu", 0.0), case.get("fit_intercept", True)
    Z = (X[order] - center) / scale
    w_ordered = None if w is None else w[order]

    W_plain, b_plain, losses_plain = plain_loop(
        Z,
        y[order],
        batch_size=batch_size,
        lr=lr,
        mu=mu,
        w=w_ordered,
        ridge=ridge,
        l1=l1,
        fit_intercept=fit_intercept,
    )
    W_c, b_c, losses_c = run_c(
        X,
        y,
        order,
        batch_size,
        lr=lr,
        mu=mu,
        fit_intercept=fit_intercept,
        center=center if standardize else None,
        scale=scale if standardize else None,
        sample_weight=w,
        ridge=ridge,
        l1=l1,
    )
    W_np, b_np, _, _ = sgd_steps(
        Z,
        y[order],
        np.zeros(d),
        0.0,
        np.zeros(d),
        0.0,
        batch_size=batch_size,
        learning_rate=lr,
        momentum=mu,
        fit_intercept=fit_intercept,
        sample_weight=w_ordered,
        ridge=ridge,
        l1=l1,
    )
    assert np.all(np.isfinite(W_c))
    assert not np.array_equal(W_c, np.zeros(d))
    for W, b in ((W_c, b_c), (W_np, b_np)):
        assert_close(W, W_plain)
        assert b == pytest.approx(b_plain, rel=RTOL, abs=RTOL * abs(b_plain))
    assert_close(losses_c, losses_plain)


def test_the_l1_step_sets_weights_below_the_threshold_to_zero() -> None:
    """A threshold above every step's move keeps a weight at zero; the others move."""
    X, y = data(300, 3, seed=2)
    order = np.arange(300, dtype=np.int32)
    l1 = np.array([0.0, 1e6, 0.0])
    W, _, losses = run_c(X, y, order, 10, lr=0.001, l1=l1, mu=0.5)
    W_plain, _, losses_plain = plain_loop(X, y, batch_size=10, lr=0.001, l1=l1, mu=0.5)
    assert W[1] == 0.0
    assert np.all(W[[0, 2]] != 0.0)
    assert_close(W, W_plain)
    assert_close(losses, losses_plain)


def test_the_l1_step_makes_no_negative_zeros() -> None:
    """Weights pulled to zero from below are +0.0, as linreg.model.soft_threshold gives
    (a -0.0 would print as "-0" in a coefficient table)."""
    X, y = data(300, 4, seed=5)
    y = y - 50.0 * X[:, 0]  # a large negative weight, then thresholds that zero it
    order = np.arange(300, dtype=np.int32)
    W, _, _ = run_c(X, y, order, 10, lr=0.001, l1=np.full(4, 1e6), mu=0.0)
    assert np.all(W == 0.0)
    assert not np.any(np.signbit(W))


def test_the_compiled_epoch_matches_the_readable_train() -> None:
    """ShuffledBatches on C, one epoch, against linreg.training.train on Z: the same
    shuffle (shuffle_rows from the seed) over more than one bucket of rows."""
    n, d = 70_000, 3
    X, y = data(n, d, seed=3)
    center, scale = X.mean(axis=0), X.std(axis=0)
    options = {"batch_size": 32, "learning_rate": 0.01, "momentum": 0.5}
    reference = LinearModel(d)
    train(reference, (X - center) / scale, y, solver="sgd", epochs=1, seed=9, **options)
    batches = ShuffledBatches(X, y, center, scale, seed=9, fit_intercept=True, **options)
    assert batches.compiled
    W, b, _, _ = batches.epoch(np.zeros(d), 0.0, np.zeros(d), 0.0)
    assert batches.steps == -(-n // 32)
    assert_close(W, reference.W)
    assert b == pytest.approx(reference.b, rel=RTOL)


def test_the_numpy_switch_turns_the_compiled_loop_off(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = data(100, 2)
    common: dict[str, Any] = {"batch_size": 8, "seed": 0, "learning_rate": 0.01}
    common.update(momentum=0.0, fit_intercept=True)
    assert ShuffledBatches(X, y, np.zeros(2), np.ones(2), **common).compiled
    monkeypatch.setenv(kernels.ENV, "numpy")
    assert not ShuffledBatches(X, y, np.zeros(2), np.ones(2), **common).compiled
    # float32 data, which the C loop does not read, take the NumPy loop too.
    monkeypatch.delenv(kernels.ENV)
    X32 = X.astype(np.float32)
    assert not ShuffledBatches(X32, y, np.zeros(2), np.ones(2), **common).compiled  # type: ignore[arg-type]


def test_views_and_orders_of_x_are_read_in_place_to_the_same_bits() -> None:
    X, y = data(500, 4, seed=5)
    order = np.random.default_rng(1).permutation(500).astype(np.int32)
    options: dict[str, Any] = {"lr": 0.01, "mu": 0.2, "center": X.mean(axis=0)}
    options["scale"] = X.std(axis=0)
    W, b, losses = run_c(X, y, order, 16, **dict(options))
    wide = np.zeros((500, 8))
    wide[:, ::2] = X
    strided_y = np.repeat(y, 2)[::2]
    for X_view, y_view in (
        (np.asfortranarray(X), y),
        (wide[:, ::2], strided_y),
        (X[::-1][::-1], y),
    ):
        W_v, b_v, losses_v = run_c(X_view, y_view, order, 16, **dict(options))
        np.testing.assert_array_equal(W_v, W)
        assert b_v == b
        np.testing.assert_array_equal(losses_v, losses)
    W_64, b_64, _ = run_c(X, y, order.astype(np.int64), 16, **dict(options))
    np.testing.assert_array_equal(W_64, W)
    assert b_64 == b


def test_an_empty_order_and_no_features_change_nothing() -> None:
    X, y = data(10, 2)
    W, b, losses = run_c(X, y, np.empty(0, dtype=np.int32), 4, lr=0.1)
    np.testing.assert_array_equal(W, 0.0)
    assert (b, losses.shape) == (0.0, (0,))
    _, b0, _ = run_c(np.empty((10, 0)), y, np.arange(10, dtype=np.int32), 4, lr=0.1)
    assert b0 != 0.0  # the intercept alone still learns


def test_a_diverging_run_stays_non_finite_through_the_l1_step() -> None:
    """sign(NaN) max(NaN, 0) is NaN, as in NumPy: the L1 step never hides a divergence."""
    X, y = data(400, 3)
    order = np.arange(400, dtype=np.int32)
    with np.errstate(all="ignore"):
        W, _, losses = run_c(X, y * 1e200, order, 4, lr=10.0, l1=np.full(3, 0.1))
    assert not np.all(np.isfinite(W))
    assert not np.isfinite(losses[-1])


def test_bad_arguments_are_refused() -> None:
    X, y = data(10, 2)
    order = np.arange(10, dtype=np.int32)
    with pytest.raises(ValueError, match="int32 or int64"):
        run_c(X, y, order.astype(np.int16), 2, lr=0.1)
    with pytest.raises(ValueError, match="float64 X and y"):
        run_c(X.astype(np.float32), y, order, 2, lr=0.1)
    with pytest.raises(ValueError, match="a vector"):
        run_c(X, y, order, 2, lr=0.1, ridge=np.ones(3))
    with pytest.raises(ValueError, match="center and scale together"):
        run_c(X, y, order, 2, lr=0.1, center=np.zeros(2))
    with pytest.raises(ValueError, match="batch_size"):
        kernels.sgd_run(
            X,
            y,
            order,
            np.zeros(2),
            np.zeros(2),
            np.zeros(2),
            batch_size=0,
            learning_rate=0.1,
            momentum=0.0,
            fit_intercept=True,
        )


@settings(max_examples=25, deadline=None)
@given(
    window=st.integers(1, 40),
    losses=st.lists(st.floats(0.1, 10.0), min_size=1, max_size=400),
)
def test_batches_to_verdict_names_where_the_plateau_closes_a_window(
    window: int, losses: list[float]
) -> None:
    """Losses that keep falling improve every window: ``best`` changes exactly at the
    batches that batches_to_verdict announces, and never between them."""
    plateau = Plateau(tol=0.0, batch_size=1)
    plateau.window = window
    losses = sorted(losses, reverse=True)
    closes = plateau.batches + batches_to_verdict(plateau)
    for loss in losses:
        best = plateau.best
        plateau.add(loss - 1e-9 * plateau.batches)
        if plateau.batches == closes:
            assert plateau.best != best
            closes = plateau.batches + batches_to_verdict(plateau)
        else:
            assert plateau.best == best
            assert plateau.batches + batches_to_verdict(plateau) == closes


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 300),
    d=st.integers(1, 9),
    batch_size=st.integers(1, 70),
    mu=st.sampled_from([0.0, 0.6]),
    weighted=st.booleans(),
    penalized=st.booleans(),
    seed=st.integers(0, 100),
)
def test_the_c_kernel_is_the_numpy_loop_to_rounding(
    n: int, d: int, batch_size: int, mu: float, weighted: bool, penalized: bool, seed: int
) -> None:
    X, y = data(n, d, seed=seed)
    rng = np.random.default_rng(seed)
    order = shuffle_rows(rng, n).astype(np.int64)
    center, scale = X.mean(axis=0), X.std(axis=0) + 0.5
    w = rng.uniform(0.1, 2.0, size=n) if weighted else None
    ridge = rng.uniform(0.0, 0.2, size=d) if penalized else None
    l1 = rng.uniform(0.0, 0.05, size=d) if penalized else None
    W_c, b_c, _ = run_c(
        X,
        y,
        order,
        batch_size,
        lr=0.01,
        mu=mu,
        center=center,
        scale=scale,
        sample_weight=w,
        ridge=ridge,
        l1=l1,
    )
    W_np, b_np, _, _ = sgd_steps(
        (X[order] - center) / scale,
        y[order],
        np.zeros(d),
        0.0,
        np.zeros(d),
        0.0,
        batch_size=batch_size,
        learning_rate=0.01,
        momentum=mu,
        fit_intercept=True,
        sample_weight=None if w is None else w[order],
        ridge=ridge,
        l1=l1,
    )
    assert_close(W_c, W_np)
    assert b_c == pytest.approx(b_np, rel=1e-11, abs=1e-14)


def test_the_estimator_on_c_reaches_the_readable_loops_statistics() -> None:
    """Over several seeds, the fast engine on C ends where the readable loop ends, run
    by run (so its mean and spread are the same) and near the least-squares optimum."""
    X, y = data(4_000, 4, seed=11)
    exact = LinearRegression(solver="exact").fit(X, y)
    params: dict[str, Any] = {"solver": "sgd", "standardize": True, "epochs": 3}
    params.update(learning_rate=0.02, batch_size=16)
    fast, ref = [], []
    for seed in range(4):
        fast.append(LinearRegression(engine="fast", seed=seed, **params).fit(X, y).coef_)
        ref.append(LinearRegression(engine="reference", seed=seed, **params).fit(X, y).coef_)
    assert_close(np.array(fast), np.array(ref))
    np.testing.assert_allclose(np.mean(fast, axis=0), exact.coef_, rtol=0.02)
    assert np.std(fast, axis=0).max() > 0.0  # the seeds do shuffle differently


def test_row_order_without_scans_is_the_same_order() -> None:
    for n in (1_000, 100_000):
        with_scans = np.concatenate(list(RowOrder(np.random.default_rng(4), n).chunks(999)))
        sorted_only = RowOrder(np.random.default_rng(4), n, scanned=0).chunks(4096)
        np.testing.assert_array_equal(np.concatenate(list(sorted_only)), with_scans)
