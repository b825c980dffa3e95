"""Model selection: how well does a fitted model do on data it has not seen?

- :class:`KFold`: shuffled k-fold splits (scikit-learn's, row for row, from the same seed);
- :func:`cross_validate`: a score per fold; :func:`learning_curve` (scores against the
  number of training rows); :func:`validation_curve` (scores against a hyperparameter);
- :class:`LinearRegressionCV`: the penalty alpha chosen by cross-validation, by ridge's
  exact leave-one-out formula when it applies.

Early stopping and learning-rate schedules, the other half of choosing a model trained
by gradient descent, are hyperparameters of :class:`linreg.LinearRegression`.
"""

from linreg.model_selection.ridge_cv import LinearRegressionCV, ridge_loo
from linreg.model_selection.scoring import SCORINGS
from linreg.model_selection.splits import KFold
from linreg.model_selection.validate import (
    CrossValidation,
    LearningCurve,
    ValidationCurve,
    clone,
    cross_validate,
    learning_curve,
    validation_curve,
)

__all__ = [
    "SCORINGS",
    "CrossValidation",
    "KFold",
    "LearningCurve",
    "LinearRegressionCV",
    "ValidationCurve",
    "clone",
    "cross_validate",
    "learning_curve",
    "ridge_loo",
    "validation_curve",
]
