"""Choosing the embedded checkpoint by measurement: ``python -m helpers evaluate --compare A.pt B.pt ...``.

One row per checkpoint of the course classifier: its size, its accuracy on the whole validation split and
on the held-out style split (tables, plates and light training never uses), and the explanation figures
of :mod:`helpers.bundle.explanation_quality` that its targets are about, integrated gradients' distance
from completeness among them. A checkpoint replaces the embedded one only when it also keeps the notebooks
within their time budget and the test suite (the integrated-gradients completeness test included) passes
on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpers.bundle.explanation_quality import IG_STEPS, TARGETS, ExplanationQuality, measure

METHODS = ("saliency", "SmoothGrad", "IG")


@dataclass
class Candidate:
    """The figures of one checkpoint (accuracies are fractions; ratios are food share / area share)."""

    name: str
    widths: tuple[int, ...]
    parameters: int
    validation: float
    heldout_style: float
    quality: ExplanationQuality

    def accuracy_checks(self) -> dict[str, bool]:
        """The accuracy targets on the whole splits -> met."""
        return {
            "validation": self.validation >= TARGETS["validation_accuracy"],
            "held-out style": self.heldout_style >= TARGETS["heldout_accuracy"],
        }

    def cells(self) -> list[str]:
        """The row's cells in :data:`HEADER`'s order."""
        q, worst_steps = self.quality, TARGETS["ig_worst"][0]
        quality_checks = q.checks()
        checks = [ok for ok, _ in quality_checks.values()] + list(self.accuracy_checks().values())
        ig_met = all(ok for name, (ok, _) in quality_checks.items() if name.startswith("IG completeness"))
        return [
            self.name,
            "-".join(map(str, self.widths)),
            f"{self.parameters / 1e3:.0f}k",
            f"{self.validation:.1%}",
            f"{self.heldout_style:.1%}",
            f"{q.green_images()}/{len(q.lime_green)}, {q.lime_green_ratio():.2f}x",
            " ".join(f"{q.validation_ratio[m]:.2f}" for m in METHODS),
            " ".join(f"{q.lowest_correct(m):.2f}" for m in METHODS),
            f"{q.food_only:.0%} / {q.background_only:.0%}",
            f"{min(min(v) for v in q.filter_structure.values()):.2f}",
            " / ".join(f"{q.ig_median(n):.2%}" for n in IG_STEPS[:-1])
            + f", max {max(q.ig_error[worst_steps]):.2%} ({'met' if ig_met else 'not met'})",
            f"{sum(checks)}/{len(checks)}",
        ]


HEADER = [
    "checkpoint",
    "widths",
    "params",
    "validation",
    "held-out style",
    "LIME green images, weight on food",
    "val. ratio sal/SG/IG",
    "lowest observed sal/SG/IG",
    "food-only / bg-only",
    "filter visualization structure (lowest)",
    "IG completeness error: median at " + " / ".join(map(str, IG_STEPS[:-1])) + f" steps, max at {IG_STEPS[-1]}",
    "targets met",
]


def evaluate_candidate(
    checkpoint: str | Path, per_class: int = 40, smoothgrad_samples: int = 500, device: str = "auto"
) -> Candidate:
    """Measure one checkpoint on the embedded data (see :func:`~helpers.bundle.explanation_quality.measure`)."""
    from helpers.bundle.splits import load_split, resolve_split
    from helpers.model import accuracy, load_model

    model = load_model(checkpoint, device)
    splits = {
        split: load_split(resolve_split(None, split), progress=False) for split in ("validation", "heldout_style")
    }
    return Candidate(
        Path(checkpoint).stem,
        tuple(model.widths),
        sum(p.numel() for p in model.parameters()),
        accuracy(model, *splits["validation"]),
        accuracy(model, *splits["heldout_style"]),
        measure(checkpoint, per_class, smoothgrad_samples, device, progress=False),
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
