"""Synthetic data with a known truth, and splitting it.

``make_regression`` draws y = X W_true + b_true + noise, so that every learned
parameter can be checked against the parameter that made the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError

__all__ = [
    "MAX_GENERATED_BYTES",
    "Dataset",
    "generated_bytes",
    "make_regression",
    "train_test_split",
]

Array = NDArray[np.float64]

#: The most memory :func:`make_regression` may use (X, y, y_true and a split's copies), in
#: bytes: 8 GiB. Larger requests are refused before anything is allocated.
MAX_GENERATED_BYTES = 8 * 2**30


def generated_bytes(n_samples: int, n_features: int) -> int:
    """Bytes that generating and splitting N x d data takes: X, y, y_true, twice (the split).

    Examples
    --------
    >>> generated_bytes(1000, 1)
    48000
    """
    return 2 * 8 * int(n_samples) * (int(n_features) + 2)


@dataclass(frozen=True)
class Dataset:
    """A regression dataset and, when synthetic, the truth behind it.

    Attributes
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
        Noisy targets.
    y_true : ndarray of shape (N,) or None
        Noise-free targets X W_true + b_true.
    weights : ndarray of shape (d,) or None
        The true weights W_true.
    bias : float or None
        The true bias b_true.
    feature_names : list of str
        ``["X"]`` for one feature, ``["x1", ..., "xd"]`` for several.
    """

    X: Array
    y: Array
    y_true: Array | None = None
    weights: Array | None = None
    bias: float | None = None
    feature_names: list[str] = field(default_factory=list)
    noise: float | None = None
    seed: int | None = None

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def subset(self, index: NDArray[np.intp]) -> Dataset:
        """The rows ``index`` of this dataset, with the same truth."""
        return Dataset(
            X=self.X[index],
            y=self.y[index],
            y_true=None if self.y_true is None else self.y_true[index],
            weights=self.weights,
            bias=self.bias,
            feature_names=list(self.feature_names),
            noise=self.noise,
            seed=self.seed,
        )


def default_feature_names(n_features: int) -> list[str]:
    """``["X"]`` for one feature, ``["x1", ..., "xd"]`` for several."""
    return ["X"] if n_features == 1 else [f"x{j + 1}" for j in range(n_features)]


def make_regression(
    n_samples: int = 200,
    n_features: int = 1,
    weights: Sequence[float] | float | None = None,
    bias: float = 2.0,
    noise: float = 1.0,
    x_range: tuple[float, float] = (0.0, 10.0),
    seed: int = 0,
) -> Dataset:
    """Draw a synthetic linear regression problem with known truth.

    Parameters
    ----------
    n_samples : int, default=200
        Number of rows N.
    n_features : int, default=1
        Number of features d.
    weights : float or sequence of d floats, default=None
        The true weights W_true; None means 3.0 for every feature, so the
        default problem is y = 3x + 2 + noise.
    bias : float, default=2.0
        The true bias b_true.
    noise : float, default=1.0
        Standard deviation of the Gaussian noise added to y.
    x_range : (low, high), default=(0.0, 10.0)
        Each feature is uniform on [low, high).
    seed : int, default=0
        Seed of the ``np.random.Generator``: same seed, same data; a whole number >= 0.

    Returns
    -------
    Dataset
        With ``X`` (N, d), ``y`` (N,), ``y_true`` (N,), ``weights`` and ``bias``.

    Raises
    ------
    LinregError
        For a bad argument; for data larger than :data:`MAX_GENERATED_BYTES` (the message
        gives the size), checked before anything is allocated; and for data that would not
        be finite (an ``x_range``, weights or noise so large that X or y overflow).

    Notes
    -----
    .. math:: y_i = x_i^\\top W_{true} + b_{true} + \\sigma \\varepsilon_i,
              \\quad \\varepsilon_i \\sim N(0, 1)

    Examples
    --------
    >>> data = make_regression(n_samples=5, seed=1)
    >>> data.X.shape, data.y.shape, data.weights.tolist(), data.bias
    ((5, 1), (5,), [3.0], 2.0)
    """
    if int(n_samples) != n_samples or n_samples < 1:
        raise LinregError(f"n_samples must be a positive integer, got {n_samples!r}")
    if int(n_features) != n_features or n_features < 1:
        raise LinregError(f"n_features must be a positive integer, got {n_features!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise LinregError(f"seed must be a whole number >= 0, got {seed!r}")
    needed = generated_bytes(n_samples, n_features)
    if needed > MAX_GENERATED_BYTES:
        raise LinregError(
            f"{int(n_samples)} rows of {int(n_features)} feature(s) need about {needed:,} "
            f"bytes ({needed / 2**30:,.1f} GiB) of memory, more than the "
            f"{MAX_GENERATED_BYTES / 2**30:g} GiB that generating data may use "
            "(linreg.data.MAX_GENERATED_BYTES); ask for fewer rows or features"
        )
    for name, value in (("noise", noise), ("bias", bias)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise LinregError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(noise) or noise < 0:
        raise LinregError(f"noise must be a finite number >= 0, got {noise!r}")
    low, high = (float(v) for v in x_range)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise LinregError(f"x_range must be (low, high) with low < high, got {x_range!r}")
    if weights is None:
        W_true = np.full(n_features, 3.0)
    else:
        W_true = np.atleast_1d(np.asarray(weights, dtype=np.float64)).ravel()
        if W_true.size == 1 and n_features > 1:
            W_true = np.full(n_features, float(W_true[0]))
        if W_true.size != n_features:
            raise LinregError(
                f"weights has {W_true.size} values but n_features is {n_features}; "
                "give one weight per feature"
            )
    if not np.all(np.isfinite(W_true)) or not np.isfinite(bias):
        raise LinregError("weights and bias must be finite numbers")

    if not np.isfinite(high - low):
        raise LinregError(
            f"x_range {x_range!r} is wider than the floating-point range (about 1.8e308); "
            "choose a narrower range"
        )
    rng = np.random.default_rng(seed)
    X = rng.uniform(low, high, size=(int(n_samples), int(n_features)))
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        y_true = X @ W_true + float(bias)
        y = y_true + noise * rng.standard_normal(int(n_samples))
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y)) and np.all(np.isfinite(y_true))):
        raise LinregError(
            f"x_range {x_range!r} with weights {W_true.tolist()[:5]}, bias {bias!r} and noise "
            f"{noise!r} give values beyond the floating-point range (about 1.8e308): X or y "
            "would hold inf; choose a smaller range, weights or noise"
        )
    return Dataset(
        X=X,
        y=y,
        y_true=y_true,
        weights=W_true,
        bias=float(bias),
        feature_names=default_feature_names(int(n_features)),
        noise=float(noise),
        seed=seed,
    )


@overload
def train_test_split(
    data: Dataset, /, *, test_size: float = ..., seed: int = ...
) -> tuple[Dataset, Dataset]: ...
@overload
def train_test_split(*arrays: Any, test_size: float = ..., seed: int = ...) -> list[Any]: ...


def train_test_split(*arrays: Any, test_size: float = 0.2, seed: int = 0) -> Any:
    """Shuffle rows and split them into a training and a test part.

    Parameters
    ----------
    *arrays : Dataset, or arrays with the same first dimension N
    test_size : float, default=0.2
        Fraction of rows for the test part, in (0, 1). At least one row goes to
        each part.
    seed : int, default=0
        Seed of the shuffle.

    Returns
    -------
    (train, test) for a Dataset; otherwise ``[a_train, a_test, b_train, b_test, ...]``.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5.0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4)
    >>> X_train.shape, X_test.shape
    ((3, 2), (2, 2))
    """
    if not arrays:
        raise LinregError("train_test_split needs at least one array")
    if not (isinstance(test_size, (int, float)) and 0.0 < test_size < 1.0):
        raise LinregError(f"test size must be strictly between 0 and 1, got {test_size!r}")
    first = arrays[0]
    n = first.n_samples if isinstance(first, Dataset) else len(first)
    n_test = round(test_size * n)
    if n < 2 or n_test < 1 or n_test > n - 1:
        raise LinregError(
            f"test size {test_size} of {n} rows leaves an empty part; "
            "use more rows or another test size"
        )
    order = np.random.default_rng(seed).permutation(n)
    test_index, train_index = order[:n_test], order[n_test:]
    if len(arrays) == 1 and isinstance(first, Dataset):
        return first.subset(train_index), first.subset(test_index)
    out: list[Any] = []
    for a in arrays:
        if len(a) != n:
            raise LinregError(f"arrays have different lengths: {n} and {len(a)}")
        if hasattr(a, "iloc"):
            out += [a.iloc[train_index], a.iloc[test_index]]
        else:
            arr = np.asarray(a)
            out += [arr[train_index], arr[test_index]]
    return out
