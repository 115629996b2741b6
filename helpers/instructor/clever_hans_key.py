"""Instructor side (keep out of the student release): the answers to lesson 09's questions 30 and 31.

Question 30 asks how the shortcut model's accuracy compares with the clean model's on the three versions of
the validation images; question 31, which methods reveal the shortcut. :func:`measure` runs what the
lesson's evidence cells print, with the notebook's default parameters (:data:`DEFAULTS`; a test compares
them with the notebook's parameters cell), and :func:`rule_q30` / :func:`rule_q31` read the letters from
it. ``python -m helpers.instructor.clever_hans_key`` merges the answers into ``data/keys/embedded.json``;
the course key has no entries, as the course had no such lesson.
"""

from __future__ import annotations

from pathlib import Path

from helpers.clever_hans import Accuracies, MarkMass

#: Lesson 09's parameters cell, as the key derivation uses it.
DEFAULTS = {"per_class": 2, "smoothgrad_samples": 10, "ig_steps": 10, "lime_samples": 100, "lime_segments": 50}

#: Question 30's options when the shortcut model is at least as accurate as the clean one with stickers as in
#: training: (below the clean model without stickers, below it with swapped stickers) -> letter. "C": it is
#: already below with stickers as in training.
Q30_OPTIONS = {(True, True): "A", (False, False): "B", (True, False): "D", (False, True): "D"}
#: Question 31's options: a letter per method; "E" when none reveals the shortcut.
Q31_OPTIONS = {"saliency": "A", "SmoothGrad": "B", "IG": "C", "LIME": "D"}


def rule_q30(acc: Accuracies) -> str:
    """The letter of question 30 for the measured accuracies."""
    short, clean = acc.values["shortcut"], acc.values["clean"]
    marked, unmarked, swapped = list(short)
    if short[marked] < clean[marked]:
        return "C"
    return Q30_OPTIONS[(short[unmarked] < clean[unmarked], short[swapped] < clean[swapped])]


def rule_q31(mass: MarkMass) -> str:
    """The letters of question 31: the methods that reveal the shortcut (:meth:`MarkMass.reveals`), or E."""
    return "".join(Q31_OPTIONS[m] for m in mass.revealing()) or "E"


def measure(
    shortcut_checkpoint: str | Path | None = None, checkpoint: str | Path | None = None, device: str = "cpu"
) -> tuple[Accuracies, MarkMass]:
    """Lesson 09's two measurements with :data:`DEFAULTS` (the embedded shortcut data by default)."""
    from helpers.clever_hans import accuracies, load_marked, load_models, mark_mass
    from helpers.evaluate_explanations import Settings

    models = load_models(shortcut_checkpoint, checkpoint, device)
    settings = Settings(**{k: v for k, v in DEFAULTS.items() if k != "per_class"})
    marked = load_marked(None, DEFAULTS["per_class"])
    return accuracies(models), mark_mass(models, marked, settings)


def write_key() -> dict[int, str]:
    """Derive questions 30 and 31 on the embedded data and checkpoints; merge them into the embedded key."""
    from helpers.instructor.keys import write_key as write

    acc, mass = measure()
    letters = {30: rule_q30(acc), 31: rule_q31(mass)}
    write("embedded", "embedded", None, letters)
    return letters


if __name__ == "__main__":
    for number, letter in write_key().items():
        print(f"question {number}: {letter}")
