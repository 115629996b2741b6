"""The student experience in a real browser: JupyterLab + Debian's headless Chromium, driven by Playwright.

For each lesson notebook (whatever ``notebooks/NN_*.ipynb`` exist), on a temporary copy with the quick
profile's parameters injected: open it in JupyterLab, Run > Run All Cells from the menu, wait for the
kernel to go idle, then check what a student would see: no error output, an image under every figure
cell, widgets that render, an ``answer(N, "X")`` cell that prints its feedback, and (BERT) an attention
view that reacts to the mouse. Screenshots of every notebook, screenful by screenful (01.png, 02.png, ...),
plus ``answered.png`` and ``attention.png`` after those interactions, go to ``build/screenshots/<notebook>/``
with ``report.json`` beside them: per-cell times, image sizes (shown and natural), stderr, and the cells
that ran longer than ``SLOW`` seconds without showing a progress bar. The lab is the one ``make lab``
starts (the bundle's settings: no news pop-up, checked on every notebook).

Then the notebooks as run (each is saved after Run All) are built into the course site
(``helpers.bundle.site``) and read in the same browser, from ``file://`` and from a static HTTP server: the
front page, every lesson by its next link, the contents links, a sidebar heading link; screenshots in
``build/screenshots/site/``.

Needs ``/usr/bin/chromium`` (``make test-setup`` installs it); Playwright's own browser download is
never used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import paths
from helpers.bundle.run import KERNEL_ENV
from helpers.bundle.site import Outcome, build_site
from helpers.questions import questions

from explorer_page import (
    EXPLORER_CELL,
    choose_image,
    image_menu,
    layout,
    nudge_slider,
    read_panel,
    upload,
    wait_for_change,
    wait_for_figure,
    wait_for_status,
)
from jupyter_lab import LAB_SETTINGS_DIR, QUIET_FLAGS, LabServer, prepare_notebooks

VIEWPORT = {"width": 1440, "height": 900}
#: Seconds one notebook may take to run all its cells with the quick profile.
RUN_TIMEOUT = float(os.environ.get("HW9_BROWSER_TIMEOUT", "900"))
SHOTS = paths.BUILD / "screenshots"
SITE_SHOTS = SHOTS / "site"
NOTEBOOKS = sorted(p.stem for p in paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

#: A code cell whose source calls one of these draws a figure, so it must show an image.
FIGURE_CALL = re.compile(r"\bplot_\w*\(|\bplt\.(?:show|imshow|subplots|figure|plot|bar)\(")
ANSWER_CALL = re.compile(r"^answer\(\s*(\d+)\s*,\s*(['\"]).*?\2\s*\)", re.MULTILINE)
WIDGET_TROUBLE = ("Error displaying widget", "Loading widget...", "IProgress not found", "HBox(children=")
PROGRESS = re.compile(r"\d+%\|")  # a tqdm bar printed as text
SLOW = 10.0  # seconds: a cell that runs longer should show a progress bar (reported, not asserted)
NEWS_PROMPT = "official Jupyter news"  # JupyterLab's "Would you like to get notified about ..." pop-up

BROWSER_TEST = [pytest.mark.slow, pytest.mark.browser]

# What JupyterLab itself knows about the open notebook: the model (outputs, execution counts, timing
# metadata) and the DOM that the student sees (images, output text), one entry per cell.
STATE_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  panel.content.widgets.forEach((widget, index) => {
    const model = widget.model;
    const node = widget.node;
    const outputs = model.type === 'code' ? model.outputs.toJSON() : [];
    cells.push({
      index, type: model.type, source: model.sharedModel.getSource(),
      count: model.type === 'code' ? model.executionCount : null,
      running: model.type === 'code' && model.executionState === 'running',
      execution: model.getMetadata('execution') || null,
      outputs: outputs.map(o => ({type: o.output_type, name: o.name || null, ename: o.ename || null,
                                  evalue: o.evalue || null,
                                  text: [].concat(o.text || []).join('').slice(-4000),
                                  mimes: Object.keys(o.data || {})})),
      images: Array.from(node.querySelectorAll('.jp-OutputArea-output img')).map(img => ({
        complete: img.complete, natural: img.naturalWidth, width: img.getBoundingClientRect().width,
        height: img.getBoundingClientRect().height})),
      widgets: node.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length,
      shown: Array.from(node.querySelectorAll('.jp-OutputArea-output')).map(e => e.innerText).join('\\n'),
    });
  });
  return {kernel: kernel ? kernel.status : null, cells};
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    """JupyterLab on a quick-profile copy of every lesson notebook; always shut down afterwards."""
    root = tmp_path_factory.mktemp("lab")
    prepare_notebooks(root, NOTEBOOKS, profile="quick")
    with LabServer(root) as server:
        yield server


def open_notebook(page, lab: LabServer, name: str) -> None:
    """Open ``notebooks/<name>.ipynb`` and wait for its kernel; accept a kernel dialog if one comes."""
    # ?reset: start from an empty workspace, not with the tabs of the notebooks opened before this one.
    page.goto(f"{lab.url}lab/tree/notebooks/{name}.ipynb?reset")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", timeout=90_000)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if page.locator(".jp-Dialog").count():  # "Select Kernel": take the one offered (the bundle's python3)
            page.locator(".jp-Dialog .jp-mod-accept").click()
        if page.evaluate(
            "() => { const p = window.jupyterapp.shell.currentWidget;"
            " const k = p && p.sessionContext.session && p.sessionContext.session.kernel;"
            " return !!k && k.status === 'idle'; }"
        ):
            return
        time.sleep(0.5)
    raise AssertionError(f"{name}: the kernel did not become idle within 120 s of opening the notebook.")


def run_all_cells(page) -> None:
    """Run > Run All Cells, through the menu bar as a student would."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def wait_until_idle(page, timeout: float) -> dict:
    """Poll until the kernel is idle and no cell is running or queued, 3 polls in a row; return the state."""
    deadline, calm = time.monotonic() + timeout, 0
    state = page.evaluate(STATE_JS)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        state = page.evaluate(STATE_JS)
        busy = state["kernel"] != "idle" or any(c["running"] for c in state["cells"])
        started = any(c["count"] for c in state["cells"])
        calm = calm + 1 if started and not busy else 0
        if calm >= 3:
            return state
    waiting = [c["index"] for c in state["cells"] if c["running"]]
    raise AssertionError(
        f"still running after {timeout:.0f} s (kernel {state['kernel']}, cells {waiting} "
        "running or queued); raise HW9_BROWSER_TIMEOUT or shrink the quick profile."
    )


def screenshots(page, folder: Path) -> list[Path]:
    """Scroll the notebook from top to bottom, one screenshot per screenful; return the files."""
    scroll = (
        "(top) => { const n = window.jupyterapp.shell.currentWidget.content.node;"
        " const s = n.querySelector('.jp-WindowedPanel-outer') || n;"
        " if (top !== null) s.scrollTop = top;"
        " return [s.scrollTop, s.clientHeight, s.scrollHeight]; }"
    )
    folder.mkdir(parents=True, exist_ok=True)
    files, top = [], 0
    for number in range(1, 61):
        position, height, total = page.evaluate(scroll, top)
        page.wait_for_timeout(300)  # let content-visibility paint what scrolled in
        files.append(folder / f"{number:02d}.png")
        page.screenshot(path=str(files[-1]))
        if position + height >= total - 2:
            break
        top = position + int(height * 0.9)
    page.evaluate(scroll, 0)
    return files


def cell_seconds(cell: dict) -> float | None:
    """Execution time from JupyterLab's timing metadata (recordTiming), or None."""
    timing = cell.get("execution") or {}
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    from datetime import datetime

    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def problems_in(state: dict) -> list[str]:
    """What a student would see as broken: errors, tracebacks, missing figures, widgets not rendered."""
    found = []
    for cell in (c for c in state["cells"] if c["type"] == "code"):
        first_line = cell["source"].strip().splitlines()[0][:60] if cell["source"].strip() else ""
        where = f"cell {cell['index']} ({first_line})"
        for out in cell["outputs"]:
            if out["type"] == "error":
                found.append(f"{where}: {out['ename']}: {out['evalue']}")
            elif out["type"] == "stream" and "Traceback (most recent call last)" in out["text"]:
                found.append(f"{where}: a traceback on {out['name']}: ...{out['text'][-300:]}")
        if cell["source"].strip() and cell["count"] is None:
            found.append(f"{where}: never ran")
        pngs = sum("image/png" in o["mimes"] for o in cell["outputs"])
        if FIGURE_CALL.search(cell["source"]) and not pngs:
            found.append(f"{where}: draws a figure but shows no image")
        shown = [i for i in cell["images"] if i["complete"] and i["natural"] > 0 and i["width"] >= 100]
        if len(shown) < pngs:
            found.append(f"{where}: {pngs} image outputs but {len(shown)} images visible ({cell['images']})")
        found += [f"{where}: shows {t!r}" for t in WIDGET_TROUBLE if t in cell["shown"]]
    return found


def check_answer_cell(page, name: str, state: dict, shot: Path) -> str | None:
    """Edit the first ``answer(N, "...")`` cell to a valid letter, run it (Shift+Enter), read its feedback."""
    cell = next((c for c in state["cells"] if c["type"] == "code" and ANSWER_CALL.search(c["source"])), None)
    if cell is None:
        return None
    number = int(ANSWER_CALL.search(cell["source"]).group(1))
    letter = questions()[number]["options"][0]
    new_source = ANSWER_CALL.sub(f'answer({number}, "{letter}")', cell["source"], count=1)
    page.evaluate(
        "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node.setAttribute('data-hw9-cell', String(i))",
        cell["index"],
    )
    editor = page.locator(f'[data-hw9-cell="{cell["index"]}"] .jp-InputArea .cm-content')
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(new_source)  # typed text without auto-closed brackets
    page.keyboard.press("Shift+Enter")
    expected = f"Recorded Q{number}: {letter}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown = page.evaluate(STATE_JS)["cells"][cell["index"]]["shown"]
        if expected in shown:
            page.screenshot(path=str(shot))
            return shown
        time.sleep(0.5)
    raise AssertionError(
        f"{name}: after answering Q{number} with {letter!r}, cell {cell['index']} shows {shown!r}, not {expected!r}."
    )


def check_attention_view(page, name: str, shot: Path) -> str | None:
    """The interactive attention view (BERT notebooks) shows tokens and reacts to hover and click.

    The view is ``helpers.attention.attention_view_html``: attending tokens on the left, attended tokens
    on the right, one SVG line per weight; hovering a token keeps only its lines, clicking pins it.
    """
    views = page.locator(".jp-OutputArea-output .attention-view")
    if not views.count():
        return None
    view = views.first
    view.scroll_into_view_if_needed()
    page.mouse.move(1, 1)  # off the view: the pointer left over a token by earlier steps would pre-filter it
    page.wait_for_timeout(300)
    tokens = view.locator(".left .tok")
    lines = lambda: view.locator("svg line").count()  # noqa: E731
    assert tokens.count() >= 3, f"{name}: the attention view shows {tokens.count()} tokens"
    assert lines() > 0, f"{name}: the attention view drew no lines: its script did not run in JupyterLab"
    everything, idle_info = lines(), view.locator(".info").inner_text()
    tokens.nth(1).hover()
    page.wait_for_timeout(300)
    hovered, hover_info = lines(), view.locator(".info").inner_text()
    assert 0 < hovered < everything and hover_info != idle_info, (
        f"{name}: hovering a token did not narrow the view ({everything} -> {hovered} lines, {hover_info!r})"
    )
    tokens.nth(1).click()
    page.mouse.move(0, 0)  # leave the token: a pinned token keeps its lines
    page.wait_for_timeout(300)
    assert view.locator(".tok.pinned").count() == 1 and lines() == hovered, (
        f"{name}: clicking a token did not pin it ({lines()} lines)"
    )
    page.screenshot(path=str(shot))
    return f"{tokens.count()} tokens; {everything} lines, {hovered} on hover; {hover_info}"


#: What 00_observe's first cells (up to its first figure) must tell a new user, as patterns over
#: their markdown and their printed output.
ORIENTATION = {
    "which data is in use": r"(?m)^data:\s+\S",
    "which checkpoint is in use": r"(?m)^checkpoint:\s+\S",
    "embedded or real": r"embedded",
    "how to switch to the real data": r"data_dir.{0,80}checkpoint",
    # e.g. "The questions are in notebooks 01-07" or a table row naming `01_lime` under "questions"
    "where the questions are": r"(?i)\bquestions?\b[^.]{0,160}\b0[1-7]\b|\b0[1-7]_\w+[^.]{0,160}\bquestions?\b",
}


def check_orientation(state: dict) -> list[str]:
    """The first cells of 00_observe, up to the first figure, answer a new user's first questions."""
    cells = state["cells"]
    first_figure = next((c["index"] for c in cells if c["images"]), len(cells) - 1)
    text = "\n".join(c["source"] if c["type"] == "markdown" else c["shown"] for c in cells[: first_figure + 1])
    return [
        f"00_observe does not say {what} before its first figure (looked for /{pattern}/)"
        for what, pattern in ORIENTATION.items()
        if not re.search(pattern, text, re.DOTALL)
    ]


def save_notebook(page) -> None:
    """File > Save of the open notebook (its outputs go to disk for the site test); wait until saved."""
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)


@pytest.mark.parametrize("name", NOTEBOOKS)
@pytest.mark.slow
@pytest.mark.browser
def test_notebook_runs_in_jupyterlab(name: str, lab: LabServer, browser) -> None:
    folder = SHOTS / name
    shutil.rmtree(folder, ignore_errors=True)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    outside: list[str] = []
    local = (lab.url, "data:", "blob:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    started = time.monotonic()
    try:
        open_notebook(page, lab, name)
        run_all_cells(page)
        try:
            state = wait_until_idle(page, RUN_TIMEOUT)
        finally:
            shots = screenshots(page, folder)
        seconds = time.monotonic() - started
        save_notebook(page)
        problems = problems_in(state)
        if page.get_by_text(NEWS_PROMPT).count():
            problems.append(f"JupyterLab asks about news ({NEWS_PROMPT!r}): the shipped settings were not applied")
        feedback = check_answer_cell(page, name, state, folder / "answered.png") if not problems else None
        attention = check_attention_view(page, name, folder / "attention.png") if not problems else None
        cells = [
            {
                "index": c["index"],
                "seconds": cell_seconds(c),
                "images": c["images"],
                "widgets": c["widgets"],
                "progress": bool(c["widgets"] or PROGRESS.search(c["shown"])),
                "stderr": [o["text"][-500:] for o in c["outputs"] if o["name"] == "stderr"],
            }
            for c in state["cells"]
            if c["type"] == "code"
        ]
        report = {
            "notebook": name,
            "seconds": round(seconds, 1),
            "screenshots": [p.name for p in shots],
            "answer_feedback": feedback,
            "attention_view": attention,
            "outside_requests": outside,
            "slow_without_progress": [c["index"] for c in cells if (c["seconds"] or 0) > SLOW and not c["progress"]],
            "cells": cells,
        }
        (folder / "report.json").write_text(json.dumps(report, indent=1))
        problems += check_orientation(state) if name == "00_observe" else []
        problems += check_explorer_shown(page, name, state)
        assert not problems, f"{name} in JupyterLab:\n" + "\n".join(problems)
        assert not outside, f"{name}: the page reached outside the lab server: {outside[:5]}"
    finally:
        context.close()
        lab.shutdown_kernels()


def check_explorer_shown(page, name: str, state: dict) -> list[str]:
    """A lesson that opens an explorer (``helpers.explorer``) shows its panel with a figure drawn."""
    if not any("explore" in c["source"] and "import" in c["source"] for c in state["cells"] if c["type"] == "code"):
        return []
    shown = read_panel(page)
    return [] if shown and shown["width"] >= 800 else [f"{name}: the explorer's panel shows no figure ({shown})"]


@pytest.mark.slow
@pytest.mark.browser
def test_explorer_turns_its_knobs_and_takes_uploads_in_jupyterlab(lab: LabServer, browser, tmp_path: Path) -> None:
    """In the lab of the lesson tests: a slider redraws the figure, a PNG from disk is explained, a broken
    upload gives a message and keeps the photo (the upload button counts no file), and after choosing
    another image and the photo again, the image menu, the status and the figure name the same image.
    The status line starts at the panel's left edge and keeps its height; no control's tooltip reads "null"."""
    import nbformat
    import numpy as np
    from PIL import Image

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(EXPLORER_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / "notebooks" / "explorer_check.ipynb")
    photo, broken = tmp_path / "my dinner.png", tmp_path / "broken.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (150, 200, 3), dtype=np.uint8)).save(photo)
    broken.write_bytes(b"this is not a PNG")
    folder = SHOTS / "explorer"
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        open_notebook(page, lab, "explorer_check")
        run_all_cells(page)
        first = wait_for_figure(page)
        assert first["width"] >= 800 and "SmoothGrad of observed #0" in first["status"], first
        idle = layout(page)
        assert idle["status_left"] < 20 and idle["null_titles"] == 0, idle  # no gap before the status line
        nudge_slider(page, "noise level")
        moved = wait_for_change(page, first, "SmoothGrad of observed #0")
        page.screenshot(path=str(folder / "slider.png"))
        upload(page, photo)
        mine = wait_for_change(page, moved, "SmoothGrad of your photo my dinner.png")
        assert image_menu(page) == "your photo my dinner.png", image_menu(page)
        page.screenshot(path=str(folder / "upload.png"))
        upload(page, broken)
        wait_for_status(page, "broken.png is not an image that can be read")
        failed = layout(page)
        # the button counts no file (ipywidgets 8 writes "(0)"): the panel took the photo, not the broken file
        assert image_menu(page) == "your photo my dinner.png" and "(1)" not in failed["upload_button"], failed
        assert failed["status_height"] == idle["status_height"], (idle, failed)  # a long message does not grow it
        page.screenshot(path=str(folder / "bad_upload.png"))
        nudge_slider(page, "noise level")
        after = wait_for_change(page, mine, "SmoothGrad of your photo my dinner.png")
        assert "not an image" not in after["status"], after
        other = wait_for_change(page, after, f"SmoothGrad of {choose_image(page, 'observed #2')}")
        assert image_menu(page).startswith("observed #2"), image_menu(page)
        choose_image(page, "your photo my dinner.png")  # back: the good photo, not the broken file's error
        back = wait_for_change(page, other, "SmoothGrad of your photo my dinner.png")
        assert image_menu(page) == "your photo my dinner.png" and "not an image" not in back["status"], back
        nudge_slider(page, "noise level")  # and a later redraw explains it too
        last = wait_for_change(page, back, "SmoothGrad of your photo my dinner.png")
        assert image_menu(page) == "your photo my dinner.png" and layout(page)["null_titles"] == 0, last
        page.screenshot(path=str(folder / "back_to_photo.png"))
    finally:
        context.close()
        lab.shutdown_kernels()


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file server that does not log every request to stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def outcome_of(notebook: Path) -> Outcome:
    """How a notebook saved from JupyterLab ran: ok when every code cell ran without an error output;
    seconds from the cells' timing metadata (recordTiming)."""
    import nbformat

    cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code" and c.source.strip()]
    errors = [f"{o.ename}: {o.evalue}" for c in cells for o in c.get("outputs", []) if o.output_type == "error"]
    if any(c.execution_count is None for c in cells):
        errors.append("not every cell ran in this test session")
    seconds = sum(cell_seconds({"execution": c.metadata.get("execution")}) or 0.0 for c in cells)
    return Outcome(notebook.stem, not errors, seconds, errors[0] if errors else "")


@pytest.fixture(scope="module")
def course_site(lab: LabServer) -> Path:
    """The course site built from the notebooks as JupyterLab saved them (the tests above run them all)."""
    site = lab.root / "site"
    site.mkdir(exist_ok=True)
    for name in NOTEBOOKS:
        shutil.copyfile(lab.root / "notebooks" / f"{name}.ipynb", site / f"{name}.ipynb")
    build_site(site, [outcome_of(site / f"{name}.ipynb") for name in NOTEBOOKS], profile="quick")
    return site


def read_front_page(page, name: str) -> list[dict]:
    """The front page's lesson cards as the browser shows them; a full-page screenshot ``<name>.png``."""
    page.wait_for_load_state("load")
    cards = page.eval_on_selector_all(
        "li.lesson",
        """cards => cards.map(c => ({
        notebook: c.dataset.notebook, title: c.querySelector('h2').innerText,
        thumbnail: c.querySelector('img') ? c.querySelector('img').naturalWidth : null,
        status: c.querySelector('.status').innerText, questions: c.querySelector('.questions').innerText}))""",
    )
    SITE_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SITE_SHOTS / f"{name}.png"), full_page=True)
    return cards


def walk_the_lessons(page, titles: list[str]) -> None:
    """From the front page: open the first lesson, follow every "next" link, check each page's heading
    and sidebar, then "Contents" back to the front page. On 01_lime: a screenshot and a sidebar heading link."""
    page.locator("li.lesson h2 a").first.click()
    for number, title in enumerate(titles):
        page.wait_for_load_state("load")
        assert page.locator("main h1").first.inner_text().strip() == title, f"page {number}: {page.url}"
        assert page.locator(".site-sidebar .current > a").inner_text().strip() == title
        if number and not page.locator(".site-bar.top a[rel=prev]").count():
            raise AssertionError(f"{page.url} has no link to the previous lesson")
        if page.url.endswith("/01_lime.html"):
            page.screenshot(path=str(SITE_SHOTS / "lesson.png"))
            heading = page.locator(".site-sidebar ul a").filter(has_text="Question 1").first
            target = heading.get_attribute("href")
            heading.click()
            page.wait_for_timeout(200)
            top, bar = page.evaluate(
                "(id) => [document.getElementById(id).getBoundingClientRect().top, "
                "document.querySelector('.site-bar.top').getBoundingClientRect().bottom]",
                target[1:],
            )
            assert bar <= top < VIEWPORT["height"] / 2, f"{target} is not shown below the bar ({top}, {bar})"
        following = page.locator(".site-bar.top a[rel=next]")
        if number + 1 < len(titles):
            following.click()
        else:
            assert not following.count(), "the last lesson links to a next one"
    page.locator(".site-bar.top a.contents").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/index.html"), page.url


@pytest.mark.slow
@pytest.mark.browser
def test_course_site_front_page_and_navigation(course_site: Path, browser) -> None:
    """The site of the lessons just run: from file:// and from a static HTTP server, no request leaves it."""
    import nbformat

    titles = [
        nbformat.read(paths.NOTEBOOKS / f"{n}.ipynb", as_version=4).cells[0].source.splitlines()[0][2:]
        for n in NOTEBOOKS
    ]
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(course_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"http://127.0.0.1:{server.server_address[1]}/"
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto((course_site / "index.html").as_uri())
        cards = read_front_page(page, "index")
        assert [c["notebook"] for c in cards] == NOTEBOOKS and [c["title"] for c in cards] == titles, cards
        ran = [c for c in cards if c["status"] == "ran ok"]
        assert all(c["thumbnail"] == 600 for c in ran), f"thumbnails that did not load: {cards}"
        assert sum(int(c["questions"].split()[0]) for c in cards if c["questions"][0].isdigit()) == len(questions())
        walk_the_lessons(page, titles)
        page.set_viewport_size({"width": 800, "height": 900})  # a narrow window: the sidebar moves above
        page.goto((course_site / "01_lime.html").as_uri())
        assert page.evaluate("getComputedStyle(document.querySelector('.site-sidebar')).position") == "static"
        page.screenshot(path=str(SITE_SHOTS / "lesson_narrow.png"))
        page.set_viewport_size(VIEWPORT)
        outside = [u for u in requests if not u.startswith(("file:", "data:"))]
        assert not outside, f"the site opened from disk made requests: {outside[:5]}"
        requests.clear()
        page.goto(f"{host}index.html")  # the same site on a static host
        page.locator("li.lesson h2 a").nth(1).click()
        page.locator(".site-bar.top a[rel=next]").click()
        page.wait_for_load_state("load")
        assert page.url == f"{host}{NOTEBOOKS[2]}.html"
        outside = [u for u in requests if not u.startswith((host, "data:"))]
        assert not outside, f"the site on a static host requested other hosts: {outside[:5]}"
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def test_make_lab_starts_the_lab_these_tests_check() -> None:
    """``make lab`` passes the shipped settings folder and the same quiet flags, opens 00_observe, and gives
    the kernels the inline backend whatever MPLBACKEND says, as the test server does."""
    recipe = re.search(r"^lab:.*\n\t(.+)$", (paths.ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    assert recipe.startswith(" ".join(f"{k}={v}" for k, v in KERNEL_ENV.items()) + " $(VENV)/bin/jupyter lab "), recipe
    relative = LAB_SETTINGS_DIR.relative_to(paths.ROOT)
    assert f'--LabApp.app_settings_dir="$(CURDIR)/{relative}"' in recipe, recipe
    assert all(flag in recipe for flag in QUIET_FLAGS) and recipe.endswith("notebooks/00_observe.ipynb"), recipe
    overrides = json.loads((LAB_SETTINGS_DIR / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


@pytest.mark.slow
@pytest.mark.browser
def test_lab_settings_turn_the_news_off(lab: LabServer) -> None:
    """The server applies the shipped defaults (news "Never", no update check) and serves no news."""
    import urllib.request

    with urllib.request.urlopen(f"{lab.url}lab/api/settings/@jupyterlab/apputils-extension:notification") as r:
        schema = json.loads(r.read())["schema"]["properties"]
    assert schema["fetchNews"]["default"] == "false" and schema["checkForUpdates"]["default"] is False
    with urllib.request.urlopen(f"{lab.url}lab/api/news") as r:
        assert json.loads(r.read()) == {"news": []}
