#!/bin/sh
# Reproduce the tables of benchmarks/README.md: the full benchmark harness on this machine.
#
#   benchmarks/run.sh                 # about four minutes on 2 cores
#   benchmarks/run.sh --repeats 9     # any other option of benchmarks/bench.py
#
# Writes benchmarks/results.json (everything measured), benchmarks/results.md (the
# tables) and benchmarks/figures/bench_scaling.png. scikit-learn and PyTorch rows
# are skipped, with a note, when those are not installed.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
export MPLBACKEND=Agg
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"  # this checkout's linreg, installed or not

"$PYTHON" benchmarks/bench.py --json --plots benchmarks/figures "$@" > benchmarks/results.json.tmp
mv benchmarks/results.json.tmp benchmarks/results.json
"$PYTHON" - <<'PY'
import json
import sys

sys.path.insert(0, "benchmarks")
from bench import markdown

with open("benchmarks/results.json", encoding="utf-8") as handle:
    report = json.load(handle)
with open("benchmarks/results.md", "w", encoding="utf-8") as handle:
    handle.write(markdown(report))
print(markdown(report))
PY
