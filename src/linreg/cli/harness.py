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
from linreg.cli.args import MAX_COUNT, bounded_int
from linreg.cli.common import AddCommand, add_json
from linreg.errors import LinregError

__all__ = ["HARNESS", "find_harness", "register"]

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


def register(add: AddCommand) -> None:
    """Add ``bench`` to the ``linreg`` command."""
    p = add(
        "bench",
        cmd_bench,
        "Time linreg against scikit-learn, NumPy and PyTorch on the same data (runs "
        "benchmarks/bench.py of a source checkout; see benchmarks/README.md).",
        "linreg bench --plots benchmarks/figures",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    p.add_argument(
        "--repeats",
        type=bounded_int("--repeats", MAX_COUNT),
        help="timed repeats per method (default 5; quick 2)",
    )
    p.add_argument("--only", help="comma-separated sections: closed-form,gd,sgd,scaling")
    p.add_argument("--plots", help="folder for the scaling figure (bench_scaling.png)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory child runs")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    add_json(p)
