"""linreg: linear regression from first principles with NumPy.

The teaching path is :class:`LinearModel` (forward, loss, backward, step); the
estimator users fit is :class:`LinearRegression` (gradient descent, SGD, or exact
least squares, :mod:`linreg.solvers.lstsq`), with :class:`PolynomialRegression` beside it and
:meth:`LinearRegression.inference` for the statistics.
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
    "ModelFileError",
    "NotFittedError",
    "PolynomialRegression",
    "PredictionInterval",
    "RankDeficiencyWarning",
    "Stability",
    "StabilityWarning",
    "__version__",
    "gradcheck",
    "make_regression",
    "metrics",
    "stability",
    "train_test_split",
]
