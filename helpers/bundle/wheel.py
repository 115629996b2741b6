"""The bundle as a wheel: what a student installs with pip, in Colab, Kaggle or their own Python.

``pyproject.toml`` says what goes in (the ``helpers`` package without ``helpers/instructor/``, the lessons'
data as ``helpers/_data/`` and the notebooks as ``helpers/_notebooks/``); :func:`build_wheel` builds it
from a copy of the tree, so that setuptools' ``build/`` and ``*.egg-info`` never land in a checkout (whose
``build/`` holds the executed course), and :func:`wheel_problems` opens a built wheel to check what it
holds. ``make release`` builds the student wheel this way into ``dist/student/wheel/``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from helpers import paths

#: What the lessons read from the installed package (paths inside the wheel).
REQUIRED = (
    "helpers/_data/questions.json",
    "helpers/_data/checkpoints/embedded.pt",
    "helpers/_data/checkpoints/shortcut.pt",
    "helpers/_data/checkpoints/qa_minilm_lora.pt",
    "helpers/_data/fonts/HW9SansCJKSubset-Regular.ttf",
    "helpers/_notebooks/00_observe.ipynb",
)
#: Never in a wheel: the instructor package and the answer keys.
FORBIDDEN = ("helpers/instructor/", "helpers/_data/keys/", "data/keys/")
#: Left out of the build copy: generated or large material, the keys, the tests.
_NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc", "cache", "keys", "food-11", ".*")


class WheelError(RuntimeError):
    """The wheel could not be built; the message says why (pip's own last lines)."""


def build_wheel(tree: Path = paths.ROOT, out_dir: Path | None = None) -> Path:
    """Build the bundle's wheel from ``tree`` (a checkout or a student release) into ``out_dir``.

    Uses the setuptools of this environment (no download: ``--no-build-isolation --no-index``).
    Returns the wheel's path; raises WheelError with pip's message when the build fails.
    """
    tree = Path(tree)
    out_dir = Path(out_dir) if out_dir is not None else paths.BUILD / "wheel"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hw9-wheel-") as scratch:
        copy = Path(scratch) / "tree"
        copy.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE.md"):
            if (tree / name).is_file():
                shutil.copy2(tree / name, copy / name)
        for folder in ("helpers", "data", "notebooks"):
            if (tree / folder).is_dir():
                shutil.copytree(tree / folder, copy / folder, ignore=_NOT_COPIED)
        built = Path(scratch) / "dist"
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        run = subprocess.run([*command, "-q", "-w", str(built), str(copy)], capture_output=True, text=True)
        wheels = sorted(built.glob("*.whl"))
        if run.returncode or len(wheels) != 1:
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-15:])
            raise WheelError(f"building the wheel from {tree} failed:\n{tail}")
        target = out_dir / wheels[0].name
        shutil.move(wheels[0], target)
    return target


def wheel_problems(wheel: Path) -> list[str]:
    """What is wrong with a built wheel: forbidden members (instructor package, keys), missing lesson data.
    An empty list: it holds what the lessons need and nothing an instructor keeps."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    problems = [f"{wheel.name}: holds {name}" for name in names if name.startswith(FORBIDDEN)]
    problems += [f"{wheel.name}: lacks {name}" for name in REQUIRED if name not in names]
    return problems
