"""Driving the explorer's panel (``helpers.explorer``) through Playwright, as a student would, in JupyterLab
(ipywidgets 8) or classic Notebook (ipywidgets 7): read its figure and status, move a slider with the
keyboard, upload a file from disk, choose an image."""

from __future__ import annotations

PANEL = ".hw9-explorer"
FIGURE = f"{PANEL} img"
IMAGE_MENU = f"{PANEL} .hw9-image select"
STATUS = f"{PANEL} .hw9-status"

#: The figure's image source (a new blob URL each time the figure is redrawn) and the status line.
READ_JS = """(panel) => { const p = document.querySelectorAll(panel)[0];
  if (!p) return null;
  const img = p.querySelector('img');
  const status = Array.from(p.querySelectorAll('.widget-html-content')).map(e => e.innerText);
  return {src: img ? img.getAttribute('src') : null, width: img ? img.naturalWidth : 0, status: status.join(' | ')};
}"""


def read_panel(page) -> dict | None:
    """``{"src", "width", "status"}`` of the first explorer panel on the page (None when there is none)."""
    return page.evaluate(READ_JS, PANEL)


def wait_for_figure(page, timeout: float = 120.0) -> dict:
    """Wait until the panel shows a loaded figure; return what it shows."""
    page.wait_for_function(
        "(sel) => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }",
        arg=FIGURE,
        timeout=timeout * 1000,
    )
    return read_panel(page)


def wait_for_change(page, before: dict, expected: str, timeout: float = 60.0) -> dict:
    """Wait until the status line contains ``expected`` and the figure is not ``before``'s; return the panel."""
    page.wait_for_function(
        """([panel, src, expected]) => { const p = document.querySelector(panel);
          const img = p && p.querySelector('img');
          return img && img.complete && img.naturalWidth > 0 && img.getAttribute('src') !== src
            && p.innerText.includes(expected); }""",
        arg=[PANEL, before["src"], expected],
        timeout=timeout * 1000,
    )
    return read_panel(page)


def wait_for_status(page, expected: str, timeout: float = 60.0) -> dict:
    """Wait until the panel's text contains ``expected``."""
    page.wait_for_function(
        "([panel, expected]) => { const p = document.querySelector(panel);"
        " return p && p.innerText.includes(expected); }",
        arg=[PANEL, expected],
        timeout=timeout * 1000,
    )
    return read_panel(page)


def nudge_slider(page, label: str, presses: int = 1) -> None:
    """Move the slider labelled ``label`` by ``presses`` steps to the right (keyboard, as noUiSlider allows)."""
    # ipywidgets 8 draws sliders with noUiSlider, 7 with jQuery UI; both move by one step per arrow key.
    handle = page.locator(f"{PANEL} .widget-slider", has_text=label).locator(".noUi-handle, .ui-slider-handle")
    handle.focus()
    for _ in range(presses):
        handle.press("ArrowRight")


def upload(page, path) -> None:
    """Click the panel's upload button and choose ``path`` in the file chooser that opens."""
    with page.expect_file_chooser() as chooser:
        page.locator(f"{PANEL} .widget-upload").click()
    chooser.value.set_files(str(path))


def words(text: str) -> str:
    return text.replace("\xa0", " ")  # ipywidgets 8 writes a menu entry's spaces as no-break spaces


def image_menu(page) -> str:
    """The entry the image menu shows."""
    return words(page.locator(IMAGE_MENU).evaluate("(s) => s.options[s.selectedIndex].text"))


def choose_image(page, start: str) -> str:
    """Choose the image menu's first entry that starts with ``start`` (e.g. "observed #2"); returns it."""
    entry = next(e for e in page.locator(f"{IMAGE_MENU} option").all_inner_texts() if words(e).startswith(start))
    page.locator(IMAGE_MENU).select_option(label=entry)
    return words(entry)


def layout(page) -> dict:
    """Where the status line is (pixels from the panel's left edge, its height), the upload button's text
    and the panel's elements whose tooltip reads "null"."""
    panel, status = page.locator(PANEL).bounding_box(), page.locator(STATUS).bounding_box()
    return {
        "status_left": status["x"] - panel["x"],
        "status_height": status["height"],
        "upload_button": page.locator(f"{PANEL} .widget-upload").inner_text().strip(),
        "null_titles": page.locator(f'{PANEL} [title="null"]').count(),
    }


#: A notebook cell that opens the CNN explorer on observed image #0 (SmoothGrad with few copies: quick).
EXPLORER_CELL = """from helpers.explorer import explore
from helpers.observe import load_observation
obs = load_observation(device="cpu", verbose=False)
explore(obs, "smoothgrad", image=0, samples=4)"""
