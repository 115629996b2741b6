"""How a question-answering BERT's hidden states move layer by layer (van Aken et al. 2019).

van Aken, Winter, Löser and Gers, "How Does BERT Answer Questions? A Layer-Wise Analysis of Transformer
Representations" (CIKM 2019, arXiv:1909.04925), which the course's figures come from, feed question and
context together, project every layer's token vectors to 2-D, and see the answer tokens separate from the
rest in the upper layers, after a phase where the question is matched with its supporting facts.

- ``qa_hidden_states``: one example's token vectors at every layer, each token labelled question /
  context / answer / special, with the context sentence it belongs to.
- ``plot_qa_layers``: one PCA panel per layer.
- ``answer_separation`` (answer-to-rest distance over rest-to-rest distance, per layer) and
  ``question_matching`` (question-to-other-sentences over question-to-supporting-sentence distance).
- ``qa_study``: all of it for a list of examples, as a :class:`QAStudy` that prints and plots itself;
  the notebook and the answer key both use it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers import fonts
from helpers.bert_examples import QAExample, qa_examples
from helpers.embeddings import LayerCurves, euclidean_distances

#: A sentence ends at . ! ? (or their full-width forms) followed by a space or the end of the text.
SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


@dataclass
class QAStates:
    """Hidden states of one QA example."""

    tokens: list[str]  # T
    roles: list[str]  # T: "question", "context", "answer" or "special"
    sentences: list[int]  # T: index of the context sentence holding the token, -1 outside the context
    states: np.ndarray  # (L+1) x T x D
    supporting: int  # index of the context sentence holding the answer


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans (start, end) of the sentences of ``text``."""
    cuts = [0] + [m.end() for m in SENTENCE_END.finditer(text) if 0 < m.end() < len(text)] + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def qa_hidden_states(bert, example: QAExample) -> QAStates:
    """Tokenize question + context, run the model, and label each token's role and sentence.

    A context token is an answer token when its character span overlaps the answer's span.
    """
    encoding = bert.encode(example.question, example.context, offsets=True)
    output = bert.forward(encoding)
    start, end = example.answer_start, example.answer_start + len(example.answer)
    spans = sentence_spans(example.context)
    roles, sentences = [], []
    for seq, (a, b) in zip(encoding.sequence_ids(0), encoding["offset_mapping"][0].tolist(), strict=True):
        roles.append(
            "special" if seq is None else "question" if seq == 0 else "answer" if a < end and b > start else "context"
        )
        sentences.append(next((k for k, (s, e) in enumerate(spans) if s <= a < e), -1) if seq == 1 else -1)
    if "answer" not in roles:
        raise ValueError(
            f"example {example.name!r}: no token covers the answer {example.answer!r} (was the context truncated?)."
        )
    tokens = bert.tokenizer.convert_ids_to_tokens(encoding["input_ids"][0].tolist())
    states = torch.stack([h[0] for h in output.hidden_states]).float().cpu().numpy()
    supporting = next(k for k, (s, e) in enumerate(spans) if s <= start < e)
    return QAStates(tokens, roles, sentences, states, supporting)


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """N x D -> N x 2: the coordinates on the two first principal components (as scikit-learn's PCA gives,
    up to the sign of each axis; each axis is turned so that its largest coordinate is positive).

    Computed from the N x N Gram matrix of the centred vectors (its eigenvectors times the square roots
    of its eigenvalues are the principal coordinates): with N tokens far fewer than D dimensions this is
    cheaper than an SVD, and it needs no LAPACK threads, which a busy shared CPU makes slow.
    """
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(axis=0)
    values, axes = np.linalg.eigh(x @ x.T)  # ascending eigenvalues
    coords = axes[:, [-1, -2]] * np.sqrt(np.clip(values[[-1, -2]], 0, None))
    return coords * np.sign(coords[np.abs(coords).argmax(axis=0), [0, 1]])


_STYLE = {
    "answer": dict(c="tab:blue", marker="D", s=46, zorder=3),
    "question": dict(c="tab:red", marker="o", s=22, zorder=2),
    "context": dict(c="tab:green", marker="o", s=14, zorder=1),
}


def plot_qa_layers(qa: QAStates, title: str = "", columns: int = 4, labels: bool = True) -> plt.Figure:
    """One panel per layer: PCA of that layer's token vectors (special tokens skipped).

    Answer tokens are blue diamonds, question tokens red, context tokens green; each point is
    labelled with its token. PCA is fitted per layer, so axes are not comparable between panels.
    """
    keep = np.array([i for i, r in enumerate(qa.roles) if r != "special"])
    roles = np.array(qa.roles)[keep]
    layers = qa.states.shape[0]
    rows = -(-layers // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 4.2 * rows), squeeze=False, constrained_layout=True)
    family = fonts.families()
    for layer, ax in enumerate(axes.flat):
        if layer >= layers:
            ax.axis("off")
            continue
        points = pca_2d(qa.states[layer, keep])
        for role, style in _STYLE.items():
            if (roles == role).any():
                ax.scatter(points[roles == role, 0], points[roles == role, 1], label=role, **style)
        if labels:
            for k, i in enumerate(keep):
                label = ax.annotate(
                    qa.tokens[i],
                    points[k],
                    fontsize=6,
                    xytext=(2, 2),
                    textcoords="offset points",
                    color=_STYLE[qa.roles[i]]["c"],
                    fontfamily=family,
                )
                label.set_in_layout(False)  # hundreds of labels: the layout need not measure them
        ax.set_title("layer 0 (input embeddings)" if layer == 0 else f"layer {layer}", fontsize=10)
        ax.set_xlabel("PC 1", fontsize=8)
        ax.set_ylabel("PC 2", fontsize=8)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=8, loc="best")
    if title:
        fig.suptitle(title, fontsize=12, fontfamily=family)
    return fig


def _mean_distance_ratio(states: np.ndarray, near: np.ndarray, far: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Per layer: mean distance between token sets ``near`` and ``far`` over the mean distance within
    ``among`` (index arrays into T), for states (L+1) x T x D."""
    ratios = []
    for layer in states:
        d = euclidean_distances(layer)
        inner = d[np.ix_(among, among)][np.triu_indices(len(among), 1)]
        ratios.append(d[np.ix_(near, far)].mean() / inner.mean())
    return np.array(ratios)


def answer_separation(qa: QAStates) -> np.ndarray:
    """Per layer (L+1): mean distance from answer tokens to the other non-special tokens, divided by
    the mean distance among those other tokens. Above 1 = the answer stands apart; the ratio removes
    the growth of vector norms with depth."""
    roles = np.array(qa.roles)
    answer = np.flatnonzero(roles == "answer")
    rest = np.flatnonzero((roles == "question") | (roles == "context"))
    return _mean_distance_ratio(qa.states, answer, rest, rest)


def question_matching(qa: QAStates) -> np.ndarray:
    """Per layer (L+1): mean distance from the question's tokens to the context's *other* sentences,
    divided by their mean distance to the supporting sentence (the one holding the answer). Above 1 = the
    question sits closer to its supporting fact. NaN when the context has a single sentence."""
    roles, sentences = np.array(qa.roles), np.array(qa.sentences)
    question = np.flatnonzero(roles == "question")
    support = np.flatnonzero(sentences == qa.supporting)
    other = np.flatnonzero((sentences >= 0) & (sentences != qa.supporting))
    if not len(other):
        return np.full(qa.states.shape[0], np.nan)
    ratios = []
    for layer in qa.states:
        d = euclidean_distances(layer)
        ratios.append(d[np.ix_(question, other)].mean() / d[np.ix_(question, support)].mean())
    return np.array(ratios)


@dataclass
class QAStudy:
    """The QA examples run through one model: hidden states, its own answers, and the per-layer curves."""

    model: str
    examples: tuple[QAExample, ...]
    states: dict[str, QAStates]
    predicted: dict[str, str | None]  # the model's answer span per example (None without a QA head)

    def __str__(self) -> str:
        lines = [f"{len(self.examples)} examples on {self.model}:"]
        for ex in self.examples:
            said = self.predicted[ex.name]
            lines.append(
                f"{ex.name}: Q: {ex.question}  A: {ex.answer!r}"
                + (f"; the model answers {said!r}" if said is not None else "; (no QA head, no answer)")
            )
        return "\n".join(lines)

    __repr__ = __str__

    def plot(self) -> list[plt.Figure]:
        """One PCA grid per example (in a notebook every one is shown)."""
        return [
            plot_qa_layers(self.states[ex.name], title=f"{ex.name}: {ex.question} (answer: {ex.answer})")
            for ex in self.examples
        ]

    def separation(self) -> LayerCurves:
        """Answer-to-rest over rest-to-rest distance per layer, for each example."""
        return LayerCurves(
            {name: answer_separation(s) for name, s in self.states.items()},
            "answer-to-rest / rest-to-rest distance",
            model=self.model,
            reference=1.0,
            title="How far the answer's vectors stand from the other tokens",
        )

    def matching(self) -> LayerCurves:
        """Question-to-other-sentences over question-to-supporting-sentence distance per layer."""
        return LayerCurves(
            {name: question_matching(s) for name, s in self.states.items()},
            "question-to-other / question-to-supporting distance",
            model=self.model,
            reference=1.0,
            title="How close the question sits to its supporting sentence",
        )


def qa_study(bert, names: Sequence[str] | None = None) -> QAStudy:
    """Run ``bert`` on the QA examples of its language (``names`` picks some, default all three)."""
    from helpers.qa import predict_span

    examples = qa_examples(bert.language, names)
    states = {ex.name: qa_hidden_states(bert, ex) for ex in examples}
    predicted = {ex.name: predict_span(bert, ex.question, ex.context) for ex in examples}
    return QAStudy(bert.name, examples, states, predicted)
