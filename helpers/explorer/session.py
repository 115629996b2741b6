"""The logic behind the CNN explorer's widgets, without widgets: a setting -> the call -> the figure.

A :class:`Request` is one complete setting (the image, the class to explain, the method and its knobs),
immutable, so what the scheduler computes is exactly what the knobs showed when it was made.
:func:`compute` predicts, checks the class, runs the method through the lesson library and draws
the figure; :func:`explain_image` is the same for one call from code or a test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.classes import CLASS_NAMES
from helpers.explorer.figure import draw, to_png
from helpers.explorer.methods import METHODS, Shown, Watched, check_knobs
from helpers.explorer.scheduler import Ticket


@dataclass(frozen=True)
class Request:
    """One setting of the explorer."""

    image: torch.Tensor  # 3 x 128 x 128 in [0, 1]
    label: str  # which image, in words ("observed #3 (Egg)", "your photo cake.jpg")
    method: str
    knobs: tuple[tuple[str, object], ...]
    target: int | None = None  # the class to explain; None = the prediction
    notes: tuple[str, ...] = ()  # what was done to an uploaded photo
    model: str = ""  # which of the explorer's models explains it ("" = its only one)

    @classmethod
    def make(
        cls,
        image: torch.Tensor,
        label: str,
        method: str,
        knobs: dict,
        target: int | None = None,
        notes: tuple[str, ...] = (),
        model: str = "",
    ) -> Request:
        """A request with ``knobs`` checked and completed with the method's defaults."""
        knobs = tuple(sorted(check_knobs(method, knobs).items()))
        return cls(image, label, method, knobs, target, tuple(notes), model)


@dataclass
class Result:
    """What one request produced; :meth:`png` draws its figure."""

    request: Request
    target: int
    probabilities: np.ndarray  # (classes,)
    shown: Shown
    seconds: float  # computing, without drawing

    def titles(self) -> tuple[str, str]:
        """The image's title (which image; which class is explained) and the figure's heading."""
        probs, target = self.probabilities, self.target
        predicted = int(np.argmax(probs))
        if not METHODS[self.request.method].explains_class:  # a filter: no class to name
            return f"{self.request.label}\npredicted {class_name(predicted)} ({probs[predicted]:.1%})", self.shown.title
        which = "the prediction" if target == predicted else f"not the prediction ({class_name(predicted)})"
        return (
            f"{self.request.label}\nexplaining {class_name(target)}: {which}",
            f"{self.shown.title} of class {class_name(target)} ({probs[target]:.1%})",
        )

    def png(self, footnote: str = "") -> bytes:
        """The figure as PNG bytes, with ``footnote`` as its last line."""
        notes = [f"model: {top_classes(self.probabilities)}", *self.shown.lines, *self.request.notes, footnote]
        image_title, heading = self.titles()
        image = self.request.image.permute(1, 2, 0).cpu().numpy()
        return to_png(draw(image, image_title, self.shown, heading, [line for line in notes if line]))


def probabilities(model: nn.Module, image: torch.Tensor) -> np.ndarray:
    """The model's softmax probabilities for one 3 x H x W image, (classes,) float64."""
    param = next(model.parameters())
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(image[None].to(param.device, param.dtype))
    finally:
        model.train(was_training)
    return torch.softmax(logits.double(), 1)[0].cpu().numpy()


def class_name(index: int) -> str:
    return CLASS_NAMES[index] if 0 <= index < len(CLASS_NAMES) else f"class {index}"


def top_classes(probs: np.ndarray, count: int = 3) -> str:
    """``"Bread 93.1% · Soup 3.2% · Egg 1.0%"``."""
    order = np.argsort(-probs)[:count]
    return " · ".join(f"{class_name(int(i))} {probs[i]:.1%}" for i in order)


def check_target(target: int | None, probs: np.ndarray) -> int:
    """The class to explain: ``target``, or the prediction when None; ValueError when out of range."""
    classes = len(probs)
    if target is None:
        return int(np.argmax(probs))
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < classes:
        names = ", ".join(f"{i} {class_name(i)}" for i in range(classes))
        raise ValueError(f"class index {target!r} is out of range: the model has {classes} classes ({names}).")
    return int(target)


def compute(
    model: nn.Module,
    request: Request,
    ticket: Ticket | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Predict, check the class, run ``request``'s method with its knobs through the lesson library.

    ``ticket`` is checked at every model call (a newer setting stops this one); ``progress(done, total)``
    hears how many images the model has been shown of the method's expected total.
    """
    started = time.perf_counter()
    probs = probabilities(model, request.image)
    target = check_target(request.target, probs)
    method, knobs = METHODS[request.method], dict(request.knobs)
    total, done = method.work(knobs), 0

    def seen(count: int) -> None:
        nonlocal done
        if ticket is not None:
            ticket.check()
        done += count
        if progress is not None:
            progress(min(done, total), total)

    shown = method.run(Watched(model, seen), request.image, target, knobs)
    return Result(request, target, probs, shown, time.perf_counter() - started)


def explain_image(
    model: nn.Module, image: torch.Tensor, method: str = "saliency", target: int | None = None, **knobs: object
) -> Result:
    """One explanation as the explorer draws it, e.g. ``explain_image(obs.model, obs.images[3], "ig", steps=64)``."""
    return compute(model, Request.make(image, "image", method, knobs, target))
