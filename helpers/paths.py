"""Where the bundle keeps things: one place, so every module agrees.

Two layouts. In a checkout (or the student release folder) the committed data and the notebooks lie at
the top, beside ``helpers/``, and generated material goes to the git-ignored ``data/cache/`` and
``build/``. Installed from the wheel (``pip install hw9_xai-*.whl``, the notebooks' setup cell on Colab or
Kaggle), the same files travel inside the package as ``helpers/_data/`` and ``helpers/_notebooks/``, and
everything generated goes to the user's cache folder instead, never into site-packages.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The ``helpers`` package folder.
PACKAGE = Path(__file__).resolve().parent

#: True when running from an installed wheel (the data travels inside the package), False in a checkout.
INSTALLED = (PACKAGE / "_data").is_dir()


def user_cache(app: str = "hw9-xai") -> Path:
    """The platform's per-user cache folder for ``app``: ``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux,
    ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / app


#: Repository root (the folder holding ``helpers/``, ``notebooks/`` and ``data/``); installed, the
#: folder above the package (site-packages), which relative paths are not resolved against.
ROOT = PACKAGE.parent

#: Committed data: question list, fonts, the embedded checkpoint, the QA adapter (and, in a checkout
#: only, the answer keys).
DATA = PACKAGE / "_data" if INSTALLED else ROOT / "data"

#: Generated material (synthetic images, fine-tuned models, downloads). ``HW9_CACHE`` moves it, e.g. to
#: a scratch disk on a shared machine.
CACHE = Path(os.environ.get("HW9_CACHE") or (user_cache() if INSTALLED else DATA / "cache")).expanduser()

#: Executed notebooks, figures and the HTML build.
BUILD = CACHE / "build" if INSTALLED else ROOT / "build"

#: The lesson notebooks.
NOTEBOOKS = PACKAGE / "_notebooks" if INSTALLED else ROOT / "notebooks"


def lessons(pattern: str = "*") -> list[Path]:
    """The lesson notebooks (``NN_name.ipynb`` in :data:`NOTEBOOKS`) matching ``pattern``, in order."""
    return sorted(p for p in NOTEBOOKS.glob(f"{pattern}.ipynb") if p.stem[:2].isdigit())


#: The embedded default checkpoint (narrow course classifier trained on the synthetic data).
EMBEDDED_CHECKPOINT = DATA / "checkpoints" / "embedded.pt"

#: Lesson 09's shortcut model: the embedded recipe trained on the images with stickers
#: (:mod:`helpers.synthetic_food.shortcut`).
SHORTCUT_CHECKPOINT = DATA / "checkpoints" / "shortcut.pt"


def for_writing(path: Path) -> Path:
    """Where a command writes the file whose committed copy is ``path`` under DATA (``train``'s checkpoint,
    ``fetch``'s photos): ``path`` itself in a checkout; installed, the same name under CACHE."""
    return CACHE / path.relative_to(DATA) if INSTALLED else path
