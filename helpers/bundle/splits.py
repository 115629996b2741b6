"""The classifier's data as tensors, for training and evaluation: which folder a split is, its images
loaded in one go, and the model's predictions over them."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
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


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Predicted classes N (on the CPU) of ``model`` in eval mode for uint8 or float images N x 3 x 128 x 128."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    predicted = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].to(device)
        batch = batch.float() / 255 if batch.dtype == torch.uint8 else batch
        predicted.append(model(batch).argmax(1).cpu())
    model.train(was_training)
    return torch.cat(predicted) if predicted else torch.zeros(0, dtype=torch.long)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 64) -> float:
    """Top-1 accuracy of ``model`` (eval mode) on uint8 or float images N x 3 x 128 x 128 with labels N."""
    return (predict(model, images, batch_size) == labels).sum().item() / max(len(images), 1)
