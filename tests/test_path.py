"""The regularization path, its figure and ``linreg path``.

Oracles: scikit-learn's ``lasso_path`` / ``enet_path`` (on the centred data: they fit
no intercept) and ``ElasticNet`` with row weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import ElasticNet, enet_path, lasso_path

from cli_helpers import PNG_MAGIC, assert_one_error_line, run
from linreg import LinregError, regularization_path
from linreg.viz.path_plots import plot_regularization_path

Array = np.ndarray


def data(seed: int = 0, n: int = 40, d: int = 5) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, 1] += 0.5 * X[:, 0]
    y = X @ (np.linspace(2.0, -1.0, d) * (np.arange(d) % 2 == 0)) + 1.0
    return X, y + 0.3 * rng.standard_normal(n)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.1])
def test_path_equals_sklearns_enet_path(l1_ratio: float) -> None:
    X, y = data()
    path = regularization_path(X, y, l1_ratio=l1_ratio, n_alphas=25, eps=1e-3)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    top = np.max(np.abs(Xc.T @ yc)) / (len(y) * l1_ratio)  # sklearn's alpha_max
    assert path.alphas[0] == pytest.approx(top, rel=1e-12)
    np.testing.assert_allclose(path.alphas, np.geomspace(top, top * 1e-3, 25), rtol=1e-12)
    _alphas, coefs, _ = enet_path(
        Xc, yc, l1_ratio=l1_ratio, alphas=path.alphas, tol=1e-14, max_iter=100_000
    )
    np.testing.assert_allclose(path.coefs, coefs.T, atol=1e-6)
    np.testing.assert_array_equal(path.coefs == 0, coefs.T == 0)  # the same zero sets
    np.testing.assert_allclose(path.intercepts, y.mean() - X.mean(axis=0) @ path.coefs.T)
    assert np.all(path.dual_gaps <= 1e-10 * np.var(y))


def test_lasso_path_starts_at_zero_and_ends_near_least_squares() -> None:
    X, y = data(1)
    path = regularization_path(X, y, n_alphas=30, eps=1e-4)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    _, coefs, _ = lasso_path(Xc, yc, alphas=path.alphas, tol=1e-14, max_iter=100_000)
    np.testing.assert_allclose(path.coefs, coefs.T, atol=1e-6)
    assert path.n_nonzero[0] == 0
    assert path.n_nonzero[-1] == X.shape[1]
    assert np.all(np.diff(path.alphas) < 0)
    ols = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    np.testing.assert_allclose(path.coefs[-1], ols, atol=1e-2)


def test_weighted_path_equals_sklearn_with_sample_weight() -> None:
    X, y = data(2)
    w = np.random.default_rng(3).uniform(0.2, 3.0, y.size)
    path = regularization_path(X, y, l1_ratio=0.7, alphas=[0.5, 0.05, 0.2], sample_weight=w)
    np.testing.assert_array_equal(path.alphas, [0.5, 0.2, 0.05])  # sorted, largest first
    for alpha, coef, intercept in zip(path.alphas, path.coefs, path.intercepts, strict=True):
        oracle = ElasticNet(alpha=alpha, l1_ratio=0.7, tol=1e-14, max_iter=100_000)
        oracle.fit(X, y, sample_weight=w)
        np.testing.assert_allclose(coef, oracle.coef_, atol=1e-6)
        assert intercept == pytest.approx(oracle.intercept_, abs=1e-6)


def test_ridge_path_with_given_alphas_and_dataframe_names() -> None:
    X, y = data(4, d=3)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    path = regularization_path(frame, y, l1_ratio=0.0, alphas=[1.0, 0.1])
    assert path.feature_names == ["a", "b", "c"]
    assert np.all(path.n_nonzero == 3)
    # Ridge (its alpha is ours times N), not ElasticNet(l1_ratio=0): scikit-learn 1.3's
    # coordinate descent does not converge without an L1 part.
    from sklearn.linear_model import Ridge

    oracle = Ridge(alpha=0.1 * X.shape[0]).fit(X, y)
    np.testing.assert_allclose(path.coefs[1], oracle.coef_, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"l1_ratio": 0.0}, "no alpha_max"),
        ({"l1_ratio": 1.2}, "l1_ratio must be in"),
        ({"alphas": []}, "alphas must be"),
        ({"alphas": [1.0, -1.0]}, "alphas must be"),
        ({"n_alphas": 0}, "n_alphas"),
        ({"eps": 2.0}, "eps must be"),
    ],
)
def test_bad_path_arguments_are_refused(kwargs: dict[str, object], match: str) -> None:
    X, y = data()
    with pytest.raises(LinregError, match=match):
        regularization_path(X, y, **kwargs)  # type: ignore[arg-type]


def test_the_figure_draws_one_line_per_feature() -> None:
    X, y = data()
    path = regularization_path(X, y, n_alphas=10)
    fig = plot_regularization_path(path)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    lines = [line for line in ax.get_lines() if line.get_label() in {f"x{j + 1}" for j in range(5)}]
    assert len(lines) == 5
    np.testing.assert_array_equal(lines[0].get_ydata(), path.coefs[:, 0])
    assert ax.get_xlim()[0] > ax.get_xlim()[1]  # strong penalty on the left
    assert "Lasso path" in ax.get_title()


def test_cli_path_prints_writes_the_figure_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    X, y = data()
    csv = tmp_path / "d.csv"
    pd.DataFrame(np.column_stack([X, y]), columns=["a", "b", "c", "d", "e", "y"]).to_csv(
        csv, index=False
    )
    result = run(capsys, "path", csv, "--n-alphas", "12", "--plots", tmp_path / "figs")
    assert result.code == 0, result.err
    assert "regularization path, l1_ratio = 1" in result.out
    figure = tmp_path / "figs" / "regularization_path.png"
    assert figure.read_bytes().startswith(PNG_MAGIC)
    result = run(capsys, "path", csv, "--l1-ratio", "0.5", "--n-alphas", "12", "--json")
    payload = result.json()
    expected = regularization_path(X, y, l1_ratio=0.5, n_alphas=12)
    np.testing.assert_allclose(payload["coefs"], expected.coefs)
    assert payload["feature_names"] == ["a", "b", "c", "d", "e"]
    result = run(capsys, "path", csv, "--l1-ratio", "0", "--alphas", "1,0.1", "--json")
    assert len(result.json()["alphas"]) == 2


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--l1-ratio", "0"], ["no alpha_max", "d.csv"]),
        (["--l1-ratio", "-1"], ["l1_ratio must be in"]),
        (["--alphas", "1,x"], ["--alphas", "'x'"]),
    ],
)
def test_cli_path_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragments: list[str]
) -> None:
    X, y = data()
    csv = tmp_path / "d.csv"
    pd.DataFrame(np.column_stack([X, y]), columns=["a", "b", "c", "d", "e", "y"]).to_csv(
        csv, index=False
    )
    assert_one_error_line(run(capsys, "path", csv, *args), *fragments)
