"""The ``linreg`` command: parse arguments, call the library, print the result.

Every subcommand has ``--help`` with an example and ``--json`` for a
machine-readable result on stdout. Errors are one line on stderr
(``linreg: error: ...``) with a non-zero exit and no traceback; files are
written atomically, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from linreg.cli import demo, evaluate, generate, harness, lab, report, stats, sweep, train
from linreg.cli.common import EXIT_ERROR, Handler
from linreg.errors import LinregError
from linreg.solvers import kernels

__all__ = ["build_parser", "main"]

#: The command groups, in the order ``linreg --help`` lists them; each defines
#: ``register(add)`` and calls ``add(name, handler, help, example)`` for each of its commands.
COMMAND_GROUPS = (generate, train, evaluate, sweep, demo, lab, report, stats, harness)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``linreg`` command."""
    from linreg import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="linreg",
        description="Linear regression from first principles: generate data, train by "
        "gradient descent or exactly, evaluate, predict, and draw every step.",
        epilog="example:\n  linreg demo --out results/\n\n"
        "run 'linreg COMMAND --help' for each command",
        formatter_class=fmt,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"linreg {__version__} (exact solver's refinement kernel: {kernels.describe()})",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, handler: Handler, help_: str, example: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            formatter_class=fmt,
            epilog=f"example:\n  {example}",
        )
        p.set_defaults(handler=handler)
        return p

    for group in COMMAND_GROUPS:
        group.register(add)
    return parser


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    text = " ".join(str(message).split())
    sys.stderr.write(f"linreg: warning: {text}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            return handler(args)
        except LinregError as exc:
            sys.stderr.write(f"linreg: error: {exc}\n")
            return EXIT_ERROR
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            sys.stderr.write(f"linreg: error: {where}{exc.strerror or exc}\n")
            return EXIT_ERROR
        except KeyboardInterrupt:
            sys.stderr.write("linreg: interrupted; no file was left half-written\n")
            return 130


if __name__ == "__main__":
    sys.exit(main())
