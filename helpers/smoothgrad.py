"""SmoothGrad: average the saliency of many noisy copies of an image, so the map's speckle cancels.

Smilkov, Thorat, Kim, Viegas & Wattenberg 2017, "SmoothGrad: removing noise by adding noise"
(arXiv:1706.03825): add Gaussian noise N(0, sigma^2) with sigma = noise_level * (x_max - x_min)
to the image n times and average the gradient maps. Like the course (and captum's
``NoiseTunnel(Saliency(...))``) the absolute gradients are averaged, then the maximum over colour
channels is taken and the map normalized to [0, 1].

Where the course code was wrong: it computed sigma = noise_level / (x_max - x_min) (divided instead
of multiplied by the range) and then passed sigma squared as the standard deviation. For an image
spanning [0, 1] at noise level 0.4 that is a standard deviation of 0.16 instead of 0.4.
The course also looped over the copies one at a time; here the copies of all images are processed
in batches of ``batch_size`` (one forward and one backward pass per batch).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

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
from helpers.checks import check_int


def noise_sigma(images: torch.Tensor, noise_level: float) -> torch.Tensor:
    """Per-image noise standard deviation N: noise_level * (x_max - x_min) (Smilkov et al. 2017)."""
    flat = images.detach().reshape(len(images), -1)
    return noise_level * (flat.max(1).values - flat.min(1).values)


def smoothgrad(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor | Sequence[int] | int,
    *,
    samples: int = 500,
    noise_level: float = 0.4,
    mode: str = "loss",
    normalize: bool = True,
    batch_size: int | None = None,
    seed: int | None = 0,
    noise: torch.Tensor | None = None,
    progress: bool = True,
) -> torch.Tensor:
    """SmoothGrad maps: mean over ``samples`` noisy copies of |gradient|, max over channels.

    Args:
        model: the classifier (run in eval mode with frozen parameters, restored afterwards).
        images: N x 3 x H x W in [0, 1] (not modified).
        targets: N class indices to explain (the true labels for the course's figure), or one int for all.
        samples: noisy copies per image (course: 500).
        noise_level: sigma / (x_max - x_min), per image (course: 0.4).
        mode: ``"loss"`` (course: cross-entropy gradient) or ``"score"`` (the class logit's gradient).
        normalize: scale each final map to [0, 1] (course question 13 asks what happens without).
        batch_size: noisy copies per forward/backward pass (copies of several images share a
            batch); None = the device default.
        seed: seeds the noise (a generator of its own; torch's global stream is untouched).
            The copies are drawn in one fixed order, so on a CPU the result does not depend on
            ``batch_size``. None = draw from torch's global generator.
        noise: optional standard-normal noise N x samples x 3 x H x W to use instead of drawing
            (it is scaled by each image's sigma), e.g. to compare with another implementation.
        progress: show a progress bar over the copies.

    Returns:
        maps N x H x W (float32, on ``images``' device); in [0, 1] when ``normalize``.
    """
    check_images(images)
    check_mode(mode)
    samples = check_int("samples (noisy copies per image, course: 500)", samples, 1)
    if not noise_level >= 0:
        raise ValueError(f"noise_level must be >= 0 (course: 0.4), got {noise_level!r}")
    n = len(images)
    if noise is not None and tuple(noise.shape) != (n, samples, *images.shape[1:]):
        raise ValueError(
            f"noise must have shape N x samples x 3 x H x W = "
            f"{(n, samples, *images.shape[1:])}, got {tuple(noise.shape)}"
        )
    device = model_device(model)
    batch_size = check_batch_size(batch_size, device)
    targets = check_targets(targets, n).to(device)
    x = to_model(images, model)
    sigma = noise_sigma(x, noise_level)
    generator = None if seed is None else torch.Generator(device=device).manual_seed(int(seed))
    total = torch.zeros_like(x)
    # Row r of the flattened work list is copy r % samples of image r // samples.
    bar = tqdm(total=n * samples, desc="SmoothGrad", unit="copy", disable=not progress)
    with explaining(model), bar:
        for rows in batches(n * samples, batch_size):
            owner = torch.arange(rows.start, rows.stop, device=device) // samples
            if noise is None:
                unit = torch.randn((len(owner), *x.shape[1:]), generator=generator, device=device, dtype=x.dtype)
            else:
                unit = to_model(noise.reshape(n * samples, *x.shape[1:])[rows], model)
            noisy = x[owner] + unit * sigma[owner, None, None, None]
            grad, _ = input_gradient(model, noisy, targets[owner], mode)
            total.index_add_(0, owner, grad.abs())
            bar.update(len(owner))
    maps = (total / samples).amax(1)
    return (normalize_maps(maps) if normalize else maps).to(images.device)
