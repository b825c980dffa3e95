"""``linreg path``'s arguments; its body is :mod:`linreg.cli.path` (imported when it runs)."""

from __future__ import annotations

from linreg.cli.args import AddCommand, add_data_options, add_json, command

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``path`` to the ``linreg`` command."""
    p = add(
        "path",
        command("path", "cmd_path"),
        "Solve the lasso / elastic net exactly along a log grid of alpha, from where every "
        "weight is 0 down, and print (and draw) the weights along it.",
        "linreg path data/train.csv --l1-ratio 1 --plots results/",
    )
    p.add_argument("data", help="CSV, Parquet or Excel file")
    add_data_options(p)
    p.add_argument(
        "--l1-ratio",
        type=float,
        default=1.0,
        help="L1 share of the penalty in [0, 1]; 1 is the lasso (default: 1)",
    )
    p.add_argument(
        "--alphas",
        help="comma-separated alphas instead of the log grid (needed for --l1-ratio 0)",
    )
    p.add_argument("--n-alphas", type=int, default=100, help="points of the grid (default: 100)")
    p.add_argument(
        "--eps", type=float, default=1e-3, help="the grid ends at eps * alpha_max (default: 1e-3)"
    )
    p.add_argument("--no-intercept", action="store_true", help="fit without an intercept")
    p.add_argument("--plots", help="folder for the figure (regularization_path.png)")
    add_json(p)
