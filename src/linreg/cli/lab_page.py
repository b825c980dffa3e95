"""``linreg lab``: the interactive lab page of one feature (:mod:`linreg.viz.lab_page`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from linreg.cli.common import make_console, print_json, read_data
from linreg.cli.safety import check_data_file, check_out_file, check_outputs
from linreg.errors import LinregError
from linreg.viz.lab_page import (
    lab_data,
    render_lab,
)
from linreg.viz.report import save_page

__all__ = ["cmd_lab"]


def cmd_lab(args: argparse.Namespace) -> int:
    """``linreg lab``: write the lab page of one feature of a data file."""
    out = check_out_file(args.out, "--out", "the lab page")
    check_outputs([args.data], files=[(out, "--out")])
    check_data_file(args.data, "the data file")
    features = None if args.feature is None else [args.feature]
    table = read_data(args, args.data, target=args.target, features=features)
    assert table.y is not None  # read_table requires the target
    if table.X.shape[1] != 1:
        names = ", ".join(table.feature_names)
        raise LinregError(
            f"{args.data} has {table.X.shape[1]} features ({names}); the lab shows one: "
            "choose it with --feature NAME"
        )
    data = lab_data(
        table.X[:, 0],
        table.y,
        feature_name=table.feature_names[0],
        target_name=table.target_name,
        source=Path(args.data).name,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    save_page(out, render_lab(data, title=f"linreg lab: {Path(args.data).name}"))
    size = out.stat().st_size
    raw, std = data["views"]["raw"], data["views"]["std"]
    if args.json:
        print_json(
            {
                "lab": out,
                "size_bytes": size,
                "rows": data["rows"],
                "feature": data["feature"],
                "target": data["target"],
                "max_stable_learning_rate": {"raw": raw["eta_max"], "standardized": std["eta_max"]},
                "condition_number": {"raw": raw["kappa"], "standardized": std["kappa"]},
                "optimum": raw["optimum"],
            }
        )
        return 0
    kappa = ["inf" if v["kappa"] is None else f"{v['kappa']:.4g}" for v in (raw, std)]
    make_console().print(
        f"lab written to {out} ({size / 1e6:.2f} MB): {data['rows']} rows, "
        f"{data['target']} against {data['feature']}, eta_max {raw['eta_max']:.4g}, "
        f"kappa {kappa[0]} raw and {kappa[1]} standardized; open it in a browser"
    )
    return 0
