"""``linreg lab``'s arguments; its body is :mod:`linreg.cli.lab_page` (imported when it runs)."""

from __future__ import annotations

from linreg.cli.args import (
    MAX_COUNT,
    MAX_SEED,
    AddCommand,
    add_file_options,
    add_json,
    bounded_int,
    command,
)
from linreg.cli.parsers import LAB_BATCH_SIZE, LAB_EPOCHS, LAB_MAX_EPOCHS

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``lab`` to the ``linreg`` command."""
    p = add(
        "lab",
        command("lab_page", "cmd_lab"),
        "Write the interactive lab: drag W and b, choose the learning rate, the batch size "
        "and standardization, and watch gradient descent on your data (one HTML file).",
        "linreg lab data/train.csv --feature x --out lab.html",
    )
    p.add_argument("data", help="CSV, Parquet or Excel file with the feature and the target")
    add_file_options(p)
    p.add_argument("--target", default="y", help="target column (default: y)")
    p.add_argument(
        "--feature",
        help="the feature to show (default: the only numeric column besides the target)",
    )
    p.add_argument("--out", default="lab.html", help="HTML file to write (default: lab.html)")
    p.add_argument(
        "--epochs",
        type=bounded_int("--epochs", LAB_MAX_EPOCHS, low=1),
        default=LAB_EPOCHS,
        help=f"epochs of gradient descent on the page (default: {LAB_EPOCHS})",
    )
    p.add_argument(
        "--batch-size",
        type=bounded_int("--batch-size", MAX_COUNT, low=1),
        default=LAB_BATCH_SIZE,
        help=f"the mini-batch size offered beside the full batch and 1 (default: {LAB_BATCH_SIZE})",
    )
    p.add_argument(
        "--seed",
        type=bounded_int("--seed", MAX_SEED, low=0),
        default=0,
        help="seed of the mini-batch shuffles and of the sample of drawn rows (default: 0)",
    )
    add_json(p)
