"""Fixtures shared by the whole test suite.

Keep this file small: fixtures used by one module belong in that module, and
Hypothesis strategies live in ``tests/strategies.py``.
"""

from __future__ import annotations

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
    """Which refinement kernel the exact solvers use in a test, and how often the
    compiled one ran (``runs``): a test on the compiled kernel can check it was used."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.runs = 0


@pytest.fixture(params=["numpy", "numba"])
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> KernelChoice:
    """The exact solvers' refinement on the NumPy kernel, then on the compiled one at
    every size (skipped where numba is not installed)."""
    from linreg import kernels

    choice = KernelChoice(request.param)
    if request.param == "numpy":
        monkeypatch.setenv(kernels.ENV, "numpy")
        return choice
    pytest.importorskip("numba")
    monkeypatch.delenv(kernels.ENV, raising=False)
    monkeypatch.setattr(kernels, "MIN_ELEMENTS", 0)
    compiled = kernels._compiled

    def counting() -> object:
        run = compiled()
        if run is None:
            return None

        def counted(*args: object) -> None:
            choice.runs += 1
            run(*args)

        return counted

    monkeypatch.setattr(kernels, "_compiled", counting)
    return choice
