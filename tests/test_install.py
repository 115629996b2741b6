"""The bundle outside a checkout: the wheel, the installed layout, the notebooks' setup cell, the Colab links.
(A lesson opened alone in Colab's runtime, installing the bundle from its wheel: test_student_environments.)"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import tomllib

import helpers
from helpers import paths
from helpers.bundle import colab, site, wheel
from helpers.bundle.site import Lesson

PYPROJECT = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())


# ---------------------------------------------------------------------------------------------------
# The package and its wheel


def test_wheel_packages_are_every_helpers_package_but_the_instructors() -> None:
    on_disk = {
        ".".join(p.parent.relative_to(paths.ROOT).parts)
        for p in (paths.ROOT / "helpers").rglob("__init__.py")
        if "instructor" not in p.parts
    }
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert on_disk <= listed, f"pyproject.toml's packages lack {sorted(on_disk - listed)}"
    assert not any("instructor" in name for name in listed)
    assert PYPROJECT["project"]["dynamic"] == ["version"]  # from helpers.__version__, which the setup cell checks


def test_built_wheel_holds_the_lessons_data_and_no_answer_material(tmp_path: Path) -> None:
    built = wheel.build_wheel(paths.ROOT, tmp_path)
    assert built.name == colab.wheel_name(helpers.__version__)
    assert wheel.wheel_problems(built) == []
    names = zipfile.ZipFile(built).namelist()
    stems = {Path(n).stem for n in names if n.startswith("helpers/_notebooks/")}
    assert stems == {nb.stem for nb in paths.lessons()}
    assert not [n for n in names if "keys" in Path(n).parts or "instructor" in n or "/cache/" in n]
    keys = [k.read_bytes().strip() for k in (paths.DATA / "keys").glob("*.json")]
    with zipfile.ZipFile(built) as archive:
        assert not [n for n in names for k in keys if k and k in archive.read(n)], "a key's text is in the wheel"
    assert not (paths.ROOT / "build" / "lib").exists(), "the build wrote setuptools' build/ into the checkout"


def test_wheel_problems_names_forbidden_and_missing_members(tmp_path: Path) -> None:
    fake = tmp_path / "hw9_xai-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("helpers/__init__.py", "")
        archive.writestr("helpers/instructor/keys.py", "")
        archive.writestr("helpers/_data/keys/course.json", "{}")
    problems = wheel.wheel_problems(fake)
    assert any("holds helpers/instructor/keys.py" in p for p in problems)
    assert any("holds helpers/_data/keys/course.json" in p for p in problems)
    assert any("lacks helpers/_data/checkpoints/embedded.pt" in p for p in problems)


def test_installed_layout_keeps_generated_material_out_of_site_packages(tmp_path: Path) -> None:
    """helpers/paths.py in a wheel-like layout (helpers/_data/ inside the package) in a fresh interpreter."""
    package = tmp_path / "site-packages" / "helpers"
    (package / "_data").mkdir(parents=True)
    shutil.copy2(paths.PACKAGE / "paths.py", package / "paths.py")
    (package / "__init__.py").write_text("")
    show = "from helpers import paths; print(paths.INSTALLED, paths.DATA, paths.CACHE, paths.BUILD, paths.NOTEBOOKS)"

    def layout(**env: str) -> list[str]:
        clean = {k: v for k, v in os.environ.items() if k not in ("HW9_CACHE", "XDG_CACHE_HOME", "PYTHONPATH")}
        run = subprocess.run(
            [sys.executable, "-S", "-c", show], cwd=package.parent, env={**clean, **env}, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.split()

    installed, data, cache, build, lessons = layout(XDG_CACHE_HOME=str(tmp_path / "xdg"))
    assert installed == "True" and Path(data) == package / "_data" and Path(lessons) == package / "_notebooks"
    assert Path(cache) == tmp_path / "xdg" / "hw9-xai" and Path(build) == Path(cache) / "build"
    assert Path(layout(HW9_CACHE=str(tmp_path / "scratch"))[2]) == tmp_path / "scratch"
    assert not paths.INSTALLED and paths.DATA == paths.ROOT / "data"  # this checkout
    assert paths.for_writing(paths.EMBEDDED_CHECKPOINT) == paths.EMBEDDED_CHECKPOINT


# ---------------------------------------------------------------------------------------------------
# The setup cell


def setup_cells(nb: nbformat.NotebookNode) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if colab.SETUP_TAG in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", paths.lessons(), ids=lambda p: p.stem)
def test_setup_cell_follows_the_parameters_cell_in_every_lesson(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    assert "parameters" in nb.cells[code[0]].metadata.get("tags", [])
    assert setup_cells(nb) == [code[1]], f"{path.name}: one setup cell, right after the parameters cell"
    assert nb.cells[code[1]].source == colab.setup_cell(), f"{path.name}: run `python -m helpers colab --write`"


def test_readme_links_are_up_to_date() -> None:
    readme = (paths.ROOT / "README.md").read_text()
    assert colab.readme_links(paths.lessons()) in readme, "run `python -m helpers colab --write`"


def run_cell(cwd: Path, source: str = "", **env: str) -> subprocess.CompletedProcess:
    """The setup cell in a fresh interpreter started in ``cwd``; ``-S``: without this environment's
    site-packages, so ``helpers`` imports only when ``cwd`` holds it (pip still runs in full)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("HW9_WHEEL", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-S", "-c", colab.setup_cell()],
        cwd=cwd,
        env={**clean, "PIP_RETRIES": "0", "PIP_NO_INDEX": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_setup_cell_does_nothing_where_helpers_imports() -> None:
    missing = "/nonexistent/hw9_xai-0.1.0-py3-none-any.whl"  # would fail loudly if the cell tried it
    run = subprocess.run(
        [sys.executable, "-c", colab.setup_cell()],
        cwd=paths.NOTEBOOKS,
        env={**os.environ, "HW9_WHEEL": missing},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and run.stdout == "" and run.stderr == "", run.stdout + run.stderr


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("", "no source is set"),
        ("/nonexistent/hw9_xai-0.1.0-py3-none-any.whl", "No such file or directory"),
        ("http://127.0.0.1:9/hw9_xai-0.1.0-py3-none-any.whl", ""),  # nothing listens on port 9: unreachable
    ],
)
def test_setup_cell_names_a_bad_source_and_how_to_set_another(tmp_path: Path, source: str, reason: str) -> None:
    run = run_cell(tmp_path, HW9_WHEEL=source)
    assert run.returncode == 1
    shown = source or "(nowhere: HW9_WHEEL is unset)"
    assert f"Installing hw9-xai {helpers.__version__} and what it needs from {shown} ..." in run.stdout
    message = run.stderr.strip().splitlines()
    assert (
        message[-2].startswith(f"RuntimeError: could not install the bundle from {source!r}: ")
        and reason in message[-2]
    )
    assert message[-1].startswith("Set HW9_WHEEL to the bundle's wheel (a URL or a path)")
    assert "pip/_internal" not in run.stderr and "Traceback" in message[0]  # the cell's own, not pip's


def test_setup_cell_says_plainly_when_another_bundle_version_is_installed(tmp_path: Path) -> None:
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text('__version__ = "9.9.9"\n')
    run = run_cell(tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(
        f"NOTE: this notebook is from hw9-xai {helpers.__version__}, but hw9-xai 9.9.9 is installed"
    )


def test_setup_cell_has_no_machinery_and_its_version_is_the_bundles() -> None:
    tree = ast.parse(colab.setup_cell())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.For | ast.While | ast.FunctionDef | ast.ListComp)]
    assert f'BUNDLE = "{helpers.__version__}"' in colab.setup_cell()


# ---------------------------------------------------------------------------------------------------
# Open in Colab


def test_colab_links_follow_the_one_repository_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    lesson = Lesson("02_saliency_map", "02 · Saliency", "Gradients.", [5], "", ok=True, seconds=1.0)
    monkeypatch.setattr(colab, "REPOSITORY", "")
    assert colab.colab_url("02_saliency_map") == "" and colab.wheel_url() == ""
    assert "colab" not in site.lesson_card(lesson) and "http" not in colab.readme_links(paths.lessons())
    assert 'source = os.environ.get("HW9_WHEEL", "")' in colab.setup_cell()
    monkeypatch.setattr(colab, "REPOSITORY", "someone/hw9-xai")
    url = "https://colab.research.google.com/github/someone/hw9-xai/blob/main/notebooks/02_saliency_map.ipynb"
    assert colab.colab_url("02_saliency_map") == url
    assert f'<a class="colab" href="{url}">Open in Colab</a>' in site.lesson_card(lesson)
    assert re.findall(r"\]\((https://colab[^)]+)\)", colab.readme_links(paths.lessons())) == [
        colab.colab_url(nb.stem) for nb in paths.lessons()
    ]
    release = f"https://github.com/someone/hw9-xai/releases/download/v{helpers.__version__}/"
    assert f'os.environ.get("HW9_WHEEL", "{release}{colab.wheel_name()}")' in colab.setup_cell()
