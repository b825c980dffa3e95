"""Tests of a linear model's residuals: normality, autocorrelation, heteroskedasticity.

Each function takes the residuals ``e`` (shape (n,)) of a least-squares fit, and the
heteroskedasticity tests also its features ``X`` (shape (n, d)), and returns a
:class:`TestResult`. The definitions are statsmodels' (``jarque_bera``,
``omni_normtest``, ``durbin_watson``, ``het_breuschpagan``, ``het_white``), written
here from the published formulas:

- Jarque–Bera:  ``JB = n/6 (S^2 + (K - 3)^2 / 4)`` with the (biased) sample skewness
  ``S`` and kurtosis ``K`` of ``e``; chi-squared with 2 degrees of freedom.
- Omnibus (D'Agostino–Pearson K^2): ``K^2 = Z_S^2 + Z_K^2``, the normal scores of the
  skewness (D'Agostino, 1970) and of the kurtosis (Anscombe & Glynn, 1983); chi-squared
  with 2 degrees of freedom. Needs ``n >= 8``.
- Durbin–Watson:  ``DW = sum (e_i - e_{i-1})^2 / sum e_i^2`` (about 2 without first-order
  autocorrelation; it depends on the row order, and has no p-value here).
- Breusch–Pagan (Koenker's studentized LM form): regress ``u = e^2`` on ``[1, X]``;
  ``LM = n R^2``, chi-squared with ``d`` degrees of freedom; with the auxiliary
  regression's F test beside it.
- White: the same with ``[1, X]``, the squares and the cross products of the columns of
  ``X`` as regressors; the degrees of freedom are the rank of that design less one.

The auxiliary regressions always include the constant, whether the model had an
intercept or not (as statsmodels' tests require of their ``exog``). Their columns are
formed from the standardized features: the span of polynomials of degree at most two
does not change under shifts and scalings of the columns, and standardized columns keep
the products, and the rank decision, well-conditioned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

__all__ = [
    "TestResult",
    "breusch_pagan",
    "durbin_watson",
    "jarque_bera",
    "omnibus",
    "white",
]

Array = NDArray[np.float64]

#: White's auxiliary design is n x (1 + d + d(d+1)/2); above this many entries the test
#: is left out (with a note) rather than filling memory.
WHITE_MAX_ENTRIES = 20_000_000


@dataclass(frozen=True)
class TestResult:
    """One test: its statistic, p-value (None where it has none) and degrees of freedom.

    Attributes
    ----------
    name : str
    statistic : float
        NaN when the test does not apply to these data (``note`` says why).
    p_value : float or None
    df : int or None
        Degrees of freedom of the chi-squared reference distribution.
    f_statistic, f_p_value : float or None
        The auxiliary regression's F test (Breusch–Pagan and White only).
    note : str
        Empty, or why the test was not computed.
    """

    __test__ = False  # not a pytest class, whatever its name

    name: str
    statistic: float
    p_value: float | None
    df: int | None = None
    f_statistic: float | None = None
    f_p_value: float | None = None
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        """The fields as a JSON-ready dict (NaN as None)."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else float(v)

        return {
            "name": self.name,
            "statistic": num(self.statistic),
            "p_value": num(self.p_value),
            "df": self.df,
            "f_statistic": num(self.f_statistic),
            "f_p_value": num(self.f_p_value),
            "note": self.note,
        }


def _moments(e: Array) -> tuple[float, float]:
    """Biased sample skewness ``m3 / m2^1.5`` and kurtosis ``m4 / m2^2`` (Pearson's).

    Computed on ``c / max|c|`` (``c = e - mean(e)``): both are scale-free, and tiny
    residuals (an exact fit's rounding) would underflow in the fourth powers.
    """
    c = e - e.mean()
    top = float(np.max(np.abs(c))) if c.size else 0.0
    if not top > 0.0:
        return math.nan, math.nan
    c = c / top
    m2 = float(np.mean(c**2))
    return float(np.mean(c**3)) / m2**1.5, float(np.mean(c**4)) / m2**2


def jarque_bera(e: Array) -> tuple[TestResult, float, float]:
    """Jarque–Bera test of normality; also returns the skewness and kurtosis of ``e``."""
    n = e.shape[0]
    skew, kurt = _moments(e)
    jb = n / 6.0 * (skew**2 + (kurt - 3.0) ** 2 / 4.0)
    p = float(stats.chi2.sf(jb, 2)) if math.isfinite(jb) else math.nan
    return TestResult("Jarque-Bera", jb, p, 2), skew, kurt


def _skew_score(skew: float, n: int) -> float:
    """D'Agostino's normal score of the sample skewness (valid for n >= 8)."""
    y = skew * math.sqrt((n + 1) * (n + 3) / (6.0 * (n - 2)))
    beta2 = (
        3.0 * (n * n + 27 * n - 70) * (n + 1) * (n + 3) / ((n - 2) * (n + 5) * (n + 7) * (n + 9))
    )
    w2 = -1.0 + math.sqrt(2.0 * (beta2 - 1.0))
    delta = 1.0 / math.sqrt(0.5 * math.log(w2))
    a = math.sqrt(2.0 / (w2 - 1.0))
    return delta * math.asinh(y / a)


def _kurtosis_score(kurt: float, n: int) -> float:
    """Anscombe and Glynn's normal score of the sample kurtosis (Pearson's, biased)."""
    mean = 3.0 * (n - 1) / (n + 1)
    var = 24.0 * n * (n - 2) * (n - 3) / ((n + 1) ** 2 * (n + 3) * (n + 5))
    x = (kurt - mean) / math.sqrt(var)
    root_b1 = (
        6.0
        * (n * n - 5 * n + 2)
        / ((n + 7) * (n + 9))
        * math.sqrt(6.0 * (n + 3) * (n + 5) / (n * (n - 2) * (n - 3)))
    )
    a = 6.0 + 8.0 / root_b1 * (2.0 / root_b1 + math.sqrt(1.0 + 4.0 / root_b1**2))
    denom = 1.0 + x * math.sqrt(2.0 / (a - 4.0))
    if denom == 0.0:
        return math.nan
    term = math.copysign(abs((1.0 - 2.0 / a) / denom) ** (1.0 / 3.0), denom)
    return (1.0 - 2.0 / (9.0 * a) - term) / math.sqrt(2.0 / (9.0 * a))


def omnibus(e: Array) -> TestResult:
    """D'Agostino–Pearson omnibus test of normality, ``K^2 = Z_S^2 + Z_K^2``."""
    n = e.shape[0]
    if n < 8:
        return TestResult("Omnibus", math.nan, math.nan, 2, note="needs at least 8 rows")
    skew, kurt = _moments(e)
    if not math.isfinite(skew):
        return TestResult("Omnibus", math.nan, math.nan, 2, note="the residuals are all equal")
    k2 = _skew_score(skew, n) ** 2 + _kurtosis_score(kurt, n) ** 2
    p = float(stats.chi2.sf(k2, 2)) if math.isfinite(k2) else math.nan
    return TestResult("Omnibus", k2, p, 2)


def durbin_watson(e: Array) -> TestResult:
    """Durbin–Watson statistic ``sum diff(e)^2 / sum e^2`` (rows in their given order)."""
    ss = float(e @ e)
    d = np.diff(e)
    dw = float(d @ d) / ss if ss > 0.0 else math.nan
    return TestResult("Durbin-Watson", dw, None)


def _standardized(X: Array) -> Array:
    """Columns centred and scaled to unit norm; constant columns dropped (the 1 covers them)."""
    c = X - X.mean(axis=0)
    norms = np.sqrt(np.einsum("ij,ij->j", c, c))
    keep = norms > 0.0
    return np.asarray(c[:, keep] / norms[keep])


def _auxiliary(name: str, u: Array, B: Array) -> TestResult:
    """LM = n R^2 and the F test of regressing ``u`` on ``[1, B]`` (B's columns centred)."""
    n = u.shape[0]
    design = np.column_stack([np.full(n, 1.0 / math.sqrt(n)), B])
    k = design.shape[1]
    coef, _, rank_, _ = np.linalg.lstsq(design, u, rcond=None)  # minimum norm if deficient
    rank = int(rank_)
    df_model, df_resid = rank - 1, n - rank
    if df_model < 1 or df_resid < 1:
        return TestResult(
            name,
            math.nan,
            math.nan,
            note=f"its auxiliary regression has {k} columns (rank {rank}) for {n} rows",
        )
    resid = u - design @ coef
    ssr = float(resid @ resid)
    centred = u - u.mean()
    tss = float(centred @ centred)
    if tss == 0.0:
        return TestResult(
            name, math.nan, math.nan, df_model, note="the squared residuals are equal"
        )
    r2 = 1.0 - ssr / tss
    lm = n * r2
    f = ((tss - ssr) / df_model) / (ssr / df_resid) if ssr > 0.0 else math.inf
    return TestResult(
        name,
        lm,
        float(stats.chi2.sf(lm, df_model)),
        df_model,
        f,
        float(stats.f.sf(f, df_model, df_resid)),
    )


def breusch_pagan(e: Array, X: Array) -> TestResult:
    """Breusch–Pagan (Koenker) LM test: ``n R^2`` of ``e^2`` regressed on ``[1, X]``."""
    return _auxiliary("Breusch-Pagan", e**2, _standardized(X))


def white(e: Array, X: Array) -> TestResult:
    """White's test: ``n R^2`` of ``e^2`` on ``[1, X]``, the squares and cross products."""
    n, d = X.shape
    k = 1 + d + d * (d + 1) // 2
    if n * k > WHITE_MAX_ENTRIES:
        return TestResult(
            "White",
            math.nan,
            math.nan,
            note=f"its auxiliary design ({n} x {k}) is too large; left out",
        )
    Z = _standardized(X)
    i0, i1 = np.triu_indices(Z.shape[1])
    B = np.column_stack([Z, Z[:, i0] * Z[:, i1]])
    return _auxiliary("White", e**2, _standardized(B))
