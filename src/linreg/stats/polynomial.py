"""``PolynomialRegression``: ``y = B0 + B1 x + ... + Bk x^k`` fitted to full accuracy.

With several inputs ``x_1, ..., x_k`` the terms are every monomial
``x_1^{e_1} ... x_k^{e_k}`` of total degree 1 to ``degree``, interactions included, in
scikit-learn's ``PolynomialFeatures`` order (:func:`linreg.stats.features.polynomial_powers`);
each is formed in double-double as well (:func:`polynomial_design`), so the fit keeps
its exactness. One input is the classic polynomial, computed exactly as before.

Polynomial fits in the monomial basis are notoriously ill-conditioned (NIST's Filip,
degree 10, defeats most statistical software), and part of the trouble is only the
rounding of the powers: ``fl(x**10)`` already differs from ``x**10`` in the 16th digit,
which on Filip costs half of the digits of the coefficients.

This estimator therefore never rounds the design.  :func:`monomial_design` forms the
powers of the float64 ``x`` in double-double arithmetic (Dekker's TwoProduct), so
``x^j = hi + lo`` to about 104 bits, and :func:`linreg.solvers.lstsq.lstsq` solves the least
squares problem for that exact monomial design: its Householder QR of the centred
float64 powers ``hi`` is the preconditioner, and its iterative refinement computes
the residuals ``y - b - (hi + lo) w`` and ``(hi + lo)^T r`` in extended precision.
The coefficients are thus the exact least-squares polynomial of the data as float64
holds them, correctly rounded (checked against rational arithmetic on NIST's Filip and
Wampler1-5: 14.0 and 13.2-15 correct digits against the certified values, which is all
that the float64 data allow).
Predictions and ``score`` evaluate the polynomial in the same extended precision.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.base import ParamsMixin
from linreg.errors import LinregError, RankDeficiencyWarning
from linreg.sklearn_compat import RegressorProtocol
from linreg.solvers.extended import two_product
from linreg.solvers.lstsq import LstsqResult, residuals, solve
from linreg.stats.features import check_degree, polynomial_powers, term_names
from linreg.validation import as_float_array

if TYPE_CHECKING:
    from linreg.stats.inference import Inference, PredictionInterval

__all__ = ["SOLVERS", "PolynomialRegression", "monomial_design", "polynomial_design"]

Array = NDArray[np.float64]

#: Solvers of :class:`PolynomialRegression`.
SOLVERS = ("exact",)


def monomial_design(x: Array, degree: int) -> tuple[Array, Array]:
    """Powers ``x, x^2, ..., x^k`` of a float64 vector in double-double.

    Parameters
    ----------
    x : ndarray of shape (n,)
        Finite float64 values.
    degree : int
        Highest power ``k >= 0``.

    Returns
    -------
    hi : ndarray of shape (n, degree)
        Leading parts, ``hi[:, j-1] = fl(x^j)`` (to within an ulp).
    lo : ndarray of shape (n, degree)
        Trailing parts: ``hi + lo = x^j`` with relative error below ``j * 2**-104``.

    Raises
    ------
    LinregError
        If a power overflows float64 (rescale ``x``).

    Notes
    -----
    ``x^(j+1) = (h + l) x = p + e + l x`` with ``(p, e) = TwoProduct(h, x)``; the
    pair is renormalised by Fast2Sum (``|p| >= |e + l x|``)::

        h' = p + (e + l x);   l' = (e + l x) - (h' - p)
    """
    n = x.shape[0]
    hi = np.empty((n, degree))
    lo = np.empty((n, degree))
    h = np.array(x, dtype=np.float64)
    low = np.zeros(n)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(degree):
            if j:
                p, e = two_product(h, x)
                tail = e + low * x
                h = p + tail
                low = tail - (h - p)
            hi[:, j] = h
            lo[:, j] = low
    if not (np.all(np.isfinite(hi)) and np.all(np.isfinite(lo))):
        raise LinregError(
            f"x**{degree} overflows float64 (largest |x| is {np.max(np.abs(x)):.3g}); "
            "rescale x (for example to thousands of units) or lower the degree"
        )
    return hi, lo


def polynomial_design(X: Array, powers: NDArray[np.int_]) -> tuple[Array, Array]:
    """The terms ``prod_j x_j^{e_j}`` of several inputs in double-double, ``hi + lo``.

    Parameters
    ----------
    X : ndarray of shape (n, k)
        Finite float64 inputs.
    powers : ndarray of int, shape (n_terms, k)
        The exponents of each term (:func:`linreg.stats.features.polynomial_powers`),
        each of total degree >= 1.

    Returns
    -------
    hi, lo : ndarrays of shape (n, n_terms)
        ``hi + lo`` is each term to about 2**-100 relative: the powers of each input
        come from :func:`monomial_design` (a term of one input is its column, as is),
        and a product of two double-doubles ``(h1 + l1)(h2 + l2)`` is
        ``p + e + h1 l2 + l1 h2`` with ``(p, e) = TwoProduct(h1, h2)``, renormalised by
        Fast2Sum (the ``l1 l2`` term is below 2**-104 of it).

    Raises
    ------
    LinregError
        If a power or product overflows float64.
    """
    top = powers.max(axis=0) if powers.size else np.zeros(X.shape[1], dtype=np.int_)
    columns = [monomial_design(X[:, j], int(top[j])) for j in range(X.shape[1])]
    n = X.shape[0]
    hi, lo = np.empty((n, powers.shape[0])), np.empty((n, powers.shape[0]))
    with np.errstate(over="ignore", invalid="ignore"):
        for t, row in enumerate(powers):
            factors = [
                (columns[j][0][:, e - 1], columns[j][1][:, e - 1])
                for j, e in enumerate(row.tolist())
                if e
            ]
            h, low = factors[0]
            for h2, l2 in factors[1:]:
                p, e = two_product(h, h2)
                tail = e + (h * l2 + low * h2)
                h = p + tail
                low = tail - (h - p)
            hi[:, t], lo[:, t] = h, low
    if not (np.all(np.isfinite(hi)) and np.all(np.isfinite(lo))):
        raise LinregError(
            f"a product of the inputs overflows float64 (largest |x| is "
            f"{np.max(np.abs(X)):.3g}); rescale the inputs or lower the degree"
        )
    return hi, lo


def _as_vector(value: Any, what: str) -> Array:
    arr = as_float_array(value, what)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise LinregError(
            f"{what} must have shape (n,) or (n, 1) (one feature); got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise LinregError(f"{what} is empty; give at least one value")
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LinregError(
            f"{what} contains a non-finite value at row {row} "
            f"({int(bad.sum())} in all); remove or impute them before fitting"
        )
    return np.ascontiguousarray(arr)


def _as_inputs(value: Any, what: str) -> Array:
    """The inputs as float64 of shape (n, k): a vector is one input, (n, k) k inputs."""
    arr = as_float_array(value, what)
    if arr.ndim == 2 and arr.shape[1] == 1:
        return _as_vector(arr, what)[:, None]
    if arr.ndim == 1:
        return _as_vector(arr, what)[:, None]
    if arr.ndim != 2:
        raise LinregError(
            f"{what} must have shape (n,) (one input) or (n, k) (k inputs); got shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise LinregError(f"{what} is empty; give at least one row and one column")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise LinregError(
            f"{what} contains a non-finite value at row {row}, column {col} "
            f"({int(bad.sum())} in all); remove or impute them before fitting"
        )
    return np.ascontiguousarray(arr)


class PolynomialRegression(RegressorProtocol, ParamsMixin):
    """Polynomial least squares ``y = B0 + B1 x + ... + Bk x^k``, solved exactly.

    Parameters
    ----------
    degree : int, default=2
        Degree ``k >= 1``: with several inputs, the highest total degree of a term.
    solver : {"exact"}, default="exact"
        Least squares on the exact monomial design, refined in extended precision
        (see the module docstring).
    fit_intercept : bool, default=True
        Fit ``B0``; otherwise ``B0 = 0``.
    interaction_only : bool, default=False
        With several inputs, only products of distinct inputs (``x1 x2``, not ``x1^2``).

    Attributes
    ----------
    coef_ : ndarray of shape (n_terms,)
        ``B1, ..., Bk`` for one input; one per term of :attr:`powers_` for several.
    intercept_ : float
        ``B0`` (0.0 without intercept).
    n_features_in_ : int
        The number of inputs.
    powers_ : ndarray of int, shape (n_terms, n_features_in_)
        Each term's exponents, in scikit-learn's ``PolynomialFeatures`` order.
    term_names_ : list of str
        ``x, x^2, ...`` for one input; ``x1, x2, x1^2, x1 x2, ...`` for several.
    rank_ : int
        Numerical rank of the (centred) monomial design, intercept included.
    n_iter_ : int
        Refinement steps taken.
    lstsq_ : LstsqResult
        The solver's full result (``R`` factor and so on).

    Notes
    -----
    The monomial design is held exactly as ``hi + lo`` (:func:`monomial_design`);
    the solution minimises ``sum_i (y_i - B0 - sum_j Bj x_i^j)^2`` for the float64
    ``x_i`` and ``y_i`` with no rounding of the powers.  Fewer distinct ``x`` values
    than parameters make the design rank deficient: a
    :class:`~linreg.errors.RankDeficiencyWarning` names the powers that are
    dropped and the minimum-norm coefficients are returned.
    """

    def __init__(
        self,
        degree: int = 2,
        *,
        solver: str = "exact",
        fit_intercept: bool = True,
        interaction_only: bool = False,
    ) -> None:
        self.degree = degree
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.interaction_only = interaction_only

    # -- fitting ---------------------------------------------------------------------------
    def _validate_params(self) -> None:
        check_degree(self.degree)
        if self.solver not in SOLVERS:
            allowed = ", ".join(repr(s) for s in SOLVERS)
            raise LinregError(f"solver must be one of {allowed}; got {self.solver!r}")
        for flag in ("fit_intercept", "interaction_only"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise LinregError(f"{flag} must be True or False, got {getattr(self, flag)!r}")

    def fit(self, x: ArrayLike, y: ArrayLike) -> PolynomialRegression:
        """Fit the polynomial to ``(x, y)``; returns self.

        Parameters
        ----------
        x : array-like of shape (n,), (n, 1) or (n, k)
            One input, or k inputs.
        y : array-like of shape (n,)
            Targets.

        Raises
        ------
        LinregError
            Bad hyperparameters or data (a ``ValueError``).

        Warns
        -----
        RankDeficiencyWarning
            Fewer distinct ``x`` than parameters (or otherwise dependent powers).
        """
        self._validate_params()
        x_arr = _as_inputs(x, "x")
        y_arr = _as_vector(y, "y")
        if y_arr.shape[0] != x_arr.shape[0]:
            raise LinregError(
                f"x has {x_arr.shape[0]} rows but y has {y_arr.shape[0]}; give one y per x"
            )
        k = x_arr.shape[1]
        self.powers_ = polynomial_powers(
            k, int(self.degree), interaction_only=bool(self.interaction_only) and k > 1
        )
        self.term_names_ = _names(self.powers_)
        hi, lo = self._design(x_arr)
        result = solve(hi, y_arr, fit_intercept=bool(self.fit_intercept), X_lo=lo)
        p = self.powers_.shape[0] + int(bool(self.fit_intercept))
        if result.rank < p:
            powers = ", ".join(self.term_names_[j] for j in result.dependent_columns)
            distinct = np.unique(x_arr, axis=0).shape[0]
            points = "x values" if k == 1 else "rows of x"
            warnings.warn(
                f"columns {list(result.dependent_columns)} ({powers}) are linearly dependent "
                f"on the others ({distinct} distinct {points} for {p} parameters); "
                "returning the minimum-norm solution",
                RankDeficiencyWarning,
                stacklevel=2,
            )
        self.coef_: Array = result.coef
        self.intercept_ = float(result.intercept)
        self.n_features_in_ = k
        self.rank_ = result.rank
        self.n_iter_ = result.n_refinements
        self.lstsq_: LstsqResult = result
        # Kept by reference (no copy) so that inference can revisit the data.
        self._x_fit, self._y_fit = x_arr, y_arr
        return self

    # -- using a fitted model --------------------------------------------------------------
    def _design(self, x: Array) -> tuple[Array, Array]:
        """The terms of ``x`` (n, k) in double-double: the powers of one input as before."""
        if x.shape[1] != self.powers_.shape[1]:
            raise LinregError(
                f"x has {x.shape[1]} input(s) but the model was fitted with "
                f"{self.powers_.shape[1]}; give the same inputs as in training"
            )
        if x.shape[1] == 1:
            return monomial_design(x[:, 0], self.powers_.shape[0])
        return polynomial_design(x, self.powers_)

    def _residuals(self, x: Array, y: Array) -> Array:
        hi, lo = self._design(x)
        return residuals(hi, y, self.coef_, self.intercept_, X_lo=lo)

    def predict(self, x: ArrayLike) -> Array:
        """Predictions ``B0 + B1 x + ... + Bk x^k``, shape (n,).

        Parameters
        ----------
        x : array-like of shape (n,), (n, 1) or (n, k)

        Returns
        -------
        ndarray of shape (n,)
            Each value correctly rounded to within an ulp or so: the sum is
            evaluated in roughly four-fold float64 precision (see
            :func:`linreg.solvers.lstsq.residuals`), so cancellation between the terms
            costs nothing.
        """
        self._check_fitted()
        x_arr = _as_inputs(x, "x")
        # The residual of a zero target is exactly minus the prediction.
        return -self._residuals(x_arr, np.zeros(x_arr.shape[0]))

    # -- inference -------------------------------------------------------------------------
    def inference(self, x: ArrayLike | None = None, y: ArrayLike | None = None) -> Inference:
        """Standard errors, t and p values, R^2, F, AIC/BIC... of B0..Bk.

        Computed on the exact monomial design (powers of x held as double-double),
        so the standard errors are as accurate as the coefficients. Parameters are
        named ``intercept, x, x^2, ..., x^k``.

        Parameters
        ----------
        x, y : array-like, optional
            The data to assess the fit on; by default the training data.
        """
        from linreg.stats.inference import ols_inference

        self._check_fitted()
        if (x is None) != (y is None):
            raise LinregError("give both x and y, or neither")
        if x is None:
            x_arr, y_arr = self._x_fit, self._y_fit
        else:
            x_arr, y_arr = _as_inputs(x, "x"), _as_vector(y, "y")
            if x_arr.shape[0] != y_arr.shape[0]:
                raise LinregError(f"x has {x_arr.shape[0]} rows but y has {y_arr.shape[0]}")
        hi, lo = self._design(x_arr)
        degree = int(self.powers_.sum(axis=1).max())
        return ols_inference(
            hi,
            y_arr,
            self.coef_,
            self.intercept_,
            fit_intercept=bool(self.fit_intercept),
            names=self.term_names_,
            method=f"polynomial least squares, degree {degree}",
            X_lo=lo,
        )

    def summary(self, x: ArrayLike | None = None, y: ArrayLike | None = None) -> str:
        """The inference table as text, in the layout of statsmodels' OLS summary."""
        return self.inference(x, y).summary()

    def predict_interval(self, x: ArrayLike, alpha: float = 0.05) -> PredictionInterval:
        """Predictions at ``x`` with confidence and prediction intervals (1 - alpha)."""
        self._check_fitted()
        hi, _ = self._design(_as_inputs(x, "x"))
        return self.inference().predict_interval(hi, alpha)

    def score(self, x: ArrayLike, y: ArrayLike) -> float:
        """Coefficient of determination ``R^2 = 1 - RSS / TSS`` on ``(x, y)``.

        Parameters
        ----------
        x : array-like of shape (n,), (n, 1) or (n, k)
        y : array-like of shape (n,)

        Returns
        -------
        float
            ``RSS = sum (y - y_pred)^2``, ``TSS = sum (y - mean(y))^2``, both
            summed exactly rounded (``math.fsum``) from residuals computed in
            extended precision.  A constant ``y`` scores 1.0 if predicted
            exactly and 0.0 otherwise.
        """
        self._check_fitted()
        x_arr = _as_inputs(x, "x")
        y_arr = _as_vector(y, "y")
        if y_arr.shape[0] != x_arr.shape[0]:
            raise LinregError(f"x has {x_arr.shape[0]} rows but y has {y_arr.shape[0]}")
        r = self._residuals(x_arr, y_arr)
        rss = math.fsum((r * r).tolist())
        ybar = math.fsum(y_arr.tolist()) / y_arr.shape[0]
        dev = y_arr - ybar
        tss = math.fsum((dev * dev).tolist())
        if tss == 0.0:
            return 1.0 if rss == 0.0 else 0.0
        return 1.0 - rss / tss


def _names(powers: NDArray[np.int_]) -> list[str]:
    """Term names: ``x, x^2, ...`` for one input; ``x1, x1^2, x1 x2, ...`` for several."""
    k = powers.shape[1]
    return term_names(powers, ["x"] if k == 1 else [f"x{j + 1}" for j in range(k)])
