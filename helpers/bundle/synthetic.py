"""Embedded default data: deterministic, photo-like synthetic food images in Food-11's layout.

The course's Food-11 photos cannot ship with the bundle, so the bundle draws its own: the eleven
Food-11 classes in the course's order, 128 x 128 RGB, each image with a ground-truth mask of where the
food is. The masks let the notebooks measure how much of an explanation's attribution lands on the food.

Everything that is not food (the table, the plate or bowl, cutlery, napkins, cups, crumbs, the light,
the camera's colour cast and noise) is drawn independently of the class, so a classifier can only learn
the label from the food itself. Each image has its own random generator seeded from
``(seed, split, label, n)``: the same seed gives byte-identical files whatever the order or the number
of worker processes.

Layout written by :func:`generate` (Food-11's, plus masks)::

    root/training/<label>_<n>.jpg        n counts from 0 within each class; JPEG quality 90
    root/training/masks/<label>_<n>.png  8-bit L, 255 where the food is, 0 elsewhere
    root/validation/..., root/evaluation/...
    root/food/<label>_<index>.jpg        the ten hand-designed observation images (OBSERVATION)
    root/food/masks/<stem>.png           their food masks
    root/food/parts/<stem>_<part>.png    masks of named parts (PARTS)

What each class looks like (one variant drawn per image):

    0 Bread            loaf with scoring, slices with crust, toast cubes, buns with sesame
    1 Dairy product    milk jug, glass of milk, cheese wedge / cubes / slices with holes
    2 Dessert          layered cake slice, cupcake(s), iced doughnut(s)
    3 Egg              fried egg(s), halved boiled eggs, whole eggs in the shell
    4 Fried food       fries, nuggets, fried chicken, onion rings
    5 Meat             steak with grill marks (whole or sliced), drumsticks, skewers, cold cuts
    6 Noodles/Pasta    tangle of wavy strands, with sauce, cheese, meatballs or herbs
    7 Rice             grainy mound (white, fried with peas and carrot), onigiri
    8 Seafood          curled shrimp, whole fish, salmon fillet or sashimi
    9 Soup             liquid filling the plate or bowl, with reflection, cream swirl or floating bits
    10 Vegetable/Fruit salad leaves with tomatoes and cucumber, apples, tomatoes, oranges, citrus
                       halves, broccoli, grapes

Scenes are seen from above. Drawing works on signed distance fields (negative inside a shape) turned
into anti-aliased coverage, value noise for textures, and a per-scene light direction used for
shading, highlights and shadows.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from tqdm.auto import tqdm

from helpers import paths
from helpers.classes import CLASS_NAMES

#: Bump whenever the drawing changes: ensure_embedded() regenerates caches with another version.
VERSION = "food11-synthetic-v4"

#: Images per class in each split (Food-11's folder names).
SPLITS = {"training": 200, "validation": 40, "evaluation": 40}


#: The ten observation images (file stems in ``food/``, sorted as the course indexes them 0..9).
OBSERVATION = [
    ("0_0", "cube-shaped toast on a plate"),
    ("1_1", "milk jug with its handle near the right edge"),
    ("1_2", "cheese pieces and milk drops scattered over a busy tablecloth"),
    ("2_3", "slice of layered cake"),
    ("5_4", "plate with a brown steak on the right and yellow fries on the left"),
    ("5_5", "roast drumsticks"),
    ("5_6", "meat skewers"),
    ("5_7", "a steak alone on a plate"),
    ("8_8", "whole fish and shrimp"),
    ("9_9", "bowl of soup seen from above"),
]

#: Part masks written to ``food/parts/<stem>_<part>.png``. All are food except 9_9's "rim": the bowl
#: around the soup (from its outer edge to the liquid), i.e. the bowl's contour.
PARTS = {
    "0_0": ["cube"],
    "1_1": ["handle", "body"],
    "5_4": ["steak", "side"],
    "5_7": ["steak"],
    "9_9": ["rim", "soup"],
}

SIZE = 128
JPEG_QUALITY = 90
_S = SIZE
# Pixel-centre coordinates, x to the right, y down.
_Y, _X = np.mgrid[0:_S, 0:_S].astype(np.float32) + np.float32(0.5)
_TAU = 2 * math.pi


# --------------------------------------------------------------------------------------------------
# Geometry: signed distances (pixels, negative inside) and coverage.


def _frame(cx: float, cy: float, angle: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates in a frame centred on (cx, cy) and turned by ``angle`` (radians)."""
    c, s = math.cos(angle), math.sin(angle)
    dx, dy = _X - np.float32(cx), _Y - np.float32(cy)
    return dx * c + dy * s, dy * c - dx * s


def _to_image(cx: float, cy: float, angle: float, u: float, v: float) -> tuple[float, float]:
    """Inverse of :func:`_frame` for one point."""
    c, s = math.cos(angle), math.sin(angle)
    return cx + u * c - v * s, cy + u * s + v * c


def _cov(d: np.ndarray, width: float = 1.0) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of the shape ``d <= 0`` (edge ramp ``width`` pixels)."""
    return np.clip(0.5 - d / np.float32(width), 0.0, 1.0)


def _sd_circle(u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    return np.hypot(u, v) - np.float32(r)


def _sd_ellipse(u: np.ndarray, v: np.ndarray, a: float, b: float) -> np.ndarray:
    """First-order distance to an ellipse with half-axes a (along u) and b (along v)."""
    k = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    g = np.sqrt((u / (a * a)) ** 2 + (v / (b * b)) ** 2)
    return (k - 1) * (k + 1e-4) / (g + 1e-4 / min(a, b))


def _sd_egg(u: np.ndarray, v: np.ndarray, a: float, b: float) -> np.ndarray:
    """An egg outline: an ellipse whose width shrinks towards +u."""
    return _sd_ellipse(u, v / (1 - 0.18 * np.clip(u / a, -1, 1)), a, b)


def _sd_box(u: np.ndarray, v: np.ndarray, hw: float, hh: float, r: float = 0.0) -> np.ndarray:
    """Box with half-width hw, half-height hh and corner radius r."""
    qx = np.abs(u) - (hw - r)
    qy = np.abs(v) - (hh - r)
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - r


def _sd_segment(x0: float, y0: float, x1: float, y1: float, r0: float, r1: float | None = None) -> np.ndarray:
    """Capsule from (x0, y0) to (x1, y1) whose radius goes from r0 to r1 (image coordinates)."""
    dx, dy = x1 - x0, y1 - y0
    px, py = _X - np.float32(x0), _Y - np.float32(y0)
    t = np.clip((px * dx + py * dy) / (dx * dx + dy * dy + 1e-9), 0, 1)
    dist = np.hypot(px - t * dx, py - t * dy)
    return dist - (r0 if r1 is None else r0 + (r1 - r0) * t)


def _sd_polygon(points: list[tuple[float, float]]) -> np.ndarray:
    """Convex polygon (image coordinates, either winding): the largest signed edge distance."""
    pts = np.asarray(points, dtype=np.float64)
    x, y = pts[:, 0], pts[:, 1]
    if np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) < 0:
        pts = pts[::-1]
    d = np.full((_S, _S), -1e9, np.float32)
    for (x0, y0), (x1, y1) in zip(pts, np.roll(pts, -1, axis=0), strict=True):
        ex, ey = x1 - x0, y1 - y0
        n = math.hypot(ex, ey) + 1e-9
        d = np.maximum(d, ((_X - x0) * ey - (_Y - y0) * ex) / n)
    return d


def _sd_blob(
    cx: float,
    cy: float,
    r: float,
    rng: np.random.Generator,
    wobble: float = 0.1,
    aspect: float = 1.0,
    angle: float = 0.0,
) -> np.ndarray:
    """A lumpy round shape: radius r modulated by a few random angular harmonics."""
    u, v = _frame(cx, cy, angle)
    v = v / aspect
    rho = np.hypot(u, v)
    theta = np.arctan2(v, u)
    rr = np.ones_like(rho)
    for k in range(2, 7):
        rr += np.float32(wobble * rng.normal() / k) * np.cos(k * theta + rng.uniform(0, _TAU))
    return rho - r * rr


# --------------------------------------------------------------------------------------------------
# Textures.


def _noise(rng: np.random.Generator, cells: int) -> np.ndarray:
    """Smooth value noise in [0, 1] with ``cells`` random values across the image."""
    cells = max(1, int(cells))
    g = rng.random((cells + 1, cells + 1), dtype=np.float32)
    t = (np.arange(_S, dtype=np.float32) + 0.5) * (cells / _S)
    i = np.minimum(t.astype(np.int64), cells - 1)
    f = t - i
    f = f * f * (3 - 2 * f)
    rows = g[i] * (1 - f)[:, None] + g[i + 1] * f[:, None]
    return rows[:, i] * (1 - f) + rows[:, i + 1] * f


def _fbm(rng: np.random.Generator, cells: int, octaves: int = 3) -> np.ndarray:
    """Fractal noise, roughly in [-1, 1]: octaves of value noise, each twice as fine and half as strong."""
    total = np.zeros((_S, _S), np.float32)
    amp, norm = 1.0, 0.0
    for _ in range(octaves):
        total += np.float32(amp) * (_noise(rng, cells) - 0.5)
        norm += amp
        amp *= 0.5
        cells = min(cells * 2, _S)
    return total * np.float32(3.0 / norm)


def _grain(rng: np.random.Generator, sigma: float = 0.7) -> np.ndarray:
    """Fine grain of unit-ish amplitude."""
    g = ndimage.gaussian_filter(rng.standard_normal((_S, _S), dtype=np.float32), sigma, truncate=2.5)
    return g * np.float32(1.0 / (0.28 / sigma + 1e-3))


def _support(a: np.ndarray, pad: int) -> tuple[slice, slice] | None:
    """Bounding box of the non-zero part of ``a`` grown by ``pad`` pixels (None when all zero)."""
    rows = np.flatnonzero(a.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(a.any(axis=0))
    return (
        slice(max(rows[0] - pad, 0), min(rows[-1] + pad + 1, _S)),
        slice(max(cols[0] - pad, 0), min(cols[-1] + pad + 1, _S)),
    )


def _pores(rng: np.random.Generator, cells: int = 24, amount: float = 0.62) -> np.ndarray:
    """Small dark holes in [0, 1] (bread crumb, sponge cake)."""
    return np.clip((_noise(rng, cells) - amount) * 5, 0, 1)


@functools.lru_cache(maxsize=256)
def _sprite(rx: float, ry: float, angle_step: int, steps: int = 8, dome: bool = True) -> np.ndarray:
    """A small ellipse image (dome profile or flat coverage) turned by ``pi * angle_step / steps``."""
    k = 2 * int(math.ceil(max(rx, ry))) + 3
    g = np.arange(k, dtype=np.float32) - k // 2
    yy, xx = np.meshgrid(g, g, indexing="ij")
    a = math.pi * angle_step / steps
    u = xx * math.cos(a) + yy * math.sin(a)
    v = yy * math.cos(a) - xx * math.sin(a)
    r = np.sqrt((u / rx) ** 2 + (v / ry) ** 2)
    if dome:
        return np.sqrt(np.clip(1 - r * r, 0, 1)).astype(np.float32)
    return np.clip((1 - r) * min(rx, ry) + 0.5, 0, 1).astype(np.float32)


def _stamp(xs: np.ndarray, ys: np.ndarray, sprite: np.ndarray) -> np.ndarray:
    """Sum of copies of ``sprite`` centred on the given pixel positions (clipped at the borders)."""
    k = sprite.shape[0]
    h = k // 2
    xi = np.floor(np.asarray(xs)).astype(np.int64)
    yi = np.floor(np.asarray(ys)).astype(np.int64)
    oy, ox = np.mgrid[-h : k - h, -h : k - h]
    px = xi[:, None] + ox.ravel()[None, :]
    py = yi[:, None] + oy.ravel()[None, :]
    w = np.broadcast_to(sprite.ravel()[None, :], px.shape)
    ok = (px >= 0) & (px < _S) & (py >= 0) & (py < _S)
    out = np.bincount((py * _S + px)[ok], weights=w[ok], minlength=_S * _S)
    return out.reshape(_S, _S).astype(np.float32)


def _scatter(
    xs: np.ndarray, ys: np.ndarray, rx: float, ry: float, rng: np.random.Generator, dome: bool = False
) -> np.ndarray:
    """Union of many small ellipses at random orientations; coverage (or dome height) in [0, 1]."""
    steps = rng.integers(0, 8, len(xs))
    out = np.zeros((_S, _S), np.float32)
    for step in np.unique(steps):
        sel = steps == step
        out += _stamp(xs[sel], ys[sel], _sprite(rx, ry, int(step), dome=dome))
    return np.clip(out, 0, 1)


def _inside_points(rng: np.random.Generator, region: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n random positions (x, y) inside a coverage region (pixel centres plus jitter)."""
    ys, xs = np.nonzero(region > 0.5)
    if len(xs) == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    pick = rng.integers(0, len(xs), n)
    return xs[pick] + rng.random(n) * 0.999, ys[pick] + rng.random(n) * 0.999


def _rgb(color: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    return np.asarray(color, dtype=np.float32)


def _jit(rng: np.random.Generator, color: tuple[float, float, float], spread: float = 0.05) -> np.ndarray:
    """A colour near ``color``: small per-channel and brightness changes."""
    c = _rgb(color) * (1 + rng.normal(0, spread, 3)) * (1 + rng.normal(0, spread))
    return np.clip(c, 0, 1).astype(np.float32)


def _tint(color: np.ndarray | tuple[float, float, float], t: np.ndarray) -> np.ndarray:
    """Colour field: ``color`` times a scalar field (S x S) -> S x S x 3."""
    return _rgb(color)[None, None, :] * t[..., None]


def _mix(c0: np.ndarray, c1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-pixel blend of two colours (or colour fields) by the field t in [0, 1]."""
    t = t[..., None]
    return c0 * (1 - t) + c1 * t


def _shift(a: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Move an S x S field by whole pixels, filling with zeros."""
    dx, dy = int(round(dx)), int(round(dy))
    out = np.zeros_like(a)
    out[max(dy, 0) : _S + min(dy, 0), max(dx, 0) : _S + min(dx, 0)] = a[
        max(-dy, 0) : _S + min(-dy, 0), max(-dx, 0) : _S + min(-dx, 0)
    ]
    return out


# --------------------------------------------------------------------------------------------------
# The scene: an image, the food coverage, named part coverages and the light.


class _Scene:
    """Canvas being drawn: colour image (S x S x 3 float in [0, 1]), food coverage and part coverages.

    Painting food adds to the food coverage (and to ``self.part`` when set); painting anything else
    on top removes coverage, so occluders cut the mask.
    """

    def __init__(self, rng: np.random.Generator, light_angle: float | None = None) -> None:
        self.rng = rng
        angle = rng.uniform(0, _TAU) if light_angle is None else light_angle
        # Unit vector (image plane) pointing towards the light.
        self.lx, self.ly = math.cos(angle), math.sin(angle)
        self.img = np.zeros((_S, _S, 3), np.float32)
        self.food = np.zeros((_S, _S), np.float32)
        self.parts: dict[str, np.ndarray] = {}
        self.part: str | None = None

    def paint(
        self,
        alpha: np.ndarray,
        color: np.ndarray | tuple[float, float, float],
        food: bool = False,
        shade: np.ndarray | None = None,
    ) -> None:
        """Paint ``color`` (RGB or S x S x 3), times ``shade`` (S x S) if given, with coverage ``alpha``."""
        box = _support(alpha, 0)
        if box is None:
            return
        alpha = alpha[box]
        color = np.asarray(color, np.float32)
        if color.ndim == 3:
            color = color[box]
        if shade is not None:
            color = color * (shade[box][..., None] if np.ndim(shade) else np.float32(shade))
        img = self.img[box]
        img += alpha[..., None] * (color - img)
        own = self.part if food else None
        for name, cover in self.parts.items():
            if name != own:
                cover[box] *= 1 - alpha
        if food:
            self.food[box] += alpha * (1 - self.food[box])
            if own is not None:
                cover = self.parts.setdefault(own, np.zeros((_S, _S), np.float32))
                cover[box] += alpha * (1 - cover[box])
        else:
            self.food[box] *= 1 - alpha

    def shadow(self, alpha: np.ndarray, dist: float = 3.0, blur: float = 2.0, strength: float = 0.35) -> None:
        """Darken the image under a soft copy of ``alpha`` moved away from the light."""
        sh = _shift(alpha, -self.lx * dist, -self.ly * dist)
        box = _support(sh, int(3 * blur) + 2)
        if box is not None:
            sh = ndimage.gaussian_filter(sh[box], blur, mode="nearest", truncate=3.0)
            self.img[box] *= (1 - strength * sh)[..., None]

    def lit(self, alpha: np.ndarray, sigma: float, strength: float) -> np.ndarray:
        """Shading multiplier of a soft bump shaped like ``alpha``: brighter on the side facing the light."""
        out = np.ones((_S, _S), np.float32)
        box = _support(alpha, int(3 * sigma) + 3)
        if box is not None and min(box[0].stop - box[0].start, box[1].stop - box[1].start) > 1:
            h = ndimage.gaussian_filter(alpha[box], sigma, mode="nearest", truncate=3.0)
            gy, gx = np.gradient(h)
            out[box] -= np.float32(strength * 2.5 * sigma) * (gx * self.lx + gy * self.ly)
        return out

    def glint(self, alpha: np.ndarray, sigma: float, strength: float) -> None:
        """Specular highlights on the light-facing slopes of a bump shaped like ``alpha``."""
        spec = np.clip(self.lit(alpha, sigma, 1.0) - 1.15, 0, None) * alpha * np.float32(strength)
        self.img += np.minimum(spec, 1)[..., None] * (1 - self.img)

    def spot(self, alpha: np.ndarray, x: float, y: float, r: float, strength: float) -> None:
        """A soft round highlight at (x, y), limited to ``alpha``."""
        h = np.exp(-((_X - x) ** 2 + (_Y - y) ** 2) / np.float32(2 * r * r)) * alpha * np.float32(strength)
        self.img += h[..., None] * (1 - self.img)

    def solid(
        self,
        d: np.ndarray,
        color: np.ndarray | tuple[float, float, float],
        tex: np.ndarray | float = 0.0,
        relief: tuple[float, float] | None = (3.0, 0.3),
        edge: float = 0.25,
        shadow: tuple[float, float, float] | None = (2.5, 2.0, 0.35),
        gloss: float = 0.0,
        food: bool = True,
    ) -> np.ndarray:
        """Paint the shape ``d <= 0`` as a shaded 3-D-looking object; returns its coverage."""
        a = _cov(d)
        if shadow is not None:
            self.shadow(a, *shadow)
        t = np.float32(1) + tex
        if relief is not None:
            t = t * self.lit(a, *relief)
        if edge:
            t = t * (1 - np.float32(edge) * np.exp(np.minimum(d, 0) / 1.5))
        self.paint(a, color, food, shade=t)
        if gloss:
            self.glint(a, relief[0] if relief else 3.0, gloss)
        return a


@dataclass(frozen=True)
class _Vessel:
    """Where the food goes: centre, usable radius, and the vessel's ellipse shape."""

    cx: float
    cy: float
    r: float
    aspect: float
    angle: float
    kind: str


# --------------------------------------------------------------------------------------------------
# Backgrounds, clutter, vessels (all independent of the class).

_WOODS = [(0.72, 0.55, 0.36), (0.45, 0.3, 0.19), (0.6, 0.58, 0.54), (0.6, 0.37, 0.22), (0.82, 0.7, 0.52)]
_CLOTHS = [(0.72, 0.12, 0.12), (0.16, 0.3, 0.62), (0.2, 0.48, 0.26), (0.15, 0.15, 0.16), (0.85, 0.68, 0.2)]
_CERAMICS = [
    (0.94, 0.94, 0.92),
    (0.93, 0.9, 0.82),
    (0.8, 0.84, 0.88),
    (0.24, 0.24, 0.26),
    (0.72, 0.46, 0.33),
    (0.78, 0.85, 0.76),
    (0.12, 0.12, 0.13),
    (0.95, 0.95, 0.95),
]
_ACCENTS = [(0.2, 0.32, 0.65), (0.75, 0.6, 0.25), (0.2, 0.45, 0.3), (0.7, 0.2, 0.15)]


def _bg_wood(rng: np.random.Generator) -> np.ndarray:
    u, v = _frame(rng.uniform(0, _S), rng.uniform(0, _S), rng.uniform(0, math.pi))
    plank = rng.uniform(16, 42)
    idx = np.floor(v / plank).astype(np.int64)
    tone = rng.normal(0, 0.07, 64).astype(np.float32)[idx % 64]
    warp = _fbm(rng, 3) * np.float32(rng.uniform(4, 10))
    freq = rng.uniform(0.5, 1.2)
    grain = np.sin((v + warp) * freq + idx * 1.7) + 0.5 * np.sin((v + 0.5 * warp) * freq * 3.1)
    seam = np.clip(1 - np.abs(v / plank - np.round(v / plank)) * plank / 0.9, 0, 1)
    tex = 1 + tone + 0.05 * grain + 0.05 * _fbm(rng, 8) + 0.02 * _grain(rng)
    base = _jit(rng, _WOODS[rng.integers(len(_WOODS))], 0.05)
    return _tint(base, tex * (1 - 0.5 * seam))


def _bg_cloth(rng: np.random.Generator) -> np.ndarray:
    u, v = _frame(64, 64, rng.uniform(0, math.pi))
    p = rng.uniform(7, 18)
    a = np.clip(0.5 + 2.5 * np.sin(_TAU * u / p), 0, 1)
    b = np.clip(0.5 + 2.5 * np.sin(_TAU * v / p + rng.uniform(0, _TAU)), 0, 1)
    light = _jit(rng, (0.93, 0.91, 0.87), 0.02)
    dark = _jit(rng, _CLOTHS[rng.integers(len(_CLOTHS))], 0.06)
    if rng.random() < 0.6:  # gingham: stripes that overlap to a darker square
        img = _mix(_mix(light, (light + dark) / 2, np.clip(a + b, 0, 1)), dark, a * b)
    else:  # plain checkerboard
        img = _mix(light, dark, a * b + (1 - a) * (1 - b))
    weave = 1 + 0.04 * np.sin(_X * 2.3) * np.sin(_Y * 2.3) + 0.03 * _grain(rng)
    folds = 1 + 0.07 * _fbm(rng, 3)
    return img * (weave * folds)[..., None]


def _bg_marble(rng: np.random.Generator) -> np.ndarray:
    u, _ = _frame(64, 64, rng.uniform(0, math.pi))
    t = u * np.float32(rng.uniform(0.03, 0.08)) + 4 * _fbm(rng, 3) + 1.5 * _fbm(rng, 7)
    vein = (1 - np.abs(np.sin(t))) ** rng.uniform(8, 16)
    fine = (1 - np.abs(np.sin(t * 3.7 + 2 * _fbm(rng, 5)))) ** 20
    cloud = 0.04 * _fbm(rng, 5)
    if rng.random() < 0.7:
        base = _jit(rng, (0.9, 0.9, 0.88), 0.03)
        return _tint(base, 1 + cloud - 0.35 * vein - 0.15 * fine)
    base = _jit(rng, (0.17, 0.17, 0.19), 0.1)
    return _mix(_tint(base, 1 + 2 * cloud), _rgb((0.85, 0.85, 0.82)), 0.6 * vein + 0.3 * fine)


def _bg_plain(rng: np.random.Generator) -> np.ndarray:
    level = rng.uniform(0.2, 0.9)
    base = np.clip(level + rng.normal(0, 0.07, 3), 0.05, 1)
    tex = 1 + 0.06 * _fbm(rng, 3) + 0.02 * np.sin(_X * 2.7) * np.sin(_Y * 2.7) + 0.025 * _grain(rng)
    if rng.random() < 0.3:  # speckled stone / concrete
        tex = tex + 0.06 * _fbm(rng, 24, 2) + 0.05 * _grain(rng, 0.5)
    return _tint(base, tex)


def _background(rng: np.random.Generator) -> np.ndarray:
    kind = rng.choice(4, p=[0.35, 0.25, 0.2, 0.2])
    return (_bg_wood, _bg_cloth, _bg_marble, _bg_plain)[kind](rng)


def _edge_point(rng: np.random.Generator, r0: float = 44, r1: float = 72) -> tuple[float, float]:
    """A random point away from the image centre (where clutter usually sits)."""
    a = rng.uniform(0, _TAU)
    r = rng.uniform(r0, r1)
    return 64 + r * math.cos(a), 64 + r * math.sin(a)


def _cutlery(sc: _Scene, x: float, y: float, angle: float, length: float) -> None:
    """A fork, knife or spoon centred at (x, y) along ``angle``."""
    rng = sc.rng
    c, s = math.cos(angle), math.sin(angle)
    metal = _jit(rng, (0.72, 0.73, 0.75), 0.05)
    handle_col = metal if rng.random() < 0.7 else _jit(rng, [(0.1, 0.1, 0.1), (0.45, 0.28, 0.15)][rng.integers(2)])
    hx0, hy0 = x - c * length / 2, y - s * length / 2
    hx1, hy1 = x + c * length * 0.1, y + s * length * 0.1
    d_handle = _sd_segment(hx0, hy0, hx1, hy1, 2.6, 1.7)
    kind = rng.integers(3)
    tip = (x + c * length / 2, y + s * length / 2)
    if kind == 0:  # knife: a long tapering blade
        d_head = _sd_segment(hx1, hy1, *tip, 2.8, 1.2)
    elif kind == 1:  # spoon: an oval bowl
        u, v = _frame(x + c * length * 0.36, y + s * length * 0.36, angle)
        d_head = np.minimum(
            _sd_ellipse(u, v, length * 0.16, length * 0.1),
            _sd_segment(hx1, hy1, x + c * length * 0.22, y + s * length * 0.22, 1.7),
        )
    else:  # fork: neck plus four tines
        nx, ny = x + c * length * 0.28, y + s * length * 0.28
        d_head = _sd_segment(hx1, hy1, nx, ny, 1.8, 3.6)
        for k in (-1.5, -0.5, 0.5, 1.5):
            ox, oy = -s * k * 2.0, c * k * 2.0
            d_head = np.minimum(d_head, _sd_segment(nx + ox, ny + oy, tip[0] + ox, tip[1] + oy, 0.75))
    a_head = _cov(d_head)
    a_all = np.maximum(_cov(d_handle), a_head)
    sc.shadow(a_all, 2.5, 1.2, 0.4)
    shade = sc.lit(a_all, 1.2, 0.5)
    sc.paint(a_head, metal, shade=shade)
    sc.paint(_cov(d_handle), handle_col, shade=shade)
    sc.glint(a_all, 1.0, 1.2)


def _napkin(sc: _Scene, x: float, y: float) -> None:
    rng = sc.rng
    angle = rng.uniform(0, math.pi)
    u, v = _frame(x, y, angle)
    w, h = rng.uniform(18, 34), rng.uniform(14, 28)
    d = _sd_box(u, v, w, h, 1.5)
    a = _cov(d)
    sc.shadow(a, 2, 1.5, 0.25)
    col = _jit(
        rng,
        [(0.95, 0.95, 0.93), (0.85, 0.78, 0.65), (0.7, 0.2, 0.2), (0.3, 0.4, 0.6), (0.55, 0.6, 0.45)][rng.integers(5)],
        0.04,
    )
    fold = 1 - 0.08 * np.clip(1 - np.abs(u - rng.uniform(-w, w) * 0.5) / 1.5, 0, 1)
    tex = (1 + 0.03 * _grain(rng) + 0.04 * _fbm(rng, 4)) * fold
    if rng.random() < 0.3:
        stripe = np.clip(0.5 + 3 * np.sin(_TAU * u / 6), 0, 1) * 0.12
        tex = tex * (1 - stripe)
    sc.paint(a, col, shade=tex * sc.lit(a, 2.0, 0.2))


def _cup(sc: _Scene, x: float, y: float) -> None:
    rng = sc.rng
    r = rng.uniform(11, 17)
    u, v = _frame(x, y)
    a = _cov(_sd_circle(u, v, r))
    ha = rng.uniform(0, _TAU)
    d_handle = (
        np.abs(_sd_circle(_X - (x + math.cos(ha) * r * 1.15), _Y - (y + math.sin(ha) * r * 1.15), r * 0.35)) - 1.4
    )
    a_handle = _cov(d_handle) * (1 - a)
    sc.shadow(np.maximum(a, a_handle), 3, 2, 0.4)
    col = _jit(rng, _CERAMICS[rng.integers(len(_CERAMICS))], 0.03)
    sc.paint(a_handle, col, shade=sc.lit(a_handle, 1, 0.4))
    sc.paint(a, col, shade=sc.lit(a, 2, 0.3))
    inner = _cov(_sd_circle(u, v, r - 2.2))
    drink = _jit(
        rng,
        [(0.3, 0.17, 0.08), (0.55, 0.32, 0.12), (0.12, 0.07, 0.04), (0.75, 0.62, 0.45), (0.8, 0.85, 0.88)][
            rng.integers(5)
        ],
        0.05,
    )
    sc.paint(inner, drink, shade=1 + 0.05 * _fbm(rng, 6))
    sc.spot(inner, x + sc.lx * r * 0.4, y + sc.ly * r * 0.4, r * 0.25, 0.35)


def _crumbs(sc: _Scene, n: int) -> None:
    rng = sc.rng
    xs, ys = rng.uniform(0, _S, n), rng.uniform(0, _S, n)
    a = _scatter(xs, ys, rng.uniform(0.6, 1.3), rng.uniform(0.5, 1.0), rng)
    col = _jit(rng, [(0.75, 0.55, 0.3), (0.35, 0.22, 0.12), (0.92, 0.9, 0.85)][rng.integers(3)], 0.08)
    sc.paint(a, col)


def _clutter(sc: _Scene) -> None:
    """Table clutter under and around the plate: 0-3 items plus crumbs, all independent of the class."""
    rng = sc.rng
    for _ in range(rng.choice(4, p=[0.25, 0.35, 0.25, 0.15])):
        kind = rng.integers(3)
        if kind == 0:
            x, y = _edge_point(rng, 40, 70)
            ang = math.atan2(y - 64, x - 64) + math.pi / 2 + rng.normal(0, 0.3)
            _cutlery(sc, x, y, ang, rng.uniform(50, 80))
        elif kind == 1:
            _napkin(sc, *_edge_point(rng, 40, 66))
        else:
            _cup(sc, *_edge_point(rng, 58, 76))
    if rng.random() < 0.5:
        _crumbs(sc, int(rng.integers(5, 40)))


def _vessel(sc: _Scene) -> _Vessel:
    """A plate or a bowl near the centre; returns where the food goes."""
    rng = sc.rng
    bowl = rng.random() < 0.4
    cx, cy = 64 + rng.normal(0, 5), 64 + rng.normal(0, 5)
    aspect, angle = rng.uniform(0.86, 1.0), rng.uniform(0, math.pi)
    col = _jit(rng, _CERAMICS[rng.integers(len(_CERAMICS))], 0.03)
    if bowl:
        R = rng.uniform(44, 60)
        return _draw_bowl(sc, cx, cy, R, aspect, angle, col, rim=rng.uniform(0.08, 0.13))
    return _draw_plate(sc, cx, cy, rng.uniform(50, 68), aspect, angle, col)


def _draw_plate(sc: _Scene, cx: float, cy: float, R: float, aspect: float, angle: float, col: np.ndarray) -> _Vessel:
    rng = sc.rng
    u, v = _frame(cx, cy, angle)
    d = _sd_ellipse(u, v, R, R * aspect)
    a = _cov(d)
    sc.shadow(a, 4, 3.5, 0.45)
    well = _cov(_sd_ellipse(u, v, R * 0.7, R * 0.7 * aspect), 4)
    shade = sc.lit(a, 2.0, 0.25) * sc.lit(well, 2.5, -0.25) * (1 + 0.015 * _fbm(rng, 6))
    shade = shade * (1 - 0.25 * np.exp(-(((d + 0.5) / 0.8) ** 2))) * (1 - 0.03 * well)
    sc.paint(a, col, shade=shade)
    if rng.random() < 0.3:  # decorated rim line
        ring = _cov(np.abs(_sd_ellipse(u, v, R * 0.88, R * 0.88 * aspect)) - rng.uniform(0.5, 1.5))
        sc.paint(ring * 0.85, _jit(rng, _ACCENTS[rng.integers(len(_ACCENTS))], 0.05))
    theta = np.arctan2(_Y - cy, _X - cx)
    facing = np.clip(np.cos(theta - math.atan2(sc.ly, sc.lx)), 0, 1) ** 2
    sc.img += (0.45 * facing * np.exp(-(((d + 2.2) / 1.0) ** 2)) * a)[..., None] * (1 - sc.img)
    return _Vessel(cx, cy, R * 0.72, aspect, angle, "plate")


def _draw_bowl(
    sc: _Scene, cx: float, cy: float, R: float, aspect: float, angle: float, col: np.ndarray, rim: float = 0.1
) -> _Vessel:
    rng = sc.rng
    u, v = _frame(cx, cy, angle)
    d = _sd_ellipse(u, v, R, R * aspect)
    a = _cov(d)
    sc.shadow(a, 5, 4, 0.5)
    sc.paint(a, col, shade=sc.lit(a, 2.0, 0.35) * (1 - 0.3 * np.exp(-(((d + 0.5) / 0.8) ** 2))))
    ri = R * (1 - rim)
    d_in = _sd_ellipse(u, v, ri, ri * aspect)
    a_in = _cov(d_in)
    inner_col = col if rng.random() < 0.7 else _jit(rng, _CERAMICS[rng.integers(len(_CERAMICS))], 0.03)
    rho = np.hypot(_X - cx, _Y - cy) + 1e-3
    toward = ((_X - cx) * sc.lx + (_Y - cy) * sc.ly) / rho
    # The inner wall on the light's side faces away from it; the bottom is flat and evenly lit.
    wall = 0.86 - 0.22 * toward * np.clip(rho / ri, 0, 1)
    sc.paint(a_in, inner_col, shade=wall * (1 + 0.015 * _fbm(rng, 6)))
    rim_line = np.exp(-(((d_in - 0.5) / 0.9) ** 2))
    sc.img *= (1 - 0.25 * rim_line)[..., None]
    theta = np.arctan2(_Y - cy, _X - cx)
    facing = np.clip(np.cos(theta - math.atan2(sc.ly, sc.lx)), 0, 1) ** 2
    top = np.exp(-(((d + R * rim / 2) / (R * rim / 3)) ** 2)) * a
    sc.img += (0.35 * facing * top)[..., None] * (1 - sc.img)
    return _Vessel(cx, cy, ri * 0.92, aspect, angle, "bowl")


def _occluder(sc: _Scene, cx: float, cy: float, s: float) -> None:
    """Something lying across part of the food: a piece of cutlery or a napkin's corner."""
    rng = sc.rng
    a = rng.uniform(0, _TAU)
    if rng.random() < 0.6:
        x, y = cx + math.cos(a) * s * 0.8, cy + math.sin(a) * s * 0.8
        _cutlery(sc, x, y, a + math.pi / 2 + rng.normal(0, 0.4), rng.uniform(60, 90))
    else:
        _napkin(sc, cx + math.cos(a) * s * 1.3, cy + math.sin(a) * s * 1.3)


def _finish(sc: _Scene, rng: np.random.Generator, fixed: bool = False) -> np.ndarray:
    """Camera and light: directional fall-off, vignetting, white balance, exposure, blur, sensor noise.

    ``fixed`` uses one mild, neutral setting (the observation images) instead of random ones.
    """
    if fixed:
        grad, vignette, temp, tint, exposure, gamma, sat, blur, sigma = 0.12, 0.2, 0, 0, 1, 1, 1, 0, 0.006
    else:
        grad, vignette = rng.uniform(0.0, 0.3), rng.uniform(0.0, 0.4)
        temp, tint = rng.normal(0, 0.035), rng.normal(0, 0.015)
        exposure, gamma, sat = rng.uniform(0.88, 1.1), rng.uniform(0.9, 1.1), rng.uniform(0.9, 1.1)
        blur = rng.uniform(0.3, 0.8) if rng.random() < 0.25 else 0
        sigma = rng.uniform(0.004, 0.016)
    proj = ((_X - 64) * sc.lx + (_Y - 64) * sc.ly) / 64
    r2 = ((_X - 64) ** 2 + (_Y - 64) ** 2) / (2 * 64.0**2)
    light = (1 + grad * proj) * (1 - vignette * r2)
    img = sc.img * (light[..., None] * _rgb((1 + temp, 1 + tint, 1 - temp)) * np.float32(exposure))
    grey = img.mean(axis=2, keepdims=True)
    img = np.clip(grey + (img - grey) * np.float32(sat), 0, 1) ** np.float32(gamma)
    if blur:
        img = ndimage.gaussian_filter(img, (blur, blur, 0))
    img = img + np.float32(sigma) * rng.standard_normal((_S, _S, 3), dtype=np.float32)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


# --------------------------------------------------------------------------------------------------
# Foods. Each drawer paints one class's food centred near (cx, cy) with size s (a radius, pixels).


def _iso_cube(
    sc: _Scene,
    cx: float,
    cy: float,
    e: float,
    phi: float,
    face: np.ndarray,
    crust: np.ndarray | None = None,
    crust_w: float = 0.0,
    tex: np.ndarray | float = 0.0,
    holes: int = 0,
) -> np.ndarray:
    """A cube seen from above at an angle: three visible faces, each shaded by the light.

    ``e`` is the edge length in pixels, ``phi`` the turn about the vertical axis. With ``crust`` the
    faces get a band of that colour along their edges (cut bread). Returns the cube's coverage.
    """
    rng = sc.rng
    c, s = math.cos(phi), math.sin(phi)
    tilt, height = 0.55, 0.85

    def project(x: float, y: float, z: float) -> tuple[float, float]:
        rx, ry = x * c - y * s, x * s + y * c
        return cx + rx * e, cy + ry * e * tilt - (z - 0.5) * e * height

    faces = [([(-0.5, -0.5, 1), (0.5, -0.5, 1), (0.5, 0.5, 1), (-0.5, 0.5, 1)], None)]
    for nx, ny in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        ry = nx * s + ny * c  # screen-down component of the face normal: visible when positive
        if ry <= 1e-6:
            continue
        if nx:
            corners = [(nx * 0.5, -0.5), (nx * 0.5, 0.5)]
        else:
            corners = [(-0.5, ny * 0.5), (0.5, ny * 0.5)]
        quad = [(x, y, 0) for x, y in corners] + [(x, y, 1) for x, y in corners[::-1]]
        faces.append((quad, (nx * c - ny * s, ry)))
    cover = np.zeros((_S, _S), np.float32)
    ds = []
    for quad, _ in faces:
        ds.append(_sd_polygon([project(*p) for p in quad]))
        cover = np.maximum(cover, _cov(ds[-1]))
    sc.shadow(cover, e * 0.12, e * 0.06 + 1, 0.45)
    for d, (_, normal) in zip(ds, faces, strict=True):
        a = _cov(d)
        if normal is None:
            bright = 1.08
        else:
            n = math.hypot(*normal)
            bright = 0.7 + 0.28 * max(0.0, (normal[0] * sc.lx + normal[1] * sc.ly) / n)
        t = (1 + tex) * bright * (1 - 0.3 * np.exp(np.minimum(d, 0) / 0.9))
        # Cut bread: the side faces are toasted towards the crust's colour (darkening alone looks grey).
        side = face if crust is None or normal is None else 0.6 * face + 0.4 * crust
        col = _tint(side, t)
        if crust is not None:
            inner = _cov(d + crust_w, 2.0)
            col = _mix(_tint(crust, bright * (1 + 0.1 * _fbm(rng, 20, 1)) * np.ones_like(t)), col, inner)
        sc.paint(a, col, food=True)
        for _ in range(holes):
            hx, hy = _inside_points(rng, _cov(d + 3), 1)
            if len(hx):
                hr = rng.uniform(1.2, 2.6)
                ah = _cov(_sd_ellipse(_X - hx[0], _Y - hy[0], hr, hr * 0.8)) * a
                sc.paint(ah, face, food=True, shade=bright * 0.72)
    return cover


def _bread_slice(
    sc: _Scene, x: float, y: float, ss: float, ang: float, crumb: np.ndarray, crust: np.ndarray, toasted: bool
) -> None:
    rng = sc.rng
    u, v = _frame(x, y, ang)
    d = np.minimum(
        _sd_box(u, v - 0.18 * ss, 0.78 * ss, 0.62 * ss, 0.15 * ss),
        _sd_ellipse(u, v + 0.36 * ss, 0.9 * ss, 0.5 * ss),
    )
    a = _cov(d)
    sc.shadow(a, 2.0, 1.5, 0.4)
    depth = np.clip(-d / (0.45 * ss), 0, 1)
    t = 1 - 0.28 * _pores(rng, int(rng.integers(20, 30))) + 0.05 * _grain(rng)
    if toasted:
        t = t * (0.82 + 0.2 * depth + 0.08 * _fbm(rng, 8))
    inner = _cov(d + 0.09 * ss + 1, 1.5)
    col = _mix(_tint(crust, 1 + 0.1 * _fbm(rng, 16, 1)), _tint(crumb, t), inner)
    sc.paint(a, col * sc.lit(a, 1.5, 0.15)[..., None], food=True)


def _bread(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    kind = rng.choice(4, p=[0.25, 0.3, 0.2, 0.25])
    crust = _jit(rng, (0.62, 0.37, 0.16), 0.07)
    if kind == 0:  # loaf with scoring and flour
        ang = rng.uniform(0, math.pi)
        L, W = s * rng.uniform(0.8, 1.0), s * rng.uniform(0.42, 0.55)
        u, v = _frame(cx, cy, ang)
        d = _sd_box(u, v, L, W, W * 0.85)
        mid = np.clip(-d / W, 0, 1)
        tex = 0.1 * _fbm(rng, 10) + 0.04 * _grain(rng) + 0.35 * (mid - 0.5)
        loaf = sc.solid(d, crust * 1.15, tex, relief=(W * 0.35, 0.3), shadow=(3, 2.5, 0.45), gloss=0.3)
        n = int(rng.integers(3, 6))
        for i in range(n):
            pu = -L * 0.75 + (i + 0.5) * 1.5 * L / n
            p0 = _to_image(cx, cy, ang, pu - 0.18 * W, -0.55 * W)
            p1 = _to_image(cx, cy, ang, pu + 0.18 * W, 0.55 * W)
            sc.paint(
                _cov(_sd_segment(*p0, *p1, 0.16 * W + 1.2)) * loaf,
                crust,
                food=True,
                shade=0.6 * np.ones_like(u),
            )
            cut = _cov(_sd_segment(*p0, *p1, 0.16 * W)) * loaf
            sc.paint(cut, _jit(rng, (0.93, 0.8, 0.55), 0.04), food=True, shade=1 + 0.06 * _grain(rng))
        if rng.random() < 0.5:
            xs, ys = _inside_points(rng, loaf, int(rng.integers(20, 80)))
            sc.paint(_scatter(xs, ys, 0.8, 0.6, rng) * 0.7 * loaf, (0.95, 0.94, 0.9), food=True)
    elif kind == 1:  # slices
        crumb = _jit(rng, (0.94, 0.86, 0.68), 0.04)
        toasted = rng.random() < 0.4
        if toasted:
            crumb = _jit(rng, (0.86, 0.63, 0.34), 0.05)
        n = int(rng.integers(1, 4))
        base = rng.uniform(0, _TAU)
        step = rng.uniform(0.2, 0.35) * s
        for i in range(n):
            k = i - (n - 1) / 2
            x, y = cx + math.cos(base) * step * k, cy + math.sin(base) * step * k
            _bread_slice(
                sc,
                x,
                y,
                s * rng.uniform(0.6, 0.75) / (1 + 0.15 * (n - 1)),
                base + math.pi / 2 + rng.normal(0, 0.25),
                crumb,
                crust,
                toasted,
            )
    elif kind == 2:  # toast cubes
        crumb = _jit(rng, (0.92, 0.78, 0.5), 0.05)
        n = int(rng.integers(1, 4))
        e = s * (0.85 if n == 1 else 0.6)
        for i in range(n):
            x = cx + (i - (n - 1) / 2) * e * 0.9 + rng.normal(0, 2)
            y = cy + rng.normal(0, 0.15 * s) + (0.2 * e if i % 2 else 0)
            tex = -0.16 * _pores(rng, 44, 0.6) + 0.05 * _grain(rng)
            _iso_cube(sc, x, y, e, rng.uniform(0.2, 1.35), crumb, crust, e * 0.1, tex)
    else:  # round buns
        n = int(rng.integers(1, 4))
        r = s * (0.55 if n == 1 else 0.4)
        for i in range(n):
            a = _TAU * i / n + rng.uniform(0, 1)
            x = cx + (math.cos(a) * r * 0.9 if n > 1 else 0)
            y = cy + (math.sin(a) * r * 0.9 if n > 1 else 0)
            d = _sd_blob(x, y, r, rng, 0.05)
            col = _jit(rng, (0.68, 0.38, 0.13), 0.06)
            bun = sc.solid(
                d,
                col,
                0.08 * _fbm(rng, 12) + 0.25 * np.clip(-d / r, 0, 1),
                relief=(r * 0.4, 0.45),
                shadow=(3, 2.5, 0.45),
                gloss=0.6,
            )
            if rng.random() < 0.75:
                xs, ys = _inside_points(rng, _cov(d + r * 0.25), int(rng.integers(15, 35)))
                sc.paint(_scatter(xs, ys, 1.2, 0.6, rng) * bun, _jit(rng, (0.95, 0.9, 0.75), 0.03), food=True)


def _milk_glass(sc: _Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    top, bot = cy - 0.85 * s, cy + 0.75 * s
    wt, wb = 0.45 * s, 0.36 * s
    glass = _sd_polygon([(cx - wt, top), (cx + wt, top), (cx + wb, bot), (cx - wb, bot)])
    glass = np.minimum(glass, _sd_ellipse(_X - cx, _Y - bot, wb, 0.2 * wb))
    a_glass = _cov(glass)
    sc.shadow(a_glass, 4, 3, 0.4)
    level = top + rng.uniform(0.1, 0.3) * (bot - top)
    wl = wt + (wb - wt) * (level - top) / (bot - top) - 1.5
    milk = np.maximum(
        _sd_polygon([(cx - wl, level), (cx + wl, level), (cx + wb - 1.5, bot), (cx - wb + 1.5, bot)]),
        glass + 1.5,
    )
    milk = np.minimum(milk, _sd_ellipse(_X - cx, _Y - level, wl, 0.18 * wl))
    sc.paint(a_glass * 0.25, (0.92, 0.94, 0.96))
    sc.img *= (1 - 0.3 * np.exp(-(((glass + 0.7) / 0.7) ** 2)))[..., None]
    rel = (_X - cx) / wt
    body = 0.8 + 0.2 * np.sqrt(np.clip(1 - rel**2, 0, 1)) - 0.06 * rel * sc.lx
    col = _jit(rng, (0.97, 0.96, 0.93), 0.015)
    sc.paint(_cov(milk), col, food=True, shade=body)
    surf = _cov(_sd_ellipse(_X - cx, _Y - level, wl - 0.5, 0.18 * wl - 0.5))
    sc.paint(surf, col, food=True, shade=1.03 * np.ones_like(body))
    hx = cx - 0.5 * wt * (1 if sc.lx < 0 else -1)
    sc.img += (0.3 * np.exp(-(((_X - hx) / 1.5) ** 2)) * a_glass)[..., None] * (1 - sc.img)


def _jug(sc: _Scene, cx: float, cy: float, s: float, right: bool, parts: bool = False) -> None:
    """A milk jug (side view): round belly, neck, spout, handle on the right or left."""
    rng = sc.rng
    m = 1.0 if right else -1.0
    u, v = _X - cx, _Y - cy
    mu = u * m
    belly = _sd_ellipse(u, v - 0.25 * s, 0.55 * s, 0.55 * s)
    neck = _sd_box(u, v + 0.28 * s, 0.36 * s, 0.45 * s, 0.05 * s)
    lip = _sd_ellipse(u, v + 0.72 * s, 0.42 * s, 0.1 * s)
    spout = _sd_polygon(
        [
            (cx - m * 0.3 * s, cy - 0.82 * s),
            (cx - m * 0.68 * s, cy - 0.9 * s),
            (cx - m * 0.34 * s, cy - 0.5 * s),
        ]
    )
    body = np.minimum(np.minimum(belly, neck), np.minimum(lip, spout))
    ring = np.abs(_sd_ellipse(mu - 0.5 * s, v + 0.12 * s, 0.3 * s, 0.4 * s)) - 0.075 * s
    handle = np.maximum(ring, 0.3 * s - mu)
    a_body, a_handle = _cov(body), _cov(handle)
    sc.shadow(np.maximum(a_body, a_handle), 4, 3, 0.45)
    col = _jit(rng, [(0.95, 0.94, 0.9), (0.93, 0.89, 0.8), (0.88, 0.9, 0.93)][rng.integers(3)], 0.015)
    sc.part = "handle" if parts else None
    sc.paint(a_handle, col, food=True, shade=sc.lit(a_handle, 1.5, 0.5) * 0.92)
    sc.part = "body" if parts else None
    rel = np.clip(u / (0.55 * s), -1, 1)
    shade = (0.78 + 0.2 * np.sqrt(1 - rel**2) - 0.1 * rel * sc.lx) * (1 - 0.3 * np.exp(np.minimum(body, 0) / 1.2))
    shade = shade * (1 + 0.01 * _grain(rng))
    sc.paint(a_body, col, food=True, shade=shade)
    inside = _cov(_sd_ellipse(u, v + 0.72 * s, 0.36 * s, 0.07 * s))
    sc.paint(
        inside,
        _rgb((0.98, 0.97, 0.95)),
        food=True,
        shade=0.9 + 0.1 * np.clip((v + 0.72 * s) / (0.07 * s), -1, 1),
    )
    hx = cx - 0.3 * s * (1 if sc.lx < 0 else -1)
    sc.img += (0.35 * np.exp(-(((_X - hx) / (0.06 * s)) ** 2)) * a_body * np.clip((v + 0.5 * s) / s, 0, 1))[
        ..., None
    ] * (1 - sc.img)
    sc.part = None


def _cheese_wedge(sc: _Scene, cx: float, cy: float, s: float, ang: float) -> None:
    rng = sc.rng
    h = 0.45 * s

    def p(x: float, y: float) -> tuple[float, float]:
        return _to_image(cx, cy, ang, x * s, y * s)

    T, B1, B2 = (-0.85, -0.1), (0.55, -0.6), (0.7, 0.05)
    top = _sd_polygon([p(*T), p(*B1), p(*B2)])
    Tb, B2b = p(*T), p(*B2)
    front = _sd_polygon([Tb, B2b, (B2b[0], B2b[1] + h), (Tb[0], Tb[1] + h)])
    B1b = p(*B1)
    back = _sd_polygon([B2b, B1b, (B1b[0], B1b[1] + h), (B2b[0], B2b[1] + h)])
    cover = np.maximum(np.maximum(_cov(top), _cov(front)), _cov(back))
    sc.shadow(cover, 3, 2.5, 0.45)
    yellow = _jit(rng, (0.98, 0.84, 0.4), 0.05)
    rind = _jit(rng, [(0.85, 0.6, 0.2), (0.72, 0.12, 0.1)][int(rng.random() < 0.25)], 0.05)
    sc.paint(_cov(back), rind, food=True, shade=0.8 * (1 + 0.05 * _grain(rng)))
    for d, bright in ((front, 0.85), (top, 1.05)):
        a = _cov(d)
        sc.paint(
            a,
            yellow,
            food=True,
            shade=bright * (1 + 0.04 * _fbm(rng, 10)) * (1 - 0.2 * np.exp(np.minimum(d, 0))),
        )
        for _ in range(int(rng.integers(2, 6))):
            hx, hy = _inside_points(rng, _cov(d + 2), 1)
            if len(hx):
                hr = rng.uniform(1.5, 0.12 * s + 1.6)
                hole = _sd_ellipse(_X - hx[0], _Y - hy[0], hr, hr * 0.75)
                sc.paint(
                    _cov(hole) * a,
                    yellow,
                    food=True,
                    shade=bright * (0.7 + 0.25 * np.clip((_Y - hy[0]) / hr, 0, 1)),
                )


def _dairy(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    kind = rng.choice(5, p=[0.2, 0.2, 0.25, 0.2, 0.15])
    if kind == 0:
        _milk_glass(sc, cx, cy, s * 0.9)
    elif kind == 1:
        _jug(sc, cx - 0.1 * s, cy, s * 0.85, rng.random() < 0.5)
    elif kind == 2:
        _cheese_wedge(sc, cx, cy, s * 0.9, rng.normal(0, 0.4) + (math.pi if rng.random() < 0.3 else 0))
    elif kind == 3:  # cheese cubes
        n = int(rng.integers(3, 6))
        col = _jit(rng, [(0.99, 0.82, 0.28), (0.97, 0.6, 0.12)][rng.integers(2)], 0.04)
        for i in range(n):
            a = _TAU * i / n + rng.uniform(0, 1)
            r = s * 0.45 * math.sqrt(rng.random() + 0.2)
            _iso_cube(
                sc,
                cx + math.cos(a) * r,
                cy + math.sin(a) * r,
                s * rng.uniform(0.35, 0.45),
                rng.uniform(0.2, 1.35),
                col,
                tex=0.03 * _grain(rng),
                holes=int(rng.integers(0, 2)),
            )
    else:  # cheese slices, fanned
        col = _jit(rng, [(0.99, 0.84, 0.32), (0.97, 0.64, 0.16)][rng.integers(2)], 0.04)
        n = int(rng.integers(2, 5))
        base = rng.uniform(0, _TAU)
        for i in range(n):
            a = base + i * 0.35
            x, y = cx + math.cos(a) * s * 0.25, cy + math.sin(a) * s * 0.25
            u, v = _frame(x, y, a)
            d = _sd_box(u, v, s * 0.5, s * 0.5, 1.5)
            sl = sc.solid(d, col, 0.03 * _grain(rng), relief=(1.5, 0.2), shadow=(2, 1.2, 0.35), edge=0.15)
            for _ in range(int(rng.integers(1, 5))):
                hx, hy = _inside_points(rng, _cov(d + 3), 1)
                if len(hx):
                    hr = rng.uniform(1.5, 3.5)
                    sc.paint(_cov(_sd_circle(_X - hx[0], _Y - hy[0], hr)) * sl, col, food=True, shade=0.78)


def _cake_slice(sc: _Scene, cx: float, cy: float, s: float, flip: bool) -> None:
    rng = sc.rng
    m = -1.0 if flip else 1.0

    def p(x: float, y: float) -> tuple[float, float]:
        return cx + m * x * s, cy + y * s

    front = _sd_polygon([p(-0.85, -0.2), p(0.65, -0.2), p(0.65, 0.55), p(-0.85, 0.55)])
    top = _sd_polygon([p(-0.85, -0.2), p(0.65, -0.2), p(0.95, -0.55)])
    end = _sd_polygon([p(0.65, -0.2), p(0.95, -0.55), p(0.95, 0.22), p(0.65, 0.55)])
    cover = np.maximum(np.maximum(_cov(front), _cov(top)), _cov(end))
    sc.shadow(cover, 4, 3, 0.45)
    palettes = [
        ((0.95, 0.84, 0.55), (0.98, 0.78, 0.84), (0.98, 0.96, 0.92)),  # vanilla, strawberry cream
        ((0.33, 0.19, 0.11), (0.95, 0.9, 0.8), (0.28, 0.15, 0.09)),  # chocolate
        ((0.62, 0.12, 0.15), (0.97, 0.95, 0.9), (0.97, 0.95, 0.9)),  # red velvet
        ((0.55, 0.68, 0.3), (0.96, 0.94, 0.86), (0.92, 0.95, 0.85)),  # matcha
        ((0.98, 0.88, 0.5), (0.98, 0.95, 0.85), (0.98, 0.95, 0.6)),  # lemon
    ]
    sponge, cream, frost = (_jit(rng, c, 0.04) for c in palettes[rng.integers(len(palettes))])
    frost_t = 0.12
    n = int(rng.integers(2, 4))
    # Layer boundaries from the top of the cut face (y = -0.2) to its bottom (y = 0.55), wavy.
    rel = (_Y - cy) / s
    col = _tint(frost, np.ones_like(_X))
    bounds = [-0.2 + frost_t]
    for i in range(n):
        bounds.append(bounds[-1] + (0.75 - frost_t) * (0.75 / n))
        if i < n - 1:
            bounds.append(bounds[-1] + (0.75 - frost_t) * (0.25 / (n - 1)))
    bounds[-1] = 0.56
    pores = 1 - 0.22 * _pores(rng, 28, 0.6) + 0.04 * _grain(rng)
    for j, b in enumerate(bounds[:-1]):
        wave = 0.012 * np.sin(_X * 0.35 + rng.uniform(0, _TAU)) + 0.01 * _fbm(rng, 10, 1)
        layer = _cov((b + wave - rel) * s, 1.2)  # 1 below the boundary b
        c = _tint(sponge, pores) if j % 2 == 0 else _tint(cream, 1 + 0.02 * _grain(rng))
        col = _mix(col, c, layer)
    a_front = _cov(front)
    sc.paint(a_front, col * (0.95 * (1 - 0.25 * np.exp(np.minimum(front, 0) / 1.2)))[..., None], food=True)
    swirl = 1 + 0.05 * np.sin(_X * 0.5 + 3 * _fbm(rng, 6)) + 0.02 * _grain(rng)
    sc.paint(_cov(end), frost, food=True, shade=0.8 * swirl)
    sc.paint(_cov(top), frost, food=True, shade=1.05 * swirl * (1 - 0.2 * np.exp(np.minimum(top, 0) / 1.2)))
    deco = rng.integers(3)
    tx, ty = p(0.55, -0.42)
    if deco == 0:  # strawberry
        d = _sd_egg(*_frame(tx, ty - 0.08 * s, math.pi / 2 - 0.3), 0.2 * s, 0.16 * s)
        berry = sc.solid(d, _jit(rng, (0.85, 0.1, 0.12), 0.05), relief=(0.08 * s, 0.5), gloss=0.8, shadow=(2, 1.5, 0.4))
        xs, ys = _inside_points(rng, berry, 12)
        sc.paint(_scatter(xs, ys, 0.6, 0.4, rng) * berry, (0.95, 0.85, 0.4), food=True)
    elif deco == 1:  # cherry and cream rosette
        sc.solid(
            _sd_blob(tx, ty, 0.17 * s, rng, 0.15),
            _jit(rng, (0.97, 0.96, 0.93), 0.02),
            0.08 * np.sin(np.arctan2(_Y - ty, _X - tx) * 7),
            relief=(0.06 * s, 0.5),
            shadow=(2, 1.5, 0.3),
        )
        sc.solid(
            _sd_circle(_X - tx, _Y - ty + 0.12 * s, 0.1 * s),
            _jit(rng, (0.7, 0.05, 0.1), 0.05),
            relief=(0.05 * s, 0.6),
            gloss=1.0,
            shadow=(1.5, 1, 0.4),
        )
    else:  # chocolate shavings
        xs, ys = _inside_points(rng, _cov(top + 1), int(rng.integers(10, 30)))
        sc.paint(_scatter(xs, ys, 1.6, 0.7, rng) * _cov(top), _jit(rng, (0.25, 0.13, 0.07), 0.08), food=True)


def _cupcake(sc: _Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    liner = _sd_polygon(
        [
            (cx - 0.52 * s, cy + 0.05 * s),
            (cx + 0.52 * s, cy + 0.05 * s),
            (cx + 0.38 * s, cy + 0.62 * s),
            (cx - 0.38 * s, cy + 0.62 * s),
        ]
    )
    tiers = [(0.0, 0.62, 0.24), (-0.2, 0.5, 0.2), (-0.38, 0.35, 0.17), (-0.52, 0.18, 0.13)]
    frost = np.full((_S, _S), 1e9, np.float32)
    for ty, a, b in tiers:
        frost = np.minimum(frost, _sd_ellipse(_X - cx, _Y - cy - ty * s, a * s, b * s))
    cover = np.maximum(_cov(liner), _cov(frost))
    sc.shadow(cover, 3.5, 2.5, 0.45)
    paper = _jit(
        rng,
        [(0.9, 0.5, 0.6), (0.5, 0.7, 0.9), (0.95, 0.95, 0.92), (0.6, 0.35, 0.2), (0.95, 0.8, 0.3)][rng.integers(5)],
        0.05,
    )
    pleat = 0.82 + 0.18 * np.cos(_TAU * (_X - cx) / rng.uniform(3.5, 5))
    sc.paint(_cov(liner), paper, food=True, shade=pleat * sc.lit(_cov(liner), 2, 0.3))
    fcol = _jit(
        rng,
        [(0.98, 0.75, 0.82), (0.97, 0.96, 0.93), (0.4, 0.22, 0.13), (0.7, 0.9, 0.8), (0.8, 0.72, 0.92)][
            rng.integers(5)
        ],
        0.04,
    )
    for ty, a, b in tiers:
        d = _sd_ellipse(_X - cx, _Y - cy - ty * s, a * s, b * s)
        sc.solid(d, fcol, 0.03 * _grain(rng), relief=(b * s * 0.5, 0.5), gloss=0.5, shadow=(1.5, 1, 0.25), edge=0.2)
    if rng.random() < 0.7:  # sprinkles
        xs, ys = _inside_points(rng, _cov(frost + 1.5), int(rng.integers(15, 40)))
        a_f = _cov(frost)
        groups = rng.integers(0, 4, len(xs))
        cols = [(0.95, 0.2, 0.3), (0.2, 0.6, 0.95), (0.98, 0.85, 0.2), (0.3, 0.8, 0.3)]
        for g in range(4):
            sel = groups == g
            sc.paint(_scatter(xs[sel], ys[sel], 1.6, 0.55, rng) * a_f, cols[g], food=True)
    else:  # a cherry
        sc.solid(
            _sd_circle(_X - cx, _Y - cy + 0.7 * s, 0.13 * s),
            _jit(rng, (0.75, 0.05, 0.1), 0.05),
            relief=(0.06 * s, 0.6),
            gloss=1.0,
            shadow=(1.5, 1, 0.35),
        )


def _donut(sc: _Scene, x: float, y: float, R: float) -> None:
    rng = sc.rng
    u, v = _frame(x, y)
    rho = np.hypot(u, v)
    d = np.maximum(rho - R, 0.3 * R - rho)
    dough = _jit(rng, (0.8, 0.54, 0.28), 0.05)
    sc.solid(d, dough, 0.06 * _fbm(rng, 14), relief=(0.2 * R, 0.5), shadow=(3, 2.5, 0.4))
    theta = np.arctan2(v, u)
    wob = 0.06 * R * (np.sin(theta * 7 + rng.uniform(0, 6)) + 0.6 * np.sin(theta * 13 + rng.uniform(0, 6)))
    icing_d = np.maximum(rho - (0.86 * R + wob), 0.4 * R - rho)
    icing = _jit(rng, [(0.96, 0.55, 0.7), (0.35, 0.19, 0.1), (0.97, 0.95, 0.9), (0.6, 0.4, 0.8)][rng.integers(4)], 0.04)
    a = sc.solid(icing_d, icing, 0.02 * _grain(rng), relief=(0.15 * R, 0.4), gloss=0.9, shadow=None, edge=0.15)
    if rng.random() < 0.7:
        xs, ys = _inside_points(rng, a, int(rng.integers(15, 35)))
        groups = rng.integers(0, 3, len(xs))
        for g, col in enumerate([(0.95, 0.95, 0.95), (0.95, 0.3, 0.3), (0.3, 0.5, 0.95)]):
            sel = groups == g
            sc.paint(_scatter(xs[sel], ys[sel], 1.5, 0.5, rng) * a, col, food=True)


def _dessert(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    kind = rng.choice(3, p=[0.45, 0.3, 0.25])
    if kind == 0:
        _cake_slice(sc, cx, cy, s * 0.95, rng.random() < 0.5)
    elif kind == 1:
        if rng.random() < 0.6:
            _cupcake(sc, cx, cy, s * 0.9)
        else:
            for k in (-1, 1):
                _cupcake(sc, cx + k * 0.45 * s, cy + k * 0.1 * s, s * 0.55)
    else:
        if rng.random() < 0.6:
            _donut(sc, cx, cy, s * 0.8)
        else:
            a = rng.uniform(0, _TAU)
            for k in (-1, 1):
                _donut(sc, cx + k * math.cos(a) * 0.45 * s, cy + k * math.sin(a) * 0.45 * s, s * 0.5)


def _fried_egg(sc: _Scene, x: float, y: float, R: float) -> None:
    rng = sc.rng
    d = _sd_blob(x, y, R, rng, 0.16)
    white = _jit(rng, (0.97, 0.96, 0.93), 0.015)
    a = _cov(d)
    sc.shadow(a, 1.5, 1.5, 0.3)
    lace = np.clip((_noise(rng, 30) - 0.45) * 3, 0, 1) * np.exp(np.minimum(d, 0) / 2.5)
    crisp = _jit(rng, (0.78, 0.58, 0.3), 0.06)
    col = _mix(_tint(white, 1 + 0.03 * _fbm(rng, 8)), _tint(crisp, np.ones_like(d)), lace * rng.uniform(0.3, 1))
    sc.paint(a, col * sc.lit(a, 1.5, 0.15)[..., None], food=True)
    yx, yy = x + rng.normal(0, 0.12 * R), y + rng.normal(0, 0.12 * R)
    yr = R * rng.uniform(0.3, 0.4)
    film = _sd_circle(_X - yx, _Y - yy, yr * 1.25)
    sc.solid(film, white, relief=(yr * 0.4, 0.4), shadow=None, edge=0.0)
    sc.solid(
        _sd_circle(_X - yx, _Y - yy, yr),
        _jit(rng, (1.0, 0.68, 0.08), 0.04),
        relief=(yr * 0.45, 0.6),
        shadow=(1.5, 1, 0.3),
        gloss=1.3,
        edge=0.15,
    )


def _egg(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    kind = rng.choice(3, p=[0.45, 0.3, 0.25])
    if kind == 0:
        if rng.random() < 0.65:
            _fried_egg(sc, cx, cy, s * 0.8)
        else:
            a = rng.uniform(0, _TAU)
            for k in (-1, 1):
                _fried_egg(sc, cx + k * math.cos(a) * 0.42 * s, cy + k * math.sin(a) * 0.42 * s, s * 0.52)
    else:
        n = int(rng.integers(2, 5))
        base = rng.uniform(0, _TAU)
        for i in range(n):
            a = base + _TAU * i / n
            r = 0.42 * s
            x, y = cx + math.cos(a) * r, cy + math.sin(a) * r
            ang = a + rng.normal(0, 0.4) + math.pi / 2
            u, v = _frame(x, y, ang)
            A, B = 0.44 * s, 0.33 * s
            d = _sd_egg(u, v, A, B)
            if kind == 1:  # halved boiled eggs
                sc.solid(
                    d,
                    _jit(rng, (0.97, 0.96, 0.94), 0.01),
                    relief=(B * 0.4, 0.35),
                    shadow=(2, 1.5, 0.35),
                    gloss=0.4,
                )
                yolk = _jit(rng, [(0.98, 0.8, 0.28), (1.0, 0.62, 0.08)][rng.integers(2)], 0.04)
                sc.solid(
                    _sd_circle(u + 0.05 * A, v, B * 0.55),
                    yolk,
                    0.05 * _grain(rng),
                    relief=(B * 0.2, 0.3),
                    shadow=None,
                    edge=0.15,
                )
            else:  # whole eggs in their shells
                shell = _jit(rng, [(0.95, 0.93, 0.88), (0.86, 0.7, 0.54)][rng.integers(2)], 0.04)
                sc.solid(
                    d,
                    shell,
                    0.02 * _grain(rng) + 0.04 * _fbm(rng, 20, 1),
                    relief=(B * 0.5, 0.55),
                    shadow=(3, 2, 0.45),
                    gloss=0.6,
                )


def _fried(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    kind = rng.choice(4, p=[0.35, 0.25, 0.2, 0.2])
    if kind == 0:
        _fries(sc, cx, cy, s)
    elif kind in (1, 2):  # nuggets / fried chicken pieces
        n = int(rng.integers(4, 8)) if kind == 1 else int(rng.integers(2, 4))
        r = s * (0.34 if kind == 1 else 0.48)
        col = (0.86, 0.6, 0.25) if kind == 1 else (0.74, 0.43, 0.15)
        for i in range(n):
            a = _TAU * i / n + rng.uniform(0, 0.7)
            rr = s * 0.45 * math.sqrt(rng.random()) if n > 1 else 0
            x, y = cx + math.cos(a) * rr, cy + math.sin(a) * rr
            d = _sd_blob(
                x,
                y,
                r * rng.uniform(0.8, 1.1),
                rng,
                0.25,
                aspect=rng.uniform(0.65, 0.9),
                angle=rng.uniform(0, math.pi),
            )
            crag = _noise(rng, 22)
            tex = 0.25 * (crag - 0.5) + 0.12 * _fbm(rng, 40, 1) - 0.35 * np.clip((0.35 - crag) * 4, 0, 1)
            sc.solid(d, _jit(rng, col, 0.06), tex, relief=(r * 0.3, 0.5), shadow=(2.5, 2, 0.45), gloss=0.3)
    else:  # onion rings
        n = int(rng.integers(3, 6))
        for i in range(n):
            a = _TAU * i / n + rng.uniform(0, 0.5)
            rr = s * 0.4 * math.sqrt(rng.random())
            x, y = cx + math.cos(a) * rr, cy + math.sin(a) * rr
            R = s * rng.uniform(0.32, 0.42)
            u, v = _frame(x, y, rng.uniform(0, math.pi))
            d = np.abs(_sd_ellipse(u, v, R, R * rng.uniform(0.75, 0.95))) - 0.13 * s
            tex = 0.2 * (_noise(rng, 30) - 0.5) + 0.08 * _grain(rng)
            sc.solid(
                d,
                _jit(rng, (0.9, 0.68, 0.3), 0.05),
                tex,
                relief=(0.06 * s, 0.6),
                shadow=(2.5, 2, 0.45),
                gloss=0.3,
            )


def _fries(sc: _Scene, cx: float, cy: float, s: float, n: int | None = None) -> np.ndarray:
    """A pile of golden fries; returns the pile's coverage."""
    rng = sc.rng
    n = int(rng.integers(16, 28)) if n is None else n
    shapes = []
    for _ in range(n):
        r = s * 0.55 * math.sqrt(rng.random())
        a = rng.uniform(0, _TAU)
        x, y = cx + math.cos(a) * r, cy + math.sin(a) * r
        ang = rng.uniform(0, math.pi)
        L, w = s * rng.uniform(0.3, 0.55), rng.uniform(0.07, 0.1) * s + 0.8
        u, v = _frame(x, y, ang)
        shapes.append((_sd_box(u, v, L, w, 1.0), u, v, L, w))
    pile = np.zeros((_S, _S), np.float32)
    for d, *_ in shapes:
        pile = np.maximum(pile, _cov(d))
    sc.shadow(pile, 3, 2.5, 0.45)
    gold = _jit(rng, (0.96, 0.77, 0.3), 0.04)
    for d, u, v, L, w in shapes:
        a = _cov(d)
        tip = np.clip((np.abs(u) - (L - 0.25 * w - 2)) / 3, 0, 1)
        across = np.clip(v / w, -1, 1)
        t = (0.78 + 0.25 * np.sqrt(1 - across**2) - 0.1 * across * sc.ly) * (1 - 0.3 * tip)
        t = t * (1 + 0.08 * _grain(rng)) * (1 - 0.3 * np.exp(np.minimum(d, 0) / 0.8))
        sc.paint(a, _jit(rng, gold, 0.03), food=True, shade=t)
    return pile


def _steak(sc: _Scene, cx: float, cy: float, s: float, ang: float, sliced: bool = False) -> np.ndarray:
    """A grilled steak with grill marks and a fat edge; returns its coverage."""
    rng = sc.rng
    u, v = _frame(cx, cy, ang)
    a_len, b_len = 0.85 * s, 0.58 * s
    d = _sd_blob(cx, cy, a_len, rng, 0.08, aspect=b_len / a_len, angle=ang)
    a = _cov(d)
    sc.shadow(a, 3, 2.5, 0.5)
    brown = _jit(rng, (0.42, 0.22, 0.11), 0.07)
    tex = 0.16 * _fbm(rng, 12) + 0.06 * _grain(rng)
    sear = np.exp(np.minimum(d, 0) / (0.12 * s))
    col = _tint(brown, (1 + tex) * (1 - 0.35 * sear))
    fat = _cov(d + 0.1 * s, 1.5)
    fat_side = np.clip((v / b_len - 0.35) * 4, 0, 1) * (1 - fat)
    col = _mix(col, _tint(_jit(rng, (0.88, 0.76, 0.55), 0.04), 1 + 0.05 * _grain(rng)), fat_side * 0.9)
    mark_ang = ang + rng.uniform(0.6, 1.0) * (1 if rng.random() < 0.5 else -1)
    gu, _ = _frame(cx, cy, mark_ang)
    period = rng.uniform(0.22, 0.3) * s
    marks = np.clip((np.cos(_TAU * gu / period) - 0.72) * 5, 0, 1) * (1 - fat_side)
    col = col * (1 - 0.72 * marks)[..., None]
    sc.paint(a, col * sc.lit(a, 0.2 * s, 0.4)[..., None], food=True)
    gl = np.clip((_noise(rng, 20) - 0.62) * 4, 0, 1) * 0.18 * a
    sc.img += gl[..., None] * (1 - sc.img)
    if sliced:  # cut into strips, each showing its pink inside with a brown crust
        pink = _jit(rng, (0.78, 0.33, 0.3), 0.06)
        n = int(rng.integers(3, 6))
        width = 2 * a_len / n
        for k in range(n):
            du = -a_len + (k + 0.5) * width
            strip = np.maximum(np.abs(u - du) - 0.38 * width, d)
            inside = np.clip(-strip / (0.25 * width), 0, 1)
            col = _mix(_tint(brown, 0.8 * np.ones_like(u)), _tint(pink, 1 + 0.08 * _fbm(rng, 20, 1)), inside)
            sc.paint(_cov(strip), col, food=True)
    return a


def _drumstick(sc: _Scene, x: float, y: float, s: float, ang: float) -> None:
    rng = sc.rng
    bx0, by0 = _to_image(x, y, ang, 0.3 * s, 0)
    bx1, by1 = _to_image(x, y, ang, 0.85 * s, 0)
    u, v = _frame(x, y, ang)
    meat = np.minimum(_sd_ellipse(u, v, 0.5 * s, 0.32 * s), _sd_segment(bx0, by0, bx1, by1, 0.22 * s, 0.08 * s))
    ex, ey = _to_image(x, y, ang, 1.08 * s, 0)
    bone = _sd_segment(bx1, by1, ex, ey, 0.06 * s)
    for k in (-1, 1):
        kx, ky = _to_image(x, y, ang, 1.1 * s, k * 0.06 * s)
        bone = np.minimum(bone, _sd_circle(_X - kx, _Y - ky, 0.065 * s))
    sc.solid(bone, _jit(rng, (0.93, 0.88, 0.78), 0.03), relief=(0.03 * s, 0.5), shadow=(2, 1.5, 0.4))
    skin = _jit(rng, (0.72, 0.38, 0.14), 0.07)
    tex = 0.15 * _fbm(rng, 10) - 0.3 * np.clip((_noise(rng, 16) - 0.7) * 4, 0, 1) + 0.05 * _grain(rng)
    sc.solid(meat, skin, tex, relief=(0.12 * s, 0.5), shadow=(3, 2.5, 0.45), gloss=0.9)


def _skewer(sc: _Scene, cx: float, cy: float, s: float, ang: float, veg: bool) -> None:
    rng = sc.rng
    x0, y0 = _to_image(cx, cy, ang, -1.1 * s, 0)
    x1, y1 = _to_image(cx, cy, ang, 1.05 * s, 0)
    sc.solid(
        _sd_segment(x0, y0, x1, y1, 1.3),
        _jit(rng, (0.82, 0.68, 0.48), 0.04),
        relief=(1, 0.4),
        shadow=(2, 1, 0.4),
        food=False,
    )
    n = 5
    meat = _jit(rng, (0.5, 0.27, 0.13), 0.07)
    for i in range(n):
        t = -0.75 + 1.5 * i / (n - 1)
        x, y = _to_image(cx, cy, ang, t * s, rng.normal(0, 0.02 * s))
        u, v = _frame(x, y, ang + rng.normal(0, 0.25))
        hw = 0.16 * s
        d = _sd_box(u, v, hw * rng.uniform(0.85, 1.1), hw * rng.uniform(0.9, 1.2), 0.3 * hw)
        if veg and i % 2 == 1:
            col = _jit(rng, [(0.3, 0.6, 0.18), (0.82, 0.15, 0.1), (0.92, 0.88, 0.78)][rng.integers(3)], 0.05)
            sc.solid(d, col, 0.04 * _grain(rng), relief=(0.4 * hw, 0.5), gloss=0.8, shadow=(2.5, 2, 0.45))
        else:
            tex = 0.14 * _fbm(rng, 14) - 0.45 * np.clip((_noise(rng, 18) - 0.6) * 3, 0, 1)
            sc.solid(d, meat, tex, relief=(0.4 * hw, 0.5), gloss=0.4, shadow=(2.5, 2, 0.45))


def _meat_slices(sc: _Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    n = int(rng.integers(4, 7))
    roast = rng.random() < 0.6
    inner = _jit(rng, (0.68, 0.26, 0.24) if roast else (0.92, 0.56, 0.55), 0.05)
    rim = _jit(rng, (0.4, 0.2, 0.1) if roast else (0.95, 0.85, 0.78), 0.05)
    base = rng.uniform(0, _TAU)
    for i in range(n):
        a = base + (i - n / 2) * 0.28
        x, y = cx + math.cos(a) * 0.3 * s, cy + math.sin(a) * 0.3 * s
        u, v = _frame(x, y, a)
        d = _sd_ellipse(u, v, 0.6 * s, 0.42 * s)
        a_sl = _cov(d)
        sc.shadow(a_sl, 2, 1.5, 0.35)
        marble = np.exp(-(((np.sin(u * 0.25 + 2.5 * _fbm(rng, 5))) / 0.12) ** 2)) * 0.25
        col = _mix(
            _tint(inner, 1 + 0.06 * _fbm(rng, 14) + 0.3 * marble),
            _tint(rim, np.ones_like(u)),
            1 - _cov(d + 0.07 * s + 1, 1.5),
        )
        sc.paint(a_sl, col * sc.lit(a_sl, 1.5, 0.2)[..., None], food=True)
        sc.glint(a_sl, 1.5, 0.5)


def _meat(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    kind = rng.choice(4, p=[0.35, 0.25, 0.2, 0.2])
    if kind == 0:
        _steak(sc, cx, cy, s, rng.uniform(0, math.pi), sliced=rng.random() < 0.3)
    elif kind == 1:
        n = int(rng.integers(2, 4))
        base = rng.uniform(0, _TAU)
        for i in range(n):
            a = base + (i - (n - 1) / 2) * 0.5
            x, y = cx - math.cos(a) * 0.35 * s + (i - (n - 1) / 2) * 0.1 * s, cy - math.sin(a) * 0.35 * s
            _drumstick(sc, x, y, s * 0.95, a)
    elif kind == 2:
        n = int(rng.integers(1, 3))
        ang = rng.uniform(0, math.pi)
        veg = rng.random() < 0.4
        for k in range(n):
            off = (k - (n - 1) / 2) * 0.5 * s
            _skewer(sc, cx - math.sin(ang) * off, cy + math.cos(ang) * off, s * 0.85, ang, veg)
    else:
        _meat_slices(sc, cx, cy, s)


def _noodles(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    R = s * rng.uniform(0.8, 0.95)
    d = _sd_blob(cx, cy, R, rng, 0.12)
    region = _cov(d)
    sc.shadow(region, 2.5, 2, 0.4)
    col = _jit(
        rng,
        [(0.96, 0.82, 0.45), (0.95, 0.8, 0.52), (0.96, 0.93, 0.82), (0.55, 0.42, 0.3), (0.82, 0.56, 0.26)][
            rng.choice(5, p=[0.3, 0.25, 0.15, 0.1, 0.2])
        ],
        0.04,
    )
    sc.paint(region, col, food=True, shade=0.55 + 0.1 * _fbm(rng, 10))
    width = rng.uniform(3.2, 4.8)
    layers = 4
    for i in range(layers):
        u, v = _frame(cx, cy, rng.uniform(0, math.pi))
        warp = _fbm(rng, int(rng.integers(3, 6))) * np.float32(rng.uniform(10, 20)) + _fbm(rng, 10, 1) * np.float32(
            rng.uniform(2, 4)
        )
        phase = (v + warp) / width
        strand = np.clip((np.cos(_TAU * phase) + 0.15) / 1.15, 0, 1)
        keep = np.clip((_noise(rng, 5) - 0.25) * 3, 0, 1) if i else 1.0
        edge = _cov(d + rng.uniform(0, 0.15) * R * i / layers, 3)
        a = np.clip(strand * 2.2, 0, 1) * keep * edge
        t = (0.74 + 0.08 * i) * (0.72 + 0.35 * np.sqrt(strand)) * (1 + 0.03 * _grain(rng))
        sc.paint(a, col, food=True, shade=t)
    sc.glint(region, 0.4 * R, 0.3)
    top = rng.choice(4, p=[0.35, 0.2, 0.15, 0.3])
    if top == 0:  # tomato sauce
        sd = _sd_blob(cx + rng.normal(0, 0.1 * R), cy + rng.normal(0, 0.1 * R), 0.4 * R, rng, 0.15)
        tex = 0.18 * (_noise(rng, 24) - 0.5) + 0.05 * _grain(rng)
        sc.solid(
            sd,
            _jit(rng, (0.72, 0.14, 0.06), 0.06),
            tex,
            relief=(0.1 * R, 0.5),
            gloss=0.8,
            shadow=(1.5, 1.5, 0.3),
            edge=0.1,
        )
    elif top == 1:  # grated cheese
        xs, ys = _inside_points(rng, _cov(d + 0.3 * R), int(rng.integers(30, 70)))
        sc.paint(_scatter(xs, ys, 1.2, 0.5, rng) * region, (0.97, 0.95, 0.85), food=True)
    elif top == 2:  # meatballs
        for _ in range(int(rng.integers(2, 4))):
            mx, my = _inside_points(rng, _cov(d + 0.35 * R), 1)
            sc.solid(
                _sd_circle(_X - mx[0], _Y - my[0], 0.22 * R),
                _jit(rng, (0.45, 0.25, 0.14), 0.06),
                0.15 * _fbm(rng, 20),
                relief=(0.08 * R, 0.6),
                gloss=0.5,
                shadow=(2, 1.5, 0.4),
            )
    if rng.random() < 0.5:  # herbs
        xs, ys = _inside_points(rng, _cov(d + 2), int(rng.integers(8, 25)))
        sc.paint(_scatter(xs, ys, 1.4, 0.9, rng) * region, _jit(rng, (0.2, 0.5, 0.15), 0.08), food=True)


def _rice(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    kind = rng.choice(3, p=[0.65, 0.2, 0.15])
    if kind == 2:  # onigiri: a rounded rice triangle with a band of seaweed
        ang = rng.normal(0, 0.3)
        pts = [_to_image(cx, cy, ang, x * s, y * s) for x, y in ((0, -0.75), (0.75, 0.5), (-0.75, 0.5))]
        d = _sd_polygon(pts) - 0.12 * s
        R = 0.8 * s
    else:
        R = s * rng.uniform(0.75, 0.92)
        d = _sd_blob(cx, cy, R, rng, 0.06)
    base = _jit(rng, [(0.96, 0.95, 0.91), (0.9, 0.74, 0.42), (0.96, 0.95, 0.91)][kind], 0.02)
    area = float(_cov(d).sum())
    xs, ys = _inside_points(rng, _cov(d + 1.0), int(area / 5.5))
    grains = _scatter(xs, ys, 2.6, 1.25, rng, dome=True)
    a = np.clip(_cov(d + 2.0) + grains * _cov(d - 1.5), 0, 1)
    sc.shadow(a, 2.5, 2, 0.45)
    t = (0.78 + 0.24 * grains) * sc.lit(_cov(d, 4), R * 0.35, 0.5) * (1 + 0.02 * _grain(rng))
    sc.paint(a, base, food=True, shade=t)
    sc.img += (np.clip(grains - 0.85, 0, 1) * 1.5 * a * np.clip(sc.lit(_cov(d, 4), R * 0.35, 1.0) - 0.9, 0, 1))[
        ..., None
    ] * (1 - sc.img)
    if kind == 1:  # fried rice bits: peas, carrot, egg
        for col, r0, r1, n in (
            ((0.35, 0.65, 0.2), 1.5, 1.5, 12),
            ((0.95, 0.5, 0.1), 1.3, 1.0, 12),
            ((0.98, 0.85, 0.3), 2.0, 1.2, 10),
        ):
            px, py = _inside_points(rng, _cov(d + 2), n)
            sc.paint(_scatter(px, py, r0, r1, rng) * a, _jit(rng, col, 0.05), food=True)
    elif kind == 2:
        band = _sd_box(*_frame(*_to_image(cx, cy, ang, 0, 0.42 * s), ang), 0.3 * s, 0.32 * s, 1.0)
        sc.paint(_cov(band) * a, _jit(rng, (0.08, 0.12, 0.08), 0.1), food=True, shade=1 + 0.15 * _fbm(rng, 20))
    elif rng.random() < 0.3:  # sesame
        px, py = _inside_points(rng, _cov(d + 3), int(rng.integers(10, 30)))
        sc.paint(
            _scatter(px, py, 1.1, 0.6, rng) * a,
            (0.12, 0.1, 0.1) if rng.random() < 0.5 else (0.9, 0.8, 0.6),
            food=True,
        )


def _shrimp(sc: _Scene, x: float, y: float, r: float, ang: float) -> None:
    """A cooked shrimp curled into a C: overlapping shell segments, tapering to a red tail fan."""
    rng = sc.rng
    span, nseg, rc = 1.25 * math.pi, 7, 0.62 * r
    back = _jit(rng, (0.93, 0.36, 0.16), 0.05)
    belly = _jit(rng, (1.0, 0.72, 0.52), 0.04)
    parts = []
    for i in range(nseg):
        t = i / (nseg - 1)
        theta = t * span
        w = r * 0.56 * (1 - 0.5 * t)
        px, py = _to_image(x, y, ang, rc * math.cos(theta), rc * math.sin(theta))
        tang = ang + theta + math.pi / 2
        u, v = _frame(px, py, tang)
        parts.append((_sd_ellipse(u, v, span * rc / nseg * 0.85, w / 2), v, w))
    tx, ty = _to_image(x, y, ang, rc * math.cos(span * 1.08), rc * math.sin(span * 1.08))
    fan = np.full((_S, _S), 1e9, np.float32)
    for k in (-1, 1):
        fa = ang + span * 1.08 + math.pi / 2 + k * 0.45
        fx, fy = _to_image(tx, ty, fa, 0.2 * r, 0)
        fan = np.minimum(fan, _sd_ellipse(*_frame(fx, fy, fa), 0.24 * r, 0.1 * r))
    cover = _cov(fan)
    for d, _, _ in parts:
        cover = np.maximum(cover, _cov(d))
    sc.shadow(cover, 2.5, 1.8, 0.45)
    sc.solid(fan, back * 0.85, 0.1 * np.sin(_X * 2 + _Y), relief=(1.0, 0.3), shadow=None, edge=0.3)
    for d, v, w in parts[::-1]:  # tail first, so each segment overlaps the next one towards the tail
        across = np.clip(v / (w / 2) * 0.5 + 0.5, 0, 1)  # 0 on the outer (back) side, 1 on the belly
        col = _mix(_tint(back, np.ones_like(v)), _tint(belly, np.ones_like(v)), across**1.3)
        a = _cov(d)
        shade = sc.lit(a, 0.12 * w + 0.5, 0.5) * (1 - 0.35 * np.exp(np.minimum(d, 0) / 1.0))
        sc.paint(a, col * shade[..., None], food=True)
        sc.glint(a, 0.12 * w + 0.5, 0.8)


def _fish(sc: _Scene, x: float, y: float, L: float, ang: float) -> None:
    rng = sc.rng
    u, v = _frame(x, y, ang)
    body = _sd_ellipse(u, v, 0.5 * L, 0.17 * L)
    tail = _sd_polygon(
        [
            _to_image(x, y, ang, 0.42 * L, 0),
            _to_image(x, y, ang, 0.7 * L, -0.17 * L),
            _to_image(x, y, ang, 0.64 * L, 0),
            _to_image(x, y, ang, 0.7 * L, 0.17 * L),
        ]
    )
    tail = np.maximum(
        tail,
        -_sd_polygon(
            [
                _to_image(x, y, ang, 0.6 * L, 0),
                _to_image(x, y, ang, 0.75 * L, -0.1 * L),
                _to_image(x, y, ang, 0.75 * L, 0.1 * L),
            ]
        ),
    )
    fin = _sd_polygon(
        [
            _to_image(x, y, ang, -0.05 * L, -0.14 * L),
            _to_image(x, y, ang, 0.22 * L, -0.12 * L),
            _to_image(x, y, ang, 0.15 * L, -0.26 * L),
        ]
    )
    cover = np.maximum(np.maximum(_cov(body), _cov(tail)), _cov(fin))
    sc.shadow(cover, 3, 2.5, 0.45)
    grilled = rng.random() < 0.4
    if grilled:
        back, belly = _jit(rng, (0.72, 0.52, 0.3), 0.06), _jit(rng, (0.92, 0.78, 0.52), 0.05)
    else:
        back, belly = _jit(rng, (0.38, 0.44, 0.5), 0.06), _jit(rng, (0.86, 0.87, 0.86), 0.03)
    sc.solid(np.minimum(tail, fin), back * 0.9, 0.05 * np.sin(u * 1.5), relief=(1.5, 0.3), shadow=None)
    across = np.clip((v / (0.17 * L) + 1) / 2, 0, 1)
    scales = 0.05 * np.sin(u * 1.6 + np.abs(v) * 1.6) * np.sin(v * 1.6 - u * 0.6)
    col = _mix(_tint(back, 1 + scales), _tint(belly, 1 + scales), across**1.5)
    if grilled:  # crisp, blistered skin
        col = col * (1 - 0.35 * np.clip((_noise(rng, 28) - 0.62) * 4, 0, 1))[..., None]
    a = _cov(body)
    sc.paint(
        a,
        col * (sc.lit(a, 0.06 * L, 0.5) * (1 - 0.3 * np.exp(np.minimum(body, 0) / 1.2)))[..., None],
        food=True,
    )
    sc.glint(a, 0.06 * L, 0.8)
    gill = np.abs(_sd_ellipse(u + 0.28 * L, v, 0.08 * L, 0.15 * L)) - 0.5
    sc.paint(_cov(gill) * a * (u > -0.28 * L), back * 0.6, food=True)
    ex, ey = _to_image(x, y, ang, -0.38 * L, -0.03 * L)
    er = max(1.5, 0.04 * L)
    sc.paint(_cov(_sd_circle(_X - ex, _Y - ey, er)), (0.92, 0.9, 0.85), food=True)
    sc.paint(_cov(_sd_circle(_X - ex, _Y - ey, er * 0.55)), (0.05, 0.05, 0.06), food=True)


def _salmon(sc: _Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    sashimi = rng.random() < 0.5
    n = int(rng.integers(3, 6)) if sashimi else 1
    base = rng.uniform(0, _TAU)
    orange = _jit(rng, (0.98, 0.5, 0.3), 0.05)
    for i in range(n):
        if sashimi:
            x = cx + (i - (n - 1) / 2) * 0.28 * s * math.cos(base)
            y = cy + (i - (n - 1) / 2) * 0.28 * s * math.sin(base)
            ang, hw, hh = base + math.pi / 2 + rng.normal(0, 0.1), 0.55 * s, 0.2 * s
        else:
            x, y, ang, hw, hh = cx, cy, base, 0.85 * s, 0.42 * s
        u, v = _frame(x, y, ang)
        d = _sd_box(u, v, hw, hh, 0.4 * hh)
        fu, _ = _frame(x, y, ang + 0.9)
        fat = np.clip((np.cos(_TAU * (fu + 3 * _fbm(rng, 4)) / (0.13 * s)) - 0.8) * 5, 0, 1)
        tex = 0.05 * _grain(rng) + 0.45 * fat * (0.6 if sashimi else 0.4)
        if not sashimi and rng.random() < 0.5:  # seared top
            tex = tex - 0.35 * np.exp(np.minimum(d, 0) / (0.1 * s))
        sc.solid(d, orange, tex, relief=(0.15 * hh, 0.4), shadow=(2.5, 2, 0.4), gloss=0.7)


def _seafood(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    kind = rng.choice(3, p=[0.4, 0.35, 0.25])
    if kind == 0:
        n = int(rng.integers(2, 5))
        base = rng.uniform(0, _TAU)
        for i in range(n):
            a = base + _TAU * i / n
            rr = 0.45 * s
            _shrimp(
                sc,
                cx + math.cos(a) * rr,
                cy + math.sin(a) * rr,
                s * rng.uniform(0.42, 0.52),
                rng.uniform(0, _TAU),
            )
    elif kind == 1:
        _fish(sc, cx, cy, s * 1.9, rng.uniform(0, _TAU))
    else:
        _salmon(sc, cx, cy, s)


_SOUPS = [
    (0.8, 0.25, 0.12),
    (0.95, 0.6, 0.2),
    (0.93, 0.88, 0.72),
    (0.72, 0.5, 0.24),
    (0.76, 0.6, 0.36),
    (0.45, 0.6, 0.2),
    (0.38, 0.22, 0.12),
    (0.9, 0.78, 0.45),
]


def _soup(
    sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel, kind: int | None = None, bits: int | None = None
) -> np.ndarray:
    """Liquid filling the vessel's opening, with a reflection and floating bits; returns its coverage."""
    rng = sc.rng
    cx, cy = ves.cx, ves.cy
    r = ves.r * (1.0 if ves.kind == "bowl" else 0.98)
    u, v = _frame(cx, cy, ves.angle)
    d = _sd_ellipse(u, v, r, r * ves.aspect)
    a = _cov(d)
    kind = int(rng.integers(len(_SOUPS))) if kind is None else kind
    col = _jit(rng, _SOUPS[kind], 0.05)
    rho = np.hypot(u, v / ves.aspect)
    ripple = 0.02 * np.sin(rho * rng.uniform(0.6, 1.0) + 2 * _fbm(rng, 4))
    tex = 1 + 0.05 * _fbm(rng, 6) + ripple
    meniscus = np.exp(np.minimum(d, 0) / 1.2)
    sc.paint(a, col, food=True, shade=tex * (1 - 0.3 * meniscus))
    sc.spot(a, cx + sc.lx * r * 0.45, cy + sc.ly * r * 0.45, r * rng.uniform(0.15, 0.3), rng.uniform(0.2, 0.45))
    swirl = rng.random() < 0.6
    if kind in (0, 1, 5, 2) and swirl:  # a swirl of cream
        theta = np.arctan2(v, u)
        spiral = np.clip((np.cos(theta + rho * rng.uniform(0.25, 0.4)) - 0.85) * 6, 0, 1) * _cov(d + 0.35 * r)
        sc.paint(spiral * 0.85, (0.97, 0.95, 0.9), food=True)
    if kind in (3, 4, 6, 7):  # oil droplets
        xs, ys = _inside_points(rng, _cov(d + 3), int(rng.integers(10, 35)))
        rr = rng.uniform(1.6, 2.8)
        drops = _scatter(xs, ys, rr, rr * rng.uniform(0.8, 1.0), rng, dome=True)
        ring = np.clip(drops * (1 - drops) * 4, 0, 1)
        sc.img += (0.3 * ring * a + 0.08 * drops * a)[..., None] * (1 - sc.img)
    bits = int(rng.choice(4, p=[0.3, 0.3, 0.2, 0.2])) if bits is None else bits
    if bits == 0:  # croutons
        for _ in range(int(rng.integers(3, 8))):
            px, py = _inside_points(rng, _cov(d + 5), 1)
            if len(px):
                bu, bv = _frame(px[0], py[0], rng.uniform(0, math.pi))
                sc.solid(
                    _sd_box(bu, bv, 2.6, 2.3, 0.7),
                    _jit(rng, (0.85, 0.6, 0.3), 0.06),
                    0.1 * _grain(rng),
                    relief=(1.0, 0.5),
                    shadow=(1.5, 1, 0.4),
                )
    elif bits == 1:  # herbs
        xs, ys = _inside_points(rng, _cov(d + 3), int(rng.integers(10, 30)))
        sc.paint(_scatter(xs, ys, 1.3, 0.8, rng) * a, _jit(rng, (0.22, 0.5, 0.15), 0.08), food=True)
    elif bits == 2:  # vegetable or tofu cubes
        for _ in range(int(rng.integers(4, 10))):
            px, py = _inside_points(rng, _cov(d + 4), 1)
            if len(px):
                bu, bv = _frame(px[0], py[0], rng.uniform(0, math.pi))
                c = [(0.95, 0.5, 0.1), (0.35, 0.65, 0.2), (0.96, 0.95, 0.9)][rng.integers(3)]
                sc.solid(_sd_box(bu, bv, 2.0, 2.0, 0.5), _jit(rng, c, 0.05), relief=(0.8, 0.4), shadow=(1, 1, 0.3))
    return a


def _veg(sc: _Scene, cx: float, cy: float, s: float, ves: _Vessel) -> None:
    rng = sc.rng
    kind = rng.choice(4, p=[0.35, 0.3, 0.15, 0.2])
    if kind == 0:
        _salad(sc, cx, cy, s)
    elif kind == 1:  # apples, tomatoes, oranges
        n = int(rng.integers(1, 4))
        fruit = rng.integers(4)
        r = s * (0.62 if n == 1 else 0.48)
        base = rng.uniform(0, _TAU)
        for i in range(n):
            a = base + _TAU * i / n
            rr = 0 if n == 1 else r * 0.95
            _fruit(sc, cx + math.cos(a) * rr, cy + math.sin(a) * rr, r * rng.uniform(0.9, 1.05), int(fruit))
    elif kind == 2:  # broccoli florets
        for _ in range(int(rng.integers(3, 6))):
            a, rr = rng.uniform(0, _TAU), s * 0.45 * math.sqrt(rng.random())
            _broccoli(sc, cx + math.cos(a) * rr, cy + math.sin(a) * rr, s * rng.uniform(0.38, 0.48))
    else:  # grapes
        col = _jit(rng, [(0.38, 0.14, 0.32), (0.6, 0.78, 0.3)][rng.integers(2)], 0.06)
        for _ in range(int(rng.integers(14, 24))):
            a, rr = rng.uniform(0, _TAU), s * 0.65 * math.sqrt(rng.random())
            x, y = cx + math.cos(a) * rr * 0.8, cy + math.sin(a) * rr
            gr = s * rng.uniform(0.17, 0.21)
            sc.solid(
                _sd_ellipse(*_frame(x, y, rng.uniform(0, math.pi)), gr, gr * 0.85),
                _jit(rng, col, 0.04),
                relief=(gr * 0.4, 0.6),
                gloss=1.0,
                shadow=(2, 1.5, 0.4),
            )


def _fruit(sc: _Scene, x: float, y: float, r: float, fruit: int) -> None:
    rng = sc.rng
    d = _sd_blob(x, y, r, rng, 0.04)
    if fruit == 0:  # apple
        col = _jit(rng, [(0.78, 0.1, 0.1), (0.55, 0.78, 0.25), (0.9, 0.75, 0.25)][rng.choice(3, p=[0.6, 0.25, 0.15])])
        streak = 0.05 * np.sin(np.arctan2(_Y - y, _X - x) * 11 + 3 * _fbm(rng, 8)) + 0.12 * _fbm(rng, 4)
        sc.solid(d, col, streak + 0.05 * _fbm(rng, 10), relief=(0.3 * r, 0.7), gloss=0.8, shadow=(4, 3, 0.5))
        sc.paint(_cov(_sd_circle(_X - x, _Y - y, 0.12 * r), 2), col, food=True, shade=0.6 * np.ones_like(d))
        a = rng.uniform(0, _TAU)
        sc.paint(
            _cov(_sd_segment(x, y, x + math.cos(a) * 0.3 * r, y + math.sin(a) * 0.3 * r, 1.0)),
            (0.35, 0.22, 0.1),
            food=True,
        )
    elif fruit == 1:  # tomato with its green calyx
        sc.solid(
            d,
            _jit(rng, (0.9, 0.14, 0.07), 0.05),
            0.03 * _fbm(rng, 10),
            relief=(0.3 * r, 0.6),
            gloss=1.2,
            shadow=(4, 3, 0.5),
        )
        base = rng.uniform(0, _TAU)
        for k in range(5):
            a = base + _TAU * k / 5
            sc.paint(
                _cov(_sd_segment(x, y, x + math.cos(a) * 0.35 * r, y + math.sin(a) * 0.35 * r, 1.4, 0.5)),
                _jit(rng, (0.2, 0.45, 0.12), 0.05),
                food=True,
            )
    elif fruit == 2:  # orange
        sc.solid(
            d,
            _jit(rng, (0.98, 0.55, 0.08), 0.04),
            0.08 * (_noise(rng, 48) - 0.5),
            relief=(0.3 * r, 0.6),
            gloss=0.6,
            shadow=(4, 3, 0.5),
        )
    else:  # halved orange or lemon: segments
        col = _jit(rng, [(0.98, 0.55, 0.1), (0.98, 0.86, 0.2), (0.9, 0.3, 0.2)][rng.integers(3)], 0.04)
        sc.solid(d, col * 0.85, relief=(0.2 * r, 0.4), shadow=(3, 2.5, 0.45))
        sc.paint(_cov(d + 0.08 * r), (0.97, 0.94, 0.85), food=True)
        rho = np.hypot(_X - x, _Y - y)
        k = int(rng.integers(8, 12))
        theta = np.mod(np.arctan2(_Y - y, _X - x) + rng.uniform(0, 1), _TAU / k) - math.pi / k
        to_membrane = rho * (math.pi / k - np.abs(theta))
        flesh = _cov(d + 0.14 * r) * np.clip(to_membrane - 0.7, 0, 1) * np.clip(rho - 0.12 * r, 0, 1)
        juice = 1.0 + 0.12 * _grain(rng, 0.9) + 0.15 * rho / r
        sc.paint(flesh, col, food=True, shade=juice)


def _leaf(sc: _Scene, x: float, y: float, L: float, W: float, ang: float, col: np.ndarray) -> None:
    rng = sc.rng
    u, v = _frame(x, y, ang)
    along = np.clip(u / L, -1, 1)
    half = W * (1 - along**2) ** 0.8 * (1 + 0.1 * np.sin(u * 0.45 + rng.uniform(0, 6)) + 0.06 * np.sin(u * 1.3))
    d = np.maximum(np.abs(v) - half, np.abs(u) - L)
    vein = np.exp(-((v / 0.9) ** 2)) + 0.5 * np.clip(
        (np.cos(_TAU * (u - 0.8 * np.abs(v)) / (0.25 * L)) - 0.9) * 8, 0, 1
    )
    tex = 0.3 * np.clip(vein, 0, 1) + 0.08 * _fbm(rng, 12) - 0.15 * np.abs(v) / (W + 1e-3)
    sc.solid(d, col, tex, relief=(1.5, 0.3), shadow=(2, 1.5, 0.35), edge=0.2, gloss=0.3)


def _salad(sc: _Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    greens = [(0.42, 0.68, 0.18), (0.2, 0.45, 0.14), (0.62, 0.8, 0.32), (0.3, 0.55, 0.2), (0.5, 0.16, 0.3)]
    for _ in range(int(rng.integers(8, 13))):
        a, rr = rng.uniform(0, _TAU), s * 0.55 * math.sqrt(rng.random())
        col = _jit(rng, greens[rng.choice(5, p=[0.3, 0.25, 0.2, 0.17, 0.08])], 0.06)
        _leaf(
            sc,
            cx + math.cos(a) * rr,
            cy + math.sin(a) * rr,
            s * rng.uniform(0.4, 0.55),
            s * rng.uniform(0.18, 0.28),
            rng.uniform(0, math.pi),
            col,
        )
    for _ in range(int(rng.integers(0, 4))):  # cherry tomatoes
        a, rr = rng.uniform(0, _TAU), s * 0.5 * math.sqrt(rng.random())
        x, y, r = cx + math.cos(a) * rr, cy + math.sin(a) * rr, s * rng.uniform(0.12, 0.16)
        sc.solid(
            _sd_circle(_X - x, _Y - y, r),
            _jit(rng, (0.88, 0.12, 0.08), 0.05),
            relief=(0.35 * r, 0.6),
            gloss=1.2,
            shadow=(2, 1.5, 0.45),
        )
    for _ in range(int(rng.integers(0, 4))):  # cucumber slices
        a, rr = rng.uniform(0, _TAU), s * 0.5 * math.sqrt(rng.random())
        x, y, r = cx + math.cos(a) * rr, cy + math.sin(a) * rr, s * rng.uniform(0.13, 0.17)
        d = _sd_circle(_X - x, _Y - y, r)
        seeds = np.clip((np.cos(np.arctan2(_Y - y, _X - x) * 3) - 0.2), 0, 1) * _cov(np.abs(d + 0.5 * r) - 0.15 * r)
        col = _mix(_rgb((0.25, 0.45, 0.15)), _tint(_rgb((0.78, 0.88, 0.6)), 1 - 0.15 * seeds), _cov(d + 1.2, 1.2))
        sc.paint(_cov(d), col, food=True)


def _broccoli(sc: _Scene, x: float, y: float, r: float) -> None:
    rng = sc.rng
    a = rng.uniform(0, _TAU)
    sx, sy = x + math.cos(a) * r * 0.8, y + math.sin(a) * r * 0.8
    sc.solid(
        _sd_segment(x, y, sx, sy, 0.35 * r, 0.25 * r),
        _jit(rng, (0.65, 0.78, 0.4), 0.05),
        relief=(1.5, 0.4),
        shadow=(2, 1.5, 0.4),
    )
    d = _sd_blob(x, y, r * 0.8, rng, 0.25)
    xs, ys = _inside_points(rng, _cov(d + 1), int(max(8, r * r * 0.6)))
    bumps = _scatter(xs, ys, 2.2, 2.0, rng, dome=True)
    sc.solid(
        d,
        _jit(rng, (0.2, 0.45, 0.12), 0.06),
        0.35 * (bumps - 0.5) + 0.1 * _grain(rng),
        relief=(r * 0.3, 0.6),
        shadow=(3, 2, 0.45),
    )


_DRAW = [_bread, _dairy, _dessert, _egg, _fried, _meat, _noodles, _rice, _seafood, _soup, _veg]


# --------------------------------------------------------------------------------------------------
# Scenes.


def render(label: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw one random scene of class ``label``.

    Args:
        label: class index 0..10 (CLASS_NAMES order).
        rng: the generator every random choice is drawn from.

    Returns:
        image (128 x 128 x 3 uint8) and mask (128 x 128 bool, True where the food is).
    """
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= label < len(CLASS_NAMES):
        raise ValueError(f"label must be a class index 0..{len(CLASS_NAMES) - 1}, got {label!r}.")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}.")
    sc = _Scene(rng)
    # Everything up to the food is drawn the same way whatever the label.
    sc.img[:] = _background(rng)
    _clutter(sc)
    ves = _vessel(sc)
    s = ves.r * rng.uniform(0.92, 1.08)
    cx, cy = ves.cx + rng.normal(0, 0.06 * ves.r), ves.cy + rng.normal(0, 0.06 * ves.r)
    _DRAW[int(label)](sc, cx, cy, s, ves)
    if rng.random() < 0.12:
        _occluder(sc, cx, cy, s)
    return _finish(sc, rng), sc.food >= 0.5


# --------------------------------------------------------------------------------------------------
# The ten observation images: fixed designs (a fixed seed only for textures) that the course's
# questions about "image #k" are about.

_OBS_LIGHT = -2.3  # light from the upper left


def _observation(stem: str) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Draw observation image ``stem``: image (S x S x 3 uint8), food mask and part masks (bool)."""
    index = [name for name, _ in OBSERVATION].index(stem)
    rng = np.random.default_rng([20_240_509, index])
    sc = _Scene(rng, light_angle=_OBS_LIGHT)
    white = _rgb((0.94, 0.94, 0.92))
    extra: dict[str, np.ndarray] = {}
    if stem == "0_0":
        sc.img[:] = _bg_wood(rng)
        _draw_plate(sc, 64, 66, 60, 0.95, 0.2, white)
        sc.part = "cube"
        _iso_cube(
            sc,
            64,
            68,
            50,
            0.62,
            _rgb((0.97, 0.82, 0.52)),
            _rgb((0.66, 0.4, 0.16)),
            4.0,
            -0.14 * _pores(rng, 44, 0.6) + 0.04 * _grain(rng),
        )
    elif stem == "1_1":
        sc.img[:] = _bg_plain(rng)
        _jug(sc, 60, 66, 46, right=True, parts=True)
    elif stem == "1_2":
        sc.img[:] = _bg_cloth(rng)
        for k in range(9):
            x, y = 18 + (k % 3) * 44 + rng.uniform(-8, 8), 20 + (k // 3) * 44 + rng.uniform(-8, 8)
            _iso_cube(
                sc,
                x,
                y,
                rng.uniform(14, 20),
                rng.uniform(0.2, 1.35),
                _rgb((0.98, 0.82, 0.35)),
                tex=0.03 * _grain(rng),
                holes=1,
            )
        for _ in range(14):
            x, y, r = rng.uniform(6, 122), rng.uniform(6, 122), rng.uniform(2.5, 5.5)
            sc.solid(_sd_circle(_X - x, _Y - y, r), white, relief=(0.4 * r, 0.7), gloss=1.2, shadow=(1.5, 1, 0.3))
    elif stem == "2_3":
        sc.img[:] = _bg_marble(rng)
        _draw_plate(sc, 64, 66, 60, 0.93, 0.0, white)
        _cake_slice(sc, 62, 66, 44, flip=False)
    elif stem == "5_4":
        sc.img[:] = _bg_wood(rng)
        _draw_plate(sc, 64, 64, 63, 0.9, 0.0, white)
        sc.part = "side"
        _fries(sc, 39, 64, 24, n=16)
        sc.part = "steak"
        _steak(sc, 88, 64, 27, math.pi / 2)
    elif stem == "5_5":
        sc.img[:] = _bg_cloth(rng)
        _draw_plate(sc, 64, 64, 60, 0.95, 0.0, white)
        for k in range(3):
            a = -0.5 + 0.5 * k
            _drumstick(sc, 52 - math.cos(a) * 10, 60 - math.sin(a) * 16 + 4 * k, 38, a)
    elif stem == "5_6":
        sc.img[:] = _bg_plain(rng)
        _draw_plate(sc, 64, 64, 60, 0.95, 0.0, _rgb((0.93, 0.91, 0.86)))
        for k in (-1, 1):
            _skewer(sc, 64 + 12 * k * math.sin(0.5), 64 - 12 * k * math.cos(0.5), 40, 0.5, veg=False)
    elif stem == "5_7":
        sc.img[:] = _bg_wood(rng)
        _draw_plate(sc, 64, 64, 60, 0.93, 0.3, white)
        sc.part = "steak"
        _steak(sc, 64, 64, 42, 0.35)
    elif stem == "8_8":
        sc.img[:] = _bg_plain(rng)
        _draw_plate(sc, 64, 64, 61, 0.93, 0.0, white)
        _fish(sc, 60, 56, 80, 0.35)
        _shrimp(sc, 40, 92, 17, 0.4)
        _shrimp(sc, 86, 94, 17, 3.5)
    elif stem == "9_9":
        sc.img[:] = _bg_wood(rng)
        ves = _draw_bowl(sc, 64, 64, 56, 1.0, 0.0, _rgb((0.95, 0.95, 0.93)), rim=0.1)
        bowl = _cov(_sd_circle(_X - 64, _Y - 64, 56))
        sc.part = "soup"
        soup = _soup(sc, 64, 64, ves.r, ves, kind=1, bits=1)
        extra["rim"] = (bowl >= 0.5) & (soup < 0.5)
    sc.part = None
    img = _finish(sc, rng, fixed=True)
    parts = {name: sc.parts[name] >= 0.5 for name in PARTS.get(stem, []) if name in sc.parts}
    parts.update(extra)
    return img, sc.food >= 0.5, parts


# --------------------------------------------------------------------------------------------------
# Writing the data set.


def _save(img: np.ndarray, mask: np.ndarray, image_path: Path, mask_path: Path) -> None:
    Image.fromarray(img).save(image_path, quality=JPEG_QUALITY)
    Image.fromarray(mask.astype(np.uint8) * 255).save(mask_path)


def _write_one(task: tuple[str, int, int, int, int]) -> None:
    """Render and save one image; the random generator depends only on (seed, split, label, n)."""
    folder, seed, split_index, label, n = task
    img, mask = render(label, np.random.default_rng([seed, split_index, label, n]))
    folder_path = Path(folder)
    _save(img, mask, folder_path / f"{label}_{n}.jpg", folder_path / "masks" / f"{label}_{n}.png")


def _check_counts(per_class: dict[str, int] | None) -> dict[str, int]:
    if per_class is None:
        return dict(SPLITS)
    if not isinstance(per_class, dict):
        raise TypeError(f"per_class must be a dict like {SPLITS}, got {type(per_class).__name__}.")
    unknown = sorted(set(per_class) - set(SPLITS))
    if unknown:
        raise ValueError(f"per_class has unknown split(s) {unknown}; use some of {list(SPLITS)}.")
    for split, count in per_class.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"per_class[{split!r}] must be a whole number >= 0, got {count!r}.")
    return {split: per_class[split] for split in SPLITS if split in per_class}


def _write_observation(folder: Path) -> None:
    """Write the ten observation images, their masks and part masks into ``folder`` (e.g. root/food)."""
    folder = Path(folder)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    (folder / "parts").mkdir(exist_ok=True)
    for stem, _ in OBSERVATION:
        img, mask, parts = _observation(stem)
        _save(img, mask, folder / f"{stem}.jpg", folder / "masks" / f"{stem}.png")
        for name, part in parts.items():
            Image.fromarray(part.astype(np.uint8) * 255).save(folder / "parts" / f"{stem}_{name}.png")


def generate(root: Path, seed: int = 0, per_class: dict[str, int] | None = None) -> Path:
    """Write the synthetic data set under ``root`` (layout in the module docstring).

    Args:
        root: output folder (created; existing files with the same names are overwritten).
        seed: whole number >= 0; the same seed gives byte-identical files.
        per_class: images per class for some of the splits, e.g. ``{"training": 3}``; splits left out
            are not written. Default: :data:`SPLITS`.

    Returns:
        ``root``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}.")
    counts = _check_counts(per_class)
    root = Path(root).expanduser()
    split_index = {split: i for i, split in enumerate(SPLITS)}
    tasks = []
    for split, count in counts.items():
        (root / split / "masks").mkdir(parents=True, exist_ok=True)
        tasks += [
            (str(root / split), int(seed), split_index[split], label, n)
            for label in range(len(CLASS_NAMES))
            for n in range(count)
        ]
    _write_observation(root / "food")
    workers = min(2, os.cpu_count() or 1)
    bar = tqdm(total=len(tasks), desc="drawing synthetic food", unit="img", disable=len(tasks) < 100)
    if workers < 2 or len(tasks) < 100:
        for task in tasks:
            _write_one(task)
            bar.update()
    else:
        # fork where it is safe and cheap (Linux); spawn elsewhere (macOS, Windows).
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ctx.Pool(workers) as pool:
            for _ in pool.imap_unordered(_write_one, tasks, chunksize=16):
                bar.update()
    bar.close()
    return root


def ensure_embedded(root: Path | None = None) -> Path:
    """The embedded data folder, generated on first use (and again when :data:`VERSION` changes).

    Args:
        root: where the data lives; default ``helpers.paths.CACHE / "food11-synthetic"``.

    Returns:
        ``root``, holding training/, validation/, evaluation/, food/ and a VERSION file.
    """
    root = Path(paths.CACHE / "food11-synthetic" if root is None else root).expanduser()
    stamp = root / "VERSION"
    if stamp.is_file() and stamp.read_text().strip() == VERSION:
        return root
    if root.exists() and not stamp.is_file() and (not root.is_dir() or any(root.iterdir())):
        raise RuntimeError(
            f"{root} exists but is not a generated synthetic data folder (it has no VERSION file), so it "
            "is left alone. Pass another root to ensure_embedded(), or move that folder away."
        )
    total = sum(SPLITS.values()) * len(CLASS_NAMES)
    estimate = max(5, round(total * 0.025 / min(2, os.cpu_count() or 1)))
    print(
        f"Generating the embedded synthetic Food-11 data ({total} images) in {root} (takes ~{estimate} s, once).",
        flush=True,
    )
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.parent / f".{root.name}.partial-{os.getpid()}"
    old = root.parent / f".{root.name}.old-{os.getpid()}"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)  # a leftover of this very process
        generate(tmp, seed=0)
        # The VERSION file goes in before the rename, so a complete folder is never left unmarked.
        (tmp / "VERSION").write_text(VERSION + "\n")
        if root.exists():
            root.rename(old)
        try:
            tmp.rename(root)
        except OSError:
            # Another process put its copy in place first; keep it when it is current.
            if not (stamp.is_file() and stamp.read_text().strip() == VERSION):
                raise
    finally:
        for leftover in (tmp, old):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return root
