"""K-fold splits: which rows train and which rows test, fold by fold.

``KFold(k)`` deals the N rows into k folds of nearly equal size (the first ``N mod k``
folds get one row more) and yields, for fold j, the rows outside it to train on and
the rows inside it to test on. Every row is tested exactly once.

Shuffling uses NumPy's *legacy* ``np.random.RandomState(seed)``, not the project's
usual ``np.random.Generator``, on purpose and only here: ``RandomState(seed)``
permutes ``0 .. N-1`` exactly as scikit-learn's ``KFold(shuffle=True,
random_state=seed)`` does, so that the folds are the same rows in both libraries
and scores can be compared fold by fold (tests/test_model_selection.py checks it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError

__all__ = ["KFold", "check_cv", "n_rows"]

Index = NDArray[np.intp]


def _check_int(value: Any, what: str, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise LinregError(f"{what} must be a whole number >= {low}, got {value!r}")
    if value < low:
        raise LinregError(f"{what} must be a whole number >= {low}, got {value!r}")
    return int(value)


class KFold:
    """K-fold cross-validation splits, shuffled from a seed.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds k >= 2.
    shuffle : bool, default=True
        Permute the rows before dealing them into folds; False keeps row order
        (fold j is then a contiguous block).
    seed : int, default=0
        Seed of the permutation (``np.random.RandomState(seed)``, see the module
        docstring); the same seed gives scikit-learn's
        ``KFold(n_splits, shuffle=True, random_state=seed)`` folds.

    Examples
    --------
    >>> [test.tolist() for _, test in KFold(3, shuffle=False).split(range(6))]
    [[0, 1], [2, 3], [4, 5]]
    """

    def __init__(self, n_splits: int = 5, *, shuffle: bool = True, seed: int = 0) -> None:
        self.n_splits = _check_int(n_splits, "cv (the number of folds)", 2)
        self.shuffle = bool(shuffle)
        self.seed = _check_int(seed, "seed", 0)

    def __repr__(self) -> str:
        return f"KFold(n_splits={self.n_splits}, shuffle={self.shuffle}, seed={self.seed})"

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of folds k (scikit-learn's name, so that its tools accept this)."""
        return self.n_splits

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[Index, Index]]:
        """Yield ``(train, test)`` row indices for each of the k folds.

        Parameters
        ----------
        X : array-like of N rows (only its length is used)

        Yields
        ------
        train : ndarray of shape (N - n_j,), increasing
        test : ndarray of shape (n_j,), increasing, with n_j = N // k + (j < N mod k)

        Raises
        ------
        LinregError
            If there are fewer rows than folds.
        """
        n = n_rows(X)
        if self.n_splits > n:
            raise LinregError(
                f"cv={self.n_splits} folds is more than the {n} rows of the data; "
                f"use at most cv={n} (leave-one-out)"
            )
        order = np.arange(n)
        if self.shuffle:
            order = np.random.RandomState(self.seed).permutation(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        start = 0
        for size in sizes.tolist():
            in_test = np.zeros(n, dtype=bool)
            in_test[order[start : start + size]] = True
            yield np.flatnonzero(~in_test), np.flatnonzero(in_test)
            start += size


def n_rows(X: Any) -> int:
    """The number of rows of ``X`` (an array, a list or a DataFrame)."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        raise LinregError(f"X must be an array of rows, got {type(X).__name__}") from None


def check_cv(cv: int | KFold, seed: int = 0) -> KFold:
    """``cv`` as a :class:`KFold`: a whole number k gives ``KFold(k, shuffle=True, seed=seed)``."""
    if isinstance(cv, KFold):
        return cv
    return KFold(_check_int(cv, "cv (the number of folds)", 2), shuffle=True, seed=seed)
