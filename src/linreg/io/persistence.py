"""Model files: a trained model saved as JSON, never pickle.

A model file holds everything needed to use and to audit a model: W and b, the
feature and target names, the hyperparameters and seed, the SHA-256 of the
training data, the loss history, why training stopped, the package version and
a format version. JSON cannot run code when loaded, and Python writes floats in
their shortest exact form, so W and b survive a round trip bit for bit.

Loading checks every field and names the one that is wrong; what may be in each is
listed, and checked, in one place, :mod:`linreg.io.model_schema`, which saving uses too:
a file linreg writes always loads. A model file may be at most
:data:`MAX_MODEL_FILE_BYTES` (64 MiB) long, its history at most
:data:`MAX_HISTORY_ENTRIES` entries; saving thins a longer history to fit (every
entry up to some epoch, then log-spaced ones up to the last), and a thinned history
says which epochs it kept in ``history.epoch``.

A model fitted by a formula (:func:`linreg.fit_formula`) also keeps its design in the
optional field ``formula`` (the formula, the levels of its categorical terms, the state
of its stateful transforms), so that the loaded model encodes raw rows as in training.
A linreg that does not know the field loads such a file as a model whose features are
the design's columns.

Format 2 added the penalty ``alpha`` to the hyperparameters and
``training.weighted`` (whether the rows were weighted: true, false, or null when
not known). Files of format 1, written before, still load, as unpenalized models
(``alpha = 0``) whose weighting is not known; a linreg that reads format 1 only
says to upgrade when given a format-2 file rather than calling ``alpha`` corrupt.

Format 3 added ``inference``: the O(p^2) sums of the training data that nonrobust
inference needs (:mod:`linreg.stats.pieces`), or null (weighted or penalized fits),
so that ``inference()`` and ``summary()`` work on a loaded model without its data.
Files of formats 1 and 2 load without them (then X and y are needed again).
"""

from __future__ import annotations

import json
import math
import os
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError, ModelFileError
from linreg.estimator import LinearRegression
from linreg.history import History
from linreg.io.model_schema import (
    FORMAT,
    FORMAT_VERSION,
    MAX_HISTORY_ENTRIES,
    MAX_MODEL_FILE_BYTES,
    Fail,
    check_content,
    parse_model_json,
)
from linreg.io.tables import atomic_write
from linreg.validation import DataWarning

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_HISTORY_ENTRIES",
    "MAX_MODEL_FILE_BYTES",
    "load_model",
    "model_to_dict",
    "save_model",
]


def model_to_dict(
    model: LinearRegression,
    *,
    feature_names: list[str] | None = None,
    target_name: str = "y",
    data_sha256: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON-ready content of a model file.

    Parameters
    ----------
    model : LinearRegression
        A fitted model.
    feature_names : list of str, optional
        Defaults to the model's ``feature_names_in_``, else ``x1..xd`` (``X`` for one).
    target_name : str, default="y"
    data_sha256 : str, optional
        SHA-256 of the training data (e.g. of the training CSV file).
    extra : dict, optional
        Further JSON-ready facts to keep (e.g. the true parameters, the optimum loss).
    """
    from linreg import __version__
    from linreg.data import default_feature_names

    model._check_fitted()
    d = int(model.n_features_in_)
    if feature_names is None:
        names = getattr(model, "feature_names_in_", None)
        feature_names = default_feature_names(d) if names is None else [str(n) for n in names]
    stab = model.stability_
    design = getattr(model, "formula_", None)
    formula = {} if design is None else {"formula": design.to_dict()}
    if design is not None and target_name == "y":
        target_name = design.target
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "linreg_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "estimator": type(model).__name__,
        "coef": [float(w) for w in model.coef_],
        "intercept": float(model.intercept_),
        "feature_names": list(feature_names),
        "target_name": target_name,
        # NumPy scalars are valid hyperparameters but not JSON: write their Python value.
        "hyperparameters": {
            k: v.item() if isinstance(v, np.generic) else v for k, v in model.get_params().items()
        },
        "training": {
            "n_samples": int(model._y_fit.shape[0]) if hasattr(model, "_y_fit") else None,
            "weighted": getattr(model, "weighted_", None),
            "data_sha256": data_sha256,
            "n_iter": int(model.n_iter_),
            "n_steps": None if model.n_steps_ is None else int(model.n_steps_),
            "stop_reason": model.stop_reason_,
            "best_epoch": getattr(model, "best_epoch_", None),
            "final_loss": _finite_or_none(model.history_.final_loss),  # null: it overflowed
            "max_stable_learning_rate": None
            if stab is None
            else _finite_or_none(stab.max_stable_learning_rate),
            "condition_number": None if stab is None else _finite_or_none(stab.condition_number),
        },
        "history": model.history_.to_dict(),
        "extra": extra or {},
        "inference": _inference_field(model),
        **formula,
    }


def _inference_field(model: LinearRegression) -> dict[str, object] | None:
    """The sums nonrobust inference needs (format 3), so that a loaded model has a summary."""
    pieces = model.inference_pieces()
    return None if pieces is None else pieces.to_dict()


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def save_model(model: LinearRegression, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write ``model`` to ``path`` as JSON, atomically; see :func:`model_to_dict` for kwargs.

    What is written is checked as loading checks it (:func:`linreg.io.model_schema.check_content`),
    so a saved file always loads; on failure nothing is written and an existing file is kept.
    A history too long for the caps (more than :data:`MAX_HISTORY_ENTRIES` entries, or a
    file over :data:`MAX_MODEL_FILE_BYTES`, as a wide model trained for many epochs
    makes) is thinned in the file: every entry up to some epoch, then log-spaced ones up
    to the last, as many as fit; ``history.epoch`` says which epochs were kept.

    Raises
    ------
    LinregError
        The model cannot make a valid model file, naming the field (e.g. a feature named
        twice, a non-finite loss), or not one under :data:`MAX_MODEL_FILE_BYTES` even with
        its history thinned to two entries.
    TypeError
        ``extra`` holds a value that is not JSON.
    """
    content = model_to_dict(model, **kwargs)
    target = Path(path)
    history = content.pop("history")
    # Plain JSON types, as loading sees them (NumPy scalars in extra, tuples, str subclasses);
    # the history is plain already (lists of floats from NumPy's tolist).
    content = {**json.loads(json.dumps(content)), "history": history}
    if len(history["loss"]) > MAX_HISTORY_ENTRIES:
        history = _select(history, _kept(len(history["loss"]), MAX_HISTORY_ENTRIES))
        content["history"] = history
    check_content(content, Fail(str(target), saving=True))
    # Every entry is written once; thinning to fit the size cap picks among the pieces.
    n = len(history["loss"])
    pieces = {
        key: [json.dumps(v, allow_nan=False) for v in value]
        for key, value in history.items()
        if isinstance(value, list) and len(value) == n
    }
    # Bytes of each entry (its pieces, their separators, an epoch number), an upper bound.
    cost = sum((np.array([len(p) for p in ps]) + 2 for ps in pieces.values()), np.zeros(n)) + 9
    fixed = len(_dumps({**content, "history": _written(history, pieces, [])}))
    budget = MAX_MODEL_FILE_BYTES - fixed
    kept = list(range(n))
    while True:
        size = float(cost[kept].sum())
        if size <= budget:
            text = _dumps({**content, "history": _written(history, pieces, kept)})
            if len(text) <= MAX_MODEL_FILE_BYTES:
                break
            budget -= len(text) - MAX_MODEL_FILE_BYTES  # never so far: ask for less
            continue
        keep = int(len(kept) * budget / size)
        if len(kept) <= 2 or keep < 2:
            raise LinregError(
                f"{target}: cannot save this model: the model file would be "
                f"{_size(int(fixed + size))}, more than the {_size(MAX_MODEL_FILE_BYTES)} a "
                "model file may be (MAX_MODEL_FILE_BYTES in linreg.io.model_schema), even with "
                "the history thinned to its first and last entries"
            )
        kept = _kept(n, min(keep, len(kept) - 1))
    with atomic_write(target) as handle:
        handle.write(text)
    return target


class _Written(str):
    """JSON text already written, put in place as it is by :func:`_dumps`."""


def _dumps(content: dict[str, Any]) -> str:
    """The file's text: one field a line, two levels deep, each value compact JSON.

    Compact values go through the JSON module's C encoder (``indent`` would take its
    pure-Python one, several times slower on a long history); floats are written in
    their shortest exact form either way. ASCII only, so its length is its size in bytes.
    """

    def layout(value: Any, depth: int) -> str:
        if isinstance(value, _Written):
            return str(value)
        if isinstance(value, dict) and value and depth < 2:
            pad = " " * (depth + 1)
            fields = ",\n".join(
                f"{pad}{json.dumps(key)}: {layout(item, depth + 1)}" for key, item in value.items()
            )
            return "{\n" + fields + "\n" + " " * depth + "}"
        return json.dumps(value, allow_nan=False)

    return layout(content, 0) + "\n"


def _kept(n: int, keep: int) -> list[int]:
    """Indices of at most ``keep`` >= 2 of n entries: every one up to some m, then
    log-spaced ones up to the last, m the smallest for which these are ``keep`` distinct."""
    if keep >= n:
        return list(range(n))
    if keep <= 2:
        return [0, n - 1]

    def tail(m: int) -> NDArray[np.int64]:
        return np.unique(np.rint(np.geomspace(m, n - 1, keep - m)).astype(np.int64))

    low, high = 1, keep - 2  # at keep - 2 the tail is [keep - 2, n - 1]: all distinct
    while low < high:
        mid = (low + high) // 2
        if tail(mid).shape[0] == keep - mid:
            high = mid
        else:
            low = mid + 1
    return [*range(low), *tail(low).tolist()]


def _select(history: dict[str, Any], kept: list[int]) -> dict[str, Any]:
    """The entries ``kept`` of a history (as :meth:`History.to_dict` writes it), with
    ``epoch`` holding the epoch of each one."""
    n = len(history["loss"])
    epochs = history.get("epoch", range(n))
    out = {
        key: [value[i] for i in kept] if isinstance(value, list) and len(value) == n else value
        for key, value in history.items()
    }
    out["epoch"] = [int(epochs[i]) for i in kept]
    return out


def _written(
    history: dict[str, Any], pieces: dict[str, list[str]], kept: list[int]
) -> dict[str, Any]:
    """The history's fields as written: the pieces of the entries ``kept``."""
    n = len(history["loss"])
    out: dict[str, Any] = {
        key: _Written("[" + ", ".join(pieces[key][i] for i in kept) + "]")
        if key in pieces
        else value
        for key, value in history.items()
    }
    if len(kept) < n and "epoch" not in history:
        out["epoch"] = kept
    return out


def _size(size: int) -> str:
    if size < 2**20:
        return f"{size:,} bytes"
    return f"{size / 2**20:.1f} MiB" if size % 2**20 else f"{size // 2**20} MiB"


def load_model(path: str | os.PathLike[str]) -> tuple[LinearRegression, dict[str, Any]]:
    """Read a model file written by :func:`save_model`, checking every field.

    The file may be at most :data:`MAX_MODEL_FILE_BYTES` long, and every field must
    have the type, shape and range that :mod:`linreg.io.model_schema` lists; its
    history at most :data:`MAX_HISTORY_ENTRIES` entries.

    Returns
    -------
    model : LinearRegression
        Fitted: ``coef_``, ``intercept_``, ``history_``, ``n_iter_``, ``n_steps_``,
        ``stop_reason_``, ``weighted_`` (None when the file does not say); its
        ``alpha`` is the file's, 0 for files of format 1.
    content : dict
        The whole file (names, hyperparameters, training facts, extras), checked.

    Raises
    ------
    ModelFileError
        Missing, unreadable, too large, corrupt, foreign or newer file, naming the file
        and the field at fault.
    """
    p = Path(path)
    name = str(p)
    if not p.exists():
        raise ModelFileError(f"{name}: model file not found; train one with 'linreg train'")
    if not p.is_file():
        raise ModelFileError(
            f"{name}: model file not found (this is a folder or a device, not a file); "
            "give the model file written by 'linreg train'"
        )
    try:
        size = p.stat().st_size
        raw = b""
        if size <= MAX_MODEL_FILE_BYTES:  # checked before reading, and bounded while reading
            with p.open("rb") as handle:
                raw = handle.read(MAX_MODEL_FILE_BYTES + 1)
    except OSError as exc:
        raise ModelFileError(
            f"{name}: cannot read the model file ({exc.strerror or exc})"
        ) from None
    if max(size, len(raw)) > MAX_MODEL_FILE_BYTES:
        raise ModelFileError(
            f"{name}: the file is {_size(max(size, len(raw)))}, more than the "
            f"{_size(MAX_MODEL_FILE_BYTES)} a model file may be (MAX_MODEL_FILE_BYTES in "
            "linreg.io.model_schema); re-create it with train, which writes no larger file"
        )
    content = parse_model_json(raw, name)
    checked = check_content(content, Fail(name))
    try:
        history = History.from_dict(checked.history)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(
            f"{name}: bad history ({exc}); the model file is corrupt, re-create it with train"
        ) from None

    model = LinearRegression().set_params(**checked.hyperparameters)
    params = checked.hyperparameters
    if (
        int(content["format_version"]) < 3
        and params.get("standardize")
        and float(params.get("alpha", 0.0) or 0.0) > 0.0
    ):
        warnings.warn(
            f"{name}: written by a linreg whose standardize=True left the penalty on W in "
            "the original units; its coefficients minimise that objective, not today's "
            "(the penalty on the standardized weights): refit to get today's",
            DataWarning,
            stacklevel=2,
        )
    model.coef_ = checked.coef
    model.intercept_ = checked.intercept
    model.n_features_in_ = len(checked.coef)
    model.history_ = history
    model.n_iter_ = history.n_epochs if checked.n_iter is None else checked.n_iter
    model.n_steps_ = checked.n_steps
    model.stop_reason_ = checked.stop_reason
    model.best_epoch_ = checked.best_epoch
    model.stability_ = None
    model.weighted_ = checked.weighted
    if checked.inference is not None:
        model.inference_pieces_ = checked.inference
    if checked.formula is not None:  # a model fitted by a formula encodes raw rows
        model.formula_ = checked.formula
        model.feature_names_in_ = np.asarray(checked.feature_names, dtype=object)
    return model, cast(dict[str, Any], content)
