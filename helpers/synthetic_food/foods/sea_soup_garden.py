"""Seafood, soup, and vegetables and fruit."""

from __future__ import annotations

import math

import numpy as np

from helpers.synthetic_food import geometry as geo
from helpers.synthetic_food import textures as texture
from helpers.synthetic_food.scene import Scene, Vessel


def draw_shrimp(sc: Scene, x: float, y: float, r: float, ang: float) -> None:
    """A cooked shrimp curled into a C: overlapping shell segments, tapering to a red tail fan."""
    rng = sc.rng
    span, nseg, rc = 1.25 * math.pi, 7, 0.62 * r
    back = texture.jit(rng, (0.93, 0.36, 0.16), 0.05)
    belly = texture.jit(rng, (1.0, 0.72, 0.52), 0.04)
    parts = []
    for i in range(nseg):
        t = i / (nseg - 1)
        theta = t * span
        w = r * 0.56 * (1 - 0.5 * t)
        px, py = geo.to_image(x, y, ang, rc * math.cos(theta), rc * math.sin(theta))
        tang = ang + theta + math.pi / 2
        u, v = geo.local_frame(px, py, tang)
        parts.append((geo.sd_ellipse(u, v, span * rc / nseg * 0.85, w / 2), v, w))
    tx, ty = geo.to_image(x, y, ang, rc * math.cos(span * 1.08), rc * math.sin(span * 1.08))
    fan = np.full((geo.SIZE, geo.SIZE), 1e9, np.float32)
    for k in (-1, 1):
        fa = ang + span * 1.08 + math.pi / 2 + k * 0.45
        fx, fy = geo.to_image(tx, ty, fa, 0.2 * r, 0)
        fan = np.minimum(fan, geo.sd_ellipse(*geo.local_frame(fx, fy, fa), 0.24 * r, 0.1 * r))
    cover = geo.cov(fan)
    for d, _, _ in parts:
        cover = np.maximum(cover, geo.cov(d))
    sc.shadow(cover, 2.5, 1.8, 0.45)
    sc.solid(fan, back * 0.85, 0.1 * np.sin(geo.X * 2 + geo.Y), relief=(1.0, 0.3), shadow=None, edge=0.3)
    for d, v, w in parts[::-1]:  # tail first, so each segment overlaps the next one towards the tail
        across = np.clip(v / (w / 2) * 0.5 + 0.5, 0, 1)  # 0 on the outer (back) side, 1 on the belly
        col = texture.mix(
            texture.tint_field(back, np.ones_like(v)), texture.tint_field(belly, np.ones_like(v)), across**1.3
        )
        a = geo.cov(d)
        shade = sc.lit(a, 0.12 * w + 0.5, 0.5) * (1 - 0.35 * np.exp(np.minimum(d, 0) / 1.0))
        sc.paint(a, col * shade[..., None], food=True)
        sc.glint(a, 0.12 * w + 0.5, 0.8)


def draw_fish(sc: Scene, x: float, y: float, L: float, ang: float) -> None:
    """A whole fish (grilled or raw) of length ``L`` along ``ang``, head towards -u."""
    rng = sc.rng
    u, v = geo.local_frame(x, y, ang)
    body = geo.sd_ellipse(u, v, 0.5 * L, 0.17 * L)
    tail = geo.sd_polygon(
        [
            geo.to_image(x, y, ang, 0.42 * L, 0),
            geo.to_image(x, y, ang, 0.7 * L, -0.17 * L),
            geo.to_image(x, y, ang, 0.64 * L, 0),
            geo.to_image(x, y, ang, 0.7 * L, 0.17 * L),
        ]
    )
    tail = np.maximum(
        tail,
        -geo.sd_polygon(
            [
                geo.to_image(x, y, ang, 0.6 * L, 0),
                geo.to_image(x, y, ang, 0.75 * L, -0.1 * L),
                geo.to_image(x, y, ang, 0.75 * L, 0.1 * L),
            ]
        ),
    )
    fin = geo.sd_polygon(
        [
            geo.to_image(x, y, ang, -0.05 * L, -0.14 * L),
            geo.to_image(x, y, ang, 0.22 * L, -0.12 * L),
            geo.to_image(x, y, ang, 0.15 * L, -0.26 * L),
        ]
    )
    cover = np.maximum(np.maximum(geo.cov(body), geo.cov(tail)), geo.cov(fin))
    sc.shadow(cover, 3, 2.5, 0.45)
    grilled = rng.random() < 0.4
    if grilled:
        back, belly = texture.jit(rng, (0.72, 0.52, 0.3), 0.06), texture.jit(rng, (0.92, 0.78, 0.52), 0.05)
    else:
        back, belly = texture.jit(rng, (0.38, 0.44, 0.5), 0.06), texture.jit(rng, (0.86, 0.87, 0.86), 0.03)
    sc.solid(np.minimum(tail, fin), back * 0.9, 0.05 * np.sin(u * 1.5), relief=(1.5, 0.3), shadow=None)
    across = np.clip((v / (0.17 * L) + 1) / 2, 0, 1)
    scales = 0.05 * np.sin(u * 1.6 + np.abs(v) * 1.6) * np.sin(v * 1.6 - u * 0.6)
    col = texture.mix(texture.tint_field(back, 1 + scales), texture.tint_field(belly, 1 + scales), across**1.5)
    if grilled:  # crisp, blistered skin
        col = col * (1 - 0.35 * np.clip((texture.value_noise(rng, 28) - 0.62) * 4, 0, 1))[..., None]
    a = geo.cov(body)
    sc.paint(
        a,
        col * (sc.lit(a, 0.06 * L, 0.5) * (1 - 0.3 * np.exp(np.minimum(body, 0) / 1.2)))[..., None],
        food=True,
    )
    sc.glint(a, 0.06 * L, 0.8)
    gill = np.abs(geo.sd_ellipse(u + 0.28 * L, v, 0.08 * L, 0.15 * L)) - 0.5
    sc.paint(geo.cov(gill) * a * (u > -0.28 * L), back * 0.6, food=True)
    ex, ey = geo.to_image(x, y, ang, -0.38 * L, -0.03 * L)
    er = max(1.5, 0.04 * L)
    sc.paint(geo.cov(geo.sd_circle(geo.X - ex, geo.Y - ey, er)), (0.92, 0.9, 0.85), food=True)
    sc.paint(geo.cov(geo.sd_circle(geo.X - ex, geo.Y - ey, er * 0.55)), (0.05, 0.05, 0.06), food=True)


def _salmon(sc: Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    sashimi = rng.random() < 0.5
    n = int(rng.integers(3, 6)) if sashimi else 1
    base = rng.uniform(0, geo.TAU)
    orange = texture.jit(rng, (0.98, 0.5, 0.3), 0.05)
    for i in range(n):
        if sashimi:
            x = cx + (i - (n - 1) / 2) * 0.28 * s * math.cos(base)
            y = cy + (i - (n - 1) / 2) * 0.28 * s * math.sin(base)
            ang, hw, hh = base + math.pi / 2 + rng.normal(0, 0.1), 0.55 * s, 0.2 * s
        else:
            x, y, ang, hw, hh = cx, cy, base, 0.85 * s, 0.42 * s
        u, v = geo.local_frame(x, y, ang)
        d = geo.sd_box(u, v, hw, hh, 0.4 * hh)
        fu, _ = geo.local_frame(x, y, ang + 0.9)
        fat = np.clip((np.cos(geo.TAU * (fu + 3 * texture.fbm(rng, 4)) / (0.13 * s)) - 0.8) * 5, 0, 1)
        tex = 0.05 * texture.grain_noise(rng) + 0.45 * fat * (0.6 if sashimi else 0.4)
        if not sashimi and rng.random() < 0.5:  # seared top
            tex = tex - 0.35 * np.exp(np.minimum(d, 0) / (0.1 * s))
        sc.solid(d, orange, tex, relief=(0.15 * hh, 0.4), shadow=(2.5, 2, 0.4), gloss=0.7)


def draw_seafood(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Seafood (class 8): curled shrimp, a whole fish, or a salmon fillet / sashimi."""
    rng = sc.rng
    kind = rng.choice(3, p=[0.4, 0.35, 0.25])
    if kind == 0:
        n = int(rng.integers(2, 5))
        base = rng.uniform(0, geo.TAU)
        for i in range(n):
            a = base + geo.TAU * i / n
            rr = 0.45 * s
            draw_shrimp(
                sc,
                cx + math.cos(a) * rr,
                cy + math.sin(a) * rr,
                s * rng.uniform(0.42, 0.52),
                rng.uniform(0, geo.TAU),
            )
    elif kind == 1:
        draw_fish(sc, cx, cy, s * 1.9, rng.uniform(0, geo.TAU))
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


def draw_soup(
    sc: Scene, cx: float, cy: float, s: float, ves: Vessel, kind: int | None = None, bits: int | None = None
) -> np.ndarray:
    """Liquid filling the vessel's opening, with a reflection and floating bits; returns its coverage."""
    rng = sc.rng
    cx, cy = ves.cx, ves.cy
    r = ves.r * (1.0 if ves.kind == "bowl" else 0.98)
    u, v = geo.local_frame(cx, cy, ves.angle)
    d = geo.sd_ellipse(u, v, r, r * ves.aspect)
    a = geo.cov(d)
    kind = int(rng.integers(len(_SOUPS))) if kind is None else kind
    col = texture.jit(rng, _SOUPS[kind], 0.05)
    rho = np.hypot(u, v / ves.aspect)
    ripple = 0.02 * np.sin(rho * rng.uniform(0.6, 1.0) + 2 * texture.fbm(rng, 4))
    tex = 1 + 0.05 * texture.fbm(rng, 6) + ripple
    meniscus = np.exp(np.minimum(d, 0) / 1.2)
    sc.paint(a, col, food=True, shade=tex * (1 - 0.3 * meniscus))
    sc.spot(a, cx + sc.lx * r * 0.45, cy + sc.ly * r * 0.45, r * rng.uniform(0.15, 0.3), rng.uniform(0.2, 0.45))
    swirl = rng.random() < 0.6
    if kind in (0, 1, 5, 2) and swirl:  # a swirl of cream
        theta = np.arctan2(v, u)
        spiral = np.clip((np.cos(theta + rho * rng.uniform(0.25, 0.4)) - 0.85) * 6, 0, 1) * geo.cov(d + 0.35 * r)
        sc.paint(spiral * 0.85, (0.97, 0.95, 0.9), food=True)
    if kind in (3, 4, 6, 7):  # oil droplets
        xs, ys = texture.inside_points(rng, geo.cov(d + 3), int(rng.integers(10, 35)))
        rr = rng.uniform(1.6, 2.8)
        drops = texture.scatter(xs, ys, rr, rr * rng.uniform(0.8, 1.0), rng, dome=True)
        ring = np.clip(drops * (1 - drops) * 4, 0, 1)
        sc.img += (0.3 * ring * a + 0.08 * drops * a)[..., None] * (1 - sc.img)
    bits = int(rng.choice(4, p=[0.3, 0.3, 0.2, 0.2])) if bits is None else bits
    if bits == 0:  # croutons
        for _ in range(int(rng.integers(3, 8))):
            px, py = texture.inside_points(rng, geo.cov(d + 5), 1)
            if len(px):
                bu, bv = geo.local_frame(px[0], py[0], rng.uniform(0, math.pi))
                sc.solid(
                    geo.sd_box(bu, bv, 2.6, 2.3, 0.7),
                    texture.jit(rng, (0.85, 0.6, 0.3), 0.06),
                    0.1 * texture.grain_noise(rng),
                    relief=(1.0, 0.5),
                    shadow=(1.5, 1, 0.4),
                )
    elif bits == 1:  # herbs
        xs, ys = texture.inside_points(rng, geo.cov(d + 3), int(rng.integers(10, 30)))
        sc.paint(texture.scatter(xs, ys, 1.3, 0.8, rng) * a, texture.jit(rng, (0.22, 0.5, 0.15), 0.08), food=True)
    elif bits == 2:  # vegetable or tofu cubes
        for _ in range(int(rng.integers(4, 10))):
            px, py = texture.inside_points(rng, geo.cov(d + 4), 1)
            if len(px):
                bu, bv = geo.local_frame(px[0], py[0], rng.uniform(0, math.pi))
                c = [(0.95, 0.5, 0.1), (0.35, 0.65, 0.2), (0.96, 0.95, 0.9)][rng.integers(3)]
                sc.solid(
                    geo.sd_box(bu, bv, 2.0, 2.0, 0.5), texture.jit(rng, c, 0.05), relief=(0.8, 0.4), shadow=(1, 1, 0.3)
                )
    return a


def draw_veg(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Vegetable/Fruit (class 10): salad, whole fruit, broccoli florets or grapes."""
    rng = sc.rng
    kind = rng.choice(4, p=[0.35, 0.3, 0.15, 0.2])
    if kind == 0:
        _salad(sc, cx, cy, s)
    elif kind == 1:  # apples, tomatoes, oranges
        n = int(rng.integers(1, 4))
        fruit = rng.integers(4)
        r = s * (0.62 if n == 1 else 0.48)
        base = rng.uniform(0, geo.TAU)
        for i in range(n):
            a = base + geo.TAU * i / n
            rr = 0 if n == 1 else r * 0.95
            _fruit(sc, cx + math.cos(a) * rr, cy + math.sin(a) * rr, r * rng.uniform(0.9, 1.05), int(fruit))
    elif kind == 2:  # broccoli florets
        for _ in range(int(rng.integers(3, 6))):
            a, rr = rng.uniform(0, geo.TAU), s * 0.45 * math.sqrt(rng.random())
            _broccoli(sc, cx + math.cos(a) * rr, cy + math.sin(a) * rr, s * rng.uniform(0.38, 0.48))
    else:  # grapes
        col = texture.jit(rng, [(0.38, 0.14, 0.32), (0.6, 0.78, 0.3)][rng.integers(2)], 0.06)
        for _ in range(int(rng.integers(14, 24))):
            a, rr = rng.uniform(0, geo.TAU), s * 0.65 * math.sqrt(rng.random())
            x, y = cx + math.cos(a) * rr * 0.8, cy + math.sin(a) * rr
            gr = s * rng.uniform(0.17, 0.21)
            sc.solid(
                geo.sd_ellipse(*geo.local_frame(x, y, rng.uniform(0, math.pi)), gr, gr * 0.85),
                texture.jit(rng, col, 0.04),
                relief=(gr * 0.4, 0.6),
                gloss=1.0,
                shadow=(2, 1.5, 0.4),
            )


def _fruit(sc: Scene, x: float, y: float, r: float, fruit: int) -> None:
    rng = sc.rng
    d = geo.sd_blob(x, y, r, rng, 0.04)
    if fruit == 0:  # apple
        col = texture.jit(
            rng, [(0.78, 0.1, 0.1), (0.55, 0.78, 0.25), (0.9, 0.75, 0.25)][rng.choice(3, p=[0.6, 0.25, 0.15])]
        )
        streak = 0.05 * np.sin(np.arctan2(geo.Y - y, geo.X - x) * 11 + 3 * texture.fbm(rng, 8)) + 0.12 * texture.fbm(
            rng, 4
        )
        sc.solid(d, col, streak + 0.05 * texture.fbm(rng, 10), relief=(0.3 * r, 0.7), gloss=0.8, shadow=(4, 3, 0.5))
        sc.paint(geo.cov(geo.sd_circle(geo.X - x, geo.Y - y, 0.12 * r), 2), col, food=True, shade=0.6 * np.ones_like(d))
        a = rng.uniform(0, geo.TAU)
        sc.paint(
            geo.cov(geo.sd_segment(x, y, x + math.cos(a) * 0.3 * r, y + math.sin(a) * 0.3 * r, 1.0)),
            (0.35, 0.22, 0.1),
            food=True,
        )
    elif fruit == 1:  # tomato with its green calyx
        sc.solid(
            d,
            texture.jit(rng, (0.9, 0.14, 0.07), 0.05),
            0.03 * texture.fbm(rng, 10),
            relief=(0.3 * r, 0.6),
            gloss=1.2,
            shadow=(4, 3, 0.5),
        )
        base = rng.uniform(0, geo.TAU)
        for k in range(5):
            a = base + geo.TAU * k / 5
            sc.paint(
                geo.cov(geo.sd_segment(x, y, x + math.cos(a) * 0.35 * r, y + math.sin(a) * 0.35 * r, 1.4, 0.5)),
                texture.jit(rng, (0.2, 0.45, 0.12), 0.05),
                food=True,
            )
    elif fruit == 2:  # orange
        sc.solid(
            d,
            texture.jit(rng, (0.98, 0.55, 0.08), 0.04),
            0.08 * (texture.value_noise(rng, 48) - 0.5),
            relief=(0.3 * r, 0.6),
            gloss=0.6,
            shadow=(4, 3, 0.5),
        )
    else:  # halved orange or lemon: segments
        col = texture.jit(rng, [(0.98, 0.55, 0.1), (0.98, 0.86, 0.2), (0.9, 0.3, 0.2)][rng.integers(3)], 0.04)
        sc.solid(d, col * 0.85, relief=(0.2 * r, 0.4), shadow=(3, 2.5, 0.45))
        sc.paint(geo.cov(d + 0.08 * r), (0.97, 0.94, 0.85), food=True)
        rho = np.hypot(geo.X - x, geo.Y - y)
        k = int(rng.integers(8, 12))
        theta = np.mod(np.arctan2(geo.Y - y, geo.X - x) + rng.uniform(0, 1), geo.TAU / k) - math.pi / k
        to_membrane = rho * (math.pi / k - np.abs(theta))
        flesh = geo.cov(d + 0.14 * r) * np.clip(to_membrane - 0.7, 0, 1) * np.clip(rho - 0.12 * r, 0, 1)
        juice = 1.0 + 0.12 * texture.grain_noise(rng, 0.9) + 0.15 * rho / r
        sc.paint(flesh, col, food=True, shade=juice)


def _leaf(sc: Scene, x: float, y: float, L: float, W: float, ang: float, col: np.ndarray) -> None:
    rng = sc.rng
    u, v = geo.local_frame(x, y, ang)
    along = np.clip(u / L, -1, 1)
    half = W * (1 - along**2) ** 0.8 * (1 + 0.1 * np.sin(u * 0.45 + rng.uniform(0, 6)) + 0.06 * np.sin(u * 1.3))
    d = np.maximum(np.abs(v) - half, np.abs(u) - L)
    vein = np.exp(-((v / 0.9) ** 2)) + 0.5 * np.clip(
        (np.cos(geo.TAU * (u - 0.8 * np.abs(v)) / (0.25 * L)) - 0.9) * 8, 0, 1
    )
    tex = 0.3 * np.clip(vein, 0, 1) + 0.08 * texture.fbm(rng, 12) - 0.15 * np.abs(v) / (W + 1e-3)
    sc.solid(d, col, tex, relief=(1.5, 0.3), shadow=(2, 1.5, 0.35), edge=0.2, gloss=0.3)


def _salad(sc: Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    greens = [(0.42, 0.68, 0.18), (0.2, 0.45, 0.14), (0.62, 0.8, 0.32), (0.3, 0.55, 0.2), (0.5, 0.16, 0.3)]
    for _ in range(int(rng.integers(8, 13))):
        a, rr = rng.uniform(0, geo.TAU), s * 0.55 * math.sqrt(rng.random())
        col = texture.jit(rng, greens[rng.choice(5, p=[0.3, 0.25, 0.2, 0.17, 0.08])], 0.06)
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
        a, rr = rng.uniform(0, geo.TAU), s * 0.5 * math.sqrt(rng.random())
        x, y, r = cx + math.cos(a) * rr, cy + math.sin(a) * rr, s * rng.uniform(0.12, 0.16)
        sc.solid(
            geo.sd_circle(geo.X - x, geo.Y - y, r),
            texture.jit(rng, (0.88, 0.12, 0.08), 0.05),
            relief=(0.35 * r, 0.6),
            gloss=1.2,
            shadow=(2, 1.5, 0.45),
        )
    for _ in range(int(rng.integers(0, 4))):  # cucumber slices
        a, rr = rng.uniform(0, geo.TAU), s * 0.5 * math.sqrt(rng.random())
        x, y, r = cx + math.cos(a) * rr, cy + math.sin(a) * rr, s * rng.uniform(0.13, 0.17)
        d = geo.sd_circle(geo.X - x, geo.Y - y, r)
        seeds = np.clip((np.cos(np.arctan2(geo.Y - y, geo.X - x) * 3) - 0.2), 0, 1) * geo.cov(
            np.abs(d + 0.5 * r) - 0.15 * r
        )
        col = texture.mix(
            texture.rgb((0.25, 0.45, 0.15)),
            texture.tint_field(texture.rgb((0.78, 0.88, 0.6)), 1 - 0.15 * seeds),
            geo.cov(d + 1.2, 1.2),
        )
        sc.paint(geo.cov(d), col, food=True)


def _broccoli(sc: Scene, x: float, y: float, r: float) -> None:
    rng = sc.rng
    a = rng.uniform(0, geo.TAU)
    sx, sy = x + math.cos(a) * r * 0.8, y + math.sin(a) * r * 0.8
    sc.solid(
        geo.sd_segment(x, y, sx, sy, 0.35 * r, 0.25 * r),
        texture.jit(rng, (0.65, 0.78, 0.4), 0.05),
        relief=(1.5, 0.4),
        shadow=(2, 1.5, 0.4),
    )
    d = geo.sd_blob(x, y, r * 0.8, rng, 0.25)
    xs, ys = texture.inside_points(rng, geo.cov(d + 1), int(max(8, r * r * 0.6)))
    bumps = texture.scatter(xs, ys, 2.2, 2.0, rng, dome=True)
    sc.solid(
        d,
        texture.jit(rng, (0.2, 0.45, 0.12), 0.06),
        0.35 * (bumps - 0.5) + 0.1 * texture.grain_noise(rng),
        relief=(r * 0.3, 0.6),
        shadow=(3, 2, 0.45),
    )
