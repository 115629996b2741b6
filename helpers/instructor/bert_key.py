"""Instructor side (keep out of the student release): the answers to the BERT questions 21-28.

The measured questions (21, 22, 24-27) are answered by ``measured_answers``: it runs the same
measurements the notebooks' evidence cells print, on the notebooks' default settings, and maps each to a
letter with the simple rules below (the options as the notebooks print them). The conceptual questions
(23, 28) have the same answer for every BERT. ``python -m helpers.instructor.bert_key`` derives the answers on the
offline models the notebooks fall back to (the packaged model; for question 24 the bundle's QA fine-tune of
it, :func:`helpers.qa.load_bundle_qa`) and merges them into ``data/keys/embedded.json`` (and the conceptual
ones into ``course.json``), keeping every other entry; ``tests/test_bert.py`` re-derives them. The course key's
measured answers need the course's models: ``measured_answers(load_bert("bert-base-uncased"),
load_bert("<a QA-finetuned BERT>", task="qa"), load_bert("bert-base-chinese"))``, online.
"""

from __future__ import annotations

import numpy as np

from helpers.bert_examples import COREFERENCE


def depth_option(layer: int, layers: int) -> str:
    """Where layer ``layer`` of 0..``layers`` sits, as the quiz's options name it:
    A = layer 0 (input embeddings), B = lower half (1..L//2), C = upper half but not the last, D = last."""
    if not 0 <= layer <= layers:
        raise ValueError(f"layer {layer} is outside 0..{layers}.")
    return "A" if layer == 0 else "B" if layer <= layers // 2 else "D" if layer == layers else "C"


def third_option(layer: int, layers: int) -> str:
    """A = lower third, B = middle third, C = upper third of layers 1..``layers``."""
    if not 1 <= layer <= layers:
        raise ValueError(f"layer {layer} is outside 1..{layers}.")
    return "ABC"[(layer - 1) * 3 // layers]


def trend_option(values, flat: float = 0.05) -> str:
    """Shape of a curve: A = rises, B = falls, C = flat (range < ``flat``), D = falls then rises again."""
    values = np.asarray(values, dtype=float)
    low = int(values.argmin())
    if values.max() - values.min() < flat:
        return "C"
    if 0 < low < len(values) - 1 and min(values[0], values[-1]) - values[low] >= flat:
        return "D"
    return "A" if values[-1] > values[0] else "B"


def measured_answers(attention_bert, qa_bert, apple_bert) -> dict[int, str]:
    """The answers to the measured questions 21, 22, 24, 25, 26 and 27 for the given models, derived
    from the objects the notebooks' evidence cells print, on their default settings (the course's
    coreference sentence, the three QA examples, Euclidean distance, the word 蘋 / "apple", the last
    layer for question 25)."""
    from helpers.attention import attention_maps, coreference, pattern_summary
    from helpers.embeddings import sense_vectors
    from helpers.qa_layers import qa_study

    tokens, maps = attention_maps(attention_bert, COREFERENCE["sentence"])
    pattern = pattern_summary(maps, tokens).dominant
    answers = {21: {"special": "A", "self": "B", "neighbour": "C", "other": "D"}[pattern]}
    coref = coreference(attention_bert, **COREFERENCE)
    answers[22] = third_option(coref.best[0], coref.scores.shape[0]) if coref.scores.max() > 0 else "D"
    separation = qa_study(qa_bert).separation()
    answers[24] = depth_option(separation.peak, separation.layers[-1])
    words = sense_vectors(apple_bert, progress=False)
    sep = words.separation("euclidean")
    fruit, company = sep.within_fruit[-1] < sep.between[-1], sep.within_company[-1] < sep.between[-1]
    answers[25] = "A" if fruit and company else "B" if fruit else "C" if company else "D"
    answers[26] = depth_option(int(sep.ratio.argmax()), len(sep.ratio) - 1)
    answers[27] = trend_option(words.pair_trend().mean)
    return dict(sorted(answers.items()))


#: Answers that hold for every BERT: Q23 is what van Aken et al. (2019) report; Q28 follows from BERT's
#: input layer (token + position + segment embeddings, then LayerNorm).
CONCEPTUAL_ANSWERS = {23: "A", 28: "B"}


def write_keys() -> dict[int, str]:
    """Derive the BERT questions' answers on the offline models and merge them, with the
    conceptual ones, into ``data/keys/embedded.json``; the conceptual ones also into ``course.json``.

    The measured answers for the course's models (bert-base-chinese, a QA-finetuned BERT) come from
    ``measured_answers`` run on those models, online.
    """
    from helpers.bert_models import load_bert
    from helpers.instructor.keys import write_key
    from helpers.qa import load_bundle_qa

    bert = load_bert(None, verbose=False)
    answers = {**measured_answers(bert, load_bundle_qa("cpu"), bert), **CONCEPTUAL_ANSWERS}
    answers = dict(sorted(answers.items()))
    write_key("embedded", "embedded", None, answers)
    write_key("course", "course", None, CONCEPTUAL_ANSWERS)
    return answers


if __name__ == "__main__":
    print(write_keys())
