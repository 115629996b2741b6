"""The explorer's logic without a browser: the scheduler (the newest setting wins), the upload checks,
a setting -> the call it makes -> the figure, and the panel's widgets driven from Python."""

from __future__ import annotations

import base64
import io
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import helpers.explorer.methods as methods
from helpers.data import FoodDataset, read_rgb
from helpers.explorer import explore
from helpers.explorer.compat import TOOLTIP, receive_upload, uploaded_files
from helpers.explorer.live import HEADLESS_NOTE
from helpers.explorer.methods import METHODS, UNIT_SCALE, check_knobs
from helpers.explorer.scheduler import Latest, Superseded
from helpers.explorer.session import Request, compute, explain_image
from helpers.explorer.upload import UploadError, read_upload
from helpers.model import Classifier
from helpers.observe import Observation

from conftest import write_images

# ---------------------------------------------------------------------------------------------------
# The scheduler


def test_unthreaded_scheduler_runs_each_request_at_once() -> None:
    shown = []
    latest = Latest(lambda r, t: r * 2, lambda out, g: shown.append((out, g)), pytest.fail, threaded=False)
    assert latest.submit(1) == 1 and latest.submit(5) == 2
    assert shown == [(2, 1), (10, 2)] and not latest.busy


def test_a_burst_of_settings_computes_the_running_one_and_the_newest_only() -> None:
    release, started, shown, stopped = threading.Event(), threading.Event(), [], []

    def work(request: int, ticket) -> int:
        started.set()
        release.wait(5)
        try:
            ticket.check()
        except Superseded:
            stopped.append(request)
            raise
        return request

    latest = Latest(work, lambda out, g: shown.append(out), pytest.fail)
    latest.submit(0)
    assert started.wait(5)
    for value in range(1, 21):  # a slider dragged while request 0 computes
        latest.submit(value)
    release.set()
    assert latest.wait(10)
    assert shown == [20] and stopped == [0]  # 0 learned it was overtaken; 1..19 never ran
    assert latest.computed == 2 and latest.generation == 21
    latest.close()


def test_an_error_of_the_newest_request_is_reported_and_the_next_one_works() -> None:
    failures, shown = [], []

    def work(request: str, ticket) -> str:
        if request == "bad":
            raise ValueError("class index 42 is out of range")
        return request

    latest = Latest(work, lambda out, g: shown.append(out), lambda e, g: failures.append(str(e)), threaded=False)
    latest.submit("bad")
    latest.submit("good")
    assert failures == ["class index 42 is out of range"] and shown == ["good"]


# ---------------------------------------------------------------------------------------------------
# Uploads


def encoded(array: np.ndarray, fmt: str, mode: str | None = None, **save) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, fmt, **save)
    return buffer.getvalue()


def random_rgb(height: int = 90, width: int = 60, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize("fmt,suffix", [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_an_upload_is_prepared_exactly_as_the_data_pipeline_prepares_the_file(
    tmp_path: Path, fmt: str, suffix: str
) -> None:
    data = encoded(random_rgb(), fmt)
    (tmp_path / f"photo.{suffix}").write_bytes(data)
    photo = read_upload(f"photo.{suffix}", memoryview(data))
    expected = torch.from_numpy(read_rgb(tmp_path / f"photo.{suffix}").copy()).permute(2, 0, 1).float() / 255
    assert photo.image.shape == (3, 128, 128) and torch.equal(photo.image, expected)
    assert photo.original == (60, 90) and photo.format in ("PNG", "JPEG", "WebP")


def test_a_50_megapixel_photo_is_read() -> None:
    data = encoded(np.full((5800, 8700, 3), 120, np.uint8), "JPEG", quality=70)
    photo = read_upload("huge.jpg", data)
    assert photo.original == (8700, 5800) and abs(float(photo.image.mean()) - 120 / 255) < 0.01


@pytest.mark.parametrize(
    "name,data,expected",
    [
        ("empty.jpg", b"", r"is empty \(0 bytes\)"),
        ("notes.png", b"this is not an image at all", "is not an image that can be read"),
        ("truncated.jpg", encoded(random_rgb(200, 200), "JPEG")[:2000], "damaged or incomplete"),
        ("anim.gif", encoded(random_rgb(), "GIF"), "is a GIF image: upload a JPEG, PNG or WebP"),
    ],
)
def test_bad_uploads_raise_a_message_naming_the_problem(name: str, data: bytes, expected: str) -> None:
    with pytest.raises(UploadError, match=expected) as caught:
        read_upload(name, data)
    assert name in str(caught.value)


def test_an_upload_over_the_pixel_limit_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("helpers.explorer.upload.MAX_PIXELS", 1000)
    with pytest.raises(UploadError, match=r"60 x 90 = 0 megapixels, more than the 0 the explorer reads: shrink"):
        read_upload("big.png", encoded(random_rgb(), "PNG"))


def test_16_bit_cmyk_and_transparent_images_are_converted_and_say_so() -> None:
    gray16 = read_upload("deep.png", encoded(np.full((40, 40), 65535, np.uint16), "PNG"))
    assert "16-bit" in gray16.notes[0] and float(gray16.image.min()) == 1.0  # white stays white
    cmyk = Image.fromarray(random_rgb()).convert("CMYK")
    buffer = io.BytesIO()
    cmyk.save(buffer, "JPEG")
    assert "CMYK" in read_upload("print.jpg", buffer.getvalue()).notes[0]
    clear = np.zeros((40, 40, 4), np.uint8)  # fully transparent black
    photo = read_upload("cut-out.png", encoded(clear, "PNG", "RGBA"))
    assert "transparent pixels laid on white" in photo.notes and float(photo.image.min()) == 1.0


# ---------------------------------------------------------------------------------------------------
# A setting -> the call it makes -> the figure


@pytest.fixture
def image() -> torch.Tensor:
    return torch.rand(3, 128, 128, generator=torch.Generator().manual_seed(1))


def spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[dict]:
    """Record the arguments of the lesson library's function ``name`` as the explorer calls it (then call it)."""
    import helpers.lime_explain

    module = helpers.lime_explain if name == "lime_explain" else methods  # LIME is imported when first run
    calls, real = [], getattr(module, name)

    def recording(*args, **kwargs):
        calls.append({"args": args, **kwargs})
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return calls


@pytest.mark.parametrize(
    "method,knobs,function,expected",
    [
        ("saliency", {"normalize": False}, "saliency", {"normalize": False}),
        ("smoothgrad", {"samples": 3, "noise_level": 0.2}, "smoothgrad", {"samples": 3, "noise_level": 0.2}),
        ("ig", {"steps": 7}, "integrated_gradients", {"steps": 7}),
        (
            "lime",
            {"num_samples": 20, "num_segments": 30, "num_features": 4, "min_weight": 0.0, "output": "probability"},
            "lime_explain",
            {"num_samples": 20, "num_segments": 30, "num_features": 4, "min_weight": 0.0, "output": "probability"},
        ),
        ("visualization", {"cnnid": 2, "filterid": 3, "iterations": 2}, "filter_visualization", {"iterations": 2}),
    ],
)
def test_each_knob_reaches_the_lesson_librarys_function(
    monkeypatch, tiny_model, image, method: str, knobs: dict, function: str, expected: dict
) -> None:
    calls = spy(monkeypatch, function)
    result = explain_image(tiny_model, image, method, target=4, **knobs)
    assert len(calls) == 1 and {k: calls[0][k] for k in expected} == expected
    assert calls[0]["args"][2] in (4, 2)  # the class to explain (filters: the layer)
    assert result.target == 4 and result.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_baseline_knob_chooses_the_baseline_integrated_gradients_gets(monkeypatch, tiny_model, image) -> None:
    calls = spy(monkeypatch, "integrated_gradients")
    results = {kind: explain_image(tiny_model, image, "ig", baseline=kind, steps=4) for kind in methods.BASELINES}
    black, blurred, noise = (c["baseline"][0] for c in calls)
    assert float(black.abs().max()) == 0
    assert blurred.mean().item() == pytest.approx(image.mean().item(), abs=0.02) and blurred.std() < image.std() / 3
    assert 0.45 < noise.mean().item() < 0.55 and not torch.equal(noise, image)
    assert "completeness" in results["blurred"].shown.lines[0]


def test_the_prediction_is_explained_by_default_and_a_class_out_of_range_is_a_clear_error(tiny_model, image) -> None:
    result = explain_image(tiny_model, image, "saliency")
    assert result.target == int(np.argmax(result.probabilities)) and result.probabilities.sum() == pytest.approx(1)
    with pytest.raises(ValueError, match=r"class index 11 is out of range: the model has 11 classes \(0 Bread"):
        explain_image(tiny_model, image, "saliency", target=11)


def test_knobs_are_checked_against_their_ranges_and_names() -> None:
    from helpers.lime_explain import OUTPUTS

    assert methods.LIME_OUTPUTS == OUTPUTS
    assert check_knobs("smoothgrad", {"samples": 8}) == {"samples": 8, "noise_level": 0.4, "normalize": True}
    with pytest.raises(ValueError, match=r"samples \(noisy copies\) must be in 1..500, got 0"):
        check_knobs("smoothgrad", {"samples": 0})
    with pytest.raises(ValueError, match="LIME has no knob steps"):
        check_knobs("lime", {"steps": 3})
    with pytest.raises(ValueError, match="baseline must be one of black, blurred, uniform noise"):
        check_knobs("ig", {"baseline": "grey"})


def test_turning_a_knob_changes_the_figure(tiny_model, image) -> None:
    plain = explain_image(tiny_model, image, "saliency").png()
    raw = explain_image(tiny_model, image, "saliency", normalize=False).png()
    assert plain != raw
    picture = np.asarray(Image.open(io.BytesIO(plain)))
    assert picture.shape[1] >= 800 and picture.std() > 20  # wide and not blank, like the lessons' figures


def test_a_stale_computation_stops_at_its_next_model_call(tiny_model, image) -> None:
    latest = Latest(lambda r, t: None, lambda *a: None, lambda *a: None, threaded=False)
    seen = []

    class Overtaken:
        generation, scheduler = 1, latest

        def check(self) -> None:
            seen.append(1)
            if len(seen) > 2:
                raise Superseded("newer")

    with pytest.raises(Superseded):
        compute(tiny_model, Request.make(image, "x", "smoothgrad", {"samples": 40}), Overtaken())
    assert len(seen) == 3  # stopped at the third batch of 4 copies, not after all 40
    assert all(p.requires_grad for p in tiny_model.parameters())  # the model's state was restored


# ---------------------------------------------------------------------------------------------------
# The panel, driven from Python (widgets without a front end)


@pytest.fixture
def obs(tiny_model, food_folder: Path) -> Observation:
    dataset = FoodDataset(food_folder)
    images, labels, kept = dataset.load(range(3))
    return Observation(dataset, tiny_model, images, labels, None, False, tuple(kept))


def upload(explorer, name: str, data: bytes) -> None:
    receive_upload(explorer.upload, name, data)  # as the front end of the installed ipywidgets does


def menu_label(explorer) -> str:
    """The image menu's entry as the student reads it."""
    return dict((value, label) for label, value in explorer.source.options)[explorer.source.value]


def test_the_panel_redraws_when_a_knob_turns_and_keeps_working_after_a_bad_upload(obs) -> None:
    explorer = explore(obs, "smoothgrad", image=1, threaded=False, samples=2)
    first = explorer.figure.value
    assert first and "drawn in" in explorer.status.value and "model:" in explorer.prediction.value
    explorer.knobs["smoothgrad"]["noise_level"].value = 0.1
    assert explorer.figure.value != first and dict(explorer.result.request.knobs)["noise_level"] == 0.1
    before = explorer.figure.value
    upload(explorer, "broken.jpg", b"\xff\xd8\xff\xe0 not really")
    assert "broken.jpg is not an image that can be read" in explorer.status.value
    assert explorer.figure.value == before and explorer.chosen.label == "observed #1 (Dairy product)"
    explorer.method.value = "saliency"  # still responds
    assert explorer.result.request.method == "saliency" and explorer.figure.value != before
    upload(explorer, "mine.png", encoded(random_rgb(), "PNG"))
    assert explorer.chosen.label == "your photo mine.png" and explorer.source.value == "upload"
    assert "resized to 128 x 128" in explorer.result.request.notes[0]


def test_a_failed_upload_keeps_the_last_good_photo_and_the_menu_names_what_the_figure_shows(obs) -> None:
    explorer = explore(obs, "saliency", threaded=False)
    upload(explorer, "dinner.png", encoded(random_rgb(), "PNG"))
    assert uploaded_files(explorer.upload) == []  # the button counts no file; the panel holds the photo
    upload(explorer, "empty.jpg", b"")
    assert (
        "empty.jpg is empty" in explorer.status.value and "still shows your photo dinner.png" in explorer.status.value
    )
    assert menu_label(explorer) == explorer.result.request.label == "your photo dinner.png"
    assert uploaded_files(explorer.upload) == []
    explorer.source.value = 2
    assert menu_label(explorer) == explorer.result.request.label == "observed #2 (Dairy product)"
    explorer.source.value = "upload"  # back to the photo: the good one, not the empty file's error
    assert menu_label(explorer) == explorer.result.request.label == "your photo dinner.png"
    assert "drawn in" in explorer.status.value and "empty" not in explorer.status.value
    explorer.knobs["saliency"]["normalize"].value = False  # a later redraw explains the same image
    assert explorer.result.request.label == "your photo dinner.png" and explorer.source.value == "upload"


def test_a_choice_that_cannot_be_shown_leaves_the_menu_on_the_image_shown(obs) -> None:
    explorer = explore(obs, "saliency", image=1, threaded=False)
    explorer.source.value = "upload"  # no photo yet
    assert "No photo yet" in explorer.status.value and "still shows observed #1" in explorer.status.value
    assert explorer.source.value == 1 and explorer.result.request.label == menu_label(explorer)
    explorer.source.value = "validation"  # the generated folder has no validation split beside it
    assert "no validation folder" in explorer.status.value
    assert explorer.source.value == 1 and explorer.index.layout.display == "none"


def test_the_panel_offers_validation_images_and_every_classes_and_follows_the_layer(obs, tmp_path) -> None:
    write_images(tmp_path / "validation", ["0_0", "5_1", "9_2"])
    explorer = explore(obs, "saliency", threaded=False)
    explorer.source.value = "validation"
    assert explorer.index.description == "validation # (0 to 2)" and explorer.index.layout.display == ""
    explorer.index.value = 2
    assert menu_label(explorer) == "a validation image" and explorer.result.request.label == "validation #2 (Soup)"
    explorer.target.value = 7
    assert explorer.result.target == 7 and "of class Rice" in explorer.result.titles()[1]
    explorer.index.value = 99999  # no such image: the last one, and the panel says so
    assert explorer.index.value == 2 and explorer.result.request.label == "validation #2 (Soup)"
    assert "There is no validation image #99999: showing #2." in explorer.status.value
    explorer.method.value = "activation"
    assert explorer.knobs["activation"]["filterid"].max == 3  # the tiny model's cnn[6]: 4 channels
    explorer.knobs["activation"]["cnnid"].value = 24  # its fourth stage: 8 channels
    assert explorer.knobs["activation"]["filterid"].max == 7
    explorer.knobs["activation"]["filterid"].value = 7
    explorer.knobs["activation"]["cnnid"].value = 6  # back to 4 channels: the filter id follows, no error
    assert dict(explorer.result.request.knobs) == {"cnnid": 6, "filterid": 3} and "drawn in" in explorer.status.value


def test_the_filters_explain_no_class_and_hide_the_class_menu(obs) -> None:
    explorer = explore(obs, "saliency", target=5, threaded=False)
    assert explorer.target.layout.display == "" and explorer.no_class.layout.display == "none"
    explorer.method.value = "activation"
    assert explorer.target.layout.display == "none" and explorer.no_class.layout.display == ""
    assert "depend on the image alone" in explorer.no_class.value
    image_title, heading = explorer.result.titles()
    assert explorer.result.request.target is None and "class" not in heading and "explaining" not in image_title
    explorer.method.value = "ig"  # back to a method that explains a class: the menu, still on class 5
    assert explorer.target.layout.display == "" and explorer.result.target == 5


def test_unnormalized_maps_share_the_normalized_maps_fixed_scale(tiny_model, image) -> None:
    for method, knobs in (("saliency", {}), ("smoothgrad", {"samples": 2})):
        plain = explain_image(tiny_model, image, method, **knobs).shown
        raw = explain_image(tiny_model, image, method, normalize=False, **knobs).shown
        assert plain.pictures[-1].limits == raw.pictures[-1].limits == UNIT_SCALE  # not each map's own maximum
        assert raw.pictures[-1].pixels.max() < 0.5 and "not normalized" in raw.lines[-1]


def test_controls_read_as_words_and_carry_no_null_tooltip(obs) -> None:
    explorer = explore(obs, "lime", threaded=False, num_samples=10, num_segments=20)
    labels = [k.label for m in METHODS.values() for k in m.knobs]
    assert not [label for label in labels if "_" in label or "id" in label.split()], labels
    described = [w for w in walk(explorer.panel) + [c for m in explorer.knobs.values() for c in m.values()]
                 if "description" in w.trait_names()]  # fmt: skip
    assert len(described) > 10 and all(getattr(w, TOOLTIP) == "" for w in described)


def walk(widget) -> list:
    """``widget`` and every widget inside it."""
    return [widget, *(w for child in getattr(widget, "children", ()) for w in walk(child))]


def test_an_image_the_data_lack_starts_the_explorer_on_the_first_and_says_so(obs, capsys) -> None:
    explorer = explore(obs, "saliency", image=9, threaded=False)  # a lesson's image, on three photos
    assert "There is no observed image #9 (these data have 3): starting on #0." in capsys.readouterr().out
    assert torch.equal(explorer.chosen.image, obs.images[0].cpu())


def test_a_class_out_of_range_is_a_message_in_the_panel(obs) -> None:
    explorer = explore(obs, "saliency", target=42, threaded=False)
    assert "class index 42 is out of range" in explorer.status.value and explorer.target.label == "the prediction"
    assert explorer.result is not None and explorer.figure.value  # the prediction is explained instead


def test_headless_display_carries_the_first_figure_and_the_note(obs) -> None:
    explorer = explore(obs, "ig", threaded=False, steps=3)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and bundle["text/plain"] == HEADLESS_NOTE
    picture = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    assert picture.width >= 800 and bundle["image/png"] != base64.b64encode(explorer.figure.value).decode()


def test_every_method_draws_on_the_panel(obs) -> None:
    small = {"smoothgrad": {"samples": 2}, "ig": {"steps": 2}, "lime": {"num_samples": 10, "num_segments": 20},
             "visualization": {"iterations": 1}}  # fmt: skip
    for method in METHODS:
        explorer = explore(obs, method, threaded=False, **small.get(method, {}))
        assert explorer.result.request.method == method and bytes(explorer.figure.value).startswith(b"\x89PNG")


def test_the_site_shows_the_explorers_picture_and_leaves_other_widgets_alone() -> None:
    import nbformat

    from helpers.bundle.site import WIDGET_VIEW, pictures_for_widgets

    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    explorer = nbformat.v4.new_output("execute_result", {WIDGET_VIEW: view, "image/png": "iVBO", "text/plain": "x"})
    progress = nbformat.v4.new_output("display_data", {WIDGET_VIEW: view, "text/plain": "HBox(...)"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("explore(obs)", outputs=[explorer, progress])])
    pictures_for_widgets(nb)
    assert set(explorer["data"]) == {"image/png", "text/plain"} and WIDGET_VIEW in progress["data"]


def test_lime_shows_its_progress_up_to_the_end(tiny_model, image) -> None:
    seen = []
    request = Request.make(image, "x", "lime", {"num_samples": 20, "num_segments": 20})
    compute(tiny_model, request, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 3 and seen[-1] == (21, 21)  # 20 samples and the image's own probability
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))


def test_the_model_switch_explains_with_the_chosen_model_and_names_it(obs) -> None:
    torch.manual_seed(1)
    other = Classifier((4, 4, 8, 8, 16), 16).eval()  # lesson 09 switches between two models
    explorer = explore(obs, "saliency", image=1, threaded=False, models={"shortcut": obs.model, "clean": other})
    assert explorer.which.options == ("shortcut", "clean") and explorer.which.layout.display == ""
    first = explorer.result
    assert first.request.model == "shortcut" and first.request.label.endswith(", shortcut model")
    explorer.which.value = "clean"
    second = explorer.result
    assert second.request.model == "clean" and second.request.label == "observed #1 (Dairy product), clean model"
    assert not np.allclose(first.probabilities, second.probabilities)  # another model answered
    expected = compute(other, Request.make(obs.images[1], "x", "saliency", {}))
    assert np.allclose(second.probabilities, expected.probabilities)
    explorer.method.value = "activation"
    explorer.knobs["activation"]["cnnid"].value = 34  # the last stage: 16 channels in the clean model, 8 before
    assert explorer.knobs["activation"]["filterid"].max == 15
    with pytest.raises(TypeError, match="models must map names to models"):
        explore(obs, "saliency", threaded=False, models={"a": "not a model"})


def test_with_one_model_the_switch_is_hidden(obs) -> None:
    explorer = explore(obs, "saliency", threaded=False)
    assert explorer.which.layout.display == "none" and explorer.result.request.model == ""
