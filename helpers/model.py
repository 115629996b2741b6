"""The course's food classifier (HW3's CNN), with its channel widths as a parameter.

``model.cnn`` is an ``nn.Sequential`` of 38 single layers whose indices match the course
(Conv2d at 0, 3, 6, 10, 13, 16, 20, 23, 26, 30, 34; ReLU at 2, 5, 8, ...; MaxPool2d at 9, 19, 29,
33, 37), so ``cnnid`` means the same layer whatever the widths. The default widths give the
course's 14.16M-parameter model; the embedded default is a narrow variant with the same layer list.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from helpers import paths

COURSE_WIDTHS = (128, 128, 256, 512, 512)
COURSE_HIDDEN = 1024
NUM_CLASSES = 11
# Blocks per stage: three, three, three, one, one (see the spec).
_STAGE_BLOCKS = (3, 3, 3, 1, 1)


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded into the classifier."""


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` gives CUDA when present, else CPU; anything else is passed to ``torch.device``."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was asked for but no CUDA GPU is visible; use device='auto' or 'cpu'.")
    return device


class Classifier(nn.Module):
    """VGG-style Food-11 classifier: 128x128x3 in [0, 1] -> 11 logits.

    Args:
        widths: output channels of the five stages (course: 128, 128, 256, 512, 512).
        hidden: units of the fully connected hidden layer (course: 1024).
    """

    def __init__(self, widths: tuple[int, ...] = COURSE_WIDTHS, hidden: int = COURSE_HIDDEN) -> None:
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if len(widths) != 5 or min(widths) < 1:
            raise ValueError(f"widths must be five positive channel counts, got {widths}")
        self.widths, self.hidden = widths, int(hidden)
        layers: list[nn.Module] = []
        channels = 3
        for width, blocks in zip(widths, _STAGE_BLOCKS, strict=True):
            for _ in range(blocks):
                layers += [nn.Conv2d(channels, width, 3, 1, 1), nn.BatchNorm2d(width), nn.ReLU()]
                channels = width
            layers.append(nn.MaxPool2d(2, 2, 0))
        self.cnn = nn.Sequential(*layers)
        self.fc = nn.Sequential(
            nn.Linear(widths[-1] * 4 * 4, hidden),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(hidden, NUM_CLASSES),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: N x 3 x 128 x 128 -> logits N x 11."""
        return self.fc(self.cnn(x).flatten(1))


def _shape_from_state(state: dict[str, torch.Tensor]) -> tuple[tuple[int, ...], int]:
    """Infer (widths, hidden) from a state dict's tensor shapes."""
    conv_out = {
        int(k.split(".")[1]): v.shape[0]
        for k, v in state.items()
        if k.startswith("cnn.") and k.endswith(".weight") and v.dim() == 4
    }
    # The first conv of each stage: indices 0, 10, 20, 30, 34.
    try:
        widths = tuple(conv_out[i] for i in (0, 10, 20, 30, 34))
        hidden = state["fc.0.weight"].shape[0]
    except KeyError as missing:
        raise CheckpointError(
            f"the checkpoint has no tensor for {missing}: it is not a state dict of the course classifier "
            "(expected keys like 'cnn.0.weight' and 'fc.0.weight')."
        ) from None
    return widths, int(hidden)


#: How the files people mistake for checkpoints begin (the first bytes), to name what was passed instead.
_OTHER_FORMATS = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"{": "a JSON or text file",
}


def _read_checkpoint(path: Path) -> Any:
    """``torch.load`` of tensors and plain containers only, with our own message when that fails.

    Files that ``torch.save`` writes begin with a zip header (PyTorch >= 1.6) or a pickle's protocol
    byte 0x80 (older releases); anything else is named (an image, a text file) and refused unread.
    Torch's own message is not passed on: it suggests ``weights_only=False``, which can run code from the file.
    """
    with path.open("rb") as file:
        head = file.read(8)
    if not head.startswith((b"PK\x03\x04", b"\x80")):
        kind = (
            "an empty file"
            if not head
            else next(
                (name for magic, name in _OTHER_FORMATS.items() if head.startswith(magic)),
                "a text file" if head.isascii() else "in a format that torch.save does not write",
            )
        )
        raise CheckpointError(
            f"cannot read checkpoint {path}: it is {kind}, not a PyTorch checkpoint. Pass the "
            ".pt/.pth file that torch.save wrote, or checkpoint=None for the embedded default."
        )
    try:
        # map_location: the course saved its checkpoint on a GPU.
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:  # an object other than tensors, numbers, strings and containers
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
        what = f"a Python object of type {found.group(1)}" if found else "a Python object other than tensors"
        raise CheckpointError(
            f"cannot read checkpoint {path}: it stores {what}, and the bundle loads only tensors and plain "
            "containers (unpickling other objects can run code from the file). Re-save the weights alone: "
            "torch.save({'model_state_dict': model.state_dict()}, path)."
        ) from None
    except Exception as err:  # a damaged zip, a truncated download, a zip that torch.save did not write
        raise CheckpointError(
            f"cannot read checkpoint {path}: the file is damaged or was not written by "
            f"torch.save ({type(err).__name__}). Download or copy it again."
        ) from None


def load_state(checkpoint: str | Path) -> dict[str, torch.Tensor]:
    """Read a checkpoint file onto the CPU: the course's dict (``model_state_dict``) or a bare state dict."""
    path = Path(checkpoint)
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint {path} does not exist. Pass checkpoint=None for the embedded default, "
            "or train one with `python -m helpers train --data FOLDER`."
        )
    obj = _read_checkpoint(path)
    if isinstance(obj, dict) and "model_state_dict" in obj:
        obj = obj["model_state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path} holds neither a state dict nor a dict with 'model_state_dict'.")
    # Checkpoints saved from nn.DataParallel prefix every key with "module.".
    return {k.removeprefix("module."): v for k, v in obj.items()}


def read_provenance(checkpoint: str | Path) -> dict[str, Any]:
    """What ``python -m helpers train`` recorded about how a checkpoint was made (data hashes, library
    versions, threads, seed); ``{}`` for checkpoints that carry none (the course's, older ones)."""
    obj = _read_checkpoint(Path(checkpoint))
    found = obj.get("provenance") if isinstance(obj, dict) else None
    return found if isinstance(found, dict) else {}


def load_model(checkpoint: str | Path | None = None, device: str | torch.device = "auto") -> Classifier:
    """Build the classifier with the checkpoint's widths, load its weights, move to ``device``, eval mode.

    ``checkpoint=None`` loads the embedded default (:data:`helpers.paths.EMBEDDED_CHECKPOINT`).
    """
    state = load_state(paths.EMBEDDED_CHECKPOINT if checkpoint is None else checkpoint)
    widths, hidden = _shape_from_state(state)
    model = Classifier(widths, hidden)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or wrong:
        lines = [f"checkpoint {checkpoint} does not fit the course classifier (widths {widths}, hidden {hidden}):"]
        if missing:
            lines.append(f"  missing keys: {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
        if unexpected:
            lines.append(f"  unexpected keys: {', '.join(unexpected[:8])}{' ...' if len(unexpected) > 8 else ''}")
        lines += [f"  shape {w}" for w in wrong[:8]]
        lines.append("Use a checkpoint saved from helpers.model.Classifier (or the course's HW3 model).")
        raise CheckpointError("\n".join(lines))
    model.load_state_dict(state)
    return model.to(pick_device(device)).eval()


def save_checkpoint(path: str | Path, model: Classifier, **extra: Any) -> None:
    """Save in the course's format (``model_state_dict`` plus e.g. ``epoch``, ``optimizer_state_dict``).

    Written to a temporary file first and renamed, so an interrupted save never leaves a broken file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(
        {"model_state_dict": model.state_dict(), "widths": list(model.widths), "hidden": model.hidden, **extra}, tmp
    )
    tmp.replace(path)


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


def weights_hash(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict's weights (names, dtypes, shapes and bytes, in order): equal exactly when two
    models hold bit-identical weights, whatever else their checkpoint files carry."""
    digest = hashlib.sha256()
    for name, tensor in state.items():
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
