"""The command line never destroys an input, never leaves half a run, and ends cleanly.

Mirrors :mod:`linreg.cli.safety`, :mod:`linreg.cli.args` and :mod:`linreg.cli.launch`:
outputs that resolve to an input (symbolic links, ``..``, hard links) are refused; a failed
run (a full disk, an interrupt) keeps no new output; bounded integer options; SIGINT and
SIGTERM end with one line; errors name the file concerned, never a temporary name.
"""

from __future__ import annotations

import errno
import importlib.abc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import linreg.cli.demo as demo_command
from cli_helpers import assert_one_error_line, run
from linreg.cli.args import MAX_EPOCHS, MAX_SEED
from linreg.cli.safety import destination_of, same_file
from linreg.data import make_regression
from linreg.io.tables import write_dataset_csv


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data file and a model trained on it (shared, never to be changed by a test)."""
    root = tmp_path_factory.mktemp("safety")
    write_dataset_csv(root / "d.csv", make_regression(n_samples=40, seed=3))
    code = run_plain("train", root / "d.csv", "--solver", "exact", "--out", root / "m.json")
    assert code == 0
    return root


def run_plain(*argv: str | Path) -> int:
    from linreg.cli.main import main

    return main([str(a) for a in argv])


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` and its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def copy_inputs(folder: Path, tmp_path: Path) -> tuple[Path, Path]:
    data, model = tmp_path / "d.csv", tmp_path / "m.json"
    data.write_bytes((folder / "d.csv").read_bytes())
    model.write_bytes((folder / "m.json").read_bytes())
    return data, model


# -- an output is never an input --------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["predict", "m.json", "d.csv", "--out", "d.csv"],
        ["predict", "m.json", "d.csv", "--out", "m.json"],
        ["predict", "m.json", "d.csv", "--out", "sub/../d.csv"],
        ["predict", "m.json", "d.csv", "--out", "link.csv"],
        ["predict", "m.json", "d.csv", "--out", "hard.csv"],
        ["train", "d.csv", "--out", "d.csv"],
        ["train", "d.csv", "--out", "link.csv"],
        ["train", "d.csv", "--val", "hard.csv", "--out", "d.csv", "--epochs", "3"],
        ["train", "d.csv", "--out", "x.json", "--plots", "d.csv"],
        ["report", "m.json", "d.csv", "--out", "m.json"],
        ["report", "m.json", "d.csv", "--out", "hard.csv"],
        ["evaluate", "m.json", "d.csv", "--plots", "m.json"],
        ["sweep", "d.csv", "--epochs", "3", "--plots", "link.csv"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_an_output_that_is_an_input_is_refused(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    copy_inputs(folder, tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(tmp_path / "d.csv")
    os.link(tmp_path / "d.csv", tmp_path / "hard.csv")
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    line = assert_one_error_line(run(capsys, *argv), "input file")
    assert "destroy" in line or "give a folder" in line
    assert snapshot(tmp_path) == before


def test_a_figure_named_input_in_the_plots_folder_is_refused(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "fit.png"  # a CSV, oddly named: the figures would overwrite it
    data.write_bytes((folder / "d.csv").read_bytes())
    before = snapshot(tmp_path)
    result = run(capsys, "train", data, "--epochs", "3", "--out", tmp_path / "m.json",
                 "--plots", tmp_path)  # fmt: skip
    assert_one_error_line(result, str(data), "--plots")
    assert snapshot(tmp_path) == before


def test_same_file_sees_links_and_dotdot(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text("x\n", encoding="utf-8")
    (tmp_path / "s").symlink_to(a)
    os.link(a, tmp_path / "h")
    (tmp_path / "sub").mkdir()
    assert same_file(a, tmp_path / "s")
    assert same_file(a, tmp_path / "h")
    assert same_file(a, tmp_path / "sub" / ".." / "a.csv")
    assert not same_file(a, tmp_path / "other.csv")
    assert not same_file(a, tmp_path / "sub")


def test_destination_of_a_temporary_name() -> None:
    assert destination_of("/x/.model.json.ab12_cd3.tmp") == Path("/x/model.json")
    assert destination_of("/x/.fit.png.k2j4h5g6.tmp.png") == Path("/x/fit.png")
    assert destination_of("/x/model.json") == Path("/x/model.json")
    assert destination_of(".hidden") == Path(".hidden")


# -- files named in messages ------------------------------------------------------------------
def test_a_model_file_given_as_data_is_named(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.json"
    result = run(capsys, "train", folder / "d.csv", "--val", folder / "m.json", "--out", out)
    assert_one_error_line(result, str(folder / "m.json"), "--val", "model file")
    result = run(capsys, "predict", folder / "m.json", folder / "m.json")
    assert_one_error_line(result, str(folder / "m.json"), "model file")
    assert not out.exists()


@pytest.mark.parametrize(
    "command", ["sweep", "gradcheck", "compare-optimizers", "scaling", "evaluate"]
)
def test_every_reader_refuses_a_model_file_as_data(
    folder: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    model = folder / "m.json"
    argv = [command, model, model] if command == "evaluate" else [command, model]
    assert_one_error_line(run(capsys, *argv), str(model), "JSON", "model file")


def test_a_full_disk_while_saving_the_model_names_it(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    out = tmp_path / "models" / "m.json"
    result = run(capsys, "train", folder / "d.csv", "--epochs", "3", "--quiet", "--out", out)
    assert_one_error_line(result, f"{out}: cannot write it: No space left on device")
    assert list(tmp_path.iterdir()) == []  # not even the folder made for it


@pytest.mark.parametrize("command", ["predict", "train", "report"])
def test_out_a_folder_is_named(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    argv: dict[str, list[Any]] = {
        "predict": ["predict", folder / "m.json", folder / "d.csv"],
        "train": ["train", folder / "d.csv", "--epochs", "3"],
        "report": ["report", folder / "m.json", folder / "d.csv"],
    }
    assert_one_error_line(
        run(capsys, *argv[command], "--out", tmp_path), str(tmp_path), "--out", "folder"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_names_the_file_and_keeps_no_half_run(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The model is written, then the disk fills during the figures: no new file stays."""
    from linreg.viz import plots, style

    written: list[Path] = []
    real_save = style.save_figure

    def fills_up(fig: Any, path: Any) -> Path:
        if written:  # the second figure hits a full disk while writing its bytes
            with style.atomic_target(Path(path), ".png") as tmp:
                tmp.write_bytes(b"\x89PNG half")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(real_save(fig, path))
        return written[-1]

    monkeypatch.setattr(plots, "save_figure", fills_up)
    monkeypatch.setattr(style, "save_figure", fills_up)
    out, figures = tmp_path / "m.json", tmp_path / "figures"
    result = run(capsys, "train", folder / "d.csv", "--epochs", "5", "--quiet",
                 "--out", out, "--plots", figures)  # fmt: skip
    line = assert_one_error_line(result, "No space left on device", str(figures))
    assert ".tmp" not in line
    assert written  # one figure was complete before the failure ...
    assert list(tmp_path.iterdir()) == []  # ... and nothing of the run is left


def test_a_failed_run_keeps_files_that_were_there(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "notes.txt").write_text("mine\n", encoding="utf-8")

    def no_space(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(figures / "fit.png"))

    from linreg.viz import plots

    monkeypatch.setattr(plots, "write_training_figures", no_space)
    out = tmp_path / "m.json"
    result = run(capsys, "train", folder / "d.csv", "--epochs", "5", "--quiet",
                 "--out", out, "--plots", figures)  # fmt: skip
    assert_one_error_line(result, str(figures / "fit.png"), "No space left on device")
    assert snapshot(tmp_path) == {"figures/notes.txt": b"mine\n"}


def test_a_read_only_folder_names_the_destination(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import tempfile

    def denied(*args: Any, prefix: str = "", dir: Any = None, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), f"{dir}/{prefix}x1y2.tmp")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    out = tmp_path / "p.csv"
    line = assert_one_error_line(
        run(capsys, "predict", folder / "m.json", folder / "d.csv", "--out", out),
        f"{out}: cannot write it: Permission denied",
    )
    assert ".tmp" not in line


def test_demo_that_fails_midway_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_space(model: Any, path: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    class Quick(demo_command.LinearRegression):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**{**kwargs, "epochs": 3})

    monkeypatch.setattr(demo_command, "save_model", no_space)
    monkeypatch.setattr(demo_command, "LinearRegression", Quick)
    out = tmp_path / "results"
    result = run(capsys, "demo", "--out", out, "--json")
    assert_one_error_line(result, str(out / "model.json"), "No space left on device")
    assert list(tmp_path.iterdir()) == []  # data/ was written, then removed


# -- arguments --------------------------------------------------------------------------------
def usage_error(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> str:
    """A bad argument: exit 2 and exactly one ``linreg: error:`` line, nothing else."""
    from linreg.cli.main import main

    with pytest.raises(SystemExit) as info:
        main([str(a) for a in argv])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("linreg: error: "), captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["generate", "--seed", "-1"], f"--seed: must be a whole number from 0 to {MAX_SEED}"),
        (["demo", "--seed", "2.5"], "argument --seed: must be a whole number"),
        (["train", "d.csv", "--epochs", "9" * 400], "got a number of 400 digits"),
        (["train", "d.csv", "--epochs", str(MAX_EPOCHS + 1)], f"<= {MAX_EPOCHS}"),
        (["train", "d.csv", "--batch-size", "1e3"], "--batch-size: must be a whole number"),
        (["generate", "--samples", ""], "argument --samples: must be a whole number"),
        (["generate", "--features", "٣"], "argument --features: must be a whole number"),
        (["sweep", "d.csv", "--epochs", "nan"], "argument --epochs: must be a whole number"),
        (["compare-optimizers", "d.csv", "--seed", "4294967296"], "--seed"),
        (["bench", "--repeats", "-" + "1" * 30], "--repeats"),
        # argparse stores [] for "--opt=--" before Python 3.13 (refused by main), and
        # hands "--" to the type from 3.13 on: one line naming the option either way.
        (["generate", "--bias=--"], "argument --bias: "),
        (["train", "d.csv", "--lr=--"], "argument --lr: "),
    ],
)
def test_integer_options_are_bounded(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    assert fragment in usage_error(capsys, *argv)


def test_an_unknown_option_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert "unrecognized arguments: --nope" in usage_error(capsys, "generate", "--nope")


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--samples", "10000000000"], ["--samples 10000000000", "480,000,000,000 bytes"]),
        (["--features", "100000000", "--samples", "100"], ["GiB", "fewer rows or features"]),
        (["--x-range", "0,1e308"], ["floating-point range", "inf"]),
        (["--x-range=-1e308,1e308"], ["floating-point range", "narrower"]),
        (["--weights", "1e300", "--x-range", "0,1e10"], ["floating-point range"]),
        (["--noise", "1e308", "--samples", "2000"], ["floating-point range"]),
    ],
)
def test_generate_refuses_huge_or_overflowing_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragments: list[str]
) -> None:
    out = tmp_path / "data"
    assert_one_error_line(run(capsys, "generate", *argv, "--out", out), *fragments)
    assert not out.exists()


def test_generate_compares_with_the_available_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from linreg.sources import batches

    monkeypatch.setattr(batches, "available_memory", lambda: 10_000)
    out = tmp_path / "data"
    result = run(capsys, "generate", "--samples", "1000", "--out", out)
    assert_one_error_line(result, "48,000 bytes", "10,000 bytes", "available")
    assert not out.exists()


# -- signals, in a real process ---------------------------------------------------------------
LAUNCH = [sys.executable, "-m", "linreg_launch"]


def start(tmp_path: Path, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.Popen(
        [*LAUNCH, *argv], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_ends_with_one_line_and_no_temporary_file(
    folder: Path, tmp_path: Path, signum: int, code: int, word: str
) -> None:
    """A real process, signalled while it trains (or, on a slow machine, still imports)."""
    (tmp_path / "d.csv").write_bytes((folder / "d.csv").read_bytes())
    proc = start(tmp_path, "train", "d.csv", "--epochs", str(MAX_EPOCHS), "--quiet",
                 "--out", "m.json", "--plots", "figs")  # fmt: skip
    time.sleep(4.0)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"linreg: {word}"), err
    assert "written" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_the_console_script_is_the_launcher() -> None:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    section = text[text.index("[project.scripts]") :].split("\n\n")[0]
    assert section.splitlines()[1:] == ['linreg = "linreg_launch:main"']


class InterruptedImport(importlib.abc.MetaPathFinder):
    """Imports of the command line are interrupted: by Ctrl-C, or by a real SIGTERM."""

    def __init__(self, signum: int) -> None:
        self.signum = signum

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "linreg.cli.main":
            if self.signum == signal.SIGINT:
                raise KeyboardInterrupt
            os.kill(os.getpid(), self.signum)
            time.sleep(5)  # the handler raises before this ends
        return


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_while_importing_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signum: int,
    code: int,
    word: str,
) -> None:
    import linreg.cli
    import linreg_launch

    previous = signal.getsignal(signal.SIGTERM)
    monkeypatch.delitem(sys.modules, "linreg.cli.main")
    monkeypatch.delattr(linreg.cli, "main")
    monkeypatch.setattr(sys, "meta_path", [InterruptedImport(signum), *sys.meta_path])
    try:
        started = time.monotonic()
        assert linreg_launch.main() == code
        assert time.monotonic() - started < 4
    finally:
        signal.signal(signal.SIGTERM, previous)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"linreg: {word} while starting; nothing was written\n"


def test_all_or_nothing_removes_only_what_the_run_made(tmp_path: Path) -> None:
    from linreg.cli.safety import all_or_nothing

    out = tmp_path / "out"
    (out / "data").mkdir(parents=True)
    (out / "data" / "old.csv").write_text("kept\n", encoding="utf-8")
    (out / "model.json").write_text("old\n", encoding="utf-8")

    def interrupted_run() -> None:
        with all_or_nothing(folders=[out, tmp_path / "a" / "b"]):
            (out / "data" / "new.csv").write_text("new\n", encoding="utf-8")
            (out / "figures").mkdir()
            (out / "figures" / "fit.png").write_bytes(b"png")
            (out / "model.json").write_text("replaced\n", encoding="utf-8")
            (tmp_path / "a" / "b").mkdir(parents=True)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_run()
    assert snapshot(tmp_path) == {"out/data/old.csv": b"kept\n", "out/model.json": b"replaced\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with all_or_nothing(folders=[out]):  # success: everything stays
        (out / "more.txt").write_text("x\n", encoding="utf-8")
    assert (out / "more.txt").is_file()


# -- a reader that leaves early (``linreg predict ... | head``) ---------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ("predict", "m.json", "big.csv"),  # plain writes to standard output
        ("train", "big.csv", "--solver", "exact"),  # a rich table
    ],
)
def test_a_closed_pipe_ends_quietly_with_141(tmp_path: Path, argv: tuple[str, ...]) -> None:
    write_dataset_csv(tmp_path / "big.csv", make_regression(n_samples=20_000, seed=4))
    assert run_plain("train", tmp_path / "big.csv", "--solver", "exact",
                     "--out", tmp_path / "m.json", "--quiet") == 0  # fmt: skip
    proc = start(tmp_path, *argv)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as head does
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read()
    proc.wait(timeout=60)
    # predict's 20,000 rows outrun the pipe: 141; train's table may fit in it whole: 0.
    assert proc.returncode in ((141,) if argv[0] == "predict" else (0, 141)), err
    assert "Traceback" not in err
    assert "error" not in err
    assert "Exception ignored" not in err


def test_a_console_turns_rich_broken_pipe_into_ours() -> None:
    from linreg.cli.common import make_console

    console = make_console()
    with pytest.raises(BrokenPipeError):
        console.on_broken_pipe()
