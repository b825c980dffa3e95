"""What a model file may hold: safe parsing and the check of every field, in one place.

:mod:`linreg.io.persistence` reads model files through :func:`parse_model_json` and
:func:`check_content`, and checks what it is about to write with the same
:func:`check_content`, so that a file linreg saves is always one it loads.

Reading is bounded: a file over :data:`MAX_MODEL_FILE_BYTES` is refused before it is
read, and so is a history of more than :data:`MAX_HISTORY_ENTRIES` entries, an integer
of more than :data:`MAX_INT_DIGITS` digits, JSON nested more than :data:`MAX_DEPTH`
levels deep and a key that appears twice in one object. Every number in the file
must be finite: ``NaN``, ``Infinity`` and numbers beyond the range of a float
(``1e400``) are refused wherever they are, ``extra`` included.

The fields, with the type and range each must have (a field marked optional may be
absent; files of format 1 lack ``hyperparameters.alpha`` and ``training.weighted``, files
written before the elastic net lack ``hyperparameters.l1_ratio`` and ``acceleration``):

========================================  ===================================================
``format``                                ``"linreg-model"``
``format_version``                        1, 2 or 3 (a larger one asks for a newer linreg)
``linreg_version``, ``created``           text (optional)
``estimator``                             text (optional)
``coef``                                  non-empty list of d finite numbers
``intercept``                             a finite number; 0 when ``fit_intercept`` is false
``feature_names``                         d distinct texts, one per weight
``target_name``                           text, not one of the feature names
``hyperparameters``                       an object of known names, each valid for
                                          :class:`~linreg.estimator.LinearRegression`;
                                          ``seed`` a whole number >= 0 or null;
                                          ``learning_rate`` a number or "auto"
``training.n_iter``                       a whole number >= 0 (optional)
``training.n_steps``, ``n_samples``       a whole number >= 0 or null (optional)
``training.weighted``                     true, false or null (optional)
``training.stop_reason``                  text (optional)
``training.best_epoch``                   a whole number >= 0 or null (optional; early
                                          stopping's kept epoch)
``training.data_sha256``                  64 hexadecimal digits or null (optional)
``training.final_loss``                   a finite number or null (optional)
``training.max_stable_learning_rate``     a finite number > 0 or null (optional)
``training.condition_number``             a finite number > 0 or null (optional)
``history.loss``                          n finite numbers or nulls (a loss beyond float64's
                                          range, read as inf), 1 <= n <=
                                          :data:`MAX_HISTORY_ENTRIES`
``history.b``                             n finite numbers
``history.W``                             n lists of d finite numbers
``history.val_loss``                      n finite numbers or nulls, or null (optional)
``history.epoch``                         n strictly increasing whole numbers >= 0, the
                                          epoch of each entry of a thinned history (optional)
``extra``                                 an object (optional); free-form, except:
``extra.truth``                           ``{"weights": d finite numbers, "bias": a finite
                                          number}`` (optional)
``extra.optimum_loss``                    a finite number or null (optional)
``extra.optimum_coef``                    d finite numbers (optional)
``extra.optimum_intercept``               a finite number (optional)
``extra.training_file``                   text (optional)
``inference``                             null, or the sums nonrobust inference needs
                                          (:class:`~linreg.stats.pieces.InferencePieces`;
                                          optional, format 3), with p = d + fit_intercept:
``inference.n_samples``                   a whole number > p
``inference.r_factor``                    p lists of p finite numbers, zero below the diagonal
``inference.column_means``                d finite numbers (zeros without intercept)
``inference.optimum``                     p finite numbers
``inference.rss``, ``inference.tss``      finite numbers >= 0
``inference.rank``                        a whole number, 1 <= rank <= p
``inference.condition_number``            a finite number >= 1 or null (infinite)
``inference.gram_inverse``                p lists of p finite numbers, symmetric, or null
``formula``                               the design of a model fitted by a formula
                                          (optional): :func:`linreg.formula.design_from_dict`
                                          checks it; its ``columns`` equal ``feature_names``,
                                          its ``target`` the ``target_name``
========================================  ===================================================

Unknown fields elsewhere are kept and not interpreted, but they too are bounded as
above (finite numbers, short integers, shallow nesting).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError, ModelFileError
from linreg.estimator import LinearRegression
from linreg.stats.pieces import InferencePieces

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_HISTORY_ENTRIES",
    "MAX_INT_DIGITS",
    "MAX_MODEL_FILE_BYTES",
    "CheckedModel",
    "Fail",
    "check_content",
    "parse_model_json",
]

FORMAT = "linreg-model"
FORMAT_VERSION = 3

#: The largest model file linreg reads (and writes), 64 MiB: about three million
#: numbers of history. Loading a file of this size takes about two seconds and, as
#: Python objects, about six times its size in memory.
MAX_MODEL_FILE_BYTES = 64 * 1024 * 1024
#: The most history entries (epochs recorded) a model file may hold.
MAX_HISTORY_ENTRIES = 1_000_000
#: The most digits of an integer in a model file: more is no count or seed linreg writes.
MAX_INT_DIGITS = 100
#: The deepest nesting of JSON lists and objects (linreg writes at most 4 levels).
MAX_DEPTH = 64

_MAX_COUNT = 2**63 - 1
_SHA256 = re.compile(r"[0-9a-f]{64}")
_HYPERPARAMETERS = {
    "solver": "text",
    "learning_rate": "number or auto",
    "epochs": "number",
    "batch_size": "number",
    "momentum": "number",
    "tol": "number or null",
    "standardize": "bool",
    "fit_intercept": "bool",
    "init": "text",
    "seed": "seed",
    "engine": "text",
    "alpha": "number",
    "l1_ratio": "number",
    "acceleration": "text",
    "early_stopping": "bool",
    "n_iter_no_change": "number",
    "lr_schedule": "text",
    "power_t": "number",
    "decay_every": "number",
    "decay_factor": "number",
}

Array = NDArray[np.float64]


class Fail:
    """Makes the error of a bad field: a :class:`ModelFileError` when loading ``name``, a
    :class:`LinregError` when saving to it."""

    def __init__(self, name: str, *, saving: bool = False) -> None:
        self.name, self.saving = name, saving

    def __call__(self, what: str, *, corrupt: bool = True) -> LinregError:
        if self.saving:
            return LinregError(f"{self.name}: cannot save this model: {what}")
        if not corrupt:
            return ModelFileError(f"{self.name}: {what}")
        return ModelFileError(
            f"{self.name}: {what}; the model file is corrupt, re-create it with train"
        )


@dataclass(frozen=True)
class CheckedModel:
    """The fields of a checked model file that make the model, with their Python types."""

    coef: Array
    intercept: float
    feature_names: list[str]
    target_name: str
    hyperparameters: dict[str, Any]
    history: dict[str, Any]
    n_iter: int | None
    n_steps: int | None
    stop_reason: str
    weighted: bool | None
    inference: InferencePieces | None = None
    best_epoch: int | None = None
    #: The :class:`linreg.formula.FormulaDesign` of a model fitted by a formula, else None.
    formula: Any = None


# -- parsing -----------------------------------------------------------------------------------
class _HugeInt:
    """Stands for an integer of more than MAX_INT_DIGITS digits, never converted."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _parse_int(text: str) -> int | _HugeInt:
    digits = len(text) - text.startswith("-")
    return _HugeInt(digits) if digits > MAX_INT_DIGITS else int(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def parse_model_json(raw: bytes, name: str) -> Any:
    """Parse the bytes of a model file, bounded; raises :class:`ModelFileError` naming ``name``.

    Integers of more than :data:`MAX_INT_DIGITS` digits are kept as placeholders (which
    :func:`check_content` refuses, naming the field); keys that appear twice in one
    object and nesting too deep for the parser are refused here.
    """
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark, as some editors add, is no harm
    except UnicodeDecodeError:
        raise ModelFileError(f"{name}: not a linreg model file (not UTF-8 text)") from None
    try:
        return json.loads(text, parse_int=_parse_int, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{name}: not valid JSON (line {exc.lineno}: {exc.msg}); "
            "the model file is corrupt or truncated, re-create it with train"
        ) from None
    except RecursionError:
        raise ModelFileError(
            f"{name}: JSON nested too deeply (linreg reads at most {MAX_DEPTH} levels); "
            "the model file is corrupt, re-create it with train"
        ) from None
    except _DuplicateKey as exc:
        raise ModelFileError(
            f"{name}: the key {exc.key!r} appears twice in one object; "
            "the model file is corrupt, re-create it with train"
        ) from None


# -- checking ----------------------------------------------------------------------------------
def _where(path: tuple[str | int, ...]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def _show(value: Any) -> str:
    if isinstance(value, _HugeInt):
        return f"an integer of {value.digits} digits"
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _bounded(content: Any, fail: Fail) -> None:
    """Every number finite, every integer short, nesting shallow: one pass, no recursion."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(content, ())]
    while stack:
        node, path = stack.pop()
        if len(path) >= MAX_DEPTH:
            # The same words as when the parser itself gives up (Python < 3.13 does, earlier).
            raise fail(
                f"JSON nested too deeply (linreg reads at most {MAX_DEPTH} levels): "
                f"field '{_where(path[:4])}...' goes deeper"
            )
        if type(node) is list and _all_numbers(node) and math.isfinite(sum(node)):
            continue  # the common case, at C speed: a finite sum means finite terms
        items = node.items() if type(node) is dict else enumerate(node)
        for key, value in items:
            kind = type(value)
            if kind is float:
                if not math.isfinite(value):
                    what = "NaN" if math.isnan(value) else "infinite (beyond a float's range)"
                    raise fail(
                        f"field '{_where((*path, key))}' is {what}; "
                        "a model file holds finite numbers only"
                    )
            elif kind is list or kind is dict:
                stack.append((value, (*path, key)))
            elif kind is _HugeInt:
                raise fail(
                    f"field '{_where((*path, key))}' is an integer of {value.digits} digits, "
                    f"more than the {MAX_INT_DIGITS} a model file may hold"
                )


def _is_number(value: Any) -> bool:
    return type(value) is float or type(value) is int


_NUMBER_TYPES = {float, int}


def _all_numbers(values: list[Any]) -> bool:
    """Whether every value is a JSON number (not ``true``/``false``, not a huge integer)."""
    return set(map(type, values)) <= _NUMBER_TYPES


def _number(
    value: Any, field: str, fail: Fail, *, null: bool = False, positive: bool = False
) -> Any:
    if value is None and null:
        return None
    if not _is_number(value) or (positive and value <= 0):
        kind = "a finite number > 0" if positive else "a finite number"
        raise fail(
            f"field '{field}' must be {kind}{' or null' if null else ''}, got {_show(value)}"
        )
    return float(value)


def _count(value: Any, field: str, fail: Fail, *, null: bool = False, least: int = 0) -> Any:
    if value is None and null:
        return None
    if type(value) is not int or not least <= value <= _MAX_COUNT:
        raise fail(
            f"field '{field}' must be a whole number >= {least}{' or null' if null else ''}, "
            f"got {_show(value)}"
        )
    return value


def _text(value: Any, field: str, fail: Fail, *, null: bool = False) -> Any:
    if value is None and null:
        return None
    if type(value) is not str:
        raise fail(f"field '{field}' must be text{' or null' if null else ''}, got {_show(value)}")
    return value


def _object_field(content: dict[str, Any], key: str, fail: Fail) -> dict[str, Any]:
    value = content.get(key)
    if type(value) is not dict:
        raise fail(f"field '{key}' must be an object, got {_show(value)}")
    return value


def _numbers(value: Any, field: str, fail: Fail, length: int | None = None) -> Array:
    """A list of finite numbers (of ``length`` when given) as float64."""
    what = "a list of finite numbers" if length is None else f"a list of {length} finite numbers"
    if type(value) is not list or (length is not None and len(value) != length):
        got = f"{len(value)} entries" if type(value) is list else _show(value)
        raise fail(f"field '{field}' must be {what}, got {got}")
    if not _all_numbers(value):
        i, v = next((i, v) for i, v in enumerate(value) if not _is_number(v))
        raise fail(f"field '{field}' must be {what}; {field}[{i}] is {_show(v)}")
    return np.asarray(value, dtype=np.float64)


def _losses(value: Any, field: str, fail: Fail, length: int | None = None) -> int:
    """A list of losses (of ``length`` when given): finite numbers, or null for a loss
    beyond float64's range (an overflow, read back as ``inf``); returns its length."""
    what = "a list of losses" if length is None else f"a list of {length} losses"
    if type(value) is not list or (length is not None and len(value) != length):
        got = f"{len(value)} entries" if type(value) is list else _show(value)
        raise fail(f"field '{field}' must be {what}, got {got}")
    for i, v in enumerate(value):
        if v is not None and not _is_number(v):
            raise fail(
                f"field '{field}' must be {what} (finite numbers, or null for an overflow); "
                f"{field}[{i}] is {_show(v)}"
            )
    return len(value)


def check_content(content: Any, fail: Fail) -> CheckedModel:
    """Check every field of a parsed model file (the table above); ``fail(what)`` makes the error.

    Parameters
    ----------
    content : object
        What :func:`parse_model_json` returned, or what
        :func:`linreg.io.persistence.model_to_dict` is about to write.
    fail : Fail
        Makes the exception to raise, naming the file, from a description naming the field.

    Returns
    -------
    CheckedModel
        The fields that make the model, typed.
    """
    if type(content) is not dict or content.get("format") != FORMAT:
        raise fail(f'not a linreg model file (no "format": "{FORMAT}")', corrupt=False)
    version = content.get("format_version")
    if version is None:
        raise fail("field 'format_version' is missing")
    if type(version) is not int or version < 1:
        raise fail(f"field 'format_version' must be a whole number >= 1, got {_show(version)}")
    if version > FORMAT_VERSION:
        raise fail(
            f"written by a newer linreg ({content.get('linreg_version')}, file format "
            f"{version}); this linreg reads format {FORMAT_VERSION}: upgrade linreg",
            corrupt=False,
        )
    _bounded(content, fail)
    for key in ("linreg_version", "created", "estimator"):
        if key in content:
            _text(content[key], key, fail)

    coef = content.get("coef")
    if type(coef) is not list or not coef or not _all_numbers(coef):
        raise fail(f"field 'coef' must be a non-empty list of finite numbers, got {_show(coef)}")
    d = len(coef)
    intercept = _number(content.get("intercept"), "intercept", fail)
    names = content.get("feature_names")
    if type(names) is not list or len(names) != d or not all(type(n) is str for n in names):
        raise fail(f"field 'feature_names' must list {d} names, one per weight")
    seen: set[str] = set()
    for feature in names:
        if feature in seen:
            raise fail(f"field 'feature_names' names the feature {feature!r} twice")
        seen.add(feature)
    target = content.get("target_name")
    if target is None:
        raise fail("field 'target_name' is missing")
    _text(target, "target_name", fail)
    if target in names:
        raise fail(f"field 'target_name' {target!r} is also a feature name")

    params = content.get("hyperparameters")
    training = content.get("training")
    if type(params) is not dict or type(training) is not dict:
        raise fail("fields 'hyperparameters' and 'training' must be objects")
    _check_hyperparameters(params, fail)
    if params.get("fit_intercept") is False and intercept != 0.0:
        raise fail(
            f"field 'intercept' is {intercept!r} but the model has none "
            "(hyperparameters.fit_intercept is false)"
        )
    history = _check_history(content.get("history"), d, fail)
    stop_reason = _text(training.get("stop_reason", "unknown"), "training.stop_reason", fail)
    checked = CheckedModel(
        coef=np.asarray(coef, dtype=np.float64),
        intercept=intercept,
        feature_names=list(names),
        target_name=target,
        hyperparameters=params,
        history=history,
        n_iter=_count(
            training.get("n_iter"), "training.n_iter", fail, null="n_iter" not in training
        ),
        n_steps=_count(training.get("n_steps"), "training.n_steps", fail, null=True),
        stop_reason=stop_reason,
        weighted=_weighted(training.get("weighted"), fail),
        best_epoch=_count(training.get("best_epoch"), "training.best_epoch", fail, null=True),
    )
    _count(training.get("n_samples"), "training.n_samples", fail, null=True)
    _number(training.get("final_loss"), "training.final_loss", fail, null=True)
    for key in ("max_stable_learning_rate", "condition_number"):
        _number(training.get(key), f"training.{key}", fail, null=True, positive=True)
    sha = _text(training.get("data_sha256"), "training.data_sha256", fail, null=True)
    if sha is not None and not _SHA256.fullmatch(sha):
        raise fail(
            f"field 'training.data_sha256' must be 64 hexadecimal digits or null, got {_show(sha)}"
        )
    _check_extra(content.get("extra", {}), d, fail)
    fit_intercept = params.get("fit_intercept", True)
    checked = replace(
        checked, inference=check_inference(content.get("inference"), d, fit_intercept, fail)
    )
    if "formula" in content:
        from linreg.formula import design_from_dict

        design = design_from_dict(content["formula"], list(names), fail)
        if design.target != target:
            raise fail(f"field 'formula.target' {design.target!r} is not 'target_name' {target!r}")
        checked = replace(checked, formula=design)
    return checked


def _weighted(value: Any, fail: Fail) -> bool | None:
    if value is not None and type(value) is not bool:
        raise fail(f"field 'training.weighted' must be true, false or null, got {_show(value)}")
    return value


def _check_hyperparameters(params: dict[str, Any], fail: Fail) -> None:
    for key, value in params.items():
        kind = _HYPERPARAMETERS.get(key)
        field = f"hyperparameters.{key}"
        if kind is None:
            raise fail(
                f"field '{field}' is not a hyperparameter (unknown parameter {key!r}; "
                f"valid ones are {', '.join(_HYPERPARAMETERS)})"
            )
        if kind == "text":
            _text(value, field, fail)
        elif kind == "bool" and type(value) is not bool:
            raise fail(f"field '{field}' must be true or false, got {_show(value)}")
        elif kind == "seed" and value is not None and (type(value) is not int or value < 0):
            raise fail(f"field '{field}' must be a whole number >= 0 or null, got {_show(value)}")
        elif kind == "number or auto" and value == "auto":
            continue  # learning_rate="auto": the rate is chosen at fit time
        elif kind.startswith("number"):
            _number(value, field, fail, null=kind.endswith("null"))
    try:
        LinearRegression().set_params(**params)._validate_params()
    except (TypeError, ValueError) as exc:
        raise fail(f"bad hyperparameters ({exc})") from None


def _check_history(history: Any, d: int, fail: Fail) -> dict[str, Any]:
    """The history's lists, checked: as many entries each, finite, W of width d."""
    if type(history) is not dict:
        raise fail(f"field 'history' must be an object, got {_show(history)}")
    loss = history.get("loss")
    if type(loss) is list and len(loss) > MAX_HISTORY_ENTRIES:
        raise fail(
            f"field 'history.loss' has {len(loss):,} entries, more than the "
            f"{MAX_HISTORY_ENTRIES:,} a model file may hold (MAX_HISTORY_ENTRIES in "
            "linreg.io.model_schema)"
        )
    n = _losses(loss, "history.loss", fail)
    if n == 0:
        raise fail("field 'history.loss' must hold at least one entry (the starting point)")
    W = history.get("W")
    if type(W) is not list or len(W) != n or not all(type(row) is list for row in W):
        raise fail(
            f"history: loss, W and b must have one entry per epoch; field 'history.W' must be "
            f"{n} lists of {d} numbers"
        )
    for i, row in enumerate(W):
        if len(row) != d:
            raise fail(
                f"the history's W has the wrong width: history.W[{i}] has {len(row)} "
                f"numbers, the model {d} weights"
            )
        if not _all_numbers(row):
            raise fail(f"field 'history.W[{i}]' must be {d} finite numbers")
    b = history.get("b")
    if type(b) is not list or len(b) != n:
        raise fail(
            f"history: loss, W and b must have one entry per epoch; field 'history.b' must be "
            f"a list of {n} finite numbers"
        )
    _numbers(b, "history.b", fail)
    if history.get("val_loss") is not None:
        _losses(history["val_loss"], "history.val_loss", fail, n)
    if "epoch" in history:
        epoch = history["epoch"]
        if type(epoch) is not list or len(epoch) != n:
            raise fail(f"field 'history.epoch' must list {n} epochs, one per entry")
        previous = -1
        for i, e in enumerate(epoch):
            if type(e) is not int or not previous < e <= _MAX_COUNT:
                raise fail(
                    f"field 'history.epoch' must hold increasing whole numbers >= 0; "
                    f"history.epoch[{i}] is {_show(e)}"
                )
            previous = e
    return history


def _check_extra(extra: Any, d: int, fail: Fail) -> None:
    if type(extra) is not dict:
        raise fail(f"field 'extra' must be an object, got {_show(extra)}")
    if "truth" in extra:
        truth = extra["truth"]
        if type(truth) is not dict:
            raise fail(f"field 'extra.truth' must be an object, got {_show(truth)}")
        _numbers(truth.get("weights"), "extra.truth.weights", fail, d)
        _number(truth.get("bias"), "extra.truth.bias", fail)
    if "optimum_loss" in extra:
        _number(extra["optimum_loss"], "extra.optimum_loss", fail, null=True)
    if "optimum_coef" in extra:
        _numbers(extra["optimum_coef"], "extra.optimum_coef", fail, d)
    if "optimum_intercept" in extra:
        _number(extra["optimum_intercept"], "extra.optimum_intercept", fail)
    if "training_file" in extra:
        _text(extra["training_file"], "extra.training_file", fail)


def check_inference(value: Any, d: int, fit_intercept: bool, fail: Fail) -> InferencePieces | None:
    """The ``inference`` field (the table above) as :class:`InferencePieces`, or None.

    The checks a loaded table relies on: the shapes, R upper triangular, a rank that
    leaves degrees of freedom, sums that are not negative, a symmetric inverse.
    """
    if value is None:
        return None
    if type(value) is not dict:
        raise fail(f"field 'inference' must be an object or null, got {_show(value)}")
    p = d + int(bool(fit_intercept))
    n = _count(value.get("n_samples"), "inference.n_samples", fail, least=p + 1)
    R = _matrix(value.get("r_factor"), "inference.r_factor", p, fail)
    if np.any(np.tril(R, -1) != 0.0):
        raise fail("field 'inference.r_factor' must be upper triangular (zeros below the diagonal)")
    means = _numbers(value.get("column_means"), "inference.column_means", fail, d)
    if not fit_intercept and np.any(means != 0.0):
        raise fail("field 'inference.column_means' must be zeros for a model without intercept")
    optimum = _numbers(value.get("optimum"), "inference.optimum", fail, p)
    sums = {}
    for key in ("rss", "tss"):
        sums[key] = _number(value.get(key), f"inference.{key}", fail)
        if sums[key] < 0.0:
            raise fail(f"field 'inference.{key}' must be >= 0, got {_show(value.get(key))}")
    rank = _count(value.get("rank"), "inference.rank", fail, least=1)
    if rank > p:
        raise fail(f"field 'inference.rank' must be at most {p} (the parameters), got {rank}")
    cond = _number(value.get("condition_number"), "inference.condition_number", fail, null=True)
    if cond is not None and cond < 1.0:
        raise fail(f"field 'inference.condition_number' must be >= 1 or null, got {cond!r}")
    gram = value.get("gram_inverse")
    refined = None
    if gram is not None:
        refined = _matrix(gram, "inference.gram_inverse", p, fail)
        scale = float(np.max(np.abs(refined))) if refined.size else 0.0
        if np.any(np.abs(refined - refined.T) > 1e-12 * scale):
            raise fail("field 'inference.gram_inverse' must be symmetric")
    return InferencePieces(
        n_samples=n,
        fit_intercept=bool(fit_intercept),
        r_factor=R,
        column_means=means,
        optimum=optimum,
        rss=sums["rss"],
        tss=sums["tss"],
        rank=rank,
        condition_number=math.inf if cond is None else cond,
        refined_gram_inverse=refined,
    )


def _matrix(value: Any, field: str, p: int, fail: Fail) -> Array:
    """A p x p matrix of finite numbers, as lists of rows."""
    if type(value) is not list or len(value) != p:
        got = f"{len(value)} rows" if type(value) is list else _show(value)
        raise fail(f"field '{field}' must be {p} lists of {p} finite numbers, got {got}")
    rows = [_numbers(row, f"{field}[{i}]", fail, p) for i, row in enumerate(value)]
    return np.array(rows, dtype=np.float64).reshape(p, p)
