"""Regression diagnostics: leverage, influence, collinearity and tests of the residuals.

For the design ``A = [1 X]`` (or ``X`` without intercept), ``n`` rows and ``p`` columns,
the estimates ``theta`` and the residuals ``e = y - A theta``:

- leverage                 ``h_i = a_i^T (A^T A)^{-1} a_i``, the diagonal of the hat matrix
                           ``H = A (A^T A)^{-1} A^T = Q Q^T``: ``h_i = |q_i|^2``, the squared norm
                           of row ``i`` of the thin ``Q`` of ``A = Q R_A``
- residual variance        ``s^2 = RSS / (n - p)``; without row ``i``:
                           ``s_(i)^2 = (RSS - e_i^2 / (1 - h_i)) / (n - p - 1)``
- studentized residuals    internal ``e_i / (s sqrt(1 - h_i))``, external
                           ``e_i / (s_(i) sqrt(1 - h_i))``
- Cook's distance          ``D_i = r_i^2 h_i / (p (1 - h_i))``, ``r_i`` internal
- DFFITS                   ``t_i sqrt(h_i / (1 - h_i))``, ``t_i`` external
- DFBETAS                  ``(theta - theta_(i))_j / (s_(i) sqrt([(A^T A)^{-1}]_jj))`` with
                           ``theta - theta_(i) = (A^T A)^{-1} a_i e_i / (1 - h_i)``
- VIF                      ``1 / (1 - R_j^2)`` of column ``j`` regressed on the others (and the
                           constant): ``|z_j|^2 [(Z^T Z)^{-1}]_jj`` for the centred columns ``z_j``
                           (the uncentred ones without intercept)

statsmodels' ``OLSInfluence`` and ``variance_inflation_factor`` define the same numbers.

With row weights ``w`` (weighted least squares) every formula above is taken on the
whitened rows ``sqrt(w_i) a_i``, ``sqrt(w_i) y_i``, whose ordinary least squares is the
weighted fit: leverage from ``sqrt(W) A (A^T W A)^{-1} A^T sqrt(W)``, the whitened
residuals ``sqrt(w_i) e_i`` in ``s^2 = sum(w e^2) / (n - p)`` and the studentized
residuals, the VIFs of the weighted, weight-centred columns (statsmodels:
``OLS(sqrt(w) y, sqrt(w) A).get_influence()``). Rows of weight zero are left out, as
in the weighted inference; ``row_labels`` keep the others' names.
Nothing ``n x n`` is formed: the exact solver's factor ``Z = [1, X - 1 m^T] = Q R``
(:class:`linreg.solvers.result.LstsqResult`) gives the rows of ``Q = Z R^{-1}`` (one
triangular solve), and ``(A^T A)^{-1} a_i = T R^{-1} q_i`` with ``T`` the centring map
``[[1, -m^T], [0, I]]``; memory is O(n p). The tests of the residuals are
:mod:`linreg.stats.residual_tests`'.

Flags use the usual rules of thumb: Cook's D > 4/n, leverage > 2p/n, VIF > 10.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular

from linreg.data import default_feature_names
from linreg.errors import LinregError, RankDeficiencyWarning
from linreg.problem import check_sample_weight
from linreg.solvers.lstsq import LstsqResult, lstsq, residual_levels, residuals
from linreg.stats import residual_tests as rt

__all__ = ["VIF_THRESHOLD", "Diagnostics", "diagnose"]

Array = NDArray[np.float64]
Indices = NDArray[np.intp]

#: A column whose variance inflation factor exceeds this is flagged as collinear.
VIF_THRESHOLD = 10.0

#: Estimates farther than this (relative) from the least-squares solution of the data
#: get a note: the influence formulas assume least-squares residuals.
OPTIMUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Diagnostics:
    """Influence, collinearity and residual tests of a fitted linear model.

    Row arrays have shape (n,); ``dfbetas`` (n, p); ``vif`` (d,). Parameters and the
    columns of ``dfbetas`` are intercept first, as in :class:`linreg.stats.inference.Inference`.

    Attributes
    ----------
    feature_names : list of str
        The ``d`` columns of ``X``.
    param_names : list of str
        ``["intercept", *feature_names]`` (without the intercept when none was fitted).
    row_labels : list of str
        How rows are named in flags, figures and text (the row index by default).
    fitted, residuals : ndarray of shape (n,)
        ``A theta`` and ``e = y - A theta`` (weighted fits too; their influence measures
        and ``tests`` take the whitened residuals ``sqrt(w) e``, as statsmodels' WLS
        summary does).
    leverage : ndarray of shape (n,)
        Hat values ``h_i``, in [0, 1], summing to ``p``.
    studentized_internal, studentized_external : ndarray of shape (n,)
    cooks_distance, dffits : ndarray of shape (n,)
    dfbetas : ndarray of shape (n, p)
    vif : ndarray of shape (d,)
        Variance inflation factor of each feature, ``>= 1`` with an intercept (finite:
        rank-deficient designs are refused). Without an intercept ``R_j^2`` is uncentred,
        the classical definition (statsmodels >= 0.15's ``variance_inflation_factor``
        centres the columns by default).
    condition_number : float
        2-norm condition number of the design with its columns centred (with an
        intercept) and scaled to unit norm, as the inference summary prints it.
    tests : dict of str to TestResult
        ``jarque_bera``, ``omnibus``, ``durbin_watson``, ``breusch_pagan``, ``white``.
    skew, kurtosis : float
        Sample skewness and (Pearson) kurtosis of the residuals.
    residual_std : float
        ``s``.
    notes : list of str
    weights : ndarray of shape (n,) or None
        The rows' weights of a weighted fit (all positive); None without.
    """

    feature_names: list[str]
    param_names: list[str]
    row_labels: list[str]
    fitted: Array
    residuals: Array
    leverage: Array
    studentized_internal: Array
    studentized_external: Array
    cooks_distance: Array
    dffits: Array
    dfbetas: Array
    vif: Array
    condition_number: float
    tests: dict[str, rt.TestResult]
    skew: float
    kurtosis: float
    residual_std: float
    fit_intercept: bool
    notes: list[str] = field(default_factory=list)
    weights: Array | None = None

    @property
    def weighted_residuals(self) -> Array:
        """``sqrt(w) e``, the residuals the influence measures take (``e`` unweighted)."""
        if self.weights is None:
            return self.residuals
        return np.asarray(np.sqrt(self.weights) * self.residuals)

    @property
    def n_samples(self) -> int:
        return int(self.residuals.shape[0])

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def cooks_threshold(self) -> float:
        """``4 / n``."""
        return 4.0 / self.n_samples

    @property
    def leverage_threshold(self) -> float:
        """``2 p / n``."""
        return 2.0 * self.n_params / self.n_samples

    @property
    def influential_rows(self) -> Indices:
        """Indices of the rows with Cook's D above ``4 / n``, most influential first."""
        rows: Indices = np.flatnonzero(self.cooks_distance > self.cooks_threshold)
        return rows[np.argsort(-self.cooks_distance[rows], kind="stable")]

    @property
    def high_leverage_rows(self) -> Indices:
        """Indices of the rows with leverage above ``2 p / n``, highest first."""
        rows: Indices = np.flatnonzero(self.leverage > self.leverage_threshold)
        return rows[np.argsort(-self.leverage[rows], kind="stable")]

    @property
    def collinear_columns(self) -> list[str]:
        """Names of the features with a VIF above 10."""
        return [n for n, v in zip(self.feature_names, self.vif, strict=True) if v > VIF_THRESHOLD]

    def most_influential(self, k: int = 3) -> Indices:
        """Indices of the ``k`` rows with the largest Cook's distance, largest first."""
        cooks = np.where(np.isfinite(self.cooks_distance), self.cooks_distance, np.inf)
        order: Indices = np.argsort(-cooks, kind="stable")
        return order[: min(k, self.n_samples)]

    def to_dict(self) -> dict[str, object]:
        """Everything as JSON-ready lists and numbers (NaN and infinity as None)."""

        def nums(a: Array) -> list[object]:
            return [_num(float(v)) for v in a.ravel()]

        return {
            "n_samples": self.n_samples,
            "n_params": self.n_params,
            "fit_intercept": self.fit_intercept,
            "feature_names": list(self.feature_names),
            "param_names": list(self.param_names),
            "row_labels": list(self.row_labels),
            "residual_std": _num(self.residual_std),
            "condition_number": _num(self.condition_number),
            "skew": _num(self.skew),
            "kurtosis": _num(self.kurtosis),
            "tests": {k: t.to_dict() for k, t in self.tests.items()},
            "vif": dict(zip(self.feature_names, nums(self.vif), strict=True)),
            "thresholds": {
                "cooks_distance": self.cooks_threshold,
                "leverage": self.leverage_threshold,
                "vif": VIF_THRESHOLD,
            },
            "flags": {
                "influential_rows": [self.row_labels[i] for i in self.influential_rows],
                "high_leverage_rows": [self.row_labels[i] for i in self.high_leverage_rows],
                "collinear_columns": self.collinear_columns,
            },
            "rows": {
                "fitted": nums(self.fitted),
                "residuals": nums(self.residuals),
                "leverage": nums(self.leverage),
                "studentized_internal": nums(self.studentized_internal),
                "studentized_external": nums(self.studentized_external),
                "cooks_distance": nums(self.cooks_distance),
                "dffits": nums(self.dffits),
                "dfbetas": [nums(row) for row in self.dfbetas],
            },
            "notes": list(self.notes),
        }

    def summary(self, max_rows: int = 10) -> str:
        """The tests, the flagged rows and columns, and the VIFs as text."""
        width = 78
        lines = ["Regression diagnostics".center(width), "=" * width]
        lines.append(f"{'test':<16}{'statistic':>14}{'p-value':>12}{'df':>6}  note")
        lines.append("-" * width)
        for t in self.tests.values():
            p = "" if t.p_value is None else f"{t.p_value:.4g}"
            df = "" if t.df is None else str(t.df)
            lines.append(f"{t.name:<16}{t.statistic:>14.6g}{p:>12}{df:>6}  {t.note}")
        lines.append(
            f"Skew: {self.skew:.4g}   Kurtosis: {self.kurtosis:.4g}   "
            f"Condition number (centred, scaled design): {self.condition_number:.4g}"
        )
        lines.append("-" * width)
        lines.append(f"{'feature':<24}{'VIF':>12}")
        for name, v in zip(self.feature_names, self.vif, strict=True):
            mark = "  > 10: collinear" if v > VIF_THRESHOLD else ""
            lines.append(f"{_short(name, 23):<24}{v:>12.5g}{mark}")
        lines.append("-" * width)
        for title, rows, threshold in (
            ("Influential rows (Cook's D > 4/n", self.influential_rows, self.cooks_threshold),
            ("High-leverage rows (h > 2p/n", self.high_leverage_rows, self.leverage_threshold),
        ):
            lines.append(f"{title} = {threshold:.4g}): {len(rows)}")
            if len(rows):
                lines.append(
                    f"  {'row':<14}{'Cook D':>11}{'leverage':>11}{'ext. stud.':>13}{'DFFITS':>11}"
                )
            for i in rows[:max_rows]:
                lines.append(
                    f"  {_short(self.row_labels[i], 13):<14}{self.cooks_distance[i]:>11.4g}"
                    f"{self.leverage[i]:>11.4g}{self.studentized_external[i]:>13.4g}"
                    f"{self.dffits[i]:>11.4g}"
                )
            if len(rows) > max_rows:
                lines.append(f"  ... and {len(rows) - max_rows} more")
        lines.append("=" * width)
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "~"


def _factor(
    X: Array,
    y: Array,
    fit_intercept: bool,
    solution: LstsqResult | None,
    w: Array | None = None,
) -> LstsqResult:
    """The exact solver's factorisation of ``X`` (reused when given); full rank required."""
    if solution is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RankDeficiencyWarning)  # refused below, by name
            solution = lstsq(X, y, fit_intercept=fit_intercept, sample_weight=w)
    p = solution.r_factor.shape[1]
    if solution.rank < p or solution.r_factor.shape[0] < p:
        cols = ", ".join(str(j) for j in solution.dependent_columns) or "some"
        raise LinregError(
            f"diagnostics need a full-rank design: column(s) {cols} of X depend linearly "
            "on the others; drop them and fit again"
        )
    return solution


@np.errstate(divide="ignore", invalid="ignore")
def diagnose(
    X: Array,
    y: Array,
    coef: Array,
    intercept: float,
    *,
    fit_intercept: bool = True,
    names: list[str] | None = None,
    row_labels: list[str] | None = None,
    solution: LstsqResult | None = None,
    sample_weight: Array | None = None,
) -> Diagnostics:
    """Diagnostics of the estimates ``coef``, ``intercept`` on the data ``(X, y)``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Finite float64 features.
    y : ndarray of shape (n,)
    coef : ndarray of shape (d,)
    intercept : float
    fit_intercept : bool, default True
    names : list of str, optional
        Feature names (default ``X`` or ``x1..xd``).
    row_labels : list of str, optional
        Row names for flags and figures (default the row index ``0..n-1``).
    solution : LstsqResult, optional
        :func:`linreg.solvers.lstsq.lstsq` of these ``(X, y)`` (and weights), if already
        computed.
    sample_weight : ndarray of shape (n,), optional
        Row weights of a weighted least-squares fit: the diagnostics of its whitened
        rows (module docstring); rows of weight zero are left out.

    Returns
    -------
    Diagnostics

    Raises
    ------
    LinregError
        Fewer than ``p + 2`` rows (no degrees of freedom for ``s_(i)``), or a
        rank-deficient design.
    """
    n, d = X.shape
    p = d + int(fit_intercept)
    labels = [str(i) for i in range(n)] if row_labels is None else [str(r) for r in row_labels]
    if len(labels) != n:
        raise LinregError(f"row_labels has {len(labels)} labels for {n} rows")
    notes: list[str] = []
    w = check_sample_weight(sample_weight, n)
    if w is not None and not np.all(w > 0.0):
        keep = w > 0.0
        notes.append(
            f"{n - int(keep.sum())} row(s) of weight zero left out, as in the weighted inference"
        )
        X, y, w = X[keep], y[keep], w[keep]
        labels = [labels[i] for i in np.flatnonzero(keep).tolist()]
        n = X.shape[0]
    if n < p + 2:
        raise LinregError(
            f"diagnostics need at least p + 2 = {p + 2} rows ({p} parameters), got {n}"
        )
    names = default_feature_names(d) if names is None else list(names)
    sol = _factor(X, y, fit_intercept, solution, w)
    coef = np.asarray(coef, dtype=np.float64)
    b = float(intercept) if fit_intercept else 0.0
    params = np.concatenate([[b], coef]) if fit_intercept else coef
    scale = max(float(np.linalg.norm(sol.params)), np.finfo(float).tiny)
    distance = float(np.linalg.norm(params - sol.params)) / scale
    if distance > OPTIMUM_TOLERANCE:
        notes.append(
            f"the estimates are {distance:.2g} (relative) from the least-squares solution of "
            "these data: influence measures assume least-squares residuals"
        )

    # Rows of Q = Z R^{-1} (Z = [1, X - m]), and M = T R^{-1}: (A^T A)^{-1} = M M^T.
    # Weighted: Z = sqrt(w) [1, X - m_w] (m_w the weighted means), (A^T W A)^{-1} = M M^T.
    root_w = None if w is None else np.sqrt(w)
    means = sol.column_means if w is None else np.average(X, axis=0, weights=w)
    Z = X - means if fit_intercept else X
    if fit_intercept:
        Z = np.column_stack([np.ones(n), Z])
    if root_w is None:
        R = sol.r_factor[:p]
    else:
        Z = Z * root_w[:, None]
        R = np.asarray(np.linalg.qr(Z, mode="r"), dtype=np.float64)
    Q = solve_triangular(R, Z.T, trans="T", check_finite=False).T
    del Z
    Rinv = solve_triangular(R, np.eye(p), check_finite=False)
    M = Rinv.copy()
    if fit_intercept:
        M[0] = Rinv[0] - means @ Rinv[1:]
    h = np.einsum("ij,ij->i", Q, Q)

    # Each residual to 2**-59 of their norm: what the sums of squares below need.
    raw = residuals(X, y, coef, b, levels=residual_levels(X, y, coef, b))
    fitted = y - raw
    e = raw if root_w is None else root_w * raw  # the whitened residuals
    rss = math.fsum(e * e)
    s2 = rss / (n - p)
    one_minus_h = 1.0 - h
    internal = e / np.sqrt(s2 * one_minus_h)
    s2_loo = (rss - e * e / one_minus_h) / (n - p - 1)
    external = e / np.sqrt(s2_loo * one_minus_h)
    cooks = internal**2 * h / (p * one_minus_h)
    dffits = external * np.sqrt(h / one_minus_h)
    dfbeta = (Q @ M.T) * (e / one_minus_h)[:, None]
    se_unscaled = np.sqrt(np.einsum("ij,ij->i", M, M))
    dfbetas = dfbeta / np.sqrt(s2_loo)[:, None] / se_unscaled[None, :]
    if rss == 0.0:
        notes.append(
            "every residual is zero (an exact fit): the studentized residuals and "
            "influence measures are undefined (NaN)"
        )
    if np.any(h >= 1.0 - 1e-12):
        notes.append(
            "some rows have leverage 1 (the fit passes through them): their "
            "studentized residuals and influence are undefined (NaN or inf)"
        )

    # VIF_j = |z_j|^2 [(Z^T Z)^{-1}]_jj: column norms of R times row norms of R^{-1}.
    first = int(fit_intercept)
    col_norm2 = np.einsum("ij,ij->j", R, R)[first:]
    vif = col_norm2 * np.einsum("ij,ij->i", Rinv, Rinv)[first:]

    jb, skew, kurt = rt.jarque_bera(e)
    tests = {
        "jarque_bera": jb,
        "omnibus": rt.omnibus(e),
        "durbin_watson": rt.durbin_watson(e),
        "breusch_pagan": rt.breusch_pagan(e, X),
        "white": rt.white(e, X),
    }
    notes.extend(f"{t.name}: {t.note}" for t in tests.values() if t.note)
    return Diagnostics(
        feature_names=names,
        param_names=(["intercept"] if fit_intercept else []) + names,
        row_labels=labels,
        fitted=fitted,
        residuals=raw,
        leverage=h,
        studentized_internal=internal,
        studentized_external=external,
        cooks_distance=cooks,
        dffits=dffits,
        dfbetas=dfbetas,
        vif=vif,
        condition_number=float(sol.condition_number),
        tests=tests,
        skew=skew,
        kurtosis=kurt,
        residual_std=math.sqrt(s2),
        fit_intercept=fit_intercept,
        notes=notes,
        weights=w,
    )
