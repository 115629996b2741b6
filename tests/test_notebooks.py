"""The CNN lesson notebooks 00-05 and 08: their form (fast, static) and their execution (slow).

Static: committed without outputs, a tagged parameters cell first, every question of these lessons
(1-20, and 29 in lesson 08) exactly once
with exactly one literal ``answer(N, "")`` cell right under it, no machinery in code cells.
Execution (marked slow): papermill runs each notebook once with the ``quick`` profile of
:mod:`helpers.bundle.run`; then nbval (lax mode) runs those executed copies again in fresh kernels and
compares the outputs of the cells marked ``# NBVAL_CHECK_OUTPUT`` (the printed measurements) with what
papermill recorded, so unseeded randomness or state carried between cells fails the test; papermill's
figures must not be blank. Two executions per notebook in all.
"""

from __future__ import annotations

import ast
import base64
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers import paths
from helpers.bundle.run import KERNEL_ENV, PROFILES, execute, is_figure_cell
from helpers.questions import questions

from conftest import report_time

CNN_NOTEBOOKS = [
    "00_observe",
    "01_lime",
    "02_saliency_map",
    "03_smooth_grad",
    "04_filter_explanation",
    "05_integrated_gradients",
    "08_evaluating_explanations",
    "09_clever_hans",
]
CHECK = "# NBVAL_CHECK_OUTPUT"
QUESTION_HEADING = re.compile(r"^### Question (\d+)\s*$", re.M)


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(paths.NOTEBOOKS / f"{name}.ipynb", as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def answer_calls(source: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "answer"
    ]


def parameters_of(nb: nbformat.NotebookNode) -> dict[str, object]:
    """The literal assignments of the notebook's parameters cell."""
    cell = next(c for c in code_cells(nb) if "parameters" in c.metadata.get("tags", []))
    return {
        t.id: ast.literal_eval(node.value)
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }


# ---------------------------------------------------------------------------------------------------
# Static form


@pytest.mark.parametrize("name", CNN_NOTEBOOKS)
def test_committed_without_outputs(name: str) -> None:
    for cell in code_cells(read(name)):
        assert cell.outputs == [] and cell.execution_count is None, f"{name} has outputs; strip them"


@pytest.mark.parametrize("name", CNN_NOTEBOOKS)
def test_parameters_cell_first_with_data_checkpoint_device(name: str) -> None:
    cells = code_cells(read(name))
    assert "parameters" in cells[0].metadata.get("tags", []), f"{name}: the first code cell must be tagged"
    params = parameters_of(read(name))
    assert params["data_dir"] is None and params["checkpoint"] is None and params["device"] == "auto"
    assert sum("parameters" in c.metadata.get("tags", []) for c in cells) == 1


@pytest.mark.parametrize("name", [*CNN_NOTEBOOKS, "06_bert_attention_and_embeddings", "07_bert_embedding_analysis"])
def test_papermill_reads_every_parameter(name: str) -> None:
    """papermill parses the parameters cell line by line (and skips, with a warning, a line whose comment
    holds an '='): every parameter must be one it can name, or ``-p`` and the run's checks miss it."""
    import papermill

    assert set(papermill.inspect_notebook(str(paths.NOTEBOOKS / f"{name}.ipynb"))) == set(parameters_of(read(name)))


@pytest.mark.parametrize("name", [*CNN_NOTEBOOKS, "06_bert_attention_and_embeddings", "07_bert_embedding_analysis"])
def test_no_machinery_in_code_cells(name: str) -> None:
    banned = (
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.For,
        ast.While,
        ast.Lambda,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.GeneratorExp,
    )
    for cell in code_cells(read(name)):
        found = [type(n).__name__ for n in ast.walk(ast.parse(cell.source)) if isinstance(n, banned)]
        assert not found, f"{name}: move {found} into helpers/ (cell: {cell.source[:80]!r})"


def test_every_question_appears_once_with_one_answer_cell() -> None:
    table = questions()
    seen: dict[int, str] = {}
    answered: dict[int, int] = {}
    for name in CNN_NOTEBOOKS:
        cells = read(name).cells
        for i, cell in enumerate(cells):
            if cell.cell_type == "markdown":
                for number in map(int, QUESTION_HEADING.findall(cell.source)):
                    assert number not in seen, f"question {number} is posed in {seen[number]} and {name}"
                    seen[number] = name
                    following = cells[i + 1]
                    calls = answer_calls(following.source) if following.cell_type == "code" else []
                    assert len(calls) == 1 and calls[0].args[0].value == number, (
                        f'question {number} in {name}: the next cell must be its answer({number}, "") cell'
                    )
                    options = re.findall(r"^- \*\*([A-E])\.\*\* .+<br>.+$", cell.source, re.M)
                    assert options == list(table[number]["options"]), (
                        f"question {number}: options {table[number]['options']}, each in two languages"
                    )
                    assert re.search(r"[\u4e00-\u9fff]", cell.source), f"question {number} has no Chinese text"
            elif cell.cell_type == "code":
                for call in answer_calls(cell.source):
                    number, letters = (arg.value for arg in call.args)
                    assert letters == "", f"{name}: answer({number}, ...) must be committed unanswered"
                    answered[number] = answered.get(number, 0) + 1
    cnn = {n for n, info in table.items() if info["notebook"] in CNN_NOTEBOOKS}
    assert set(seen) == cnn, f"missing questions: {sorted(cnn - set(seen))}"
    assert {n: answered.get(n) for n in cnn} == dict.fromkeys(cnn, 1)
    for number, name in seen.items():
        assert table[number]["notebook"] == name, f"questions.json puts question {number} in another notebook"


@pytest.mark.parametrize("name", CNN_NOTEBOOKS[1:])
def test_lesson_cites_its_paper(name: str) -> None:
    text = "\n".join(c.source for c in read(name).cells if c.cell_type == "markdown")
    assert re.search(r"(19|20)\d\d", text) and ("arXiv" in text or "Proceedings" in text or "KDD" in text)


@pytest.mark.parametrize("name", ["01_lime", "03_smooth_grad", "04_filter_explanation", "05_integrated_gradients"])
def test_course_defect_is_explained(name: str) -> None:
    text = "\n".join(c.source for c in read(name).cells if c.cell_type == "markdown")
    assert "Where the course code was wrong" in text


def test_every_lesson_has_figure_cells() -> None:
    """``helpers run`` fails a lesson whose figure cells show no figure; the rule that finds them must find
    some in every lesson, or the check would silently vanish."""
    for source in paths.lessons():
        drawing = [c for c in code_cells(nbformat.read(source, as_version=4)) if is_figure_cell(c.source)]
        assert drawing, f"{source.stem}: no cell assigns fig = ... (or figures = ...) at its top level"
    assert is_figure_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()")
    assert not is_figure_cell("if obs.has_image(7):\n    fig = plot_rows([])")  # drawn only when the image exists
    assert not is_figure_cell("%matplotlib inline") and not is_figure_cell("figure = 1\nfig_count = 2")


def test_quick_profile_only_sets_existing_parameters() -> None:
    for name in CNN_NOTEBOOKS:
        unknown = set(PROFILES["quick"].get(name, {})) - set(parameters_of(read(name)))
        assert not unknown, f"the quick profile sets {unknown}, which {name}'s parameters cell lacks"
    assert PROFILES["quick"].get("03_smooth_grad", {}).get("samples", 500) < 500


# ---------------------------------------------------------------------------------------------------
# Execution (slow)


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, Path]:
    """Each notebook executed once as ``helpers run`` executes it (papermill, the bundle's kernel, every
    figure cell checked) with the quick profile's parameters, without ``MPLBACKEND`` in the environment
    (test_html_build runs ``make run``'s command with ``MPLBACKEND=Agg``): {name: executed copy}."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    out = tmp_path_factory.mktemp("executed")
    done, seconds = {}, {}
    for name in CNN_NOTEBOOKS:
        started = time.perf_counter()
        with pytest.MonkeyPatch.context() as env:
            env.delenv("MPLBACKEND", raising=False)
            execute(
                paths.NOTEBOOKS / f"{name}.ipynb",
                out / f"{name}.ipynb",
                {"device": "cpu", **PROFILES["quick"].get(name, {})},
            )
        seconds[name] = time.perf_counter() - started
        report_time(f"{name} (papermill, quick profile)", seconds[name])
        done[name] = out / f"{name}.ipynb"
    report_time("CNN notebooks 00-05 together (papermill, quick profile)", sum(seconds.values()))
    return done


def pictures(nb: nbformat.NotebookNode) -> list[np.ndarray]:
    from PIL import Image

    out = []
    for cell in code_cells(nb):
        for output in cell.outputs:
            png = output.get("data", {}).get("image/png")
            if png:
                out.append(np.asarray(Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB")))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", CNN_NOTEBOOKS)
def test_figures_are_not_blank(executed, name: str) -> None:
    images = pictures(nbformat.read(executed[name], as_version=4))
    assert images, f"{name} drew no figure"
    for picture in images:
        assert picture.shape[1] >= 800, "figures must be wide enough for ten columns"
        assert picture.std() > 20, f"{name} has a nearly uniform figure"
        colours = np.unique(picture.reshape(-1, 3)[::7], axis=0)
        assert len(colours) > 200, f"{name} has a figure of only {len(colours)} colours"


@pytest.mark.slow
@pytest.mark.parametrize("name", CNN_NOTEBOOKS)
def test_evidence_cells_print_measurements_not_letters(executed, name: str) -> None:
    nb = nbformat.read(executed[name], as_version=4)
    checked = [c for c in code_cells(nb) if c.source.startswith(CHECK)]
    if name != "00_observe":
        assert checked, f"{name} marks no evidence cell with {CHECK}"
    for cell in checked:
        text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs)
        assert text.strip(), f"{name}: an evidence cell printed nothing"
        assert not re.search(r"\b(option|answer|correct)\b", text, re.I), f"{name}: evidence must not judge: {text}"


@pytest.mark.slow
def test_nbval_reproduces_the_papermill_outputs(executed) -> None:
    started = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-current-env",
            "--nbval-cell-timeout=600",
            *map(str, executed.values()),
        ],
        cwd=paths.NOTEBOOKS,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **KERNEL_ENV},  # nbval's kernels draw as the bundle's do
    )
    report_time("CNN notebooks 00-05 together (nbval, lax, against papermill's outputs)", time.perf_counter() - started)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", run.stdout) and " failed" not in run.stdout, run.stdout[-3000:]
