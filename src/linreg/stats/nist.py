"""NIST StRD linear least-squares reference datasets: reader, LRE, and the accuracy table.

NIST's Statistical Reference Datasets (https://www.itl.nist.gov/div898/strd/) certify,
in 500-digit arithmetic, the least-squares estimates, their standard deviations, the
residual standard deviation and R-squared of eleven problems, from the trivial (Norris)
to the numerically nasty (Filip, Wampler5).  The files ship with linreg as package data
(``linreg/data/nist/*.dat``, see ``SOURCES.md`` there) and are read with
:mod:`importlib.resources`.

Accuracy is the log relative error, the number of correct significant digits::

    LRE(q, c) = -log10(|q - c| / |c|)      (c != 0)
    LRE(q, 0) = -log10(|q|)

clipped to ``[0, 15]`` (float64 carries about 15.95 digits).

:func:`run_nist` fits every dataset with linreg's exact solver and with
``numpy.linalg.lstsq`` and returns one :class:`NistRecord` per dataset and method.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from linreg.estimator import LinearRegression
from linreg.stats.inference import Inference
from linreg.stats.polynomial import PolynomialRegression

__all__ = [
    "DATASETS",
    "LRE_CAP",
    "NistDataset",
    "NistRecord",
    "format_table",
    "load_nist",
    "lre",
    "parse_nist",
    "run_nist",
]

Array = NDArray[np.float64]
ModelKind = Literal["linear", "no-intercept", "polynomial"]

#: Dataset names in NIST's order of difficulty.
DATASETS: Final = (
    "Norris",
    "Pontius",
    "NoInt1",
    "NoInt2",
    "Filip",
    "Longley",
    "Wampler1",
    "Wampler2",
    "Wampler3",
    "Wampler4",
    "Wampler5",
)

#: Largest LRE reported: float64 holds 15.95 significant digits.
LRE_CAP: Final = 15.0

_LINES = re.compile(r"\(lines\s+(\d+)\s+to\s+(\d+)\)", re.IGNORECASE)
_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_PARAM = re.compile(rf"^\s*B(\d+)\s+{_NUMBER}\s+{_NUMBER}\s*$")
_RESID_SD = re.compile(rf"Residual\s+Standard\s+Deviation\s+{_NUMBER}", re.IGNORECASE)
_R2 = re.compile(rf"R-Squared\s+{_NUMBER}", re.IGNORECASE)


@dataclass(frozen=True)
class NistDataset:
    """One StRD linear least-squares problem and its certified results.

    Attributes
    ----------
    name : str
        Dataset name, e.g. ``"Longley"``.
    x : ndarray of shape (n, k)
        The predictor columns as printed in the file (``k = 1`` except Longley).
    y : ndarray of shape (n,)
        The response.
    certified_coef : ndarray of shape (p,)
        Certified estimates ``B0, B1, ...`` (``B1`` alone without intercept).
    certified_sd : ndarray of shape (p,)
        Certified standard deviations of the estimates.
    residual_sd : float
        Certified residual standard deviation ``sqrt(RSS / (n - p))``.
    r_squared : float
        Certified R-squared (uncentred, ``1 - RSS / sum(y^2)``, without intercept).
    model : {"linear", "no-intercept", "polynomial"}
        ``y = B0 + B1 x1 + ...``, ``y = B1 x``, or ``y = B0 + B1 x + ... + Bk x^k``.
    degree : int
        Polynomial degree ``k`` (1 for the linear models).
    difficulty : str
        NIST's level: ``"lower"``, ``"average"`` or ``"higher"``.
    """

    name: str
    x: Array
    y: Array
    certified_coef: Array
    certified_sd: Array
    residual_sd: float
    r_squared: float
    model: ModelKind
    degree: int
    difficulty: str

    @property
    def fit_intercept(self) -> bool:
        """Whether the model has ``B0``."""
        return self.model != "no-intercept"

    @property
    def n_params(self) -> int:
        """Number of certified parameters ``p``."""
        return int(self.certified_coef.size)

    def design(self) -> Array:
        """The float64 design matrix without the column of ones.

        Returns
        -------
        ndarray of shape (n, k)
            ``x`` itself for the linear models; ``[x, x^2, ..., x^k]`` for the
            polynomial ones, each power correctly rounded once (``pow``).
        """
        if self.model != "polynomial":
            return np.ascontiguousarray(self.x)
        # math.pow, not np.power: NumPy < 2.0 takes SVML's pow on AVX-512 processors,
        # which is not correctly rounded (13.0**4 comes out one ulp below 28561).
        powers = range(1, self.degree + 1)
        rows = [[math.pow(v, p) for p in powers] for v in self.x[:, 0].tolist()]
        return np.array(rows, dtype=np.float64).reshape(self.x.shape[0], self.degree)


def _section(lines: list[str], header: str, label: str) -> tuple[int, int]:
    for line in lines[:12]:
        if label.lower() in line.lower():
            m = _LINES.search(line)
            if m:
                return int(m.group(1)), int(m.group(2))
    raise ValueError(f"{header}: no '{label} (lines a to b)' entry in the header")


def parse_nist(text: str, name: str = "dataset") -> NistDataset:
    """Parse the text of a NIST StRD linear least-squares ``.dat`` file.

    Parameters
    ----------
    text : str
        The whole file (CRLF or LF line endings).
    name : str, default "dataset"
        Name for messages and the result (the file's ``Dataset Name`` wins).

    Returns
    -------
    NistDataset

    Raises
    ------
    ValueError
        If the header does not say where the certified values or the data are,
        or those lines do not hold what they should.

    Notes
    -----
    The header's ``Certified Values (lines a to b)`` and ``Data (lines c to d)``
    entries (1-based, inclusive) locate the blocks.  The model is read from the
    ``y = ...`` line: no ``B0`` means no intercept, ``x**j`` terms mean a
    polynomial whose degree is its highest power.
    """
    lines = text.splitlines()
    m = re.search(r"Dataset Name:\s*(\S+)", text)
    if m:
        name = m.group(1)
    cert_a, cert_b = _section(lines, name, "Certified Values")
    data_a, data_b = _section(lines, name, "Data")
    certified = lines[cert_a - 1 : cert_b]
    coef: dict[int, tuple[float, float]] = {}
    for line in certified:
        pm = _PARAM.match(line)
        if pm:
            coef[int(pm.group(1))] = (float(pm.group(2)), float(pm.group(3)))
    block = "\n".join(certified)
    sd_match, r2_match = _RESID_SD.search(block), _R2.search(block)
    if not coef or sd_match is None or r2_match is None:
        raise ValueError(f"{name}: certified values not found in lines {cert_a} to {cert_b}")
    rows = [line.split() for line in lines[data_a - 1 : data_b] if line.strip()]
    try:
        table = np.array(rows, dtype=np.float64)
    except ValueError:
        raise ValueError(f"{name}: lines {data_a} to {data_b} are not a table of numbers") from None
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError(f"{name}: the data need a response and at least one predictor")

    formula = next((ln.strip() for ln in lines[: cert_a - 1] if ln.strip().startswith("y =")), "")
    indices = sorted(coef)
    has_b0 = 0 in coef
    powers = [int(p) for p in re.findall(r"x\*\*(\d+)", formula)]
    model: ModelKind
    if powers:
        model, degree = "polynomial", max(powers)
    else:
        model, degree = ("linear" if has_b0 else "no-intercept"), 1
    difficulty = "unknown"
    dm = re.search(r"(Lower|Average|Higher) Level of Difficulty", text)
    if dm:
        difficulty = dm.group(1).lower()
    return NistDataset(
        name=name,
        x=np.ascontiguousarray(table[:, 1:]),
        y=np.ascontiguousarray(table[:, 0]),
        certified_coef=np.array([coef[i][0] for i in indices]),
        certified_sd=np.array([coef[i][1] for i in indices]),
        residual_sd=float(sd_match.group(1)),
        r_squared=float(r2_match.group(1)),
        model=model,
        degree=degree,
        difficulty=difficulty,
    )


def load_nist(name: str) -> NistDataset:
    """Load one of the bundled datasets by name (see :data:`DATASETS`).

    Parameters
    ----------
    name : str
        ``"Norris"``, ``"Longley"``, ... (case-insensitive).

    Returns
    -------
    NistDataset

    Raises
    ------
    ValueError
        For an unknown name.
    """
    by_lower = {d.lower(): d for d in DATASETS}
    key = by_lower.get(name.lower().removesuffix(".dat"))
    if key is None:
        raise ValueError(f"unknown NIST dataset {name!r}; choose one of {', '.join(DATASETS)}")
    path = resources.files("linreg") / "data" / "nist" / f"{key}.dat"
    return parse_nist(path.read_text(encoding="ascii"), key)


def lre(estimate: ArrayLike, certified: ArrayLike) -> float:
    """Log relative error: correct significant digits of ``estimate``.

    Parameters
    ----------
    estimate, certified : float or array-like of shape (k,)
        Computed and certified values; arrays give the minimum over components.

    Returns
    -------
    float
        In ``[0, LRE_CAP]``.

    Notes
    -----
    ``-log10(|q - c| / |c|)``, or ``-log10|q|`` where ``c = 0``; an exact match
    (or a non-finite LRE) is reported as ``LRE_CAP`` and a negative one as 0.
    """
    q = np.atleast_1d(np.asarray(estimate, dtype=np.float64))
    c = np.atleast_1d(np.asarray(certified, dtype=np.float64))
    if q.shape != c.shape:
        raise ValueError(f"estimate has shape {q.shape} but certified has {c.shape}")
    if not np.all(np.isfinite(q)):
        return 0.0
    worst = LRE_CAP
    for qi, ci in zip(q.tolist(), c.tolist(), strict=True):
        err = abs(qi) if ci == 0.0 else abs(qi - ci) / abs(ci)
        value = LRE_CAP if err == 0.0 else -math.log10(err)
        worst = min(worst, max(0.0, min(LRE_CAP, value)))
    return worst


@dataclass(frozen=True)
class NistRecord:
    """How well one method reproduced one dataset's certified values.

    Attributes
    ----------
    dataset : str
        Dataset name.
    method : str
        ``"lstsq"`` (linreg's solver on the float64 design), ``"polynomial"``
        (:class:`~linreg.stats.polynomial.PolynomialRegression`) or ``"numpy"``
        (``numpy.linalg.lstsq`` on the float64 design).
    coef_lre : float
        Minimum LRE over the estimates ``B0, B1, ...``.
    sd_lre : float or None
        Minimum LRE over the standard deviations of the estimates.
    residual_sd_lre : float or None
        LRE of the residual standard deviation.
    r_squared_lre : float or None
        LRE of R-squared.
    estimates : ndarray of shape (p,)
        The estimates, ``B0`` first.
    std_errors : ndarray of shape (p,) or None
        Their standard deviations.
    residual_sd : float or None
        ``sqrt(RSS / (n - p))``.
    r_squared : float or None
        Centred with an intercept, uncentred without.
    """

    dataset: str
    method: str
    coef_lre: float
    sd_lre: float | None
    residual_sd_lre: float | None
    r_squared_lre: float | None
    estimates: Array
    std_errors: Array | None = None
    residual_sd: float | None = None
    r_squared: float | None = None


@dataclass(frozen=True)
class _Stats:
    sd: Array
    residual_sd: float
    r_squared: float


def _statistics(ds: NistDataset, resid: Array, gram_inverse: Array) -> _Stats:
    """Residual sd, R^2 and the estimates' standard deviations.

    Notes
    -----
    ``s = sqrt(RSS / (n - p))``; ``R^2 = 1 - RSS / TSS`` with
    ``TSS = sum((y - ybar)^2)`` (or ``sum(y^2)`` without intercept);
    ``sd_j = s sqrt([(A^T A)^{-1}]_jj)``.  Sums use ``math.fsum`` (exactly rounded).
    """
    n, p = ds.y.size, ds.n_params
    rss = math.fsum((resid * resid).tolist())
    if ds.fit_intercept:
        ybar = math.fsum(ds.y.tolist()) / n
        dev = ds.y - ybar
        tss = math.fsum((dev * dev).tolist())
    else:
        tss = math.fsum((ds.y * ds.y).tolist())
    s = math.sqrt(rss / (n - p))
    diag = np.clip(np.diag(gram_inverse), 0.0, None)
    return _Stats(sd=s * np.sqrt(diag), residual_sd=s, r_squared=1.0 - rss / tss)


def _record(ds: NistDataset, method: str, est: Array, stats: _Stats | None) -> NistRecord:
    if stats is None:
        return NistRecord(ds.name, method, lre(est, ds.certified_coef), None, None, None, est)
    return NistRecord(
        dataset=ds.name,
        method=method,
        coef_lre=lre(est, ds.certified_coef),
        sd_lre=lre(stats.sd, ds.certified_sd),
        residual_sd_lre=lre(stats.residual_sd, ds.residual_sd),
        r_squared_lre=lre(stats.r_squared, ds.r_squared),
        estimates=est,
        std_errors=stats.sd,
        residual_sd=stats.residual_sd,
        r_squared=stats.r_squared,
    )


def _inference_record(ds: NistDataset, method: str, inf: Inference) -> NistRecord:
    stats = _Stats(sd=inf.std_errors, residual_sd=inf.residual_std, r_squared=inf.r2)
    return _record(ds, method, inf.params, stats)


def _fit_lstsq(ds: NistDataset) -> NistRecord:
    """linreg's exact solver on the float64 design, with its inference as users get it."""
    model = LinearRegression(solver="exact", fit_intercept=ds.fit_intercept)
    return _inference_record(ds, "lstsq", model.fit(ds.design(), ds.y).inference())


def _fit_polynomial(ds: NistDataset) -> NistRecord:
    model = PolynomialRegression(ds.degree, fit_intercept=ds.fit_intercept)
    return _inference_record(ds, "polynomial", model.fit(ds.x[:, 0], ds.y).inference())


def _fit_numpy(ds: NistDataset) -> NistRecord:
    """The usual float64 route: ``numpy.linalg.lstsq``, then ``inv(A^T A)``."""
    X = ds.design()
    A = np.column_stack([np.ones(ds.y.size), X]) if ds.fit_intercept else X
    est = np.asarray(np.linalg.lstsq(A, ds.y, rcond=None)[0], dtype=np.float64)
    resid = ds.y - A @ est
    try:
        gram = np.linalg.inv(A.T @ A)
    except np.linalg.LinAlgError:  # exactly singular in float64
        gram = np.linalg.pinv(A.T @ A)
    return _record(ds, "numpy", est, _statistics(ds, resid, gram))


def run_nist(
    names: Iterable[str] | None = None,
    *,
    methods: Sequence[str] = ("lstsq", "polynomial", "numpy"),
) -> list[NistRecord]:
    """Fit the StRD datasets and measure the accuracy of every certified value.

    Parameters
    ----------
    names : iterable of str, optional
        Datasets to run (default: all of :data:`DATASETS`).
    methods : sequence of str, default ("lstsq", "polynomial", "numpy")
        ``"lstsq"``: :func:`linreg.solvers.lstsq.lstsq` on the float64 design matrix;
        ``"polynomial"``: :class:`~linreg.stats.polynomial.PolynomialRegression` (only on
        the polynomial datasets: Pontius, Filip, Wampler1-5); ``"numpy"``:
        ``numpy.linalg.lstsq`` on the same float64 design.

    Returns
    -------
    list of NistRecord
        One per dataset and applicable method, in that order.

    Notes
    -----
    Standard deviations come from ``(A^T A)^{-1}``: refined to full accuracy
    (:func:`linreg.solvers.lstsq.inverse_gram`) for linreg's methods, ``inv(A^T A)`` in
    float64 for numpy's.  Residuals are computed in extended precision for
    linreg's methods and in float64 for numpy's.
    """
    allowed = ("lstsq", "polynomial", "numpy")
    for method in methods:
        if method not in allowed:
            raise ValueError(f"unknown method {method!r}; choose from {', '.join(allowed)}")
    records: list[NistRecord] = []
    for name in DATASETS if names is None else names:
        ds = load_nist(name)
        for method in methods:
            if method == "lstsq":
                records.append(_fit_lstsq(ds))
            elif method == "polynomial" and ds.model == "polynomial":
                records.append(_fit_polynomial(ds))
            elif method == "numpy":
                records.append(_fit_numpy(ds))
    return records


#: Minimum coefficient LRE each linreg method must reach (the accuracy targets).
#: Filip's float64 design holds its powers rounded, which caps any method at ~7.6.
COEF_TARGETS: Final[dict[str, dict[str, float]]] = {
    "lstsq": dict.fromkeys(DATASETS, 13.0) | {"Filip": 7.5},
    "polynomial": {"Filip": 12.0} | {f"Wampler{i}": 13.0 for i in range(1, 6)},
}
#: Minimum LRE of the standard deviations, the residual sd and R^2 on every dataset
#: (Filip's through the polynomial path, whose design holds the powers exactly).
STATISTICS_TARGET: Final = 10.0


def targets(record: NistRecord) -> tuple[float | None, float | None]:
    """(coefficient target, statistics target) that ``record`` must meet; None: none."""
    if record.method not in COEF_TARGETS:
        return None, None
    coef = COEF_TARGETS[record.method].get(record.dataset)
    stats_apply = not (record.dataset == "Filip" and record.method == "lstsq")
    return coef, STATISTICS_TARGET if stats_apply else None


def meets_targets(record: NistRecord) -> bool | None:
    """Whether ``record`` meets its targets; None for rows with none (numpy's)."""
    coef, stat = targets(record)
    if coef is None and stat is None:
        return None
    ok = coef is None or record.coef_lre >= coef
    if stat is not None:
        lres = (record.sd_lre, record.residual_sd_lre, record.r_squared_lre)
        ok = ok and all(v is not None and v >= stat for v in lres)
    return ok


def format_table(records: Sequence[NistRecord]) -> str:
    """The records as a fixed-width text table, one row per dataset and method.

    Parameters
    ----------
    records : sequence of NistRecord

    Returns
    -------
    str
    """

    def cell(value: float | None) -> str:
        return "    -" if value is None else f"{value:5.1f}"

    head = f"{'dataset':<9} {'method':<10}  coef    sd  res.sd   R^2"
    rows = [head, "-" * len(head)]
    for r in records:
        rows.append(
            f"{r.dataset:<9} {r.method:<10} {cell(r.coef_lre)} {cell(r.sd_lre)} "
            f"  {cell(r.residual_sd_lre)} {cell(r.r_squared_lre)}"
        )
    return "\n".join(rows)
