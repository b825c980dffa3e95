"""make_regression, train_test_split and Dataset."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from linreg import Dataset, LinregError, make_regression, train_test_split
from linreg.data import MAX_GENERATED_BYTES, generated_bytes

# -- make_regression --------------------------------------------------------------------------


def test_the_default_problem_is_y_equals_3x_plus_2() -> None:
    data = make_regression()
    assert data.X.shape == (200, 1)
    assert data.y.shape == (200,)
    assert data.weights.tolist() == [3.0]
    assert data.bias == 2.0
    assert data.noise == 1.0
    assert data.feature_names == ["X"]
    assert data.n_samples == 200
    assert data.n_features == 1
    assert data.X.min() >= 0.0
    assert data.X.max() < 10.0
    # The noise is N(0, 1): its sample mean and spread are within a few standard errors.
    residual = data.y - data.y_true
    assert abs(residual.mean()) < 4 / np.sqrt(200)
    assert 0.8 < residual.std() < 1.2


@pytest.mark.parametrize(("n_samples", "n_features"), [(1, 1), (50, 1), (30, 4)])
def test_shapes_and_exact_noise_free_targets(n_samples: int, n_features: int) -> None:
    data = make_regression(n_samples=n_samples, n_features=n_features, bias=-1.5, seed=3)
    assert data.X.shape == (n_samples, n_features)
    assert data.y.shape == data.y_true.shape == (n_samples,)
    assert data.weights.shape == (n_features,)
    # y_true is X W + b exactly, and y_true is what y would be without noise.
    np.testing.assert_array_equal(data.y_true, data.X @ data.weights + data.bias)
    quiet = make_regression(n_samples=n_samples, n_features=n_features, bias=-1.5, noise=0.0)
    np.testing.assert_array_equal(quiet.y, quiet.y_true)


@pytest.mark.parametrize("n_features", [1, 2, 5])
def test_weights_default_to_three_per_feature(n_features: int) -> None:
    data = make_regression(n_samples=10, n_features=n_features)
    np.testing.assert_array_equal(data.weights, np.full(n_features, 3.0))


def test_given_weights_and_bias_are_used() -> None:
    data = make_regression(n_samples=20, n_features=3, weights=[1.0, -2.0, 0.5], bias=4.0)
    np.testing.assert_array_equal(data.weights, [1.0, -2.0, 0.5])
    assert data.bias == 4.0
    assert data.feature_names == ["x1", "x2", "x3"]
    one = make_regression(n_samples=20, n_features=3, weights=2.0)
    np.testing.assert_array_equal(one.weights, [2.0, 2.0, 2.0])


def test_x_range_bounds_the_features() -> None:
    data = make_regression(n_samples=500, n_features=2, x_range=(-1.0, 1.0))
    assert data.X.min() >= -1.0
    assert data.X.max() < 1.0
    assert data.X.min() < -0.9  # and fills it
    assert data.X.max() > 0.9


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = make_regression(seed=5), make_regression(seed=5), make_regression(seed=6)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    assert not np.array_equal(a.y, c.y)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"n_samples": -3}, "n_samples must be a positive integer"),
        ({"n_samples": 2.5}, "n_samples must be a positive integer"),
        ({"n_features": 0}, "n_features must be a positive integer"),
        ({"n_features": 1.5}, "n_features must be a positive integer"),
        ({"noise": -1.0}, "noise must be a finite number >= 0"),
        ({"noise": np.inf}, "noise must be a finite number >= 0"),
        ({"x_range": (5.0, 5.0)}, "x_range must be"),
        ({"x_range": (10.0, 0.0)}, "x_range must be"),
        ({"x_range": (0.0, np.inf)}, "x_range must be"),
        ({"n_features": 2, "weights": [1.0, 2.0, 3.0]}, "weights has 3 values but n_features is 2"),
        ({"weights": [np.nan]}, "weights and bias must be finite"),
        ({"bias": np.inf}, "weights and bias must be finite"),
        ({"bias": []}, "bias must be a number, got \\[\\]"),
        ({"noise": "1"}, "noise must be a number"),
        ({"seed": -1}, "seed must be a whole number >= 0, got -1"),
        ({"seed": 1.5}, "seed must be a whole number >= 0"),
        ({"n_samples": 10**10}, "need about 480,000,000,000 bytes .*MAX_GENERATED_BYTES"),
        ({"n_samples": 10, "n_features": 10**8}, "fewer rows or features"),
        ({"x_range": (-1e308, 1e308)}, "wider than the floating-point range"),
        ({"x_range": (0.0, 1e308)}, "beyond the floating-point range .* inf"),
        ({"weights": [1e300], "x_range": (0.0, 1e10)}, "beyond the floating-point range"),
        ({"noise": 1e308, "n_samples": 5000}, "beyond the floating-point range"),
    ],
)
def test_bad_arguments_are_rejected(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(LinregError, match=match):
        make_regression(**kwargs)


def test_generated_bytes_counts_both_parts_of_a_split() -> None:
    assert generated_bytes(1000, 1) == 48_000
    assert generated_bytes(10, 3) == 2 * 8 * 10 * 5
    # The largest request under the cap is generated; the cap is checked before allocating.
    assert generated_bytes(10**6, 2) < MAX_GENERATED_BYTES


# -- train_test_split ---------------------------------------------------------------------


@pytest.mark.parametrize(("n", "test_size", "n_test"), [(10, 0.2, 2), (200, 0.25, 50), (7, 0.5, 4)])
def test_split_sizes_and_disjoint_parts(n: int, test_size: float, n_test: int) -> None:
    X = np.arange(2.0 * n).reshape(n, 2)
    y = np.arange(float(n))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=1)
    assert X_test.shape == (n_test, 2)
    assert X_train.shape == (n - n_test, 2)
    assert y_test.shape == (n_test,)
    assert y_train.shape == (n - n_test,)
    # Rows stay paired, the parts are disjoint, and together they are the whole.
    np.testing.assert_array_equal(X_train[:, 0], 2 * y_train)
    np.testing.assert_array_equal(X_test[:, 0], 2 * y_test)
    assert not set(y_train) & set(y_test)
    assert sorted([*y_train, *y_test]) == list(y)


def test_split_follows_its_seed() -> None:
    y = np.arange(50.0)
    a = train_test_split(y, seed=3)
    b = train_test_split(y, seed=3)
    c = train_test_split(y, seed=4)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    assert not np.array_equal(a[0], np.sort(a[0]))  # rows are shuffled


def test_split_keeps_pandas_objects() -> None:
    frame = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) ** 2})
    series = pd.Series(np.arange(10.0), name="target")
    f_train, f_test, s_train, s_test = train_test_split(frame, series, test_size=0.3)
    assert isinstance(f_train, pd.DataFrame)
    assert isinstance(s_test, pd.Series)
    assert len(f_test) == len(s_test) == 3
    np.testing.assert_array_equal(f_train["a"].to_numpy(), s_train.to_numpy())


def test_split_of_a_dataset_keeps_the_truth() -> None:
    data = make_regression(n_samples=40, n_features=2, weights=[1.0, -1.0], seed=2)
    train_part, test_part = train_test_split(data, test_size=0.25, seed=0)
    assert isinstance(train_part, Dataset)
    assert (train_part.n_samples, test_part.n_samples) == (30, 10)
    for part in (train_part, test_part):
        np.testing.assert_array_equal(part.weights, data.weights)
        assert part.bias == data.bias
        assert part.feature_names == data.feature_names
        np.testing.assert_array_equal(part.y_true, part.X @ data.weights + data.bias)
    rows = {tuple(r) for r in train_part.X} | {tuple(r) for r in test_part.X}
    assert rows == {tuple(r) for r in data.X}
    assert not {tuple(r) for r in train_part.X} & {tuple(r) for r in test_part.X}


def test_dataset_subset_picks_rows() -> None:
    data = make_regression(n_samples=10, seed=1)
    part = data.subset(np.array([7, 2]))
    np.testing.assert_array_equal(part.X, data.X[[7, 2]])
    np.testing.assert_array_equal(part.y, data.y[[7, 2]])
    np.testing.assert_array_equal(part.y_true, data.y_true[[7, 2]])
    assert part.seed == data.seed


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.2, 1.5, "0.2", None])
def test_test_size_outside_zero_one_is_rejected(test_size: Any) -> None:
    with pytest.raises(ValueError, match="test size must be strictly between 0 and 1"):
        train_test_split(np.arange(10.0), test_size=test_size)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((), {}, "at least one array"),
        ((np.arange(10.0), np.arange(9.0)), {}, "different lengths: 10 and 9"),
        ((np.arange(1.0),), {"test_size": 0.5}, "leaves an empty part"),
        ((np.arange(10.0),), {"test_size": 0.01}, "leaves an empty part"),
        ((np.arange(10.0),), {"test_size": 0.99}, "leaves an empty part"),
    ],
)
def test_splits_that_cannot_be_made_are_rejected(
    args: tuple[Any, ...], kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        train_test_split(*args, **kwargs)
