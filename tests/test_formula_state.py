"""The formula state's JSON: every value formulaic keeps round-trips, anything else is refused,
and a saved formula may call only arithmetic, formulaic's transforms and NumPy's math."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linreg.errors import LinregError
from linreg.io.formula_state import check_safe_formula, decode_state, encode_state

formulaic = pytest.importorskip("formulaic")
KINDS = {str(k.value): k for k in formulaic.parser.types.Factor.Kind}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(list(KINDS.values())),
)
states = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(0, 9)), inner, max_size=3),
    ),
    max_leaves=12,
)


def _fail(what: str) -> Exception:
    return ValueError(what)


def _round_trip(value: Any) -> Any:
    text = json.dumps(encode_state(value, "state"), allow_nan=False)
    return decode_state(json.loads(text), "state", _fail, KINDS)


@given(states)
def test_every_state_round_trips_through_json(value: Any) -> None:
    assert _round_trip(value) == value


def test_arrays_and_non_finite_floats_round_trip() -> None:
    back = _round_trip({"mean": np.array([1.5, -2.0]), "n": np.int64(3), "gap": float("nan")})
    np.testing.assert_array_equal(back["mean"], [1.5, -2.0])
    assert back["mean"].dtype == np.float64
    assert back["n"] == 3
    assert np.isnan(back["gap"])


def test_a_value_json_cannot_keep_is_refused_by_name() -> None:
    with pytest.raises(LinregError, match="of type 'object', which a model file cannot keep"):
        encode_state({"x": object()}, "transform_state")


@pytest.mark.parametrize(
    "stored",
    [{"set": [1]}, {"kind": "imaginary"}, {"array": [1], "dtype": "U3"}, {"dict": [[1]]}],
)
def test_bad_tags_are_refused(stored: Any) -> None:
    with pytest.raises(ValueError, match="field 'state"):
        decode_state(stored, "state", _fail, KINDS)


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ np.log(x) + C(r, Treatment('a')) + center(x) + poly(x, 2) + {x**2} + x:r",
        "np.log1p(y) ~ scale(x) - 1",
    ],
)
def test_safe_formulas_pass(formula: str) -> None:
    check_safe_formula(formulaic.Formula(formula), {"x", "y", "r"}, _fail)


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ {open('f').read()}",
        "y ~ {x.__class__}",
        "y ~ np.load(x)",
        "y ~ {__import__('os').getpid()}",
        "y ~ other",
        "y ~ {getattr(x, 'real')}",
    ],
)
def test_formulas_that_could_run_code_are_refused(formula: str) -> None:
    with pytest.raises(ValueError, match="field 'formula'"):
        check_safe_formula(formulaic.Formula(formula), {"x", "y"}, _fail)
