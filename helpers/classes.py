"""Food-11's eleven classes, in the course's label order (label = index). Torch-free, so that the data
generator's worker processes and the command line can read it cheaply."""

from __future__ import annotations

CLASS_NAMES: tuple[str, ...] = (
    "Bread",
    "Dairy product",
    "Dessert",
    "Egg",
    "Fried food",
    "Meat",
    "Noodles/Pasta",
    "Rice",
    "Seafood",
    "Soup",
    "Vegetable/Fruit",
)
