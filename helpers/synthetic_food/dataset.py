"""Drawing and writing the data set: one random scene per (seed, split, label, n), the designed
observation images, and the cached embedded copy (:func:`ensure_embedded`)."""

from __future__ import annotations

import math
import multiprocessing
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from helpers import paths
from helpers.checks import check_int
from helpers.classes import CLASS_NAMES
from helpers.synthetic_food.foods import DRAWERS, FILLS_VESSEL
from helpers.synthetic_food.observed import OBSERVATION, draw_observation
from helpers.synthetic_food.scene import Scene, background, finish
from helpers.synthetic_food.tableware import draw_clutter, draw_occluder, draw_vessel

#: Bump whenever the drawing changes: ensure_embedded() regenerates caches with another version.
VERSION = "food11-synthetic-v5.1"  # v5.1: v5 plus the difficult split (the others unchanged)


#: Images per class in each split: Food-11's three folders, plus two that only measure: the held-out
#: style split (tables, plates and light that the other splits never use), which measures generalization
#: beyond the generator, and the difficult split (below). New splits go at the end: a split's position
#: seeds its images, so the others stay byte-identical.
SPLITS = {"training": 400, "validation": 40, "evaluation": 40, "heldout_style": 20, "difficult": 20}

#: The splits drawn in the held-out style.
HELDOUT_SPLITS = frozenset({"heldout_style"})

#: The splits framed the hard way, as the "difficult" subset of Zhang et al. (Top-down Neural Attention
#: by Excitation Backprop, ECCV 2016; IJCV 2018): the food is small and off the centre, and in most
#: images another dish shares the table. Photos, like the other splits, put the food in the middle, so a
#: map that only guesses the centre finds it there; here it cannot. Nothing is trained on it.
DIFFICULT_SPLITS = frozenset({"difficult"})

#: Difficult framing: the dish's centre this many pixels from the image's, at this camera zoom (the
#: other splits: within about 7 pixels, zoom 0.72-1.12), the other dish on the opposite side.
DIFFICULT_OFFSET, DIFFICULT_ZOOM, OTHER_DISH = (34.0, 40.0), (0.42, 0.55), 0.6


JPEG_QUALITY = 90


def render(
    label: int, rng: np.random.Generator, heldout: bool = False, difficult: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one random scene of class ``label``.

    Args:
        label: class index 0..10 (CLASS_NAMES order).
        rng: the generator every random choice is drawn from.
        heldout: draw in the held-out style (tables, plates and light training never uses).
        difficult: frame it as the difficult split does (:data:`DIFFICULT_SPLITS`).

    Returns:
        image (128 x 128 x 3 uint8) and mask (128 x 128 bool, True where the food of class ``label`` is;
        another dish on the table is not in it).
    """
    label = check_int("label (a class index)", label, 0, len(CLASS_NAMES) - 1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}.")
    sc = Scene(rng, heldout=heldout)
    # Everything up to the food is drawn the same way whatever the label.
    sc.img[:] = background(rng, heldout)
    draw_clutter(sc)
    place = None
    if difficult:
        place, other_place = _difficult_places(rng)
        if rng.random() < OTHER_DISH:
            _draw_dish(sc, (label + int(rng.integers(1, len(CLASS_NAMES)))) % len(CLASS_NAMES), other_place)
            sc.food[:] = 0  # the other dish is not the labelled food
            sc.parts.clear()
    _draw_dish(sc, label, place)
    return finish(sc, rng), sc.food >= 0.5


def _difficult_places(rng: np.random.Generator) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """(x, y, zoom) of the labelled dish, off the centre, and of another dish on the opposite side."""
    turn = rng.uniform(0, math.tau)
    places = []
    for angle in (turn, turn + math.pi + rng.uniform(-0.4, 0.4)):
        r = rng.uniform(*DIFFICULT_OFFSET)
        places.append((64 + r * math.cos(angle), 64 + r * math.sin(angle), rng.uniform(*DIFFICULT_ZOOM)))
    return places[0], places[1]


def _draw_dish(sc: Scene, label: int, place: tuple[float, float, float] | None = None) -> None:
    """A plate or bowl (at ``place``, or near the centre) with food of class ``label``, maybe partly hidden."""
    rng = sc.rng
    ves = draw_vessel(sc, place)
    s = ves.r * rng.uniform(0.92, 1.08)
    cx, cy = ves.cx + rng.normal(0, 0.06 * ves.r), ves.cy + rng.normal(0, 0.06 * ves.r)
    if label not in FILLS_VESSEL and rng.random() < 0.15:  # two portions side by side
        a, d = rng.uniform(0, math.tau), 0.42 * s
        for side in (-1, 1):
            DRAWERS[label](sc, cx + side * d * math.cos(a), cy + side * d * math.sin(a), 0.58 * s, ves)
    else:
        DRAWERS[label](sc, cx, cy, s, ves)
    if rng.random() < 0.2:
        draw_occluder(sc, cx, cy, s)


def save(img: np.ndarray, mask: np.ndarray, image_path: Path, mask_path: Path) -> None:
    """Save an image (S x S x 3 uint8) as JPEG and its mask (S x S bool) with :func:`save_mask`."""
    Image.fromarray(img).save(image_path, quality=JPEG_QUALITY)
    save_mask(mask, mask_path)


def save_mask(mask: np.ndarray, path: Path) -> None:
    """Save a mask (S x S bool) as an 8-bit PNG, 255 inside."""
    Image.fromarray(mask.astype(np.uint8) * 255).save(path)


def _write_one(task: tuple[str, int, int, int, int]) -> None:
    """Render and save one image; the random generator depends only on (seed, split, label, n)."""
    folder, seed, split_index, label, n = task
    split = list(SPLITS)[split_index]
    rng = np.random.default_rng([seed, split_index, label, n])
    img, mask = render(label, rng, split in HELDOUT_SPLITS, split in DIFFICULT_SPLITS)
    folder_path = Path(folder)
    save(img, mask, folder_path / f"{label}_{n}.jpg", folder_path / "masks" / f"{label}_{n}.png")


def _check_counts(per_class: dict[str, int] | None) -> dict[str, int]:
    """Images per class for each split to write, in :data:`SPLITS` order (all of SPLITS when None)."""
    if per_class is None:
        return dict(SPLITS)
    if not isinstance(per_class, dict):
        raise TypeError(f"per_class must be a dict like {SPLITS}, got {type(per_class).__name__}.")
    unknown = sorted(set(per_class) - set(SPLITS))
    if unknown:
        raise ValueError(f"per_class has unknown split(s) {unknown}; use some of {list(SPLITS)}.")
    return {split: check_int(f"per_class[{split!r}]", per_class[split], 0) for split in SPLITS if split in per_class}


def _write_observation(folder: Path) -> None:
    """Write the ten observation images, their masks and part masks into ``folder`` (e.g. root/food)."""
    folder = Path(folder)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    (folder / "parts").mkdir(exist_ok=True)
    for stem, _ in OBSERVATION:
        img, mask, parts = draw_observation(stem)
        save(img, mask, folder / f"{stem}.jpg", folder / "masks" / f"{stem}.png")
        for name, part in parts.items():
            save_mask(part, folder / "parts" / f"{stem}_{name}.png")


def draw_all(work: Callable[[tuple], None], tasks: list[tuple], desc: str) -> None:
    """Run ``work`` on every task, in worker processes when there are many, with a progress bar.

    Each task seeds its own random generator, so the files do not depend on the order or the workers.
    """
    workers = min(8, os.cpu_count() or 1)
    bar = tqdm(total=len(tasks), desc=desc, unit="img", disable=len(tasks) < 100)
    if workers < 2 or len(tasks) < 100:
        for task in tasks:
            work(task)
            bar.update()
    else:
        # fork where it is safe and cheap (Linux); spawn elsewhere (macOS, Windows).
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ctx.Pool(workers) as pool:
            for _ in pool.imap_unordered(work, tasks, chunksize=16):
                bar.update()
    bar.close()


def generate(root: Path, seed: int = 0, per_class: dict[str, int] | None = None) -> Path:
    """Write the synthetic data set under ``root`` (layout in the module docstring).

    Args:
        root: output folder (created; existing files with the same names are overwritten).
        seed: whole number >= 0; the same seed gives byte-identical files.
        per_class: images per class for some of the splits, e.g. ``{"training": 3}``; splits left out
            are not written. Default: :data:`SPLITS`.

    Returns:
        ``root``.
    """
    seed = check_int("seed", seed, 0)
    counts = _check_counts(per_class)
    root = Path(root).expanduser()
    split_index = {split: i for i, split in enumerate(SPLITS)}
    tasks = []
    for split, count in counts.items():
        (root / split / "masks").mkdir(parents=True, exist_ok=True)
        tasks += [
            (str(root / split), seed, split_index[split], label, n)
            for label in range(len(CLASS_NAMES))
            for n in range(count)
        ]
    _write_observation(root / "food")
    draw_all(_write_one, tasks, "drawing synthetic food")
    return root


def ensure_embedded(root: Path | None = None) -> Path:
    """The embedded data folder, generated on first use (and again when :data:`VERSION` changes).

    Args:
        root: where the data lives; default ``helpers.paths.CACHE / "food11-synthetic"``.

    Returns:
        ``root``, holding training/, validation/, evaluation/, food/ and a VERSION file.
    """
    root = Path(paths.CACHE / "food11-synthetic" if root is None else root).expanduser()
    total = sum(SPLITS.values()) * len(CLASS_NAMES)
    return ensure_generated(root, VERSION, generate, f"the embedded synthetic Food-11 data ({total} images)", total)


def ensure_generated(root: Path, version: str, make: Callable[[Path], object], what: str, images: int) -> Path:
    """``root``, written by ``make(folder)`` unless it already holds ``version`` (its VERSION file).

    The data is written into a temporary folder beside ``root`` and renamed into place once complete, so
    an interrupted run never leaves a folder that looks finished; a folder without a VERSION file (not
    ours) is left alone.
    """
    stamp = root / "VERSION"
    if stamp.is_file() and stamp.read_text().strip() == version:
        return root
    if root.exists() and not stamp.is_file() and (not root.is_dir() or any(root.iterdir())):
        raise RuntimeError(
            f"{root} exists but is not a generated synthetic data folder (it has no VERSION file), so it "
            "is left alone. Pass another root, or move that folder away."
        )
    estimate = max(5, round(images * 0.025 / min(2, os.cpu_count() or 1)))
    print(f"Generating {what} in {root} (takes ~{estimate} s, once).", flush=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.parent / f".{root.name}.partial-{os.getpid()}"
    old = root.parent / f".{root.name}.old-{os.getpid()}"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)  # a leftover of this very process
        make(tmp)
        # The VERSION file goes in before the rename, so a complete folder is never left unmarked.
        (tmp / "VERSION").write_text(version + "\n")
        if root.exists():
            root.rename(old)
        try:
            tmp.rename(root)
        except OSError:
            # Another process put its copy in place first; keep it when it is current.
            if not (stamp.is_file() and stamp.read_text().strip() == version):
                raise
    finally:
        for leftover in (tmp, old):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return root
