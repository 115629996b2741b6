"""Saliency maps: how much each pixel's change would change the model's verdict.

Simonyan, Vedaldi & Zisserman 2014, "Deep Inside Convolutional Networks: Visualising Image
Classification Models and Saliency Maps" (arXiv:1312.6034): the map is |d S_c / d x|, the absolute
gradient of the class score S_c w.r.t. the input, with the maximum taken over colour channels.
The course took the gradient of the cross-entropy *loss* instead (``mode="loss"``, the default here,
so the notebooks show the course's figure); ``mode="score"`` is the paper's (and the course slides')
variant. For one image, d loss / d x = -(d S_c / d x - sum_k p_k d S_k / d x): the loss gradient also
counts the evidence for the other classes.

Where the course code differed: it averaged the loss over the batch, scaling every gradient by 1/N;
harmless after normalization, but a map then depended on the batch it was computed in. Here each
image's gradient is its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from helpers.attribution import (
    batches,
    check_batch_size,
    check_images,
    check_mode,
    check_targets,
    explaining,
    input_gradient,
    model_device,
    normalize_maps,
    to_model,
)


def saliency(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor | Sequence[int] | int,
    *,
    mode: str = "loss",
    normalize: bool = True,
    batch_size: int | None = None,
) -> torch.Tensor:
    """Saliency maps: |gradient| of the loss (or class score) w.r.t. the pixels, max over channels.

    Args:
        model: the classifier (any mode; it is run in eval mode and restored).
        images: N x 3 x H x W in [0, 1] (not modified).
        targets: N class indices to explain (the true labels for the course's figure), or one int for all.
        mode: ``"loss"`` (course: cross-entropy of the label) or ``"score"`` (paper: the label's logit).
        normalize: scale each map to [0, 1] on its own (course question 6).
        batch_size: images per forward/backward pass; None = the device default.

    Returns:
        maps N x H x W (float32, on ``images``' device); in [0, 1] when ``normalize``.
    """
    check_images(images)
    check_mode(mode)
    device = model_device(model)
    batch_size = check_batch_size(batch_size, device)
    targets = check_targets(targets, len(images)).to(device)
    maps = []
    with explaining(model):
        for part in batches(len(images), batch_size):
            grad, _ = input_gradient(model, to_model(images[part], model), targets[part], mode)
            maps.append(grad.abs().amax(1))
    out = torch.cat(maps)
    return (normalize_maps(out) if normalize else out).to(images.device)
