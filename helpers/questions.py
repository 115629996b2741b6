"""The quiz: ``answer(N, "B")`` cells in the notebooks, and the question list they check against.

Students answer with a literal call such as ``answer(7, "A")`` (or ``answer(2, "AC")`` where a
question accepts several letters). Instructors' grading reads these calls from the notebook file
without running it, so keep them literal. ``answer`` checks the form only: it never knows or reveals
the key (keys live in ``data/keys/``, outside the student bundle).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from helpers import paths


@cache
def questions() -> dict[int, dict[str, Any]]:
    """``data/questions.json`` as {number: {"notebook", "options", "multi", "topic"}}."""
    raw = json.loads((paths.DATA / "questions.json").read_text(encoding="utf-8"))
    return {int(k): v for k, v in raw.items()}


def normalize(letters: str) -> str:
    """``" c,a "`` -> ``"AC"``: upper case, sorted, separators and spaces dropped."""
    return "".join(sorted({ch for ch in letters.upper() if ch.isalpha()}))


def check(number: int, letters: str) -> str:
    """Validate one answer; return it normalized, or raise ValueError saying what is wrong."""
    table = questions()
    if not isinstance(number, int) or number not in table:
        raise ValueError(f"there is no question {number!r}; questions are numbered {min(table)}..{max(table)}.")
    if not isinstance(letters, str):
        raise ValueError(f'write the answer as letters in quotes, e.g. answer({number}, "B").')
    info = table[number]
    picked = normalize(letters)
    invalid = sorted(set(picked) - set(info["options"]))
    if not picked or invalid:
        raise ValueError(f"question {number} has options {', '.join(info['options'])}; {letters!r} is not one of them.")
    if len(picked) > 1 and not info["multi"]:
        raise ValueError(f"question {number} takes one letter; you gave {picked}.")
    return picked


class Recorded(str):
    """The answer as a string, shown in a notebook only through the printed feedback (no ``Out:`` line)."""

    def _ipython_display_(self) -> None:
        pass


def answer(number: int, letters: str) -> str:
    """Record a student's answer to question ``number`` and confirm it (never says right or wrong)."""
    info = questions().get(number) if isinstance(number, int) else None
    kind = "one or more letters" if info and info["multi"] else "one letter"
    if info and isinstance(letters, str) and not letters.strip():
        print(
            f"Not recorded yet: Q{number} is unanswered; write {kind} from {info['options']} "
            "between the quotes and run this cell."
        )
        return Recorded("")
    try:
        picked = check(number, letters)
    except ValueError as err:
        print(f"Not recorded: {err}")
        return Recorded("")
    print(
        f"Recorded Q{number}: {picked} ({kind} from {info['options']}). "
        "Your instructor grades the saved notebook, so save it after answering."
    )
    return Recorded(picked)
