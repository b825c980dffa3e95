"""``linreg evaluate``'s arguments; the command itself is :mod:`linreg.cli.evaluate`."""

from __future__ import annotations

from linreg.cli.args import AddCommand, add_file_options, add_json, command

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``evaluate`` and ``predict`` to the ``linreg`` command."""
    p = add(
        "evaluate",
        command("evaluate", "cmd_evaluate"),
        "Evaluate a saved model on a CSV file: MSE, RMSE, MAE, R^2.",
        "linreg evaluate model.json data/test.csv --compare",
    )
    p.add_argument("model", help="model file written by 'linreg train'")
    p.add_argument("data", help="CSV, Parquet or Excel file with the model's features and target")
    add_file_options(p)
    p.add_argument(
        "--compare",
        action="store_true",
        help="untrained vs trained vs ground truth, parameters, and optimization gap",
    )
    p.add_argument("--plots", help="folder for the figures")
    add_json(p)

    p = add(
        "predict",
        command("evaluate", "cmd_predict"),
        "Predict with a saved model.",
        "linreg predict model.json new.csv --out predictions.csv",
    )
    p.add_argument("model", help="model file written by 'linreg train'")
    p.add_argument("data", help="CSV, Parquet or Excel file with the model's feature columns")
    add_file_options(p)
    p.add_argument(
        "--keep",
        metavar="COL[,COL...]",
        help="the input's columns written beside the predictions, in this order (default: "
        "all of them, as written; --keep '' for the predictions alone)",
    )
    p.add_argument(
        "--out",
        help="CSV to write, or Parquet when it ends in .parquet (default: CSV on stdout)",
    )
    add_json(p)
