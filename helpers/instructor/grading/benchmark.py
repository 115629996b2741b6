"""``grade --benchmark N``: grade a generated class of N students with each ``--jobs`` count and time it."""

from __future__ import annotations

import io
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helpers.bundle.fake_class import random_key, write_fake_class
from helpers.files import write_atomic
from helpers.instructor.grading.scoring import grade_all
from helpers.instructor.grading.submissions import find_submissions


def benchmark(
    n_students: int,
    jobs: Sequence[int],
    out: Path | None = None,
    key: dict[str, Any] | None = None,
    progress: bool = True,
    image_kb: int = 24,
) -> dict[str, Any]:
    """Grade ``n_students`` generated submissions (every notebook that holds questions) with each ``jobs``
    count; time it.

    Returns {"students", "notebooks", "megabytes", "seconds": {jobs: s}, "scores_match": bool}; with ``out``
    also writes benchmark_grade.png (seconds per jobs count) and benchmark_grade.md there. ``image_kb``
    sets the size of the one figure output in each notebook (24 KB: about 29 KB per notebook).
    """
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
            match &= {r.student: r.score for r in results} == expected and all(r.status == "ok" for r in results)
    summary = {
        "students": n_students,
        "notebooks": len(files),
        "megabytes": megabytes,
        "seconds": seconds,
        "scores_match": match,
    }
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
    rows = "\n".join(f"| {j} | {s:.2f} | {summary['notebooks'] / s:.0f} |" for j, s in summary["seconds"].items())
    write_atomic(
        out / "benchmark_grade.md",
        (
            f"# Grading benchmark\n\n{summary['students']} generated submissions, "
            f"{summary['notebooks']} notebooks, "
            f"{summary['megabytes']:.0f} MB; scores match the generator: {summary['scores_match']}.\n\n"
            f"| jobs | seconds | notebooks/s |\n|---|---|---|\n{rows}\n\n![benchmark](benchmark_grade.png)\n"
        ),
    )
