"""``linreg bench``: runs the benchmark harness, ``benchmarks/bench.py``, of a source checkout.

The harness is not part of the installed package (it times rivals the library does not
need). This command finds it beside the package's source tree (an editable install or a
checkout on ``PYTHONPATH``) or in the current folder, and runs it with the same options in a
child Python; otherwise it says in one line where the harness lives. See
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import linreg
from linreg.errors import LinregError

__all__ = ["HARNESS", "cmd_bench", "find_harness"]

#: The harness, relative to the root of a source checkout.
HARNESS = Path("benchmarks") / "bench.py"


def find_harness() -> Path | None:
    """``benchmarks/bench.py`` of the checkout this package runs from, or of the current folder.

    Returns
    -------
    Path or None
        None for an installed package with no source checkout around it.
    """
    package = Path(linreg.__file__).resolve().parent  # .../src/linreg
    for root in (package.parents[1], Path.cwd()):
        candidate = root / HARNESS
        if candidate.is_file():
            return candidate
    return None


def cmd_bench(args: argparse.Namespace) -> int:
    harness = find_harness()
    if harness is None:
        raise LinregError(
            f"the benchmark harness is not installed with the package: it is {HARNESS} in "
            "linreg's source repository; run 'linreg bench' (or 'python benchmarks/bench.py') "
            "from a checkout, after pip install -e '.[bench]'"
        )
    options: list[str] = []
    for flag in ("quick", "no_memory", "markdown", "json"):
        if getattr(args, flag):
            options.append("--" + flag.replace("_", "-"))
    for name in ("repeats", "only", "plots"):
        value = getattr(args, name)
        if value is not None:
            options += [f"--{name}", str(value)]
    # The child imports this very package, whether or not the checkout is installed.
    source = str(Path(linreg.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": source if not path else source + os.pathsep + path}
    sys.stdout.flush()
    sys.stderr.flush()
    return subprocess.run([sys.executable, str(harness), *options], env=env, check=False).returncode
