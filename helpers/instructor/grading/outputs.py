"""The outputs of a grading run, written as one set.

``grades.csv`` (scores per question, status, problems), ``answers.csv`` (the letters read),
``report.md`` with ``score_histogram.png``, and with ``--feedback`` one ``feedback/<student>.md`` each
(points per question, not the key; an id that is not a short, safe file name gets a cut, safe form and a
short hash, and ``grades.csv``'s ``feedback`` column names each student's file). Text a student chose (an
id from a file name, a message quoting their cell) never starts a CSV cell with ``=``, ``+``, ``-``,
``@``, tab or carriage return: such a cell gets a leading ``'``, so a spreadsheet shows it instead of
running it as a formula. Ids and messages are written in the printable form of
:mod:`~helpers.instructor.grading.names` (bytes that are not UTF-8 as ``\\xNN``, a CR as ``\\r``), and a
CSV cell holding a comma, quote, CR or LF is quoted, so every record stays one record.

The set is built in a hidden folder beside ``--out`` and put in place in one step (an atomic exchange of
the two folders where the system has it, Linux's ``renameat2``), so after a kill at any moment ``--out``
holds the complete old set or the complete new one; the old set, ``feedback/`` included, is removed.
Files and folders get the usual modes (the umask is honoured).
"""

from __future__ import annotations

import ctypes
import io
import math
import os
import re
import shutil
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from helpers.instructor.grading.names import file_stem, readable, shown_id
from helpers.instructor.grading.scoring import Result
from helpers.questions import questions

OUTPUT_NAMES = ("grades.csv", "answers.csv", "report.md", "score_histogram.png", "feedback")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CSV_QUOTED = re.compile(r'[,"\r\n]')
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def fmt(value: float) -> str:
    """Points for people: 1 -> "1", 0.5 -> "0.5", 1/3 -> "0.333"."""
    return f"{round(value, 3):g}"


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ``=``, ``+``, ``-``, ``@``, tab or CR gets a ``'``."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_field(text: str) -> str:
    """One RFC 4180 field: quoted when it holds a comma, a quote, a CR or an LF (the csv module quotes only
    the characters of its line terminator, so a CR inside a cell would split the record for every reader)."""
    return '"' + text.replace('"', '""') + '"' if _CSV_QUOTED.search(text) else text


def _csv(rows: Iterable[Sequence[Any]]) -> str:
    return "".join(",".join(_csv_field(safe_cell(v)) for v in row) + "\n" for row in rows)


def _problems(result: Result) -> str:
    return " | ".join(readable(m) for m in result.messages)


def grades_csv(
    results: Sequence[Result], key: dict[str, Any], executed: bool = False, feedback: Sequence[str] | None = None
) -> str:
    """grades.csv; ``feedback``: each result's file in feedback/ (:func:`feedback_names`), a column if given."""
    numbers = list(key["questions"])
    extra = {"execution": [r.execution for r in results]} if executed else {}
    if feedback is not None:
        extra["feedback"] = [f"feedback/{name}" for name in feedback]
    header = ["student", "score", "max_score", *(f"q{n}" for n in numbers), "status", "files", *extra, "problems"]
    rows = [
        [
            shown_id(r.student),
            fmt(r.score),
            fmt(r.max_score),
            *(fmt(r.points[n]) for n in numbers),
            r.status,
            r.files,
            *(column[i] for column in extra.values()),
            _problems(r),
        ]
        for i, r in enumerate(results)
    ]
    return _csv([header, *rows])


def answers_csv(results: Sequence[Result], key: dict[str, Any]) -> str:
    numbers = list(key["questions"])
    return _csv(
        [
            ["student", *(f"q{n}" for n in numbers)],
            *([shown_id(r.student), *(r.answers[n] for n in numbers)] for r in results),
        ]
    )


def question_stats(results: Sequence[Result], key: dict[str, Any]) -> list[dict[str, Any]]:
    """Per question: share answered, share with full points, most chosen wrong answer and its count."""
    stats = []
    n = max(1, len(results))
    for number, entry in key["questions"].items():
        given = [r.answers[number] for r in results if r.answers[number]]
        wrong = Counter(a for a in given if a != entry["answer"])
        top = sorted(wrong.items(), key=lambda item: (-item[1], item[0]))[:1]  # ties: alphabetical
        stats.append(
            {
                "question": number,
                "answer": entry["answer"],
                "points": entry["points"],
                "answered": len(given) / n,
                "correct": sum(a == entry["answer"] for a in given) / n,
                "wrong": top[0][0] if top else "",
                "wrong_count": top[0][1] if top else 0,
            }
        )
    return stats


def histogram_png(results: Sequence[Result], key: dict[str, Any]) -> bytes:
    """A labelled histogram of the scores, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    max_score = sum(q["points"] for q in key["questions"].values())
    scores = np.array([r.score for r in results], dtype=float)
    if max_score <= 40:
        edges = np.arange(-0.5, math.floor(max_score) + 1.0, 1.0)
        if edges[-1] < max_score:
            edges = np.append(edges, edges[-1] + 1.0)
    else:
        edges = np.linspace(0, max_score, 21)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.hist(scores, bins=edges, color="#4C72B0", edgecolor="white")
    if len(scores):
        ax.axvline(scores.mean(), color="#C44E52", linestyle="--", label=f"mean {scores.mean():.2f}")
        ax.legend()
    ax.set_xlabel(f"score (points out of {fmt(max_score)})")
    ax.set_ylabel("number of students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"Scores of {len(scores)} submissions (key: {key['dataset']})")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def report_md(
    results: Sequence[Result],
    key: dict[str, Any],
    partial_credit: bool,
    seconds: float,
    executed: str = "",
    feedback: bool = False,
) -> str:
    """The summary report (Markdown): totals, per-question table, histogram, submissions with problems."""
    table = questions()
    scores = [r.score for r in results]
    max_score = sum(q["points"] for q in key["questions"].values())
    counts = Counter(r.status for r in results)
    lines = [
        "# Grading report",
        "",
        f"- Key: **{key['dataset']}** ({key['path']}), {len(key['questions'])} questions, "
        f"{fmt(max_score)} points; multi-select "
        f"{'with partial credit' if partial_credit else 'all-or-nothing'}.",
        f"- Submissions: {len(results)} ({counts['ok']} ok, {counts['warnings']} with warnings, "
        f"{counts['error']} with errors), graded in {seconds:.1f} s.",
    ]
    if scores:
        lines.append(
            f"- Score: mean {statistics.mean(scores):.2f}, median {fmt(statistics.median(scores))}, "
            f"min {fmt(min(scores))}, max {fmt(max(scores))} (out of {fmt(max_score)})."
        )
    if feedback:
        lines.append("- Feedback: one file per student in feedback/; grades.csv's feedback column names each one.")
    lines += [
        "",
        "![Score histogram](score_histogram.png)",
        "",
        "## Questions",
        "",
        "Percentages are of all submissions; the most chosen wrong answer hints at a common misreading.",
        "",
        "| Q | notebook | topic | key | answered | correct | most chosen wrong answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in question_stats(results, key):
        info = table[s["question"]]
        wrong = f"{s['wrong']} ({s['wrong_count']})" if s["wrong"] else "-"
        lines.append(
            f"| {s['question']} | {info['notebook']} | {_cell(info['topic'])} | {s['answer']} | "
            f"{s['answered']:.0%} | {s['correct']:.0%} | {wrong} |"
        )
    notes = [f"- Q{n}: {_cell(e['note'])}" for n, e in key["questions"].items() if e.get("note")]
    if notes:
        lines += ["", "Notes of the key on its answers:", "", *notes]
    problems = [r for r in results if r.status != "ok"]
    lines += ["", f"## Submissions with problems ({len(problems)})", ""]
    if not problems:
        lines.append("None.")
    for r in problems:
        lines.append(f"- **{_markdown_id(r.student)}** ({r.status}, score {fmt(r.score)}):")
        lines += [f"  - {_cell(m)}" for m in r.messages]
    if executed:
        failed = [r for r in results if r.execution not in ("", "ok")]
        lines += [
            "",
            f"## Execution (--execute): {len(failed)} of {len(results)} submissions failed",
            "",
            f"Protection: {executed}",
            "",
        ]
        lines += [f"- **{_markdown_id(r.student)}**: {_cell(r.execution)}" for r in failed] or ["Every notebook ran."]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text for one line (or table cell) of Markdown: printable, on one line, no ``|`` ending a cell."""
    return readable(text).replace("|", "\\|")


def _markdown_id(student: str) -> str:
    """An id in Markdown, shown as it is: characters that would format (``*``, ``_``, ``[``...) escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", shown_id(student))


def feedback_md(result: Result, key: dict[str, Any]) -> str:
    """A student's feedback: their letters and points per question (right/wrong, not the key)."""
    table = questions()
    lines = [
        f"# Quiz feedback for {_markdown_id(result.student)}",
        "",
        f"Score: **{fmt(result.score)} / {fmt(result.max_score)}**",
        "",
        "| Q | topic | your answer | points |",
        "|---|---|---|---|",
    ]
    for number, entry in key["questions"].items():
        mine = result.answers[number] or "(none)"
        lines.append(
            f"| {number} | {_cell(table[number]['topic'])} | {mine} | "
            f"{fmt(result.points[number])} / {fmt(entry['points'])} |"
        )
    if result.messages:
        lines += ["", "Notes from the grader:", ""] + [f"- {_cell(m)}" for m in result.messages]
    return "\n".join(lines) + "\n"


def feedback_names(results: Sequence[Result]) -> list[str]:
    """Each result's file name in feedback/ (:func:`~helpers.instructor.grading.names.file_stem` + ``.md``),
    unique even where the file system ignores case: a clash gets ``-2``, ``-3``..."""
    used: set[str] = set()
    names = []
    for r in results:
        stem = file_stem(r.student)
        name, count = f"{stem}.md", 1
        while name.casefold() in used:
            count += 1
            name = f"{stem}-{count}.md"
        used.add(name.casefold())
        names.append(name)
    return names


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_out(out: Path, force: bool) -> None:
    """Refuse an ``--out`` that holds other files (they would be replaced with the set), or an earlier
    set without ``force``. Raises FileExistsError naming the file and the fix."""
    _recover(out)
    if not out.exists():
        return
    if not out.is_dir() or out.is_symlink():
        raise FileExistsError(f"--out {out} exists and is not a folder; choose a folder.")
    entries = sorted(p.name for p in out.iterdir())
    foreign = [name for name in entries if name not in OUTPUT_NAMES]
    if foreign:
        raise FileExistsError(
            f"--out {out} holds files the grader did not write ({', '.join(foreign[:5])}); "
            "the outputs replace the whole folder, so choose an empty or new folder."
        )
    if entries and not force:
        raise FileExistsError(
            f"{out / entries[0]} already exists; pass --force to replace the outputs in "
            f"{out} (or choose another --out)."
        )


def _leftovers(out: Path, kind: str) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.{kind}-*")) if out.parent.is_dir() else []


def _recover(out: Path) -> None:
    """After a kill: put back an old set moved aside (systems without an atomic exchange), remove any
    half-built set."""
    old = _leftovers(out, "old")
    if old and not out.exists():
        os.rename(old[-1], out)
    for path in _leftovers(out, "building") + _leftovers(out, "old"):
        shutil.rmtree(path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def publish(build: Callable[[Path], None], out: Path) -> None:
    """``build(folder)`` writes the set into a hidden folder beside ``out``; then it replaces ``out`` whole."""
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        os.chmod(staging, 0o777 & ~_umask())
        build(staging)
        if not out.exists():
            os.rename(staging, out)
        elif _exchange(staging, out):
            shutil.rmtree(staging)  # now the old set
        else:  # two renames; a kill between them is undone by _recover on the next run
            aside = staging.with_name(f".{out.name}.old-{os.getpid()}")
            os.rename(out, aside)
            os.rename(staging, out)
            shutil.rmtree(aside)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def write_outputs(
    results: Sequence[Result],
    key: dict[str, Any],
    out: Path,
    partial_credit: bool = False,
    seconds: float = 0.0,
    feedback: bool = False,
    executed: str = "",
) -> list[Path]:
    """Write grades.csv, answers.csv, report.md, score_histogram.png (and feedback/) as one set into
    ``out``, replacing what was there (call :func:`check_out` first)."""
    own = feedback_names(results) if feedback else None  # each student's file in feedback/

    def build(folder: Path) -> None:
        (folder / "score_histogram.png").write_bytes(histogram_png(results, key))
        (folder / "answers.csv").write_text(answers_csv(results, key), encoding="utf-8")
        report = report_md(results, key, partial_credit, seconds, executed, feedback)
        (folder / "report.md").write_text(report, encoding="utf-8")
        if own is not None:
            (folder / "feedback").mkdir()
            for r, name in zip(results, own, strict=True):
                (folder / "feedback" / name).write_text(feedback_md(r, key), encoding="utf-8")
        (folder / "grades.csv").write_text(grades_csv(results, key, bool(executed), own), encoding="utf-8")

    publish(build, out)
    names = ["grades.csv", "score_histogram.png", "answers.csv", "report.md"] + (["feedback"] if feedback else [])
    return [Path(out) / name for name in names]
