"""Every command's arguments, in modules light enough for ``linreg --help`` to import.

One module per command group (``parsers/train.py`` for ``train`` and ``gradcheck``, ...),
each with ``register(add)``, which declares the group's commands and options and names
each command's body lazily, ``command("train", "cmd_train")``: the body's module
(:mod:`linreg.cli.train`) is imported only when that command runs. These modules import
argparse, :mod:`linreg.cli.args` and this package only. How to add a command:
:mod:`linreg.cli.main`.

The few library constants that the help texts quote are copied here, since importing
their modules would import NumPy; tests/test_startup.py checks that they are still the
library's.
"""

from __future__ import annotations

__all__ = [
    "CONVERGED_RTOL",
    "COV_TYPES",
    "LAB_BATCH_SIZE",
    "LAB_EPOCHS",
    "LAB_MAX_EPOCHS",
    "SCALING_FRACTION",
    "SGD_SAFETY",
    "SOLVERS",
]

#: :data:`linreg.estimator.SOLVERS`: ``train --solver``'s choices.
SOLVERS = ("gd", "sgd", "exact")
#: :data:`linreg.stats.robust.COV_TYPES`: ``summary --cov-type``'s choices.
COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")
#: :data:`linreg.stats.sweep.CONVERGED_RTOL`: ``lab scaling``'s default tolerance.
CONVERGED_RTOL = 1e-6
#: :data:`linreg.viz.lab.SGD_SAFETY`: quoted by ``lab compare-optimizers --help``.
SGD_SAFETY = 0.1
#: :data:`linreg.viz.lab.SCALING_FRACTION`: ``lab scaling``'s default step fraction.
SCALING_FRACTION = 0.5
#: :mod:`linreg.viz.lab_page`'s DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE and MAX_EPOCHS: ``lab``'s.
LAB_EPOCHS = 300
LAB_BATCH_SIZE = 32
LAB_MAX_EPOCHS = 100_000
