"""The BERT lessons' explorers: type your own text and the lessons' figures redraw.

- :func:`explore_question` (lesson 06): a question and a passage; the QA model's answer and the attention
  of any layer and head over the pair, drawn by :func:`helpers.attention.plot_attention`.
- :func:`explore_senses` (lesson 07): sentences that use one word in different senses (``sense: sentence``
  per line); the word's vectors at any layer compared pairwise, drawn by
  :func:`helpers.embeddings.plot_pairwise`, with the lesson's between/within-sense ratio when the senses are
  the lesson's ``fruit`` and ``company``.

The text is read when a box loses focus or Enter is pressed (not at every key), and the newest setting
wins, as in the CNN explorer (:mod:`helpers.explorer.live`).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from helpers.attention import attention_maps, plot_attention
from helpers.bert_examples import APPLE, SenseSentence, qa_examples
from helpers.embeddings import METRICS, pairwise, plot_pairwise, separation_by_layer, word_vectors
from helpers.explorer.figure import to_png
from helpers.explorer.live import Drawn, LivePanel
from helpers.explorer.scheduler import Ticket
from helpers.qa import predict_span

WIDE = {"width": "95%"}


class TextExplorer(LivePanel):
    """A panel of text boxes and sliders over one drawing function ``compute_text(values) -> Drawn``."""

    def __init__(
        self, controls: dict[str, widgets.Widget], compute_text: Callable[[dict], Drawn], threaded: bool = True
    ) -> None:
        super().__init__(threaded)
        self.controls, self.compute_text = controls, compute_text
        self.panel = widgets.VBox([*controls.values(), widgets.HBox([self.progress, self.status]), self.figure])
        self.panel.add_class("hw9-explorer")
        for control in controls.values():
            control.observe(lambda _: self.refresh(), "value")
        self.start()

    def request(self) -> tuple[tuple[str, object], ...]:
        return tuple((name, control.value) for name, control in self.controls.items())

    def compute(self, request: tuple, ticket: Ticket | None) -> Drawn:
        return self.compute_text(dict(request))


def _with_footnote(fig: Figure, footnote: str) -> bytes:
    if footnote:
        fig.supxlabel(footnote, fontsize=8.5)
    return to_png(fig)


# ---- lesson 06: a question and a passage -------------------------------------------------------------


def question_figure(bert, values: dict) -> Drawn:
    """The QA model's answer to ``values["question"]`` in ``values["passage"]`` and one head's attention."""
    question, passage, layer, head = (values[k] for k in ("question", "passage", "layer", "head"))
    tokens, maps = attention_maps(bert, question, pair=passage)
    answer = predict_span(bert, question, passage)
    said = f"answer: {answer!r}" if answer is not None else "answer: none (this model has no trained QA head)"

    def draw(footnote: str) -> bytes:
        side = min(13.0, max(7.0, 0.26 * len(tokens) + 2))  # at least 850 pixels wide
        fig = Figure(figsize=(side + 1.5, side + 0.6), layout="constrained")
        plot_attention(maps, tokens, layer, head, ax=fig.subplots())
        fig.suptitle(f"Q: {question}\n{said}", fontsize=10)
        return _with_footnote(fig, footnote)

    return Drawn(f"{said}; {len(tokens)} tokens, layer {layer}, head {head}", draw)


def explore_question(
    bert, example: str | None = None, layer: int = 1, head: int = 0, threaded: bool = True
) -> TextExplorer:
    """Type a question and a passage: the QA model's answer and its attention over both, any layer and head.

    Args:
        bert: a QA model (:func:`helpers.qa.load_qa_model`), or any BERT for the attention alone.
        example: the name of the lesson's QA example to start from (default: the first in the model's
            language), e.g. ``"tesla"``.
        layer, head: the head shown first (layer 1 = the first Transformer layer, head 0-based).
    """
    first = qa_examples(bert.language, None if example is None else [example])[0]
    style = {"description_width": "initial"}
    controls = {
        "question": widgets.Text(
            value=first.question, description="question", continuous_update=False, layout=WIDE, style=style
        ),  # fmt: skip
        "passage": widgets.Textarea(
            value=first.context, description="passage", continuous_update=False, rows=5, layout=WIDE, style=style
        ),  # fmt: skip
        "layer": widgets.IntSlider(value=layer, min=1, max=bert.num_layers, description="layer", style=style),
        "head": widgets.IntSlider(value=head, min=0, max=bert.num_heads - 1, description="head", style=style),
    }
    return TextExplorer(controls, lambda values: question_figure(bert, values), threaded)


# ---- lesson 07: one word in different senses ------------------------------------------------------------


def parse_senses(bert, text: str, word: str) -> list[SenseSentence]:
    """``sense: sentence`` lines (the sense is optional) as sentences with the word index of ``word``."""
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        sense, _, sentence = line.partition(":") if ":" in line else ("", "", line)
        sentence, sense = sentence.strip(), sense.strip() or "?"
        at = sentence.lower().find(word.lower())
        if not word or at < 0:
            raise ValueError(f"line {number} does not contain the word {word!r}: {line!r}. Use it in every line.")
        index = bert.encode(sentence).char_to_word(at)
        if index is None:
            raise ValueError(f"line {number}: the tokenizer gives {word!r} no word of its own in {sentence!r}.")
        found.append(SenseSentence(sentence, index, sense))
    if len(found) < 2:
        raise ValueError("type at least two sentences, one per line, e.g. 'fruit: I ate an apple'.")
    return found


def senses_figure(bert, values: dict) -> Drawn:
    """The word's vectors in the typed sentences, compared pairwise at one layer."""
    sentences = parse_senses(bert, values["sentences"], values["word"].strip())
    vectors, picked = word_vectors(bert, sentences)
    layer, metric = min(values["layer"], vectors.shape[0] - 1), values["metric"]
    matrix = pairwise(vectors[layer], metric)
    senses = [s.sense for s in sentences]
    status = f"'{picked[0]}' in {len(sentences)} sentences at layer {layer}"
    if {"fruit", "company"} == set(senses) and min(senses.count("fruit"), senses.count("company")) >= 2:
        ratio = separation_by_layer(vectors, senses, metric).ratio
        status += f"; between/within-sense distance {ratio[layer]:.2f} (largest at layer {int(np.argmax(ratio))})"

    def draw(footnote: str) -> bytes:
        side = 0.75 * len(sentences) + 3
        fig = Figure(figsize=(max(10.0, side + 5), side + 1), layout="constrained")
        name = "Euclidean distance" if metric == "euclidean" else "cosine similarity"
        labels = [f"{s.text} ({s.sense})" for s in sentences]
        plot_pairwise(matrix, labels, metric, title=f"'{picked[0]}' at layer {layer}: {name}", ax=fig.subplots())
        return _with_footnote(fig, footnote)

    return Drawn(status, draw)


def explore_senses(
    bert, character: str = "蘋", layer: int | None = None, metric: str = "euclidean", threaded: bool = True
) -> TextExplorer:
    """Type sentences that use one word in different senses: the word's vectors compared at any layer.

    Args:
        bert: the lesson's model (:func:`helpers.bert_models.load_bert`).
        character: the word to follow with a Chinese model (蘋 or 果); an English model follows "apple".
        layer: the layer shown first (None = the last, 0 = the input embeddings).
        metric: "euclidean" or "cosine".
    """
    word = character if bert.language == "zh" else "apple"
    lines = "\n".join(f"{s.sense}: {s.text}" for s in APPLE[bert.language])
    style = {"description_width": "initial"}
    controls = {
        "sentences": widgets.Textarea(
            value=lines, description="sense: sentence", continuous_update=False, rows=10, layout=WIDE, style=style
        ),  # fmt: skip
        "word": widgets.Text(value=word, description="word", continuous_update=False, style=style),
        "layer": widgets.IntSlider(
            value=bert.num_layers if layer is None else layer,
            min=0,
            max=bert.num_layers,
            description="layer",
            style=style,
        ),  # fmt: skip
        "metric": widgets.ToggleButtons(options=METRICS, value=metric, description="metric", style=style),
    }
    return TextExplorer(controls, lambda values: senses_figure(bert, values), threaded)
