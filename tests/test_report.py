"""``linreg report``: one self-contained HTML page, checked as text and in a real browser.

The page is parsed with the standard library's HTML parser: every ``src`` and
``href`` must stay inside the file (data URIs and ``#`` anchors), every embedded
image must decode, and the learned parameters must be there as text. Then headless
Chromium renders it: the screenshot must not be blank, the figures must be drawn,
and the rendered DOM must show the learned coefficient. Without Chromium those
browser tests are skipped, saying so (``make test`` installs it when it can).
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import linreg.io.tables
import linreg.viz.report
from cli_helpers import Result, assert_one_error_line, run_quietly
from linreg import LinearRegression, make_regression
from linreg.io.persistence import load_model, save_model
from linreg.io.tables import read_table, write_dataset_csv
from linreg.viz import plots
from linreg.viz.report import fmt, report_from_files, write_report

BROWSER_TIMEOUT_S = 60
ALL_FIGURES = [
    "raw_data",
    "loss_curve",
    "fit",
    "untrained_vs_trained",
    "residuals",
    "diagnostics",
    "true_vs_learned",
    "loss_landscape",
    "training_animation",
]


def leftovers(folder: Path) -> list[str]:
    """Temporary files of atomic writes (``.NAME.*.tmp``)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


class Page(HTMLParser):
    """What the checks need from a page: tags, URL attributes and the visible text.

    With ``strict`` every end tag must close the innermost open element.
    """

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "source", "wbr"})

    def __init__(self, strict: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.strict = strict
        self.tags: list[str] = []
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.open_tags: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.open_tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "data", "srcset"):
                self.urls.append((tag, name, value or ""))

    def handle_endtag(self, tag: str) -> None:
        if self.strict:
            assert self.open_tags, f"</{tag}> closes nothing"
            assert self.open_tags[-1] == tag, (tag, self.open_tags[-5:])
        if tag in self.open_tags:
            del self.open_tags[len(self.open_tags) - 1 - self.open_tags[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if not self.open_tags or self.open_tags[-1] not in ("style", "script", "title"):
            self._text.append(data)

    @property
    def visible_text(self) -> str:
        return " ".join(" ".join(self._text).split())


def parse(page: str, strict: bool = True) -> Page:
    parser = Page(strict)
    parser.feed(page)
    parser.close()
    if strict:
        assert parser.open_tags == [], f"unclosed tags: {parser.open_tags}"
    return parser


# -- shared data: one trained model, one report ----------------------------------------------
@dataclass(frozen=True)
class Made:
    folder: Path
    train_csv: Path
    test_csv: Path
    model_file: Path
    model: LinearRegression
    report: Path
    result: Result


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    """y = 3x + 2 + noise; GD for 150 epochs; its report on the training data."""
    folder = tmp_path_factory.mktemp("report")
    data = make_regression(n_samples=150, seed=1)
    train_csv, test_csv = folder / "train.csv", folder / "test.csv"
    write_dataset_csv(train_csv, data)
    write_dataset_csv(test_csv, make_regression(n_samples=40, seed=2))
    table = read_table(train_csv)
    model = LinearRegression(learning_rate=0.02, epochs=150).fit(table.X, table.y)
    model_file = save_model(
        model,
        folder / "model.json",
        feature_names=table.feature_names,
        data_sha256=linreg.io.tables.file_sha256(train_csv),
        extra={"truth": {"weights": [3.0], "bias": 2.0}},
    )
    report = folder / "report.html"
    result = run_quietly("report", model_file, train_csv, "--out", report, "--json")
    return Made(folder, train_csv, test_csv, model_file, model, report, result)


# -- the page as text --------------------------------------------------------------------------
def test_report_command_json(made: Made) -> None:
    assert made.result.code == 0, made.result.err
    out = made.result.json()
    assert out["report"] == str(made.report)
    assert out["size_bytes"] == made.report.stat().st_size
    assert out["figures"] == ALL_FIGURES
    for key in ("data", "training", "hyperparameters", "parameters", "metrics", "stability"):
        assert key in out, key
    assert out["data"]["rows"] == 150
    assert out["data"]["is_training_data"] is True
    assert out["parameters"]["learned"] == [made.model.coef_[0], made.model.intercept_]
    assert out["parameters"]["true"] == [3.0, 2.0]
    assert out["training"]["stop_reason"] == "max_epochs"
    assert out["metrics"]["trained"]["r2"] == pytest.approx(made.model.score(*xy(made)))
    assert out["stability"]["max_stable_learning_rate"] == pytest.approx(
        made.model.stability_.max_stable_learning_rate  # type: ignore[union-attr]
    )


def xy(made: Made) -> tuple[np.ndarray, np.ndarray]:
    table = read_table(made.train_csv)
    assert table.y is not None
    return table.X, table.y


def test_report_is_valid_self_contained_html(made: Made) -> None:
    page = made.report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    parsed = parse(page)
    for tag in ("html", "head", "meta", "title", "style", "body", "table", "figure", "img"):
        assert tag in parsed.tags, tag
    assert '<meta charset="utf-8">' in page
    # Nothing to fetch: no scripts, no stylesheets or fonts from elsewhere, no web URL.
    for tag in ("script", "link", "iframe", "object", "embed"):
        assert tag not in parsed.tags, tag
    assert "http://" not in page
    assert "https://" not in page
    assert "@import" not in page
    assert "url(" not in page
    for tag, attribute, value in parsed.urls:
        if attribute == "href":
            assert value.startswith("#"), value
            assert f'id="{value[1:]}"' in page, value  # no link to a section not there
        else:
            assert value.startswith(("data:image/png;base64,", "data:image/gif;base64,")), (
                tag,
                value[:40],
            )
    assert len([u for u in parsed.urls if u[1] == "src"]) == len(ALL_FIGURES)


def test_embedded_images_decode(made: Made) -> None:
    parsed = parse(made.report.read_text(encoding="utf-8"))
    formats = []
    for _, attribute, value in parsed.urls:
        if attribute != "src":
            continue
        header, payload = value.split(",", 1)
        try:
            data = base64.b64decode(payload, validate=True)
        except binascii.Error as exc:  # pragma: no cover - the assertion explains
            pytest.fail(f"{header}: invalid base64 ({exc})")
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            formats.append(image.format)
            if image.format == "GIF":
                assert image.n_frames >= 2
    assert formats == ["PNG"] * (len(ALL_FIGURES) - 1) + ["GIF"]


def test_report_shows_the_learned_parameters_as_text(made: Made) -> None:
    text = parse(made.report.read_text(encoding="utf-8")).visible_text
    coef, intercept = float(made.model.coef_[0]), float(made.model.intercept_)
    assert fmt(coef) in text
    assert fmt(intercept) in text
    assert repr(coef) in text  # the exact value, too
    assert f"y = {fmt(coef)}·X + {fmt(intercept)}" in text
    for words in ("This is the training data", "closed-form optimum", "max_epochs", "η_max", "R²"):
        assert words in text, words


def test_page_size_is_reasonable(made: Made) -> None:
    assert 50_000 < made.report.stat().st_size < 5_000_000


def test_text_is_escaped(tmp_path: Path) -> None:
    name = 'a<b>&"c'
    data = make_regression(n_samples=40, seed=3)
    frame = pd.DataFrame({name: data.X[:, 0], "y": data.y})
    csv = tmp_path / "odd.csv"
    frame.to_csv(csv, index=False)
    table = read_table(csv)
    model = LinearRegression(learning_rate=0.02, epochs=5).fit(table.X, table.y)
    model_file = save_model(model, tmp_path / "m.json", feature_names=[name])
    out = report_from_files(
        model_file, csv, tmp_path / "sub" / "odd.html", animate=False, title="My <first> model"
    )
    page = out.read_text(encoding="utf-8")
    assert name not in page
    assert html.escape(name) in page
    assert name in parse(page).visible_text
    assert "<title>My &lt;first&gt; model</title>" in page
    assert leftovers(out.parent) == []


def test_closed_form_model_on_other_data(made: Made, tmp_path: Path) -> None:
    table = read_table(made.train_csv)
    exact = LinearRegression(solver="exact").fit(table.X, table.y)
    model_file = save_model(exact, tmp_path / "exact.json", feature_names=table.feature_names)
    out = tmp_path / "exact.html"
    result = run_quietly("report", model_file, made.test_csv, "--out", out, "--json")
    assert result.code == 0, result.err
    facts = result.json()
    # No training steps: no loss curve, landscape path or animation to show.
    assert facts["figures"] == [
        "raw_data",
        "fit",
        "untrained_vs_trained",
        "residuals",
        "diagnostics",
    ]
    assert facts["training"]["stop_reason"] == "closed_form"
    assert facts["parameters"]["true"] is None
    assert facts["stability"]["learning_rate"] is None
    assert facts["stability"]["source"] == "computed from this data"
    # The model file records no training data here, so the report cannot tell.
    assert facts["data"]["is_training_data"] is None
    text = parse(out.read_text(encoding="utf-8")).visible_text
    assert "closed_form" in text
    assert "cannot be checked" in text
    assert fmt(float(exact.coef_[0])) in text


def test_other_data_is_called_out_of_sample(made: Made, tmp_path: Path) -> None:
    out = tmp_path / "test.html"
    result = run_quietly(
        "report", made.model_file, made.test_csv, "--out", out, "--no-animation", "--json"
    )
    assert result.code == 0, result.err
    assert result.json()["data"]["is_training_data"] is False
    assert "training_animation" not in result.json()["figures"]
    assert "not the training data" in parse(out.read_text(encoding="utf-8")).visible_text


# -- atomic writing and errors -----------------------------------------------------------------
def test_failed_write_leaves_the_old_report(
    made: Made, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.html"
    out.write_text("old report", encoding="utf-8")

    def broken_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(linreg.viz.report, "report_figures", lambda *args, **kwargs: [])  # faster
    monkeypatch.setattr(linreg.io.tables.os, "fsync", broken_disk)
    result = run_quietly("report", made.model_file, made.train_csv, "--out", out, "--no-animation")
    assert_one_error_line(result, "No space left on device")
    assert out.read_text(encoding="utf-8") == "old report"
    assert leftovers(tmp_path) == []
    # The library call writes the same way.
    model, content = load_model(made.model_file)
    with pytest.raises(OSError, match="No space left"):
        write_report(out, model, content, read_table(made.train_csv))
    assert out.read_text(encoding="utf-8") == "old report"
    assert leftovers(tmp_path) == []


def test_failed_figure_writes_nothing(
    made: Made, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise linreg.LinregError("the residual plot failed")

    monkeypatch.setattr(plots, "residuals", broken)
    out = tmp_path / "report.html"
    result = run_quietly("report", made.model_file, made.train_csv, "--out", out)
    assert_one_error_line(result, "the residual plot failed")
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_missing_files_and_bad_out(made: Made, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    out = tmp_path / "r.html"
    assert_one_error_line(
        run_quietly("report", missing, made.train_csv, "--out", out), str(missing), "not found"
    )
    missing_csv = tmp_path / "nope.csv"
    assert_one_error_line(
        run_quietly("report", made.model_file, missing_csv, "--out", out),
        str(missing_csv),
        "not found",
    )
    assert_one_error_line(
        run_quietly("report", made.model_file, made.train_csv, "--out", tmp_path),
        "--out must be a file name",
    )
    assert not out.exists()


# -- in a real browser ---------------------------------------------------------------------------
@pytest.fixture
def browser() -> str:
    """The Chromium command; the test is skipped, before anything is built, without one."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(
        "headless Chromium is not installed (Debian: apt-get install -y chromium); "
        "the report was not checked in a browser"
    )


def browse(
    browser: str, page: Path, profile: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on ``page`` with no network, no sync and a throwaway profile."""
    argv = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *options,
        page.resolve().as_uri(),
    ]
    env = {**os.environ, "HOME": str(profile)}
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"Chromium did not finish within {BROWSER_TIMEOUT_S} s")


def colour_count(pixels: np.ndarray) -> int:
    """Distinct colours of an (N, 3) array of RGB bytes."""
    packed = (pixels[:, 0].astype(np.int32) << 16) | (pixels[:, 1].astype(np.int32) << 8)
    return int(np.unique(packed | pixels[:, 2]).shape[0])


def screenshot(browser: str, made: Made, tmp_path: Path, height: int) -> np.ndarray:
    shot = tmp_path / "shot.png"
    done = browse(
        browser,
        made.report,
        tmp_path / "profile",
        f"--screenshot={shot}",
        f"--window-size=1200,{height}",
    )
    assert shot.is_file(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    with Image.open(shot) as image:
        assert image.size == (1200, height)
        return np.asarray(image.convert("RGB"))


def test_browser_renders_the_page(browser: str, made: Made, tmp_path: Path) -> None:
    pixels = screenshot(browser, made, tmp_path, 2000).reshape(-1, 3)
    colours = colour_count(pixels)
    text_like = float(np.mean(pixels.astype(int).sum(axis=1) < 3 * 128))
    # A blank or unstyled-failure page has a handful of colours and no dark text.
    assert colours > 200, colours
    assert text_like > 0.005, text_like


def test_browser_draws_the_figures(browser: str, made: Made, tmp_path: Path) -> None:
    # The whole page in one tall window: the figures' colours (the viridis landscape,
    # the Okabe-Ito lines) appear only if the embedded images decoded and were drawn.
    pixels = screenshot(browser, made, tmp_path, 9000).reshape(-1, 3).astype(int)
    colours = colour_count(pixels)
    saturated = float(np.mean(pixels.max(axis=1) - pixels.min(axis=1) > 60))
    assert colours > 5000, colours
    assert saturated > 0.01, saturated


def test_browser_dom_shows_the_learned_parameters(browser: str, made: Made, tmp_path: Path) -> None:
    done = browse(browser, made.report, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<title>Linear regression report</title>" in dom
    text = parse(dom, strict=False).visible_text
    assert fmt(float(made.model.coef_[0])) in text
    assert fmt(float(made.model.intercept_)) in text
    assert "3. Parameters" in text
