"""A generated class of answered notebooks, for the grading benchmark (``grade --benchmark N``) and tests.

:func:`write_fake_class` writes N students' folders of answered notebooks, one per name of
:func:`course_notebooks` (each with a figure output, so the files have a realistic size), and returns the
score each must get. Also handy to try the grader by hand. The timing itself is
:mod:`helpers.instructor.grading.benchmark`'s.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from helpers import paths
from helpers.questions import questions


def course_notebooks() -> list[str]:
    """A student's notebook names: every one that holds questions, then others on disk, then made-up ones,
    at least eight in all (the course's count)."""
    holding = {q["notebook"] for q in questions().values()}
    names = sorted(holding) + sorted({p.stem for p in paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")} - holding)
    taken = {n[:3] for n in names}
    names += [f"{i:02d}_notes" for i in range(100) if f"{i:02d}_" not in taken]
    return sorted(names[: max(8, len(holding))])


def random_key(seed: int = 0) -> dict[str, Any]:
    """A made-up key over every question of data/questions.json (for benchmarks), in load_key's form."""
    rng = random.Random(seed)
    entries = {}
    for number, info in questions().items():
        k = rng.randint(1, 2) if info["multi"] else 1
        entries[number] = {"answer": "".join(sorted(rng.sample(info["options"], k))), "points": 1.0}
    return {
        "dataset": "random",
        "description": "generated for a benchmark",
        "path": "(generated)",
        "questions": entries,
    }


def write_fake_class(
    folder: Path, n_students: int, key: dict[str, Any], seed: int = 0, image_kb: int = 24, progress: bool = True
) -> dict[str, float]:
    """Write ``n_students`` folders of answered notebooks (:func:`course_notebooks`, with a figure output each)
    into ``folder``.

    Each student knows each answer with a random probability; returns {student: expected all-or-nothing
    score}. Notebook text is built once per notebook and filled in per student, so writing is fast.
    """
    import base64

    from nbformat import v4, writes
    from tqdm import tqdm

    rng = random.Random(seed)
    table = questions()
    keyed = key["questions"]
    image = base64.b64encode(rng.randbytes(image_kb * 768)).decode()  # ~image_kb KB once encoded
    templates: dict[str, str] = {}
    for name in course_notebooks():
        nb = v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells.append(v4.new_markdown_cell(f"# {name}\n\n" + "Explanation of the method. " * 20))
        nb.cells.append(v4.new_code_cell("from helpers.questions import answer\nimport numpy as np"))
        for step in range(6):
            code = v4.new_code_cell(f"x = np.linspace(0, 1, 11)\nprint(x.mean() * {step})")
            code.outputs = [v4.new_output("stream", text="0.5\n")]
            nb.cells.append(code)
            nb.cells.append(v4.new_markdown_cell("What does the figure show? " * 5))
        figure = v4.new_code_cell("plt.show()")
        figure.outputs = [v4.new_output("display_data", data={"image/png": image, "text/plain": "<Figure>"})]
        nb.cells.append(figure)
        for number in sorted(n for n in keyed if table[n]["notebook"] == name):
            nb.cells.append(v4.new_code_cell(f'answer({number}, "@@Q{number}@@")'))
        templates[name] = writes(nb)

    expected: dict[str, float] = {}
    folder.mkdir(parents=True, exist_ok=True)
    for i in tqdm(range(n_students), desc="writing submissions", unit="student", disable=not progress):
        student = f"s{i:05d}"
        skill = rng.random()
        letters = {}
        for number, info in table.items():
            if number not in keyed:
                continue
            if rng.random() < skill:
                letters[number] = keyed[number]["answer"]
            else:
                letters[number] = rng.choice(info["options"])
        expected[student] = sum(keyed[n]["points"] for n, a in letters.items() if a == keyed[n]["answer"])
        target = folder / student
        target.mkdir()
        for name, text in templates.items():
            for number, a in letters.items():
                text = text.replace(f"@@Q{number}@@", a)
            (target / f"{name}.ipynb").write_text(text, encoding="utf-8")
    return expected
