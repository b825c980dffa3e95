"""``linreg generate``'s arguments; the command itself is :mod:`linreg.cli.generate`."""

from __future__ import annotations

from linreg.cli.args import (
    MAX_COUNT,
    MAX_SAMPLES,
    MAX_SEED,
    AddCommand,
    add_json,
    bounded_int,
    command,
)

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``generate`` to the ``linreg`` command."""
    p = add(
        "generate",
        command("generate", "cmd_generate"),
        "Generate synthetic data y = X W + b + noise with known truth.",
        "linreg generate --samples 1000 --features 1 --weights 2 --bias 1 --noise 1 "
        "--test-size 0.2 --seed 0 --out data/",
    )
    p.add_argument(
        "--samples",
        type=bounded_int("--samples", MAX_SAMPLES),
        default=1000,
        help="number of rows (default: 1000)",
    )
    p.add_argument(
        "--features",
        type=bounded_int("--features", MAX_COUNT),
        default=1,
        help="number of features (default: 1)",
    )
    p.add_argument("--weights", help="true weights, comma-separated (default: 3 for each)")
    p.add_argument("--bias", type=float, default=2.0, help="true bias (default: 2)")
    p.add_argument("--noise", type=float, default=1.0, help="noise standard deviation (default: 1)")
    p.add_argument("--x-range", default="0,10", help="feature range low,high (default: 0,10)")
    p.add_argument(
        "--test-size", type=float, default=0.2, help="test fraction in (0, 1) (default: 0.2)"
    )
    p.add_argument(
        "--seed",
        type=bounded_int("--seed", MAX_SEED, low=0),
        default=0,
        help="random seed (default: 0)",
    )
    p.add_argument("--out", default="data", help="output folder (default: data/)")
    add_json(p)
