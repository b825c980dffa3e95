"""``linreg evaluate`` and ``linreg predict``: a saved model on a data file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from linreg.cli.common import (
    check_plots_dir,
    make_console,
    parse_names,
    print_json,
    read_data,
    read_truth,
    reading_options,
    rich_table,
)
from linreg.cli.formulas import formula_table
from linreg.cli.safety import (
    all_or_nothing,
    check_data_file,
    check_out_file,
    check_outputs,
)
from linreg.errors import LinregError
from linreg.estimator import LinearRegression
from linreg.io.persistence import load_model
from linreg.io.tables import (
    Table,
    file_kind,
    file_sha256,
    read_columns,
    write_frame_csv,
    write_frame_parquet,
)
from linreg.viz.summaries import METRIC_NAMES, closed_form, evaluate_metrics, gap_text

__all__ = ["cmd_evaluate", "cmd_predict"]


def _load_with_data(
    args: argparse.Namespace, require_target: bool
) -> tuple[LinearRegression, dict[str, Any], Table]:
    check_data_file(args.data, "the data file")
    model, content = load_model(args.model)
    encoded = formula_table(
        model, args.data, require_target=require_target, options=reading_options(args, args.data)
    )
    if encoded is not None:  # a model fitted by a formula reads the raw columns
        return model, content, encoded
    names = content["feature_names"]
    table = read_data(
        args,
        args.data,
        target=content["target_name"],
        features=names,
        require_target=require_target,
    )
    return model, content, table


def cmd_evaluate(args: argparse.Namespace) -> int:
    plots_dir = check_plots_dir(args.plots, args.model, args.data)
    model, content, table = _load_with_data(args, require_target=True)
    assert table.y is not None
    y_pred = model.predict(table.X)
    result: dict[str, Any] = evaluate_metrics(table.y, y_pred)
    if args.compare:
        W0, b0 = model.history_.W[0], float(model.history_.b[0])
        untrained = evaluate_metrics(table.y, table.X @ W0 + b0)
        ground_truth = None if table.y_true is None else evaluate_metrics(table.y, table.y_true)
        truth = content.get("extra", {}).get("truth") or read_truth(table.path, table.X.shape[1])
        optimum = closed_form(table.X, table.y, bool(model.fit_intercept))
        opt_mse = optimum.history_.final_loss
        extra = content.get("extra", {})
        recorded = content.get("training", {}).get("data_sha256")
        is_training = None if recorded is None else recorded == file_sha256(table.path)
        result.update(
            {
                "untrained": untrained,
                "trained": dict(evaluate_metrics(table.y, y_pred)),
                "ground_truth": ground_truth,
                "parameters": {
                    "names": [*content["feature_names"], "intercept"],
                    "learned": [*model.coef_.tolist(), model.intercept_],
                    "true": None if truth is None else [*truth["weights"], truth["bias"]],
                    "untrained": [*W0.tolist(), b0],
                },
                # On the training data, trained MSE - optimum MSE is the optimization gap;
                # on other data it is the excess over a line fitted to that data, which
                # also holds the difference between the two data sets.
                "optimization_gap": {
                    "data_is_training_data": is_training,
                    "data_mse": result["mse"],
                    "data_optimum_mse": opt_mse,
                    "data_gap": result["mse"] - opt_mse,
                    "training_mse": model.history_.final_loss,
                    "training_optimum_mse": extra.get("optimum_loss"),
                    "training_gap": None
                    if extra.get("optimum_loss") is None
                    else model.history_.final_loss - extra["optimum_loss"],
                },
            }
        )
    figures: list[Path] = []
    if plots_dir is not None:
        from linreg.viz import plots

        figs = {
            "eval_fit.png": plots.fit_line(
                model,
                table.X,
                table.y,
                feature_names=table.feature_names,
                target_name=table.target_name,
            ),
            "eval_residuals.png": plots.residuals(table.y, y_pred),
        }
        if args.compare:
            figs["eval_untrained_vs_trained.png"] = plots.untrained_vs_trained(
                model.history_, table.X, table.y, table.y_true
            )
        with all_or_nothing(folders=[plots_dir]):
            for name, fig in figs.items():
                plots.save_figure(fig, plots_dir / name)
                figures.append(plots_dir / name)
    result["figures"] = figures
    if args.json:
        print_json(result)
        return 0
    console = make_console()
    console.print(f"{table.path}: {table.X.shape[0]} rows, model {args.model}")
    if not args.compare:
        rows = [[METRIC_NAMES[k], result[k]] for k in ("mse", "rmse", "mae", "r2")]
        console.print(rich_table("Metrics", ["metric", "value"], rows))
    else:
        cols = ["metric", "untrained", "trained"] + (
            ["ground truth (y_true)"] if result["ground_truth"] else []
        )
        rows = []
        for k in ("mse", "rmse", "mae", "r2"):
            row = [METRIC_NAMES[k], result["untrained"][k], result["trained"][k]]
            if result["ground_truth"]:
                row.append(result["ground_truth"][k])
            rows.append(row)
        console.print(rich_table("Untrained vs trained vs ground truth", cols, rows))
        p = result["parameters"]
        prow = [
            [n, u, ll, None if p["true"] is None else t]
            for n, u, ll, t in zip(
                p["names"],
                p["untrained"],
                p["learned"],
                p["true"] or [None] * len(p["names"]),
                strict=False,
            )
        ]
        console.print(rich_table("Parameters", ["parameter", "untrained", "learned", "true"], prow))
        g = result["optimization_gap"]
        training = bool(g["data_is_training_data"])
        this = "this data (the training data)" if training else "this data"
        grows = [
            [
                this,
                g["data_mse"],
                g["data_optimum_mse"],
                gap_text(g["data_mse"], g["data_optimum_mse"]),
            ]
        ]
        if g["training_optimum_mse"] is not None and not training:
            grows.append(
                [
                    "training data",
                    g["training_mse"],
                    g["training_optimum_mse"],
                    gap_text(g["training_mse"], g["training_optimum_mse"]),
                ]
            )
        console.print(
            rich_table(
                "Trained MSE vs the closed-form optimum",
                ["data", "trained MSE", "optimum MSE", "difference"],
                grows,
            )
        )
        if training:
            console.print("On the training data the difference is the optimization gap.")
        else:
            console.print(
                "Optimization gap: the training data's difference. This data is not the "
                "training data: its difference is to the best line for this data itself, so it "
                "also holds how the two data sets differ (not only optimization)."
            )
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_out_file(args.out, "--out", "the predictions")
        check_outputs([args.model, args.data], files=[(args.out, "--out")])
    model, content, table = _load_with_data(args, require_target=False)
    y_pred = model.predict(table.X)
    keep = None if args.keep is None else parse_names(args.keep)
    reading = reading_options(args, args.data)
    frame = read_columns(args.data, keep, **reading)
    # A CSV is written in the input's dialect, so its kept text and numbers agree.
    dialect = {"delimiter": reading["delimiter"] or ",", "decimal": reading["decimal"] or "."}
    column = f"{content['target_name']}_pred"
    if column in frame.columns:
        raise LinregError(
            f"{args.data}: already has a column {column!r}, the predictions' name; leave it "
            "out with --keep (or rename it)"
        )
    frame[column] = y_pred
    if args.out is not None:
        if file_kind(args.out) == "parquet":
            write_frame_parquet(args.out, frame)
        else:
            write_frame_csv(args.out, frame, **dialect)
    if args.json:
        print_json({"predictions": y_pred, "out": args.out})
    elif args.out is None:
        frame.to_csv(
            sys.stdout,
            index=False,
            lineterminator="\n",
            sep=dialect["delimiter"],
            decimal=dialect["decimal"],
        )
    else:
        make_console().print(f"wrote {len(y_pred)} predictions to {args.out}")
    return 0
