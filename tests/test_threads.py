"""Tests of :mod:`linreg.solvers.threads` (one BLAS thread on the Householder route).

Oracles: threadpoolctl's own report of the BLAS libraries' thread counts, and the
solver's answers without the limit (bit for bit: no result depends on it).
"""

from __future__ import annotations

import threading
from contextlib import nullcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linreg.solvers import lstsq as lstsq_module
from linreg.solvers import threads

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads() -> list[int]:
    info = threadpoolctl.threadpool_info()
    return [int(i["num_threads"]) for i in info if i["user_api"] == "blas"]


def test_single_blas_limits_inside_and_restores_after() -> None:
    before = _blas_threads()
    with threads.single_blas():
        assert all(n == 1 for n in _blas_threads())
        with threads.single_blas():  # nested: still one, and the outer keeps it
            assert all(n == 1 for n in _blas_threads())
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == before


def test_concurrent_users_share_one_limit() -> None:
    """Overlapping users from several threads share one limit, set once and lifted by
    the last to leave: the counts are the same afterwards.  (Whether OpenBLAS honours
    a count set from a worker thread is its own affair: only the speed depends on it.)"""
    before = _blas_threads()
    inside = threading.Barrier(3)
    users: list[int] = []

    def user() -> None:
        with threads.single_blas():
            inside.wait()
            users.append(threads._users)
            inside.wait()

    workers = [threading.Thread(target=user) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert users == [3, 3, 3]
    assert threads._users == 0
    assert _blas_threads() == before


def test_the_limit_is_lifted_when_the_block_raises() -> None:
    before = _blas_threads()
    with pytest.raises(RuntimeError), threads.single_blas():
        raise RuntimeError("boom")
    assert _blas_threads() == before


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    degree=st.integers(3, 6),
    low=st.sampled_from([0.0, 1.0, -1.0, 3.0]),
    n=st.integers(12_000, 30_000),
)
def test_same_bits_with_and_without_the_limit(seed: int, degree: int, low: float, n: int) -> None:
    """Ill-conditioned polynomial designs (the Householder route): BLAS's thread count
    changes LAPACK's rounding of the preconditioner only, never the refined answer."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, low + 1.0, n)
    X = np.column_stack([x**k for k in range(1, degree + 1)])
    y = 0.5 + X @ rng.normal(size=degree) + rng.normal(0.0, 0.01, n)
    limited = lstsq_module.lstsq(X, y)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lstsq_module, "single_blas", nullcontext)
        free = lstsq_module.lstsq(X, y)
    np.testing.assert_array_equal(limited.params, free.params)


def test_narrow_designs_get_one_blas_thread_and_wide_ones_all() -> None:
    before = _blas_threads()
    with threads.narrow_blas(threads.NARROW_FEATURES):
        assert all(n == 1 for n in _blas_threads())
    with threads.narrow_blas(threads.NARROW_FEATURES + 1):
        assert _blas_threads() == before
    assert _blas_threads() == before


def test_the_gram_routes_give_the_same_bits_with_and_without_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40_000, 6)) + 2.0
    y = X @ np.arange(1.0, 7.0) + rng.normal(size=40_000)
    w = rng.uniform(0.5, 2.0, 40_000)
    limited = [lstsq_module.lstsq(X, y).params, lstsq_module.lstsq(X, y, sample_weight=w).params]
    monkeypatch.setattr(lstsq_module, "narrow_blas", lambda d: nullcontext())
    free = [lstsq_module.lstsq(X, y).params, lstsq_module.lstsq(X, y, sample_weight=w).params]
    for a, b in zip(limited, free, strict=True):
        np.testing.assert_array_equal(a, b)
