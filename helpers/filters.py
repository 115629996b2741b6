"""Filter explanation: what one filter of ``model.cnn`` responds to.

(a) Filter activation: the chosen channel of layer ``model.cnn[cnnid]``'s output for each image,
    i.e. where in the image the filter fires (Zeiler & Fergus 2014, "Visualizing and Understanding
    Convolutional Networks", arXiv:1311.2901, look at feature maps the same way).
(b) Filter visualization: gradient ascent on the input to maximize the sum of that channel's
    activation, starting from the image (activation maximization: Erhan, Bengio, Courville &
    Vincent 2009, "Visualizing Higher-Layer Features of a Deep Network"). Adam, lr 0.1,
    100 iterations as in the course; after each step the image is clipped back into [0, 1]
    (projected gradient ascent), so the result is still an image the model could be shown.

Where the course code was wrong or wasteful: its optimized image left [0, 1]; it registered the hook
by hand (an error left it attached); and each iteration ran the whole network although only the
layers up to ``cnnid`` matter. Here a context manager owns the hook, and the hook stops the forward
pass once the layer's output is captured.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.attribution import batches, check_batch_size, check_images, explaining, model_device, to_model


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
        raise TypeError("the model has no nn.Sequential `cnn`; filter explanation needs the course "
                        "classifier (helpers.model.Classifier).")
    if isinstance(cnnid, bool) or not isinstance(cnnid, int) or not 0 <= cnnid < len(cnn):
        raise ValueError(f"cnnid must be an int in 0..{len(cnn) - 1} (a layer index of model.cnn), "
                         f"got {cnnid!r}")
    return cnn[cnnid]


def layer_output(model: nn.Module, layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Output of ``layer`` (a submodule of ``model``) for input ``x``; later layers are not run."""
    with captured(layer, stop=True) as store:
        try:
            model(x)
        except _LayerReached:
            pass
    if "output" not in store:
        raise RuntimeError("the layer was not run by the model's forward pass; "
                           "is it a submodule of this model?")
    return store["output"]


def _channel(output: torch.Tensor, filterid: int, cnnid: int) -> torch.Tensor:
    if isinstance(filterid, bool) or not isinstance(filterid, int) or not 0 <= filterid < output.shape[1]:
        raise ValueError(f"filterid must be an int in 0..{output.shape[1] - 1} (layer {cnnid} has "
                         f"{output.shape[1]} channels), got {filterid!r}")
    return output[:, filterid]


def filter_activation(model: nn.Module, images: torch.Tensor, cnnid: int, filterid: int, *,
                      batch_size: int | None = None) -> torch.Tensor:
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


def filter_visualization(model: nn.Module, images: torch.Tensor, cnnid: int, filterid: int, *,
                         iterations: int = 100, lr: float = 0.1, batch_size: int | None = None,
                         progress: bool = True) -> torch.Tensor:
    """Images changed by gradient ascent to excite channel ``filterid`` of ``model.cnn[cnnid]`` most.

    Each image is optimized on its own objective (the sum of the channel's activation on it); Adam's
    update is per pixel, so images optimized in one batch give the same result as one at a time.

    Args:
        model: the classifier (run in eval mode with frozen parameters, restored afterwards).
        images: N x 3 x H x W in [0, 1], the starting points (not modified).
        cnnid, filterid: the layer of ``model.cnn`` and its channel (course: 6 and 0).
        iterations: Adam steps (course: 100).
        lr: Adam's learning rate (course: 0.1).
        batch_size: images optimized together; None = the device default.
        progress: show a progress bar over the iterations.

    Returns:
        images N x 3 x H x W in [0, 1] (float32, on ``images``' device).
    """
    check_images(images)
    layer = cnn_layer(model, cnnid)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"iterations must be an int >= 0 (course: 100), got {iterations!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0 (course: 0.1), got {lr!r}")
    batch_size = check_batch_size(batch_size, model_device(model))
    out = []
    with explaining(model), tqdm(total=len(images) * iterations, desc=f"filter {cnnid}:{filterid}",
                                 unit="image-step", disable=not progress) as bar:
        for part in batches(len(images), batch_size):
            x = to_model(images[part], model).detach().clone().clamp_(0, 1).requires_grad_(True)
            optimizer = torch.optim.Adam([x], lr=lr)
            for _ in range(iterations):
                optimizer.zero_grad()
                with torch.enable_grad():
                    activation = _channel(layer_output(model, layer, x), filterid, cnnid)
                    (-activation.sum()).backward()
                optimizer.step()
                with torch.no_grad():
                    x.clamp_(0, 1)
                bar.update(len(x))
            out.append(x.detach())
    return torch.cat(out).to(images.device)
