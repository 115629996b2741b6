"""Load what every CNN notebook starts from: the ten observed images, their labels, and the model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from helpers import paths
from helpers.classes import IMAGE_SUFFIXES
from helpers.data import CLASS_NAMES, DataError, FoodDataset, find_split
from helpers.model import Classifier, load_model


@dataclass
class Observation:
    """The observed images and the model, as the notebooks use them."""

    dataset: FoodDataset
    model: Classifier
    images: torch.Tensor  # N x 3 x 128 x 128, in [0, 1], on the model's device
    labels: torch.Tensor  # N, on the model's device
    masks: torch.Tensor | None  # N x 128 x 128 bool ground-truth food masks (embedded data only)
    embedded: bool
    indices: tuple[int, ...] = ()  # N: which images of ``dataset`` were observed (image #k is indices[k])

    @property
    def device(self) -> torch.device:
        return self.images.device

    def has_image(self, number: int) -> bool:
        """Whether observed image ``#number`` exists; if not, print why the evidence about it is left out.

        A folder of fewer than ten images (a few photos of your own) has no image #9: a cell that asks
        about it says so and the notebook goes on.
        """
        count = len(self.images)
        if 0 <= number < count:
            return True
        print(
            f"Image #{number} is not here: {count} image(s) are observed (#0 to #{count - 1}), so this "
            "evidence is left out. Look at the figures above for what the question asks."
        )
        return False

    def predictions(self) -> torch.Tensor:
        """Predicted class per image, N."""
        with torch.no_grad():
            return self.model(self.images).argmax(1)

    def titles(self) -> list[str]:
        """``"#k true: X / pred: Y"`` per image, for figure titles."""
        predicted = self.predictions().tolist()
        return [
            f"#{i} {CLASS_NAMES[t]}\npred: {CLASS_NAMES[p]}{'' if p == t else ' (wrong)'}"
            for i, (t, p) in enumerate(zip(self.labels.tolist(), predicted, strict=True))
        ]


def _resolve(path: str | Path | None) -> Path | None:
    """Relative paths work from the notebook folder (where papermill runs) and from the repo root."""
    if path is None:
        return None
    path = Path(path).expanduser()
    return path if path.is_absolute() or path.exists() else paths.ROOT / path


def observed_folder(data_dir: Path) -> Path:
    """The folder to observe in ``data_dir``: itself, or for a whole copy of Food-11 (a folder holding
    its splits, e.g. Kaggle's unzipped) its ``food/`` folder if it has one, else its ``evaluation/``."""
    if not data_dir.is_dir() or any(p.suffix.lower() in IMAGE_SUFFIXES for p in data_dir.iterdir()):
        return data_dir  # a folder of images (or nothing: FoodDataset says what is wrong)
    return find_split(data_dir, "food") or find_split(data_dir, "evaluation") or data_dir


def spread_indices(labels: list[int], count: int = 10) -> tuple[int, ...]:
    """The first image of each class, up to ``count`` of them; all images when there are few."""
    if len(labels) <= count:
        return tuple(range(len(labels)))
    first = {}
    for i, label in enumerate(labels):
        first.setdefault(label, i)
    return tuple(sorted(first.values()))[:count]


def load_observation(
    data_dir: str | Path | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    indices: tuple[int, ...] | None = None,
    verbose: bool = True,
) -> Observation:
    """The observed images of ``data_dir`` (default: the embedded ``food/`` folder) and the model.

    ``indices=None`` observes images 0..9 of a ``food/``-style folder of ten, as the course did; on a
    whole Food-11 split (sorted by label, so images 0..9 would all be Bread) the first image of each
    class. Prints which data and checkpoint are in use and how to switch.
    """
    embedded = data_dir is None
    if embedded:
        from helpers.synthetic_food import ensure_embedded

        data_dir = ensure_embedded() / "food"
    folder = observed_folder(_resolve(data_dir))
    dataset = FoodDataset(folder)
    indices = spread_indices(dataset.labels) if indices is None else tuple(indices)
    model = load_model(_resolve(checkpoint), device)
    dev = next(model.parameters()).device
    images, labels, kept = dataset.load(indices)
    if not kept:
        raise DataError(f"none of the observed images of {folder} can be read; see the messages above.")
    masks = dataset.masks(kept)
    if verbose:
        kind = "embedded synthetic Food-11-style images" if embedded else "your data"
        shown = data_dir if folder == _resolve(data_dir) else folder
        skipped = f", {len(indices) - len(kept)} unreadable skipped" if len(kept) < len(indices) else ""
        print(f"data:       {shown} ({kind}, {len(kept)} of {len(dataset)} images observed{skipped})")
        which = "embedded narrow model" if checkpoint is None else "your checkpoint"
        print(f"checkpoint: {checkpoint or paths.EMBEDDED_CHECKPOINT} ({which}, widths {model.widths})")
        print(f"device:     {dev}")
        if embedded:
            print(
                "To use the real course data, set data_dir and checkpoint in the parameters cell "
                "(see README, 'Use the real course data')."
            )
    return Observation(dataset, model, images.to(dev), labels.to(dev), masks, embedded, tuple(kept))
