"""Food-11 on disk, as people have it, loaded as the course did.

A data folder is read in either of Food-11's layouts (or both at once):

- the course's: images named ``<label>_<n>.jpg`` directly in the folder (label = class index), as in
  Food-11's ``training/`` or the course's ten-image ``food/`` folder;
- class folders: ``<Class name>/<anything>.jpg`` at any depth below it, as in Kaggle's
  "food11-image-dataset" (``Dairy product/``, ``Noodles-Pasta/``; spelling is forgiven, see
  :func:`helpers.classes.class_index`) or a few photos of your own sorted into ``Bread/``, ``Soup/``, ...

Images may be ``.jpg``, ``.jpeg`` or ``.png`` in any case, any size, grayscale, CMYK, palette or with
transparency (laid on white); a phone's EXIF rotation is applied. An image that cannot be read is
reported by path and skipped, never a crash halfway through a long job.

The course's transform is only "resize to 128x128, to tensor": pixel values in [0, 1], aspect ratio
not kept, no mean/std normalization. An optional ``masks/`` subfolder (the embedded synthetic data
has one) holds ``<label>_<n>.png`` ground-truth masks of where the food is.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image, ImageOps

from helpers.classes import CLASS_NAMES, IMAGE_SUFFIXES, LABELLED_NAME, class_of, natural_key, split_of

IMAGE_SIZE = 128
#: Folders beside the images that are not images of a class: the embedded data's ground truth.
_AUX_FOLDERS = {"masks", "parts", "marks"}


class DataError(ValueError):
    """The data folder or one of its files cannot be used; the message says which and how to fix it."""


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.lower() == "__macosx"


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any PIL mode as RGB: 16-bit gray scaled to 8 bits, transparency laid on white, the rest converted."""
    if img.mode.startswith("I"):  # 16/32-bit grayscale PNG: PIL's own conversion would clip it to white
        gray = np.asarray(img, dtype=np.float64)
        gray = gray / 257 if gray.max() > 255 else gray
        return Image.fromarray(gray.clip(0, 255).astype(np.uint8), "L").convert("RGB")
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return img.convert("RGB")


def read_rgb(path: Path | BinaryIO, size: int = IMAGE_SIZE, name: str | None = None) -> np.ndarray:
    """One image as size x size x 3 uint8 (EXIF rotation applied, then a bilinear resize like torchvision's
    Resize on PIL images). Raises DataError naming the file when it cannot be decoded.

    ``path`` may also be an open binary file (an uploaded photo); ``name`` is what messages then call it.
    """
    try:
        with Image.open(path) as img:
            img.load()  # decode now, so truncated files fail here with their name
            upright = ImageOps.exif_transpose(img)
            return np.asarray(_to_rgb(upright).resize((size, size), Image.BILINEAR))
    except Exception as err:  # noqa: BLE001 - a damaged file can make a decoder raise almost anything
        raise DataError(f"cannot read image {name or path}: {type(err).__name__}: {err}") from err


def find_split(root: Path, split: str, depth: int = 3) -> Path | None:
    """The folder of ``split`` ("training", "validation", "evaluation" or "food") at most ``depth`` levels
    below ``root``, under any of its names (``train/``, ``val/``, ``test/``, ...); None when there is none.

    The shallowest wins; two at the same depth (e.g. ``a/training`` and ``b/training``) are an error.
    """
    level = [Path(root)]
    for _ in range(depth + 1):
        found = sorted(p for p in level if p != Path(root) and split_of(p.name) == split)
        if len(found) > 1:
            raise DataError(
                f"{root} holds {len(found)} {split} folders: {', '.join(map(str, found))}. "
                "Point at the one you mean (or move the other away)."
            )
        if found:
            return found[0]
        level = [Path(e.path) for p in level for e in os.scandir(p) if e.is_dir() and not _hidden(e.name)]
    return None


def split_folder(data: str | Path, split: str) -> Path:
    """The folder of ``split`` inside a Food-11 copy ``data`` (at any depth), or ``data`` itself when it
    has no such folder (then it is taken as a folder of images)."""
    data = Path(data).expanduser()
    return (find_split(data, split) if data.is_dir() else None) or data


def scan(folder: Path) -> tuple[list[tuple[int, Path]], dict[str, int]]:
    """The labelled images of a data folder in the course's order, and images left out per folder.

    Returns ``(entries, left_out)``: ``entries`` = (label, path) sorted by label, then by file name
    (digits by value, so ``3_2.jpg`` comes before ``3_10.jpg``); ``left_out`` = {folder: image count} for
    subfolders that are no Food-11 class. Raises DataError when nothing usable is found.
    """
    keyed: list[tuple[int, tuple, Path]] = []
    unnamed: list[str] = []
    left_out: Counter[str] = Counter()
    flat = 0
    children = [e for e in os.scandir(folder) if not _hidden(e.name)]
    for entry in children:
        path = Path(entry.path)
        if entry.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            match = LABELLED_NAME.match(path.name)
            if match is None:
                unnamed.append(path.name)
            else:
                keyed.append((int(match[1]), natural_key(path.name), path))
                flat += 1
        elif entry.is_dir() and split_of(path.name):  # a split of a whole copy: not this folder's images
            left_out[f"{path.name}/"] += len(_images_below(path))
        elif entry.is_dir() and path.name.lower() not in _AUX_FOLDERS:
            for image in _images_below(path):
                relative = image.relative_to(folder)
                label = class_of(relative.parts[:-1])
                if label is None:
                    left_out[f"{path.name}/"] += 1
                else:
                    keyed.append((label, natural_key(relative.as_posix()), image))
    if unnamed and len(keyed) > flat:  # beside class folders: stray files at the top are left out
        left_out["(top level, not named '<label>_<n>.jpg')"] = len(unnamed)
        unnamed = []
    _check_found(folder, keyed, unnamed, left_out, children)
    out_of_range = sorted(p.name for label, _, p in keyed if label >= len(CLASS_NAMES))
    if out_of_range:
        raise DataError(
            f"labels must be 0..{len(CLASS_NAMES) - 1} (Food-11 has {len(CLASS_NAMES)} classes), "
            f"but {folder} has {', '.join(out_of_range[:3])}."
        )
    keyed.sort(key=lambda e: (e[0], e[1]))
    return [(label, path) for label, _, path in keyed], dict(left_out)


def _images_below(folder: Path) -> list[Path]:
    """Image files anywhere below ``folder``, hidden files and folders left out."""
    found = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not _hidden(d)]
        found += [
            Path(top, name) for name in files if Path(name).suffix.lower() in IMAGE_SUFFIXES and not _hidden(name)
        ]
    return found


def _check_found(folder: Path, keyed: list, unnamed: list[str], left_out: Counter, children: list) -> None:
    """Raise a DataError that says what the folder holds instead, when it holds no usable image."""
    classes = ", ".join(CLASS_NAMES)
    if unnamed:
        raise DataError(
            f"{len(unnamed)} image name(s) in {folder} do not follow Food-11's '<label>_<number>.jpg' naming, "
            f"e.g. {', '.join(sorted(unnamed)[:3])}. Rename them (label = class index 0..10: {classes}) or "
            "sort them into class folders named after their class (e.g. Bread/, Soup/)."
        )
    if keyed:
        return
    splits = sorted(e.name + "/" for e in children if e.is_dir() and split_of(e.name))
    if splits:
        raise DataError(
            f"{folder} holds the splits {', '.join(splits)}, not images: point at one of them, "
            f"e.g. {Path(folder) / splits[0]}"
        )
    if left_out:
        raise DataError(
            f"{folder} holds no Food-11 class folder, only {', '.join(sorted(left_out))}. Name the "
            f"folders after the classes ({classes}) or rename the images '<label>_<number>.jpg'."
        )
    raise DataError(
        f"data folder {folder} holds no images named '<label>_<number>.jpg' and no class folders. "
        "Point data_dir at Food-11's training/, validation/ or evaluation/ folder, or at food/."
    )


class FoodDataset:
    """The images of one Food-11 folder, sorted by label then name (the course's order).

    Args:
        folder: a folder of ``<label>_<n>.jpg`` files (e.g. Food-11's ``training/`` or the course's
            ``food/``) or of class folders (e.g. Kaggle's ``training/`` with ``Bread/``, ``Egg/``, ...).

    Attributes:
        paths, labels: one per image, in order.
        left_out: {subfolder: images} of subfolders that are no Food-11 class (reported once, on reading).
        unreadable: {path: reason} of the images that could not be decoded so far (skipped by :meth:`load`).
    """

    def __init__(self, folder: str | Path) -> None:
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise DataError(
                f"data folder {folder} does not exist. Use data_dir=None for the embedded default data, "
                "or get Food-11 with `python -m helpers fetch food11 --from ZIP_OR_URL`."
            )
        entries, self.left_out = scan(folder)
        if self.left_out:
            shown = ", ".join(f"{name} ({count})" for name, count in sorted(self.left_out.items())[:5])
            _report(f"left out images in folders of {folder} that are no Food-11 class: {shown}")
        self.folder = folder
        self.paths = [p for _, p in entries]
        self.labels = [label for label, _ in entries]
        self.mask_folder = folder / "masks" if (folder / "masks").is_dir() else None
        self.unreadable: dict[Path, str] = {}

    def __len__(self) -> int:
        return len(self.paths)

    def _check(self, indices: Sequence[int]) -> list[int]:
        indices = [int(i) for i in indices]
        wrong = [i for i in indices if not -len(self) <= i < len(self)]
        if wrong:
            raise IndexError(f"indices {wrong} are out of range for {self.folder} ({len(self)} images)")
        return indices

    def load(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        """Images K x 3 x 128 x 128 (float32 in [0, 1]), labels K (int64) and the K indices they are.

        An image that cannot be decoded is reported (path, reason, count so far) and left out, so K can be
        smaller than ``len(indices)``.
        """
        pixels, kept = [], []
        for i in self._check(indices):
            try:
                pixels.append(read_rgb(self.paths[i]))
                kept.append(i)
            except DataError as err:
                self.unreadable[self.paths[i]] = str(err)
                _report(f"skipped: {err} ({len(self.unreadable)} unreadable image(s) in {self.folder} so far)")
        stacked = np.stack(pixels) if pixels else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
        images = torch.from_numpy(stacked).permute(0, 3, 1, 2).float().div_(255)
        return images, torch.tensor([self.labels[i] for i in kept], dtype=torch.long), kept

    def getbatch(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Images K x 3 x 128 x 128 (float32 in [0, 1]) and labels K (int64); unreadable images left out."""
        images, labels, _ = self.load(indices)
        return images, labels

    def masks(self, indices: Sequence[int], kind: str = "masks") -> torch.Tensor | None:
        """Ground-truth masks N x 128 x 128 (bool) from the subfolder ``kind``: ``masks/`` where the food is
        (None when the folder has none), ``marks/`` where the shortcut data's stickers are."""
        folder = self.mask_folder if kind == "masks" else self.folder / kind
        if folder is None or not folder.is_dir():
            if kind == "masks":
                return None
            raise DataError(f"{self.folder} has no {kind}/ folder; use the embedded data, which draws them.")
        indices = self._check(indices)
        out = []
        for i in indices:
            path = folder / (self.paths[i].stem + ".png")
            if not path.is_file():
                raise DataError(f"mask {path} is missing for image {self.paths[i].name}; regenerate the data.")
            out.append(read_rgb(path)[..., 0] > 127)
        return torch.from_numpy(np.stack(out))

    def names(self, indices: Sequence[int]) -> list[str]:
        """Class names of the images at ``indices``."""
        return [CLASS_NAMES[self.labels[i]] for i in self._check(indices)]


def _report(message: str) -> None:
    """A note on stderr that does not break a running progress bar."""
    from tqdm.auto import tqdm

    tqdm.write(message, file=sys.stderr)
