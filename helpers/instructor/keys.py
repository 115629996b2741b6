"""Answer key files: where they live, how they are read, validated and written (one place for all).

A key file is JSON::

    {"dataset": "embedded", "description": "...",
     "questions": {"1": {"answer": "B", "points": 1}, "2": {"answer": "AC", "points": 1, "note": "..."}, ...}}

An entry's optional ``note`` tells instructors why the answer is what it is (the embedded key notes each
answer that differs from the course's with the measurement behind it).

``data/keys/course.json`` holds the course's answers, ``data/keys/embedded.json`` the answers derived on
the embedded data (:mod:`helpers.instructor.cnn_key`, :mod:`helpers.instructor.bert_key`). Grading reads
keys validated (:func:`load_key`); the release's leak check reads them raw (:func:`read_keys`), because a
half-written key must still be found.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from helpers import paths
from helpers.files import write_atomic
from helpers.questions import check, normalize, questions

KEYS_DIR = paths.DATA / "keys"
NAMED_KEYS = ("course", "embedded")

__all__ = [
    "KEYS_DIR",
    "NAMED_KEYS",
    "AnswerKeyError",
    "key_path",
    "letters",
    "load_key",
    "normalize",
    "read_key",
    "read_keys",
    "write_key",
]


class AnswerKeyError(ValueError):
    """An answer key file is missing or malformed; the message names the file, the entry and the fix."""


def key_path(name_or_path: str | Path) -> Path:
    """``"course"``/``"embedded"`` -> ``data/keys/<name>.json``; anything else is taken as a path."""
    if str(name_or_path) in NAMED_KEYS:
        return KEYS_DIR / f"{name_or_path}.json"
    return Path(name_or_path)


def read_key(name_or_path: str | Path) -> dict[str, Any]:
    """A key file's JSON as stored (not validated)."""
    return json.loads(key_path(name_or_path).read_text(encoding="utf-8"))


def letters(key: dict[str, Any]) -> dict[int, str]:
    """{question: normalized letters} of a key file's content; entries that are not letters are skipped."""
    entries = key.get("questions", {}) if isinstance(key, dict) else {}
    out = {}
    for number, entry in entries.items() if isinstance(entries, dict) else ():
        given = entry.get("answer") if isinstance(entry, dict) else entry
        if str(number).isdigit() and isinstance(given, str) and normalize(given):
            out[int(number)] = normalize(given)
    return out


def read_keys(folder: Path) -> list[dict[str, Any]]:
    """Every key file in ``folder`` as raw JSON plus ``_text`` (its bytes) and ``_name`` (unvalidated)."""
    keys = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raw = {}
        raw = raw if isinstance(raw, dict) else {}
        keys.append({**raw, "_text": path.read_bytes(), "_name": path.name})
    return keys


def load_key(name_or_path: str | Path) -> dict[str, Any]:
    """Read and validate an answer key; return ``{"dataset", "description", "path", "questions"}``.

    ``questions`` maps question number (int) to ``{"answer": "AC", "points": 1.0}`` (plus ``"note"`` where
    the file has one), letters normalized.
    Every question must exist in ``data/questions.json``, its letters be among that question's options,
    and several letters appear only where the question is multi-select. Raises AnswerKeyError.
    """
    path = key_path(name_or_path)
    if not path.is_file():
        hint = (
            (
                " The course and embedded keys are written by the notebooks' author into data/keys/;"
                " until then pass --key PATH to a key file."
            )
            if str(name_or_path) in NAMED_KEYS
            else ""
        )
        raise AnswerKeyError(f"answer key {path} not found.{hint}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AnswerKeyError(f"answer key {path} is not valid JSON ({err}); fix the file.") from err
    entries = raw.get("questions") if isinstance(raw, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise AnswerKeyError(
            f'answer key {path} needs a non-empty "questions" object: '
            '{"questions": {"1": {"answer": "B", "points": 1}, ...}}.'
        )
    parsed = {
        int(name): _entry(f"answer key {path}, question {name!r}", name, entry) for name, entry in entries.items()
    }
    return {
        "dataset": str(raw.get("dataset", path.stem)),
        "description": str(raw.get("description", "")),
        "path": str(path),
        "questions": dict(sorted(parsed.items())),
    }


def _entry(where: str, name: str, entry: Any) -> dict[str, Any]:
    """One validated key entry ``{"answer": letters, "points": float}`` (and its ``note``); raises AnswerKeyError."""
    table = questions()
    if not str(name).isdigit() or int(name) not in table:
        raise AnswerKeyError(
            f"{where}: no such question in data/questions.json (questions are "
            f"{min(table)}..{max(table)}); remove it or add the question."
        )
    if not isinstance(entry, dict) or not isinstance(entry.get("answer"), str):
        raise AnswerKeyError(f'{where}: write it as {{"answer": "B", "points": 1}}.')
    try:
        picked = check(int(name), entry["answer"])
    except ValueError as err:
        raise AnswerKeyError(f"{where}: {err}") from err
    points = entry.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0 or not math.isfinite(points):
        raise AnswerKeyError(f'{where}: "points" must be a positive number, got {points!r}.')
    note = entry.get("note")
    if note is not None and not isinstance(note, str):
        raise AnswerKeyError(f'{where}: "note" must be text, got {type(note).__name__}.')
    return {"answer": picked, "points": float(points), **({"note": note} if note else {})}


def write_key(
    name: str, dataset: str, description: str | None, answers: dict[int, str], notes: dict[int, str] | None = None
) -> Path:
    """Write ``answers`` (with ``notes`` for some of them) into ``data/keys/<name>.json`` (atomically);
    entries of other questions already there are kept, and so is the file's description when
    ``description`` is None."""
    path = key_path(name)
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"questions": {}}
    notes = notes or {}
    merged = {
        **{int(k): v for k, v in old["questions"].items()},
        **{
            n: {"answer": normalize(a), "points": 1, **({"note": notes[n]} if n in notes else {})}
            for n, a in answers.items()
        },
    }
    if description is None:
        description = old.get("description", "")
    out = {"dataset": dataset, "description": description, "questions": {str(n): merged[n] for n in sorted(merged)}}
    write_atomic(path, json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    return path
