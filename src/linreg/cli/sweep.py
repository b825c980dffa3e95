"""``linreg sweep``: the learning-rate experiment, full-batch GD at several rates."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from linreg.cli.common import (
    check_plots_dir,
    make_console,
    parse_floats,
    parse_names,
    print_json,
    read_data,
    rich_table,
    status_label,
)
from linreg.cli.safety import check_data_file
from linreg.errors import LinregError
from linreg.viz.summaries import finite

__all__ = ["cmd_sweep"]


def cmd_sweep(args: argparse.Namespace) -> int:
    from linreg.stats.sweep import learning_rate_sweep

    rates = parse_floats(args.lrs, "--lrs")
    bad = [r for r in rates if not (math.isfinite(r) and r > 0)]
    if bad:
        raise LinregError(f"--lrs: learning rates must be positive numbers, got {bad[0]:g}")
    if args.epochs <= 0:
        raise LinregError(f"epochs must be a positive integer, got {args.epochs}")
    check_data_file(args.data, "the data file")
    table = read_data(args, args.data, target=args.target, features=parse_names(args.features))
    plots_dir = check_plots_dir(args.plots, args.data)
    assert table.y is not None
    result = learning_rate_sweep(
        table.X, table.y, rates, epochs=args.epochs, standardize=args.standardize
    )
    figures: list[Path] = []
    if plots_dir is not None:
        from linreg.viz import plots

        path = plots_dir / "lr_sweep.png"
        plots.save_figure(
            plots.learning_rate_sweep(result.runs, result.max_stable_learning_rate), path
        )
        figures.append(path)
    runs = [
        {
            "learning_rate": r.learning_rate,
            "status": r.status,
            "final_loss": finite(r.final_loss),
            "diverged_at_epoch": r.diverged_at_epoch,
            "epochs_run": r.epochs_run,
        }
        for r in result.runs
    ]
    if args.json:
        print_json(
            {
                "runs": runs,
                "max_stable_learning_rate": finite(result.max_stable_learning_rate),
                "condition_number": finite(result.condition_number),
                "optimum_loss": result.optimum_loss,
                "figures": figures,
            }
        )
        return 0
    rows = [
        [
            f"{r.learning_rate:g}",
            status_label(r.status, r.diverged_at_epoch),
            r.final_loss,
            r.epochs_run,
        ]
        for r in result.runs
    ]
    console = make_console()
    console.print(
        rich_table(
            f"Learning-rate sweep ({args.epochs} epochs of full-batch GD)",
            ["learning rate", "status", "final MSE", "epochs run"],
            rows,
        )
    )
    console.print(
        f"eta_max = {result.max_stable_learning_rate:.4g} (largest stable rate), "
        f"condition number {result.condition_number:.4g}, "
        f"least-squares optimum MSE {result.optimum_loss:.6g}"
    )
    if figures:
        console.print(f"figure written to {figures[0]}")
    return 0
