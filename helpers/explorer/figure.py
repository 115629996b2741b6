"""The explorer's figure: the image as the model sees it, then the method's pictures, each map with a
labelled colorbar, the prediction and the method's numbers below.

Drawn on a :class:`matplotlib.figure.Figure` of its own (not pyplot), so a figure made in the explorer's
thread is never picked up and shown again by the notebook's inline backend.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
from matplotlib.figure import Figure

from helpers.explorer.methods import Shown

WIDTH_PER_PANEL = 4.2  # inches; at 100 dpi two panels are 840 pixels wide
MIN_WIDTH = 10.0


def draw(image: np.ndarray, image_title: str, shown: Shown, heading: str, notes: list[str]) -> Figure:
    """The figure of one explanation.

    Args:
        image: H x W x 3 in [0, 1], what the model was given.
        image_title: the first panel's title (which image, which class is explained).
        shown: the method's pictures and lines.
        heading: the figure's title.
        notes: lines under the pictures (prediction, the method's numbers, a footnote).
    """
    columns = 1 + len(shown.pictures)
    lines = [wrapped for line in notes for wrapped in textwrap.wrap(line, 150)]
    fig = Figure(figsize=(max(MIN_WIDTH, WIDTH_PER_PANEL * columns), 4.4 + 0.2 * len(lines)), layout="constrained")
    axes = fig.subplots(1, columns, squeeze=False)[0]
    axes[0].imshow(np.clip(image, 0, 1))
    axes[0].set_title(image_title, fontsize=9)
    for ax, picture in zip(axes[1:], shown.pictures, strict=True):
        if picture.pixels.ndim == 2:
            low, high = picture.limits or (float(picture.pixels.min()), float(picture.pixels.max()))
            drawn = ax.imshow(picture.pixels, cmap=picture.cmap, vmin=low, vmax=high)
            fig.colorbar(drawn, ax=ax, shrink=0.8, label=picture.colorbar)
        else:
            ax.imshow(np.clip(picture.pixels, 0, 1))
        ax.set_title(picture.title, fontsize=9)
    for ax in axes:
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(heading, fontsize=11)
    if lines:
        fig.supxlabel("\n".join(lines), fontsize=8.5, ha="left", x=0.01)
    return fig


def to_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
