"""Only the newest setting is computed and drawn: what the explorer does while a slider is dragged.

A widget sends one change per step of a drag. Computing each in turn would queue stale work (the figure
would lag behind the knobs for seconds) and could draw an old result over a newer one. :class:`Latest`
keeps one pending request, numbered by a generation counter: a new request replaces the pending one, a
running computation learns from its :class:`Ticket` that it has been overtaken (the explorer checks at
every model call, so it stops within one batch), and a result is delivered only while its generation is
still the newest, checked under the same lock that numbers new requests. Without a thread
(``threaded=False``) a request runs at once in the caller's thread: headless runs and unit tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Superseded(Exception):
    """A newer request arrived while this one was being computed; its result would be stale."""


@dataclass(frozen=True)
class Ticket:
    """What a computation holds to learn whether it is still wanted."""

    generation: int
    scheduler: Latest

    @property
    def stale(self) -> bool:
        return self.generation != self.scheduler.generation

    def check(self) -> None:
        """Raise :class:`Superseded` when a newer request has arrived."""
        if self.stale:
            raise Superseded(f"request {self.generation} was overtaken by request {self.scheduler.generation}")


class Latest:
    """Runs ``work(request, ticket)`` for the newest request only and hands its result to ``deliver``.

    Args:
        work: computes a result; may call ``ticket.check()`` often to stop early when overtaken.
        deliver: receives ``(result, generation)`` of a computation that is still the newest.
        fail: receives ``(error, generation)`` when the newest computation raised (not :class:`Superseded`).
        threaded: compute in one background thread (a live panel); False = in the caller's thread.
    """

    def __init__(
        self,
        work: Callable[[Any, Ticket], Any],
        deliver: Callable[[Any, int], None],
        fail: Callable[[BaseException, int], None],
        threaded: bool = True,
    ) -> None:
        self.work, self.deliver, self.fail, self.threaded = work, deliver, fail, threaded
        self.generation = 0
        self.computed = 0  # computations started (a test counts how many a burst of requests caused)
        self._pending: tuple[int, Any] | None = None
        self._busy = False
        self._closed = False
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, request: Any) -> int:
        """Make ``request`` the newest; it replaces any request not yet started. Returns its generation."""
        with self._lock:
            self.generation += 1
            generation = self.generation
            self._pending = (generation, request)
            if self.threaded:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._loop, name="explorer", daemon=True)
                    self._thread.start()
                self._lock.notify_all()
        if not self.threaded:
            self._run_pending()
        return generation

    @property
    def busy(self) -> bool:
        """Whether a request is waiting or being computed."""
        with self._lock:
            return self._busy or self._pending is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no request is waiting or running; False if ``timeout`` seconds passed first."""
        with self._lock:
            return self._lock.wait_for(lambda: not (self._busy or self._pending), timeout)

    def close(self) -> None:
        """Stop the background thread once its current computation ends; later requests are dropped."""
        with self._lock:
            self._closed = True
            self._pending = None
            self.generation += 1  # whatever runs now is stale
            self._lock.notify_all()

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    return
            self._run_pending()

    def _run_pending(self) -> None:
        with self._lock:
            if self._pending is None:
                return
            (generation, request), self._pending = self._pending, None
            self._busy = True
            self.computed += 1
        ticket = Ticket(generation, self)
        try:
            result = self.work(request, ticket)
            with self._lock:  # delivered only if still the newest: a submit cannot slip in between
                if generation == self.generation:
                    self.deliver(result, generation)
        except Superseded:
            pass
        except Exception as error:  # noqa: BLE001 - shown in the panel; the explorer keeps working
            with self._lock:
                if generation == self.generation:
                    self.fail(error, generation)
        finally:
            with self._lock:
                self._busy = False
                self._lock.notify_all()
