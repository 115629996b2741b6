"""The classifier's data as tensors, for training and evaluation: which folder a split is and its images
loaded in one go (the model's predictions over them: :func:`helpers.model.predict`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from tqdm.auto import tqdm

from helpers.data import FoodDataset, split_folder


def resolve_split(data: str | Path | None, split: str) -> Path:
    """The folder of ``split`` under ``data`` (a Food-11 root, at any depth), or ``data`` itself if it holds images.

    ``data=None`` means the embedded synthetic data (generated on first use).
    """
    if data is None:
        from helpers.synthetic_food import ensure_embedded

        return ensure_embedded() / split
    return split_folder(data, split)


def load_split(folder: Path, progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """All images of a folder as uint8 N x 3 x 128 x 128 (kept small in memory) and labels N."""
    dataset = FoodDataset(folder)
    chunks, labels = [], []
    for start in tqdm(range(0, len(dataset), 256), desc=f"loading {folder.name}", disable=not progress):
        images, batch_labels = dataset.getbatch(range(start, min(start + 256, len(dataset))))
        chunks.append(images.mul(255).round().to(torch.uint8))
        labels.append(batch_labels)
    return torch.cat(chunks), torch.cat(labels)


def content_hash(folder: Path) -> str:
    """SHA-256 of a split as the classifier reads it: every image file's name (its label) and bytes, in order.

    Recorded in a checkpoint by ``train`` and compared by ``evaluate``, so a model is never silently measured
    on other data than it was trained and validated on (e.g. images drawn by another generator version).
    """
    digest = hashlib.sha256()
    for path in FoodDataset(folder).paths:
        digest.update(path.name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
