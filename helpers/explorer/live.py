"""What every explorer panel shares: the scheduler, the figure, the status line, the progress bar, and a
display that carries the first figure for headless runs (through :mod:`helpers.explorer.compat`, so on
ipywidgets 7 and 8 alike).

A subclass builds its controls and its ``panel`` (a widget box holding :attr:`figure`, :attr:`status` and
:attr:`progress`), says what the controls show now (:meth:`request`) and how to compute it
(:meth:`compute`: a :class:`Drawn`, which draws its figure with or without a footnote), then calls
:meth:`start`, which draws the first figure in the caller's thread. Later changes go through
:meth:`refresh`: the newest setting wins.

The first figure is computed before the panel can be shown (a minute for LIME at the course's settings), so
it has a tqdm bar of its own (:func:`console_progress`); later ones fill the panel's bar.
"""

from __future__ import annotations

import base64
import html
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
from tqdm.auto import tqdm

from helpers.explorer.compat import labelled, view_bundle
from helpers.explorer.scheduler import Latest, Ticket

#: The line under a figure that a notebook run without a widget front end shows.
HEADLESS_NOTE = (
    "This is the explorer's first setting. Run this notebook in JupyterLab, Notebook 7, VS Code or Colab "
    "to turn the knobs and try your own input."
)
#: Seconds before the first figure's tqdm bar appears: a figure drawn sooner shows none.
BAR_DELAY = 2.0
#: The status line: two lines of wrapped text at most (a longer message scrolls), so that a message never
#: moves the figure below it.
STATUS_LINES, STATUS_LINE_HEIGHT = 2, 18  # lines, pixels


@contextmanager
def console_progress(desc: str) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar (``tqdm.auto``: a widget in a notebook, text in a terminal); yields ``update(done, total)``.

    It appears only after :data:`BAR_DELAY` seconds and goes away when the work ends (``leave=False``), so a
    quick computation and a headless run leave no bar behind; ``TQDM_DISABLE=1`` turns it off, as every bar
    of the bundle. It is made at the first update, when its total is known (``reset`` would show it at once).
    """
    bar: tqdm | None = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        bar = bar or tqdm(total=total, desc=desc, unit="image", delay=BAR_DELAY, leave=False)
        bar.update(done - bar.n)

    try:
        yield update
        if bar is not None:
            bar.update(bar.total - bar.n)  # done: a full bar, not the red one of an interrupted loop
    finally:
        if bar is not None:
            bar.close()


@dataclass
class Drawn:
    """One computed setting: how to draw its figure, and the status line that says what it shows."""

    status: str
    draw: Callable[[str], bytes]  # footnote -> the figure as PNG bytes
    result: Any = None  # what the computation returned (the CNN explorer's Result)
    seconds: float = 0.0  # computing and drawing
    png: bytes = b""  # drawn without a footnote, for the panel
    note: str = ""  # said on the status line after ``status`` (e.g. that a number was made to fit)


class LivePanel:
    """The shared machinery of the explorers (see the module's docstring)."""

    panel: widgets.Box

    def __init__(self, threaded: bool = True) -> None:
        self.scheduler = Latest(self._work, self._deliver, self._fail, threaded)
        height = f"{STATUS_LINES * STATUS_LINE_HEIGHT + 4}px"
        self.status = widgets.HTML(layout={"height": height, "flex": "1 1 0%"}, **labelled(""))
        # display "none" while idle: a hidden bar would still take its width from the status line
        self.progress = widgets.FloatProgress(
            min=0, max=1, layout={"width": "160px", "display": "none"}, **labelled("")
        )
        self.figure = widgets.Image(format="png", layout={"max_width": "100%"})
        self.status_row = widgets.HBox([self.progress, self.status], layout={"align_items": "center"})
        self.status.add_class("hw9-status")  # what the browser tests read
        self.static_png = b""
        self.drawn: Drawn | None = None
        self._progress_shown = 0.0
        self._console: Callable[[int, int], None] | None = None  # the first figure's tqdm bar

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
        try:
            with console_progress("the explorer's first figure") as self._console:
                drawn = self.compute(self.request(), None)
        finally:
            self._console = None
        drawn.png = drawn.draw("")
        drawn.seconds = time.perf_counter() - started
        self.static_png = drawn.draw(footnote)
        self._show(drawn)

    def refresh(self, note: str = "") -> int:
        """Compute the setting shown now, superseding any pending one; returns its generation.

        ``note`` is said on the status line with its figure (e.g. that a number was made to fit).
        """
        self.message(f"{note} computing ... (the figure below still shows the previous setting)".lstrip())
        return self.scheduler.submit((self.request(), note))

    def _work(self, job: tuple[Any, str], ticket: Ticket) -> Drawn:
        request, note = job
        started = time.perf_counter()
        drawn = self.compute(request, ticket)
        drawn.note = note
        ticket.check()
        drawn.png = drawn.draw("")
        drawn.seconds = time.perf_counter() - started
        return drawn

    def _deliver(self, drawn: Drawn, generation: int) -> None:
        self._show(drawn)

    def _show(self, drawn: Drawn) -> None:
        self.drawn = drawn
        self.figure.value = drawn.png
        self.progress.layout.display = "none"
        self.message(f"{drawn.status}: drawn in {drawn.seconds:.1f} s. {drawn.note}".rstrip())

    def _fail(self, error: BaseException, generation: int) -> None:
        self.progress.layout.display = "none"
        self.message(f"{error} (the figure below still shows the previous setting)", error=True)

    def on_progress(self, done: int, total: int) -> None:
        """Show ``done / total`` on the progress bar (at most ten updates a second)."""
        if self._console is not None:
            self._console(done, total)
        now = time.monotonic()
        if total > 1 and (now - self._progress_shown > 0.1 or done == total):
            self._progress_shown = now
            self.progress.layout.display = ""
            self.progress.value = done / total

    def message(self, text: str, error: bool = False) -> None:
        """The status line: a plain note, or an error in red, wrapped within its fixed height."""
        colour = "#b00020" if error else "#444"
        box = STATUS_LINES * STATUS_LINE_HEIGHT
        self.status.value = (
            f'<div style="color:{colour}; white-space:normal; line-height:{STATUS_LINE_HEIGHT}px; '
            f'max-height:{box}px; overflow-y:auto">{html.escape(text)}</div>'
        )

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        """The widget for a front end; for a headless run, the first figure as a PNG and a line of text."""
        bundle = view_bundle(self.panel)
        bundle["image/png"] = base64.b64encode(self.static_png).decode("ascii")
        bundle["text/plain"] = HEADLESS_NOTE
        return bundle
