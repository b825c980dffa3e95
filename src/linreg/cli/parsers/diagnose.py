"""``linreg diagnose``'s arguments; its body, :mod:`linreg.cli.diagnose`, is imported to run."""

from __future__ import annotations

from linreg.cli.args import (
    AddCommand,
    add_data_options,
    add_formula_options,
    add_json,
    add_weight_option,
    command,
)

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``diagnose`` to the ``linreg`` command."""
    p = add(
        "diagnose",
        command("diagnose", "cmd_diagnose"),
        "Fit by exact least squares and print regression diagnostics: residual tests "
        "(Jarque-Bera, omnibus, Durbin-Watson, Breusch-Pagan, White), influential and "
        "high-leverage rows, VIFs; --plots writes the four residual plots.",
        "linreg diagnose data/train.csv --target y --plots results/",
    )
    p.add_argument("data", help="CSV, Parquet or Excel file")
    add_data_options(p)
    add_formula_options(p)
    p.add_argument("--no-intercept", action="store_true", help="fit without an intercept")
    add_weight_option(p)
    p.add_argument(
        "--plots",
        help="folder for the four residual plots (one PNG each, and diagnostics.png with all four)",
    )
    add_json(p)
