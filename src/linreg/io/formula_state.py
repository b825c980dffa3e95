"""A fitted formula in a model file: its state as JSON, and what a saved formula may call.

:mod:`linreg.formula` keeps formulaic's state of a fitted design (the levels of each
categorical term, the state of stateful transforms); :func:`encode_state` writes it as
plain JSON and :func:`decode_state` reads it back, checked. formulaic evaluates a
formula's terms as Python, so a formula read from a file is first checked by
:func:`check_safe_formula`: it may name its columns and call arithmetic, formulaic's
transforms (``C``, ``center``, ``poly``...) and NumPy's math (``np.log``), nothing else;
loading and using a model file never runs other code.

Nothing here imports formulaic: the parsed formula and formulaic's kinds of factor are
handed in.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from linreg.errors import LinregError

__all__ = [
    "check_safe_formula",
    "decode_state",
    "encode_state",
    "formula_factors",
    "formula_names",
]


def encode_state(value: Any, where: str) -> Any:
    """formulaic's state as JSON: plain values as they are, the rest tagged.

    A dict is ``{"dict": [[key, value], ...]}`` (its keys may be numbers), a tuple
    ``{"tuple": [...]}``, a NumPy array ``{"array": [...], "dtype": "float64"}``, a
    factor's kind ``{"kind": "categorical"}``, a float that is not finite
    ``{"float": "nan"}``. Anything else is an error naming ``where``.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if np.isfinite(number) else {"float": repr(number)}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dict):
        pairs = [[encode_state(k, where), encode_state(v, where)] for k, v in value.items()]
        return {"dict": pairs}
    if isinstance(value, tuple):
        return {"tuple": [encode_state(v, where) for v in value]}
    if isinstance(value, list):
        return [encode_state(v, where) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"array": encode_state(value.tolist(), where), "dtype": value.dtype.str}
    if type(value).__name__ == "Kind" and hasattr(value, "value"):
        return {"kind": str(value.value)}
    raise LinregError(
        f"cannot save the formula's {where}: it holds a value of type {type(value).__name__!r}, "
        "which a model file cannot keep"
    )


def decode_state(
    value: Any, where: str, fail: Callable[[str], Exception], kinds: Mapping[str, Any]
) -> Any:
    """The value :func:`encode_state` wrote, checked; ``fail(what)`` makes the error.

    ``kinds`` maps the name of each kind of factor to formulaic's value for it.
    """
    if value is None or type(value) in (bool, str, int, float):
        return value
    if type(value) is list:
        return [decode_state(v, f"{where}[{i}]", fail, kinds) for i, v in enumerate(value)]
    if type(value) is not dict or len(value) not in (1, 2):
        raise fail(f"field '{where}' holds {type(value).__name__}, not formula state")
    tag = next(iter(value))
    body = value[tag]
    if tag == "dict" and type(body) is list and len(value) == 1:
        out: dict[Any, Any] = {}
        for i, pair in enumerate(body):
            if type(pair) is not list or len(pair) != 2:
                raise fail(f"field '{where}.dict[{i}]' must be a [key, value] pair")
            key = decode_state(pair[0], f"{where}.dict[{i}][0]", fail, kinds)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise fail(f"field '{where}.dict[{i}][0]' must be a text or number key")
            out[key] = decode_state(pair[1], f"{where}.dict[{i}][1]", fail, kinds)
        return out
    if tag == "tuple" and type(body) is list and len(value) == 1:
        return tuple(
            decode_state(v, f"{where}.tuple[{i}]", fail, kinds) for i, v in enumerate(body)
        )
    if tag == "float" and body in ("nan", "inf", "-inf") and len(value) == 1:
        return float(body)
    if tag == "kind" and type(body) is str and len(value) == 1:
        if body not in kinds:
            raise fail(f"field '{where}.kind' is {body!r}, not a kind of factor formulaic knows")
        return kinds[body]
    if tag == "array" and set(value) == {"array", "dtype"} and type(value["dtype"]) is str:
        try:
            dtype = np.dtype(value["dtype"])
        except TypeError:
            raise fail(f"field '{where}.dtype' is {value['dtype']!r}, not a NumPy dtype") from None
        if dtype.kind not in "biuf":
            raise fail(f"field '{where}.dtype' must be a number dtype, got {value['dtype']!r}")
        try:
            return np.asarray(
                decode_state(value["array"], f"{where}.array", fail, kinds), dtype=dtype
            )
        except (TypeError, ValueError):
            raise fail(f"field '{where}.array' is not an array of {dtype}") from None
    raise fail(f"field '{where}' has the unknown tag {tag!r}")


#: The transforms and contrasts of formulaic a saved formula may call.
_SAFE_CALLS = frozenset(
    {"C", "I", "center", "scale", "standardize", "poly", "bs", "lag"}
    | {"Treatment", "Sum", "Helmert", "Diff", "Poly", "SAS", "contr"}
)
#: NumPy's functions a saved formula may call: arithmetic only, nothing that reads or writes.
_SAFE_NUMPY = frozenset(
    {
        *("log", "log1p", "log2", "log10", "exp", "expm1", "exp2", "sqrt", "cbrt", "square"),
        *("abs", "absolute", "sign", "power", "maximum", "minimum", "clip", "floor", "ceil"),
        *("round", "rint", "trunc", "sin", "cos", "tan", "arcsin", "arccos", "arctan"),
        *("sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "reciprocal", "pi", "e"),
        *("where", "isnan", "isfinite", "log", "float64", "int64"),
    }
)
_SAFE_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Load,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.BoolOp,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
    ast.boolop,
    ast.keyword,
    ast.Tuple,
    ast.List,
)


def check_safe_formula(parsed: Any, variables: set[str], fail: Callable[[str], Exception]) -> None:
    """Refuse a saved formula (parsed by formulaic) that calls anything but arithmetic,
    formulaic's transforms and NumPy's math, or names anything but ``variables``:
    formulaic evaluates its terms as Python, and a model file must never run code."""
    for factor in formula_factors(parsed):
        method = str(getattr(factor.eval_method, "value", ""))
        if method == "python":
            _check_expression(str(factor.expr), variables, fail)
        elif method == "lookup" and str(factor.expr) not in variables:
            raise fail(f"field 'formula' reads {factor.expr!r}, which is no column")


def _check_expression(expr: str, variables: set[str], fail: Callable[[str], Exception]) -> None:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise fail(f"field 'formula' holds the term {expr!r}, not an expression") from None
    for node in ast.walk(tree):
        if isinstance(node, _SAFE_NODES):
            continue
        if isinstance(node, ast.Name) and (
            node.id in variables or node.id in _SAFE_CALLS or node.id in ("np", "numpy")
        ):
            continue
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _SAFE_CALLS:
                continue
            if _numpy_name(func):
                continue
        if isinstance(node, ast.Attribute) and (
            _numpy_name(node)
            or (
                (isinstance(node.value, ast.Name) and node.value.id == "contr")
                and not node.attr.startswith("_")
            )
        ):
            continue
        raise fail(
            f"field 'formula' holds the term {expr!r}, which calls or names something a "
            "model file may not (only its columns, arithmetic, formulaic's transforms and "
            "NumPy's math)"
        )


def formula_factors(parsed: Any) -> list[Any]:
    """The factors of every term of a parsed formula (both sides of a structured one)."""
    sides = [parsed.lhs, parsed.rhs] if hasattr(parsed, "lhs") else [parsed]
    return [factor for side in sides for term in side for factor in term.factors]


def formula_names(parsed: Any) -> set[str]:
    """The names a formula reads: its columns, and the names its terms call.

    Written here because formulaic's ``required_variables`` leaves out the columns of
    stateful transforms (``poly(x, 2)``).
    """
    out: set[str] = set()
    for factor in formula_factors(parsed):
        method = str(getattr(factor.eval_method, "value", ""))
        if method == "lookup":
            out.add(str(factor.expr))
        elif method == "python":
            try:
                tree = ast.parse(str(factor.expr), mode="eval")
            except SyntaxError:
                continue  # formulaic's own error when it evaluates the term
            called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)} | {
                id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            }
            out |= {
                node.id
                for node in ast.walk(tree)
                if isinstance(node, ast.Name) and id(node) not in called
            }
    return out


def _numpy_name(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("np", "numpy")
        and node.attr in _SAFE_NUMPY
    )
