"""Pieces shared by the ``linreg`` subcommands: output, parsing, progress, common options.

Every command group's module (each defines ``register(add)``, called by
:func:`linreg.cli.main.build_parser`) uses these so that every command prints, fails and
writes JSON the same way. The numbers beside the figures (closed-form fit, metrics) are the
library's, :mod:`linreg.viz.summaries`.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

# Re-exported: the command modules' names for the light helpers of linreg.cli.args.
from linreg.cli.args import EXIT_ERROR as EXIT_ERROR
from linreg.cli.args import AddCommand as AddCommand
from linreg.cli.args import Handler as Handler
from linreg.cli.args import add_data_options as add_data_options
from linreg.cli.args import add_file_options as add_file_options
from linreg.cli.args import add_json as add_json
from linreg.cli.safety import check_out_folder, check_outputs
from linreg.errors import LinregError
from linreg.io.dialect import resolve_dialect
from linreg.io.tables import Table, file_kind, read_table

TRUTH_FILE = "truth.json"


# -- output helpers --------------------------------------------------------------------------
def make_console(stderr: bool = False) -> Any:
    """A rich console; a reader that closes the pipe ends the command as any other
    write to standard output would (``linreg.cli.main``: quietly, exit 141), where
    rich 13.8+ would exit 1 on its own."""
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    console.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]  # rich calls it
    return console


def _broken_pipe() -> None:
    raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout; NaN and infinities print as ``null``.

    JSON has no NaN or infinity, so a value that is not finite (an overflowed MSE, a
    diverged loss) is written ``null``, in NumPy arrays and scalars as in floats: the
    output is always valid JSON (``--json``'s documented contract) and never fails.
    """
    text = json.dumps(json_ready(payload), indent=2, allow_nan=False, default=json_default)
    sys.stdout.write(text + "\n")


def json_ready(value: Any) -> Any:
    """``value`` with every non-finite float (NumPy's included) replaced by None.

    Dicts, lists and tuples are copied; NumPy arrays become lists; everything else is
    returned as it is (and :func:`json_default` or ``json.dumps`` deal with it).
    """
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return json_ready(value.astype(object).tolist())
        return value.tolist()
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def rich_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    from rich.markup import escape
    from rich.table import Table as RichTable

    table = RichTable(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        # Cells are data, not rich markup: "W[x1]" must print as written.
        table.add_row(*[escape(_cell(v)) for v in row])
    return table


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(value)


def parse_floats(text: str, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise LinregError(f"{what} must be comma-separated numbers, got {text!r}") from None
    if not values:
        raise LinregError(f"{what} is empty; give comma-separated numbers")
    return values


def parse_names(text: str | None) -> list[str] | None:
    return None if text is None else [n.strip() for n in text.split(",") if n.strip()]


class Progress:
    """A rich progress bar over epochs, on stderr; silent when disabled."""

    def __init__(self, total: int, enabled: bool, label: str = "training") -> None:
        self.total, self.enabled, self.label = total, enabled, label
        self.every = max(1, total // 200)
        self._progress: Any = None

    def __enter__(self) -> Progress:
        return self

    def _start(self) -> None:
        # Started on the first epoch, so a run that fails validation draws no bar.
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            console=make_console(stderr=True),
        )
        self._progress.__enter__()
        self._task = self._progress.add_task(self.label, total=self.total, loss="-")

    def __call__(self, epoch: int, loss: float) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            self._start()
        if epoch % self.every == 0 or epoch == self.total:
            self._progress.update(self._task, completed=epoch, loss=f"{loss:.6g}")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)


# -- shared steps ----------------------------------------------------------------------------
def read_truth(csv_path: Path, n_features: int) -> dict[str, Any] | None:
    """True parameters written by ``linreg generate`` beside the CSV, if any.

    A truth file for other data (another number of features) is ignored with a warning.
    """
    path = csv_path.parent / TRUTH_FILE
    if not path.is_file():
        return None
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
        weights = [float(w) for w in truth["weights"]]
        bias = float(truth["bias"])
    except (ValueError, KeyError, TypeError, RecursionError, OverflowError):
        raise LinregError(f"{path}: not a valid truth file (weights and bias)") from None
    if not all(math.isfinite(v) for v in [*weights, bias]):
        raise LinregError(f"{path}: not a valid truth file (its weights and bias must be finite)")
    if len(weights) != n_features:
        warnings.warn(
            f"{path}: ignoring it, it has {len(weights)} true weight(s) but the data have "
            f"{n_features} feature(s)",
            stacklevel=2,
        )
        return None
    return {"weights": weights, "bias": bias}


def param_rows(
    names: list[str], learned: Sequence[float] | np.ndarray, learned_b: float, **others: Any
) -> list[list[Any]]:
    """Rows (parameter, learned, *others) for W then b; others map to (W, b) or None."""
    rows = []
    for j, name in enumerate([*names, "b (intercept)"]):
        row: list[Any] = [f"W[{name}]" if j < len(names) else name]
        row.append(float(learned[j]) if j < len(names) else float(learned_b))
        for value in others.values():
            if value is None:
                row.append(None)
            else:
                W, b = value
                row.append(float(W[j]) if j < len(names) else float(b))
        rows.append(row)
    return rows


def status_label(status: str, diverged_at_epoch: int | None) -> str:
    return status if diverged_at_epoch is None else f"{status} at epoch {diverged_at_epoch}"


def check_plots_dir(path: str | None, *inputs: str | Path | None) -> Path | None:
    """The ``--plots`` folder: not a file, not an input, holding no input named like a figure.

    Parameters
    ----------
    path : str or None
        The option's value; None when not given.
    *inputs : paths
        The command's input files (see :func:`linreg.cli.safety.check_outputs`).
    """
    check_outputs(inputs, folders=[(path, "--plots")])
    return check_out_folder(path, "--plots")


def reading_options(args: argparse.Namespace, path: str | Path | None) -> dict[str, Any]:
    """:func:`linreg.io.tables.read_table`'s keywords for ``path`` from the file options.

    A CSV's dialect is resolved here, once per file and command (a detected one other
    than the default is announced, once), and then passed on as given, to every reader
    of the file (a streamed fit reads it more than once).
    """
    known: dict[str, dict[str, Any]] = vars(args).setdefault("_reading_options", {})
    if str(path) in known:
        return dict(known[str(path)])
    options: dict[str, Any] = {
        "delimiter": getattr(args, "delimiter", None),
        "decimal": getattr(args, "decimal", None),
        "sheet": getattr(args, "sheet", None),
    }
    if path is not None and file_kind(path) == "csv" and Path(path).is_file():
        dialect = resolve_dialect(path, delimiter=options["delimiter"], decimal=options["decimal"])
        options.update(delimiter=dialect.delimiter, decimal=dialect.decimal)
    known[str(path)] = dict(options)
    return options


def read_data(args: argparse.Namespace, path: str | Path, **columns: Any) -> Table:
    """:func:`linreg.io.tables.read_table` of ``path`` read as the file options say.

    ``columns`` are its column keywords (``target``, ``features``, ``require_target``,
    ``sample_weight``).
    """
    return read_table(path, **columns, **reading_options(args, path))
