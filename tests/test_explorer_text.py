"""The BERT lessons' text explorers without a browser: typed text -> the lesson library's call -> the figure,
and typing mistakes as messages in the panel (on the packaged offline model)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.bert_models import LoadedBert, load_bert
from helpers.embeddings import word_vectors
from helpers.explorer.text import explore_question, explore_senses, parse_senses


@pytest.fixture(scope="module")
def packaged() -> LoadedBert:
    return load_bert(None, device="cpu", verbose=False)


def test_the_question_explorer_redraws_for_a_new_head_and_reports_an_empty_question(packaged) -> None:
    explorer = explore_question(packaged, "tesla", layer=2, head=1, threaded=False)
    first = bytes(explorer.figure.value)
    assert "layer 2, head 1" in explorer.status.value and explorer.static_png.startswith(b"\x89PNG")
    explorer.controls["head"].value = 3
    assert "layer 2, head 3" in explorer.status.value and bytes(explorer.figure.value) != first
    shown = bytes(explorer.figure.value)
    explorer.controls["question"].value = "   "
    assert "expected a non-empty sentence" in explorer.status.value and bytes(explorer.figure.value) == shown
    explorer.controls["question"].value = "Where did Tesla move?"
    assert "drawn in" in explorer.status.value and bytes(explorer.figure.value) != shown


def test_typed_sentences_follow_the_word_the_student_names(packaged) -> None:
    text = "fruit: I ate an apple today\n\ncompany: Apple sells phones\nno sense given, an apple"
    sentences = parse_senses(packaged, text, "apple")
    assert [s.sense for s in sentences] == ["fruit", "company", "?"]
    _, picked = word_vectors(packaged, sentences)  # the tokens the explorer compares
    assert [s.word_index for s in sentences] == [3, 0, 5] and picked == ["apple"] * 3
    with pytest.raises(ValueError, match="line 2 does not contain the word 'pear'"):
        parse_senses(packaged, "fruit: a pear\ncompany: apple", "pear")
    with pytest.raises(ValueError, match="at least two sentences"):
        parse_senses(packaged, "fruit: an apple", "apple")


def test_the_senses_explorer_redraws_and_measures_the_lessons_senses(packaged) -> None:
    explorer = explore_senses(packaged, layer=3, threaded=False)
    assert "in 10 sentences at layer 3" in explorer.status.value and "between/within" in explorer.status.value
    first = bytes(explorer.figure.value)
    explorer.controls["metric"].value = "cosine"
    assert bytes(explorer.figure.value) != first
    explorer.controls["sentences"].value = "a: apple pie\nb: apple phone\nc: apple juice"
    assert "in 3 sentences" in explorer.status.value and "between/within" not in explorer.status.value
    explorer.controls["word"].value = "banana"
    assert "line 1 does not contain the word 'banana'" in explorer.status.value.replace("&#x27;", "'")


@pytest.mark.parametrize("words", [3, 10])
def test_the_senses_figure_keeps_its_colorbar_label_inside(words: int) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from helpers.explorer.text import pairwise_figure

    labels = [
        f"Imported apple gets artificial wax so that it keeps its moisture, line {i} (fruit)" for i in range(words)
    ]
    fig = pairwise_figure(np.random.default_rng(0).random((words, words)) * 9, labels, "euclidean", "apple", 3)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    label = fig.axes[-1].yaxis.label
    box = label.get_window_extent(canvas.get_renderer())
    assert label.get_text() == "Euclidean distance" and 0 <= box.x0 and box.x1 <= fig.bbox.width, box
