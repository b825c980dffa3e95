"""``linreg train`` (in memory, streamed or on Dask) and ``linreg gradcheck``.

``--alpha A`` and ``--sample-weight COLUMN`` choose the objective of :mod:`linreg.problem`,
L(W, b) = (1/sum w) sum_i w_i (x_i W + b - y_i)^2 + A |W|^2 (intercept unpenalized). Without
them the command calls the library exactly as before: the plain mean squared error.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg import out_of_memory
from linreg.cli.args import parse_learning_rate as parse_learning_rate
from linreg.cli.args import schedule_params
from linreg.cli.common import (
    EXIT_ERROR,
    Progress,
    check_plots_dir,
    make_console,
    param_rows,
    parse_names,
    print_json,
    read_data,
    read_truth,
    reading_options,
    rich_table,
)
from linreg.cli.progress import RichProgress
from linreg.cli.safety import all_or_nothing, check_data_file, check_out_file, check_outputs
from linreg.errors import DivergenceError, LinregError
from linreg.estimator import LinearRegression
from linreg.gradcheck import gradcheck
from linreg.io.persistence import save_model
from linreg.io.tables import (
    Table,
    file_kind,
    file_sha256,
)
from linreg.model import LinearModel
from linreg.optimality import relative_gap
from linreg.sources import batches
from linreg.viz.summaries import closed_form, finite

Array = NDArray[np.float64]

__all__ = ["cmd_gradcheck", "cmd_train", "parse_learning_rate"]


def parse_alpha(text: str | None) -> float | None:
    """The value of ``--alpha``: a finite number >= 0, or None when the flag is not given.

    Raises
    ------
    LinregError
        Naming the value, for anything else (a word, NaN, infinity, a negative number).
    """
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0.0):
        raise LinregError(f"--alpha must be a finite number >= 0 (the ridge penalty), got {text!r}")
    return value


def _model_from_args(args: argparse.Namespace) -> LinearRegression:
    alpha = parse_alpha(args.alpha)
    try:
        l1_ratio = float(args.l1_ratio)
    except ValueError:
        raise LinregError(
            f"--l1-ratio must be a number in [0, 1] (the L1 share of the penalty), "
            f"got {args.l1_ratio!r}"
        ) from None
    return LinearRegression(
        alpha=0.0 if alpha is None else alpha,  # 0.0: the default, least squares
        l1_ratio=l1_ratio,
        acceleration=args.acceleration,
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
        early_stopping=args.early_stopping,
        n_iter_no_change=args.patience,
        **schedule_params(args),
    )


def _check_early_stopping(args: argparse.Namespace) -> None:
    """``--early-stopping`` needs gradient descent, ``--val`` and the data in memory."""
    if not args.early_stopping:
        return
    if args.solver == "exact":
        raise LinregError("--early-stopping is for --solver gd or sgd, not exact")
    if args.val is None:
        raise LinregError(
            "--early-stopping needs --val FILE: the validation data whose loss it watches"
        )
    if args.stream or args.dask is not None:
        raise LinregError(
            "--early-stopping needs the training data in memory: leave out --stream and --dask"
        )


def _read_training_table(args: argparse.Namespace) -> Table:
    """The training file in memory; with ``--sample-weight`` its weight column is ``Table.w``."""
    if args.missing == "drop":
        from linreg.cli import formulas  # (pandas frames: only for --missing drop, --formula)

        return formulas.table_dropping_missing(
            args.data,
            target=args.target,
            features=args.features,
            sample_weight=args.sample_weight,
            options=reading_options(args, args.data),
        )
    return read_data(
        args,
        args.data,
        target=args.target,
        features=parse_names(args.features),
        sample_weight=args.sample_weight,
    )


def _dialect(args: argparse.Namespace) -> dict[str, Any]:
    """The training CSV's delimiter and decimal mark, for the streamed readers."""
    options = reading_options(args, args.data)
    if args.dask is not None and file_kind(args.data) == "excel":
        raise LinregError(
            f"{args.data}: --dask reads CSV and Parquet files; save the sheet as Parquet first"
        )
    plain = options["delimiter"] in (None, ",") and options["decimal"] in (None, ".")
    if args.dask is not None and file_kind(args.data) == "csv" and not plain:
        raise LinregError(
            f"{args.data}: --dask reads comma-separated files with a decimal point; "
            "convert this one to Parquet (or to a plain CSV) first"
        )
    if options["sheet"] is not None:
        raise LinregError(f"{args.data}: --sheet is for Excel workbooks, which are not streamed")
    return {"delimiter": options["delimiter"], "decimal": options["decimal"]}


def _preview(args: argparse.Namespace) -> Table:
    """The first rows of a file fitted by streaming; the weight column is not a feature."""
    return batches.preview(
        args.data,
        target=args.target,
        features=parse_names(args.features),
        dask=args.dask is not None,
        sample_weight=args.sample_weight,
        **_dialect(args),
    )


def _fit_from_args(
    args: argparse.Namespace, table: Table, val: Table | None, weights: Array | None
) -> LinearRegression:
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
                sample_weight=weights,
            )
        except DivergenceError:
            raise
        except LinregError as exc:
            raise LinregError(f"{table.path}: {exc}") from None
    return model


def _fit_streamed(
    args: argparse.Namespace, features: list[str], val: Table | None
) -> out_of_memory.StreamFit:
    """Fit ``args.data`` without reading it whole: record batches, or on a Dask cluster.

    With ``--plots`` a uniform sample of :data:`linreg.sources.batches.SAMPLE_ROWS` rows is
    kept for the figures (they need rows; the fit does not).
    """
    model = _model_from_args(args)
    model._validate_params()
    val_data = None if val is None or val.y is None else (val.X, val.y)
    sample_rows = batches.SAMPLE_ROWS if args.plots else 0
    if args.dask is not None:
        from linreg.sources.distributed import fit_path

        return fit_path(
            args.data,
            model,
            address=args.dask,
            target=args.target,
            features=features,
            sample_weight=args.sample_weight,
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
            **_dialect(args),
            sample_weight=args.sample_weight,
        )


def cmd_train(args: argparse.Namespace) -> int:
    alpha = parse_alpha(args.alpha)  # a bad --alpha fails before any file is read or written
    if args.solver is None:  # a formula's design (0/1 columns beside raw ones): exact
        args.solver = "exact" if args.formula is not None else "gd"
    _check_early_stopping(args)
    if args.formula is not None:
        from linreg.cli import formulas

        return formulas.train_formula(args, _model_from_args(args).get_params())
    # Outputs are checked before anything is read: none may be an input.
    out = check_out_file(args.out, "--out", "the model")
    check_outputs([args.data, args.val], files=[(out, "--out")])
    plots_dir = check_plots_dir(args.plots, args.data, args.val)
    check_data_file(args.data, "the training file")
    if args.val is not None:
        check_data_file(args.val, "--val")
    streaming = args.dask is not None or batches.wants_streaming(args.data, force=args.stream)
    if streaming and args.early_stopping:
        raise LinregError(
            f"--early-stopping needs the training data in memory, and {args.data} is large "
            "enough to be streamed (over 1/8 of the available memory)"
        )
    streamed: out_of_memory.StreamFit | None = None
    # Streaming: the first rows only, so the columns are checked and the gradient check has data.
    table = _preview(args) if streaming else _read_training_table(args)
    weights = None if streaming or args.sample_weight is None else table.w
    val = None
    if args.val is not None:
        val = read_data(args, args.val, target=table.target_name, features=table.feature_names)
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
            streamed = _fit_streamed(args, table.feature_names, val)
            model = streamed.model
            if streamed.sample is not None:  # the figures are drawn from the sample
                table = replace(table, X=streamed.sample[0], y=streamed.sample[1])
        else:
            model = _fit_from_args(args, table, val, weights)
    except DivergenceError as exc:
        report = exc.report
        if plots_dir is not None and report.history.loss.size:
            from linreg.viz import plots

            plots.save_figure(
                plots.loss_curve(report.history, title="Loss until divergence"),
                plots_dir / "loss_curve.png",
            )
            # The divergence is the most instructive animation: up to the last finite epoch.
            if args.animate and not streaming and report.history.loss.size >= 2:
                assert table.y is not None
                plots.training_animation(
                    table.X,
                    table.y,
                    report.history,
                    plots_dir / "training.gif",
                    feature_names=table.feature_names,
                    target_name=table.target_name,
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
        optimum = closed_form(
            table.X,
            table.y,
            fit_intercept,
            sample_weight=weights,
            alpha=alpha or 0.0,
            standardize=bool(args.standardize),
        )
    extra: dict[str, Any] = {
        "optimum_loss": finite(optimum.history_.final_loss),  # null: it overflowed
        "optimum_coef": optimum.coef_.tolist(),
        "optimum_intercept": optimum.intercept_,
        "training_file": str(table.path),
    }
    if truth is not None:
        extra["truth"] = truth
    figures: list[Path] = []
    # A failed run (a full disk, an interrupt) keeps neither the model nor some figures.
    with all_or_nothing(files=[out], folders=[plots_dir]):
        save_model(
            model,
            out,
            feature_names=table.feature_names,
            target_name=table.target_name,
            data_sha256=file_sha256(table.path) if table.path.is_file() else None,
            extra=extra,
        )
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
                sample_weight=weights,  # None when streamed: the sample has no weights
                alpha=alpha or 0.0,
            )
    stab = model.stability_
    result = {
        "coef": model.coef_,
        "intercept": model.intercept_,
        "feature_names": table.feature_names,
        "final_loss": model.history_.final_loss,
        "optimum_loss": finite(optimum.history_.final_loss),  # null: it overflowed
        "epochs_run": model.n_iter_,
        "updates": model.n_steps_,
        "stop_reason": model.stop_reason_,
        "learning_rate": getattr(model, "learning_rate_", None),
        "optimality_gap": finite(
            relative_gap(model.history_.final_loss, optimum.history_.final_loss)
        ),
        "max_stable_learning_rate": None if stab is None else finite(stab.max_stable_learning_rate),
        "condition_number": None if stab is None else finite(stab.condition_number),
        "closed_form": {"coef": optimum.coef_, "intercept": optimum.intercept_},
        "truth": truth,
        "model": out,
        "figures": figures,
    }
    if alpha is not None:
        result["alpha"] = alpha
    if args.lr_schedule != "constant":
        result["lr_schedule"] = args.lr_schedule
    if args.early_stopping:
        result["best_epoch"] = getattr(model, "best_epoch_", None)
    if args.sample_weight is not None:
        result["sample_weight"] = args.sample_weight
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
    if alpha is not None or args.sample_weight is not None:
        # The loss is the objective L: the (weighted) MSE plus the penalty.
        objective = "weighted MSE" if args.sample_weight is not None else "MSE"
        objective += "" if alpha is None else f" + {alpha:g} |W|^2"
        facts[4:6] = [
            [f"final training loss ({objective})", model.history_.final_loss],
            ["optimum of that loss", optimum.history_.final_loss],
        ]
        if args.sample_weight is not None:
            facts.append(["sample weights", f"column {args.sample_weight}"])
    if getattr(model, "best_epoch_", None) is not None:
        facts.insert(4, ["parameters kept from epoch", f"{model.best_epoch_} (lowest val MSE)"])
    if args.lr_schedule != "constant":
        facts.append(["learning-rate schedule", args.lr_schedule])
    if stab is not None:
        facts += [
            [
                "learning rate / eta_max",
                f"{_rate(model)} / {stab.max_stable_learning_rate:.4g}",
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


def cmd_gradcheck(args: argparse.Namespace) -> int:
    if not (math.isfinite(args.tolerance) and args.tolerance > 0):
        raise LinregError(
            f"--tolerance must be a finite number > 0 (the largest relative error), "
            f"got {args.tolerance!r}"
        )
    check_data_file(args.data, "the data file")
    table = read_data(args, args.data, target=args.target, features=parse_names(args.features))
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
    if result.passed:
        return 0
    sys.stderr.write(
        f"linreg: error: gradient check failed: max relative error "
        f"{result.max_relative_error:.2e} > tolerance {result.tolerance:.0e}\n"
    )
    return EXIT_ERROR


def _rate(model: LinearRegression) -> str:
    """The learning rate taken, with "(auto)" when the estimator chose it."""
    used = getattr(model, "learning_rate_", None)
    if used is None:
        return f"{model.learning_rate:g}"
    return f"{used:.4g} (auto)" if model.learning_rate == "auto" else f"{used:g}"
