"""The ``linreg`` command: ``main`` builds the parser from each command group's arguments
in :mod:`linreg.cli.parsers` (``generate``, ``train``, ``evaluate``, ``sweep``, ``demo``,
``lab``, ``report``, ``stats``, ``harness``), light modules that name each command's body
(``linreg.cli.train.cmd_train``, ...) to be imported only when it runs. Commands parse
arguments, call the library and print; the library never imports this package.
:mod:`linreg.cli.formulas` holds what ``--formula`` and ``--missing`` share.
"""
