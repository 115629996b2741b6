"""Food-11 on disk: ``<label>_<n>.jpg`` files in a folder, loaded as the course did.

The course's transform is only "resize to 128x128, to tensor": pixel values in [0, 1], aspect ratio
not kept, no mean/std normalization. An optional ``masks/`` subfolder (the embedded synthetic data
has one) holds ``<label>_<n>.png`` ground-truth masks of where the food is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from helpers.classes import CLASS_NAMES

IMAGE_SIZE = 128
_NAME = re.compile(r"^(\d+)_(\d+)$")
_SUFFIXES = {".jpg", ".jpeg", ".png"}


class DataError(ValueError):
    """The data folder or one of its files cannot be used; the message says which and how to fix it."""


def _load_rgb(path: Path, size: int = IMAGE_SIZE) -> np.ndarray:
    """One image as size x size x 3 uint8 (bilinear resize, like torchvision's Resize on PIL images)."""
    try:
        with Image.open(path) as img:
            img.load()  # decode now, so truncated files fail here with their name
            return np.asarray(img.convert("RGB").resize((size, size), Image.BILINEAR))
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DataError(
            f"cannot read image {path}: {err}. The file is corrupt or truncated; "
            "replace it with a good copy (or delete it) and run again."
        ) from err


class FoodDataset:
    """The images of one Food-11 folder, sorted by label then number (the course's order).

    Args:
        folder: a folder of ``<label>_<n>.jpg`` files (e.g. Food-11's ``training/`` or the course's
            ``food/``).
    """

    def __init__(self, folder: str | Path) -> None:
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise DataError(
                f"data folder {folder} does not exist. Use data_dir=None for the embedded default data, "
                "or get Food-11 with `python -m helpers fetch food11 --from ZIP_OR_URL`."
            )
        entries = []
        bad = []
        for path in folder.iterdir():
            if path.suffix.lower() not in _SUFFIXES or path.name.startswith("."):
                continue
            match = _NAME.match(path.stem)
            if match is None:
                bad.append(path.name)
                continue
            entries.append((int(match[1]), int(match[2]), path))
        if bad:
            raise DataError(
                f"{len(bad)} image name(s) in {folder} do not follow Food-11's '<label>_<number>.jpg' "
                f"naming, e.g. {', '.join(sorted(bad)[:3])}. Rename them (label = class index 0..10) "
                "or move them out of the folder."
            )
        if not entries:
            raise DataError(
                f"data folder {folder} holds no images named '<label>_<number>.jpg'. "
                "Point data_dir at Food-11's training/, validation/ or evaluation/ folder, or at food/."
            )
        out_of_range = [p.name for label, _, p in entries if label >= len(CLASS_NAMES)]
        if out_of_range:
            raise DataError(
                f"labels must be 0..{len(CLASS_NAMES) - 1} (Food-11 has {len(CLASS_NAMES)} classes), "
                f"but {folder} has {', '.join(sorted(out_of_range)[:3])}."
            )
        entries.sort(key=lambda e: (e[0], e[1]))
        self.folder = folder
        self.paths = [p for _, _, p in entries]
        self.labels = [label for label, _, _ in entries]
        self.mask_folder = folder / "masks" if (folder / "masks").is_dir() else None

    def __len__(self) -> int:
        return len(self.paths)

    def _check(self, indices: Sequence[int]) -> list[int]:
        indices = [int(i) for i in indices]
        wrong = [i for i in indices if not -len(self) <= i < len(self)]
        if wrong:
            raise IndexError(f"indices {wrong} are out of range for {self.folder} ({len(self)} images)")
        return indices

    def getbatch(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Images N x 3 x 128 x 128 (float32 in [0, 1]) and labels N (int64)."""
        indices = self._check(indices)
        pixels = np.stack([_load_rgb(self.paths[i]) for i in indices])
        images = torch.from_numpy(pixels).permute(0, 3, 1, 2).float().div_(255)
        return images, torch.tensor([self.labels[i] for i in indices], dtype=torch.long)

    def masks(self, indices: Sequence[int]) -> torch.Tensor | None:
        """Ground-truth food masks N x 128 x 128 (bool), or None when the folder has no ``masks/``."""
        if self.mask_folder is None:
            return None
        indices = self._check(indices)
        out = []
        for i in indices:
            path = self.mask_folder / (self.paths[i].stem + ".png")
            if not path.is_file():
                raise DataError(f"mask {path} is missing for image {self.paths[i].name}; regenerate the data.")
            out.append(_load_rgb(path)[..., 0] > 127)
        return torch.from_numpy(np.stack(out))

    def names(self, indices: Sequence[int]) -> list[str]:
        """Class names of the images at ``indices``."""
        return [CLASS_NAMES[self.labels[i]] for i in self._check(indices)]
