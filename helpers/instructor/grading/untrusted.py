"""Reading files a student handed in, which the grader cannot trust: nothing blocks, nothing is followed,
and one student's files cannot hold up the class.

- What a path is comes from ``lstat`` (the link itself, never its target). Only regular files are opened:
  a FIFO blocks ``open()`` until a writer appears, a device node may do anything when opened, and
  ``unzip``/``tar`` make both. :func:`kind` names what was found instead, for the report.
- A regular file is opened with ``O_NONBLOCK | O_NOFOLLOW`` and checked again with ``fstat`` on the open
  descriptor (:func:`open_regular`), so a file swapped for a FIFO or a link after the check is refused
  too, without blocking.
- :func:`time_limit` bounds the time spent on one student (listing or reading), whatever else may stall
  (a hung network file system, a pathological file): when it runs out, :class:`TimeLimit` is raised in
  the grading process and that student is reported.
"""

from __future__ import annotations

import os
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

#: Seconds to list and to read one student's files (each); ``grade --read-timeout`` changes it.
DEFAULT_READ_TIMEOUT = 60.0

_KINDS = (
    (stat.S_ISREG, "a regular file"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class SpecialFile(OSError):
    """A path that is not a regular file where one was expected; ``str()`` says what it is."""


class TimeLimit(BaseException):  # noqa: N818 - like KeyboardInterrupt: not caught by ``except Exception``
    """One student's time ran out (see :func:`time_limit`)."""


def kind(mode: int) -> str:
    """What an ``st_mode`` is, in words: ``"a FIFO (named pipe)"``, ``"a socket"``, ..."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def is_special(mode: int) -> bool:
    """Neither a regular file, a folder nor a link: a FIFO, socket or device node, never to be opened."""
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode))


@contextmanager
def open_regular(path: Path) -> Iterator[BinaryIO]:
    """``path`` opened for reading in binary, only if it is a regular file that is not a link.

    Raises :class:`SpecialFile` (an ``OSError``) for anything else; never blocks on a FIFO.
    """
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        raise SpecialFile(f"{kind(mode)}, not a regular file")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # swapped after the lstat above
            raise SpecialFile(f"{kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TimeLimit` in the body once ``seconds`` have passed (``None``: no limit).

    A SIGALRM timer, so a blocking system call is interrupted too. Signals reach only the main thread:
    called from another thread (or where there is no ``setitimer``), the body runs without a limit.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if seconds is None or not usable:
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise TimeLimit(f"over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
