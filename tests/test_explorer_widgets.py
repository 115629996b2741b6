"""The explorers' widget layer on the installed ipywidgets, 7 (Google Colab's) or 8 (JupyterLab 4, Notebook 7,
VS Code): :mod:`helpers.explorer.compat`, and the tqdm progress bars of the lessons and the explorer, which
draw with ipywidgets in a notebook. Run on both versions (the suite on ipywidgets 8, the Colab environment on
7.7.1)."""

from __future__ import annotations

import ipywidgets as widgets
import torch

import helpers.explorer.live as live
from helpers.explorer.compat import (
    MAJOR,
    TOOLTIP,
    WIDGET_VIEW,
    clear_upload,
    labelled,
    receive_upload,
    uploaded_files,
    view_bundle,
)


def test_the_installed_ipywidgets_is_one_the_explorers_know() -> None:
    assert MAJOR in (7, 8), widgets.__version__


def test_a_widget_displays_as_a_widget_view_on_both_versions() -> None:
    box = widgets.VBox([widgets.HTML("x")])
    bundle = view_bundle(box)
    assert bundle[WIDGET_VIEW] == {"version_major": 2, "version_minor": 0, "model_id": box.model_id}
    assert bundle["text/plain"].startswith("VBox(")


def test_an_upload_is_read_and_emptied_on_both_versions() -> None:
    upload = widgets.FileUpload(accept=".png", multiple=False)
    seen = []
    upload.observe(lambda change: seen.append(uploaded_files(upload)), "value")
    receive_upload(upload, "dinner.png", b"\x89PNG not really")
    assert [(name, bytes(content)) for name, content in uploaded_files(upload)] == [
        ("dinner.png", b"\x89PNG not really")
    ]
    clear_upload(upload)
    assert uploaded_files(upload) == [] and seen[0][0][0] == "dinner.png" and seen[-1] == []
    if MAJOR == 7:
        assert upload._counter == 0  # what ipywidgets 7's button counts: "(1)" no more
    receive_upload(upload, "second.png", b"2")  # the next file arrives as the first did
    assert [name for name, _ in uploaded_files(upload)] == ["second.png"]


def test_a_description_has_an_empty_tooltip_not_none() -> None:
    slider = widgets.IntSlider(**labelled("layer"))
    assert slider.description == "layer" and getattr(slider, TOOLTIP) == ""


def test_tqdm_notebook_bars_draw_with_this_ipywidgets() -> None:
    """The lessons' bars are tqdm.auto: in a notebook, tqdm.notebook's widget bar (else "IProgress not found")."""
    from tqdm.notebook import tqdm

    with tqdm(total=4, desc="SmoothGrad", leave=False) as bar:
        bar.update(4)
        bar.refresh()
        text, progress, counts = bar.container.children
        assert isinstance(progress, widgets.FloatProgress) and progress.value == progress.max == 4
        assert "SmoothGrad" in text.value and "4/4" in counts.value


def test_the_first_figure_has_a_tqdm_bar_that_ends_full_and_goes(monkeypatch, capsys) -> None:
    from tqdm import tqdm

    closed = []

    class Recording(tqdm):
        def close(self) -> None:
            closed.append((self.desc, self.n, self.total, self.leave, self.delay))
            super().close()

    with live.console_progress("the explorer's first figure") as update:
        update(2, 6)
    assert capsys.readouterr().err == ""  # quicker than BAR_DELAY: never shown
    monkeypatch.setattr(live, "tqdm", Recording)
    with live.console_progress("the explorer's first figure") as update:
        for done in range(1, 5):
            update(done, 6)  # the method's estimate of its work was larger than the work
    assert closed == [("the explorer's first figure", 6, 6, False, live.BAR_DELAY)]


def test_lime_output_comparison_shows_one_progress_bar_over_both_outputs(tiny_model, capsys) -> None:
    from helpers.lime_explain import compare_outputs

    image = torch.rand(3, 128, 128, generator=torch.Generator().manual_seed(0))
    both = compare_outputs(tiny_model, image, 3, num_samples=20, num_segments=10)
    printed = capsys.readouterr().err
    assert len(both.overlays) == 2 and "LIME, logits then probability" in printed and "40/40" in printed
    compare_outputs(tiny_model, image, 3, progress=False, num_samples=20, num_segments=10)
    assert capsys.readouterr().err == ""
