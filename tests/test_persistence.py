"""JSON model files (``linreg.io.persistence``): exact round trips and refusal of bad files."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import linreg
from linreg import LinearRegression, ModelFileError, NotFittedError, make_regression
from linreg.io.persistence import FORMAT, FORMAT_VERSION, load_model, model_to_dict, save_model

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
    assert content["format_version"] == FORMAT_VERSION == 2
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
        r"written by a newer linreg .*file format 3\); this linreg reads format 2: upgrade",
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
        r"field 'history.loss' must be a list of finite numbers; history.loss\[0\] is 'x'",
    ),
    "history of another width": (
        set_field("history.W", [[0.0]] * 61),
        r"the history's W has the wrong width",
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
