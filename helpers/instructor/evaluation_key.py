"""Instructor side (keep out of the student release): the answer to lesson 08's question 29.

Question 29 asks on which kind of images the centre guess beats the gradient methods (saliency,
SmoothGrad, IG) on rank accuracy: the ordinary validation images, the difficult split, both or neither.
:func:`measure` runs what the lesson's evidence cell prints, with the notebook's default parameters
(:data:`DEFAULTS`; a test compares them with the notebook's parameters cell), and :func:`rule_q29` reads
the letter from it. ``python -m helpers.instructor.evaluation_key`` merges the answer into
``data/keys/embedded.json``; the course key has no entry, as the course had no such question.
"""

from __future__ import annotations

from pathlib import Path

from helpers.centre_bias import SplitComparison, compare_splits

#: Lesson 08's parameters cell, as the key derivation uses it.
DEFAULTS = {"per_class": 2, "smoothgrad_samples": 10, "ig_steps": 10, "lime_samples": 100, "lime_segments": 50}

#: Question 29's options: (a gradient method beats the centre guess on the ordinary images, on the
#: difficult split) -> letter.
Q29_OPTIONS = {(False, False): "A", (False, True): "B", (True, True): "C", (True, False): "D"}


def rule_q29(splits: SplitComparison) -> str:
    """The letter of question 29 for the measured comparison (rank accuracy, gradient methods vs. centre)."""
    beaten = tuple(bool(splits.beats_centre(split, "rank accuracy")) for split in ("ordinary", "difficult"))
    return Q29_OPTIONS[beaten]


def measure(checkpoint: str | Path | None = None, device: str = "cpu") -> SplitComparison:
    """Lesson 08's comparison of the two kinds of images with :data:`DEFAULTS` (embedded data by default)."""
    from helpers.evaluate_explanations import Settings, explain_all, load_validation, localisation

    settings = Settings(**{k: v for k, v in DEFAULTS.items() if k != "per_class"})
    data = load_validation(None, checkpoint, device, per_class=DEFAULTS["per_class"])
    hard = load_validation(None, checkpoint, device, per_class=DEFAULTS["per_class"], split="difficult")
    where = localisation(explain_all(data.model, data.images, data.labels, settings, progress=False), data)
    return compare_splits(where, data, hard, settings)


def write_key() -> str:
    """Derive question 29 on the embedded data and checkpoint and merge it into ``data/keys/embedded.json``."""
    from helpers.instructor.keys import write_key as write

    letter = rule_q29(measure())
    write("embedded", "embedded", None, {29: letter})
    return letter


if __name__ == "__main__":
    print(f"question 29: {write_key()}")
