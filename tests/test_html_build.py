"""The HTML build of ``python -m helpers run``: the course's front page and one linked page per lesson.

A person should be able to read every result without Jupyter and without a network: each page embeds
its figures as data: URIs and loads no script or stylesheet from elsewhere; ``index.html`` names each
lesson by its title with a line on what it explains, a thumbnail, its questions, status and time, and
says which data and checkpoint the build used; each lesson page links to the previous and next lessons,
to the contents, and to its own headings.
"""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from helpers import paths
from helpers.bundle.run import run

EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
#: The parts of a lesson card on the front page, by class (plus its h2 title).
CARD_FIELDS = ("summary", "questions", "status", "time", "error")


class Page(HTMLParser):
    """What a page loads (script/img/iframe sources, stylesheet links), its links and ids, and on the
    front page the lesson cards ``{notebook: {"title", "href", "img", "summary", ...}}`` and the build's
    ``dt``/``dd`` rows."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.loads: list[tuple[str, str]] = []  # (tag, address)
        self.images: list[str] = []
        self.links: list[dict[str, str]] = []  # {"href", "rel", "class", "text"}
        self.ids: set[str] = set()
        self.cards: dict[str, dict[str, str]] = {}
        self.build: list[list[str]] = []
        self._card: dict[str, str] | None = None
        self._capture: list[tuple[str, str, list[str]]] = []  # open (tag, name, text parts)
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag in ("script", "img", "iframe", "audio", "video", "source") and a.get("src"):
            self.loads.append((tag, a["src"]))
        if tag == "link" and a.get("href"):
            self.loads.append((tag, a["href"]))
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "li" and "lesson" in classes:
            self._card = self.cards.setdefault(a["data-notebook"], {"img": "", "href": ""})
        if self._card is not None:
            if tag == "img":
                self._card["img"] = a.get("src", "")
            if tag == "a" and any(name == "title" for _, name, _ in self._capture):
                self._card["href"] = a.get("href", "")
            name = "title" if tag == "h2" else next((c for c in classes if c in CARD_FIELDS), None)
            if name:
                self._capture.append((tag, name, []))
        if tag == "a":
            self.links.append(
                {"href": a.get("href", ""), "rel": a.get("rel", ""), "class": a.get("class", ""), "text": ""}
            )
            self._capture.append(("a", "link", []))
        if tag in ("dt", "dd"):
            self._capture.append((tag, tag, []))

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._capture:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._card is not None and not self._capture:
            self._card = None
        if not self._capture or self._capture[-1][0] != tag:
            return
        _, name, parts = self._capture.pop()
        text = " ".join("".join(parts).split())
        if name == "link":
            self.links[-1]["text"] = text
        elif name == "dt":
            self.build.append([text])
        elif name == "dd":
            self.build[-1].append(text)
        elif self._card is not None:
            self._card[name] = text

    def external(self) -> list[tuple[str, str]]:
        """What the page would fetch from another host (CSS ``@import``/``url()`` included)."""
        return [(t, s) for t, s in self.loads if EXTERNAL.match(s)]


def css_imports(text: str) -> list[str]:
    """``@import`` and ``url(...)`` targets on other hosts inside <style> blocks (comments ignored)."""
    styles = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", text, re.DOTALL | re.IGNORECASE))
    styles = re.sub(r"/\*.*?\*/", "", styles, flags=re.DOTALL)
    return re.findall(r"(?:@import\s+(?:url\()?|url\()\s*['\"]?((?:https?:)?//[^'\")\s]+)", styles)


def front_page(out: Path) -> Page:
    return Page((out / "index.html").read_text(encoding="utf-8"))


def assert_self_contained(page_path: Path, min_images: int) -> Page:
    text = page_path.read_text(encoding="utf-8")
    page = Page(text)
    assert not page.external(), f"{page_path.name} loads from the network: {page.external()}"
    assert not css_imports(text), f"{page_path.name} imports CSS from the network: {css_imports(text)}"
    embedded = [s for s in page.images if s.startswith(("data:image/png;base64,", "data:image/jpeg;base64,"))]
    assert len(embedded) >= min_images, (
        f"{page_path.name}: {len(embedded)} embedded images, expected {min_images} or more"
    )
    assert all(s.startswith("data:") for s in page.images), (
        f"{page_path.name} has images that are not embedded: {[s[:60] for s in page.images]}"
    )
    return page


def write_notebook(path: Path, markdown: str, *sources: str) -> None:
    cells = [nbformat.v4.new_markdown_cell(markdown)] + [nbformat.v4.new_code_cell(s) for s in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


FIGURES_INTRO = """# 01 · Drawing figures

This lesson draws a line (Someone & Other 2020, arXiv:0000.00000) and an image, so the build has *figures*
to embed. It also asks two questions.

- a list that is not part of the summary
"""


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``run`` over two small notebooks, one drawing figures and one failing: the build folder."""
    notebooks, out = tmp_path_factory.mktemp("notebooks"), tmp_path_factory.mktemp("build")
    write_notebook(
        notebooks / "01_figures.ipynb",
        FIGURES_INTRO,
        f"print('data:       {paths.ROOT}/data/some/images (test images, 2 of 2 observed)')\n"
        f"print('checkpoint: {paths.ROOT}/data/test.pt (a test model)')\n"
        "def answer(number, letters):\n    return None",
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(4, 3))\n"
        "ax.plot([0, 1, 4])\nax.set_title('a line')",
        "answer(3, '')",
        "fig, ax = plt.subplots(figsize=(4, 3))\nax.imshow([[0, 1], [1, 0]])",
        "answer(4, '')",
    )
    nb = nbformat.read(notebooks / "01_figures.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("## Part one\n\nThe line above.\n\n### Question 3"))
    nbformat.write(nb, notebooks / "01_figures.ipynb")
    write_notebook(
        notebooks / "02_broken.ipynb",
        "# 02 · A broken lesson\n\nIt fails on purpose, halfway.",
        "print('before')",
        "raise ValueError('broken on purpose')",
        "print('never')",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paths, "NOTEBOOKS", notebooks)  # run() looks the notebooks up here
        patch.setenv("MPLBACKEND", "Agg")  # as on a CI machine: the kernels must draw inline all the same
        outcomes = run("*", out, profile="quick", timeout=120)
    assert [o.notebook for o in outcomes] == ["01_figures", "02_broken"]
    return out


def test_front_page_names_each_lesson_with_its_questions_status_and_time(small_build: Path) -> None:
    page = front_page(small_build)
    assert list(page.cards) == ["01_figures", "02_broken"]
    lesson, broken = page.cards["01_figures"], page.cards["02_broken"]
    assert lesson["title"] == "01 · Drawing figures" and broken["title"] == "02 · A broken lesson"
    assert lesson["summary"] == (
        "This lesson draws a line and an image, so the build has figures to embed. It also asks two questions."
    )
    assert lesson["questions"] == "2 questions (Q3–Q4)" and broken["questions"] == "no questions"
    assert lesson["status"] == "ran ok" and "error" not in lesson
    assert broken["status"] == "failed" and "broken on purpose" in broken["error"]
    for card in (lesson, broken):
        seconds = re.fullmatch(r"(\d+\.\d) s", card["time"])
        assert seconds and float(seconds.group(1)) > 0, card["time"]
    assert [card["href"] for card in (lesson, broken)] == ["01_figures.html", "02_broken.html"]
    assert all((small_build / card["href"]).is_file() for card in (lesson, broken))
    prefix = "data:image/jpeg;base64,"
    assert lesson["img"].startswith(prefix) and broken["img"] == ""  # the broken lesson drew nothing
    assert Image.open(io.BytesIO(base64.b64decode(lesson["img"][len(prefix) :]))).size == (600, 240)


def test_front_page_says_which_data_and_checkpoint_the_build_used(small_build: Path) -> None:
    rows = {row[0]: row[1] for row in front_page(small_build).build}
    assert rows["profile"] == "quick (reduced sample counts)"
    # paths inside the bundle are shown relative to it: the page does not name the build machine
    assert rows["data"] == "data/some/images (test images, 2 of 2 observed) (lesson 01)"
    assert rows["checkpoint"] == "data/test.pt (a test model) (lesson 01)"
    assert str(paths.ROOT) not in (small_build / "index.html").read_text(encoding="utf-8")


def test_lesson_pages_link_previous_next_contents_and_their_headings(small_build: Path) -> None:
    first, second = (Page((small_build / f"{n}.html").read_text(encoding="utf-8")) for n in ("01_figures", "02_broken"))
    rel = lambda page, kind: {a["href"] for a in page.links if a["rel"] == kind}  # noqa: E731
    assert rel(first, "next") == {"02_broken.html"} and rel(first, "prev") == set()
    assert rel(second, "prev") == {"01_figures.html"} and rel(second, "next") == set()
    for page in (first, second):
        contents = [a for a in page.links if a["class"] == "contents"]
        assert len(contents) == 2 and all(a["href"] == "index.html" and a["text"] == "Contents" for a in contents)
    # The sidebar: every lesson by title, and this page's own headings, each pointing at an id on the page.
    titles = {a["text"]: a["href"] for a in first.links}
    assert titles["01 · Drawing figures"] == "01_figures.html" and titles["02 · A broken lesson"] == "02_broken.html"
    own = [a for a in first.links if a["href"].startswith("#") and a["text"] in ("Part one", "Question 3")]
    assert [a["text"] for a in own] == ["Part one", "Question 3"]
    assert all(a["href"][1:] in first.ids for a in own), (own, sorted(first.ids))
    assert "<title>01 · Drawing figures · hw9-xai</title>" in (small_build / "01_figures.html").read_text("utf-8")


def test_pages_embed_their_figures_and_load_nothing_from_the_network(small_build: Path) -> None:
    assert_self_contained(small_build / "index.html", min_images=1)
    assert_self_contained(small_build / "01_figures.html", min_images=2)
    broken = small_build / "02_broken.html"
    assert_self_contained(broken, min_images=0)
    text = broken.read_text(encoding="utf-8")
    assert "broken on purpose" in text and "before" in text  # the failure is visible in the page
    assert len(list((small_build / "figures").glob("01_figures_*.png"))) == 2


def test_a_lesson_whose_figure_cells_show_nothing_fails_naming_them(tmp_path: Path) -> None:
    """A kernel that does not draw inline (here the lesson itself switches to Agg) makes a failed run, not
    a lesson that ran "ok" without its figures."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(
        notebooks / "01_silent.ipynb",
        "# 01 · Silent figures",
        "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt",
        "fig, ax = plt.subplots()\nax.plot([0, 1])",
        "print('a cell that draws nothing and need not')",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paths, "NOTEBOOKS", notebooks)
        [outcome] = run("*", tmp_path / "build", profile="quick", timeout=120)
    assert not outcome.ok and outcome.figures == 0
    assert outcome.error == "1 figure cell(s) showed no figure: cell 3 (fig, ax = plt.subplots())."
    assert front_page(tmp_path / "build").cards["01_silent"]["status"] == "failed"


@pytest.mark.browser
def test_pages_render_offline_in_chromium(small_build: Path) -> None:
    """From disk in Chromium: the front page, a lesson, its next link; every request stays on disk."""
    from conftest import CHROMIUM, CHROMIUM_ARGS

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
            assert page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)") == [600]
            page.click("text=01 · Drawing figures")
            page.wait_for_load_state("load")
            sizes = page.eval_on_selector_all("main img", "imgs => imgs.map(i => i.naturalWidth)")
            assert len(sizes) == 2 and all(w > 0 for w in sizes), sizes
            page.locator(".site-bar.top a[rel=next]").click()
            page.wait_for_load_state("load")
            assert page.url.endswith("/02_broken.html")
            outside = [u for u in requests if not u.startswith(("file:", "data:"))]
            assert not outside, f"the offline pages reached the network: {outside}"
        finally:
            browser.close()


@pytest.mark.slow
def test_make_run_builds_the_lesson_notebooks(tmp_path: Path) -> None:
    """The real command on the first lesson notebook, quick profile, with ``MPLBACKEND=Agg`` as on many CI
    machines: exit 0, an ok lesson, its figures drawn and embedded."""
    out = tmp_path / "build"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "run", "--profile", "quick", "--notebooks", "00_observe", "--out", str(out)],
        cwd=paths.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    cards = front_page(out).cards
    assert list(cards) == ["00_observe"] and cards["00_observe"]["status"] == "ran ok", cards
    assert cards["00_observe"]["title"].startswith("00 · ") and cards["00_observe"]["img"]
    rows = {row[0]: row[1] for row in front_page(out).build}
    assert rows["data"].startswith("data/") and rows["checkpoint"].startswith("data/checkpoints/"), rows
    page = assert_self_contained(out / "00_observe.html", min_images=1)
    assert len(page.images) == len(list((out / "figures").glob("00_observe_*.png")))
    assert not list(paths.NOTEBOOKS.glob("*.html")), "the build wrote into notebooks/"
    # The kernel talks over local sockets (no TCP port), so ipykernel's TCP warning is not shown.
    assert "without encryption" not in result.stdout + result.stderr
