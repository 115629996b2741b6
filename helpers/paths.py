"""Where the bundle keeps things: one place, so every module agrees."""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root (the folder holding ``helpers/``, ``notebooks/`` and ``data/``).
ROOT = Path(__file__).resolve().parents[1]

#: Committed data: answer keys, question list, fonts, the embedded checkpoint.
DATA = ROOT / "data"

#: Generated, git-ignored material (synthetic images, fine-tuned models, ...).
#: ``HW9_CACHE`` moves it, e.g. to a scratch disk on a shared machine.
CACHE = Path(os.environ.get("HW9_CACHE", DATA / "cache"))

#: Executed notebooks, figures and the HTML build.
BUILD = ROOT / "build"

NOTEBOOKS = ROOT / "notebooks"

#: The embedded default checkpoint (narrow course classifier trained on the synthetic data).
EMBEDDED_CHECKPOINT = DATA / "checkpoints" / "embedded.pt"
