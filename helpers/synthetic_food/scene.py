"""The scene being drawn (canvas, food and part coverage, the light), the tables it is drawn on, and the
camera's finish (surface texture, fall-off, vignetting, white balance, exposure, blur, sensor noise).

A scene is drawn in the training style or the held-out style (``Scene(heldout=True)``): held-out scenes
use tables, plates (:mod:`.tableware`) and light that training scenes never use, so accuracy on them
measures how far a model generalizes beyond the generator's own look.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from helpers.synthetic_food.geometry import SIZE, TAU, X, Y, cov, local_frame
from helpers.synthetic_food.textures import (
    fbm,
    grain_noise,
    jit,
    mix,
    photo_texture,
    rgb,
    shift,
    specks,
    support,
    tint_field,
)


class Scene:
    """Canvas being drawn: colour image (S x S x 3 float in [0, 1]), food coverage and part coverages.

    Painting food adds to the food coverage (and to ``self.part`` when set); painting anything else
    on top removes coverage, so occluders cut the mask. ``heldout`` marks a held-out-style scene.
    """

    def __init__(self, rng: np.random.Generator, light_angle: float | None = None, heldout: bool = False) -> None:
        self.rng = rng
        self.heldout = heldout
        angle = rng.uniform(0, TAU) if light_angle is None else light_angle
        # Unit vector (image plane) pointing towards the light.
        self.lx, self.ly = math.cos(angle), math.sin(angle)
        self.img = np.zeros((SIZE, SIZE, 3), np.float32)
        self.food = np.zeros((SIZE, SIZE), np.float32)
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
        box = support(alpha, 0)
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
                cover = self.parts.setdefault(own, np.zeros((SIZE, SIZE), np.float32))
                cover[box] += alpha * (1 - cover[box])
        else:
            self.food[box] *= 1 - alpha

    def shadow(self, alpha: np.ndarray, dist: float = 3.0, blur: float = 2.0, strength: float = 0.35) -> None:
        """Darken the image under a soft copy of ``alpha`` moved away from the light."""
        sh = shift(alpha, -self.lx * dist, -self.ly * dist)
        box = support(sh, int(3 * blur) + 2)
        if box is not None:
            sh = ndimage.gaussian_filter(sh[box], blur, mode="nearest", truncate=3.0)
            self.img[box] *= (1 - strength * sh)[..., None]

    def lit(self, alpha: np.ndarray, sigma: float, strength: float) -> np.ndarray:
        """Shading multiplier of a soft bump shaped like ``alpha``: brighter on the side facing the light."""
        out = np.ones((SIZE, SIZE), np.float32)
        box = support(alpha, int(3 * sigma) + 3)
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
        h = np.exp(-((X - x) ** 2 + (Y - y) ** 2) / np.float32(2 * r * r)) * alpha * np.float32(strength)
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
        a = cov(d)
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
class Vessel:
    """Where the food goes: centre, usable radius, and the vessel's ellipse shape."""

    cx: float
    cy: float
    r: float
    aspect: float
    angle: float
    kind: str


_WOODS = [(0.72, 0.55, 0.36), (0.45, 0.3, 0.19), (0.6, 0.58, 0.54), (0.6, 0.37, 0.22), (0.82, 0.7, 0.52)]


_CLOTHS = [(0.72, 0.12, 0.12), (0.16, 0.3, 0.62), (0.2, 0.48, 0.26), (0.15, 0.15, 0.16), (0.85, 0.68, 0.2)]


def bg_wood(rng: np.random.Generator) -> np.ndarray:
    """A wooden table: planks with tone, warped grain and seams (S x S x 3)."""
    u, v = local_frame(rng.uniform(0, SIZE), rng.uniform(0, SIZE), rng.uniform(0, math.pi))
    plank = rng.uniform(16, 42)
    idx = np.floor(v / plank).astype(np.int64)
    tone = rng.normal(0, 0.07, 64).astype(np.float32)[idx % 64]
    warp = fbm(rng, 3) * np.float32(rng.uniform(4, 10))
    freq = rng.uniform(0.5, 1.2)
    grain = np.sin((v + warp) * freq + idx * 1.7) + 0.5 * np.sin((v + 0.5 * warp) * freq * 3.1)
    seam = np.clip(1 - np.abs(v / plank - np.round(v / plank)) * plank / 0.9, 0, 1)
    tex = 1 + tone + 0.05 * grain + 0.05 * fbm(rng, 8) + 0.02 * grain_noise(rng)
    base = jit(rng, _WOODS[rng.integers(len(_WOODS))], 0.05)
    return tint_field(base, tex * (1 - 0.5 * seam))


def bg_cloth(rng: np.random.Generator) -> np.ndarray:
    """A tablecloth: gingham or checkerboard with weave and folds (S x S x 3)."""
    u, v = local_frame(64, 64, rng.uniform(0, math.pi))
    p = rng.uniform(7, 18)
    a = np.clip(0.5 + 2.5 * np.sin(TAU * u / p), 0, 1)
    b = np.clip(0.5 + 2.5 * np.sin(TAU * v / p + rng.uniform(0, TAU)), 0, 1)
    light = jit(rng, (0.93, 0.91, 0.87), 0.02)
    dark = jit(rng, _CLOTHS[rng.integers(len(_CLOTHS))], 0.06)
    if rng.random() < 0.6:  # gingham: stripes that overlap to a darker square
        img = mix(mix(light, (light + dark) / 2, np.clip(a + b, 0, 1)), dark, a * b)
    else:  # plain checkerboard
        img = mix(light, dark, a * b + (1 - a) * (1 - b))
    weave = 1 + 0.04 * np.sin(X * 2.3) * np.sin(Y * 2.3) + 0.03 * grain_noise(rng)
    folds = 1 + 0.07 * fbm(rng, 3)
    return img * (weave * folds)[..., None]


def bg_marble(rng: np.random.Generator) -> np.ndarray:
    """A marble top, light or dark, with veins (S x S x 3)."""
    u, _ = local_frame(64, 64, rng.uniform(0, math.pi))
    t = u * np.float32(rng.uniform(0.03, 0.08)) + 4 * fbm(rng, 3) + 1.5 * fbm(rng, 7)
    vein = (1 - np.abs(np.sin(t))) ** rng.uniform(8, 16)
    fine = (1 - np.abs(np.sin(t * 3.7 + 2 * fbm(rng, 5)))) ** 20
    cloud = 0.04 * fbm(rng, 5)
    if rng.random() < 0.7:
        base = jit(rng, (0.9, 0.9, 0.88), 0.03)
        return tint_field(base, 1 + cloud - 0.35 * vein - 0.15 * fine)
    base = jit(rng, (0.17, 0.17, 0.19), 0.1)
    return mix(tint_field(base, 1 + 2 * cloud), rgb((0.85, 0.85, 0.82)), 0.6 * vein + 0.3 * fine)


def bg_plain(rng: np.random.Generator) -> np.ndarray:
    """A plain surface, sometimes speckled like stone or concrete (S x S x 3)."""
    level = rng.uniform(0.2, 0.9)
    base = np.clip(level + rng.normal(0, 0.07, 3), 0.05, 1)
    tex = 1 + 0.06 * fbm(rng, 3) + 0.02 * np.sin(X * 2.7) * np.sin(Y * 2.7) + 0.025 * grain_noise(rng)
    if rng.random() < 0.3:  # speckled stone / concrete
        tex = tex + 0.06 * fbm(rng, 24, 2) + 0.05 * grain_noise(rng, 0.5)
    return tint_field(base, tex)


def bg_tiles(rng: np.random.Generator) -> np.ndarray:
    """Held-out style: glazed square tiles with grout lines, each tile its own shade (S x S x 3)."""
    u, v = local_frame(rng.uniform(0, SIZE), rng.uniform(0, SIZE), rng.uniform(0, math.pi / 2))
    p = rng.uniform(18, 34)
    iu, iv = np.floor(u / p).astype(np.int64), np.floor(v / p).astype(np.int64)
    shade = rng.normal(0, 0.05, 256).astype(np.float32)[(iu * 16 + iv) % 256]
    fu, fv = u / p - np.floor(u / p), v / p - np.floor(v / p)
    grout = np.clip(1 - np.minimum(np.minimum(fu, 1 - fu), np.minimum(fv, 1 - fv)) * p / 1.2, 0, 1)
    base = jit(rng, _TILES[rng.integers(len(_TILES))], 0.05)
    glaze = 1 + shade + 0.03 * fbm(rng, 6) + 0.015 * grain_noise(rng)
    return mix(tint_field(base, glaze), rgb((0.55, 0.53, 0.5)), grout)


def bg_slate(rng: np.random.Generator) -> np.ndarray:
    """Held-out style: a dark slate board with layered streaks and chalky scratches (S x S x 3)."""
    u, v = local_frame(64, 64, rng.uniform(0, math.pi))
    layers = np.sin(v * np.float32(rng.uniform(0.15, 0.3)) + 3 * fbm(rng, 3)) * 0.04
    scratch = (1 - np.abs(np.sin(u * 0.9 + 6 * fbm(rng, 4)))) ** 30
    base = jit(rng, (0.2, 0.22, 0.25), 0.08)
    tex = 1 + layers + 0.06 * fbm(rng, 16, 2) + 0.04 * grain_noise(rng, 0.5)
    return mix(tint_field(base, tex), rgb((0.6, 0.62, 0.64)), 0.3 * scratch)


_TILES = [(0.2, 0.45, 0.55), (0.85, 0.83, 0.75), (0.55, 0.2, 0.18), (0.3, 0.5, 0.3)]


def background(rng: np.random.Generator, heldout: bool = False) -> np.ndarray:
    """A table drawn at random (S x S x 3): wood, cloth, marble or plain in training style; tiles or
    slate in the held-out style."""
    if heldout:
        return (bg_tiles, bg_slate)[rng.integers(2)](rng)
    kind = rng.choice(4, p=[0.35, 0.25, 0.2, 0.2])
    return (bg_wood, bg_cloth, bg_marble, bg_plain)[kind](rng)


def _surface(sc: Scene, rng: np.random.Generator, food: float, other: float, gloss: float) -> np.ndarray:
    """The canvas with photographic surface texture: strength ``food`` on the food and ``other`` elsewhere,
    plus small specular glints (``gloss``) on the food's light-facing slopes (S x S x 3)."""
    plain = photo_texture(rng, other)
    tex = plain + (photo_texture(rng, food) - plain) * sc.food
    img = sc.img * tex[..., None]
    facing = np.clip(sc.lit(sc.food, 2.0, 1.0) - 0.9, 0, 1)
    glints = specks(rng, 56, 0.04) * sc.food * facing * np.float32(gloss)
    return img + np.minimum(glints, 1)[..., None] * (1 - img)


def finish(sc: Scene, rng: np.random.Generator, fixed: bool = False) -> np.ndarray:
    """Camera and light: surface texture, directional fall-off, vignetting, white balance, exposure, blur,
    sensor noise at two scales.

    ``fixed`` uses one mild, neutral setting (the observation images) instead of random ones. Held-out
    scenes get light never used in training: a strong warm or cool cast and a hard fall-off.
    """
    if fixed:
        grad, vignette, temp, tint, exposure, gamma, sat, blur, sigma = 0.12, 0.2, 0, 0, 1, 1, 1, 0, 0.006
        food, other, gloss = 0.16, 0.06, 0.5
    else:
        grad, vignette = rng.uniform(0.0, 0.3), rng.uniform(0.0, 0.4)
        temp, tint = rng.uniform(-0.07, 0.07), rng.uniform(-0.03, 0.03)
        exposure, gamma, sat = rng.uniform(0.85, 1.12), rng.uniform(0.88, 1.12), rng.uniform(0.85, 1.15)
        blur = rng.uniform(0.3, 0.8) if rng.random() < 0.25 else 0
        sigma = rng.uniform(0.004, 0.016)
        food, other, gloss = rng.uniform(0.1, 0.25), rng.uniform(0.03, 0.1), rng.uniform(0.2, 0.8)
        if sc.heldout:
            temp, grad = rng.choice((-1, 1)) * rng.uniform(0.1, 0.15), rng.uniform(0.4, 0.55)
    img = _surface(sc, rng, food, other, gloss)
    proj = ((X - 64) * sc.lx + (Y - 64) * sc.ly) / 64
    r2 = ((X - 64) ** 2 + (Y - 64) ** 2) / (2 * 64.0**2)
    light = (1 + grad * proj) * (1 - vignette * r2)
    img = img * (light[..., None] * rgb((1 + temp, 1 + tint, 1 - temp)) * np.float32(exposure))
    grey = img.mean(axis=2, keepdims=True)
    img = np.clip(grey + (img - grey) * np.float32(sat), 0, 1) ** np.float32(gamma)
    if blur:
        img = ndimage.gaussian_filter(img, (blur, blur, 0))
    chroma = np.stack([fbm(rng, 16, 1) for _ in range(3)], axis=-1)  # low-frequency colour noise
    img = img + np.float32(sigma) * (rng.standard_normal((SIZE, SIZE, 3), dtype=np.float32) + 0.5 * chroma)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
