"""``linreg evaluate`` and ``linreg predict``: a saved model on a data file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from linreg.cli.common import (
    AddCommand,
    add_json,
    check_plots_dir,
    make_console,
    print_json,
    read_truth,
    rich_table,
)
from linreg.cli.formulas import formula_table
from linreg.cli.safety import (
    all_or_nothing,
    check_data_file,
    check_out_file,
    check_outputs,
)
from linreg.estimator import LinearRegression
from linreg.io.persistence import load_model
from linreg.io.tables import (
    Table,
    read_table,
    write_frame_csv,
)
from linreg.viz.summaries import METRIC_NAMES, closed_form, evaluate_metrics

__all__ = ["register"]


def _load_with_data(
    model_path: str, data_path: str, require_target: bool
) -> tuple[LinearRegression, dict[str, Any], Table]:
    check_data_file(data_path, "the data file")
    model, content = load_model(model_path)
    encoded = formula_table(model, data_path, require_target=require_target)
    if encoded is not None:  # a model fitted by a formula reads the raw columns
        return model, content, encoded
    names = content["feature_names"]
    table = read_table(
        data_path, target=content["target_name"], features=names, require_target=require_target
    )
    return model, content, table


def cmd_evaluate(args: argparse.Namespace) -> int:
    plots_dir = check_plots_dir(args.plots, args.model, args.data)
    model, content, table = _load_with_data(args.model, args.data, require_target=True)
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
                "optimization_gap": {
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
        grows = [["this data", g["data_mse"], g["data_optimum_mse"], g["data_gap"]]]
        if g["training_optimum_mse"] is not None:
            grows.append(
                ["training data", g["training_mse"], g["training_optimum_mse"], g["training_gap"]]
            )
        console.print(
            rich_table(
                "Optimization gap (trained MSE vs closed-form optimum)",
                ["data", "trained MSE", "optimum MSE", "gap"],
                grows,
            )
        )
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_out_file(args.out, "--out", "the predictions")
        check_outputs([args.model, args.data], files=[(args.out, "--out")])
    model, content, table = _load_with_data(args.model, args.data, require_target=False)
    y_pred = model.predict(table.X)
    frame = pd.DataFrame(table.X, columns=table.feature_names)
    frame[f"{content['target_name']}_pred"] = y_pred
    if args.out is not None:
        write_frame_csv(args.out, frame)
    if args.json:
        print_json({"predictions": y_pred, "out": args.out})
    elif args.out is None:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        make_console().print(f"wrote {len(y_pred)} predictions to {args.out}")
    return 0


def register(add: AddCommand) -> None:
    """Add ``evaluate`` and ``predict`` to the ``linreg`` command."""
    p = add(
        "evaluate",
        cmd_evaluate,
        "Evaluate a saved model on a CSV file: MSE, RMSE, MAE, R^2.",
        "linreg evaluate model.json data/test.csv --compare",
    )
    p.add_argument("model", help="model file written by 'linreg train'")
    p.add_argument("data", help="CSV with the model's features and target")
    p.add_argument(
        "--compare",
        action="store_true",
        help="untrained vs trained vs ground truth, parameters, and optimization gap",
    )
    p.add_argument("--plots", help="folder for the figures")
    add_json(p)

    p = add(
        "predict",
        cmd_predict,
        "Predict with a saved model.",
        "linreg predict model.json new.csv --out predictions.csv",
    )
    p.add_argument("model", help="model file written by 'linreg train'")
    p.add_argument("data", help="CSV with the model's feature columns")
    p.add_argument("--out", help="CSV to write (default: print to stdout)")
    add_json(p)
