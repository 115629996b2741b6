"""Geometry of the drawing: the pixel grid, local frames, signed distances (pixels, negative inside) and
anti-aliased coverage."""

from __future__ import annotations

import math

import numpy as np

SIZE = 128


# Pixel-centre coordinates, x to the right, y down.
Y, X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + np.float32(0.5)


TAU = 2 * math.pi


def local_frame(cx: float, cy: float, angle: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates in a frame centred on (cx, cy) and turned by ``angle`` (radians)."""
    c, s = math.cos(angle), math.sin(angle)
    dx, dy = X - np.float32(cx), Y - np.float32(cy)
    return dx * c + dy * s, dy * c - dx * s


def to_image(cx: float, cy: float, angle: float, u: float, v: float) -> tuple[float, float]:
    """Inverse of :func:`local_frame` for one point."""
    c, s = math.cos(angle), math.sin(angle)
    return cx + u * c - v * s, cy + u * s + v * c


def cov(d: np.ndarray, width: float = 1.0) -> np.ndarray:
    """Anti-aliased coverage in [0, 1] of the shape ``d <= 0`` (edge ramp ``width`` pixels)."""
    return np.clip(0.5 - d / np.float32(width), 0.0, 1.0)


def sd_circle(u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    """Signed distance to a circle of radius r centred at the frame's origin."""
    return np.hypot(u, v) - np.float32(r)


def sd_ellipse(u: np.ndarray, v: np.ndarray, a: float, b: float) -> np.ndarray:
    """First-order distance to an ellipse with half-axes a (along u) and b (along v)."""
    k = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    g = np.sqrt((u / (a * a)) ** 2 + (v / (b * b)) ** 2)
    return (k - 1) * (k + 1e-4) / (g + 1e-4 / min(a, b))


def sd_egg(u: np.ndarray, v: np.ndarray, a: float, b: float) -> np.ndarray:
    """An egg outline: an ellipse whose width shrinks towards +u."""
    return sd_ellipse(u, v / (1 - 0.18 * np.clip(u / a, -1, 1)), a, b)


def sd_box(u: np.ndarray, v: np.ndarray, hw: float, hh: float, r: float = 0.0) -> np.ndarray:
    """Box with half-width hw, half-height hh and corner radius r."""
    qx = np.abs(u) - (hw - r)
    qy = np.abs(v) - (hh - r)
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - r


def sd_segment(x0: float, y0: float, x1: float, y1: float, r0: float, r1: float | None = None) -> np.ndarray:
    """Capsule from (x0, y0) to (x1, y1) whose radius goes from r0 to r1 (image coordinates)."""
    dx, dy = x1 - x0, y1 - y0
    px, py = X - np.float32(x0), Y - np.float32(y0)
    t = np.clip((px * dx + py * dy) / (dx * dx + dy * dy + 1e-9), 0, 1)
    dist = np.hypot(px - t * dx, py - t * dy)
    return dist - (r0 if r1 is None else r0 + (r1 - r0) * t)


def sd_polygon(points: list[tuple[float, float]]) -> np.ndarray:
    """Convex polygon (image coordinates, either winding): the largest signed edge distance."""
    pts = np.asarray(points, dtype=np.float64)
    x, y = pts[:, 0], pts[:, 1]
    if np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) < 0:
        pts = pts[::-1]
    d = np.full((SIZE, SIZE), -1e9, np.float32)
    for (x0, y0), (x1, y1) in zip(pts, np.roll(pts, -1, axis=0), strict=True):
        ex, ey = x1 - x0, y1 - y0
        n = math.hypot(ex, ey) + 1e-9
        d = np.maximum(d, ((X - x0) * ey - (Y - y0) * ex) / n)
    return d


def sd_blob(
    cx: float,
    cy: float,
    r: float,
    rng: np.random.Generator,
    wobble: float = 0.1,
    aspect: float = 1.0,
    angle: float = 0.0,
) -> np.ndarray:
    """A lumpy round shape: radius r modulated by a few random angular harmonics."""
    u, v = local_frame(cx, cy, angle)
    v = v / aspect
    rho = np.hypot(u, v)
    theta = np.arctan2(v, u)
    rr = np.ones_like(rho)
    for k in range(2, 7):
        rr += np.float32(wobble * rng.normal() / k) * np.cos(k * theta + rng.uniform(0, TAU))
    return rho - r * rr
