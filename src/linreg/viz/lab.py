"""The visual lab: two experiments that show *why* gradient descent behaves as it does.

This module adds two subcommands to ``linreg`` (see :func:`register`):

``linreg compare-optimizers``
    Full-batch gradient descent, mini-batch SGD and single-row SGD, trained from
    the same start on the same data and drawn on one loss landscape
    (``optimizers.png``). The table gives each run's final MSE and its distance
    to the least-squares optimum.

``linreg scaling``
    The same problem on raw and on standardized features: the condition number
    kappa of the Hessian, the largest stable learning rate eta_max, and how many
    epochs gradient descent needs in each case, with both paths on their
    landscapes (``scaling.png``).

The library functions :func:`compare_optimizers` and :func:`scaling_experiment`
do the work and return plain dataclasses; the command handlers only read files,
print and draw.

Choice of learning rates
------------------------
*compare-optimizers*: full-batch GD and mini-batch SGD use ``--lr``. One row per
update is far noisier: a step on row i multiplies the error along
a_i = [x_i, 1] by (1 - 2 eta ||a_i||^2), so it is stable only for
eta < 1 / max_i ||a_i||^2. Unless ``--sgd-lr`` is given, single-row SGD uses
``min(--lr, 0.1 / max_i ||a_i||^2)``: a tenth of that limit, so that no single
step moves the parameters more than 20% of the way to fitting its one row.

*scaling*: each problem runs at the same fraction of its *own* eta_max, by
default one half: eta = 1 / lambda_max. That is the largest rate at which no
direction overshoots (every factor 1 - eta lambda is in [0, 1)), so both paths
head straight down their bowls and stay readable, and the comparison is fair:
the steepest direction is solved in one step in both, and the flattest shrinks
by (1 - 1 / kappa) per epoch, so the epochs needed grow with kappa alone. With
kappa = 1 (one standardized feature) a single step lands on the optimum.
``--fraction`` changes the fraction (0.9 shows the zig-zag of a rate near
eta_max); ``--lr`` sets one absolute rate for both instead.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.cli.common import (
    AddCommand,
    Progress,
    add_data_options,
    add_json,
    check_plots_dir,
    closed_form,
    finite,
    make_console,
    parse_names,
    print_json,
    rich_table,
)
from linreg.errors import LinregError
from linreg.estimator import LinearRegression
from linreg.history import History
from linreg.io.tables import Table, read_table
from linreg.stability import Stability, stability
from linreg.stats.sweep import CONVERGED_RTOL, fit_recording_divergence
from linreg.validation import check_positive

__all__ = [
    "SCALING_FRACTION",
    "SGD_SAFETY",
    "Comparison",
    "OptimizerRun",
    "ScalingResult",
    "ScalingRun",
    "compare_optimizers",
    "default_sgd_learning_rate",
    "epochs_to_converge",
    "register",
    "scaling_experiment",
    "standardize",
]

Array = NDArray[np.float64]

#: Single-row SGD's default rate is this fraction of its stability limit 1 / max ||a_i||^2.
SGD_SAFETY = 0.1

#: Default learning rate of ``scaling``, as a fraction of each problem's own eta_max.
SCALING_FRACTION = 0.5

#: Tolerance of the scaling figure's titles (plots.scaling_lab): MSE within 0.1%.
FIGURE_RTOL = 1e-3

EpochHook = Callable[[str], Callable[[int, float], None] | None]


# -- shared pieces ---------------------------------------------------------------------------
def _fit(
    X: Array,
    y: Array,
    *,
    solver: str,
    learning_rate: float,
    epochs: int,
    batch_size: int = 32,
    seed: int = 0,
    on_epoch: Callable[[int, float], None] | None = None,
) -> tuple[History, int | None]:
    """Train from W = 0, b = 0; returns the history and the epoch of divergence (or None).

    A run that diverges keeps the history recorded up to the divergence.
    """
    model = LinearRegression(
        solver=solver,
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
    )
    return fit_recording_divergence(model, X, y, on_epoch)


def epochs_to_converge(history: History, optimum_loss: float, rtol: float) -> int | None:
    """The first epoch whose MSE is within ``rtol`` (relative) of the optimum, or None.

    Parameters
    ----------
    history : History
    optimum_loss : float
        The least-squares MSE L*.
    rtol : float
        Converged means L_k - L* <= rtol * L*. For an exact fit (L* = 0) the
        threshold is ``rtol * 1e-6`` of the starting loss instead.

    Returns
    -------
    int or None
        None when no recorded epoch gets there.
    """
    loss = np.asarray(history.loss, dtype=np.float64)
    if loss.size == 0:
        return None
    threshold = rtol * optimum_loss if optimum_loss > 0 else rtol * 1e-6 * float(loss[0])
    hits = np.flatnonzero(np.isfinite(loss) & (loss - optimum_loss <= threshold))
    return int(hits[0]) if hits.size else None


def _read(args: argparse.Namespace) -> tuple[Table, Array]:
    table = read_table(args.data, target=args.target, features=parse_names(args.features))
    assert table.y is not None  # read_table requires the target
    return table, table.y


def _figure_note(path: Path | None, skipped: str | None) -> str:
    if path is not None:
        return f"figure written to {path}"
    return f"no figure: {skipped}" if skipped else ""


# -- compare-optimizers ----------------------------------------------------------------------
@dataclass(frozen=True)
class OptimizerRun:
    """One optimizer's run in :func:`compare_optimizers`.

    Attributes
    ----------
    name : str
        E.g. ``"full-batch GD"``, ``"mini-batch SGD (batch 32)"``, ``"SGD (batch 1)"``.
    solver : {"gd", "sgd"}
    learning_rate : float
    batch_size : int
        Rows per update (N for full-batch GD).
    history : History
        Full-data MSE and parameters at the end of every epoch (up to divergence).
    diverged_at_epoch : int or None
    final_loss : float
        MSE at the last recorded parameters (NaN when nothing was recorded).
    distance_to_optimum : float
        Euclidean distance ||theta - theta*|| of the last recorded theta = [W, b]
        from the least-squares optimum.
    updates : int
        Parameter updates made: epochs run times updates per epoch.
    """

    name: str
    solver: str
    learning_rate: float
    batch_size: int
    history: History
    diverged_at_epoch: int | None
    final_loss: float
    distance_to_optimum: float
    updates: int

    @property
    def epochs_run(self) -> int:
        """Epochs completed (entries of the history minus one)."""
        return self.history.n_epochs

    @property
    def status(self) -> str:
        """``"diverged"`` or ``"stable"``."""
        return "stable" if self.diverged_at_epoch is None else "diverged"


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_optimizers`: the runs and the optimum they aim for."""

    runs: list[OptimizerRun]
    optimum_coef: Array
    optimum_intercept: float
    optimum_loss: float
    stability: Stability


def default_sgd_learning_rate(X: Array, learning_rate: float) -> float:
    """The default rate of single-row SGD: ``min(learning_rate, SGD_SAFETY / max ||a_i||^2)``.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    learning_rate : float
        The rate of the other optimizers.

    Notes
    -----
    A step on the single row a_i = [x_i, 1] multiplies the error along a_i by
    1 - 2 eta ||a_i||^2; it is stable only for eta < 1 / ||a_i||^2, and the row
    with the largest norm sets the limit.
    """
    largest = float(np.max(np.sum(X * X, axis=1) + 1.0))
    return min(float(learning_rate), SGD_SAFETY / largest)


def compare_optimizers(
    X: Array,
    y: Array,
    *,
    learning_rate: float = 0.01,
    epochs: int = 200,
    batch_size: int = 32,
    sgd_learning_rate: float | None = None,
    seed: int = 0,
    on_epoch: EpochHook | None = None,
) -> Comparison:
    """Train full-batch GD, mini-batch SGD and single-row SGD from W = 0, b = 0.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    learning_rate : float, default=0.01
        Rate of full-batch GD and mini-batch SGD.
    epochs : int, default=200
        Passes over the data, the same for all three.
    batch_size : int, default=32
        Rows per update of mini-batch SGD.
    sgd_learning_rate : float, optional
        Rate of single-row SGD; default :func:`default_sgd_learning_rate`.
    seed : int, default=0
        Seed of the SGD shuffles (both SGD runs use it).
    on_epoch : callable, optional
        Given a run's name, returns a per-epoch callback (or None), e.g. a progress bar.

    Returns
    -------
    Comparison
        Runs in the order GD, mini-batch SGD, SGD.
    """
    check_positive(learning_rate, "--lr")
    check_positive(epochs, "--epochs", integer=True)
    check_positive(batch_size, "--batch-size", integer=True)
    if sgd_learning_rate is None:
        sgd_learning_rate = default_sgd_learning_rate(X, learning_rate)
    check_positive(sgd_learning_rate, "--sgd-lr")
    optimum = closed_form(X, y, True)
    theta_star = np.append(optimum.coef_, optimum.intercept_)
    n = X.shape[0]
    plan = (
        ("full-batch GD", "gd", learning_rate, n),
        (f"mini-batch SGD (batch {batch_size})", "sgd", learning_rate, batch_size),
        ("SGD (batch 1)", "sgd", sgd_learning_rate, 1),
    )
    runs = []
    for name, solver, rate, batch in plan:
        history, diverged = _fit(
            X,
            y,
            solver=solver,
            learning_rate=rate,
            epochs=epochs,
            batch_size=batch,
            seed=seed,
            on_epoch=None if on_epoch is None else on_epoch(name),
        )
        if history.loss.size:
            theta = np.append(history.W[-1], history.b[-1])
            distance = float(np.linalg.norm(theta - theta_star))
            final = history.final_loss
        else:
            distance = final = math.nan
        runs.append(
            OptimizerRun(
                name=name,
                solver=solver,
                learning_rate=float(rate),
                batch_size=min(batch, n),
                history=history,
                diverged_at_epoch=diverged,
                final_loss=final,
                distance_to_optimum=distance,
                updates=history.n_epochs * math.ceil(n / min(batch, n)),
            )
        )
    return Comparison(
        runs=runs,
        optimum_coef=optimum.coef_,
        optimum_intercept=float(optimum.intercept_),
        optimum_loss=optimum.history_.final_loss,
        stability=stability(X),
    )


def _status(diverged_at_epoch: int | None) -> str:
    return "stable" if diverged_at_epoch is None else f"diverged at epoch {diverged_at_epoch}"


def cmd_compare_optimizers(args: argparse.Namespace) -> int:
    """``linreg compare-optimizers``: three optimizers, one table, one figure."""
    check_positive(args.lr, "--lr")
    check_positive(args.epochs, "--epochs", integer=True)
    check_positive(args.batch_size, "--batch-size", integer=True)
    if args.sgd_lr is not None:
        check_positive(args.sgd_lr, "--sgd-lr")
    table, y = _read(args)
    plots_dir = check_plots_dir(args.plots)
    show = not (args.json or args.quiet)
    bars: list[Progress] = []

    def hook(name: str) -> Callable[[int, float], None]:
        # One bar per run; rich draws one live display at a time, so close the last one.
        if bars:
            bars.pop().__exit__(None, None, None)
        bars.append(Progress(args.epochs, show, label=name))
        return bars[-1]

    try:
        result = compare_optimizers(
            table.X,
            y,
            learning_rate=args.lr,
            epochs=args.epochs,
            batch_size=args.batch_size,
            sgd_learning_rate=args.sgd_lr,
            seed=args.seed,
            on_epoch=hook,
        )
    finally:
        if bars:
            bars.pop().__exit__(None, None, None)

    figure: Path | None = None
    drawn = {r.name: r.history for r in result.runs if r.diverged_at_epoch is None}
    skipped = [r.name for r in result.runs if r.diverged_at_epoch is not None]
    note = None
    if plots_dir is not None:
        if drawn:
            from linreg.viz import plots

            figure = plots_dir / "optimizers.png"
            fig = plots.optimizer_paths(table.X, y, drawn, feature_names=table.feature_names)
            plots.save_figure(fig, figure)
        else:
            note = "every run diverged; lower --lr"
    if skipped and figure is not None:
        note = f"diverged runs are not drawn: {', '.join(skipped)}"

    stab = result.stability
    if args.json:
        print_json(
            {
                "runs": [
                    {
                        "name": r.name,
                        "solver": r.solver,
                        "learning_rate": r.learning_rate,
                        "batch_size": r.batch_size,
                        "status": r.status,
                        "diverged_at_epoch": r.diverged_at_epoch,
                        "final_loss": finite(r.final_loss),
                        "epochs_run": r.epochs_run,
                        "updates": r.updates,
                        "distance_to_optimum": finite(r.distance_to_optimum),
                        "coef": r.history.W[-1] if r.history.loss.size else None,
                        "intercept": float(r.history.b[-1]) if r.history.loss.size else None,
                    }
                    for r in result.runs
                ],
                "optimum": {
                    "coef": result.optimum_coef,
                    "intercept": result.optimum_intercept,
                    "loss": result.optimum_loss,
                },
                "max_stable_learning_rate": finite(stab.max_stable_learning_rate),
                "condition_number": finite(stab.condition_number),
                "figures": [] if figure is None else [figure],
                "note": note,
            }
        )
        return 0
    rows = [
        [
            r.name,
            r.batch_size,
            f"{r.learning_rate:.4g}",
            r.updates,
            r.final_loss if r.diverged_at_epoch is None else _status(r.diverged_at_epoch),
            r.distance_to_optimum if r.diverged_at_epoch is None else None,
        ]
        for r in result.runs
    ]
    console = make_console()
    console.print(
        rich_table(
            f"{args.epochs} epochs from W = 0, b = 0 on {table.path} ({table.X.shape[0]} rows)",
            ["optimizer", "batch", "learning rate", "updates", "final MSE", "distance to optimum"],
            rows,
        )
    )
    lines = [
        f"least-squares optimum MSE {result.optimum_loss:.6g}; "
        "distance to optimum = ||[W, b] - [W*, b*]||; "
        f"eta_max of full-batch GD = {stab.max_stable_learning_rate:.4g}, "
        f"condition number {stab.condition_number:.4g}",
    ]
    if args.sgd_lr is None:
        lines.append(
            f"SGD (batch 1) uses min(--lr, {SGD_SAFETY:g} / max ||[x_i, 1]||^2) = "
            f"{result.runs[2].learning_rate:.4g}, a tenth of its stability limit; "
            "set it with --sgd-lr"
        )
    text = _figure_note(figure, note)
    lines.append(f"{text} ({note})" if figure is not None and note else text)
    for line in filter(None, lines):
        console.print(line, markup=False)
    return 0


# -- scaling ---------------------------------------------------------------------------------
def standardize(X: Array) -> tuple[Array, Array, Array]:
    """Z = (X - mean) / std with the population std; a constant column is only centred.

    Returns
    -------
    Z, mean, std : ndarrays
        ``std`` has 1 where a column is constant (as :func:`linreg.viz.plots.scaling_lab`).
    """
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std == 0.0, 1.0, std)
    return (X - mean) / std, mean, std


@dataclass(frozen=True)
class ScalingRun:
    """Gradient descent on one version of the problem (raw or standardized).

    Attributes
    ----------
    stability : Stability
        kappa, eta_max, lambda_max and lambda_min of this version's Hessian.
    learning_rate : float
    history : History
        In this version's own units (standardized runs: weights per std of x).
    diverged_at_epoch : int or None
    epochs_to_converge : int or None
        First epoch with MSE within ``rtol`` of the optimum (None: not reached).
    epochs_to_figure_tolerance : int or None
        The same within 0.1%, the tolerance the figure's titles use.
    """

    stability: Stability
    learning_rate: float
    history: History
    diverged_at_epoch: int | None
    epochs_to_converge: int | None
    epochs_to_figure_tolerance: int | None


@dataclass(frozen=True)
class ScalingResult:
    """Result of :func:`scaling_experiment`."""

    raw: ScalingRun
    standardized: ScalingRun
    mean: Array
    std: Array
    optimum_loss: float
    epochs: int
    rtol: float


def scaling_experiment(
    X: Array,
    y: Array,
    *,
    learning_rate: float | None = None,
    fraction: float = SCALING_FRACTION,
    epochs: int = 2000,
    rtol: float = CONVERGED_RTOL,
) -> ScalingResult:
    """Full-batch gradient descent on X and on its standardized version Z.

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    learning_rate : float, optional
        One absolute rate for both; overrides ``fraction``.
    fraction : float, default=0.5
        Without ``learning_rate``, each problem runs at ``fraction`` times its own
        eta_max = 2 / lambda_max (0.5 gives 1 / lambda_max: no direction overshoots),
        so that only the condition number differs between the two.
    epochs : int, default=2000
    rtol : float, default=1e-6
        Converged means the MSE is within ``rtol`` (relative) of the least-squares MSE.

    Returns
    -------
    ScalingResult
        The standardized history is in standardized units, trained on Z itself.
    """
    if learning_rate is not None:
        check_positive(learning_rate, "--lr")
    elif not (math.isfinite(fraction) and 0.0 < fraction < 1.0):
        raise LinregError(f"--fraction must be in (0, 1), got {fraction:g}")
    check_positive(epochs, "--epochs", integer=True)
    check_positive(rtol, "--rtol")
    Z, mean, std = standardize(X)
    optimum_loss = closed_form(X, y, True).history_.final_loss

    def run(data: Array) -> ScalingRun:
        stab = stability(data)
        rate = learning_rate
        if rate is None:
            rate = fraction * stab.max_stable_learning_rate
            if not (math.isfinite(rate) and rate > 0):
                raise LinregError("the features are all zero: there is nothing to learn")
        history, diverged = _fit(data, y, solver="gd", learning_rate=rate, epochs=epochs)
        return ScalingRun(
            stability=stab,
            learning_rate=float(rate),
            history=history,
            diverged_at_epoch=diverged,
            epochs_to_converge=epochs_to_converge(history, optimum_loss, rtol),
            epochs_to_figure_tolerance=epochs_to_converge(history, optimum_loss, FIGURE_RTOL),
        )

    return ScalingResult(
        raw=run(X),
        standardized=run(Z),
        mean=mean,
        std=std,
        optimum_loss=optimum_loss,
        epochs=epochs,
        rtol=rtol,
    )


def _epochs_text(epochs: int | None, run: ScalingRun, total: int) -> str:
    if run.diverged_at_epoch is not None:
        return f"diverged at epoch {run.diverged_at_epoch}"
    return f"not within {total} epochs" if epochs is None else str(epochs)


def cmd_scaling(args: argparse.Namespace) -> int:
    """``linreg scaling``: raw vs standardized features, in numbers and in one figure."""
    if args.lr is not None:
        check_positive(args.lr, "--lr")
    elif not (math.isfinite(args.fraction) and 0.0 < args.fraction < 1.0):
        raise LinregError(f"--fraction must be in (0, 1), got {args.fraction:g}")
    check_positive(args.epochs, "--epochs", integer=True)
    check_positive(args.rtol, "--rtol")
    table, y = _read(args)
    plots_dir = check_plots_dir(args.plots)
    result = scaling_experiment(
        table.X,
        y,
        learning_rate=args.lr,
        fraction=args.fraction,
        epochs=args.epochs,
        rtol=args.rtol,
    )
    runs = {"raw": result.raw, "standardized": result.standardized}
    figure: Path | None = None
    note = None
    diverged = [name for name, r in runs.items() if r.diverged_at_epoch is not None]
    if plots_dir is not None:
        if diverged:
            note = f"the {' and '.join(diverged)} run diverged; lower --lr or leave it out"
        else:
            from linreg.viz import plots

            figure = plots_dir / "scaling.png"
            fig = plots.scaling_lab(
                table.X,
                y,
                result.raw.history,
                result.standardized.history,
                raw_stability=result.raw.stability,
                std_stability=result.standardized.stability,
                feature_names=table.feature_names,
            )
            plots.save_figure(fig, figure)

    def facts(r: ScalingRun) -> dict[str, Any]:
        s = r.stability
        return {
            "condition_number": finite(s.condition_number),
            "max_stable_learning_rate": finite(s.max_stable_learning_rate),
            "optimal_learning_rate": finite(s.optimal_learning_rate),
            "lambda_max": s.lambda_max,
            "lambda_min": s.lambda_min,
            "learning_rate": r.learning_rate,
            "status": "stable" if r.diverged_at_epoch is None else "diverged",
            "diverged_at_epoch": r.diverged_at_epoch,
            "epochs_to_converge": r.epochs_to_converge,
            "epochs_to_within_0.1_percent": r.epochs_to_figure_tolerance,
            "final_loss": finite(r.history.final_loss) if r.history.loss.size else None,
        }

    if args.json:
        print_json(
            {
                "raw": facts(result.raw),
                "standardized": {
                    **facts(result.standardized),
                    "mean": result.mean,
                    "std": result.std,
                },
                "optimum_loss": result.optimum_loss,
                "epochs": result.epochs,
                "rtol": result.rtol,
                "learning_rate_rule": "--lr"
                if args.lr is not None
                else f"{args.fraction:g} * own eta_max",
                "figures": [] if figure is None else [figure],
                "note": note,
            }
        )
        return 0

    raw, std = result.raw, result.standardized

    def rate_text(r: ScalingRun) -> str:
        ratio = r.learning_rate / r.stability.max_stable_learning_rate
        return f"{r.learning_rate:.4g} ({ratio:.3g} eta_max)"

    rows: list[list[Any]] = [
        ["condition number kappa", raw.stability.condition_number, std.stability.condition_number],
        ["lambda_max / lambda_min", _lambdas(raw), _lambdas(std)],
        [
            "eta_max = 2 / lambda_max",
            raw.stability.max_stable_learning_rate,
            std.stability.max_stable_learning_rate,
        ],
        ["learning rate used", rate_text(raw), rate_text(std)],
        [
            "epochs to MSE within 0.1%",
            _epochs_text(raw.epochs_to_figure_tolerance, raw, result.epochs),
            _epochs_text(std.epochs_to_figure_tolerance, std, result.epochs),
        ],
        [
            f"epochs to MSE within {result.rtol:g}",
            _epochs_text(raw.epochs_to_converge, raw, result.epochs),
            _epochs_text(std.epochs_to_converge, std, result.epochs),
        ],
        ["final MSE", _final(raw), _final(std)],
    ]
    console = make_console()
    console.print(
        rich_table(
            f"Feature scaling on {table.path}: full-batch GD from W = 0, b = 0",
            ["", "raw features", "standardized features"],
            rows,
        )
    )
    rule = (
        f"both at --lr {args.lr:g}"
        if args.lr is not None
        else f"each at {args.fraction:g} x its own eta_max"
        + (" (= 1 / lambda_max: no direction overshoots)" if args.fraction == 0.5 else "")
    )
    lines = [
        f"{result.epochs} epochs each; least-squares optimum MSE {result.optimum_loss:.6g}; "
        f"learning rates: {rule}; standardized: z = (x - mean) / std",
    ]
    if args.lr is None and args.fraction == 0.5 and std.epochs_to_converge == 1:
        lines.append(
            "kappa = 1: every direction has the same curvature lambda, so one step at "
            "1 / lambda lands on the least-squares optimum"
        )
    lines.append(_figure_note(figure, note))
    for line in filter(None, lines):
        console.print(line, markup=False)
    return 0


def _final(r: ScalingRun) -> float | None:
    stable = r.diverged_at_epoch is None and r.history.loss.size > 0
    return r.history.final_loss if stable else None


def _lambdas(r: ScalingRun) -> str:
    return f"{r.stability.lambda_max:.4g} / {r.stability.lambda_min:.4g}"


# -- registration ----------------------------------------------------------------------------
def register(add: AddCommand) -> None:
    """Add ``compare-optimizers`` and ``scaling`` to the ``linreg`` command."""
    p = add(
        "compare-optimizers",
        cmd_compare_optimizers,
        "Full-batch GD, mini-batch SGD and SGD from the same start on one loss landscape.",
        "linreg compare-optimizers data/train.csv --lr 0.01 --epochs 200 --batch-size 32 "
        "--plots results/",
    )
    p.add_argument("data", help="training CSV")
    add_data_options(p)
    p.add_argument(
        "--lr",
        type=float,
        default=0.01,
        help="learning rate of full-batch GD and mini-batch SGD (default: 0.01)",
    )
    p.add_argument(
        "--sgd-lr",
        type=float,
        help=f"learning rate of SGD with batch 1 (default: min(--lr, {SGD_SAFETY:g} / "
        "max ||[x_i, 1]||^2), a tenth of its stability limit)",
    )
    p.add_argument("--epochs", type=int, default=200, help="passes over the data (default: 200)")
    p.add_argument(
        "--batch-size", type=int, default=32, help="rows per mini-batch update (default: 32)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the SGD shuffles (default: 0)")
    p.add_argument("--plots", help="folder for optimizers.png")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_json(p)

    p = add(
        "scaling",
        cmd_scaling,
        "Why standardizing helps: condition number, eta_max and epochs, raw vs standardized.",
        "linreg scaling data/train.csv --epochs 2000 --plots results/",
    )
    p.add_argument("data", help="training CSV")
    add_data_options(p)
    p.add_argument(
        "--lr",
        type=float,
        help="one learning rate for both (default: each problem at --fraction of its own eta_max)",
    )
    p.add_argument(
        "--fraction",
        type=float,
        default=SCALING_FRACTION,
        help="without --lr, each problem runs at this fraction of its own eta_max (default: "
        f"{SCALING_FRACTION:g}, i.e. 1 / lambda_max, where no direction overshoots)",
    )
    p.add_argument("--epochs", type=int, default=2000, help="epochs of each run (default: 2000)")
    p.add_argument(
        "--rtol",
        type=float,
        default=CONVERGED_RTOL,
        help=f"converged = MSE within this relative distance of the optimum "
        f"(default: {CONVERGED_RTOL:g})",
    )
    p.add_argument("--plots", help="folder for scaling.png")
    add_json(p)
