"""The tutorial notebooks: committed with their outputs, and they run from a clean kernel.

The notebooks are built by ``notebooks/build_notebooks.py`` and executed by
``notebooks/execute.py``; both are loaded from their files here. Execution runs in
a fresh "python3" kernel on this very interpreter, into memory and a temporary
copy: the committed files are never rewritten by the tests.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
# Committed with their outputs, and run clean from a fresh kernel:
NOTEBOOKS = [
    "linear_regression_from_scratch.ipynb",
    "autodiff_vs_hand_gradients.ipynb",
    "generalization.ipynb",
    "solutions.ipynb",
]
# Committed blank, for the student: it stops at its first check.
EXERCISES = "exercises.ipynb"
MAX_BYTES = 3 * 1024 * 1024


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_notebooks_{name}", NOTEBOOK_DIR / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


executor = _load("execute")
builder = _load("build_notebooks")


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / name, as_version=4)


def _problems(nb: nbformat.NotebookNode) -> list[str]:
    """What is wrong with an executed notebook: unexecuted cells, errors, warnings."""
    problems = []
    counts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        where = f"cell {cell.get('id')!r}"
        if not isinstance(cell.get("execution_count"), int):
            problems.append(f"{where} was not executed")
        else:
            counts.append(cell.execution_count)
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"{where} raised {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"{where} wrote to stderr: {output.text.strip()[:200]}")
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"cells were not run once each, top to bottom: counts {counts}")
    return problems


def _clear_outputs(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


# -- the committed files -------------------------------------------------------------------------
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_has_outputs(name: str) -> None:
    nb = _read(name)
    nbformat.validate(nb)
    assert _problems(nb) == []
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code_cells
    assert any(cell.outputs for cell in code_cells)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_is_small(name: str) -> None:
    assert (NOTEBOOK_DIR / name).stat().st_size < MAX_BYTES


def test_figures_are_png() -> None:
    nb = _read("linear_regression_from_scratch.ipynb")
    images = [
        output.data["image/png"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "data" in output and "image/png" in output.data
    ]
    assert len(images) >= 8  # raw data, loss curve, predictions, landscapes, sweep, ...
    assert all(image.startswith("iVBORw0KGgo") for image in images)  # base64 of the PNG magic


def test_generalization_notebook_has_its_figures_and_answers() -> None:
    nb = _read("generalization.ipynb")
    images = [
        output.data["image/png"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "data" in output and "image/png" in output.data
    ]
    assert len(images) >= 6  # U curve, bias-variance, learning curve, path, CV, schedules, ...
    assert all(image.startswith("iVBORw0KGgo") for image in images)
    markdown = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    exercises = [text for text in markdown if "**Exercises" in text]
    assert len(exercises) == 10  # one set per section
    assert markdown[-1].startswith("## Answers to the exercises")
    for number in range(1, 11):
        assert f"**{number}.**" in markdown[-1]


@pytest.mark.parametrize("name", [*NOTEBOOKS, EXERCISES])
def test_committed_notebook_matches_its_builder(name: str) -> None:
    # The notebook's cells are those build_notebooks.py writes: editing one without the
    # other would make the reviewable Python and the rendered notebook disagree.
    prefix, cells = builder.NOTEBOOKS[name]
    built = builder.build(cells, prefix)
    committed = _read(name)
    assert [(c.id, c.cell_type, c.source) for c in committed.cells] == [
        (c.id, c.cell_type, c.source) for c in built.cells
    ]


# -- executing them ------------------------------------------------------------------------------
def test_kernel_runs_this_interpreter() -> None:
    nb = new_notebook(cells=[new_code_cell("import sys\nprint(sys.executable)")])
    executor.execute_notebook(nb, timeout=60)
    printed = nb.cells[0].outputs[0].text.strip()
    assert printed == sys.executable


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_executes_from_a_clean_kernel(name: str, tmp_path: Path) -> None:
    nb = _read(name)
    _clear_outputs(nb)
    executor.execute_notebook(nb)  # raises CellExecutionError at the first failing cell
    nbformat.write(nb, tmp_path / name)  # the executed copy, for inspection
    assert _problems(nb) == []


# -- the exercises and their solutions -------------------------------------------------------------
def test_builder_writes_every_notebook_it_lists() -> None:
    assert set(builder.NOTEBOOKS) == {*NOTEBOOKS, EXERCISES}


def test_exercises_are_committed_blank() -> None:
    nb = _read(EXERCISES)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code_cells)


def test_exercises_and_solutions_differ_only_in_the_blanks() -> None:
    blanks = [cell.source for cell in _read(EXERCISES).cells]
    answers = [cell.source for cell in _read("solutions.ipynb").cells]
    assert len(blanks) == len(answers)
    differ = [(b, a) for b, a in zip(blanks, answers, strict=True) if b != a]
    stubs = [b for b, _ in differ if "# YOUR CODE HERE" in b]
    # seven functions to write; the title and the answers to the Predict questions differ too
    assert len(stubs) == 7
    for blank, answer in differ:
        if blank in stubs:
            assert blank.split("\n", 2)[:2] == answer.split("\n", 2)[:2]  # same def and docstring
            assert "NotImplementedError" not in answer
    # every blank is followed by its check, in both notebooks
    checks = [s for s in blanks if s.startswith("exercises.check_")]
    assert [s.split("(")[0] for s in checks] == [
        f"exercises.check_{name}"
        for name in ("forward", "loss", "backward", "step", "train", "eta_max", "standardize")
    ]


@pytest.mark.slow
def test_exercises_fail_at_their_first_check() -> None:
    nb = _read(EXERCISES)
    _clear_outputs(nb)
    with pytest.raises(CellExecutionError) as caught:
        executor.execute_notebook(nb, timeout=60)
    assert caught.value.ename == "NotImplementedError"
    failed = [
        cell
        for cell in nb.cells
        if cell.cell_type == "code" and any(o.output_type == "error" for o in cell.outputs)
    ]
    first_check = next(cell for cell in nb.cells if cell.source.startswith("exercises.check_"))
    assert [cell.id for cell in failed] == [first_check.id]
    assert first_check.source == "exercises.check_forward(forward)"


def test_make_notebook_starts_jupyterlab_in_the_venv() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nnotebook: ")[1].split("\n\n")[0]
    assert '"import jupyterlab"' in recipe  # installed on demand, once
    assert 'pip install --quiet -e ".[dev,notebook]"' in recipe
    assert "$(BIN)/jupyter lab --notebook-dir=notebooks" in recipe
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'notebook = ["jupyterlab>=' in pyproject


# -- what a learner noticed (issue 16) -------------------------------------------------------------
def _markdown(name: str) -> list[str]:
    return [cell.source for cell in _read(name).cells if cell.cell_type == "markdown"]


def _printed(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_central_differences_error_is_eps_to_the_two_thirds() -> None:
    text = " ".join(_markdown("autodiff_vs_hand_gradients.ipynb"))
    assert "only accurate to about $\\sqrt[3]" not in text
    assert "h \\approx \\sqrt[3]{\\varepsilon_{\\text{machine}}}" in text  # the step
    assert "\\varepsilon_{\\text{machine}}^{2/3}" in text  # the error


def test_pytorch_conclusions_follow_the_committed_outputs() -> None:
    nb = _read("autodiff_vs_hand_gradients.ipynb")
    printed = " ".join(_printed(c) for c in nb.cells if c.cell_type == "code")
    verdict = _printed(nb.cells[-1])
    if "PyTorch is not installed" in printed:
        assert verdict.startswith("This run had no PyTorch: nothing was measured")
    else:
        assert verdict.startswith("Measured here: PyTorch autograd took")
    # No markdown states a measured PyTorch result.
    assert not any(
        "agree to rounding:" in md for md in _markdown("autodiff_vs_hand_gradients.ipynb")
    )


def test_task_7_points_its_overshoot_to_eta_max() -> None:
    cells = _markdown("linear_regression_from_scratch.ipynb")
    task7 = next(k for k, md in enumerate(cells) if md.startswith("## Task 7"))
    after = next(md for md in cells[task7 + 1 :] if "jumped past it" in md)
    assert "\\eta_{\\max}" in after


def test_tutorial_internals_are_appendices_after_the_summary() -> None:
    headings = [md.splitlines()[0] for md in _markdown("linear_regression_from_scratch.ipynb")]
    summary = headings.index("## Summary")
    appendices = [k for k, h in enumerate(headings) if h.startswith("## Appendix")]
    assert len(appendices) == 2
    assert summary < appendices[0]
    assert not any(h.startswith(("## 13", "## 14")) for h in headings)
