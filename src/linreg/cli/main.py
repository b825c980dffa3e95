"""The ``linreg`` command: parse arguments, call the library, print the result.

Every subcommand has ``--help`` with an example and ``--json`` for a
machine-readable result on stdout. Errors are one line on stderr
(``linreg: error: ...``) with a non-zero exit and no traceback; files are
written atomically, so a failed run leaves nothing half-written.

**Adding a command (lazily).** ``linreg --help`` and every ``linreg CMD --help`` build
the whole parser, so the parser must import nothing heavy: no NumPy, pandas, SciPy,
matplotlib, rich, nor a command's body (tests/test_startup.py checks; about 0.1 s and
25 MB instead of 1 s and 150 MB). So a command lives in two modules:

1. its body, ``linreg/cli/NAME.py``: ``cmd_NAME(args) -> int`` and whatever it
   imports, at the top as usual;
2. its arguments, ``linreg/cli/parsers/NAME.py``: ``register(add)``, which imports only
   argparse, :mod:`linreg.cli.args` (``bounded_int``, ``add_json``, ...) and
   :mod:`linreg.cli.parsers`, and names the body lazily::

       def register(add: AddCommand) -> None:
           p = add("NAME", command("NAME", "cmd_NAME"), "What it does.", "linreg NAME x.csv")
           p.add_argument("data", help="CSV file")
           add_json(p)

   then add ``NAME`` to :data:`COMMAND_GROUPS` below. A default or a choice that comes
   from the library is copied into :mod:`linreg.cli.parsers` (and checked by a test).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn, TextIO

from linreg.cli.args import EXIT_ERROR, Handler
from linreg.cli.parsers import (
    demo,
    diagnose,
    evaluate,
    generate,
    harness,
    lab,
    lab_page,
    path,
    report,
    selection,
    stats,
    sweep,
    train,
)
from linreg.solvers import compiled

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "Terminated",
    "build_parser",
    "main",
]

#: Exit codes: a bad argument, Ctrl-C (128 + SIGINT), SIGTERM (128 + SIGTERM), and a
#: reader of standard output that went away (128 + SIGPIPE, as ``yes | head`` ends).
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_BROKEN_PIPE = 141


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that it unwinds like Ctrl-C."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``linreg: error:`` line (exit 2)."""

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        sys.stderr.write(f"linreg: error: {text} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


#: The command groups' argument modules (:mod:`linreg.cli.parsers`), in the order
#: ``linreg --help`` lists them; each defines ``register(add)`` and calls
#: ``add(name, handler, help, example)`` for each of its commands.
COMMAND_GROUPS = (
    generate,
    train,
    evaluate,
    sweep,
    demo,
    lab_page,
    lab,
    report,
    stats,
    diagnose,
    path,
    selection,
    harness,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``linreg`` command."""
    from linreg import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = Parser(
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
        version=f"linreg {__version__} (exact solver's refinement kernel: {compiled.describe()})",
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


def _raise_terminated(signum: int, frame: FrameType | None) -> NoReturn:
    raise Terminated


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``).

    Only in the main thread (elsewhere signals cannot be handled; nothing changes).
    """
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def os_error_line(exc: OSError) -> str:
    """One line for an OSError: the file it concerns (never a temporary name) and why."""
    from linreg.cli.safety import destination_of

    where = f"{destination_of(exc.filename)}: " if exc.filename else ""
    why = exc.strerror or str(exc) or type(exc).__name__
    return f"linreg: error: {where}{why}"


def _check_no_empty_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse ``--opt=--``: argparse drops the ``--`` and stores ``[]``, calling no ``type``.

    No option of ``linreg`` takes a list, so a list is always this case.
    """
    for name, value in vars(args).items():
        if isinstance(value, list) and not value:
            parser.error(f"argument --{name.replace('_', '-')}: expected a value, got '--'")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    A bad argument is one ``linreg: error:`` line and ``SystemExit(2)`` (``--help`` and
    ``--version``: ``SystemExit(0)``), as argparse does; other failures are one such line
    and exit 1; an interrupt exits 130 (Ctrl-C) or 143 (SIGTERM) saying that nothing was
    half-written.
    """
    with sigterm_as_interrupt():
        try:
            parser = build_parser()
            args = parser.parse_args(argv)  # SystemExit: help, version, bad argument
            _check_no_empty_values(parser, args)
            return _run(args.handler, args)
        except KeyboardInterrupt as exc:
            what = "terminated" if isinstance(exc, Terminated) else "interrupted"
            sys.stderr.write(
                f"linreg: {what}; no file was left half-written and no new output was kept\n"
            )
            return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def _run(handler: Handler, args: argparse.Namespace) -> int:
    from linreg.errors import LinregError  # (not before: parsing alone imports nothing more)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            return handler(args)
        except LinregError as exc:
            sys.stderr.write(f"linreg: error: {' '.join(str(exc).splitlines())}\n")
            return EXIT_ERROR
        except RecursionError:
            sys.stderr.write("linreg: error: the input is nested too deeply to read\n")
            return EXIT_ERROR
        except MemoryError:
            sys.stderr.write(
                "linreg: error: out of memory; use a smaller input (or --stream for a large file)\n"
            )
            return EXIT_ERROR
        except BrokenPipeError as exc:
            if exc.filename is not None:  # a named file or socket, not our standard output
                sys.stderr.write(os_error_line(exc) + "\n")
                return EXIT_ERROR
            return _reader_left()
        except OSError as exc:
            sys.stderr.write(os_error_line(exc) + "\n")
            return EXIT_ERROR


def _reader_left() -> int:
    """Standard output's reader closed the pipe (``linreg predict ... | head``): what it
    wanted it has, so say nothing, as other command-line tools do, and point standard
    output at /dev/null so that the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a descriptor
        pass
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
