"""SGD with the elastic net's L1 part: a proximal step after every mini-batch, on every engine.

The readable loop (``engine="reference"``) is the oracle of the fast engine (the same
iterates: bit for bit on the NumPy kernel, to 1e-12 on the C kernel; to 1e-10 when
standardizing, whose scales the fast engine takes from its moments) and of the streamed
engine (the same order of rows when a file is one record batch); the streamed engine
on the C kernel is checked against its NumPy loop where mini-batches straddle record
batches. scikit-learn's ``ElasticNet`` is the oracle of where the iterates go.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet

from conftest import SgdKernelChoice
from engine_data import assert_same_history, regression_data
from linreg import LinearRegression
from linreg.out_of_memory import fit_source
from linreg.solvers import kernels
from linreg.sources.batches import ArraySource


def sparse_data(n: int = 4_000, d: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """y from three of d features with offsets and scales of their own, plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, d) + rng.uniform(-2.0, 2.0, d)
    true = np.zeros(d)
    true[[0, 2, d - 1]] = [1.5, -1.0, 0.5]
    return X, X @ true + 2.0 + 0.5 * rng.standard_normal(n)


def fit_engines(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, **params: Any) -> list[Any]:
    return [
        LinearRegression(engine=engine, solver="sgd", **params).fit(X, y, sample_weight=w)
        for engine in ("reference", "fast")
    ]


@pytest.mark.parametrize(
    "case",
    [
        {"l1_ratio": 1.0},
        {"l1_ratio": 0.5, "momentum": 0.6},
        {"l1_ratio": 1.0, "standardize": True, "learning_rate": 0.05},
        {"l1_ratio": 0.3, "standardize": True, "learning_rate": 0.05, "weights": True},
        {"l1_ratio": 1.0, "fit_intercept": False, "batch_size": 1, "epochs": 1},
    ],
    ids=["lasso", "enet-momentum", "lasso-standardized", "enet-weighted", "batch-1"],
)
def test_fast_sgd_with_l1_is_the_readable_loop(
    case: dict[str, Any], sgd_kernel: SgdKernelChoice
) -> None:
    X, y = sparse_data()
    params = {"alpha": 0.2, "learning_rate": 0.005, "epochs": 3, "batch_size": 32, "seed": 3}
    params.update(case)
    w = None
    if params.pop("weights", False):
        w = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0])
    ref, fast = fit_engines(X, y, w, **params)
    if params.get("standardize"):
        # The fast engine's means and deviations come from its moments: the last bit.
        assert_same_history(fast.history_, ref.history_)
    else:
        sgd_kernel.assert_same(fast.history_.W, ref.history_.W)
        sgd_kernel.assert_same(fast.history_.b, ref.history_.b)
        np.testing.assert_allclose(fast.history_.loss, ref.history_.loss, rtol=1e-12)
    np.testing.assert_array_equal(fast.coef_ == 0.0, ref.coef_ == 0.0)
    assert fast.n_steps_ == ref.n_steps_


def test_fast_sgd_with_l1_and_tol_stops_at_the_readable_loop_s_batch(
    sgd_kernel: SgdKernelChoice,
) -> None:
    X, y = sparse_data(n=40_000, seed=4)
    params = {"alpha": 0.1, "l1_ratio": 1.0, "learning_rate": 0.02, "tol": 1e-2, "epochs": 3}
    ref, fast = fit_engines(X, y, None, batch_size=64, standardize=True, **params)
    assert ref.stop_reason_ == "converged"
    assert fast.n_steps_ == ref.n_steps_ < 3 * 40_000 // 64
    np.testing.assert_allclose(fast.coef_, ref.coef_, rtol=1e-10)


def test_fast_sgd_with_l1_goes_where_elastic_net_is(sgd_kernel: SgdKernelChoice) -> None:
    """With a small step, the iterates settle within SGD's noise of scikit-learn's
    elastic net (whose objective is half of linreg's: the same minimiser), and the
    features outside the true support end at or near zero."""
    X, y = sparse_data(n=20_000, seed=5)
    model = LinearRegression(
        solver="sgd",
        engine="fast",
        alpha=0.05,
        l1_ratio=0.8,
        learning_rate=0.002,
        epochs=6,
        batch_size=16,
    ).fit(X, y)
    oracle = ElasticNet(alpha=0.05, l1_ratio=0.8, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, oracle.coef_, atol=0.02)
    assert abs(model.intercept_ - oracle.intercept_) < 0.05
    assert np.all(np.abs(model.coef_[[1, 3, 4]]) < 0.01)


# -- streamed: the proximal step per mini-batch, in the C kernel where built -----------------
@pytest.mark.parametrize("standardize", [False, True])
def test_streamed_sgd_with_l1_in_one_batch_is_the_in_memory_fit(
    standardize: bool, sgd_kernel: SgdKernelChoice
) -> None:
    """One record batch of at most 32,768 rows is shuffled as in memory: the same steps."""
    X, y = regression_data(n=3_000, d=5, seed=7)
    params: dict[str, Any] = {
        "solver": "sgd",
        "alpha": 0.3,
        "l1_ratio": 0.9,
        "epochs": 3,
        "batch_size": 50,
        "learning_rate": 0.05 if standardize else 0.005,
        "standardize": standardize,
        "momentum": 0.3,
    }
    memory = LinearRegression(engine="reference", **params).fit(X, y)
    streamed = fit_source(LinearRegression(**params), ArraySource(X, y, batch_rows=3_000)).model
    # The streamed losses come from the moments, its standardization too: 1e-10.
    assert_same_history(streamed.history_, memory.history_)
    np.testing.assert_array_equal(streamed.coef_ == 0.0, memory.coef_ == 0.0)
    if not standardize:
        sgd_kernel.assert_same(streamed.history_.W, memory.history_.W)


@pytest.mark.parametrize("tol", [None, 1e-2])
def test_streamed_sgd_on_the_c_kernel_is_its_numpy_loop(
    tol: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mini-batches that straddle record batches (333 rows, batch 32), weights, the ridge
    and L1 penalties and momentum: the C kernel's steps are the NumPy loop's to rounding,
    and a plateau stops both at the same mini-batch."""
    monkeypatch.delenv(kernels.ENV, raising=False)
    if not kernels.sgd_available():
        pytest.skip("the C kernel was not built (no C compiler at install)")
    X, y = sparse_data(n=20_000, seed=8)
    w = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    params: dict[str, Any] = {
        "solver": "sgd",
        "alpha": 0.1,
        "l1_ratio": 0.7,
        "epochs": 3,
        "batch_size": 32,
        "learning_rate": 0.02,
        "standardize": True,
        "momentum": 0.5,
        "tol": tol,
    }
    fits = []
    for kernel in ("c", "numpy"):
        if kernel == "numpy":
            monkeypatch.setenv(kernels.ENV, "numpy")
        source = ArraySource(X, y, batch_rows=333, sample_weight=w)
        fits.append(fit_source(LinearRegression(**params), source).model)
    c, numpy = fits
    assert c.n_steps_ == numpy.n_steps_
    if tol is not None:
        assert c.n_steps_ < 3 * 20_000 // 32
    scale = float(np.max(np.abs(numpy.history_.W)))
    np.testing.assert_allclose(c.history_.W, numpy.history_.W, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(c.history_.loss, numpy.history_.loss, rtol=1e-12)
    np.testing.assert_array_equal(c.coef_ == 0.0, numpy.coef_ == 0.0)


def test_streamed_sgd_with_l1_ends_near_the_elastic_net_optimum() -> None:
    X, y = sparse_data(n=20_000, seed=9)
    params: dict[str, Any] = {"alpha": 0.05, "l1_ratio": 1.0, "learning_rate": 0.005}
    fitted = fit_source(
        LinearRegression(solver="sgd", epochs=4, batch_size=16, standardize=True, **params),
        ArraySource(X, y, batch_rows=1_000),
    )
    optimum = fitted.optimum.coef_
    np.testing.assert_allclose(fitted.model.coef_, optimum, atol=0.02)
    assert np.all(np.abs(fitted.model.coef_[[1, 3, 4]]) < 0.01)
