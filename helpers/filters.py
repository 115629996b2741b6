"""Filter explanation: what one filter of ``model.cnn`` responds to.

(a) Filter activation: the chosen channel of layer ``model.cnn[cnnid]``'s output for each image,
    i.e. where in the image the filter fires (Zeiler & Fergus 2014, "Visualizing and Understanding
    Convolutional Networks", arXiv:1311.2901, look at feature maps the same way).
(b) Filter visualization: gradient ascent on the input to maximize the sum of that channel's
    activation, starting from the image (activation maximization: Erhan, Bengio, Courville &
    Vincent 2009, "Visualizing Higher-Layer Features of a Deep Network"). Adam, lr 0.1,
    100 iterations as in the course; after each step the image is clipped back into [0, 1]
    (projected gradient ascent), so the result is still an image the model could be shown.

(c) Why (b) saturates, and what shows more. The summed activation of a channel is piecewise linear in
    the pixels (convolutions and ReLUs, with nothing that levels off), so its gradient keeps pointing
    the same way and the clipped ascent drives every pixel to a corner of the colour cube: a flat,
    saturated picture. Two displays show more: :func:`change_from_start`, the course's own display
    (the change from the start image, unclipped, min-max scaled), and :func:`feature_visualization`, a
    regularized activation maximization from a grey image (Olah, Mordvintsev & Schubert 2017, "Feature
    Visualization", Distill, doi:10.23915/distill.00007): random jitter of the image at every step
    (transformation robustness) and a blur of the image every few steps (a penalty on high
    frequencies), so that only patterns the filter responds to wherever they sit survive.

Where the course code was wrong or wasteful: its optimized image left [0, 1]; it registered the hook
by hand (an error left it attached); and each iteration ran the whole network although only the
layers up to ``cnnid`` matter. Here a context manager owns the hook, and the hook stops the forward
pass once the layer's output is captured.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from helpers.attribution import batches, check_batch_size, check_images, explaining, model_device, to_model
from helpers.checks import check_int


class _LayerReached(Exception):
    """Raised by the hook to skip the layers after the observed one (caught in :func:`layer_output`)."""


@contextmanager
def captured(layer: nn.Module, stop: bool = False) -> Iterator[dict[str, torch.Tensor]]:
    """A forward hook on ``layer`` that stores its output under ``"output"``; removed on exit, also on error.

    With ``stop=True`` the hook ends the forward pass right after the layer (see :func:`layer_output`).
    """
    store: dict[str, torch.Tensor] = {}

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        store["output"] = output
        if stop:
            raise _LayerReached

    handle = layer.register_forward_hook(hook)
    try:
        yield store
    finally:
        handle.remove()


def cnn_layer(model: nn.Module, cnnid: int) -> nn.Module:
    """``model.cnn[cnnid]``, with a message naming the valid range when there is none."""
    cnn = getattr(model, "cnn", None)
    if not isinstance(cnn, nn.Sequential):
        raise TypeError(
            "the model has no nn.Sequential `cnn`; filter explanation needs the course "
            "classifier (helpers.model.Classifier)."
        )
    return cnn[check_int("cnnid", cnnid, 0, len(cnn) - 1, hint="a layer index of model.cnn")]


def layer_output(model: nn.Module, layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Output of ``layer`` (a submodule of ``model``) for input ``x``; later layers are not run."""
    with captured(layer, stop=True) as store:
        try:
            model(x)
        except _LayerReached:
            pass
    if "output" not in store:
        raise RuntimeError("the layer was not run by the model's forward pass; is it a submodule of this model?")
    return store["output"]


def _channel(output: torch.Tensor, filterid: int, cnnid: int) -> torch.Tensor:
    channels = output.shape[1]
    return output[:, check_int("filterid", filterid, 0, channels - 1, hint=f"layer {cnnid} has {channels} channels")]


def filter_activation(
    model: nn.Module, images: torch.Tensor, cnnid: int, filterid: int, *, batch_size: int | None = None
) -> torch.Tensor:
    """Activation of channel ``filterid`` of ``model.cnn[cnnid]`` for each image.

    Args:
        model: the classifier (run in eval mode, restored afterwards).
        images: N x 3 x H x W in [0, 1] (not modified).
        cnnid: layer index in ``model.cnn`` (course: 6, a Conv2d; also 15, a ReLU; 23).
        filterid: channel of that layer's output (course: 0).
        batch_size: images per forward pass; None = the device default.

    Returns:
        activations N x h x w (h, w: the layer's spatial size), on ``images``' device; not normalized.
    """
    check_images(images)
    layer = cnn_layer(model, cnnid)
    batch_size = check_batch_size(batch_size, model_device(model))
    out = []
    with explaining(model), torch.no_grad():
        for part in batches(len(images), batch_size):
            out.append(_channel(layer_output(model, layer, to_model(images[part], model)), filterid, cnnid))
    return torch.cat(out).to(images.device)


def filter_visualization(
    model: nn.Module,
    images: torch.Tensor,
    cnnid: int,
    filterid: int,
    *,
    iterations: int = 100,
    lr: float = 0.1,
    clip: bool = True,
    batch_size: int | None = None,
    progress: bool = True,
) -> torch.Tensor:
    """Images changed by gradient ascent to excite channel ``filterid`` of ``model.cnn[cnnid]`` most.

    Each image is optimized on its own objective (the sum of the channel's activation on it); Adam's
    update is per pixel, so images optimized in one batch give the same result as one at a time.

    Args:
        model: the classifier (run in eval mode with frozen parameters, restored afterwards).
        images: N x 3 x H x W in [0, 1], the starting points (not modified).
        cnnid, filterid: the layer of ``model.cnn`` and its channel (course: 6 and 0).
        iterations: Adam steps (course: 100).
        lr: Adam's learning rate (course: 0.1).
        clip: clip the pixels back into [0, 1] after every step; False = the course's unclipped ascent
            (show it with :func:`change_from_start`).
        batch_size: images optimized together; None = the device default.
        progress: show a progress bar over the iterations.

    Returns:
        images N x 3 x H x W (float32, on ``images``' device), in [0, 1] when ``clip``.
    """
    check_images(images)
    layer = cnn_layer(model, cnnid)
    check_int("iterations", iterations, 0, hint="course: 100")
    if not lr > 0:
        raise ValueError(f"lr must be > 0 (course: 0.1), got {lr!r}")
    batch_size = check_batch_size(batch_size, model_device(model))
    out = []
    with (
        explaining(model),
        tqdm(
            total=len(images) * iterations, desc=f"filter {cnnid}:{filterid}", unit="image-step", disable=not progress
        ) as bar,
    ):
        for part in batches(len(images), batch_size):
            x = to_model(images[part], model).detach().clone().clamp_(0, 1).requires_grad_(True)
            optimizer = torch.optim.Adam([x], lr=lr)
            for _ in range(iterations):
                optimizer.zero_grad()
                with torch.enable_grad():
                    activation = _channel(layer_output(model, layer, x), filterid, cnnid)
                    (-activation.sum()).backward()
                optimizer.step()
                if clip:
                    with torch.no_grad():
                        x.clamp_(0, 1)
                bar.update(len(x))
            out.append(x.detach())
    return torch.cat(out).to(images.device)


def change_from_start(start: torch.Tensor, result: torch.Tensor, tail: float = 0.005) -> torch.Tensor:
    """The course's display of a filter visualization: ``result - start``, min-max scaled.

    Each channel of each image is scaled on its own, between its ``tail`` and ``1 - tail`` quantiles
    (values beyond are clipped): the unclipped ascent mostly shifts every pixel by the same colour, which
    a common scale would show as one flat colour, and changes most at the image's border (the zero
    padding of the convolutions), which would set the range alone.

    Args:
        start, result: N x 3 x H x W, the images before and after the ascent (e.g. with ``clip=False``).
        tail: the share of the values at either end left out of the range (0 = plain min-max).

    Returns:
        N x 3 x H x W in [0, 1] (0.5 where a channel did not change at all).
    """
    change = (result.detach().float() - start.detach().float().to(result.device)).flatten(2)
    low = torch.quantile(change, tail, dim=2, keepdim=True)
    span = torch.quantile(change, 1 - tail, dim=2, keepdim=True) - low
    scaled = torch.where(span > 0, ((change - low) / span.clamp(min=1e-12)).clamp(0, 1), torch.full_like(change, 0.5))
    return scaled.reshape(result.shape)


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Each channel of N x C x H x W blurred by a Gaussian of ``sigma`` pixels (reflected borders)."""
    radius = max(1, math.ceil(2 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-t * t / (2 * sigma * sigma))
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def feature_visualization(
    model: nn.Module,
    cnnid: int,
    filterids: Sequence[int] | int,
    *,
    size: int = 64,
    view: int = 48,
    steps: int = 150,
    lr: float = 0.1,
    jitter: int = 3,
    blur_every: int = 4,
    blur_sigma: float = 0.5,
    seed: int = 0,
    progress: bool = True,
) -> torch.Tensor:
    """Regularized activation maximization: what excites filters of ``model.cnn[cnnid]`` most, from grey.

    Olah, Mordvintsev & Schubert 2017, "Feature Visualization" (Distill). The objective is the filter's
    activation at the centre of its map (their "neuron" objective: one place, so the picture shows a
    pattern rather than the filter's favourite colour spread over the whole image, which is all the
    summed activation asks for). The image is kept in [0, 1] through a sigmoid of its parameters,
    shifted by a random offset of up to ``jitter`` pixels before every step (transformation
    robustness), and its parameters are blurred every ``blur_every`` steps (a penalty on high
    frequencies). For a ReLU layer the filter's input (the pre-activation) is maximized, as they do: the
    ReLU's output has no gradient where it is 0, so an ascent from grey could not start there.

    Args:
        model: the classifier (run in eval mode with frozen parameters, restored afterwards).
        cnnid: the layer of ``model.cnn`` (e.g. 6, the course's; or a deeper ReLU such as 15).
        filterids: the channel(s) to visualize, one image each.
        size: the optimized image's height and width (the layers up to ``cnnid`` take any size; 64 is
            quicker than the model's 128 and leaves room around the receptive field).
        view: the side of the square returned around the centre (the part the objective sees).
        steps: Adam steps.
        lr: Adam's learning rate on the sigmoid's parameters.
        jitter: the largest random shift per step, pixels (0 = none).
        blur_every: blur the parameters every that many steps (0 = never).
        blur_sigma: the blur's standard deviation, pixels.
        seed: seeds the start (grey plus faint noise) and the shifts.
        progress: show a progress bar over the steps.

    Returns:
        N x 3 x view x view in [0, 1] (float32, on the model's device), N = number of filterids.
    """
    layer = cnn_layer(model, cnnid)
    if isinstance(layer, nn.ReLU) and cnnid > 0:
        layer = cnn_layer(model, cnnid - 1)
    ids = [filterids] if isinstance(filterids, int) else list(filterids)
    steps = check_int("steps", steps, 0)
    jitter = check_int("jitter (pixels)", jitter, 0)
    blur_every = check_int("blur_every", blur_every, 0)
    size = check_int("size (pixels)", size, 8)
    view = check_int("view (pixels)", view, 1, size)
    if not lr > 0 or not blur_sigma > 0:
        raise ValueError(f"lr and blur_sigma must be > 0, got {lr!r} and {blur_sigma!r}")
    device = model_device(model)
    generator = torch.Generator().manual_seed(check_int("seed", seed, 0))
    param = (0.01 * torch.randn(len(ids), 3, size, size, generator=generator)).to(device).requires_grad_(True)
    shifts = torch.randint(-jitter, jitter + 1, (steps, 2), generator=generator).tolist()
    optimizer = torch.optim.Adam([param], lr=lr)
    rows = torch.arange(len(ids), device=device)
    with explaining(model), torch.enable_grad():
        for step, (dy, dx) in enumerate(tqdm(shifts, desc=f"feature visualization cnn[{cnnid}]", disable=not progress)):
            optimizer.zero_grad()
            output = layer_output(model, layer, torch.roll(torch.sigmoid(param), (dy, dx), (2, 3)))
            for f in ids:
                _channel(output, f, cnnid)  # checks each filter id
            h, w = output.shape[-2:]
            (-output[rows, torch.as_tensor(ids, device=device), h // 2, w // 2].sum()).backward()
            optimizer.step()
            if blur_every and (step + 1) % blur_every == 0:
                with torch.no_grad():
                    param.copy_(_gaussian_blur(param, blur_sigma))
    top = (size - view) // 2
    return torch.sigmoid(param).detach()[..., top : top + view, top : top + view]


def structure(images: torch.Tensor) -> torch.Tensor:
    """Spatial standard deviation of each image's channels, N x 3 (0 for a flat image)."""
    return images.detach().float().flatten(2).std(2)
