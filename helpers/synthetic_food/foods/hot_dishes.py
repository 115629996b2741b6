"""Fried food, meat, noodles and rice."""

from __future__ import annotations

import math

import numpy as np

from helpers.synthetic_food import geometry as geo
from helpers.synthetic_food import textures as texture
from helpers.synthetic_food.scene import Scene, Vessel


def draw_fried(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Fried food (class 4): fries, nuggets, fried chicken pieces or onion rings."""
    rng = sc.rng
    kind = rng.choice(4, p=[0.35, 0.25, 0.2, 0.2])
    if kind == 0:
        draw_fries(sc, cx, cy, s)
    elif kind in (1, 2):  # nuggets / fried chicken pieces
        n = int(rng.integers(4, 8)) if kind == 1 else int(rng.integers(2, 4))
        r = s * (0.34 if kind == 1 else 0.48)
        col = (0.86, 0.6, 0.25) if kind == 1 else (0.74, 0.43, 0.15)
        for i in range(n):
            a = geo.TAU * i / n + rng.uniform(0, 0.7)
            rr = s * 0.45 * math.sqrt(rng.random()) if n > 1 else 0
            x, y = cx + math.cos(a) * rr, cy + math.sin(a) * rr
            d = geo.sd_blob(
                x,
                y,
                r * rng.uniform(0.8, 1.1),
                rng,
                0.25,
                aspect=rng.uniform(0.65, 0.9),
                angle=rng.uniform(0, math.pi),
            )
            crag = texture.value_noise(rng, 22)
            tex = 0.25 * (crag - 0.5) + 0.12 * texture.fbm(rng, 40, 1) - 0.35 * np.clip((0.35 - crag) * 4, 0, 1)
            sc.solid(d, texture.jit(rng, col, 0.06), tex, relief=(r * 0.3, 0.5), shadow=(2.5, 2, 0.45), gloss=0.3)
    else:  # onion rings
        n = int(rng.integers(3, 6))
        for i in range(n):
            a = geo.TAU * i / n + rng.uniform(0, 0.5)
            rr = s * 0.4 * math.sqrt(rng.random())
            x, y = cx + math.cos(a) * rr, cy + math.sin(a) * rr
            R = s * rng.uniform(0.32, 0.42)
            u, v = geo.local_frame(x, y, rng.uniform(0, math.pi))
            d = np.abs(geo.sd_ellipse(u, v, R, R * rng.uniform(0.75, 0.95))) - 0.13 * s
            tex = 0.2 * (texture.value_noise(rng, 30) - 0.5) + 0.08 * texture.grain_noise(rng)
            sc.solid(
                d,
                texture.jit(rng, (0.9, 0.68, 0.3), 0.05),
                tex,
                relief=(0.06 * s, 0.6),
                shadow=(2.5, 2, 0.45),
                gloss=0.3,
            )


def draw_fries(sc: Scene, cx: float, cy: float, s: float, n: int | None = None) -> np.ndarray:
    """A pile of golden fries; returns the pile's coverage."""
    rng = sc.rng
    n = int(rng.integers(16, 28)) if n is None else n
    shapes = []
    for _ in range(n):
        r = s * 0.55 * math.sqrt(rng.random())
        a = rng.uniform(0, geo.TAU)
        x, y = cx + math.cos(a) * r, cy + math.sin(a) * r
        ang = rng.uniform(0, math.pi)
        L, w = s * rng.uniform(0.3, 0.55), rng.uniform(0.07, 0.1) * s + 0.8
        u, v = geo.local_frame(x, y, ang)
        shapes.append((geo.sd_box(u, v, L, w, 1.0), u, v, L, w))
    pile = np.zeros((geo.SIZE, geo.SIZE), np.float32)
    for d, *_ in shapes:
        pile = np.maximum(pile, geo.cov(d))
    sc.shadow(pile, 3, 2.5, 0.45)
    gold = texture.jit(rng, (0.96, 0.77, 0.3), 0.04)
    for d, u, v, L, w in shapes:
        a = geo.cov(d)
        tip = np.clip((np.abs(u) - (L - 0.25 * w - 2)) / 3, 0, 1)
        across = np.clip(v / w, -1, 1)
        t = (0.78 + 0.25 * np.sqrt(1 - across**2) - 0.1 * across * sc.ly) * (1 - 0.3 * tip)
        t = t * (1 + 0.08 * texture.grain_noise(rng)) * (1 - 0.3 * np.exp(np.minimum(d, 0) / 0.8))
        sc.paint(a, texture.jit(rng, gold, 0.03), food=True, shade=t)
    return pile


def draw_steak(sc: Scene, cx: float, cy: float, s: float, ang: float, sliced: bool = False) -> np.ndarray:
    """A grilled steak with grill marks and a fat edge; returns its coverage."""
    rng = sc.rng
    u, v = geo.local_frame(cx, cy, ang)
    a_len, b_len = 0.85 * s, 0.58 * s
    d = geo.sd_blob(cx, cy, a_len, rng, 0.08, aspect=b_len / a_len, angle=ang)
    a = geo.cov(d)
    sc.shadow(a, 3, 2.5, 0.5)
    brown = texture.jit(rng, (0.42, 0.22, 0.11), 0.07)
    tex = 0.16 * texture.fbm(rng, 12) + 0.06 * texture.grain_noise(rng)
    sear = np.exp(np.minimum(d, 0) / (0.12 * s))
    col = texture.tint_field(brown, (1 + tex) * (1 - 0.35 * sear))
    fat = geo.cov(d + 0.1 * s, 1.5)
    fat_side = np.clip((v / b_len - 0.35) * 4, 0, 1) * (1 - fat)
    col = texture.mix(
        col,
        texture.tint_field(texture.jit(rng, (0.88, 0.76, 0.55), 0.04), 1 + 0.05 * texture.grain_noise(rng)),
        fat_side * 0.9,
    )
    mark_ang = ang + rng.uniform(0.6, 1.0) * (1 if rng.random() < 0.5 else -1)
    gu, _ = geo.local_frame(cx, cy, mark_ang)
    period = rng.uniform(0.22, 0.3) * s
    marks = np.clip((np.cos(geo.TAU * gu / period) - 0.72) * 5, 0, 1) * (1 - fat_side)
    col = col * (1 - 0.72 * marks)[..., None]
    sc.paint(a, col * sc.lit(a, 0.2 * s, 0.4)[..., None], food=True)
    gl = np.clip((texture.value_noise(rng, 20) - 0.62) * 4, 0, 1) * 0.18 * a
    sc.img += gl[..., None] * (1 - sc.img)
    if sliced:  # cut into strips, each showing its pink inside with a brown crust
        pink = texture.jit(rng, (0.78, 0.33, 0.3), 0.06)
        n = int(rng.integers(3, 6))
        width = 2 * a_len / n
        for k in range(n):
            du = -a_len + (k + 0.5) * width
            strip = np.maximum(np.abs(u - du) - 0.38 * width, d)
            inside = np.clip(-strip / (0.25 * width), 0, 1)
            col = texture.mix(
                texture.tint_field(brown, 0.8 * np.ones_like(u)),
                texture.tint_field(pink, 1 + 0.08 * texture.fbm(rng, 20, 1)),
                inside,
            )
            sc.paint(geo.cov(strip), col, food=True)
    return a


def draw_drumstick(sc: Scene, x: float, y: float, s: float, ang: float) -> None:
    """A roast drumstick at (x, y), size ``s``, its bone pointing along ``ang``."""
    rng = sc.rng
    bx0, by0 = geo.to_image(x, y, ang, 0.3 * s, 0)
    bx1, by1 = geo.to_image(x, y, ang, 0.85 * s, 0)
    u, v = geo.local_frame(x, y, ang)
    meat = np.minimum(geo.sd_ellipse(u, v, 0.5 * s, 0.32 * s), geo.sd_segment(bx0, by0, bx1, by1, 0.22 * s, 0.08 * s))
    ex, ey = geo.to_image(x, y, ang, 1.08 * s, 0)
    bone = geo.sd_segment(bx1, by1, ex, ey, 0.06 * s)
    for k in (-1, 1):
        kx, ky = geo.to_image(x, y, ang, 1.1 * s, k * 0.06 * s)
        bone = np.minimum(bone, geo.sd_circle(geo.X - kx, geo.Y - ky, 0.065 * s))
    sc.solid(bone, texture.jit(rng, (0.93, 0.88, 0.78), 0.03), relief=(0.03 * s, 0.5), shadow=(2, 1.5, 0.4))
    skin = texture.jit(rng, (0.72, 0.38, 0.14), 0.07)
    tex = (
        0.15 * texture.fbm(rng, 10)
        - 0.3 * np.clip((texture.value_noise(rng, 16) - 0.7) * 4, 0, 1)
        + 0.05 * texture.grain_noise(rng)
    )
    sc.solid(meat, skin, tex, relief=(0.12 * s, 0.5), shadow=(3, 2.5, 0.45), gloss=0.9)


def draw_skewer(sc: Scene, cx: float, cy: float, s: float, ang: float, veg: bool) -> None:
    """A skewer of meat pieces (alternating with vegetables when ``veg``) along ``ang``."""
    rng = sc.rng
    x0, y0 = geo.to_image(cx, cy, ang, -1.1 * s, 0)
    x1, y1 = geo.to_image(cx, cy, ang, 1.05 * s, 0)
    sc.solid(
        geo.sd_segment(x0, y0, x1, y1, 1.3),
        texture.jit(rng, (0.82, 0.68, 0.48), 0.04),
        relief=(1, 0.4),
        shadow=(2, 1, 0.4),
        food=False,
    )
    n = 5
    meat = texture.jit(rng, (0.5, 0.27, 0.13), 0.07)
    for i in range(n):
        t = -0.75 + 1.5 * i / (n - 1)
        x, y = geo.to_image(cx, cy, ang, t * s, rng.normal(0, 0.02 * s))
        u, v = geo.local_frame(x, y, ang + rng.normal(0, 0.25))
        hw = 0.16 * s
        d = geo.sd_box(u, v, hw * rng.uniform(0.85, 1.1), hw * rng.uniform(0.9, 1.2), 0.3 * hw)
        if veg and i % 2 == 1:
            col = texture.jit(rng, [(0.3, 0.6, 0.18), (0.82, 0.15, 0.1), (0.92, 0.88, 0.78)][rng.integers(3)], 0.05)
            sc.solid(d, col, 0.04 * texture.grain_noise(rng), relief=(0.4 * hw, 0.5), gloss=0.8, shadow=(2.5, 2, 0.45))
        else:
            tex = 0.14 * texture.fbm(rng, 14) - 0.45 * np.clip((texture.value_noise(rng, 18) - 0.6) * 3, 0, 1)
            sc.solid(d, meat, tex, relief=(0.4 * hw, 0.5), gloss=0.4, shadow=(2.5, 2, 0.45))


def _meat_slices(sc: Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    n = int(rng.integers(4, 7))
    roast = rng.random() < 0.6
    inner = texture.jit(rng, (0.68, 0.26, 0.24) if roast else (0.92, 0.56, 0.55), 0.05)
    rim = texture.jit(rng, (0.4, 0.2, 0.1) if roast else (0.95, 0.85, 0.78), 0.05)
    base = rng.uniform(0, geo.TAU)
    for i in range(n):
        a = base + (i - n / 2) * 0.28
        x, y = cx + math.cos(a) * 0.3 * s, cy + math.sin(a) * 0.3 * s
        u, v = geo.local_frame(x, y, a)
        d = geo.sd_ellipse(u, v, 0.6 * s, 0.42 * s)
        a_sl = geo.cov(d)
        sc.shadow(a_sl, 2, 1.5, 0.35)
        marble = np.exp(-(((np.sin(u * 0.25 + 2.5 * texture.fbm(rng, 5))) / 0.12) ** 2)) * 0.25
        col = texture.mix(
            texture.tint_field(inner, 1 + 0.06 * texture.fbm(rng, 14) + 0.3 * marble),
            texture.tint_field(rim, np.ones_like(u)),
            1 - geo.cov(d + 0.07 * s + 1, 1.5),
        )
        sc.paint(a_sl, col * sc.lit(a_sl, 1.5, 0.2)[..., None], food=True)
        sc.glint(a_sl, 1.5, 0.5)


def draw_meat(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Meat (class 5): a steak (whole or sliced), drumsticks, skewers or cold cuts."""
    rng = sc.rng
    kind = rng.choice(4, p=[0.35, 0.25, 0.2, 0.2])
    if kind == 0:
        draw_steak(sc, cx, cy, s, rng.uniform(0, math.pi), sliced=rng.random() < 0.3)
    elif kind == 1:
        n = int(rng.integers(2, 4))
        base = rng.uniform(0, geo.TAU)
        for i in range(n):
            a = base + (i - (n - 1) / 2) * 0.5
            x, y = cx - math.cos(a) * 0.35 * s + (i - (n - 1) / 2) * 0.1 * s, cy - math.sin(a) * 0.35 * s
            draw_drumstick(sc, x, y, s * 0.95, a)
    elif kind == 2:
        n = int(rng.integers(1, 3))
        ang = rng.uniform(0, math.pi)
        veg = rng.random() < 0.4
        for k in range(n):
            off = (k - (n - 1) / 2) * 0.5 * s
            draw_skewer(sc, cx - math.sin(ang) * off, cy + math.cos(ang) * off, s * 0.85, ang, veg)
    else:
        _meat_slices(sc, cx, cy, s)


def draw_noodles(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Noodles/Pasta (class 6): a tangle of wavy strands with sauce, cheese, meatballs or herbs."""
    rng = sc.rng
    R = s * rng.uniform(0.8, 0.95)
    d = geo.sd_blob(cx, cy, R, rng, 0.12)
    region = geo.cov(d)
    sc.shadow(region, 2.5, 2, 0.4)
    col = texture.jit(
        rng,
        [(0.96, 0.82, 0.45), (0.95, 0.8, 0.52), (0.96, 0.93, 0.82), (0.55, 0.42, 0.3), (0.82, 0.56, 0.26)][
            rng.choice(5, p=[0.3, 0.25, 0.15, 0.1, 0.2])
        ],
        0.04,
    )
    sc.paint(region, col, food=True, shade=0.55 + 0.1 * texture.fbm(rng, 10))
    width = rng.uniform(3.2, 4.8)
    layers = 4
    for i in range(layers):
        u, v = geo.local_frame(cx, cy, rng.uniform(0, math.pi))
        warp = texture.fbm(rng, int(rng.integers(3, 6))) * np.float32(rng.uniform(10, 20)) + texture.fbm(
            rng, 10, 1
        ) * np.float32(rng.uniform(2, 4))
        phase = (v + warp) / width
        strand = np.clip((np.cos(geo.TAU * phase) + 0.15) / 1.15, 0, 1)
        keep = np.clip((texture.value_noise(rng, 5) - 0.25) * 3, 0, 1) if i else 1.0
        edge = geo.cov(d + rng.uniform(0, 0.15) * R * i / layers, 3)
        a = np.clip(strand * 2.2, 0, 1) * keep * edge
        t = (0.74 + 0.08 * i) * (0.72 + 0.35 * np.sqrt(strand)) * (1 + 0.03 * texture.grain_noise(rng))
        sc.paint(a, col, food=True, shade=t)
    sc.glint(region, 0.4 * R, 0.3)
    top = rng.choice(4, p=[0.35, 0.2, 0.15, 0.3])
    if top == 0:  # tomato sauce
        sd = geo.sd_blob(cx + rng.normal(0, 0.1 * R), cy + rng.normal(0, 0.1 * R), 0.4 * R, rng, 0.15)
        tex = 0.18 * (texture.value_noise(rng, 24) - 0.5) + 0.05 * texture.grain_noise(rng)
        sc.solid(
            sd,
            texture.jit(rng, (0.72, 0.14, 0.06), 0.06),
            tex,
            relief=(0.1 * R, 0.5),
            gloss=0.8,
            shadow=(1.5, 1.5, 0.3),
            edge=0.1,
        )
    elif top == 1:  # grated cheese
        xs, ys = texture.inside_points(rng, geo.cov(d + 0.3 * R), int(rng.integers(30, 70)))
        sc.paint(texture.scatter(xs, ys, 1.2, 0.5, rng) * region, (0.97, 0.95, 0.85), food=True)
    elif top == 2:  # meatballs
        for _ in range(int(rng.integers(2, 4))):
            mx, my = texture.inside_points(rng, geo.cov(d + 0.35 * R), 1)
            sc.solid(
                geo.sd_circle(geo.X - mx[0], geo.Y - my[0], 0.22 * R),
                texture.jit(rng, (0.45, 0.25, 0.14), 0.06),
                0.15 * texture.fbm(rng, 20),
                relief=(0.08 * R, 0.6),
                gloss=0.5,
                shadow=(2, 1.5, 0.4),
            )
    if rng.random() < 0.5:  # herbs
        xs, ys = texture.inside_points(rng, geo.cov(d + 2), int(rng.integers(8, 25)))
        sc.paint(texture.scatter(xs, ys, 1.4, 0.9, rng) * region, texture.jit(rng, (0.2, 0.5, 0.15), 0.08), food=True)


def draw_rice(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Rice (class 7): a grainy mound (white or fried with peas and carrot) or an onigiri."""
    rng = sc.rng
    kind = rng.choice(3, p=[0.65, 0.2, 0.15])
    if kind == 2:  # onigiri: a rounded rice triangle with a band of seaweed
        ang = rng.normal(0, 0.3)
        pts = [geo.to_image(cx, cy, ang, x * s, y * s) for x, y in ((0, -0.75), (0.75, 0.5), (-0.75, 0.5))]
        d = geo.sd_polygon(pts) - 0.12 * s
        R = 0.8 * s
    else:
        R = s * rng.uniform(0.75, 0.92)
        d = geo.sd_blob(cx, cy, R, rng, 0.06)
    base = texture.jit(rng, [(0.96, 0.95, 0.91), (0.9, 0.74, 0.42), (0.96, 0.95, 0.91)][kind], 0.02)
    area = float(geo.cov(d).sum())
    xs, ys = texture.inside_points(rng, geo.cov(d + 1.0), int(area / 5.5))
    grains = texture.scatter(xs, ys, 2.6, 1.25, rng, dome=True)
    a = np.clip(geo.cov(d + 2.0) + grains * geo.cov(d - 1.5), 0, 1)
    sc.shadow(a, 2.5, 2, 0.45)
    t = (0.78 + 0.24 * grains) * sc.lit(geo.cov(d, 4), R * 0.35, 0.5) * (1 + 0.02 * texture.grain_noise(rng))
    sc.paint(a, base, food=True, shade=t)
    sc.img += (np.clip(grains - 0.85, 0, 1) * 1.5 * a * np.clip(sc.lit(geo.cov(d, 4), R * 0.35, 1.0) - 0.9, 0, 1))[
        ..., None
    ] * (1 - sc.img)
    if kind == 1:  # fried rice bits: peas, carrot, egg
        for col, r0, r1, n in (
            ((0.35, 0.65, 0.2), 1.5, 1.5, 12),
            ((0.95, 0.5, 0.1), 1.3, 1.0, 12),
            ((0.98, 0.85, 0.3), 2.0, 1.2, 10),
        ):
            px, py = texture.inside_points(rng, geo.cov(d + 2), n)
            sc.paint(texture.scatter(px, py, r0, r1, rng) * a, texture.jit(rng, col, 0.05), food=True)
    elif kind == 2:
        band = geo.sd_box(*geo.local_frame(*geo.to_image(cx, cy, ang, 0, 0.42 * s), ang), 0.3 * s, 0.32 * s, 1.0)
        sc.paint(
            geo.cov(band) * a,
            texture.jit(rng, (0.08, 0.12, 0.08), 0.1),
            food=True,
            shade=1 + 0.15 * texture.fbm(rng, 20),
        )
    elif rng.random() < 0.3:  # sesame
        px, py = texture.inside_points(rng, geo.cov(d + 3), int(rng.integers(10, 30)))
        sc.paint(
            texture.scatter(px, py, 1.1, 0.6, rng) * a,
            (0.12, 0.1, 0.1) if rng.random() < 0.5 else (0.9, 0.8, 0.6),
            food=True,
        )
