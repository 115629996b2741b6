"""Figures as the course draws them: the images in a row on top, one row of maps per method below."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def _to_numpy_image(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """3 x H x W tensor or H x W x 3 array -> H x W x 3 float array in [0, 1]; H x W stays 2-D."""
    if isinstance(image, torch.Tensor):
        image = image.detach().float().cpu()
        image = image.permute(1, 2, 0) if image.dim() == 3 and image.shape[0] in (1, 3) else image
        image = image.numpy()
    return np.clip(image.squeeze(), 0, 1) if image.ndim == 3 else image


def plot_rows(
    rows: Sequence[Sequence],
    row_labels: Sequence[str],
    titles: Sequence[str] | None = None,
    suptitle: str = "",
    cmaps: Sequence[str | None] | None = None,
    colorbar: bool = True,
    limits: Sequence[tuple[float, float] | None] | None = None,
    width: float = 16.0,
) -> plt.Figure:
    """Draw several rows of pictures, one column per image (the course's layout: ten columns).

    Args:
        rows: each a sequence of N pictures (3 x H x W / H x W x 3 images or H x W maps).
        row_labels: a label per row, written on the left (e.g. "image", "saliency").
        titles: N column titles (e.g. true and predicted class).
        cmaps: colormap per row for 2-D maps (e.g. "hot"); ignored for RGB images.
        colorbar: add one shared colorbar for each row of 2-D maps.
        limits: (vmin, vmax) per row of maps, shared by the row so its colorbar means one thing;
            default: (0, 1) when the row's values lie in [0, 1], else the row's own range.
    """
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    cmaps = list(cmaps) if cmaps is not None else ["hot"] * n_rows
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(width, width / n_cols * n_rows * 1.15 + 0.6), squeeze=False, constrained_layout=True
    )
    for r, row in enumerate(rows):
        shown = None
        pictures = [_to_numpy_image(p) for p in row]
        flat = np.concatenate([p.ravel() for p in pictures if p.ndim == 2] or [np.zeros(1)])
        vmin, vmax = (
            limits[r]
            if limits is not None and limits[r] is not None
            else (0.0, 1.0)
            if flat.min() >= 0 and flat.max() <= 1
            else (float(flat.min()), float(flat.max()))
        )
        for c in range(n_cols):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([])
            if c >= len(row):
                ax.axis("off")
                continue
            picture = pictures[c]
            if picture.ndim == 2:
                shown = ax.imshow(picture, cmap=cmaps[r], vmin=vmin, vmax=vmax)
            else:
                ax.imshow(picture)
            if r == 0 and titles is not None:
                ax.set_title(titles[c], fontsize=8)
        axes[r, 0].set_ylabel(row_labels[r], fontsize=10)
        if colorbar and shown is not None:
            fig.colorbar(shown, ax=list(axes[r]), shrink=0.8, pad=0.01)
    if suptitle:
        fig.suptitle(suptitle, fontsize=12)
    return fig
