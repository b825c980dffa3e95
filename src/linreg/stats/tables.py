"""The text layout of the inference tables: what ``summary()`` prints.

:func:`inference_table` lays out an :class:`~linreg.stats.inference.Inference` in
the shape of statsmodels' OLS summary; :func:`penalized_summary` the coefficients of
a ridge fit, which least-squares standard errors do not describe.

The coefficient table is sized to its content: the name column is as wide as the
longest name (names are never cut, so two long names never look alike), and every
column is as wide as its widest number, with two spaces between columns, so wide
confidence limits (1e+150) never run together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from linreg.data import default_feature_names

if TYPE_CHECKING:
    from linreg.stats.inference import Inference

__all__ = ["columns", "inference_table", "penalized_summary"]

Array = NDArray[np.float64]

#: Width of the rules and of the header block.
WIDTH = 78


def columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lay out text cells in columns: the first left-aligned, the others right-aligned.

    Each column is as wide as its widest cell (header included); columns are
    separated by two spaces, so no two cells ever touch.

    Parameters
    ----------
    header : sequence of str, length k
    rows : sequence of sequences of str, each of length k

    Returns
    -------
    list of str
        The header line, then one line per row.
    """
    table = [list(header), *[list(r) for r in rows]]
    widths = [max(len(row[j]) for row in table) for j in range(len(header))]
    lines = []
    for row in table:
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def inference_table(inf: Inference, alpha: float = 0.05) -> str:
    """The table of ``inf`` as text, in the layout of statsmodels' OLS summary.

    With a robust covariance the header names it and the statistic column is
    ``z`` (normal reference) or ``t`` (``use_t``), as statsmodels prints it.
    """
    ci = inf.conf_int(alpha)
    stat = "t" if inf.use_t else "z"
    header = ["", "coef", "std err", stat, f"P>|{stat}|", f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"]
    rows = [
        [
            name,
            f"{inf.params[j]:.6g}",
            f"{inf.std_errors[j]:.4g}",
            f"{inf.t_values[j]:.4g}",
            f"{inf.p_values[j]:.3f}",
            f"{ci[j, 0]:.5g}",
            f"{ci[j, 1]:.5g}",
        ]
        for j, name in enumerate(inf.names)
    ]
    body = columns(header, rows)
    width = max(WIDTH, *(len(line) for line in body))
    cov = inf.cov_type if inf.n_groups is None else f"{inf.cov_type} ({inf.n_groups} groups)"
    left = [
        ("Dep. variable:", inf.target_name),
        ("Method:", inf.method),
        ("No. observations:", f"{inf.n_samples}"),
        ("Df residuals:", f"{inf.df_resid}"),
        ("Df model:", f"{inf.df_model}"),
        ("Intercept:", "yes" if inf.fit_intercept else "no"),
        ("Covariance type:", cov),
    ]
    r2_label = "R-squared:" if inf.fit_intercept else "R-squared (uncentred):"
    right = [
        (r2_label, f"{inf.r2:.6g}"),
        ("Adj. R-squared:", f"{inf.adj_r2:.6g}"),
        ("F-statistic:", f"{inf.f_statistic:.6g}"),
        ("Prob (F-statistic):", f"{inf.f_pvalue:.3g}"),
        ("Log-likelihood:", f"{inf.log_likelihood:.6g}"),
        ("AIC / BIC:", f"{inf.aic:.6g} / {inf.bic:.6g}"),
        ("Residual std:", f"{inf.residual_std:.6g}"),
    ]
    lines = ["Linear regression results".center(width), "=" * width]
    for (lk, lv), (rk, rv) in zip(left, right, strict=True):
        lines.append(f"{lk:<18}{lv:>22}  {rk:<21}{rv:>15}")
    lines.append("=" * width)
    lines.append(body[0])
    lines.append("-" * width)
    lines.extend(body[1:])
    lines.append("=" * width)
    lines.append(f"Condition number (centred, scaled design): {inf.condition_number:.4g}")
    notes = list(inf.notes)
    if inf.cov_type != "nonrobust":
        reference = f"Student's t({inf.df_tests})" if inf.use_t else "the normal distribution"
        notes.insert(
            0,
            f"Standard errors are {inf.cov_type} (robust); the {stat} values are referred to "
            f"{reference}, the F test is a Wald test with {inf.df_tests} denominator df.",
        )
    for k, note in enumerate(notes, start=1):
        lines.append(f"[{k}] {note}")
    return "\n".join(lines)


def penalized_summary(
    coef: Array,
    intercept: float,
    alpha: float,
    *,
    fit_intercept: bool = True,
    names: list[str] | None = None,
    target_name: str = "y",
    method: str = "ridge",
    l1_ratio: float = 0.0,
) -> str:
    """The summary of a penalized fit (``alpha > 0``): coefficients, no standard errors.

    Ordinary least-squares standard errors, t and p values, intervals, R^2 tests
    and the F statistic assume the unpenalized minimiser; the penalty biases the
    estimates towards zero, so those numbers would mean nothing here, and none
    are printed.
    """
    coef = np.asarray(coef, dtype=np.float64)
    labels = (["intercept"] if fit_intercept else []) + list(
        names if names is not None else default_feature_names(coef.shape[0])
    )
    values = ([float(intercept)] if fit_intercept else []) + [float(c) for c in coef]
    body = columns(["", "coef"], [[n, f"{v:.6g}"] for n, v in zip(labels, values, strict=True)])
    width = max(WIDTH, *(len(line) for line in body))
    lines = [
        "Penalized linear regression results".center(width),
        "=" * width,
        f"{'Dep. variable:':<18}{target_name:>22}",
        f"{'Method:':<18}{method:>22}",
        f"{'Penalty alpha:':<18}{alpha:>22.6g}",
        *([f"{'L1 ratio:':<18}{l1_ratio:>22.6g}"] if l1_ratio else []),
        f"{'Intercept:':<18}{'yes (unpenalized)' if fit_intercept else 'no':>22}",
        "=" * width,
        body[0],
        "-" * width,
        *body[1:],
        "=" * width,
        f"[1] This fit is penalized (alpha = {alpha:g}): ordinary least-squares standard "
        "errors, t and p values, confidence intervals and the F test do not apply to it, "
        "and none are given. Refit with alpha=0 for them.",
    ]
    return "\n".join(lines)
