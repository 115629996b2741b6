"""The answer keys of questions 1-20: valid, faithful to the spec (course), derived from data (embedded)."""

from __future__ import annotations

import json
import re

import pytest
import torch
from test_notebooks import CNN_NOTEBOOKS, QUESTION_HEADING, parameters_of, read

from helpers import evidence as ev
from helpers.instructor import cnn_key as ak
from helpers.instructor.keys import AnswerKeyError, load_key
from helpers.questions import check, questions

#: The specification's answer for the course data, as a pattern that exactly the right option(s) match.
SPEC = {
    1: r"^On the food itself",
    2: r"^Some regions are (green|red)",  # some regions correlate positively, some negatively
    3: r"^Green: the region correlates positively",
    4: r"steak on the right is the main positive evidence",
    5: r"partial derivative of the loss with respect to the input",
    6: r"differ in scale between images",
    7: r"^A cube$",
    8: r"^Near the right edge",
    9: r"^Not clearly concentrated anywhere",
    10: r"averaging the saliency maps of many copies of the image with random noise",
    11: r"SmoothGrad's highlights sit closer to where the food is",
    12: r"contour \(rim\) of the soup bowl",
    13: r"highlights could not be seen",
    14: r"^Conv2d$",
    15: r"^Blurrier near the output, but the activated places are roughly similar",
    16: r"outline \(outer contour\)",
    17: r"^(Which parts of an image activate|What kind of image activates)",
    18: r"pixels of the steak itself",
    19: r"^No significant change",
    20: r"continuous series of samples between the baseline and the original image",
}


def option_texts() -> dict[int, dict[str, str]]:
    """{question: {letter: English option text}} as the notebooks print them."""
    out = {}
    for name in CNN_NOTEBOOKS:
        for cell in read(name).cells:
            if cell.cell_type == "markdown":
                for number in map(int, QUESTION_HEADING.findall(cell.source)):
                    out[number] = dict(re.findall(r"^- \*\*([A-D])\.\*\* (.+?)<br>", cell.source, re.M))
    return out


def test_course_key_follows_the_spec() -> None:
    texts = option_texts()
    key = ak.letters(ak.read_key("course"))
    for number, pattern in SPEC.items():
        matching = "".join(sorted(k for k, text in texts[number].items() if re.search(pattern, text)))
        assert matching, f"no option of question {number} states the spec's answer ({pattern})"
        assert key[number] == matching, f"question {number}: course key {key[number]}, spec's option(s) {matching}"


@pytest.mark.parametrize("name", ["course", "embedded"])
def test_keys_are_valid(name: str) -> None:
    stored = ak.read_key(name)
    assert stored["dataset"] and stored["description"]
    key = ak.letters(stored)
    assert set(range(1, 21)) <= set(key), f"{name} key lacks questions {sorted(set(range(1, 21)) - set(key))}"
    for number, letters in key.items():
        assert check(number, letters) == letters, f"{name} key, question {number}: {letters} is not normalized"
        assert stored["questions"][str(number)]["points"] > 0


def test_conceptual_answers_agree_across_keys() -> None:
    course, embedded = ak.letters(ak.read_key("course")), ak.letters(ak.read_key("embedded"))
    for number, letters in ak.CONCEPTUAL.items():
        assert course[number] == embedded[number] == letters
    assert set(ak.CONCEPTUAL) | set(ak.RULES) == set(range(1, 21))


def test_multi_select_questions_are_marked_multi() -> None:
    for name in ("course", "embedded"):
        for number, letters in ak.letters(ak.read_key(name)).items():
            if len(letters) > 1:
                assert questions()[number]["multi"]


@pytest.mark.parametrize("name", sorted(ak.COURSE_DEFAULTS))
def test_derivation_uses_the_notebooks_parameters(name: str) -> None:
    params = parameters_of(read(name))
    for knob, value in ak.COURSE_DEFAULTS[name].items():
        assert params[knob] == value, (
            f"{name}: the notebook has {knob} = {params[knob]!r}, the key derivation {value!r}"
        )


def test_write_key_keeps_other_entries(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("helpers.instructor.keys.KEYS_DIR", tmp_path)
    (tmp_path / "embedded.json").write_text(
        json.dumps(
            {
                "dataset": "embedded",
                "questions": {"21": {"answer": "C", "points": 2}, "3": {"answer": "A", "points": 1}},
            }
        )
    )
    ak.write_key("embedded", "embedded", "test", {3: "D", 4: "B"})
    stored = json.loads((tmp_path / "embedded.json").read_text())
    assert stored["questions"]["21"] == {"answer": "C", "points": 2}
    assert stored["questions"]["3"]["answer"] == "D" and stored["questions"]["4"]["answer"] == "B"
    assert list(stored["questions"]) == ["3", "4", "21"]


# ---------------------------------------------------------------------------------------------------
# The rules, on maps whose answer is known by construction


def regions(food: torch.Tensor, **parts: torch.Tensor) -> dict[str, torch.Tensor]:
    size = tuple(food.shape)
    return {
        "food": food,
        "background": ~food,
        "outline": ev.outline(food),
        "inside": ev.erode(food, 3),
        "border": ev.frame(size),
        **parts,
    }


def box(top: int, left: int, height: int, width: int, size: int = 128) -> torch.Tensor:
    mask = torch.zeros(size, size, dtype=torch.bool)
    mask[top : top + height, left : left + width] = True
    return mask


def test_locate_rules() -> None:
    food = box(40, 40, 48, 48)
    on_food = ev.where(food.double() + 0.01, regions(food))
    on_border = ev.where(ev.frame((128, 128)).double() + 0.01, regions(food))
    even = ev.where(torch.ones(128, 128), regions(food))
    assert (ak.rule_q1(on_food), ak.rule_q1(on_border), ak.rule_q1(even)) == ("B", "C", "D")
    assert (ak.rule_q9(on_food), ak.rule_q9(on_border), ak.rule_q9(even)) == ("A", "C", "D")
    ring = ev.outline(box(20, 20, 88, 88), 6) & ~ev.frame((128, 128))
    on_background = ev.where(ring.double(), regions(food))
    assert ak.rule_q1(on_background) == "A"


def test_lime_part_rule() -> None:
    steak, side = box(40, 80, 40, 30), box(40, 20, 40, 30)
    food = steak | side
    both = regions(food, steak=steak, side=side)
    assert ak.rule_q4(ev.where(steak.double(), both)) == "C"
    assert ak.rule_q4(ev.where(side.double(), both)) == "A"
    assert ak.rule_q4(ev.where(food.double(), both)) == "B"
    assert ak.rule_q4(ev.where((~food).double(), both)) == "D"
    assert ak.rule_q4(ev.where(torch.zeros(food.shape, dtype=torch.float64), both)) == "D"  # nothing green


def test_lime_region_count_rule() -> None:
    assert ak.rule_q2(3, 2) == "AB" and ak.rule_q2(3, 0) == "AC" and ak.rule_q2(0, 2) == "B"
    assert ak.rule_q2(0, 0) == "D"


def test_handle_rule() -> None:
    body, handle = box(30, 30, 70, 50), box(50, 90, 30, 15)
    parts = regions(body | handle, body=body, handle=handle)
    assert ak.rule_q8(ev.where((body | handle).double(), parts)) == "D"
    assert ak.rule_q8(ev.where(body.double() + 0.01, parts)) == "C"


def test_densest_region_rules() -> None:
    bowl = box(14, 14, 100, 100)
    soup = box(24, 24, 80, 80)
    rim = bowl & ~soup
    parts = regions(soup, rim=rim, soup=soup)
    assert ak.rule_q12(ev.where(rim.double() + 0.01, parts)) == "C"
    assert ak.rule_q12(ev.where(soup.double() + 0.01, parts)) == "A"
    assert ak.rule_q12(ev.where(torch.ones(128, 128), parts)) == "D"
    jug = box(30, 30, 60, 60)
    assert ak.rule_q16(ev.where(ev.outline(jug).double() + 0.01, regions(jug))) == "A"
    assert ak.rule_q16(ev.where(ev.erode(jug, 3).double() + 0.01, regions(jug))) == "B"


def test_layer_and_steps_rules() -> None:
    gen = torch.Generator().manual_seed(0)
    places = ev.upsample(torch.rand(4, 8, 8, generator=gen), (64, 64)).float()
    shallow = places + 0.3 * torch.rand(4, 64, 64, generator=gen)
    deep = torch.nn.functional.avg_pool2d(shallow[:, None], 4)[:, 0]
    assert ak.rule_q15(ev.compare_layers(shallow, deep, size=(64, 64))) == "B"
    assert ak.rule_q15(ev.compare_layers(shallow, torch.rand(4, 16, 16, generator=gen), size=(64, 64))) == "D"
    maps = torch.rand(3, 32, 32, generator=gen)
    assert ak.rule_q19(ev.compare_settings({"10": maps, "100": maps * 1.1})) == "C"
    assert ak.rule_q19(ev.compare_settings({"10": maps, "100": 1 - maps})) == "B"
    assert ak.rule_q14(torch.nn.Conv2d(3, 3, 3)) == "B" and ak.rule_q14(torch.nn.ReLU()) == "A"


def test_shares_rule() -> None:
    shares = ev.FoodShares({"saliency": [0.2, 0.3], "SmoothGrad": [0.4, 0.5]}, [0.2, 0.2], [0, 1])
    assert ak.rule_q11(shares) == "A"
    shares = ev.FoodShares({"saliency": [0.3], "SmoothGrad": [0.3]}, [0.2], [0])
    assert ak.rule_q11(shares) == "C"


# ---------------------------------------------------------------------------------------------------
# The embedded key, derived again from the data


@pytest.mark.slow
def test_embedded_key_is_derived_from_the_data(course_run) -> None:
    derived = ak.derive_embedded_key(run=course_run)  # the session's one run of the methods (conftest.py)
    stored = ak.letters(ak.read_key("embedded"))
    differ = {q: (stored.get(q), derived[q]) for q in derived if stored.get(q) != derived[q]}
    assert not differ, (
        f"data/keys/embedded.json disagrees with the measurements (stored, derived): {differ}; "
        "rerun helpers.instructor.cnn_key.write_embedded_key() if the data or checkpoint changed "
        "on purpose"
    )
    # Each answer that differs from the course's carries a note for instructors, and only those do.
    course = ak.letters(ak.read_key("course"))
    noted = {int(q) for q, e in ak.read_key("embedded")["questions"].items() if e.get("note")}
    assert noted == {q for q in derived if q in course and course[q] != derived[q]}


def test_key_notes_are_kept_validated_and_shown_in_the_report(tmp_path) -> None:
    from helpers.instructor.grading.outputs import report_md

    path = tmp_path / "k.json"
    path.write_text('{"questions": {"1": {"answer": "B", "points": 1, "note": "measured: 2.1x on the food"}}}')
    key = load_key(path)
    assert key["questions"][1] == {"answer": "B", "points": 1.0, "note": "measured: 2.1x on the food"}
    assert "- Q1: measured: 2.1x on the food" in report_md([], key, partial_credit=False, seconds=0.1)
    path.write_text('{"questions": {"1": {"answer": "B", "points": 1, "note": 3}}}')
    with pytest.raises(AnswerKeyError, match='"note" must be text'):
        load_key(path)
