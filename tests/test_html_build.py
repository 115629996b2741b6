"""The HTML build of ``python -m helpers run``: one self-contained page per notebook and an index.

A person should be able to look at every result without Jupyter and without a network: each page
embeds its figures as data: URIs and loads no script or stylesheet from elsewhere; ``index.html``
lists every notebook with its status and execution time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from helpers import paths
from helpers.bundle.run import run

EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)


class Page(HTMLParser):
    """Collects what a page would load: script/img/iframe sources, stylesheet links, and the index table."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.loads: list[tuple[str, str]] = []  # (tag, address)
        self.images: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source") and a.get("src"):
            self.loads.append((tag, a["src"]))
        if tag == "link" and a.get("href"):
            self.loads.append((tag, a["href"]))
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        if tag == "tr":
            self.rows.append([])
        if tag == "td":
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def external(self) -> list[tuple[str, str]]:
        """What the page would fetch from another host (CSS ``@import``/``url()`` included)."""
        return [(t, s) for t, s in self.loads if EXTERNAL.match(s)]


def css_imports(text: str) -> list[str]:
    """``@import`` and ``url(...)`` targets on other hosts inside <style> blocks (comments ignored)."""
    styles = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", text, re.DOTALL | re.IGNORECASE))
    styles = re.sub(r"/\*.*?\*/", "", styles, flags=re.DOTALL)
    return re.findall(r"(?:@import\s+(?:url\()?|url\()\s*['\"]?((?:https?:)?//[^'\")\s]+)", styles)


def index_rows(out: Path) -> dict[str, dict[str, str]]:
    """``index.html``'s table as {notebook: {"status", "time", "figures"}}."""
    rows = [r for r in Page((out / "index.html").read_text(encoding="utf-8")).rows if len(r) == 4]
    return {r[0]: {"status": r[1], "time": r[2], "figures": r[3]} for r in rows}


def assert_self_contained(page_path: Path, min_images: int) -> Page:
    text = page_path.read_text(encoding="utf-8")
    page = Page(text)
    assert not page.external(), f"{page_path.name} loads from the network: {page.external()}"
    assert not css_imports(text), f"{page_path.name} imports CSS from the network: {css_imports(text)}"
    embedded = [s for s in page.images if s.startswith("data:image/png;base64,")]
    assert len(embedded) >= min_images, \
        f"{page_path.name}: {len(embedded)} embedded PNGs, expected {min_images} or more"
    assert all(s.startswith("data:") for s in page.images), \
        f"{page_path.name} has images that are not embedded: {[s[:60] for s in page.images]}"
    return page


def write_notebook(path: Path, *sources: str) -> None:
    cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}")]
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``run`` over two small notebooks, one drawing figures and one failing: the build folder."""
    notebooks, out = tmp_path_factory.mktemp("notebooks"), tmp_path_factory.mktemp("build")
    write_notebook(notebooks / "01_figures.ipynb",
                   "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(4, 3))\n"
                   "ax.plot([0, 1, 4])\nax.set_title('a line')",
                   "fig, ax = plt.subplots(figsize=(4, 3))\nax.imshow([[0, 1], [1, 0]])",
                   "print('done')")
    write_notebook(notebooks / "02_broken.ipynb", "print('before')", "raise ValueError('broken on purpose')",
                   "print('never')")
    original = paths.NOTEBOOKS
    paths.NOTEBOOKS = notebooks  # run() looks the notebooks up here
    try:
        outcomes = run("*", out, profile="quick", timeout=120)
    finally:
        paths.NOTEBOOKS = original
    assert [o.notebook for o in outcomes] == ["01_figures", "02_broken"]
    return out


def test_index_lists_every_notebook_with_status_and_time(small_build: Path) -> None:
    rows = index_rows(small_build)
    assert set(rows) == {"01_figures", "02_broken"}
    assert rows["01_figures"]["status"] == "ok"
    assert rows["02_broken"]["status"].startswith("failed")
    assert "broken on purpose" in rows["02_broken"]["status"]
    for name, row in rows.items():
        seconds = re.fullmatch(r"(\d+\.\d) s", row["time"])
        assert seconds and float(seconds.group(1)) > 0, f"{name}: time {row['time']!r}"
    assert rows["01_figures"]["figures"] == "2" and rows["02_broken"]["figures"] == "0"
    links = re.findall(r'href="([^"]+)"', (small_build / "index.html").read_text(encoding="utf-8"))
    assert sorted(links) == ["01_figures.html", "02_broken.html"]
    assert all((small_build / link).is_file() for link in links)


def test_pages_embed_their_figures_and_load_nothing_from_the_network(small_build: Path) -> None:
    assert_self_contained(small_build / "01_figures.html", min_images=2)
    broken = small_build / "02_broken.html"
    assert_self_contained(broken, min_images=0)
    text = broken.read_text(encoding="utf-8")
    assert "broken on purpose" in text and "before" in text  # the failure is visible in the page
    assert len(list((small_build / "figures").glob("01_figures_*.png"))) == 2


@pytest.mark.browser
def test_pages_render_offline_in_chromium(small_build: Path) -> None:
    """Open the index and a page from disk in Chromium: every request stays on disk, every image loads."""
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run `make test-setup` (installs Debian's chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto((small_build / "index.html").as_uri())
            page.click("text=01_figures")
            page.wait_for_load_state("load")
            sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
            assert len(sizes) == 2 and all(w > 0 for w in sizes), sizes
            outside = [u for u in requests if not u.startswith(("file:", "data:"))]
            assert not outside, f"the offline pages reached the network: {outside}"
        finally:
            browser.close()


@pytest.mark.slow
def test_make_run_builds_the_lesson_notebooks(tmp_path: Path) -> None:
    """The real command on the first lesson notebook, quick profile: exit 0, an ok row, figures embedded."""
    out = tmp_path / "build"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "helpers", "run", "--profile", "quick", "--notebooks",
                             "00_observe", "--out", str(out)], cwd=paths.ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = index_rows(out)
    assert list(rows) == ["00_observe"] and rows["00_observe"]["status"] == "ok", rows
    assert int(rows["00_observe"]["figures"]) >= 1
    page = assert_self_contained(out / "00_observe.html", min_images=1)
    assert len(page.images) == int(rows["00_observe"]["figures"])
    assert not list(paths.NOTEBOOKS.glob("*.html")), "the build wrote into notebooks/"
    # The kernel talks over local sockets (no TCP port), so ipykernel's TCP warning is not shown.
    assert "without encryption" not in result.stdout + result.stderr
