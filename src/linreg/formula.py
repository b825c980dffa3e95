"""Models written as formulas: ``y ~ x1 + np.log(x2) + C(region) + x1:x3``.

:func:`fit_formula` turns a pandas DataFrame into a design matrix by a formula, then fits
a :class:`~linreg.estimator.LinearRegression` to it. The formula is parsed and encoded by
`formulaic <https://matthewwardrop.github.io/formulaic/>`_ (the optional extra
``pip install "linreg[formula]"``): linreg writes no formula parser of its own.

The design. For N rows, the formula's right-hand side gives the N x p matrix
``[1 | X]`` (or X alone with ``- 1`` or ``0 +``): numeric columns, their transforms
(``np.log(x2)``, ``center(x)``), interactions (``x1:x3``) and categorical terms in
treatment coding (``C(region)`` gives one 0/1 column per level but the first,
``C(region)[T.south]``, as statsmodels names them). The column of ones becomes the
estimator's intercept (``fit_intercept``), the other d columns its features, named in
``feature_names_in_``; the left-hand side gives y (N,). Without an intercept, the first
categorical term is coded in full (one column per level), as in statsmodels.

The fitted model keeps its :class:`FormulaDesign` in ``formula_``: the formula, the
levels of every categorical term and the state of stateful transforms (the mean
``center`` subtracted). ``predict``, ``score``, ``inference`` and ``summary`` then take raw
DataFrames with the original columns and encode them the same way; a level not seen in
training is an error naming the column and the level, never a row of zeros. The model
file keeps the design (:meth:`FormulaDesign.to_dict`), so a loaded model does the same.

Missing values follow :mod:`linreg.missing`: ``missing="raise"`` (default) or ``"drop"``.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from linreg.errors import LinregError
from linreg.estimator import LinearRegression
from linreg.io.formula_state import (
    check_safe_formula,
    decode_state,
    encode_state,
    formula_names,
)
from linreg.missing import check_missing_action, drop_missing, numeric_columns

__all__ = [
    "FORMULA_LIBRARY",
    "INSTALL_HINT",
    "FormulaDesign",
    "design_from_dict",
    "fit_formula",
    "require_formulaic",
]

Array = NDArray[np.float64]

#: How to install what formulas need.
INSTALL_HINT = 'pip install "linreg[formula]"'
#: The library that parses and encodes formulas, as a model file names it.
FORMULA_LIBRARY = "formulaic"
_INTERCEPT = "Intercept"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ANSI = re.compile(r"\x1b\[[0-9;]*m|[\u29da\u29db]")
#: Names a formula may call after a model is loaded from a file.
_BASE_CONTEXT: dict[str, Any] = {"np": np, "numpy": np}


def require_formulaic() -> Any:
    """The ``formulaic`` module, or the one-line error that says how to install it."""
    try:
        import formulaic
    except ImportError:
        raise LinregError(f"formulas need the formulaic package: {INSTALL_HINT}") from None
    return formulaic


def _reason(exc: BaseException) -> str:
    """The first line of a formulaic error, without its terminal colours."""
    lines = [line.strip() for line in _ANSI.sub("", str(exc)).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _listing(names: list[str]) -> str:
    shown = ", ".join(map(repr, names[:20]))
    return shown if len(names) <= 20 else f"{shown}, ... ({len(names)} in all)"


@dataclass(frozen=True, eq=False)
class FormulaDesign:
    """How a fitted formula turns raw rows into the model's features and target.

    Attributes
    ----------
    formula : str
        The formula as given, ``"y ~ x1 + C(region)"``.
    target : str
        The left-hand side, the target's name (``"y"``, ``"np.log(y)"``).
    rhs : str
        The right-hand side as formulaic writes it (``"1 + x1 + C(region)"``).
    columns : tuple of str
        The d feature columns of the design, the intercept left out.
    intercept : bool
        Whether the design has the column of ones (the estimator's ``fit_intercept``).
    variables : tuple of str
        The raw columns the right-hand side reads.
    target_variables : tuple of str
        The raw columns the left-hand side reads.
    transform_state, encoder_state : dict
        formulaic's state: the stateful transforms' (``center``'s mean) and each
        factor's kind and levels.
    context : mapping
        The caller's names the formula calls, besides ``np`` (always there); not saved:
        a loaded model has ``np`` only.
    """

    formula: str
    target: str
    rhs: str
    columns: tuple[str, ...]
    intercept: bool
    variables: tuple[str, ...]
    target_variables: tuple[str, ...]
    transform_state: dict[str, Any]
    encoder_state: dict[str, Any]
    context: Mapping[str, Any] = field(default_factory=dict)

    def _names(self) -> dict[str, Any]:
        return {**_BASE_CONTEXT, **self.context}

    @cached_property
    def _spec(self) -> Any:
        formulaic = require_formulaic()
        return formulaic.ModelSpec(
            formula=formulaic.Formula(self.formula).rhs,
            transform_state=self.transform_state,
            encoder_state=self.encoder_state,
            na_action="raise",
            ensure_full_rank=True,
        )

    @property
    def levels(self) -> dict[str, list[Any]]:
        """The levels of each categorical term, by the term (``"C(region)"``)."""
        return {
            term: list(state.get("categories", []))
            for term, (kind, state) in self.encoder_state.items()
            if _kind_name(kind) == "categorical"
        }

    def design(self, data: Any, *, name: str = "data") -> Array:
        """The N x d design of raw rows ``data``, encoded as in training.

        Parameters
        ----------
        data : pandas.DataFrame
            With every column the right-hand side reads (:attr:`variables`).
        name : str
            The data, for messages.

        Raises
        ------
        LinregError
            ``data`` not a DataFrame, a column missing, a missing value, a level
            not seen in training, or a term that cannot be evaluated.
        """
        frame = self._prepare(data, self.variables, name)
        self._check_levels(frame, name)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            formulaic = require_formulaic()
            warnings.simplefilter("error", formulaic.errors.DataMismatchWarning)
            try:
                matrix = self._spec.get_model_matrix(frame, context=self._names())
            except formulaic.errors.DataMismatchWarning as exc:
                raise LinregError(f"{name}: {_reason(exc)} (formula {self.formula!r})") from None
            except (formulaic.errors.FormulaicError, ValueError, TypeError, NameError) as exc:
                raise LinregError(
                    f"{name}: cannot evaluate the formula {self.formula!r}: {_reason(exc)}"
                ) from None
        names = [str(c) for c in matrix.columns]
        expected = ([_INTERCEPT] if self.intercept else []) + list(self.columns)
        if sorted(names) != sorted(expected) or len(set(names)) != len(names):
            raise LinregError(
                f"{name}: the formula {self.formula!r} encodes these data as columns "
                f"{_listing(names)}, not the model's {_listing(expected)}"
            )
        values = _as_numbers(matrix[list(self.columns)], f"{name}: the terms")  # model's order
        return np.ascontiguousarray(values)

    def design_frame(self, data: Any, *, name: str = "data") -> pd.DataFrame:
        """:meth:`design` as a DataFrame whose columns are the model's feature names."""
        return pd.DataFrame(self.design(data, name=name), columns=list(self.columns))

    def target_values(self, data: Any, *, name: str = "data") -> Array:
        """y (N,): the left-hand side evaluated on ``data``."""
        formulaic = require_formulaic()
        frame = self._prepare(data, self.target_variables, name)
        with np.errstate(all="ignore"):
            try:
                spec = formulaic.ModelSpec(
                    formula=formulaic.Formula(self.formula).lhs,
                    na_action="raise",
                    ensure_full_rank=False,
                )
                matrix = spec.get_model_matrix(frame, context=self._names())
            except (formulaic.errors.FormulaicError, ValueError, TypeError, NameError) as exc:
                raise LinregError(
                    f"{name}: cannot evaluate the target {self.target!r}: {_reason(exc)}"
                ) from None
        values = _as_numbers(matrix, f"{name}: the target {self.target!r}")
        if values.shape[1] != 1:
            raise LinregError(
                f"{name}: the target {self.target!r} is not one numeric column "
                f"(it encodes as {values.shape[1]}); a categorical target cannot be regressed"
            )
        return np.ascontiguousarray(values[:, 0])

    def _prepare(self, data: Any, used: tuple[str, ...], name: str) -> pd.DataFrame:
        if not isinstance(data, pd.DataFrame):
            raise LinregError(
                f"this model was fitted by the formula {self.formula!r}: give a pandas "
                f"DataFrame with the columns {_listing(list(used))}, not {type(data).__name__}"
            )
        absent = [c for c in used if c not in data.columns]
        if absent:
            raise LinregError(
                f"{name}: no column(s) {_listing(absent)}, which the formula {self.formula!r} "
                f"uses (columns: {_listing([str(c) for c in data.columns])})"
            )
        frame = numeric_columns(data, list(used))
        drop_missing(frame, list(used), missing="raise", name=name)
        return frame

    def _check_levels(self, frame: pd.DataFrame, name: str) -> None:
        """Refuse a level of a categorical column that training did not see."""
        formulaic = require_formulaic()
        for term, levels in self.levels.items():
            used = sorted(formula_names(formulaic.Formula(term)) & set(frame.columns))
            if len(used) != 1 or used[0] not in frame.columns:
                continue  # a term of several columns: formulaic's own check, below
            column = used[0]
            known = set(levels)
            unseen = [v for v in pd.unique(frame[column]) if v not in known]
            if unseen:
                raise LinregError(
                    f"{name}: column {column!r} has the level {unseen[0]!r}, not seen in "
                    f"training (levels of {term}: {_listing([str(v) for v in levels])}); a "
                    "model cannot predict a level it never saw: drop those rows or refit"
                )

    def to_dict(self) -> dict[str, Any]:
        """The design as JSON-ready data, for a model file (:func:`design_from_dict`)."""
        return {
            "library": FORMULA_LIBRARY,
            "formula": self.formula,
            "target": self.target,
            "rhs": self.rhs,
            "columns": list(self.columns),
            "intercept": self.intercept,
            "variables": list(self.variables),
            "target_variables": list(self.target_variables),
            "transform_state": encode_state(self.transform_state, "transform_state"),
            "encoder_state": encode_state(_without_contrasts(self.encoder_state), "encoder_state"),
        }


def _as_numbers(matrix: Any, what: str) -> Array:
    """A model matrix as float64 (N, k), or the error that says it is not numbers."""
    try:
        return np.asarray(matrix.to_numpy(dtype=np.float64))
    except (TypeError, ValueError):
        raise LinregError(
            f"{what} is not numeric; a text column is a category: C(column) on the right of '~'"
        ) from None


def _kind_name(kind: Any) -> str:
    return str(getattr(kind, "value", kind))


def _without_contrasts(encoder_state: dict[str, Any]) -> dict[str, Any]:
    """The encoder state less formulaic's contrast objects, which it rebuilds from the
    formula and the levels."""
    out: dict[str, Any] = {}
    for term, (kind, state) in encoder_state.items():
        out[term] = (kind, {k: v for k, v in state.items() if k != "contrasts"})
    return out


def design_from_dict(
    content: Any, feature_names: list[str], fail: Callable[[str], Exception]
) -> FormulaDesign:
    """The :class:`FormulaDesign` a model file keeps in its field ``formula``, checked.

    Every field must be there with its type; ``columns`` must equal the model's
    ``feature_names``; formulaic must be installed (a formula model encodes raw rows
    with it). ``fail(what)`` makes the error naming the field.
    """
    if type(content) is not dict:
        raise fail(f"field 'formula' must be an object, got {type(content).__name__}")
    if content.get("library") != FORMULA_LIBRARY:
        raise fail(f"field 'formula.library' must be {FORMULA_LIBRARY!r}")
    for key in ("formula", "target", "rhs"):
        if type(content.get(key)) is not str or not content[key].strip():
            raise fail(f"field 'formula.{key}' must be non-empty text")
    for key in ("columns", "variables", "target_variables"):
        value = content.get(key)
        if type(value) is not list or not all(type(v) is str for v in value):
            raise fail(f"field 'formula.{key}' must be a list of texts")
    if content["columns"] != list(feature_names):
        raise fail("field 'formula.columns' must equal 'feature_names', one per weight")
    if type(content.get("intercept")) is not bool:
        raise fail("field 'formula.intercept' must be true or false")
    extra = set(content) - {
        "library",
        "formula",
        "target",
        "rhs",
        "columns",
        "intercept",
        "variables",
        "target_variables",
        "transform_state",
        "encoder_state",
    }
    if extra:
        raise fail(f"field 'formula' has the unknown field(s) {sorted(extra)}")
    formulaic = require_formulaic()
    try:
        parsed = formulaic.Formula(content["formula"])
    except (formulaic.errors.FormulaicError, ValueError, SyntaxError) as exc:
        raise fail(f"field 'formula.formula' is a bad formula ({_reason(exc)})") from None
    if not hasattr(parsed, "lhs"):
        raise fail("field 'formula.formula' has no target ('target ~ terms')")
    check_safe_formula(parsed, set(content["variables"]) | set(content["target_variables"]), fail)
    kinds = {str(k.value): k for k in formulaic.parser.types.Factor.Kind}
    transform = decode_state(content.get("transform_state"), "formula.transform_state", fail, kinds)
    encoder = decode_state(content.get("encoder_state"), "formula.encoder_state", fail, kinds)
    if type(transform) is not dict or not all(type(k) is str for k in transform):
        raise fail("field 'formula.transform_state' must map terms to their state")
    if type(encoder) is not dict or not all(
        type(k) is str and type(v) is tuple and len(v) == 2 and type(v[1]) is dict
        for k, v in encoder.items()
    ):
        raise fail("field 'formula.encoder_state' must map terms to (kind, state) pairs")
    return FormulaDesign(
        formula=content["formula"],
        target=content["target"],
        rhs=content["rhs"],
        columns=tuple(content["columns"]),
        intercept=content["intercept"],
        variables=tuple(content["variables"]),
        target_variables=tuple(content["target_variables"]),
        transform_state=transform,
        encoder_state=encoder,
    )


# -- fitting ------------------------------------------------------------------------------------
def fit_formula(
    formula: str,
    data: Any,
    *,
    solver: str = "exact",
    missing: str = "raise",
    sample_weight: ArrayLike | None = None,
    context: Mapping[str, Any] | None = None,
    **params: Any,
) -> LinearRegression:
    """Fit ``LinearRegression`` to the design that ``formula`` makes of ``data``.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + np.log(x2) + C(region) + x1:x3"``: the target, ``~``, then the
        terms (Wilkinson's notation, as in statsmodels and R). ``- 1`` or ``0 +``
        fits without an intercept.
    data : pandas.DataFrame (or a mapping of columns)
        N rows with every column the formula reads; nullable dtypes (``Float64``,
        ``Int64``) are numbers with missing values.
    solver : {"exact", "gd", "sgd"}, default="exact"
        As :class:`~linreg.estimator.LinearRegression`'s; exact least squares by
        default, since a design of 0/1 columns beside raw numbers is seldom well
        scaled for gradient descent.
    missing : {"raise", "drop"}, default="raise"
        A row with a missing value in a column the formula reads: an error, or dropped
        with a :class:`~linreg.errors.MissingValuesWarning` (statsmodels'
        ``missing="drop"``).
    sample_weight : array-like of shape (N,), optional
        Row weights (weighted least squares); cut with the rows dropped.
    context : mapping, optional
        Names the formula may call besides ``np``; by default those of the caller
        (as statsmodels' ``eval_env``). A model loaded from a file has ``np`` only.
    **params
        Other :class:`~linreg.estimator.LinearRegression` parameters. ``fit_intercept``
        comes from the formula.

    Returns
    -------
    LinearRegression
        Fitted; ``feature_names_in_`` the design's columns, ``formula_`` its
        :class:`FormulaDesign`.

    Raises
    ------
    LinregError
        formulaic not installed (naming ``pip install "linreg[formula]"``), a bad
        formula, a column it reads missing, a missing value with ``missing="raise"``,
        a categorical target, or bad estimator parameters.
    """
    formulaic = require_formulaic()
    missing = check_missing_action(missing)
    if "fit_intercept" in params:
        raise LinregError(
            "fit_intercept comes from the formula: write '- 1' (or '0 +') for a fit without one"
        )
    if not isinstance(formula, str):
        raise LinregError(f"formula must be text like 'y ~ x1 + C(region)', got {formula!r}")
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    try:
        parsed = formulaic.Formula(formula)
    except (formulaic.errors.FormulaicError, ValueError) as exc:
        raise LinregError(f"bad formula {formula!r}: {_reason(exc)}") from None
    if not hasattr(parsed, "lhs") or not hasattr(parsed, "rhs"):
        raise LinregError(f"formula {formula!r} has no target: write 'target ~ terms'")
    names: dict[str, Any] = dict(_BASE_CONTEXT)
    if context is None:
        caller = sys._getframe(1)
        names.update(caller.f_globals)
        names.update(caller.f_locals)
    else:
        names.update(context)
    # The columns each side reads (a name that is no column must be one the formula calls).
    target_vars = sorted(
        n for n in formula_names(parsed.lhs) if n in frame.columns or n not in names
    )
    rhs_vars = sorted(n for n in formula_names(parsed.rhs) if n in frame.columns or n not in names)
    used = [str(c) for c in dict.fromkeys([*target_vars, *rhs_vars])]
    absent = [c for c in used if c not in frame.columns]
    if absent:
        raise LinregError(
            f"no column(s) {_listing(absent)}, which the formula {formula!r} uses "
            f"(columns: {_listing([str(c) for c in frame.columns])})"
        )
    in_data = [c for c in used if c in frame.columns]
    frame = numeric_columns(frame, in_data)
    frame, weights, _ = drop_missing(
        frame, in_data, missing=missing, name="", weights=sample_weight, stacklevel=3
    )
    with np.errstate(all="ignore"):
        try:
            matrices = formulaic.model_matrix(
                formula, frame, na_action="raise", ensure_full_rank=True, context=names
            )
        except (formulaic.errors.FormulaicError, ValueError, TypeError, NameError) as exc:
            raise LinregError(f"cannot evaluate the formula {formula!r}: {_reason(exc)}") from None
    lhs, rhs = matrices.lhs, matrices.rhs
    spec = rhs.model_spec
    columns = _patsy_order(formulaic, formula, spec)
    intercept = _INTERCEPT in columns
    features = [c for c in columns if c != _INTERCEPT]
    if not features:
        raise LinregError(f"the formula {formula!r} has no term besides the intercept")
    if lhs.shape[1] != 1:
        raise LinregError(
            f"the target of {formula!r} is not one numeric column (it encodes as "
            f"{lhs.shape[1]}); a categorical target cannot be regressed"
        )
    design = FormulaDesign(
        formula=formula,
        target=str(parsed.lhs),
        rhs=str(spec.formula),
        columns=tuple(features),
        intercept=intercept,
        variables=tuple(c for c in rhs_vars if c in frame.columns),
        target_variables=tuple(c for c in target_vars if c in frame.columns),
        transform_state=dict(spec.transform_state),
        encoder_state=dict(spec.encoder_state),
        # Only the caller's names the formula mentions: no reference to the rest of its frame.
        context={
            k: names[k]
            for k in set(_IDENTIFIER.findall(formula))
            if k in names and k not in _BASE_CONTEXT
        },
    )
    design.to_dict()  # refuse now, not when saving, a state a model file cannot keep
    X = _as_numbers(rhs[features], f"the terms of {formula!r}")
    y = _as_numbers(lhs, f"the target of {formula!r}")[:, 0]
    model = LinearRegression(solver=solver, fit_intercept=intercept, **params)
    model.fit(pd.DataFrame(X, columns=features), y, sample_weight=weights)
    model.formula_ = design
    return model


def _patsy_order(formulaic: Any, formula: str, spec: Any) -> list[str]:
    """The design's columns in the order statsmodels (patsy) gives them.

    Terms are grouped by the set of numeric factors they hold: the group of none (the
    intercept, categorical terms) first, the others in the order the formula first
    writes them; within a group, terms of fewer factors first, then as written.
    formulaic encodes each term as patsy does but orders terms by degree alone.
    """
    written = [
        frozenset(str(f) for f in term.factors)
        for term in formulaic.Formula(formula, _ordering="none").rhs
    ]
    kinds = {str(k): _kind_name(kind) for k, (kind, _) in spec.encoder_state.items()}
    groups: list[frozenset[str]] = [frozenset()]
    keyed: list[tuple[int, int, int, list[str]]] = []
    for term in spec.structure:
        factors = frozenset(str(f) for f in term.term.factors) - {"1"}
        numeric = frozenset(f for f in factors if kinds.get(f) != "categorical")
        if numeric not in groups:
            groups.append(numeric)
        key = frozenset(str(f) for f in term.term.factors)
        place = written.index(key) if key in written else len(written)
        keyed.append((groups.index(numeric), len(factors), place, list(term.columns)))
    # Groups in the order their first term is written (the empty group stays first).
    first = {g: min((k[2] for k in keyed if k[0] == i), default=0) for i, g in enumerate(groups)}
    rank = {i: (i != 0, first[g]) for i, g in enumerate(groups)}
    keyed.sort(key=lambda k: (rank[k[0]], k[1], k[2]))
    return [str(c) for k in keyed for c in k[3]]


def formula_of(model: Any) -> FormulaDesign | None:
    """The :class:`FormulaDesign` of a model fitted by :func:`fit_formula`, else None."""
    design = getattr(model, "formula_", None)
    return design if isinstance(design, FormulaDesign) else None
