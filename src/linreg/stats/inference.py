"""Statistical inference for a fitted linear model: the numbers of an OLS summary.

For the design A = [1 X] (or X without intercept) with p columns, N rows, the
estimates theta = [b, W] and residuals r = y - A theta:

- residual variance      s^2 = RSS / (N - p),  RSS = sum r_i^2
- covariance of theta    Cov = s^2 (A^T A)^{-1};  standard errors = sqrt(diag Cov)
- t statistics           t_j = theta_j / se_j, two-sided p-values from Student's t(N - p)
- confidence intervals   theta_j +- t_{1 - alpha/2, N - p} se_j
- R^2                    1 - RSS / TSS, TSS centred (sum (y - ybar)^2) with an
                         intercept and uncentred (sum y^2) without, as NIST certifies
- adjusted R^2           1 - (N - k) / (N - p) (1 - R^2), k = 1 with intercept, else 0
- F statistic            ((TSS - RSS) / df_model) / s^2, df_model = p - k
- log-likelihood         -N/2 (log(2 pi) + log(RSS / N) + 1);  AIC = -2 llf + 2 p,
                         BIC = -2 llf + p log N

(A^T A)^{-1} and the residuals come from :mod:`linreg.solvers.lstsq` in extended
precision, so the standard errors are as accurate as the estimates. Student's t
and the F distribution come from SciPy.

Weighted least squares (:func:`wls_inference`, row weights ``w``) is the same table
for the whitened rows ``sqrt(w_i) [a_i, y_i]``, statsmodels' ``WLS`` convention:
RSS = sum w_i r_i^2, Cov = s^2 (A^T diag(w) A)^{-1}, TSS = sum w_i (y_i - ybar_w)^2
(``ybar_w`` the weighted mean; sum w_i y_i^2 uncentred), and the log-likelihood
gains ``+ 1/2 sum log w_i``. Rows of weight zero carry no information and are left
out, so N counts the rows of positive weight: statsmodels counts them in ``nobs``
(and its log-likelihood is then -inf); on the rows of positive weight the two
agree. Ordinary least-squares standard errors do not apply to a penalized (ridge)
fit: :func:`penalized_summary` prints its coefficients without them.

Robust covariances (``cov_type`` "HC0".."HC3" and "cluster", :mod:`linreg.stats.robust`)
replace Cov; the standard errors, t values, p values, intervals and the F test
(then a Wald test) follow it. As statsmodels does by default, a robust table
refers its t values to the normal distribution (``use_t=False``); with
``use_t=True`` to Student's t with df_resid degrees of freedom, or G - 1 for G
clusters (the F test always uses G - 1 for clusters). The text layout is in
:mod:`linreg.stats.tables`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.data import default_feature_names
from linreg.errors import LinregError
from linreg.solvers.lstsq import LstsqResult, inverse_gram, lstsq, residual_levels, residuals
from linreg.stats.robust import (
    RobustCovariance,
    check_cov_type,
    check_use_t,
    group_codes,
    sandwich,
    wald_f,
)
from linreg.stats.tables import inference_table, penalized_summary

__all__ = [
    "Inference",
    "PredictionInterval",
    "inference_from_sums",
    "ols_inference",
    "penalized_error",
    "penalized_summary",
    "penalty_name",
    "wls_inference",
]

Array = NDArray[np.float64]

#: Above this condition number of the (column-scaled) design, the summary warns,
#: as statsmodels does: estimates are sensitive to small changes in the data.
LARGE_CONDITION = 1e3

#: Up to this many design entries (N x p), (A^T A)^{-1} is refined in extended
#: precision (p refinement passes); above it the R factor of the QR gives it in
#: one step, accurate to about cond^2 eps, ample for well-conditioned big data.
REFINE_COVARIANCE_MAX = 2_000_000


@dataclass(frozen=True)
class PredictionInterval:
    """Predictions with confidence (of the mean) and prediction (of a new y) intervals.

    All arrays have shape (M,).
    """

    mean: Array
    mean_std_error: Array
    ci_lower: Array
    ci_upper: Array
    pi_lower: Array
    pi_upper: Array
    alpha: float


@dataclass(frozen=True)
class Inference:
    """The inference table of a fitted linear model (parameters intercept first).

    Attributes
    ----------
    names : list of str
        ``["intercept", feature names...]`` (no intercept without one).
    params, std_errors, t_values, p_values : ndarray of shape (p,)
    residual_std : float
        s = sqrt(RSS / df_resid).
    r2, adj_r2 : float
        R^2 (uncentred when there is no intercept) and adjusted R^2.
    f_statistic, f_pvalue : float
        Overall F test that every slope is zero (NaN when df_model is 0).
    log_likelihood, aic, bic : float
    condition_number : float
        2-norm condition number of the design with its columns centred (when there is
        an intercept) and scaled to unit norm: the multicollinearity diagnostic.
    df_model, df_resid : int
    n_samples : int
    fit_intercept : bool
    rss, tss : float
    gram_inverse : ndarray of shape (p, p)
        (A^T A)^{-1}; ``residual_std**2 * gram_inverse`` is the covariance.
    optimum_distance : float or None
        For estimates from an iterative solver: ||theta - theta_LS|| / ||theta_LS||,
        how far they are from the least-squares optimum (None for exact fits).
    notes : list of str
        Warnings to read with the table (large condition number, not at optimum).
    cov_type : str
        ``"nonrobust"`` or the robust covariance used (:mod:`linreg.stats.robust`).
    use_t : bool
        Whether t values are referred to Student's t (else the normal distribution).
    df_inference : int or None
        Degrees of freedom of the t and F tests when not df_resid (G - 1 for clusters).
    n_groups : int or None
        Number of clusters (``cov_type="cluster"``).
    robust_covariance : ndarray of shape (p, p) or None
        The robust covariance of the estimates, when ``cov_type`` is not nonrobust.
    """

    names: list[str]
    params: Array
    std_errors: Array
    t_values: Array
    p_values: Array
    residual_std: float
    r2: float
    adj_r2: float
    f_statistic: float
    f_pvalue: float
    log_likelihood: float
    aic: float
    bic: float
    condition_number: float
    df_model: int
    df_resid: int
    n_samples: int
    fit_intercept: bool
    rss: float
    tss: float
    gram_inverse: Array = field(repr=False)
    optimum_distance: float | None = None
    target_name: str = "y"
    method: str = "least squares (exact)"
    notes: list[str] = field(default_factory=list)
    cov_type: str = "nonrobust"
    use_t: bool = True
    df_inference: int | None = None
    n_groups: int | None = None
    robust_covariance: Array | None = field(default=None, repr=False)

    @property
    def covariance(self) -> Array:
        """Covariance of the estimates, shape (p, p): s^2 (A^T A)^{-1}, or the robust one."""
        if self.robust_covariance is not None:
            return self.robust_covariance
        return self.residual_std**2 * self.gram_inverse

    @property
    def df_tests(self) -> int:
        """Denominator degrees of freedom of the t and F tests (df_resid, or G - 1)."""
        return self.df_resid if self.df_inference is None else self.df_inference

    def _quantile(self, q: float) -> float:
        """The q-quantile of the reference distribution: t(df_tests), or normal."""
        if self.use_t:
            return _t_quantile(q, self.df_tests)
        from scipy import special

        return float(special.ndtri(q))

    def conf_int(self, alpha: float = 0.05) -> Array:
        """Confidence intervals of the parameters, shape (p, 2): [lower, upper].

        theta_j +- q se_j, q the 1 - alpha/2 quantile of t(df_tests), or of the
        normal distribution when ``use_t`` is False (robust tables by default).
        """
        _check_alpha(alpha)
        q = self._quantile(1.0 - alpha / 2.0)
        half = q * self.std_errors
        return np.column_stack([self.params - half, self.params + half])

    def predict_interval(self, X: ArrayLike, alpha: float = 0.05) -> PredictionInterval:
        """Predictions for new rows with confidence and prediction intervals.

        Parameters
        ----------
        X : array-like of shape (M, d)
        alpha : float, default=0.05
            1 - alpha is the coverage.

        Notes
        -----
        For a row a = [1 x], the mean a theta has standard error
        se = s sqrt(a (A^T A)^{-1} a^T); a new observation adds the noise:
        sqrt(s^2 + se^2). For weighted least squares, ``(A^T diag(w) A)^{-1}``, and
        the new observation has weight 1 (statsmodels' default). With a robust
        ``cov_type``, se = sqrt(a Cov a^T) with the robust Cov, and the quantiles
        follow ``use_t`` (statsmodels' ``get_prediction``).
        """
        _check_alpha(alpha)
        X_arr = np.asarray(X, dtype=np.float64)
        if X_arr.ndim == 1:
            X_arr = X_arr.reshape(-1, 1)
        d = len(self.params) - int(self.fit_intercept)
        if X_arr.ndim != 2 or X_arr.shape[1] != d:
            raise LinregError(f"X must have {d} feature column(s), got shape {X_arr.shape}")
        A = np.column_stack([np.ones(X_arr.shape[0]), X_arr]) if self.fit_intercept else X_arr
        mean = A @ self.params
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", A, self.covariance, A), 0.0, None))
        q = self._quantile(1.0 - alpha / 2.0)
        pred_se = np.sqrt(self.residual_std**2 + se**2)
        return PredictionInterval(
            mean=mean,
            mean_std_error=se,
            ci_lower=mean - q * se,
            ci_upper=mean + q * se,
            pi_lower=mean - q * pred_se,
            pi_upper=mean + q * pred_se,
            alpha=alpha,
        )

    def to_dict(self, alpha: float = 0.05) -> dict[str, object]:
        """JSON-ready content (NaN and infinity become None)."""
        ci = self.conf_int(alpha)
        return {
            "target": self.target_name,
            "method": self.method,
            "parameters": [
                {
                    "name": n,
                    "estimate": _num(v),
                    "std_error": _num(se),
                    "t_value": _num(t),
                    "p_value": _num(pv),
                    "ci_lower": _num(lo),
                    "ci_upper": _num(hi),
                }
                for n, v, se, t, pv, lo, hi in zip(
                    self.names,
                    self.params,
                    self.std_errors,
                    self.t_values,
                    self.p_values,
                    ci[:, 0],
                    ci[:, 1],
                    strict=True,
                )
            ],
            "alpha": alpha,
            "residual_std": _num(self.residual_std),
            "r2": _num(self.r2),
            "adj_r2": _num(self.adj_r2),
            "f_statistic": _num(self.f_statistic),
            "f_pvalue": _num(self.f_pvalue),
            "log_likelihood": _num(self.log_likelihood),
            "aic": _num(self.aic),
            "bic": _num(self.bic),
            "condition_number": _num(self.condition_number),
            "df_model": self.df_model,
            "df_resid": self.df_resid,
            "n_samples": self.n_samples,
            "fit_intercept": self.fit_intercept,
            "optimum_distance": None
            if self.optimum_distance is None
            else _num(self.optimum_distance),
            "notes": list(self.notes),
            "cov_type": self.cov_type,
            "use_t": self.use_t,
            "df_inference": self.df_tests,
            "n_groups": self.n_groups,
        }

    def summary(self, alpha: float = 0.05) -> str:
        """A plain-text table in the layout of statsmodels' OLS summary."""
        return inference_table(self, alpha)

    def __str__(self) -> str:
        return self.summary()


def _t_quantile(q: float, df: int) -> float:
    # scipy.special's functions are the ones scipy.stats' t, F and normal distributions
    # evaluate (stdtrit, stdtr, fdtrc, ndtr, ndtri), without scipy.stats' import
    # (half a second and ~75 MB: most of a command line's start).
    from scipy import special

    return float(special.stdtrit(df, q))


def _num(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _check_alpha(alpha: float) -> None:
    if not (isinstance(alpha, (int, float)) and 0.0 < alpha < 1.0):
        raise LinregError(f"alpha must be strictly between 0 and 1, got {alpha!r}")


# Sums of squares beyond float64 are refused by name (_check_representable).
@np.errstate(over="ignore", invalid="ignore")
def ols_inference(
    X: Array,
    y: Array,
    coef: Array,
    intercept: float,
    *,
    fit_intercept: bool = True,
    names: list[str] | None = None,
    target_name: str = "y",
    method: str = "least squares (exact)",
    iterative: bool = False,
    X_lo: Array | None = None,
    solution: LstsqResult | None = None,
    cov_type: str = "nonrobust",
    groups: ArrayLike | None = None,
    use_t: bool | None = None,
) -> Inference:
    """Compute the inference table for estimates ``coef``, ``intercept`` on (X, y).

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    coef : ndarray of shape (d,)
    intercept : float
    fit_intercept : bool, default=True
    names : list of str, optional
        Feature names; default ``X`` for one feature, ``x1..xd`` for several.
    target_name : str, default="y"
    method : str
        How the estimates were found (shown in the summary).
    iterative : bool, default=False
        The estimates come from an iterative solver: measure their distance from
        the least-squares optimum and note it.
    X_lo : ndarray of shape (N, d), optional
        Low-order parts of a double-double design (exact polynomial powers).
    solution : LstsqResult, optional
        :func:`linreg.solvers.lstsq.lstsq` of these (X, y), if already computed (an exact
        fit keeps it): saves solving again.
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}, default="nonrobust"
        The covariance of the estimates (:mod:`linreg.stats.robust`), statsmodels' names.
    groups : array-like of shape (N,), optional
        The cluster label of each row, for ``cov_type="cluster"``.
    use_t : bool, optional
        Refer t values and intervals to Student's t (True) or the normal
        distribution (False); by default t for nonrobust, normal for robust types,
        as statsmodels does.

    Returns
    -------
    Inference
    """
    cov_type = check_cov_type(cov_type, groups)
    use_t = check_use_t(use_t)
    N, d = X.shape
    p = d + int(fit_intercept)
    if p >= N:
        raise LinregError(
            f"inference needs more rows than parameters: {N} rows, {p} parameters "
            "(no degrees of freedom are left for the residual variance)"
        )
    codes = group_codes(groups, N) if groups is not None else None
    coef = np.asarray(coef, dtype=np.float64)
    params = np.concatenate([[intercept], coef]) if fit_intercept else coef.copy()
    b = intercept if fit_intercept else 0.0
    resid: Array | None = None
    if (
        cov_type == "nonrobust"
        and solution is not None
        and solution.residual_sum_of_squares is not None
        and np.array_equal(solution.params, params)
    ):
        # The exact fit's refinement summed these very residuals (in extended
        # precision, to float64): no pass over X for them.
        rss = solution.residual_sum_of_squares
    else:
        # The sum of squares needs the residuals to 2**-59 of their norm, not each
        # one correctly rounded: at 2,000,000 x 16 one slicing level instead of six.
        levels = residual_levels(X, y, coef, b, X_lo=X_lo)
        resid = residuals(X, y, coef, b, X_lo=X_lo, levels=levels)
        rss = _fsum((resid * resid).tolist()) if N <= 100_000 else float(resid @ resid)

    labels = list(names if names is not None else default_feature_names(d))
    exact = solution or lstsq(X, y, fit_intercept=fit_intercept, X_lo=X_lo, feature_names=labels)
    rank = exact.rank
    if rank < p or N * p > REFINE_COVARIANCE_MAX:
        gram_inv = exact.unscaled_covariance()
    else:
        gram_inv = inverse_gram(X, fit_intercept=fit_intercept, X_lo=X_lo)

    # Sums are exactly rounded (fsum) up to 100,000 rows, where it costs nothing.
    small = N <= 100_000
    if fit_intercept:
        y_mean = _fsum(y.tolist()) / N if small else float(np.mean(y))
        dev = y - y_mean
    else:
        dev = y
    tss = _fsum((dev * dev).tolist()) if small else float(dev @ dev)
    robust = None
    if resid is not None and cov_type != "nonrobust":
        A = np.column_stack([np.ones(N), X]) if fit_intercept else X
        robust = _robust(A, resid, gram_inv, cov_type, N - rank, codes, intercept=fit_intercept)
    return inference_from_sums(
        params=params,
        rss=rss,
        tss=tss,
        gram_inv=gram_inv,
        rank=rank,
        n_samples=N,
        fit_intercept=fit_intercept,
        condition=exact.condition_number,
        optimum=exact.params if iterative else None,
        names=(["intercept"] if fit_intercept else []) + labels,
        target_name=target_name,
        method=method,
        robust=robust,
        use_t=use_t,
        dependent=[labels[j] for j in exact.dependent_columns],
    )


def _robust(
    A: Array,
    resid: Array,
    gram_inv: Array,
    cov_type: str,
    df_resid: int,
    codes: tuple[NDArray[np.intp], int] | None,
    *,
    intercept: bool,
) -> RobustCovariance:
    """:func:`linreg.stats.robust.sandwich` of the design ``A`` and its residuals."""
    return sandwich(
        A,
        resid,
        gram_inv,
        cov_type,
        df_resid=df_resid,
        intercept=intercept,
        codes=None if codes is None else codes[0],
        n_groups=None if codes is None else codes[1],
    )


# Sums of squares beyond float64 are refused by name (_check_representable).
@np.errstate(over="ignore", invalid="ignore")
def wls_inference(
    X: Array,
    y: Array,
    coef: Array,
    intercept: float,
    sample_weight: Array,
    *,
    fit_intercept: bool = True,
    names: list[str] | None = None,
    target_name: str = "y",
    method: str = "WLS (exact)",
    iterative: bool = False,
    cov_type: str = "nonrobust",
    groups: ArrayLike | None = None,
    use_t: bool | None = None,
) -> Inference:
    """The inference table of weighted least squares, as statsmodels' ``WLS`` computes it.

    The rows are whitened, ``sqrt(w_i) [a_i, y_i]``, and given today's
    computation (see the module docstring): ``RSS = sum w_i r_i^2``,
    ``s^2 = RSS / (N - p)``, ``Cov = s^2 (A^T diag(w) A)^{-1}``, R^2 from the weighted
    TSS around the weighted mean, the log-likelihood with ``+ 1/2 sum log w_i``.
    Rows of weight zero are left out (N counts the rows of positive weight).

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    coef : ndarray of shape (d,)
    intercept : float
    sample_weight : ndarray of shape (N,)
        Finite weights ``>= 0``, not all zero (:func:`linreg.problem.check_sample_weight`).
    fit_intercept, names, target_name, method, iterative, cov_type, groups, use_t :
        As for :func:`ols_inference`; ``iterative`` measures the distance from the
        weighted least-squares optimum. The robust types are the sandwich of the
        whitened rows and residuals (statsmodels' ``WLS(...).fit(cov_type=...)``);
        rows of weight zero are left out of N and of the clusters.

    Returns
    -------
    Inference
    """
    cov_type = check_cov_type(cov_type, groups)
    use_t = check_use_t(use_t)
    w = np.asarray(sample_weight, dtype=np.float64)
    codes = group_codes(groups, X.shape[0]) if groups is not None else None
    keep = w > 0
    if not keep.all():
        X, y, w = X[keep], y[keep], w[keep]
        if codes is not None:
            codes = group_codes(codes[0][keep], X.shape[0])
    N, d = X.shape
    p = d + int(fit_intercept)
    if p >= N:
        raise LinregError(
            f"inference needs more rows of positive weight than parameters: {N} rows, "
            f"{p} parameters (no degrees of freedom are left for the residual variance)"
        )
    coef = np.asarray(coef, dtype=np.float64)
    params = np.concatenate([[intercept], coef]) if fit_intercept else coef.copy()
    sw = np.sqrt(w)
    A = X * sw[:, None]
    if fit_intercept:
        A = np.column_stack([sw, A])
    yw = y * sw
    levels = residual_levels(A, yw, params, 0.0)
    resid = residuals(A, yw, params, 0.0, levels=levels)
    small = N <= 100_000
    rss = _fsum((resid * resid).tolist()) if small else float(resid @ resid)
    labels = (["intercept"] if fit_intercept else []) + list(
        names if names is not None else default_feature_names(d)
    )
    exact = lstsq(A, yw, fit_intercept=False, feature_names=labels)
    rank = exact.rank
    if rank < p or N * p > REFINE_COVARIANCE_MAX:
        gram_inv = exact.unscaled_covariance()
    else:
        gram_inv = inverse_gram(A, fit_intercept=False)
    total = math.fsum(w.tolist()) if small else float(np.sum(w))
    if fit_intercept:
        y_mean = (_fsum((w * y).tolist()) if small else float(w @ y)) / total
        dev = y - y_mean
    else:
        dev = y
    wdev2 = w * dev * dev
    tss = _fsum(wdev2.tolist()) if small else float(np.sum(wdev2))
    robust = (
        None
        if cov_type == "nonrobust"
        else _robust(A, resid, gram_inv, cov_type, N - rank, codes, intercept=fit_intercept)
    )
    return inference_from_sums(
        params=params,
        rss=rss,
        tss=tss,
        gram_inv=gram_inv,
        rank=rank,
        n_samples=N,
        fit_intercept=fit_intercept,
        condition=_weighted_condition(X, w, fit_intercept),
        optimum=exact.params if iterative else None,
        names=labels,
        target_name=target_name,
        method=method,
        log_weight_sum=math.fsum(np.log(w).tolist()),
        robust=robust,
        use_t=use_t,
        dependent=[labels[j] for j in exact.dependent_columns],
    )


def _weighted_condition(X: Array, w: Array, fit_intercept: bool) -> float:
    """2-norm condition number of ``sqrt(w) [1, X - xbar_w]`` (or ``sqrt(w) X``), columns scaled.

    The weighted counterpart of lstsq's ``condition_number``: columns centred by
    their weighted means (with an intercept), weighted, scaled to unit norm.
    """
    sw = np.sqrt(w)
    if fit_intercept:
        mean = (w @ X) / np.sum(w)
        Z = np.column_stack([sw, (X - mean) * sw[:, None]])
    else:
        Z = X * sw[:, None]
    norms = np.linalg.norm(Z, axis=0)
    norms[norms == 0.0] = 1.0
    R = np.linalg.qr(Z / norms, mode="r")
    singular = np.linalg.svd(R, compute_uv=False)
    return float(singular[0] / singular[-1]) if singular[-1] > 0 else math.inf


def inference_from_sums(
    *,
    params: Array,
    rss: float,
    tss: float,
    gram_inv: Array,
    rank: int,
    n_samples: int,
    fit_intercept: bool,
    condition: float,
    optimum: Array | None,
    names: list[str],
    target_name: str,
    method: str,
    log_weight_sum: float = 0.0,
    robust: RobustCovariance | None = None,
    use_t: bool | None = None,
    dependent: list[str] | None = None,
) -> Inference:
    """The statistics of the table from its sums (see the module docstring).

    With ``robust``, the standard errors come from its covariance, the p values
    from ``use_t``'s distribution with ``robust.df_inference`` df, and F is the
    Wald test of the slopes (:func:`linreg.stats.robust.wald_f`).
    """
    N, p = n_samples, params.shape[0]
    notes: list[str] = []
    if rank < p:
        notes.append(
            f"The design is rank deficient (rank {rank} < {p}"
            + (f"; {', '.join(dependent)} depend on the others" if dependent else "")
            + "): the standard errors use a pseudo-inverse and some parameters are not "
            "identifiable."
        )
    df_resid = N - rank
    k_const = int(fit_intercept)
    df_model = rank - k_const
    s2 = rss / df_resid
    residual_std = math.sqrt(s2)
    if use_t is None:
        use_t = robust is None
    df_tests = df_resid if robust is None else robust.df_inference
    if robust is None:
        std_errors = residual_std * np.sqrt(np.clip(np.diag(gram_inv), 0.0, None))
    else:
        std_errors = np.sqrt(np.clip(np.diag(robust.covariance), 0.0, None))
    _check_representable(rss, tss, std_errors, params, rank == p)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_values = params / std_errors
    from scipy import special

    # Two-sided p values: 2 P(T > |t|) = 2 stdtr(df, -|t|), 2 P(Z > |z|) = 2 ndtr(-|z|).
    if use_t:
        p_values = 2.0 * special.stdtr(df_tests, -np.abs(t_values))
    else:
        p_values = 2.0 * special.ndtr(-np.abs(t_values))
    r2 = 1.0 - rss / tss if tss > 0 else float("nan")
    adj_r2 = 1.0 - (N - k_const) / df_resid * (1.0 - r2)
    if robust is not None:
        f_statistic, df_num = wald_f(params, robust.covariance, k_const)
        f_pvalue = (
            float(special.fdtrc(df_num, df_tests, f_statistic)) if df_num > 0 else float("nan")
        )
    elif df_model > 0 and rss > 0:
        f_statistic = ((tss - rss) / df_model) / s2
        f_pvalue = float(special.fdtrc(df_model, df_resid, f_statistic))
    elif df_model > 0:
        f_statistic, f_pvalue = float("inf"), 0.0
    else:
        f_statistic = f_pvalue = float("nan")
    llf = -N / 2.0 * (math.log(2 * math.pi) + math.log(rss / N) + 1.0) if rss > 0 else math.inf
    if log_weight_sum != 0.0 and math.isfinite(llf):
        llf += 0.5 * log_weight_sum
    n_params = df_model + k_const
    if condition > LARGE_CONDITION:
        notes.append(
            f"The condition number is large ({condition:.3g}): the estimates are sensitive "
            "to small changes in the data; this may indicate strong multicollinearity."
        )
    distance = None
    if optimum is not None:
        distance = float(np.linalg.norm(params - optimum) / max(np.linalg.norm(optimum), 1e-300))
        if distance > 1e-6:
            notes.append(
                f"These estimates are {distance:.2g} (relative) away from the least-squares "
                "optimum; the statistics describe the estimates as given, which assume "
                "the optimum. Train longer or use solver='exact'."
            )
    return Inference(
        names=names,
        params=params,
        std_errors=std_errors,
        t_values=t_values,
        p_values=p_values,
        residual_std=residual_std,
        r2=r2,
        adj_r2=adj_r2,
        f_statistic=float(f_statistic),
        f_pvalue=float(f_pvalue),
        log_likelihood=llf,
        aic=-2.0 * llf + 2.0 * n_params,
        bic=-2.0 * llf + n_params * math.log(N),
        condition_number=condition,
        df_model=df_model,
        df_resid=df_resid,
        n_samples=N,
        fit_intercept=fit_intercept,
        rss=rss,
        tss=tss,
        gram_inverse=gram_inv,
        optimum_distance=distance,
        target_name=target_name,
        method=method,
        notes=notes,
        cov_type="nonrobust" if robust is None else robust.cov_type,
        use_t=use_t,
        df_inference=None if robust is None else robust.df_inference,
        n_groups=None if robust is None else robust.n_groups,
        robust_covariance=None if robust is None else robust.covariance,
    )


def _fsum(values: list[float]) -> float:
    """``math.fsum``, with ``inf`` where its sum overflows (refused by name later)."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf


def _check_representable(
    rss: float, tss: float, std_errors: Array, params: Array, full_rank: bool
) -> None:
    """Refuse statistics that float64 could not hold: never print inf or 0 as a result.

    On data of about 1e154 and beyond (or 1e-154 and below) the sums of squares
    overflow, or the inverse Gram matrix under- or overflows: the standard errors
    would come out ``inf``, ``nan`` or an exact 0 with a positive residual
    variance, and t values infinite. Rescaling the columns does not change the
    t values, p values or R^2, and scales the estimates and their errors alike.

    Raises
    ------
    LinregError
        Naming what overflowed and what to do.
    """
    bad = not (math.isfinite(rss) and math.isfinite(tss) and np.all(np.isfinite(params)))
    bad = bad or not np.all(np.isfinite(std_errors))
    if full_rank and rss > 0.0:
        bad = bad or bool(np.any(std_errors == 0.0))
    if bad:
        raise LinregError(
            "the standard errors cannot be computed in float64 for data of this "
            "magnitude: the sums of squares or the inverse of X^T X overflow or "
            "underflow (values beyond about 1e154 or below 1e-154); rescale the features "
            "and the target (e.g. divide them by a power of ten): the t and p values "
            "and R^2 do not change"
        )


def penalized_error(what: str, alpha: float) -> LinregError:
    """The error of asking a penalized fit for what least squares alone gives (``what``)."""
    return LinregError(
        f"{what} is not available for a penalized fit (alpha={alpha!r}): ordinary "
        "least-squares standard errors do not apply to penalized estimates. Refit with "
        "alpha=0 for them; summary() prints the coefficients alone"
    )


def penalty_name(l1_ratio: float) -> str:
    """The penalty's name: ``"ridge"`` (l1_ratio 0), ``"lasso"`` (1) or ``"elastic net"``."""
    if l1_ratio == 0.0:
        return "ridge"
    return "lasso" if l1_ratio == 1.0 else "elastic net"
