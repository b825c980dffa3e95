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

__all__ = ["START_SEED", "SWEEP_RATES", "cmd_demo", "figure_summary"]

#: The demo's learning-rate experiment: slow, converged, oscillating but converging (just
#: below eta_max = 0.028 of the demo's data), and diverged.
SWEEP_RATES = (0.001, 0.005, 0.02, 0.1)
#: The seed of the random start, that of the tutorial notebook.
START_SEED = 8


def figure_summary(paths: list[Path]) -> str:
    """ "8 figures and the training animation": the PNGs counted, the GIF named apart."""
    pngs = sum(1 for p in paths if p.suffix == ".png")
    gifs = sum(1 for p in paths if p.suffix == ".gif")
    text = f"{pngs} figure{'s' if pngs != 1 else ''}"
    return text + (" and the training animation" if gifs else "")


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

    # 2. Gradient descent from the tutorial notebook's random start (W = -1.74, b = -1.34: a
    # slope of the wrong sign, so that untrained vs trained shows learning).
    learning_rate, epochs = 0.01, 5000
    model = LinearRegression(
        solver="gd",
        learning_rate=learning_rate,
        epochs=epochs,
        init="random",
        seed=START_SEED,
    )
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
    start_W, start_b = model.history_.W[0, 0], model.history_.b[0]
    say(
        f"2. trained by gradient descent from W = {start_W:.3g}, b = {start_b:.3g}: {epochs} "
        f"epochs at learning rate {learning_rate}, model in {out / 'model.json'}"
    )

    # 3. Evaluation on held-out data.
    assert test.y_true is not None
    trained = evaluate_metrics(test.y, model.predict(test.X))
    untrained = evaluate_metrics(test.y, test.X @ model.history_.W[0] + model.history_.b[0])
    ground = evaluate_metrics(test.y, test.y_true)
    say(f"3. evaluated on the {test.n_samples} test rows: R^2 {trained['r2']:.4f}")

    # 4. The learning-rate experiment.
    sweep = learning_rate_sweep(train.X, train.y, list(SWEEP_RATES), epochs=10000)
    rates = ", ".join(f"{r:g}" for r in SWEEP_RATES)
    say(
        f"4. learning-rate experiment: {rates} for 10,000 epochs each "
        f"(eta_max = {sweep.max_stable_learning_rate:.4g})"
    )

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
    say(f"5. {figure_summary(figures)} in {out / 'figures'}")

    # 6. The report: everything above on one self-contained page, the test set included.
    from linreg.viz.report import report_from_files
    from linreg.viz.report_figures import EmbeddedFigure

    sweep_figure = EmbeddedFigure(
        "lr_sweep",
        "The learning-rate experiment",
        f"Training loss for the rates {rates} (log axes), with eta_max = "
        f"{sweep.max_stable_learning_rate:.4g}: below eta_max / 2 the loss falls smoothly, "
        "between eta_max / 2 and eta_max the steep direction oscillates while it converges, "
        "above eta_max the run diverges.",
        "image/png",
        sweep_path.read_bytes(),
    )
    report = report_from_files(
        out / "model.json",
        out / "data" / "train.csv",
        out / "report.html",
        held_out_path=out / "data" / "test.csv",
        extra_figures=[sweep_figure],
    )
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
