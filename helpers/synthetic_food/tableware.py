"""Everything on the table that is not food, all independent of the class: plates, bowls, cutlery,
napkins, cups, crumbs and occluders."""

from __future__ import annotations

import math

import numpy as np

from helpers.synthetic_food.geometry import (
    SIZE,
    TAU,
    X,
    Y,
    cov,
    local_frame,
    sd_box,
    sd_circle,
    sd_ellipse,
    sd_segment,
)
from helpers.synthetic_food.scene import Scene, Vessel
from helpers.synthetic_food.textures import fbm, grain_noise, jit, scatter

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


#: Held-out style plates and bowls: glazes no training scene uses.
_HELDOUT_CERAMICS = [(0.15, 0.25, 0.6), (0.82, 0.62, 0.18), (0.12, 0.45, 0.45), (0.55, 0.2, 0.35)]


_ACCENTS = [(0.2, 0.32, 0.65), (0.75, 0.6, 0.25), (0.2, 0.45, 0.3), (0.7, 0.2, 0.15)]


def _edge_point(rng: np.random.Generator, r0: float = 44, r1: float = 72) -> tuple[float, float]:
    """A random point away from the image centre (where clutter usually sits)."""
    a = rng.uniform(0, TAU)
    r = rng.uniform(r0, r1)
    return 64 + r * math.cos(a), 64 + r * math.sin(a)


def _cutlery(sc: Scene, x: float, y: float, angle: float, length: float) -> None:
    """A fork, knife or spoon centred at (x, y) along ``angle``."""
    rng = sc.rng
    c, s = math.cos(angle), math.sin(angle)
    metal = jit(rng, (0.72, 0.73, 0.75), 0.05)
    handle_col = metal if rng.random() < 0.7 else jit(rng, [(0.1, 0.1, 0.1), (0.45, 0.28, 0.15)][rng.integers(2)])
    hx0, hy0 = x - c * length / 2, y - s * length / 2
    hx1, hy1 = x + c * length * 0.1, y + s * length * 0.1
    d_handle = sd_segment(hx0, hy0, hx1, hy1, 2.6, 1.7)
    kind = rng.integers(3)
    tip = (x + c * length / 2, y + s * length / 2)
    if kind == 0:  # knife: a long tapering blade
        d_head = sd_segment(hx1, hy1, *tip, 2.8, 1.2)
    elif kind == 1:  # spoon: an oval bowl
        u, v = local_frame(x + c * length * 0.36, y + s * length * 0.36, angle)
        d_head = np.minimum(
            sd_ellipse(u, v, length * 0.16, length * 0.1),
            sd_segment(hx1, hy1, x + c * length * 0.22, y + s * length * 0.22, 1.7),
        )
    else:  # fork: neck plus four tines
        nx, ny = x + c * length * 0.28, y + s * length * 0.28
        d_head = sd_segment(hx1, hy1, nx, ny, 1.8, 3.6)
        for k in (-1.5, -0.5, 0.5, 1.5):
            ox, oy = -s * k * 2.0, c * k * 2.0
            d_head = np.minimum(d_head, sd_segment(nx + ox, ny + oy, tip[0] + ox, tip[1] + oy, 0.75))
    a_head = cov(d_head)
    a_all = np.maximum(cov(d_handle), a_head)
    sc.shadow(a_all, 2.5, 1.2, 0.4)
    shade = sc.lit(a_all, 1.2, 0.5)
    sc.paint(a_head, metal, shade=shade)
    sc.paint(cov(d_handle), handle_col, shade=shade)
    sc.glint(a_all, 1.0, 1.2)


def _napkin(sc: Scene, x: float, y: float) -> None:
    rng = sc.rng
    angle = rng.uniform(0, math.pi)
    u, v = local_frame(x, y, angle)
    w, h = rng.uniform(18, 34), rng.uniform(14, 28)
    d = sd_box(u, v, w, h, 1.5)
    a = cov(d)
    sc.shadow(a, 2, 1.5, 0.25)
    col = jit(
        rng,
        [(0.95, 0.95, 0.93), (0.85, 0.78, 0.65), (0.7, 0.2, 0.2), (0.3, 0.4, 0.6), (0.55, 0.6, 0.45)][rng.integers(5)],
        0.04,
    )
    fold = 1 - 0.08 * np.clip(1 - np.abs(u - rng.uniform(-w, w) * 0.5) / 1.5, 0, 1)
    tex = (1 + 0.03 * grain_noise(rng) + 0.04 * fbm(rng, 4)) * fold
    if rng.random() < 0.3:
        stripe = np.clip(0.5 + 3 * np.sin(TAU * u / 6), 0, 1) * 0.12
        tex = tex * (1 - stripe)
    sc.paint(a, col, shade=tex * sc.lit(a, 2.0, 0.2))


def _cup(sc: Scene, x: float, y: float) -> None:
    rng = sc.rng
    r = rng.uniform(11, 17)
    u, v = local_frame(x, y)
    a = cov(sd_circle(u, v, r))
    ha = rng.uniform(0, TAU)
    d_handle = np.abs(sd_circle(X - (x + math.cos(ha) * r * 1.15), Y - (y + math.sin(ha) * r * 1.15), r * 0.35)) - 1.4
    a_handle = cov(d_handle) * (1 - a)
    sc.shadow(np.maximum(a, a_handle), 3, 2, 0.4)
    col = jit(rng, _CERAMICS[rng.integers(len(_CERAMICS))], 0.03)
    sc.paint(a_handle, col, shade=sc.lit(a_handle, 1, 0.4))
    sc.paint(a, col, shade=sc.lit(a, 2, 0.3))
    inner = cov(sd_circle(u, v, r - 2.2))
    drink = jit(
        rng,
        [(0.3, 0.17, 0.08), (0.55, 0.32, 0.12), (0.12, 0.07, 0.04), (0.75, 0.62, 0.45), (0.8, 0.85, 0.88)][
            rng.integers(5)
        ],
        0.05,
    )
    sc.paint(inner, drink, shade=1 + 0.05 * fbm(rng, 6))
    sc.spot(inner, x + sc.lx * r * 0.4, y + sc.ly * r * 0.4, r * 0.25, 0.35)


def _crumbs(sc: Scene, n: int) -> None:
    rng = sc.rng
    xs, ys = rng.uniform(0, SIZE, n), rng.uniform(0, SIZE, n)
    a = scatter(xs, ys, rng.uniform(0.6, 1.3), rng.uniform(0.5, 1.0), rng)
    col = jit(rng, [(0.75, 0.55, 0.3), (0.35, 0.22, 0.12), (0.92, 0.9, 0.85)][rng.integers(3)], 0.08)
    sc.paint(a, col)


def draw_clutter(sc: Scene) -> None:
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


def _glaze(sc: Scene) -> np.ndarray:
    """A plate or bowl colour: from the held-out palette in held-out-style scenes."""
    palette = _HELDOUT_CERAMICS if sc.heldout else _CERAMICS
    return jit(sc.rng, palette[sc.rng.integers(len(palette))], 0.03)


def draw_vessel(sc: Scene, place: tuple[float, float, float] | None = None) -> Vessel:
    """A plate or a bowl near the centre, seen from a random distance and angle; returns where the food goes.

    Held-out-style scenes (``sc.heldout``) take their glaze from a palette training scenes never use.
    ``place`` = (x, y, zoom) puts it elsewhere (the difficult split); the random draws stay the same, so
    the other splits' scenes do not change.
    """
    rng = sc.rng
    bowl = rng.random() < 0.4
    zoom = rng.uniform(0.72, 1.12)  # camera distance
    cx, cy = 64 + rng.normal(0, 7), 64 + rng.normal(0, 7)
    if place is not None:
        cx, cy, zoom = place
    aspect, angle = rng.uniform(0.74, 1.0), rng.uniform(0, math.pi)  # camera tilt, turn
    col = _glaze(sc)
    if bowl:
        R = rng.uniform(44, 60) * zoom
        return draw_bowl(sc, cx, cy, R, aspect, angle, col, rim=rng.uniform(0.08, 0.13))
    return draw_plate(sc, cx, cy, rng.uniform(50, 68) * zoom, aspect, angle, col)


def draw_plate(sc: Scene, cx: float, cy: float, R: float, aspect: float, angle: float, col: np.ndarray) -> Vessel:
    """A plate (ellipse of radius R) with a shadow, a well and a lit rim; returns where the food goes."""
    rng = sc.rng
    u, v = local_frame(cx, cy, angle)
    d = sd_ellipse(u, v, R, R * aspect)
    a = cov(d)
    sc.shadow(a, 4, 3.5, 0.45)
    well = cov(sd_ellipse(u, v, R * 0.7, R * 0.7 * aspect), 4)
    shade = sc.lit(a, 2.0, 0.25) * sc.lit(well, 2.5, -0.25) * (1 + 0.015 * fbm(rng, 6))
    shade = shade * (1 - 0.25 * np.exp(-(((d + 0.5) / 0.8) ** 2))) * (1 - 0.03 * well)
    sc.paint(a, col, shade=shade)
    if rng.random() < 0.3:  # decorated rim line
        ring = cov(np.abs(sd_ellipse(u, v, R * 0.88, R * 0.88 * aspect)) - rng.uniform(0.5, 1.5))
        sc.paint(ring * 0.85, jit(rng, _ACCENTS[rng.integers(len(_ACCENTS))], 0.05))
    theta = np.arctan2(Y - cy, X - cx)
    facing = np.clip(np.cos(theta - math.atan2(sc.ly, sc.lx)), 0, 1) ** 2
    sc.img += (0.45 * facing * np.exp(-(((d + 2.2) / 1.0) ** 2)) * a)[..., None] * (1 - sc.img)
    return Vessel(cx, cy, R * 0.72, aspect, angle, "plate")


def draw_bowl(
    sc: Scene, cx: float, cy: float, R: float, aspect: float, angle: float, col: np.ndarray, rim: float = 0.1
) -> Vessel:
    """A bowl (ellipse of radius R, rim fraction ``rim``) with lit walls; returns where the food goes."""
    rng = sc.rng
    u, v = local_frame(cx, cy, angle)
    d = sd_ellipse(u, v, R, R * aspect)
    a = cov(d)
    sc.shadow(a, 5, 4, 0.5)
    sc.paint(a, col, shade=sc.lit(a, 2.0, 0.35) * (1 - 0.3 * np.exp(-(((d + 0.5) / 0.8) ** 2))))
    ri = R * (1 - rim)
    d_in = sd_ellipse(u, v, ri, ri * aspect)
    a_in = cov(d_in)
    inner_col = col if rng.random() < 0.7 else _glaze(sc)
    rho = np.hypot(X - cx, Y - cy) + 1e-3
    toward = ((X - cx) * sc.lx + (Y - cy) * sc.ly) / rho
    # The inner wall on the light's side faces away from it; the bottom is flat and evenly lit.
    wall = 0.86 - 0.22 * toward * np.clip(rho / ri, 0, 1)
    sc.paint(a_in, inner_col, shade=wall * (1 + 0.015 * fbm(rng, 6)))
    rim_line = np.exp(-(((d_in - 0.5) / 0.9) ** 2))
    sc.img *= (1 - 0.25 * rim_line)[..., None]
    theta = np.arctan2(Y - cy, X - cx)
    facing = np.clip(np.cos(theta - math.atan2(sc.ly, sc.lx)), 0, 1) ** 2
    top = np.exp(-(((d + R * rim / 2) / (R * rim / 3)) ** 2)) * a
    sc.img += (0.35 * facing * top)[..., None] * (1 - sc.img)
    return Vessel(cx, cy, ri * 0.92, aspect, angle, "bowl")


def draw_occluder(sc: Scene, cx: float, cy: float, s: float) -> None:
    """Something lying across part of the food: a piece of cutlery or a napkin's corner."""
    rng = sc.rng
    a = rng.uniform(0, TAU)
    if rng.random() < 0.6:
        x, y = cx + math.cos(a) * s * 0.8, cy + math.sin(a) * s * 0.8
        _cutlery(sc, x, y, a + math.pi / 2 + rng.normal(0, 0.4), rng.uniform(60, 90))
    else:
        _napkin(sc, cx + math.cos(a) * s * 1.3, cy + math.sin(a) * s * 1.3)
