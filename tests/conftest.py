"""Fixtures shared by the whole test suite.

Keep this file small: fixtures used by one module belong in that module, and
Hypothesis strategies live in ``tests/strategies.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from linreg import Dataset, make_regression

#: Seed of the ``rng`` fixture: every test that draws numbers gets the same stream.
SEED = 20_240_601


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator, so a test's random data never depend on test order."""
    return np.random.default_rng(SEED)


@pytest.fixture
def default_data() -> Dataset:
    """The reference projects' problem: y = 3x + 2 + N(0, 1), 200 samples, x in [0, 10)."""
    return make_regression()


class KernelChoice:
    """Which refinement kernel the exact solvers use in a test, and how often the C one
    ran (``runs``): a test on the C kernel can check that it was used."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.runs = 0


@pytest.fixture(params=["numpy", "c"])
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> KernelChoice:
    """The exact solvers' refinement on the NumPy kernel, then on the C one (skipped
    where the C extension was not built)."""
    from linreg.solvers import kernels

    choice = KernelChoice(request.param)
    if request.param == "numpy":
        monkeypatch.setenv(kernels.ENV, "numpy")
        return choice
    monkeypatch.delenv(kernels.ENV, raising=False)
    compiled = kernels._compiled()
    if compiled is None:
        pytest.skip("the C kernel was not built (no C compiler at install)")

    def counted(*args: Any) -> None:
        choice.runs += 1
        compiled(*args)

    monkeypatch.setattr(kernels, "_compiled", lambda: counted)
    return choice


class SgdKernelChoice:
    """Which kernel the fast engine's SGD epochs run on in a test, and how its iterates
    compare with the readable loop's: the NumPy kernel's are the same bits, the C
    kernel's the same to rounding (it sums ``Z_b W`` in another order than BLAS)."""

    #: The C kernel's agreement with the readable loop, relative to the largest entry.
    RTOL = 1e-12

    def __init__(self, name: str) -> None:
        self.name = name

    def assert_same(self, actual: Any, desired: Any) -> None:
        """``actual`` equals ``desired``: bit for bit on NumPy, to :attr:`RTOL` on C."""
        if self.name == "numpy":
            np.testing.assert_array_equal(actual, desired)
            return
        desired = np.asarray(desired, dtype=np.float64)
        finite = desired[np.isfinite(desired)]
        size = float(np.max(np.abs(finite))) if finite.size else 0.0
        np.testing.assert_allclose(actual, desired, rtol=self.RTOL, atol=self.RTOL * size)


@pytest.fixture(params=["numpy", "c"])
def sgd_kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> SgdKernelChoice:
    """The fast engine's SGD on the NumPy kernel, then on the C one (skipped where the C
    extension was not built)."""
    from linreg.solvers import kernels

    if request.param == "numpy":
        monkeypatch.setenv(kernels.ENV, "numpy")
    else:
        monkeypatch.delenv(kernels.ENV, raising=False)
        if not kernels.sgd_available():
            pytest.skip("the C kernel was not built (no C compiler at install)")
    return SgdKernelChoice(request.param)
