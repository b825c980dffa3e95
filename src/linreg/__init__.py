"""linreg: linear regression from first principles with NumPy.

The teaching path is :class:`LinearModel` (forward, loss, backward, step) and the readable
loop of :mod:`linreg.training`; the estimator users fit is :class:`LinearRegression`
(gradient descent, SGD, or exact least squares), with :class:`PolynomialRegression` beside
it and :meth:`LinearRegression.inference` for the statistics. The objective, written once in
:mod:`linreg.problem`, is the weighted mean squared error plus a ridge penalty.

Layout, one idea per module:

- top level: the model, the loop, the objective, the estimator, data, metrics, stability;
- :mod:`linreg.solvers`: exact least squares and its extended-precision kernels, the fast
  GD/SGD engine, and the solvers that work over many batches;
- :mod:`linreg.sources`: record-batch sources (CSV, Parquet, arrays), passes, Dask;
  :mod:`linreg.out_of_memory` fits the estimator from them;
- :mod:`linreg.stats`: inference, polynomial regression, NIST accuracy, the learning-rate sweep;
- :mod:`linreg.io`: tables and atomic writes, model files;
- :mod:`linreg.viz`: the figures by family (:mod:`linreg.viz.plots` names them all), the HTML
  report, the lab's experiments and the interactive lab page (:func:`show_lab`,
  :func:`write_lab`);
- :mod:`linreg.cli`: the ``linreg`` command, which only parses, calls the library and
  prints; nothing else imports it.

The benchmark harness is not part of the package: ``benchmarks/bench.py`` in the source
repository.
"""

from linreg import metrics
from linreg.data import Dataset, make_regression, train_test_split
from linreg.errors import (
    ConvergenceWarning,
    DivergenceError,
    DivergenceReport,
    LinregError,
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
from linreg.stats.features import PolynomialFeatures
from linreg.stats.inference import Inference, PredictionInterval
from linreg.stats.path import RegularizationPath, regularization_path
from linreg.stats.polynomial import PolynomialRegression
from linreg.validation import DataWarning
from linreg.viz.lab_page import show_lab, write_lab

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
    "ModelFileError",
    "NotFittedError",
    "PolynomialFeatures",
    "PolynomialRegression",
    "PredictionInterval",
    "RankDeficiencyWarning",
    "RegularizationPath",
    "Stability",
    "StabilityWarning",
    "__version__",
    "gradcheck",
    "make_regression",
    "metrics",
    "regularization_path",
    "show_lab",
    "stability",
    "train_test_split",
    "write_lab",
]
