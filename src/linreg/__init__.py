"""linreg: linear regression from first principles with NumPy.

The teaching path is :class:`LinearModel` (forward, loss, backward, step); the
estimator users fit is :class:`LinearRegression`.
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
from linreg.stability import Stability, stability
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
    "LinearModel",
    "LinearRegression",
    "LinregError",
    "ModelFileError",
    "NotFittedError",
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
