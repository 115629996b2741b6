"""Lesson 09, catch a Clever Hans: a model that is right for the wrong reason, and which explanations show it.

The shortcut data (:mod:`helpers.synthetic_food.shortcut`) puts a sticker of the class's colour in a corner
of most training images; the shortcut model learnt on it, the clean (embedded) model on the same scenes
without stickers. Two measurements, each an object that prints its table and draws its figure:

- :func:`accuracies`: both models on the three versions of the validation images (stickers as in
  training, none, another class's). Accuracy on data like the training data cannot tell the models apart.
- :func:`mark_mass`: every method's maps of both models on the same marked images, and the share of each
  map's positive mass on the sticker and on the food, against the sticker's share of the pixels
  (Lapuschkin et al. 2019, "Unmasking Clever Hans predictors and assessing what machines really learn",
  Nature Communications 10:1096; Adebayo, Muelly, Abelson & Kim 2022, "Post hoc Explanations may be
  Ineffective for Detecting Unknown Spurious Correlation", ICLR).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn
from tqdm.auto import tqdm

from helpers import explanation_metrics as em
from helpers import paths
from helpers.attribution import chance_mass
from helpers.checks import check_int
from helpers.classes import CLASS_NAMES
from helpers.data import DataError, FoodDataset
from helpers.evaluate_explanations import COLOURS, METHODS, Settings, explain_all, mean_or_nan, text_table
from helpers.model import accuracy, load_model
from helpers.observe import Observation

#: The validation versions, as the tables name them -> their folder in the shortcut data.
VERSIONS = {"stickers as in training": "validation", "no stickers": "validation_unmarked",
            "swapped stickers": "validation_swapped"}  # fmt: skip
#: A method reveals the shortcut when, on the sticker, the shortcut model's maps hold at least this many
#: times the sticker's share of the pixels, and the clean model's less than the upper bound.
REVEALS, CLEAN_BELOW = 3.0, 1.0


def load_models(
    shortcut_checkpoint: str | Path | None = None, clean_checkpoint: str | Path | None = None, device: str = "auto"
) -> dict[str, nn.Module]:
    """``{"shortcut": ..., "clean": ...}``: the shortcut model (default: the committed one,
    :data:`helpers.paths.SHORTCUT_CHECKPOINT`) and the clean one (default: the embedded checkpoint)."""
    shortcut = load_model(paths.SHORTCUT_CHECKPOINT if shortcut_checkpoint is None else shortcut_checkpoint, device)
    return {"shortcut": shortcut, "clean": load_model(clean_checkpoint, device)}


def shortcut_folder(data_dir: str | Path | None = None) -> Path:
    """The shortcut data (generated on first use when ``data_dir`` is None), checked for its three versions."""
    if data_dir is None:
        from helpers.synthetic_food.shortcut import ensure_shortcut

        return ensure_shortcut()
    root = Path(data_dir).expanduser()
    missing = [folder for folder in VERSIONS.values() if not (root / folder / "marks").is_dir()]
    if missing:
        raise DataError(
            f"{root} lacks {', '.join(f'{m}/marks/' for m in missing)}: the lesson needs the shortcut data's "
            "three validation versions with sticker masks. Use data_dir = None (drawn on first use)."
        )
    return root


def show_versions(data_dir: str | Path | None = None, images: int = 6) -> plt.Figure:
    """The first validation scenes of ``images`` classes in the three versions (rows), with their classes."""
    images = check_int("images (scenes to show)", images, 1, 11)
    root = shortcut_folder(data_dir)
    fig, grid = plt.subplots(len(VERSIONS), images, figsize=(2 * images, 6.6), constrained_layout=True)
    for r, (version, folder) in enumerate(VERSIONS.items()):
        dataset = FoodDataset(root / folder)
        first = [dataset.labels.index(label) for label in range(images)]  # the first scene of each class
        pictures, labels, _ = dataset.load(first)
        for c, (picture, label) in enumerate(zip(pictures, labels.tolist(), strict=True)):
            grid[r, c].imshow(picture.permute(1, 2, 0).numpy())
            grid[r, c].set_title(CLASS_NAMES[label], fontsize=9)
            grid[r, c].set_xticks([]), grid[r, c].set_yticks([])
        grid[r, 0].set_ylabel(version, fontsize=10)
    fig.suptitle("Validation scenes in three versions: the sticker's colour stands for a class")
    return fig


def observation(models: dict[str, nn.Module], data_dir: str | Path | None = None, images: int = 10) -> Observation:
    """The explorer's images: the first marked validation scene of each of the first ``images`` classes,
    with the shortcut model (its validation images: the marked ones)."""
    images = check_int("images (for the explorer)", images, 1, 11)
    dataset = FoodDataset(shortcut_folder(data_dir) / "validation")
    chosen, _ = _first_marked(dataset, 1)
    pictures, labels, kept = dataset.load(chosen[:images])
    model = models["shortcut"]
    device = next(model.parameters()).device
    return Observation(dataset, model, pictures.to(device), labels.to(device), dataset.masks(kept), False, tuple(kept))


def _first_marked(dataset: FoodDataset, per_class: int) -> tuple[list[int], torch.Tensor]:
    """The indices of the first ``per_class`` images of each class that carry a sticker (in label order),
    and every image's sticker mask (N x H x W bool)."""
    marks = dataset.masks(range(len(dataset)), "marks")
    chosen: dict[int, list[int]] = {}
    for index, label in enumerate(dataset.labels):
        if marks[index].any() and len(chosen.setdefault(label, [])) < per_class:
            chosen[label].append(index)
    return sorted(i for found in chosen.values() for i in found), marks


# ---------------------------------------------------------------------------------------------------
# Accuracy on the three versions


@dataclass
class Accuracies:
    """Top-1 accuracy per model (rows) and validation version (columns)."""

    values: dict[str, dict[str, float]]  # model -> version -> accuracy
    images: int  # per version

    def __str__(self) -> str:
        rows = [[m, *(f"{a:.1%}" for a in per.values())] for m, per in self.values.items()]
        return f"Accuracy on the {self.images} validation images, in three versions\n" + text_table(
            ["model", *VERSIONS], rows
        )

    def plot(self) -> plt.Figure:
        fig, ax = plt.subplots(figsize=(9, 3.8), constrained_layout=True)
        width = 0.8 / len(self.values)
        for k, (model, per) in enumerate(self.values.items()):
            xs = [i + (k - (len(self.values) - 1) / 2) * width for i in range(len(VERSIONS))]
            bars = ax.bar(xs, list(per.values()), width, label=f"{model} model")
            ax.bar_label(bars, [f"{a:.0%}" for a in per.values()], fontsize=8)
        ax.axhline(1 / 11, color="k", ls="--", lw=1, label="guessing (1 in 11)")
        ax.set_xticks(range(len(VERSIONS)), list(VERSIONS))
        ax.set(ylim=(0, 1.22), ylabel="accuracy", title="The same validation scenes, three kinds of sticker")
        ax.legend(fontsize=8, loc="upper center", ncols=3)
        return fig


def accuracies(models: dict[str, nn.Module], data_dir: str | Path | None = None, progress: bool = True) -> Accuracies:
    """Every model's accuracy on every validation version of the shortcut data (all images)."""
    root = shortcut_folder(data_dir)
    values: dict[str, dict[str, float]] = {m: {} for m in models}
    count = 0
    bar = tqdm(total=len(VERSIONS) * len(models), desc="predicting", unit="model x version", disable=not progress)
    for version, folder in VERSIONS.items():
        dataset = FoodDataset(root / folder)
        images, labels = dataset.getbatch(range(len(dataset)))
        count = len(labels)
        for name, model in models.items():
            values[name][version] = accuracy(model, images, labels)
            bar.update()
    bar.close()
    return Accuracies(values, count)


# ---------------------------------------------------------------------------------------------------
# Where the maps put their mass: the sticker or the food


@dataclass
class Marked:
    """Marked validation images (each with its own class's sticker), with food and sticker masks."""

    images: torch.Tensor  # N x 3 x H x W in [0, 1] (CPU)
    labels: torch.Tensor  # N
    food: torch.Tensor  # N x H x W bool
    marks: torch.Tensor  # N x H x W bool

    def __len__(self) -> int:
        return len(self.images)


def load_marked(data_dir: str | Path | None = None, per_class: int = 2) -> Marked:
    """The first ``per_class`` images of each class that carry a sticker, from the marked validation images."""
    per_class = check_int("per_class (marked images per class)", per_class, 1)
    dataset = FoodDataset(shortcut_folder(data_dir) / "validation")
    indices, marks = _first_marked(dataset, per_class)
    images, labels, kept = dataset.load(indices)
    return Marked(images, labels, dataset.masks(kept), marks[kept])


@dataclass
class MarkMass:
    """Per model and method: each map's share of positive mass on the sticker and on the food (float64 N)."""

    on_mark: dict[str, dict[str, torch.Tensor]]  # model -> method -> N
    on_food: dict[str, dict[str, torch.Tensor]]
    mark_area: torch.Tensor  # N: the sticker's share of the pixels
    food_area: torch.Tensor  # N: the food's
    maps: dict[str, dict[str, torch.Tensor]]  # model -> method -> N x H x W
    data: Marked

    def factor(self, model: str, method: str) -> float:
        """Mean share of the mass on the sticker over the sticker's mean share of the pixels (1 = no more
        than an even spread)."""
        return mean_or_nan(self.on_mark[model][method]) / mean_or_nan(self.mark_area)

    def reveals(self, method: str) -> bool:
        """Whether ``method`` shows the shortcut: :data:`REVEALS` x on the sticker for the shortcut model,
        under :data:`CLEAN_BELOW` x for the clean one."""
        return self.factor("shortcut", method) >= REVEALS and self.factor("clean", method) < CLEAN_BELOW

    def revealing(self) -> list[str]:
        """The methods that reveal the shortcut, in :data:`METHODS` order."""
        return [m for m in self.on_mark["shortcut"] if self.reveals(m)]

    def __str__(self) -> str:
        rows = []
        for method in self.on_mark["shortcut"]:
            cells = [method]
            for model in self.on_mark:
                on_mark, on_food = mean_or_nan(self.on_mark[model][method]), mean_or_nan(self.on_food[model][method])
                cells += [f"{on_mark:.1%} ({self.factor(model, method):.1f}x)", f"{on_food:.1%}"]
            rows.append([*cells, "yes" if self.reveals(method) else "no"])
        header = ["method"] + [f"{m}: {where}" for m in self.on_mark for where in ("on sticker", "on food")]
        return (
            f"Share of each map's positive mass on {len(self.data)} marked validation images (mean per image)\n"
            + text_table([*header, "reveals it"], rows)
            + f"\nthe sticker covers {mean_or_nan(self.mark_area):.1%} of an image, the food "
            f"{mean_or_nan(self.food_area):.1%}; (Nx) = share on the sticker / its share of the pixels. "
            f"'reveals it': at least {REVEALS:g}x for the shortcut model and under {CLEAN_BELOW:g}x for the clean one"
        )

    def plot(self, example: int = 0) -> plt.Figure:
        """One image's maps per model (sticker outlined magenta, food cyan), then the factors per method."""
        methods = list(self.on_mark["shortcut"])
        fig = plt.figure(figsize=(14, 8.5), constrained_layout=True)
        top, bottom = fig.subfigures(2, 1, height_ratios=[2, 1.2])
        grid = top.subplots(len(self.maps), len(methods) + 1, squeeze=False)
        picture = self.data.images[example].permute(1, 2, 0).clamp(0, 1).numpy()
        for r, model in enumerate(self.maps):
            grid[r, 0].imshow(picture)
            grid[r, 0].set_ylabel(f"{model} model", fontsize=10)
            for c, method in enumerate(methods):
                grid[r, c + 1].imshow(self.maps[model][method][example].clamp(min=0).numpy(), cmap="hot")
                grid[r, c + 1].set_title(method if r == 0 else "", fontsize=9)
        for ax in grid.flat:
            ax.contour(self.data.food[example].numpy(), levels=[0.5], colors="cyan", linewidths=0.8)
            ax.contour(self.data.marks[example].numpy(), levels=[0.5], colors="magenta", linewidths=1.2)
            ax.set_xticks([]), ax.set_yticks([])
        ax = bottom.subplots()
        width = 0.8 / len(self.maps)
        for k, model in enumerate(self.maps):
            xs = [i + (k - (len(self.maps) - 1) / 2) * width for i in range(len(methods))]
            factors = [self.factor(model, m) for m in methods]
            ax.bar(xs, factors, width, label=f"{model} model", color=[COLOURS[m] for m in methods],
                   alpha=1.0 if model == "shortcut" else 0.45, edgecolor="k")  # fmt: skip
        ax.axhline(REVEALS, color="k", ls="--", lw=1, label=f"{REVEALS:g}x: the shortcut shows")
        ax.axhline(1, color="gray", ls=":", lw=1, label="1x: an even spread")
        ax.set_xticks(range(len(methods)), methods)
        ax.set(ylabel="mass on the sticker / its area", title="How much each map sits on the sticker "
               "(solid: shortcut model, pale: clean model)")  # fmt: skip
        ax.legend(fontsize=8)
        fig.suptitle("Which explanations catch the Clever Hans? (sticker outlined magenta, food cyan)")
        return fig


def mark_mass(
    models: dict[str, nn.Module], data: Marked, settings: Settings, methods: tuple[str, ...] = METHODS
) -> MarkMass:
    """Explain ``data``'s true classes with every method for every model and measure mass on sticker and food."""
    on_mark: dict[str, dict[str, torch.Tensor]] = {}
    on_food: dict[str, dict[str, torch.Tensor]] = {}
    maps: dict[str, dict[str, torch.Tensor]] = {}
    for name, model in models.items():
        device = next(model.parameters()).device
        maps[name] = explain_all(model, data.images.to(device), data.labels.to(device), settings, methods)
        on_mark[name] = {m: em.relevance_mass(v, data.marks) for m, v in maps[name].items()}
        on_food[name] = {m: em.relevance_mass(v, data.food) for m, v in maps[name].items()}
    return MarkMass(on_mark, on_food, chance_mass(data.marks), chance_mass(data.food), maps, data)
