"""The interactive attention view in a real headless browser (Debian chromium, `make test-setup`): it
renders, shows the tokens, reacts to hover / click / layer choice, and requests nothing from the network."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from helpers import paths
from helpers.attention import attention_maps, save_attention_view
from helpers.bert_models import load_bert

from conftest import CHROMIUM, CHROMIUM_ARGS
from jupyter_lab import LabServer

SCREENSHOT = paths.BUILD / "screenshots" / "attention_view.png"

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    bert = load_bert(None, device="cpu", verbose=False)
    tokens, maps = attention_maps(bert, "Tom likes Jennie because she is cute")
    page = save_attention_view(
        tmp_path_factory.mktemp("view") / "attention.html",
        maps,
        tokens,
        layer=4,
        head=1,
        title="Tom likes Jennie because she is cute",
    )
    return page, tokens


def test_attention_view_in_chromium(view: tuple[Path, list[str]]) -> None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed: run `make test-setup`")
    from playwright.sync_api import sync_playwright

    path, tokens = view
    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 520})
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(path.as_uri())
            page.wait_for_selector(".left .tok")

            left, right = page.locator(".left .tok"), page.locator(".right .tok")
            assert left.count() == right.count() == len(tokens)
            assert [left.nth(i).inner_text() for i in range(len(tokens))] == tokens
            assert all(right.nth(i).is_visible() for i in range(len(tokens)))
            assert page.locator(".layer").input_value() == "3" and page.locator(".head").input_value() == "1"
            info = page.locator(".info")
            all_edges = page.locator("line.edge").count()
            assert all_edges > len(tokens)  # every token draws at least one line
            assert "hover or click" in info.inner_text()

            she = tokens.index("she")
            left.nth(she).hover()
            hovered = info.inner_text()
            assert "'she' attends most to" in hovered
            assert 0 < page.locator("line.edge").count() <= len(tokens) < all_edges
            shades = [right.nth(i).evaluate("e => getComputedStyle(e).backgroundColor") for i in range(len(tokens))]
            assert len(set(shades)) > 2  # attended tokens are shaded by weight

            page.select_option(".layer", "0")
            assert info.inner_text() != hovered and info.inner_text().startswith("layer 1, head 1")
            page.select_option(".layer", "3")

            left.nth(she).click()  # pin, then move away: the selection stays
            page.mouse.move(880, 500)
            assert "'she' attends most to" in info.inner_text()
            assert "pinned" in (left.nth(she).get_attribute("class") or "")

            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    print(f"screenshot: {SCREENSHOT}")
    assert SCREENSHOT.stat().st_size > 5000
    assert not problems, problems
    outside = [u for u in requests if urlparse(u).scheme not in ("file", "data", "about", "blob")]
    assert requests and not outside, f"network requests: {outside}"


def test_attention_view_inside_jupyterlab(tmp_path: Path) -> None:
    """Run a cell that shows the view in a real JupyterLab (served on 127.0.0.1) and hover a token."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed: run `make test-setup`")
    import nbformat
    from playwright.sync_api import sync_playwright

    code = (
        "from helpers.attention import attention_maps, show_attention_view\n"
        "from helpers.bert_models import load_bert\n"
        "bert = load_bert(None, verbose=False)\n"
        "tokens, maps = attention_maps(bert, 'Tom likes Jennie because she is cute')\n"
        "show_attention_view(maps, tokens, layer=4, head=1)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "view.ipynb")
    requests: list[str] = []
    with LabServer(tmp_path) as lab, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{lab.url}lab/tree/view.ipynb")
            page.wait_for_selector(".jp-Notebook .jp-Cell .jp-InputArea-editor", timeout=90_000)
            # the status bar says "Idle" once the kernel is up; only then run the cell
            page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for(timeout=90_000)
            page.locator(".jp-Cell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")
            try:
                page.locator(".jp-OutputArea-output .attention-view .left .tok").first.wait_for(timeout=120_000)
            finally:
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT.with_name("attention_view_jupyterlab.png")))
            view = page.locator(".jp-OutputArea-output .attention-view")
            assert view.locator(".left .tok").count() == 9
            view.locator(".left .tok").nth(5).hover()
            assert "'she' attends most to" in view.locator(".info").inner_text()
            page.screenshot(path=str(SCREENSHOT.with_name("attention_view_jupyterlab.png")))
        finally:
            browser.close()
    outside = [
        u
        for u in requests
        if urlparse(u).scheme not in ("data", "blob", "about") and urlparse(u).hostname != "127.0.0.1"
    ]
    assert not outside, f"requests beyond the local server: {outside}"
