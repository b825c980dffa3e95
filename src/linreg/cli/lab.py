"""The lab's commands: ``linreg compare-optimizers`` and ``linreg scaling``.

They read the data, call :func:`linreg.viz.lab.compare_optimizers` and
:func:`linreg.viz.lab.scaling_experiment`, print the tables and draw ``optimizers.png``
and ``scaling.png``; the choice of learning rates is explained in :mod:`linreg.viz.lab`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.cli.common import (
    Progress,
    check_plots_dir,
    make_console,
    parse_names,
    print_json,
    read_data,
    rich_table,
)
from linreg.cli.safety import check_data_file
from linreg.errors import LinregError
from linreg.io.tables import Table
from linreg.validation import check_positive
from linreg.viz.lab import (
    SGD_SAFETY,
    ScalingRun,
    compare_optimizers,
    scaling_experiment,
)
from linreg.viz.summaries import finite

__all__ = ["cmd_compare_optimizers", "cmd_scaling"]

Array = NDArray[np.float64]


def _read(args: argparse.Namespace) -> tuple[Table, Array]:
    check_data_file(args.data, "the data file")
    table = read_data(args, args.data, target=args.target, features=parse_names(args.features))
    assert table.y is not None  # read_table requires the target
    return table, table.y


def _figure_note(path: Path | None, skipped: str | None) -> str:
    if path is not None:
        return f"figure written to {path}"
    return f"no figure: {skipped}" if skipped else ""


def _status(diverged_at_epoch: int | None) -> str:
    return "stable" if diverged_at_epoch is None else f"diverged at epoch {diverged_at_epoch}"


def cmd_compare_optimizers(args: argparse.Namespace) -> int:
    """``linreg compare-optimizers``: three optimizers, one table, one figure."""
    check_positive(args.lr, "--lr")
    check_positive(args.epochs, "--epochs", integer=True)
    check_positive(args.batch_size, "--batch-size", integer=True)
    if args.sgd_lr is not None:
        check_positive(args.sgd_lr, "--sgd-lr")
    table, y = _read(args)
    plots_dir = check_plots_dir(args.plots, args.data)
    show = not (args.json or args.quiet)
    bars: list[Progress] = []

    def hook(name: str) -> Callable[[int, float], None]:
        # One bar per run; rich draws one live display at a time, so close the last one.
        if bars:
            bars.pop().__exit__(None, None, None)
        bars.append(Progress(args.epochs, show, label=name))
        return bars[-1]

    try:
        result = compare_optimizers(
            table.X,
            y,
            learning_rate=args.lr,
            epochs=args.epochs,
            batch_size=args.batch_size,
            sgd_learning_rate=args.sgd_lr,
            seed=args.seed,
            on_epoch=hook,
        )
    finally:
        if bars:
            bars.pop().__exit__(None, None, None)

    figure: Path | None = None
    drawn = {r.name: r.history for r in result.runs if r.diverged_at_epoch is None}
    skipped = [r.name for r in result.runs if r.diverged_at_epoch is not None]
    note = None
    if plots_dir is not None:
        if drawn:
            from linreg.viz import plots

            figure = plots_dir / "optimizers.png"
            steps = {r.name: r.steps for r in result.runs if r.steps is not None}
            fig = plots.optimizer_paths(
                table.X, y, drawn, feature_names=table.feature_names, steps=steps
            )
            plots.save_figure(fig, figure)
        else:
            note = "every run diverged; lower --lr"
    if skipped and figure is not None:
        note = f"diverged runs are not drawn: {', '.join(skipped)}"

    stab = result.stability
    if args.json:
        print_json(
            {
                "runs": [
                    {
                        "name": r.name,
                        "solver": r.solver,
                        "learning_rate": r.learning_rate,
                        "batch_size": r.batch_size,
                        "status": r.status,
                        "diverged_at_epoch": r.diverged_at_epoch,
                        "final_loss": finite(r.final_loss),
                        "epochs_run": r.epochs_run,
                        "updates": r.updates,
                        "distance_to_optimum": finite(r.distance_to_optimum),
                        "coef": r.history.W[-1] if r.history.loss.size else None,
                        "intercept": float(r.history.b[-1]) if r.history.loss.size else None,
                    }
                    for r in result.runs
                ],
                "optimum": {
                    "coef": result.optimum_coef,
                    "intercept": result.optimum_intercept,
                    "loss": result.optimum_loss,
                },
                "max_stable_learning_rate": finite(stab.max_stable_learning_rate),
                "condition_number": finite(stab.condition_number),
                "figures": [] if figure is None else [figure],
                "note": note,
            }
        )
        return 0
    rows = [
        [
            r.name,
            r.batch_size,
            f"{r.learning_rate:.4g}",
            r.updates,
            r.final_loss if r.diverged_at_epoch is None else _status(r.diverged_at_epoch),
            r.distance_to_optimum if r.diverged_at_epoch is None else None,
        ]
        for r in result.runs
    ]
    console = make_console()
    console.print(
        rich_table(
            f"{args.epochs} epochs from W = 0, b = 0 on {table.path} ({table.X.shape[0]} rows)",
            ["optimizer", "batch", "learning rate", "updates", "final MSE", "distance to optimum"],
            rows,
        )
    )
    lines = [
        f"least-squares optimum MSE {result.optimum_loss:.6g}; "
        "distance to optimum = ||[W, b] - [W*, b*]||; "
        f"eta_max of full-batch GD = {stab.max_stable_learning_rate:.4g}, "
        f"condition number {stab.condition_number:.4g}",
    ]
    if args.sgd_lr is None:
        lines.append(
            f"SGD (batch 1) uses min(--lr, {SGD_SAFETY:g} / max ||[x_i, 1]||^2) = "
            f"{result.runs[2].learning_rate:.4g}, a tenth of its stability limit; "
            "set it with --sgd-lr"
        )
    text = _figure_note(figure, note)
    lines.append(f"{text} ({note})" if figure is not None and note else text)
    for line in filter(None, lines):
        console.print(line, markup=False)
    return 0


def _epochs_text(epochs: int | None, run: ScalingRun, total: int) -> str:
    if run.diverged_at_epoch is not None:
        return f"diverged at epoch {run.diverged_at_epoch}"
    return f"not within {total} epochs" if epochs is None else str(epochs)


def cmd_scaling(args: argparse.Namespace) -> int:
    """``linreg scaling``: raw vs standardized features, in numbers and in one figure."""
    if args.lr is not None:
        check_positive(args.lr, "--lr")
    elif not (math.isfinite(args.fraction) and 0.0 < args.fraction < 1.0):
        raise LinregError(f"--fraction must be in (0, 1), got {args.fraction:g}")
    check_positive(args.epochs, "--epochs", integer=True)
    check_positive(args.rtol, "--rtol")
    table, y = _read(args)
    plots_dir = check_plots_dir(args.plots, args.data)
    result = scaling_experiment(
        table.X,
        y,
        learning_rate=args.lr,
        fraction=args.fraction,
        epochs=args.epochs,
        rtol=args.rtol,
    )
    runs = {"raw": result.raw, "standardized": result.standardized}
    figure: Path | None = None
    note = None
    diverged = [name for name, r in runs.items() if r.diverged_at_epoch is not None]
    if plots_dir is not None:
        if diverged:
            note = f"the {' and '.join(diverged)} run diverged; lower --lr or leave it out"
        else:
            from linreg.viz import plots

            figure = plots_dir / "scaling.png"
            fig = plots.scaling_lab(
                table.X,
                y,
                result.raw.history,
                result.standardized.history,
                raw_stability=result.raw.stability,
                std_stability=result.standardized.stability,
                feature_names=table.feature_names,
            )
            plots.save_figure(fig, figure)

    def facts(r: ScalingRun) -> dict[str, Any]:
        s = r.stability
        return {
            "condition_number": finite(s.condition_number),
            "max_stable_learning_rate": finite(s.max_stable_learning_rate),
            "optimal_learning_rate": finite(s.optimal_learning_rate),
            "lambda_max": s.lambda_max,
            "lambda_min": s.lambda_min,
            "learning_rate": r.learning_rate,
            "status": "stable" if r.diverged_at_epoch is None else "diverged",
            "diverged_at_epoch": r.diverged_at_epoch,
            "epochs_to_converge": r.epochs_to_converge,
            "epochs_to_within_0.1_percent": r.epochs_to_figure_tolerance,
            "final_loss": finite(r.history.final_loss) if r.history.loss.size else None,
        }

    if args.json:
        print_json(
            {
                "raw": facts(result.raw),
                "standardized": {
                    **facts(result.standardized),
                    "mean": result.mean,
                    "std": result.std,
                },
                "optimum_loss": result.optimum_loss,
                "epochs": result.epochs,
                "rtol": result.rtol,
                "learning_rate_rule": "--lr"
                if args.lr is not None
                else f"{args.fraction:g} * own eta_max",
                "figures": [] if figure is None else [figure],
                "note": note,
            }
        )
        return 0

    raw, std = result.raw, result.standardized

    def rate_text(r: ScalingRun) -> str:
        ratio = r.learning_rate / r.stability.max_stable_learning_rate
        return f"{r.learning_rate:.4g} ({ratio:.3g} eta_max)"

    rows: list[list[Any]] = [
        ["condition number kappa", raw.stability.condition_number, std.stability.condition_number],
        ["lambda_max / lambda_min", _lambdas(raw), _lambdas(std)],
        [
            "eta_max = 2 / lambda_max",
            raw.stability.max_stable_learning_rate,
            std.stability.max_stable_learning_rate,
        ],
        ["learning rate used", rate_text(raw), rate_text(std)],
        [
            "epochs to MSE within 0.1%",
            _epochs_text(raw.epochs_to_figure_tolerance, raw, result.epochs),
            _epochs_text(std.epochs_to_figure_tolerance, std, result.epochs),
        ],
        [
            f"epochs to MSE within {result.rtol:g}",
            _epochs_text(raw.epochs_to_converge, raw, result.epochs),
            _epochs_text(std.epochs_to_converge, std, result.epochs),
        ],
        ["final MSE", _final(raw), _final(std)],
    ]
    console = make_console()
    console.print(
        rich_table(
            f"Feature scaling on {table.path}: full-batch GD from W = 0, b = 0",
            ["", "raw features", "standardized features"],
            rows,
        )
    )
    rule = (
        f"both at --lr {args.lr:g}"
        if args.lr is not None
        else f"each at {args.fraction:g} x its own eta_max"
        + (" (= 1 / lambda_max: no direction overshoots)" if args.fraction == 0.5 else "")
    )
    lines = [
        f"{result.epochs} epochs each; least-squares optimum MSE {result.optimum_loss:.6g}; "
        f"learning rates: {rule}; standardized: z = (x - mean) / std",
    ]
    if args.lr is None and args.fraction == 0.5 and std.epochs_to_converge == 1:
        lines.append(
            "kappa = 1: every direction has the same curvature lambda, so one step at "
            "1 / lambda lands on the least-squares optimum"
        )
    lines.append(_figure_note(figure, note))
    for line in filter(None, lines):
        console.print(line, markup=False)
    return 0


def _final(r: ScalingRun) -> float | None:
    stable = r.diverged_at_epoch is None and r.history.loss.size > 0
    return r.history.final_loss if stable else None


def _lambdas(r: ScalingRun) -> str:
    return f"{r.stability.lambda_max:.4g} / {r.stability.lambda_min:.4g}"


# -- registration ----------------------------------------------------------------------------
