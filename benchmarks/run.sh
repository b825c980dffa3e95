#!/bin/sh
# Reproduce the tables of benchmarks/README.md: the full `linreg bench` on this machine.
#
#   benchmarks/run.sh                 # about two minutes on 2 cores
#   benchmarks/run.sh --repeats 9     # any other `linreg bench` option
#
# Writes benchmarks/results.json (everything measured), benchmarks/results.md (the
# tables) and benchmarks/figures/bench_scaling.png. scikit-learn and PyTorch rows
# are skipped, with a note, when those are not installed.
set -eu
cd "$(dirname "$0")/.."
LINREG=${LINREG:-.venv/bin/linreg}
PYTHON=${PYTHON:-.venv/bin/python}
export MPLBACKEND=Agg

"$LINREG" bench --json --plots benchmarks/figures "$@" > benchmarks/results.json.tmp
mv benchmarks/results.json.tmp benchmarks/results.json
"$PYTHON" - <<'PY'
import json
from linreg.bench import markdown

with open("benchmarks/results.json", encoding="utf-8") as handle:
    report = json.load(handle)
with open("benchmarks/results.md", "w", encoding="utf-8") as handle:
    handle.write(markdown(report))
print(markdown(report))
PY
