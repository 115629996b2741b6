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
from helpers.explorer.compat import labelled
from helpers.explorer.figure import to_png
from helpers.explorer.live import Drawn, LivePanel
from helpers.explorer.scheduler import Ticket
from helpers.qa import predict_span

WIDE = {"width": "95%"}
STYLE = {"description_width": "initial"}


class TextExplorer(LivePanel):
    """A panel of text boxes and sliders over one drawing function ``compute_text(values) -> Drawn``."""

    def __init__(
        self, controls: dict[str, widgets.Widget], compute_text: Callable[[dict], Drawn], threaded: bool = True
    ) -> None:
        super().__init__(threaded)
        self.controls, self.compute_text = controls, compute_text
        self.panel = widgets.VBox([*controls.values(), self.status_row, self.figure])
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
    text = {"continuous_update": False, "layout": WIDE, "style": STYLE}
    controls = {
        "question": widgets.Text(value=first.question, **text, **labelled("question")),
        "passage": widgets.Textarea(value=first.context, rows=5, **text, **labelled("passage")),
        "layer": widgets.IntSlider(value=layer, min=1, max=bert.num_layers, style=STYLE, **labelled("layer")),
        "head": widgets.IntSlider(value=head, min=0, max=bert.num_heads - 1, style=STYLE, **labelled("head")),
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

    labels = [f"{s.text} ({s.sense})" for s in sentences]
    return Drawn(
        status, lambda footnote: _with_footnote(pairwise_figure(matrix, labels, metric, picked[0], layer), footnote)
    )


def pairwise_figure(matrix: np.ndarray, labels: list[str], metric: str, word: str, layer: int) -> Figure:
    """The N x N comparison of the word's vectors, its colorbar's label inside the figure.

    "compressed" layout: "constrained" lays out the square heatmap's box as if it filled its cell, and
    puts the colorbar label past the right edge when the sentences are long.
    """
    side = 0.75 * len(labels) + 3
    fig = Figure(figsize=(max(10.0, side + 5), side + 1), layout="compressed")
    name = "Euclidean distance" if metric == "euclidean" else "cosine similarity"
    plot_pairwise(matrix, labels, metric, title=f"'{word}' at layer {layer}: {name}", ax=fig.subplots())
    return fig


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
    text = {"continuous_update": False, "style": STYLE}
    first = bert.num_layers if layer is None else layer
    controls = {
        "sentences": widgets.Textarea(value=lines, rows=10, layout=WIDE, **text, **labelled("sense: sentence")),
        "word": widgets.Text(value=word, **text, **labelled("word")),
        "layer": widgets.IntSlider(value=first, min=0, max=bert.num_layers, style=STYLE, **labelled("layer")),
        "metric": widgets.ToggleButtons(options=METRICS, value=metric, style=STYLE, **labelled("metric")),
    }
    return TextExplorer(controls, lambda values: senses_figure(bert, values), threaded)
