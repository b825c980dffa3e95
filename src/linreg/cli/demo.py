"""``linreg demo``: the whole pipeline on y = 3x + 2 + noise, from data to report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from linreg.cli.common import (
    TRUTH_FILE,
    Progress,
    json_default,
    make_console,
    param_rows,
    print_json,
    rich_table,
    status_label,
)
from linreg.cli.safety import all_or_nothing, check_out_folder
from linreg.data import make_regression, train_test_split
from linreg.estimator import LinearRegression
from linreg.io.persistence import save_model
from linreg.io.tables import (
    atomic_write,
    file_sha256,
    write_dataset_csv,
)
from linreg.viz.summaries import METRIC_NAMES, closed_form, evaluate_metrics, finite

__all__ = ["cmd_demo"]


def cmd_demo(args: argparse.Namespace) -> int:
    out = check_out_folder(args.out, "--out")
    assert out is not None
    # A failed run (a full disk, an interrupt) leaves no half set of outputs behind.
    with all_or_nothing(folders=[out]):
        return _demo(args, out)


def _demo(args: argparse.Namespace, out: Path) -> int:
    from linreg.stats.sweep import learning_rate_sweep
    from linreg.viz import plots

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

    # 7. The interactive lab on the same training data.
    from linreg.viz.lab_page import write_lab

    lab = write_lab(
        out / "lab.html", train.X, train.y, feature_name=train.feature_names[0], source="train.csv"
    )
    say(f"7. lab: {lab} (drag W and b, choose the learning rate; open it in a browser)")

    result = {
        "coef": model.coef_,
        "intercept": model.intercept_,
        "closed_form": {"coef": optimum.coef_, "intercept": optimum.intercept_},
        "truth": {"coef": data.weights, "intercept": data.bias},
        "report": report,
        "lab": lab,
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
