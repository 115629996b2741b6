"""Bread (loaves, slices, toast cubes, buns) and desserts (cake slices, cupcakes, doughnuts)."""

from __future__ import annotations

import math

import numpy as np

from helpers.synthetic_food import geometry as geo
from helpers.synthetic_food import textures as texture
from helpers.synthetic_food.scene import Scene, Vessel


def _cube_faces(cx: float, cy: float, e: float, phi: float) -> list[tuple[np.ndarray, tuple[float, float] | None]]:
    """The visible faces of a cube (edge ``e`` pixels, turned by ``phi``) seen from above at an angle.

    Returns (signed distance S x S, normal) per face: the top first (normal None), then the sides whose
    normal (in the image plane) points down the screen.
    """
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
    return [(geo.sd_polygon([project(*p) for p in quad]), normal) for quad, normal in faces]


def draw_iso_cube(
    sc: Scene,
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
    faces = _cube_faces(cx, cy, e, phi)
    cover = np.zeros((geo.SIZE, geo.SIZE), np.float32)
    for d, _ in faces:
        cover = np.maximum(cover, geo.cov(d))
    sc.shadow(cover, e * 0.12, e * 0.06 + 1, 0.45)
    for d, normal in faces:
        a = geo.cov(d)
        if normal is None:
            bright = 1.08
        else:
            n = math.hypot(*normal)
            bright = 0.7 + 0.28 * max(0.0, (normal[0] * sc.lx + normal[1] * sc.ly) / n)
        t = (1 + tex) * bright * (1 - 0.3 * np.exp(np.minimum(d, 0) / 0.9))
        # Cut bread: the side faces are toasted towards the crust's colour (darkening alone looks grey).
        side = face if crust is None or normal is None else 0.6 * face + 0.4 * crust
        col = texture.tint_field(side, t)
        if crust is not None:
            inner = geo.cov(d + crust_w, 2.0)
            col = texture.mix(
                texture.tint_field(crust, bright * (1 + 0.1 * texture.fbm(rng, 20, 1)) * np.ones_like(t)), col, inner
            )
        sc.paint(a, col, food=True)
        for _ in range(holes):
            hx, hy = texture.inside_points(rng, geo.cov(d + 3), 1)
            if len(hx):
                hr = rng.uniform(1.2, 2.6)
                ah = geo.cov(geo.sd_ellipse(geo.X - hx[0], geo.Y - hy[0], hr, hr * 0.8)) * a
                sc.paint(ah, face, food=True, shade=bright * 0.72)
    return cover


def _bread_slice(
    sc: Scene, x: float, y: float, ss: float, ang: float, crumb: np.ndarray, crust: np.ndarray, toasted: bool
) -> None:
    rng = sc.rng
    u, v = geo.local_frame(x, y, ang)
    d = np.minimum(
        geo.sd_box(u, v - 0.18 * ss, 0.78 * ss, 0.62 * ss, 0.15 * ss),
        geo.sd_ellipse(u, v + 0.36 * ss, 0.9 * ss, 0.5 * ss),
    )
    a = geo.cov(d)
    sc.shadow(a, 2.0, 1.5, 0.4)
    depth = np.clip(-d / (0.45 * ss), 0, 1)
    t = 1 - 0.28 * texture.pore_noise(rng, int(rng.integers(20, 30))) + 0.05 * texture.grain_noise(rng)
    if toasted:
        t = t * (0.82 + 0.2 * depth + 0.08 * texture.fbm(rng, 8))
    inner = geo.cov(d + 0.09 * ss + 1, 1.5)
    col = texture.mix(texture.tint_field(crust, 1 + 0.1 * texture.fbm(rng, 16, 1)), texture.tint_field(crumb, t), inner)
    sc.paint(a, col * sc.lit(a, 1.5, 0.15)[..., None], food=True)


def _loaf(sc: Scene, cx: float, cy: float, s: float, crust: np.ndarray) -> None:
    """A loaf with scoring (cuts showing the crumb) and, half the time, flour dusted on top."""
    rng = sc.rng
    ang = rng.uniform(0, math.pi)
    L, W = s * rng.uniform(0.8, 1.0), s * rng.uniform(0.42, 0.55)
    u, v = geo.local_frame(cx, cy, ang)
    d = geo.sd_box(u, v, L, W, W * 0.85)
    mid = np.clip(-d / W, 0, 1)
    tex = 0.1 * texture.fbm(rng, 10) + 0.04 * texture.grain_noise(rng) + 0.35 * (mid - 0.5)
    loaf = sc.solid(d, crust * 1.15, tex, relief=(W * 0.35, 0.3), shadow=(3, 2.5, 0.45), gloss=0.3)
    n = int(rng.integers(3, 6))
    for i in range(n):
        pu = -L * 0.75 + (i + 0.5) * 1.5 * L / n
        p0 = geo.to_image(cx, cy, ang, pu - 0.18 * W, -0.55 * W)
        p1 = geo.to_image(cx, cy, ang, pu + 0.18 * W, 0.55 * W)
        sc.paint(
            geo.cov(geo.sd_segment(*p0, *p1, 0.16 * W + 1.2)) * loaf,
            crust,
            food=True,
            shade=0.6 * np.ones_like(u),
        )
        cut = geo.cov(geo.sd_segment(*p0, *p1, 0.16 * W)) * loaf
        sc.paint(cut, texture.jit(rng, (0.93, 0.8, 0.55), 0.04), food=True, shade=1 + 0.06 * texture.grain_noise(rng))
    if rng.random() < 0.5:
        xs, ys = texture.inside_points(rng, loaf, int(rng.integers(20, 80)))
        sc.paint(texture.scatter(xs, ys, 0.8, 0.6, rng) * 0.7 * loaf, (0.95, 0.94, 0.9), food=True)


def _buns(sc: Scene, cx: float, cy: float, s: float) -> None:
    """One to three round glazed buns, mostly with sesame."""
    rng = sc.rng
    n = int(rng.integers(1, 4))
    r = s * (0.55 if n == 1 else 0.4)
    for i in range(n):
        a = geo.TAU * i / n + rng.uniform(0, 1)
        x = cx + (math.cos(a) * r * 0.9 if n > 1 else 0)
        y = cy + (math.sin(a) * r * 0.9 if n > 1 else 0)
        d = geo.sd_blob(x, y, r, rng, 0.05)
        col = texture.jit(rng, (0.68, 0.38, 0.13), 0.06)
        bun = sc.solid(
            d,
            col,
            0.08 * texture.fbm(rng, 12) + 0.25 * np.clip(-d / r, 0, 1),
            relief=(r * 0.4, 0.45),
            shadow=(3, 2.5, 0.45),
            gloss=0.6,
        )
        if rng.random() < 0.75:
            xs, ys = texture.inside_points(rng, geo.cov(d + r * 0.25), int(rng.integers(15, 35)))
            sc.paint(texture.scatter(xs, ys, 1.2, 0.6, rng) * bun, texture.jit(rng, (0.95, 0.9, 0.75), 0.03), food=True)


def draw_bread(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Bread (class 0): a scored loaf, slices with crust, toast cubes or round buns."""
    rng = sc.rng
    kind = rng.choice(4, p=[0.25, 0.3, 0.2, 0.25])
    crust = texture.jit(rng, (0.62, 0.37, 0.16), 0.07)
    if kind == 0:  # loaf with scoring and flour
        _loaf(sc, cx, cy, s, crust)
    elif kind == 1:  # slices
        crumb = texture.jit(rng, (0.94, 0.86, 0.68), 0.04)
        toasted = rng.random() < 0.4
        if toasted:
            crumb = texture.jit(rng, (0.86, 0.63, 0.34), 0.05)
        n = int(rng.integers(1, 4))
        base = rng.uniform(0, geo.TAU)
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
        crumb = texture.jit(rng, (0.92, 0.78, 0.5), 0.05)
        n = int(rng.integers(1, 4))
        e = s * (0.85 if n == 1 else 0.6)
        for i in range(n):
            x = cx + (i - (n - 1) / 2) * e * 0.9 + rng.normal(0, 2)
            y = cy + rng.normal(0, 0.15 * s) + (0.2 * e if i % 2 else 0)
            tex = -0.16 * texture.pore_noise(rng, 44, 0.6) + 0.05 * texture.grain_noise(rng)
            draw_iso_cube(sc, x, y, e, rng.uniform(0.2, 1.35), crumb, crust, e * 0.1, tex)
    else:  # round buns
        _buns(sc, cx, cy, s)


def _cake_topping(sc: Scene, tx: float, ty: float, s: float, top: np.ndarray) -> None:
    """A strawberry, a cherry on a cream rosette, or chocolate shavings on the cake's top (near (tx, ty))."""
    rng = sc.rng
    deco = rng.integers(3)
    if deco == 0:  # strawberry
        d = geo.sd_egg(*geo.local_frame(tx, ty - 0.08 * s, math.pi / 2 - 0.3), 0.2 * s, 0.16 * s)
        berry = sc.solid(
            d, texture.jit(rng, (0.85, 0.1, 0.12), 0.05), relief=(0.08 * s, 0.5), gloss=0.8, shadow=(2, 1.5, 0.4)
        )
        xs, ys = texture.inside_points(rng, berry, 12)
        sc.paint(texture.scatter(xs, ys, 0.6, 0.4, rng) * berry, (0.95, 0.85, 0.4), food=True)
    elif deco == 1:  # cherry and cream rosette
        sc.solid(
            geo.sd_blob(tx, ty, 0.17 * s, rng, 0.15),
            texture.jit(rng, (0.97, 0.96, 0.93), 0.02),
            0.08 * np.sin(np.arctan2(geo.Y - ty, geo.X - tx) * 7),
            relief=(0.06 * s, 0.5),
            shadow=(2, 1.5, 0.3),
        )
        sc.solid(
            geo.sd_circle(geo.X - tx, geo.Y - ty + 0.12 * s, 0.1 * s),
            texture.jit(rng, (0.7, 0.05, 0.1), 0.05),
            relief=(0.05 * s, 0.6),
            gloss=1.0,
            shadow=(1.5, 1, 0.4),
        )
    else:  # chocolate shavings
        xs, ys = texture.inside_points(rng, geo.cov(top + 1), int(rng.integers(10, 30)))
        sc.paint(
            texture.scatter(xs, ys, 1.6, 0.7, rng) * geo.cov(top), texture.jit(rng, (0.25, 0.13, 0.07), 0.08), food=True
        )


def draw_cake_slice(sc: Scene, cx: float, cy: float, s: float, flip: bool) -> None:
    """A slice of layered cake seen from the front, with a topping; ``flip`` mirrors it."""
    rng = sc.rng
    m = -1.0 if flip else 1.0

    def p(x: float, y: float) -> tuple[float, float]:
        return cx + m * x * s, cy + y * s

    front = geo.sd_polygon([p(-0.85, -0.2), p(0.65, -0.2), p(0.65, 0.55), p(-0.85, 0.55)])
    top = geo.sd_polygon([p(-0.85, -0.2), p(0.65, -0.2), p(0.95, -0.55)])
    end = geo.sd_polygon([p(0.65, -0.2), p(0.95, -0.55), p(0.95, 0.22), p(0.65, 0.55)])
    cover = np.maximum(np.maximum(geo.cov(front), geo.cov(top)), geo.cov(end))
    sc.shadow(cover, 4, 3, 0.45)
    palettes = [
        ((0.95, 0.84, 0.55), (0.98, 0.78, 0.84), (0.98, 0.96, 0.92)),  # vanilla, strawberry cream
        ((0.33, 0.19, 0.11), (0.95, 0.9, 0.8), (0.28, 0.15, 0.09)),  # chocolate
        ((0.62, 0.12, 0.15), (0.97, 0.95, 0.9), (0.97, 0.95, 0.9)),  # red velvet
        ((0.55, 0.68, 0.3), (0.96, 0.94, 0.86), (0.92, 0.95, 0.85)),  # matcha
        ((0.98, 0.88, 0.5), (0.98, 0.95, 0.85), (0.98, 0.95, 0.6)),  # lemon
    ]
    sponge, cream, frost = (texture.jit(rng, c, 0.04) for c in palettes[rng.integers(len(palettes))])
    frost_t = 0.12
    n = int(rng.integers(2, 4))
    # Layer boundaries from the top of the cut face (y = -0.2) to its bottom (y = 0.55), wavy.
    rel = (geo.Y - cy) / s
    col = texture.tint_field(frost, np.ones_like(geo.X))
    bounds = [-0.2 + frost_t]
    for i in range(n):
        bounds.append(bounds[-1] + (0.75 - frost_t) * (0.75 / n))
        if i < n - 1:
            bounds.append(bounds[-1] + (0.75 - frost_t) * (0.25 / (n - 1)))
    bounds[-1] = 0.56
    pores = 1 - 0.22 * texture.pore_noise(rng, 28, 0.6) + 0.04 * texture.grain_noise(rng)
    for j, b in enumerate(bounds[:-1]):
        wave = 0.012 * np.sin(geo.X * 0.35 + rng.uniform(0, geo.TAU)) + 0.01 * texture.fbm(rng, 10, 1)
        layer = geo.cov((b + wave - rel) * s, 1.2)  # 1 below the boundary b
        c = (
            texture.tint_field(sponge, pores)
            if j % 2 == 0
            else texture.tint_field(cream, 1 + 0.02 * texture.grain_noise(rng))
        )
        col = texture.mix(col, c, layer)
    a_front = geo.cov(front)
    sc.paint(a_front, col * (0.95 * (1 - 0.25 * np.exp(np.minimum(front, 0) / 1.2)))[..., None], food=True)
    swirl = 1 + 0.05 * np.sin(geo.X * 0.5 + 3 * texture.fbm(rng, 6)) + 0.02 * texture.grain_noise(rng)
    sc.paint(geo.cov(end), frost, food=True, shade=0.8 * swirl)
    sc.paint(geo.cov(top), frost, food=True, shade=1.05 * swirl * (1 - 0.2 * np.exp(np.minimum(top, 0) / 1.2)))
    _cake_topping(sc, *p(0.55, -0.42), s, top)


def _cupcake(sc: Scene, cx: float, cy: float, s: float) -> None:
    rng = sc.rng
    liner = geo.sd_polygon(
        [
            (cx - 0.52 * s, cy + 0.05 * s),
            (cx + 0.52 * s, cy + 0.05 * s),
            (cx + 0.38 * s, cy + 0.62 * s),
            (cx - 0.38 * s, cy + 0.62 * s),
        ]
    )
    tiers = [(0.0, 0.62, 0.24), (-0.2, 0.5, 0.2), (-0.38, 0.35, 0.17), (-0.52, 0.18, 0.13)]
    frost = np.full((geo.SIZE, geo.SIZE), 1e9, np.float32)
    for ty, a, b in tiers:
        frost = np.minimum(frost, geo.sd_ellipse(geo.X - cx, geo.Y - cy - ty * s, a * s, b * s))
    cover = np.maximum(geo.cov(liner), geo.cov(frost))
    sc.shadow(cover, 3.5, 2.5, 0.45)
    paper = texture.jit(
        rng,
        [(0.9, 0.5, 0.6), (0.5, 0.7, 0.9), (0.95, 0.95, 0.92), (0.6, 0.35, 0.2), (0.95, 0.8, 0.3)][rng.integers(5)],
        0.05,
    )
    pleat = 0.82 + 0.18 * np.cos(geo.TAU * (geo.X - cx) / rng.uniform(3.5, 5))
    sc.paint(geo.cov(liner), paper, food=True, shade=pleat * sc.lit(geo.cov(liner), 2, 0.3))
    fcol = texture.jit(
        rng,
        [(0.98, 0.75, 0.82), (0.97, 0.96, 0.93), (0.4, 0.22, 0.13), (0.7, 0.9, 0.8), (0.8, 0.72, 0.92)][
            rng.integers(5)
        ],
        0.04,
    )
    for ty, a, b in tiers:
        d = geo.sd_ellipse(geo.X - cx, geo.Y - cy - ty * s, a * s, b * s)
        tex = 0.03 * texture.grain_noise(rng)
        sc.solid(d, fcol, tex, relief=(b * s * 0.5, 0.5), gloss=0.5, shadow=(1.5, 1, 0.25), edge=0.2)
    if rng.random() < 0.7:  # sprinkles
        xs, ys = texture.inside_points(rng, geo.cov(frost + 1.5), int(rng.integers(15, 40)))
        a_f = geo.cov(frost)
        groups = rng.integers(0, 4, len(xs))
        cols = [(0.95, 0.2, 0.3), (0.2, 0.6, 0.95), (0.98, 0.85, 0.2), (0.3, 0.8, 0.3)]
        for g in range(4):
            sel = groups == g
            sc.paint(texture.scatter(xs[sel], ys[sel], 1.6, 0.55, rng) * a_f, cols[g], food=True)
    else:  # a cherry
        sc.solid(
            geo.sd_circle(geo.X - cx, geo.Y - cy + 0.7 * s, 0.13 * s),
            texture.jit(rng, (0.75, 0.05, 0.1), 0.05),
            relief=(0.06 * s, 0.6),
            gloss=1.0,
            shadow=(1.5, 1, 0.35),
        )


def _donut(sc: Scene, x: float, y: float, R: float) -> None:
    rng = sc.rng
    u, v = geo.local_frame(x, y)
    rho = np.hypot(u, v)
    d = np.maximum(rho - R, 0.3 * R - rho)
    dough = texture.jit(rng, (0.8, 0.54, 0.28), 0.05)
    sc.solid(d, dough, 0.06 * texture.fbm(rng, 14), relief=(0.2 * R, 0.5), shadow=(3, 2.5, 0.4))
    theta = np.arctan2(v, u)
    wob = 0.06 * R * (np.sin(theta * 7 + rng.uniform(0, 6)) + 0.6 * np.sin(theta * 13 + rng.uniform(0, 6)))
    icing_d = np.maximum(rho - (0.86 * R + wob), 0.4 * R - rho)
    icing = texture.jit(
        rng, [(0.96, 0.55, 0.7), (0.35, 0.19, 0.1), (0.97, 0.95, 0.9), (0.6, 0.4, 0.8)][rng.integers(4)], 0.04
    )
    a = sc.solid(
        icing_d, icing, 0.02 * texture.grain_noise(rng), relief=(0.15 * R, 0.4), gloss=0.9, shadow=None, edge=0.15
    )
    if rng.random() < 0.7:
        xs, ys = texture.inside_points(rng, a, int(rng.integers(15, 35)))
        groups = rng.integers(0, 3, len(xs))
        for g, col in enumerate([(0.95, 0.95, 0.95), (0.95, 0.3, 0.3), (0.3, 0.5, 0.95)]):
            sel = groups == g
            sc.paint(texture.scatter(xs[sel], ys[sel], 1.5, 0.5, rng) * a, col, food=True)


def draw_dessert(sc: Scene, cx: float, cy: float, s: float, ves: Vessel) -> None:
    """Dessert (class 2): a cake slice, one or two cupcakes, or iced doughnut(s)."""
    rng = sc.rng
    kind = rng.choice(3, p=[0.45, 0.3, 0.25])
    if kind == 0:
        draw_cake_slice(sc, cx, cy, s * 0.95, rng.random() < 0.5)
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
            a = rng.uniform(0, geo.TAU)
            for k in (-1, 1):
                _donut(sc, cx + k * math.cos(a) * 0.45 * s, cy + k * math.sin(a) * 0.45 * s, s * 0.5)
