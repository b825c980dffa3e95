"""``linreg report``: the HTML report of a model on a data file (:mod:`linreg.viz.report`)."""

from __future__ import annotations

import argparse

from linreg.cli.common import (
    make_console,
    print_json,
    reading_options,
)
from linreg.cli.safety import check_data_file, check_out_file, check_outputs
from linreg.viz.report import fmt, load_model_and_data, render_report, save_page

__all__ = ["cmd_report"]


def cmd_report(args: argparse.Namespace) -> int:
    """``linreg report``: write the HTML report of a model on a data file."""
    out = check_out_file(args.out, "--out", "the report")
    check_outputs([args.model, args.data], files=[(out, "--out")])
    check_data_file(args.data, "the data file")
    model, content, table = load_model_and_data(
        args.model, args.data, **reading_options(args, args.data)
    )
    report = render_report(
        model, content, table, model_path=args.model, animate=not args.no_animation
    )
    save_page(out, report.html)
    size = out.stat().st_size
    if args.json:
        print_json({"report": out, "size_bytes": size, "figures": report.figures, **report.facts})
        return 0
    facts = report.facts
    make_console().print(
        f"report written to {out} ({size / 1e6:.2f} MB, {len(report.figures)} figures): "
        f"R^2 {fmt(facts['metrics']['trained']['r2'])} on {facts['data']['rows']} rows; "
        "open it in a browser"
    )
    return 0
