"""linreg: linear regression from first principles with NumPy.

The teaching path is :class:`LinearModel` (forward, loss, backward, step) and the readable
loop of :mod:`linreg.training`; the estimator users fit is :class:`LinearRegression`
(gradient descent, SGD, or exact least squares), with :class:`PolynomialRegression` beside
it and :meth:`LinearRegression.inference` for the statistics. The objective, written once in
:mod:`linreg.problem`, is the weighted mean squared error plus a ridge penalty.

Layout, one idea per module:

- top level: the model, the loop, the objective, the estimator, data, metrics, stability;
- :func:`fit_formula` (:mod:`linreg.formula`, with ``pip install "linreg[formula]"``): a model
  written as ``y ~ x1 + C(region)``; :mod:`linreg.missing`: missing values, dropped or refused;
- :mod:`linreg.solvers`: exact least squares and its extended-precision kernels, the fast
  GD/SGD engine, and the solvers that work over many batches;
- :mod:`linreg.sources`: record-batch sources (CSV, Parquet, arrays), passes, Dask;
  :mod:`linreg.out_of_memory` fits the estimator from them;
- :mod:`linreg.stats`: inference, polynomial regression, NIST accuracy, the learning-rate sweep;
- :mod:`linreg.io`: tables and atomic writes, model files;
- :mod:`linreg.viz`: the figures by family (:mod:`linreg.viz.plots` names them all), the HTML
  report and the lab's experiments;
- :mod:`linreg.cli`: the ``linreg`` command, which only parses, calls the library and
  prints; nothing else imports it.

The benchmark harness is not part of the package: ``benchmarks/bench.py`` in the source
repository.
"""

from typing import Any

from linreg import metrics
from linreg.data import Dataset, make_regression, train_test_split
from linreg.errors import (
    ConvergenceWarning,
    DivergenceError,
    DivergenceReport,
    LinregError,
    MissingValuesWarning,
    ModelFileError,
    NotFittedError,
    RankDeficiencyWarning,
    StabilityWarning,
)
from linreg.estimator import LinearRegression
from linreg.gradcheck import GradCheckResult, gradcheck
from linreg.history import History
from linreg.model import Gradients, LinearModel
from linreg.solvers.lstsq import LstsqResult
from linreg.stability import Stability, stability
from linreg.stats.inference import Inference, PredictionInterval
from linreg.stats.polynomial import PolynomialRegression
from linreg.validation import DataWarning

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "DataWarning",
    "Dataset",
    "DivergenceError",
    "DivergenceReport",
    "GradCheckResult",
    "Gradients",
    "History",
    "Inference",
    "LinearModel",
    "LinearRegression",
    "LinregError",
    "LstsqResult",
    "MissingValuesWarning",
    "ModelFileError",
    "NotFittedError",
    "PolynomialRegression",
    "PredictionInterval",
    "RankDeficiencyWarning",
    "Stability",
    "StabilityWarning",
    "__version__",
    "fit_formula",
    "gradcheck",
    "make_regression",
    "metrics",
    "stability",
    "train_test_split",
]


def __getattr__(name: str) -> Any:
    # fit_formula brings pandas (and formulaic when called): imported on first use.
    if name == "fit_formula":
        from linreg.formula import fit_formula

        return fit_formula
    raise AttributeError(f"module 'linreg' has no attribute {name!r}")
