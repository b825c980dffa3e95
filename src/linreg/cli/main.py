"""The ``linreg`` command: parse arguments, call the library, print the result.

Every subcommand has ``--help`` with an example and ``--json`` for a
machine-readable result on stdout. Errors are one line on stderr
(``linreg: error: ...``) with a non-zero exit and no traceback; files are
written atomically, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from linreg import out_of_memory
from linreg.cli.common import (
    EXIT_ERROR,
    METRIC_NAMES,
    TRUTH_FILE,
    Handler,
    Progress,
    add_data_options,
    add_json,
    check_plots_dir,
    closed_form,
    evaluate_metrics,
    finite,
    json_default,
    make_console,
    param_rows,
    parse_floats,
    parse_names,
    print_json,
    read_truth,
    rich_table,
    status_label,
)
from linreg.cli.progress import RichProgress
from linreg.data import make_regression, train_test_split
from linreg.errors import DivergenceError, LinregError
from linreg.estimator import SOLVERS, LinearRegression
from linreg.gradcheck import gradcheck
from linreg.io.persistence import load_model, save_model
from linreg.io.tables import (
    Table,
    atomic_write,
    file_sha256,
    read_table,
    write_dataset_csv,
    write_frame_csv,
)
from linreg.model import LinearModel
from linreg.solvers import kernels
from linreg.sources import batches

__all__ = ["main"]


# -- subcommands -----------------------------------------------------------------------------
def cmd_generate(args: argparse.Namespace) -> int:
    weights = None if args.weights is None else parse_floats(args.weights, "--weights")
    x_range = parse_floats(args.x_range, "--x-range")
    if len(x_range) != 2:
        raise LinregError(f"--x-range must be two numbers low,high, got {args.x_range!r}")
    data = make_regression(
        n_samples=args.samples,
        n_features=args.features,
        weights=weights,
        bias=args.bias,
        noise=args.noise,
        x_range=(x_range[0], x_range[1]),
        seed=args.seed,
    )
    train, test = train_test_split(data, test_size=args.test_size, seed=args.seed)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise LinregError(f"{out}: --out must be a folder, but a file has that name")
    truth = {
        "weights": data.weights,
        "bias": data.bias,
        "noise": data.noise,
        "seed": args.seed,
        "n_samples": data.n_samples,
        "x_range": list(x_range),
    }
    write_dataset_csv(out / "train.csv", train)
    write_dataset_csv(out / "test.csv", test)
    with atomic_write(out / TRUTH_FILE) as handle:
        json.dump(truth, handle, indent=1, default=json_default)
        handle.write("\n")
    files = [out / "train.csv", out / "test.csv", out / TRUTH_FILE]
    if args.json:
        print_json({"files": files, "n_train": train.n_samples, "n_test": test.n_samples, **truth})
    else:
        console = make_console()
        true_w = np.asarray(data.weights)
        terms = " + ".join(f"{w:g}*{n}" for w, n in zip(true_w, data.feature_names, strict=True))
        console.print(f"y = {terms} + {data.bias:g} + noise (sd {data.noise:g}), seed {args.seed}")
        console.print(
            f"wrote {files[0]} ({train.n_samples} rows), {files[1]} "
            f"({test.n_samples} rows), {files[2]}"
        )
    return 0


def _model_from_args(args: argparse.Namespace) -> LinearRegression:
    return LinearRegression(
        solver=args.solver,
        learning_rate=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        momentum=args.momentum,
        tol=args.tol,
        standardize=args.standardize,
        fit_intercept=not args.no_intercept,
        init=args.init,
        seed=args.seed,
    )


def _fit_from_args(args: argparse.Namespace, table: Table, val: Table | None) -> LinearRegression:
    model = _model_from_args(args)
    assert table.y is not None  # read_table requires the target for training
    model._validate_params()  # before the data errors below, which name the file
    show = not (args.json or args.quiet) and args.solver != "exact"
    with Progress(args.epochs, show) as progress:
        try:
            model.fit(
                table.frame,
                table.y,
                None if val is None else val.frame,
                None if val is None or val.y is None else val.y,
                on_epoch=progress,
            )
        except DivergenceError:
            raise
        except LinregError as exc:
            raise LinregError(f"{table.path}: {exc}") from None
    return model


def _fit_streamed(args: argparse.Namespace, val: Table | None) -> out_of_memory.StreamFit:
    """Fit ``args.data`` without reading it whole: record batches, or on a Dask cluster.

    With ``--plots`` a uniform sample of :data:`linreg.sources.batches.SAMPLE_ROWS` rows is
    kept for the figures (they need rows; the fit does not).
    """
    model = _model_from_args(args)
    model._validate_params()
    val_data = None if val is None or val.y is None else (val.X, val.y)
    features = parse_names(args.features)
    sample_rows = batches.SAMPLE_ROWS if args.plots else 0
    if args.dask is not None:
        from linreg.sources.distributed import fit_path

        return fit_path(
            args.data,
            model,
            address=args.dask,
            target=args.target,
            features=features,
            val=val_data,
            sample_rows=sample_rows,
        )
    with RichProgress(not (args.json or args.quiet)) as progress:
        return out_of_memory.fit_file(
            args.data,
            model,
            target=args.target,
            features=features,
            val=val_data,
            progress=progress,
            sample_rows=sample_rows,
        )


def cmd_train(args: argparse.Namespace) -> int:
    streaming = args.dask is not None or batches.wants_streaming(args.data, force=args.stream)
    streamed: out_of_memory.StreamFit | None = None
    if streaming:
        # The first rows only: the columns are checked and the gradient check has data.
        table = batches.preview(
            args.data,
            target=args.target,
            features=parse_names(args.features),
            dask=args.dask is not None,
        )
    else:
        table = read_table(args.data, target=args.target, features=parse_names(args.features))
    val = None
    if args.val is not None:
        val = read_table(args.val, target=table.target_name, features=table.feature_names)
    plots_dir = check_plots_dir(args.plots)
    out = Path(args.out)
    if out.is_dir():
        raise LinregError(f"{out}: --out must be a file name for the model, not a folder")
    assert table.y is not None
    fit_intercept = not args.no_intercept

    check = None
    if args.grad_check:
        probe = LinearModel(
            table.X.shape[1], init="random", seed=args.seed, fit_intercept=fit_intercept
        )
        check = gradcheck(probe, table.X, table.y)
        if not check.passed:
            if not args.json:
                make_console().print(str(check))
            raise LinregError(
                f"gradient check failed before training: max relative error "
                f"{check.max_relative_error:.2e} > tolerance {check.tolerance:.0e}; "
                "the analytic gradients are wrong"
            )

    try:
        if streaming:
            streamed = _fit_streamed(args, val)
            model = streamed.model
            if streamed.sample is not None:  # the figures are drawn from the sample
                table = replace(table, X=streamed.sample[0], y=streamed.sample[1])
        else:
            model = _fit_from_args(args, table, val)
    except DivergenceError as exc:
        report = exc.report
        if plots_dir is not None and report.history.loss.size:
            from linreg.viz import plots

            plots.save_figure(
                plots.loss_curve(report.history, title="Loss until divergence"),
                plots_dir / "loss_curve.png",
            )
        if args.json:
            print_json(
                {
                    "error": "diverged",
                    "epoch": report.epoch,
                    "learning_rate": report.learning_rate,
                    "max_stable_learning_rate": finite(report.max_stable_learning_rate),
                    "last_finite_coef": report.W,
                    "last_finite_intercept": report.b,
                    "gradient_norm": finite(report.gradient_norm),
                    "loss_history": report.history.loss,
                }
            )
        raise
    assert table.y is not None
    truth = read_truth(table.path, table.X.shape[1])
    if streamed is not None:
        optimum = streamed.optimum
    else:
        optimum = closed_form(table.X, table.y, fit_intercept)
    extra: dict[str, Any] = {
        "optimum_loss": optimum.history_.final_loss,
        "optimum_coef": optimum.coef_.tolist(),
        "optimum_intercept": optimum.intercept_,
        "training_file": str(table.path),
    }
    if truth is not None:
        extra["truth"] = truth
    save_model(
        model,
        out,
        feature_names=table.feature_names,
        target_name=table.target_name,
        data_sha256=file_sha256(table.path) if table.path.is_file() else None,
        extra=extra,
    )
    figures: list[Path] = []
    if plots_dir is not None:
        from linreg.viz import plots

        figures = plots.write_training_figures(
            plots_dir,
            model,
            table.X,
            table.y,
            y_true=table.y_true,
            true_weights=None if truth is None else np.asarray(truth["weights"]),
            true_bias=None if truth is None else truth["bias"],
            feature_names=table.feature_names,
            target_name=table.target_name,
            animate=args.animate,
        )
    stab = model.stability_
    result = {
        "coef": model.coef_,
        "intercept": model.intercept_,
        "feature_names": table.feature_names,
        "final_loss": model.history_.final_loss,
        "optimum_loss": optimum.history_.final_loss,
        "epochs_run": model.n_iter_,
        "updates": model.n_steps_,
        "stop_reason": model.stop_reason_,
        "max_stable_learning_rate": None if stab is None else finite(stab.max_stable_learning_rate),
        "condition_number": None if stab is None else finite(stab.condition_number),
        "closed_form": {"coef": optimum.coef_, "intercept": optimum.intercept_},
        "truth": truth,
        "model": out,
        "figures": figures,
    }
    if streamed is not None:
        result["streamed"] = {
            "n_samples": streamed.n_samples,
            "passes": streamed.passes,
            "figures_from_sample_of": None if streamed.sample is None else len(streamed.sample[1]),
        }
    if check is not None:
        result["grad_check"] = {
            "passed": check.passed,
            "max_relative_error": check.max_relative_error,
        }
    if args.json:
        print_json(result)
        return 0
    console = make_console()
    if check is not None:
        console.print(str(check))
    others: dict[str, Any] = {"closed form": (optimum.coef_, optimum.intercept_)}
    if truth is not None:
        others["true"] = (truth["weights"], truth["bias"])
    rows = param_rows(table.feature_names, model.coef_, model.intercept_, **others)
    console.print(rich_table("Parameters", ["parameter", "learned", *others], rows))
    facts: list[list[Any]] = [
        ["solver", model.solver],
        ["epochs run", model.n_iter_],
        ["updates", model.n_steps_],
        ["stop reason", model.stop_reason_],
        ["final training MSE", model.history_.final_loss],
        ["least-squares optimum MSE", optimum.history_.final_loss],
    ]
    if stab is not None:
        facts += [
            [
                "learning rate / eta_max",
                f"{model.learning_rate:g} / {stab.max_stable_learning_rate:.4g}",
            ],
            ["condition number", stab.condition_number],
        ]
    if streamed is not None:
        facts += [
            ["rows (streamed)", streamed.n_samples],
            ["passes over the data", streamed.passes],
        ]
        if figures and streamed.sample is not None:
            facts.append(["figures drawn from a sample of", f"{len(streamed.sample[1])} rows"])
    console.print(rich_table("Training", ["", "value"], facts))
    console.print(
        f"model written to {out}" + (f"; {len(figures)} figures in {plots_dir}" if figures else "")
    )
    return 0


def _load_with_data(
    model_path: str, data_path: str, require_target: bool
) -> tuple[LinearRegression, dict[str, Any], Table]:
    model, content = load_model(model_path)
    names = content["feature_names"]
    table = read_table(
        data_path, target=content["target_name"], features=names, require_target=require_target
    )
    return model, content, table


def cmd_evaluate(args: argparse.Namespace) -> int:
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
    plots_dir = check_plots_dir(args.plots)
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


def cmd_sweep(args: argparse.Namespace) -> int:
    from linreg.stats.sweep import learning_rate_sweep

    rates = parse_floats(args.lrs, "--lrs")
    bad = [r for r in rates if not (math.isfinite(r) and r > 0)]
    if bad:
        raise LinregError(f"--lrs: learning rates must be positive numbers, got {bad[0]:g}")
    if args.epochs <= 0:
        raise LinregError(f"epochs must be a positive integer, got {args.epochs}")
    table = read_table(args.data, target=args.target, features=parse_names(args.features))
    plots_dir = check_plots_dir(args.plots)
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


def cmd_gradcheck(args: argparse.Namespace) -> int:
    table = read_table(args.data, target=args.target, features=parse_names(args.features))
    assert table.y is not None
    model = LinearModel(table.X.shape[1], init="random", seed=args.seed)
    result = gradcheck(model, table.X, table.y, tolerance=args.tolerance)
    if args.json:
        print_json(
            {
                "passed": result.passed,
                "max_relative_error": result.max_relative_error,
                "tolerance": result.tolerance,
                "parameters": [
                    {"name": n, "analytic": a, "numeric": m, "relative_error": e}
                    for n, a, m, e in result.table()
                ],
            }
        )
    else:
        make_console().print(str(result))
    return 0 if result.passed else EXIT_ERROR


def cmd_demo(args: argparse.Namespace) -> int:
    from linreg.stats.sweep import learning_rate_sweep
    from linreg.viz import plots

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise LinregError(f"{out}: --out must be a folder, but a file has that name")
    quiet = args.json
    console = make_console()

    def say(text: str) -> None:
        if not quiet:
            console.print(text)

    # 1. Data with a known truth: y = 3x + 2 + noise, x in [0, 10].
    data = make_regression(n_samples=1000, seed=args.seed)
    train, test = train_test_split(data, test_size=0.2, seed=args.seed)
    write_dataset_csv(out / "data" / "train.csv", train)
    write_dataset_csv(out / "data" / "test.csv", test)
    with atomic_write(out / "data" / TRUTH_FILE) as handle:
        json.dump(
            {"weights": data.weights, "bias": data.bias, "noise": data.noise, "seed": args.seed},
            handle,
            indent=1,
            default=json_default,
        )
    say(
        f"1. data: y = 3x + 2 + noise, {train.n_samples} training and {test.n_samples} test rows "
        f"in {out / 'data'}"
    )

    # 2. Gradient descent from W = 0, b = 0.
    learning_rate, epochs = 0.01, 5000
    model = LinearRegression(solver="gd", learning_rate=learning_rate, epochs=epochs)
    with Progress(epochs, not quiet) as progress:
        model.fit(train.X, train.y, test.X, test.y, on_epoch=progress)
    optimum = closed_form(train.X, train.y, True)
    save_model(
        model,
        out / "model.json",
        feature_names=train.feature_names,
        data_sha256=file_sha256(out / "data" / "train.csv"),
        extra={
            "truth": {"weights": data.weights.tolist(), "bias": data.bias},  # type: ignore[union-attr]
            "optimum_loss": optimum.history_.final_loss,
        },
    )
    say(
        f"2. trained by gradient descent: {epochs} epochs at learning rate {learning_rate}, "
        f"model in {out / 'model.json'}"
    )

    # 3. Evaluation on held-out data.
    assert test.y_true is not None
    trained = evaluate_metrics(test.y, model.predict(test.X))
    untrained = evaluate_metrics(test.y, test.X @ model.history_.W[0] + model.history_.b[0])
    ground = evaluate_metrics(test.y, test.y_true)
    say(f"3. evaluated on the {test.n_samples} test rows: R^2 {trained['r2']:.4f}")

    # 4. The learning-rate experiment.
    sweep = learning_rate_sweep(train.X, train.y, [0.001, 0.005, 0.1], epochs=10000)
    say("4. learning-rate experiment: 0.001, 0.005 and 0.1 for 10,000 epochs each")

    # 5. Figures.
    figures = plots.write_training_figures(
        out / "figures",
        model,
        train.X,
        train.y,
        y_true=train.y_true,
        true_weights=data.weights,
        true_bias=data.bias,
        feature_names=train.feature_names,
        animate=True,
    )
    sweep_path = out / "figures" / "lr_sweep.png"
    plots.save_figure(
        plots.learning_rate_sweep(sweep.runs, sweep.max_stable_learning_rate), sweep_path
    )
    figures.append(sweep_path)
    say(f"5. {len(figures)} figures (and the training animation) in {out / 'figures'}")

    # 6. The report: everything above on one self-contained page.
    from linreg.viz.report import report_from_files

    report = report_from_files(out / "model.json", out / "data" / "train.csv", out / "report.html")
    say(f"6. report: {report} (open it in a browser)")

    result = {
        "coef": model.coef_,
        "intercept": model.intercept_,
        "closed_form": {"coef": optimum.coef_, "intercept": optimum.intercept_},
        "truth": {"coef": data.weights, "intercept": data.bias},
        "report": report,
        "test_metrics": {"untrained": untrained, "trained": trained, "ground_truth": ground},
        "sweep": [
            {
                "learning_rate": r.learning_rate,
                "status": r.status,
                "final_loss": finite(r.final_loss),
                "diverged_at_epoch": r.diverged_at_epoch,
            }
            for r in sweep.runs
        ],
        "max_stable_learning_rate": sweep.max_stable_learning_rate,
        "figures": figures,
    }
    if args.json:
        print_json(result)
        return 0
    rows = param_rows(
        ["X"],
        model.coef_,
        model.intercept_,
        closed_form=(optimum.coef_, optimum.intercept_),
        true=(data.weights, data.bias),
    )
    console.print(
        rich_table(
            "Learned vs closed form vs truth",
            ["parameter", "learned (GD)", "closed form", "true"],
            rows,
        )
    )
    mrows = [
        [METRIC_NAMES[k], untrained[k], trained[k], ground[k]] for k in ("mse", "rmse", "mae", "r2")
    ]
    console.print(rich_table("Test set", ["metric", "untrained", "trained", "ground truth"], mrows))
    srows = [
        [
            f"{r.learning_rate:g}",
            status_label(r.status, r.diverged_at_epoch),
            r.final_loss,
        ]
        for r in sweep.runs
    ]
    console.print(
        rich_table(
            f"Learning rates (eta_max = {sweep.max_stable_learning_rate:.4g})",
            ["learning rate", "status", "final MSE"],
            srows,
        )
    )
    return 0


# -- parser ----------------------------------------------------------------------------------
#: Modules that add subcommands of their own: each defines ``register(add: AddCommand)``
#: and calls ``add(name, handler, help, example)`` for each of its commands.
EXTENSIONS: tuple[str, ...] = (
    "linreg.viz.lab",
    "linreg.viz.report",
    "linreg.cli.stats",
    "linreg.bench",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``linreg`` command."""
    from linreg import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="linreg",
        description="Linear regression from first principles: generate data, train by "
        "gradient descent or exactly, evaluate, predict, and draw every step.",
        epilog="example:\n  linreg demo --out results/\n\n"
        "run 'linreg COMMAND --help' for each command",
        formatter_class=fmt,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"linreg {__version__} (exact solver's refinement kernel: {kernels.describe()})",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, handler: Handler, help_: str, example: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            formatter_class=fmt,
            epilog=f"example:\n  {example}",
        )
        p.set_defaults(handler=handler)
        return p

    p = add(
        "generate",
        cmd_generate,
        "Generate synthetic data y = X W + b + noise with known truth.",
        "linreg generate --samples 1000 --features 1 --weights 2 --bias 1 --noise 1 "
        "--test-size 0.2 --seed 0 --out data/",
    )
    p.add_argument("--samples", type=int, default=1000, help="number of rows (default: 1000)")
    p.add_argument("--features", type=int, default=1, help="number of features (default: 1)")
    p.add_argument("--weights", help="true weights, comma-separated (default: 3 for each)")
    p.add_argument("--bias", type=float, default=2.0, help="true bias (default: 2)")
    p.add_argument("--noise", type=float, default=1.0, help="noise standard deviation (default: 1)")
    p.add_argument("--x-range", default="0,10", help="feature range low,high (default: 0,10)")
    p.add_argument(
        "--test-size", type=float, default=0.2, help="test fraction in (0, 1) (default: 0.2)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", default="data", help="output folder (default: data/)")
    add_json(p)

    p = add(
        "train",
        cmd_train,
        "Train a model on a CSV file and save it as JSON.",
        "linreg train data/train.csv --solver gd --lr 0.01 --epochs 1000 "
        "--val data/test.csv --out model.json --plots results/",
    )
    p.add_argument("data", help="training CSV or Parquet file")
    add_data_options(p)
    p.add_argument("--solver", choices=SOLVERS, default="gd", help="gd, sgd or exact (default: gd)")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (default: 0.01)")
    p.add_argument("--epochs", type=int, default=1000, help="epochs (default: 1000)")
    p.add_argument("--batch-size", type=int, default=32, help="rows per SGD update (default: 32)")
    p.add_argument("--momentum", type=float, default=0.0, help="momentum in [0, 1) (default: 0)")
    p.add_argument(
        "--tol",
        type=float,
        help="stop when the relative loss change is below this (sgd: also within an epoch, "
        "when its batch losses stop improving by it)",
    )
    p.add_argument("--standardize", action="store_true", help="train on standardized features")
    p.add_argument("--no-intercept", action="store_true", help="fit without a bias (b = 0)")
    p.add_argument("--init", choices=("zeros", "random"), default="zeros", help="starting point")
    p.add_argument("--seed", type=int, default=0, help="seed of random init and SGD shuffles")
    p.add_argument("--val", help="validation CSV; its loss is recorded every epoch")
    p.add_argument("--grad-check", action="store_true", help="check the gradients before training")
    p.add_argument("--out", default="model.json", help="model file to write (default: model.json)")
    p.add_argument("--plots", help="folder for the figures")
    p.add_argument("--animate", action="store_true", help="also write training.gif (with --plots)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--stream",
        action="store_true",
        help="read the file in record batches, never whole (automatic for Parquet, and for "
        "a CSV larger than 1/8 of the available memory); figures use a sample of rows",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="fit on a Dask cluster: its scheduler's address (tcp://host:8786), or 'local' "
        "for worker processes on this machine",
    )
    add_json(p)

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

    p = add(
        "sweep",
        cmd_sweep,
        "The learning-rate experiment: full-batch GD at several rates.",
        "linreg sweep data/train.csv --lrs 0.001,0.005,0.1 --epochs 10000 --plots results/",
    )
    p.add_argument("data", help="training CSV")
    add_data_options(p)
    p.add_argument("--lrs", default="0.001,0.005,0.1", help="comma-separated learning rates")
    p.add_argument("--epochs", type=int, default=10000, help="epochs per rate (default: 10000)")
    p.add_argument("--standardize", action="store_true", help="train on standardized features")
    p.add_argument("--plots", help="folder for the figure")
    add_json(p)

    p = add(
        "gradcheck",
        cmd_gradcheck,
        "Check the analytic gradients against central differences.",
        "linreg gradcheck data/train.csv",
    )
    p.add_argument("data", help="CSV file")
    add_data_options(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the random point checked")
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest relative error (1e-6)")
    add_json(p)

    p = add(
        "demo",
        cmd_demo,
        "The whole pipeline on y = 3x + 2 + noise: data, training, "
        "evaluation, learning rates and every figure.",
        "linreg demo --out results/",
    )
    p.add_argument("--out", default="results", help="output folder (default: results/)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    add_json(p)
    for module_name in EXTENSIONS:
        importlib.import_module(module_name).register(add)
    return parser


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    text = " ".join(str(message).split())
    sys.stderr.write(f"linreg: warning: {text}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            return handler(args)
        except LinregError as exc:
            sys.stderr.write(f"linreg: error: {exc}\n")
            return EXIT_ERROR
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            sys.stderr.write(f"linreg: error: {where}{exc.strerror or exc}\n")
            return EXIT_ERROR
        except KeyboardInterrupt:
            sys.stderr.write("linreg: interrupted; no file was left half-written\n")
            return 130


if __name__ == "__main__":
    sys.exit(main())
