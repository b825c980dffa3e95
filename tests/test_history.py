"""Bounded histories: every epoch up to a limit, then a log-spaced subsample, never
more than the limit however many epochs run (issue 18, section 3)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from linreg import LinearRegression
from linreg import history as history_module
from linreg.history import HISTORY_MAX, History, Recorder, history_limit
from linreg.io.persistence import load_model, save_model

N = 200 if os.environ.get("LINREG_FUZZ") == "long" else 25


def _record(n_epochs: int, limit: int, d: int = 2) -> History:
    recorder = Recorder(d, validation=True, limit=limit)
    for epoch in range(n_epochs):
        recorder.add(epoch, 1.0 / (epoch + 1), np.full(d, float(epoch)), -epoch, 2.0 * epoch)
    return recorder.history()


@given(n_epochs=st.integers(1, 6000), limit=st.integers(4, 300))
@settings(max_examples=N, deadline=None)
def test_a_history_keeps_the_first_epochs_the_last_and_at_most_the_limit(
    n_epochs: int, limit: int
) -> None:
    h = _record(n_epochs, limit)
    kept = h.epochs
    assert len(h.loss) <= limit
    assert kept[0] == 0
    assert kept[-1] == n_epochs - 1 == h.n_epochs
    assert np.all(np.diff(kept) > 0)
    dense = min(limit // 2, n_epochs)
    np.testing.assert_array_equal(kept[:dense], np.arange(dense))
    # Each entry holds its own epoch's values: nothing shifted by the thinning.
    np.testing.assert_array_equal(h.W[:, 0], kept.astype(float))
    np.testing.assert_array_equal(h.b, -kept.astype(float))
    assert h.val_loss is not None
    np.testing.assert_array_equal(h.val_loss, 2.0 * kept)
    assert h.thinned == (n_epochs > len(h.loss))
    assert (h.epoch is None) == (not h.thinned)


def test_the_thinned_part_is_log_spaced() -> None:
    h = _record(200_000, 1000)
    assert len(h.loss) <= 1000
    sparse = h.epochs[500:-1].astype(float)
    ratios = sparse[1:] / sparse[:-1]
    # Geometric steps (one ratio, up to the rounding to whole epochs), not a linear grid.
    assert ratios.max() < 1.05
    assert ratios.min() > 1.0
    assert np.ptp(np.log(ratios[len(ratios) // 2 :])) < 0.01


def test_a_short_run_is_not_thinned() -> None:
    h = _record(1001, HISTORY_MAX)
    assert h.epoch is None
    assert len(h.loss) == 1001
    assert "epoch" not in h.to_dict()


def test_wide_models_keep_fewer_entries() -> None:
    assert history_limit(2) == HISTORY_MAX
    assert history_limit(10_000) == 1000
    assert history_limit(400) * 400 <= history_module.HISTORY_MAX_VALUES


@given(n_epochs=st.integers(1, 3000), limit=st.integers(4, 100))
@settings(max_examples=N, deadline=None)
def test_a_history_survives_its_dict(n_epochs: int, limit: int) -> None:
    h = _record(n_epochs, limit)
    back = History.from_dict(json.loads(json.dumps(h.to_dict(), allow_nan=False)))
    np.testing.assert_array_equal(back.loss, h.loss)
    np.testing.assert_array_equal(back.W, h.W)
    np.testing.assert_array_equal(back.epochs, h.epochs)
    assert back.n_epochs == h.n_epochs


@pytest.mark.parametrize(
    "epoch",
    [[1, 2], [0, 0], [0, 2, 1], [0, 1.5], [0, -1], [0, True], "01", [0, 10**30], [0]],
)
def test_a_bad_epoch_list_is_refused(epoch: object) -> None:
    data = {"loss": [1.0, 0.5], "W": [[0.0], [1.0]], "b": [0.0, 0.1], "epoch": epoch}
    with pytest.raises(ValueError, match="history: epoch"):
        History.from_dict(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [("loss", 3.0), ("loss", [1e400]), ("W", [[10**400]]), ("b", ["x"]), ("loss", [[1.0]])],
)
def test_bad_history_values_are_a_value_error(field: str, value: object) -> None:
    data: dict[str, object] = {"loss": [1.0], "W": [[0.0]], "b": [0.0]}
    data[field] = value
    with pytest.raises(ValueError, match="history"):
        History.from_dict(data)


def test_a_null_loss_is_an_overflowed_one() -> None:
    h = History.from_dict({"loss": [None], "W": [[1.0]], "b": [0.0]})
    assert h.final_loss == np.inf
    assert h.to_dict()["loss"] == [None]


@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_both_engines_record_the_same_thinned_history(
    solver: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Past the limit both engines keep the same epochs, and a model file keeps them."""
    monkeypatch.setattr(history_module, "HISTORY_MAX", 64)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 2))
    y = X @ [1.0, -2.0] + 0.5 + 0.1 * rng.normal(size=80)
    fits = {
        engine: LinearRegression(solver=solver, engine=engine, epochs=3000, learning_rate=0.01).fit(
            X, y
        )
        for engine in ("reference", "fast")
    }
    ref, fast = fits["reference"].history_, fits["fast"].history_
    assert len(ref.loss) <= 64
    assert ref.n_epochs == 3000
    assert ref.thinned
    np.testing.assert_array_equal(ref.epochs, fast.epochs)
    np.testing.assert_allclose(ref.loss, fast.loss, rtol=1e-10)
    np.testing.assert_array_equal(fits["reference"].coef_, ref.W[-1])
    path = save_model(fits["reference"], tmp_path / "m.json")
    assert json.loads(path.read_text())["history"]["epoch"] == ref.epochs.tolist()
    loaded, _ = load_model(path)
    np.testing.assert_array_equal(loaded.history_.epochs, ref.epochs)
    assert loaded.n_iter_ == 3000


# -- fuzzing the history part of a model file -------------------------------------------

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**400), 10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


@st.composite
def _mutated_histories(draw: st.DrawFn) -> object:
    """A valid history dict with some fields replaced by arbitrary JSON values."""
    n = draw(st.integers(1, 5))
    d = draw(st.integers(1, 3))
    good: dict[str, object] = {
        "loss": [float(k) for k in range(n)],
        "W": [[0.5] * d for _ in range(n)],
        "b": [0.0] * n,
        "val_loss": [1.0] * n,
        "epoch": list(range(0, 3 * n, 3)),
    }
    for key in draw(st.sets(st.sampled_from(sorted(good)), max_size=3)):
        if draw(st.booleans()):
            del good[key]
        else:
            good[key] = draw(_json)
    return good if draw(st.integers(0, 9)) else draw(_json)


@pytest.mark.fuzz
@given(data=_mutated_histories())
@settings(max_examples=4 * N, deadline=None)
def test_fuzz_a_history_is_read_or_refused_by_name(data: object) -> None:
    """Contract: a consistent History, or one ValueError naming the history; nothing else
    (no TypeError, IndexError, OverflowError, and no inf or NaN read as a number)."""
    try:
        h = History.from_dict(data)  # type: ignore[arg-type]
    except ValueError as exc:
        message = str(exc)
    else:
        message = None
    if message is not None:
        assert message.startswith("history:"), message
        event("clean error")
        return
    event("read")
    n = h.loss.shape[0]
    assert h.W.shape[0] == n
    assert h.b.shape == (n,)
    assert not np.any(np.isnan(h.loss))
    assert np.all(np.isfinite(h.W))
    assert np.all(np.isfinite(h.b))
    assert h.epochs.shape == (n,)
