"""BERT's hidden states layer by layer: the 蘋果 / "apple" analysis, and per-layer curves.

- ``word_vectors``: the hidden state of one chosen *word* per sentence (word index -> its first token
  through the tokenizer's word-to-token mapping), at every layer; ``sense_vectors`` wraps them for the
  fruit / company sentences as a :class:`SenseVectors` that prints, plots and measures itself.
- ``euclidean_distances`` / ``cosine_similarities`` (ours, checked against scikit-learn in the tests),
  ``plot_pairwise`` (values in the cells, sentences as tick labels) and ``separation_by_layer``
  (within-sense vs. between-sense distance at each layer, Ethayarajh 2019, arXiv:1909.00512, measures
  contextuality the same way).
- ``LayerCurves`` / ``plot_by_layer``: any per-layer measurement as a printed table and as curves.

The question-answering pictures (PCA per layer) are in :mod:`helpers.qa_layers`.

Layers are counted as in ``hidden_states``: 0 = the input embeddings (token + position + segment,
after LayerNorm), 1..L = the outputs of the L Transformer layers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm.auto import tqdm

from helpers import fonts
from helpers.bert_examples import APPLE, TREND_PAIR, SenseSentence

METRICS = ("euclidean", "cosine")


def word_token(encoding, word_index: int, text: str = "") -> int:
    """Position of the first token of word ``word_index`` of a one-sentence encoding.

    Uses the tokenizer's own word-to-token mapping (BERT's pre-tokenizer makes each Chinese character
    a word, and splits punctuation from English words), so the index counts words as it does.
    """
    words = max((w for w in encoding.word_ids(0) if w is not None), default=-1) + 1
    if not isinstance(word_index, int) or not 0 <= word_index < words:
        raise ValueError(
            f"word index {word_index!r} is out of range: {text!r} has {words} words "
            "(0-based, as the tokenizer splits them)."
        )
    span = encoding.word_to_tokens(0, word_index)
    if span is None:
        raise ValueError(f"word {word_index} of {text!r} has no token (truncated?).")
    return span.start


def word_vectors(
    bert, sentences: Sequence[SenseSentence], offset: int = 0, progress: bool = False
) -> tuple[np.ndarray, list[str]]:
    """Hidden states of the chosen word in each sentence, at every layer.

    Args:
        sentences: each with the word index of the word to follow (蘋 / "apple").
        offset: added to each word index (1 follows 果 instead of 蘋).

    Returns:
        (L+1) x N x D array, and the N tokens found at those positions (to check the choice).
    """
    if not sentences:
        raise ValueError("expected at least one sentence.")
    vectors, picked = [], []
    for sentence in tqdm(sentences, desc="sentences", disable=not progress):
        encoding = bert.encode(sentence.text)
        position = word_token(encoding, sentence.word_index + offset, sentence.text)
        output = bert.forward(encoding)
        vectors.append(torch.stack([h[0, position] for h in output.hidden_states]).float().cpu().numpy())
        picked.append(bert.tokenizer.convert_ids_to_tokens(int(encoding["input_ids"][0, position])))
    return np.stack(vectors, axis=1), picked


def _as_matrix(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"expected an N x D array of vectors, got shape {x.shape}.")
    return x


def euclidean_distances(vectors: np.ndarray) -> np.ndarray:
    """N x D -> N x N with entry (i, j) = ||x_i - x_j||_2 (exact differences, not the dot-product
    expansion, so the diagonal is exactly 0)."""
    x = _as_matrix(vectors)
    return np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))


def cosine_similarities(vectors: np.ndarray) -> np.ndarray:
    """N x D -> N x N with entry (i, j) = x_i . x_j / (||x_i|| ||x_j||)."""
    x = _as_matrix(vectors)
    norms = np.linalg.norm(x, axis=1)
    if (norms == 0).any():
        raise ValueError(f"vectors {np.flatnonzero(norms == 0).tolist()} are all zeros: cosine is undefined.")
    unit = x / norms[:, None]
    return np.clip(unit @ unit.T, -1.0, 1.0)


def pairwise(vectors: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """``euclidean_distances`` or ``cosine_similarities`` by name."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}.")
    return euclidean_distances(vectors) if metric == "euclidean" else cosine_similarities(vectors)


def plot_pairwise(
    matrix: np.ndarray,
    labels: Sequence[str],
    metric: str = "euclidean",
    title: str = "",
    ax: plt.Axes | None = None,
    system_fonts: bool = True,
) -> plt.Figure:
    """Heatmap of an N x N matrix with each value written in its cell and ``labels`` on both axes.

    Cell (row i, column j) shows ``matrix[i, j]``: matplotlib puts column j at x = j and row i at
    y = i, so the text goes at (x=j, y=i). (The course code swapped them; that only looked right
    because a distance matrix is symmetric.)
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] != len(labels):
        raise ValueError(f"expected an N x N matrix with N={len(labels)} labels, got shape {matrix.shape}.")
    if ax is None:
        size = 0.75 * len(labels) + 3
        fig, ax = plt.subplots(figsize=(size + 2.5, size), constrained_layout=True)
    fig = ax.figure
    family = fonts.families(system_fonts)
    cmap = "viridis_r" if metric == "euclidean" else "viridis"
    shown = ax.imshow(matrix, cmap=cmap)
    middle = (np.nanmin(matrix) + np.nanmax(matrix)) / 2
    dark_low = metric != "euclidean"  # viridis is dark at its low end, viridis_r at its high end
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            dark = matrix[i, j] < middle if dark_low else matrix[i, j] > middle
            ax.text(
                j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=8, color="white" if dark else "black"
            )
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=9, fontfamily=family)
    ax.set_yticks(range(len(labels)), labels, fontsize=9, fontfamily=family)
    ax.set_xlabel("sentence")
    ax.set_ylabel("sentence")
    name = "Euclidean distance" if metric == "euclidean" else "cosine similarity"
    fig.colorbar(shown, ax=ax, shrink=0.8, label=name)
    ax.set_title(title or name, fontfamily=family)
    return fig


@dataclass
class Separation:
    """Per layer (L+1 entries): mean pairwise distance within a sense and between the two senses."""

    within_fruit: np.ndarray
    within_company: np.ndarray
    within: np.ndarray  # mean over all within-sense pairs (both senses)
    between: np.ndarray  # mean over fruit-company pairs

    @property
    def ratio(self) -> np.ndarray:
        """between / within: above 1 = the senses separate; scale-free, so comparable across layers."""
        return self.between / self.within

    def last_layer(self) -> str:
        """One line: the three mean distances at the last layer."""
        return (
            f"last layer ({len(self.between) - 1}): within fruit {self.within_fruit[-1]:.3f}, "
            f"within company {self.within_company[-1]:.3f}, between {self.between[-1]:.3f}"
        )

    def __str__(self) -> str:
        lines = ["layer  within-fruit  within-company  within  between  between/within"]
        lines += [
            f"{layer:>5}  {row[0]:>12.3f}  {row[1]:>14.3f}  {row[2]:>6.3f}  {row[3]:>7.3f}  {row[4]:>14.3f}"
            for layer, row in enumerate(
                zip(self.within_fruit, self.within_company, self.within, self.between, self.ratio, strict=True)
            )
        ]
        lines.append(f"largest separation at layer {int(self.ratio.argmax())}")
        return "\n".join(lines)

    __repr__ = __str__


def separation_by_layer(vectors: np.ndarray, senses: Sequence[str], metric: str = "euclidean") -> Separation:
    """Within- and between-sense mean distance at each layer.

    Args:
        vectors: (L+1) x N x D from ``word_vectors``.
        senses: N labels, "fruit" or "company".
        metric: "euclidean", or "cosine" (distance = 1 - cosine similarity).
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    senses = np.asarray(senses)
    if vectors.ndim != 3 or vectors.shape[1] != len(senses):
        raise ValueError(f"vectors must be (L+1) x N x D with N={len(senses)}, got shape {vectors.shape}.")
    fruit, company = senses == "fruit", senses == "company"
    if fruit.sum() < 2 or company.sum() < 2 or (fruit | company).sum() != len(senses):
        raise ValueError("senses must be 'fruit' or 'company', at least two sentences of each.")
    upper = np.triu(np.ones((len(senses), len(senses)), dtype=bool), 1)
    same_f, same_c = upper & np.outer(fruit, fruit), upper & np.outer(company, company)
    cross = np.outer(fruit, company)
    rows = []
    for layer in vectors:
        d = euclidean_distances(layer) if metric == "euclidean" else 1 - pairwise(layer, metric)
        rows.append((d[same_f].mean(), d[same_c].mean(), d[same_f | same_c].mean(), d[cross].mean()))
    a = np.array(rows).T
    return Separation(a[0], a[1], a[2], a[3])


def plot_separation(sep: Separation, title: str = "", metric: str = "euclidean") -> plt.Figure:
    """Within- and between-sense distance per layer (left) and their ratio (right)."""
    layers = np.arange(len(sep.between))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), constrained_layout=True)
    left.plot(layers, sep.within_fruit, "o-", label="within fruit")
    left.plot(layers, sep.within_company, "s-", label="within company")
    left.plot(layers, sep.between, "D-", color="black", label="between fruit and company")
    left.set_xlabel("layer (0 = input embeddings)")
    left.set_ylabel(f"mean {'Euclidean' if metric == 'euclidean' else 'cosine'} distance")
    left.set_title("Distance within and between the two senses")
    left.legend()
    right.plot(layers, sep.ratio, "D-", color="tab:purple")
    right.axhline(1.0, color="gray", ls="--", lw=1)
    right.set_xlabel("layer (0 = input embeddings)")
    right.set_ylabel("between / within")
    right.set_title("Separation of the senses (above 1 = separated)")
    for ax in (left, right):
        ax.set_xticks(layers)
    if title:
        fig.suptitle(title, fontfamily=fonts.families())
    return fig


@dataclass(frozen=True)
class SenseVectors:
    """The vectors of one ambiguous word (蘋 / 果, or "apple") in the fruit and company sentences."""

    sentences: tuple[SenseSentence, ...]
    vectors: np.ndarray  # (L+1) x N x D
    picked: list[str]  # N: the token found at each word index
    offset: int  # added to each sentence's word index (1 = 果)
    layer: int  # the layer the matrices show by default
    model: str
    language: str

    @property
    def labels(self) -> list[str]:
        return [f"{s.text} ({s.sense})" for s in self.sentences]

    @property
    def last(self) -> int:
        return self.vectors.shape[0] - 1

    def __str__(self) -> str:
        lines = [] if self.language == "zh" else ["English model: the English sentences and the word 'apple'."]
        lines += [
            f"{i}  {s.sense:<7}  word {s.word_index + self.offset:>2} -> token {token!r:<8}  {s.text}"
            for i, (s, token) in enumerate(zip(self.sentences, self.picked, strict=True))
        ]
        lines.append(f"vectors: {self.vectors.shape} (layers 0..{self.last}, sentences, hidden size)")
        return "\n".join(lines)

    __repr__ = __str__

    def matrix(self, metric: str = "euclidean", layer: int | None = None) -> np.ndarray:
        """N x N pairwise distances or similarities at ``layer`` (default: the chosen layer)."""
        return pairwise(self.vectors[self.layer if layer is None else layer], metric)

    def plot_matrix(self, metric: str = "euclidean", layer: int | None = None) -> plt.Figure:
        layer = self.layer if layer is None else layer
        name = "Euclidean distance" if metric == "euclidean" else "cosine similarity"
        where = "layer 0 (input embeddings)" if layer == 0 else f"layer {layer}"
        return plot_pairwise(
            self.matrix(metric, layer), self.labels, metric, title=f"'{self.picked[0]}' at {where}: {name}"
        )

    def separation(self, metric: str = "euclidean") -> Separation:
        return separation_by_layer(self.vectors, [s.sense for s in self.sentences], metric)

    def plot_separation(self, metric: str = "euclidean") -> plt.Figure:
        return plot_separation(
            self.separation(metric),
            metric=metric,
            title=f"'{self.picked[0]}': fruit vs. company, layer by layer ({self.model})",
        )

    def pair_trend(self, pair: tuple[int, int] = TREND_PAIR) -> LayerCurves:
        """Cosine similarity of the word in sentences ``pair`` at layers 1..L."""
        i, j = pair
        trend = np.array([cosine_similarities(v[[i, j]])[0, 1] for v in self.vectors[1:]])
        return LayerCurves(
            {"cosine similarity": trend},
            "cosine similarity",
            model=self.model,
            first_layer=1,
            title=f'\'{self.picked[i]}\' in "{self.sentences[i].text}" vs. "{self.sentences[j].text}"',
        )

    def identical_pairs(self, layer: int = 0, tolerance: float = 1e-5) -> str:
        """One line: the sentence pairs whose vectors are at distance 0 at ``layer``, with word indices."""
        distance = self.matrix("euclidean", layer)
        a, b = np.nonzero(np.triu(distance < tolerance, 1))
        pairs = [
            (int(x), int(y), self.sentences[x].word_index, self.sentences[y].word_index)
            for x, y in zip(a, b, strict=True)
        ]
        return f"pairs at distance 0 at layer {layer}: {pairs} (sentence, sentence, word index, word index)"


def sense_vectors(bert, character: str = "蘋", layer: int | None = None, progress: bool = True) -> SenseVectors:
    """The word's vectors in the ten fruit / company sentences of ``bert``'s language.

    Args:
        character: "蘋" or "果" (which character of 蘋果 to follow; a Chinese model only, the English
            model follows "apple").
        layer: the default layer of the matrices, None = the last, 0 = the input embeddings.
    """
    if character not in ("蘋", "果"):
        raise ValueError(f"character must be '蘋' or '果', got {character!r}")
    sentences = APPLE[bert.language]
    offset = 1 if (character == "果" and bert.language == "zh") else 0
    vectors, picked = word_vectors(bert, sentences, offset=offset, progress=progress)
    last = vectors.shape[0] - 1
    chosen = last if layer is None else layer
    if not isinstance(chosen, int) or not 0 <= chosen <= last:
        raise ValueError(f"layer must be None or an integer in 0..{last} for this model, got {layer!r}")
    return SenseVectors(sentences, vectors, picked, offset, chosen, bert.name, bert.language)


def _draw_by_layer(
    ax: plt.Axes,
    curves: Mapping[str, np.ndarray],
    *,
    ylabel: str,
    title: str = "",
    first_layer: int = 0,
    mean: bool = False,
    reference: float | None = None,
) -> None:
    arrays = [np.asarray(v, dtype=float) for v in curves.values()]
    if not arrays or {a.shape for a in arrays} != {arrays[0].shape} or arrays[0].ndim != 1 or not len(arrays[0]):
        raise ValueError(
            "curves must map labels to 1-D per-layer arrays of one (non-zero) length, got shapes "
            f"{[a.shape for a in arrays]}"
        )
    values = np.stack(arrays)
    layers = np.arange(first_layer, first_layer + values.shape[1])
    for label, curve in zip(curves, values, strict=True):
        ax.plot(layers, curve, "o--" if mean else "o-", alpha=0.6 if mean else 1.0, label=label)
    if mean:
        ax.plot(layers, values.mean(axis=0), "D-", color="black", label="mean")
    if reference is not None:
        ax.axhline(reference, color="gray", lw=1, ls=":")
    ax.set_xticks(layers)
    ax.set_xlabel("layer (0 = input embeddings)" if first_layer == 0 else "layer")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontfamily=fonts.families())
    if len(values) > 1 or mean:
        ax.legend(prop={"family": fonts.families()})


def plot_by_layer(
    curves: Mapping[str, np.ndarray],
    *,
    ylabel: str,
    title: str = "",
    first_layer: int = 0,
    mean: bool = False,
    reference: float | None = None,
) -> plt.Figure:
    """Per-layer measurements as curves: ``curves`` maps a label to values for layers ``first_layer``,
    ``first_layer + 1``, ... (all of one length). ``mean`` adds their mean in black; ``reference`` draws
    a dotted horizontal line at that value (e.g. 1 for a ratio)."""
    fig, ax = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
    _draw_by_layer(ax, curves, ylabel=ylabel, title=title, first_layer=first_layer, mean=mean, reference=reference)
    return fig


@dataclass(frozen=True)
class LayerCurves:
    """One measurement per layer for each of several inputs (e.g. QA examples), of one model.

    ``curves`` maps a label to values for layers ``first_layer``, ``first_layer + 1``, ...; the printout
    is a table with their mean, the figure draws them (``plot``), optionally beside another model's mean.
    """

    curves: dict[str, np.ndarray]
    ylabel: str
    title: str = ""
    model: str = ""
    first_layer: int = 0
    reference: float | None = None

    @property
    def mean(self) -> np.ndarray:
        return np.mean(np.stack(list(self.curves.values())), axis=0)

    @property
    def layers(self) -> np.ndarray:
        return np.arange(self.first_layer, self.first_layer + len(self.mean))

    @property
    def peak(self) -> int:
        """The layer where the mean is largest."""
        return int(self.layers[self.mean.argmax()])

    def __str__(self) -> str:
        several = len(self.curves) > 1
        names = [*self.curves, "mean"] if several else list(self.curves)
        lines = [
            f"{self.title} ({self.model})" if self.model else self.title,
            "layer  " + "  ".join(f"{n:>10}" for n in names),
        ]
        for k, layer in enumerate(self.layers):
            values = [c[k] for c in self.curves.values()] + ([self.mean[k]] if several else [])
            lines.append(f"{layer:>5}  " + "  ".join(f"{v:>10.3f}" for v in values))
        lines.append(f"largest {'mean ' if several else ''}at layer {self.peak} of {self.layers[0]}..{self.layers[-1]}")
        return "\n".join(line for line in lines if line)

    __repr__ = __str__

    def plot(self, before: LayerCurves | None = None) -> plt.Figure:
        """The curves (with their mean when there are several); with ``before`` (the same measurement on
        another model, e.g. before fine-tuning), a second panel compares the two models' means."""
        several = len(self.curves) > 1
        fig, axes = plt.subplots(
            1,
            2 if before is not None else 1,
            figsize=(13 if before else 7, 3.8),
            squeeze=False,
            constrained_layout=True,
        )
        _draw_by_layer(
            axes[0, 0],
            self.curves,
            ylabel=self.ylabel,
            title=self.model,
            mean=several,
            first_layer=self.first_layer,
            reference=self.reference,
        )
        if before is not None:  # the two models may differ in depth: each mean on its own layers
            right = axes[0, 1]
            for curves, style in ((self, "D-"), (before, "s--")):
                right.plot(curves.layers, curves.mean, style, label=curves.model)
            if self.reference is not None:
                right.axhline(self.reference, color="gray", lw=1, ls=":")
            right.set_xticks(np.union1d(self.layers, before.layers))
            right.set_xlabel(axes[0, 0].get_xlabel())
            right.set_ylabel(f"{self.ylabel} (mean)" if several else self.ylabel)
            right.set_title("the same curve, two models")
            right.legend(prop={"family": fonts.families()})
        if self.title:
            fig.suptitle(self.title, fontfamily=fonts.families())
        return fig
