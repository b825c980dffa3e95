"""Subcommands for statistics: ``linreg summary`` (the OLS table) and ``linreg nist``.

Registered by :func:`linreg.cli.main.build_parser` through :func:`register`.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.cli import formulas
from linreg.cli.common import (
    make_console,
    print_json,
    read_data,
    reading_options,
    rich_table,
)
from linreg.cli.safety import check_data_file
from linreg.errors import LinregError
from linreg.estimator import LinearRegression
from linreg.io.tables import open_reader, read_columns

__all__ = ["cmd_nist", "cmd_summary"]


def cmd_summary(args: argparse.Namespace) -> int:
    if not 0.0 < args.alpha < 1.0:
        raise LinregError(f"--alpha must be strictly between 0 and 1, got {args.alpha:g}")
    if args.formula is not None:
        return formulas.summary_formula(args)
    names = None if args.features is None else [n.strip() for n in args.features.split(",")]
    if Path(args.data).suffix.lower() == ".json":
        return _summary_of_model_file(args)
    check_data_file(args.data, "the data file")
    if (args.cov_type == "cluster") != (args.groups is not None):
        raise LinregError("--cov-type cluster and --groups COLUMN go together: give both")
    groups = None
    if args.groups is not None:
        groups = _group_labels(args, args.groups)
        if names is None:
            reader = open_reader(args.data, **reading_options(args, args.data))
            skip = {args.target, args.groups, "y_true", args.sample_weight}
            numeric = reader.numeric_columns()
            names = [c for c in reader.header if c in numeric and c not in skip]
        elif args.groups in names:
            raise LinregError(f"--groups {args.groups!r} is also a feature; leave it out of it")
    if args.missing == "drop":
        table = formulas.table_dropping_missing(
            args.data,
            target=args.target,
            features=args.features,
            sample_weight=args.sample_weight,
            options=reading_options(args, args.data),
        )
    else:
        table = read_data(
            args, args.data, target=args.target, features=names, sample_weight=args.sample_weight
        )
    assert table.y is not None  # the target is required
    model = LinearRegression(solver="exact", fit_intercept=not args.no_intercept)
    try:
        model.fit(table.frame, table.y, sample_weight=table.w)
        inference = model.inference(cov_type=args.cov_type, groups=groups)
    except LinregError as exc:
        raise LinregError(f"{table.path}: {exc}") from None
    inference = dataclasses.replace(inference, target_name=table.target_name)
    if args.json:
        print_json(inference.to_dict(args.alpha))
    else:
        print(inference.summary(args.alpha))
    return 0


def _summary_of_model_file(args: argparse.Namespace) -> int:
    """``linreg summary model.json``: the table from the sums the file keeps, no data."""
    from linreg.io.persistence import load_model

    if (
        args.groups is not None
        or args.features is not None
        or args.no_intercept
        or args.sample_weight is not None
    ):
        raise LinregError(
            f"{args.data}: a model file is summarised as trained; --features, --groups, "
            "--sample-weight and --no-intercept apply to a data file"
        )
    model, content = load_model(args.data)
    if float(model.alpha) != 0.0:  # penalized: its coefficients alone, no standard errors
        return _penalized_model_summary(args, model, content)
    try:
        inference = model.inference(cov_type=args.cov_type)
    except LinregError as exc:
        raise LinregError(f"{args.data}: {exc}; or run 'linreg summary DATA'") from None
    lead = ["intercept"] if model.fit_intercept else []
    inference = dataclasses.replace(
        inference,
        names=lead + list(content["feature_names"]),
        target_name=str(content["target_name"]),
    )
    if args.json:
        print_json(inference.to_dict(args.alpha))
    else:
        print(inference.summary(args.alpha))
    return 0


def _penalized_model_summary(
    args: argparse.Namespace, model: LinearRegression, content: dict[str, Any]
) -> int:
    """A penalized model file's summary: its coefficients, and why there is nothing more."""
    from linreg.stats.inference import penalty_name
    from linreg.stats.tables import penalized_summary

    if args.cov_type != "nonrobust":
        raise LinregError(
            f"{args.data}: --cov-type {args.cov_type} does not apply to a penalized fit "
            f"(alpha={model.alpha:g}): it has no least-squares standard errors"
        )
    names = [str(n) for n in content["feature_names"]]
    l1_ratio = float(model.l1_ratio)
    if args.json:
        print_json(
            {
                "penalty": penalty_name(l1_ratio),
                "alpha": float(model.alpha),
                "l1_ratio": l1_ratio,
                "target_name": str(content["target_name"]),
                "feature_names": names,
                "coef": model.coef_,
                "intercept": float(model.intercept_),
                "standard_errors": None,
            }
        )
        return 0
    print(
        penalized_summary(
            model.coef_,
            model.intercept_,
            float(model.alpha),
            fit_intercept=bool(model.fit_intercept),
            names=names,
            target_name=str(content["target_name"]),
            method=f"{penalty_name(l1_ratio)} ({model.solver})",
            l1_ratio=l1_ratio,
        )
    )
    return 0


def _group_labels(args: argparse.Namespace, column: str) -> NDArray[np.str_]:
    """The cluster labels of every row: column ``column`` of the data file, as text."""
    options = reading_options(args, args.data)
    header = open_reader(args.data, **options).header
    if column not in header:
        raise LinregError(
            f"{args.data}: no column {column!r} for --groups; columns: {', '.join(header)}"
        )
    frame = read_columns(args.data, [column], **options)
    values = frame[column]
    missing = values.isna().to_numpy()
    labels = values.astype(str).str.strip().to_numpy(dtype=str)
    empty = np.flatnonzero(missing | (labels == ""))
    if empty.size:
        raise LinregError(
            f"{args.data}: column {column!r} has an empty cell (data row {int(empty[0]) + 1}); "
            "every row needs a cluster label"
        )
    return labels


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
