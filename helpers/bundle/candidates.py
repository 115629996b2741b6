"""Choosing the embedded checkpoint by measurement: ``python -m helpers evaluate --compare A.pt B.pt ...``.

One row per checkpoint of the course classifier: its size, its accuracy on the whole validation split and
on the held-out style split (tables, plates and light training never uses), and the explanation figures
of :mod:`helpers.bundle.explanation_quality` that its targets are about, and how far integrated gradients
is from completeness on it. A checkpoint replaces the embedded one only when it also keeps the notebooks
within their time budget and the test suite (the integrated-gradients completeness test included) passes
on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from helpers.bundle.explanation_quality import ExplanationQuality, measure

METHODS = ("saliency", "SmoothGrad", "IG")

#: The accepted completeness target that ``tests/test_sanity.py`` asserts on the committed checkpoint:
#: over the ten observed images, the median relative error of integrated gradients with 64 midpoint steps
#: is below 1%. On a ReLU network the integrand jumps wherever a unit switches along the path, so the error
#: depends on the checkpoint, not only on the number of steps.
IG_STEPS, IG_MEDIAN_ERROR = 64, 0.01


def ig_completeness_error(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Median over ``images`` (N x 3 x H x W) of IG's relative completeness error |sum of attributions -
    (F(x) - F(black))| / |F(x) - F(black)| for ``labels`` (N,), at :data:`IG_STEPS` midpoint steps."""
    from helpers.integrated_gradients import integrated_gradients

    result = integrated_gradients(model, images, labels, steps=IG_STEPS, rule="riemann_middle")
    return result.relative_error.median().item()


@dataclass
class Candidate:
    """The figures of one checkpoint (accuracies are fractions; ratios are food share / area share)."""

    name: str
    widths: tuple[int, ...]
    parameters: int
    validation: float
    heldout_style: float
    quality: ExplanationQuality
    ig_error: float  # see ig_completeness_error

    def cells(self) -> list[str]:
        """The row's cells in :data:`HEADER`'s order."""
        q = self.quality
        met = sum(ok for ok, _ in q.checks().values())
        return [
            self.name,
            "-".join(map(str, self.widths)),
            f"{self.parameters / 1e3:.0f}k",
            f"{self.validation:.1%}",
            f"{self.heldout_style:.1%}",
            f"{q.green_images()}/{len(q.lime_green)}",
            " ".join(f"{q.validation_ratio[m]:.2f}" for m in METHODS),
            " ".join(f"{q.lowest_correct(m):.2f}" for m in METHODS),
            f"{q.food_only:.0%} / {q.background_only:.0%}",
            f"{met}/{len(q.checks())}",
            f"{self.ig_error:.2%} ({'met' if self.ig_error < IG_MEDIAN_ERROR else 'not met'})",
        ]


HEADER = [
    "checkpoint",
    "widths",
    "params",
    "validation",
    "held-out style",
    "LIME green",
    "val. ratio sal/SG/IG",
    "lowest observed sal/SG/IG",
    "food-only / bg-only",
    "targets met",
    f"IG completeness error ({IG_STEPS} steps, target < {IG_MEDIAN_ERROR:.0%})",
]


def evaluate_candidate(
    checkpoint: str | Path, per_class: int = 40, smoothgrad_samples: int = 500, device: str = "auto"
) -> Candidate:
    """Measure one checkpoint on the embedded data (see :func:`~helpers.bundle.explanation_quality.measure`)."""
    from helpers.bundle.splits import accuracy, load_split, resolve_split
    from helpers.observe import load_observation

    observed = load_observation(checkpoint=checkpoint, device=device, verbose=False)
    model = observed.model
    splits = {
        split: load_split(resolve_split(None, split), progress=False) for split in ("validation", "heldout_style")
    }
    quality = measure(checkpoint, per_class, smoothgrad_samples, device, progress=False)
    return Candidate(
        Path(checkpoint).stem,
        tuple(model.widths),
        sum(p.numel() for p in model.parameters()),
        accuracy(model, *splits["validation"]),
        accuracy(model, *splits["heldout_style"]),
        quality,
        ig_completeness_error(model, observed.images, observed.labels),
    )


def table(candidates: list[Candidate]) -> str:
    """The candidates as a Markdown table (one row each, in the given order)."""
    rows = [HEADER, ["---"] * len(HEADER)] + [c.cells() for c in candidates]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def compare(
    checkpoints: list[str | Path], per_class: int = 40, smoothgrad_samples: int = 500, device: str = "auto"
) -> str:
    """The table of :func:`table` for the given checkpoint files, with the measuring settings."""
    candidates = [evaluate_candidate(c, per_class, smoothgrad_samples, device) for c in checkpoints]
    settings = (
        f"Explanation figures on {per_class} validation images per class (SmoothGrad {smoothgrad_samples} copies) "
        "and the ten observed images (course settings); accuracies on the whole splits."
    )
    return settings + "\n\n" + table(candidates)
