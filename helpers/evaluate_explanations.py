"""Lesson 08, which explanation can you trust: the methods side by side, measured three ways.

Each measurement is an object that prints its table and draws its figure, so the notebook stays a
sequence of one-line calls: :func:`localisation` (pointing game, relevance mass, rank accuracy on the
food masks), :func:`faithfulness` (deletion and insertion, RISE), :func:`sanity` (cascading
randomization) and :func:`reading`, the closing summary written from the measured numbers. The metrics
themselves live in :mod:`helpers.explanation_metrics`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from helpers import explanation_metrics as em
from helpers.attribution import chance_mass
from helpers.checks import check_int
from helpers.data import DataError, FoodDataset
from helpers.evidence import rank_correlations
from helpers.integrated_gradients import integrated_gradients
from helpers.lime_explain import lime_explain
from helpers.model import accuracy, load_model, predict
from helpers.saliency import saliency
from helpers.smoothgrad import smoothgrad

#: The explanation methods, then the two maps that ignore the model.
METHODS = ("saliency", "SmoothGrad", "IG", "LIME")
BASELINES = ("random", "centre")
COLOURS = {
    "saliency": "tab:blue",
    "SmoothGrad": "tab:orange",
    "IG": "tab:green",
    "LIME": "tab:red",
    "random": "tab:gray",
    "centre": "tab:purple",
}


@dataclass
class Settings:
    """How much work each method does (the lesson lowers the course's counts to fit a CPU)."""

    smoothgrad_samples: int = 10  # course: 500
    ig_steps: int = 10  # course: 10
    lime_samples: int = 100  # course (lime): 1000
    lime_segments: int = 50  # course: 200; fewer superpixels need fewer samples for a stable fit
    seed: int = 0


def explain_all(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    settings: Settings,
    names: tuple[str, ...] = METHODS + BASELINES,
    progress: bool = True,
) -> dict[str, torch.Tensor]:
    """Maps N x H x W (float32, CPU) of every method in ``names`` for ``images`` N x 3 x H x W and ``targets`` N.

    LIME's maps keep their sign (superpixels against the class are negative); the others are >= 0.
    """
    s = settings
    run = {
        "saliency": lambda: saliency(model, images, targets),
        "SmoothGrad": lambda: smoothgrad(
            model, images, targets, samples=s.smoothgrad_samples, seed=s.seed, progress=False
        ),
        "IG": lambda: integrated_gradients(model, images, targets, steps=s.ig_steps).maps,
        "LIME": lambda: (
            lime_explain(
                model,
                images,
                targets,
                num_samples=s.lime_samples,
                num_segments=s.lime_segments,
                seed=s.seed,
                progress=False,
            ).maps
        ),
        "random": lambda: em.random_maps(model, images, targets, seed=s.seed),
        "centre": lambda: em.centre_maps(model, images, targets),
    }
    out = {}
    for name in tqdm(names, desc="explaining", unit="method", disable=not progress):
        out[name] = run[name]().detach().float().cpu()
    return out


@dataclass
class Validation:
    """The images the lesson measures on, with their food masks and the model."""

    model: nn.Module
    images: torch.Tensor  # N x 3 x H x W in [0, 1], on the model's device
    labels: torch.Tensor  # N, on the model's device
    masks: torch.Tensor  # N x H x W bool: where the food is
    folder: Path | None = None  # where the images came from (all of it: :func:`split_accuracy`)

    def __len__(self) -> int:
        return len(self.images)


def load_validation(
    data_dir: str | Path | None = None,
    checkpoint: str | Path | None = None,
    device: str = "auto",
    per_class: int = 1,
    split: str = "validation",
) -> Validation:
    """The first ``per_class`` images of each class of a validation split with food masks, and the model.

    ``data_dir=None``: the embedded data's ``split`` (``validation``, or ``difficult``: small food off the
    centre, :data:`helpers.synthetic_food.DIFFICULT_SPLITS`), which has ``masks/``; otherwise a folder of
    ``<label>_<n>`` images with a ``masks/`` subfolder of ``<label>_<n>.png`` masks.
    """
    per_class = check_int("per_class (validation images per class)", per_class, 1)
    if data_dir is None:
        from helpers.synthetic_food import SPLITS, ensure_embedded

        if split not in SPLITS:
            raise ValueError(f"the embedded data has no split {split!r}; use one of {list(SPLITS)}.")
        data_dir = ensure_embedded() / split
    dataset = FoodDataset(Path(data_dir))
    if dataset.mask_folder is None:
        raise DataError(
            f"{data_dir} has no masks/ folder: localisation needs to know where the food is. "
            "Use the embedded data (data_dir = None), whose images come with masks."
        )
    chosen: dict[int, list[int]] = {}
    for index, label in enumerate(dataset.labels):
        if len(chosen.setdefault(label, [])) < per_class:
            chosen[label].append(index)
    indices = sorted(i for found in chosen.values() for i in found)
    model = load_model(checkpoint, device)
    dev = next(model.parameters()).device
    images, labels, kept = dataset.load(indices)
    print(
        f"{len(kept)} images ({per_class} per class of {len(chosen)}) from {data_dir}, "
        f"model widths {model.widths}, device {dev}"
    )
    return Validation(model, images.to(dev), labels.to(dev), dataset.masks(kept), Path(data_dir))


def split_accuracy(data: Validation, batch_size: int = 256) -> float:
    """Top-1 accuracy of ``data.model`` on every image of ``data.folder`` (not only the ones measured)."""
    if data.folder is None:
        return accuracy(data.model, data.images, data.labels.cpu())
    dataset = FoodDataset(data.folder)
    correct = 0
    for start in range(0, len(dataset), batch_size):
        images, labels = dataset.getbatch(range(start, min(start + batch_size, len(dataset))))
        correct += int((predict(data.model, images) == labels).sum())
    return correct / max(len(dataset), 1)


def mean_or_nan(values: torch.Tensor) -> float:
    """The mean of the numbers that are not NaN (NaN when there are none)."""
    return float(np.nanmean(values.numpy())) if len(values) else math.nan


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Rows of strings as a plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{widths[0]}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join(line.format(*r) for r in [header, *rows])


# ---------------------------------------------------------------------------------------------------
# Localisation


@dataclass
class Localisation:
    """Pointing game, relevance mass and rank accuracy per method, each per image (float64 N)."""

    scores: dict[str, dict[str, torch.Tensor]]  # method -> metric -> N
    chance: torch.Tensor  # N: each mask's share of the pixels
    maps: dict[str, torch.Tensor]  # method -> N x H x W
    images: torch.Tensor  # N x 3 x H x W (CPU), for the figure
    masks: torch.Tensor  # N x H x W

    METRICS = ("pointing game", "relevance mass", "rank accuracy")

    def mean(self, method: str, metric: str) -> float:
        return mean_or_nan(self.scores[method][metric])

    def __str__(self) -> str:
        rows = [[m, *(f"{self.mean(m, k):.2f}" for k in self.METRICS)] for m in self.scores]
        chance = f"{mean_or_nan(self.chance):.2f}"
        return (
            f"Localisation on {len(self.chance)} images (mean per image; higher = more on the food)\n"
            + text_table(["method", *self.METRICS], rows)
            + f"\nthe food covers {chance} of an image on average: a map spread evenly scores {chance} "
            "on relevance mass and on rank accuracy"
        )

    def plot(self, example: int = 0) -> plt.Figure:
        """One image's maps with the food outlined (top) and the three means per method (bottom)."""
        names = list(self.scores)
        fig = plt.figure(figsize=(15, 6.5), constrained_layout=True)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.3])
        axes = top.subplots(1, len(names) + 1)
        axes[0].imshow(self.images[example].permute(1, 2, 0).clamp(0, 1).numpy())
        axes[0].set_title("image (food outlined)", fontsize=9)
        for ax, name in zip(axes[1:], names, strict=True):
            ax.imshow(self.maps[name][example].numpy(), cmap="hot")
            ax.set_title(name, fontsize=9)
        for ax in axes:
            ax.contour(self.masks[example].numpy(), levels=[0.5], colors="cyan", linewidths=1)
            ax.set_xticks([]), ax.set_yticks([])
        bars = bottom.subplots(1, 3)
        for ax, metric in zip(bars, self.METRICS, strict=True):
            ax.bar(names, [self.mean(n, metric) for n in names], color=[COLOURS.get(n, "k") for n in names])
            if metric != "pointing game":
                ax.axhline(mean_or_nan(self.chance), color="k", ls="--", lw=1, label="evenly spread map")
                ax.legend(fontsize=8)
            ax.set(title=metric, ylim=(0, 1), ylabel="mean over images")
            ax.tick_params(axis="x", rotation=30)
        fig.suptitle(f"Localisation: do the maps point at the food? ({len(self.chance)} images)")
        return fig


def localisation(maps: dict[str, torch.Tensor], data: Validation) -> Localisation:
    """Measure every method's maps against the food masks of ``data``."""
    scores = {
        name: {
            "pointing game": em.pointing_game(m, data.masks),
            "relevance mass": em.relevance_mass(m, data.masks),
            "rank accuracy": em.relevance_rank(m, data.masks),
        }
        for name, m in maps.items()
    }
    return Localisation(scores, chance_mass(data.masks), maps, data.images.cpu(), data.masks)


# ---------------------------------------------------------------------------------------------------
# Faithfulness


@dataclass
class Faithfulness:
    """Deletion and insertion curves (probability of the true class) per method, N x (steps + 1) each."""

    curves: dict[str, dict[str, torch.Tensor]]  # kind -> method -> N x (steps + 1)
    strip: dict[str, torch.Tensor]  # kind -> 4 x 3 x H x W: one image at 0, 10, 25, 50 % (best method's map)
    strip_method: str

    FRACTIONS = (0.0, 0.1, 0.25, 0.5)

    def area(self, kind: str, method: str) -> float:
        """Mean area under the curve (deletion: lower is better; insertion: higher is better)."""
        return mean_or_nan(em.curve_area(self.curves[kind][method]))

    def __str__(self) -> str:
        methods = list(self.curves["deletion"])
        rows = []
        for m in methods:
            deletion, insertion = self.area("deletion", m), self.area("insertion", m)
            rows.append([m, f"{deletion:.3f}", f"{insertion:.3f}", f"{insertion - deletion:+.3f}"])
        n = len(next(iter(self.curves["deletion"].values())))
        return f"Faithfulness on {n} validation images: area under the probability of the true class\n" + text_table(
            ["method", "deletion (low = good)", "insertion (high = good)", "insertion - deletion"], rows
        )

    def plot(self) -> plt.Figure:
        """The mean curves per method (bottom) and what the model sees along the way for one image (top)."""
        fig = plt.figure(figsize=(14, 7), constrained_layout=True)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.4])
        pictures = top.subplots(1, 2 * len(self.FRACTIONS))
        for k, kind in enumerate(("deletion", "insertion")):
            for j, fraction in enumerate(self.FRACTIONS):
                ax = pictures[k * len(self.FRACTIONS) + j]
                ax.imshow(self.strip[kind][j].permute(1, 2, 0).clamp(0, 1).numpy())
                ax.set_title(f"{kind} {fraction:.0%}", fontsize=9)
                ax.set_xticks([]), ax.set_yticks([])
        top.suptitle(f"What the model sees: the most relevant pixels by {self.strip_method} first", fontsize=10)
        for ax, kind in zip(bottom.subplots(1, 2), ("deletion", "insertion"), strict=True):
            for method, curves in self.curves[kind].items():
                x = np.linspace(0, 1, curves.shape[1])
                ax.plot(
                    x,
                    curves.mean(0).numpy(),
                    color=COLOURS.get(method, "k"),
                    lw=2,
                    ls="--" if method in BASELINES else "-",
                    label=f"{method} (area {self.area(kind, method):.2f})",
                )
            ax.set(
                title=f"{kind}: {'black' if kind == 'deletion' else 'blurred'} pixels "
                f"{'replace' if kind == 'deletion' else 'give way to'} the most relevant first",
                xlabel="share of the pixels changed",
                ylabel="probability of the true class",
                ylim=(0, 1),
            )
            ax.legend(fontsize=8)
        fig.suptitle("Faithfulness (Petsiuk et al. 2018): does removing what the map shows change the verdict?")
        return fig


def faithfulness(
    maps: dict[str, torch.Tensor], data: Validation, steps: int = 10, progress: bool = True
) -> Faithfulness:
    """Deletion and insertion curves of every method's maps (all images and steps batched per method)."""
    curves: dict[str, dict[str, torch.Tensor]] = {"deletion": {}, "insertion": {}}
    work = [(kind, name) for kind in curves for name in maps]
    for kind, name in tqdm(work, desc="deletion/insertion", unit="curve set", disable=not progress):
        curves[kind][name] = em.perturbation_curves(
            data.model, data.images, data.labels, maps[name].to(data.images.device), kind=kind, steps=steps
        )
    deletion = {m: mean_or_nan(em.curve_area(c)) for m, c in curves["deletion"].items() if m in METHODS}
    best = min(deletion, key=deletion.get) if deletion else next(iter(maps))
    image, m = data.images[:1].cpu(), maps[best][:1]
    strip = {kind: torch.cat([em.perturbed(image, m, f, kind) for f in Faithfulness.FRACTIONS]) for kind in curves}
    return Faithfulness(curves, strip, best)


# ---------------------------------------------------------------------------------------------------
# Sanity


@dataclass
class Sanity:
    """Maps of a few images after each step of cascading randomization, and their rank correlation with
    the trained model's maps (Adebayo et al. 2018)."""

    steps: list[str]  # "trained", then what was randomized at each step (cumulative)
    maps: dict[str, list[torch.Tensor]]  # method -> per step: N x H x W
    correlation: dict[str, list[float]]  # method -> per step: mean Spearman correlation with "trained"
    image: torch.Tensor  # 3 x H x W: the image the figure shows

    def final(self, method: str) -> float:
        """The mean rank correlation once every layer is random."""
        return self.correlation[method][-1]

    def __str__(self) -> str:
        rows = [[m, *(f"{c:.2f}" for c in cs)] for m, cs in self.correlation.items()]
        steps = ["trained", *(f"+{s}" for s in self.steps[1:])]
        return (
            "Sanity: rank correlation of |map| with the trained model's, as layers are randomized from the top\n"
            + text_table(["method", *steps], rows)
        )

    def plot(self) -> plt.Figure:
        """The first image's maps per step (rows: methods) and the correlation curves (bottom)."""
        names = list(self.maps)
        fig = plt.figure(figsize=(15, 2 + 1.9 * len(names) + 3.5), constrained_layout=True)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.9 * len(names), 3.5])
        grid = top.subplots(len(names), len(self.steps) + 1, squeeze=False)
        for r, name in enumerate(names):
            grid[r, 0].imshow(self.image.permute(1, 2, 0).clamp(0, 1).numpy())
            grid[r, 0].set_ylabel(name, fontsize=10)
            for c, step in enumerate(self.steps):
                grid[r, c + 1].imshow(self.maps[name][c][0].abs().numpy(), cmap="hot")
                if r == 0:
                    grid[r, c + 1].set_title(step if c == 0 else f"+ {step}", fontsize=8)
        for ax in grid.flat:
            ax.set_xticks([]), ax.set_yticks([])
        ax = bottom.subplots()
        for name in names:
            ax.plot(range(len(self.steps)), self.correlation[name], "o-", color=COLOURS.get(name, "k"), label=name)
        ax.set_xticks(range(len(self.steps)), ["trained", *(f"+ {s}" for s in self.steps[1:])], fontsize=8)
        ax.axhline(0, color="k", lw=0.5)
        ax.set(
            ylim=(-0.3, 1.05),
            xlabel="layers randomized so far (from the output down)",
            ylabel="rank correlation with trained",
        )
        ax.legend(fontsize=8, ncols=len(names))
        fig.suptitle("Sanity (Adebayo et al. 2018): a map that survives a randomized model does not explain it")
        return fig


def sanity(
    data: Validation,
    settings: Settings,
    images: int = 2,
    by: str = "block",
    names: tuple[str, ...] = METHODS + ("centre",),
    progress: bool = True,
) -> Sanity:
    """Cascading randomization of ``data.model`` on its first ``images`` images, every method at each step."""
    images = check_int("images (for the sanity check)", images, 1)
    x, y = data.images[:images], data.labels[:images]
    steps, maps = [], {name: [] for name in names}
    cascade = list(em.learned_layers(data.model, by))
    for step, model in tqdm(
        em.cascading_randomization(data.model, by, settings.seed),
        total=len(cascade) + 1,
        desc="randomizing",
        unit="step",
        disable=not progress,
    ):
        steps.append(step)
        for name, m in explain_all(model, x, y, settings, names, progress=False).items():
            maps[name].append(m)
    correlation = {
        name: [mean_or_nan(rank_correlations(per_step[0].abs(), m.abs())) for m in per_step]
        for name, per_step in maps.items()
    }
    return Sanity(steps, maps, correlation, x[0].cpu())


# ---------------------------------------------------------------------------------------------------
# The closing reading


@dataclass
class Reading:
    """What the three measurements say together, written from their numbers."""

    where: Localisation
    faith: Faithfulness
    checks: Sanity

    def verdicts(self) -> dict[str, list[str]]:
        """Per explanation method: the tests it passes, in words."""
        random_del, random_ins = self.faith.area("deletion", "random"), self.faith.area("insertion", "random")
        centre_rank = self.where.mean("centre", "rank accuracy")
        chance = mean_or_nan(self.where.chance)
        out = {}
        for m in METHODS:
            rank = self.where.mean(m, "rank accuracy")
            passed = []
            if rank > chance:
                passed.append(f"more on the food than an even spread ({rank:.2f} > {chance:.2f})")
            if rank > centre_rank:
                passed.append(f"more on the food than the centre guess ({rank:.2f} > {centre_rank:.2f})")
            if self.faith.area("deletion", m) < random_del and self.faith.area("insertion", m) > random_ins:
                passed.append("deleting or inserting its pixels first moves the verdict faster than random pixels")
            if self.checks.final(m) < 0.5:
                passed.append(f"its maps change with a random model (correlation {self.checks.final(m):.2f} < 0.5)")
            out[m] = passed
        return out

    def __str__(self) -> str:
        rows = [
            [
                m,
                f"{self.where.mean(m, 'pointing game'):.2f}",
                f"{self.where.mean(m, 'relevance mass'):.2f}",
                f"{self.where.mean(m, 'rank accuracy'):.2f}",
                f"{self.faith.area('deletion', m):.3f}",
                f"{self.faith.area('insertion', m):.3f}",
                f"{self.checks.final(m):.2f}" if m in self.checks.correlation else "-",
            ]
            for m in self.where.scores
        ]
        lines = [
            text_table(["method", "pointing", "mass", "rank", "deletion", "insertion", "random-model corr."], rows),
            "",
            "Tests passed (of 4: above an even spread, above the centre guess, faithful, sane):",
        ]
        for m, passed in self.verdicts().items():
            lines.append(f"- {m}: {len(passed)} of 4" + "".join(f"\n    {p}" for p in passed))
        centre = self.where.mean("centre", "rank accuracy")
        beaten = [m for m in METHODS if self.where.mean(m, "rank accuracy") > centre]
        which = f" ({', '.join(beaten)})." if beaten else "."
        lines.append(
            f"The centre guess, which never looks at the model, reaches rank accuracy {centre:.2f}; "
            f"{len(beaten)} of {len(METHODS)} methods do better{which}"
        )
        return "\n".join(lines)


def reading(where: Localisation, faith: Faithfulness, checks: Sanity) -> Reading:
    """The closing summary of the three measurements (print it)."""
    return Reading(where, faith, checks)
