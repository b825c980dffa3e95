"""``linreg demo``'s arguments; the command itself is :mod:`linreg.cli.demo`."""

from __future__ import annotations

from linreg.cli.args import MAX_SEED, AddCommand, add_json, bounded_int, command

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``demo`` to the ``linreg`` command."""
    p = add(
        "demo",
        command("demo", "cmd_demo"),
        "The whole pipeline on y = 3x + 2 + noise: data, training, "
        "evaluation, learning rates and every figure.",
        "linreg demo --out results/",
    )
    p.add_argument("--out", default="results", help="output folder (default: results/)")
    p.add_argument(
        "--seed",
        type=bounded_int("--seed", MAX_SEED, low=0),
        default=0,
        help="random seed (default: 0)",
    )
    add_json(p)
