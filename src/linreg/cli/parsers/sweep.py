"""``linreg sweep``'s arguments; the command itself is :mod:`linreg.cli.sweep`."""

from __future__ import annotations

from linreg.cli.args import MAX_EPOCHS, AddCommand, add_data_options, add_json, bounded_int, command

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``sweep`` to the ``linreg`` command."""
    p = add(
        "sweep",
        command("sweep", "cmd_sweep"),
        "The learning-rate experiment: full-batch GD at several rates.",
        "linreg sweep data/train.csv --lrs 0.001,0.005,0.1 --epochs 10000 --plots results/",
    )
    p.add_argument("data", help="training CSV, Parquet or Excel file")
    add_data_options(p)
    p.add_argument("--lrs", default="0.001,0.005,0.1", help="comma-separated learning rates")
    p.add_argument(
        "--epochs",
        type=bounded_int("--epochs", MAX_EPOCHS),
        default=10000,
        help="epochs per rate (default: 10000)",
    )
    p.add_argument("--standardize", action="store_true", help="train on standardized features")
    p.add_argument("--plots", help="folder for the figure")
    add_json(p)
