"""A generated class of answered notebooks, and the grading benchmark on it (``grade --benchmark N``).

:func:`write_fake_class` writes N students' folders of eight answered notebooks (each with a figure
output, so the files have a realistic size) and returns the score each must get; :func:`benchmark` grades
them with ``helpers.instructor.grading`` and times it. Also handy to try the grader by hand.
"""

from __future__ import annotations

import io
import os
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers import paths
from helpers.files import write_atomic
from helpers.questions import questions


def _course_notebook_names() -> list[str]:
    """The bundle's eight notebook names: those on disk and those holding questions, padded to eight."""
    names = {p.stem for p in paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    names |= {q["notebook"] for q in questions().values()}
    extra = (f"{i:02d}_notes" for i in range(100) if not any(n.startswith(f"{i:02d}_") for n in names))
    while len(names) < 8:
        names.add(next(extra))
    return sorted(names)[:8] if len(names) > 8 else sorted(names)


def random_key(seed: int = 0) -> dict[str, Any]:
    """A made-up key over every question of data/questions.json (for benchmarks), in load_key's form."""
    rng = random.Random(seed)
    entries = {}
    for number, info in questions().items():
        k = rng.randint(1, 2) if info["multi"] else 1
        entries[number] = {"answer": "".join(sorted(rng.sample(info["options"], k))), "points": 1.0}
    return {"dataset": "random", "description": "generated for a benchmark", "path": "(generated)",
            "questions": entries}


def write_fake_class(folder: Path, n_students: int, key: dict[str, Any], seed: int = 0,
                     image_kb: int = 24, progress: bool = True) -> dict[str, float]:
    """Write ``n_students`` folders of eight answered notebooks (with a figure output each) into ``folder``.

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
    for name in _course_notebook_names():
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


def benchmark(n_students: int, jobs: Sequence[int], out: Path | None = None,
              key: dict[str, Any] | None = None, progress: bool = True, image_kb: int = 24) -> dict[str, Any]:
    """Grade ``n_students`` generated submissions of eight notebooks with each ``jobs`` count; time it.

    Returns {"students", "notebooks", "megabytes", "seconds": {jobs: s}, "scores_match": bool}; with ``out``
    also writes benchmark_grade.png (seconds per jobs count) and benchmark_grade.md there. ``image_kb``
    sets the size of the one figure output in each notebook (24 KB: about 29 KB per notebook).
    """
    from helpers.instructor.grading import find_submissions, grade_all

    key = key or random_key()
    with tempfile.TemporaryDirectory(prefix="hw9-grade-bench-") as scratch:
        folder = Path(scratch) / "submissions"
        expected = write_fake_class(folder, n_students, key, image_kb=image_kb, progress=progress)
        files = list(folder.rglob("*.ipynb"))
        megabytes = sum(f.stat().st_size for f in files) / 2**20
        seconds: dict[int, float] = {}
        match = True
        for n_jobs in jobs:
            start = time.perf_counter()
            results = grade_all(find_submissions(folder), key, jobs=n_jobs, progress=progress)
            seconds[n_jobs] = time.perf_counter() - start
            match &= ({r.student: r.score for r in results} == expected
                      and all(r.status == "ok" for r in results))
    summary = {"students": n_students, "notebooks": len(files), "megabytes": megabytes, "seconds": seconds,
               "scores_match": match}
    if out is not None:
        _write_benchmark(summary, out)
    return summary


def _write_benchmark(summary: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"--jobs {j}" for j in summary["seconds"]]
    values = list(summary["seconds"].values())
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=110)
    bars = ax.bar(labels, values, color="#4C72B0")
    ax.bar_label(bars, fmt="%.1f s")
    ax.axhline(60, color="#C44E52", linestyle="--", label="target: 60 s")
    ax.set_ylim(0, max(66, max(values) * 1.15))
    ax.set_ylabel("wall-clock seconds")
    ax.set_xlabel(f"{os.cpu_count()} CPU cores available")
    ax.set_title(f"Grading {summary['students']} submissions x 8 notebooks ({summary['megabytes']:.0f} MB)")
    ax.legend(loc="upper right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    write_atomic(out / "benchmark_grade.png", buffer.getvalue())
    rows = "\n".join(f"| {j} | {s:.2f} | {summary['notebooks'] / s:.0f} |"
                     for j, s in summary["seconds"].items())
    write_atomic(out / "benchmark_grade.md", (
        f"# Grading benchmark\n\n{summary['students']} generated submissions, "
        f"{summary['notebooks']} notebooks, "
        f"{summary['megabytes']:.0f} MB; scores match the generator: {summary['scores_match']}.\n\n"
        f"| jobs | seconds | notebooks/s |\n|---|---|---|\n{rows}\n\n![benchmark](benchmark_grade.png)\n"))
