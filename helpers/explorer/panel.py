"""``explore(obs)``: the live explorer, an ipywidgets panel over :mod:`helpers.explorer.session`.

The panel only turns widget values into a :class:`~helpers.explorer.session.Request` and hands it to a
:class:`~helpers.explorer.scheduler.Latest` scheduler, which computes in a background thread and puts
the newest figure into an ``Image`` widget (thread-safe: a widget value, not captured output). Errors
and bad uploads become a message in the panel; the previous image and figure stay, so it keeps working.

Headless runs (papermill, nbval, ``make run``) have no widget front end: the panel's display also
carries its first figure as an ordinary PNG with a line saying to run the notebook, which is what
executed notebooks and the built site show.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as widgets
import torch

from helpers.classes import CLASS_NAMES
from helpers.data import DataError, FoodDataset, find_split
from helpers.explorer.live import Drawn, LivePanel
from helpers.explorer.methods import METHODS, Knob, check_knobs
from helpers.explorer.scheduler import Ticket
from helpers.explorer.session import Request, Result, class_name, compute, top_classes
from helpers.explorer.upload import UploadError, read_upload
from helpers.observe import Observation

VALIDATION, UPLOAD = "validation", "upload"
PREDICTION = -1  # the class menu's first entry (a Dropdown shows None as no choice at all)


def validation_folder(obs: Observation) -> Path | None:
    """The validation split beside the observed images (the embedded one for the embedded data)."""
    if obs.embedded:
        from helpers.bundle.synthetic import ensure_embedded

        return ensure_embedded() / "validation"
    return find_split(obs.dataset.folder.parent, "validation")


def knob_widget(knob: Knob, value: object) -> widgets.Widget:
    """The control for one knob, set to ``value``."""
    style, layout = {"description_width": "initial"}, widgets.Layout(width="320px")
    if isinstance(knob.default, bool):
        return widgets.Checkbox(value=value, description=knob.label, indent=False)
    if knob.options:
        return widgets.ToggleButtons(
            options=knob.options, value=value, description=knob.label, style={**style, "button_width": "auto"}
        )
    kind = widgets.IntSlider if isinstance(knob.default, int) else widgets.FloatSlider
    return kind(
        value=value, min=knob.low, max=knob.high, step=knob.step, description=knob.label, style=style, layout=layout
    )


class Explorer(LivePanel):
    """The panel. Build it with :func:`explore`; ``threaded=False`` computes in the caller's thread (tests)."""

    def __init__(
        self, obs: Observation, method: str, image: int, target: int | None, knobs: dict, threaded: bool = True
    ) -> None:
        super().__init__(threaded)
        self.obs, self.model = obs, obs.model
        self.channels = layer_channels(obs.model)
        self.image, self.label, self.notes = obs.images[image].cpu(), self._observed_label(image), ()
        self.validation: FoodDataset | None = None
        self._quiet = False  # while the panel sets its own widgets
        self._build(method, image, target, knobs)
        self.start()
        if not self._target_ok(target):
            self.message(str(self._target_error(target)), error=True)

    @property
    def result(self) -> Result:
        """What the figure shows now."""
        return self.drawn.result

    # ---- widgets -----------------------------------------------------------------------------------

    def _observed_label(self, k: int) -> str:
        return f"observed #{k} ({class_name(int(self.obs.labels[k]))})"

    def _build(self, method: str, image: int, target: int | None, knobs: dict) -> None:
        sources = [(self._observed_label(k), k) for k in range(len(self.obs.images))]
        self.source = widgets.Dropdown(
            options=[*sources, ("a validation image", VALIDATION), ("your photo (upload)", UPLOAD)],
            value=image,
            description="image",
        )
        self.index = widgets.BoundedIntText(
            value=0, min=0, max=0, description="#", layout={"width": "150px", "display": "none"}
        )
        self.upload = widgets.FileUpload(accept=".jpg,.jpeg,.png,.webp", multiple=False, description="upload photo")
        self.target = widgets.Dropdown(
            options=[("the prediction", PREDICTION)] + [(f"{i} {n}", i) for i, n in enumerate(CLASS_NAMES)],
            value=target if self._target_ok(target) and target is not None else PREDICTION,
            description="explain",
        )
        self.method = widgets.ToggleButtons(
            options=[(m.title, key) for key, m in METHODS.items()], value=method, style={"button_width": "auto"}
        )
        values = {key: check_knobs(key, knobs if key == method else {}) for key in METHODS}
        self.knobs = {key: {k.name: knob_widget(k, values[key][k.name]) for k in m.knobs} for key, m in METHODS.items()}
        for key in ("activation", "visualization"):
            self._fit_filter(self.knobs[key])
        self.knob_box = widgets.HBox(list(self.knobs[method].values()), layout={"flex_flow": "row wrap"})
        self.prediction = widgets.HTML()
        self.panel = widgets.VBox(
            [
                widgets.HBox([self.source, self.index, self.upload]),
                self.prediction,
                self.target,
                self.method,
                self.knob_box,
                widgets.HBox([self.progress, self.status]),
                self.figure,
            ],
        )
        self.panel.add_class("hw9-explorer")
        self.source.observe(self._on_source, "value")
        self.index.observe(self._on_source, "value")
        self.upload.observe(self._on_upload, "value")
        self.method.observe(self._on_method, "value")
        self.target.observe(self._changed, "value")
        for key in ("activation", "visualization"):  # first: the filter's range follows before a redraw
            self.knobs[key]["cnnid"].observe(lambda _, c=self.knobs[key]: self._fit_filter(c), "value")
        for controls in self.knobs.values():
            for control in controls.values():
                control.observe(self._changed, "value")

    def _fit_filter(self, controls: dict) -> None:
        """The filter slider's range follows the chosen layer's channel count."""
        controls["cnnid"].max = len(self.channels) - 1
        controls["filterid"].max = self.channels[controls["cnnid"].value] - 1

    def _target_ok(self, target: int | None) -> bool:
        return self._target_error(target) is None

    def _target_error(self, target: int | None) -> ValueError | None:
        if target is None or (
            isinstance(target, int) and not isinstance(target, bool) and 0 <= target < len(CLASS_NAMES)
        ):
            return None
        return ValueError(
            f"class index {target!r} is out of range: choose 0..{len(CLASS_NAMES) - 1} ({', '.join(CLASS_NAMES)}); "
            "explaining the prediction instead."
        )

    # ---- reacting to the widgets -------------------------------------------------------------------

    def request(self) -> Request:
        """The setting the widgets show now."""
        method = self.method.value
        knobs = {name: control.value for name, control in self.knobs[method].items()}
        target = None if self.target.value == PREDICTION else self.target.value
        return Request.make(self.image, self.label, method, knobs, target, self.notes)

    def refresh(self) -> int:
        """Compute the setting shown now (superseding any pending one); returns its generation."""
        self.message("computing ... (the figure below still shows the previous setting)")
        return self.scheduler.submit(self.request())

    def _changed(self, _: object = None) -> None:
        if not self._quiet:
            self.refresh()

    def _on_method(self, change: dict) -> None:
        self.knob_box.children = list(self.knobs[change["new"]].values())
        self._changed()

    def _on_source(self, _: object = None) -> None:
        if self._quiet:
            return
        choice = self.source.value
        self.index.layout.display = "" if choice == VALIDATION else "none"
        try:
            if choice == UPLOAD:
                if not self.upload.value:
                    self.message("choose a JPEG, PNG or WebP file with the upload button")
                    return
                self._on_upload()
                return
            if choice == VALIDATION:
                self._load_validation()
            else:
                self.image, self.label, self.notes = self.obs.images[choice].cpu(), self._observed_label(choice), ()
        except (DataError, IndexError, OSError) as err:
            self.message(str(err), error=True)
            return
        self.refresh()

    def _load_validation(self) -> None:
        if self.validation is None:
            folder = validation_folder(self.obs)
            if folder is None:
                raise DataError(f"no validation folder beside {self.obs.dataset.folder}; choose an observed image.")
            self.validation = FoodDataset(folder)
            self.index.max = len(self.validation) - 1
        images, labels, kept = self.validation.load([self.index.value])
        if not kept:
            raise DataError(f"validation image #{self.index.value} cannot be read; choose another.")
        self.image = images[0]
        self.label, self.notes = f"validation #{self.index.value} ({class_name(int(labels[0]))})", ()

    def _on_upload(self, _: object = None) -> None:
        if not self.upload.value:
            return
        file = self.upload.value[-1]
        try:
            photo = read_upload(file["name"], file["content"])
        except UploadError as err:
            self.message(f"{err} The explorer still shows the previous image.", error=True)
            return
        self.image, self.label = photo.image, f"your photo {photo.name}"
        size = f"{photo.format} {photo.original[0]} x {photo.original[1]}, resized to 128 x 128 as the course does"
        self.notes = (f"{photo.name}: {'; '.join([size, *photo.notes])}",)
        self._quiet = True
        self.source.value = UPLOAD
        self.index.layout.display = "none"
        self._quiet = False
        self.refresh()

    # ---- computing (in the scheduler's thread when threaded) ----------------------------------------

    def compute(self, request: Request, ticket: Ticket | None) -> Drawn:
        result = compute(self.model, request, ticket, self.on_progress)
        status = f"{METHODS[request.method].title} of {request.label}"
        return Drawn(status, result.png, result)

    def _show(self, drawn: Drawn) -> None:
        super()._show(drawn)
        self.prediction.value = f"<b>model:</b> {html.escape(top_classes(drawn.result.probabilities))}"


def layer_channels(model: torch.nn.Module) -> list[int]:
    """Output channels of each layer of ``model.cnn`` (what the filter id can be)."""
    param = next(model.parameters())
    x = torch.zeros(1, 3, 128, 128, device=param.device, dtype=param.dtype)
    channels = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for layer in model.cnn:
                x = layer(x)
                channels.append(int(x.shape[1]))
    finally:
        model.train(was_training)
    return channels


def explore(
    obs: Observation,
    method: str = "saliency",
    image: int = 0,
    target: int | None = None,
    threaded: bool = True,
    **knobs: object,
) -> Explorer:
    """A live explorer of every method on one image: the observed ones, a validation image, or your photo.

    Args:
        obs: what :func:`helpers.observe.load_observation` returned (the images and the model).
        method: the method shown first: ``"saliency"``, ``"smoothgrad"``, ``"ig"``, ``"lime"``,
            ``"activation"`` or ``"visualization"``.
        image: the observed image shown first (#0 .. #9); with fewer observed images (a few photos of your
            own), one that is not there starts the explorer on #0 and says so.
        target: the class to explain first; None = the model's prediction.
        threaded: compute changes in a background thread (the newest setting wins); False for tests.
        knobs: the first method's starting knobs, e.g. ``samples=50``, ``steps=64``, ``baseline="blurred"``.

    Returns:
        the :class:`Explorer`; as a cell's last value it shows the panel (its first figure when headless).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not 0 <= image < len(obs.images):
        # The lessons open it on their question's image; data with fewer images has no such image.
        print(f"There is no observed image #{image} (these data have {len(obs.images)}): starting on #0.")
        image = 0
    return Explorer(obs, method, image, target, check_knobs(method, knobs), threaded)
