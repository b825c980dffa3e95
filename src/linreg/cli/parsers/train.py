"""``linreg train``'s arguments; the command itself is :mod:`linreg.cli.train`."""

from __future__ import annotations

from linreg.cli.args import (
    MAX_COUNT,
    MAX_EPOCHS,
    MAX_SEED,
    AddCommand,
    add_data_options,
    add_formula_options,
    add_json,
    add_schedule_options,
    add_weight_option,
    bounded_int,
    command,
    parse_learning_rate,
)
from linreg.cli.parsers import SOLVERS

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``train`` and ``gradcheck`` to the ``linreg`` command."""
    p = add(
        "train",
        command("train", "cmd_train"),
        "Train a model on a CSV file and save it as JSON.",
        "linreg train data/train.csv --solver gd --lr 0.01 --epochs 1000 "
        "--val data/test.csv --out model.json --plots results/",
    )
    p.add_argument("data", help="training CSV, Parquet or Excel file")
    add_data_options(p)
    add_formula_options(p)
    p.add_argument(
        "--solver",
        choices=SOLVERS,
        help="gd, sgd or exact (default: gd; exact with --formula, whose design of 0/1 "
        "columns beside raw ones suits gradient descent badly)",
    )
    p.add_argument(
        "--lr",
        type=parse_learning_rate,
        default=0.01,
        help="learning rate, or 'auto': 1/lambda_max of the Hessian for gd, half that "
        "for sgd (default: 0.01)",
    )
    p.add_argument(
        "--epochs",
        type=bounded_int("--epochs", MAX_EPOCHS),
        default=1000,
        help="epochs (default: 1000)",
    )
    p.add_argument(
        "--batch-size",
        type=bounded_int("--batch-size", MAX_COUNT),
        default=32,
        help="rows per SGD update (default: 32)",
    )
    p.add_argument("--momentum", type=float, default=0.0, help="momentum in [0, 1) (default: 0)")
    p.add_argument(
        "--tol",
        type=float,
        help="stop when the relative loss change is below this (sgd: also within an epoch, "
        "when its batch losses stop improving by it)",
    )
    p.add_argument(
        "--standardize",
        action="store_true",
        help="train on standardized features (with --alpha: penalize the standardized weights)",
    )
    p.add_argument("--no-intercept", action="store_true", help="fit without a bias (b = 0)")
    p.add_argument(
        "--alpha",
        metavar="A",
        help="penalty: minimise the (weighted) MSE + A [(1 - R) |W|^2 + 2 R |W|_1], the "
        "intercept unpenalized, R from --l1-ratio (default: 0, least squares)",
    )
    p.add_argument(
        "--l1-ratio",
        metavar="R",
        default="0",
        help="the L1 share R of the penalty in [0, 1]: 0 ridge, 1 the lasso, between them "
        "the elastic net (default: 0)",
    )
    p.add_argument(
        "--acceleration",
        choices=("none", "fista"),
        default="none",
        help="gd with an L1 penalty: 'fista' accelerates the proximal steps (default: none)",
    )
    add_weight_option(p)
    p.add_argument("--init", choices=("zeros", "random"), default="zeros", help="starting point")
    p.add_argument(
        "--seed",
        type=bounded_int("--seed", MAX_SEED, low=0),
        default=0,
        help="seed of random init and SGD shuffles",
    )
    add_schedule_options(p)
    p.add_argument(
        "--val", help="validation file (CSV, Parquet or Excel); its loss is recorded every epoch"
    )
    p.add_argument(
        "--early-stopping",
        action="store_true",
        help="gd and sgd with --val: stop once the validation loss has not improved for "
        "--patience epochs, and keep the epoch where it was lowest",
    )
    p.add_argument(
        "--patience",
        metavar="K",
        type=bounded_int("--patience", MAX_EPOCHS, low=1),
        default=10,
        help="epochs without a better validation loss before early stopping (default: 10)",
    )
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
        "gradcheck",
        command("train", "cmd_gradcheck"),
        "Check the analytic gradients against central differences.",
        "linreg gradcheck data/train.csv",
    )
    p.add_argument("data", help="CSV, Parquet or Excel file")
    add_data_options(p)
    p.add_argument(
        "--seed",
        type=bounded_int("--seed", MAX_SEED, low=0),
        default=0,
        help="seed of the random point checked",
    )
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest relative error (1e-6)")
    add_json(p)
