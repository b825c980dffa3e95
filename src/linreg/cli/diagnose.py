"""``linreg diagnose``: regression diagnostics of an exact least-squares fit of a data file.

Fits ``target ~ features`` by exact least squares and prints the residual tests, the rows
and columns past the usual thresholds and the VIFs (:mod:`linreg.stats.diagnostics`);
``--plots`` writes the four residual plots (:mod:`linreg.viz.diagnostic_plots`).
Registered by :func:`linreg.cli.main.build_parser` through :func:`register`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from linreg.cli.common import check_plots_dir, print_json, read_data, reading_options
from linreg.cli.safety import all_or_nothing, check_data_file
from linreg.errors import LinregError
from linreg.estimator import LinearRegression

__all__ = ["cmd_diagnose"]


def cmd_diagnose(args: argparse.Namespace) -> int:
    """``linreg diagnose``: fit, diagnose, print; write the plots with ``--plots``."""
    names = None if args.features is None else [n.strip() for n in args.features.split(",")]
    plots_dir = check_plots_dir(args.plots, args.data)
    if args.formula is not None:  # the exact fit of the formula's design
        from linreg.cli.formulas import formula_model
        from linreg.formula import formula_of

        model, where, _ = formula_model(args, {"solver": "exact"})
        design = formula_of(model)
        assert design is not None
        target_name, feature_names = design.target, list(design.columns)
    else:
        if args.missing == "drop":
            from linreg.cli.formulas import table_dropping_missing

            table = table_dropping_missing(
                args.data,
                target=args.target,
                features=args.features,
                sample_weight=args.sample_weight,
                options=reading_options(args, args.data),
            )
        else:
            check_data_file(args.data, "the data file")
            table = read_data(
                args,
                args.data,
                target=args.target,
                features=names,
                sample_weight=args.sample_weight,
            )
        assert table.y is not None  # the target is required
        model = LinearRegression(solver="exact", fit_intercept=not args.no_intercept)
        where, target_name, feature_names = table.path, table.target_name, table.feature_names
        try:
            model.fit(table.frame, table.y, sample_weight=table.w)
        except LinregError as exc:
            raise LinregError(f"{where}: {exc}") from None
    try:
        diagnostics = model.diagnostics()
    except LinregError as exc:
        raise LinregError(f"{where}: {exc}") from None
    figures: list[Path] = []
    if plots_dir is not None:
        from linreg.viz.diagnostic_plots import write_diagnostic_plots

        with all_or_nothing(folders=[plots_dir]):
            figures = write_diagnostic_plots(diagnostics, plots_dir)
    if args.json:
        print_json({**diagnostics.to_dict(), "target_name": target_name, "plots": figures})
        return 0
    weighted = "" if args.sample_weight is None else f", weighted by column {args.sample_weight}"
    print(f"Diagnostics of {target_name} ~ {' + '.join(feature_names)} ({where}{weighted})")
    print("Rows are numbered from 0 in file order (the header not counted).")
    print(diagnostics.summary())
    if figures:
        print(f"{len(figures)} figures written to {plots_dir}")
    return 0
