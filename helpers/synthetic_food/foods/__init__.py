"""The eleven food drawers, one per Food-11 class, as a table indexed by the class.

Each drawer paints its class's food centred near (cx, cy) with size ``s`` (a radius, pixels) on the
scene's vessel: ``drawer(scene, cx, cy, s, vessel)``. One variant is drawn per image (see the package
docstring for what each class looks like).
"""

from __future__ import annotations

from collections.abc import Callable

from helpers.synthetic_food.foods.baked import draw_bread, draw_dessert
from helpers.synthetic_food.foods.dairy_eggs import draw_dairy, draw_egg
from helpers.synthetic_food.foods.hot_dishes import draw_fried, draw_meat, draw_noodles, draw_rice
from helpers.synthetic_food.foods.sea_soup_garden import draw_seafood, draw_soup, draw_veg
from helpers.synthetic_food.scene import Scene, Vessel

Drawer = Callable[[Scene, float, float, float, Vessel], object]

#: ``DRAWERS[label]`` draws class ``label`` (CLASS_NAMES order).
DRAWERS: tuple[Drawer, ...] = (
    draw_bread,  # 0 Bread
    draw_dairy,  # 1 Dairy product
    draw_dessert,  # 2 Dessert
    draw_egg,  # 3 Egg
    draw_fried,  # 4 Fried food
    draw_meat,  # 5 Meat
    draw_noodles,  # 6 Noodles/Pasta
    draw_rice,  # 7 Rice
    draw_seafood,  # 8 Seafood
    draw_soup,  # 9 Soup
    draw_veg,  # 10 Vegetable/Fruit
)

#: Classes whose food fills its vessel (soup), never drawn as two portions side by side.
FILLS_VESSEL = frozenset({9})
