"""The explorer's methods: each knob a student can turn, and the call to the lesson library it makes.

One image at a time: every method here calls the same function the lessons call (no second
implementation) on a batch of one, and returns a :class:`Shown`: the pictures and lines the figure
draws. The knobs are the homework's: saliency's and SmoothGrad's normalization (questions 6 and 13),
SmoothGrad's noise level and copies, integrated gradients' steps and baseline, LIME's samples, segments,
features, min_weight and output, and the layer and filter of filter explanation. Their labels are words
(``Knob.label``); the keywords stay the library's, as the lessons' calls use them.

The model is called through :class:`Watched`, which counts the images it is shown (the progress bar)
and asks the scheduler's ticket at every call whether the computation is still wanted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from helpers.filters import cnn_layer, filter_activation, filter_visualization
from helpers.integrated_gradients import integrated_gradients
from helpers.saliency import saliency
from helpers.smoothgrad import noise_sigma, smoothgrad

#: Integrated gradients' baselines (Sturmfels, Lundberg & Lee 2020, "Visualizing the Impact of Feature
#: Attribution Baselines", Distill, doi:10.23915/distill.00022): black (the paper's and the course's), the
#: image blurred (keeps its colours, removes its detail), uniform noise (seeded, so redraws agree).
BASELINES = ("black", "blurred", "uniform noise")
BLUR_SIGMA = 10.0  # pixels of the 128 x 128 image
#: Maps drawn without their per-image normalization keep the 0..1 colour scale of the normalized ones, one
#: scale for every image, as lesson 03 draws them for question 13: a map scaled to its own maximum would look
#: the same with normalization on or off.
UNIT_SCALE = (0.0, 1.0)
#: :data:`helpers.lime_explain.OUTPUTS`, spelled out so that opening the explorer does not import lime (a
#: second; a test checks they agree). LIME is imported when it is first run.
LIME_OUTPUTS = ("logits", "probability")


@dataclass(frozen=True)
class Knob:
    """One control: a number in ``low..high`` (``step``), a choice among ``options`` or a switch (bool)."""

    name: str  # the keyword of the method's function
    label: str
    default: object
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: tuple = ()


@dataclass(frozen=True)
class Picture:
    """One panel of the figure: an RGB image H x W x 3 or a map H x W (with its colour scale)."""

    title: str
    pixels: np.ndarray
    cmap: str | None = None
    limits: tuple[float, float] | None = None
    colorbar: str = ""  # the colorbar's label (maps only)


@dataclass
class Shown:
    """What one method's result draws: pictures after the input image, and lines of numbers below."""

    title: str
    pictures: list[Picture]
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Method:
    key: str
    title: str
    knobs: tuple[Knob, ...]
    run: Callable[[nn.Module, torch.Tensor, int, dict], Shown]
    work: Callable[[dict], int]  # images the model is shown (the progress bar's length)
    #: False for the filters: what a filter responds to depends on the image only, not on a class.
    explains_class: bool = True


class Watched(nn.Module):
    """``model`` with a callback before each call (number of images); ``cnn`` passes through for filters."""

    def __init__(self, model: nn.Module, seen: Callable[[int], None]) -> None:
        super().__init__()
        self.inner, self.seen = model, seen

    @property
    def cnn(self) -> nn.Module:
        return self.inner.cnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen(len(x))
        return self.inner(x)


def _map(maps: torch.Tensor) -> np.ndarray:
    return maps[0].detach().float().cpu().numpy()


def _rgb(images: torch.Tensor) -> np.ndarray:
    return images[0].detach().float().cpu().permute(1, 2, 0).clamp(0, 1).numpy()


def gradient_map(title: str, m: np.ndarray, normalize: bool, unit: str) -> tuple[Picture, str]:
    """A map of |gradients| (H x W) on :data:`UNIT_SCALE`, and the line that gives its values."""
    values = f"largest value {m.max():.3g}, mean {m.mean():.3g}"
    if normalize:
        return Picture(title, m, "hot", UNIT_SCALE, f"{unit}, scaled"), f"{values} (scaled to [0, 1])"
    return (
        Picture(f"{title}, not normalized", m, "hot", UNIT_SCALE, unit),
        f"not normalized: {values}, drawn on the 0..1 scale of the normalized maps (above 1 shows as 1)",
    )


def run_saliency(model: nn.Module, image: torch.Tensor, target: int, knobs: dict) -> Shown:
    normalize = knobs["normalize"]
    maps = saliency(model, image[None], target, normalize=normalize)
    picture, line = gradient_map("saliency", _map(maps), normalize, "|d loss / d pixel|")
    return Shown(f"Saliency ({'each map scaled to [0, 1]' if normalize else 'not normalized'})", [picture], [line])


def run_smoothgrad(model: nn.Module, image: torch.Tensor, target: int, knobs: dict) -> Shown:
    samples, level, normalize = knobs["samples"], knobs["noise_level"], knobs["normalize"]
    settings = {"samples": samples, "noise_level": level, "normalize": normalize}
    maps = smoothgrad(model, image[None], target, **settings, progress=False)
    generator = torch.Generator().manual_seed(0)
    sigma = float(noise_sigma(image[None], level)[0])
    noisy = (image + sigma * torch.randn(image.shape, generator=generator)).clamp(0, 1)
    picture, line = gradient_map("SmoothGrad", _map(maps), normalize, "mean |d loss / d pixel|")
    return Shown(
        f"SmoothGrad ({samples} noisy copies, noise level {level:g})",
        [Picture(f"one noisy copy (std {sigma:.2f})", _rgb(noisy[None])), picture],
        [f"noise standard deviation {sigma:.3f} = noise level {level:g} x the image's value range", line],
    )


def make_baseline(image: torch.Tensor, kind: str) -> torch.Tensor:
    """Baseline 3 x H x W for ``image`` (3 x H x W in [0, 1]): see :data:`BASELINES`."""
    if kind == "black":
        return torch.zeros_like(image)
    if kind == "blurred":
        from scipy.ndimage import gaussian_filter

        blurred = gaussian_filter(image.detach().cpu().double().numpy(), (0, BLUR_SIGMA, BLUR_SIGMA), mode="reflect")
        return torch.from_numpy(blurred).to(image.dtype)
    if kind == "uniform noise":
        return torch.rand(image.shape, generator=torch.Generator().manual_seed(0)).to(image.dtype)
    raise ValueError(f"baseline must be one of {BASELINES}, got {kind!r}")


def run_ig(model: nn.Module, image: torch.Tensor, target: int, knobs: dict) -> Shown:
    steps, kind = knobs["steps"], knobs["baseline"]
    base = make_baseline(image, kind)
    result = integrated_gradients(model, image[None], target, steps=steps, baseline=base[None])
    total = float(result.attributions.sum())
    gap, error = float(result.score_gap[0]), float(result.completeness_error[0])
    return Shown(
        f"Integrated gradients ({steps} steps, {kind} baseline)",
        [
            Picture(f"baseline ({kind})", _rgb(base[None])),
            Picture("integrated gradients", _map(result.maps), "hot", (0.0, 1.0), "|attribution|, scaled"),
        ],
        [
            f"completeness: attributions sum to {total:.3f}; score change F(image) - F(baseline) = {gap:.3f}; "
            f"error {error:+.3f} ({float(result.relative_error[0]):.1%} of the change)"
        ],
    )


def run_lime(model: nn.Module, image: torch.Tensor, target: int, knobs: dict) -> Shown:
    from helpers.lime_explain import lime_explain

    result = lime_explain(
        model,
        image[None],
        target,
        num_samples=knobs["num_samples"],
        num_segments=knobs["num_segments"],
        num_features=knobs["num_features"],
        min_weight=knobs["min_weight"],
        output=knobs["output"],
        progress=False,
    )
    weights = _map(result.maps)
    reach = max(float(np.abs(weights).max()), 1e-12)
    return Shown(
        f"LIME ({knobs['num_samples']} samples, ~{knobs['num_segments']} segments, explains the {knobs['output']})",
        [
            Picture("drawn regions (green for, red against)", result.overlays[0]),
            Picture("every superpixel's weight", weights, "RdYlGn", (-reach, reach), f"weight ({knobs['output']})"),
        ],
        [line.strip() for line in result.describe(0).splitlines()[1:]] + [f"{len(result.weights[0])} superpixels"],
    )


def run_activation(model: nn.Module, image: torch.Tensor, target: int, knobs: dict) -> Shown:
    cnnid, filterid = knobs["cnnid"], knobs["filterid"]
    activation = _map(filter_activation(model, image[None], cnnid, filterid))
    layer = cnn_layer(model, cnnid)
    return Shown(
        f"Filter {filterid} of model.cnn[{cnnid}] ({type(layer).__name__}): where it fires",
        [Picture(f"activation {activation.shape[0]} x {activation.shape[1]}", activation, "hot", None, "activation")],
        [f"model.cnn[{cnnid}] = {layer}; activation from {activation.min():.3g} to {activation.max():.3g}"],
    )


def run_visualization(model: nn.Module, image: torch.Tensor, target: int, knobs: dict) -> Shown:
    cnnid, filterid, iterations = knobs["cnnid"], knobs["filterid"], knobs["iterations"]
    changed = filter_visualization(model, image[None], cnnid, filterid, iterations=iterations, progress=False)
    before = float(filter_activation(model, image[None], cnnid, filterid).sum())
    after = float(filter_activation(model, changed, cnnid, filterid).sum())
    return Shown(
        f"Filter {filterid} of model.cnn[{cnnid}]: the image changed to excite it ({iterations} steps)",
        [Picture("visualization", _rgb(changed))],
        [f"summed activation {before:.3g} before, {after:.3g} after the gradient ascent (Adam, lr 0.1, clipped)"],
    )


#: Saliency's and SmoothGrad's last step: each map scaled to [0, 1] on its own.
NORMALIZE = Knob("normalize", "normalize each map", True)


def _layer_knobs(extra: tuple[Knob, ...] = ()) -> tuple[Knob, ...]:
    return (Knob("cnnid", "layer", 6, 0, 37, 1), Knob("filterid", "filter", 0, 0, 63, 1), *extra)


METHODS: dict[str, Method] = {
    m.key: m
    for m in (
        Method("saliency", "Saliency", (NORMALIZE,), run_saliency, lambda k: 1),
        Method(
            "smoothgrad",
            "SmoothGrad",
            (
                Knob("noise_level", "noise level", 0.4, 0.0, 1.0, 0.05),
                Knob("samples", "noisy copies", 50, 1, 500, 1),
                NORMALIZE,
            ),
            run_smoothgrad,
            lambda k: k["samples"],
        ),
        Method(
            "ig",
            "Integrated gradients",
            (Knob("steps", "steps", 10, 1, 256, 1), Knob("baseline", "baseline", "black", options=BASELINES)),
            run_ig,
            lambda k: k["steps"] + 1,
        ),
        Method(
            "lime",
            "LIME",
            (
                Knob("num_samples", "samples", 1000, 10, 5000, 10),
                Knob("num_segments", "superpixels", 200, 10, 400, 10),
                Knob("num_features", "regions drawn", 11, 1, 40, 1),
                Knob("min_weight", "smallest weight shown", 0.05, 0.0, 0.5, 0.01),
                Knob("output", "explains the", "logits", options=LIME_OUTPUTS),
            ),
            run_lime,
            lambda k: k["num_samples"] + 1,
        ),
        Method("activation", "Filter activation", _layer_knobs(), run_activation, lambda k: 1, explains_class=False),
        Method(
            "visualization",
            "Filter visualization",
            _layer_knobs((Knob("iterations", "ascent steps", 100, 0, 300, 5),)),
            run_visualization,
            lambda k: k["iterations"] + 2,
            explains_class=False,
        ),
    )
}


def defaults(method: str) -> dict:
    """The knobs of ``method`` at their defaults."""
    return {k.name: k.default for k in METHODS[method].knobs}


def check_knobs(method: str, knobs: dict) -> dict:
    """``knobs`` completed with defaults and checked against their ranges; ValueError names a bad one."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    unknown = sorted(set(knobs) - {k.name for k in METHODS[method].knobs})
    if unknown:
        raise ValueError(
            f"{METHODS[method].title} has no knob {', '.join(unknown)}; its knobs: "
            f"{', '.join(k.name for k in METHODS[method].knobs)}"
        )
    out = {**defaults(method), **knobs}
    for knob in METHODS[method].knobs:
        value, what = out[knob.name], knob.name if knob.name == knob.label else f"{knob.name} ({knob.label})"
        if knob.options and value not in knob.options:
            raise ValueError(f"{what} must be one of {', '.join(map(str, knob.options))}, got {value!r}")
        if knob.low is not None and not knob.low <= value <= knob.high:
            raise ValueError(f"{what} must be in {knob.low:g}..{knob.high:g}, got {value!r}")
    return out
