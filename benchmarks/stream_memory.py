"""Peak memory of ``linreg train --stream`` on a file larger than 2 GB.

Writes a Parquet (or CSV) file of ``y = X w + 1 + noise`` in chunks, never holding
it whole, then runs ``linreg train FILE --stream`` in a child process, which reports
its own peak resident set size (``VmHWM`` of ``/proc/self/status``) when it ends.
(``getrusage(RUSAGE_CHILDREN).ru_maxrss`` would do on a small parent only: Linux
carries a parent's resident set into its child's ``ru_maxrss`` across fork and
exec.) Prints one JSON object: the file's size and rows, the peak RSS, the wall
time, the passes over the data and the largest error of a coefficient against
the true weights.

Usage::

    .venv/bin/python benchmarks/stream_memory.py                # 2.1 GB Parquet, exact
    .venv/bin/python benchmarks/stream_memory.py --format csv --solver gd --gigabytes 2.5

The file goes to a temporary folder (``--dir`` to choose) and is deleted afterwards
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: Rows written at a time (and rows per Parquet row group): 131,072 x 17 float64 = 17 MiB.
CHUNK_ROWS = 1 << 17

#: The child: ``linreg ARGV`` (what the ``linreg`` script runs), then its peak RSS on stderr.
CHILD = """
import sys
from linreg.cli.main import main
code = main(sys.argv[1:])
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            sys.stderr.write(f"peak_kib {line.split()[1]}\\n")
sys.exit(code)
"""


def write_file(path: Path, *, gigabytes: float, features: int, fmt: str, seed: int) -> int:
    """Write ``gigabytes`` (1e9 bytes) of float64 data in chunks; return the number of rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    weights = np.arange(1.0, features + 1.0)
    names = [f"x{j + 1}" for j in range(features)] + ["y"]
    schema = pa.schema([(n, pa.float64()) for n in names])
    # Parquet, uncompressed: about 8 bytes a value on disk; CSV: about 18 characters.
    per_row = 8 * (features + 1) if fmt == "parquet" else 18 * (features + 1)
    rows = int(gigabytes * 1e9 / per_row) + 1
    writer = (
        pq.ParquetWriter(path, schema, compression="none")
        if fmt == "parquet"
        else pacsv.CSVWriter(path, schema)
    )
    with writer:
        for start in range(0, rows, CHUNK_ROWS):
            m = min(CHUNK_ROWS, rows - start)
            X = rng.standard_normal((m, features)) * 2.0 + 5.0
            y = X @ weights + 1.0 + rng.standard_normal(m)
            table = pa.table([*X.T, y], schema=schema)
            if fmt == "parquet":
                writer.write_table(table, row_group_size=CHUNK_ROWS)
            else:
                writer.write_table(table)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.1, help="file size (default 2.1)")
    parser.add_argument("--features", type=int, default=16, help="feature columns (default 16)")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--solver", choices=("exact", "gd", "sgd"), default="exact")
    parser.add_argument("--epochs", type=int, default=1000, help="epochs of gd/sgd (lr 0.1)")
    parser.add_argument("--dir", help="folder for the file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(args.dir) if args.keep and args.dir else Path(tmp)
        path = folder / f"stream_benchmark.{args.format}"
        start = time.perf_counter()
        rows = write_file(
            path, gigabytes=args.gigabytes, features=args.features, fmt=args.format, seed=0
        )
        written = time.perf_counter() - start
        command = [
            sys.executable,
            "-c",
            CHILD,
            "train",
            str(path),
            "--stream",
            "--solver",
            args.solver,
            "--epochs",
            str(args.epochs),
            # gd and sgd on standardized features: a learning rate that is stable.
            "--standardize",
            "--lr",
            "0.1",
            "--quiet",
            "--json",
            "--out",
            str(folder / "model.json"),
        ]
        start = time.perf_counter()
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        if child.returncode != 0:
            sys.stderr.write(child.stderr)
            return child.returncode
        reports = [line.split() for line in child.stderr.splitlines()]
        peak_kib = max(int(r[1]) for r in reports if r and r[0] == "peak_kib")
        fit = json.loads(child.stdout)
        size = path.stat().st_size
    weights = np.arange(1.0, args.features + 1.0)
    print(
        json.dumps(
            {
                "format": args.format,
                "solver": args.solver,
                "file_bytes": size,
                "file_gb": round(size / 1e9, 3),
                "rows": rows,
                "features": args.features,
                "in_memory_float64_mb": round(rows * (args.features + 1) * 8 / 2**20),
                "peak_rss_mb": round(peak_kib / 1024, 1),
                "fit_seconds": round(wall, 1),
                "write_seconds": round(written, 1),
                "passes": fit["streamed"]["passes"],
                "max_coef_error_vs_truth": float(np.max(np.abs(np.array(fit["coef"]) - weights))),
                "intercept": fit["intercept"],
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
