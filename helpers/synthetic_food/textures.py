"""Textures and colours: value and fractal noise, grain, pores, stamped sprites, colour fields."""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import ndimage

from helpers.synthetic_food.geometry import SIZE


def value_noise(rng: np.random.Generator, cells: int) -> np.ndarray:
    """Smooth value noise in [0, 1] with ``cells`` random values across the image."""
    cells = max(1, int(cells))
    g = rng.random((cells + 1, cells + 1), dtype=np.float32)
    t = (np.arange(SIZE, dtype=np.float32) + 0.5) * (cells / SIZE)
    i = np.minimum(t.astype(np.int64), cells - 1)
    f = t - i
    f = f * f * (3 - 2 * f)
    rows = g[i] * (1 - f)[:, None] + g[i + 1] * f[:, None]
    return rows[:, i] * (1 - f) + rows[:, i + 1] * f


def fbm(rng: np.random.Generator, cells: int, octaves: int = 3) -> np.ndarray:
    """Fractal noise, roughly in [-1, 1]: octaves of value noise, each twice as fine and half as strong."""
    total = np.zeros((SIZE, SIZE), np.float32)
    amp, norm = 1.0, 0.0
    for _ in range(octaves):
        total += np.float32(amp) * (value_noise(rng, cells) - 0.5)
        norm += amp
        amp *= 0.5
        cells = min(cells * 2, SIZE)
    return total * np.float32(3.0 / norm)


def grain_noise(rng: np.random.Generator, sigma: float = 0.7) -> np.ndarray:
    """Fine grain of unit-ish amplitude."""
    g = ndimage.gaussian_filter(rng.standard_normal((SIZE, SIZE), dtype=np.float32), sigma, truncate=2.5)
    return g * np.float32(1.0 / (0.28 / sigma + 1e-3))


def support(a: np.ndarray, pad: int) -> tuple[slice, slice] | None:
    """Bounding box of the non-zero part of ``a`` grown by ``pad`` pixels (None when all zero)."""
    rows = np.flatnonzero(a.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(a.any(axis=0))
    return (
        slice(max(rows[0] - pad, 0), min(rows[-1] + pad + 1, SIZE)),
        slice(max(cols[0] - pad, 0), min(cols[-1] + pad + 1, SIZE)),
    )


def pore_noise(rng: np.random.Generator, cells: int = 24, amount: float = 0.62) -> np.ndarray:
    """Small dark holes in [0, 1] (bread crumb, sponge cake)."""
    return np.clip((value_noise(rng, cells) - amount) * 5, 0, 1)


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
    ok = (px >= 0) & (px < SIZE) & (py >= 0) & (py < SIZE)
    out = np.bincount((py * SIZE + px)[ok], weights=w[ok], minlength=SIZE * SIZE)
    return out.reshape(SIZE, SIZE).astype(np.float32)


def scatter(
    xs: np.ndarray, ys: np.ndarray, rx: float, ry: float, rng: np.random.Generator, dome: bool = False
) -> np.ndarray:
    """Union of many small ellipses at random orientations; coverage (or dome height) in [0, 1]."""
    steps = rng.integers(0, 8, len(xs))
    out = np.zeros((SIZE, SIZE), np.float32)
    for step in np.unique(steps):
        sel = steps == step
        out += _stamp(xs[sel], ys[sel], _sprite(rx, ry, int(step), dome=dome))
    return np.clip(out, 0, 1)


def inside_points(rng: np.random.Generator, region: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n random positions (x, y) inside a coverage region (pixel centres plus jitter)."""
    ys, xs = np.nonzero(region > 0.5)
    if len(xs) == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    pick = rng.integers(0, len(xs), n)
    return xs[pick] + rng.random(n) * 0.999, ys[pick] + rng.random(n) * 0.999


def rgb(color: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    """A colour as a float32 array of 3."""
    return np.asarray(color, dtype=np.float32)


def jit(rng: np.random.Generator, color: tuple[float, float, float], spread: float = 0.05) -> np.ndarray:
    """A colour near ``color``: small per-channel and brightness changes."""
    c = rgb(color) * (1 + rng.normal(0, spread, 3)) * (1 + rng.normal(0, spread))
    return np.clip(c, 0, 1).astype(np.float32)


def tint_field(color: np.ndarray | tuple[float, float, float], t: np.ndarray) -> np.ndarray:
    """Colour field: ``color`` times a scalar field (S x S) -> S x S x 3."""
    return rgb(color)[None, None, :] * t[..., None]


def mix(c0: np.ndarray, c1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per-pixel blend of two colours (or colour fields) by the field t in [0, 1]."""
    t = t[..., None]
    return c0 * (1 - t) + c1 * t


def shift(a: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Move an S x S field by whole pixels, filling with zeros."""
    dx, dy = int(round(dx)), int(round(dy))
    out = np.zeros_like(a)
    out[max(dy, 0) : SIZE + min(dy, 0), max(dx, 0) : SIZE + min(dx, 0)] = a[
        max(-dy, 0) : SIZE + min(-dy, 0), max(-dx, 0) : SIZE + min(-dx, 0)
    ]
    return out


def specks(rng: np.random.Generator, cells: int, share: float) -> np.ndarray:
    """Sparse soft dots in [0, 1] covering about ``share`` of the image (crumbs, pits, glints)."""
    n = value_noise(rng, cells)
    cut = np.quantile(n, 1 - share)
    return np.clip((n - cut) / max(1e-3, 1 - cut) * 3, 0, 1)


def photo_texture(rng: np.random.Generator, strength: float) -> np.ndarray:
    """Multiplicative surface texture around 1 (S x S): what a photographed surface has and a clean
    drawing lacks, at several scales: broad blotches, mottling, pixel grain and dark pits.

    Hiding a patch of such a surface with its mean colour removes information, as it does on a photo.
    """
    blotch = fbm(rng, 5, 2)
    mottle = fbm(rng, 20, 2)
    grain = grain_noise(rng, 0.6)
    pits = specks(rng, 48, 0.05)
    tex = 1 + np.float32(strength) * (0.25 * blotch + 0.45 * mottle + 0.3 * grain - 1.6 * pits)
    return np.clip(tex, 0.3, 1.7)
