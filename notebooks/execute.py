"""Execute notebooks from a clean kernel and save them with their outputs.

Usage, from the repository root::

    .venv/bin/python notebooks/execute.py notebooks/*.ipynb

Each notebook runs top to bottom in a fresh "python3" kernel whose working
directory is ``notebooks/``, with at most 120 s per cell; the first error stops
it, and the file is then left as it was. The kernel is the Python running this
script: the "python3" kernelspec is used when it points at this interpreter (as
after ``python -m ipykernel install --sys-prefix --name python3`` in the
project's virtual environment), and a private kernelspec for this interpreter
otherwise, so that a kernel of some other environment is never picked up.

``tests/test_notebooks.py`` imports :func:`execute_notebook` from this file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent
KERNEL_NAME = "python3"
CELL_TIMEOUT_S = 120


def _is_this_python(executable: str) -> bool:
    # Compare the paths as written, not resolved: a virtual environment's python
    # is a symlink to the base interpreter, and resolving would equate the two.
    return os.path.abspath(executable) == os.path.abspath(sys.executable)


def installed_kernel_python(name: str = KERNEL_NAME) -> str | None:
    """The interpreter that the installed kernelspec ``name`` starts, or None."""
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return None
    return str(spec.argv[0])


@contextmanager
def kernel_manager(name: str = KERNEL_NAME) -> Iterator[AsyncKernelManager]:
    """A kernel manager whose kernel ``name`` runs this very interpreter."""
    installed = installed_kernel_python(name)
    if installed is not None and _is_this_python(installed):
        yield AsyncKernelManager(kernel_name=name)
        return
    with tempfile.TemporaryDirectory(prefix="linreg-kernels-") as tmp:
        spec_dir = Path(tmp) / name
        spec_dir.mkdir()
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        specs = KernelSpecManager(kernel_dirs=[tmp])
        yield AsyncKernelManager(kernel_name=name, kernel_spec_manager=specs)


def execute_notebook(
    nb: nbformat.NotebookNode,
    *,
    cwd: Path = NOTEBOOK_DIR,
    timeout: int = CELL_TIMEOUT_S,
) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` in a fresh kernel, in place; returns ``nb``.

    Raises ``nbclient.exceptions.CellExecutionError`` at the first cell that fails.
    """
    with kernel_manager() as km:
        client = NotebookClient(
            nb,
            km=km,
            kernel_name=KERNEL_NAME,
            timeout=timeout,
            record_timing=False,  # wall-clock stamps in the metadata would churn every diff
            resources={"metadata": {"path": str(cwd)}},
        )
        # The client does not own a kernel manager it is given: ask it to shut the kernel
        # down and close its channels all the same, so that nothing outlives the run.
        client.execute(cleanup_kc=True)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="the .ipynb files to execute")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        execute_notebook(nb)
        elapsed = time.perf_counter() - start
        nbformat.validate(nb)
        nbformat.write(nb, path)
        size_kib = path.stat().st_size / 1024
        print(f"{path}: executed in {elapsed:.1f} s, {size_kib:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
