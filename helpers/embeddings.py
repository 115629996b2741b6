"""BERT's hidden states layer by layer: PCA pictures of QA examples, and the 蘋果 / "apple" analysis.

- ``qa_hidden_states`` + ``plot_qa_layers``: every layer's token vectors of a question + context,
  reduced to 2-D by PCA and scattered with the answer, question and context tokens marked, as in
  van Aken et al. 2019, "How Does BERT Answer Questions? A Layer-Wise Analysis of Transformer
  Representations" (CIKM, arXiv:1909.04925), which the course's figures come from.
- ``word_vectors``: the hidden state of one chosen *word* per sentence (word index -> its first token
  through the tokenizer's word-to-token mapping), at every layer.
- ``euclidean_distances`` / ``cosine_similarities`` (ours, checked against scikit-learn in the tests),
  ``plot_pairwise`` (values in the cells, sentences as tick labels) and ``separation_by_layer``
  (within-sense vs. between-sense distance at each layer).
- ``plot_by_layer``: any per-layer measurement as curves over the layers.

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
from helpers.bert_examples import QAExample, SenseSentence

METRICS = ("euclidean", "cosine")


@dataclass
class QAStates:
    """Hidden states of one QA example."""

    tokens: list[str]  # T
    roles: list[str]  # T: "question", "context", "answer" or "special"
    states: np.ndarray  # (L+1) x T x D


def qa_hidden_states(bert, example: QAExample) -> QAStates:
    """Tokenize question + context, run the model, and label each token's role.

    A context token is an answer token when its character span overlaps the answer's span.
    """
    encoding = bert.encode(example.question, example.context, offsets=True)
    output = bert.forward(encoding)
    start = example.answer_start
    end = start + len(example.answer)
    roles = []
    for seq, (a, b) in zip(encoding.sequence_ids(0), encoding["offset_mapping"][0].tolist(), strict=True):
        if seq is None:
            roles.append("special")
        elif seq == 0:
            roles.append("question")
        else:
            roles.append("answer" if a < end and b > start else "context")
    if "answer" not in roles:
        raise ValueError(f"example {example.name!r}: no token covers the answer {example.answer!r} "
                         "(was the context truncated?).")
    tokens = bert.tokenizer.convert_ids_to_tokens(encoding["input_ids"][0].tolist())
    states = torch.stack([h[0] for h in output.hidden_states]).float().cpu().numpy()
    return QAStates(tokens, roles, states)


def qa_answer(bert, example: QAExample, max_tokens: int = 30) -> str | None:
    """The model's own answer span (best start <= end inside the context), or None without a QA head."""
    if not bert.qa_finetuned:
        return None
    encoding = bert.encode(example.question, example.context, offsets=True)
    output = bert.forward(encoding)
    context = np.array([s == 1 for s in encoding.sequence_ids(0)])
    start = output.start_logits[0].float().cpu().numpy()
    end = output.end_logits[0].float().cpu().numpy()
    score = start[:, None] + end[None, :]
    allowed = np.triu(np.ones_like(score, dtype=bool)) & ~np.triu(np.ones_like(score, dtype=bool), max_tokens)
    allowed &= context[:, None] & context[None, :]
    i, j = np.unravel_index(np.where(allowed, score, -np.inf).argmax(), score.shape)
    offsets = encoding["offset_mapping"][0].tolist()
    return example.context[offsets[i][0]:offsets[j][1]]


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """N x D -> N x 2: projection on the two first principal components (scikit-learn's PCA)."""
    from sklearn.decomposition import PCA

    return PCA(n_components=2).fit_transform(np.asarray(vectors, dtype=np.float64))


_STYLE = {"answer": dict(c="tab:blue", marker="D", s=46, zorder=3),
          "question": dict(c="tab:red", marker="o", s=22, zorder=2),
          "context": dict(c="tab:green", marker="o", s=14, zorder=1)}


def plot_qa_layers(qa: QAStates, title: str = "", columns: int = 4, labels: bool = True) -> plt.Figure:
    """One panel per layer: PCA of that layer's token vectors (special tokens skipped).

    Answer tokens are blue diamonds, question tokens red, context tokens green; each point is
    labelled with its token. PCA is fitted per layer, so axes are not comparable between panels.
    """
    keep = [i for i, r in enumerate(qa.roles) if r != "special"]
    layers = qa.states.shape[0]
    rows = -(-layers // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 4.2 * rows), squeeze=False,
                             constrained_layout=True)
    family = fonts.families()
    for layer, ax in enumerate(axes.flat):
        if layer >= layers:
            ax.axis("off")
            continue
        points = pca_2d(qa.states[layer, keep])
        for role, style in _STYLE.items():
            idx = [k for k, i in enumerate(keep) if qa.roles[i] == role]
            if idx:
                ax.scatter(points[idx, 0], points[idx, 1], label=role, **style)
        if labels:
            for k, i in enumerate(keep):
                ax.annotate(qa.tokens[i], points[k], fontsize=6, xytext=(2, 2), textcoords="offset points",
                            color=_STYLE[qa.roles[i]]["c"], fontfamily=family)
        ax.set_title("layer 0 (input embeddings)" if layer == 0 else f"layer {layer}", fontsize=10)
        ax.set_xlabel("PC 1", fontsize=8)
        ax.set_ylabel("PC 2", fontsize=8)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=8, loc="best")
    if title:
        fig.suptitle(title, fontsize=12, fontfamily=family)
    return fig


def answer_isolation(qa: QAStates) -> np.ndarray:
    """Per layer (L+1): mean distance from answer tokens to the other non-special tokens, divided by
    the mean distance among those other tokens. Above 1 = the answer stands apart; the ratio removes
    the growth of vector norms with depth."""
    answer = [i for i, r in enumerate(qa.roles) if r == "answer"]
    rest = [i for i, r in enumerate(qa.roles) if r in ("question", "context")]
    ratios = []
    for layer in qa.states:
        cross = euclidean_distances(np.concatenate([layer[answer], layer[rest]]))[: len(answer), len(answer):]
        among = euclidean_distances(layer[rest])
        ratios.append(cross.mean() / among[np.triu_indices(len(rest), 1)].mean())
    return np.array(ratios)


def word_token(encoding, word_index: int, text: str = "") -> int:
    """Position of the first token of word ``word_index`` of a one-sentence encoding.

    Uses the tokenizer's own word-to-token mapping (BERT's pre-tokenizer makes each Chinese character
    a word, and splits punctuation from English words), so the index counts words as it does.
    """
    words = max((w for w in encoding.word_ids(0) if w is not None), default=-1) + 1
    if not isinstance(word_index, int) or not 0 <= word_index < words:
        raise ValueError(f"word index {word_index!r} is out of range: {text!r} has {words} words "
                         "(0-based, as the tokenizer splits them).")
    span = encoding.word_to_tokens(0, word_index)
    if span is None:
        raise ValueError(f"word {word_index} of {text!r} has no token (truncated?).")
    return span.start


def word_vectors(bert, sentences: Sequence[SenseSentence], offset: int = 0,
                 progress: bool = False) -> tuple[np.ndarray, list[str]]:
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


def plot_pairwise(matrix: np.ndarray, labels: Sequence[str], metric: str = "euclidean", title: str = "",
                  ax: plt.Axes | None = None, system_fonts: bool = True) -> plt.Figure:
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
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if dark else "black")
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


def plot_by_layer(curves: Mapping[str, np.ndarray], *, ylabel: str, title: str = "", first_layer: int = 0,
                  mean: bool = False, reference: float | None = None) -> plt.Figure:
    """Per-layer measurements as curves: ``curves`` maps a label to values for layers ``first_layer``,
    ``first_layer + 1``, ... (all of one length). ``mean`` adds their mean in black; ``reference`` draws
    a dotted horizontal line at that value (e.g. 1 for a ratio)."""
    arrays = [np.asarray(v, dtype=float) for v in curves.values()]
    if not arrays or {a.shape for a in arrays} != {arrays[0].shape} or arrays[0].ndim != 1 or not len(arrays[0]):
        raise ValueError("curves must map labels to 1-D per-layer arrays of one (non-zero) length, got shapes "
                         f"{[a.shape for a in arrays]}")
    values = np.stack(arrays)
    layers = np.arange(first_layer, first_layer + values.shape[1])
    fig, ax = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
    several = len(values) > 1
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
    if several or mean:
        ax.legend(prop={"family": fonts.families()})
    return fig
