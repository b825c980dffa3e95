"""``linreg lab``'s arguments; the command itself is :mod:`linreg.cli.lab`."""

from __future__ import annotations

from linreg.cli.args import (
    MAX_COUNT,
    MAX_EPOCHS,
    MAX_SEED,
    AddCommand,
    add_data_options,
    add_json,
    bounded_int,
    command,
)
from linreg.cli.parsers import CONVERGED_RTOL, SCALING_FRACTION, SGD_SAFETY

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``compare-optimizers`` and ``scaling`` to the ``linreg`` command."""
    p = add(
        "compare-optimizers",
        command("lab", "cmd_compare_optimizers"),
        "Full-batch GD, mini-batch SGD and SGD from the same start on one loss landscape.",
        "linreg compare-optimizers data/train.csv --lr 0.01 --epochs 200 --batch-size 32 "
        "--plots results/",
    )
    p.add_argument("data", help="training CSV, Parquet or Excel file")
    add_data_options(p)
    p.add_argument(
        "--lr",
        type=float,
        default=0.01,
        help="learning rate of full-batch GD and mini-batch SGD (default: 0.01)",
    )
    p.add_argument(
        "--sgd-lr",
        type=float,
        help=f"learning rate of SGD with batch 1 (default: min(--lr, {SGD_SAFETY:g} / "
        "max ||[x_i, 1]||^2), a tenth of its stability limit)",
    )
    p.add_argument(
        "--epochs",
        type=bounded_int("--epochs", MAX_EPOCHS),
        default=200,
        help="passes over the data (default: 200)",
    )
    p.add_argument(
        "--batch-size",
        type=bounded_int("--batch-size", MAX_COUNT),
        default=32,
        help="rows per mini-batch update (default: 32)",
    )
    p.add_argument(
        "--seed",
        type=bounded_int("--seed", MAX_SEED, low=0),
        default=0,
        help="seed of the SGD shuffles (default: 0)",
    )
    p.add_argument("--plots", help="folder for optimizers.png")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_json(p)

    p = add(
        "scaling",
        command("lab", "cmd_scaling"),
        "Why standardizing helps: condition number, eta_max and epochs, raw vs standardized.",
        "linreg scaling data/train.csv --epochs 2000 --plots results/",
    )
    p.add_argument("data", help="training CSV, Parquet or Excel file")
    add_data_options(p)
    p.add_argument(
        "--lr",
        type=float,
        help="one learning rate for both (default: each problem at --fraction of its own eta_max)",
    )
    p.add_argument(
        "--fraction",
        type=float,
        default=SCALING_FRACTION,
        help="without --lr, each problem runs at this fraction of its own eta_max (default: "
        f"{SCALING_FRACTION:g}, i.e. 1 / lambda_max, where no direction overshoots)",
    )
    p.add_argument(
        "--epochs",
        type=bounded_int("--epochs", MAX_EPOCHS),
        default=2000,
        help="epochs of each run (default: 2000)",
    )
    p.add_argument(
        "--rtol",
        type=float,
        default=CONVERGED_RTOL,
        help=f"converged = MSE within this relative distance of the optimum "
        f"(default: {CONVERGED_RTOL:g})",
    )
    p.add_argument("--plots", help="folder for scaling.png")
    add_json(p)
