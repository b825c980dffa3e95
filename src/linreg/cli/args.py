"""The command line's argument helpers: bounded numbers, shared options, lazy handlers.

Light by design (argparse and importlib only): ``linreg --help`` imports this module and
:mod:`linreg.cli.parsers`, never NumPy nor a command's body (see :mod:`linreg.cli.main`).

Bounded parsing of the command line's numbers.

Every integer option of ``linreg`` is parsed by :func:`bounded_int`, so that a value out of
range is one clear ``linreg: error:`` line naming the option, the
value and the allowed range, never a traceback from deep inside NumPy (``--seed -1``) nor a
400-digit integer handed to the library (``--epochs 1000...``).

The limits (:data:`MAX_EPOCHS`, :data:`MAX_SEED`, :data:`MAX_SAMPLES`, :data:`MAX_COUNT`,
:data:`MAX_DIGITS`) are named in each message. Floats stay ``type=float``: the library
checks their ranges with messages that say what each value means.
"""

from __future__ import annotations

import argparse
import importlib
import math
from collections.abc import Callable
from typing import Any

__all__ = [
    "DECIMAL_MARKS",
    "EXIT_ERROR",
    "LR_SCHEDULES",
    "MAX_COUNT",
    "MAX_DIGITS",
    "MAX_EPOCHS",
    "MAX_SAMPLES",
    "MAX_SEED",
    "MISSING_ACTIONS",
    "AddCommand",
    "Handler",
    "LazyCommand",
    "add_data_options",
    "add_file_options",
    "add_formula_options",
    "add_json",
    "add_schedule_options",
    "add_weight_option",
    "bounded_int",
    "command",
    "parse_learning_rate",
    "positive_float",
    "schedule_params",
]

#: Exit code of a command that failed (a bad file, a value the library refused).
EXIT_ERROR = 1
#: A command's body: the parsed arguments in, the exit code out.
Handler = Callable[[argparse.Namespace], int]
#: ``add(name, handler, help, example)`` creates a subcommand parser with an example.
AddCommand = Callable[[str, Handler, str, str], argparse.ArgumentParser]

#: Longest integer accepted on the command line, in characters (sign and digits).
MAX_DIGITS = 20
#: Most epochs a run accepts: beyond, it would not end in a lifetime.
MAX_EPOCHS = 10**9
#: Most rows ``generate`` accepts on the command line (memory is checked as well).
MAX_SAMPLES = 10**12
#: Most of any other count (features, rows per batch, repeats).
MAX_COUNT = 10**9
#: Largest seed: NumPy's generators take seeds in [0, 2**32) on every platform.
MAX_SEED = 2**32 - 1


def _show(text: str) -> str:
    """The value as typed, shortened when long (a 400-digit number is not echoed whole)."""
    return repr(text) if len(text) <= 40 else repr(text[:20] + "..." + text[-8:])


def bounded_int(name: str, high: int, low: int | None = None) -> Callable[[str], int]:
    """A ``type=`` for argparse: a whole number <= high (and >= low), else one clear message.

    Parameters
    ----------
    name : str
        The option, as the user types it (``--epochs``): the parser's name for the type, so
        that argparse's own messages name it too.
    high : int
        The largest value accepted, named in the message.
    low : int, optional
        The smallest; None leaves the lower end to the library's own check (whose message
        says what the value means, ``epochs must be a positive integer``).

    Returns
    -------
    callable
        Raises ``argparse.ArgumentTypeError`` naming the option, the value and the limit;
        a number longer than :data:`MAX_DIGITS` characters is never converted.
    """
    # argparse puts "argument --epochs: " in front of the message.
    wanted = f"a whole number <= {high}" if low is None else f"a whole number from {low} to {high}"

    def parse(text: str) -> int:
        stripped = text.strip()
        digits = stripped[1:] if stripped[:1] in "+-" else stripped
        if not (digits.isascii() and digits.isdigit()):
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {_show(text)}")
        if len(stripped) > MAX_DIGITS:
            raise argparse.ArgumentTypeError(
                f"must be {wanted}, got a number of {len(digits)} digits"
            )
        value = int(stripped)
        if value > high or (low is not None and value < low):
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {value}")
        return value

    parse.__name__ = name  # argparse names a failing type by its __name__
    return parse


class LazyCommand:
    """A command's body, ``linreg.cli.<module>.<name>``, imported when the command runs.

    So that building the parser (``linreg --help``, ``linreg train --help``) imports no
    command's body, and with it neither NumPy nor pandas nor matplotlib.
    """

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def load(self) -> Handler:
        """The handler itself (importing its module)."""
        handler: Handler = getattr(importlib.import_module(f"linreg.cli.{self.module}"), self.name)
        return handler

    def __call__(self, args: argparse.Namespace) -> int:
        return self.load()(args)

    def __repr__(self) -> str:
        return f"command({self.module!r}, {self.name!r})"


def positive_float(name: str, high: float | None = None) -> Callable[[str], float]:
    """A ``type=`` for argparse: a finite number > 0 (and <= ``high``), else one message
    naming the range and the value (argparse puts the option's name in front)."""
    wanted = "a number > 0" if high is None else f"a number in (0, {high:g}]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0.0 and (high is None or value <= high)):
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {_show(text)}")
        return value

    parse.__name__ = name
    return parse


def command(module: str, name: str) -> Handler:
    """The handler ``name`` of ``linreg.cli.<module>``, imported when it runs."""
    return LazyCommand(module, name)


def parse_learning_rate(text: str) -> float | str:
    """The value of ``--lr``: ``"auto"`` or a number (checked > 0 by the estimator).

    Raises
    ------
    argparse.ArgumentTypeError
        For anything else; argparse prints it after the flag's name.
    """
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a number > 0 or 'auto', not {text!r}") from None


#: :data:`linreg.training.SCHEDULES`, copied: ``--lr-schedule``'s choices.
LR_SCHEDULES = ("constant", "invscaling", "step")


def add_weight_option(p: argparse.ArgumentParser) -> None:
    """``--sample-weight COLUMN``: weighted least squares, the column no feature."""
    p.add_argument(
        "--sample-weight",
        metavar="COLUMN",
        help="column of row weights >= 0 (not a feature): minimise sum w_i r_i^2 / sum w_i",
    )


def add_schedule_options(p: argparse.ArgumentParser) -> None:
    """``--lr-schedule`` and its parameters ``--power-t``, ``--decay-every`` and
    ``--decay-factor`` (checked by the estimator, whose errors name them)."""
    p.add_argument(
        "--lr-schedule",
        choices=LR_SCHEDULES,
        default="constant",
        help="step size of epoch k for gd and sgd: constant eta; invscaling eta / (k + 1)^T; "
        "step eta F^floor(k / E) (default: constant)",
    )
    p.add_argument(
        "--power-t",
        metavar="T",
        type=positive_float("--power-t"),
        default=0.25,
        help="invscaling's T (default: 0.25)",
    )
    p.add_argument(
        "--decay-every",
        metavar="E",
        type=bounded_int("--decay-every", MAX_EPOCHS, low=1),
        default=100,
        help="step: epochs between decays (default: 100)",
    )
    p.add_argument(
        "--decay-factor",
        metavar="F",
        type=positive_float("--decay-factor", high=1.0),
        default=0.5,
        help="step: the factor in (0, 1] of each decay (default: 0.5)",
    )


def schedule_params(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator's parameters from :func:`add_schedule_options`' flags."""
    return {
        "lr_schedule": args.lr_schedule,
        "power_t": args.power_t,
        "decay_every": args.decay_every,
        "decay_factor": args.decay_factor,
    }


def add_data_options(p: argparse.ArgumentParser) -> None:
    """``--target`` and ``--features``, and how to read the file (:func:`add_file_options`)."""
    p.add_argument("--target", default="y", help="target column (default: y)")
    p.add_argument(
        "--features",
        help="comma-separated feature columns (default: all other numeric columns except y_true)",
    )
    add_file_options(p)


#: :data:`linreg.io.dialect.DECIMAL_MARKS`, copied: ``--decimal``'s choices.
DECIMAL_MARKS = (".", ",")


def add_file_options(p: argparse.ArgumentParser) -> None:
    """How to read a data file: a CSV's dialect, an Excel workbook's sheet.

    Every command that reads a data file takes these;
    :func:`linreg.cli.common.reading_options` turns them into
    :func:`linreg.io.tables.read_table`'s keywords.
    """
    p.add_argument(
        "--delimiter",
        metavar="CHAR",
        help="a CSV's field delimiter: ',', ';', '|' or 'tab' (default: detected from the "
        "first rows; a detected one other than ',' is announced)",
    )
    p.add_argument(
        "--decimal",
        choices=DECIMAL_MARKS,
        help="a CSV's decimal mark (default: '.', or ',' when a ';'- or tab-separated file "
        "writes its numbers 2,5)",
    )
    p.add_argument("--sheet", help="the sheet of an Excel workbook (default: the first)")


#: :data:`linreg.missing.MISSING_ACTIONS`, copied: ``--missing``'s choices.
MISSING_ACTIONS = ("raise", "drop")


def add_formula_options(p: argparse.ArgumentParser) -> None:
    """``--formula FORMULA`` and ``--missing {raise,drop}`` (:mod:`linreg.cli.formulas`)."""
    p.add_argument(
        "--formula",
        metavar="FORMULA",
        help='the model as a formula, "y ~ x1 + np.log(x2) + C(region)": target and features '
        'come from it, text columns as categories (pip install "linreg[formula]")',
    )
    p.add_argument(
        "--missing",
        choices=MISSING_ACTIONS,
        default="raise",
        help="a row with a missing value (an empty cell, NA) in a column used: an error "
        "(raise, the default) or dropped with a line saying how many (drop)",
    )


def add_json(p: argparse.ArgumentParser) -> None:
    """``--json``: a machine-readable result on stdout."""
    p.add_argument(
        "--json",
        action="store_true",
        help="print a machine-readable result on stdout (NaN and infinity print as null)",
    )
