"""Subcommand ``linreg path``: the lasso / elastic-net regularization path of a data file.

Registered by :func:`linreg.cli.main.build_parser` through :func:`register`. It reads
the table, calls :func:`linreg.stats.path.regularization_path` and prints the path
(a table of a few alphas, or all of it with ``--json``), and with ``--plots`` draws
:func:`linreg.viz.path_plots.plot_regularization_path` to ``regularization_path.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from linreg.cli.common import (
    check_plots_dir,
    make_console,
    print_json,
    read_data,
    rich_table,
)
from linreg.cli.safety import all_or_nothing, check_data_file
from linreg.data import default_feature_names
from linreg.errors import LinregError
from linreg.stats.path import regularization_path

__all__ = ["FIGURE", "cmd_path"]

#: The figure's file name in the ``--plots`` folder.
FIGURE = "regularization_path.png"


def cmd_path(args: argparse.Namespace) -> int:
    names = None if args.features is None else [n.strip() for n in args.features.split(",")]
    check_data_file(args.data, "the data file")
    plots_dir = check_plots_dir(args.plots, args.data)
    table = read_data(args, args.data, target=args.target, features=names)
    assert table.y is not None  # the target is required
    alphas = _alphas(args.alphas)
    try:
        path = regularization_path(
            table.frame,
            table.y,
            l1_ratio=args.l1_ratio,
            alphas=alphas,
            n_alphas=args.n_alphas,
            eps=args.eps,
            fit_intercept=not args.no_intercept,
        )
    except LinregError as exc:
        raise LinregError(f"{table.path}: {exc}") from None
    figures: list[Path] = []
    if plots_dir is not None:
        from linreg.viz import plots
        from linreg.viz.path_plots import plot_regularization_path

        with all_or_nothing(folders=[plots_dir]):
            plots.save_figure(plot_regularization_path(path), plots_dir / FIGURE)
            figures.append(plots_dir / FIGURE)
    if args.json:
        print_json({**path.as_dict(), "target_name": table.target_name, "figures": figures})
        return 0
    feature_names = path.feature_names or default_feature_names(path.coefs.shape[1])
    shown = sorted({round(i) for i in _spread(path.alphas.size, 8)})
    rows = [
        [f"{path.alphas[i]:.4g}", str(int(path.n_nonzero[i]))]
        + [f"{path.coefs[i, j]:.4g}" for j in range(path.coefs.shape[1])]
        for i in shown
    ]
    console = make_console()
    console.print(
        rich_table(
            f"{table.path}: regularization path, l1_ratio = {path.l1_ratio:g} "
            f"({path.alphas.size} alphas; {len(shown)} shown, all with --json)",
            ["alpha", "nonzero", *feature_names],
            rows,
        )
    )
    for figure in figures:
        console.print(f"wrote {figure}")
    return 0


def _alphas(text: str | None) -> list[float] | None:
    """``--alphas 1,0.1,0.01`` as floats (None when not given); a bad one named."""
    if text is None:
        return None
    values = []
    for part in text.split(","):
        try:
            values.append(float(part))
        except ValueError:
            raise LinregError(
                f"--alphas: {part.strip()!r} is not a number; give numbers >= 0 "
                "separated by commas, e.g. 1,0.1,0.01"
            ) from None
    return values


def _spread(n: int, k: int) -> list[float]:
    """``min(n, k)`` evenly spread positions in 0 .. n-1."""
    m = min(n, k)
    return [0.0] if m == 1 else [i * (n - 1) / (m - 1) for i in range(m)]
