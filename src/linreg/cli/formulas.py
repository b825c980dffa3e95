"""``--formula`` and ``--missing`` of ``linreg train`` and ``linreg summary``, and the raw
rows of a formula model for ``evaluate`` and ``predict``.

The command only parses and prints: the fit is :func:`linreg.fit_formula`, the reading
:func:`linreg.io.frames.read_frame`, the dropping of rows :mod:`linreg.missing` (its
:class:`~linreg.errors.MissingValuesWarning` prints as ``linreg: warning: dropped 3 of 51
rows with missing values: poverty 3``).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from linreg.cli.common import (
    make_console,
    param_rows,
    parse_names,
    print_json,
    reading_options,
    rich_table,
)
from linreg.cli.safety import check_data_file, check_out_file, check_outputs
from linreg.errors import LinregError
from linreg.estimator import LinearRegression
from linreg.formula import fit_formula, formula_of
from linreg.io.columns import TRUTH_COLUMN, resolve_columns
from linreg.io.frames import read_frame
from linreg.io.persistence import save_model
from linreg.io.tables import Table, file_sha256
from linreg.missing import drop_missing

__all__ = [
    "formula_model",
    "formula_table",
    "summary_formula",
    "table_dropping_missing",
    "train_formula",
]


def _refuse(args: argparse.Namespace, flags: dict[str, str]) -> None:
    for attribute, flag in flags.items():
        if getattr(args, attribute, None) not in (None, False):
            raise LinregError(f"--formula cannot be combined with {flag}")


def formula_model(args: argparse.Namespace, params: dict[str, Any]) -> tuple[Any, Path, Any]:
    """The data frame of ``args.data`` and a model fitted to it by ``args.formula``."""
    _refuse(args, {"features": "--features (the formula names the features)"})
    if getattr(args, "no_intercept", False):
        raise LinregError("--formula cannot be combined with --no-intercept: write '- 1' in it")
    target, lhs = getattr(args, "target", "y"), args.formula.partition("~")[0].strip()
    if target != "y" and "~" in args.formula and target != lhs:  # "y": --target's default
        raise LinregError(
            f"--target {target!r} is not the formula's target {lhs!r}; "
            "the formula names the target, leave --target out"
        )
    check_data_file(args.data, "the data file")
    path = Path(args.data)
    frame = read_frame(path, **reading_options(args, path))
    weights = None
    weight = getattr(args, "sample_weight", None)
    if weight is not None:
        if weight not in frame.columns:
            raise LinregError(f"{path}: no weight column {weight!r}; name the column of weights")
        weights = frame[weight].to_numpy()
    try:
        model = fit_formula(
            args.formula,
            frame,
            missing=args.missing,
            sample_weight=weights,
            context={},
            **params,
        )
    except LinregError as exc:
        raise LinregError(f"{path}: {exc}") from None
    return model, path, frame


def train_formula(args: argparse.Namespace, model_params: dict[str, Any]) -> int:
    """``linreg train DATA --formula F``: fit, save the model with its formula, print."""
    _refuse(
        args,
        {
            "stream": "--stream",
            "dask": "--dask",
            "val": "--val",
            "plots": "--plots",
            "grad_check": "--grad-check",
        },
    )
    out = check_out_file(args.out, "--out", "the model")
    check_outputs([args.data], files=[(out, "--out")])
    params = {k: v for k, v in model_params.items() if k != "fit_intercept"}
    model, path, _ = formula_model(args, params)
    design = formula_of(model)
    assert design is not None
    save_model(
        model,
        out,
        feature_names=list(design.columns),
        target_name=design.target,
        data_sha256=file_sha256(path),
        extra={"training_file": str(path)},
    )
    result = {
        "formula": design.formula,
        "coef": model.coef_,
        "intercept": model.intercept_,
        "feature_names": list(design.columns),
        "target": design.target,
        "final_loss": model.history_.final_loss,
        "epochs_run": model.n_iter_,
        "stop_reason": model.stop_reason_,
        "model": out,
    }
    if args.json:
        print_json(result)
        return 0
    console = make_console()
    rows = param_rows(list(design.columns), model.coef_, model.intercept_)
    console.print(rich_table(f"Parameters of {design.formula}", ["parameter", "learned"], rows))
    console.print(
        f"solver {model.solver}, stop reason {model.stop_reason_}, final training MSE "
        f"{model.history_.final_loss:.6g}; model written to {out}"
    )
    return 0


def summary_formula(args: argparse.Namespace) -> int:
    """``linreg summary DATA --formula F``: the inference table of the exact fit."""
    cov_type, group_column = getattr(args, "cov_type", "nonrobust"), getattr(args, "groups", None)
    if (cov_type == "cluster") != (group_column is not None):
        raise LinregError("--cov-type cluster and --groups COLUMN go together: give both")
    model, path, frame = formula_model(args, {"solver": "exact"})
    design = formula_of(model)
    assert design is not None
    groups = None
    if group_column is not None:
        if group_column not in frame.columns:
            raise LinregError(f"{path}: no column {group_column!r} for --groups")
        labels = frame[group_column]
        if getattr(args, "missing", "raise") == "drop":
            # The rows the fit kept: those with a value in every column the formula reads
            # (linreg.missing.drop_missing's rule), in their order.
            read = [c for c in (*design.target_variables, *design.variables) if c in frame]
            labels = labels[~frame[list(dict.fromkeys(read))].isna().any(axis=1).to_numpy()]
        if labels.isna().any():
            raise LinregError(
                f"{path}: column {group_column!r} has an empty cell; every row needs a "
                "cluster label"
            )
        groups = labels.astype(str).to_numpy()
    try:
        inference = model.inference(cov_type=cov_type, groups=groups)
    except LinregError as exc:
        raise LinregError(f"{path}: {exc}") from None
    inference = dataclasses.replace(inference, target_name=design.target)
    if args.json:
        print_json(inference.to_dict(args.alpha))
    else:
        print(inference.summary(args.alpha))
    return 0


def formula_table(
    model: LinearRegression,
    data: str,
    *,
    require_target: bool,
    options: dict[str, Any] | None = None,
) -> Table | None:
    """The rows of ``data`` encoded by the formula of ``model`` (None for other models).

    ``Table.X`` is the design, ``Table.y`` the formula's target (None when its columns
    are absent and ``require_target`` is False). ``options``: how to read the file
    (:func:`linreg.cli.common.reading_options`).
    """
    design = formula_of(model)
    if design is None:
        return None
    path = Path(data)
    frame = read_frame(path, **(options or {}))
    X = design.design(frame, name=str(path))
    y = None
    if require_target or all(c in frame.columns for c in design.target_variables):
        y = design.target_values(frame, name=str(path))
    return Table(
        X=X,
        y=y,
        y_true=None,
        feature_names=list(design.columns),
        target_name=design.target,
        path=path,
    )


def table_dropping_missing(
    path: str,
    *,
    target: str,
    features: str | None,
    sample_weight: str | None,
    options: dict[str, Any] | None = None,
) -> Table:
    """A training file read whole, rows with a missing value in a column used dropped
    (``--missing drop`` without a formula); the columns by linreg's rules. ``options``:
    how to read the file (:func:`linreg.cli.common.reading_options`)."""
    frame = read_frame(path, **(options or {}))
    numeric = {c for c in frame.columns if frame[c].dtype.kind == "f"}
    names = resolve_columns(
        str(path),
        [str(c) for c in frame.columns],
        numeric.__contains__,
        target=target,
        features=parse_names(features),
        weight=sample_weight,
    )
    used = [*names, target, *([] if sample_weight is None else [sample_weight])]
    text = [c for c in used if c not in numeric]
    if text:
        raise LinregError(
            f"{path}: column {text[0]!r} holds text, not numbers; use it as categories "
            f'with --formula "{target} ~ ... + C({text[0]})", or fix its cells'
        )
    frame, _, _ = drop_missing(frame, used, missing="drop", name=str(path), stacklevel=2)
    w = None if sample_weight is None else frame[sample_weight].to_numpy(dtype=np.float64)
    return Table(
        X=frame[names].to_numpy(dtype=np.float64),
        y=frame[target].to_numpy(dtype=np.float64),
        y_true=frame[TRUTH_COLUMN].to_numpy(dtype=np.float64)
        if TRUTH_COLUMN in frame.columns and frame[TRUTH_COLUMN].dtype.kind == "f"
        else None,
        feature_names=names,
        target_name=target,
        path=Path(path),
        w=w,
        weight_name=sample_weight,
    )
