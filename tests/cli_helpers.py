"""Running the ``linreg`` command in-process, and what every failure must look like.

Shared by the command-line test modules.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from linreg.cli.main import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Result:
    """Exit code, stdout and stderr of one ``linreg`` run."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Result:
    """``linreg ARGV`` in-process: its exit code, stdout and stderr."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def run_quietly(*argv: str | Path) -> Result:
    """Like :func:`run`, for module-scoped fixtures (which cannot use capsys)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return Result(code, out.getvalue(), err.getvalue())


def assert_one_error_line(result: Result, *fragments: str) -> str:
    """Exit 1 and exactly one ``linreg: error:`` line on stderr, holding every fragment.

    Any other stderr line must be a ``linreg: warning:`` line; no traceback.
    """
    assert result.code == 1, result
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if line.startswith("linreg: error: ")]
    assert len(lines) == 1, result.err
    others = [line for line in result.err.splitlines() if line not in lines]
    assert all(line.startswith("linreg: warning: ") for line in others), result.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]
