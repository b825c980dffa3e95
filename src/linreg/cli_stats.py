"""Subcommands for statistics: ``linreg summary`` (the OLS table) and ``linreg nist``.

Registered through :data:`linreg.cli.EXTENSIONS`.
"""

from __future__ import annotations

import argparse
import dataclasses

from linreg.cli_common import AddCommand, add_data_options, add_json, print_json
from linreg.errors import LinregError
from linreg.estimator import LinearRegression
from linreg.io import read_table

__all__ = ["register"]


def cmd_summary(args: argparse.Namespace) -> int:
    if not 0.0 < args.alpha < 1.0:
        raise LinregError(f"--alpha must be strictly between 0 and 1, got {args.alpha:g}")
    names = None if args.features is None else [n.strip() for n in args.features.split(",")]
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


def register(add: AddCommand) -> None:
    """Add ``summary`` to the ``linreg`` command."""
    p = add(
        "summary",
        cmd_summary,
        "Fit by exact least squares and print the inference table: standard errors, "
        "t and p values, confidence intervals, R^2, F, AIC and BIC.",
        "linreg summary data/train.csv --target y",
    )
    p.add_argument("data", help="CSV file")
    add_data_options(p)
    p.add_argument("--no-intercept", action="store_true", help="fit without an intercept")
    p.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level (0.05)")
    add_json(p)
