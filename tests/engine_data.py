"""Data and comparisons shared by the tests of the fast, streamed and Dask engines.

Each of them checks that a faster path gives the readable path's numbers: on the
same kind of data (:func:`regression_data`) and to the same tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from linreg.history import History

#: Relative agreement required of a fast path with the readable one.
RTOL = 1e-10


def regression_data(
    n: int = 20_000,
    d: int = 8,
    seed: int = 0,
    offset: float = 3.0,
    noise: float = 0.5,
    rows_seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Correlated features with offsets and scales of their own, y linear plus noise.

    ``seed`` fixes the model (mixing, offsets, weights), ``rows_seed`` (default:
    ``seed``) the rows: two calls with one seed and two row seeds give a training
    and a test set of the same problem.
    """
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((d, d)) / np.sqrt(d) + np.eye(d)
    scales, shifts = rng.uniform(0.5, 2.0, d), rng.uniform(-offset, offset, d)
    weights = rng.standard_normal(d)
    if rows_seed is not None:
        rng = np.random.default_rng([seed, rows_seed])
    X = rng.standard_normal((n, d)) @ mixing * scales + shifts
    y = X @ weights - 1.0 + noise * rng.standard_normal(n)
    return X, y


@dataclass(frozen=True)
class Sample:
    """Training rows ``X`` (N, d), ``y`` (N,) and test rows ``X_test``, ``y_test`` of one model."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def make_data(rows: int, features: int, seed: int = 0, test_rows: int = 0) -> Sample:
    """Standardized features ``X ~ N(0, 1)``, ``y = X w + 1.5 + N(0, 1)``, w evenly from -2 to 2.

    The test rows come from the same model (the generator's next draws), so the two sets are
    independent. The same data as the benchmark harness's (``benchmarks/bench.py``), written
    here so that the tests do not depend on the harness.
    """
    rng = np.random.default_rng(seed)
    w = np.linspace(-2.0, 2.0, features)
    X = rng.standard_normal((rows, features))
    y = X @ w + 1.5 + rng.standard_normal(rows)
    X_test = rng.standard_normal((test_rows, features))
    y_test = X_test @ w + 1.5 + rng.standard_normal(test_rows)
    return Sample(X, y, X_test, y_test)


def relative(actual: Any, expected: Any) -> float:
    """Largest relative difference of ``actual`` from ``expected``."""
    a, e = np.atleast_1d(actual), np.atleast_1d(expected)
    return float(np.max(np.abs(a - e) / np.maximum(np.abs(e), np.finfo(np.float64).tiny)))


def assert_same_history(actual: History, expected: History, rtol: float = RTOL) -> None:
    """Every recorded quantity equal to ``rtol`` relative to its size along the path."""
    assert actual.loss.shape == expected.loss.shape
    pairs = [(actual.W, expected.W), (actual.b, expected.b), (actual.loss, expected.loss)]
    if expected.val_loss is not None:
        assert actual.val_loss is not None
        pairs.append((actual.val_loss, expected.val_loss))
    for got, want in pairs:
        scale = max(float(np.abs(want).max()), np.finfo(np.float64).tiny)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)
