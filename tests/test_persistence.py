"""JSON model files (``linreg.io.persistence``): exact round trips and refusal of bad files."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import linreg
from linreg import LinearRegression, ModelFileError, NotFittedError, make_regression
from linreg.errors import LinregError
from linreg.io.persistence import (
    FORMAT,
    FORMAT_VERSION,
    MAX_HISTORY_ENTRIES,
    MAX_MODEL_FILE_BYTES,
    load_model,
    model_to_dict,
    save_model,
)

SHA = "ab" * 32


@pytest.fixture(scope="module")
def fitted() -> LinearRegression:
    """GD with validation data and standardization: every field of the file is populated."""
    data = make_regression(n_samples=120, n_features=2, weights=[1.5, -0.7], seed=3)
    val = make_regression(n_samples=40, n_features=2, weights=[1.5, -0.7], seed=4)
    model = LinearRegression(learning_rate=0.1, epochs=60, standardize=True, seed=7)
    return model.fit(data.X, data.y, val.X, val.y)


@pytest.fixture
def saved(tmp_path: Path, fitted: LinearRegression) -> Path:
    return save_model(
        fitted,
        tmp_path / "model.json",
        feature_names=["size", "age"],
        target_name="price",
        data_sha256=SHA,
        extra={"note": "for the tests"},
    )


def content_of(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def same_bits(a: Any, b: Any) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


# -- what a model file holds -----------------------------------------------------------------
def test_the_file_is_json_with_every_documented_field(
    saved: Path, fitted: LinearRegression
) -> None:
    content = content_of(saved)
    assert content["format"] == FORMAT == "linreg-model"
    assert content["format_version"] == FORMAT_VERSION == 3
    assert content["inference"]["n_samples"] == 120
    assert content["linreg_version"] == linreg.__version__
    assert content["estimator"] == "LinearRegression"
    assert content["feature_names"] == ["size", "age"]
    assert content["target_name"] == "price"
    assert content["hyperparameters"] == fitted.get_params()
    assert content["hyperparameters"]["learning_rate"] == 0.1
    assert content["hyperparameters"]["standardize"] is True
    assert content["hyperparameters"]["alpha"] == 0.0
    training = content["training"]
    assert training["weighted"] is False
    assert training["data_sha256"] == SHA
    assert training["n_samples"] == 120
    assert training["n_iter"] == 60
    assert training["n_steps"] == 60
    assert training["stop_reason"] == "max_epochs"
    assert training["final_loss"] == fitted.history_.final_loss
    assert training["max_stable_learning_rate"] > 0
    assert set(content["history"]) == {"loss", "W", "b", "val_loss"}
    assert len(content["history"]["loss"]) == 61
    assert content["extra"] == {"note": "for the tests"}


def test_save_and_load_round_trip_is_bit_exact(saved: Path, fitted: LinearRegression) -> None:
    model, content = load_model(saved)
    assert same_bits(model.coef_, fitted.coef_)
    assert model.intercept_ == fitted.intercept_
    assert same_bits(model.intercept_, fitted.intercept_)
    for field in ("loss", "W", "b", "val_loss"):
        assert same_bits(getattr(model.history_, field), getattr(fitted.history_, field)), field
    assert model.n_iter_ == fitted.n_iter_
    assert model.n_steps_ == fitted.n_steps_ == 60
    assert model.stop_reason_ == fitted.stop_reason_
    assert model.n_features_in_ == 2
    assert model.get_params() == fitted.get_params()
    assert content["feature_names"] == ["size", "age"]


def test_a_file_without_n_steps_loads_with_none(tmp_path: Path, saved: Path) -> None:
    content = content_of(saved)
    del content["training"]["n_steps"]
    older = tmp_path / "older.json"
    older.write_text(json.dumps(content), encoding="utf-8")
    model, _ = load_model(older)
    assert model.n_steps_ is None
    assert model.n_iter_ == 60


def test_alpha_and_weighting_round_trip(tmp_path: Path) -> None:
    data = make_regression(n_samples=50, n_features=2, seed=5)
    w = np.linspace(0.5, 2.0, 50)
    model = LinearRegression(epochs=5, alpha=0.25).fit(data.X, data.y, sample_weight=w)
    loaded, content = load_model(save_model(model, tmp_path / "ridge.json"))
    assert content["hyperparameters"]["alpha"] == 0.25
    assert content["training"]["weighted"] is True
    assert loaded.alpha == 0.25
    assert loaded.weighted_ is True
    assert same_bits(loaded.coef_, model.coef_)
    assert loaded.intercept_ == model.intercept_


def test_a_format_1_file_without_alpha_loads_unpenalized(tmp_path: Path, saved: Path) -> None:
    """What the previous version wrote: format 1, no alpha, no training.weighted."""
    content = content_of(saved)
    content["format_version"] = 1
    del content["hyperparameters"]["alpha"]
    del content["training"]["weighted"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(content), encoding="utf-8")
    model, loaded = load_model(old)
    assert model.alpha == 0.0
    assert model.weighted_ is None
    assert "alpha" not in loaded["hyperparameters"]
    assert same_bits(model.coef_, content["coef"])


def test_the_loaded_model_predicts_identically(saved: Path, fitted: LinearRegression) -> None:
    X_new = np.random.default_rng(11).uniform(-50, 50, size=(25, 2))
    model, _ = load_model(saved)
    assert model.predict(X_new).tobytes() == fitted.predict(X_new).tobytes()


def test_a_loaded_model_saves_again_to_the_same_parameters(tmp_path: Path, saved: Path) -> None:
    model, content = load_model(saved)
    again = save_model(model, tmp_path / "again.json", feature_names=content["feature_names"])
    reloaded, _ = load_model(again)
    assert same_bits(reloaded.coef_, model.coef_)
    assert reloaded.intercept_ == model.intercept_
    assert same_bits(reloaded.history_.loss, model.history_.loss)


def test_feature_names_default_to_the_frame_columns_then_to_x1_xd() -> None:
    data = make_regression(n_samples=30, n_features=2, seed=1)
    frame = pd.DataFrame(data.X, columns=["height", "width"])
    from_frame = LinearRegression(epochs=3).fit(frame, data.y)
    from_array = LinearRegression(epochs=3).fit(data.X, data.y)
    assert model_to_dict(from_frame)["feature_names"] == ["height", "width"]
    assert model_to_dict(from_array)["feature_names"] == ["x1", "x2"]


def test_a_model_without_intercept_round_trips(tmp_path: Path) -> None:
    data = make_regression(n_samples=50, bias=0.0, seed=2)
    model = LinearRegression(epochs=20, fit_intercept=False).fit(data.X, data.y)
    loaded, _ = load_model(save_model(model, tmp_path / "m.json"))
    assert loaded.intercept_ == 0.0
    assert loaded.fit_intercept is False
    assert same_bits(loaded.coef_, model.coef_)


def test_an_unfitted_model_cannot_be_saved(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        save_model(LinearRegression(), tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("extra", "error"),
    [({"bad": object()}, TypeError), ({"loss": float("nan")}, ValueError)],
    ids=["not JSON", "NaN"],
)
def test_a_failed_save_leaves_the_old_file_untouched(
    saved: Path, fitted: LinearRegression, extra: dict[str, Any], error: type[Exception]
) -> None:
    before = saved.read_bytes()
    with pytest.raises(error):
        save_model(fitted, saved, extra=extra)
    assert saved.read_bytes() == before
    assert [p.name for p in saved.parent.iterdir()] == ["model.json"]


def test_numpy_scalar_hyperparameters_can_be_saved(tmp_path: Path) -> None:
    data = make_regression(n_samples=30, seed=5)
    model = LinearRegression(epochs=np.int64(5), standardize=np.bool_(True), seed=np.int64(1))
    model.fit(data.X, data.y)
    loaded, _ = load_model(save_model(model, tmp_path / "m.json"))
    assert loaded.epochs == 5
    assert loaded.standardize is True


def test_numpy_scalars_in_extra_and_names_are_saved_as_plain_json(
    tmp_path: Path, fitted: LinearRegression
) -> None:
    """What ``train`` and library users pass: NumPy floats in ``extra``, NumPy strings."""
    extra = {"optimum_intercept": np.float64(2.5), "truth": {"weights": [1.5, -0.7], "bias": 2.0}}
    path = save_model(
        fitted,
        tmp_path / "m.json",
        feature_names=[np.str_("a"), "b"],
        target_name=np.str_("t"),
        extra=extra,
    )
    _, content = load_model(path)
    assert content["extra"]["optimum_intercept"] == 2.5
    assert content["feature_names"] == ["a", "b"]
    assert content["target_name"] == "t"


# -- refusing bad files ----------------------------------------------------------------------
Edit = Callable[[dict[str, Any]], Any]


def set_field(path: str, value: Any) -> Edit:
    """An edit that sets a (dotted) field of the file's content."""

    def edit(content: dict[str, Any]) -> dict[str, Any]:
        *parents, last = path.split(".")
        node = content
        for key in parents:
            node = node[key]
        node[last] = value
        return content

    return edit


def drop_field(path: str) -> Edit:
    def edit(content: dict[str, Any]) -> dict[str, Any]:
        *parents, last = path.split(".")
        node = content
        for key in parents:
            node = node[key]
        del node[last]
        return content

    return edit


CORRUPTIONS: dict[str, tuple[Edit, str]] = {
    "a JSON list": (lambda c: [c], r'not a linreg model file \(no "format": "linreg-model"\)'),
    "foreign format": (set_field("format", "sklearn-pickle"), r'no "format": "linreg-model"'),
    "no format": (drop_field("format"), r'no "format"'),
    "no format_version": (drop_field("format_version"), r"'format_version' is missing"),
    "text format_version": (set_field("format_version", "1"), r"'format_version'"),
    "newer format_version": (
        set_field("format_version", FORMAT_VERSION + 1),
        r"written by a newer linreg .*file format 4\); this linreg reads format 3: upgrade",
    ),
    "text coef": (set_field("coef", ["3.0", 1.0]), r"field 'coef' must be a non-empty list"),
    "empty coef": (set_field("coef", []), r"field 'coef'"),
    "null coef": (set_field("coef", None), r"field 'coef'"),
    "boolean coef": (set_field("coef", [True, 1.0]), r"field 'coef'"),
    "NaN coef": (set_field("coef", [float("nan"), 1.0]), r"field 'coef\[0\]' is NaN.*finite"),
    "infinite intercept": (set_field("intercept", float("inf")), r"field 'intercept'"),
    "text intercept": (set_field("intercept", "2"), r"field 'intercept'"),
    "too few feature_names": (set_field("feature_names", ["size"]), r"'feature_names' must list 2"),
    "numeric feature_names": (set_field("feature_names", [1, 2]), r"field 'feature_names'"),
    "no target_name": (drop_field("target_name"), r"field 'target_name' is missing"),
    "hyperparameters a list": (set_field("hyperparameters", []), r"'hyperparameters' and 'tr"),
    "training a string": (set_field("training", "gd"), r"'hyperparameters' and 'training'"),
    "unknown hyperparameter": (
        set_field("hyperparameters.gamma", 1.0),
        r"field 'hyperparameters.gamma' is not a hyperparameter \(unknown parameter 'gamma'",
    ),
    "negative learning rate": (
        set_field("hyperparameters.learning_rate", -0.1),
        r"bad hyperparameters .*learning rate must be a positive number",
    ),
    "unknown solver": (set_field("hyperparameters.solver", "adam"), r"solver must be one of"),
    "no history": (drop_field("history"), r"field 'history' must be an object, got None"),
    "history lengths differ": (
        set_field("history.b", [0.0]),
        r"history: loss, W and b must have one entry per epoch",
    ),
    "text in history": (
        set_field("history.loss", ["x"] * 61),
        r"field 'history.loss' must be a list of losses \(finite numbers, or null for an "
        r"overflow\); history.loss\[0\] is 'x'",
    ),
    "history of another width": (
        set_field("history.W", [[0.0]] * 61),
        r"the history's W has the wrong width",
    ),
    # Every field's type, shape and range (issue 18): each was a traceback or a wrong answer.
    "history.loss a number": (
        set_field("history.loss", 5),
        r"field 'history.loss' must be a list of losses, got 5",
    ),
    "history.loss an object": (set_field("history.loss", {"a": 1}), r"field 'history.loss'"),
    "history.loss empty": (set_field("history.loss", []), r"'history.loss' must hold at least one"),
    "history.W not lists": (set_field("history.W", [1.0] * 61), r"field 'history.W' must be 61"),
    "boolean in history.W": (
        set_field("history.W", [[True, 0.0]] * 61),
        r"field 'history.W\[0\]' must be 2 finite numbers",
    ),
    "short val_loss": (
        set_field("history.val_loss", [1.0]),
        r"field 'history.val_loss' must be a list of 61 losses, got 1 entries",
    ),
    "text in history.b": (set_field("history.b", ["0"] * 61), r"history.b\[0\] is '0'"),
    "history.epoch decreasing": (
        set_field("history.epoch", list(range(61))[::-1]),
        r"'history.epoch' must hold increasing whole numbers >= 0; history.epoch\[1\] is 59",
    ),
    "history.epoch negative": (
        set_field("history.epoch", list(range(-1, 60))),
        r"history.epoch\[0\] is -1",
    ),
    "history.epoch floats": (
        set_field("history.epoch", [float(e) for e in range(61)]),
        r"history.epoch\[0\] is 0.0",
    ),
    "history.epoch too short": (
        set_field("history.epoch", [0, 1]),
        r"field 'history.epoch' must list 61 epochs, one per entry",
    ),
    "feature named twice": (
        set_field("feature_names", ["size", "size"]),
        r"field 'feature_names' names the feature 'size' twice",
    ),
    "target among the features": (
        set_field("target_name", "age"),
        r"field 'target_name' 'age' is also a feature name",
    ),
    "numeric target_name": (set_field("target_name", 3), r"field 'target_name' must be text"),
    "format_version 0": (set_field("format_version", 0), r"'format_version' must be a whole"),
    "format_version true": (set_field("format_version", True), r"'format_version' must be"),
    "numeric linreg_version": (set_field("linreg_version", 3), r"field 'linreg_version' must be"),
    "text epochs": (set_field("hyperparameters.epochs", "60"), r"'hyperparameters.epochs'"),
    "negative seed": (
        set_field("hyperparameters.seed", -1),
        r"field 'hyperparameters.seed' must be a whole number >= 0 or null, got -1",
    ),
    "text standardize": (
        set_field("hyperparameters.standardize", "yes"),
        r"field 'hyperparameters.standardize' must be true or false, got 'yes'",
    ),
    "momentum 1": (set_field("hyperparameters.momentum", 1.0), r"momentum must be in \[0, 1\)"),
    "intercept without fit_intercept": (
        set_field("hyperparameters.fit_intercept", False),
        r"field 'intercept' is .* but the model has none \(hyperparameters.fit_intercept is false",
    ),
    "text tol": (set_field("hyperparameters.tol", "1e-6"), r"'hyperparameters.tol'"),
    "n_iter beyond int64": (set_field("training.n_iter", 2**64), r"'training.n_iter' must be"),
    "fractional n_steps": (set_field("training.n_steps", 1.5), r"'training.n_steps' must be"),
    "negative n_samples": (set_field("training.n_samples", -1), r"'training.n_samples' must be"),
    "text weighted": (set_field("training.weighted", "yes"), r"'training.weighted' must be"),
    "numeric stop_reason": (set_field("training.stop_reason", 1), r"'training.stop_reason'"),
    "bad data_sha256": (
        set_field("training.data_sha256", "xyz"),
        r"'training.data_sha256' must be 64 hexadecimal digits or null, got 'xyz'",
    ),
    "text final_loss": (set_field("training.final_loss", "0.1"), r"'training.final_loss'"),
    "eta_max a list": (
        set_field("training.max_stable_learning_rate", [1]),
        r"'training.max_stable_learning_rate' must be a finite number > 0 or null, got list",
    ),
    "eta_max text": (
        set_field("training.max_stable_learning_rate", "0.1"),
        r"'training.max_stable_learning_rate'",
    ),
    "negative condition number": (
        set_field("training.condition_number", -1.0),
        r"'training.condition_number' must be a finite number > 0",
    ),
    "extra a list": (set_field("extra", []), r"field 'extra' must be an object, got list"),
    "extra.truth text": (set_field("extra.truth", "3x+2"), r"field 'extra.truth' must be an"),
    "extra.truth weights text": (
        set_field("extra.truth", {"weights": "ab", "bias": 1.0}),
        r"field 'extra.truth.weights' must be a list of 2 finite numbers, got 'ab'",
    ),
    "extra.truth one weight": (
        set_field("extra.truth", {"weights": [1.0], "bias": 1.0}),
        r"'extra.truth.weights' must be a list of 2 finite numbers, got 1 entries",
    ),
    "extra.truth bias a list": (
        set_field("extra.truth", {"weights": [1.0, 2.0], "bias": [1]}),
        r"field 'extra.truth.bias' must be a finite number, got list",
    ),
    "extra.truth without bias": (
        set_field("extra.truth", {"weights": [1.0, 2.0]}),
        r"field 'extra.truth.bias' must be a finite number, got None",
    ),
    "extra.optimum_loss text": (
        set_field("extra.optimum_loss", "zz"),
        r"field 'extra.optimum_loss' must be a finite number or null, got 'zz'",
    ),
    "extra.optimum_coef short": (set_field("extra.optimum_coef", [1.0]), r"'extra.optimum_coef'"),
    "NaN deep in extra": (
        set_field("extra.notes", {"a": [1.0, float("nan")]}),
        r"'extra.notes.a\[1\]' is NaN",
    ),
    "nested too deep": (
        set_field("extra.deep", json.loads("[" * 70 + "]" * 70)),
        r"JSON nested too deeply \(linreg reads at most 64 levels\): "
        r"field 'extra.deep\[0\]\[0\]\.\.\.' goes deeper",
    ),
}


@pytest.mark.parametrize(("edit", "message"), CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corrupt_foreign_or_newer_files_are_refused_naming_the_field(
    saved: Path, edit: Edit, message: str
) -> None:
    content = edit(copy.deepcopy(content_of(saved)))
    saved.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(saved)
    assert str(info.value).startswith(f"{saved}: ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda raw: raw[: len(raw) // 2], r"not valid JSON \(line \d+: .*truncated"),
        (lambda raw: b"", r"not valid JSON \(line 1"),
        (lambda raw: b"\xff\xfe" + raw, r"not a linreg model file \(not UTF-8 text\)"),
        (lambda raw: b"model: yes\n", r"not valid JSON"),
    ],
    ids=["truncated", "empty", "binary", "not JSON"],
)
def test_unreadable_files_are_refused(
    saved: Path, damage: Callable[[bytes], bytes], message: str
) -> None:
    saved.write_bytes(damage(saved.read_bytes()))
    with pytest.raises(ModelFileError, match=message):
        load_model(saved)


def test_a_file_saved_with_a_byte_order_mark_loads(saved: Path, fitted: LinearRegression) -> None:
    saved.write_bytes(b"\xef\xbb\xbf" + saved.read_bytes())
    model, _ = load_model(saved)
    assert same_bits(model.coef_, fitted.coef_)


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"absent\.json: model file not found"):
        load_model(tmp_path / "absent.json")


def test_a_folder_is_not_a_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="model file not found"):
        load_model(tmp_path)


def test_a_null_iteration_count_is_refused_naming_the_field(saved: Path) -> None:
    content = set_field("training.n_iter", None)(content_of(saved))
    saved.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ModelFileError, match="n_iter"):
        load_model(saved)


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


# Edits of the file's text: JSON that Python's json module reads but that no model file
# may hold. Each was a traceback (RecursionError, ValueError, OverflowError) or a model
# that then failed elsewhere.
TEXT_DAMAGE: dict[str, tuple[Callable[[str], str], str]] = {
    "nested 1,000 levels": (
        lambda t: _replace_once(t, '"extra": {', '"extra": {"x": ' + "[" * 1000 + "]" * 1000 + ","),
        r"JSON nested too deeply \(linreg reads at most 64 levels\)",
    ),
    "nested 100,000 levels": (
        lambda t: "[" * 100_000 + "]" * 100_000,
        r"JSON nested too deeply",
    ),
    "integer of 4,301 digits": (
        lambda t: _replace_once(t, '"epochs": 60', '"epochs": 1' + "0" * 4300),
        r"field 'hyperparameters.epochs' is an integer of 4301 digits, more than the 100",
    ),
    "10^400 as an integer": (
        lambda t: _replace_once(t, '"intercept": ', '"intercept": 1' + "0" * 400 + ', "i": '),
        r"field 'intercept' is an integer of 401 digits",
    ),
    "1e400": (
        lambda t: _replace_once(t, '"intercept": ', '"intercept": 1e400, "i": '),
        r"field 'intercept' is infinite \(beyond a float's range\); a model file holds finite",
    ),
    "-1e400 in the history": (
        lambda t: _replace_once(t, '"b": [', '"b": [-1e400, '),
        r"field 'history.b\[0\]' is infinite",
    ),
    "NaN in the history": (
        lambda t: _replace_once(t, '"loss": [', '"loss": [NaN, '),
        r"field 'history.loss\[0\]' is NaN",
    ),
    "Infinity in coef": (
        lambda t: _replace_once(t, '"coef": [', '"coef": [Infinity, '),
        r"field 'coef\[0\]' is infinite",
    ),
    "a key twice": (
        lambda t: _replace_once(t, '"coef": ', '"coef": [1.0, 2.0], "coef": '),
        r"the key 'coef' appears twice in one object",
    ),
}


@pytest.mark.parametrize(("damage", "message"), TEXT_DAMAGE.values(), ids=TEXT_DAMAGE.keys())
def test_json_beyond_what_a_model_file_holds_is_refused(
    saved: Path, damage: Callable[[str], str], message: str
) -> None:
    text = damage(json.dumps(content_of(saved)))
    saved.write_text(text, encoding="utf-8")
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(saved)
    assert str(info.value).startswith(f"{saved}: ")
    assert "\n" not in str(info.value)
    assert saved.read_text(encoding="utf-8") == text


def test_a_file_over_the_size_cap_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_MODEL_FILE_BYTES + 1)  # sparse: no 64 MiB written
    with pytest.raises(
        ModelFileError, match=r"big\.json: the file is 64\.0 MiB, more than the 64 "
    ):
        load_model(big)


def test_a_history_over_the_length_cap_is_refused(saved: Path) -> None:
    content = content_of(saved)
    content["history"]["loss"] = [0] * (MAX_HISTORY_ENTRIES + 1)
    saved.write_text(json.dumps(content, separators=(",", ":")), encoding="utf-8")
    with pytest.raises(
        ModelFileError, match=r"'history.loss' has 1,000,001 entries, more than the 1,000,000"
    ):
        load_model(saved)


@pytest.mark.parametrize("name", ["folder", "fifo"])
def test_something_that_is_not_a_file_is_named(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)  # reading it would hang
    with pytest.raises(ModelFileError, match=rf"{name}: model file not found \(this is a folder"):
        load_model(path)


# -- what a model file may hold, accepted ----------------------------------------------------
def test_a_thinned_history_with_its_epochs_loads(saved: Path, fitted: LinearRegression) -> None:
    """``history.epoch``: the epoch of each kept entry of a thinned history (optional)."""
    content = content_of(saved)
    kept = [0, 1, 2, 5, 17, 60]
    for key in ("loss", "W", "b", "val_loss"):
        content["history"][key] = [content["history"][key][e] for e in kept]
    content["history"]["epoch"] = kept
    saved.write_text(json.dumps(content), encoding="utf-8")
    model, loaded = load_model(saved)
    assert loaded["history"]["epoch"] == kept
    assert same_bits(model.history_.loss, fitted.history_.loss[kept])
    assert model.n_iter_ == 60
    assert same_bits(model.coef_, fitted.coef_)


@pytest.mark.parametrize(
    "edit",
    [
        set_field("extra.notes", {"runs": [1, 2.5, "three", None, True, {"deep": [[[]]]}]}),
        set_field("extra.optimum_loss", None),
        set_field("extra.optimum_loss", -1e-17),  # a quadratic form's round-off
        set_field("coef", [1, -2]),  # JSON integers are numbers
        set_field("hyperparameters.epochs", 60.0),  # as the estimator accepts it
        set_field("hyperparameters.seed", 2**100),  # numpy takes any seed >= 0
        set_field("hyperparameters.seed", None),
        set_field("training.max_stable_learning_rate", None),
        set_field("training.data_sha256", None),
        drop_field("extra"),
        drop_field("training.n_iter"),
        drop_field("history.val_loss"),
    ],
    ids=[
        "free-form extra",
        "null optimum",
        "optimum below 0",
        "integer coef",
        "float epochs",
        "long seed",
        "null seed",
        "unknown eta_max",
        "no sha",
        "no extra",
        "no n_iter",
        "no val_loss",
    ],
)
def test_files_within_the_schema_load(saved: Path, edit: Edit) -> None:
    saved.write_text(json.dumps(edit(content_of(saved))), encoding="utf-8")
    model, _ = load_model(saved)
    assert np.isfinite(model.predict(np.ones((3, 2)))).all()


# -- saving writes only what loading reads ---------------------------------------------------
def test_saving_refuses_a_feature_named_twice(saved: Path, fitted: LinearRegression) -> None:
    before = saved.read_bytes()
    with pytest.raises(
        LinregError, match=r"model\.json: cannot save this model: field 'feature_names' names"
    ):
        save_model(fitted, saved, feature_names=["size", "size"])
    assert saved.read_bytes() == before


def test_saving_refuses_a_non_finite_loss_naming_the_field(
    tmp_path: Path, fitted: LinearRegression
) -> None:
    model = copy.deepcopy(fitted)
    loss = model.history_.loss.copy()
    loss[-1] = np.nan  # an overflow (inf) is written null; a NaN is no loss at all
    model.history_ = dataclasses.replace(model.history_, loss=loss)
    with pytest.raises(LinregError, match=r"cannot save this model: field '.*' is NaN"):
        save_model(model, tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


def test_saving_refuses_a_file_over_the_size_cap(
    saved: Path, fitted: LinearRegression, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linreg.io import persistence

    before = saved.read_bytes()
    monkeypatch.setattr(persistence, "MAX_MODEL_FILE_BYTES", 1000)
    with pytest.raises(
        LinregError,
        match=r"cannot save this model: the model file would be [\d,]+ bytes, more than the "
        r"1,000 bytes .* even with the history thinned to its first and last entries",
    ):
        save_model(fitted, saved)
    assert saved.read_bytes() == before


def check_thinned(path: Path, fitted: LinearRegression, most: int) -> list[int]:
    """The file's history is a thinned copy of the fitted one; returns the epochs kept."""
    model, content = load_model(path)
    kept: list[int] = content["history"]["epoch"]
    assert kept[0] == 0
    assert kept[-1] == fitted.history_.n_epochs
    assert kept == sorted(set(kept))  # strictly increasing
    assert 2 <= len(kept) <= most
    for field in ("loss", "W", "b", "val_loss"):
        assert same_bits(getattr(model.history_, field), getattr(fitted.history_, field)[kept])
    assert same_bits(model.coef_, fitted.coef_)
    assert content["training"]["final_loss"] == fitted.history_.final_loss
    return kept


def test_saving_thins_a_history_too_large_for_the_file_cap(
    tmp_path: Path, fitted: LinearRegression, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linreg.io import persistence

    full = save_model(fitted, tmp_path / "full.json").stat().st_size
    cap = full // 3
    monkeypatch.setattr(persistence, "MAX_MODEL_FILE_BYTES", cap)
    path = save_model(fitted, tmp_path / "thin.json")
    assert path.stat().st_size <= cap
    kept = check_thinned(path, fitted, most=60)
    assert kept[:3] == [0, 1, 2]  # log-spaced: dense at the start


def test_saving_thins_a_history_over_the_entries_cap(
    tmp_path: Path, fitted: LinearRegression, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linreg.io import model_schema, persistence

    monkeypatch.setattr(persistence, "MAX_HISTORY_ENTRIES", 10)
    monkeypatch.setattr(model_schema, "MAX_HISTORY_ENTRIES", 10)
    check_thinned(save_model(fitted, tmp_path / "m.json"), fitted, most=10)


N = 200 if os.environ.get("LINREG_FUZZ") == "long" else 25


@pytest.mark.fuzz
@settings(max_examples=N, deadline=None)
@given(
    epochs=st.integers(1, 300),
    d=st.integers(1, 4),
    cap_fraction=st.floats(0.05, 1.2),
    entries_cap=st.integers(2, 400),
)
def test_a_saved_file_always_fits_the_caps_and_loads(
    tmp_path_factory: pytest.TempPathFactory,
    epochs: int,
    d: int,
    cap_fraction: float,
    entries_cap: int,
) -> None:
    """Whatever the caps, saving writes a file within them that loads to the same model,
    its history a thinned copy (first and last epochs kept), or refuses, writing nothing."""
    from linreg.io import model_schema, persistence

    data = make_regression(n_samples=20, n_features=d, seed=d)
    model = LinearRegression(learning_rate=0.05, epochs=epochs, standardize=True)
    model.fit(data.X, data.y)
    folder = tmp_path_factory.mktemp("caps")
    full = save_model(model, folder / "full.json").stat().st_size
    cap = int(full * cap_fraction)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(persistence, "MAX_MODEL_FILE_BYTES", cap)
        patch.setattr(persistence, "MAX_HISTORY_ENTRIES", entries_cap)
        patch.setattr(model_schema, "MAX_HISTORY_ENTRIES", entries_cap)
        path = folder / "m.json"
        refusal = None
        try:
            save_model(model, path)
        except LinregError as exc:
            refusal = str(exc)
        if refusal is not None:
            event("refused: two entries do not fit")
            assert "even with the history thinned to its first and last entries" in refusal
            assert not path.exists()
            return
        assert path.stat().st_size <= cap
        loaded, content = load_model(path)
    assert same_bits(loaded.coef_, model.coef_)
    n = len(content["history"]["loss"])
    event("saved whole" if n == epochs + 1 else "saved thinned")
    assert 2 <= n <= min(entries_cap, epochs + 1)
    kept = content["history"].get("epoch", list(range(epochs + 1)))
    assert kept[0] == 0
    assert kept[-1] == epochs
    assert kept == sorted(set(kept))
    assert same_bits(loaded.history_.loss, model.history_.loss[kept])
