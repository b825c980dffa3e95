"""``linreg harness``'s arguments; the command itself is :mod:`linreg.cli.harness`."""

from __future__ import annotations

from linreg.cli.args import MAX_COUNT, AddCommand, add_json, bounded_int, command

__all__ = ["register"]


def register(add: AddCommand) -> None:
    """Add ``bench`` to the ``linreg`` command."""
    p = add(
        "bench",
        command("harness", "cmd_bench"),
        "Time linreg against scikit-learn, NumPy and PyTorch on the same data (runs "
        "benchmarks/bench.py of a source checkout; see benchmarks/README.md).",
        "linreg bench --plots benchmarks/figures",
    )
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    p.add_argument(
        "--repeats",
        type=bounded_int("--repeats", MAX_COUNT),
        help="timed repeats per method (default 5; quick 2)",
    )
    p.add_argument(
        "--only", help="comma-separated sections: closed-form,gd,sgd,scaling,sgd-epoch,matrix"
    )
    p.add_argument("--plots", help="folder for the scaling figure (bench_scaling.png)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory child runs")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    add_json(p)
