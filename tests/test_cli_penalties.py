"""``linreg train --alpha A --l1-ratio R``: the lasso and the elastic net from the command
line, and the summary of a penalized model file; scikit-learn is the oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.cli_helpers import assert_one_error_line, run

sklearn_linear = pytest.importorskip("sklearn.linear_model")


@pytest.fixture
def data_file(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(150, 4))
    y = X @ np.array([1.5, 0.0, 0.0, -2.0]) + 0.5 + 0.3 * rng.normal(size=150)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["y"] = y
    path = tmp_path / "train.csv"
    frame.to_csv(path, index=False)
    return path, X, y


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_train_exact_lasso_and_elastic_net_equal_scikit_learn(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    data_file: tuple[Path, np.ndarray, np.ndarray],
    l1_ratio: float,
) -> None:
    path, X, y = data_file
    model_path = tmp_path / "model.json"
    result = run(
        capsys, "train", path, "--solver", "exact", "--alpha", "0.1",
        "--l1-ratio", str(l1_ratio), "--out", model_path, "--json", "--quiet",
    )  # fmt: skip
    assert result.code == 0, result.err
    oracle = sklearn_linear.ElasticNet(alpha=0.1, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000)
    oracle.fit(X, y)
    payload = result.json()
    coef = np.array(payload["coef"])
    np.testing.assert_allclose(coef, oracle.coef_, rtol=1e-6, atol=1e-9)
    assert np.array_equal(coef == 0.0, oracle.coef_ == 0.0)
    assert payload["intercept"] == pytest.approx(oracle.intercept_, rel=1e-6)


def test_a_penalized_model_file_summarises_to_its_coefficients(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    data_file: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    path, _, _ = data_file
    model_path = tmp_path / "model.json"
    trained = run(
        capsys, "train", path, "--solver", "exact", "--alpha", "0.1", "--l1-ratio", "1",
        "--out", model_path, "--quiet",
    )  # fmt: skip
    assert trained.code == 0, trained.err
    text = run(capsys, "summary", model_path)
    assert text.code == 0, text.err
    assert "lasso (exact)" in text.out
    assert "do not apply" in text.out
    as_json = run(capsys, "summary", model_path, "--json").json()
    assert as_json["penalty"] == "lasso"
    assert as_json["feature_names"] == ["a", "b", "c", "d"]
    assert as_json["coef"][1] == 0.0
    assert as_json["standard_errors"] is None
    robust = run(capsys, "summary", model_path, "--cov-type", "HC3")
    assert_one_error_line(robust, "does not apply to a penalized fit")


@pytest.mark.parametrize("bad", ["2", "-0.5", "nan", "lasso"])
def test_a_bad_l1_ratio_is_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    data_file: tuple[Path, np.ndarray, np.ndarray],
    bad: str,
) -> None:
    path, _, _ = data_file
    result = run(
        capsys, "train", path, "--alpha", "0.1", "--l1-ratio", bad, "--out", tmp_path / "m.json"
    )
    assert_one_error_line(result, "l1")
    assert not (tmp_path / "m.json").exists()
