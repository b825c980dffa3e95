"""The ``linreg`` console script: a launcher that is safe from its first instruction.

Importing the command line (NumPy, pandas, the library) takes from half a second to two; a
Ctrl-C or SIGTERM in that time would print a ``KeyboardInterrupt`` traceback from deep
inside an import. This module stands outside the ``linreg`` package, because importing
anything in the package runs ``linreg/__init__.py`` and with it every heavy import. It
imports nothing heavy itself: it turns SIGTERM into the same path as Ctrl-C, imports
:mod:`linreg.cli.main` inside the handler, and ends an interrupt during the imports with one
line and exit 130 (SIGINT) or 143 (SIGTERM). ``python -m linreg_launch ARGS`` runs it too.

A signal in the first milliseconds, before Python has run this module, still gets Python's
own handling: SIGTERM ends the process silently, SIGINT may print a traceback from Python's
start-up. Nothing has been written by then.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import NoReturn

__all__ = ["main"]

_EXIT_INTERRUPTED = 130
_EXIT_TERMINATED = 143


class _TerminatedWhileStarting(KeyboardInterrupt):
    """SIGTERM before the command line's own handler is installed."""


def _on_sigterm(signum: int, frame: FrameType | None) -> NoReturn:
    raise _TerminatedWhileStarting


def main() -> int:
    """Start ``linreg``: import the command line and run it; returns the exit code."""
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
        from linreg.cli import main as cli

        return cli.main()
    except KeyboardInterrupt as exc:
        # Only while starting: once running, linreg.cli.main.main reports interrupts itself.
        terminated = isinstance(exc, _TerminatedWhileStarting) or type(exc).__name__ == (
            "Terminated"
        )
        what = "terminated" if terminated else "interrupted"
        sys.stderr.write(f"linreg: {what} while starting; nothing was written\n")
        return _EXIT_TERMINATED if terminated else _EXIT_INTERRUPTED


def run() -> NoReturn:
    """Entry point of ``python -m linreg_launch``: :func:`main`, then exit with its code."""
    code = main()
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    run()
