"""Images as people have them, for the tests: every file format and colour mode a real copy of Food-11 or a
phone's photos come in, and archives in the layouts found in the wild (Kaggle's class folders)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

#: Kaggle's "food11-image-dataset" class folder names, in label order.
KAGGLE_CLASSES = (
    "Bread",
    "Dairy product",
    "Dessert",
    "Egg",
    "Fried food",
    "Meat",
    "Noodles-Pasta",
    "Rice",
    "Seafood",
    "Soup",
    "Vegetable-Fruit",
)
#: The kinds :func:`photo` makes, with the file ending each is saved under.
KINDS = {
    "rgb": ".jpg",
    "upper": ".JPG",
    "jpeg": ".jpeg",
    "gray": ".jpg",
    "cmyk": ".jpg",
    "palette": ".png",
    "rgba": ".png",
    "gray16": ".png",
    "exif": ".jpg",
    "large": ".jpg",
}


def pixels(seed: int, width: int = 48, height: int = 36) -> np.ndarray:
    """A smooth random colour field H x W x 3 uint8 (compresses like a photo, not like noise)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (3, 4, 3)).astype(np.uint8)
    return np.asarray(Image.fromarray(small).resize((width, height), Image.BILINEAR))


def photo(kind: str, seed: int) -> bytes:
    """One encoded image of ``kind`` (see KINDS)."""
    rgb = Image.fromarray(pixels(seed, *((1200, 900) if kind == "large" else (48, 36))))
    out = io.BytesIO()
    if kind in ("rgb", "upper", "jpeg", "large"):
        rgb.save(out, "JPEG", quality=85)
    elif kind == "gray":
        rgb.convert("L").save(out, "JPEG")
    elif kind == "cmyk":
        rgb.convert("CMYK").save(out, "JPEG")
    elif kind == "palette":
        rgb.convert("P", palette=Image.ADAPTIVE, colors=16).save(out, "PNG")
    elif kind == "rgba":
        rgba = rgb.convert("RGBA")
        rgba.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, rgb.width, dtype=np.uint8), (rgb.height, 1))))
        rgba.save(out, "PNG")
    elif kind == "gray16":
        Image.fromarray(np.asarray(rgb.convert("L"), np.uint16) * 257).save(out, "PNG")
    elif kind == "exif":  # stored sideways with "rotate 90 degrees clockwise to view" (orientation 6)
        exif = Image.Exif()
        exif[0x0112] = 6
        rgb.save(out, "JPEG", exif=exif)
    else:
        raise ValueError(kind)
    return out.getvalue()


def corrupt(seed: int) -> bytes:
    """A JPEG cut in half (an interrupted copy)."""
    data = photo("rgb", seed)
    return data[: len(data) // 2]


def kaggle_members(per_split: dict[str, int] | None = None, prefix: str = "food11/") -> dict[str, bytes]:
    """Archive member -> bytes in Kaggle's class-folder layout, with odd spellings, names and formats.

    ``per_split[split]`` good images per class. The evaluation split spells two classes differently
    (``dairy_product/``, nested ``Noodles/Pasta/``). Added on top: one corrupt JPEG in training/Soup, a
    folder that is no class (training/Pizza), a text file and macOS debris.
    """
    per_split = per_split or {"training": 3, "validation": 2, "evaluation": 2}
    kinds = list(KINDS)
    members, seed = {}, 0
    for split, count in per_split.items():
        for label, folder in enumerate(KAGGLE_CLASSES):
            if split == "evaluation" and label in (1, 6):
                folder = {1: "dairy_product", 6: "Noodles/Pasta"}[label]
            for n in range(count):
                kind = kinds[seed % len(kinds)]
                name = f"{n}{KINDS[kind]}" if n % 2 == 0 else f"my photo ({n}) café{KINDS[kind]}"
                members[f"{prefix}{split}/{folder}/{name}"] = photo(kind, seed)
                seed += 1
    members[f"{prefix}training/Soup/99.jpg"] = corrupt(seed)
    members[f"{prefix}training/Pizza/0.jpg"] = photo("rgb", seed + 1)
    members[f"{prefix}training/Pizza/1.jpg"] = photo("rgb", seed + 2)
    members[f"{prefix}README.txt"] = b"Food-11 from Kaggle"
    members[f"__MACOSX/{prefix}training/Bread/._0.jpg"] = b"resource fork"
    return members


def make_zip(members: dict[str, bytes], path: Path, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """Write ``members`` as a zip file at ``path``."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def unpack_plainly(members: dict[str, bytes], folder: Path) -> Path:
    """Write ``members`` as files under ``folder``, as a user's own unzip would."""
    for name, data in members.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder
