"""Dairy products (milk glass, jug, cheese) and eggs (fried, halved, in the shell)."""

from __future__ import annotations

import math

import numpy as np

from helpers.synthetic_food import geometry as geo
from helpers.synthetic_food import textures as texture
from helpers.synthetic_food.foods.baked import draw_iso_cube
from helpers.synthetic_food.scene import Scene, Vessel


def _milk_glass(sc: Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    top, bot = cy - 0.85 * s, cy + 0.75 * s
    wt, wb = 0.45 * s, 0.36 * s
    glass = geo.sd_polygon([(cx - wt, top), (cx + wt, top), (cx + wb, bot), (cx - wb, bot)])
    glass = np.minimum(glass, geo.sd_ellipse(geo.X - cx, geo.Y - bot, wb, 0.2 * wb))
    a_glass = geo.cov(glass)
    sc.shadow(a_glass, 4, 3, 0.4)
    level = top + rng.uniform(0.1, 0.3) * (bot - top)
    wl = wt + (wb - wt) * (level - top) / (bot - top) - 1.5
    milk = np.maximum(
        geo.sd_polygon([(cx - wl, level), (cx + wl, level), (cx + wb - 1.5, bot), (cx - wb + 1.5, bot)]),
        glass + 1.5,
    )
    milk = np.minimum(milk, geo.sd_ellipse(geo.X - cx, geo.Y - level, wl, 0.18 * wl))
    sc.paint(a_glass * 0.25, (0.92, 0.94, 0.96))
    sc.img *= (1 - 0.3 * np.exp(-(((glass + 0.7) / 0.7) ** 2)))[..., None]
    rel = (geo.X - cx) / wt
    body = 0.8 + 0.2 * np.sqrt(np.clip(1 - rel**2, 0, 1)) - 0.06 * rel * sc.lx
    col = texture.jit(rng, (0.97, 0.96, 0.93), 0.015)
    sc.paint(geo.cov(milk), col, food=True, shade=body)
    surf = geo.cov(geo.sd_ellipse(geo.X - cx, geo.Y - level, wl - 0.5, 0.18 * wl - 0.5))
    sc.paint(surf, col, food=True, shade=1.03 * np.ones_like(body))
    hx = cx - 0.5 * wt * (1 if sc.lx < 0 else -1)
    sc.img += (0.3 * np.exp(-(((geo.X - hx) / 1.5) ** 2)) * a_glass)[..., None] * (1 - sc.img)


def draw_jug(sc: Scene, cx: float, cy: float, s: float, right: bool, parts: bool = False) -> None:
    """A milk jug (side view): round belly, neck, spout, handle on the right or left."""
    rng = sc.rng
    m = 1.0 if right else -1.0
    u, v = geo.X - cx, geo.Y - cy
    mu = u * m
    belly = geo.sd_ellipse(u, v - 0.25 * s, 0.55 * s, 0.55 * s)
    neck = geo.sd_box(u, v + 0.28 * s, 0.36 * s, 0.45 * s, 0.05 * s)
    lip = geo.sd_ellipse(u, v + 0.72 * s, 0.42 * s, 0.1 * s)
    spout = geo.sd_polygon(
        [
            (cx - m * 0.3 * s, cy - 0.82 * s),
            (cx - m * 0.68 * s, cy - 0.9 * s),
            (cx - m * 0.34 * s, cy - 0.5 * s),
        ]
    )
    body = np.minimum(np.minimum(belly, neck), np.minimum(lip, spout))
    ring = np.abs(geo.sd_ellipse(mu - 0.5 * s, v + 0.12 * s, 0.3 * s, 0.4 * s)) - 0.075 * s
    handle = np.maximum(ring, 0.3 * s - mu)
    a_body, a_handle = geo.cov(body), geo.cov(handle)
    sc.shadow(np.maximum(a_body, a_handle), 4, 3, 0.45)
    col = texture.jit(rng, [(0.95, 0.94, 0.9), (0.93, 0.89, 0.8), (0.88, 0.9, 0.93)][rng.integers(3)], 0.015)
    sc.part = "handle" if parts else None
    sc.paint(a_handle, col, food=True, shade=sc.lit(a_handle, 1.5, 0.5) * 0.92)
    sc.part = "body" if parts else None
    rel = np.clip(u / (0.55 * s), -1, 1)
    shade = (0.78 + 0.2 * np.sqrt(1 - rel**2) - 0.1 * rel * sc.lx) * (1 - 0.3 * np.exp(np.minimum(body, 0) / 1.2))
    shade = shade * (1 + 0.01 * texture.grain_noise(rng))
    sc.paint(a_body, col, food=True, shade=shade)
    inside = geo.cov(geo.sd_ellipse(u, v + 0.72 * s, 0.36 * s, 0.07 * s))
    sc.paint(
        inside,
        texture.rgb((0.98, 0.97, 0.95)),
        food=True,
        shade=0.9 + 0.1 * np.clip((v + 0.72 * s) / (0.07 * s), -1, 1),
    )
    hx = cx - 0.3 * s * (1 if sc.lx < 0 else -1)
    sc.img += (0.35 * np.exp(-(((geo.X - hx) / (0.06 * s)) ** 2)) * a_body * np.clip((v + 0.5 * s) / s, 0, 1))[
        ..., None
    ] * (1 - sc.img)
    sc.part = None


def _cheese_wedge(sc: Scene, cx: float, cy: float, s: float, ang: float) -> None:
    rng = sc.rng
    h = 0.45 * s

    def p(x: float, y: float) -> tuple[float, float]:
        return geo.to_image(cx, cy, ang, x * s, y * s)

    T, B1, B2 = (-0.85, -0.1), (0.55, -0.6), (0.7, 0.05)
    top = geo.sd_polygon([p(*T), p(*B1), p(*B2)])
    Tb, B2b = p(*T), p(*B2)
    front = geo.sd_polygon([Tb, B2b, (B2b[0], B2b[1] + h), (Tb[0], Tb[1] + h)])
    B1b = p(*B1)
    back = geo.sd_polygon([B2b, B1b, (B1b[0], B1b[1] + h), (B2b[0], B2b[1] + h)])
    cover = np.maximum(np.maximum(geo.cov(top), geo.cov(front)), geo.cov(back))
    sc.shadow(cover, 3, 2.5, 0.45)
    yellow = texture.jit(rng, (0.98, 0.84, 0.4), 0.05)
    rind = texture.jit(rng, [(0.85, 0.6, 0.2), (0.72, 0.12, 0.1)][int(rng.random() < 0.25)], 0.05)
    sc.paint(geo.cov(back), rind, food=True, shade=0.8 * (1 + 0.05 * texture.grain_noise(rng)))
    for d, bright in ((front, 0.85), (top, 1.05)):
        a = geo.cov(d)
        sc.paint(
            a,
            yellow,
            food=True,
            shade=bright * (1 + 0.04 * texture.fbm(rng, 10)) * (1 - 0.2 * np.exp(np.minimum(d, 0))),
        )
        for _ in range(int(rng.integers(2, 6))):
            hx, hy = texture.inside_points(rng, geo.cov(d + 2), 1)
            if len(hx):
                hr = rng.uniform(1.5, 0.12 * s + 1.6)
                hole = geo.sd_ellipse(geo.X - hx[0], geo.Y - hy[0], hr, hr * 0.75)
                sc.paint(
                    geo.cov(hole) * a,
                    yellow,
                    food=True,
                    shade=bright * (0.7 + 0.25 * np.clip((geo.Y - hy[0]) / hr, 0, 1)),
                )


def draw_dairy(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Dairy product (class 1): a glass of milk, a jug, a cheese wedge, cheese cubes or slices."""
    rng = sc.rng
    kind = rng.choice(5, p=[0.2, 0.2, 0.25, 0.2, 0.15])
    if kind == 0:
        _milk_glass(sc, cx, cy, s * 0.9)
    elif kind == 1:
        draw_jug(sc, cx - 0.1 * s, cy, s * 0.85, rng.random() < 0.5)
    elif kind == 2:
        _cheese_wedge(sc, cx, cy, s * 0.9, rng.normal(0, 0.4) + (math.pi if rng.random() < 0.3 else 0))
    elif kind == 3:  # cheese cubes
        n = int(rng.integers(3, 6))
        col = texture.jit(rng, [(0.99, 0.82, 0.28), (0.97, 0.6, 0.12)][rng.integers(2)], 0.04)
        for i in range(n):
            a = geo.TAU * i / n + rng.uniform(0, 1)
            r = s * 0.45 * math.sqrt(rng.random() + 0.2)
            draw_iso_cube(
                sc,
                cx + math.cos(a) * r,
                cy + math.sin(a) * r,
                s * rng.uniform(0.35, 0.45),
                rng.uniform(0.2, 1.35),
                col,
                tex=0.03 * texture.grain_noise(rng),
                holes=int(rng.integers(0, 2)),
            )
    else:  # cheese slices, fanned
        col = texture.jit(rng, [(0.99, 0.84, 0.32), (0.97, 0.64, 0.16)][rng.integers(2)], 0.04)
        n = int(rng.integers(2, 5))
        base = rng.uniform(0, geo.TAU)
        for i in range(n):
            a = base + i * 0.35
            x, y = cx + math.cos(a) * s * 0.25, cy + math.sin(a) * s * 0.25
            u, v = geo.local_frame(x, y, a)
            d = geo.sd_box(u, v, s * 0.5, s * 0.5, 1.5)
            sl = sc.solid(d, col, 0.03 * texture.grain_noise(rng), relief=(1.5, 0.2), shadow=(2, 1.2, 0.35), edge=0.15)
            for _ in range(int(rng.integers(1, 5))):
                hx, hy = texture.inside_points(rng, geo.cov(d + 3), 1)
                if len(hx):
                    hr = rng.uniform(1.5, 3.5)
                    sc.paint(geo.cov(geo.sd_circle(geo.X - hx[0], geo.Y - hy[0], hr)) * sl, col, food=True, shade=0.78)


def _fried_egg(sc: Scene, x: float, y: float, R: float) -> None:
    rng = sc.rng
    d = geo.sd_blob(x, y, R, rng, 0.16)
    white = texture.jit(rng, (0.97, 0.96, 0.93), 0.015)
    a = geo.cov(d)
    sc.shadow(a, 1.5, 1.5, 0.3)
    lace = np.clip((texture.value_noise(rng, 30) - 0.45) * 3, 0, 1) * np.exp(np.minimum(d, 0) / 2.5)
    crisp = texture.jit(rng, (0.78, 0.58, 0.3), 0.06)
    col = texture.mix(
        texture.tint_field(white, 1 + 0.03 * texture.fbm(rng, 8)),
        texture.tint_field(crisp, np.ones_like(d)),
        lace * rng.uniform(0.3, 1),
    )
    sc.paint(a, col * sc.lit(a, 1.5, 0.15)[..., None], food=True)
    yx, yy = x + rng.normal(0, 0.12 * R), y + rng.normal(0, 0.12 * R)
    yr = R * rng.uniform(0.3, 0.4)
    film = geo.sd_circle(geo.X - yx, geo.Y - yy, yr * 1.25)
    sc.solid(film, white, relief=(yr * 0.4, 0.4), shadow=None, edge=0.0)
    sc.solid(
        geo.sd_circle(geo.X - yx, geo.Y - yy, yr),
        texture.jit(rng, (1.0, 0.68, 0.08), 0.04),
        relief=(yr * 0.45, 0.6),
        shadow=(1.5, 1, 0.3),
        gloss=1.3,
        edge=0.15,
    )


def draw_egg(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Egg (class 3): fried egg(s), halved boiled eggs or whole eggs in the shell."""
    rng = sc.rng
    kind = rng.choice(3, p=[0.45, 0.3, 0.25])
    if kind == 0:
        if rng.random() < 0.65:
            _fried_egg(sc, cx, cy, s * 0.8)
        else:
            a = rng.uniform(0, geo.TAU)
            for k in (-1, 1):
                _fried_egg(sc, cx + k * math.cos(a) * 0.42 * s, cy + k * math.sin(a) * 0.42 * s, s * 0.52)
    else:
        n = int(rng.integers(2, 5))
        base = rng.uniform(0, geo.TAU)
        for i in range(n):
            a = base + geo.TAU * i / n
            r = 0.42 * s
            x, y = cx + math.cos(a) * r, cy + math.sin(a) * r
            ang = a + rng.normal(0, 0.4) + math.pi / 2
            u, v = geo.local_frame(x, y, ang)
            A, B = 0.44 * s, 0.33 * s
            d = geo.sd_egg(u, v, A, B)
            if kind == 1:  # halved boiled eggs
                sc.solid(
                    d,
                    texture.jit(rng, (0.97, 0.96, 0.94), 0.01),
                    relief=(B * 0.4, 0.35),
                    shadow=(2, 1.5, 0.35),
                    gloss=0.4,
                )
                yolk = texture.jit(rng, [(0.98, 0.8, 0.28), (1.0, 0.62, 0.08)][rng.integers(2)], 0.04)
                sc.solid(
                    geo.sd_circle(u + 0.05 * A, v, B * 0.55),
                    yolk,
                    0.05 * texture.grain_noise(rng),
                    relief=(B * 0.2, 0.3),
                    shadow=None,
                    edge=0.15,
                )
            else:  # whole eggs in their shells
                shell = texture.jit(rng, [(0.95, 0.93, 0.88), (0.86, 0.7, 0.54)][rng.integers(2)], 0.04)
                sc.solid(
                    d,
                    shell,
                    0.02 * texture.grain_noise(rng) + 0.04 * texture.fbm(rng, 20, 1),
                    relief=(B * 0.5, 0.55),
                    shadow=(3, 2, 0.45),
                    gloss=0.6,
                )
