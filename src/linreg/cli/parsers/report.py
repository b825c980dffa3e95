"""``linreg report``'s arguments; the command itself is :mod:`linreg.cli.report`."""

from __future__ import annotations

from linreg.cli.args import AddCommand, add_file_options, add_json, command

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``report`` to the ``linreg`` command."""
    p = add(
        "report",
        command("report", "cmd_report"),
        "Write a self-contained HTML report of a model on a data file, figures included.",
        "linreg report model.json data/test.csv --out report.html",
    )
    p.add_argument("model", help="model file written by 'linreg train'")
    p.add_argument("data", help="CSV, Parquet or Excel file with the model's features and target")
    add_file_options(p)
    p.add_argument("--out", default="report.html", help="HTML file to write (default: report.html)")
    p.add_argument(
        "--no-animation", action="store_true", help="leave out the training GIF (a smaller page)"
    )
    add_json(p)
