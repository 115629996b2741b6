"""The student release: stripped notebooks, no keys or instructor modules, and a leak check that bites."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

import helpers
from helpers import paths
from helpers.__main__ import main
from helpers.instructor import release

KEY = {
    "dataset": "course",
    "description": "test key",
    "questions": {
        str(n): {"answer": a, "points": 1}
        for n, a in {1: "B", 2: "AC", 3: "D", 4: "A", 5: "C", 6: "B", 7: "A", 8: "D"}.items()
    },
}


def answered_notebook(answers: dict[int, str]) -> str:
    """A notebook that looks run: outputs, execution counts, an instructor-only cell, answer cells."""
    nb = v4.new_notebook()
    nb.metadata["papermill"] = {"duration": 1.0}
    nb.cells.append(v4.new_markdown_cell('# LIME\n\nAnswer with `answer(1, "B")`-style calls.'))
    cell = v4.new_code_cell("print('figure')", execution_count=3)
    cell.outputs = [
        v4.new_output("stream", text="figure\n"),
        v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Fig>"}),
    ]
    nb.cells.append(cell)
    secret = v4.new_code_cell("expected = measure()  # instructor check", execution_count=4)
    secret.metadata["tags"] = ["instructor"]
    nb.cells.append(secret)
    nb.cells += [v4.new_code_cell(f'answer({n}, "{a}")') for n, a in answers.items()]
    return nbformat.writes(nb)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A miniature bundle with everything the release must keep out."""
    root = tmp_path / "bundle"
    for folder in ("notebooks", "helpers/instructor", "data/keys", "data/cache", "data/fonts", "tests", ".ci"):
        (root / folder).mkdir(parents=True)
    (root / "notebooks" / "01_lime.ipynb").write_text(answered_notebook({1: "", 2: "", 3: ""}))
    (root / "notebooks" / "picture.png").write_bytes(b"\x89PNG fake")
    for name in (
        "__init__.py",
        "questions.py",
        "data.py",
        "instructor/__init__.py",
        "instructor/grade.py",
        "instructor/release.py",
    ):
        (root / "helpers" / name).write_text(f'"""{name}"""\n')
    (root / "helpers" / "__pycache__").mkdir()
    (root / "helpers" / "__pycache__" / "data.cpython-311.pyc").write_bytes(b"\0compiled")
    (root / "data" / "questions.json").write_text(json.dumps({"1": {"notebook": "01_lime", "multi": False}}))
    (root / "data" / "keys" / "course.json").write_text(json.dumps(KEY, indent=1))
    (root / "data" / "cache" / "big.bin").write_bytes(b"\0" * 100)
    (root / "data" / "fonts" / "font.ttf").write_bytes(b"\0\1font")
    for name in ("README.md", "Makefile", "requirements.txt", "pyproject.toml"):
        (root / name).write_text(f"{name}\n")
    (root / "tests" / "test_grade.py").write_text("KEY = 1\n")
    (root / ".ci" / "run").write_text("make test\n")
    return root


def test_release_holds_stripped_student_material_only(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist" / "student"
    original = (bundle / "notebooks" / "01_lime.ipynb").read_bytes()
    release.build_release(out, root=bundle)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == {
        "notebooks/01_lime.ipynb",
        "notebooks/picture.png",
        "helpers/__init__.py",
        "helpers/questions.py",
        "helpers/data.py",
        "data/questions.json",
        "data/fonts/font.ttf",
        "README.md",
        "Makefile",
        "requirements.txt",
        "pyproject.toml",
        release.MARKER,
    }
    nb = nbformat.read(out / "notebooks" / "01_lime.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert not any("instructor" in c.source for c in nb.cells)
    assert [c.source for c in code][-3:] == ['answer(1, "")', 'answer(2, "")', 'answer(3, "")']
    assert "papermill" not in nb.metadata
    assert (bundle / "notebooks" / "01_lime.ipynb").read_bytes() == original
    assert release.find_leaks(out, release.read_keys(bundle / "data" / "keys")) == []


@pytest.mark.parametrize(
    ("where", "content", "finding"),
    [
        ("data/keys/course.json", json.dumps(KEY, indent=1), "answer keys folder"),
        ("data/answers.json", json.dumps(KEY, indent=1), "contains the text of answer key course.json"),
        ("data/reshaped.json", json.dumps({"all": [KEY]}), "shaped like an answer key"),
        ("helpers/solutions.py", "SOLUTIONS = {1: 'B', 2: 'CA', 3: 'D', 4: 'A', 5: 'C'}\n", "agree with key"),
        ("README.md", "Q1: B, Q2 = AC, Q3: D, Q4: A\n", "agree with key"),
        ("notebooks/filled.ipynb", answered_notebook({1: "B", 2: "AC", 3: "D", 4: "A"}), "agree with key"),
        (
            "notebooks/run.ipynb",
            nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1", execution_count=1)])),
            "has outputs",
        ),
        ("helpers/instructor/grade.py", "'''grading'''\n", "instructor-only module"),
    ],
)
def test_leak_check_catches_planted_material(
    bundle: Path, tmp_path: Path, where: str, content: str, finding: str
) -> None:
    out = tmp_path / "student"
    release.build_release(out, root=bundle)
    (out / where).parent.mkdir(parents=True, exist_ok=True)
    (out / where).write_text(content)
    leaks = release.find_leaks(out, release.read_keys(bundle / "data" / "keys"))
    assert any(where in leak and finding in leak for leak in leaks), leaks


def test_check_command_on_a_built_folder(bundle: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "student"
    release.build_release(out, root=bundle)
    assert main(["release", str(out), "--check"]) == 0
    (out / "data" / "copied_key.json").write_text(json.dumps(KEY))
    assert main(["release", str(out), "--check"]) == 1
    assert "LEAK: data/copied_key.json: JSON shaped like an answer key" in capsys.readouterr().out


def test_a_few_examples_in_prose_are_not_a_leak(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "student"
    release.build_release(out, root=bundle)
    (out / "README.md").write_text(
        'Answer like `answer(1, "B")` or `answer(2, "AC")`. Wrong letters: {"3": "A", "4": "B", "5": "D", "6": "C"}.\n'
    )
    assert release.find_leaks(out, release.read_keys(bundle / "data" / "keys")) == []


def test_a_leak_in_the_sources_fails_the_build_and_leaves_nothing(bundle: Path, tmp_path: Path) -> None:
    (bundle / "helpers" / "evidence.py").write_text(
        "EXPECTED = {1: 'B', 2: 'AC', 3: 'D', 4: 'A', 5: 'C', 6: 'B'}  # forgot to move this\n"
    )
    out = tmp_path / "student"
    with pytest.raises(release.ReleaseError, match=r"helpers/evidence.py: 6 question/answer pairs agree"):
        release.build_release(out, root=bundle)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bundle]  # no half-built folder left beside it


def test_force_replaces_only_a_previous_release(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "student"
    release.build_release(out, root=bundle)
    with pytest.raises(release.ReleaseError, match="--force"):
        release.build_release(out, root=bundle)
    (out / "stale.txt").write_text("from an older release")
    release.build_release(out, root=bundle, force=True)
    assert not (out / "stale.txt").exists() and (out / "README.md").exists()
    other = tmp_path / "precious"
    other.mkdir()
    (other / "thesis.tex").write_text("do not delete")
    with pytest.raises(release.ReleaseError, match="not a release"):
        release.build_release(other, root=bundle, force=True)
    assert (other / "thesis.tex").read_text() == "do not delete"
    with pytest.raises(release.ReleaseError, match="overlaps"):
        release.build_release(bundle / "notebooks" / "out", root=bundle)


def test_release_of_this_bundle_is_clean(tmp_path: Path, capsys) -> None:
    out = tmp_path / "student"
    assert main(["release", str(out)]) == 0, capsys.readouterr().out
    assert not (out / "data" / "keys").exists()
    assert not (out / "helpers" / "instructor").exists()
    assert (out / "helpers" / "questions.py").is_file() and (out / "data" / "questions.json").is_file()
    for notebook in (out / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(notebook, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells), notebook.name
    assert release.find_leaks(out, release.read_keys(paths.DATA / "keys")) == []
    assert main(["release", str(out), "--check"]) == 0
    wheels = list((out / "wheel").glob("*.whl"))  # the student wheel, opened to prove what it holds
    assert [w.name for w in wheels] == [f"hw9_xai-{helpers.__version__}-py3-none-any.whl"]
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "helpers/_data/checkpoints/embedded.pt" in names and "helpers/_data/questions.json" in names
    assert not [n for n in names if n.startswith(("helpers/instructor/", "helpers/_data/keys/"))]


def test_a_wheel_with_answer_material_fails_the_release(bundle: Path, tmp_path: Path, monkeypatch) -> None:
    """The release opens the wheel it built and scans what is inside, as it scans the folder."""

    def leaky_wheel(tree: Path, out_dir: Path) -> Path:
        out_dir.mkdir(parents=True)
        built = out_dir / "hw9_xai-0.1.0-py3-none-any.whl"
        with zipfile.ZipFile(built, "w") as archive:
            archive.writestr("helpers/_data/answers.json", json.dumps(KEY))
        return built

    monkeypatch.setattr("helpers.bundle.wheel.build_wheel", leaky_wheel)
    out = tmp_path / "student"
    with pytest.raises(release.ReleaseError, match=r"student wheel is not clean(.|\n)*answers.json: JSON shaped like"):
        release.build_release(out, root=bundle, wheel=True)
    assert not out.exists()


# ---------------------------------------------------------------------------------------------------
# The student's README and Makefile: only what the release can run


MAKEFILE = """\
# demo: `make run` and `make test` work.
PY := python
SUDO := sudo

.PHONY: help run test test-setup lint grade clean

help:  ## list the commands
\t@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST)

run:  ## run
\t$(PY) -m helpers run

test-setup:  ## browser test needs
\t$(SUDO) apt-get install -y chromium

test: test-setup  ## the suite
\t$(PY) -m pytest

lint:  ## ruff
\t$(PY) -m ruff check helpers tests

grade:  ## grade
\t$(PY) -m helpers grade "$(SUBMISSIONS)"

clean:  ## clean
\trm -rf build
"""

README = """\
# Demo

## Quick start

Run the notebooks:

```
make run
```

Run the tests:

```
make test
```

(takes 11 minutes)

| command | what |
|---|---|
| `make run` | notebooks |
| `make test` | the test suite |
| `python -m helpers grade` | grading |

```
notebooks/   the lessons
tests/       the suite (make test)
helpers/instructor/  grading
             (left out of the release)
```

## For instructors

Grade with `make grade`.
"""


def _targets(makefile: str) -> list[str]:
    return [line.split(":")[0] for line in makefile.splitlines() if re.match(r"^[a-z][\w-]*:(?!=)", line)]


def _released_docs_are_runnable(out: Path, root: Path) -> None:
    """Every Makefile target dry-runs and calls only present commands; the README names only those (of
    the targets of ``root``'s Makefile: "make sense" is prose)."""
    makefile, readme = (out / "Makefile").read_text(), (out / "README.md").read_text()
    targets = _targets(makefile)
    commands = release.released_commands(out)
    for target in targets:
        dry = subprocess.run(["make", "-n", "-s", target], capture_output=True, text=True, cwd=out)
        assert dry.returncode == 0, (target, dry.stderr)
        for command in re.findall(r"-m helpers ([a-z][\w-]*)", dry.stdout):
            assert command in commands, (target, command)
        assert not re.search(r"(?<![\w./-])pytest(?![\w-])|(?<![\w/.-])tests\b", dry.stdout), target
    for target in set(re.findall(r"\bmake ([a-z][\w-]*)", readme)) & set(_targets((root / "Makefile").read_text())):
        assert target in targets, f"README mentions `make {target}`, which the release's Makefile lacks"
    for command in re.findall(r"-m helpers ([a-z][\w-]*)", readme):
        assert command in commands, f"README mentions `python -m helpers {command}`, absent in the release"
    assert "pytest" not in readme and "For instructors" not in readme


def test_student_makefile_and_readme_keep_only_what_runs(bundle: Path, tmp_path: Path) -> None:
    (bundle / "Makefile").write_text(MAKEFILE)
    (bundle / "README.md").write_text(README)
    for module in (
        "__main__.py",
        "bundle/__init__.py",
        "bundle/run.py",
        "instructor/grading/__init__.py",
        "instructor/grading/cli.py",
    ):
        (bundle / "helpers" / module).parent.mkdir(parents=True, exist_ok=True)
        (bundle / "helpers" / module).write_text('"""module"""\n')
    out = tmp_path / "student"
    release.build_release(out, root=bundle)
    assert _targets((out / "Makefile").read_text()) == ["help", "run", "clean"]
    assert ".PHONY: help run clean\n" in (out / "Makefile").read_text()
    readme = (out / "README.md").read_text()
    assert "make run" in readme and "| `make run` | notebooks |" in readme and "notebooks/   the lessons" in readme
    for gone in ("make test", "Run the tests", "11 minutes", "tests/", "instructor", "grad"):
        assert gone not in readme, gone
    _released_docs_are_runnable(out, bundle)


def test_release_of_this_bundle_has_runnable_docs(tmp_path: Path) -> None:
    out = tmp_path / "student"
    release.build_release(out)
    _released_docs_are_runnable(out, paths.ROOT)
    assert {"run", "lab", "help"} <= set(_targets((out / "Makefile").read_text()))
