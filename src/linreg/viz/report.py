"""A trained model's report: one self-contained HTML page to open, print or share.

``linreg report model.json data.csv --out report.html`` (:mod:`linreg.cli.report`)
writes a single file that needs nothing else: the figures are embedded as
base64 PNG and GIF data URIs, the styles are inline, there is no script, no
web font and no link to the network. It holds

- a summary of the data (rows, features, target statistics) and whether it is
  the file the model was trained on (by SHA-256);
- the hyperparameters, the stop reason and the training MSE;
- the learned parameters next to the closed-form least-squares optimum on this
  data and, when the model file has them (``extra.truth``), the true ones;
- MSE, RMSE, MAE and R^2 of the untrained, trained and closed-form models;
- the stability numbers: eta_max = 2 / lambda_max and the condition number;
- the figures of :mod:`linreg.viz.plots`, drawn from this model and this data: raw
  data, loss curve, fit, untrained vs trained, residuals, R's four residual plots
  (:mod:`linreg.viz.diagnostic_plots`; least-squares fits only), true vs learned, the
  loss landscape with the saved training path, and the training animation.

:func:`write_report` is the library entry point, :func:`report_from_files` the
one-call version for ``linreg demo``. Every text is escaped with
:func:`html.escape`, and the page is written atomically (:func:`linreg.io.tables.atomic_write`).
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.estimator import LinearRegression
from linreg.io.persistence import load_model
from linreg.io.tables import Table, atomic_write, file_sha256, read_table
from linreg.stability import stability
from linreg.viz.report_figures import EmbeddedFigure, report_figures
from linreg.viz.summaries import closed_form, evaluate_metrics, finite, gap_text

__all__ = [
    "Report",
    "fmt",
    "load_model_and_data",
    "render_report",
    "report_facts",
    "report_from_files",
    "save_page",
    "write_report",
]

Array = NDArray[np.float64]


#: Feature rows shown in the data table; wider data are summarised.
_MAX_FEATURE_ROWS = 50

_METRIC_LABELS = {"mse": "MSE", "rmse": "RMSE", "mae": "MAE", "r2": "R²"}

_STOP_REASONS = {
    "max_epochs": "ran all the epochs it was given (no early stop)",
    "converged": "stopped early: the relative change of the loss between two epochs fell below tol",
    "closed_form": "solved exactly by closed-form least squares (no training steps)",
}


def fmt(value: Any) -> str:
    """How the report writes a value: numbers with 6 significant digits, None as a dash.

    Parameters
    ----------
    value : Any

    Returns
    -------
    str
        ``f"{value:.6g}"`` for floats (the form tests and readers can look for),
        ``"∞"``/``"NaN"`` for non-finite ones, ``str(value)`` otherwise.
    """
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        return f"{v:.6g}"
    return str(value)


# -- the facts ---------------------------------------------------------------------------------
def _stats(values: Array) -> dict[str, float]:
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values)),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }


def _truth(content: dict[str, Any], d: int) -> dict[str, Any] | None:
    truth = content.get("extra", {}).get("truth")
    if not isinstance(truth, dict):
        return None
    try:
        weights = [float(w) for w in truth["weights"]]
        bias = float(truth["bias"])
    except (KeyError, TypeError, ValueError):
        return None
    return {"weights": weights, "bias": bias} if len(weights) == d else None


def report_facts(model: LinearRegression, content: dict[str, Any], table: Table) -> dict[str, Any]:
    """Every number the report shows, as a JSON-ready dict.

    Parameters
    ----------
    model : LinearRegression
        A fitted model, e.g. from :func:`linreg.io.persistence.load_model`.
    content : dict
        The model file's content (names, hyperparameters, training, extra).
    table : Table
        The data to report on; it needs the target column.

    Returns
    -------
    dict
        Keys ``data``, ``training``, ``hyperparameters``, ``parameters``,
        ``metrics``, ``stability``.
    """
    if table.y is None:
        raise LinregError(f"{table.path}: no target column {table.target_name!r}")
    X, y = table.X, table.y
    n, d = X.shape
    coef = np.asarray(model.coef_, dtype=np.float64)
    if coef.shape != (d,):
        raise LinregError(f"{table.path}: the model has {coef.shape[0]} weights but {d} features")
    intercept = float(model.intercept_)
    fit_intercept = bool(model.fit_intercept)
    history = model.history_
    training = content.get("training", {})
    params = content.get("hyperparameters", {})

    recorded = training.get("data_sha256")
    same = None if recorded is None else recorded == file_sha256(table.path)
    names = [str(n_) for n_ in content.get("feature_names", table.feature_names)]

    optimum = closed_form(X, y, fit_intercept)
    truth = _truth(content, d)
    y_pred = X @ coef + intercept
    untrained = X @ history.W[0] + float(history.b[0])
    metrics = {
        "trained": evaluate_metrics(y, y_pred),
        "untrained": evaluate_metrics(y, untrained),
        "closed_form": evaluate_metrics(y, optimum.predict(X)),
        "ground_truth": None if table.y_true is None else evaluate_metrics(y, table.y_true),
    }

    stored = (training.get("max_stable_learning_rate"), training.get("condition_number"))
    standardized = bool(params.get("standardize", False))
    if stored[0] is not None and stored[1] is not None:
        eta_max, kappa = float(stored[0]), float(stored[1])
        source = "model file (the data it was trained on" + (
            ", standardized)" if standardized else ")"
        )
    else:
        data = X
        if standardized:
            std = X.std(axis=0)
            data = (X - X.mean(axis=0)) / np.where(std == 0.0, 1.0, std)
        stab = stability(data, fit_intercept=fit_intercept)
        eta_max, kappa = stab.max_stable_learning_rate, stab.condition_number
        source = "computed from this data" + (" (standardized)" if standardized else "")
    solver = str(params.get("solver", "gd"))
    rate = params.get("learning_rate")
    ratio = None
    if solver != "exact" and isinstance(rate, (int, float)) and math.isfinite(eta_max):
        ratio = float(rate) / eta_max

    reason = str(model.stop_reason_)
    explanation = _STOP_REASONS.get(reason, "")
    if reason == "converged" and params.get("tol") is not None:
        explanation += f" = {fmt(params['tol'])}"
    if reason == "max_epochs":
        explanation = f"ran all {fmt(params.get('epochs'))} epochs it was given (no early stop)"

    return {
        "data": {
            "file": str(table.path),
            "rows": n,
            "features": d,
            "feature_names": names,
            "target_name": table.target_name,
            "feature_stats": {name: _stats(X[:, j]) for j, name in enumerate(names)},
            "target_stats": _stats(y),
            "has_y_true": table.y_true is not None,
            "is_training_data": same,
        },
        "training": {
            "solver": solver,
            "epochs_run": int(model.n_iter_),
            "history_entries": int(history.loss.shape[0]),
            "stop_reason": reason,
            "stop_explanation": explanation,
            "final_training_loss": finite(history.final_loss),
            "training_optimum_loss": content.get("extra", {}).get("optimum_loss"),
            "training_rows": training.get("n_samples"),
            "created": content.get("created"),
            "linreg_version": content.get("linreg_version"),
        },
        "hyperparameters": dict(params),
        "parameters": {
            "names": [*names, "intercept"],
            "learned": [*coef.tolist(), intercept],
            "closed_form": [*optimum.coef_.tolist(), float(optimum.intercept_)],
            "true": None if truth is None else [*truth["weights"], truth["bias"]],
            "untrained": [*history.W[0].tolist(), float(history.b[0])],
        },
        "metrics": metrics,
        "stability": {
            "max_stable_learning_rate": finite(eta_max),
            "condition_number": finite(kappa),
            "learning_rate": rate if solver != "exact" else None,
            "learning_rate_over_eta_max": ratio,
            "source": source,
        },
    }


# -- the page ----------------------------------------------------------------------------------
_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1d2330;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
header { border-bottom: 3px solid #0072B2; margin-bottom: 8px; }
h1 { font-size: 1.9rem; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.35rem; margin: 1.6em 0 0.5em; padding-bottom: 0.2em;
  border-bottom: 1px solid #d8dce3; }
h3 { font-size: 1.1rem; margin: 1.2em 0 0.4em; }
p { margin: 0.5em 0; }
.lede { color: #4a5568; }
.equation { font: 1.25rem/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  background: #eef5fb; border-left: 4px solid #0072B2; padding: 8px 14px; margin: 12px 0;
  overflow-wrap: anywhere; }
code, .num { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
nav ul { display: flex; flex-wrap: wrap; gap: 6px 16px; list-style: none; padding: 0;
  margin: 8px 0 0; font-size: 0.95rem; }
nav a { color: #0072B2; text-decoration: none; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr));
  gap: 12px; margin: 16px 0; }
.card { border: 1px solid #d8dce3; border-radius: 8px; padding: 10px 14px; }
.card .label { font-size: 0.85rem; color: #4a5568; }
.card .value { font-size: 1.35rem; font-weight: 600; font-family: ui-monospace,
  "DejaVu Sans Mono", Menlo, Consolas, monospace; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.95rem; }
th, td { padding: 5px 12px; border-bottom: 1px solid #e2e5ea; text-align: right;
  vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f2f5; border-bottom: 2px solid #c9ced6; }
td.num { white-space: nowrap; }
table.kv td, table.kv th { text-align: left; }
td.hl, th.hl { background: #eef5fb; font-weight: 600; }
.note { color: #4a5568; font-size: 0.93rem; }
.ok { color: #00734f; font-weight: 600; }
.warn { color: #b34700; font-weight: 600; }
figure { margin: 18px 0 26px; break-inside: avoid; }
figure img { display: block; margin: 0 auto; max-width: 100%; height: auto;
  border: 1px solid #e2e5ea; }
figcaption { font-size: 0.93rem; color: #4a5568; margin: 6px auto 0; max-width: 760px; }
figcaption strong { color: #1d2330; }
details { margin: 12px 0; }
summary { cursor: pointer; color: #0072B2; }
footer { margin-top: 36px; font-size: 0.85rem; color: #6b7380; }
@media print { body { background: #fff; } main { padding: 0; } nav { display: none; } }
"""


def _e(value: Any) -> str:
    return html.escape(fmt(value), quote=True)


def _table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    kind: str = "grid",
    highlight: int | None = None,
) -> str:
    """An HTML table; ``kind="kv"`` left-aligns the values, ``highlight`` marks a column."""

    def cls(k: int, numeric: bool) -> str:
        names = [n for n, on in (("num", numeric), ("hl", k == highlight)) if on]
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(f"<th{cls(k, False)}>{html.escape(c)}</th>" for k, c in enumerate(columns))
    body = []
    for row in rows:
        cells = []
        for k, value in enumerate(row):
            cells.append(f"<td{cls(k, k >= 1 and not isinstance(value, str))}>{_e(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="{kind}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _equation(facts: dict[str, Any]) -> str:
    """``y = w1·x1 − w2·x2 + b`` with the learned values; long sums are shortened."""
    p = facts["parameters"]
    target = facts["data"]["target_name"]
    values = [float(v) for v in p["learned"]]
    names = [*p["names"][:-1], ""]
    shown = list(range(len(values)))
    if len(values) > 9:
        shown = [*shown[:4], -1, *shown[-3:]]
    text = f"{target} ="
    for position, k in enumerate(shown):
        if k < 0:
            text += f" + … ({len(values) - 7} more terms)"
            continue
        v = values[k]
        term = f"{fmt(abs(v))}·{names[k]}" if names[k] else fmt(abs(v))
        if position == 0:
            text += f" {'−' if v < 0 else ''}{term}"
        else:
            text += f" {'−' if v < 0 else '+'} {term}"
    return text


def _card(label: str, value: Any) -> str:
    return (
        f'<div class="card"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{_e(value)}</div></div>'
    )


def _data_section(facts: dict[str, Any]) -> str:
    data = facts["data"]
    same = data["is_training_data"]
    if same is True:
        origin = (
            'This is <span class="ok">the training data</span> (the same SHA-256 as the '
            "model file records)."
        )
    elif same is False:
        origin = (
            'This is <span class="warn">not the training data</span> (its SHA-256 differs '
            "from the one the model file records): the metrics below are out of sample."
        )
    else:
        origin = (
            "The model file does not record the SHA-256 of its training data, so whether "
            "this is that data cannot be checked."
        )
    rows: list[list[Any]] = []
    stats = data["feature_stats"]
    for name in list(stats)[:_MAX_FEATURE_ROWS]:
        s = stats[name]
        rows.append([f"feature {name}", s["mean"], s["std"], s["min"], s["max"]])
    t = data["target_stats"]
    rows.append([f"target {data['target_name']}", t["mean"], t["std"], t["min"], t["max"]])
    more = len(stats) - _MAX_FEATURE_ROWS
    extra = f'<p class="note">…and {more} more features.</p>' if more > 0 else ""
    truth_note = (
        '<p class="note">The file also has a noise-free <code>y_true</code> column, the '
        "ground truth of the comparisons below.</p>"
        if data["has_y_true"]
        else ""
    )
    return (
        '<section id="data"><h2>1. The data</h2>'
        f"<p><code>{html.escape(data['file'])}</code>: {_e(data['rows'])} rows, "
        f"{_e(data['features'])} feature(s), target <code>{html.escape(data['target_name'])}"
        f"</code>. {origin}</p>"
        + _table(["column", "mean", "std", "min", "max"], rows)
        + extra
        + truth_note
        + "</section>"
    )


def _training_section(facts: dict[str, Any]) -> str:
    tr = facts["training"]
    hp = facts["hyperparameters"]
    rows = [
        ["solver", tr["solver"]],
        ["epochs run", tr["epochs_run"]],
        ["stop reason", f"{tr['stop_reason']}: {tr['stop_explanation']}"],
        ["final training MSE", tr["final_training_loss"]],
        ["least-squares MSE on the training data", tr["training_optimum_loss"]],
        ["training rows", tr["training_rows"]],
    ]
    hp_rows = [[name, value] for name, value in hp.items()]
    return (
        '<section id="training"><h2>2. Training</h2>'
        + _table(["", "value"], rows, kind="kv")
        + "<h3>Hyperparameters</h3>"
        + _table(["hyperparameter", "value"], hp_rows, kind="kv")
        + "</section>"
    )


def _parameters_section(facts: dict[str, Any]) -> str:
    p = facts["parameters"]
    has_truth = p["true"] is not None
    columns = ["parameter", "untrained (epoch 0)", "learned", "closed-form optimum"]
    if has_truth:
        columns.append("true")
    columns.append("learned − optimum")
    rows = []
    for k, name in enumerate(p["names"]):
        label = "b (intercept)" if k == len(p["names"]) - 1 else f"W[{name}]"
        row: list[Any] = [label, p["untrained"][k], p["learned"][k], p["closed_form"][k]]
        if has_truth:
            row.append(p["true"][k])
        row.append(p["learned"][k] - p["closed_form"][k])
        rows.append(row)
    exact = _table(
        ["parameter", "learned (exact, round-trips)"],
        [[n, repr(float(v))] for n, v in zip(p["names"], p["learned"], strict=True)],
    )
    truth_note = (
        "The true values come from the model file (<code>extra.truth</code>)."
        if has_truth
        else "The model file records no true parameters."
    )
    return (
        '<section id="parameters"><h2>3. Parameters</h2>'
        "<p>The learned weights and bias next to the closed-form least-squares solution on "
        f"this data, the best any linear model can do on it. {truth_note}</p>"
        + _table(columns, rows, highlight=2)
        + f"<details><summary>Exact learned values</summary>{exact}</details>"
        + "</section>"
    )


def _metrics_section(facts: dict[str, Any]) -> str:
    m = facts["metrics"]
    columns = ["metric", "untrained", "trained", "closed-form optimum"]
    if m["ground_truth"] is not None:
        columns.append("y_true (noise only)")
    rows = []
    for key in ("mse", "rmse", "mae", "r2"):
        row = [_METRIC_LABELS[key], m["untrained"][key], m["trained"][key], m["closed_form"][key]]
        if m["ground_truth"] is not None:
            row.append(m["ground_truth"][key])
        rows.append(row)
    return (
        '<section id="metrics"><h2>4. Metrics on this data</h2>'
        + _table(columns, rows, highlight=2)
        + '<p class="note">Optimization gap: trained MSE − optimum MSE = '
        + html.escape(gap_text(m["trained"]["mse"], m["closed_form"]["mse"]))
        + ". "
        "MSE and RMSE are in target units (squared for MSE); R² is the share of the "
        "target's variance the model explains.</p></section>"
    )


def held_out_facts(model: LinearRegression, table: Table) -> dict[str, Any]:
    """The metrics of ``model`` on held-out data (a test set), as the demo prints them.

    Returns ``{"file", "rows", "untrained", "trained", "ground_truth"}``: the metrics of
    :func:`linreg.viz.summaries.evaluate_metrics` for the start of training (epoch 0), the
    trained model and, when the data have it, the noise-free ``y_true``.
    """
    if table.y is None:
        raise LinregError(f"{table.path}: no target column {table.target_name!r}")
    history = model.history_
    start = table.X @ history.W[0] + float(history.b[0])
    return {
        "file": str(table.path),
        "rows": int(table.X.shape[0]),
        "untrained": evaluate_metrics(table.y, start),
        "trained": evaluate_metrics(table.y, model.predict(table.X)),
        "ground_truth": None if table.y_true is None else evaluate_metrics(table.y, table.y_true),
    }


def _held_out_section(held: dict[str, Any] | None) -> str:
    if held is None:
        return ""
    columns = ["metric", "untrained", "trained"]
    if held["ground_truth"] is not None:
        columns.append("y_true (noise only)")
    rows = []
    for key in ("mse", "rmse", "mae", "r2"):
        row = [_METRIC_LABELS[key], held["untrained"][key], held["trained"][key]]
        if held["ground_truth"] is not None:
            row.append(held["ground_truth"][key])
        rows.append(row)
    return (
        '<section id="held-out"><h2>4b. Metrics on held-out data</h2>'
        f"<p>The same model on <code>{html.escape(held['file'])}</code> ({_e(held['rows'])} "
        "rows it was not trained on): how well it generalizes.</p>"
        + _table(columns, rows, highlight=2)
        + "</section>"
    )


def _stability_section(facts: dict[str, Any]) -> str:
    s = facts["stability"]
    rows: list[list[Any]] = [
        ["η_max = 2 / λ_max (largest stable learning rate)", s["max_stable_learning_rate"]],
        ["condition number κ = λ_max / λ_min", s["condition_number"]],
    ]
    if s["learning_rate"] is not None:
        rows.append(["learning rate used", s["learning_rate"]])
        rows.append(["learning rate / η_max", s["learning_rate_over_eta_max"]])
    return (
        '<section id="stability"><h2>5. Stability</h2>'
        "<p>Gradient descent multiplies the error along each eigenvector of the Hessian by "
        "(1 − η λ): it diverges for η > η_max = 2 / λ_max (at η = η_max exactly, that error "
        "along the steepest direction flips sign every epoch and never shrinks), and the "
        "condition number κ says "
        "how many times slower the flattest direction converges than the steepest. "
        "Standardizing the features brings κ towards 1.</p>"
        + _table(["", "value"], rows, kind="kv")
        + f'<p class="note">Source: {html.escape(s["source"])}.</p></section>'
    )


def _figures_section(figures: Sequence[EmbeddedFigure]) -> str:
    parts = ['<section id="figures"><h2>6. Figures</h2>']
    for k, f in enumerate(figures, start=1):
        uri = f"data:{f.mime};base64,{base64.b64encode(f.data).decode('ascii')}"
        width, height = f.size  # known before decoding: the layout never jumps
        parts.append(
            f'<figure id="fig-{html.escape(f.key)}"><img src="{uri}" '
            f'width="{width}" height="{height}" alt="{html.escape(f.title)}">'
            f"<figcaption><strong>Figure {k}. {html.escape(f.title)}.</strong> "
            f"{html.escape(f.caption)}</figcaption></figure>"
        )
    parts.append("</section>")
    return "".join(parts)


@dataclass(frozen=True)
class Report:
    """A rendered report.

    Attributes
    ----------
    html : str
        The whole page.
    facts : dict
        The numbers shown (see :func:`report_facts`).
    figures : list of str
        Keys of the embedded figures, in page order.
    """

    html: str
    facts: dict[str, Any]
    figures: list[str] = field(default_factory=list)


def render_report(
    model: LinearRegression,
    content: dict[str, Any],
    table: Table,
    *,
    model_path: str | os.PathLike[str] | None = None,
    animate: bool = True,
    title: str | None = None,
    held_out: Table | None = None,
    extra_figures: Sequence[EmbeddedFigure] = (),
) -> Report:
    """Build the report page in memory (nothing is written).

    Parameters
    ----------
    model : LinearRegression
        Fitted, with its ``history_`` (as :func:`linreg.io.persistence.load_model` gives).
    content : dict
        The model file's content.
    table : Table
        The data, with the model's feature columns and its target.
    model_path : path-like, optional
        Named on the page.
    animate : bool, default=True
        Embed the training GIF (when the history has two or more entries).
    title : str, optional
        Page title; default "Linear regression report".
    held_out : Table, optional
        Data the model was not trained on (a test set): its metrics get a section
        ``held-out``, and ``facts["held_out"]`` (see :func:`held_out_facts`).
    extra_figures : sequence of EmbeddedFigure, optional
        Figures drawn elsewhere (``linreg demo``'s learning-rate sweep), after the others.

    Returns
    -------
    Report
    """
    facts = report_facts(model, content, table)
    facts["held_out"] = None if held_out is None else held_out_facts(model, held_out)
    figures = report_figures(model, table, facts["parameters"]["true"], animate=animate)
    figures = [*figures, *extra_figures]
    heading = title or "Linear regression report"
    m, tr = facts["metrics"]["trained"], facts["training"]
    source = "" if model_path is None else f"model <code>{html.escape(str(model_path))}</code> on "
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    cards = "".join(
        [
            _card("R² on this data", m["r2"]),
            _card("RMSE on this data", m["rmse"]),
            _card("epochs run", tr["epochs_run"]),
            _card("stop reason", tr["stop_reason"]),
        ]
    )
    sections = [
        ("data", "Data"),
        ("training", "Training"),
        ("parameters", "Parameters"),
        ("metrics", "Metrics"),
        ("held-out", "Held-out data"),
        ("stability", "Stability"),
        ("figures", "Figures"),
    ]
    if facts["held_out"] is None:  # no such section: no link to it
        sections.remove(("held-out", "Held-out data"))
    nav = "".join(f'<li><a href="#{key}">{html.escape(label)}</a></li>' for key, label in sections)
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="linreg">'
        f"<title>{html.escape(heading)}</title><style>{_CSS}</style></head>\n"
        "<body><main>"
        f"<header><h1>{html.escape(heading)}</h1>"
        f'<p class="lede">{source}<code>{html.escape(facts["data"]["file"])}</code>, '
        f"trained with {html.escape(tr['solver'])}.</p>"
        f'<p class="equation" id="equation">{html.escape(_equation(facts))}</p>'
        f"<nav><ul>{nav}</ul></nav></header>"
        f'<div class="cards">{cards}</div>'
        + _data_section(facts)
        + _training_section(facts)
        + _parameters_section(facts)
        + _metrics_section(facts)
        + _held_out_section(facts["held_out"])
        + _stability_section(facts)
        + _figures_section(figures)
        + "<footer>Written by linreg "
        f"{html.escape(fmt(tr['linreg_version'] or ''))} on {html.escape(now)}; the model file "
        f"was created {html.escape(fmt(tr['created']))}. Self-contained: every figure is "
        "embedded in this file.</footer>"
        "</main></body></html>\n"
    )
    return Report(html=page, facts=facts, figures=[f.key for f in figures])


def save_page(path: Path, page: str) -> Path:
    with atomic_write(path) as handle:
        handle.write(page)
    return path


def write_report(
    path: str | os.PathLike[str],
    model: LinearRegression,
    content: dict[str, Any],
    table: Table,
    *,
    model_path: str | os.PathLike[str] | None = None,
    animate: bool = True,
    title: str | None = None,
    held_out: Table | None = None,
    extra_figures: Sequence[EmbeddedFigure] = (),
) -> Path:
    """Render the report and write it to ``path`` atomically.

    Parameters are those of :func:`render_report`; ``path`` is the HTML file to
    write (its folder is created). The page is built completely before anything
    is written, and written to a temporary file renamed over ``path``, so a
    failure never leaves a partial page.

    Returns
    -------
    Path
        ``path``.
    """
    report = render_report(
        model,
        content,
        table,
        model_path=model_path,
        animate=animate,
        title=title,
        held_out=held_out,
        extra_figures=extra_figures,
    )
    return save_page(Path(path), report.html)


def load_model_and_data(
    model_path: str | os.PathLike[str], data_path: str | os.PathLike[str], **reading: Any
) -> tuple[LinearRegression, dict[str, Any], Table]:
    """A model file and the data file it is reported on (``reading``: how to read it,
    :func:`linreg.io.tables.read_table`'s ``delimiter``, ``decimal`` and ``sheet``)."""
    model, content = load_model(model_path)
    table = read_table(
        data_path,
        target=content["target_name"],
        features=content["feature_names"],
        **reading,
    )
    return model, content, table


def report_from_files(
    model_path: str | os.PathLike[str],
    data_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    animate: bool = True,
    title: str | None = None,
    held_out_path: str | os.PathLike[str] | None = None,
    extra_figures: Sequence[EmbeddedFigure] = (),
) -> Path:
    """Read a model file and a CSV and write their report to ``out`` (for ``linreg demo``).

    Parameters
    ----------
    model_path : path-like
        A model file written by ``linreg train`` or :func:`linreg.io.persistence.save_model`.
    data_path : path-like
        A CSV with the model's feature columns and its target.
    out : path-like
        The HTML file to write.
    animate, title, extra_figures
        As for :func:`render_report`.
    held_out_path : path-like, optional
        A CSV the model was not trained on, read like ``data_path``: its metrics are shown.

    Returns
    -------
    Path
        ``out``.
    """
    model, content, table = load_model_and_data(model_path, data_path)
    held_out = None
    if held_out_path is not None:
        held_out = load_model_and_data(model_path, held_out_path)[2]
    return write_report(
        out,
        model,
        content,
        table,
        model_path=model_path,
        animate=animate,
        title=title,
        held_out=held_out,
        extra_figures=extra_figures,
    )
