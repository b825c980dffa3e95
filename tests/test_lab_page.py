"""The interactive lab page (:mod:`linreg.viz.lab_page`, ``linreg lab``).

Its numbers are checked against independent oracles: scikit-learn's least squares, the
eigenvalues of the Hessian built by hand, linreg's own teaching model (loss and
gradient) and linreg's own training loop (gradient descent and mini-batch SGD), both in
Python and, in headless Chromium, as the page shows them after its controls are moved.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression as SkLinearRegression

import linreg
from cli_helpers import assert_one_error_line, run_quietly
from linreg import LinearModel, LinregError, make_regression
from linreg.errors import DivergenceError
from linreg.io.tables import write_dataset_csv
from linreg.optimality import column_std
from linreg.stability import stability
from linreg.training import shuffle_rows, train
from linreg.viz import lab_page
from linreg.viz.lab_page import (
    MAX_ROWS,
    RATE_FRACTIONS,
    batch_paths,
    lab_data,
    render_lab,
    show_lab,
    write_lab,
)

BROWSER_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def small() -> tuple[np.ndarray, np.ndarray]:
    data = make_regression(n_samples=120, seed=3)
    return data.X[:, 0], data.y


@pytest.fixture(scope="module")
def page_data(small: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    x, y = small
    return lab_data(x, y, epochs=60, batch_size=16, seed=2)


def formula_loss(view: dict[str, Any], W: float, b: float) -> float:
    """The page's formula L* + sxx u^2 + e^2, from the stored numbers."""
    m, opt = view["moments"], view["optimum"]
    u = W - opt["W"]
    e = u * m["xbar"] + (b - opt["b"])
    return float(opt["loss"] + m["sxx"] * u * u + e * e)


def linreg_loss(x: np.ndarray, y: np.ndarray, W: float, b: float) -> float:
    model = LinearModel(1)
    model.W, model.b = np.array([W]), b
    return model.loss(model.forward(x[:, None]), y)


# -- the numbers ---------------------------------------------------------------------------
def test_optimum_and_stability_match_independent_oracles(
    small: tuple[np.ndarray, np.ndarray], page_data: dict[str, Any]
) -> None:
    x, y = small
    raw = page_data["views"]["raw"]
    sk = SkLinearRegression().fit(x[:, None], y)
    assert raw["optimum"]["W"] == pytest.approx(sk.coef_[0], rel=1e-12)
    assert raw["optimum"]["b"] == pytest.approx(sk.intercept_, rel=1e-12)
    residual = sk.predict(x[:, None]) - y
    assert raw["optimum"]["loss"] == pytest.approx(np.mean(residual**2), rel=1e-12)
    # The Hessian 2 [[mean x^2, mean x], [mean x, 1]] written out.
    H = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    lam = np.linalg.eigvalsh(H)
    assert raw["eta_max"] == pytest.approx(2 / lam[-1], rel=1e-12)
    assert raw["kappa"] == pytest.approx(lam[-1] / lam[0], rel=1e-9)
    assert raw["rates"] == pytest.approx([f * 2 / lam[-1] for f in RATE_FRACTIONS], rel=1e-12)
    # Standardized: H = 2 I, a round bowl.
    std = page_data["views"]["std"]
    assert std["kappa"] == pytest.approx(1.0, abs=1e-9)
    assert std["eta_max"] == pytest.approx(1.0, rel=1e-9)
    assert std["optimum"]["b"] == pytest.approx(np.mean(y), rel=1e-12)
    assert std["optimum"]["loss"] == pytest.approx(raw["optimum"]["loss"], rel=1e-9)
    assert page_data["standardize"]["std"] == pytest.approx(np.std(x), rel=1e-14)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 40),
    offset=st.sampled_from([0.0, 1e3, -1e6]),
    W=st.floats(-1e3, 1e3),
    b=st.floats(-1e6, 1e6),
)
def test_the_loss_from_the_moments_is_linregs_loss(
    seed: int, n: int, offset: float, W: float, b: float
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) * rng.uniform(0.1, 10) + offset
    if np.ptp(x) == 0:
        return
    y = 2.0 * x + rng.normal(size=n) + offset
    view = lab_data(x, y, epochs=2, batch_size=4)["views"]["raw"]
    expected = linreg_loss(x, y, W, b)
    # Both are exact to rounding; the direct sum's own error is ~eps * mean(y^2) / L.
    scale = np.mean((W * x) ** 2 + b**2 + y**2)
    assert abs(formula_loss(view, W, b) - expected) <= 1e-12 * scale + 1e-9 * expected


def test_mini_batch_paths_are_linregs_sgd(small: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = small
    rates = np.array([0.001, 0.004, 0.01])
    paths = batch_paths(x, y, rates, batch_size=16, epochs=6, seed=5)
    assert paths["steps_per_epoch"] == paths["mark_steps"] == 8
    assert paths["marks"] == 6
    for rate, run in zip(rates, paths["runs"], strict=True):
        model = LinearModel(1)
        result = train(
            model, x[:, None], y, solver="sgd", learning_rate=rate, epochs=6, batch_size=16, seed=5
        )
        np.testing.assert_allclose(run["mark_W"], result.history.W[:, 0], rtol=1e-12)
        np.testing.assert_allclose(run["mark_b"], result.history.b, rtol=1e-12, atol=1e-14)
        assert run["diverged_at_epoch"] is None
        # Every step is kept (48 <= PATH_POINTS); each epoch's end is among them.
        assert paths["path_steps"] == list(range(49))
        np.testing.assert_allclose(run["path_W"][::8], run["mark_W"], rtol=1e-6)


def test_a_diverging_mini_batch_path_stops_where_linreg_does(
    small: tuple[np.ndarray, np.ndarray],
) -> None:
    x, y = small
    rate = 0.2  # eta_max is about 0.03 here
    run = batch_paths(x, y, np.array([rate]), batch_size=16, epochs=40, seed=1)["runs"][0]
    with pytest.raises(DivergenceError) as caught:
        train(
            LinearModel(1), x[:, None], y, solver="sgd", learning_rate=rate, epochs=40,
            batch_size=16, seed=1,
        )  # fmt: skip
    assert run["diverged_at_epoch"] == caught.value.report.epoch
    assert len(run["mark_W"]) == caught.value.report.epoch
    assert all(np.isfinite(run["path_W"]))


def test_long_paths_keep_their_epochs_and_thin_the_steps_between() -> None:
    data = make_regression(n_samples=500, seed=0)
    paths = batch_paths(data.X[:, 0], data.y, np.array([1e-4]), batch_size=1, epochs=50, seed=0)
    # STEP_BUDGET = 4000 steps: 8 epochs of 500 steps, one point in every 14 steps.
    assert paths["marks"] == 8
    assert len(paths["runs"][0]["mark_W"]) == 9
    assert len(paths["path_steps"]) <= 301
    assert np.all(np.diff(paths["path_steps"]) == paths["path_steps"][1])


def test_an_epoch_longer_than_the_budget_is_marked_within_it(
    small: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    x, y = small
    monkeypatch.setattr(lab_page, "STEP_BUDGET", 80)  # 120 rows of batch 1: 120 steps an epoch
    rate = 0.004
    paths = batch_paths(x, y, np.array([rate]), batch_size=1, epochs=10, seed=3)
    assert paths["steps_per_epoch"] == 120
    assert paths["mark_steps"] == 2
    assert paths["marks"] == lab_page.PARTIAL_MARKS
    # linreg's own steps, one row at a time, in the order of linreg's shuffle.
    order = shuffle_rows(np.random.default_rng(3), 120)
    model = LinearModel(1)
    expected = [(0.0, 0.0)]
    for step, i in enumerate(order[:80], start=1):
        X_b, y_b = x[[i], None], y[[i]]
        model.step(model.backward(X_b, y_b, model.forward(X_b)), rate)
        if step % 2 == 0:
            expected.append((float(model.W[0]), model.b))
    run = paths["runs"][0]
    np.testing.assert_allclose(run["mark_W"], [w for w, _ in expected], rtol=1e-12)
    np.testing.assert_allclose(run["mark_b"], [b for _, b in expected], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.ones((5, 2)), np.ones(5), "the lab shows one feature, got 2"),
        (np.ones(5), np.arange(5.0), "'x' is constant"),
        (np.array([1.0, np.nan, 2.0]), np.ones(3), "'x' has a missing or non-finite value"),
        (np.arange(3.0), np.array([1.0, np.inf, 2.0]), "'y' has a missing or non-finite"),
        (np.array([1.0]), np.array([1.0]), "at least 2 rows"),
        (np.arange(4.0), np.arange(3.0), "one value per row"),
        (np.array([0.0, 1e120]), np.ones(2), "too large"),
    ],
)
def test_bad_data_is_refused(x: np.ndarray, y: np.ndarray, message: str) -> None:
    with pytest.raises(LinregError, match=re.escape(message)):
        lab_data(x, y)


def test_x_far_from_zero_against_its_spread_still_makes_a_page() -> None:
    # x = 1e9 + 0..49: lambda_min is lost to rounding (kappa = inf, written as null); the
    # loss from the centred moments is still exact, and standardizing gives the bowl.
    x = 1e9 + np.arange(50.0)
    y = 2.0 * np.arange(50.0) + 1.0
    content = lab_data(x, y, epochs=10)
    raw = content["views"]["raw"]
    assert raw["kappa"] is None
    assert content["views"]["std"]["kappa"] == pytest.approx(1.0)
    assert raw["optimum"]["W"] == pytest.approx(2.0, rel=1e-9)
    assert formula_loss(raw, 2.5, -2e9) == pytest.approx(linreg_loss(x, y, 2.5, -2e9), rel=1e-6)
    assert '"kappa":null' in render_lab(content)


def test_bad_options_are_refused(small: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = small
    with pytest.raises(LinregError, match="epochs must be between 1"):
        lab_data(x, y, epochs=0)
    with pytest.raises(LinregError, match="batch_size must be a positive integer"):
        lab_data(x, y, batch_size=0)


# -- the page ------------------------------------------------------------------------------
def test_the_page_is_self_contained_and_small() -> None:
    data = make_regression(n_samples=5000, seed=4)
    content = lab_data(data.X, data.y)
    assert content["rows"] == 5000
    assert len(content["points"]["x"]) == MAX_ROWS
    page = render_lab(content)
    assert "http://" not in page
    assert "https://" not in page
    assert "default-src 'none'" in page  # the browser refuses any request
    assert "{{" not in page  # every placeholder filled
    assert len(page.encode()) < 600_000, len(page.encode())
    assert re.search(r"<script[^>]*\bsrc=", page) is None


def test_data_cannot_close_the_script_element() -> None:
    page = render_lab(lab_data(np.arange(3.0), np.arange(3.0), feature_name="</script><b>x"))
    assert page.count("</script>") == 2  # the JSON's and the code's own


def test_show_lab_is_an_iframe_with_the_page(small: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = small
    frame = show_lab(x, y, epochs=20)
    shown = frame._repr_html_()
    assert shown.startswith('<iframe srcdoc="')
    srcdoc = shown[len('<iframe srcdoc="') : shown.index('" style=')]
    assert '"' not in srcdoc
    assert srcdoc.isascii()
    assert html.unescape(srcdoc) == frame.html
    dataset = make_regression(n_samples=30, n_features=2, seed=0)
    frame = linreg.show_lab(dataset, feature=dataset.feature_names[1], epochs=5)
    assert '"feature":"x2"' in frame.html
    with pytest.raises(LinregError, match="the lab shows one feature, got 2"):
        linreg.show_lab(dataset)
    with pytest.raises(LinregError, match="no feature 'z'"):
        linreg.show_lab(dataset, feature="z")


def test_a_notebook_shows_the_iframe(small: tuple[np.ndarray, np.ndarray]) -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    x, y = small
    frame = show_lab(x, y, epochs=5, height=700)
    shown, _ = formatters.DisplayFormatter().format(frame)
    assert shown["text/html"].startswith("<iframe srcdoc=")
    assert "height:700px" in shown["text/html"]
    assert 'sandbox="allow-scripts"' in shown["text/html"]


def test_write_lab_writes_the_page(tmp_path: Path, small: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = small
    out = linreg.write_lab(tmp_path / "sub" / "lab.html", x, y, epochs=10)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert os.listdir(tmp_path / "sub") == ["lab.html"]


# -- the command ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def csv_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("lab")
    one, two = folder / "one.csv", folder / "two.csv"
    write_dataset_csv(one, make_regression(n_samples=80, seed=0))
    write_dataset_csv(two, make_regression(n_samples=80, n_features=2, seed=0))
    return one, two


def test_the_command_writes_the_page(csv_files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "lab.html"
    result = run_quietly("lab", csv_files[0], "--out", out, "--epochs", "50", "--json")
    assert result.code == 0, result.err
    facts = result.json()
    assert facts["lab"] == str(out)
    assert facts["rows"] == 80
    assert facts["feature"] == "X"
    assert facts["condition_number"]["standardized"] == pytest.approx(1.0)
    assert facts["size_bytes"] == out.stat().st_size
    result = run_quietly("lab", csv_files[0], "--out", out)
    assert result.code == 0
    assert "lab written to" in result.out


def test_the_command_needs_one_feature(csv_files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "lab.html"
    result = run_quietly("lab", csv_files[1], "--out", out)
    assert_one_error_line(result, "has 2 features (x1, x2)", "--feature NAME")
    assert not out.exists()
    result = run_quietly("lab", csv_files[1], "--feature", "x2", "--out", out, "--json")
    assert result.code == 0, result.err
    assert result.json()["feature"] == "x2"


def test_the_command_refuses_bad_arguments(csv_files: tuple[Path, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    assert_one_error_line(run_quietly("lab", missing, "--out", tmp_path / "l.html"), "nope.csv")
    assert_one_error_line(run_quietly("lab", csv_files[0], "--out", tmp_path), "--out")
    assert_one_error_line(
        run_quietly("lab", csv_files[0], "--out", csv_files[0]), str(csv_files[0])
    )
    for option, value in (("--epochs", "0"), ("--batch-size", "-1"), ("--epochs", "10**9")):
        with pytest.raises(SystemExit) as caught:
            run_quietly("lab", csv_files[0], option, value)
        assert caught.value.code == 2


# -- in a real browser ---------------------------------------------------------------------
@pytest.fixture
def browser() -> str:
    """The Chromium command; skipped cleanly without one (``make browser`` installs it)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium is not installed: the lab was not checked in a browser")


def browse(
    browser: str, url: str, profile: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on ``url`` with a throwaway profile, logging the console to stderr."""
    argv = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        *options,
        url,
    ]
    env = {**os.environ, "HOME": str(profile)}
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"Chromium did not finish within {BROWSER_TIMEOUT_S} s")


def console_lines(stderr: str) -> list[str]:
    """Every console message (an error, a refused request) Chromium logged."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


INDEX = {f: i for i, f in enumerate(RATE_FRACTIONS)}


def test_browser_controls_show_linregs_numbers(browser: str, tmp_path: Path) -> None:
    data = make_regression(n_samples=200, seed=7)
    x, y = data.X[:, 0], data.y
    content = lab_data(x, y, epochs=300, batch_size=32, seed=0)
    page = tmp_path / "lab.html"
    page.write_text(render_lab(content), encoding="utf-8")
    actions: list[dict[str, Any]] = [
        {"id": "in-W", "value": 700},
        {"id": "in-b", "value": 250},
        {"id": "in-rate", "value": INDEX[0.9]},
        {"id": "in-epoch", "value": 37},
        {"id": "in-rate", "value": INDEX[1.25]},
        {"id": "in-rate", "value": INDEX[0.35]},
        {"radio": "mini"},
        {"id": "in-epoch", "value": 5},
        {"id": "in-std", "checked": True},
        {"radio": "full"},
        {"drag": [0.5, 0.5]},
        {"drag": [0.25, 0.1]},
    ]
    url = page.resolve().as_uri() + "#probe=" + urllib.parse.quote(json.dumps(actions))
    done = browse(browser, url, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_lines(done.stderr) == []
    dom = done.stdout
    assert re.search(r'<pre id="errors" hidden="">\s*</pre>', dom), "a script error on the page"
    probe = dom[dom.rindex('<pre id="probe">') :]
    shown = json.loads(html.unescape(probe[len('<pre id="probe">') : probe.index("</pre>")]))
    assert len(shown) == len(actions) + 1

    def num(k: int, key: str) -> float:
        return float(shown[k][key])

    raw, std = content["views"]["raw"], content["views"]["std"]
    z = (x - np.mean(x)) / column_std(x[:, None])[0]

    # Every state: the MSE and gradient shown are linreg's at the (W, b) shown.
    for k, state in enumerate(shown):
        W, b = num(k, "out-W"), num(k, "out-b")
        xs = z if k >= 9 else x  # standardized from the 9th action on
        model = LinearModel(1)
        model.W, model.b = np.array([W]), b
        y_pred = model.forward(xs[:, None])
        assert num(k, "out-mse") == pytest.approx(model.loss(y_pred, y), rel=1e-9), state
        grads = model.backward(xs[:, None], y, y_pred)
        # ... to rounding: near the optimum the data's sums cancel to ~eps * mean|x y|.
        scale = grads.norm + 1e-3 * float(np.mean(np.abs(xs * y) + np.abs(y)))
        assert abs(num(k, "out-dW") - grads.dW[0]) <= 1e-9 * scale, state
        assert abs(num(k, "out-db") - grads.db) <= 1e-9 * scale, state

    # Moving W moves W (to a slider position of the box), and b likewise.
    assert shown[1]["out-W"] != shown[0]["out-W"]
    assert shown[1]["out-b"] == shown[0]["out-b"]
    box = raw["box"]["W"]
    assert num(1, "out-W") == pytest.approx(box[0] + 0.7 * (box[1] - box[0]), rel=1e-12)
    assert shown[2]["out-b"] != shown[1]["out-b"]
    # A rate restarts the run at its start; epoch 37 is linreg's gradient descent's.
    assert num(3, "out-W") == 0.0
    assert num(3, "out-b") == 0.0
    assert num(3, "out-rate") == raw["rates"][INDEX[0.9]]
    gd = train(LinearModel(1), x[:, None], y, learning_rate=raw["rates"][INDEX[0.9]], epochs=37)
    assert num(4, "out-W") == pytest.approx(gd.history.W[37, 0], rel=1e-9)
    assert num(4, "out-b") == pytest.approx(gd.history.b[37], rel=1e-9)
    assert shown[4]["out-diverged-at"] == ""
    # Above eta_max: diverged, at linreg's epoch.
    with pytest.raises(DivergenceError) as caught:
        train(LinearModel(1), x[:, None], y, learning_rate=raw["rates"][INDEX[1.25]], epochs=300)
    assert int(shown[5]["out-diverged-at"]) == caught.value.report.epoch
    assert f"Diverged at epoch {caught.value.report.epoch}" in shown[5]["status"]
    assert shown[6]["out-diverged-at"] == ""
    # Mini-batches: epoch 5 is linreg's SGD's (batch 32, seed 0); fewer epochs offered.
    rate = raw["rates"][INDEX[0.35]]
    sgd = train(
        LinearModel(1), x[:, None], y, solver="sgd", learning_rate=rate, epochs=5, batch_size=32
    )
    assert num(8, "out-W") == pytest.approx(sgd.history.W[5, 0], rel=1e-9)
    assert num(8, "out-b") == pytest.approx(sgd.history.b[5], rel=1e-9)
    assert "batches of 32" in shown[8]["status"]
    # Standardized: the bowl's numbers, and linreg's SGD on the standardized column.
    assert num(9, "out-kappa") == pytest.approx(stability(z[:, None]).condition_number, rel=1e-9)
    assert num(9, "out-eta-max") == std["eta_max"]
    rate = std["rates"][INDEX[0.35]]
    sgd = train(
        LinearModel(1), z[:, None], y, solver="sgd", learning_rate=rate, epochs=5, batch_size=32
    )
    assert num(9, "out-W") == pytest.approx(sgd.history.W[5, 0], rel=1e-9)
    # Back to the full batch on the bowl: epoch 5 of gradient descent.
    gd = train(LinearModel(1), z[:, None], y, learning_rate=rate, epochs=5)
    assert num(10, "out-W") == pytest.approx(gd.history.W[5, 0], rel=1e-9)
    assert int(shown[10]["epoch_max"]) == 300
    # Dragging to the middle of the landscape lands on the optimum (to a pixel), the
    # gradient vanishes; up and to the left, W and b are smaller and larger.
    pixel = (std["box"]["W"][1] - std["box"]["W"][0]) / 300
    assert abs(num(11, "out-W") - std["optimum"]["W"]) < pixel
    assert abs(num(11, "out-b") - std["optimum"]["b"]) < pixel
    assert num(11, "out-mse") == pytest.approx(std["optimum"]["loss"], rel=1e-3)
    assert num(12, "out-W") < std["optimum"]["W"] - 10 * pixel
    assert num(12, "out-b") > std["optimum"]["b"] + 10 * pixel


def test_browser_draws_the_page(browser: str, tmp_path: Path) -> None:
    from PIL import Image

    data = make_regression(n_samples=150, seed=1)
    page = write_lab(tmp_path / "lab.html", data.X, data.y, epochs=100)
    shot = tmp_path / "shot.png"
    url = page.resolve().as_uri() + "#rate=9&epoch=20"
    done = browse(
        browser,
        url,
        tmp_path / "profile",
        "--virtual-time-budget=2000",
        f"--screenshot={shot}",
        "--window-size=1300,1000",
    )
    assert shot.is_file(), done.stderr[-2000:]
    assert console_lines(done.stderr) == []
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]
    # The landscape's colour map alone brings hundreds of colours; a blank page has few.
    assert np.unique(packed).shape[0] > 1000
    assert float(np.mean(pixels.max(axis=1) - pixels.min(axis=1) > 60)) > 0.05


def test_browser_runs_the_notebook_iframe(browser: str, tmp_path: Path) -> None:
    # The cell's HTML in a host page that listens, as a notebook's output area would hold
    # it; the page inside the sandboxed srcdoc iframe says it is drawn, with its MSE.
    data = make_regression(n_samples=60, seed=2)
    frame = show_lab(data, epochs=30, height=800)
    listen = (
        "<script>addEventListener('message', (e) => { const p = document.createElement('pre');"
        " p.id = 'heard'; p.textContent = JSON.stringify(e.data);"
        " document.body.appendChild(p); });</script>"
    )
    cell = tmp_path / "cell.html"
    cell.write_text(
        f"<!DOCTYPE html><html><body>{listen}{frame._repr_html_()}</body></html>",
        encoding="ascii",
    )
    done = browse(
        browser,
        cell.resolve().as_uri(),
        tmp_path / "profile",
        "--virtual-time-budget=3000",
        "--dump-dom",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_lines(done.stderr) == []
    heard = re.search(r'<pre id="heard">([^<]*)</pre>', done.stdout)
    assert heard, "the page in the iframe did not run"
    message = json.loads(html.unescape(heard.group(1)))
    assert message["linregLab"] == "ready"
    # It opens at the start of training, W = b = 0: the MSE is mean(y^2).
    assert float(message["mse"]) == pytest.approx(np.mean(data.y**2), rel=1e-9)
