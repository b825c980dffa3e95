"""Tests of the fused loss passes of ``linreg.solvers.objectives``.

Oracle: the textbook sums in NumPy (``mean(w~ r^2)``, ``(2/N) Z^T (w~ r)``), to
rounding; and the pass itself on one thread, bit for bit, since its blocks are added
in block order whatever the number of threads.
"""

from __future__ import annotations

import numpy as np
import pytest

from linreg.solvers import extended
from linreg.solvers.objectives import StreamingObjective


def _data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(2.0, 3.0, (n, d))
    y = X @ np.linspace(-1.0, 1.0, d) + rng.standard_normal(n)
    return X, y, rng.uniform(0.0, 2.0, n)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("standardized", [False, True])
def test_loss_and_gradient_are_the_textbook_sums(weighted: bool, standardized: bool) -> None:
    n, d = 70_000, 5  # several blocks, the last short
    X, y, w = _data(n, d, 0)
    center = X.mean(axis=0) if standardized else np.zeros(d)
    scale = X.std(axis=0) if standardized else np.ones(d)
    ridge = np.full(d, 0.01)
    objective = StreamingObjective(X, y, center, scale, w if weighted else None, ridge)
    W, b = np.linspace(0.5, -0.5, d), 0.25
    Z = (X - center) / scale
    r = Z @ W + b - y
    wt = w * n / w.sum() if weighted else np.ones(n)
    loss, dW, db = objective.loss_and_gradient(W, b)
    assert loss == pytest.approx(np.mean(wt * r**2) + ridge @ W**2, rel=1e-12)
    np.testing.assert_allclose(dW, 2.0 / n * Z.T @ (wt * r) + 2.0 * ridge * W, rtol=1e-11)
    assert db == pytest.approx(2.0 / n * np.sum(wt * r), rel=1e-10)
    assert objective.loss(W, b) == loss
    assert objective.passes == 2


def test_the_loss_at_zero_reads_only_y() -> None:
    X, y, _ = _data(5000, 3, 1)
    objective = StreamingObjective(X, y, np.zeros(3), np.ones(3))
    assert objective.loss(np.zeros(3), 0.0) == pytest.approx(np.mean(y**2))
    assert objective.passes == 0


def test_no_sum_depends_on_the_number_of_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y, w = _data(90_001, 7, 2)
    W, b = np.linspace(-1.0, 1.0, 7), -0.5
    runs = []
    for cores in (1, 2, 3):
        monkeypatch.setattr(extended, "cpu_count", lambda cores=cores: cores)
        objective = StreamingObjective(X, y, X[:10].mean(axis=0), np.full(7, 2.0), w)
        runs.append(objective.loss_and_gradient(W, b))
    for loss, dW, db in runs[1:]:
        assert loss == runs[0][0]
        assert db == runs[0][2]
        np.testing.assert_array_equal(dW, runs[0][1])
