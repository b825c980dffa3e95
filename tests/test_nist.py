"""NIST StRD linear least squares: the reader, LRE, and the accuracy targets.

Targets (minimum LRE over the certified values, float64 can give about 15):

* coefficients by ``lstsq`` on the float64 design: >= 13 everywhere but Filip, whose
  rounded powers cap any method at 7.6, where >= 7.5;
* coefficients by ``PolynomialRegression``: Filip >= 12, Wampler1-5 >= 13;
* standard deviations, residual standard deviation and R^2: >= 10 everywhere (Filip
  through the polynomial path), a certified 0 coming out below 1e-10.
"""

from __future__ import annotations

import math
from fractions import Fraction
from importlib import resources

import numpy as np
import pytest

from linreg.solvers.lstsq import lstsq
from linreg.stats.nist import (
    DATASETS,
    LRE_CAP,
    NistRecord,
    format_table,
    load_nist,
    lre,
    parse_nist,
    run_nist,
)
from linreg.stats.polynomial import PolynomialRegression

LSTSQ_TARGET = dict.fromkeys(DATASETS, 13.0) | {"Filip": 7.5}
POLYNOMIAL_TARGET = {"Filip": 12.0} | {f"Wampler{i}": 13.0 for i in range(1, 6)}


@pytest.fixture(scope="module")
def records() -> list[NistRecord]:
    """Every dataset fitted once by every method (about a quarter of a second)."""
    return run_nist()


def _record(records: list[NistRecord], dataset: str, method: str) -> NistRecord:
    return next(r for r in records if r.dataset == dataset and r.method == method)


# -- the files -------------------------------------------------------------------------------


SHAPES = {
    "Norris": (36, 1, 2, "linear", 1),
    "Pontius": (40, 1, 3, "polynomial", 2),
    "NoInt1": (11, 1, 1, "no-intercept", 1),
    "NoInt2": (3, 1, 1, "no-intercept", 1),
    "Filip": (82, 1, 11, "polynomial", 10),
    "Longley": (16, 6, 7, "linear", 1),
    "Wampler1": (21, 1, 6, "polynomial", 5),
    "Wampler5": (21, 1, 6, "polynomial", 5),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_files_parse_to_the_documented_shapes(name: str) -> None:
    n, k, p, model, degree = SHAPES[name]
    ds = load_nist(name)
    assert ds.name == name
    assert ds.x.shape == (n, k)
    assert ds.y.shape == (n,)
    assert ds.certified_coef.shape == ds.certified_sd.shape == (p,)
    assert ds.model == model
    assert ds.degree == degree
    assert ds.fit_intercept == (model != "no-intercept")
    assert ds.design().shape == (n, k if model != "polynomial" else degree)


def test_certified_values_are_read_exactly() -> None:
    ds = load_nist("Longley")
    assert ds.certified_coef[0] == -3482258.63459582
    assert ds.certified_sd[2] == 0.334910077722432e-01
    assert ds.residual_sd == 304.854073561965
    assert ds.r_squared == 0.995479004577296
    assert ds.difficulty == "higher"
    assert ds.x[0].tolist() == [83.0, 234289.0, 2356.0, 1590.0, 107608.0, 1947.0]
    assert ds.y[-1] == 70551.0
    w1 = load_nist("wampler1.dat")  # case and suffix are forgiven
    assert w1.residual_sd == 0.0
    np.testing.assert_array_equal(w1.certified_sd, 0.0)


def test_polynomial_design_powers_are_correctly_rounded() -> None:
    """x = 0..20 to the 5th power is exact in float64; NumPy < 2.0's np.power on AVX-512
    gives 13.0**4 one ulp low, and the Wampler fits lost up to 8 digits with it."""
    ds = load_nist("Wampler4")
    exact = [[float(int(v) ** p) for p in range(1, 6)] for v in ds.x[:, 0]]
    np.testing.assert_array_equal(ds.design(), np.array(exact))


def test_every_bundled_file_loads_and_sources_ship_with_them() -> None:
    folder = resources.files("linreg") / "data" / "nist"
    assert "NIST" in (folder / "SOURCES.md").read_text(encoding="utf-8")
    for name in DATASETS:
        raw = (folder / f"{name}.dat").read_bytes()
        assert raw.startswith(b"NIST/ITL StRD")
        assert b"\r\n" in raw  # byte for byte as NIST distributes them
        assert load_nist(name).y.size > 0


def test_unknown_name_and_broken_files_are_reported() -> None:
    with pytest.raises(ValueError, match="unknown NIST dataset"):
        load_nist("Anscombe")
    with pytest.raises(ValueError, match="Certified Values"):
        parse_nist("NIST/ITL StRD\nnothing here\n", "empty")
    text = (resources.files("linreg") / "data" / "nist" / "Norris.dat").read_text("ascii")
    broken = text.replace("(lines 61 to 96)", "(lines 30 to 40)")
    with pytest.raises(ValueError, match="not a table of numbers"):
        parse_nist(broken)


# -- LRE ------------------------------------------------------------------------------------


def test_lre_counts_correct_digits() -> None:
    assert lre(1.0, 1.0) == LRE_CAP
    assert lre(1.001, 1.0) == pytest.approx(3.0)
    assert lre(-2.0e-7, -2.0e-7 * (1 + 1e-9)) == pytest.approx(9.0, abs=1e-6)
    assert lre(1e-12, 0.0) == pytest.approx(12.0)
    assert lre(0.0, 0.0) == LRE_CAP
    assert lre(1e-20, 0.0) == LRE_CAP  # capped
    assert lre(5.0, 1.0) == 0.0  # no correct digit is 0, not negative
    assert lre(math.nan, 1.0) == 0.0
    assert lre([1.0, 2.0001], [1.0, 2.0]) == pytest.approx(-math.log10(0.0001 / 2.0))
    with pytest.raises(ValueError, match="shape"):
        lre([1.0], [1.0, 2.0])


# -- the accuracy targets ---------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_lstsq_coefficients_on_the_float64_design(records: list[NistRecord], name: str) -> None:
    rec = _record(records, name, "lstsq")
    assert rec.coef_lre >= LSTSQ_TARGET[name], rec


@pytest.mark.parametrize("name", sorted(POLYNOMIAL_TARGET))
def test_polynomial_regression_coefficients(records: list[NistRecord], name: str) -> None:
    rec = _record(records, name, "polynomial")
    assert rec.coef_lre >= POLYNOMIAL_TARGET[name], rec


@pytest.mark.parametrize("name", DATASETS)
def test_standard_deviations_residual_sd_and_r_squared(
    records: list[NistRecord], name: str
) -> None:
    rec = _record(records, name, "polynomial" if name == "Filip" else "lstsq")
    assert rec.sd_lre is not None
    assert rec.residual_sd_lre is not None
    assert rec.r_squared_lre is not None
    assert min(rec.sd_lre, rec.residual_sd_lre, rec.r_squared_lre) >= 10.0, rec


@pytest.mark.parametrize("name", ["Wampler1", "Wampler2"])
def test_certified_zeros_come_out_below_1e_10(records: list[NistRecord], name: str) -> None:
    """Exact fits: the residual sd and the estimates' sds are certified as 0."""
    for method in ("lstsq", "polynomial"):
        rec = _record(records, name, method)
        assert rec.residual_sd is not None
        assert rec.std_errors is not None
        assert abs(rec.residual_sd) < 1e-10
        assert np.all(np.abs(rec.std_errors) < 1e-10)
        assert rec.r_squared == pytest.approx(1.0, abs=1e-15)


def _exact_least_squares(columns: list[list[Fraction]], y: np.ndarray) -> np.ndarray:
    """Exact least-squares solution in rational arithmetic, rounded to float64."""
    p = len(columns)
    yf = [Fraction(v) for v in y.tolist()]
    G = [
        [sum((a * b for a, b in zip(ci, cj, strict=True)), Fraction(0)) for cj in columns]
        for ci in columns
    ]
    h = [sum((a * b for a, b in zip(ci, yf, strict=True)), Fraction(0)) for ci in columns]
    M = [[*row, hi] for row, hi in zip(G, h, strict=True)]
    for k in range(p):
        for i in range(k + 1, p):
            factor = M[i][k] / M[k][k]
            M[i] = [a - factor * b for a, b in zip(M[i], M[k], strict=True)]
    x = [Fraction(0)] * p
    for k in reversed(range(p)):
        tail = sum((M[k][j] * x[j] for j in range(k + 1, p)), Fraction(0))
        x[k] = (M[k][p] - tail) / M[k][k]
    return np.array([float(v) for v in x])


@pytest.mark.parametrize("name", DATASETS)
def test_solutions_are_the_exact_least_squares_solutions_rounded(name: str) -> None:
    """The float64 limit: what exact arithmetic gives for the data as float64 holds them."""
    ds = load_nist(name)
    X = ds.design()
    columns = [[Fraction(v) for v in X[:, j].tolist()] for j in range(X.shape[1])]
    if ds.fit_intercept:
        columns.insert(0, [Fraction(1)] * ds.y.size)
    exact = _exact_least_squares(columns, ds.y)
    got = lstsq(X, ds.y, fit_intercept=ds.fit_intercept).params
    np.testing.assert_array_less(np.abs(got - exact), 1.01 * np.spacing(np.abs(exact)))
    if ds.model == "polynomial":  # powers of the float64 x, formed exactly
        x = [Fraction(v) for v in ds.x[:, 0].tolist()]
        powers = [[xi**k for xi in x] for k in range(ds.degree + 1)]
        exact = _exact_least_squares(powers, ds.y)
        model = PolynomialRegression(ds.degree).fit(ds.x, ds.y)
        got = np.concatenate([[model.intercept_], model.coef_])
        np.testing.assert_array_less(np.abs(got - exact), 1.01 * np.spacing(np.abs(exact)))


def test_linreg_is_never_less_accurate_than_numpy(records: list[NistRecord]) -> None:
    for name in DATASETS:
        ours = _record(records, name, "lstsq").coef_lre
        theirs = _record(records, name, "numpy").coef_lre
        assert ours >= theirs - 0.05, name
    # And on the hard ones by a wide margin.
    assert (
        _record(records, "Wampler5", "lstsq").coef_lre
        >= _record(records, "Wampler5", "numpy").coef_lre + 5.0
    )


def test_run_nist_selects_datasets_and_methods() -> None:
    recs = run_nist(["Norris", "Pontius"], methods=("polynomial",))
    assert [(r.dataset, r.method) for r in recs] == [("Pontius", "polynomial")]
    with pytest.raises(ValueError, match="unknown method"):
        run_nist(["Norris"], methods=("svd",))


def test_format_table_lists_every_record(records: list[NistRecord]) -> None:
    table = format_table(records)
    lines = table.splitlines()
    assert len(lines) == len(records) + 2
    assert all(name in table for name in DATASETS)
    assert lines[0].split()[2:] == ["coef", "sd", "res.sd", "R^2"]
