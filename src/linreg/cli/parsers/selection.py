"""``linreg cv`` and ``linreg curves``'s arguments; the bodies are :mod:`linreg.cli.selection`."""

from __future__ import annotations

import argparse

from linreg.cli.args import (
    MAX_COUNT,
    MAX_EPOCHS,
    MAX_SEED,
    AddCommand,
    add_data_options,
    add_json,
    add_schedule_options,
    bounded_int,
    command,
    parse_learning_rate,
)

__all__ = ["register"]


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="CSV, Parquet or Excel file")
    add_data_options(p)
    p.add_argument(
        "--solver", choices=("gd", "sgd", "exact"), default="exact", help="default: exact"
    )
    p.add_argument(
        "--lr",
        type=parse_learning_rate,
        default=0.01,
        help="learning rate of gd and sgd, or 'auto' (default: 0.01)",
    )
    p.add_argument(
        "--epochs", type=bounded_int("--epochs", MAX_EPOCHS), default=1000, help="default: 1000"
    )
    p.add_argument(
        "--batch-size", type=bounded_int("--batch-size", MAX_COUNT), default=32, help="SGD rows"
    )
    p.add_argument("--momentum", type=float, default=0.0, help="momentum in [0, 1)")
    add_schedule_options(p)
    p.add_argument("--standardize", action="store_true", help="train on standardized features")
    p.add_argument("--no-intercept", action="store_true", help="fit without a bias (b = 0)")
    p.add_argument(
        "--l1-ratio", type=float, help="L1 share of the penalty (elastic net), if supported"
    )
    p.add_argument(
        "--folds",
        type=bounded_int("--folds", MAX_COUNT),
        default=5,
        help="number of folds k >= 2 (default: 5)",
    )
    p.add_argument("--scoring", choices=("mse", "r2"), default="mse", help="default: mse")
    p.add_argument(
        "--seed",
        type=bounded_int("--seed", MAX_SEED, low=0),
        default=0,
        help="seed of the folds' shuffle (scikit-learn's KFold random_state) and of SGD",
    )


def register(add: AddCommand) -> None:
    """Add ``cv`` and ``curves`` to the ``linreg`` command."""
    p = add(
        "cv",
        command("selection", "cmd_cv"),
        "Cross-validate a model, or choose the ridge penalty alpha by cross-validation.",
        "linreg cv data/train.csv --solver exact --alpha 0.001,0.01,0.1,1 --folds 5",
    )
    _model_options(p)
    p.add_argument(
        "--alpha",
        default="0",
        help="ridge penalty, or comma-separated penalties to choose from (default: 0)",
    )
    p.add_argument("--sample-weight", metavar="COLUMN", help="column of row weights >= 0")
    add_json(p)
    p = add(
        "curves",
        command("selection", "cmd_curves"),
        "Learning curve (error against training rows) or validation curve (against a "
        "hyperparameter).",
        "linreg curves data/train.csv --kind validation --param degree --values 1..15 "
        "--plots results/",
    )
    _model_options(p)
    p.add_argument("--kind", choices=("learning", "validation"), default="learning")
    p.add_argument(
        "--param", help="the hyperparameter of a validation curve: degree, alpha, epochs, ..."
    )
    p.add_argument("--values", help="its values: a range 1..15 or a list 0.01,0.1,1")
    p.add_argument(
        "--degree",
        type=bounded_int("--degree", 100, low=1),
        help="fit a polynomial of this degree in the features (learning curve)",
    )
    p.add_argument("--alpha", type=float, default=0.0, help="ridge penalty (default: 0)")
    p.add_argument(
        "--train-sizes",
        default="0.1,0.325,0.55,0.775,1",
        help="fractions of the training part for a learning curve",
    )
    p.add_argument("--plots", help="folder for the figure")
    add_json(p)
