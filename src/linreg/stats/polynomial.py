"""``PolynomialRegression``: ``y = B0 + B1 x + ... + Bk x^k`` fitted to full accuracy.

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
from linreg.validation import as_float_array

if TYPE_CHECKING:
    from linreg.stats.inference import Inference, PredictionInterval

__all__ = ["SOLVERS", "PolynomialRegression", "monomial_design"]

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


class PolynomialRegression(RegressorProtocol, ParamsMixin):
    """Polynomial least squares ``y = B0 + B1 x + ... + Bk x^k``, solved exactly.

    Parameters
    ----------
    degree : int, default=2
        Degree ``k >= 1``.
    solver : {"exact"}, default="exact"
        Least squares on the exact monomial design, refined in extended precision
        (see the module docstring).
    fit_intercept : bool, default=True
        Fit ``B0``; otherwise ``B0 = 0``.

    Attributes
    ----------
    coef_ : ndarray of shape (degree,)
        ``B1, ..., Bk``.
    intercept_ : float
        ``B0`` (0.0 without intercept).
    n_features_in_ : int
        Always 1.
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
        self, degree: int = 2, *, solver: str = "exact", fit_intercept: bool = True
    ) -> None:
        self.degree = degree
        self.solver = solver
        self.fit_intercept = fit_intercept

    # -- fitting ---------------------------------------------------------------------------
    def _validate_params(self) -> None:
        degree = self.degree
        if isinstance(degree, (bool, np.bool_)) or not isinstance(degree, (int, np.integer)):
            raise LinregError(f"degree must be an integer >= 1, got {degree!r}")
        if degree < 1:
            raise LinregError(f"degree must be an integer >= 1, got {degree!r}")
        if self.solver not in SOLVERS:
            allowed = ", ".join(repr(s) for s in SOLVERS)
            raise LinregError(f"solver must be one of {allowed}; got {self.solver!r}")
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise LinregError(f"fit_intercept must be True or False, got {self.fit_intercept!r}")

    def fit(self, x: ArrayLike, y: ArrayLike) -> PolynomialRegression:
        """Fit the polynomial to ``(x, y)``; returns self.

        Parameters
        ----------
        x : array-like of shape (n,) or (n, 1)
            The single feature.
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
        x_arr = _as_vector(x, "x")
        y_arr = _as_vector(y, "y")
        if y_arr.shape[0] != x_arr.shape[0]:
            raise LinregError(
                f"x has {x_arr.shape[0]} rows but y has {y_arr.shape[0]}; give one y per x"
            )
        degree = int(self.degree)
        hi, lo = monomial_design(x_arr, degree)
        result = solve(hi, y_arr, fit_intercept=bool(self.fit_intercept), X_lo=lo)
        p = degree + int(bool(self.fit_intercept))
        if result.rank < p:
            powers = ", ".join(f"x^{j + 1}" for j in result.dependent_columns)
            distinct = np.unique(x_arr).size
            warnings.warn(
                f"columns {list(result.dependent_columns)} ({powers}) are linearly dependent "
                f"on the others ({distinct} distinct x values for {p} parameters); "
                "returning the minimum-norm solution",
                RankDeficiencyWarning,
                stacklevel=2,
            )
        self.coef_: Array = result.coef
        self.intercept_ = float(result.intercept)
        self.n_features_in_ = 1
        self.rank_ = result.rank
        self.n_iter_ = result.n_refinements
        self.lstsq_: LstsqResult = result
        # Kept by reference (no copy) so that inference can revisit the data.
        self._x_fit, self._y_fit = x_arr, y_arr
        return self

    # -- using a fitted model --------------------------------------------------------------
    def _residuals(self, x: Array, y: Array) -> Array:
        hi, lo = monomial_design(x, self.coef_.shape[0])
        return residuals(hi, y, self.coef_, self.intercept_, X_lo=lo)

    def predict(self, x: ArrayLike) -> Array:
        """Predictions ``B0 + B1 x + ... + Bk x^k``, shape (n,).

        Parameters
        ----------
        x : array-like of shape (n,) or (n, 1)

        Returns
        -------
        ndarray of shape (n,)
            Each value correctly rounded to within an ulp or so: the sum is
            evaluated in roughly four-fold float64 precision (see
            :func:`linreg.solvers.lstsq.residuals`), so cancellation between the terms
            costs nothing.
        """
        self._check_fitted()
        x_arr = _as_vector(x, "x")
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
            x_arr, y_arr = _as_vector(x, "x"), _as_vector(y, "y")
            if x_arr.shape != y_arr.shape:
                raise LinregError(f"x has {x_arr.shape[0]} rows but y has {y_arr.shape[0]}")
        degree = self.coef_.shape[0]
        hi, lo = monomial_design(x_arr, degree)
        return ols_inference(
            hi,
            y_arr,
            self.coef_,
            self.intercept_,
            fit_intercept=bool(self.fit_intercept),
            names=["x"] + [f"x^{j}" for j in range(2, degree + 1)],
            method=f"polynomial least squares, degree {degree}",
            X_lo=lo,
        )

    def summary(self, x: ArrayLike | None = None, y: ArrayLike | None = None) -> str:
        """The inference table as text, in the layout of statsmodels' OLS summary."""
        return self.inference(x, y).summary()

    def predict_interval(self, x: ArrayLike, alpha: float = 0.05) -> PredictionInterval:
        """Predictions at ``x`` with confidence and prediction intervals (1 - alpha)."""
        self._check_fitted()
        hi, _ = monomial_design(_as_vector(x, "x"), self.coef_.shape[0])
        return self.inference().predict_interval(hi, alpha)

    def score(self, x: ArrayLike, y: ArrayLike) -> float:
        """Coefficient of determination ``R^2 = 1 - RSS / TSS`` on ``(x, y)``.

        Parameters
        ----------
        x : array-like of shape (n,) or (n, 1)
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
        x_arr = _as_vector(x, "x")
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
