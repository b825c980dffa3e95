"""``linreg generate``: synthetic data y = X W + b + noise with its known truth."""

from __future__ import annotations

import argparse
import json

import numpy as np

from linreg.cli.common import (
    TRUTH_FILE,
    json_default,
    make_console,
    parse_floats,
    print_json,
)
from linreg.cli.safety import all_or_nothing, check_out_folder
from linreg.data import generated_bytes, make_regression, train_test_split
from linreg.errors import LinregError
from linreg.io.tables import (
    atomic_write,
    write_dataset_csv,
)

__all__ = ["cmd_generate"]


def check_memory(n_samples: int, n_features: int) -> None:
    """Refuse, before allocating, data larger than the memory available now.

    :func:`linreg.data.make_regression` refuses more than its documented cap
    (:data:`linreg.data.MAX_GENERATED_BYTES`); this also compares with what the machine has.
    """
    from linreg.sources.batches import available_memory

    if n_samples < 1 or n_features < 1:
        return  # make_regression says what is wrong
    needed = generated_bytes(n_samples, n_features)
    available = available_memory()
    if needed > available:
        raise LinregError(
            f"--samples {n_samples} and --features {n_features} need about {needed:,} bytes "
            f"({needed / 2**30:,.1f} GiB) of memory, but {available:,} bytes "
            f"({available / 2**30:,.1f} GiB) are available; ask for fewer rows or features"
        )


def cmd_generate(args: argparse.Namespace) -> int:
    out = check_out_folder(args.out, "--out")
    assert out is not None
    weights = None if args.weights is None else parse_floats(args.weights, "--weights")
    x_range = parse_floats(args.x_range, "--x-range")
    if len(x_range) != 2:
        raise LinregError(f"--x-range must be two numbers low,high, got {args.x_range!r}")
    check_memory(args.samples, args.features)
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
    truth = {
        "weights": data.weights,
        "bias": data.bias,
        "noise": data.noise,
        "seed": args.seed,
        "n_samples": data.n_samples,
        "x_range": list(x_range),
    }
    files = [out / "train.csv", out / "test.csv", out / TRUTH_FILE]
    with all_or_nothing(files=files, folders=[out]):  # all three files, or none new
        write_dataset_csv(files[0], train)
        write_dataset_csv(files[1], test)
        with atomic_write(files[2]) as handle:
            json.dump(truth, handle, indent=1, default=json_default)
            handle.write("\n")
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
