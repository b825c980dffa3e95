"""Inference without the data (linreg.stats.pieces): streamed, Dask and loaded models.

Oracles: the in-memory table of the same rows (itself checked against statsmodels
in test_inference.py) and statsmodels' OLS directly.
"""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import linreg
from linreg.errors import LinregError, ModelFileError
from linreg.io.persistence import load_model, save_model
from linreg.out_of_memory import fit_file
from linreg.stats.inference import Inference
from linreg.stats.pieces import InferencePieces, pieces_inference

FIELDS = ("params", "std_errors", "t_values", "p_values")
SCALARS = ("rss", "tss", "r2", "adj_r2", "f_statistic", "log_likelihood", "aic", "bic")


def _data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1] + [5.0, 100.0, -3.0]
    return X, X @ [1.0, 0.2, -4.0] + 2.0 + rng.normal(size=n)


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    X, y = _data()
    path = tmp_path_factory.mktemp("pieces") / "train.csv"
    pd.DataFrame(np.column_stack([X, y]), columns=["a", "b", "c", "y"]).to_csv(path, index=False)
    return path


def _same_table(a: Inference, b: Inference, rtol: float) -> None:
    for name in FIELDS:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, err_msg=name)
    for name in SCALARS:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, err_msg=name)
    assert (a.df_model, a.df_resid, a.n_samples) == (b.df_model, b.df_resid, b.n_samples)
    np.testing.assert_allclose(a.condition_number, b.condition_number, rtol=1e-8)
    if b.optimum_distance is None:
        assert a.optimum_distance is None
    else:
        np.testing.assert_allclose(a.optimum_distance, b.optimum_distance, rtol=1e-8)


def _streamed(csv: Path, solver: str, fit_intercept: bool) -> linreg.LinearRegression:
    kw: dict[str, Any] = {}
    if solver != "exact":
        kw = {"epochs": 40, "learning_rate": 0.05 if fit_intercept else 5e-4, "standardize": True}
    if solver == "sgd":
        kw["batch_size"] = 64
    model = linreg.LinearRegression(solver=solver, fit_intercept=fit_intercept, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gd stopped short of the optimum, on purpose
        fit_file(csv, model, target="y")
    return model


@pytest.mark.parametrize("solver", ["exact", "gd", "sgd"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_a_streamed_fit_has_the_in_memory_summary_without_the_data(
    csv: Path, solver: str, fit_intercept: bool
) -> None:
    model = _streamed(csv, solver, fit_intercept)
    X, y = _data()
    without = model.inference()
    _same_table(without, model.inference(X, y), 1e-9)
    if solver == "exact":
        exog = sm.add_constant(X) if fit_intercept else X
        ref = sm.OLS(y, exog).fit()
        np.testing.assert_allclose(without.std_errors, ref.bse, rtol=1e-10)
        np.testing.assert_allclose(without.f_statistic, ref.fvalue, rtol=1e-10)
        np.testing.assert_allclose(without.log_likelihood, ref.llf, rtol=1e-12)
    else:
        assert without.optimum_distance is not None
        assert without.optimum_distance > 1e-6  # stopped early: the table says so
    assert "a" in model.summary()


def test_gd_rss_from_the_pieces_has_no_cancellation() -> None:
    """RSS at estimates far from and near the optimum, against the residuals summed."""
    X, y = _data(200, 5)
    exact = linreg.LinearRegression(solver="exact").fit(X, y)
    pieces = exact.inference_pieces()
    assert pieces is not None
    for shift in (1e-9, 1e-3, 10.0):
        coef, b = exact.coef_ * (1 + shift), exact.intercept_ - shift
        r = y - X @ coef - b
        np.testing.assert_allclose(pieces.rss_at(np.r_[b, coef]), r @ r, rtol=1e-12)


def test_the_streamed_optimum_model_has_the_pieces_too(csv: Path) -> None:
    model = linreg.LinearRegression(solver="gd", epochs=5, learning_rate=0.05, standardize=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_file(csv, model, target="y")
    X, y = _data()
    _same_table(fit.optimum.inference(), fit.optimum.inference(X, y), 1e-9)


def test_robust_types_and_weights_need_the_data(csv: Path) -> None:
    model = _streamed(csv, "exact", True)
    with pytest.raises(LinregError, match=r"cov_type='HC3' needs every residual.*pass X and y"):
        model.inference(cov_type="HC3")
    X, y = _data()
    assert model.inference(X, y, cov_type="HC3").cov_type == "HC3"
    frame = pd.read_csv(csv).assign(w=np.linspace(1.0, 2.0, 300))
    weighted_csv = csv.with_name("weighted.csv")
    frame.to_csv(weighted_csv, index=False)
    weighted = linreg.LinearRegression(solver="exact")
    fit_file(weighted_csv, weighted, target="y", sample_weight="w")
    with pytest.raises(LinregError, match=r"keeps no training data .*pass X and y"):
        weighted.inference()


@pytest.mark.parametrize("where", ["memory-exact", "memory-gd", "streamed-exact", "streamed-gd"])
def test_a_loaded_model_has_its_summary(tmp_path: Path, csv: Path, where: str) -> None:
    X, y = _data()
    solver = where.split("-")[1]
    if where.startswith("memory"):
        kw: dict[str, Any] = {"epochs": 30, "learning_rate": 0.05, "standardize": True}
        model = linreg.LinearRegression(solver=solver, **(kw if solver == "gd" else {}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
    else:
        model = _streamed(csv, solver, True)
    expected = model.inference(X, y)
    loaded, content = load_model(save_model(model, tmp_path / "model.json"))
    assert content["inference"]["n_samples"] == 300
    _same_table(loaded.inference(), expected, 1e-9)
    assert "R-squared" in loaded.summary()


def test_an_older_model_file_asks_for_the_data(tmp_path: Path) -> None:
    X, y = _data()
    path = save_model(linreg.LinearRegression(solver="exact").fit(X, y), tmp_path / "m.json")
    content = json.loads(path.read_text())
    content["format_version"] = 2
    del content["inference"]
    path.write_text(json.dumps(content))
    loaded, _ = load_model(path)
    with pytest.raises(LinregError, match=r"keeps no training data .*pass X and y"):
        loaded.inference()
    _same_table(
        loaded.inference(X, y), linreg.LinearRegression(solver="exact").fit(X, y).inference(), 1e-12
    )


def test_penalized_and_weighted_models_save_no_pieces(tmp_path: Path) -> None:
    X, y = _data()
    ridge = linreg.LinearRegression(solver="exact", alpha=0.5).fit(X, y)
    weighted = linreg.LinearRegression(solver="exact").fit(X, y, sample_weight=np.ones(300))
    for k, model in enumerate((ridge, weighted)):
        _, content = load_model(save_model(model, tmp_path / f"{k}.json"))
        assert content["inference"] is None


def _corrupt(field: str, value: Any) -> Any:
    def edit(content: dict[str, Any]) -> dict[str, Any]:
        content["inference"][field] = value(content["inference"][field])
        return content

    return edit


def _lower(R: list[list[float]]) -> list[list[float]]:
    R[2][0] = 1.0
    return R


def _asymmetric(G: list[list[float]]) -> list[list[float]]:
    G[0][1] = G[0][1] * 2 + 1.0
    return G


CORRUPTIONS = {
    "not an object": (lambda c: {**c, "inference": [1, 2]}, r"'inference' must be an object"),
    "few rows": (_corrupt("n_samples", lambda v: 4), r"'inference.n_samples' must be .* >= 5"),
    "lower R": (_corrupt("r_factor", _lower), r"'inference.r_factor' must be upper triangular"),
    "short R": (_corrupt("r_factor", lambda R: R[:3]), r"'inference.r_factor' must be 4 lists"),
    "text in R": (
        _corrupt("r_factor", lambda R: [R[0], ["x", 1, 2, 3], *R[2:]]),
        r"inference.r_factor\[1\]",
    ),
    "means": (_corrupt("column_means", lambda v: v[:2]), r"'inference.column_means' must be"),
    "optimum": (_corrupt("optimum", lambda v: None), r"'inference.optimum' must be"),
    "negative rss": (_corrupt("rss", lambda v: -1.0), r"'inference.rss' must be >= 0"),
    "rank": (_corrupt("rank", lambda v: 5), r"'inference.rank' must be at most 4"),
    "condition": (_corrupt("condition_number", lambda v: 0.5), r"condition_number' must be >= 1"),
    "asymmetric": (_corrupt("gram_inverse", _asymmetric), r"'inference.gram_inverse' must be sym"),
}


@pytest.mark.parametrize(("edit", "message"), CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_bad_inference_field_is_refused_by_name(tmp_path: Path, edit: Any, message: str) -> None:
    X, y = _data()
    path = save_model(linreg.LinearRegression(solver="exact").fit(X, y), tmp_path / "m.json")
    content = edit(copy.deepcopy(json.loads(path.read_text())))
    path.write_text(json.dumps(content))
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_pieces_refuse_estimates_of_another_shape() -> None:
    X, y = _data()
    pieces = linreg.LinearRegression(solver="exact").fit(X, y).inference_pieces()
    assert isinstance(pieces, InferencePieces)
    with pytest.raises(LinregError, match=r"pieces are of 3 feature\(s\), the estimates of 2"):
        pieces_inference(pieces, np.zeros(2), 0.0)


def test_a_dask_fit_has_the_in_memory_summary() -> None:
    da = pytest.importorskip("dask.array", reason="Dask is not installed")
    from linreg.sources.distributed import fit_dask

    X, y = _data(800, 9)
    fit = fit_dask(
        linreg.LinearRegression(solver="exact"),
        da.from_array(X, chunks=(200, 3)),
        da.from_array(y, chunks=(200,)),
    )
    _same_table(fit.model.inference(), fit.model.inference(X, y), 1e-9)
