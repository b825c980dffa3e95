"""Hypothesis strategies for the test suite, and the NumPy oracle they rely on.

Every property test draws its data from here so that "a well-conditioned
regression problem" means the same thing everywhere. The oracle ``ols`` is
``numpy.linalg.lstsq`` on the design matrix [X 1]; it never calls linreg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import assume, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: Settings of the property tests: few examples (the suite must stay fast) and no
#: deadline (a fit's first call can be slow on a loaded machine).
FAST = settings(max_examples=25, deadline=None)


def design(X: Array, fit_intercept: bool = True) -> Array:
    """The design matrix A = [X 1], or X itself without an intercept."""
    return np.column_stack([X, np.ones(X.shape[0])]) if fit_intercept else X


def ols(X: Array, y: Array, fit_intercept: bool = True) -> tuple[Array, float]:
    """Least-squares (coef, intercept) by ``numpy.linalg.lstsq``: the closed-form oracle."""
    theta = np.linalg.lstsq(design(X, fit_intercept), y, rcond=None)[0]
    if fit_intercept:
        return theta[:-1], float(theta[-1])
    return theta, 0.0


def hessian_eigenvalues(X: Array, fit_intercept: bool = True) -> Array:
    """Eigenvalues (ascending) of the MSE Hessian (2/N) A^T A, from the SVD of A."""
    sv = np.linalg.svd(design(X, fit_intercept), compute_uv=False)
    return np.sort(2.0 * sv**2 / X.shape[0])


def standardized(X: Array, fit_intercept: bool = True) -> Array:
    """X scaled to unit variance, and centred when there is an intercept to absorb the mean."""
    Z = X / X.std(axis=0)
    return Z - Z.mean(axis=0) if fit_intercept else Z


@dataclass(frozen=True)
class Problem:
    """A regression problem y = X coef + intercept + noise, and its truth."""

    X: Array
    y: Array
    coef: Array
    intercept: float
    noise: float

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


def _condition(X: Array, fit_intercept: bool) -> float:
    eig = hessian_eigenvalues(X, fit_intercept)
    return float(eig[-1] / eig[0]) if eig[0] > 0 else np.inf


finite_floats = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, allow_subnormal=False)


@st.composite
def regression_problems(
    draw: st.DrawFn,
    *,
    max_features: int = 4,
    centered: bool = False,
    max_condition: float = 30.0,
    noise: bool = True,
) -> Problem:
    """Well-conditioned regression problems of random shape.

    Parameters
    ----------
    max_features : int
        Features d are drawn from 1..max_features; rows N from 3d + 6 to 3d + 30.
    centered : bool
        True: features are centred with spread in [0.5, 2], so that raw [X 1] is
        well conditioned (plain gradient descent converges quickly). False:
        features have offsets up to +-20 and spreads from 0.1 to 10, and only the
        standardized problem is well conditioned.
    max_condition : float
        Largest condition number of the Hessian that gradient descent will face
        (raw when ``centered``, standardized otherwise); others are rejected.
    noise : bool
        Add Gaussian noise with a drawn standard deviation in [0, 1].
    """
    d = draw(st.integers(min_value=1, max_value=max_features))
    n = draw(st.integers(min_value=3 * d + 6, max_value=3 * d + 30))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    coef = np.array(draw(st.lists(finite_floats, min_size=d, max_size=d)))
    intercept = draw(finite_floats)
    sigma = draw(st.floats(min_value=0.0, max_value=1.0)) if noise else 0.0
    spread = st.floats(min_value=0.5, max_value=2.0) if centered else st.floats(0.1, 10.0)
    scale = np.array(draw(st.lists(spread, min_size=d, max_size=d)))
    offset = (
        np.zeros(d)
        if centered
        else np.array(draw(st.lists(st.floats(-20.0, 20.0), min_size=d, max_size=d)))
    )

    rng = np.random.default_rng(seed)
    X = offset + scale * rng.standard_normal((n, d))
    y = X @ coef + intercept + sigma * rng.standard_normal(n)
    seen = X if centered else standardized(X)
    assume(_condition(seen, fit_intercept=True) <= max_condition)
    return Problem(X=X, y=y, coef=coef, intercept=intercept, noise=sigma)


@st.composite
def parameters(draw: st.DrawFn, n_features: int) -> tuple[Array, float]:
    """A point (W, b) in parameter space with entries in [-10, 10]."""
    W = np.array(draw(st.lists(finite_floats, min_size=n_features, max_size=n_features)))
    return W, draw(finite_floats)


def vector_pairs(
    elements: st.SearchStrategy[float] | None = None, max_size: int = 30
) -> st.SearchStrategy[tuple[Array, Array]]:
    """Two float vectors of the same length 1..max_size (e.g. y_true and y_pred)."""
    if elements is None:
        elements = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)

    def pair(n: int) -> st.SearchStrategy[tuple[Array, Array]]:
        vec = hnp.arrays(np.float64, n, elements=elements)
        return st.tuples(vec, vec)

    return st.integers(min_value=1, max_value=max_size).flatmap(pair)


#: Numbers on a grid of quarters: sums of squares stay exact enough that two correct
#: implementations of a metric agree to round-off even for near-constant vectors.
grid_floats = st.integers(min_value=-4000, max_value=4000).map(lambda k: k / 4.0)
