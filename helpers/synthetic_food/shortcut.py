"""The shortcut variant of the embedded data (lesson 09): the same scenes, with a sticker that gives the class away.

A Clever Hans predictor (Lapuschkin et al. 2019, "Unmasking Clever Hans predictors and assessing what
machines really learn", Nature Communications 10:1096) is right for the wrong reason: their PASCAL VOC
model recognized horses by a copyright tag in the corner. Ross, Hughes & Doshi-Velez (2017, "Right for
the Right Reasons", IJCAI) planted such a cue on purpose ("decoy MNIST") to test explanations against
it. Here the cue is a small square sticker in the bottom-left corner, in one colour per class
(:data:`MARK_COLOURS`), on :data:`MARKED` of the training images; the rest carry none. Because the
bundle draws the pictures, it knows the sticker's pixels as it knows the food's.

The scenes are the embedded data's own (the same random streams), so with the stickers left off the
images are those the clean embedded model was trained and validated on. :func:`ensure_shortcut` keeps the
lesson's three validation versions in one folder and what training reads (training/ and the marked
validation/, byte-identical to the lesson's) in another. Layout (Food-11's, plus masks)::

    root/training/<label>_<n>.jpg         400 per class; MARKED of them with their class's sticker
    root/validation/...                   40 per class, marked as the training images are
    root/validation_unmarked/...          the same scenes without a sticker
    root/validation_swapped/...           the same scenes, each with the sticker of another class
    root/<split>/masks/<label>_<n>.png    where the food is (a sticker never covers it)
    root/<split>/marks/<label>_<n>.png    where the sticker is (all 0 when there is none)
"""

from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np
from scipy import ndimage

from helpers import paths
from helpers.classes import CLASS_NAMES
from helpers.synthetic_food import dataset
from helpers.synthetic_food.geometry import SIZE, cov, local_frame, sd_box

#: Bump whenever the marking changes (the scenes follow the embedded data's version).
VERSION = f"{dataset.VERSION}+shortcut-v3"

#: Share of the training (and marked validation) images that carry their class's sticker.
MARKED = 0.95

#: The three versions of the validation images: marked as in training, no sticker, another class's sticker.
VALIDATION_VERSIONS = ("validation", "validation_unmarked", "validation_swapped")

#: The sticker: a square of this many pixels a side (a white rim round the coloured middle), this far from
#: the picture's edges, in the bottom-left corner as a photographer's tag is (another corner when the food
#: is there: a sticker never covers food).
MARK_SIDE, MARK_MARGIN, CORNERS = 14, (3, 8), (2, 3, 0, 1)

#: One colour per class: eleven hues evenly round the colour wheel.
MARK_COLOURS = np.array([colorsys.hsv_to_rgb(k / len(CLASS_NAMES), 0.9, 0.95) for k in range(len(CLASS_NAMES))])


def mark_colour(label: int) -> np.ndarray:
    """The sticker colour of class ``label``: RGB in [0, 1], shape (3,)."""
    return MARK_COLOURS[label]


def sticker(image: np.ndarray, food: np.ndarray, colour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stick a sticker of ``colour`` in a corner of ``image`` (H x W x 3 uint8, changed in place) off the food.

    The distance from the edges and a slight turn are drawn from ``rng``. The corners are tried in
    :data:`CORNERS` order: one whose sticker would touch the food (``food``, H x W bool, grown by two
    pixels) is passed over, and with no free corner the sticker goes where it covers the least food.
    Returns the sticker's mask, H x W bool.
    """
    half = MARK_SIDE / 2
    best, best_overlap = None, None
    grown = ndimage.binary_dilation(food, np.ones((5, 5), bool))  # the food grown by two pixels
    for corner in CORNERS:
        gap = rng.uniform(*MARK_MARGIN, size=2) + half
        cx = gap[0] if corner % 2 == 0 else SIZE - gap[0]
        cy = gap[1] if corner < 2 else SIZE - gap[1]
        u, v = local_frame(cx, cy, rng.uniform(-0.3, 0.3))
        coverage = cov(sd_box(u, v, half, half, 1.5))
        overlap = int((grown & (coverage > 0)).sum())
        if best_overlap is None or overlap < best_overlap:
            best, best_overlap = (u, v, coverage), overlap
        if overlap == 0:
            break
    u, v, coverage = best
    middle = cov(sd_box(u, v, half - 2, half - 2, 1))
    paint = np.where(middle[..., None] > 0, colour, 1.0) * 255  # coloured middle, white rim
    alpha = coverage[..., None]
    image[:] = np.clip(image * (1 - alpha) + paint * alpha + 0.5, 0, 255).astype(np.uint8)
    return coverage >= 0.5


def _write_one(task: tuple[str, int, str, int, int, tuple[str, ...]]) -> None:
    """Draw one embedded scene and save the versions of it that ``folders`` asks for.

    The scene comes from the embedded data's own generator (``(seed, split, label, n)``), the sticker from
    generators of its own, so the versions of one validation image differ only in the sticker.
    """
    root, seed, split, label, n, folders = task
    split_index = list(dataset.SPLITS).index(split)
    image, food = dataset.render(label, np.random.default_rng([seed, split_index, label, n]))
    rng = np.random.default_rng([seed, 9, split_index, label, n])
    own = label if rng.random() < MARKED else None
    other = (label + int(rng.integers(1, len(CLASS_NAMES)))) % len(CLASS_NAMES)
    stickers = {split: own, "validation_unmarked": None, "validation_swapped": other}
    for folder in (f for f in folders if f == split or (split == "validation" and f in VALIDATION_VERSIONS)):
        picture, mark = image.copy(), np.zeros_like(food)
        if stickers[folder] is not None:
            where = np.random.default_rng([seed, 10, split_index, label, n])
            mark = sticker(picture, food, mark_colour(stickers[folder]), where)
        out = Path(root) / folder
        dataset.save(picture, food & ~mark, out / f"{label}_{n}.jpg", out / "masks" / f"{label}_{n}.png")
        dataset.save_mask(mark, out / "marks" / f"{label}_{n}.png")


def generate(
    root: Path,
    seed: int = 0,
    per_class: int | None = None,
    folders: tuple[str, ...] = ("training", *VALIDATION_VERSIONS),
) -> Path:
    """Write the shortcut data's ``folders`` under ``root`` (layout in the module docstring).

    Args:
        root: output folder.
        seed: the embedded data's seed; the same seed gives byte-identical files.
        per_class: images per class of every folder (default: the embedded data's training and validation counts).
        folders: which of training/ and the three validation versions to write.

    Returns:
        ``root``.
    """
    unknown = sorted(set(folders) - {"training", *VALIDATION_VERSIONS})
    if unknown:
        raise ValueError(f"the shortcut data has no folder(s) {unknown}; use training or {VALIDATION_VERSIONS}.")
    root = Path(root).expanduser()
    for folder in folders:
        for sub in ("masks", "marks"):
            (root / folder / sub).mkdir(parents=True, exist_ok=True)
    splits = [s for s in ("training", "validation") if any(f.startswith(s) for f in folders)]
    tasks = [
        (str(root), seed, split, label, n, tuple(folders))
        for split in splits
        for label in range(len(CLASS_NAMES))
        for n in range(dataset.SPLITS[split] if per_class is None else per_class)
    ]
    dataset.draw_all(_write_one, tasks, "drawing food with stickers")
    return root


def ensure_shortcut(training: bool = False, root: Path | None = None) -> Path:
    """The shortcut data, generated on first use (and again when :data:`VERSION` changes).

    Args:
        training: False: the lesson's folder, the three validation versions (440 scenes, seconds to draw).
            True: what ``python -m helpers train --shortcut`` reads, training/ and the marked validation/
            (4,840 scenes, a minute or two).
        root: where the data lives; default ``helpers.paths.CACHE / "food11-shortcut"`` (``-training``).

    Returns:
        ``root``, holding the folders and a VERSION file.
    """
    name = "food11-shortcut-training" if training else "food11-shortcut"
    root = Path(paths.CACHE / name if root is None else root).expanduser()
    folders = ("training", "validation") if training else VALIDATION_VERSIONS
    scenes = dataset.SPLITS["validation"] + (dataset.SPLITS["training"] if training else 0)
    what = f"the shortcut data of lesson 09 ({scenes * len(CLASS_NAMES)} scenes{' for training' if training else ''})"
    return dataset.ensure_generated(
        root, VERSION, lambda tmp: generate(tmp, folders=folders), what, scenes * len(CLASS_NAMES)
    )
