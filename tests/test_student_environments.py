"""Where students open a lesson (slow): Colab's runtime as Google publishes it, and the bundle's lowest
declared bounds, each a clone of an environment built once (tests/environments.py).

In Colab's (ipywidgets 7.7.1, Notebook 6.5.7, IPython 7.34, ...): a lesson opened alone installs the bundle
from its wheel and runs, with no package that Colab preinstalls replaced; the explorer's logic tests pass on
ipywidgets 7.7.1; and in classic Notebook 6.5.7 with widgetsnbextension 3.6.10 in Chromium (the closest
front end to Colab's that runs here) the explorer's panel renders, redraws on a slider move and takes an
uploaded photo. At the lowest bounds: a BERT lesson runs (all of them: ``tests/fresh_install.py``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from packaging.utils import canonicalize_name

import helpers
from helpers import paths
from helpers.bundle import colab

from conftest import report_time
from environments import ABSENT, Env, make_env
from explorer_page import EXPLORER_CELL, nudge_slider, upload, wait_for_change, wait_for_figure
from jupyter_lab import ClassicNotebookServer

pytestmark = pytest.mark.slow
#: The explorer's logic tests, run again on Colab's ipywidgets.
EXPLORER_TESTS = (
    "tests/test_explorer.py",
    "tests/test_explorer_text.py",
    "tests/test_explorer_widgets.py",
    "tests/test_bench.py::test_the_explorer_benchmark_times_the_explorers_own_settings",
)


def clone(name: str, folder: Path) -> Iterator[tuple[Env, dict[str, str]]]:
    """A clone of test environment ``name`` with the checkout's synthetic images linked into its cache, and
    pip's list before the bundle came; ``JUPYTER_PATH`` put back afterwards."""
    from helpers.synthetic_food import ensure_embedded

    started = time.perf_counter()
    jupyter_path = os.environ.get("JUPYTER_PATH")
    env = make_env(name, folder, synthetic=ensure_embedded())
    report_time(f"{name} environment: clone and wheel (built once into the cache)", time.perf_counter() - started)
    yield env, env.freeze()
    if jupyter_path is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = jupyter_path


@pytest.fixture(scope="module")
def colab_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, dict[str, str]]]:
    yield from clone("colab", tmp_path_factory.mktemp("colab"))


@pytest.fixture(scope="module")
def lowest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, dict[str, str]]]:
    yield from clone("lowest", tmp_path_factory.mktemp("lowest"))


def run_alone(env: Env, before: dict[str, str], stem: str, device_line: str) -> None:
    """Lesson ``stem`` copied alone and executed in ``env``; its setup cell installs the bundle, which must
    leave every package of ``before`` as it was and write nothing into site-packages."""
    env.pip("uninstall", "-y", "-q", "hw9-xai")  # the setup cell installs the bundle itself
    seconds = env.run_notebook(stem)
    report_time(f"{stem} opened alone in the {env.folder.name} environment (install + quick profile)", seconds)
    executed = nbformat.read(next(env.folder.glob(f"{stem}-*/{stem}.executed.ipynb")), as_version=4)
    printed = ["".join(o.get("text", "") for o in c.get("outputs", [])) for c in executed.cells]
    setup = next(i for i, c in enumerate(executed.cells) if colab.SETUP_TAG in c.metadata.get("tags", []))
    assert printed[setup] == f"Installing hw9-xai {helpers.__version__} and what it needs from {env.wheel} ...\n"
    assert any(device_line in text for text in printed), f"{stem} does not say which device it runs on"
    assert env.changed(before) == [], "installing the bundle upgraded, downgraded or removed a package"
    site_packages = next((env.folder / "venv" / "lib").glob("python3*/site-packages"))
    record = (site_packages / f"hw9_xai-{helpers.__version__}.dist-info" / "RECORD").read_text()
    installed = {line.split(",")[0] for line in record.splitlines()}
    extra = [
        p.relative_to(site_packages).as_posix()
        for p in (site_packages / "helpers").rglob("*")
        if p.is_file() and p.suffix != ".pyc" and p.relative_to(site_packages).as_posix() not in installed
    ]
    assert extra == [], "the lesson wrote into site-packages"


def test_colab_environment_holds_colabs_versions_and_not_the_bundles_packages(colab_env) -> None:
    _, before = colab_env
    assert not set(ABSENT) & set(before), "Colab's runtime does not hold these: the bundle must bring them"
    pinned = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (paths.ROOT / "tests/envs/colab.txt").read_text(), re.M))
    wrong = {n: v for n, v in pinned.items() if before.get(canonicalize_name(n)) not in (v, f"{v}+cpu")}
    assert wrong == {}, f"the Colab environment does not hold Colab's versions: {wrong}"


def test_a_lesson_opened_alone_in_colab_installs_the_bundle_and_keeps_colabs_packages(colab_env) -> None:
    env, before = colab_env
    run_alone(env, before, "02_saliency_map", "device:     cpu")
    where = env.run_python("-c", "from helpers import paths; print(paths.CACHE); print(paths.BUILD)")
    assert where.stdout.split() == [str(env.cache / "hw9-xai"), str(env.cache / "hw9-xai" / "build")]
    usage = env.run_python("-m", "helpers", "run", "--help")
    assert usage.returncode == 0 and "usage: python -m helpers run" in usage.stdout, usage.stderr


def test_explorer_logic_tests_pass_on_colabs_ipywidgets(colab_env) -> None:
    env, before = colab_env
    env.install_bundle()  # what the explorer imports (the lesson above installed it already)
    assert before["ipywidgets"] == "7.7.1"
    started = time.perf_counter()
    run = env.run_python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", *EXPLORER_TESTS, cwd=paths.ROOT
    )
    report_time("explorer logic tests on ipywidgets 7.7.1 (Colab environment)", time.perf_counter() - started)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", run.stdout) and "skipped" not in run.stdout, run.stdout[-2000:]


@pytest.mark.browser
def test_explorer_renders_redraws_and_takes_an_upload_in_classic_notebook(colab_env, browser, tmp_path: Path) -> None:
    """Notebook 6.5.7 + widgetsnbextension 3.6.10 + ipywidgets 7.7.1 (Colab's pair) in Chromium."""
    import numpy as np
    from PIL import Image

    env, _ = colab_env
    env.install_bundle()
    root = tmp_path / "classic"
    root.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(EXPLORER_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "explorer_check.ipynb")
    photo = tmp_path / "my dinner.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (150, 200, 3), dtype=np.uint8)).save(photo)
    shots = paths.BUILD / "screenshots" / "classic_notebook"
    shots.mkdir(parents=True, exist_ok=True)
    with ClassicNotebookServer(root, env.python, env.variables) as server:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{server.url}notebooks/explorer_check.ipynb")
            page.wait_for_function(
                "() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
                " && Jupyter.notebook.kernel.is_connected()",
                timeout=120_000,
            )
            page.wait_for_timeout(3000)  # widgetsnbextension registers its comm target after the kernel connects
            page.evaluate("() => Jupyter.notebook.execute_all_cells()")
            first = wait_for_figure(page, timeout=240)
            page.screenshot(path=str(shots / "panel.png"))
            assert first["width"] >= 800 and "SmoothGrad of observed #0" in first["status"], first
            nudge_slider(page, "noise level")
            moved = wait_for_change(page, first, "SmoothGrad of observed #0", timeout=120)
            page.screenshot(path=str(shots / "slider.png"))
            upload(page, photo)
            mine = wait_for_change(page, moved, "SmoothGrad of your photo my dinner.png", timeout=120)
            page.screenshot(path=str(shots / "upload.png"))
            assert mine["width"] >= 800, mine
            errors = page.evaluate("() => Array.from(document.querySelectorAll('.output_error')).length")
            assert errors == 0, "a cell of the explorer notebook printed an error"
        finally:
            context.close()


def test_a_bert_lesson_runs_at_the_lowest_declared_bounds(lowest) -> None:
    import tomllib
    from packaging.requirements import Requirement
    from packaging.version import Version

    env, before = lowest
    declared = [
        Requirement(r) for r in tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ]
    bounds = {canonicalize_name(r.name): next(iter(r.specifier)).version for r in declared}
    above = {n: before[n] for n, v in bounds.items() if n != "torch" and Version(before[n]) != Version(v)}
    assert above == {}, f"the lowest environment holds these above their declared bounds: {above}"
    run_alone(env, before, "07_bert_embedding_analysis", ", on cpu.")
