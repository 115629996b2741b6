"""The bundle's QA fine-tune: its generated data (deterministic, held-out templates, none of the course's
examples), the committed adapter file (hash, size, refused when changed), its held-out scores and its
answers to the course's three examples, the order in which a QA model is chosen, and ``train-qa``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import torch

from helpers import qa
from helpers.bert_examples import QA
from helpers.bert_models import LoadedBert, ModelUnavailable
from helpers.bundle import qa_data
from helpers.bundle.train_qa import evaluate
from helpers.files import sha256_of


@pytest.fixture(scope="module")
def bundle_qa() -> LoadedBert:
    return qa.load_bundle_qa("cpu")


# --- the generated data ------------------------------------------------------------------------------


def test_examples_are_deterministic_spans_of_every_kind() -> None:
    first, again = qa_data.make_examples(140, "train", seed=3), qa_data.make_examples(140, "train", seed=3)
    assert first == again and first != qa_data.make_examples(140, "train", seed=4)
    assert {x.kind for x in first} == set(qa_data.KIND_NAMES)
    for x in first + qa_data.make_examples(70, "heldout"):
        assert x.context[x.answer_start : x.answer_start + len(x.answer)] == x.answer
        assert x.question.endswith(("?", ".")) and len(x.context.split(". ")) >= 2
    starts = [x.answer_start / len(x.context) for x in first]
    assert min(starts) < 0.1 and max(starts) > 0.7  # answers at varied positions


def test_heldout_templates_are_never_used_for_training() -> None:
    for name, kind in qa_data.KINDS.items():
        assert len(kind.facts["train"]) >= 3 and len(kind.questions["train"]) >= 2, name
        assert not set(kind.facts["train"]) & set(kind.facts["heldout"]), name
        assert not set(kind.questions["train"]) & set(kind.questions["heldout"]), name
    assert not set(qa_data.RELATIONS["train"]) & set(qa_data.RELATIONS["heldout"])
    train_questions = {x.question for x in qa_data.make_examples(700, "train")}
    heldout = qa_data.make_examples(140, "heldout")
    assert not {x.question for x in heldout} & train_questions


def _ngrams(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_the_course_examples_are_not_in_the_data() -> None:
    items = qa_data.make_examples(3000, "train") + qa_data.make_examples(700, "heldout")
    text = " ".join(f"{x.question} {x.context}" for x in items).lower()
    assert [w for w in qa_data.COURSE_WORDS if w in text] == []
    assert not any(x.question.startswith("In what year") or "common" in x.question for x in items)
    course = set().union(*(_ngrams(f"{ex.question} {ex.context}") for ex in QA["en"]))
    assert not course & _ngrams(text)


# --- the committed adapter ---------------------------------------------------------------------------


def test_committed_adapter_is_small_and_matches_its_hash() -> None:
    assert qa.ADAPTER_FILE.stat().st_size < 5_000_000
    assert sha256_of(qa.ADAPTER_FILE) == qa.ADAPTER_SHA256


def test_a_changed_adapter_is_refused(tmp_path: Path) -> None:
    changed = tmp_path / "qa.pt"
    shutil.copyfile(qa.ADAPTER_FILE, changed)
    with changed.open("r+b") as f:
        f.seek(-100, 2)
        byte = f.read(1)
        f.seek(-100, 2)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        qa.load_bundle_qa("cpu", changed)
    with pytest.raises(ModelUnavailable, match="train-qa"):
        qa.load_bundle_qa("cpu", tmp_path / "missing.pt")


@pytest.mark.slow
def test_heldout_templates_score_at_least_70_f1(bundle_qa: LoadedBert) -> None:
    scores = evaluate(bundle_qa, qa_data.make_examples(210, "heldout"))
    print(scores)
    assert scores.f1 >= 70 and scores.count == 210


def test_the_course_examples_are_answered(bundle_qa: LoadedBert) -> None:
    said = {ex.name: qa.predict_span(bundle_qa, ex.question, ex.context) for ex in QA["en"]}
    assert {k: qa.normalize_answer(v) for k, v in said.items()} == {
        "tesla": "1856",
        "detention": "detention",
        "afraid": "cats",
    }


# --- choosing a QA model -----------------------------------------------------------------------------


def test_offline_the_bundle_fine_tune_is_chosen_and_said(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    bert = qa.load_qa_model("no-such-org/no-such-qa-bert", device="cpu")
    out = capsys.readouterr().out
    assert bert.qa_finetuned and bert.name == qa.BUNDLE_NAME
    assert "the bundle's QA fine-tune" in out and "no-such-org/no-such-qa-bert" in out and "HF_HUB_OFFLINE" in out
    monkeypatch.setattr(qa, "ADAPTER_SHA256", "0" * 64)
    plain = qa.load_qa_model("no-such-org/no-such-qa-bert", device="cpu")
    out = capsys.readouterr().out
    assert not plain.qa_finetuned and "NOT fine-tuned" in out and "unusable" in out
    assert not qa.load_qa_model("packaged", device="cpu").qa_finetuned


def test_best_spans_stay_in_the_context_and_in_order() -> None:
    start = torch.tensor([[9.0, 0.0, 1.0, 5.0, 0.0]])
    end = torch.tensor([[9.0, 4.0, 0.0, 0.0, 3.0]])
    allowed = torch.tensor([[False, True, True, True, True]])
    s, e = qa.best_spans(start, end, allowed)
    assert (int(s), int(e)) == (3, 4)  # not (0, 0) outside the context, not (3, 1) backwards
    s, e = qa.best_spans(start, end, allowed, max_tokens=1)
    assert int(s) == int(e)


def test_scores_follow_squad() -> None:
    assert qa.exact_match("The Detention!", "detention") == 1.0
    assert qa.f1_score("stay at home today", "at home") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert qa.f1_score("", "") == 1.0 and qa.f1_score("x", "y") == 0.0


@pytest.mark.slow
def test_train_qa_command_writes_a_loadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpers.__main__ import main

    out = tmp_path / "qa.pt"
    assert main(["train-qa", "--steps", "2", "--batch-size", "4", "--eval-examples", "14", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    digest = re.search(r"SHA-256 ([0-9a-f]{64})", text).group(1)
    assert digest == sha256_of(out) and "exact match" in text and "tesla: " in text
    assert qa.load_bundle_qa("cpu", out, digest).qa_finetuned
