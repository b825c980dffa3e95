"""The ``linreg`` command: ``main`` builds the parser and registers each command group's
module (``generate``, ``train``, ``evaluate``, ``sweep``, ``demo``, ``lab``, ``report``,
``stats``, ``harness``) explicitly; ``formulas`` holds the ``--formula`` and ``--missing``
options that ``train`` and ``stats`` share. Commands parse arguments, call the library and print;
the library never imports this package.
"""
