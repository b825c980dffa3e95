"""linreg.validation's helpers against plain written-out oracles."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from linreg.validation import constant_columns


def naive_constant(X: np.ndarray) -> np.ndarray:
    """The columns whose every entry equals the first row's (NaN never does)."""
    return np.flatnonzero(np.all(X[0] == X, axis=0))


@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 200), st.integers(1, 6)),
        elements=st.sampled_from([0.0, 1.0, -2.5, np.nan, np.inf]),
    ),
    block=st.sampled_from([1, 3, 16, 1 << 16]),
)
def test_constant_columns_are_the_columns_equal_to_the_first_row(X: np.ndarray, block: int) -> None:
    np.testing.assert_array_equal(constant_columns(X, block=block), naive_constant(X))


def test_a_column_that_changes_in_its_last_row_is_not_constant() -> None:
    X = np.ones((100_000, 5))
    X[:, 1] = 3.0
    X[-1, 2] = 1.0 + 2.0**-52
    X[:, 4] = np.arange(100_000.0)
    np.testing.assert_array_equal(constant_columns(X), [0, 1, 3])
