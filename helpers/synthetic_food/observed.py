"""The ten observation images: fixed designs (a fixed seed only for textures) that the course's
questions about "image #k" are about.

Each design is one small function registered with its entry: the file stem in ``food/`` (``<label>_<index>``,
indices 0..9 in the course's order), what it shows, and the named part masks it records. A design
paints the table and the food on a scene whose light comes from the upper left, and returns the
part masks it computes itself (the others come from the scene's part coverage).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from helpers.synthetic_food.foods.baked import draw_cake_slice, draw_iso_cube
from helpers.synthetic_food.foods.dairy_eggs import draw_jug
from helpers.synthetic_food.foods.hot_dishes import draw_drumstick, draw_fries, draw_skewer, draw_steak
from helpers.synthetic_food.foods.sea_soup_garden import draw_fish, draw_shrimp, draw_soup
from helpers.synthetic_food.geometry import X, Y, cov, sd_circle
from helpers.synthetic_food.scene import Scene, bg_cloth, bg_marble, bg_plain, bg_wood, finish
from helpers.synthetic_food.tableware import draw_bowl, draw_plate
from helpers.synthetic_food.textures import grain_noise, pore_noise, rgb

Design = Callable[[Scene, np.random.Generator], dict[str, np.ndarray]]

_LIGHT = -2.3  # light from the upper left
_WHITE = rgb((0.94, 0.94, 0.92))


class _Entry(NamedTuple):
    """One designed observation image: its stem, description, named parts and design function."""

    stem: str
    description: str
    parts: tuple[str, ...]
    design: Design


_ENTRIES: list[_Entry] = []


def _observed(stem: str, description: str, parts: tuple[str, ...] = ()) -> Callable[[Design], Design]:
    """Register ``design`` as observation image ``stem`` (in order: the k-th registered is image #k)."""

    def register(design: Design) -> Design:
        _ENTRIES.append(_Entry(stem, description, parts, design))
        return design

    return register


@_observed("0_0", "cube-shaped toast on a plate", parts=("cube",))
def _toast_cube(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_wood(rng)
    draw_plate(sc, 64, 66, 60, 0.95, 0.2, _WHITE)
    sc.part = "cube"
    tex = -0.14 * pore_noise(rng, 44, 0.6) + 0.04 * grain_noise(rng)
    draw_iso_cube(sc, 64, 68, 50, 0.62, rgb((0.97, 0.82, 0.52)), rgb((0.66, 0.4, 0.16)), 4.0, tex)
    return {}


@_observed("1_1", "milk jug with its handle near the right edge", parts=("handle", "body"))
def _milk_jug(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_plain(rng)
    draw_jug(sc, 60, 66, 46, right=True, parts=True)
    return {}


@_observed("1_2", "cheese pieces and milk drops scattered over a busy tablecloth")
def _scattered_cheese(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_cloth(rng)
    for k in range(9):
        x, y = 18 + (k % 3) * 44 + rng.uniform(-8, 8), 20 + (k // 3) * 44 + rng.uniform(-8, 8)
        e, phi = rng.uniform(14, 20), rng.uniform(0.2, 1.35)
        draw_iso_cube(sc, x, y, e, phi, rgb((0.98, 0.82, 0.35)), tex=0.03 * grain_noise(rng), holes=1)
    for _ in range(14):
        x, y, r = rng.uniform(6, 122), rng.uniform(6, 122), rng.uniform(2.5, 5.5)
        sc.solid(sd_circle(X - x, Y - y, r), _WHITE, relief=(0.4 * r, 0.7), gloss=1.2, shadow=(1.5, 1, 0.3))
    return {}


@_observed("2_3", "slice of layered cake")
def _cake(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_marble(rng)
    draw_plate(sc, 64, 66, 60, 0.93, 0.0, _WHITE)
    draw_cake_slice(sc, 62, 66, 44, flip=False)
    return {}


@_observed("5_4", "plate with a brown steak on the right and yellow fries on the left", parts=("steak", "side"))
def _steak_and_fries(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_wood(rng)
    draw_plate(sc, 64, 64, 63, 0.9, 0.0, _WHITE)
    sc.part = "side"
    draw_fries(sc, 39, 64, 24, n=16)
    sc.part = "steak"
    draw_steak(sc, 88, 64, 27, math.pi / 2)
    return {}


@_observed("5_5", "roast drumsticks")
def _drumsticks(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_cloth(rng)
    draw_plate(sc, 64, 64, 60, 0.95, 0.0, _WHITE)
    for k in range(3):
        a = -0.5 + 0.5 * k
        draw_drumstick(sc, 52 - math.cos(a) * 10, 60 - math.sin(a) * 16 + 4 * k, 38, a)
    return {}


@_observed("5_6", "meat skewers")
def _skewers(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_plain(rng)
    draw_plate(sc, 64, 64, 60, 0.95, 0.0, rgb((0.93, 0.91, 0.86)))
    for k in (-1, 1):
        draw_skewer(sc, 64 + 12 * k * math.sin(0.5), 64 - 12 * k * math.cos(0.5), 40, 0.5, veg=False)
    return {}


@_observed("5_7", "a steak alone on a plate", parts=("steak",))
def _lone_steak(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_wood(rng)
    draw_plate(sc, 64, 64, 60, 0.93, 0.3, _WHITE)
    sc.part = "steak"
    draw_steak(sc, 64, 64, 42, 0.35)
    return {}


@_observed("8_8", "whole fish and shrimp")
def _fish_and_shrimp(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_plain(rng)
    draw_plate(sc, 64, 64, 61, 0.93, 0.0, _WHITE)
    draw_fish(sc, 60, 56, 80, 0.35)
    draw_shrimp(sc, 40, 92, 17, 0.4)
    draw_shrimp(sc, 86, 94, 17, 3.5)
    return {}


@_observed("9_9", "bowl of soup seen from above", parts=("rim", "soup"))
def _soup_bowl(sc: Scene, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sc.img[:] = bg_wood(rng)
    ves = draw_bowl(sc, 64, 64, 56, 1.0, 0.0, rgb((0.95, 0.95, 0.93)), rim=0.1)
    bowl = cov(sd_circle(X - 64, Y - 64, 56))
    sc.part = "soup"
    soup = draw_soup(sc, 64, 64, ves.r, ves, kind=1, bits=1)
    # The rim: the bowl around the soup, from its outer edge to the liquid (the bowl's contour); not food.
    return {"rim": (bowl >= 0.5) & (soup < 0.5)}


#: The ten observation images (file stems in ``food/``, sorted as the course indexes them 0..9).
OBSERVATION = [(entry.stem, entry.description) for entry in _ENTRIES]

#: Part masks written to ``food/parts/<stem>_<part>.png``. All are food except 9_9's "rim": the bowl
#: around the soup (from its outer edge to the liquid), i.e. the bowl's contour.
PARTS = {entry.stem: list(entry.parts) for entry in _ENTRIES if entry.parts}


def draw_observation(stem: str) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Draw observation image ``stem``: image (S x S x 3 uint8), food mask (S x S bool) and part masks."""
    stems = [entry.stem for entry in _ENTRIES]
    if stem not in stems:
        raise ValueError(f"unknown observation image {stem!r}; the designed ones are {stems}.")
    index = stems.index(stem)
    rng = np.random.default_rng([20_240_509, index])
    sc = Scene(rng, light_angle=_LIGHT)
    extra = _ENTRIES[index].design(sc, rng)
    sc.part = None
    img = finish(sc, rng, fixed=True)
    parts = {name: sc.parts[name] >= 0.5 for name in _ENTRIES[index].parts if name in sc.parts}
    parts.update(extra)
    return img, sc.food >= 0.5, parts
