"""Fuzzing the command line's numeric arguments (issue 18, section 5).

Every command with numbers is run in-process with values drawn from huge, negative, zero,
NaN, infinite, non-numeric, 400-digit and empty strings, mixed with valid ones. The contract:

- exit 0 with a valid result (JSON on stdout; the files written read back finite), or
- a non-zero exit (1; 2 for a bad argument) with exactly one ``linreg: error:`` line on
  stderr (other lines only ``linreg: warning:``) and no traceback;
- never an exception out of ``main``, never a change to an existing file, and a failed run
  leaves no new file behind.

Counts of a run are Hypothesis events: ``pytest -m fuzz --hypothesis-show-statistics``. The
default run is short; ``LINREG_FUZZ=long`` (``make fuzz``) runs many more cases.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from linreg.cli.args import MAX_COUNT, MAX_EPOCHS, MAX_SEED
from linreg.cli.main import main
from linreg.data import make_regression
from linreg.io.persistence import load_model
from linreg.io.tables import write_dataset_csv

N = 200 if os.environ.get("LINREG_FUZZ") == "long" else 25

FUZZ = settings(
    max_examples=N,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("LINREG_FUZZ") != "long",  # the default run is reproducible
)

# -- values ----------------------------------------------------------------------------------
#: Strings that are not valid anywhere a number is expected (or are at an extreme).
GARBAGE = st.sampled_from(
    [
        "", " ", "nan", "NaN", "-nan", "inf", "-inf", "+inf", "1e400", "-1e400", "1e-400",
        "9" * 400, "-" + "9" * 400, "0." + "0" * 400 + "1", "0x10", "1_000", "1,000", "1.2.3",
        "abc", "--", "-", "+", "٣", "１", "\x00", "1e", "e5", "0" * 30 + "7", "1 2",
        str(2**63), str(2**64), str(-(2**63)), str(MAX_EPOCHS + 1), str(MAX_SEED + 1),
    ]
)  # fmt: skip


def floats_text() -> st.SearchStrategy[str]:
    """Any float as text (finite, huge, tiny, NaN, infinite), in two spellings."""
    values = st.floats(allow_nan=True, allow_infinity=True)
    plausible = st.floats(1e-4, 0.9).map(repr)  # so that some runs succeed
    return st.one_of(plausible, values.map(repr), values.map(lambda v: f"{v:.3e}"), GARBAGE)


def counts(small: int = 50) -> st.SearchStrategy[str]:
    """A whole-number option: small valid values (a success stays fast) or anything bad."""
    return st.one_of(
        st.integers(-3, small).map(str),
        st.integers(MAX_COUNT + 1, 10**40).map(str),
        st.integers(-(10**40), -1).map(str),
        GARBAGE,
        floats_text(),
    )


def seeds() -> st.SearchStrategy[str]:
    return st.one_of(st.integers(-(2**70), 2**70).map(str), st.integers(0, 10**6).map(str), GARBAGE)


def options(draws: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[list[str]]:
    """A subset of the options, each with a drawn value (``--opt=value``: "-1" is a value)."""
    items = sorted(draws.items())
    chosen = st.lists(st.sampled_from([name for name, _ in items]), unique=True, max_size=4)
    return chosen.flatmap(
        lambda names: st.tuples(*[draws[n] for n in names]).map(
            lambda values: [f"{n}={v}" for n, v in zip(names, values, strict=True)]
        )
    )


# -- running and checking --------------------------------------------------------------------
@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small data file and a model file, which no run may change."""
    root = tmp_path_factory.mktemp("fuzz-inputs")
    write_dataset_csv(root / "d.csv", make_regression(n_samples=30, n_features=2, seed=5))
    code, _, err = call(["train", str(root / "d.csv"), "--solver", "exact", "--quiet",
                         "--out", str(root / "m.json")])  # fmt: skip
    assert code == 0, err
    return root


def call(argv: Sequence[str]) -> tuple[int, str, str]:
    """``linreg ARGV`` in-process; a usage error's ``SystemExit`` is its exit code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse: a bad argument (2), or --help (0)
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def check_contract(inputs: Path, argv: list[str], out_dir: Path) -> tuple[int, str]:
    """Run ``argv`` and assert the contract; returns the exit code and stdout."""
    before = files(inputs)
    code, stdout, stderr = call(argv)
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("linreg: error: ")]
    others = [line for line in lines if not line.startswith("linreg: error: ")]
    assert all(line.startswith("linreg: warning: ") for line in others), stderr
    assert files(inputs) == before, "an input file changed"
    if code == 0:
        assert errors == [], stderr
        event("success")
    else:
        assert code in (1, 2), (code, stderr)
        assert len(errors) == 1, stderr
        assert stdout == "" or code == 1, stdout  # train --json prints a divergence report
        assert files(out_dir) == {}, "a failed run left files behind"
        event(f"clean error (exit {code})")
    return code, stdout


def finite_csv(path: Path) -> None:
    frame = pd.read_csv(path)
    assert frame.shape[0] >= 1
    assert np.all(np.isfinite(frame.to_numpy(dtype=np.float64)))


# -- the fuzzers -----------------------------------------------------------------------------
TRAIN_OPTIONS = {
    "--lr": floats_text(),
    "--epochs": counts(),
    "--batch-size": counts(),
    "--seed": seeds(),
    "--momentum": floats_text(),
    "--tol": floats_text(),
    "--alpha": floats_text(),
}


@pytest.mark.fuzz
@FUZZ
@given(solver=st.sampled_from(["gd", "sgd", "exact"]), chosen=options(TRAIN_OPTIONS))
def test_train_numbers(inputs: Path, solver: str, chosen: list[str]) -> None:
    if not any(o.startswith("--epochs=") for o in chosen):
        chosen = [*chosen, "--epochs=20"]  # the default (1000) is slow for a fuzzer
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp)
        model = out_dir / "m.json"
        argv = ["train", str(inputs / "d.csv"), "--solver", solver, *chosen,
                "--out", str(model), "--json"]  # fmt: skip
        code, stdout = check_contract(inputs, argv, out_dir)
        if code == 0:
            result = json.loads(stdout)
            assert all(math.isfinite(w) for w in result["coef"])
            fitted, _ = load_model(model)
            assert np.array_equal(fitted.coef_, result["coef"])


GENERATE_OPTIONS = {
    "--samples": st.one_of(counts(200), st.integers(10**10, 10**30).map(str)),
    "--features": st.one_of(counts(5), st.integers(10**9, 10**30).map(str)),
    "--x-range": st.one_of(
        st.tuples(floats_text(), floats_text()).map(",".join), floats_text(), GARBAGE
    ),
    "--noise": floats_text(),
    "--bias": floats_text(),
    "--weights": st.one_of(floats_text(), st.lists(floats_text(), max_size=3).map(",".join)),
    "--test-size": floats_text(),
    "--seed": seeds(),
}


@pytest.mark.fuzz
@FUZZ
@given(chosen=options(GENERATE_OPTIONS))
def test_generate_numbers(inputs: Path, chosen: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp) / "data"
        code, stdout = check_contract(
            inputs, ["generate", *chosen, "--out", str(out_dir), "--json"], Path(tmp)
        )
        if code == 0:
            report = json.loads(stdout)
            assert report["n_train"] >= 1
            assert report["n_test"] >= 1
            finite_csv(out_dir / "train.csv")
            finite_csv(out_dir / "test.csv")


LAB_OPTIONS = {
    "compare-optimizers": {
        "--lr": floats_text(),
        "--sgd-lr": floats_text(),
        "--epochs": counts(10),
        "--batch-size": counts(),
        "--seed": seeds(),
    },
    "scaling": {
        "--lr": floats_text(),
        "--fraction": floats_text(),
        "--epochs": counts(20),
        "--rtol": floats_text(),
    },
    "sweep": {
        "--lrs": st.one_of(floats_text(), st.lists(floats_text(), max_size=3).map(",".join)),
        "--epochs": counts(20),
    },
    "summary": {"--alpha": floats_text()},
    "gradcheck": {"--tolerance": floats_text(), "--seed": seeds()},
}


@pytest.mark.fuzz
@FUZZ
@given(data=st.data(), command=st.sampled_from(sorted(LAB_OPTIONS)))
def test_other_commands_numbers(inputs: Path, data: st.DataObject, command: str) -> None:
    chosen = data.draw(options(LAB_OPTIONS[command]), label="options")
    if command in ("compare-optimizers", "scaling", "sweep") and not any(
        o.startswith("--epochs=") for o in chosen
    ):
        chosen = [*chosen, "--epochs=10"]
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp)
        plots = ["--plots", str(out_dir / "figs")] if command != "summary" else []
        plots = [] if command == "gradcheck" else plots
        code, stdout = check_contract(
            inputs, [command, str(inputs / "d.csv"), *chosen, *plots, "--json"], out_dir
        )
        if code == 0:
            json.loads(stdout)


# -- a few cases through the real process ----------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["generate", "--seed=-1"],
        ["train", "d.csv", "--epochs", "9" * 400],
        ["generate", "--samples", "10000000000"],
    ],
    ids=["seed -1", "400-digit epochs", "1e10 samples"],
)
def test_subprocess_bad_numbers_are_one_line(inputs: Path, tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "d.csv").write_bytes((inputs / "d.csv").read_bytes())
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-m", "linreg_launch", *argv, "--out", "out"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode in (1, 2), done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("linreg: error: "), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]
