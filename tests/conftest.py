"""Shared fixtures: small generated Food-11 folders and a tiny model, so most tests run in seconds; and one
run of every explanation method on the embedded observed images with the course's parameters, shared by
every test that needs the trained model's maps (the embedded key, the sanity checks)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.model import Classifier

#: Debian's chromium (``make test-setup``), which the browser tests drive through Playwright.
CHROMIUM = os.environ.get("HW9_CHROMIUM", "/usr/bin/chromium")
#: Flags that keep Chromium off the (closed) network and away from the GPU and sandbox it cannot use here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach the network

#: Execution times (seconds) that tests record with :func:`report_time`; printed at the end of the run,
#: not asserted (a shared CI machine's speed varies, so times are reported, never tested).
TIMES: dict[str, float] = {}


def report_time(what: str, seconds: float) -> None:
    TIMES[what] = seconds


#: The background build of the student environments, when one was started.
BUILDING = pytest.StashKey()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """When the student-environment tests are selected, start building their environments now, in the
    background (cached; the tests wait for the build; see tests/environments.py)."""
    if any(getattr(item.module, "__name__", "") == "test_student_environments" for item in items):
        from environments import build_in_background

        config.stash[BUILDING] = build_in_background()


def pytest_unconfigure(config: pytest.Config) -> None:
    building = config.stash.get(BUILDING, None)
    if building is not None and building.poll() is None:
        building.terminate()  # the next build removes what it left half-built


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMES:
        terminalreporter.section("measured times (reported, not asserted)")
        for what, seconds in TIMES.items():
            terminalreporter.write_line(f"{what:<60}{seconds:8.1f} s")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (the browser tests' front end)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: run `make test-setup` (installs Debian's chromium) "
            "or point HW9_CHROMIUM at a Chromium binary."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def write_images(folder: Path, names: list[str], size: tuple[int, int] = (40, 30), seed: int = 0) -> Path:
    """Write small random JPEGs named ``names`` (e.g. "3_0") into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name in names:
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{name}.jpg", quality=90)
    return folder


@pytest.fixture
def food_folder(tmp_path: Path) -> Path:
    """A folder of 12 tiny images, labels 0..10 and one more, in shuffled file-system order."""
    return write_images(
        tmp_path / "food", ["10_1", "2_3", "0_0", "1_1", "1_2", "3_5", "5_6", "6_7", "8_8", "9_9", "4_0", "7_2"]
    )


@pytest.fixture
def tiny_model() -> Classifier:
    torch.manual_seed(0)
    return Classifier((4, 4, 8, 8, 8), 16).eval()


@pytest.fixture(scope="session")
def course_run():
    """:func:`helpers.instructor.cnn_key.run_course_methods` on the embedded data and checkpoint, once per
    session: LIME of images 1, 4, 6, saliency, SmoothGrad (500 copies) and integrated gradients (10 and 100
    steps) of the ten observed images, as the notebooks compute them. Its tests are marked slow."""
    from helpers import paths
    from helpers.instructor.cnn_key import run_course_methods
    from helpers.observe import load_observation

    if not paths.EMBEDDED_CHECKPOINT.is_file():
        pytest.fail(f"the embedded checkpoint {paths.EMBEDDED_CHECKPOINT} is missing; run `make train`")
    return run_course_methods(load_observation(device="cpu", verbose=False))
