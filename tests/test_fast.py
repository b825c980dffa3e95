"""The fast engine gives the reference engine's numbers: GD to rounding, SGD bit for bit
(on the NumPy kernel; the C kernel's to rounding, ``sgd_kernel`` in conftest.py).

Every test fits the same data twice, ``engine="reference"`` (the readable loop of
:mod:`linreg.training`) and ``engine="fast"`` (:mod:`linreg.solvers.fast`), and compares the
whole recorded path. Also: the moments pass, the fused pass, the engine rule, the
peak memory of a fit (in a child process).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SgdKernelChoice
from engine_data import RTOL, assert_same_history, make_data, regression_data
from linreg import DivergenceError, LinearModel, LinearRegression, stability
from linreg import training as training_module
from linreg.errors import ConvergenceWarning, LinregError
from linreg.solvers import fast as fast_module
from linreg.solvers import kernels
from linreg.solvers import sgd as sgd_module
from linreg.solvers.fast import Moments, prefer_streaming, stability_from_moments, standardization
from linreg.training import PLATEAU_ROWS, shuffle_rows, train


def fit_both(X: np.ndarray, y: np.ndarray, **params: Any) -> tuple[Any, Any]:
    X_val = params.pop("X_val", None)
    y_val = params.pop("y_val", None)
    models = []
    for engine in ("reference", "fast"):
        model = LinearRegression(engine=engine, **params)
        models.append(model.fit(X, y, X_val, y_val))
    return models[0], models[1]


# -- full-batch GD: the whole path, 1,000 epochs ---------------------------------------------
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
    "random-start": {"learning_rate": 0.2, "standardize": True, "init": "random", "seed": 7},
}


@pytest.mark.parametrize("params", GD_CASES.values(), ids=GD_CASES.keys())
def test_gd_path_equals_the_reference_after_1000_epochs(params: dict[str, Any]) -> None:
    X, y = regression_data()
    ref, fast = fit_both(X, y, epochs=1000, **params)
    assert fast.n_iter_ == ref.n_iter_ == 1000
    assert fast.stop_reason_ == ref.stop_reason_ == "max_epochs"
    assert_same_history(fast.history_, ref.history_)
    np.testing.assert_allclose(fast.coef_, ref.coef_, rtol=RTOL)
    assert fast.stability_.max_stable_learning_rate == pytest.approx(
        ref.stability_.max_stable_learning_rate, rel=RTOL
    )
    assert fast.stability_.condition_number == pytest.approx(
        ref.stability_.condition_number, rel=1e-8
    )


def test_gd_path_equals_the_reference_on_small_data() -> None:
    X, y = regression_data(n=40, d=2, seed=3)
    ref, fast = fit_both(X, y, learning_rate=0.05, epochs=1000, standardize=True)
    assert_same_history(fast.history_, ref.history_)


def test_gd_path_equals_the_reference_on_large_data() -> None:
    X, y = regression_data(n=300_000, d=16, seed=4)
    ref, fast = fit_both(X, y, learning_rate=0.2, epochs=30, standardize=True)
    assert_same_history(fast.history_, ref.history_)


def test_validation_loss_equals_the_reference() -> None:
    X, y = regression_data(seed=5)
    X_val, y_val = regression_data(n=3_000, seed=5, rows_seed=1)
    ref, fast = fit_both(
        X, y, learning_rate=0.2, epochs=300, standardize=True, X_val=X_val, y_val=y_val
    )
    assert_same_history(fast.history_, ref.history_)


def test_tol_stops_at_the_same_epoch() -> None:
    X, y = regression_data(seed=8)
    ref, fast = fit_both(X, y, learning_rate=0.2, epochs=5_000, standardize=True, tol=1e-6)
    assert ref.stop_reason_ == fast.stop_reason_ == "converged"
    assert fast.n_iter_ == ref.n_iter_
    assert_same_history(fast.history_, ref.history_)


def test_near_perfect_fit_loss_matches_to_the_reference_rounding() -> None:
    # Residuals 1e-6 of y: the loss formula that cancels would lose 12 digits here.
    X, y = regression_data(seed=9, noise=1e-6)
    ref, fast = fit_both(X, y, learning_rate=0.2, epochs=1000, standardize=True)
    assert_same_history(fast.history_, ref.history_, rtol=1e-9)


@pytest.mark.parametrize("standardize", [False, True])
def test_divergence_is_reported_at_the_same_epoch(standardize: bool) -> None:
    X, y = regression_data(seed=10)
    reports = []
    for engine in ("reference", "fast"):
        model = LinearRegression(
            engine=engine, learning_rate=2.5 if standardize else 0.5, standardize=standardize
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the StabilityWarning says as much
            with pytest.raises(DivergenceError) as info:
                model.fit(X, y)
        reports.append(info.value.report)
    ref, fast = reports
    assert fast.epoch == ref.epoch
    assert fast.max_stable_learning_rate == pytest.approx(ref.max_stable_learning_rate, rel=RTOL)
    assert fast.gradient_norm == pytest.approx(ref.gradient_norm, rel=RTOL)
    np.testing.assert_allclose(fast.W, ref.W, rtol=RTOL)
    assert fast.b == pytest.approx(ref.b, rel=RTOL, abs=RTOL)
    assert_same_history(fast.history, ref.history)


def test_sgd_divergence_is_reported_at_the_same_epoch(sgd_kernel: SgdKernelChoice) -> None:
    X, y = regression_data(n=5_000, seed=21)
    reports = []
    for engine in ("reference", "fast"):
        model = LinearRegression(engine=engine, solver="sgd", learning_rate=0.2, batch_size=50)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(DivergenceError) as info:
                model.fit(X, y)
        reports.append(info.value.report)
    ref, fast = reports
    assert fast.epoch == ref.epoch
    sgd_kernel.assert_same(fast.W, ref.W)
    assert_same_history(fast.history, ref.history)


# -- the fused pass over row blocks ----------------------------------------------------------
@pytest.mark.parametrize("kind", ["streaming", "quadratic"])
@pytest.mark.parametrize("standardize", [False, True])
def test_fast_train_equals_the_readable_train(kind: str, standardize: bool) -> None:
    X, y = regression_data(n=30_000, d=12, seed=11)
    X_val, y_val = regression_data(n=2_000, d=12, seed=11, rows_seed=1)
    moments = Moments.from_data(X, y)
    center, scale = standardization(moments, X, standardize=standardize, fit_intercept=True)
    lr = 0.2 if standardize else 0.01
    common: dict[str, Any] = {"learning_rate": lr, "epochs": 200, "momentum": 0.5}
    reference = LinearModel(X.shape[1])
    expected = train(
        reference,
        (X - center) / scale,
        y,
        X_val=(X_val - center) / scale,
        y_val=y_val,
        **common,
    )
    model = LinearModel(X.shape[1])
    result = fast_module.train(
        model, X, y, center=center, scale=scale, X_val=X_val, y_val=y_val, objective=kind, **common
    )
    assert_same_history(result.history, expected.history)
    np.testing.assert_allclose(model.W, reference.W, rtol=RTOL)


def test_the_fused_pass_is_chosen_for_short_runs_on_wide_data() -> None:
    assert prefer_streaming(2_000, 1_000, 3)
    assert not prefer_streaming(2_000, 1_000, 1001)
    assert not prefer_streaming(2_000_000, 16, 1001)
    assert not prefer_streaming(100_000, 512, 1001)


# -- mini-batch SGD: the same shuffles, bit for bit ------------------------------------------
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_sgd_path_is_bitwise_the_reference(momentum: float, sgd_kernel: SgdKernelChoice) -> None:
    X, y = regression_data(n=12_345, seed=13)
    params = {"learning_rate": 0.002, "epochs": 3, "batch_size": 37, "momentum": momentum}
    ref, fast = fit_both(X, y, solver="sgd", seed=5, **params)
    sgd_kernel.assert_same(fast.history_.W, ref.history_.W)
    sgd_kernel.assert_same(fast.history_.b, ref.history_.b)
    np.testing.assert_allclose(fast.history_.loss, ref.history_.loss, rtol=1e-12)


def test_sgd_path_with_standardization_equals_the_reference() -> None:
    X, y = regression_data(seed=14)
    ref, fast = fit_both(
        X, y, solver="sgd", standardize=True, learning_rate=0.02, epochs=3, batch_size=64
    )
    assert_same_history(fast.history_, ref.history_)


def test_sgd_is_deterministic_per_seed_and_reaches_the_optimum() -> None:
    X, y = regression_data(n=50_000, seed=15)
    X_test, y_test = regression_data(n=10_000, seed=15, rows_seed=1)
    exact = LinearRegression(solver="exact").fit(X, y)

    def fit(seed: int) -> LinearRegression:
        params = {"learning_rate": 0.05, "epochs": 3, "batch_size": 256, "seed": seed}
        return LinearRegression(solver="sgd", standardize=True, engine="fast", **params).fit(X, y)

    first, again, other = fit(1), fit(1), fit(2)
    np.testing.assert_array_equal(first.history_.W, again.history_.W)
    assert not np.array_equal(first.history_.W, other.history_.W)
    optimum = np.mean((y_test - exact.predict(X_test)) ** 2)
    for model in (first, other):
        assert np.mean((y_test - model.predict(X_test)) ** 2) <= 1.02 * optimum


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_sgd_stopping_within_an_epoch_is_bitwise_the_reference(
    momentum: float, sgd_kernel: SgdKernelChoice
) -> None:
    """With tol, both engines stop at the same batch of the first epoch (their batch
    losses and plateau verdicts agree bit for bit) and record that point last."""
    data = make_data(150_000, 4, seed=16)
    X, y = data.X, data.y
    params = {"learning_rate": 0.01, "epochs": 5, "batch_size": 100, "momentum": momentum}
    ref, fast = fit_both(X, y, solver="sgd", tol=1e-3, seed=2, **params)
    for model in (ref, fast):
        assert model.stop_reason_ == "converged"
        assert model.n_iter_ == 1
        assert model.history_.loss.shape == (2,)
        np.testing.assert_array_equal(model.history_.W[-1], model.coef_)
        assert model.n_steps_ is not None
        assert model.n_steps_ < 150_000 // 100  # stopped within the first epoch
    assert fast.n_steps_ == ref.n_steps_
    sgd_kernel.assert_same(fast.history_.W, ref.history_.W)
    sgd_kernel.assert_same(fast.history_.b, ref.history_.b)
    np.testing.assert_allclose(fast.history_.loss, ref.history_.loss, rtol=1e-12)


@pytest.mark.parametrize("kernel_name", ["numpy", "c"])
@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(40, 2_000),
    d=st.integers(1, 4),
    batch_size=st.integers(1, 64),
    momentum=st.sampled_from([0.0, 0.5]),
    standardize=st.booleans(),
    fit_intercept=st.booleans(),
    init=st.sampled_from(["zeros", "random"]),
    tol=st.sampled_from([1e-1, 1e-2, 1e-3]),
    epochs=st.integers(1, 3),
    seed=st.integers(0, 1_000),
)
def test_sgd_with_tol_is_bitwise_the_reference_on_any_layout(
    n: int,
    d: int,
    batch_size: int,
    momentum: float,
    standardize: bool,
    fit_intercept: bool,
    init: str,
    tol: float,
    epochs: int,
    seed: int,
    kernel_name: str,
) -> None:
    """Small buckets and windows (patched) put bucket edges, window edges and stops at
    every place in an epoch: both engines still take the same steps and stop together
    (on either SGD kernel: the C kernel runs to each window's end, no further)."""
    sgd_kernel = SgdKernelChoice(kernel_name)
    X, y = regression_data(n=n, d=d, seed=seed % 7)
    params: dict[str, Any] = {
        "solver": "sgd",
        "learning_rate": 0.05 if standardize else 0.005,
        "batch_size": batch_size,
        "momentum": momentum,
        "standardize": standardize,
        "fit_intercept": fit_intercept,
        "init": init,
        "tol": tol,
        "epochs": epochs,
        "seed": seed,
    }
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol not reached, a constant column, eta_max
        patch.setattr(training_module, "SHUFFLE_BUCKET_ROWS", 97)
        patch.setattr(sgd_module, "SHUFFLE_BUCKET_ROWS", 97)
        patch.setattr(training_module, "PLATEAU_ROWS", 64)
        if kernel_name == "numpy":
            patch.setenv(kernels.ENV, "numpy")
        elif not kernels.sgd_available():
            pytest.skip("the C kernel was not built (no C compiler at install)")
        else:
            patch.delenv(kernels.ENV, raising=False)
        outcomes = []
        for engine in ("reference", "fast"):
            model = LinearRegression(engine=engine, **params)
            try:
                model.fit(X, y)
                outcomes.append((model.history_, model.stop_reason_, model.n_iter_, model.n_steps_))
            except DivergenceError as error:
                outcomes.append((error.report.history, "diverged", error.report.epoch, None))
    (ref, ref_reason, ref_n, ref_steps), (fast, fast_reason, fast_n, fast_steps) = outcomes
    assert (fast_reason, fast_n, fast_steps) == (ref_reason, ref_n, ref_steps)
    if ref_reason == "max_epochs":
        assert ref_steps == epochs * -(-n // batch_size)
    if standardize:  # the scale may differ in its last bit (see linreg.solvers.fast)
        assert_same_history(fast, ref)
    else:
        sgd_kernel.assert_same(fast.W, ref.W)
        sgd_kernel.assert_same(fast.b, ref.b)
        np.testing.assert_allclose(fast.loss, ref.loss, rtol=1e-10)


def test_sgd_with_tol_stops_early_near_the_optimum() -> None:
    """On 300,000 rows the plateau test stops SGD within its first epoch, having read
    a fraction of the rows, and the model is within 1% of the optimum on new data."""
    data = make_data(300_000, 8, seed=17, test_rows=20_000)
    X, y, X_test, y_test = data.X, data.y, data.X_test, data.y_test
    exact = LinearRegression(solver="exact").fit(X, y)
    optimum = np.mean((y_test - exact.predict(X_test)) ** 2)
    model = LinearRegression(
        solver="sgd", standardize=True, learning_rate=0.05, batch_size=512, tol=1e-3, epochs=3
    ).fit(X, y)
    assert model.stop_reason_ == "converged"
    assert model.n_iter_ == 1
    assert np.mean((y_test - model.predict(X_test)) ** 2) <= 1.01 * optimum
    plain = LinearRegression(
        solver="sgd", standardize=True, learning_rate=0.05, batch_size=512, epochs=1
    ).fit(X, y)
    # The first steps are the same; the early stop is somewhere inside the epoch.
    assert not np.array_equal(model.coef_, plain.coef_)
    assert model.history_.loss[-1] <= 1.01 * plain.history_.loss[-1]


def test_sgd_with_tol_does_not_stop_on_noise_while_it_still_improves() -> None:
    """Correlated features converge slowly: the growing windows keep SGD going until
    it is within 1% (fixed 16,384-row windows stopped 2-6% above the optimum)."""
    X, y = regression_data(n=400_000, d=8, seed=3)
    X_test, y_test = regression_data(n=50_000, d=8, seed=3, rows_seed=1)
    exact = LinearRegression(solver="exact").fit(X, y)
    optimum = np.mean((y_test - exact.predict(X_test)) ** 2)
    for seed in range(3):
        model = LinearRegression(
            solver="sgd", standardize=True, learning_rate=0.05, batch_size=512, tol=1e-3
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # when it runs to the end
            model.set_params(epochs=2, seed=seed).fit(X, y)
        assert np.mean((y_test - model.predict(X_test)) ** 2) <= 1.01 * optimum


@pytest.mark.parametrize("where", ["X", "y"])
def test_sgd_without_moments_still_names_a_nan(where: str) -> None:
    """SGD with tol skips the moments pass; a NaN is then found by the loss passes (or
    by a last check when every loss was taken at W = 0), and the old fit is kept."""
    rng = np.random.default_rng(18)
    X = rng.standard_normal((4 * PLATEAU_ROWS + 5, 2))
    y = np.zeros(X.shape[0])  # W stays 0 until the bad row is drawn, if ever
    if where == "X":
        X[-3, 1] = np.nan
    else:
        y[-3] = np.nan
    model = LinearRegression(solver="sgd", engine="fast", epochs=2, batch_size=64)
    model.fit(X[:100], y[:100] + 1.0)
    before = model.coef_.copy()
    model.set_params(tol=1e-3)
    cell = f"row {X.shape[0] - 3}, column 1" if where == "X" else f"row {X.shape[0] - 3}"
    with pytest.raises(LinregError, match=f"{where} contains NaN at {cell}"):
        model.fit(X, y)
    np.testing.assert_array_equal(model.coef_, before)


# -- the moments pass ------------------------------------------------------------------------
def exact_moments(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-pass centred moments in extended precision (np.longdouble)."""
    Xl, yl = X.astype(np.longdouble), y.astype(np.longdouble)
    mean = Xl.mean(axis=0)
    Xc = Xl - mean
    return mean, Xc.T @ Xc, Xc.T @ (yl - yl.mean())


def test_moments_are_accurate_on_offset_data() -> None:
    rng = np.random.default_rng(17)
    X = 1e6 + rng.standard_normal((50_000, 3)) * [1.0, 10.0, 0.1]
    y = X @ [1.0, -2.0, 3.0] + rng.standard_normal(50_000)
    moments = Moments.from_data(X, y)
    mean, gram, xty = exact_moments(X, y)
    np.testing.assert_allclose(moments.mean, mean.astype(float), rtol=1e-15)
    np.testing.assert_allclose(moments.gram, gram.astype(float), rtol=1e-12)
    np.testing.assert_allclose(moments.xty, xty.astype(float), rtol=1e-12)
    # The raw moments X^T X - N m m^T lose about 8 of their 16 digits here.
    raw = X.T @ X - X.shape[0] * np.outer(X.mean(axis=0), X.mean(axis=0))
    assert np.abs(raw - gram.astype(float)).max() > 1e-8 * np.abs(gram.astype(float)).max()


def test_moments_repeat_the_pass_when_the_pilot_misses_the_mean() -> None:
    # Every 4th row (the rows the pilot samples) is 1e6, the others 0.
    X = np.zeros((4096, 2))
    X[::4] = 1e6
    X[:, 1] += np.arange(4096.0)
    y = X @ [1.0, 1.0]
    moments = Moments.from_data(X, y)
    mean, gram, _ = exact_moments(X, y)
    np.testing.assert_allclose(moments.mean, mean.astype(float), rtol=1e-15)
    np.testing.assert_allclose(moments.gram, gram.astype(float), rtol=1e-12)


def test_a_constant_column_has_exactly_zero_variance() -> None:
    X, y = regression_data(n=100_000, d=3, seed=18)
    X[:, 1] = 0.1
    moments = Moments.from_data(X, y)
    assert moments.variance[1] == 0.0
    assert moments.mean[1] == 0.1
    _, scale = standardization(moments, X, standardize=True, fit_intercept=True)
    assert scale[1] == 1.0


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_stability_from_the_moments_equals_stability(fit_intercept: bool) -> None:
    X, y = regression_data(seed=19)
    moments = Moments.from_data(X, y)
    center, scale = standardization(moments, X, standardize=True, fit_intercept=fit_intercept)
    got = stability_from_moments(moments, center, scale, fit_intercept=fit_intercept)
    want = stability((X - center) / scale, fit_intercept=fit_intercept)
    assert got.lambda_max == pytest.approx(want.lambda_max, rel=1e-12)
    assert got.lambda_min == pytest.approx(want.lambda_min, rel=1e-10)


# -- the engine rule -------------------------------------------------------------------------
def test_auto_takes_the_fast_path_from_the_threshold_on(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    readable = fast_module.train

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return readable(*args, **kwargs)

    monkeypatch.setattr(fast_module, "train", counting)
    d = 4
    n_small = fast_module.AUTO_MIN_ELEMENTS // d - 1
    for n, expected in ((n_small, 0), (n_small + 1, 1)):
        X, y = regression_data(n=n, d=d, seed=20)
        calls.clear()
        LinearRegression(learning_rate=0.01, epochs=2).fit(X, y)
        assert len(calls) == expected
    calls.clear()
    LinearRegression(learning_rate=0.01, epochs=2, engine="fast").fit(X[:50], y[:50])
    LinearRegression(learning_rate=0.01, epochs=2, engine="reference").fit(X, y)
    assert len(calls) == 1


def test_an_unknown_engine_is_rejected() -> None:
    X, y = regression_data(n=50, d=2)
    with pytest.raises(LinregError, match="engine must be one of auto, reference, fast"):
        LinearRegression(engine="turbo").fit(X, y)


# -- peak memory of an in-memory fit, in a child process -------------------------------------
# VmHWM is the peak resident size of this process image; ru_maxrss would also count
# the parent's pages, which a child forked from a large pytest process inherits.
# At the size (2,000,000 x 16): at 500,000 rows the interpreter and imports
# (60-100 MB, varying between otherwise identical environments) ate most of the
# 150 MB allowance, and the test measured the environment more than the fit.
CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from linreg import LinearRegression

    engine, solver = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2_000_000, 16))
    y = X @ np.linspace(-1, 1, 16) + rng.standard_normal(2_000_000)
    LinearRegression(
        engine=engine, solver=solver, standardize=True, epochs=3, batch_size=256,
        learning_rate=0.05,
    ).fit(X, y)
    with open("/proc/self/status") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"peak_mb": peak_kib / 1024, "x_mb": X.nbytes / 2**20}))
    """
)


def child_peak(engine: str, solver: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, engine, solver],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_fast_fit_needs_at_most_a_quarter_of_x_more() -> None:
    fast_gd = child_peak("auto", "gd")
    x_mb = fast_gd["x_mb"]
    # The exact solver included: its Gram pass and refinement copy nothing of size X.
    for peak in (fast_gd, child_peak("auto", "sgd"), child_peak("auto", "exact")):
        assert peak["peak_mb"] <= 1.25 * x_mb + 150, peak
    # The check can fail: the reference path's copy (and X.std's) shows up in it.
    reference = child_peak("reference", "gd")
    assert reference["peak_mb"] - fast_gd["peak_mb"] >= 0.9 * x_mb, (reference, fast_gd)


def test_both_engines_give_a_constant_column_scale_one() -> None:
    """X.std of 0.1 repeated 20,000 times is 1.4e-17, not 0: dividing by it would turn
    the column's rounding noise into a feature of size 1 on the reference path."""
    X, y = regression_data(n=20_000, d=3, seed=41)
    X[:, 1] = 0.1
    assert X[:, 1].std() > 0.0  # the trap is real for this column
    fits = {}
    for engine in ("reference", "fast"):
        model = LinearRegression(engine=engine, standardize=True, learning_rate=0.1, epochs=200)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the constant column warns, as it should
            fits[engine] = model.fit(X, y)
    np.testing.assert_allclose(
        fits["reference"].history_.W, fits["fast"].history_.W, rtol=1e-10, atol=1e-12
    )
    assert abs(fits["reference"].coef_[1]) < 1e-6


ORDER_CASES = [(n, chunk) for n in (1, 2, 7, 1000) for chunk in (1, 777, 8_192)] + [
    (n, chunk) for n in (32_768, 32_769, 70_001, 200_000) for chunk in (777, 8_192, 300_000)
]


@pytest.mark.parametrize(("n", "chunk"), ORDER_CASES)
def test_row_order_deals_the_readable_shuffle(n: int, chunk: int) -> None:
    """RowOrder hands out shuffle_rows's order from the same draws, in pieces of any
    size, and leaves the generator where shuffle_rows leaves it (the next epoch's
    shuffle agrees too). 200,000 rows take both of its ways to find a bucket."""
    ours, theirs = np.random.default_rng(n), np.random.default_rng(n)
    for _ in range(2):
        pieces = list(sgd_module.RowOrder(ours, n).chunks(chunk))
        assert all(p.shape[0] == chunk for p in pieces[:-1])
        assert 0 < pieces[-1].shape[0] <= chunk
        assert pieces[0].dtype == np.int32
        np.testing.assert_array_equal(np.concatenate(pieces), shuffle_rows(theirs, n))
    assert ours.random() == theirs.random()


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    chunk=st.integers(1, 64),
    bucket_rows=st.integers(1, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_row_order_deals_the_readable_shuffle_with_tiny_buckets(
    n: int, chunk: int, bucket_rows: int, seed: int
) -> None:
    """Many small (and some empty) buckets, scanned or sorted: still the same order."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training_module, "SHUFFLE_BUCKET_ROWS", bucket_rows)
        patch.setattr(sgd_module, "SHUFFLE_BUCKET_ROWS", bucket_rows)
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        pieces = list(sgd_module.RowOrder(ours, n).chunks(chunk))
        expected = training_module.shuffle_rows(theirs, n)
    np.testing.assert_array_equal(np.concatenate(pieces), expected)
    np.testing.assert_array_equal(np.sort(expected), np.arange(n))
    assert ours.random() == theirs.random()


def test_row_order_below_one_bucket_is_the_generators_permutation() -> None:
    ours, theirs = np.random.default_rng(3), np.random.default_rng(3)
    (order,) = sgd_module.RowOrder(ours, 1000).chunks(1000)
    np.testing.assert_array_equal(order, theirs.permutation(1000))
