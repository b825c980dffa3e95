"""``linreg stats``'s arguments; the command itself is :mod:`linreg.cli.stats`."""

from __future__ import annotations

from linreg.cli.args import (
    AddCommand,
    add_data_options,
    add_formula_options,
    add_json,
    add_weight_option,
    command,
)
from linreg.cli.parsers import COV_TYPES

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``summary`` and ``nist`` to the ``linreg`` command."""
    p = add(
        "summary",
        command("stats", "cmd_summary"),
        "Fit by exact least squares and print the inference table: standard errors, "
        "t and p values, confidence intervals, R^2, F, AIC and BIC.",
        "linreg summary data/train.csv --target y",
    )
    p.add_argument(
        "data",
        help="CSV, Parquet or Excel file; or a model file (.json) from 'linreg train', "
        "summarised from the sums it keeps, without the data (nonrobust only)",
    )
    add_data_options(p)
    add_formula_options(p)
    p.add_argument("--no-intercept", action="store_true", help="fit without an intercept")
    add_weight_option(p)
    p.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level (0.05)")
    p.add_argument(
        "--cov-type",
        choices=COV_TYPES,
        default="nonrobust",
        help="covariance of the estimates, statsmodels' names (nonrobust); robust types "
        "refer t values to the normal distribution, as statsmodels does",
    )
    p.add_argument(
        "--groups",
        metavar="COLUMN",
        help="column of cluster labels (numbers or text) for --cov-type cluster; not a feature",
    )
    add_json(p)

    p = add(
        "nist",
        command("stats", "cmd_nist"),
        "Check accuracy on NIST's certified linear least-squares datasets, beside "
        "numpy.linalg.lstsq; exits non-zero if a target is missed.",
        "linreg nist",
    )
    add_json(p)
