"""What every explorer panel shares: the scheduler, the figure, the status line, the progress bar, and a
display that carries the first figure for headless runs.

A subclass builds its controls and its ``panel`` (a widget box holding :attr:`figure`, :attr:`status` and
:attr:`progress`), says what the controls show now (:meth:`request`) and how to compute it
(:meth:`compute`: a :class:`Drawn`, which draws its figure with or without a footnote), then calls
:meth:`start`, which draws the first figure in the caller's thread. Later changes go through
:meth:`refresh`: the newest setting wins.
"""

from __future__ import annotations

import base64
import html
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from helpers.explorer.scheduler import Latest, Ticket

#: The line under a figure that a notebook run without a widget front end shows.
HEADLESS_NOTE = (
    "This is the explorer's first setting. Run this notebook in JupyterLab, Notebook 7, VS Code or Colab "
    "to turn the knobs and try your own input."
)


@dataclass
class Drawn:
    """One computed setting: how to draw its figure, and the status line that says what it shows."""

    status: str
    draw: Callable[[str], bytes]  # footnote -> the figure as PNG bytes
    result: Any = None  # what the computation returned (the CNN explorer's Result)
    seconds: float = 0.0  # computing and drawing
    png: bytes = b""  # drawn without a footnote, for the panel


class LivePanel:
    """The shared machinery of the explorers (see the module's docstring)."""

    panel: widgets.Box

    def __init__(self, threaded: bool = True) -> None:
        self.scheduler = Latest(self._work, self._deliver, self._fail, threaded)
        self.status = widgets.HTML()
        self.progress = widgets.FloatProgress(min=0, max=1, layout={"width": "240px", "visibility": "hidden"})
        self.figure = widgets.Image(format="png", layout={"max_width": "100%"})
        self.static_png = b""
        self.drawn: Drawn | None = None
        self._progress_shown = 0.0

    # ---- to give in a subclass ---------------------------------------------------------------------

    def request(self) -> Any:
        """The setting the controls show now (immutable)."""
        raise NotImplementedError

    def compute(self, request: Any, ticket: Ticket | None) -> Drawn:
        """Compute ``request``, checking ``ticket`` (None: no scheduler) at every step that takes time."""
        raise NotImplementedError

    # ---- shared ------------------------------------------------------------------------------------

    def start(self, footnote: str = HEADLESS_NOTE) -> None:
        """Draw the first setting now: in the panel, and with ``footnote`` for a display without widgets."""
        started = time.perf_counter()
        drawn = self.compute(self.request(), None)
        drawn.png = drawn.draw("")
        drawn.seconds = time.perf_counter() - started
        self.static_png = drawn.draw(footnote)
        self._show(drawn)

    def refresh(self) -> int:
        """Compute the setting shown now, superseding any pending one; returns its generation."""
        self.message("computing ... (the figure below still shows the previous setting)")
        return self.scheduler.submit(self.request())

    def _work(self, request: Any, ticket: Ticket) -> Drawn:
        started = time.perf_counter()
        drawn = self.compute(request, ticket)
        ticket.check()
        drawn.png = drawn.draw("")
        drawn.seconds = time.perf_counter() - started
        return drawn

    def _deliver(self, drawn: Drawn, generation: int) -> None:
        self._show(drawn)

    def _show(self, drawn: Drawn) -> None:
        self.drawn = drawn
        self.figure.value = drawn.png
        self.progress.layout.visibility = "hidden"
        self.message(f"{drawn.status}: drawn in {drawn.seconds:.1f} s")

    def _fail(self, error: BaseException, generation: int) -> None:
        self.progress.layout.visibility = "hidden"
        self.message(f"{error} (the figure below still shows the previous setting)", error=True)

    def on_progress(self, done: int, total: int) -> None:
        """Show ``done / total`` on the progress bar (at most ten updates a second)."""
        now = time.monotonic()
        if total > 1 and (now - self._progress_shown > 0.1 or done == total):
            self._progress_shown = now
            self.progress.layout.visibility = "visible"
            self.progress.value = done / total

    def message(self, text: str, error: bool = False) -> None:
        """The status line: a plain note, or an error in red."""
        colour = "#b00020" if error else "#444"
        self.status.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        """The widget for a front end; for a headless run, the first figure as a PNG and a line of text."""
        bundle = dict(self.panel._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["image/png"] = base64.b64encode(self.static_png).decode("ascii")
        bundle["text/plain"] = HEADLESS_NOTE
        return bundle
