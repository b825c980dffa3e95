"""The bench matrix: linreg on the shapes users meet every day, each against its best rival.

Section ``matrix`` of ``benchmarks/bench.py`` (issue 17). Each row fits the same
seeded data with linreg and with the rival, alternately, after one untimed fit of
each (imports, BLAS threads), and reports the **median of** ``repeats`` (3 by
default) and the ratio ``rival time / linreg time`` against the row's target:

* SGD, one epoch at batch 32 (1,000,000 x 16), at batch 1 (200,000 x 16) and at
  100,000 x 512, against ``SGDRegressor`` with ``max_iter=1, tol=None`` (one epoch);
* exact fits: ``x, ..., x^6`` on ``[1, 2]`` (1,000,000 rows, condition number
  about 2e6, correctly rounded), 100,000 x 512 and 20,480 x 2,048 (``N = 10 d``),
  against scikit-learn's ``LinearRegression``;
* weighted ridge, 2,000,000 x 16 with weights in ``[0.5, 2]``, against scikit-learn's
  ``Ridge(alpha * sum(w))`` with ``sample_weight`` (the same minimiser);
* the command line's start: ``linreg --help``, ``--version``, ``train --help`` and
  ``train`` on a 1,000-row CSV, each a fresh process (``python -m linreg_launch``),
  wall time and peak resident memory (``wait4``'s ``ru_maxrss``, read by a small
  process in between), against targets
  of 0.25 s and 60 MB (1 s for ``train``).

Each fit is timed after a pause of :data:`SETTLE` seconds, so that the BLAS threads the
previous fit (ours or the rival's) left spinning are asleep and every fit pays only for
itself. Timings on a shared machine are noisy; only the ratios of one run, side by side,
mean much.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["MatrixRow", "blocks", "section_matrix"]

Array = NDArray[np.float64]

#: Rows of the matrix: name -> (shape, target ratio).
TARGETS: Final = {
    "SGD, one epoch, batch 32": 3.0,
    "SGD, one epoch, batch 1": 1.0,
    "SGD, one epoch, d = 512": 1.0,
    "exact, x ... x^6 on [1, 2]": 1.0,
    "exact, d = 512": 1.0,
    "exact, d = 2,048": 1.0,
    "weighted ridge": 3.0,
}


@dataclass(frozen=True)
class MatrixRow:
    case: str
    shape: str
    linreg_s: float | None
    rival: str
    rival_s: float | None
    ratio: float | None
    target: float
    met: bool | None
    note: str = ""


def _quiet(fn: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


#: Seconds of one pair of fits beyond which the warm-up pair counts as a sample and
#: fewer repeats are run (what a first call costs extra is lost in such times).
LONG_PAIR: Final = 10.0
#: Seconds of one pair beyond which that one pair is the measurement.
VERY_LONG_PAIR: Final = 60.0


#: Seconds to wait before each timed fit. OpenBLAS keeps its worker threads spinning
#: for up to about a tenth of a second after a call (NumPy and SciPy each load one), so
#: a fit timed right after the rival's would share the cores with the rival's idle
#: workers, and the other way round: each fit is timed from a quiet start instead.
SETTLE: Final = 0.25


def _timed(fn: Callable[[], Any]) -> float:
    time.sleep(SETTLE)
    start = time.perf_counter()
    _quiet(fn)
    return time.perf_counter() - start


def _side_by_side(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeats: int
) -> tuple[float, float, int]:
    """Medians of ``repeats`` alternate timings of the two, after one untimed call each,
    and the number of samples: a warm-up pair over :data:`LONG_PAIR` seconds counts as
    the first sample, one over :data:`VERY_LONG_PAIR` as the only one."""
    a, b = [_timed(ours)], [_timed(theirs)]
    pair = a[0] + b[0]
    if pair <= LONG_PAIR:
        a, b = [], []
    elif pair > VERY_LONG_PAIR:
        repeats = 1
    while len(a) < max(1, repeats):
        a.append(_timed(ours))
        b.append(_timed(theirs))
    return float(np.median(a)), float(np.median(b)), len(a)


def _standard(rows: int, features: int, seed: int) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features))
    return X, X @ np.linspace(-2.0, 2.0, features) + 1.5 + rng.standard_normal(rows)


def _polynomial(rows: int, seed: int) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 2.0, rows)
    X = np.column_stack([x**k for k in range(1, 7)])
    return X, 1.0 + X @ np.array([1.0, -2.0, 3.0, -1.0, 0.5, 0.1]) + rng.normal(0.0, 0.1, rows)


def _shape(X: Array) -> str:
    return f"{X.shape[0]:,} x {X.shape[1]:,}"


def _row(
    case: str, shape: str, rival: str, times: tuple[float, float, int], note: str
) -> MatrixRow:
    ours, theirs, samples = times
    if samples != 3:
        note = f"{note}; median of {samples}".strip("; ")
    ratio = theirs / ours if ours > 0 else None
    target = TARGETS[case]
    return MatrixRow(
        case, shape, ours, rival, theirs, ratio, target, None if ratio is None else ratio >= target,
        note,
    )  # fmt: skip


def _fit_rows(repeats: int, seed: int, say: Callable[[str], None], quick: bool) -> list[MatrixRow]:
    from sklearn.linear_model import LinearRegression as SkLinear
    from sklearn.linear_model import Ridge, SGDRegressor

    from linreg.estimator import LinearRegression

    def sgd(batch: int) -> Callable[[Array, Array], Any]:
        return lambda X, y: LinearRegression(
            solver="sgd", batch_size=batch, epochs=1, learning_rate=0.001, engine="fast"
        ).fit(X, y)

    def sk_sgd(X: Array, y: Array) -> Any:
        return SGDRegressor(max_iter=1, tol=None, random_state=seed).fit(X, y)

    def exact(X: Array, y: Array) -> Any:
        return LinearRegression(solver="exact").fit(X, y)

    def sk_exact(X: Array, y: Array) -> Any:
        return SkLinear().fit(X, y)

    out: list[MatrixRow] = []

    # --quick: the same rows on a hundredth of the rows and at most 64 features.
    def n(rows: int) -> int:
        return max(rows // 100, 640) if quick else rows

    wide, wider = (32, 64) if quick else (512, 2048)
    cases: list[tuple[str, str, Callable[[], tuple[Array, Array]], Any, Any, str]] = [
        ("SGD, one epoch, batch 32", "1,000,000 x 16", lambda: _standard(n(10**6), 16, seed),
         sgd(32), sk_sgd, "SGDRegressor, one epoch (batch 1)"),
        ("SGD, one epoch, batch 1", "200,000 x 16", lambda: _standard(n(200_000), 16, seed),
         sgd(1), sk_sgd, "SGDRegressor, one epoch"),
        ("SGD, one epoch, d = 512", "100,000 x 512", lambda: _standard(n(100_000), wide, seed),
         sgd(32), sk_sgd, "SGDRegressor, one epoch (batch 1)"),
        ("exact, x ... x^6 on [1, 2]", "1,000,000 x 6", lambda: _polynomial(n(10**6), seed),
         exact, sk_exact, "sklearn LinearRegression"),
        ("exact, d = 512", "100,000 x 512", lambda: _standard(n(100_000), wide, seed),
         exact, sk_exact, "sklearn LinearRegression"),
        ("exact, d = 2,048", "20,480 x 2,048", lambda: _standard(n(20_480), wider, seed),
         exact, sk_exact, "sklearn LinearRegression"),
    ]  # fmt: skip
    for case, _, make, ours, theirs, rival in cases:
        say(f"matrix: {case} ...")
        X, y = make()
        times = _side_by_side(partial(ours, X, y), partial(theirs, X, y), repeats)
        note = ""
        if case.startswith("exact"):
            coef = LinearRegression(solver="exact").fit(X, y).coef_
            sk = SkLinear().fit(X, y).coef_
            gap = float(np.max(np.abs(coef - sk) / np.abs(coef)))
            note = f"sklearn's coef off linreg's (correctly rounded) by {gap:.1e} (relative)"
        out.append(_row(case, _shape(X), rival, times, note))
        del X, y
    say("matrix: weighted ridge ...")
    X, y = _standard(n(2 * 10**6), 16, seed)
    w = np.random.default_rng(seed + 1).uniform(0.5, 2.0, X.shape[0])
    alpha = 0.1
    times = _side_by_side(
        lambda: LinearRegression(solver="exact", alpha=alpha).fit(X, y, sample_weight=w),
        lambda: Ridge(alpha=alpha * float(np.sum(w))).fit(X, y, sample_weight=w),
        repeats,
    )
    out.append(
        _row("weighted ridge", _shape(X), "sklearn Ridge, sample_weight", times,
             f"alpha {alpha} (sklearn: alpha sum(w))")
    )  # fmt: skip
    return out


#: Runs one command and prints its wall time, peak resident KiB and exit code: a small
#: process between the harness and the command, since a child forked from the harness
#: (gigabytes by then) would report the harness's peak as its own ``ru_maxrss``.
_MEASURE: Final = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
print(wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def _run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MB) of ``linreg ARGS`` in a new process."""
    command = [sys.executable, "-m", "linreg_launch", *args]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    wall, kib, code = done.stdout.split()
    if int(code) != 0:
        raise RuntimeError(f"linreg {' '.join(args)} exited with {code}")
    return float(wall), int(kib) / 1024.0


def cli_rows(repeats: int, seed: int, quick: bool = False) -> list[dict[str, Any]]:
    """Start-up time and memory of the command line (median of ``repeats``; ``quick``:
    ``--version`` alone, once)."""
    env = dict(os.environ)
    src = Path(__file__).resolve().parent.parent / "src"
    if src.is_dir():  # this checkout's linreg, installed or not
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        X, y = _standard(1000, 4, seed)
        csv, out = Path(tmp) / "train.csv", str(Path(tmp) / "model.json")
        table = np.column_stack([X, y])
        np.savetxt(csv, table, delimiter=",", header="x1,x2,x3,x4,y", comments="", fmt="%.10g")
        commands = [
            ("linreg --help", ["--help"], 0.25),
            ("linreg --version", ["--version"], 0.25),
            ("linreg train --help", ["train", "--help"], 0.25),
            (
                "linreg train (1,000-row CSV, exact)",
                ["train", str(csv), "--target", "y", "--solver", "exact", "--quiet", "--out", out],
                1.0,
            ),
        ]
        for name, args, goal in commands[1:2] if quick else commands:
            if not quick:
                _run_cli(args, env)  # untimed: the file cache
            runs = [_run_cli(args, env) for _ in range(max(1, repeats))]
            wall = float(np.median([r[0] for r in runs]))
            rss = float(np.median([r[1] for r in runs]))
            limit_mb = 60.0 if goal < 1.0 else None
            met = wall <= goal and (limit_mb is None or rss <= limit_mb)
            rows.append({"command": name, "time_s": wall, "peak_mb": rss, "goal_s": goal,
                         "goal_mb": limit_mb, "met": met})  # fmt: skip
    return rows


def section_matrix(
    repeats: int, seed: int, say: Callable[[str], None], quick: bool = False
) -> dict[str, Any]:
    """Run the matrix: fit rows (needs scikit-learn) and the command-line rows
    (``quick``: small shapes, for a smoke test; its ratios mean nothing)."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        fits: list[dict[str, Any]] = []
        note = "scikit-learn is not installed: the fit rows are skipped"
    else:
        fits = [asdict(r) for r in _fit_rows(repeats, seed, say, quick)]
        note = ""
    say("matrix: command line ...")
    try:
        cli = cli_rows(repeats, seed, quick)
    except (OSError, RuntimeError) as exc:
        cli, note = [], f"{note}; command line not measured: {exc}".strip("; ")
    return {"repeats": repeats, "quick": quick, "fits": fits, "cli": cli, "note": note}


def _fmt(value: float | None) -> str | None:
    if value is None:
        return None
    return f"{value:.3g} s" if value >= 0.01 else f"{value * 1e3:.3g} ms"


def blocks(section: dict[str, Any]) -> list[Any]:
    """The matrix as report blocks (lines and ``(title, columns, rows)`` tables)."""
    out: list[Any] = []
    rows = [
        [
            r["case"],
            r["shape"],
            _fmt(r["linreg_s"]),
            r["rival"],
            _fmt(r["rival_s"]),
            None if r["ratio"] is None else f"{r['ratio']:.3g}x",
            f"{r['target']:g}x",
            {True: "met", False: "NOT met", None: None}[r["met"]],
            r["note"],
        ]
        for r in section["fits"]
    ]
    if rows:
        columns = ["case", "shape", "linreg", "rival", "rival time", "ratio", "target", "", "note"]
        title = f"5. Matrix: each row against its best rival (median of {section['repeats']})"
        if section.get("quick"):
            title += ", QUICK shapes (ratios not meaningful)"
        out.append((title, columns, rows))
    cli = [
        [
            r["command"],
            _fmt(r["time_s"]),
            f"{r['peak_mb']:.0f}",
            f"<= {r['goal_s']:g} s" + ("" if r["goal_mb"] is None else f", {r['goal_mb']:g} MB"),
            "met" if r["met"] else "NOT met",
        ]
        for r in section["cli"]
    ]
    if cli:
        columns = ["command", "wall time", "peak MB", "target", ""]
        out.append(("5b. Command-line start (fresh process)", columns, cli))
    if section["note"]:
        out.append(section["note"])
    return out
