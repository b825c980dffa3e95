"""``linreg generate``: synthetic data y = X W + b + noise with its known truth."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from linreg.cli.common import (
    TRUTH_FILE,
    AddCommand,
    add_json,
    json_default,
    make_console,
    parse_floats,
    print_json,
)
from linreg.data import make_regression, train_test_split
from linreg.errors import LinregError
from linreg.io.tables import (
    atomic_write,
    write_dataset_csv,
)

__all__ = ["register"]


def cmd_generate(args: argparse.Namespace) -> int:
    weights = None if args.weights is None else parse_floats(args.weights, "--weights")
    x_range = parse_floats(args.x_range, "--x-range")
    if len(x_range) != 2:
        raise LinregError(f"--x-range must be two numbers low,high, got {args.x_range!r}")
    data = make_regression(
        n_samples=args.samples,
        n_features=args.features,
        weights=weights,
        bias=args.bias,
        noise=args.noise,
        x_range=(x_range[0], x_range[1]),
        seed=args.seed,
    )
    train, test = train_test_split(data, test_size=args.test_size, seed=args.seed)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise LinregError(f"{out}: --out must be a folder, but a file has that name")
    truth = {
        "weights": data.weights,
        "bias": data.bias,
        "noise": data.noise,
        "seed": args.seed,
        "n_samples": data.n_samples,
        "x_range": list(x_range),
    }
    write_dataset_csv(out / "train.csv", train)
    write_dataset_csv(out / "test.csv", test)
    with atomic_write(out / TRUTH_FILE) as handle:
        json.dump(truth, handle, indent=1, default=json_default)
        handle.write("\n")
    files = [out / "train.csv", out / "test.csv", out / TRUTH_FILE]
    if args.json:
        print_json({"files": files, "n_train": train.n_samples, "n_test": test.n_samples, **truth})
    else:
        console = make_console()
        true_w = np.asarray(data.weights)
        terms = " + ".join(f"{w:g}*{n}" for w, n in zip(true_w, data.feature_names, strict=True))
        console.print(f"y = {terms} + {data.bias:g} + noise (sd {data.noise:g}), seed {args.seed}")
        console.print(
            f"wrote {files[0]} ({train.n_samples} rows), {files[1]} "
            f"({test.n_samples} rows), {files[2]}"
        )
    return 0


def register(add: AddCommand) -> None:
    """Add ``generate`` to the ``linreg`` command."""
    p = add(
        "generate",
        cmd_generate,
        "Generate synthetic data y = X W + b + noise with known truth.",
        "linreg generate --samples 1000 --features 1 --weights 2 --bias 1 --noise 1 "
        "--test-size 0.2 --seed 0 --out data/",
    )
    p.add_argument("--samples", type=int, default=1000, help="number of rows (default: 1000)")
    p.add_argument("--features", type=int, default=1, help="number of features (default: 1)")
    p.add_argument("--weights", help="true weights, comma-separated (default: 3 for each)")
    p.add_argument("--bias", type=float, default=2.0, help="true bias (default: 2)")
    p.add_argument("--noise", type=float, default=1.0, help="noise standard deviation (default: 1)")
    p.add_argument("--x-range", default="0,10", help="feature range low,high (default: 0,10)")
    p.add_argument(
        "--test-size", type=float, default=0.2, help="test fraction in (0, 1) (default: 0.2)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", default="data", help="output folder (default: data/)")
    add_json(p)
