"""Food-11's names: its eleven classes in the course's label order, how copies in the wild spell them, and
their split folders. Torch-free, so that the data generator's worker processes, ``fetch`` and the command
line can read it cheaply.

Copies of Food-11 name things differently: the course's files are ``<label>_<n>.jpg``; Kaggle's
"food11-image-dataset" has class folders such as ``Dairy product/`` and ``Noodles-Pasta/``; people unzip
them into ``train/`` or ``test/``. :func:`class_of` and :func:`split_of` read all of those.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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

#: Folder names that mean a split in the copies of Food-11 found in the wild.
SPLIT_ALIASES: dict[str, str] = {
    "training": "training",
    "train": "training",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "evaluation": "evaluation",
    "eval": "evaluation",
    "test": "evaluation",
    "testing": "evaluation",
    "food": "food",
}

#: Image file endings read everywhere (compared in lower case).
IMAGE_SUFFIXES: frozenset[str] = frozenset({".jpg", ".jpeg", ".png"})

#: The course's file names: ``<label>_<n>.<ext>``, label = class index.
LABELLED_NAME = re.compile(r"^(\d+)_(\d+)\.(jpe?g|png)$", re.IGNORECASE)


def _key(name: str) -> str:
    """A spelling-free key: lower case, letters and digits only, a plural ``s`` dropped from each word
    ("Noodles-Pasta" -> "noodlepasta", "dairy_products" -> "dairyproduct")."""
    words = re.findall(r"[a-z]+|\d+", name.lower())
    return "".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


_BY_KEY = {_key(name): label for label, name in enumerate(CLASS_NAMES)}


def class_index(name: str) -> int | None:
    """The label of a class name however it is spelled (case, spaces, ``-``, ``_``, ``/``, a plural
    ``s``), e.g. "Dairy product", "dairy_product", "Noodles-Pasta", "Vegetable/Fruit"; None if it is none."""
    return _BY_KEY.get(_key(name))


def find_class(folders: Sequence[str]) -> tuple[int, int] | None:
    """``(label, position)`` of the last class folder among ``folders`` (path parts, outermost first), or None;
    ``position`` is the index of the folder's first part.

    Two neighbouring parts count as one name too, since "Noodles/Pasta" unzips to ``Noodles/Pasta/``.
    """
    for i in range(len(folders) - 1, -1, -1):
        label = class_index(folders[i])
        if label is not None:
            return label, i
        label = class_index("/".join(folders[i - 1 : i + 1])) if i else None
        if label is not None:
            return label, i - 1
    return None


def class_of(folders: Sequence[str]) -> int | None:
    """The label of the last class folder among ``folders`` (see :func:`find_class`), or None."""
    found = find_class(folders)
    return None if found is None else found[0]


def split_of(folder: str) -> str | None:
    """The split a folder name stands for ("train" -> "training", "Test" -> "evaluation"), or None."""
    return SPLIT_ALIASES.get(folder.lower())


def natural_key(text: str) -> tuple[str | int, ...]:
    """Sort key that orders digits by value ("img2" before "img10"); starts with a str, then alternates."""
    return tuple(int(p) if i % 2 else p.lower() for i, p in enumerate(re.split(r"(\d+)", text)))
