"""Look at BERT's attention: static heatmaps, and a self-contained interactive view.

Self-attention (Vaswani et al. 2017, arXiv:1706.03762) gives, in every layer and head, a T x T matrix
whose row i says how token i spreads its attention over the T tokens (each row sums to 1). The course
sent students to exBERT (Hoover et al. 2020, arXiv:1910.05276) to browse these matrices; ``EXBERT_URL``
keeps the link for those online. Here the same matrices are drawn as heatmaps, and
``attention_view_html`` writes a page with a layer and head picker where hovering a token shows where it
attends. That page is plain HTML with inline JavaScript and CSS: it loads nothing from the network, so
it works offline, inside JupyterLab or saved to a file.

Arrays: ``attention`` is L x H x T x T (layers, heads, from-token, to-token), as returned by
``attention_maps``.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

EXBERT_URL = "https://exbert.net/"

#: Tokens that carry no word (their attention share is studied separately).
SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]", "<s>", "</s>", "<pad>")


def attention_maps(bert, text: str, pair: str | None = None) -> tuple[list[str], np.ndarray]:
    """Tokens of ``text`` (and ``pair``) and every head's attention: list of T, array L x H x T x T."""
    encoding = bert.encode(text, pair)
    output = bert.forward(encoding)
    if output.attentions is None or output.attentions[0] is None:
        raise RuntimeError(
            "the model returned no attentions; load it with attn_implementation='eager' "
            "(helpers.bert_models.load_bert does)."
        )
    attention = np.stack([a[0].float().cpu().numpy() for a in output.attentions])
    tokens = bert.tokenizer.convert_ids_to_tokens(encoding["input_ids"][0].tolist())
    return tokens, attention


def _check(attention: np.ndarray, tokens: Sequence[str]) -> np.ndarray:
    attention = np.asarray(attention, dtype=float)
    if attention.ndim != 4 or attention.shape[2] != attention.shape[3]:
        raise ValueError(f"attention must be L x H x T x T, got shape {attention.shape}.")
    if attention.shape[2] != len(tokens):
        raise ValueError(f"{len(tokens)} tokens but attention is over {attention.shape[2]} positions.")
    return attention


def plot_attention(
    attention: np.ndarray,
    tokens: Sequence[str],
    layer: int,
    head: int,
    ax: plt.Axes | None = None,
    colorbar: bool = True,
) -> plt.Figure:
    """One head's T x T map with token labels: row = the attending token, column = the attended one.

    ``layer`` counts from 1 (layer 1 = the first Transformer layer), as the course does.
    """
    attention = _check(attention, tokens)
    layers, heads = attention.shape[:2]
    if not (1 <= layer <= layers and 0 <= head < heads):
        raise ValueError(f"layer must be in 1..{layers} and head in 0..{heads - 1}; got {layer}, {head}.")
    if ax is None:
        size = max(4.0, 0.32 * len(tokens) + 1.5)
        fig, ax = plt.subplots(figsize=(size + 1, size), constrained_layout=True)
    fig = ax.figure
    shown = ax.imshow(attention[layer - 1, head], cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=8)
    ax.set_yticks(range(len(tokens)), tokens, fontsize=8)
    ax.set_xlabel("attended token (key)")
    ax.set_ylabel("attending token (query)")
    ax.set_title(f"layer {layer}, head {head}")
    if colorbar:
        fig.colorbar(shown, ax=ax, shrink=0.8, label="attention weight")
    return fig


def plot_layer_heads(attention: np.ndarray, tokens: Sequence[str], layer: int, columns: int = 4) -> plt.Figure:
    """Every head of one layer, side by side, with token labels and one shared colorbar."""
    attention = _check(attention, tokens)
    heads = attention.shape[1]
    rows = -(-heads // columns)
    cell = max(2.6, 0.16 * len(tokens) + 1.2)
    fig, axes = plt.subplots(
        rows, columns, figsize=(cell * columns + 1, cell * rows + 0.6), squeeze=False, constrained_layout=True
    )
    shown = None
    for head, ax in enumerate(axes.flat):
        if head >= heads:
            ax.axis("off")
            continue
        shown = ax.imshow(attention[layer - 1, head], cmap="viridis", vmin=0, vmax=1)
        ax.set_title(f"head {head}", fontsize=9)
        ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=6)
        ax.set_yticks(range(len(tokens)), tokens, fontsize=6)
    fig.colorbar(shown, ax=axes, shrink=0.6, label="attention weight (row: query, column: key)")
    fig.suptitle(f"Layer {layer}: every head's attention (rows attend to columns)")
    return fig


def plot_overview(attention: np.ndarray, tokens: Sequence[str]) -> plt.Figure:
    """All layers x all heads as small maps: a compact view to spot the heads' patterns."""
    attention = _check(attention, tokens)
    layers, heads = attention.shape[:2]
    fig, axes = plt.subplots(
        layers, heads, figsize=(1.1 * heads + 1, 1.1 * layers + 0.8), squeeze=False, constrained_layout=True
    )
    shown = None
    for layer in range(layers):
        for head in range(heads):
            ax = axes[layer, head]
            shown = ax.imshow(attention[layer, head], cmap="viridis", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if layer == 0:
                ax.set_title(f"head {head}", fontsize=8)
            if head == 0:
                ax.set_ylabel(f"layer {layer + 1}", fontsize=8)
    fig.colorbar(shown, ax=axes, shrink=0.6, label="attention weight")
    fig.suptitle(f'All {layers} layers x {heads} heads: "{" ".join(tokens)}"', fontsize=10)
    return fig


def head_patterns(attention: np.ndarray, tokens: Sequence[str]) -> dict[str, np.ndarray]:
    """Share of attention each head sends to the special tokens ([CLS], [SEP]), to the token itself,
    to its neighbours (previous or next token) and to the other tokens, averaged over attending tokens.

    Returns a dict of L x H arrays (keys "special", "self", "neighbour", "other"), entries in [0, 1],
    adding up to 1 for every head (cf. Clark et al. 2019, "What Does BERT Look At?", arXiv:1906.04341).
    """
    attention = _check(attention, tokens)
    t = len(tokens)
    special = np.broadcast_to(np.array([tok in SPECIAL_TOKENS for tok in tokens]), (t, t))
    itself = np.eye(t, dtype=bool) & ~special
    neighbour = (np.eye(t, k=-1, dtype=bool) | np.eye(t, k=1, dtype=bool)) & ~special
    masks = {"special": special, "self": itself, "neighbour": neighbour, "other": ~(special | itself | neighbour)}
    return {name: (attention * mask).sum(-1).mean(-1) for name, mask in masks.items()}


@dataclass(frozen=True)
class HeadPatterns:
    """Which pattern each head follows: its largest share among special / self / neighbour / other.

    ``shares`` maps each pattern to an L x H array (see ``head_patterns``); the printout counts the heads
    per pattern, layer by layer.
    """

    shares: dict[str, np.ndarray]

    @property
    def winner(self) -> np.ndarray:
        """L x H: index into ``names`` of each head's largest share."""
        return np.argmax(np.stack([self.shares[n] for n in self.names]), axis=0)

    @property
    def names(self) -> list[str]:
        return list(self.shares)

    @property
    def counts(self) -> dict[str, int]:
        """Heads per pattern over all layers."""
        return {n: int((self.winner == k).sum()) for k, n in enumerate(self.names)}

    @property
    def dominant(self) -> str:
        """The pattern most heads follow."""
        counts = self.counts
        return max(counts, key=counts.get)

    def __str__(self) -> str:
        per_layer = np.stack([(self.winner == k).sum(axis=1) for k in range(len(self.names))], axis=1)
        lines = ["heads per pattern, layer by layer:", "layer  " + "  ".join(f"{n:>9}" for n in self.names)]
        lines += [f"{layer:>5}  " + "  ".join(f"{int(c):>9}" for c in row) for layer, row in enumerate(per_layer, 1)]
        lines.append("total  " + "  ".join(f"{c:>9}" for c in self.counts.values()))
        return "\n".join(lines)

    __repr__ = __str__


def pattern_summary(attention: np.ndarray, tokens: Sequence[str]) -> HeadPatterns:
    """Every head's shares (``head_patterns``) as a :class:`HeadPatterns` that counts them."""
    return HeadPatterns(head_patterns(attention, tokens))


def coreference_scores(attention: np.ndarray, pronoun: int, referent: int, other: int) -> np.ndarray:
    """L x H: how much more the pronoun's token attends to its referent than to the other candidate.

    For "Tom likes Jennie because she is cute": pronoun = token of "she", referent = "jennie",
    other = "tom" (token positions). Positive = the head links "she" to Jennie.
    """
    attention = np.asarray(attention, dtype=float)
    return attention[:, :, pronoun, referent] - attention[:, :, pronoun, other]


@dataclass(frozen=True)
class Coreference:
    """Which head links a pronoun to its referent rather than to the other candidate."""

    tokens: list[str]  # T
    attention: np.ndarray  # L x H x T x T
    positions: dict[str, int]  # token positions of "pronoun", "referent", "other"
    scores: np.ndarray  # L x H, see ``coreference_scores``

    @property
    def best(self) -> tuple[int, int]:
        """(layer counted from 1, head counted from 0) of the largest score."""
        layer, head = np.unravel_index(self.scores.argmax(), self.scores.shape)
        return int(layer) + 1, int(head)

    def _word(self, role: str) -> str:
        return self.tokens[self.positions[role]]

    def __str__(self) -> str:
        layer, head = self.best
        return (
            f"strongest link '{self._word('pronoun')}' -> '{self._word('referent')}' rather than "
            f"'{self._word('other')}': layer {layer} of {self.scores.shape[0]}, head {head}, "
            f"difference {self.scores.max():+.2f}"
        )

    __repr__ = __str__

    def plot(self) -> plt.Figure:
        """Heatmap of the scores, layers x heads (red = links to the referent, blue = to the other)."""
        limit = float(np.abs(self.scores).max()) or 1.0
        layers, heads = self.scores.shape
        fig, ax = plt.subplots(figsize=(8, 0.45 * layers + 1.5), constrained_layout=True)
        shown = ax.imshow(self.scores, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks(range(heads))
        ax.set_yticks(range(layers), [str(layer) for layer in range(1, layers + 1)])
        ax.set_xlabel("head")
        ax.set_ylabel("layer")
        pronoun = self._word("pronoun")
        ax.set_title(
            f"attention '{pronoun}' -> '{self._word('referent')}' minus '{pronoun}' -> '{self._word('other')}'"
        )
        fig.colorbar(shown, ax=ax, label="difference of attention weights")
        return fig

    def plot_best(self) -> plt.Figure:
        """The attention map of the head with the strongest link."""
        return plot_attention(self.attention, self.tokens, *self.best)


def coreference(bert, sentence: str, pronoun: int, referent: int, other: int) -> Coreference:
    """Run ``bert`` on ``sentence`` and score every head; ``pronoun``, ``referent`` and ``other`` are
    *word* indices (as the tokenizer splits words), e.g. ``coreference(bert, **COREFERENCE)``."""
    from helpers.embeddings import word_token

    tokens, maps = attention_maps(bert, sentence)
    encoding = bert.encode(sentence)
    positions = {
        role: word_token(encoding, index, sentence)
        for role, index in (("pronoun", pronoun), ("referent", referent), ("other", other))
    }
    scores = coreference_scores(maps, positions["pronoun"], positions["referent"], positions["other"])
    return Coreference(tokens, maps, positions, scores)


_VIEW_CSS = """
#__ROOT__{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:14px;color:#222;max-width:760px}
#__ROOT__ .controls{margin:6px 0 10px 0}
#__ROOT__ .controls label{margin-right:14px}
#__ROOT__ .board{position:relative;display:flex;justify-content:space-between;width:520px}
#__ROOT__ .col{display:flex;flex-direction:column;z-index:1}
#__ROOT__ .tok{height:22px;line-height:22px;padding:0 6px;margin:1px 0;border-radius:3px;cursor:pointer;
 white-space:nowrap;border:1px solid transparent}
#__ROOT__ .left .tok{text-align:right}
#__ROOT__ .tok.pinned{border-color:#c62828}
#__ROOT__ svg{position:absolute;left:0;top:0;z-index:0;pointer-events:none}
#__ROOT__ .info{margin-top:8px;min-height:3em;font-size:13px}
#__ROOT__ .title{font-weight:600}
"""

_VIEW_JS = """
(function(){
  const root = document.getElementById("__ROOT__");
  const data = __DATA__;
  const tokens = data.tokens, A = data.attention, n = tokens.length;
  const layerSel = root.querySelector(".layer"), headSel = root.querySelector(".head");
  const left = root.querySelector(".left"), right = root.querySelector(".right");
  const svg = root.querySelector("svg"), info = root.querySelector(".info");
  let focus = null, pinned = null;
  for (let l = 0; l < A.length; l++) layerSel.add(new Option("layer " + (l + 1), l));
  for (let h = 0; h < A[0].length; h++) headSel.add(new Option("head " + h, h));
  headSel.add(new Option("mean of heads", -1));
  layerSel.value = data.layer; headSel.value = data.head;
  function matrix(){
    const l = +layerSel.value, h = +headSel.value;
    if (h >= 0) return A[l][h];
    const H = A[l].length, m = [];
    for (let i = 0; i < n; i++){ m.push([]); for (let j = 0; j < n; j++){
      let s = 0; for (let k = 0; k < H; k++) s += A[l][k][i][j]; m[i].push(s / H); } }
    return m;
  }
  function make(col, side){
    tokens.forEach((t, i) => {
      const d = document.createElement("div");
      d.className = "tok"; d.textContent = t; d.dataset.index = i; d.dataset.side = side;
      d.addEventListener("mouseenter", () => { focus = {side: side, i: i}; draw(); });
      d.addEventListener("mouseleave", () => { focus = null; draw(); });
      d.addEventListener("click", () => {
        pinned = (pinned && pinned.side === side && pinned.i === i) ? null : {side: side, i: i}; draw(); });
      col.appendChild(d);
    });
  }
  make(left, "from"); make(right, "to");
  function draw(){
    const m = matrix(), sel = focus || pinned;
    const box = root.querySelector(".board").getBoundingClientRect();
    svg.setAttribute("width", box.width); svg.setAttribute("height", box.height);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const L = left.children, R = right.children;
    for (let i = 0; i < n; i++){
      const a = L[i].getBoundingClientRect();
      for (let j = 0; j < n; j++){
        const w = m[i][j];
        if (w < 0.01) continue;
        if (sel && ((sel.side === "from" && sel.i !== i) || (sel.side === "to" && sel.i !== j))) continue;
        const b = R[j].getBoundingClientRect();
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        line.setAttribute("x1", a.right - box.left);
        line.setAttribute("y1", (a.top + a.bottom) / 2 - box.top);
        line.setAttribute("x2", b.left - box.left);
        line.setAttribute("y2", (b.top + b.bottom) / 2 - box.top);
        line.setAttribute("stroke", "#1565c0"); line.setAttribute("stroke-width", 2);
        line.setAttribute("stroke-opacity", Math.min(1, w)); line.setAttribute("class", "edge");
        svg.appendChild(line);
      }
    }
    for (let i = 0; i < n; i++){
      L[i].classList.toggle("pinned", !!pinned && pinned.side === "from" && pinned.i === i);
      R[i].classList.toggle("pinned", !!pinned && pinned.side === "to" && pinned.i === i);
      let wl = 0, wr = 0;
      if (sel && sel.side === "from"){ wr = m[sel.i][i]; wl = sel.i === i ? 1 : 0; }
      if (sel && sel.side === "to"){ wl = m[i][sel.i]; wr = sel.i === i ? 1 : 0; }
      L[i].style.background = sel ? "rgba(198,40,40," + (sel.side === "to" ? wl : wl * 0.25) + ")" : "";
      R[i].style.background = sel ? "rgba(21,101,192," + (sel.side === "from" ? wr : wr * 0.25) + ")" : "";
    }
    const where = layerSel.options[layerSel.selectedIndex].text + ", " +
      headSel.options[headSel.selectedIndex].text;
    if (!sel){ info.textContent = where + ": hover or click a token to see its attention."; return; }
    const pairs = [];
    for (let k = 0; k < n; k++) pairs.push([k, sel.side === "from" ? m[sel.i][k] : m[k][sel.i]]);
    pairs.sort((p, q) => q[1] - p[1]);
    const top = pairs.slice(0, 3).map(p => "'" + tokens[p[0]] + "' " + p[1].toFixed(2)).join(", ");
    info.textContent = where + ": '" + tokens[sel.i] + "' " +
      (sel.side === "from" ? "attends most to " : "is attended most by ") + top;
  }
  layerSel.addEventListener("change", draw); headSel.addEventListener("change", draw);
  draw();
  if (window.ResizeObserver) new ResizeObserver(draw).observe(root.querySelector(".board"));
})();
"""


def attention_view_html(
    attention: np.ndarray, tokens: Sequence[str], layer: int = 1, head: int = 0, title: str = "", max_tokens: int = 96
) -> str:
    """An HTML fragment (div + inline style + inline script, no external resource) to explore attention.

    Left column: attending tokens; right column: attended tokens; a line's opacity is the weight.
    Pick a layer and head (or their mean); hover a token to see only its attention, click to pin it.
    ``layer`` counts from 1. Works in JupyterLab (``IPython.display.HTML``) and in a saved page.
    """
    attention = _check(attention, tokens)
    if len(tokens) > max_tokens:
        raise ValueError(
            f"{len(tokens)} tokens is too many for a readable view (max_tokens={max_tokens}); use a shorter sentence."
        )
    layers, heads = attention.shape[:2]
    if not (1 <= layer <= layers and 0 <= head < heads):
        raise ValueError(f"layer must be in 1..{layers} and head in 0..{heads - 1}; got {layer}, {head}.")
    element = "attnview-" + secrets.token_hex(4)
    data = {"tokens": list(tokens), "attention": np.round(attention, 4).tolist(), "layer": layer - 1, "head": head}
    # "</" inside a script would end it early: escape the slash (valid JSON either way).
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    heading = f'<div class="title">{html.escape(title)}</div>' if title else ""
    return (
        f'<div id="{element}" class="attention-view">'
        f"<style>{_VIEW_CSS.replace('__ROOT__', element)}</style>{heading}"
        '<div class="controls"><label>Layer <select class="layer"></select></label>'
        '<label>Head <select class="head"></select></label></div>'
        '<div class="board"><svg></svg><div class="col left"></div><div class="col right"></div></div>'
        '<div class="info"></div>'
        f"<script>{_VIEW_JS.replace('__ROOT__', element).replace('__DATA__', payload)}</script></div>"
    )


def save_attention_view(path: str | Path, attention: np.ndarray, tokens: Sequence[str], **kwargs) -> Path:
    """Write ``attention_view_html`` as a standalone page to ``path``; return the path."""
    path = Path(path)
    title = kwargs.get("title") or "Attention view"
    page = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body>{attention_view_html(attention, tokens, **kwargs)}</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def show_attention_view(attention: np.ndarray, tokens: Sequence[str], **kwargs):
    """The view as an ``IPython.display.HTML`` object (the last line of a cell displays it)."""
    from IPython.display import HTML

    return HTML(attention_view_html(attention, tokens, **kwargs))
