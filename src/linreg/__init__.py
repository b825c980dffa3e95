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

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
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
    from linreg.formula import fit_formula
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
    "MissingValuesWarning",
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
    "fit_formula",
    "gradcheck",
    "make_regression",
    "metrics",
    "regularization_path",
    "show_lab",
    "stability",
    "train_test_split",
    "write_lab",
]

#: Where each public name lives, imported on first use (PEP 562): ``import linreg`` and
#: the command line's ``linreg --help`` stay light, without NumPy until a name is used.
_EXPORTS: Final[dict[str, str]] = {
    "ConvergenceWarning": "linreg.errors",
    "Dataset": "linreg.data",
    "DataWarning": "linreg.validation",
    "DivergenceError": "linreg.errors",
    "DivergenceReport": "linreg.errors",
    "gradcheck": "linreg.gradcheck",
    "GradCheckResult": "linreg.gradcheck",
    "Gradients": "linreg.model",
    "History": "linreg.history",
    "Inference": "linreg.stats.inference",
    "LinearModel": "linreg.model",
    "LinearRegression": "linreg.estimator",
    "LinregError": "linreg.errors",
    "MissingValuesWarning": "linreg.errors",
    "fit_formula": "linreg.formula",
    "LstsqResult": "linreg.solvers.lstsq",
    "make_regression": "linreg.data",
    "metrics": "linreg.metrics",
    "ModelFileError": "linreg.errors",
    "NotFittedError": "linreg.errors",
    "PolynomialFeatures": "linreg.stats.features",
    "PolynomialRegression": "linreg.stats.polynomial",
    "RegularizationPath": "linreg.stats.path",
    "regularization_path": "linreg.stats.path",
    "show_lab": "linreg.viz.lab_page",
    "write_lab": "linreg.viz.lab_page",
    "PredictionInterval": "linreg.stats.inference",
    "RankDeficiencyWarning": "linreg.errors",
    "Stability": "linreg.stability",
    "stability": "linreg.stability",
    "StabilityWarning": "linreg.errors",
    "train_test_split": "linreg.data",
}


def __getattr__(name: str) -> object:
    """A public name (or a submodule) of linreg, imported when first asked for."""
    where = _EXPORTS.get(name)
    if where is None:
        try:  # linreg.training and the like, as a package's attribute
            return importlib.import_module(f"linreg.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"linreg.{name}":
                raise
            raise AttributeError(f"module 'linreg' has no attribute {name!r}") from None
    module = importlib.import_module(where)
    value = module if where == f"linreg.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | {name for name in globals() if name.startswith("__")})


#: Public functions named like their modules: ``linreg.stability`` is the function.
_FUNCTIONS_OVER_MODULES: Final = frozenset({"gradcheck", "stability"})


class _Package(types.ModuleType):
    """linreg's module type: ``linreg.stability`` and ``linreg.gradcheck`` are the
    functions, even after their modules of the same name were imported (which sets the
    package's attribute to the module)."""

    def __getattribute__(self, name: str) -> Any:
        if name in _FUNCTIONS_OVER_MODULES:
            return getattr(importlib.import_module(f"linreg.{name}"), name)
        return super().__getattribute__(name)


sys.modules[__name__].__class__ = _Package
