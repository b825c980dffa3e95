"""Fuzzing the model-file loader (``linreg.io.persistence.load_model``) and ``--json`` output.

Valid model files are mutated, aware of JSON (types changed, numbers made huge,
negative, NaN or 1e400, integers of thousands of digits, keys deleted or duplicated,
deep nesting, lists grown or shrunk, one field's value moved to another) and blind
(truncation, random bytes). The contract, for every mutated file:

- either it loads, and the model predicts finite numbers of the right shape, saves
  again to a file that loads to the same parameters, and, when the mutation left the
  JSON content as it was, equals the clean reference reading bit for bit;
- or loading raises one :class:`ModelFileError` whose one-line message starts with the
  file's name;
- nothing else (no other exception, no hang), and the file is never changed.

The commands ``predict``, ``evaluate`` and ``report`` are fuzzed the same way: exit 0
with a valid result, or exit 1 with one ``linreg: error:`` line and no traceback.

The default run is short; ``LINREG_FUZZ=long`` (``make fuzz``) runs 8 times as many
cases. Run with ``--hypothesis-show-statistics`` to see how many cases loaded and how
many were refused (Hypothesis' events ``loaded`` and ``refused``).
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli_helpers import Result, assert_one_error_line, run_quietly
from linreg import LinearRegression, ModelFileError, make_regression
from linreg.cli.common import json_ready, print_json
from linreg.io.persistence import load_model, save_model

LONG = os.environ.get("LINREG_FUZZ") == "long"
N = 200 if LONG else 25
FUZZ = settings(
    max_examples=N,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: The commands are slower (a process's worth of work each): fewer cases.
FUZZ_CLI = settings(FUZZ, max_examples=max(5, N // 5))

D = 2
NAMES = ["size", "age"]
X_PROBE = np.random.default_rng(5).uniform(-1.0, 1.0, size=(7, D))


# -- the valid files that are mutated -----------------------------------------------------------
@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model_fuzz")


@pytest.fixture(scope="module")
def reference(folder: Path) -> dict[str, Any]:
    """What ``train`` writes, with every optional field present: GD with validation data and
    standardization, the truth and the optimum in ``extra``. Few epochs: few paths."""
    data = make_regression(n_samples=60, n_features=D, weights=[1.5, -0.7], seed=3)
    val = make_regression(n_samples=20, n_features=D, weights=[1.5, -0.7], seed=4)
    model = LinearRegression(learning_rate=0.1, epochs=5, standardize=True, seed=7)
    model.fit(data.X, data.y, val.X, val.y)
    path = save_model(
        model,
        folder / "reference.json",
        feature_names=NAMES,
        target_name="price",
        data_sha256="ab" * 32,
        extra={
            "truth": {"weights": [1.5, -0.7], "bias": 2.0},
            "optimum_loss": 0.9,
            "optimum_coef": [1.5, -0.7],
            "optimum_intercept": 2.0,
            "training_file": "train.csv",
        },
    )
    content: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return content


@pytest.fixture(scope="module")
def bases(reference: dict[str, Any]) -> list[dict[str, Any]]:
    """The reference, and the same as a thinned history that says which epochs it kept."""
    thinned = copy.deepcopy(reference)
    kept = [0, 1, 2, 5]
    for key in ("loss", "W", "b", "val_loss"):
        thinned["history"][key] = [thinned["history"][key][e] for e in kept]
    thinned["history"]["epoch"] = kept
    return [reference, thinned]


@pytest.fixture(scope="module")
def data_csv(folder: Path) -> Path:
    """Data with the model's features and target (and y_true, as ``generate`` writes)."""
    rng = np.random.default_rng(9)
    X = rng.uniform(-3.0, 3.0, size=(30, D))
    y = X @ [1.5, -0.7] + 2.0
    rows = "".join(
        f"{a!r},{b!r},{t!r},{t!r}\n" for (a, b), t in zip(X.tolist(), y.tolist(), strict=True)
    )
    path = folder / "data.csv"
    path.write_text("size,age,price,y_true\n" + rows, encoding="utf-8")
    return path


# -- JSON with what json.dumps cannot write ---------------------------------------------------
@dataclass(frozen=True)
class Raw:
    """JSON text written as it is: 1e400, NaN, an integer of 5,000 digits, deep nesting."""

    text: str


class Twice(dict[str, Any]):
    """An object whose key ``again`` is written a second time, with ``value``."""

    again: str = ""
    value: Any = None


def dumps(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        pairs = list(value.items())
        if isinstance(value, Twice):
            pairs.append((value.again, value.value))
        return "{" + ", ".join(f"{json.dumps(k)}: {dumps(v)}" for k, v in pairs) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value)  # NaN and Infinity as JSON's extension writes them


Path_ = tuple[str | int, ...]


def paths(node: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every path to a value in the tree (not the root)."""
    out: list[Path_] = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        out.append((*prefix, key))
        if isinstance(value, (dict, list)) and not isinstance(value, Twice):
            out.extend(paths(value, (*prefix, key)))
    return out


def at(tree: Any, path: Path_) -> Any:
    for key in path:
        tree = tree[key]
    return tree


RAW = st.sampled_from(
    [
        Raw("1e400"),
        Raw("-1e400"),
        Raw("1e-400"),
        Raw("NaN"),
        Raw("Infinity"),
        Raw("-Infinity"),
        Raw("-0.0"),
        Raw("5e-324"),
        Raw("1.7976931348623157e308"),
        Raw("1" + "0" * 20),
        Raw("1" + "0" * 100),
        Raw("1" + "0" * 101),
        Raw("1" + "0" * 400),
        Raw("9" * 4301),
        Raw("-" + "9" * 5000),
        Raw("[" * 60 + "]" * 60),
        Raw("[" * 70 + "]" * 70),
        Raw("[" * 1000 + "]" * 1000),
        Raw('{"a": ' * 200 + "1" + "}" * 200),
        Raw("[" * 50_000 + "]" * 50_000),
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=6),
    st.sampled_from([0, -1, 1, 2**63, 2**64, 0.0, -1.0, 1e308, -1e308, "", "size", "price"]),
)
VALUES = st.one_of(
    SCALARS,
    RAW,
    st.lists(st.one_of(SCALARS, RAW), max_size=4),
    st.dictionaries(st.text(max_size=4), SCALARS, max_size=3),
)
OPERATIONS = ["replace", "replace", "move", "delete", "twice", "wrap", "grow", "shrink"]


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> str:
    """The base's content with 1 to 3 JSON-aware mutations, as JSON text."""
    tree = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        every = paths(tree)
        short = [p for p in every if len(p) <= 2]
        path = draw(st.one_of(st.sampled_from(short), st.sampled_from(every)))
        parent, key = at(tree, path[:-1]), path[-1]
        if isinstance(parent, Twice):
            continue
        operation = draw(st.sampled_from(OPERATIONS))
        value = parent[key]
        if operation == "replace":
            parent[key] = draw(VALUES)
        elif operation == "move":  # another field's value: a plausible confusion
            parent[key] = copy.deepcopy(at(tree, draw(st.sampled_from(every))))
        elif operation == "delete":
            del parent[key]
        elif operation == "twice" and isinstance(parent, dict):
            twice = Twice(parent)
            twice.again, twice.value = str(key), draw(VALUES)
            if len(path) == 1:
                tree = twice
            else:
                at(tree, path[:-2])[path[-2]] = twice
        elif operation == "wrap":
            parent[key] = [value]
        elif operation == "grow" and isinstance(value, list):
            value.append(copy.deepcopy(value[-1]) if value else draw(VALUES))
        elif operation == "shrink" and isinstance(value, list) and value:
            del value[draw(st.integers(0, len(value) - 1))]
    return dumps(tree)


@st.composite
def damaged(draw: st.DrawFn, raw: bytes) -> bytes:
    """The bytes of a valid file, blindly damaged."""
    i = draw(st.integers(0, len(raw)))
    j = draw(st.integers(i, min(len(raw), i + 64)))
    kind = draw(st.sampled_from(["truncate", "overwrite", "insert", "delete", "splice", "noise"]))
    if kind == "truncate":
        return raw[:i]
    if kind == "overwrite":
        return raw[:i] + draw(st.binary(min_size=1, max_size=4)) + raw[i + 4 :]
    if kind == "insert":
        return raw[:i] + draw(st.binary(min_size=1, max_size=8)) + raw[i:]
    if kind == "delete":
        return raw[:i] + raw[j:]
    if kind == "splice":
        return raw[:j] + raw[i:]
    return draw(st.binary(max_size=200))


# -- the contract ---------------------------------------------------------------------------------
def check_load(path: Path, raw: bytes, reference: dict[str, Any]) -> None:
    """Load ``path`` (holding ``raw``) and assert the contract; the model file is kept."""
    try:
        model, content = load_model(path)
    except ModelFileError as exc:
        event("refused")
        message = str(exc)
        assert message.startswith(f"{path}: "), message
        assert "\n" not in message
        assert "Traceback" not in message
    else:
        event("loaded")
        d = len(content["feature_names"])
        assert model.coef_.shape == (d,)
        assert np.isfinite(model.coef_).all()
        assert math.isfinite(model.intercept_)
        X = np.resize(X_PROBE, (X_PROBE.shape[0], d))
        predictions = model.predict(X)
        assert predictions.shape == (X.shape[0],)
        if np.abs(model.coef_).sum() + abs(model.intercept_) < 1e300:
            assert np.isfinite(predictions).all()
        # null losses are overflows, read as +inf; nothing else may be non-finite
        assert (np.isfinite(model.history_.loss) | (model.history_.loss == np.inf)).all()
        assert np.isfinite(model.history_.W).all()
        again = save_model(
            model,
            path.with_name("again.json"),
            feature_names=content["feature_names"],
            target_name=content["target_name"],
            extra=content.get("extra"),
        )
        reloaded, _ = load_model(again)
        assert reloaded.coef_.tobytes() == model.coef_.tobytes()
        assert reloaded.intercept_ == model.intercept_
        try:
            plain = json.loads(raw)
        except ValueError:
            plain = None
        if plain == reference:
            event("loaded, content as the reference")
            expected = np.asarray(reference["coef"], dtype=np.float64)
            assert model.coef_.tobytes() == expected.tobytes()
            assert model.intercept_ == reference["intercept"]
    assert path.read_bytes() == raw


@pytest.mark.fuzz
@FUZZ
@given(data=st.data())
def test_json_aware_mutations_load_or_are_refused_naming_the_file(
    folder: Path, bases: list[dict[str, Any]], reference: dict[str, Any], data: st.DataObject
) -> None:
    base = data.draw(st.sampled_from(bases))
    raw = data.draw(mutated(base)).encode("utf-8")
    path = folder / "mutated.json"
    path.write_bytes(raw)
    check_load(path, raw, reference)


@pytest.mark.fuzz
@FUZZ
@given(data=st.data())
def test_damaged_bytes_load_or_are_refused_naming_the_file(
    folder: Path, reference: dict[str, Any], data: st.DataObject
) -> None:
    clean = json.dumps(reference, indent=1).encode("utf-8")
    raw = data.draw(damaged(clean))
    path = folder / "damaged.json"
    path.write_bytes(raw)
    check_load(path, raw, reference)


def test_the_unmutated_files_load(folder: Path, bases: list[dict[str, Any]]) -> None:
    """The fuzzers' starting points are valid: the refusals they count are the mutations'."""
    for i, base in enumerate(bases):
        path = folder / f"base{i}.json"
        path.write_text(dumps(base), encoding="utf-8")
        model, _ = load_model(path)
        assert model.coef_.tolist() == base["coef"]


# -- the commands on mutated files -----------------------------------------------------------
def check_command(result: Result, outputs: list[Path], model: Path, raw: bytes) -> None:
    """Exit 0, or exit 1 with one error line, no traceback and no output written."""
    assert "Traceback" not in result.err
    if result.code == 0:
        event("command succeeded")
        assert all(p.exists() for p in outputs)
    else:
        event("command refused")
        assert_one_error_line(result)
        assert not any(p.exists() for p in outputs)
    assert model.read_bytes() == raw


@pytest.mark.fuzz
@FUZZ_CLI
@given(data=st.data())
def test_predict_and_evaluate_on_mutated_files(
    folder: Path, bases: list[dict[str, Any]], data_csv: Path, data: st.DataObject
) -> None:
    raw = data.draw(mutated(data.draw(st.sampled_from(bases)))).encode("utf-8")
    model = folder / "cli_model.json"
    model.write_bytes(raw)
    out = folder / "predictions.csv"
    out.unlink(missing_ok=True)
    check_command(run_quietly("predict", model, data_csv, "--out", out), [out], model, raw)
    result = run_quietly("evaluate", model, data_csv, "--compare", "--json")
    check_command(result, [], model, raw)
    if result.code == 0:
        assert set(result.json()) >= {"mse", "untrained", "parameters", "optimization_gap"}


@pytest.mark.fuzz
@pytest.mark.skipif(not LONG, reason="a report takes seconds: LINREG_FUZZ=long (make fuzz) only")
@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_report_on_mutated_files(
    folder: Path, bases: list[dict[str, Any]], data_csv: Path, data: st.DataObject
) -> None:
    raw = data.draw(mutated(data.draw(st.sampled_from(bases)))).encode("utf-8")
    model = folder / "report_model.json"
    model.write_bytes(raw)
    out = folder / "report.html"
    out.unlink(missing_ok=True)
    result = run_quietly("report", model, data_csv, "--out", out, "--no-animation")
    check_command(result, [out], model, raw)


def _edit(path: str, value: Any) -> Callable[[dict[str, Any]], str]:
    def edit(content: dict[str, Any]) -> str:
        *parents, last = path.split(".")
        node = content
        for key in parents:
            node = node[key]
        node[last] = value
        return dumps(content)

    return edit


#: The model files of issue 18, each a traceback or a wrong answer before, and the field
#: the error must name.
ISSUE_FILES: dict[str, tuple[Callable[[dict[str, Any]], str], str]] = {
    "nested 1,000 levels": (_edit("extra.x", Raw("[" * 1000 + "]" * 1000)), "nested too deeply"),
    "integer of 4,301 digits": (
        _edit("hyperparameters.epochs", Raw("1" * 4301)),
        "'hyperparameters.epochs' is an integer of 4301 digits",
    ),
    "1e400": (_edit("intercept", Raw("1e400")), "'intercept' is infinite"),
    "10^400": (_edit("coef", [Raw("1" + "0" * 400), 1.0]), "'coef[0]' is an integer of 401"),
    "history.loss not a list": (_edit("history.loss", 5), "'history.loss' must be a list"),
    "extra.truth a string": (_edit("extra.truth", "3x+2"), "'extra.truth' must be an object"),
    "extra.truth.weights wrong": (
        _edit("extra.truth", {"weights": "ab", "bias": [1]}),
        "'extra.truth.weights' must be a list of 2 finite numbers",
    ),
    "extra.optimum_loss a string": (
        _edit("extra.optimum_loss", "zz"),
        "'extra.optimum_loss' must be a finite number or null",
    ),
    "eta_max a list": (
        _edit("training.max_stable_learning_rate", [0.1]),
        "'training.max_stable_learning_rate' must be a finite number > 0 or null",
    ),
    "NaN in the history": (
        _edit("history.val_loss", [Raw("NaN")] * 6),
        "history.val_loss[0]' is NaN",
    ),
    "a feature named twice": (
        _edit("feature_names", ["size", "size"]),
        "'feature_names' names the feature 'size' twice",
    ),
}

COMMANDS: dict[str, Callable[[Path, Path, Path], list[str | Path]]] = {
    "predict": lambda m, d, o: ["predict", m, d, "--out", o],
    "evaluate --compare --json": lambda m, d, o: ["evaluate", m, d, "--compare", "--json"],
    "report": lambda m, d, o: ["report", m, d, "--out", o],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(("make", "field"), ISSUE_FILES.values(), ids=list(ISSUE_FILES))
def test_the_issue_model_files_are_one_error_line_naming_file_and_field(
    tmp_path: Path,
    reference: dict[str, Any],
    data_csv: Path,
    command: str,
    make: Callable[[dict[str, Any]], str],
    field: str,
) -> None:
    model = tmp_path / "model.json"
    model.write_text(make(copy.deepcopy(reference)), encoding="utf-8")
    raw = model.read_bytes()
    out = tmp_path / "out.file"
    result = run_quietly(*COMMANDS[command](model, data_csv, out))
    assert_one_error_line(result, f"{model}: ", field)
    assert not out.exists()
    assert model.read_bytes() == raw


# -- --json never fails on NaN or infinity ---------------------------------------------------
def printed(payload: Any, capsys: pytest.CaptureFixture[str]) -> Any:
    print_json(payload)
    return json.loads(capsys.readouterr().out)


def test_print_json_writes_nan_and_infinity_as_null(capsys: pytest.CaptureFixture[str]) -> None:
    payload = {
        "nan": float("nan"),
        "inf": np.inf,
        "array": np.array([1.0, -np.inf, np.nan]),
        "matrix": np.array([[np.nan, 2.0]]),
        "f32": np.float32("nan"),
        "tuple": (1, -np.inf),
        "nested": [{"x": [np.float64("inf")]}],
        "ints": np.arange(3),
        "path": Path("a/b.csv"),
    }
    assert printed(payload, capsys) == {
        "nan": None,
        "inf": None,
        "array": [1.0, None, None],
        "matrix": [[None, 2.0]],
        "f32": None,
        "tuple": [1, None],
        "nested": [{"x": [None]}],
        "ints": [0, 1, 2],
        "path": "a/b.csv",
    }


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


def finite_part(value: Any) -> Any:
    """The oracle: ``value`` with NaN and infinities as None (no NumPy)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_part(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_part(v) for v in value]
    return value


@pytest.mark.fuzz
@FUZZ
@given(value=JSON_VALUES)
def test_print_json_always_prints_json_keeping_every_finite_value(value: Any) -> None:
    text = json.dumps(json_ready(value), allow_nan=False)  # what print_json writes
    assert json.loads(text) == finite_part(value)


def test_evaluate_json_prints_an_overflowing_mse_as_null(
    tmp_path: Path, reference: dict[str, Any], data_csv: Path
) -> None:
    """Predictions near 1e200 against the target: the squared errors overflow."""
    model = tmp_path / "model.json"
    model.write_text(dumps(_edit_content(reference, "coef", [1e200, 1e200])), encoding="utf-8")
    result = run_quietly("evaluate", model, data_csv, "--json")
    assert result.code == 0, result.err
    assert result.json()["mse"] is None


def _edit_content(content: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    edited = copy.deepcopy(content)
    edited[key] = value
    return edited


@pytest.mark.parametrize(
    "text",
    [
        '{"weights": ' + "[" * 100_000 + "]" * 100_000 + ', "bias": 1}',
        '{"weights": [1e400, 1.0], "bias": 2.0}',
        '{"weights": [1.0, 1.0], "bias": NaN}',
        '{"weights": [1' + "0" * 5000 + ', 1.0], "bias": 2.0}',
    ],
    ids=["nested", "1e400", "NaN", "5,000 digits"],
)
def test_a_bad_truth_file_beside_the_data_is_one_error_line(
    tmp_path: Path, reference: dict[str, Any], data_csv: Path, text: str
) -> None:
    """``evaluate --compare`` reads truth.json beside the data when the model has no truth."""
    data = tmp_path / "data.csv"
    data.write_bytes(data_csv.read_bytes())
    truth = tmp_path / "truth.json"
    truth.write_text(text, encoding="utf-8")
    content = copy.deepcopy(reference)
    del content["extra"]["truth"]
    model = tmp_path / "model.json"
    model.write_text(dumps(content), encoding="utf-8")
    result = run_quietly("evaluate", model, data, "--compare")
    assert_one_error_line(result, f"{truth}: not a valid truth file")
