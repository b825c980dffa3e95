"""Polynomial features: every product of the inputs up to a degree, as new columns.

With inputs ``x_1, ..., x_k`` and degree ``D``, the polynomial features are the
monomials ``x_1^{e_1} ... x_k^{e_k}`` of total degree ``1 <= e_1 + ... + e_k <= D``
(and the constant 1 with ``include_bias``); ``interaction_only`` keeps those with every
``e_j <= 1``. A linear model on them is a polynomial in the inputs: ``y = b + sum_t B_t
m_t(x)``, still linear in the coefficients, so least squares, ridge and the lasso fit it
unchanged.

Their order is scikit-learn's ``PolynomialFeatures``: by degree, then the
combinations of the inputs (with repetition) in lexicographic order, so for two
inputs and degree 2: ``1, x0, x1, x0^2, x0 x1, x1^2``; the names are written alike.
:func:`polynomial_powers` lists the exponents (shared by
:class:`linreg.stats.polynomial.PolynomialRegression`, which forms the same terms in
double-double arithmetic), :class:`PolynomialFeatures` is the transformer for
pipelines (``fit``, ``transform``, ``get_feature_names_out``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, combinations, combinations_with_replacement
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.base import ParamsMixin
from linreg.errors import LinregError, NotFittedError
from linreg.validation import check_X

__all__ = ["PolynomialFeatures", "check_degree", "polynomial_powers", "term_names"]

Array = NDArray[np.float64]
Powers = NDArray[np.int_]


def check_degree(degree: object) -> int:
    """``degree`` as an int ``>= 1``, or a :class:`LinregError` naming the bad value."""
    if isinstance(degree, (bool, np.bool_)) or not isinstance(degree, (int, np.integer)):
        raise LinregError(f"degree must be an integer >= 1, got {degree!r}")
    if degree < 1:
        raise LinregError(f"degree must be an integer >= 1, got {degree!r}")
    return int(degree)


def polynomial_powers(
    n_features: int, degree: int, *, interaction_only: bool = False, include_bias: bool = False
) -> Powers:
    """The exponents of every term, shape (n_terms, n_features), in scikit-learn's order.

    Row t holds ``e_1, ..., e_k`` of the term ``x_1^{e_1} ... x_k^{e_k}``.

    >>> polynomial_powers(2, 2).tolist()
    [[1, 0], [0, 1], [2, 0], [1, 1], [0, 2]]
    """
    choose = combinations if interaction_only else combinations_with_replacement
    start = 0 if include_bias else 1
    terms = chain.from_iterable(choose(range(n_features), d) for d in range(start, degree + 1))
    rows = [np.bincount(np.array(term, dtype=np.int_), minlength=n_features) for term in terms]
    if not rows:
        return np.zeros((0, n_features), dtype=np.int_)
    return np.array(rows, dtype=np.int_)


def term_names(powers: Powers, names: Sequence[str]) -> list[str]:
    """Each term's name: ``"1"``, ``"x0"``, ``"x0^2"``, ``"x0 x1"`` (scikit-learn's style)."""
    out = []
    for row in powers:
        parts = [names[j] if e == 1 else f"{names[j]}^{e}" for j, e in enumerate(row.tolist()) if e]
        out.append(" ".join(parts) if parts else "1")
    return out


def monomials(X: Array, powers: Powers) -> Array:
    """The terms as columns, shape (N, n_terms): ``prod_j X[:, j] ** powers[t, j]``."""
    out = np.ones((X.shape[0], powers.shape[0]))
    for t, row in enumerate(powers):
        for j, e in enumerate(row.tolist()):
            if e:
                out[:, t] *= X[:, j] ** e
    return out


class PolynomialFeatures(ParamsMixin):
    """A transformer to the polynomial features of its inputs, for scikit-learn pipelines.

    Parameters
    ----------
    degree : int, default=2
        Highest total degree ``D >= 1``.
    interaction_only : bool, default=False
        Only products of distinct inputs (every exponent 0 or 1).
    include_bias : bool, default=False
        Add the constant column 1 first (leave it out when the model fits an intercept).

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame.
    powers_ : ndarray of shape (n_output_features_, n_features_in_)
        The exponents of each output column.
    n_output_features_ : int

    Examples
    --------
    >>> import numpy as np
    >>> features = PolynomialFeatures(degree=2).fit(np.array([[2.0, 3.0]]))
    >>> features.get_feature_names_out().tolist()
    ['x0', 'x1', 'x0^2', 'x0 x1', 'x1^2']
    >>> features.transform(np.array([[2.0, 3.0]])).tolist()
    [[2.0, 3.0, 4.0, 6.0, 9.0]]
    """

    def __init__(
        self, degree: int = 2, *, interaction_only: bool = False, include_bias: bool = False
    ) -> None:
        self.degree = degree
        self.interaction_only = interaction_only
        self.include_bias = include_bias

    def _validate_params(self) -> int:
        degree = check_degree(self.degree)
        for flag in ("interaction_only", "include_bias"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise LinregError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        return degree

    def fit(self, X: ArrayLike, y: Any = None) -> PolynomialFeatures:
        """Learn the number (and names) of the inputs; returns self. ``y`` is ignored."""
        degree = self._validate_params()
        X_arr, names = check_X(X)
        self.n_features_in_ = X_arr.shape[1]
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        else:
            vars(self).pop("feature_names_in_", None)
        self.powers_: Powers = polynomial_powers(
            X_arr.shape[1],
            degree,
            interaction_only=bool(self.interaction_only),
            include_bias=bool(self.include_bias),
        )
        self.n_output_features_ = int(self.powers_.shape[0])
        return self

    def transform(self, X: ArrayLike) -> Array:
        """The polynomial features of ``X``, shape (N, n_output_features_)."""
        if not hasattr(self, "powers_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")
        names = getattr(self, "feature_names_in_", None)
        X_arr, _ = check_X(
            X,
            n_features=self.n_features_in_,
            feature_names=None if names is None else list(names),
        )
        return monomials(X_arr, self.powers_)

    def fit_transform(self, X: ArrayLike, y: Any = None) -> Array:
        """``fit(X).transform(X)``."""
        return self.fit(X, y).transform(X)

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> NDArray[Any]:
        """The output columns' names, e.g. ``x0, x1, x0^2, x0 x1, x1^2``.

        ``input_features`` names the inputs; by default those of the DataFrame fitted
        on, else ``x0, x1, ...`` (scikit-learn's convention).
        """
        if not hasattr(self, "powers_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")
        if input_features is None:
            fitted = getattr(self, "feature_names_in_", None)
            names = (
                [f"x{j}" for j in range(self.n_features_in_)]
                if fitted is None
                else [str(n) for n in fitted]
            )
        else:
            names = [str(n) for n in input_features]
            if len(names) != self.n_features_in_:
                raise LinregError(
                    f"input_features has {len(names)} names but the transformer was fitted "
                    f"on {self.n_features_in_} features"
                )
        return np.asarray(term_names(self.powers_, names), dtype=object)
