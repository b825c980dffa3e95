"""Tests of the blocked Householder QR, ``linreg.solvers.tsqr``.

Oracles: NumPy's QR (``R`` is unique up to the signs of its rows, ``Q_1^T v`` up to
the same signs), orthogonality (``q`` inverts ``qt``, norms are kept), and the
correctly rounded solution of :func:`linreg.solvers.lstsq.lstsq`, which must be the
same bits whichever way ``Z`` was factored.
"""

from __future__ import annotations

import numpy as np
import pytest

from linreg.errors import RankDeficiencyWarning
from linreg.solvers import extended, tsqr
from linreg.solvers.factor import Factorization
from linreg.solvers.lstsq import lstsq


def _blocked(Z: np.ndarray, rows: int) -> tsqr.BlockQR:
    n, p = Z.shape

    def fill(s: int, out: np.ndarray) -> None:
        out[...] = Z[s : s + out.shape[1]].T

    return tsqr.BlockQR(n, p, rows, fill)


@pytest.mark.parametrize(("n", "p", "rows"), [(1000, 3, 100), (1037, 7, 64), (64, 8, 16)])
def test_it_is_a_qr_of_z(n: int, p: int, rows: int) -> None:
    rng = np.random.default_rng(p)
    Z = rng.standard_normal((n, p)) * np.logspace(0, 6, p)
    qr = _blocked(Z, rows)
    Q1, R = np.linalg.qr(Z)
    signs = np.sign(np.diag(qr.R)) * np.sign(np.diag(R))
    np.testing.assert_allclose(qr.R, signs[:, None] * R, rtol=1e-12, atol=1e-9 * np.abs(R).max())
    v = rng.standard_normal(n)
    u = qr.qt(v)
    np.testing.assert_allclose(u[:p], signs * (Q1.T @ v), rtol=1e-10, atol=1e-12)
    assert np.linalg.norm(u) == pytest.approx(np.linalg.norm(v), rel=1e-13)
    np.testing.assert_allclose(qr.q(u), v, atol=1e-13)
    np.testing.assert_allclose(qr.qt(Z[:, 2])[:p], qr.R[:, 2], atol=1e-9 * np.abs(R).max())
    # the least-squares residual's norm is that of the trailing coordinates
    x = np.linalg.lstsq(Z, v, rcond=None)[0]
    assert np.linalg.norm(u[p:]) == pytest.approx(np.linalg.norm(v - Z @ x), rel=1e-10)


def test_blocks_and_threads_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    Z = np.random.default_rng(0).standard_normal((5000, 5))
    v = np.arange(5000.0)
    runs = []
    for cores in (1, 2, 3):
        monkeypatch.setattr(extended, "cpu_count", lambda cores=cores: cores)
        qr = _blocked(Z, 300)
        runs.append((qr.R, qr.qt(v), qr.q(v)))
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_which_designs_are_blocked() -> None:
    assert tsqr.block_rows(10**6, 7) > 0
    assert tsqr.block_rows(10**6, tsqr.MAX_COLUMNS + 1) == 0
    assert tsqr.block_rows(1000, 7) == 0  # too few blocks
    assert tsqr.block_rows(10**6, 0) == 0
    rows = tsqr.block_rows(10**6, 64)
    assert rows >= 4 * 64


def _polynomial(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.uniform(1.0, 2.0, n)
    X = np.column_stack([x**k for k in range(1, 7)])
    return X, 1.0 + X @ np.array([1.0, -2.0, 3.0, -1.0, 0.5, 0.1]) + rng.normal(0, 0.1, n)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_the_solution_is_the_same_bits_either_way(
    fit_intercept: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """x ... x^6: ill-conditioned, so the Householder route; blocked and not."""
    X, y = _polynomial(300_000)
    factored: list[bool] = []
    original = Factorization.__init__

    def spy(self: Factorization, *args: object) -> None:
        original(self, *args)  # type: ignore[arg-type]
        factored.append(self.blocked is not None)

    monkeypatch.setattr(Factorization, "__init__", spy)
    blocked = lstsq(X, y, fit_intercept=fit_intercept)
    monkeypatch.setattr(tsqr, "block_rows", lambda n, p: 0)
    monkeypatch.setattr("linreg.solvers.factor.block_rows", lambda n, p: 0)
    whole = lstsq(X, y, fit_intercept=fit_intercept)
    assert factored == [True, False]
    assert blocked.converged
    np.testing.assert_array_equal(blocked.coef, whole.coef)
    assert blocked.intercept == whole.intercept


def test_a_rank_deficient_design_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    n = 200_000
    x = rng.standard_normal((n, 3))
    X = np.column_stack([x, x[:, 0] + x[:, 1]])
    y = x @ np.array([1.0, 2.0, 3.0]) + rng.standard_normal(n)
    factored: list[bool] = []
    original = Factorization.__init__

    def spy(self: Factorization, *args: object) -> None:
        original(self, *args)  # type: ignore[arg-type]
        factored.append(self.blocked is not None)

    monkeypatch.setattr(Factorization, "__init__", spy)
    with pytest.warns(RankDeficiencyWarning):
        result = lstsq(X, y)
    assert factored == [True]
    assert result.dependent_columns == (3,)
    A = np.column_stack([np.ones(n), X])
    fitted = A @ np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(X @ result.coef + result.intercept, fitted, rtol=1e-9, atol=1e-9)
