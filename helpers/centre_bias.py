"""Lesson 08's centre-bias check: localisation on the ordinary validation images and on the difficult
split side by side.

Photos of food, real or drawn, put the food in the middle, so a map that never looks at the model, a bump
in the centre, points at the food about as well as the explanation methods do. Zhang et al. (Top-down
Neural Attention by Excitation Backprop, ECCV 2016; IJCV 2018) met this with their pointing game and
answered it with data: a centre baseline, and a *difficult* subset (small objects, other objects in the
picture) on which that baseline fails. The embedded data's ``difficult`` split is drawn that way
(:data:`helpers.synthetic_food.DIFFICULT_SPLITS`): small food off the centre, often another dish on the
table, with masks of the labelled food only.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from helpers.evaluate_explanations import (
    COLOURS,
    Localisation,
    Settings,
    Validation,
    explain_all,
    localisation,
    mean_or_nan,
    split_accuracy,
    text_table,
)

#: The methods that read the model's gradient (LIME fits a surrogate on superpixels instead).
GRADIENT_METHODS = ("saliency", "SmoothGrad", "IG")


@dataclass
class SplitComparison:
    """Localisation of the same methods on two sets of images, with the model's accuracy on each."""

    where: dict[str, Localisation]  # split name ("ordinary", "difficult") -> its localisation
    accuracy: dict[str, float]  # split name -> top-1 accuracy on the whole split

    def beats_centre(self, split: str, metric: str, methods: tuple[str, ...] = GRADIENT_METHODS) -> list[str]:
        """The ``methods`` whose mean ``metric`` on ``split`` is above the centre guess's."""
        where = self.where[split]
        return [m for m in methods if where.mean(m, metric) > where.mean("centre", metric)]

    def __str__(self) -> str:
        splits = list(self.where)
        first = self.where[splits[0]]
        header = ["method", *(f"{metric.split()[0]} {split}" for metric in first.METRICS for split in splits)]
        rows = [
            [m, *(f"{self.where[s].mean(m, metric):.2f}" for metric in first.METRICS for s in splits)]
            for m in first.scores
        ]
        lines = [
            "Localisation on two kinds of images (mean per image; higher = more on the food)",
            text_table(header, rows),
            "",
        ]
        for s in splits:
            n, share = len(self.where[s].chance), mean_or_nan(self.where[s].chance)
            lines.append(
                f"{s}: {n} images, the food covers {share:.2f} of an image; "
                f"the model's accuracy on the whole split {self.accuracy[s]:.1%}"
            )
        for metric in first.METRICS:
            said = "; ".join(f"{s} {', '.join(self.beats_centre(s, metric)) or 'none'}" for s in splits)
            lines.append(f"gradient methods above the centre guess on {metric}: {said}")
        return "\n".join(lines)

    def plot(self, examples: int = 4) -> plt.Figure:
        """A few difficult images with the food outlined and the centre guess's spot (top), and the three
        means per method on both splits (bottom)."""
        splits = list(self.where)
        hard = self.where[splits[-1]]
        fig = plt.figure(figsize=(15, 7), constrained_layout=True)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.3])
        shown = min(examples, len(hard.chance))
        best = max(GRADIENT_METHODS, key=lambda m: hard.mean(m, "rank accuracy"))
        axes = top.subplots(1, 2 * shown, squeeze=False)[0]
        for i in range(shown):
            picture, heat = axes[2 * i], axes[2 * i + 1]
            picture.imshow(hard.images[i].permute(1, 2, 0).clamp(0, 1).numpy())
            picture.set_title(f"{splits[-1]} #{i}", fontsize=9)
            heat.imshow(hard.maps[best][i].numpy(), cmap="hot")
            heat.set_title(best, fontsize=9)
            for ax in (picture, heat):
                ax.contour(hard.masks[i].numpy(), levels=[0.5], colors="cyan", linewidths=1)
                ax.contour(hard.maps["centre"][i].numpy(), levels=[0.5], colors="magenta", linewidths=1)
                ax.set_xticks([]), ax.set_yticks([])
        top.suptitle("food outlined in cyan; magenta: where the centre guess is above half its peak", fontsize=10)
        names = list(hard.scores)
        x, width = np.arange(len(names)), 0.8 / len(splits)
        for ax, metric in zip(bottom.subplots(1, 3), hard.METRICS, strict=True):
            for k, split in enumerate(splits):
                values = [self.where[split].mean(n, metric) for n in names]
                colours = [COLOURS.get(n, "k") for n in names]
                ax.bar(x + (k - (len(splits) - 1) / 2) * width, values, width, color=colours, alpha=1 - 0.5 * k)
            ax.set_xticks(x, names, rotation=30)
            ax.set(title=f"{metric} ({' / '.join(splits)}: solid / pale)", ylim=(0, 1), ylabel="mean over images")
        fig.suptitle("Where the centre guess wins and where it fails: ordinary photos against the difficult split")
        return fig


def compare_splits(ordinary: Localisation, data: Validation, hard: Validation, settings: Settings) -> SplitComparison:
    """Explain the difficult images ``hard`` as ``ordinary`` explained ``data`` (every method and baseline,
    ``settings``), and put the two localisations side by side with the model's accuracy on each whole split."""
    where = localisation(explain_all(hard.model, hard.images, hard.labels, settings), hard)
    return SplitComparison(
        {"ordinary": ordinary, "difficult": where},
        {"ordinary": split_accuracy(data), "difficult": split_accuracy(hard)},
    )
