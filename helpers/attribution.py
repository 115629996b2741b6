"""What the explanation methods share: input checks, batching, the model's state while explaining,
one input-gradient pass, per-image normalization, and how much of a map lies on the food.

One call shape, as captum's ``attribute``: every explanation method in ``helpers`` (saliency,
smoothgrad, integrated_gradients, lime_explain) is called as

    method(model, images, targets, *, options)

with ``images`` N x 3 x H x W float in [0, 1] and ``targets`` the N class indices to explain (an int
for all images), and returns maps N x H x W on the images' device: a tensor, or a small result object
whose ``.maps`` is that tensor (integrated gradients and LIME, which have more to report). None of
them changes the caller's tensors or leaves the model in another state.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from helpers.checks import check_int

#: Default images (or noisy copies, or path points) per forward/backward pass, by device type.
#: On a 2-core CPU the embedded model's input-gradient passes ran fastest at batch 4 to 8 (best at 4,
#: ``python -m helpers bench``) and at half speed at 32 to 64 (the activations no longer fit in cache),
#: so a small batch there; on a GPU a large batch fills the device.
DEFAULT_BATCH_SIZE = {"cpu": 4, "cuda": 64}

#: What the gradient is taken of: the cross-entropy loss of the label (the course) or the label's
#: logit (Simonyan et al. 2014, and captum's ``target=``).
MODES = ("loss", "score")


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def to_model(x: torch.Tensor, model: nn.Module) -> torch.Tensor:
    """``x`` on the model's device with the model's floating dtype (a copy only when one is needed)."""
    param = next(model.parameters(), None)
    if param is None:
        return x
    return x.to(param.device, param.dtype if param.is_floating_point() else x.dtype)


def default_batch_size(device: torch.device | str) -> int:
    """The default batch for ``device``: small on a CPU, larger on a GPU (see DEFAULT_BATCH_SIZE)."""
    return DEFAULT_BATCH_SIZE.get(torch.device(device).type, DEFAULT_BATCH_SIZE["cpu"])


def check_batch_size(batch_size: int | None, device: torch.device) -> int:
    """``None`` -> the device's default; otherwise a positive int."""
    if batch_size is None:
        return default_batch_size(device)
    return check_int("batch_size", batch_size, 1)


def check_images(images: torch.Tensor, name: str = "images") -> torch.Tensor:
    """Validate a batch of images N x 3 x H x W, float; returns it unchanged."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor N x 3 x H x W, got {type(images).__name__}")
    if images.dim() == 3 and images.shape[0] == 3:
        raise ValueError(
            f"{name} must be a batch N x 3 x H x W, got one image {tuple(images.shape)}; "
            f"pass {name}[None] (or a slice like images[6:7])."
        )
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"{name} must have shape N x 3 x H x W, got {tuple(images.shape)}")
    if not images.is_floating_point():
        raise TypeError(f"{name} must be float in [0, 1], got dtype {images.dtype}; divide uint8 images by 255.")
    if images.shape[0] == 0:
        raise ValueError(f"{name} is empty (N = 0); pass at least one image.")
    return images


def check_targets(targets: torch.Tensor | Sequence[int] | int, n: int, name: str = "targets") -> torch.Tensor:
    """Class indices for ``n`` images as an int64 tensor N (an int is used for every image)."""
    if isinstance(targets, int) and not isinstance(targets, bool):
        return torch.full((n,), targets, dtype=torch.long)
    t = torch.as_tensor(targets)
    if t.is_floating_point() or t.dtype == torch.bool:
        raise TypeError(f"{name} must be integer class indices, got dtype {t.dtype}")
    t = t.reshape(-1).long()
    if t.numel() != n:
        raise ValueError(f"{name} must hold one class index per image: {n} images but {t.numel()} {name}")
    if (t < 0).any():
        raise ValueError(f"{name} must be class indices >= 0, got {t.tolist()}")
    return t


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(
            f"mode must be 'loss' (gradient of the cross-entropy, the course) or 'score' "
            f"(gradient of the class logit, Simonyan et al. 2014), got {mode!r}"
        )
    return mode


def batches(n: int, size: int) -> Iterator[slice]:
    """Slices ``[0:size], [size:2 size], ...`` covering ``range(n)``."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


@contextmanager
def explaining(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode with its parameters frozen; restore both on exit, also on error.

    Eval mode: BatchNorm uses its running statistics and dropout is off, so each image's result
    depends on that image only (batch size cannot change it). Frozen parameters: only input gradients
    are needed, so autograd neither stores what weight gradients need nor computes them. Each
    submodule's own mode and each parameter's own flag are put back as they were.
    """
    modes = [(m, m.training) for m in model.modules()]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    model.eval()
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        for m, training in modes:
            m.training = training


def _check_classes(logits: torch.Tensor, targets: torch.Tensor) -> None:
    if int(targets.max()) >= logits.shape[1]:
        raise ValueError(f"class index {int(targets.max())} is out of range: the model has {logits.shape[1]} classes")


def input_gradient(
    model: nn.Module, x: torch.Tensor, targets: torch.Tensor, mode: str = "score"
) -> tuple[torch.Tensor, torch.Tensor]:
    """One forward and one backward pass: the gradient of each image's objective w.r.t. its pixels.

    Args:
        model: in eval mode (use :func:`explaining`), on ``x``'s device.
        x: N x 3 x H x W inputs (not modified; a detached leaf is made from them).
        targets: N class indices on ``x``'s device.
        mode: ``"score"`` = the target logit; ``"loss"`` = cross-entropy of the target. Per image
            (reduction "sum", not the course's batch mean, which scaled every gradient by 1/N and so
            made a map depend on how many images shared its batch).

    Returns:
        gradients N x 3 x H x W and the target logits N (detached).
    """
    leaf = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model(leaf)
        _check_classes(logits, targets)
        scores = logits.gather(1, targets[:, None])[:, 0]
        objective = F.cross_entropy(logits, targets, reduction="sum") if mode == "loss" else scores.sum()
        (grad,) = torch.autograd.grad(objective, leaf)
    return grad, scores.detach()


@torch.no_grad()
def target_scores(model: nn.Module, x: torch.Tensor, targets: torch.Tensor, batch_size: int) -> torch.Tensor:
    """The target logits N of ``x`` (forward passes only, in batches)."""
    out = []
    for part in batches(len(x), batch_size):
        logits = model(x[part])
        _check_classes(logits, targets[part])
        out.append(logits.gather(1, targets[part, None])[:, 0])
    return torch.cat(out)


def normalize_maps(maps: torch.Tensor) -> torch.Tensor:
    """Scale each map N x ... to [0, 1] on its own: (m - min) / (max - min); a constant map gives zeros.

    Gradients differ in scale from image to image, so a shared scale would show one bright map and
    nine dark ones (the course's reason, question 6).
    """
    flat = maps.reshape(len(maps), -1)
    low = flat.min(1, keepdim=True).values
    span = flat.max(1, keepdim=True).values - low
    out = (flat - low) / torch.where(span > 0, span, torch.ones_like(span))
    return out.reshape(maps.shape)


def _check_maps_masks(maps: torch.Tensor, masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    maps = torch.as_tensor(maps).detach().to("cpu", torch.float64)
    masks = torch.as_tensor(masks).detach().to("cpu")
    if maps.dim() != 3 or maps.shape != masks.shape:
        raise ValueError(
            f"maps and masks must both be N x H x W of the same shape, got {tuple(maps.shape)} "
            f"and {tuple(masks.shape)}; upsample smaller maps first."
        )
    if (maps < 0).any():
        raise ValueError("maps must be non-negative to measure their mass; pass m.abs() or m.clamp(min=0).")
    return maps, masks.bool()


def mass_on_mask(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """The fraction of each map's total attribution that falls inside its mask (e.g. on the food).

    Args:
        maps: non-negative N x H x W.
        masks: bool N x H x W.

    Returns:
        float64 N in [0, 1] (NaN for an all-zero map). A map spread evenly scores
        :func:`chance_mass`, the mask's share of the pixels.
    """
    maps, masks = _check_maps_masks(maps, masks)
    total = maps.sum((1, 2))
    return (maps * masks).sum((1, 2)) / total.where(total > 0, torch.tensor(torch.nan, dtype=total.dtype))


def chance_mass(masks: torch.Tensor) -> torch.Tensor:
    """What :func:`mass_on_mask` gives a uniform map: each mask's share of the pixels, float64 N."""
    masks = torch.as_tensor(masks).detach().cpu().bool()
    return masks.flatten(1).double().mean(1)


def randomized_copy(model: nn.Module, seed: int = 0) -> nn.Module:
    """A copy of ``model`` with every layer re-initialized (Adebayo et al. 2018, "Sanity Checks for
    Saliency Maps", full model randomization). ``model`` itself is untouched.

    A method whose maps barely change on this copy shows the image, not what the model learned.
    """
    clone = copy.deepcopy(model)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        for module in clone.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()  # BatchNorm: weight 1, bias 0, running statistics reset
    finally:
        torch.random.set_rng_state(generator_state)  # the caller's random stream is not consumed
    return clone
