"""Measuring explanations: do the maps point at the object, do they follow the model, do they need the model?

Three families of checks, each a function of maps N x H x W (any explanation method's ``.maps``):

- **Localisation** against ground-truth masks N x H x W (where the object is):
  :func:`pointing_game` (Zhang, Bargal, Lin, Brandt, Shen & Sclaroff 2016, "Top-down Neural Attention by
  Excitation Backprop", ECCV; arXiv:1608.00507): is the map's maximum on the object?
  :func:`relevance_mass` and :func:`relevance_rank` (Arras, Osman & Samek 2022, "CLEVR-XAI: A benchmark
  dataset for the ground truth evaluation of neural network explanations", Information Fusion 81;
  arXiv:2003.07258): the share of the positive relevance on the object, and the share of the K most
  relevant pixels that lie on it (K = the object's size in pixels).
- **Faithfulness** to the model: :func:`perturbation_curves` (Petsiuk, Das & Saenko 2018, "RISE:
  Randomized Input Sampling for Explanation of Black-box Models", BMVC; arXiv:1806.07421): deletion
  removes the most relevant pixels first and watches the class probability fall; insertion adds them
  to a blurred copy first and watches it rise. :func:`curve_area` is the area under such a curve.
- **Sanity**: :func:`cascading_randomization` (Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim 2018,
  "Sanity Checks for Saliency Maps", NeurIPS; arXiv:1810.03292) re-initializes the model's layers one by
  one from the top; :func:`helpers.evidence.rank_correlations` compares each map with the trained model's
  (Spearman).
  A map that stays the same while the model is destroyed does not explain the model.

Two maps that need no model serve as baselines: :func:`random_maps` and :func:`centre_maps` (the
object is often in the middle of a photo, so "look at the centre" is a strong guess).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from helpers.attribution import (
    batches,
    check_batch_size,
    check_images,
    check_targets,
    explaining,
    mass_on_mask,
    to_model,
)
from helpers.checks import check_int


def _maps_and_masks(maps: torch.Tensor, masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Both as CPU N x (H W): maps float64, masks bool; clear errors for the usual mistakes."""
    maps = torch.as_tensor(maps).detach().to("cpu", torch.float64)
    if masks is None:
        raise ValueError(
            "localisation needs ground-truth masks (where the object is); the embedded data has "
            "them (data_dir=None), a folder of your own photos does not."
        )
    masks = torch.as_tensor(masks).detach().cpu().bool()
    if maps.dim() != 3 or maps.shape != masks.shape:
        raise ValueError(
            f"maps and masks must both be N x H x W of one shape, got {tuple(maps.shape)} and "
            f"{tuple(masks.shape)}; upsample smaller maps first (helpers.evidence.upsample)."
        )
    return maps.flatten(1), masks.flatten(1)


def _nan_where_empty(score: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """NaN for the images whose mask is empty (nothing to find there)."""
    return score.where(masks.any(1), torch.tensor(torch.nan, dtype=torch.float64))


def pointing_game(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Hit (1) when a pixel of each map's maximum lies on its mask, else miss (0): float64 N.

    Zhang et al. 2016 with no tolerance around the object, as quantus's ``PointingGame``: when several
    pixels share the maximum (a LIME superpixel), one of them on the object is a hit. NaN for an empty mask.
    """
    flat, inside = _maps_and_masks(maps, masks)
    top = flat == flat.max(1, keepdim=True).values
    return _nan_where_empty((top & inside).any(1).double(), inside)


def relevance_mass(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Share of each map's positive relevance that lies on its mask: float64 N in [0, 1] (Arras et al. 2022).

    Negative values (LIME's opposing superpixels) count as zero. A uniform map scores the mask's share of
    the pixels; NaN for an all-zero map or an empty mask.
    """
    flat, inside = _maps_and_masks(maps, masks)
    share = mass_on_mask(flat.clamp(min=0)[:, None], inside[:, None])  # N x 1 x HW: one row per image
    return _nan_where_empty(share, inside)


def relevance_rank(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Share of each map's K highest pixels that lie on its mask, K = the mask's size: float64 N in [0, 1].

    Arras et al. 2022's rank accuracy. Ties are broken by pixel order (as a stable sort does). A random
    map scores the mask's share of the pixels on average; NaN for an empty mask.
    """
    flat, inside = _maps_and_masks(maps, masks)
    order = torch.argsort(-flat, dim=1, stable=True)  # most relevant first
    size = inside.sum(1, keepdim=True)
    in_top = torch.arange(flat.shape[1])[None] < size  # N x HW: is rank r among the top K of its image?
    hits = (inside.gather(1, order) & in_top).sum(1)
    return _nan_where_empty(hits.double() / size[:, 0].clamp(min=1), inside)


# ---------------------------------------------------------------------------------------------------
# Baseline maps: the same call shape as the explanation methods, without looking at the model


def random_maps(
    model: nn.Module, images: torch.Tensor, targets: torch.Tensor | Sequence[int] | int, *, seed: int = 0
) -> torch.Tensor:
    """Uniform random maps N x H x W in [0, 1] (a generator of its own; ``model`` and ``targets`` unused)."""
    check_images(images)
    generator = torch.Generator().manual_seed(int(seed))
    return torch.rand((len(images), *images.shape[2:]), generator=generator).to(images.device)


def centre_maps(
    model: nn.Module, images: torch.Tensor, targets: torch.Tensor | Sequence[int] | int, *, width: float = 0.25
) -> torch.Tensor:
    """A Gaussian bump in the middle of every image: N x H x W in (0, 1], standard deviation ``width``
    times the image's size (``model`` and ``targets`` unused)."""
    check_images(images)
    h, w = images.shape[2:]
    rows = (torch.arange(h, dtype=torch.float64) - (h - 1) / 2) / (width * h)
    cols = (torch.arange(w, dtype=torch.float64) - (w - 1) / 2) / (width * w)
    bump = torch.exp(-(rows[:, None] ** 2 + cols[None, :] ** 2) / 2).float()
    return bump.expand(len(images), h, w).clone().to(images.device)


# ---------------------------------------------------------------------------------------------------
# Faithfulness: deletion and insertion (RISE)


def blurred(images: torch.Tensor, sigma: float = 5.0) -> torch.Tensor:
    """A Gaussian blur of N x 3 x H x W images (standard deviation ``sigma`` pixels, edge pixels repeated):
    the start of the insertion curve, an image with its colours but without its details."""
    radius = max(1, int(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-((x / sigma) ** 2) / 2)
    kernel = (kernel / kernel.sum()).repeat(images.shape[1], 1, 1)  # 3 x 1 x (2r + 1), one per channel
    out = images
    for dim in (3, 2):  # along the rows, then the columns: one 1-D convolution each
        flat = out.transpose(dim, 3).reshape(-1, images.shape[1], out.shape[dim])
        padded = F.pad(flat, (radius, radius), mode="replicate")
        shape = out.transpose(dim, 3).shape
        out = F.conv1d(padded, kernel, groups=images.shape[1]).reshape(shape).transpose(dim, 3)
    return out


def _ranks(maps: torch.Tensor) -> torch.Tensor:
    """rank[i, p] of each pixel p of map i, N x (H W) int64: 0 = the most relevant (ties in pixel order)."""
    flat = torch.as_tensor(maps).detach().cpu().double().flatten(1)
    rank = torch.empty(flat.shape, dtype=torch.long)
    order = torch.argsort(-flat, dim=1, stable=True)
    return rank.scatter_(1, order, torch.arange(flat.shape[1]).expand_as(order).contiguous())


def _endpoints(x: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(the images before, the images after every pixel changed): deletion x -> black, insertion blur -> x."""
    if kind not in ("deletion", "insertion"):
        raise ValueError(f"kind must be 'deletion' or 'insertion', got {kind!r}")
    return (x, torch.zeros_like(x)) if kind == "deletion" else (blurred(x), x)


def perturbed(images: torch.Tensor, maps: torch.Tensor, fraction: float, kind: str = "deletion") -> torch.Tensor:
    """The images N x 3 x H x W with the ``fraction`` most relevant pixels of each map deleted or inserted:
    what the model sees at that point of :func:`perturbation_curves`."""
    check_images(images)
    h, w = images.shape[2:]
    start, end = _endpoints(images, kind)
    swap = (_ranks(maps) < round(fraction * h * w)).reshape(-1, 1, h, w).to(images.device)
    return torch.where(swap, end, start)


def perturbation_curves(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor | Sequence[int] | int,
    maps: torch.Tensor,
    *,
    kind: str = "deletion",
    steps: int = 16,
    batch_size: int | None = None,
) -> torch.Tensor:
    """The model's probability of each target as pixels are deleted or inserted, most relevant first.

    Petsiuk et al. 2018: ``"deletion"`` paints the pixels black in order of relevance; ``"insertion"``
    starts from a blurred copy (:func:`blurred`) and puts the original pixels back in that order. Point
    ``k`` of a curve has the ``round(k / steps * H W)`` most relevant pixels changed (ties in pixel order).
    All images of all steps are built at once and run through the model in batches.

    Args:
        model: the classifier (run in eval mode, restored afterwards).
        images: N x 3 x H x W in [0, 1] (not modified).
        targets: N class indices (or one int) whose probability is followed.
        maps: N x H x W relevance (higher = more relevant; any sign).
        kind: ``"deletion"`` or ``"insertion"``.
        steps: points along the way after the start (the curve has ``steps + 1`` points).
        batch_size: images per forward pass; None = the device default.

    Returns:
        probabilities N x (steps + 1), float64 on the CPU; column 0 is before any pixel changed.
    """
    check_images(images)
    steps = check_int("steps (points of the deletion/insertion curve)", steps, 1)
    n, _, h, w = images.shape
    maps = torch.as_tensor(maps).detach()
    if tuple(maps.shape) != (n, h, w):
        raise ValueError(f"maps must be N x H x W = {(n, h, w)} to match the images, got {tuple(maps.shape)}")
    device = next(model.parameters()).device
    batch_size = check_batch_size(batch_size, device) * 4  # forward passes only: larger batches pay off
    labels = check_targets(targets, n).to(device)
    start, end = _endpoints(to_model(images, model), kind)
    rank = _ranks(maps)
    counts = torch.round(torch.arange(steps + 1) / steps * h * w).long()
    out = torch.empty(n * (steps + 1), dtype=torch.float64)
    with explaining(model), torch.no_grad():
        for rows in batches(n * (steps + 1), batch_size):
            r = torch.arange(rows.start, rows.stop)
            owner, k = r // (steps + 1), r % (steps + 1)
            swap = (rank[owner] < counts[k, None]).reshape(-1, 1, h, w).to(device)
            batch = torch.where(swap, end[owner.to(device)], start[owner.to(device)])
            probs = torch.softmax(model(batch).double(), 1)
            out[rows] = probs.gather(1, labels[owner.to(device), None])[:, 0].cpu()
    return out.reshape(n, steps + 1)


def curve_area(curves: torch.Tensor) -> torch.Tensor:
    """Area under each curve N x (S + 1) over the share of pixels changed, 0 to 1 (trapezoid rule): float64 N."""
    c = torch.as_tensor(curves, dtype=torch.float64)
    return ((c[:, 1:] + c[:, :-1]) / 2).mean(1)


# ---------------------------------------------------------------------------------------------------
# Sanity: cascading model-parameter randomization (Adebayo et al. 2018)


def learned_layers(model: nn.Module, by: str = "block") -> list[tuple[str, list[nn.Module]]]:
    """The model's layers with weights, output side first: (name, modules), as the cascade randomizes them.

    ``by="layer"``: each convolution or linear layer with its BatchNorm (Adebayo et al. 2018, layer by
    layer). ``by="block"``: the layers between two pooling layers together (a VGG stage; the fully
    connected head is one block), fewer steps for the same walk from the top down.
    """
    if by not in ("layer", "block"):
        raise ValueError(f"by must be 'layer' or 'block', got {by!r}")
    groups: list[tuple[list[str], list[nn.Module]]] = []
    closed = True
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            if closed or by == "layer":
                groups.append(([], []))
            groups[-1][0].append(name)
            groups[-1][1].append(module)
            closed = False
        elif isinstance(module, nn.modules.batchnorm._BatchNorm) and groups:
            groups[-1][1].append(module)  # a BatchNorm belongs to the layer before it
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
            closed = True
    return [(names[0] if len(names) == 1 else f"{names[0]}..{names[-1]}", modules) for names, modules in groups[::-1]]


def cascading_randomization(model: nn.Module, by: str = "block", seed: int = 0) -> Iterator[tuple[str, nn.Module]]:
    """Yield ``("trained", a copy of model)``, then the copy with one more layer (or block, see
    :func:`learned_layers`) re-initialized each time, from the output down to the first convolution:
    (name of what was just randomized, the copy).

    Adebayo et al. 2018's cascading randomization. The same copy is changed in place between yields, and
    ``model`` itself is untouched; the caller's random stream is not consumed (each step is seeded from
    ``seed`` and the caller's generator state put back).
    """
    clone = copy.deepcopy(model)
    yield "trained", clone
    for index, (name, modules) in enumerate(learned_layers(clone, by)):
        state = torch.random.get_rng_state()
        torch.manual_seed(int(seed) * 1000 + index)
        try:
            for module in modules:
                module.reset_parameters()  # BatchNorm: weight 1, bias 0, running statistics reset
        finally:
            torch.random.set_rng_state(state)
        yield name, clone
