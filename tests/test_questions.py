"""``answer(N, "X")``: validates the form, gives feedback, never reveals the key."""

from __future__ import annotations

import pytest

from helpers import paths
from helpers.questions import answer, check, normalize, questions


def test_question_list_is_complete() -> None:
    table = questions()
    assert set(range(1, 21)) <= set(table)
    for info in table.values():
        assert info["options"] and info["options"].isupper()
        assert isinstance(info["multi"], bool) and info["notebook"][:2].isdigit()


def test_normalize() -> None:
    assert normalize(" c,a ") == "AC"
    assert normalize("bb") == "B"


def test_valid_answers(capsys) -> None:
    assert answer(7, "b") == "B"
    assert "Recorded Q7: B" in capsys.readouterr().out
    multi = next(n for n, q in questions().items() if q["multi"])
    assert answer(multi, "CA") == "AC"


@pytest.mark.parametrize(
    "number,letters,message",
    [
        (99, "A", "there is no question 99"),
        ("7", "A", "there is no question '7'"),
        (7, "E", "options A, B, C, D"),
        (7, "", "options A, B, C, D"),
        (7, "AB", "takes one letter"),
        (7, 2, "letters in quotes"),
    ],
)
def test_invalid_answers_are_explained(number, letters, message, capsys) -> None:
    with pytest.raises(ValueError, match=message):
        check(number, letters)
    assert answer(number, letters) == ""
    assert "Not recorded" in capsys.readouterr().out


def test_feedback_never_reveals_the_key(capsys) -> None:
    for n in questions():
        for letter in questions()[n]["options"]:
            answer(n, letter)
    out = capsys.readouterr().out.lower()
    assert "correct" not in out and "wrong" not in out and "right" not in out


def test_answer_works_without_any_key_file(monkeypatch, tmp_path, capsys) -> None:
    # The student bundle ships no keys: answer() must only need the question list.
    (tmp_path / "questions.json").write_text((paths.DATA / "questions.json").read_text())
    monkeypatch.setattr(paths, "DATA", tmp_path)
    questions.cache_clear()
    try:
        assert answer(3, "A") == "A"
    finally:
        questions.cache_clear()
