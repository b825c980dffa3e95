"""The training loop: exact GD iterates, divergence, early stopping, SGD, validation loss."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from linreg import (
    ConvergenceWarning,
    Dataset,
    DivergenceError,
    LinearModel,
    LinearRegression,
    StabilityWarning,
    make_regression,
    train_test_split,
    training,
)
from linreg.training import EXPLOSION_FACTOR, train
from strategies import hessian_eigenvalues

Path = tuple[np.ndarray, np.ndarray, np.ndarray]
MakeData = Callable[[], Dataset]


def textbook_gd(
    X: np.ndarray, y: np.ndarray, lr: float, epochs: int, momentum: float = 0.0
) -> Path:
    """Plain gradient descent from W = 0, b = 0; returns every (W, b, loss) visited."""
    N, d = X.shape
    W, b = np.zeros(d), 0.0
    vW, vb = np.zeros(d), 0.0
    path_W, path_b, losses = [W.copy()], [b], [np.mean((X @ W + b - y) ** 2)]
    for _ in range(epochs):
        y_pred = X @ W + b
        dW = (2 / N) * X.T @ (y_pred - y)
        db = (2 / N) * np.sum(y_pred - y)
        vW, vb = momentum * vW + dW, momentum * vb + db
        W -= lr * vW
        b -= lr * vb
        path_W.append(W.copy())
        path_b.append(b)
        losses.append(np.mean((X @ W + b - y) ** 2))
    return np.array(path_W), np.array(path_b), np.array(losses)


def assert_same_path(
    history_W: np.ndarray, history_b: np.ndarray, loss: np.ndarray, path: Path
) -> None:
    """Equal to 1e-12 relative to the size of each quantity along the path."""
    W, b, losses = path
    assert history_W.shape == W.shape
    for actual, expected in [(history_W, W), (history_b, b), (loss, losses)]:
        scale = np.abs(expected).max()
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * scale)


def multi_feature_data() -> Dataset:
    return make_regression(n_samples=60, n_features=3, weights=[1.0, -2.0, 0.5], x_range=(-1, 1))


GD_CASES = [
    pytest.param(make_regression, 0.005, 300, id="default-y=3x+2"),
    pytest.param(multi_feature_data, 0.2, 150, id="three-features"),
]


# -- full-batch GD is the textbook loop ---------------------------------------------------


@pytest.mark.parametrize(("make_data", "lr", "epochs"), GD_CASES)
def test_gd_iterates_equal_the_textbook_loop(make_data: MakeData, lr: float, epochs: int) -> None:
    data = make_data()
    model = LinearRegression(solver="gd", learning_rate=lr, epochs=epochs).fit(data.X, data.y)
    history = model.history_
    assert history.loss.shape == (epochs + 1,)
    assert model.n_iter_ == epochs
    assert model.stop_reason_ == "max_epochs"
    assert_same_path(history.W, history.b, history.loss, textbook_gd(data.X, data.y, lr, epochs))
    np.testing.assert_array_equal(model.coef_, history.W[-1])
    assert model.intercept_ == history.b[-1]


@pytest.mark.parametrize(("make_data", "lr", "epochs"), GD_CASES)
def test_train_follows_the_textbook_loop(make_data: MakeData, lr: float, epochs: int) -> None:
    data = make_data()
    model = LinearModel(data.n_features)
    result = train(model, data.X, data.y, solver="gd", learning_rate=lr, epochs=epochs)
    h = result.history
    assert_same_path(h.W, h.b, h.loss, textbook_gd(data.X, data.y, lr, epochs))
    np.testing.assert_array_equal(model.W, h.W[-1])
    assert result.n_iter == epochs


@pytest.mark.parametrize("momentum", [0.5, 0.9])
def test_momentum_iterates_equal_the_heavy_ball_loop(momentum: float) -> None:
    data = multi_feature_data()
    model = LinearRegression(learning_rate=0.05, epochs=120, momentum=momentum)
    model.fit(data.X, data.y)
    path = textbook_gd(data.X, data.y, 0.05, 120, momentum=momentum)
    assert_same_path(model.history_.W, model.history_.b, model.history_.loss, path)


def test_on_epoch_sees_every_recorded_loss(default_data: Dataset) -> None:
    seen: list[tuple[int, float]] = []
    model = LinearRegression(learning_rate=0.005, epochs=25)
    model.fit(default_data.X, default_data.y, on_epoch=lambda k, loss: seen.append((k, loss)))
    assert [k for k, _ in seen] == list(range(26))
    np.testing.assert_array_equal([loss for _, loss in seen], model.history_.loss)


def test_standardized_history_is_in_original_units(rng: np.random.Generator) -> None:
    X = rng.normal(loc=[50.0, -3.0], scale=[10.0, 0.1], size=(40, 2))
    y = X @ [0.3, 8.0] + 1.0 + rng.normal(size=40)
    model = LinearRegression(learning_rate=0.1, epochs=50, standardize=True).fit(X, y)
    h = model.history_
    # Each recorded (W, b), applied to the raw features, gives the recorded loss.
    recomputed = np.mean((X @ h.W.T + h.b - y[:, None]) ** 2, axis=0)
    np.testing.assert_allclose(h.loss, recomputed, rtol=1e-9)
    np.testing.assert_allclose(model.predict(X), X @ model.coef_ + model.intercept_)


# -- learning rate: divergence and speed --------------------------------------------------


def test_learning_rate_0_1_diverges_with_a_report(default_data: Dataset) -> None:
    X, y = default_data.X, default_data.y
    model = LinearRegression(learning_rate=0.1, epochs=1000)
    with pytest.warns(StabilityWarning, match="eta_max"), pytest.raises(DivergenceError) as info:
        model.fit(X, y)

    report = info.value.report
    eta_max = 2.0 / hessian_eigenvalues(X)[-1]
    assert report.learning_rate == 0.1
    assert report.max_stable_learning_rate == pytest.approx(eta_max, rel=1e-10)
    assert 1 <= report.epoch < 1000
    # The history: one finite entry per epoch before the divergence, loss climbing.
    h = report.history
    assert h.loss.shape == (report.epoch,)
    assert h.W.shape == (report.epoch, 1)
    assert h.b.shape == (report.epoch,)
    assert np.all(np.isfinite(h.loss))
    assert np.all(np.isfinite(h.W))
    assert np.all(np.diff(h.loss) > 0)
    path = textbook_gd(X, y, 0.1, report.epoch - 1)
    assert_same_path(h.W, h.b, h.loss, path)
    # It stopped at the first epoch whose loss exploded past EXPLOSION_FACTOR x the start.
    with np.errstate(over="ignore", invalid="ignore"):
        next_loss = textbook_gd(X, y, 0.1, report.epoch)[2][-1]
    assert np.all(h.loss <= EXPLOSION_FACTOR * h.loss[0])
    assert not next_loss <= EXPLOSION_FACTOR * h.loss[0]
    # Last finite parameters, and the gradient norm there.
    assert np.all(np.isfinite(report.W))
    assert np.isfinite(report.b)
    np.testing.assert_array_equal(report.W, h.W[-1])
    assert report.b == h.b[-1]
    r = X @ path[0][-1] + path[1][-1] - y
    expected_norm = np.hypot(np.linalg.norm((2 / len(y)) * X.T @ r), (2 / len(y)) * r.sum())
    assert report.gradient_norm == pytest.approx(expected_norm, rel=1e-10)
    message = str(info.value)
    assert "diverged" in message
    assert f"epoch {report.epoch}" in message


def test_a_small_learning_rate_is_slower_but_stable(default_data: Dataset) -> None:
    X, y = default_data.X, default_data.y
    slow = LinearRegression(learning_rate=0.001, epochs=500).fit(X, y)
    fast = LinearRegression(learning_rate=0.005, epochs=500).fit(X, y)
    for model in (slow, fast):
        assert np.all(np.diff(model.history_.loss) <= 0)  # GD below eta_max never climbs
    assert slow.history_.final_loss > fast.history_.final_loss
    assert np.all(slow.history_.loss[1:] > fast.history_.loss[1:])


def test_train_leaves_the_model_at_the_last_finite_parameters(default_data: Dataset) -> None:
    model = LinearModel(1)
    with pytest.raises(DivergenceError) as info:
        train(model, default_data.X, default_data.y, learning_rate=0.1, epochs=1000)
    np.testing.assert_array_equal(model.W, info.value.report.W)
    assert model.b == info.value.report.b


# -- tol ----------------------------------------------------------------------------------


def test_tol_stops_early_at_the_first_small_change(default_data: Dataset) -> None:
    tol = 1e-9
    model = LinearRegression(learning_rate=0.005, epochs=20_000, tol=tol)
    model.fit(default_data.X, default_data.y)
    assert model.stop_reason_ == "converged"
    assert model.n_iter_ < 20_000
    loss = model.history_.loss
    assert loss.shape == (model.n_iter_ + 1,)
    change = np.abs(np.diff(loss)) / loss[:-1]
    assert change[-1] <= tol
    assert np.all(change[:-1] > tol)


def test_tol_not_reached_warns(default_data: Dataset) -> None:
    model = LinearRegression(learning_rate=0.005, epochs=10, tol=1e-12)
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        model.fit(default_data.X, default_data.y)
    assert model.stop_reason_ == "max_epochs"
    assert model.n_iter_ == 10


# -- SGD ----------------------------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.0, 0.8])
def test_sgd_is_reproducible_from_its_seed(default_data: Dataset, momentum: float) -> None:
    def fit(seed: int) -> LinearRegression:
        est = LinearRegression(
            solver="sgd", learning_rate=0.002, epochs=5, batch_size=16, momentum=momentum, seed=seed
        )
        return est.fit(default_data.X, default_data.y)

    a, b, c = fit(3), fit(3), fit(4)
    np.testing.assert_array_equal(a.history_.W, b.history_.W)
    np.testing.assert_array_equal(a.history_.loss, b.history_.loss)
    assert a.intercept_ == b.intercept_
    assert not np.array_equal(a.history_.W[1:], c.history_.W[1:])


def test_sgd_with_batch_size_one_learns(rng: np.random.Generator) -> None:
    X = rng.normal(size=(50, 2))
    y = X @ [1.0, -1.0] + 0.5 + 0.01 * rng.normal(size=50)
    model = LinearRegression(solver="sgd", batch_size=1, learning_rate=0.01, epochs=60).fit(X, y)
    loss = model.history_.loss
    assert loss.shape == (61,)
    assert np.all(np.isfinite(loss))
    assert loss[-1] < 1e-3 * loss[0]
    np.testing.assert_allclose(model.coef_, [1.0, -1.0], atol=0.02)
    assert model.intercept_ == pytest.approx(0.5, abs=0.02)


def test_the_shuffle_gives_every_order_equally_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """shuffle_rows deals rows into buckets, then shuffles each: with buckets of 2
    rows, the 24 orders of 4 rows still come up equally often (chi-square)."""
    monkeypatch.setattr(training, "SHUFFLE_BUCKET_ROWS", 2)
    rng = np.random.default_rng(0)
    counts: dict[tuple[int, ...], int] = {}
    for _ in range(24_000):
        order = tuple(int(i) for i in training.shuffle_rows(rng, 4))
        counts[order] = counts.get(order, 0) + 1
    assert sorted(counts) == sorted(itertools.permutations(range(4)))
    assert stats.chisquare(list(counts.values())).pvalue > 1e-3


@pytest.mark.parametrize("n", [1, 5, 32_768])
def test_the_shuffle_of_one_bucket_is_the_generators_permutation(n: int) -> None:
    ours, theirs = np.random.default_rng(n), np.random.default_rng(n)
    np.testing.assert_array_equal(training.shuffle_rows(ours, n), theirs.permutation(n))


def test_the_plateau_stops_after_windows_that_fail_to_improve() -> None:
    plateau = training.Plateau(tol=0.01, batch_size=training.PLATEAU_ROWS // 4)
    assert plateau.window == 4
    # Windows of 4 batches improve, then one improves by less than 1% and fails.
    for loss in [8.0] * 4 + [4.0] * 4 + [2.0] * 4 + [1.995] * 4:
        assert not plateau.add(loss)
    assert plateau.best == 2.0
    # An improvement resets the count; then windows grow to a quarter of the batches
    # before them (20 // 4 = 5, then 25 // 4 = 6) and two fail in a row.
    for loss in [1.5] * 4 + [1.49] * 5 + [1.49] * 5:
        assert not plateau.add(loss)
    assert plateau.best == 1.5
    assert plateau.add(1.49)
    assert plateau.stopped


def test_the_plateau_stops_on_losses_that_are_not_finite() -> None:
    plateau = training.Plateau(tol=1e-3, batch_size=training.PLATEAU_ROWS)
    assert [plateau.add(x) for x in (1.0, np.nan, np.inf)] == [False, False, True]


@pytest.mark.parametrize("extra", [0, 1, 1000])
def test_sgd_with_one_batch_is_full_batch_gd(extra: int) -> None:
    data = multi_feature_data()
    model = LinearRegression(solver="sgd", batch_size=data.n_samples + extra, learning_rate=0.2)
    model.set_params(epochs=80).fit(data.X, data.y)
    path = textbook_gd(data.X, data.y, 0.2, 80)
    assert_same_path(model.history_.W, model.history_.b, model.history_.loss, path)


# -- validation data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "gd", "learning_rate": 0.005},
        {"solver": "gd", "learning_rate": 0.1, "standardize": True},
        {"solver": "sgd", "learning_rate": 0.001, "batch_size": 8},
    ],
    ids=["gd", "gd-standardized", "sgd"],
)
def test_validation_loss_is_recorded_every_epoch(default_data: Dataset, params: dict) -> None:
    train_part, val = train_test_split(default_data, test_size=0.25, seed=1)
    model = LinearRegression(epochs=30, **params)
    model.fit(train_part.X, train_part.y, val.X, val.y)
    h = model.history_
    assert h.val_loss is not None
    assert h.val_loss.shape == h.loss.shape == (31,)
    expected = np.mean((val.X @ h.W.T + h.b - val.y[:, None]) ** 2, axis=0)
    np.testing.assert_allclose(h.val_loss, expected, rtol=1e-9)


def test_no_validation_data_means_no_validation_loss(default_data: Dataset) -> None:
    model = LinearRegression(epochs=3, learning_rate=0.005).fit(default_data.X, default_data.y)
    assert model.history_.val_loss is None


# -- weights and the penalty: exact rational gradient descent ---------------------------------
def exact_gd(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float, lr: float, epochs: int
) -> list[tuple[list[Fraction], Fraction, Fraction]]:
    """GD on the weighted, penalized objective in exact arithmetic: (W, b, L) per epoch."""
    n, d = X.shape
    F = Fraction
    Xf = [[F(v) for v in row] for row in X]
    yf, wf, a, eta = [F(v) for v in y], [F(v) for v in w], F(alpha), F(lr)
    S = sum(wf)
    W, b = [F(0)] * d, F(0)
    path = []
    for _ in range(epochs + 1):
        r = [sum(Xf[i][j] * W[j] for j in range(d)) + b - yf[i] for i in range(n)]
        loss = sum(wf[i] * r[i] ** 2 for i in range(n)) / S + a * sum(v * v for v in W)
        path.append((W, b, loss))
        dW = [
            2 * sum(wf[i] * Xf[i][j] * r[i] for i in range(n)) / S + 2 * a * W[j] for j in range(d)
        ]
        db = 2 * sum(wf[i] * r[i] for i in range(n)) / S
        W, b = [W[j] - eta * dW[j] for j in range(d)], b - eta * db
    return path


@pytest.mark.parametrize("alpha", [0.0, 0.25])
def test_weighted_penalized_gd_follows_exact_arithmetic(alpha: float) -> None:
    rng = np.random.default_rng(4)
    X = rng.integers(-4, 5, (12, 2)).astype(float)
    y = rng.integers(-9, 10, 12).astype(float)
    w = rng.integers(0, 4, 12).astype(float)
    w[0] = 1.0
    result = train(LinearModel(2), X, y, learning_rate=0.05, epochs=6, sample_weight=w, alpha=alpha)
    for k, (W, b, loss) in enumerate(exact_gd(X, y, w, alpha, 0.05, 6)):
        np.testing.assert_allclose(
            result.history.W[k], [float(v) for v in W], rtol=1e-13, atol=1e-15
        )
        assert result.history.b[k] == pytest.approx(float(b), rel=1e-13, abs=1e-15)
        assert result.history.loss[k] == pytest.approx(float(loss), rel=1e-13)


def test_the_loop_takes_no_step_it_is_not_asked_for() -> None:
    """gradient_descent yields a loss before each epoch's steps: stopping is the caller's."""
    X, y = np.array([[1.0], [2.0]]), np.array([3.0, 5.0])
    model = LinearModel(1)
    loop = training.gradient_descent(
        model,
        X,
        y,
        solver="gd",
        learning_rate=0.1,
        batch_size=1,
        momentum=0.0,
        seed=0,
        sample_weight=None,
        alpha=0.0,
        plateau=None,
    )
    assert next(loop) == 17.0  # the docstring example of LinearModel
    assert model.W[0] == 0.0  # no step yet
    next(loop)
    assert repr(model) == "LinearModel(W=[1.3], b=0.8)"


def test_watch_stops_a_loop_that_never_ends() -> None:
    model = LinearModel(1)
    losses = iter([4.0, 2.0, 1.0, 0.999, 0.5])
    calls: list[tuple[int, float]] = []
    history, reason, n_iter = training.watch(
        losses,
        model,
        epochs=10,
        tol=1e-2,
        learning_rate=0.1,
        max_stable_learning_rate=1.0,
        to_original=training.identity_map,
        on_epoch=lambda k, loss: calls.append((k, loss)),
        val_loss=None,
        stopped=None,
        gradient_norm=lambda: 0.0,
    )
    assert (reason, n_iter) == ("converged", 3)
    assert calls == [(0, 4.0), (1, 2.0), (2, 1.0), (3, 0.999)]
    np.testing.assert_array_equal(history.loss, [4.0, 2.0, 1.0, 0.999])


def test_watch_reports_an_exploding_loss() -> None:
    model = LinearModel(1)
    with pytest.raises(DivergenceError) as caught:
        training.watch(
            iter([1.0, 2.0, EXPLOSION_FACTOR * 2.0]),
            model,
            epochs=10,
            tol=None,
            learning_rate=0.3,
            max_stable_learning_rate=0.2,
            to_original=training.identity_map,
            on_epoch=None,
            val_loss=None,
            stopped=None,
            gradient_norm=lambda: 7.0,
        )
    report = caught.value.report
    assert (report.epoch, report.gradient_norm, report.learning_rate) == (2, 7.0, 0.3)
    np.testing.assert_array_equal(report.history.loss, [1.0, 2.0])
