"""Model files: a trained model saved as JSON, never pickle.

A model file holds everything needed to use and to audit a model: W and b, the
feature and target names, the hyperparameters and seed, the SHA-256 of the
training data, the loss history, why training stopped, the package version and
a format version. JSON cannot run code when loaded, and Python writes floats in
their shortest exact form, so W and b survive a round trip bit for bit.

Loading checks every field and names the one that is wrong.

Format 2 added the penalty ``alpha`` to the hyperparameters and
``training.weighted`` (whether the rows were weighted: true, false, or null when
not known). Files of format 1, written before, still load, as unpenalized models
(``alpha = 0``) whose weighting is not known; a linreg that reads format 1 only
says to upgrade when given a format-2 file rather than calling ``alpha`` corrupt.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import numpy as np

from linreg.errors import ModelFileError
from linreg.estimator import LinearRegression
from linreg.history import History
from linreg.io.tables import atomic_write

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "model_to_dict", "save_model"]

FORMAT = "linreg-model"
FORMAT_VERSION = 2


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
            "final_loss": _finite_or_none(model.history_.final_loss),  # null: it overflowed
            "max_stable_learning_rate": None
            if stab is None
            else _finite_or_none(stab.max_stable_learning_rate),
            "condition_number": None if stab is None else _finite_or_none(stab.condition_number),
        },
        "history": model.history_.to_dict(),
        "extra": extra or {},
    }


def _is_count(value: object) -> bool:
    """A JSON whole number >= 0 (``true`` and ``false`` are not)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def save_model(model: LinearRegression, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write ``model`` to ``path`` as JSON, atomically; see :func:`model_to_dict` for kwargs."""
    content = model_to_dict(model, **kwargs)
    target = Path(path)
    with atomic_write(target) as handle:
        json.dump(content, handle, indent=1, allow_nan=False)
        handle.write("\n")
    return target


def _corrupt(name: str, what: str) -> ModelFileError:
    return ModelFileError(f"{name}: {what}; the model file is corrupt, re-create it with train")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def load_model(path: str | os.PathLike[str]) -> tuple[LinearRegression, dict[str, Any]]:
    """Read a model file written by :func:`save_model`.

    Returns
    -------
    model : LinearRegression
        Fitted: ``coef_``, ``intercept_``, ``history_``, ``n_iter_``, ``n_steps_``,
        ``stop_reason_``, ``weighted_`` (None when the file does not say); its
        ``alpha`` is the file's, 0 for files of format 1.
    content : dict
        The whole file (names, hyperparameters, training facts, extras).

    Raises
    ------
    ModelFileError
        Missing, unreadable, corrupt, foreign or newer file, naming what is wrong.
    """
    p = Path(path)
    name = str(p)
    if not p.is_file():
        raise ModelFileError(f"{name}: model file not found; train one with 'linreg train'")
    try:
        content = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ModelFileError(f"{name}: not a linreg model file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{name}: not valid JSON (line {exc.lineno}: {exc.msg}); "
            "the model file is corrupt or truncated, re-create it with train"
        ) from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise ModelFileError(f'{name}: not a linreg model file (no "format": "{FORMAT}")')
    version = content.get("format_version")
    if not isinstance(version, int):
        raise _corrupt(name, "field 'format_version' is missing")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{name}: written by a newer linreg ({content.get('linreg_version')}, file format "
            f"{version}); this linreg reads format {FORMAT_VERSION}: upgrade linreg"
        )
    coef = content.get("coef")
    if not (isinstance(coef, list) and coef and all(_is_number(c) for c in coef)):
        raise _corrupt(name, "field 'coef' must be a non-empty list of finite numbers")
    intercept = content.get("intercept")
    if not _is_number(intercept):
        raise _corrupt(name, "field 'intercept' must be a finite number")
    names = content.get("feature_names")
    if not (
        isinstance(names, list)
        and len(names) == len(coef)
        and all(isinstance(n, str) for n in names)
    ):
        raise _corrupt(name, f"field 'feature_names' must list {len(coef)} names, one per weight")
    if not isinstance(content.get("target_name"), str):
        raise _corrupt(name, "field 'target_name' is missing")
    params = content.get("hyperparameters")
    training = content.get("training")
    if not isinstance(params, dict) or not isinstance(training, dict):
        raise _corrupt(name, "fields 'hyperparameters' and 'training' must be objects")
    try:
        model = LinearRegression().set_params(**params)
        model._validate_params()
        history = History.from_dict(content["history"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _corrupt(name, f"bad hyperparameters or history ({exc})") from None
    if history.W.shape[1] != len(coef):
        raise _corrupt(name, "the history's W has the wrong width")
    n_iter = training.get("n_iter", history.n_epochs)
    if not _is_count(n_iter):
        raise _corrupt(name, "field 'training.n_iter' must be a whole number >= 0")
    n_steps = training.get("n_steps")
    if n_steps is not None and not _is_count(n_steps):
        raise _corrupt(name, "field 'training.n_steps' must be a whole number >= 0 or null")
    if not isinstance(content.get("extra", {}), dict):
        raise _corrupt(name, "field 'extra' must be an object")
    weighted = training.get("weighted")
    if weighted is not None and not isinstance(weighted, bool):
        raise _corrupt(name, "field 'training.weighted' must be true, false or null")

    model.coef_ = np.asarray(coef, dtype=np.float64)
    model.intercept_ = float(cast(float, intercept))
    model.n_features_in_ = len(coef)
    model.history_ = history
    model.n_iter_ = n_iter
    model.n_steps_ = n_steps
    model.stop_reason_ = str(training.get("stop_reason", "unknown"))
    model.stability_ = None
    model.weighted_ = weighted
    return model, content
