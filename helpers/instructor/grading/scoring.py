"""Scoring: one submission against a key, and a whole class (in worker processes that die with the grader).

A question earns its points when the letters match the key exactly (multi-select is all-or-nothing, as
the course did). With ``--partial-credit``, a multi-select answer earns
``points * max(0, right picks - wrong picks) / number of correct letters``.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from helpers.instructor.grading.reading import FileAnswers, prepare, read_answers
from helpers.instructor.grading.submissions import Submission
from helpers.instructor.grading.untrusted import DEFAULT_READ_TIMEOUT, TimeLimit, time_limit
from helpers.questions import check, questions

#: Files bigger than this are reported, not read (a notebook full of images is a few MB).
DEFAULT_MAX_MB = 64.0
_UNANSWERED = (None, Ellipsis)
#: Answers to one question listed in full up to this many (a notebook may repeat one a thousand times).
_LISTED = 6


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


def grade_submission(
    submission: Submission,
    key: dict[str, Any],
    partial_credit: bool = False,
    max_bytes: int = int(DEFAULT_MAX_MB * 2**20),
    execute: Any = None,
    read_timeout: float | None = DEFAULT_READ_TIMEOUT,
) -> Result:
    """Grade one submission against a loaded key (``keys.load_key``); never raises for bad input.

    ``execute``: an :class:`~helpers.instructor.grading.execute.Sandbox` to also run each notebook in.
    ``read_timeout``: seconds to read the student's files (the time of ``execute`` is not counted).
    """
    try:
        return _grade(submission, key, partial_credit, max_bytes, execute, read_timeout)
    except Exception as err:  # noqa: BLE001 - one odd submission must not stop the class's grading
        keyed = key["questions"]
        return Result(
            submission.student,
            dict.fromkeys(keyed, ""),
            dict.fromkeys(keyed, 0.0),
            0.0,
            sum(q["points"] for q in keyed.values()),
            [],
            [f"grader failed on this submission ({type(err).__name__}: {err}); please report it."],
            len(submission.files),
        )


def _answer_word(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f'"{value}"'


def _accept(found: FileAnswers, history: dict[int, list[tuple[str, str]]], warnings: list[str]) -> None:
    """Valid counted calls of one file into ``history`` (question -> [(letters, where)]); others reported."""
    table = questions()
    for number, letters, where in found.calls:
        if isinstance(number, bool) or not isinstance(number, int) or number not in table:
            warnings.append(f"{where}: there is no question {number!r}; ignored.")
            continue
        if letters in _UNANSWERED or (isinstance(letters, str) and not letters.strip(" ,?")):
            continue  # an untouched placeholder such as answer(3, "")
        if not isinstance(letters, str):
            warnings.append(
                f"Q{number}: {where}: answer {_answer_word(letters)} is not letters in quotes; not counted."
            )
            continue
        picked, problem = _checked(number, letters) if len(letters) <= 64 else _check(number, letters)
        if problem:
            warnings.append(f"Q{number}: {where}: {problem} Not counted.")
            continue
        history.setdefault(number, []).append((picked, where))


def _check(number: int, letters: str) -> tuple[str, str]:
    """``check``'s answer: (normalized letters, "") or ("", why it does not count)."""
    try:
        return check(number, letters), ""
    except ValueError as err:
        return "", str(err)


_checked = lru_cache(maxsize=4096)(_check)  # once per distinct (short) answer: a notebook may repeat one


def _grade(
    submission: Submission,
    key: dict[str, Any],
    partial_credit: bool,
    max_bytes: int,
    execute: Any,
    read_timeout: float | None,
) -> Result:
    keyed: dict[int, dict[str, Any]] = key["questions"]
    warnings, errors = list(submission.warnings), list(submission.errors)
    history: dict[int, list[tuple[str, str]]] = {}
    ignored: list[tuple[int | None, str]] = []
    markdown: list[tuple[int, str]] = []
    readable: list[Path] = []
    n_calls = 0
    for path, found in _read_files(submission, max_bytes, read_timeout, errors):
        warnings += found.warnings
        errors += found.errors
        readable += [] if found.errors else [path]
        n_calls += len(found.calls) + len(found.ignored)
        ignored += found.ignored
        markdown += found.markdown
        _accept(found, history, warnings)
    warnings += _notes(history, ignored, markdown, keyed)
    if submission.files and not n_calls and not errors:
        errors.append("no answer(...) cells in any notebook; nothing to grade.")
    elif n_calls:
        warnings += _missing_notebooks(history, keyed)
    answers = {n: history[n][-1][0] if n in history else "" for n in keyed}
    points = {
        n: round(question_points(answers[n], q["answer"], q["points"], partial_credit), 6) for n, q in keyed.items()
    }
    execution = ""
    if execute is not None:
        failures = [f for f in (execute.run(p, submission.root) for p in readable) if f]
        warnings += [f"--execute: {f}" for f in failures]
        execution = "ok" if not failures else f"failed {len(failures)} of {len(readable)}"
    return Result(
        submission.student,
        answers,
        points,
        round(sum(points.values()), 6),
        sum(q["points"] for q in keyed.values()),
        warnings,
        errors,
        len(submission.files),
        execution,
    )


def _read_files(
    submission: Submission, max_bytes: int, read_timeout: float | None, errors: list[str]
) -> list[tuple[Path, FileAnswers]]:
    """Each file's answers, read in order until ``read_timeout`` seconds run out (then the file being
    read and those after it are reported in ``errors`` and left out)."""
    done: list[tuple[Path, FileAnswers]] = []
    label = ""
    prepare()
    try:
        with time_limit(read_timeout):
            for path in submission.files:
                label = path.relative_to(submission.root).as_posix()
                done.append((path, read_answers(path, label, max_bytes)))
    except TimeLimit:
        errors.append(
            f"{label}: reading stopped after {read_timeout:g} s (the limit for one student's files); this "
            "file and any after it are not graded. Look at it, then grade again with a larger --read-timeout."
        )
    return done


def _notes(
    history: dict[int, list[tuple[str, str]]],
    ignored: list[tuple[int | None, str]],
    markdown: list[tuple[int, str]],
    keyed: dict[int, Any],
) -> list[str]:
    """Per question: repeats, mentions that did not count, and markdown answers to unanswered questions."""
    notes = []
    for number, given in sorted(history.items()):
        if len(given) > 1:
            notes.append(f"Q{number} answered {len(given)} times: {_listing(given)}; the last one counts.")
    notes += [f"Q{number}: {message}" if number is not None else message for number, message in ignored]
    for number, where in markdown:
        if number in keyed and number not in history:
            notes.append(
                f"Q{number}: {where}: an answer written in a markdown cell, which never runs; not "
                "counted (answer in a code cell)."
            )
    return notes


def _listing(given: list[tuple[str, str]]) -> str:
    """``"A (where), B (where)"``; beyond :data:`_LISTED` answers, the first and last few around "..."."""
    half = _LISTED // 2
    ends = [given] if len(given) <= _LISTED else [given[:half], given[-half:]]
    return ", ..., ".join(", ".join(f"{letters} ({where})" for letters, where in part) for part in ends)


def _missing_notebooks(history: dict[int, Any], keyed: dict[int, Any]) -> list[str]:
    """Which notebooks' questions are all unanswered."""
    table = questions()
    by_notebook: dict[str, list[int]] = {}
    for number in keyed:
        by_notebook.setdefault(table[number]["notebook"], []).append(number)
    return [
        f"no answers to questions {_ranges(numbers)} ({notebook})."
        for notebook, numbers in by_notebook.items()
        if not any(n in history for n in numbers)
    ]


def _ranges(numbers: Sequence[int]) -> str:
    numbers = sorted(numbers)
    if len(numbers) > 1 and numbers[-1] - numbers[0] == len(numbers) - 1:
        return f"{numbers[0]}-{numbers[-1]}"
    return ", ".join(map(str, numbers))


# ---------------------------------------------------------------------------------------------------
# A class, in parallel


def _die_with_parent(parent: int) -> None:
    """Worker initializer: the kernel kills this worker when the grader dies (Linux), even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the grader died before the line above took effect
        os._exit(1)


def _grade_chunk(chunk: list[Submission], key: dict[str, Any], options: dict[str, Any]) -> list[Result]:
    return [grade_submission(s, key, **options) for s in chunk]


def grade_all(
    submissions: Sequence[Submission], key: dict[str, Any], jobs: int = 1, progress: bool = True, **options: Any
) -> list[Result]:
    """Grade every submission (``jobs`` processes); results in the order of ``submissions``.

    ``options`` go to ``grade_submission`` (partial_credit, max_bytes, execute, read_timeout). Workers die with the
    grader, so killing it leaves no process behind.
    """
    from tqdm import tqdm

    results: list[Result | None] = [None] * len(submissions)
    bar = tqdm(total=len(submissions), desc="grading", unit="student", disable=not progress)
    if jobs > 1 and len(submissions) > 1:
        prepare()  # once here: forked workers inherit it instead of each paying
        size = max(1, min(16, len(submissions) // (jobs * 4)))
        try:
            with ProcessPoolExecutor(max_workers=jobs, initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
                futures = {
                    pool.submit(_grade_chunk, list(submissions[s : s + size]), key, options): s
                    for s in range(0, len(submissions), size)
                }
                for future in as_completed(futures):
                    try:
                        chunk = future.result()
                    except Exception:  # noqa: BLE001 - a dead worker: graded again below, in this process
                        continue
                    results[futures[future] : futures[future] + len(chunk)] = chunk
                    bar.update(len(chunk))
        except BrokenProcessPool:
            pass
    for i, submission in enumerate(submissions):  # serial, or whatever a crashed worker left undone
        if results[i] is None:
            results[i] = grade_submission(submission, key, **options)
            bar.update()
    bar.close()
    return [r for r in results if r is not None]
