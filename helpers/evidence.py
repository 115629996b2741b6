"""Measure what a question asks about a figure, so a reading of the figure can be checked by numbers.

Each function takes explanation maps as tensors (one map H x W, or a stack N x H x W) and boolean
masks H x W (where the food is, or one part of it), and returns a small result whose printout says in
words what was measured. A map's *mass* is the sum of its values: a map must be non-negative, so pass
``m.clamp(min=0)`` for a signed map's positive part, ``(-m).clamp(min=0)`` for its negative part, or
``m.abs()`` (LIME's result has its drawn regions ready as ``.green`` and ``.red``).

The printouts state measurements only. What they mean for a question is for the reader to judge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

#: Width of the image's border frame, as a share of the image's side (16 pixels of 128).
FRAME_SHARE = 1 / 8
#: Half-width in pixels of the band along the food's outline.
OUTLINE_WIDTH = 3
#: "The brightest pixels": this share of the image's pixels.
TOP_SHARE = 0.10


# ---------------------------------------------------------------------------------------------------
# Inputs


def _as_map(m: torch.Tensor | np.ndarray, name: str = "map") -> torch.Tensor:
    """One map as a float64 CPU tensor H x W (a 1 x H x W stack is accepted)."""
    t = torch.as_tensor(m).detach().to("cpu", torch.float64)
    if t.dim() == 3 and t.shape[0] == 1:
        t = t[0]
    if t.dim() != 2:
        raise ValueError(f"{name} must be one H x W map, got shape {tuple(t.shape)}; index the stack, e.g. maps[6].")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} holds NaN or infinite values; check the method's output.")
    return t


def _as_maps(maps: torch.Tensor | np.ndarray, name: str = "maps") -> torch.Tensor:
    """A stack of maps as a float64 CPU tensor N x H x W (one H x W map becomes 1 x H x W)."""
    t = torch.as_tensor(maps).detach().to("cpu", torch.float64)
    if t.dim() == 2:
        t = t[None]
    if t.dim() != 3:
        raise ValueError(f"{name} must be N x H x W maps, got shape {tuple(t.shape)}.")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} hold NaN or infinite values; check the method's output.")
    return t


def _non_negative(t: torch.Tensor, name: str) -> torch.Tensor:
    if (t < 0).any():
        raise ValueError(
            f"{name} has negative values, so its 'mass' is ambiguous: pass m.clamp(min=0) for "
            "the positive part, (-m).clamp(min=0) for the negative part, or m.abs() for the "
            "magnitude."
        )
    return t


def _as_mask(mask: torch.Tensor | np.ndarray, shape: tuple[int, ...], name: str) -> torch.Tensor:
    t = torch.as_tensor(mask).detach().to("cpu")
    if t.dtype != torch.bool:
        raise ValueError(f"mask {name!r} must be boolean (True where the region is), got {t.dtype}.")
    if tuple(t.shape) != tuple(shape):
        raise ValueError(
            f"mask {name!r} has shape {tuple(t.shape)} but the map is {tuple(shape)}; "
            "upsample the map to the image size first (see upsample())."
        )
    return t


# ---------------------------------------------------------------------------------------------------
# Regions


def frame(size: tuple[int, int] = (128, 128), width: int | None = None) -> torch.Tensor:
    """The image's border frame, bool H x W: pixels within ``width`` of an edge (default: an eighth of
    the shorter side, 16 pixels of 128)."""
    h, w = size
    width = round(min(h, w) * FRAME_SHARE) if width is None else width
    if not 0 < 2 * width < min(h, w):
        raise ValueError(f"frame width {width} does not fit an image of {h} x {w}.")
    out = torch.ones(h, w, dtype=torch.bool)
    out[width : h - width, width : w - width] = False
    return out


def dilate(mask: torch.Tensor, width: int) -> torch.Tensor:
    """Grow a bool H x W mask by ``width`` pixels (square neighbourhood)."""
    if width <= 0:
        return mask.clone()
    grown = F.max_pool2d(mask[None, None].float(), 2 * width + 1, stride=1, padding=width)
    return grown[0, 0] > 0


def erode(mask: torch.Tensor, width: int) -> torch.Tensor:
    """Shrink a bool H x W mask by ``width`` pixels; the image's edge counts as outside."""
    return ~dilate(~mask, width)


def outline(mask: torch.Tensor, width: int = OUTLINE_WIDTH) -> torch.Tensor:
    """The band along a mask's boundary, bool H x W: within ``width`` pixels on either side."""
    return dilate(mask, width) & ~erode(mask, width)


def regions_of(obs, index: int, outline_width: int = OUTLINE_WIDTH) -> dict[str, torch.Tensor]:
    """Named bool H x W regions of observed image ``index`` of an :class:`~helpers.observe.Observation`.

    Always: ``"border"`` (the frame of the image). With the embedded data, which has food masks:
    ``"food"``, ``"background"``, the food's ``"outline"`` band and its ``"inside"``, and the image's
    named parts (e.g. ``"steak"``, ``"side"``) where the data has part masks (``parts/<stem>_<part>.png``).
    Real Food-11 photos have no masks: then only the frame is known.
    """
    size = tuple(obs.images.shape[-2:])
    regions = {"border": frame(size)}
    if obs.masks is not None:
        food = obs.masks[index].cpu()
        regions = {
            "food": food,
            "background": ~food,
            "outline": outline(food, outline_width),
            "inside": erode(food, outline_width),
            **regions,
        }
        source = obs.indices[index] if obs.indices else index  # observed image #index is dataset image source
        regions.update(part_masks(obs.dataset.paths[source], size))
    return regions


def part_masks(image_path: str | Path, size: tuple[int, int] = (128, 128)) -> dict[str, torch.Tensor]:
    """Part masks of one image: ``parts/<stem>_<part>.png`` beside it, as {part: bool H x W}; {} if none."""
    from PIL import Image

    image_path = Path(image_path)
    folder = image_path.parent / "parts"
    out = {}
    for path in sorted(folder.glob(f"{image_path.stem}_*.png")) if folder.is_dir() else []:
        with Image.open(path) as img:
            pixels = np.asarray(img.convert("L").resize((size[1], size[0]), Image.NEAREST))
        out[path.stem[len(image_path.stem) + 1 :]] = torch.from_numpy(pixels > 127)
    return out


# ---------------------------------------------------------------------------------------------------
# Where a map's mass lies


@dataclass(frozen=True)
class Share:
    """One region's part of a map: ``mass`` and ``area`` are shares of the whole, in [0, 1]."""

    name: str
    mass: float
    area: float
    centre: tuple[float, float]  # the region's own centre (row, column), fractions of the image

    @property
    def lift(self) -> float:
        """How many times denser the mass is inside the region than outside it (1 = no preference).

        (mass / area) / ((1 - mass) / (1 - area)); infinite when all the mass is inside, NaN for a
        region that is empty or the whole image.
        """
        if not 0 < self.area < 1 or math.isnan(self.mass):
            return math.nan
        outside = (1 - self.mass) / (1 - self.area)
        return self.mass / self.area / outside if outside > 0 else math.inf


def thirds(row: float, col: float) -> str:
    """A position in [0, 1] x [0, 1] (row, column) in words, e.g. "top third, right third"."""
    vertical = ("top", "middle", "bottom")[min(2, int(row * 3))]
    horizontal = ("left", "centre", "right")[min(2, int(col * 3))]
    return f"{vertical} third, {horizontal} third"


def centroid(m: torch.Tensor) -> tuple[float, float]:
    """Centre of mass (row, column) of a non-negative H x W map, as fractions of height and width."""
    t = _non_negative(_as_map(m), "map")
    total = t.sum()
    if total <= 0:
        return (math.nan, math.nan)
    h, w = t.shape
    rows = (torch.arange(h, dtype=t.dtype) + 0.5) / h
    cols = (torch.arange(w, dtype=t.dtype) + 0.5) / w
    return (float((t.sum(1) * rows).sum() / total), float((t.sum(0) * cols).sum() / total))


def concentration(m: torch.Tensor, top: float = TOP_SHARE) -> float:
    """Share of a non-negative map's mass held by its brightest ``top`` share of pixels.

    An even spread gives ``top`` (0.10); a map whose mass sits on a few pixels gives nearly 1.
    """
    t = _non_negative(_as_map(m), "map").flatten()
    total = t.sum()
    if total <= 0:
        return math.nan
    k = max(1, round(top * t.numel()))
    return float(t.topk(k).values.sum() / total)


@dataclass(frozen=True)
class Where:
    """Where the mass of one map lies: per region, and overall."""

    label: str
    shares: dict[str, Share]
    centre: tuple[float, float]
    top: float  # share of the mass held by the brightest TOP_SHARE of pixels
    total: float
    located: tuple[str, ...] = ()  # regions whose position is printed too
    missing: tuple[str, ...] = ()  # regions asked for that the data has no mask of

    def __getitem__(self, region: str) -> Share:
        return self.shares[region]

    def __str__(self) -> str:
        lines = [f"Where the mass of {self.label} lies:"]
        if self.total <= 0:
            return lines[0] + " the map is zero everywhere (nothing to locate)."
        width = max([len(n) for n in self.shares] + [6])
        for s in self.shares.values():
            lift = (
                ""
                if math.isnan(s.lift)
                else ", all of it"
                if math.isinf(s.lift)
                else f", {s.lift:.1f}x as dense as the rest of the image"
            )
            place = f"; the region lies in the {thirds(*s.centre)}" if s.name in self.located else ""
            lines.append(f"  {s.name:<{width}}  {s.mass:6.1%} of the mass on {s.area:6.1%} of the pixels{lift}{place}")
        lines.append(
            f"  centre of mass: {thirds(*self.centre)} "
            f"(row {self.centre[0]:.2f}, column {self.centre[1]:.2f} of the image)"
        )
        lines.append(
            f"  the brightest {TOP_SHARE:.0%} of pixels hold {self.top:.1%} of the mass "
            f"(an even spread would give {TOP_SHARE:.0%})"
        )
        if self.missing:
            lines.append(f"  no mask for: {', '.join(self.missing)} (this data has none: judge by eye)")
        return "\n".join(lines)

    __repr__ = __str__


def where(
    m: torch.Tensor,
    regions: Mapping[str, torch.Tensor] | None = None,
    label: str = "the map",
    locate: Sequence[str] = (),
) -> Where:
    """Share of a non-negative H x W map's mass in each named region, its centre and concentration.

    ``locate`` names regions whose own position (which third of the image) the printout adds; names
    without a mask (real photos have no part masks) are reported as missing.
    """
    t = _non_negative(_as_map(m), label)
    total = float(t.sum())
    shares = {}
    for name, mask in (regions or {}).items():
        mask = _as_mask(mask, tuple(t.shape), name)
        mass = float(t[mask].sum()) / total if total > 0 else math.nan
        shares[name] = Share(name, mass, float(mask.double().mean()), centroid(mask.double()))
    located = tuple(name for name in locate if name in shares)
    missing = tuple(name for name in locate if name not in shares)
    return Where(label, shares, centroid(t), concentration(t), total, located, missing)


# ---------------------------------------------------------------------------------------------------
# Comparing maps


def rank_correlations(reference: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
    """Spearman rank correlation of each map with its reference, pixel by pixel: float64 N (ties averaged).

    ``reference`` and ``maps`` are stacks N x H x W of one shape (one H x W map is a stack of one); NaN where
    either map is constant. Adebayo et al. 2018 compare explanation maps this way.
    """
    from scipy.stats import rankdata

    a, b = _as_maps(reference, "reference"), _as_maps(maps, "maps")
    if a.shape != b.shape:
        raise ValueError(f"the maps differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}; upsample() first.")
    ra, rb = rankdata(a.flatten(1).numpy(), axis=1), rankdata(b.flatten(1).numpy(), axis=1)
    ra, rb = ra - ra.mean(1, keepdims=True), rb - rb.mean(1, keepdims=True)
    denominator = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return torch.from_numpy(np.where(denominator > 0, (ra * rb).sum(1) / denominator, np.nan))


def rank_correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    """Spearman rank correlation between two H x W maps (:func:`rank_correlations` of one pair)."""
    x, y = _as_map(a, "a"), _as_map(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"the maps differ in shape: {tuple(x.shape)} vs {tuple(y.shape)}; upsample() first.")
    return float(rank_correlations(x, y)[0])


def relative_change(a: torch.Tensor, b: torch.Tensor) -> float:
    """``|b - a|_1 / |a|_1``: how much map ``b`` differs from map ``a``, relative to ``a``'s size."""
    x, y = _as_map(a, "a"), _as_map(b, "b")
    size = float(x.abs().sum())
    return float((y - x).abs().sum()) / size if size > 0 else math.nan


def blurriness(m: torch.Tensor) -> float:
    """Lag-1 spatial autocorrelation of an H x W map: near 1 = smooth/blurry, near 0 = sharp/noisy.

    The mean of the correlations between each pixel and its right neighbour and its lower neighbour.
    """
    t = _as_map(m)

    def corr(x: torch.Tensor, y: torch.Tensor) -> float:
        x, y = x.flatten() - x.mean(), y.flatten() - y.mean()
        denom = math.sqrt(float((x * x).sum() * (y * y).sum()))
        return float((x * y).sum()) / denom if denom > 0 else math.nan

    return (corr(t[:, :-1], t[:, 1:]) + corr(t[:-1, :], t[1:, :])) / 2


def upsample(maps: torch.Tensor, size: tuple[int, int] = (128, 128)) -> torch.Tensor:
    """N x h x w (or h x w) maps resized to ``size`` by bilinear interpolation, as float64 N x H x W."""
    t = _as_maps(maps)
    if tuple(t.shape[-2:]) == tuple(size):
        return t.clone()
    return F.interpolate(t[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]


# ---------------------------------------------------------------------------------------------------
# Question-shaped measurements (each prints in words)


@dataclass(frozen=True)
class FoodShares:
    """Per image, the share of each method's mass on the food mask, and the food's share of the pixels."""

    methods: dict[str, list[float]]
    area: list[float]
    indices: list[int]

    def mean(self, method: str) -> float:
        return float(np.mean(self.methods[method]))

    def __str__(self) -> str:
        names = list(self.methods)
        head = "image  food area  " + "  ".join(f"{n:>12}" for n in names)
        lines = ["Share of each map's mass on the food (the food mask):", head]
        for row, i in enumerate(self.indices):
            lines.append(f"#{i:<5} {self.area[row]:9.1%}  " + "  ".join(f"{self.methods[n][row]:12.1%}" for n in names))
        lines.append(f"mean   {np.mean(self.area):9.1%}  " + "  ".join(f"{self.mean(n):12.1%}" for n in names))
        return "\n".join(lines)

    __repr__ = __str__


def food_shares(
    maps: Mapping[str, torch.Tensor], masks: torch.Tensor | None, indices: Sequence[int] | None = None
) -> FoodShares | str:
    """For each named stack of non-negative N x H x W maps, the share of mass on each image's food mask.

    Returns a sentence instead when the data has no food masks (real Food-11 photos).
    """
    if masks is None:
        return "This data has no food masks, so the share on the food cannot be measured: judge by eye."
    from helpers.attribution import chance_mass, mass_on_mask

    masks = torch.as_tensor(masks).cpu()
    indices = list(range(masks.shape[0])) if indices is None else list(indices)
    out = {name: mass_on_mask(_as_maps(stack, name)[indices], masks[indices]).tolist() for name, stack in maps.items()}
    return FoodShares(out, chance_mass(masks[indices]).tolist(), indices)


@dataclass(frozen=True)
class LayerComparison:
    """One filter's activation at two layers: blurriness of each, and how alike the activated places are."""

    names: tuple[str, str]
    blur: tuple[list[float], list[float]]
    correlation: list[float]

    def mean_blur(self, which: int) -> float:
        return float(np.nanmean(self.blur[which]))

    @property
    def mean_correlation(self) -> float:
        return float(np.nanmean(self.correlation))

    def __str__(self) -> str:
        a, b = self.names
        lines = [
            f"Activation maps at {a} and {b}, upsampled to the image size:",
            f"  blurriness (neighbour correlation, 1 = smooth): {a} {self.mean_blur(0):.2f}, "
            f"{b} {self.mean_blur(1):.2f} (mean over images)",
            f"  rank correlation between the two maps of the same image: "
            f"mean {self.mean_correlation:.2f} (1 = same places activated, 0 = unrelated), per image: "
            + ", ".join(f"{c:.2f}" for c in self.correlation),
        ]
        return "\n".join(lines)

    __repr__ = __str__


def compare_layers(
    first: torch.Tensor,
    second: torch.Tensor,
    names: tuple[str, str] = ("layer A", "layer B"),
    size: tuple[int, int] = (128, 128),
) -> LayerComparison:
    """Compare two stacks of activation maps (N x h x w each, any resolution) of the same images."""
    a, b = upsample(first, size), upsample(second, size)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"the two layers have maps of {a.shape[0]} and {b.shape[0]} images; pass the same images.")
    return LayerComparison(
        tuple(names),
        ([blurriness(m) for m in a], [blurriness(m) for m in b]),
        rank_correlations(a, b).tolist(),
    )


@dataclass(frozen=True)
class StepsComparison:
    """Maps of one method at several settings (e.g. integration steps) against a reference setting."""

    reference: str
    correlation: dict[str, list[float]] = field(default_factory=dict)
    change: dict[str, list[float]] = field(default_factory=dict)
    top: dict[str, list[float]] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"Compared with the maps at {self.reference} (mean over images):"]
        ref_top = float(np.nanmean(self.top[self.reference]))
        lines.append(f"  {self.reference:>10}: brightest {TOP_SHARE:.0%} of pixels hold {ref_top:.1%} of the mass")
        for name in self.correlation:
            lines.append(
                f"  {name:>10}: rank correlation {np.nanmean(self.correlation[name]):.3f}, "
                f"relative change {np.nanmean(self.change[name]):.1%}, "
                f"brightest {TOP_SHARE:.0%} hold {np.nanmean(self.top[name]):.1%} of the mass"
            )
        return "\n".join(lines)

    __repr__ = __str__


def compare_settings(maps: Mapping[str, torch.Tensor], reference: str | None = None) -> StepsComparison:
    """Compare stacks of non-negative N x H x W maps, keyed by setting (e.g. ``"10 steps"``), to one.

    ``reference`` (default: the first) is the setting the others are compared with.
    """
    if not maps:
        raise ValueError("pass at least one stack of maps, e.g. {'10 steps': maps10, '50 steps': maps50}.")
    stacks = {k: _non_negative(_as_maps(v, k), k) for k, v in maps.items()}
    reference = next(iter(stacks)) if reference is None else reference
    if reference not in stacks:
        raise ValueError(f"reference {reference!r} is not one of {list(stacks)}.")
    ref = stacks[reference]
    result = StepsComparison(reference, top={reference: [concentration(m) for m in ref]})
    for name, stack in stacks.items():
        if name == reference:
            continue
        if stack.shape != ref.shape:
            raise ValueError(f"maps {name!r} have shape {tuple(stack.shape)}, the reference {tuple(ref.shape)}.")
        result.correlation[name] = rank_correlations(ref, stack).tolist()
        result.change[name] = [relative_change(x, y) for x, y in zip(ref, stack, strict=True)]
        result.top[name] = [concentration(m) for m in stack]
    return result


@dataclass(frozen=True)
class Scale:
    """The range of a stack of maps: how their sizes differ between images, and how bright they would
    look on a colour scale from 0 to 1."""

    label: str
    largest: list[float]
    mean: list[float]

    def __str__(self) -> str:
        low, high = min(self.largest), max(self.largest)
        spread = f"{high / low:.1f} times" if low > 0 else "infinitely many times"
        return (
            f"{self.label}: largest value per image "
            + ", ".join(f"{v:.2g}" for v in self.largest)
            + f"\n  the largest of these is {spread} the smallest"
            + f"\n  on a colour scale from 0 to 1, the brightest pixel of all would show at {min(high, 1):.2%} "
            "of full brightness"
        )

    __repr__ = __str__


def scale(maps: torch.Tensor, label: str = "the maps") -> Scale:
    """Largest and mean value of each map of an N x H x W stack."""
    t = _as_maps(maps, label)
    return Scale(label, [float(m.max()) for m in t], [float(m.mean()) for m in t])
