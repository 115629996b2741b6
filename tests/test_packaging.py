"""The bundle's promises about itself: same packages everywhere, documented commands that exist."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml
from packaging.utils import canonicalize_name

from helpers import paths

#: The locked set `make` installs, compiled by `make lock`.
LOCK = (paths.ROOT / "requirements.txt").read_text()


def _locked() -> dict[str, tuple[str, int]]:
    """The lock requirements.txt: {name: (version, how many hashes)}."""
    entries = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?: \\\n\s+--hash=sha256:[0-9a-f]{64})*)", LOCK, re.M)
    return {canonicalize_name(name): (version, hashes.count("--hash")) for name, version, hashes in entries}


def test_environment_installs_the_lock() -> None:
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ["-r requirements.txt"]


def test_lock_pins_every_package_with_hashes_and_is_what_make_installs() -> None:
    requirements = [line for line in LOCK.splitlines() if line and not line.startswith((" ", "#"))]
    assert requirements and all(re.fullmatch(r"\S+==\S+ \\", line) for line in requirements), "pins only"
    locked = _locked()
    assert len(requirements) == len(locked) and all(n > 0 for _, n in locked.values()), "a hash for each"
    assert "#    make lock" in LOCK  # compiled by the documented command
    makefile = (paths.ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes --no-deps -r requirements.txt" in makefile


def test_lock_satisfies_every_range_the_project_declares() -> None:
    """requirements.txt (what `make` installs) holds every package of pyproject.toml's dependencies and
    extras at a version inside the declared range, so the lock is one of the sets students may have."""
    import tomllib
    from packaging.requirements import Requirement

    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(d for ds in project["optional-dependencies"].values() for d in ds)]
    locked = _locked()
    for text in declared:
        requirement = Requirement(text)
        if requirement.name == "hw9-xai":
            continue
        assert canonicalize_name(requirement.name) in locked, f"requirements.txt lacks {requirement.name}; `make lock`"
        version = locked[canonicalize_name(requirement.name)][0]
        assert requirement.specifier.contains(version, prereleases=True), f"{text}: locked {version}; `make lock`"
    for requirement in project["dependencies"]:
        assert re.fullmatch(r"[A-Za-z0-9._-]+>=[0-9.]+", requirement), f"{requirement}: lower bounds only"


def test_torch_is_pinned_to_the_cpu_build_on_disk() -> None:
    assert _locked()["torch"][0] == "2.13.0+cpu"
    assert re.search(r"^TORCH\s*:= 2\.13\.0\b", (paths.ROOT / "Makefile").read_text(), re.M)


def test_course_packages_are_listed() -> None:
    names = set(_locked())
    for needed in (
        "jupyterlab",
        "torch",
        "numpy",
        "scikit-image",
        "lime",
        "matplotlib",
        "transformers",
        "scikit-learn",
        "nbval",
        "papermill",
        "tqdm",
        "captum",
    ):
        assert needed in names


def test_ci_runs_the_readme_test_command() -> None:
    readme = (paths.ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \w+)$", quick_start, flags=re.M)
    assert commands == ["make run", "make test"]
    ci = (paths.ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M)


def test_makefile_has_the_documented_targets() -> None:
    makefile = (paths.ROOT / "Makefile").read_text()
    for target in ("run", "test", "lab", "data", "train", "evaluate", "bench", "grade"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target


@pytest.mark.slow
def test_cli_help_for_every_command() -> None:
    out = subprocess.run([sys.executable, "-m", "helpers", "--help"], capture_output=True, text=True, check=True)
    commands = re.findall(r"^    (\w+)\s", out.stdout, flags=re.M)
    assert {"run", "train", "evaluate"} <= set(commands)
    for command in commands:
        sub = subprocess.run([sys.executable, "-m", "helpers", command, "--help"], capture_output=True, text=True)
        assert sub.returncode == 0 and "usage: python -m helpers" in sub.stdout, command


def test_no_outputs_committed_in_notebooks() -> None:
    import nbformat

    for nb_path in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{nb_path.name} has outputs"
