"""``linreg diagnose``: regression diagnostics of an exact least-squares fit of a data file.

Fits ``target ~ features`` by exact least squares and prints the residual tests, the rows
and columns past the usual thresholds and the VIFs (:mod:`linreg.stats.diagnostics`);
``--plots`` writes the four residual plots (:mod:`linreg.viz.diagnostic_plots`).
Registered by :func:`linreg.cli.main.build_parser` through :func:`register`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from linreg.cli.common import check_plots_dir, print_json, read_data
from linreg.cli.safety import all_or_nothing, check_data_file
from linreg.errors import LinregError
from linreg.estimator import LinearRegression

__all__ = ["cmd_diagnose"]


def cmd_diagnose(args: argparse.Namespace) -> int:
    """``linreg diagnose``: fit, diagnose, print; write the plots with ``--plots``."""
    names = None if args.features is None else [n.strip() for n in args.features.split(",")]
    plots_dir = check_plots_dir(args.plots, args.data)
    check_data_file(args.data, "the data file")
    table = read_data(args, args.data, target=args.target, features=names)
    assert table.y is not None  # the target is required
    model = LinearRegression(solver="exact", fit_intercept=not args.no_intercept)
    try:
        model.fit(table.frame, table.y)
        diagnostics = model.diagnostics()
    except LinregError as exc:
        raise LinregError(f"{table.path}: {exc}") from None
    figures: list[Path] = []
    if plots_dir is not None:
        from linreg.viz.diagnostic_plots import write_diagnostic_plots

        with all_or_nothing(folders=[plots_dir]):
            figures = write_diagnostic_plots(diagnostics, plots_dir)
    if args.json:
        print_json({**diagnostics.to_dict(), "target_name": table.target_name, "plots": figures})
        return 0
    print(f"Diagnostics of {table.target_name} ~ {' + '.join(table.feature_names)} ({table.path})")
    print("Rows are numbered from 0 in file order (the header not counted).")
    print(diagnostics.summary())
    if figures:
        print(f"{len(figures)} figures written to {plots_dir}")
    return 0
