"""``linreg cv`` and ``linreg curves``: model selection on a data file.

``cv`` cross-validates one model (per-fold scores, their mean) or, given several
``--alpha`` values, each penalty, and says which is best; ``curves`` draws the learning
curve (error against training rows) or the validation curve (error against one
hyperparameter, ``--param degree`` for a polynomial in the features). Both call
:mod:`linreg.model_selection`; the figures are :mod:`linreg.viz.selection_plots`'. Their
arguments are declared in :mod:`linreg.cli.parsers.selection`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from linreg.cli.args import schedule_params
from linreg.cli.common import (
    check_plots_dir,
    make_console,
    parse_floats,
    parse_names,
    print_json,
    read_data,
    rich_table,
)
from linreg.cli.safety import check_data_file
from linreg.errors import LinregError

__all__ = ["MAX_VALUES", "cmd_curves", "cmd_cv", "parse_values"]

#: The most values ``--values`` may list (each costs k fits).
MAX_VALUES = 1000


def parse_values(text: str, integer: bool, what: str = "--values") -> list[float] | list[int]:
    """``"1..15"`` (whole numbers, both ends included) or ``"0.01,0.1,1"`` as a list.

    ``integer`` asks for whole numbers (a degree, epochs).
    """
    if ".." in text:
        low, _, high = text.partition("..")
        try:
            a, b = int(low), int(high)
        except ValueError:
            message = f"{what}: a range is two whole numbers, as 1..15; got {text!r}"
            raise LinregError(message) from None
        if b < a or b - a + 1 > MAX_VALUES:
            raise LinregError(f"{what}: {text!r} must go up, with at most {MAX_VALUES} values")
        return list(range(a, b + 1))
    values = parse_floats(text, what)
    if len(values) > MAX_VALUES:
        raise LinregError(f"{what}: at most {MAX_VALUES} values, got {len(values)}")
    bad = [v for v in values if not math.isfinite(v)]
    if bad:
        raise LinregError(f"{what}: values must be finite numbers, got {bad[0]}")
    if integer:
        if any(v != round(v) for v in values):
            raise LinregError(f"{what}: this parameter takes whole numbers, got {text!r}")
        return [int(v) for v in values]
    return values


def _linear_model(args: argparse.Namespace, alpha: float = 0.0) -> Any:
    from linreg.estimator import LinearRegression

    model = LinearRegression(
        alpha=alpha,
        solver=args.solver,
        learning_rate=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        momentum=args.momentum,
        standardize=args.standardize,
        fit_intercept=not args.no_intercept,
        seed=args.seed,
        **schedule_params(args),
    )
    if args.l1_ratio is not None:
        from linreg.model_selection import clone

        model = clone(model, l1_ratio=args.l1_ratio)
    return model


def _read(args: argparse.Namespace, weights: bool = False) -> Any:
    check_data_file(args.data, "the data file")
    table = read_data(
        args,
        args.data,
        target=args.target,
        features=parse_names(args.features),
        sample_weight=args.sample_weight if weights else None,
    )
    assert table.y is not None
    return table


def _summary(scores: Any) -> dict[str, float]:
    return {"mean": float(scores.mean()), "std": float(scores.std())}


def cmd_cv(args: argparse.Namespace) -> int:
    from linreg.model_selection import cross_validate, validation_curve

    alphas = parse_values(args.alpha, integer=False, what="--alpha")
    if any(a < 0 for a in alphas):
        raise LinregError(f"--alpha must be numbers >= 0 (the ridge penalty), got {args.alpha!r}")
    table = _read(args, weights=True)
    options: dict[str, Any] = {"cv": args.folds, "scoring": args.scoring, "seed": args.seed}
    if table.w is not None:
        options["sample_weight"] = table.w
    better = "lower" if args.scoring == "mse" else "higher"
    console = make_console()
    if len(alphas) == 1:
        result = cross_validate(_linear_model(args, alphas[0]), table.X, table.y, **options)
        if args.json:
            print_json(
                {
                    "scoring": args.scoring,
                    "folds": args.folds,
                    "alpha": alphas[0],
                    "test_score": result.test_score.tolist(),
                    **_summary(result.test_score),
                }
            )
            return 0
        rows = [[j + 1, s] for j, s in enumerate(result.test_score.tolist())]
        console.print(
            rich_table(
                f"{args.folds}-fold cross-validation, {args.solver} (seed {args.seed})",
                ["fold", f"{args.scoring} ({better} is better)"],
                rows,
            )
        )
        console.print(f"mean {args.scoring} {result.mean:.6g} (std {result.std:.3g} over folds)")
        return 0
    curve = validation_curve(_linear_model(args), table.X, table.y, "alpha", alphas, **options)
    best = curve.best_index
    means, stds = curve.test_scores.mean(axis=1), curve.test_scores.std(axis=1)
    if args.json:
        print_json(
            {
                "scoring": args.scoring,
                "folds": args.folds,
                "alphas": alphas,
                "mean": means.tolist(),
                "std": stds.tolist(),
                "best_alpha": alphas[best],
            }
        )
        return 0
    rows = [
        [f"{a:g}" + (" (best)" if i == best else ""), m, s]
        for i, (a, m, s) in enumerate(zip(alphas, means.tolist(), stds.tolist(), strict=True))
    ]
    console.print(
        rich_table(
            f"Choosing alpha by {args.folds}-fold cross-validation, {args.solver}",
            ["alpha", f"mean {args.scoring} ({better} is better)", "std over folds"],
            rows,
        )
    )
    console.print(f"best alpha {alphas[best]:g}")
    return 0


def cmd_curves(args: argparse.Namespace) -> int:
    from linreg.model_selection import learning_curve, validation_curve
    from linreg.stats.polynomial import PolynomialRegression

    plots_dir = check_plots_dir(args.plots, args.data)
    polynomial = args.param == "degree" or args.degree is not None
    if args.kind == "validation" and args.param is None:
        raise LinregError("--kind validation needs --param NAME and --values (e.g. degree, 1..15)")
    model: Any
    if polynomial:
        model = PolynomialRegression(
            2 if args.degree is None else args.degree, fit_intercept=not args.no_intercept
        )
    else:
        model = _linear_model(args, args.alpha)
    values: list[Any] = []
    if args.kind == "validation":
        defaults = model.get_params()
        if args.param not in defaults:
            raise LinregError(
                f"--param {args.param!r} is not a parameter of {type(model).__name__}; "
                f"use degree or one of {', '.join(defaults)}"
            )
        default = defaults[args.param]
        if isinstance(default, (bool, str)):
            raise LinregError(
                f"--param {args.param} is not a number; curves vary a numeric "
                "hyperparameter such as degree, alpha, epochs or learning_rate"
            )
        if args.values is None:
            raise LinregError(f"--param {args.param} needs --values (as 1..15 or 0.01,0.1,1)")
        values = parse_values(args.values, integer=isinstance(default, int))
    table = _read(args)
    X = table.X
    options: dict[str, Any] = {"cv": args.folds, "scoring": args.scoring, "seed": args.seed}
    figure_path: Path | None = None
    if args.kind == "learning":
        sizes = parse_floats(args.train_sizes, "--train-sizes")
        lc = learning_curve(model, X, table.y, train_sizes=sizes, **options)
        x_values, name = lc.train_sizes.tolist(), "training rows"
        train, test = lc.train_scores, lc.test_scores
        if plots_dir is not None:
            from linreg.viz import plots

            figure_path = plots.save_figure(
                plots.learning_curve(lc), plots_dir / "learning_curve.png"
            )
        best = None
    else:
        vc = validation_curve(model, X, table.y, args.param, values, **options)
        x_values, name = values, args.param
        train, test = vc.train_scores, vc.test_scores
        best = vc.best_index
        if plots_dir is not None:
            from linreg.viz import plots

            figure_path = plots.save_figure(
                plots.validation_curve(vc), plots_dir / "validation_curve.png"
            )
    if args.json:
        payload: dict[str, Any] = {
            "kind": args.kind,
            "scoring": args.scoring,
            "folds": args.folds,
            "x": name,
            "values": x_values,
            "train_mean": train.mean(axis=1).tolist(),
            "validation_mean": test.mean(axis=1).tolist(),
            "validation_std": test.std(axis=1).tolist(),
            "figures": [] if figure_path is None else [figure_path],
        }
        if best is not None:
            payload["best"] = x_values[best]
        print_json(payload)
        return 0
    rows = [
        [f"{v:g}" + (" (best)" if i == best else ""), tr, te, sd]
        for i, (v, tr, te, sd) in enumerate(
            zip(
                x_values,
                train.mean(axis=1).tolist(),
                test.mean(axis=1).tolist(),
                test.std(axis=1).tolist(),
                strict=True,
            )
        )
    ]
    console = make_console()
    console.print(
        rich_table(
            f"{args.kind.capitalize()} curve, {args.folds}-fold ({args.scoring})",
            [name, "training", "validation", "validation std"],
            rows,
        )
    )
    if figure_path is not None:
        console.print(f"figure written to {figure_path}")
    return 0
