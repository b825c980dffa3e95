"""``linreg train --alpha A --sample-weight COLUMN``: the weighted, penalized objective.

The fits are checked against scikit-learn, an independent oracle: the minimiser of
L(W, b) = (1/sum w) sum_i w_i (x_i W + b - y_i)^2 + alpha |W|^2 is
``Ridge(alpha=alpha * sum(w)).fit(X, y, sample_weight=w)``. Also: the weight column is
not a feature, a streamed fit equals the in-memory one, a model fitted with alpha
evaluates and predicts, and a bad ``--alpha`` is one error line with nothing written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error

from cli_helpers import assert_one_error_line, run
from linreg import LinearRegression

ALPHA = 0.3
FEATURES = ["x1", "x2"]


@pytest.fixture(scope="module")
def weighted_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 rows: two features on different scales, weights in [0.2, 3] with some zeros, y."""
    rng = np.random.default_rng(12)
    n = 60
    X = np.column_stack([rng.uniform(0, 10, n), rng.normal(5, 2, n)])
    w = rng.uniform(0.2, 3.0, n)
    w[[3, 17, 41]] = 0.0  # rows that must not count
    y = X @ np.array([1.5, -2.0]) + 4.0 + rng.normal(0, 1.0, n)
    y[[3, 17, 41]] += 500.0  # outliers that only weight zero keeps out of the fit
    path = tmp_path_factory.mktemp("weights") / "weighted.csv"
    pd.DataFrame({"x1": X[:, 0], "w": w, "x2": X[:, 1], "y": y}).to_csv(path, index=False)
    return path


def columns(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X, y and w as the file holds them."""
    frame = pd.read_csv(path)
    return frame[FEATURES].to_numpy(), frame["y"].to_numpy(), frame["w"].to_numpy()


def ridge(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, alpha: float) -> Ridge:
    """scikit-learn's minimiser of the same objective (its alpha multiplies sum w |W|^2)."""
    weights = np.ones(len(y)) if w is None else w
    return Ridge(alpha=alpha * weights.sum(), solver="cholesky").fit(X, y, sample_weight=weights)


def test_exact_fit_with_weights_and_alpha_is_ridges_minimiser(
    capsys: pytest.CaptureFixture[str], weighted_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model.json"
    result = run(
        capsys, "train", weighted_csv, "--solver", "exact", "--alpha", str(ALPHA),
        "--sample-weight", "w", "--out", out, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    assert report["feature_names"] == FEATURES  # the weight column is not a feature
    assert report["alpha"] == ALPHA
    assert report["sample_weight"] == "w"
    X, y, w = columns(weighted_csv)
    oracle = ridge(X, y, w, ALPHA)
    np.testing.assert_allclose(report["coef"], oracle.coef_, rtol=1e-9)
    assert report["intercept"] == pytest.approx(oracle.intercept_, rel=1e-9)
    # the library, called as the command says it does
    library = LinearRegression(solver="exact", alpha=ALPHA).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(report["coef"], library.coef_, rtol=1e-12)
    assert report["final_loss"] == pytest.approx(report["optimum_loss"], rel=1e-12)
    assert out.is_file()


def test_weights_alone_are_weighted_least_squares(
    capsys: pytest.CaptureFixture[str], weighted_csv: Path, tmp_path: Path
) -> None:
    result = run(
        capsys, "train", weighted_csv, "--solver", "exact", "--sample-weight", "w",
        "--out", tmp_path / "m.json", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    assert "alpha" not in report
    X, y, w = columns(weighted_csv)
    A = np.column_stack([X, np.ones(len(y))]) * np.sqrt(w)[:, None]
    theta = np.linalg.lstsq(A, y * np.sqrt(w), rcond=None)[0]
    np.testing.assert_allclose([*report["coef"], report["intercept"]], theta, rtol=1e-9)
    # the zero-weight outliers are left out: an unweighted fit is pulled far away
    unweighted = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
    assert abs(unweighted[-1] - theta[-1]) > 1.0


def test_alpha_alone_with_gradient_descent_is_the_librarys_penalized_fit(
    capsys: pytest.CaptureFixture[str], weighted_csv: Path, tmp_path: Path
) -> None:
    # Without --sample-weight the weight column is an ordinary feature: name the features.
    result = run(
        capsys, "train", weighted_csv, "--features", "x1,x2", "--alpha", str(ALPHA),
        "--solver", "gd", "--lr", "0.005", "--epochs", "300", "--out", tmp_path / "m.json",
        "--plots", tmp_path / "figures", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = result.json()
    assert "sample_weight" not in report
    X, y, _ = columns(weighted_csv)
    library = LinearRegression(solver="gd", learning_rate=0.005, epochs=300, alpha=ALPHA)
    library.fit(X, y)
    np.testing.assert_allclose(report["coef"], library.coef_, rtol=1e-12)
    assert report["final_loss"] == pytest.approx(library.history_.final_loss, rel=1e-12)
    # the optimum shown beside it is the penalized one (scikit-learn's Ridge)
    oracle = ridge(X, y, None, ALPHA)
    np.testing.assert_allclose(report["closed_form"]["coef"], oracle.coef_, rtol=1e-9)
    # the landscape is drawn for the penalized objective, about its optimum
    assert tmp_path / "figures" / "loss_landscape.png" in map(Path, report["figures"])


def test_a_streamed_fit_equals_the_in_memory_one(
    capsys: pytest.CaptureFixture[str], weighted_csv: Path, tmp_path: Path
) -> None:
    reports = []
    for streamed in (False, True):
        argv = [
            "train", weighted_csv, "--solver", "exact", "--alpha", str(ALPHA),
            "--sample-weight", "w", "--out", tmp_path / f"m{streamed}.json", "--json",
        ]  # fmt: skip
        result = run(capsys, *argv, *(["--stream"] if streamed else []))
        assert result.code == 0, result.err
        reports.append(result.json())
    memory, stream = reports
    assert stream["feature_names"] == FEATURES
    assert stream["coef"] == memory["coef"]  # bit for bit
    assert stream["intercept"] == memory["intercept"]


def test_a_model_fitted_with_alpha_evaluates_and_predicts(
    capsys: pytest.CaptureFixture[str], weighted_csv: Path, tmp_path: Path
) -> None:
    model_path = tmp_path / "model.json"
    result = run(
        capsys, "train", weighted_csv, "--solver", "exact", "--alpha", str(ALPHA),
        "--sample-weight", "w", "--out", model_path, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    coef, intercept = np.array(result.json()["coef"]), result.json()["intercept"]
    X, y, _ = columns(weighted_csv)
    expected = X @ coef + intercept
    evaluated = run(capsys, "evaluate", model_path, weighted_csv, "--compare", "--json")
    assert evaluated.code == 0, evaluated.err
    assert evaluated.json()["mse"] == pytest.approx(mean_squared_error(y, expected), rel=1e-12)
    new = tmp_path / "new.csv"
    pd.DataFrame({"x1": X[:5, 0], "x2": X[:5, 1]}).to_csv(new, index=False)  # no weights
    predicted = run(capsys, "predict", model_path, new, "--json")
    assert predicted.code == 0, predicted.err
    np.testing.assert_allclose(predicted.json()["predictions"], expected[:5], rtol=1e-12)


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "abc", ""])
def test_a_bad_alpha_is_one_error_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], weighted_csv: Path, tmp_path: Path, value: str
) -> None:
    out = tmp_path / "model.json"
    result = run(capsys, "train", weighted_csv, f"--alpha={value}", "--out", out)
    assert_one_error_line(result, "--alpha", repr(value))
    assert result.out == ""
    assert list(tmp_path.iterdir()) == []


def test_a_missing_weight_column_is_one_error_line(
    capsys: pytest.CaptureFixture[str], weighted_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model.json"
    result = run(capsys, "train", weighted_csv, "--sample-weight", "weights", "--out", out)
    assert_one_error_line(result, "weights")
    assert not out.exists()
