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
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets
import torch

from helpers.classes import CLASS_NAMES
from helpers.data import DataError, FoodDataset, find_split
from helpers.explorer.compat import clear_upload, labelled, uploaded_files
from helpers.explorer.live import Drawn, LivePanel
from helpers.explorer.methods import METHODS, Knob, check_knobs
from helpers.explorer.scheduler import Ticket
from helpers.explorer.session import Request, Result, class_name, compute, top_classes
from helpers.explorer.upload import UploadError, read_upload
from helpers.observe import Observation

VALIDATION, UPLOAD = "validation", "upload"
PREDICTION = -1  # the class menu's first entry (a Dropdown shows None as no choice at all)
NO_CLASS = "explain: no class (a filter's activation and visualization depend on the image alone)"
ERRORS = (DataError, UploadError, IndexError, OSError)  # a source that cannot be shown: a message, not a crash


@dataclass(frozen=True)
class Source:
    """The image the explorer explains, as the image menu names it."""

    key: int | str  # the menu's value: an observed image's index, VALIDATION or UPLOAD
    image: torch.Tensor  # 3 x 128 x 128 in [0, 1]
    label: str  # "observed #3 (Egg)", "validation #12 (Soup)", "your photo cake.jpg": the figure's title
    notes: tuple[str, ...] = ()  # what was done to it (an uploaded photo's resize), under the figure
    index: int = 0  # a validation image's number


def validation_folder(obs: Observation) -> Path | None:
    """The validation split beside the observed images (the embedded one for the embedded data)."""
    if obs.embedded:
        from helpers.synthetic_food import ensure_embedded

        return ensure_embedded() / "validation"
    return find_split(obs.dataset.folder.parent, "validation")


def knob_widget(knob: Knob, value: object) -> widgets.Widget:
    """The control for one knob, set to ``value``."""
    style, layout, label = {"description_width": "initial"}, widgets.Layout(width="320px"), labelled(knob.label)
    if isinstance(knob.default, bool):
        return widgets.Checkbox(value=value, indent=False, **label)
    if knob.options:
        return widgets.ToggleButtons(
            options=knob.options, value=value, style={**style, "button_width": "auto"}, **label
        )
    kind = widgets.IntSlider if isinstance(knob.default, int) else widgets.FloatSlider
    return kind(value=value, min=knob.low, max=knob.high, step=knob.step, style=style, layout=layout, **label)


class Explorer(LivePanel):
    """The panel. Build it with :func:`explore`; ``threaded=False`` computes in the caller's thread (tests).

    The image menu, the figure and its title always name the same image, :attr:`chosen`: a choice that
    cannot be shown (a validation image that cannot be read, a bad upload) leaves it, and the menu, as
    they were. :attr:`photo` is the last upload that could be read; the upload button is emptied after
    each file, so that it never counts one the panel did not take.
    """

    def __init__(
        self,
        obs: Observation,
        method: str,
        image: int,
        target: int | None,
        knobs: dict,
        threaded: bool = True,
        models: dict[str, torch.nn.Module] | None = None,
    ) -> None:
        super().__init__(threaded)
        self.obs, self.model = obs, obs.model
        self.models = dict(models or {})
        if self.models:
            self.model = next(iter(self.models.values()))
        self.channels = layer_channels(self.model)
        self.chosen = self._observed(image)
        self.photo: Source | None = None
        self.validation: FoodDataset | None = None
        self._quiet = False  # while the panel sets its own widgets
        self._build(method, target, knobs)
        self.start()
        if not self._target_ok(target):
            self.message(str(self._target_error(target)), error=True)

    @property
    def result(self) -> Result:
        """What the figure shows now."""
        return self.drawn.result

    # ---- widgets -----------------------------------------------------------------------------------

    def _observed(self, k: int) -> Source:
        return Source(k, self.obs.images[k].cpu(), f"observed #{k} ({class_name(int(self.obs.labels[k]))})")

    def _source_options(self) -> tuple[tuple[str, int | str], ...]:
        observed = tuple((self._observed(k).label, k) for k in range(len(self.obs.images)))
        photo = self.photo.label if self.photo else "your photo (upload)"
        return (*observed, ("a validation image", VALIDATION), (photo, UPLOAD))

    def _build(self, method: str, target: int | None, knobs: dict) -> None:
        wide = {"description_width": "initial"}
        self.source = widgets.Dropdown(options=self._source_options(), value=self.chosen.key, **labelled("image"))
        hidden = {"width": "220px", "display": "none"}  # shown with "a validation image"
        self.index = widgets.IntText(value=0, style=wide, layout=hidden, **labelled("validation #"))
        self.upload = widgets.FileUpload(accept=".jpg,.jpeg,.png,.webp", multiple=False, **labelled("upload photo"))
        self.target = widgets.Dropdown(
            options=[("the prediction", PREDICTION)] + [(f"{i} {n}", i) for i, n in enumerate(CLASS_NAMES)],
            value=target if self._target_ok(target) and target is not None else PREDICTION,
            **labelled("explain"),
        )
        self.no_class = widgets.HTML(NO_CLASS, **labelled(""))
        methods = [(m.title, key) for key, m in METHODS.items()]
        self.method = widgets.ToggleButtons(
            options=methods, value=method, style={"button_width": "auto"}, **labelled("")
        )
        values = {key: check_knobs(key, knobs if key == method else {}) for key in METHODS}
        self.knobs = {key: {k.name: knob_widget(k, values[key][k.name]) for k in m.knobs} for key, m in METHODS.items()}
        for key in ("activation", "visualization"):
            self._fit_filter(self.knobs[key])
        self.knob_box = widgets.HBox(list(self.knobs[method].values()), layout={"flex_flow": "row wrap"})
        self.prediction = widgets.HTML(**labelled(""))
        # With several models (lesson 09), which one explains; hidden with one.
        names = list(self.models) or [""]
        self.which = widgets.ToggleButtons(options=names, value=names[0], **labelled("model"))
        self.which.layout.display = "" if self.models else "none"
        self.panel = widgets.VBox(
            [
                self.which,
                widgets.HBox([self.source, self.index, self.upload]),
                self.prediction,
                self.target,
                self.no_class,
                self.method,
                self.knob_box,
                self.status_row,
                self.figure,
            ],
        )
        self.panel.add_class("hw9-explorer")
        self.source.add_class("hw9-image")
        self._fit_class_control()
        self.source.observe(self._on_source, "value")
        self.index.observe(self._on_index, "value")
        self.upload.observe(self._on_upload, "value")
        self.method.observe(self._on_method, "value")
        self.which.observe(self._on_model, "value")
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

    def _on_model(self, change: dict) -> None:
        """Another model: the filter sliders follow its layers' channel counts, then the figure."""
        self.channels = layer_channels(self.models[change["new"]])
        for key in ("activation", "visualization"):
            self._fit_filter(self.knobs[key])
        self._changed()

    def _fit_class_control(self) -> None:
        """The filters explain no class: their class menu gives way to a line that says why."""
        explains = METHODS[self.method.value].explains_class
        self.target.layout.display = "" if explains else "none"
        self.no_class.layout.display = "none" if explains else ""

    def _show_source(self, source: Source) -> None:
        """Make the image menu (and the validation number) name ``source``, without reacting to it."""
        self._quiet = True
        try:
            options = self._source_options()
            if self.source.options != options:  # a new photo's name: setting options resets the value
                self.source.options = options
            self.source.value = source.key
            if source.key == VALIDATION:
                self.index.value = source.index
        finally:
            self._quiet = False
        self.index.layout.display = "" if source.key == VALIDATION else "none"

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
        explains = METHODS[method].explains_class and self.target.value != PREDICTION
        target = self.target.value if explains else None
        model = self.which.value
        label = f"{self.chosen.label}, {model} model" if model else self.chosen.label
        return Request.make(self.chosen.image, label, method, knobs, target, self.chosen.notes, model)

    def _changed(self, _: object = None) -> None:
        if not self._quiet:
            self.refresh()

    def _on_method(self, change: dict) -> None:
        self.knob_box.children = list(self.knobs[change["new"]].values())
        self._fit_class_control()
        self._changed()

    def _choose(self, source: Source, note: str = "") -> None:
        """Explain ``source`` from now on; the menu names it."""
        self.chosen = source
        self._show_source(source)
        self.refresh(note)

    def _refuse(self, error: Exception) -> None:
        """A choice that cannot be shown: say why; the menu names the image the figure shows, as before."""
        self._show_source(self.chosen)
        self.message(f"{error} The explorer still shows {self.chosen.label}.", error=True)

    def _on_source(self, _: object = None) -> None:
        if self._quiet:
            return
        try:
            source = self._load(self.source.value)
        except ERRORS as err:
            self._refuse(err)
            return
        self._choose(source)

    def _on_index(self, _: object = None) -> None:
        if self._quiet:
            return
        asked = self.index.value
        try:
            source = self._validation_image(asked)
        except ERRORS as err:
            self._refuse(err)
            return
        fits = source.index == asked  # the box takes any number; there is no hidden clamp
        self._choose(source, "" if fits else f"There is no validation image #{asked}: showing #{source.index}.")

    def _load(self, key: int | str) -> Source:
        """The image the menu's entry ``key`` names; raises one of :data:`ERRORS` when it cannot be had."""
        if key == UPLOAD:
            if self.photo is None:
                raise UploadError("No photo yet: click 'upload photo' and choose a JPEG, PNG or WebP file.")
            return self.photo
        if key == VALIDATION:
            return self._validation_image(self.index.value)
        return self._observed(key)

    def _validation_image(self, asked: int) -> Source:
        """Validation image #``asked``, or the nearest one when there is no such number."""
        if self.validation is None:
            folder = validation_folder(self.obs)
            if folder is None:
                raise DataError(f"no validation folder beside {self.obs.dataset.folder}.")
            self.validation = FoodDataset(folder)
            self.index.description = f"validation # (0 to {len(self.validation) - 1})"
        last = len(self.validation) - 1
        number = min(max(asked, 0), last)
        images, labels, kept = self.validation.load([number])
        if not kept:
            raise DataError(f"validation image #{number} cannot be read; choose another.")
        return Source(VALIDATION, images[0], f"validation #{number} ({class_name(int(labels[0]))})", (), number)

    def _on_upload(self, _: object = None) -> None:
        files = uploaded_files(self.upload)
        if not files:
            return
        clear_upload(self.upload)  # the button counts no file: what the panel took is in self.photo
        name, content = files[-1]
        try:
            photo = read_upload(name, content)
        except UploadError as err:
            self._refuse(err)
            return
        size = f"{photo.format} {photo.original[0]} x {photo.original[1]}, resized to 128 x 128 as the course does"
        self.photo = Source(
            UPLOAD, photo.image, f"your photo {photo.name}", (f"{photo.name}: {'; '.join([size, *photo.notes])}",)
        )
        self._choose(self.photo)

    # ---- computing (in the scheduler's thread when threaded) ----------------------------------------

    def compute(self, request: Request, ticket: Ticket | None) -> Drawn:
        result = compute(self.models.get(request.model, self.model), request, ticket, self.on_progress)
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
    models: dict[str, torch.nn.Module] | None = None,
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
        models: several models to switch between, by name (lesson 09: ``{"shortcut": ..., "clean": ...}``);
            the first explains first. None: ``obs.model`` alone.
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
    if models is not None and (not models or not all(isinstance(m, torch.nn.Module) for m in models.values())):
        raise TypeError("models must map names to models, e.g. {'shortcut': model_a, 'clean': model_b}.")
    return Explorer(obs, method, image, target, check_knobs(method, knobs), threaded, models)
