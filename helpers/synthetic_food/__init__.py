"""Embedded default data: deterministic, photo-like synthetic food images in Food-11's layout.

The course's Food-11 photos cannot ship with the bundle, so the bundle draws its own: the eleven
Food-11 classes in the course's order, 128 x 128 RGB, each image with a ground-truth mask of where the
food is. The masks let the notebooks measure how much of an explanation's attribution lands on the food.

Every surface carries photographic texture (blotches, mottling, grain and pits at several scales, glints
on the food), so hiding a patch of it removes information as it does on a photo. Scenes vary the camera's
distance and tilt, the light, the colour cast, occlusion and the number of portions.

Everything that is not food (the table, the plate or bowl, cutlery, napkins, cups, crumbs, the light,
the camera's colour cast and noise) is drawn independently of the class, so a classifier can only learn
the label from the food itself. Each image has its own random generator seeded from
``(seed, split, label, n)``: the same seed gives byte-identical files whatever the order or the number
of worker processes.

Layout written by :func:`generate` (Food-11's, plus masks)::

    root/training/<label>_<n>.jpg        n counts from 0 within each class; JPEG quality 90
    root/training/masks/<label>_<n>.png  8-bit L, 255 where the food is, 0 elsewhere
    root/validation/..., root/evaluation/...
    root/heldout_style/...               the same, drawn with tables, plates and light training never uses
    root/difficult/...                   the same, the food small and off the centre, often beside another
                                         dish (not in the mask): for measuring explanations, never trained on
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

The package, one module per idea: :mod:`.geometry` (pixel grid, signed distances, coverage),
:mod:`.textures` (noise, grain, colour fields), :mod:`.scene` (canvas, light, tables, camera finish),
:mod:`.tableware` (plates, bowls, clutter), :mod:`.foods` (the table of eleven food drawers),
:mod:`.observed` (the ten designed observation images) and :mod:`.dataset` (drawing and writing the
data set, :func:`ensure_embedded`).
"""

from __future__ import annotations

from helpers.classes import CLASS_NAMES
from helpers.synthetic_food.dataset import (
    DIFFICULT_SPLITS,
    JPEG_QUALITY,
    SPLITS,
    VERSION,
    ensure_embedded,
    generate,
    render,
)
from helpers.synthetic_food.geometry import SIZE
from helpers.synthetic_food.observed import OBSERVATION, PARTS

__all__ = [
    "CLASS_NAMES",
    "DIFFICULT_SPLITS",
    "JPEG_QUALITY",
    "OBSERVATION",
    "PARTS",
    "SIZE",
    "SPLITS",
    "VERSION",
    "ensure_embedded",
    "generate",
    "render",
]
