"""The benchmark harness, ``benchmarks/bench.py``, and ``linreg bench``, which runs it.

The harness is not part of the package: it is loaded here from its file. These are smoke
tests (small sizes): every section reports, in JSON and in Markdown, and bad options fail
with one clear line.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from cli_helpers import assert_one_error_line, run
from engine_data import RTOL
from linreg.cli import harness as harness_command

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "benchmarks" / "bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("linreg_bench_harness", HARNESS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def linreg_command(*argv: str) -> subprocess.CompletedProcess[str]:
    """``linreg ARGV`` in a child process (``linreg bench`` starts one more for the harness)."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "linreg.cli.main", *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=600,
    )


def test_quick_json_has_every_section(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(["--quick", "--json", "--no-memory"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"environment", "config", "sections", "targets"}
    sections = report["sections"]
    assert set(sections) == {"closed-form", "gd", "sgd", "scaling", "sgd-epoch"}
    for name in ("closed-form", "gd", "sgd"):
        methods = [row["method"] for row in sections[name]["rows"]]
        assert methods[0].startswith("linreg")
        assert sections[name]["rows"][0]["speedup"] == pytest.approx(1.0)
        assert all(row["time_s"] is not None or row["note"] for row in sections[name]["rows"])
    assert sections["closed-form"]["nist"]["targets_met"] is True
    gd_rows = {row["method"]: row for row in sections["gd"]["rows"]}
    assert gd_rows["textbook NumPy loop"]["extra"]["max_rel_iterate_diff_first_epochs"] < RTOL
    scaling = sections["scaling"]
    for curve in scaling["time_vs_rows"].values():
        assert len(curve) == len(scaling["n_values"])
    epochs = sections["sgd-epoch"]["cases"]
    assert [c["batch_size"] for c in epochs] == [32, 1, 32]
    assert all(c["linreg_s"] > 0 and c["ratio"] > 0 for c in epochs)
    sgd_epoch_targets = {t for t in report["targets"] if t.startswith("sgd-epoch ")}
    assert set(report["targets"]) - sgd_epoch_targets == {"closed-form", "gd", "sgd"}
    assert len(sgd_epoch_targets) == 3
    text = bench.markdown(report)
    assert f"refinement kernel: {report['environment']['kernels']}" in text
    assert "| linreg gd (fast) |" in text
    assert "**4b. Time (s) against d" in text
    assert "**5. One SGD epoch" in text


def test_measures_peak_memory_in_a_child(bench: ModuleType) -> None:
    memory = bench.peak_memory("linreg gd (fast)", bench.QUICK, 10)
    assert memory is not None
    assert 0.0 <= memory["extra_mb"] < memory["peak_mb"]


def test_rejects_an_unknown_section(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--quick", "--only", "gd,fast"]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 1
    assert "unknown section(s) fast" in err


def test_the_command_finds_the_harness_of_this_checkout() -> None:
    assert harness_command.find_harness() == HARNESS


def test_the_command_runs_the_harness_with_its_options() -> None:
    done = linreg_command("bench", "--quick", "--json", "--no-memory", "--only", "closed-form")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report["sections"]) == {"closed-form"}
    done = linreg_command("bench", "--quick", "--only", "gd,fast")
    assert done.returncode == 1
    assert "unknown section(s) fast" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_a_checkout_the_command_says_where_the_harness_is(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(harness_command, "find_harness", lambda: None)
    result = run(capsys, "bench", "--quick")
    assert_one_error_line(result, "benchmarks/bench.py", "pip install -e")
    assert result.out == ""


def test_quick_runs_leave_the_matrix_out_unless_asked(bench: ModuleType) -> None:
    assert "matrix" in bench.SECTIONS
    args = bench.build_parser().parse_args(["--quick", "--only", "matrix"])
    assert args.only == "matrix"


def test_matrix_counts_its_samples_and_reports_ratios(bench: ModuleType) -> None:
    matrix = sys.modules["matrix"]
    ours, theirs, samples = matrix._side_by_side(lambda: None, lambda: sum(range(1000)), 3)
    assert samples == 3
    assert ours >= 0.0
    assert theirs >= 0.0
    row = matrix._row("exact, d = 512", "10 x 2", "rival", (1.0, 4.0, 3), "")
    assert row.ratio == pytest.approx(4.0)
    assert row.met is True
    assert row.note == ""
    slow = matrix._row("weighted ridge", "10 x 2", "rival", (2.0, 1.0, 1), "n")
    assert slow.met is False
    assert slow.note == "n; median of 1"
    section = {
        "repeats": 3,
        "quick": False,
        "fits": [dataclasses.asdict(row), dataclasses.asdict(slow)],
        "cli": [
            {
                "command": "linreg --version",
                "time_s": 0.1,
                "peak_mb": 40.0,
                "goal_s": 0.25,
                "goal_mb": 60.0,
                "met": True,
            }
        ],
        "note": "",
    }
    title, _, rows = matrix.blocks(section)[0]
    assert title.startswith("5. Matrix")
    assert rows[0][5] == "4x"
    assert rows[1][7] == "NOT met"
    cli_title, _, cli = matrix.blocks(section)[1]
    assert cli[0][-1] == "met"
    assert "Command-line" in cli_title


def test_the_command_names_every_section_of_the_harness(bench: ModuleType) -> None:
    from linreg.cli.main import build_parser

    sub = next(
        a for a in build_parser()._actions if getattr(a, "choices", None) and "bench" in a.choices
    )
    only = next(a for a in sub.choices["bench"]._actions if a.dest == "only")
    assert only.help is not None
    assert only.help.split(": ", 1)[1].split(",") == list(bench.SECTIONS)
