"""Grade students' answered notebooks from their ``answer(N, "B")`` cells, without running them.

Where the submissions are (``SUBMISSIONS_DIR``; one entry per student, in any mix):

- ``<student_id>/``: a folder holding that student's notebooks (any ``*.ipynb`` at any depth; names do
  not matter; ``.ipynb_checkpoints`` and hidden files are skipped, other files ignored);
- ``<student_id>.ipynb``: one notebook holding the student's answers;
- ``<student_id>_<NN_name>.ipynb``: one course notebook, e.g. ``b09901001_01_lime.ipynb``. The id ends
  where the first ``_<two digits>_`` begins, so an id must not itself contain ``_<two digits>_``.

Anything else at the top level (``alice.pdf``, ``alice.zip``) becomes a submission with status *error*,
so no student silently drops out of ``grades.csv``. Hidden entries and ``__MACOSX`` are skipped. Ids that
differ only in upper/lower case, or a folder plus files for the same id, are merged and reported.

How answers are read: each notebook is parsed with nbformat (old formats are converted), and every code
cell is parsed with Python's ``ast``; calls ``answer(N, "letters")`` (or ``something.answer(...)``) with
literal arguments count, in file order (files sorted by path, cells and lines in order). The last valid
answer to a question wins, as it would when the cells run; repeats are reported. An answer the notebook
would refuse (unknown question, letters not among the options, several letters where one is asked) is
not counted, and reported. ``answer(N, "")`` (or ``None``/``...``) means unanswered. Code is never run,
unless ``--execute`` asks for a separate check that each notebook runs (papermill, in a temporary copy).

Scoring: a question earns its points when the letters match the key exactly (multi-select is
all-or-nothing, as the course did). With ``--partial-credit``, a multi-select answer earns
``points * max(0, right picks - wrong picks) / number of correct letters``.

Status of a submission: *ok*; *warnings* (graded, but look: a repeat, a refused answer, a missing
notebook's questions, a failed ``--execute`` run); *error* (part or all of it could not be read: the
score counts only what was read). Submission files are only ever read.

Outputs (in ``--out``, each written atomically): ``grades.csv``, ``answers.csv`` (the letters read),
``report.md`` with ``score_histogram.png``, and with ``--feedback`` one ``feedback/<student>.md`` each
(points per question, not the key). An existing ``grades.csv`` is kept unless ``--force``.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import paths
from helpers.questions import check, questions

KEYS_DIR = paths.DATA / "keys"
NAMED_KEYS = ("course", "embedded")
#: Files bigger than this are reported, not read (a notebook full of images is a few MB).
DEFAULT_MAX_MB = 64.0
OUTPUT_NAMES = ("grades.csv", "answers.csv", "report.md", "score_histogram.png")
_SKIPPED_NAMES = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}
_NOTEBOOK_FILE = re.compile(r"^(?P<student>.+?)_(?P<notebook>\d{2}_[A-Za-z0-9_\-]+)$")
_UNANSWERED = (None, Ellipsis)


class AnswerKeyError(ValueError):
    """An answer key file is missing or malformed; the message names the file, the entry and the fix."""


# ---------------------------------------------------------------------------------------------------
# Answer keys


def key_path(name_or_path: str | Path) -> Path:
    """``"course"``/``"embedded"`` -> ``data/keys/<name>.json``; anything else is taken as a path."""
    if str(name_or_path) in NAMED_KEYS:
        return KEYS_DIR / f"{name_or_path}.json"
    return Path(name_or_path)


def load_key(name_or_path: str | Path) -> dict[str, Any]:
    """Read and validate an answer key; return ``{"dataset", "description", "path", "questions"}``.

    ``questions`` maps question number (int) to ``{"answer": "AC", "points": 1.0}``, letters normalized.
    Every question must exist in ``data/questions.json``, its letters be among that question's options,
    and several letters appear only where the question is multi-select. Raises AnswerKeyError.
    """
    path = key_path(name_or_path)
    if not path.is_file():
        hint = (" The course and embedded keys are written by the notebooks' author into data/keys/;"
                " until then pass --key PATH to a key file.") if str(name_or_path) in NAMED_KEYS else ""
        raise AnswerKeyError(f"answer key {path} not found.{hint}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AnswerKeyError(f"answer key {path} is not valid JSON ({err}); fix the file.") from err
    entries = raw.get("questions") if isinstance(raw, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise AnswerKeyError(f'answer key {path} needs a non-empty "questions" object: '
                             '{"questions": {"1": {"answer": "B", "points": 1}, ...}}.')
    table = questions()
    parsed: dict[int, dict[str, Any]] = {}
    for name, entry in entries.items():
        where = f"answer key {path}, question {name!r}"
        if not str(name).isdigit() or int(name) not in table:
            raise AnswerKeyError(f"{where}: no such question in data/questions.json (questions are "
                                 f"{min(table)}..{max(table)}); remove it or add the question.")
        number = int(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("answer"), str):
            raise AnswerKeyError(f'{where}: write it as {{"answer": "B", "points": 1}}.')
        try:
            letters = check(number, entry["answer"])
        except ValueError as err:
            raise AnswerKeyError(f"{where}: {err}") from err
        points = entry.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0 \
                or not math.isfinite(points):
            raise AnswerKeyError(f'{where}: "points" must be a positive number, got {points!r}.')
        parsed[number] = {"answer": letters, "points": float(points)}
    return {"dataset": str(raw.get("dataset", path.stem)), "description": str(raw.get("description", "")),
            "path": str(path), "questions": dict(sorted(parsed.items()))}


def question_points(letters: str, correct: str, points: float, partial_credit: bool = False) -> float:
    """Points for one answer (``""`` = unanswered). Exact match gets ``points``; see the module doc."""
    if not letters:
        return 0.0
    if letters == correct:
        return points
    if not partial_credit:
        return 0.0
    hits = len(set(letters) & set(correct))
    misses = len(set(letters) - set(correct))
    return points * max(0, hits - misses) / len(correct)


# ---------------------------------------------------------------------------------------------------
# Finding submissions


@dataclass(frozen=True)
class Submission:
    """One student's files (read in this order) and what was noticed while finding them."""

    student: str
    files: tuple[Path, ...]
    root: Path
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def split_name(stem: str) -> tuple[str, str | None]:
    """``"b0990_01_lime"`` -> ``("b0990", "01_lime")``; ``"b0990"`` -> ``("b0990", None)``."""
    match = _NOTEBOOK_FILE.match(stem)
    return (match["student"], match["notebook"]) if match else (stem, None)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") or part in _SKIPPED_NAMES for part in path.relative_to(root).parts)


def find_submissions(folder: Path) -> list[Submission]:
    """Every student in ``folder`` (rules in the module docstring), sorted by id."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder {folder} does not exist; pass the folder that holds "
                                "one folder or notebook per student.")
    # casefolded id -> list of (entry, id as written, slot); slot says which part of the work it holds
    groups: dict[str, list[tuple[Path, str, str]]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in _SKIPPED_NAMES:
            continue
        if entry.is_dir():
            student, slot = entry.name.strip(), "*"
        else:
            stem = entry.name[: -len(entry.suffix)] if entry.suffix else entry.name
            student, notebook = split_name(stem.strip())
            slot = notebook.casefold() if notebook and entry.suffix.lower() == ".ipynb" else "*"
        groups.setdefault((student or entry.name).casefold(), []).append((entry, student or entry.name, slot))

    submissions = []
    for members in groups.values():
        student = members[0][1]
        files: list[Path] = []
        warnings: list[str] = []
        errors: list[str] = []
        for entry, _, _ in members:
            label = entry.relative_to(folder).as_posix()
            if entry.is_dir():
                found = sorted(p for p in entry.rglob("*") if p.suffix.lower() == ".ipynb" and p.is_file()
                               and not _hidden(p, folder))
                if not found:
                    errors.append(f"{label}/: no notebooks (.ipynb) in this folder.")
                files.extend(found)
            elif entry.suffix.lower() == ".ipynb" and entry.is_file():
                files.append(entry)
            else:
                hint = " Unzip it into a folder named after the student." if entry.suffix.lower() in (
                    ".zip", ".tar", ".gz", ".7z", ".rar") else ""
                errors.append(f"{label}: not a notebook (.ipynb); not graded.{hint}")
        slots = [slot for _, _, slot in members]
        spellings = sorted({written for _, written, _ in members})
        if len(members) > 1 and ("*" in slots or len(set(slots)) < len(slots) or len(spellings) > 1):
            names = ", ".join(e.relative_to(folder).as_posix() + ("/" if e.is_dir() else "")
                              for e, _, _ in members)
            warnings.append(f"student id {student!r} appears more than once ({names}); their answers are "
                            "merged, files read in that order, the last answer to a question counts.")
        submissions.append(Submission(student, tuple(files), folder, tuple(warnings), tuple(errors)))
    return sorted(submissions, key=lambda s: s.student.casefold())


# ---------------------------------------------------------------------------------------------------
# Reading answers from one notebook file


@dataclass
class FileAnswers:
    """What one notebook file holds: answer calls in order, and problems (warnings/errors)."""

    calls: list[tuple[int, Any, str]] = field(default_factory=list)  # (number, letters as written, where)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _parse_source(source: str) -> tuple[ast.Module | None, bool]:
    """Cell source -> (AST, True); IPython syntax (``%magic``, ``!cmd``) is translated when needed."""
    try:
        return ast.parse(source), True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager  # only for cells with magics

        return ast.parse(TransformerManager().transform_cell(source)), True
    except Exception:  # noqa: BLE001 - any failure here just means "read it line by line"
        return None, False


def _calls_in(tree: ast.AST) -> list[ast.Call]:
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "answer")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "answer"))]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _literal_arguments(call: ast.Call) -> tuple[Any, Any] | str:
    """``answer(1, "B")`` -> ``(1, "B")``; a string saying what is wrong when arguments are not literal."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return "uses *args/**kwargs"
    nodes: dict[str, ast.expr] = dict(zip(("number", "letters"), call.args[:2], strict=False))
    nodes.update({k.arg: k.value for k in call.keywords if k.arg in ("number", "letters")})
    if len(call.args) > 2 or set(nodes) != {"number", "letters"}:
        return "needs exactly two arguments, answer(N, \"B\")"
    values = []
    for name in ("number", "letters"):
        try:
            values.append(ast.literal_eval(nodes[name]))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return f"its {name} argument {ast.unparse(nodes[name])!r} is not a literal"
    return values[0], values[1]


def _scan_cell(source: str, where: str, found: FileAnswers) -> None:
    tree, ok = _parse_source(source)
    if ok:
        units = [(tree, 0)]
    else:  # keep what can be read: each line on its own
        units = []
        for offset, line in enumerate(source.splitlines()):
            if "answer" not in line:
                continue
            try:
                units.append((ast.parse(line.strip()), offset))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                found.warnings.append(f"{where} line {offset + 1}: syntax error, cannot read "
                                      f"{line.strip()!r}.")
    for unit, offset in units:
        for call in _calls_in(unit):
            at = f"{where} line {call.lineno + offset}"
            args = _literal_arguments(call)
            if isinstance(args, str):
                found.warnings.append(f"{at}: {ast.unparse(call)} {args}; not counted "
                                      "(write literal values, e.g. answer(3, \"B\")).")
            else:
                found.calls.append((args[0], args[1], at))


def read_answers(path: Path, label: str, max_bytes: int) -> FileAnswers:
    """All literal ``answer(...)`` calls in the code cells of the notebook at ``path`` (never executed)."""
    import nbformat  # imported here so that ``--help`` stays fast

    found = FileAnswers()
    try:
        size = path.stat().st_size
        if size > max_bytes:
            found.errors.append(f"{label}: {size / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit; "
                                "not read (raise --max-mb if it is a real notebook).")
            return found
        if size == 0:
            found.errors.append(f"{label}: empty file; not a notebook.")
            return found
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        found.errors.append(f"{label}: not a text file (not UTF-8), so not a notebook.")
        return found
    except OSError as err:
        found.errors.append(f"{label}: cannot read ({err.strerror or err}).")
        return found
    try:
        raw = json.loads(text)
    except RecursionError:
        found.errors.append(f"{label}: JSON nested too deeply; not a notebook.")
        return found
    except json.JSONDecodeError as err:
        ends = text.strip()
        truncated = " (the file looks truncated)" if ends[:1] == "{" and ends[-1:] != "}" else ""
        found.errors.append(f"{label}: invalid JSON at line {err.lineno}{truncated}; "
                            "not a readable notebook.")
        return found
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        found.errors.append(f"{label}: JSON but not a Jupyter notebook (no cells).")
        return found
    try:
        notebook = nbformat.reader.reads(text)
        if notebook.get("nbformat", 1) != 4:
            notebook = nbformat.convert(notebook, 4)
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except Exception as err:  # noqa: BLE001 - nbformat raises many kinds on malformed input
        found.errors.append(f"{label}: not a readable Jupyter notebook ({type(err).__name__}: {err}).")
        return found
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if not isinstance(source, str):
            found.warnings.append(f"{label} cell {index + 1}: malformed source; skipped.")
            continue
        if "answer" in source:
            _scan_cell(source, f"{label} cell {index + 1}", found)
    return found


# ---------------------------------------------------------------------------------------------------
# Grading one submission


@dataclass
class Result:
    """One student's grade."""

    student: str
    answers: dict[int, str]  # key question -> normalized letters ("" = unanswered)
    points: dict[int, float]
    score: float
    max_score: float
    warnings: list[str]
    errors: list[str]
    files: int
    execution: str = ""  # "", "ok" or a short failure summary (--execute)

    @property
    def status(self) -> str:
        return "error" if self.errors else "warnings" if self.warnings else "ok"

    @property
    def messages(self) -> list[str]:
        return [f"error: {m}" for m in self.errors] + [f"warning: {m}" for m in self.warnings]


def _answer_word(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f'"{value}"'


def grade_submission(submission: Submission, key: dict[str, Any], partial_credit: bool = False,
                     max_bytes: int = int(DEFAULT_MAX_MB * 2**20), execute_timeout: float | None = None,
                     kernel: str = "python3") -> Result:
    """Grade one submission against a loaded key (see ``load_key``); never raises for bad input."""
    try:
        return _grade(submission, key, partial_credit, max_bytes, execute_timeout, kernel)
    except Exception as err:  # noqa: BLE001 - one odd submission must not stop the class's grading
        keyed = key["questions"]
        return Result(submission.student, dict.fromkeys(keyed, ""), dict.fromkeys(keyed, 0.0), 0.0,
                      sum(q["points"] for q in keyed.values()), [],
                      [f"grader failed on this submission ({type(err).__name__}: {err}); please report it."],
                      len(submission.files))


def _grade(submission: Submission, key: dict[str, Any], partial_credit: bool, max_bytes: int,
           execute_timeout: float | None, kernel: str) -> Result:
    table = questions()
    keyed: dict[int, dict[str, Any]] = key["questions"]
    warnings = list(submission.warnings)
    errors = list(submission.errors)
    history: dict[int, list[tuple[str, str]]] = {}  # question -> [(letters, where)] of valid answers
    n_calls = 0
    readable: list[Path] = []
    for path in submission.files:
        label = path.relative_to(submission.root).as_posix()
        found = read_answers(path, label, max_bytes)
        warnings += found.warnings
        errors += found.errors
        if not found.errors:
            readable.append(path)
        n_calls += len(found.calls)
        for number, letters, where in found.calls:
            if isinstance(number, bool) or not isinstance(number, int) or number not in table:
                warnings.append(f"{where}: there is no question {number!r}; ignored.")
                continue
            if letters in _UNANSWERED or (isinstance(letters, str) and not letters.strip(" ,?")):
                continue  # an untouched placeholder such as answer(3, "")
            if not isinstance(letters, str):
                warnings.append(f"{where}: Q{number} answer {_answer_word(letters)} is not letters in "
                                "quotes; not counted.")
                continue
            try:
                picked = check(number, letters)
            except ValueError as err:
                warnings.append(f"{where}: {err} Not counted.")
                continue
            history.setdefault(number, []).append((picked, where))

    for number, given in sorted(history.items()):
        if len(given) > 1:
            listing = ", ".join(f"{letters} ({where})" for letters, where in given)
            warnings.append(f"Q{number} answered {len(given)} times: {listing}; the last one counts.")
    if submission.files and not n_calls and not errors:
        errors.append("no answer(...) cells in any notebook; nothing to grade.")
    elif n_calls:  # answered something: say which notebooks' questions are all missing
        by_notebook: dict[str, list[int]] = {}
        for number in keyed:
            by_notebook.setdefault(table[number]["notebook"], []).append(number)
        for notebook, numbers in by_notebook.items():
            if not any(n in history for n in numbers):
                warnings.append(f"no answers to questions {_ranges(numbers)} ({notebook}).")

    answers = {n: history[n][-1][0] if n in history else "" for n in keyed}
    points = {n: round(question_points(answers[n], q["answer"], q["points"], partial_credit), 6)
              for n, q in keyed.items()}
    execution = ""
    if execute_timeout is not None:
        failures = [f for f in (execute_notebook(p, execute_timeout, kernel, submission.root)
                                for p in readable) if f]
        warnings += [f"--execute: {f}" for f in failures]
        execution = "ok" if not failures else f"failed {len(failures)} of {len(readable)}"
    max_score = sum(q["points"] for q in keyed.values())
    return Result(submission.student, answers, points, round(sum(points.values()), 6), max_score,
                  warnings, errors, len(submission.files), execution)


def _ranges(numbers: Sequence[int]) -> str:
    numbers = sorted(numbers)
    if len(numbers) > 1 and numbers[-1] - numbers[0] == len(numbers) - 1:
        return f"{numbers[0]}-{numbers[-1]}"
    return ", ".join(map(str, numbers))


def execute_notebook(path: Path, timeout: float, kernel: str = "python3", root: Path | None = None) -> str:
    """Run a temporary copy of one notebook with papermill; return "" when it runs, else what went wrong.

    ``timeout`` bounds the whole notebook (seconds, kernel start included); the copy runs in a scratch
    folder with the bundle importable, and the original file is only read.
    """
    label = path.relative_to(root).as_posix() if root else path.name
    with tempfile.TemporaryDirectory(prefix="hw9-execute-") as scratch:
        copy = Path(scratch) / "submission.ipynb"
        shutil.copyfile(path, copy)
        env = dict(os.environ, MPLBACKEND="Agg",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH")])))
        command = [sys.executable, "-m", "papermill", str(copy), str(Path(scratch) / "executed.ipynb"),
                   "--cwd", scratch, "-k", kernel, "--no-progress-bar", "--no-log-output",
                   "--execution-timeout", str(max(1, math.ceil(timeout)))]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=env, cwd=scratch, start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            return f"{label}: did not finish within {timeout:g} s."
        finally:
            _kill_group(process)  # the kernel too, should papermill leave it behind
    if process.returncode == 0:
        return ""
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", stderr).splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[A-Za-z_.]*(Error|Exception|Interrupt)\b", line)]
    reason = (errors or lines or [f"papermill exit code {process.returncode}"])[-1]
    return f"{label}: failed to run: {reason[:300]}"


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


# ---------------------------------------------------------------------------------------------------
# Grading a class


def _grade_chunk(chunk: list[Submission], key: dict[str, Any], options: dict[str, Any]) -> list[Result]:
    return [grade_submission(s, key, **options) for s in chunk]


def grade_all(submissions: Sequence[Submission], key: dict[str, Any], jobs: int = 1, progress: bool = True,
              **options: Any) -> list[Result]:
    """Grade every submission (``jobs`` processes); results in the order of ``submissions``.

    ``options`` go to ``grade_submission`` (partial_credit, max_bytes, execute_timeout, kernel).
    """
    from tqdm import tqdm

    results: list[Result | None] = [None] * len(submissions)
    bar = tqdm(total=len(submissions), desc="grading", unit="student", disable=not progress)
    if jobs <= 1 or len(submissions) < 2:
        for i, submission in enumerate(submissions):
            results[i] = grade_submission(submission, key, **options)
            bar.update()
    else:
        import nbformat  # noqa: F401 - import once here; forked workers inherit it instead of each paying

        size = max(1, min(16, len(submissions) // (jobs * 4)))
        starts = range(0, len(submissions), size)
        try:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(_grade_chunk, list(submissions[s:s + size]), key, options): s
                           for s in starts}
                for future in as_completed(futures):
                    start = futures[future]
                    try:
                        chunk_results = future.result()
                    except Exception:  # noqa: BLE001 - a dead worker: graded again below, in this process
                        continue
                    results[start:start + len(chunk_results)] = chunk_results
                    bar.update(len(chunk_results))
        except BrokenProcessPool:
            pass
        for i, submission in enumerate(submissions):  # whatever a crashed worker left undone
            if results[i] is None:
                results[i] = grade_submission(submission, key, **options)
                bar.update()
    bar.close()
    return [r for r in results if r is not None]


# ---------------------------------------------------------------------------------------------------
# Writing the outputs


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path`` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def fmt(value: float) -> str:
    """Points for people: 1 -> "1", 0.5 -> "0.5", 1/3 -> "0.333"."""
    return f"{round(value, 3):g}"


def _csv(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def grades_csv(results: Sequence[Result], key: dict[str, Any], executed: bool = False) -> str:
    numbers = list(key["questions"])
    header = ["student", "score", "max_score", *(f"q{n}" for n in numbers), "status", "files",
              *(["execution"] if executed else []), "problems"]
    rows = [[r.student, fmt(r.score), fmt(r.max_score), *(fmt(r.points[n]) for n in numbers), r.status,
             r.files, *([r.execution] if executed else []), " | ".join(r.messages)] for r in results]
    return _csv([header, *rows])


def answers_csv(results: Sequence[Result], key: dict[str, Any]) -> str:
    numbers = list(key["questions"])
    return _csv([["student", *(f"q{n}" for n in numbers)],
                 *([r.student, *(r.answers[n] for n in numbers)] for r in results)])


def question_stats(results: Sequence[Result], key: dict[str, Any]) -> list[dict[str, Any]]:
    """Per question: share answered, share with full points, most chosen wrong answer and its count."""
    stats = []
    n = max(1, len(results))
    for number, entry in key["questions"].items():
        given = [r.answers[number] for r in results if r.answers[number]]
        wrong = Counter(a for a in given if a != entry["answer"])
        top = sorted(wrong.items(), key=lambda item: (-item[1], item[0]))[:1]  # ties: alphabetical
        stats.append({"question": number, "answer": entry["answer"], "points": entry["points"],
                      "answered": len(given) / n, "correct": sum(a == entry["answer"] for a in given) / n,
                      "wrong": top[0][0] if top else "", "wrong_count": top[0][1] if top else 0})
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


def report_md(results: Sequence[Result], key: dict[str, Any], partial_credit: bool, seconds: float,
              executed: bool = False) -> str:
    """The summary report (Markdown): totals, per-question table, histogram, submissions with problems."""
    table = questions()
    scores = [r.score for r in results]
    max_score = sum(q["points"] for q in key["questions"].values())
    counts = Counter(r.status for r in results)
    lines = [
        "# Grading report", "",
        f"- Key: **{key['dataset']}** ({key['path']}), {len(key['questions'])} questions, "
        f"{fmt(max_score)} points; multi-select "
        f"{'with partial credit' if partial_credit else 'all-or-nothing'}.",
        f"- Submissions: {len(results)} ({counts['ok']} ok, {counts['warnings']} with warnings, "
        f"{counts['error']} with errors), graded in {seconds:.1f} s.",
    ]
    if scores:
        lines.append(f"- Score: mean {statistics.mean(scores):.2f}, median {fmt(statistics.median(scores))}, "
                     f"min {fmt(min(scores))}, max {fmt(max(scores))} (out of {fmt(max_score)}).")
    lines += ["", "![Score histogram](score_histogram.png)", "", "## Questions", "",
              "Percentages are of all submissions; the most chosen wrong answer hints at a common "
              "misreading.", "",
              "| Q | notebook | topic | key | answered | correct | most chosen wrong answer |",
              "|---|---|---|---|---|---|---|"]
    for s in question_stats(results, key):
        info = table[s["question"]]
        wrong = f"{s['wrong']} ({s['wrong_count']})" if s["wrong"] else "-"
        lines.append(f"| {s['question']} | {info['notebook']} | {_cell(info['topic'])} | {s['answer']} | "
                     f"{s['answered']:.0%} | {s['correct']:.0%} | {wrong} |")
    problems = [r for r in results if r.status != "ok"]
    lines += ["", f"## Submissions with problems ({len(problems)})", ""]
    if not problems:
        lines.append("None.")
    for r in problems:
        lines.append(f"- **{r.student}** ({r.status}, score {fmt(r.score)}):")
        lines += [f"  - {_cell(m)}" for m in r.messages]
    if executed:
        failed = [r for r in results if r.execution not in ("", "ok")]
        lines += ["", f"## Execution (--execute): {len(failed)} of {len(results)} submissions failed", ""]
        lines += [f"- **{r.student}**: {r.execution}" for r in failed] or ["Every notebook ran."]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def feedback_md(result: Result, key: dict[str, Any]) -> str:
    """A student's feedback: their letters and points per question (right/wrong, not the key)."""
    table = questions()
    lines = [f"# Quiz feedback for {result.student}", "",
             f"Score: **{fmt(result.score)} / {fmt(result.max_score)}**", "",
             "| Q | topic | your answer | points |", "|---|---|---|---|"]
    for number, entry in key["questions"].items():
        mine = result.answers[number] or "(none)"
        lines.append(f"| {number} | {_cell(table[number]['topic'])} | {mine} | "
                     f"{fmt(result.points[number])} / {fmt(entry['points'])} |")
    if result.messages:
        lines += ["", "Notes from the grader:", ""] + [f"- {_cell(m)}" for m in result.messages]
    return "\n".join(lines) + "\n"


def _safe_filename(student: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", student).strip(".") or "student"


def write_outputs(results: Sequence[Result], key: dict[str, Any], out: Path, partial_credit: bool = False,
                  seconds: float = 0.0, feedback: bool = False, executed: bool = False) -> list[Path]:
    """Write grades.csv, answers.csv, report.md, score_histogram.png (and feedback/) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "score_histogram.png", histogram_png(results, key))
    write_atomic(out / "answers.csv", answers_csv(results, key))
    write_atomic(out / "report.md", report_md(results, key, partial_credit, seconds, executed))
    written = [out / "score_histogram.png", out / "answers.csv", out / "report.md"]
    if feedback:  # build the folder aside, then swap it in, so no stale file survives
        staging = Path(tempfile.mkdtemp(dir=out, prefix=".feedback."))
        used: set[str] = set()
        for r in results:
            name = _safe_filename(r.student)
            while name.casefold() in used:
                name += "_"
            used.add(name.casefold())
            (staging / f"{name}.md").write_text(feedback_md(r, key), encoding="utf-8")
        target = out / "feedback"
        if target.exists():
            old = out / f".feedback.old.{os.getpid()}"
            os.replace(target, old)
            shutil.rmtree(old)
        os.replace(staging, target)
        written.append(target)
    write_atomic(out / "grades.csv", grades_csv(results, key, executed))  # last: its presence means "done"
    return [out / "grades.csv", *written]


# ---------------------------------------------------------------------------------------------------
# Generated submissions (benchmark; also handy to try the grader)


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


# ---------------------------------------------------------------------------------------------------
# Command line


def run_grading(submissions_dir: Path, key: str | Path, out: Path, force: bool = False, jobs: int = 1,
                partial_credit: bool = False, execute: bool = False, timeout: float = 600.0,
                feedback: bool = False, max_mb: float = DEFAULT_MAX_MB, kernel: str = "python3",
                progress: bool = True) -> list[Result]:
    """Grade a folder of submissions and write the outputs; raises ValueError/FileExistsError on misuse."""
    submissions_dir, out = Path(submissions_dir), Path(out)
    loaded = load_key(key)
    if not submissions_dir.is_dir():
        raise FileNotFoundError(f"submissions folder {submissions_dir} does not exist.")
    if out.resolve() == submissions_dir.resolve() or submissions_dir.resolve() in out.resolve().parents:
        raise ValueError(f"--out {out} is inside the submissions folder; choose a folder outside it, so "
                         "the submissions stay untouched.")
    existing = [out / name for name in OUTPUT_NAMES if (out / name).exists()]
    if existing and not force:
        raise FileExistsError(f"{existing[0]} already exists; pass --force to replace the outputs in {out} "
                              "(or choose another --out).")
    start = time.perf_counter()
    submissions = find_submissions(submissions_dir)
    results = grade_all(submissions, loaded, jobs=jobs, progress=progress, partial_credit=partial_credit,
                        max_bytes=int(max_mb * 2**20), execute_timeout=timeout if execute else None,
                        kernel=kernel)
    write_outputs(results, loaded, out, partial_credit, time.perf_counter() - start, feedback, execute)
    return results


def _main(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        print("error: --jobs must be at least 1.", file=sys.stderr)
        return 2
    if args.benchmark:
        key = load_key(args.key) if args.key else None
        jobs = sorted({1, max(1, args.jobs)})
        summary = benchmark(args.benchmark, jobs, Path(args.out) if args.out else None, key)
        for n_jobs, seconds in summary["seconds"].items():
            print(f"--jobs {n_jobs}: {seconds:.2f} s for {summary['students']} submissions, "
                  f"{summary['notebooks']} notebooks ({summary['megabytes']:.0f} MB)")
        print("scores match the generated answers:", summary["scores_match"])
        if args.out:
            print(f"wrote {Path(args.out) / 'benchmark_grade.png'} and benchmark_grade.md")
        return 0 if summary["scores_match"] else 1
    if args.timeout <= 0 or args.max_mb <= 0:
        print("error: --timeout and --max-mb must be positive.", file=sys.stderr)
        return 2
    if not args.submissions or not args.key or not args.out:
        print("error: grade needs SUBMISSIONS_DIR, --key and --out (see --help).", file=sys.stderr)
        return 2
    if args.execute:
        from jupyter_client.kernelspec import KernelSpecManager

        if args.kernel not in KernelSpecManager().find_kernel_specs():
            print(f"error: no Jupyter kernel named {args.kernel!r}; install one with `{sys.executable} "
                  f"-m ipykernel install --sys-prefix --name {args.kernel}`.", file=sys.stderr)
            return 2
    try:
        results = run_grading(Path(args.submissions), args.key, Path(args.out), args.force, args.jobs,
                              args.partial_credit, args.execute, args.timeout, args.feedback, args.max_mb,
                              args.kernel)
    except (AnswerKeyError, FileExistsError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    counts = Counter(r.status for r in results)
    mean = statistics.mean(r.score for r in results) if results else 0.0
    print(f"graded {len(results)} submissions: {counts['ok']} ok, {counts['warnings']} with warnings, "
          f"{counts['error']} with errors; mean score {mean:.2f}.")
    print(f"wrote {Path(args.out) / 'grades.csv'} and report.md (problems listed there).")
    return 0


def register(subparsers: Any) -> None:
    doc = __doc__ or ""
    parser = subparsers.add_parser(
        "grade", help="grade answered notebooks (instructors)",
        description=doc.split("\n\n", 1)[0] + "\n\n" + doc.split("\n\n", 1)[1].split("\n\nHow answers", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: python -m helpers grade submissions/ --key course --out grades/ --jobs 2")
    parser.add_argument("submissions", nargs="?", metavar="SUBMISSIONS_DIR",
                        help="folder with one folder or notebook(s) per student (rules above)")
    parser.add_argument("--key", help="answer key: 'course', 'embedded' (data/keys/<name>.json) or a path")
    parser.add_argument("--out", help="folder for grades.csv, answers.csv, report.md, score_histogram.png")
    parser.add_argument("--force", action="store_true", help="replace an existing grades.csv (and the rest)")
    parser.add_argument("--jobs", type=int, default=1, help="processes to grade with (default 1)")
    parser.add_argument("--partial-credit", action="store_true",
                        help="multi-select: points * max(0, right - wrong picks) / correct letters")
    parser.add_argument("--execute", action="store_true",
                        help="also re-run each notebook (a copy, papermill) and report failures; "
                             "RUNS STUDENT CODE")
    parser.add_argument("--timeout", type=float, default=600.0, help="--execute: seconds per notebook (600)")
    parser.add_argument("--kernel", default="python3", help="--execute: Jupyter kernel name (python3)")
    parser.add_argument("--feedback", action="store_true", help="write feedback/<student>.md per student")
    parser.add_argument("--max-mb", type=float, default=DEFAULT_MAX_MB,
                        help=f"skip (and report) files larger than this (default {DEFAULT_MAX_MB:g})")
    parser.add_argument("--benchmark", type=int, metavar="N",
                        help="instead: grade N generated submissions x 8 notebooks with --jobs 1 and --jobs, "
                             "timed; writes benchmark_grade.png into --out if given")
    parser.set_defaults(func=_main)
