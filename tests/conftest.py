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
