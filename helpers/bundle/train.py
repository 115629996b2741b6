"""Train and evaluate the course classifier: ``python -m helpers train`` / ``python -m helpers evaluate``.

The embedded default checkpoint (``data/checkpoints/embedded.pt``) is reproduced by
``python -m helpers train`` with no arguments: a narrow variant (same 38-layer list as the course,
fewer channels) trained on the synthetic data with fixed seeds, a fixed number of CPU threads and torch's
deterministic algorithms, so the same data and library versions give bit-identical weights. The
checkpoint records the data's content hash and those versions (:func:`provenance`); ``evaluate`` says
when the images on disk are not the ones a checkpoint was made with. With ``--data FOLDER`` and
``--widths 128 128 256 512 512 --hidden 1024`` it trains the full course model on real Food-11.
``--shortcut`` rebuilds lesson 09's shortcut checkpoint (``data/checkpoints/shortcut.pt``): the same
recipe for :data:`SHORTCUT_EPOCHS` epochs on the scenes with class stickers
(:mod:`helpers.synthetic_food.shortcut`).
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import PIL
import scipy
import torch
from torch import nn
from tqdm.auto import tqdm

from helpers import paths
from helpers.bundle.splits import content_hash, load_split, resolve_split
from helpers.data import CLASS_NAMES, DataError
from helpers.model import (
    Classifier,
    accuracy,
    load_model,
    load_state,
    pick_device,
    predict,
    read_provenance,
    save_checkpoint,
    weights_hash,
)

EMBEDDED_WIDTHS = (16, 16, 32, 64, 64)
EMBEDDED_HIDDEN = 128
EMBEDDED_EPOCHS = 32
#: Where `train` writes by default: the committed checkpoint in a checkout, the cache when installed.
TRAINED_CHECKPOINT = paths.for_writing(paths.EMBEDDED_CHECKPOINT)
#: CPU threads while training. A sum of floats depends on how it is split between threads, so the
#: number is fixed rather than taken from the machine's cores (the committed checkpoint: 2).
TRAIN_THREADS = 2
#: ``train --shortcut``: lesson 09's model, the same recipe on the images with stickers, trained for
#: fewer epochs (a sticker is learnt in the first; the food, slowly).
SHORTCUT_EPOCHS = 8


@contextmanager
def deterministic(device: torch.device, threads: int = TRAIN_THREADS) -> Iterator[None]:
    """Run the block with ``threads`` CPU threads and torch's deterministic algorithms, then restore both.

    On CUDA, kernels without a deterministic version only warn: the CPU is where the checkpoint is rebuilt.
    """
    old_threads, old_mode = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_mode, warn_only=old_warn)


def provenance(data: str | Path | None, seed: int, threads: int = TRAIN_THREADS) -> dict[str, Any]:
    """What a checkpoint records about its making: the content hash of the training and validation data
    (:func:`helpers.bundle.splits.content_hash`), the versions of what drew the data and trained, the CPU
    kernels torch chose, the threads and the seed."""
    return {
        "data_sha256": {split: content_hash(resolve_split(data, split)) for split in ("training", "validation")},
        "versions": {
            "python": platform.python_version(),
            "torch": str(torch.__version__),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "pillow": PIL.__version__,
        },
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": threads,
        "seed": seed,
    }


def augment(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Random camera changes for training, batched: mirror, zoom 0.85-1.15x, shift up to 10%, turn up to
    17 degrees, and brightness, contrast and saturation 0.8-1.2x each.

    Args:
        x: images N x 3 x H x W in [0, 1].
        rng: where every random choice comes from (so a seeded run is reproducible).

    Returns:
        augmented images N x 3 x H x W in [0, 1] (edges filled by reflection).
    """
    n = len(x)

    def draw(low: float, high: float) -> torch.Tensor:
        return torch.from_numpy(rng.uniform(low, high, n).astype(np.float32)).to(x.device)

    zoom, turn, flip = draw(0.85, 1.15), draw(-0.3, 0.3), torch.where(draw(0, 1) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(turn) / zoom, torch.sin(turn) / zoom
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, draw(-0.1, 0.1)], 1), torch.stack([sin * flip, cos, draw(-0.1, 0.1)], 1)], 1
    )
    grid = nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    x = nn.functional.grid_sample(x, grid, padding_mode="reflection", align_corners=False)
    x = x * draw(0.8, 1.2)[:, None, None, None]
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = mean + (x - mean) * draw(0.8, 1.2)[:, None, None, None]
    grey = x.mean(dim=1, keepdim=True)
    return (grey + (x - grey) * draw(0.8, 1.2)[:, None, None, None]).clamp(0, 1)


def train(
    data: str | Path | None = None,
    out: str | Path = TRAINED_CHECKPOINT,
    widths: tuple[int, ...] = EMBEDDED_WIDTHS,
    hidden: int = EMBEDDED_HIDDEN,
    epochs: int = EMBEDDED_EPOCHS,
    batch_size: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    augmentation: bool = True,
    threads: int = TRAIN_THREADS,
) -> float:
    """Train with Adam, checkpoint every epoch in the course's format, return the best validation accuracy.

    ``resume=True`` continues from ``out`` (its epoch, optimizer state and weights). ``augmentation``
    applies :func:`augment` to every batch; without it, only horizontal mirroring. On the CPU the same
    arguments and data give bit-identical weights: training runs in :func:`deterministic` with ``threads``
    CPU threads. The checkpoint records the data's hash and the versions used (:func:`provenance`).
    """
    dev = pick_device(device)
    with deterministic(dev, threads):
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        made = provenance(data, seed, threads)
        train_x, train_y = load_split(resolve_split(data, "training"))
        val_x, val_y = load_split(resolve_split(data, "validation"))
        model = Classifier(widths, hidden).to(dev)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
        start_epoch, best = 0, 0.0
        out = Path(out)
        if resume and out.is_file():
            saved = torch.load(out, map_location=dev, weights_only=True)
            model.load_state_dict(load_state(out))
            optimizer.load_state_dict(saved["optimizer_state_dict"])
            start_epoch, best = int(saved["epoch"]) + 1, float(saved.get("val_accuracy", 0.0))
            rng = np.random.default_rng([seed, start_epoch])
            print(f"resuming from {out} at epoch {start_epoch}")
        loss_fn = nn.CrossEntropyLoss()
        for epoch in range(start_epoch, epochs):
            for group in optimizer.param_groups:  # cosine schedule, a function of the epoch so resuming is exact
                group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
            model.train()
            order = torch.from_numpy(rng.permutation(len(train_x)))
            bar = tqdm(range(0, len(order), batch_size), desc=f"epoch {epoch + 1}/{epochs}")
            total, seen = 0.0, 0
            for start in bar:
                idx = order[start : start + batch_size]
                x = train_x[idx].to(dev).float() / 255
                if augmentation:
                    x = augment(x, rng)
                else:
                    flip = torch.from_numpy(rng.random(len(idx)) < 0.5).to(dev)
                    x = torch.where(flip[:, None, None, None], x.flip(3), x)  # horizontal mirroring only
                loss = loss_fn(model(x), train_y[idx].to(dev))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total, seen = total + loss.item() * len(idx), seen + len(idx)
                bar.set_postfix(loss=f"{total / seen:.3f}")
            val = accuracy(model, val_x, val_y)
            print(f"epoch {epoch + 1}: train loss {total / seen:.3f}, validation accuracy {val:.1%}")
            if val >= best:
                best = val
                save_checkpoint(
                    out,
                    model,
                    epoch=epoch,
                    optimizer_state_dict=optimizer.state_dict(),
                    val_accuracy=val,
                    provenance=made,
                )
        print(f"best validation accuracy {best:.1%}; checkpoint: {out}")
        print(f"weights sha256: {weights_hash(load_state(out))}")
        return best


def evaluate(
    data: str | Path | None = None,
    checkpoint: str | Path | None = None,
    split: str = "validation",
    device: str = "auto",
) -> float:
    """Print and return the accuracy of a checkpoint on one split, naming the data and checkpoint used."""
    folder = resolve_split(data, split)
    model = load_model(checkpoint, device)
    images, labels = load_split(folder)
    predicted = predict(model, images)
    acc = (predicted == labels).sum().item() / max(len(labels), 1)
    print(f"data:       {folder} ({len(labels)} images{', embedded synthetic' if data is None else ''})")
    print(f"checkpoint: {checkpoint or paths.EMBEDDED_CHECKPOINT} (widths {model.widths}, hidden {model.hidden})")
    print(f"            {data_check(folder, checkpoint or paths.EMBEDDED_CHECKPOINT, split)}")
    print(f"accuracy:   {acc:.1%}")
    for label, name in enumerate(CLASS_NAMES):
        chosen = labels == label
        if chosen.any():
            print(f"  {name:16s} {(predicted[chosen] == label).float().mean():6.1%}  ({int(chosen.sum())} images)")
    return acc


def data_check(folder: Path, checkpoint: str | Path, split: str) -> str:
    """One line: whether ``folder`` holds the same ``split`` as the checkpoint was trained and validated on."""
    recorded = read_provenance(checkpoint).get("data_sha256", {}).get(split)
    if recorded is None:
        return f"(the checkpoint records no {split} data to compare with)"
    if content_hash(folder) == recorded:
        return f"the same {split} data as the checkpoint was made with (sha256 {recorded[:12]})"
    return (
        f"WARNING: these are not the {split} images the checkpoint was made with (its record: sha256 "
        f"{recorded[:12]}): other data, or images drawn by another version of the generator or its libraries. "
        "Accuracy here is not comparable with the checkpoint's."
    )


def _train_cli(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    data, out, epochs = args.data, args.out or str(TRAINED_CHECKPOINT), args.epochs or EMBEDDED_EPOCHS
    try:
        if args.shortcut:
            if data is not None:
                raise DataError("--shortcut trains on the embedded images with stickers; leave out --data.")
            from helpers.synthetic_food.shortcut import ensure_shortcut

            data, out = ensure_shortcut(training=True), args.out or str(paths.for_writing(paths.SHORTCUT_CHECKPOINT))
            epochs = args.epochs or SHORTCUT_EPOCHS
        train(
            data,
            out,
            tuple(args.widths),
            args.hidden,
            epochs,
            args.batch_size,
            args.lr,
            args.seed,
            args.device,
            args.resume,
            not args.no_augmentation,
        )
    except DataError as err:
        print(f"error: {err}")
        return 1
    print(f"trained in {time.perf_counter() - started:.0f} s")
    return 0


def _evaluate_cli(args: argparse.Namespace) -> int:
    try:
        if (args.compare or args.explanations) and args.data is not None:
            option = "--compare" if args.compare else "--explanations"
            raise ValueError(f"{option} measures on the embedded data (it needs food masks); leave out --data.")
        if args.compare:
            from helpers.bundle.candidates import compare

            print(compare(args.compare, args.per_class, args.smoothgrad_samples, args.device))
        elif args.explanations:
            from helpers.bundle.explanation_quality import measure

            print(measure(args.checkpoint, args.per_class, args.smoothgrad_samples, args.device))
        else:
            evaluate(args.data, args.checkpoint, args.split, args.device)
    except (DataError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}")
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` and ``evaluate`` commands."""
    p = subparsers.add_parser(
        "train",
        help="train the classifier (default: the embedded checkpoint)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", help="Food-11 root (with training/ and validation/); default: embedded data")
    p.add_argument(
        "--shortcut",
        action="store_true",
        help=f"train lesson 09's shortcut model on the embedded images with class stickers ({SHORTCUT_EPOCHS} "
        "epochs; default --out: the committed shortcut checkpoint)",
    )
    p.add_argument("--out", help=f"checkpoint to write (course format); default: {TRAINED_CHECKPOINT}")
    p.add_argument(
        "--widths",
        type=int,
        nargs=5,
        default=list(EMBEDDED_WIDTHS),
        help="channels of the five stages; the course model is 128 128 256 512 512",
    )
    p.add_argument("--hidden", type=int, default=EMBEDDED_HIDDEN, help="fc hidden units (course: 1024)")
    p.add_argument("--epochs", type=int, help=f"default: {EMBEDDED_EPOCHS} ({SHORTCUT_EPOCHS} with --shortcut)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--resume", action="store_true", help="continue from --out (epoch, optimizer, weights)")
    p.add_argument(
        "--no-augmentation",
        action="store_true",
        help="mirror images only, instead of random zoom, shift, turn and colour changes",
    )
    p.set_defaults(func=_train_cli)

    e = subparsers.add_parser(
        "evaluate",
        help="accuracy of a checkpoint on a split",
        description="Print the accuracy of a checkpoint, with the data and checkpoint used.",
    )
    e.add_argument("--data", help="Food-11 root or a folder of images; default: embedded data")
    e.add_argument("--checkpoint", help="checkpoint file; default: the embedded one")
    e.add_argument(
        "--split", default="validation", help="training, validation, evaluation or (embedded data) heldout_style"
    )
    e.add_argument("--device", default="auto")
    e.add_argument(
        "--explanations",
        action="store_true",
        help="measure the explanations instead (LIME, saliency, SmoothGrad, IG, filters, backgrounds) "
        "with the course's parameters against their targets, on the embedded data",
    )
    e.add_argument(
        "--compare",
        nargs="+",
        metavar="CHECKPOINT",
        help="print a table of these checkpoints: size, validation and held-out-style accuracy, the "
        "explanation figures against their targets, and IG's completeness error on the observed images",
    )
    e.add_argument(
        "--per-class",
        type=int,
        default=40,
        help="with --explanations or --compare: validation images per class (40 = the whole split)",
    )
    e.add_argument(
        "--smoothgrad-samples",
        type=int,
        default=500,
        help="with --explanations or --compare: SmoothGrad's noisy copies per validation image (course: 500)",
    )
    e.set_defaults(func=_evaluate_cli)
