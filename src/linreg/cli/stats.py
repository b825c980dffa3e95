"""Subcommands for statistics: ``linreg summary`` (the OLS table) and ``linreg nist``.

Registered by :func:`linreg.cli.main.build_parser` through :func:`register`.
"""

from __future__ import annotations

import argparse
import dataclasses

from linreg.cli import formulas
from linreg.cli.common import (
    AddCommand,
    add_data_options,
    add_json,
    make_console,
    print_json,
    rich_table,
)
from linreg.cli.safety import check_data_file
from linreg.errors import LinregError
from linreg.estimator import LinearRegression
from linreg.io.tables import read_table

__all__ = ["register"]


def cmd_summary(args: argparse.Namespace) -> int:
    if not 0.0 < args.alpha < 1.0:
        raise LinregError(f"--alpha must be strictly between 0 and 1, got {args.alpha:g}")
    if args.formula is not None:
        return formulas.summary_formula(args)
    names = None if args.features is None else [n.strip() for n in args.features.split(",")]
    check_data_file(args.data, "the data file")
    if args.missing == "drop":
        table = formulas.table_dropping_missing(
            args.data, target=args.target, features=args.features, sample_weight=None
        )
    else:
        table = read_table(args.data, target=args.target, features=names)
    assert table.y is not None  # the target is required
    model = LinearRegression(solver="exact", fit_intercept=not args.no_intercept)
    try:
        model.fit(table.frame, table.y)
        inference = model.inference()
    except LinregError as exc:
        raise LinregError(f"{table.path}: {exc}") from None
    inference = dataclasses.replace(inference, target_name=table.target_name)
    if args.json:
        print_json(inference.to_dict(args.alpha))
    else:
        print(inference.summary(args.alpha))
    return 0


def cmd_nist(args: argparse.Namespace) -> int:
    from linreg.stats.nist import meets_targets, run_nist, targets

    records = run_nist()
    rows = []
    payload = []
    for r in records:
        coef_target, stat_target = targets(r)
        met = meets_targets(r)
        lres = (r.coef_lre, r.sd_lre, r.residual_sd_lre, r.r_squared_lre)
        rows.append(
            [
                r.dataset,
                {"lstsq": "exact", "polynomial": "polynomial"}.get(r.method, "numpy lstsq"),
                *("-" if v is None else f"{v:.1f}" for v in lres),
                "-" if met is None else ("met" if met else "MISSED"),
            ]
        )
        payload.append(
            {
                "dataset": r.dataset,
                "method": r.method,
                "coef_lre": r.coef_lre,
                "sd_lre": r.sd_lre,
                "residual_sd_lre": r.residual_sd_lre,
                "r_squared_lre": r.r_squared_lre,
                "coef_target": coef_target,
                "statistics_target": stat_target,
                "target_met": met,
            }
        )
    all_met = all(p["target_met"] is not False for p in payload)
    if args.json:
        print_json({"records": payload, "all_targets_met": all_met})
    else:
        console = make_console()
        console.print(
            rich_table(
                "NIST StRD linear least squares: digits of agreement with the certified "
                "values (LRE, 15 = every float64 digit)",
                ["dataset", "method", "coef", "std dev", "resid sd", "R^2", "target"],
                rows,
            )
        )
        console.print(
            "exact: LinearRegression(solver='exact') on the float64 design; polynomial: "
            "PolynomialRegression (powers of x held exactly); numpy lstsq: for comparison.\n"
            "Targets: coefficients >= 13 digits (Filip on a float64 design: 7.5; through "
            "PolynomialRegression: 12); standard deviations, residual sd and R^2 >= 10."
        )
        console.print("every target met" if all_met else "SOME TARGETS MISSED")
    return 0 if all_met else 1


def register(add: AddCommand) -> None:
    """Add ``summary`` and ``nist`` to the ``linreg`` command."""
    p = add(
        "summary",
        cmd_summary,
        "Fit by exact least squares and print the inference table: standard errors, "
        "t and p values, confidence intervals, R^2, F, AIC and BIC.",
        "linreg summary data/train.csv --target y",
    )
    p.add_argument("data", help="CSV file")
    add_data_options(p)
    formulas.add_formula_options(p)
    p.add_argument("--no-intercept", action="store_true", help="fit without an intercept")
    p.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level (0.05)")
    add_json(p)

    p = add(
        "nist",
        cmd_nist,
        "Check accuracy on NIST's certified linear least-squares datasets, beside "
        "numpy.linalg.lstsq; exits non-zero if a target is missed.",
        "linreg nist",
    )
    add_json(p)
