"""The bundle's promises about itself: same packages everywhere, documented commands that exist."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from helpers import paths


def _requirements() -> list[str]:
    lines = (paths.ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_requirements_and_environment_agree() -> None:
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(pip_section) == sorted(_requirements())


def test_requirements_name_every_package_the_project_declares() -> None:
    """requirements.txt (what `make` installs) covers pyproject.toml's dependencies and extras by name, so
    the reproducible set and what `pip install hw9-xai[dev]` asks for hold the same packages."""
    import tomllib

    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(d for ds in project["optional-dependencies"].values() for d in ds)]
    name = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
    listed = {name.match(r)[0].lower().replace("_", "-") for r in _requirements()}
    wanted = {name.match(d)[0].lower().replace("_", "-") for d in declared} - {"hw9-xai"}
    assert wanted <= listed, f"requirements.txt lacks {sorted(wanted - listed)}"
    for requirement in project["dependencies"]:
        assert re.fullmatch(r"[A-Za-z0-9._-]+>=[0-9.]+", requirement), f"{requirement}: lower bounds only"


def test_torch_is_pinned_to_the_cpu_build_on_disk() -> None:
    assert "torch==2.13.0" in _requirements()


def test_course_packages_are_listed() -> None:
    names = {re.split(r"[=<>\[ ]", r)[0].lower() for r in _requirements()}
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
