"""The benchmark harness: linreg against the usual ways to fit a linear model, side by side.

Run from a source checkout as ``python benchmarks/bench.py [options]`` (``--help``
lists them); ``linreg bench [options]`` runs this file when it finds it. It is not
part of the installed package. Its rivals: ``pip install -e ".[bench]"`` (scikit-learn)
and PyTorch CPU (``pip install torch --index-url https://download.pytorch.org/whl/cpu``).

One run generates the data once (seeded) and times every method on the same
arrays, several times, reporting the **median** (the machine may be shared; the
minimum is printed too). Five sections:

1. ``closed-form``: ``LinearRegression(solver="exact")`` against scikit-learn's
   ``LinearRegression`` and ``numpy.linalg.lstsq`` (on ``[X 1]``, whose stacking
   is part of its time), plus the NIST StRD accuracy targets of the exact solver.
2. ``gd``: 1,000 epochs of full-batch gradient descent. linreg (fast engine) is
   timed whole; the textbook NumPy loop (two matrix-vector products per epoch),
   linreg's reference engine and PyTorch CPU autograd are timed on a few epochs
   and scaled to 1,000, and the textbook iterates are compared with linreg's.
3. ``sgd``: time to reach a test MSE within 1% of the least-squares optimum, on
   standardized features: for each method the smallest number of epochs that
   gets there, and the median time of a fit with that many epochs. linreg runs
   with ``tol=1e-3`` (:data:`BenchConfig.sgd_tol`), so it may stop within an epoch
   (:class:`linreg.training.Plateau`); SGDRegressor checks its ``tol`` only at
   epoch ends, so it runs with ``tol=None`` and whole epochs.
4. ``scaling``: time against N (d = 16) and against d (up to 2,048), for each
   solver, drawn as a log-log figure with ``--plots``.
5. ``sgd-epoch``: one SGD epoch on other shapes (:data:`SGD_EPOCH_CASES`: batch 32 on
   1,000,000 x 16, classic SGD, batch 1, on 200,000 x 16, and batch 32 on 100,000 x
   512), linreg's fast engine (its compiled SGD loop) against one epoch of
   ``SGDRegressor``, each with its own target ratio.
6. ``matrix``: issue 17's shapes, each against its best rival, side by side (median
   of 3, ratio = rival / linreg), and the command line's start time and memory
   (``benchmarks/matrix.py``). Full runs only, unless ``--quick --only matrix``.

Peak memory is measured for each method of sections 1-3 in a child process:
the child builds the data, resets its peak resident set size (Linux
``/proc/self/clear_refs``), fits once and reads ``VmHWM``; the table shows the
peak above the resident size before the fit, i.e. what the fit itself needed.

scikit-learn and PyTorch are optional (``pip install scikit-learn``, and
``pip install torch --index-url https://download.pytorch.org/whl/cpu``);
whatever is missing is skipped and said so.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from linreg.cli.common import (
    check_plots_dir,
    make_console,
    print_json,
    rich_table,
)
from linreg.errors import LinregError
from linreg.solvers import kernels

sys.path.insert(0, str(Path(__file__).resolve().parent))
import matrix  # benchmarks/matrix.py, beside this file

__all__ = [
    "FULL",
    "QUICK",
    "SECTIONS",
    "BenchConfig",
    "main",
    "make_data",
    "markdown",
    "peak_memory",
    "run_bench",
]

Array = NDArray[np.float64]

SECTIONS: Final = ("closed-form", "gd", "sgd", "scaling", "sgd-epoch", "matrix")

INSTALL_HINTS: Final = {
    "scikit-learn": "pip install scikit-learn   (or: pip install -e '.[bench]')",
    "torch": "pip install torch --index-url https://download.pytorch.org/whl/cpu",
}

#: Within this fraction of the least-squares test MSE counts as "reached" (section 3).
SGD_TARGET: Final = 0.01

#: The issue's targets: linreg this many times faster than the named baseline.
TARGETS: Final = {
    "closed-form": ("sklearn LinearRegression", 5.0),
    "gd": ("textbook NumPy loop", 100.0),
    "sgd": ("sklearn SGDRegressor", 10.0),
}


#: Section 5: ``(rows, features, batch size, goal)``, the goal being SGDRegressor's
#: time for one epoch over linreg's.
SGD_EPOCH_CASES: Final = ((1_000_000, 16, 32, 3.0), (200_000, 16, 1, 1.0), (100_000, 512, 32, 1.0))


@dataclass(frozen=True)
class BenchConfig:
    """Sizes and settings of one benchmark run."""

    rows: int
    features: int
    test_rows: int
    repeats: int
    gd_epochs: int = 1000
    gd_learning_rate: float = 0.1
    textbook_epochs: int = 10
    sgd_batch_size: int = 512
    sgd_learning_rate: float = 0.05
    sgd_max_epochs: int = 5
    sgd_tol: float | None = 1e-3
    scaling_rows: tuple[int, ...] = (10**3, 10**4, 10**5, 10**6, 10**7)
    scaling_features: tuple[int, ...] = (1, 4, 16, 64, 256, 512, 2048)
    scaling_features_rows: int = 100_000
    sgd_epoch_cases: tuple[tuple[int, int, int, float], ...] = SGD_EPOCH_CASES
    sgd_epoch_learning_rate: float = 0.01
    seed: int = 0
    memory: bool = True


FULL: Final = BenchConfig(rows=2_000_000, features=16, test_rows=200_000, repeats=5)
QUICK: Final = BenchConfig(
    rows=100_000,
    features=16,
    test_rows=10_000,
    repeats=1,
    textbook_epochs=2,
    scaling_rows=(10**3, 10**4),
    scaling_features=(1, 16),
    scaling_features_rows=5_000,
    sgd_epoch_cases=((20_000, 16, 32, 3.0), (5_000, 16, 1, 1.0), (2_000, 128, 32, 1.0)),
)


# -- data and environment --------------------------------------------------------------------
@dataclass(frozen=True)
class Data:
    X: Array
    y: Array
    X_test: Array
    y_test: Array

    @property
    def nbytes(self) -> int:
        return int(self.X.nbytes)


def make_data(rows: int, features: int, seed: int = 0, test_rows: int = 0) -> Data:
    """Standardized features ``X ~ N(0, 1)``, ``y = X w + 1.5 + N(0, 1)``; float64, C order.

    The test rows come from the same model (a second stream of the generator), so
    that the train and test sets are independent.
    """
    rng = np.random.default_rng(seed)
    w = np.linspace(-2.0, 2.0, features)
    X = rng.standard_normal((rows, features))
    y = X @ w + 1.5 + rng.standard_normal(rows)
    X_test = rng.standard_normal((test_rows, features))
    y_test = X_test @ w + 1.5 + rng.standard_normal(test_rows)
    return Data(X, y, X_test, y_test)


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def environment() -> dict[str, Any]:
    """Machine, library versions and date, for the record."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")
        info = config["Build Dependencies"]["blas"]
        blas = f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:  # the layout of show_config differs between NumPy versions
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for name, module in (("scikit-learn", "sklearn"), ("torch", "torch")):
        found = _optional(module)
        versions[name] = getattr(found, "__version__", None) if found else None
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "blas": blas,
        "kernels": kernels.describe(),
        "versions": versions,
        "command": " ".join(["benchmarks/bench.py", *sys.argv[1:]]),
    }


# -- timing ----------------------------------------------------------------------------------
def _quiet(fn: Callable[[], Any]) -> Any:
    # Benchmarked fits may warn (an SGD stopped early by design); timing is not the place.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def time_it(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Median and minimum wall time of ``repeats`` calls, each after a pause of
    ``matrix.SETTLE`` seconds (spinning BLAS workers of the previous call asleep), and
    the last result."""
    times = []
    result: Any = None
    for _ in range(max(1, repeats)):
        time.sleep(matrix.SETTLE)
        start = time.perf_counter()
        result = _quiet(fn)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(min(times)), result


# -- the methods -----------------------------------------------------------------------------
def textbook_gd(X: Array, y: Array, learning_rate: float, epochs: int) -> tuple[Array, Array]:
    """The plain loop: two matrix-vector products per epoch. Returns every (W, b)."""
    N, d = X.shape
    W, b = np.zeros(d), 0.0
    path_W, path_b = [W], [b]
    for _ in range(epochs):
        r = X @ W + b - y
        W = W - learning_rate * ((2.0 / N) * (X.T @ r))
        b = b - learning_rate * (2.0 / N) * float(np.sum(r))
        path_W.append(W)
        path_b.append(b)
    return np.array(path_W), np.array(path_b)


def torch_gd(X: Array, y: Array, learning_rate: float, epochs: int) -> tuple[Array, Array]:
    """Full-batch GD with PyTorch autograd on the CPU, float64. Returns every (W, b)."""
    torch: Any = importlib.import_module("torch")
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    W = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    path_W, path_b = [np.zeros(X.shape[1])], [0.0]
    for _ in range(epochs):
        loss = torch.mean((Xt @ W + b - yt) ** 2)
        loss.backward()
        with torch.no_grad():
            W -= learning_rate * W.grad
            b -= learning_rate * b.grad
        W.grad = None
        b.grad = None
        path_W.append(W.detach().numpy().copy())
        path_b.append(float(b.detach()))
    return np.array(path_W), np.array(path_b)


def _linreg(**params: Any) -> Any:
    from linreg.estimator import LinearRegression

    return LinearRegression(**params)


def _sklearn(name: str, **params: Any) -> Any:
    module: Any = importlib.import_module("sklearn.linear_model")
    return getattr(module, name)(**params)


#: Every method a child process can run by name (for its peak memory):
#: ``name -> (function(data, config, epochs), needed module)``.
Method = Callable[[Data, BenchConfig, int], Any]


def _m_linreg_exact(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    return _linreg(solver="exact").fit(data.X, data.y)


def _m_sklearn_lr(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    return _sklearn("LinearRegression").fit(data.X, data.y)


def _m_numpy_lstsq(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    A = np.column_stack([data.X, np.ones(data.X.shape[0])])
    return np.linalg.lstsq(A, data.y, rcond=None)[0]


def _m_linreg_gd(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    model = _linreg(solver="gd", learning_rate=cfg.gd_learning_rate, epochs=epochs, engine="fast")
    return model.fit(data.X, data.y)


def _m_linreg_gd_reference(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    model = _linreg(
        solver="gd", learning_rate=cfg.gd_learning_rate, epochs=epochs, engine="reference"
    )
    return model.fit(data.X, data.y)


def _m_textbook_gd(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    return textbook_gd(data.X, data.y, cfg.gd_learning_rate, epochs)


def _m_torch_gd(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    return torch_gd(data.X, data.y, cfg.gd_learning_rate, epochs)


def _sgd_params(
    cfg: BenchConfig, epochs: int, engine: str, tol: float | None = None
) -> dict[str, Any]:
    return {
        "solver": "sgd",
        "batch_size": cfg.sgd_batch_size,
        "learning_rate": cfg.sgd_learning_rate,
        "epochs": epochs,
        "engine": engine,
        "tol": tol,
    }


def _m_linreg_sgd(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    return _linreg(**_sgd_params(cfg, epochs, "fast", cfg.sgd_tol)).fit(data.X, data.y)


def _m_linreg_sgd_reference(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    return _linreg(**_sgd_params(cfg, epochs, "reference", cfg.sgd_tol)).fit(data.X, data.y)


def _m_linreg_sgd_epochs(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    return _linreg(**_sgd_params(cfg, epochs, "fast")).fit(data.X, data.y)


def _m_sklearn_sgd(data: Data, cfg: BenchConfig, epochs: int) -> Any:
    model = _sklearn("SGDRegressor", max_iter=epochs, tol=None, random_state=cfg.seed)
    return model.fit(data.X, data.y)


METHODS: Final[dict[str, tuple[Method, str | None]]] = {
    "linreg exact": (_m_linreg_exact, None),
    "sklearn LinearRegression": (_m_sklearn_lr, "sklearn"),
    "numpy lstsq": (_m_numpy_lstsq, None),
    "linreg gd (fast)": (_m_linreg_gd, None),
    "linreg gd (reference)": (_m_linreg_gd_reference, None),
    "textbook NumPy loop": (_m_textbook_gd, None),
    "PyTorch autograd (CPU)": (_m_torch_gd, "torch"),
    "linreg sgd (fast)": (_m_linreg_sgd, None),
    "linreg sgd (reference)": (_m_linreg_sgd_reference, None),
    "sklearn SGDRegressor": (_m_sklearn_sgd, "sklearn"),
    "linreg sgd, whole epochs (fast)": (_m_linreg_sgd_epochs, None),
}

#: Package names to print in "not installed" notes, by import name.
_PACKAGES: Final = {"sklearn": "scikit-learn", "torch": "torch"}


def _available(method: str) -> bool:
    module = METHODS[method][1]
    return module is None or _optional(module) is not None


# -- peak memory in a child process ----------------------------------------------------------
def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _child_main(spec: str) -> None:
    """Entry point of the child: build the data, fit once, print the memory as JSON."""
    args = json.loads(spec)
    cfg = BenchConfig(**{**args["config"], "scaling_rows": (), "scaling_features": ()})
    data = make_data(cfg.rows, cfg.features, cfg.seed)
    before = _status_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")  # reset VmHWM, the peak resident size, to the current size
        reset = True
    except OSError:
        reset = False
    function, _ = METHODS[args["method"]]
    _quiet(lambda: function(data, cfg, int(args["epochs"])))
    # Without the reset, VmHWM still counts only this process image (ru_maxrss would
    # also count the parent's pages at the fork).
    peak = _status_kib("VmHWM")
    if peak is None:
        import resource

        peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
    sys.stdout.write(json.dumps({"before_kib": before, "peak_kib": peak, "reset": reset}) + "\n")


def peak_memory(method: str, cfg: BenchConfig, epochs: int) -> dict[str, Any] | None:
    """Peak resident memory of one fit, measured in a fresh Python process.

    Returns ``{"peak_mb": total peak, "extra_mb": peak above the size before the
    fit, "exact": whether the peak could be reset after the data were built}``.
    """
    config = dataclasses.asdict(cfg)
    spec = json.dumps({"method": method, "epochs": epochs, "config": config})
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--memory-child", spec],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=1800,
    )
    if done.returncode != 0:
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak, before = result["peak_kib"] / 1024, (result["before_kib"] or 0) / 1024
    return {"peak_mb": peak, "extra_mb": peak - before, "exact": bool(result["reset"])}


# -- sections --------------------------------------------------------------------------------
@dataclass
class Row:
    """One method's line in a section's table."""

    method: str
    time_s: float | None = None
    min_s: float | None = None
    scaled: bool = False
    speedup: float | None = None
    peak_mb: float | None = None
    extra_mb: float | None = None
    note: str = ""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


def _skip(method: str) -> Row:
    module = METHODS[method][1] or ""
    return Row(method, note=f"skipped: no {_PACKAGES.get(module, module)}")


def _finish(rows: list[Row], cfg: BenchConfig, baseline: str, epochs: dict[str, int]) -> None:
    """Speed-ups relative to ``baseline`` (linreg's time) and each method's peak memory."""
    base = next(r.time_s for r in rows if r.method == baseline)
    for row in rows:
        if row.time_s is None:
            continue
        row.speedup = row.time_s / base if base else None
        if cfg.memory and row.method in epochs:
            memory = peak_memory(row.method, cfg, epochs[row.method])
            if memory is not None:
                row.peak_mb, row.extra_mb = memory["peak_mb"], memory["extra_mb"]


def section_closed_form(data: Data, cfg: BenchConfig) -> dict[str, Any]:
    rows: list[Row] = []
    coefs: dict[str, Array] = {}
    for method in ("linreg exact", "sklearn LinearRegression", "numpy lstsq"):
        if not _available(method):
            rows.append(_skip(method))
            continue
        function = METHODS[method][0]
        median, best, result = time_it(partial(function, data, cfg, 0), cfg.repeats)
        if isinstance(result, np.ndarray):
            coefs[method] = np.append(result[:-1], result[-1])
        else:
            coefs[method] = np.append(result.coef_, result.intercept_)
        rows.append(Row(method, median, best))
    reference = coefs["linreg exact"]
    for row in rows:
        if row.method in coefs:
            diff = np.abs(coefs[row.method] - reference).max() / np.abs(reference).max()
            row.extra["max_rel_coef_diff_vs_linreg"] = float(diff)
    _finish(rows, cfg, "linreg exact", dict.fromkeys(coefs, 0))

    from linreg.stats.nist import run_nist

    goal = {"Filip": 7.5}
    records = run_nist(methods=("lstsq",))
    worst = {r.dataset: r.coef_lre for r in records}
    met = all(lre >= goal.get(name, 13.0) for name, lre in worst.items())
    nist = {
        "targets_met": met,
        "rule": "coefficient LRE >= 13 on every StRD dataset, Filip >= 7.5",
        "coef_lre": worst,
    }
    return {"rows": rows, "nist": nist}


def _path_diff(model: Any, path_W: Array, path_b: Array) -> float:
    """Largest relative difference of a rival's first iterates from linreg's recorded ones."""
    k = path_W.shape[0]
    W_diff = np.abs(model.history_.W[:k] - path_W).max() / np.abs(path_W).max()
    b_diff = np.abs(model.history_.b[:k] - path_b).max() / np.abs(path_b).max()
    return float(max(W_diff, b_diff))


def section_gd(data: Data, cfg: BenchConfig) -> dict[str, Any]:
    epochs, k = cfg.gd_epochs, cfg.textbook_epochs
    rows: list[Row] = []
    median, best, model = time_it(lambda: _m_linreg_gd(data, cfg, epochs), cfg.repeats)
    rows.append(Row("linreg gd (fast)", median, best))

    # The textbook loop: k epochs, timed per epoch and scaled to `epochs`.
    per, per_best, (path_W, path_b) = time_it(lambda: _m_textbook_gd(data, cfg, k), cfg.repeats)
    rows.append(Row("textbook NumPy loop", per / k * epochs, per_best / k * epochs, scaled=True))
    rows[-1].extra["max_rel_iterate_diff_first_epochs"] = _path_diff(model, path_W, path_b)

    # linreg's reference engine: the per-epoch cost from fits of 1 and 1 + k epochs.
    one, one_best, _ = time_it(lambda: _m_linreg_gd_reference(data, cfg, 1), cfg.repeats)
    more, more_best, _ = time_it(lambda: _m_linreg_gd_reference(data, cfg, 1 + k), cfg.repeats)
    scale = (epochs - 1) / k
    rows.append(
        Row(
            "linreg gd (reference)",
            one + (more - one) * scale,
            one_best + max(more_best - one_best, 0.0) * scale,
            scaled=True,
        )
    )
    if _available("PyTorch autograd (CPU)"):
        per, per_best, (path_W, path_b) = time_it(lambda: _m_torch_gd(data, cfg, k), cfg.repeats)
        rows.append(Row("PyTorch autograd (CPU)", per / k * epochs, per_best / k * epochs, True))
        rows[-1].extra["max_rel_iterate_diff_first_epochs"] = _path_diff(model, path_W, path_b)
    else:
        rows.append(_skip("PyTorch autograd (CPU)"))
    memory_epochs = {
        "linreg gd (fast)": epochs,
        "textbook NumPy loop": k,
        "linreg gd (reference)": k,
        "PyTorch autograd (CPU)": k,
    }
    _finish(rows, cfg, "linreg gd (fast)", memory_epochs)
    return {"rows": rows, "epochs": epochs, "timed_epochs_of_scaled_rows": k}


def _test_mse(model: Any, data: Data) -> float:
    predictions = model.predict(data.X_test)
    return float(np.mean((data.y_test - predictions) ** 2))


def section_sgd(data: Data, cfg: BenchConfig) -> dict[str, Any]:
    optimum_model = _m_linreg_exact(data, cfg, 0)
    optimum = _test_mse(optimum_model, data)
    rows: list[Row] = []
    epochs_used: dict[str, int] = {}
    methods = (
        "linreg sgd (fast)",
        "linreg sgd (reference)",
        "sklearn SGDRegressor",
    )
    for method in methods:
        if not _available(method):
            rows.append(_skip(method))
            continue
        function = METHODS[method][0]
        reached = None
        for epochs in range(1, cfg.sgd_max_epochs + 1):
            model = _quiet(partial(function, data, cfg, epochs))
            excess = _test_mse(model, data) / optimum - 1.0
            if excess <= SGD_TARGET:
                reached = (epochs, excess)
                break
        if reached is None:
            rows.append(Row(method, note=f"not within 1% after {cfg.sgd_max_epochs} epochs"))
            continue
        epochs, excess = reached
        median, best, _ = time_it(partial(function, data, cfg, epochs), cfg.repeats)
        extra: dict[str, Any] = {"epochs": epochs, "excess_test_mse": excess}
        if getattr(model, "stop_reason_", None) == "converged":
            extra["stopped_within"] = model.n_iter_  # by tol, within that epoch
            steps = model.n_steps_ * cfg.sgd_batch_size
            extra["epoch_fraction"] = steps / data.X.shape[0] - (model.n_iter_ - 1)
        rows.append(Row(method, median, best, extra=extra))
        epochs_used[method] = epochs
    if "linreg sgd (fast)" in epochs_used:
        _finish(rows, cfg, "linreg sgd (fast)", epochs_used)
    settings = {
        "batch_size": cfg.sgd_batch_size,
        "learning_rate": cfg.sgd_learning_rate,
        "tol": cfg.sgd_tol,
        "sklearn": "SGDRegressor defaults (batch 1, eta0 0.01 invscaling), max_iter=epochs, "
        "tol=None",
    }
    return {"rows": rows, "optimum_test_mse": optimum, "settings": settings}


#: Solvers of the scaling curves: name -> (function(data, config), needs).
SCALING: Final[dict[str, tuple[str, int]]] = {
    "linreg exact": ("linreg exact", 0),
    "linreg gd, 1000 epochs (fast)": ("linreg gd (fast)", 1000),
    "textbook GD, 1000 epochs (scaled)": ("textbook NumPy loop", 1000),
    "linreg sgd, 1 epoch (fast)": ("linreg sgd, whole epochs (fast)", 1),
    "sklearn LinearRegression": ("sklearn LinearRegression", 0),
    "sklearn SGDRegressor, 1 epoch": ("sklearn SGDRegressor", 1),
    "numpy lstsq": ("numpy lstsq", 0),
}

#: At most this many matrix entries for the slower solvers (they are skipped above).
_SLOW_LIMIT: Final = 60_000_000


def _scaling_point(name: str, data: Data, cfg: BenchConfig) -> float | None:
    """Median time of one solver on one size (None: skipped or not installed).

    Every point is the median of three fits after an untimed one (lazy imports,
    BLAS threads waking up), but for the largest sizes (above 50 million matrix
    entries: one fit). The textbook loop runs enough epochs for about 0.2 s of
    work (2 to 20) and is scaled to ``epochs``.
    """
    method, epochs = SCALING[name]
    if not _available(method):
        return None
    fast = name.startswith(("linreg gd", "linreg sgd", "linreg exact", "textbook"))
    if data.X.size > _SLOW_LIMIT and not fast:
        return None
    function = METHODS[method][0]
    repeats = 1 if data.X.size > 50_000_000 else 3
    if name.startswith("textbook"):
        k = int(np.clip(200_000_000 // data.X.size, 2, 20))
        if repeats > 1:
            _quiet(partial(function, data, cfg, 1))
        per, _, _ = time_it(partial(function, data, cfg, k), repeats)
        return per / k * epochs
    if repeats > 1:
        _quiet(partial(function, data, cfg, epochs))
    median, _, _ = time_it(partial(function, data, cfg, epochs), repeats)
    return median


def section_scaling(cfg: BenchConfig) -> dict[str, Any]:
    curves: dict[str, dict[str, list[float | None]]] = {"rows": {}, "features": {}}
    d_fixed = cfg.features
    for rows in cfg.scaling_rows:
        data = make_data(rows, d_fixed, cfg.seed)
        for name in SCALING:
            curves["rows"].setdefault(name, []).append(_scaling_point(name, data, cfg))
        del data
    for d in cfg.scaling_features:
        data = make_data(cfg.scaling_features_rows, d, cfg.seed)
        for name in SCALING:
            curves["features"].setdefault(name, []).append(_scaling_point(name, data, cfg))
        del data
    return {
        "n_values": list(cfg.scaling_rows),
        "features_at": d_fixed,
        "d_values": list(cfg.scaling_features),
        "rows_at": cfg.scaling_features_rows,
        "time_vs_rows": curves["rows"],
        "time_vs_features": curves["features"],
        "note": f"scikit-learn and numpy are skipped above {_SLOW_LIMIT:,} matrix entries",
    }


def scaling_figure(scaling: dict[str, Any]) -> Any:
    """Log-log time against N and against d, one line per solver."""
    from matplotlib.figure import Figure

    from linreg.viz.style import OKABE_ITO

    fig = Figure(figsize=(12, 5), dpi=100, layout="constrained")
    colours = list(OKABE_ITO.values())
    panels = (
        ("time_vs_rows", "n_values", f"Time against N (d = {scaling['features_at']})", "rows N"),
        ("time_vs_features", "d_values", f"Time against d (N = {scaling['rows_at']:,})", "d"),
    )
    for i, (key, axis_key, title, xlabel) in enumerate(panels):
        ax = fig.add_subplot(1, 2, i + 1)
        xs = scaling[axis_key]
        for j, (name, times) in enumerate(scaling[key].items()):
            points = [(x, t) for x, t in zip(xs, times, strict=True) if t is not None]
            if points:
                px, pt = [p[0] for p in points], [p[1] for p in points]
                style = "--" if "scaled" in name else "-"
                ax.plot(px, pt, style, marker="o", color=colours[j % len(colours)], label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("seconds (median)")
        ax.grid(True, which="both", alpha=0.3)
        if i == 0:
            ax.legend(fontsize=8)
    return fig


def section_sgd_epoch(cfg: BenchConfig) -> dict[str, Any]:
    """One SGD epoch per shape: linreg's fast engine against one of ``SGDRegressor``.

    Both fit standardized data (N(0, 1) features) from zero, at learning rate
    :attr:`BenchConfig.sgd_epoch_learning_rate` for linreg and scikit-learn's
    defaults; the ratio is SGDRegressor's median time over linreg's.
    """
    from linreg.estimator import LinearRegression

    cases = []
    for rows, features, batch, goal in cfg.sgd_epoch_cases:
        data = make_data(rows, features, cfg.seed)
        model = LinearRegression(
            solver="sgd",
            epochs=1,
            batch_size=batch,
            learning_rate=cfg.sgd_epoch_learning_rate,
            engine="fast",
            seed=cfg.seed,
        )
        _quiet(partial(model.fit, data.X, data.y))  # untimed: imports, threads waking up
        ours, ours_best, _ = time_it(partial(model.fit, data.X, data.y), cfg.repeats)
        case: dict[str, Any] = {
            "rows": rows,
            "features": features,
            "batch_size": batch,
            "goal": goal,
            "linreg_s": ours,
            "linreg_min_s": ours_best,
            "sklearn_s": None,
            "ratio": None,
        }
        if _available("sklearn SGDRegressor"):
            rival = partial(_m_sklearn_sgd, data, cfg, 1)
            _quiet(rival)
            case["sklearn_s"], case["sklearn_min_s"], _ = time_it(rival, cfg.repeats)
            case["ratio"] = case["sklearn_s"] / ours
        cases.append(case)
        del data
    return {"cases": cases, "kernel": "C" if kernels.sgd_available() else "NumPy"}


# -- the whole run ---------------------------------------------------------------------------
def _targets(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, (baseline, goal) in TARGETS.items():
        if section not in results:
            continue
        rows = {r.method: r for r in results[section]["rows"]}
        other = rows.get(baseline)
        if other is None or other.speedup is None:
            out[section] = {"baseline": baseline, "goal": goal, "speedup": None, "met": None}
            continue
        met = other.speedup >= goal
        if section == "closed-form":
            met = met and bool(results[section]["nist"]["targets_met"])
        if section == "gd":
            diff = other.extra.get("max_rel_iterate_diff_first_epochs", math.inf)
            met = met and diff <= 1e-10
        out[section] = {"baseline": baseline, "goal": goal, "speedup": other.speedup, "met": met}
    for case in results.get("sgd-epoch", {}).get("cases", []):
        name = f"sgd-epoch {case['rows']:,} x {case['features']}, batch {case['batch_size']}"
        ratio = case["ratio"]
        out[name] = {
            "baseline": "sklearn SGDRegressor, 1 epoch",
            "goal": case["goal"],
            "speedup": ratio,
            "met": None if ratio is None else ratio >= case["goal"],
        }
    return out


def run_bench(
    cfg: BenchConfig,
    sections: Sequence[str] = SECTIONS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the chosen sections; returns a JSON-ready dict (rows as plain dicts)."""

    def say(text: str) -> None:
        if progress is not None:
            progress(text)

    results: dict[str, Any] = {}
    if any(s in sections for s in ("closed-form", "gd", "sgd")):
        say(f"data: {cfg.rows:,} x {cfg.features} (+ {cfg.test_rows:,} test rows)")
        data = make_data(cfg.rows, cfg.features, cfg.seed, cfg.test_rows)
        for name, run in (
            ("closed-form", section_closed_form),
            ("gd", section_gd),
            ("sgd", section_sgd),
        ):
            if name in sections:
                say(f"section {name} ...")
                results[name] = run(data, cfg)
        del data
    if "scaling" in sections:
        say("section scaling ...")
        results["scaling"] = section_scaling(cfg)
    if "sgd-epoch" in sections:
        say("section sgd-epoch ...")
        results["sgd-epoch"] = section_sgd_epoch(cfg)
    if "matrix" in sections:
        say("section matrix ...")
        quick = cfg.rows < FULL.rows
        results["matrix"] = matrix.section_matrix(min(cfg.repeats, 3), cfg.seed, say, quick)
    targets = _targets(results)
    for name in ("closed-form", "gd", "sgd"):
        if name in results:
            results[name]["rows"] = [dataclasses.asdict(r) for r in results[name]["rows"]]
    return {
        "environment": environment(),
        "config": dataclasses.asdict(cfg),
        "data_mb": cfg.rows * cfg.features * 8 / 2**20,
        "sections": results,
        "targets": targets,
    }


# -- the command -----------------------------------------------------------------------------
def _fmt_time(value: float | None, scaled: bool) -> str | None:
    if value is None:
        return None
    text = f"{value:.3g} s" if value >= 0.01 else f"{value * 1e3:.3g} ms"
    return text + (" *" if scaled else "")


def _fmt_ratio(value: float | None) -> str | None:
    return None if value is None else f"{value:.3g}x"


def _fmt_mb(value: float | None) -> str | None:
    return None if value is None else f"{value:.0f}"


#: A report as text: a line (str) or a table (title, columns, rows).
Block = str | tuple[str, list[str], list[list[Any]]]


def report_blocks(report: dict[str, Any]) -> list[Block]:
    """The report as lines and tables, for :func:`_print` (rich) and :func:`markdown`."""
    env = report["environment"]
    versions = env["versions"]
    blocks: list[Block] = [
        f"linreg bench, {env['date']}: {env['cpu']}, {env['cores']} cores, {env['blas']}; "
        f"Python {versions['python']}, NumPy {versions['numpy']}, "
        f"scikit-learn {versions['scikit-learn'] or 'not installed'}, "
        f"PyTorch {versions['torch'] or 'not installed'}; "
        f"exact solver's refinement kernel: {env.get('kernels', 'NumPy')}"
    ]
    cfg = report["config"]
    shape = f"{cfg['rows']:,} x {cfg['features']}"
    titles = {
        "closed-form": f"1. Closed form, {shape}",
        "gd": f"2. Full-batch GD, {cfg['gd_epochs']} epochs, {shape}",
        "sgd": f"3. Mini-batch SGD to a test MSE within {SGD_TARGET:.0%} of the optimum, {shape}",
    }
    for name, title in titles.items():
        if name not in report["sections"]:
            continue
        section = report["sections"][name]
        rows = []
        for r in section["rows"]:
            note, extra = r["note"], r["extra"]
            if "epochs" in extra:
                note = f"{extra['epochs']} epoch(s), test MSE +{extra['excess_test_mse']:.2%}"
                if "stopped_within" in extra:
                    within = extra.get("epoch_fraction")
                    part = "" if within is None else f" after {within:.1%} of it"
                    note = (
                        f"stopped by tol in epoch {extra['stopped_within']}{part}, "
                        f"test MSE +{extra['excess_test_mse']:.2%}"
                    )
            if "max_rel_iterate_diff_first_epochs" in extra:
                note = f"iterates vs linreg: {extra['max_rel_iterate_diff_first_epochs']:.1e}"
            if "max_rel_coef_diff_vs_linreg" in extra and r["method"] != "linreg exact":
                note = f"coef vs linreg: {extra['max_rel_coef_diff_vs_linreg']:.1e}"
            rows.append(
                [
                    r["method"],
                    _fmt_time(r["time_s"], r["scaled"]),
                    _fmt_time(r["min_s"], r["scaled"]),
                    _fmt_ratio(r["speedup"]),
                    _fmt_mb(r["extra_mb"]),
                    note,
                ]
            )
        columns = ["method", "median", "min", "time / linreg", "peak MiB", "note"]
        blocks.append((title, columns, rows))
        if name == "closed-form":
            nist = section["nist"]
            worst = min(nist["coef_lre"].values())
            verdict = "met" if nist["targets_met"] else "NOT met"
            blocks.append(
                f"NIST StRD accuracy of linreg exact: {verdict} ({nist['rule']}; "
                f"lowest LRE {worst:.1f})"
            )
    if any(n in report["sections"] for n in titles):
        blocks.append(
            f"* scaled from a few epochs. Data: {report['data_mb']:.0f} MiB. Peak MiB: resident "
            "memory the fit needs above the data already in memory (in a child process)."
        )
    if "scaling" in report["sections"]:
        scaling = report["sections"]["scaling"]
        for key, axis, label in (
            ("time_vs_rows", "n_values", f"4a. Time (s) against N, d = {scaling['features_at']}"),
            ("time_vs_features", "d_values", f"4b. Time (s) against d, N = {scaling['rows_at']:,}"),
        ):
            columns = ["solver", *[f"{x:,}" for x in scaling[axis]]]
            rows = [
                [name, *[None if t is None else float(f"{t:.3g}") for t in times]]
                for name, times in scaling[key].items()
            ]
            blocks.append((label, columns, rows))
        blocks.append(scaling["note"] + "; '-': skipped.")
    if "sgd-epoch" in report["sections"]:
        section = report["sections"]["sgd-epoch"]
        rows = [
            [
                f"{c['rows']:,} x {c['features']}",
                c["batch_size"],
                _fmt_time(c["linreg_s"], False),
                _fmt_time(c["sklearn_s"], False),
                _fmt_ratio(c["ratio"]),
                f"{c['goal']:g}x",
            ]
            for c in section["cases"]
        ]
        columns = ["data", "batch", "linreg", "SGDRegressor", "ratio", "goal"]
        title = f"5. One SGD epoch (linreg's {section['kernel']} loop) against SGDRegressor's"
        blocks.append((title, columns, rows))
    if "matrix" in report["sections"]:
        blocks.extend(matrix.blocks(report["sections"]["matrix"]))
    for section, target in report["targets"].items():
        if target["speedup"] is None:
            blocks.append(f"target {section}: {target['baseline']} not measured")
            continue
        verdict = "met" if target["met"] else "NOT met"
        blocks.append(
            f"target {section}: linreg {target['speedup']:.3g}x faster than "
            f"{target['baseline']} (goal {target['goal']:g}x): {verdict}"
        )
    return blocks


def _print(report: dict[str, Any]) -> None:
    console = make_console()
    for block in report_blocks(report):
        if isinstance(block, str):
            console.print(block)
        else:
            console.print(rich_table(*block))


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: a paragraph per line, a pipe table per table."""
    out: list[str] = []
    for block in report_blocks(report):
        if isinstance(block, str):
            out.append(block.replace("*", "\\*", 1) if block.startswith("*") else block)
            continue
        title, columns, rows = block
        out.append(f"**{title}**\n")
        out.append("| " + " | ".join(columns) + " |")
        out.append("|" + "|".join(["---", *["--:"] * (len(columns) - 1)]) + "|")
        for row in rows:
            cells = ["-" if v is None else str(v).replace("*", "\\*") for v in row]
            out.append("| " + " | ".join(cells) + " |")
    return "\n\n".join(_join_tables(out)) + "\n"


def _join_tables(lines: list[str]) -> list[str]:
    # Table rows belong together; other lines are paragraphs of their own.
    blocks: list[str] = []
    for line in lines:
        if line.startswith("|") and blocks and blocks[-1].lstrip().startswith(("|", "**")):
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return blocks


def run(args: argparse.Namespace) -> int:
    """Run the harness with parsed options; returns the exit code."""
    base = QUICK if args.quick else FULL
    cfg = base
    if args.repeats is not None:
        if args.repeats < 1:
            raise LinregError(f"--repeats must be at least 1, got {args.repeats}")
        cfg = dataclasses.replace(cfg, repeats=args.repeats)
    if args.no_memory:
        cfg = dataclasses.replace(cfg, memory=False)
    # The matrix (full-size shapes, several minutes) runs with --quick only if asked for.
    default = [s for s in SECTIONS if s != "matrix"] if args.quick else SECTIONS
    sections = [s.strip() for s in args.only.split(",") if s.strip()] if args.only else default
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise LinregError(
            f"--only: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}"
        )
    plots = check_plots_dir(args.plots)
    missing = [p for m, p in _PACKAGES.items() if _optional(m) is None]
    console = make_console(stderr=True)
    for package in missing:
        console.print(
            f"note: {package} is not installed, its rows are skipped: {INSTALL_HINTS[package]}"
        )
    report = run_bench(cfg, sections, None if args.json else console.print)
    if plots is not None and "scaling" in report["sections"]:
        from linreg.viz.style import save_figure

        path = save_figure(
            scaling_figure(report["sections"]["scaling"]), plots / "bench_scaling.png"
        )
        report["figure"] = str(path)
    if args.json:
        print_json(report)
    elif args.markdown:
        sys.stdout.write(markdown(report))
    else:
        _print(report)
        if "figure" in report:
            make_console().print(f"figure: {report['figure']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The options of ``python benchmarks/bench.py`` (and of ``linreg bench``, which runs it)."""
    p = argparse.ArgumentParser(
        prog="benchmarks/bench.py",
        description="Time linreg against scikit-learn, NumPy and PyTorch on the same data: "
        "closed form, full-batch GD, SGD to a target and scaling curves, with peak memory "
        "(medians).",
        epilog="example:\n  python benchmarks/bench.py --plots benchmarks/figures",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    p.add_argument("--repeats", type=int, help="timed repeats per method (default 5; quick 2)")
    p.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    p.add_argument("--plots", help="folder for the scaling figure (bench_scaling.png)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory child runs")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    p.add_argument("--json", action="store_true", help="print a machine-readable result on stdout")
    # The peak-memory child (see peak_memory): one fit, described as JSON.
    p.add_argument("--memory-child", metavar="SPEC", help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``python benchmarks/bench.py [options]``; errors are one line on stderr, exit 1."""
    args = build_parser().parse_args(argv)
    if args.memory_child is not None:
        _child_main(args.memory_child)
        return 0
    try:
        return run(args)
    except LinregError as exc:
        sys.stderr.write(f"linreg bench: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("linreg bench: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
