"""The command line starts at once: its help and version import nothing heavy.

Functional checks, not timings: each command runs in a fresh interpreter (as the
``linreg`` script starts it, through ``linreg_launch``), and what matters is which
modules it imported. ``--help`` of every command, and ``--version``, import neither
NumPy nor pandas, matplotlib, SciPy or rich; ``import linreg`` alone imports no NumPy;
``train`` on a CSV imports no matplotlib (pandas it does: the readers of every file kind
share :mod:`linreg.io.tables`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import linreg
from linreg.cli import main as cli_main
from linreg.cli import parsers
from linreg.cli.args import LazyCommand

#: What a command's help or version must not import.
HEAVY = ("numpy", "pandas", "matplotlib", "scipy", "rich")

SRC = Path(linreg.__file__).resolve().parent.parent

#: Runs ``linreg ARGS`` as the console script does, then prints the heavy packages imported.
PROBE = textwrap.dedent(
    """
    import json, sys
    watched = set(json.loads(sys.argv[2]))
    sys.argv = ["linreg", *json.loads(sys.argv[1])]
    import linreg_launch
    try:
        code = linreg_launch.main()
    except SystemExit as exc:
        code = exc.code
    loaded = sorted({m.split(".")[0] for m in sys.modules} & watched)
    sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "loaded": loaded}) + "\\n")
    """
)


def probe(*args: str, cwd: Path | None = None) -> tuple[dict[str, Any], str]:
    """``linreg ARGS`` in a fresh interpreter: its exit code and heavy imports, and stdout."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("MPLBACKEND", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args)), json.dumps([*HEAVY, "pyarrow"])],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("PROBE ")]
    assert line, done.stderr
    return json.loads(line[-1][len("PROBE ") :]), done.stdout


def command_names() -> list[str]:
    parser = cli_main.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices is not None
    return sorted(sub.choices)


def test_help_and_version_import_nothing_heavy() -> None:
    for args in (["--help"], ["--version"]):
        result, out = probe(*args)
        assert result == {"code": 0, "loaded": []}
        assert out.startswith(("usage: linreg", "linreg "))
    result, out = probe("--version")
    assert f"linreg {linreg.__version__}" in out


@pytest.mark.parametrize("name", command_names())
def test_every_command_help_imports_nothing_heavy(name: str) -> None:
    result, out = probe(name, "--help")
    assert result == {"code": 0, "loaded": []}
    assert out.startswith(f"usage: linreg {name}")
    assert "example:" in out


def test_every_command_names_a_body_that_exists() -> None:
    """Each lazy handler imports: a typo in a module or a name fails here, not at run time."""
    parser = cli_main.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices is not None
    for name, command_parser in sub.choices.items():
        handler = command_parser.get_default("handler")
        assert isinstance(handler, LazyCommand), name
        assert callable(handler.load()), name


def test_the_help_texts_quote_the_library_constants() -> None:
    """linreg.cli.parsers copies the few library values the help quotes; still the same."""
    from linreg.estimator import SOLVERS
    from linreg.stats.sweep import CONVERGED_RTOL
    from linreg.viz.lab import SCALING_FRACTION, SGD_SAFETY

    assert parsers.SOLVERS == SOLVERS
    assert parsers.CONVERGED_RTOL == CONVERGED_RTOL
    assert parsers.SGD_SAFETY == SGD_SAFETY
    assert parsers.SCALING_FRACTION == SCALING_FRACTION
    from linreg.cli.args import DECIMAL_MARKS
    from linreg.io.dialect import DECIMAL_MARKS as LIBRARY_DECIMAL_MARKS
    from linreg.stats.robust import COV_TYPES
    from linreg.viz import lab_page

    assert parsers.COV_TYPES == COV_TYPES
    assert DECIMAL_MARKS == LIBRARY_DECIMAL_MARKS
    assert parsers.LAB_EPOCHS == lab_page.DEFAULT_EPOCHS
    assert parsers.LAB_BATCH_SIZE == lab_page.DEFAULT_BATCH_SIZE
    assert parsers.LAB_MAX_EPOCHS == lab_page.MAX_EPOCHS


def test_a_bad_argument_still_imports_nothing_heavy() -> None:
    result, _ = probe("train", "--epochs", "-x")
    assert result == {"code": 2, "loaded": []}


def test_train_on_a_csv_imports_no_matplotlib(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = X @ [1.0, -2.0] + 0.5 + 0.1 * rng.normal(size=200)
    rows = "\n".join(f"{a!r},{b!r},{t!r}" for (a, b), t in zip(X.tolist(), y.tolist(), strict=True))
    (tmp_path / "train.csv").write_text("x1,x2,y\n" + rows + "\n")
    result, out = probe(
        "train", "train.csv", "--out", "model.json", "--quiet", "--json", cwd=tmp_path
    )
    assert result["code"] == 0
    assert "matplotlib" not in result["loaded"]
    assert json.loads(out)["feature_names"] == ["x1", "x2"]
    assert (tmp_path / "model.json").exists()


def test_import_linreg_is_lazy_and_its_names_load_on_use() -> None:
    code = textwrap.dedent(
        """
        import sys
        import linreg
        assert "numpy" not in sys.modules, "import linreg imported NumPy"
        from linreg import LinearRegression, stability, gradcheck, metrics
        import linreg.stability, linreg.gradcheck  # the modules of the same names
        assert linreg.stability is stability and callable(stability)
        assert linreg.gradcheck is gradcheck and callable(gradcheck)
        assert LinearRegression.__name__ == "LinearRegression"
        assert linreg.metrics is metrics and linreg.training.train
        assert set(linreg.__all__) <= set(dir(linreg))
        try:
            linreg.no_such_name
        except AttributeError as exc:
            assert "no_such_name" in str(exc)
        else:
            raise AssertionError("no AttributeError")
        """
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
