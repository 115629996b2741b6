"""Finding submissions: which files belong to which student, and what was odd about them.

Rules (the command's ``--help`` states them too):

- ``<student_id>/`` is a folder of that student's notebooks (any ``*.ipynb`` at any depth);
  ``<student_id>.ipynb`` one notebook; ``<student_id>_<NN_name>.ipynb`` one course notebook (the id ends
  where the first ``_<two digits>_`` begins). Anything else at the top level is an *error* submission,
  so nobody silently drops out of ``grades.csv``. Hidden entries, ``__MACOSX`` and ``.ipynb_checkpoints``
  are skipped.
- Symbolic links are never followed (a link to a classmate's notebook is not the student's work, and a
  link may point outside the folder); each one is reported.
- Copies a browser or a file manager made (``x (1).ipynb``, ``x(2).ipynb``, ``x - Copy.ipynb``) are
  recognised as copies of one notebook: the most recently modified copy is read, and the report says
  which and why.
- Ids are compared in Unicode NFC form and without case, so ``café`` written by macOS (NFD) and by
  Windows (NFC) is one student; such merges are reported.
- A folder that cannot be read (too deep for the system's path limit, no permission) is reported for its
  student only.
- FIFOs, sockets and device nodes (``unzip`` and ``tar`` can make them) are never opened: each is
  reported for its student, with what it is (an error where it bears a notebook's name).
- Listing one student's files has a time limit (:func:`~helpers.instructor.grading.untrusted.time_limit`),
  so no student's folder can stall the class.
"""

from __future__ import annotations

import os
import re
import stat
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from helpers.instructor.grading.names import shown_id
from helpers.instructor.grading.untrusted import DEFAULT_READ_TIMEOUT, TimeLimit, is_special, kind, time_limit

SKIPPED_NAMES = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}
#: A name is any characters, a newline too (DOTALL; ``\Z``, since ``$`` would also match before a final one).
_NOTEBOOK_FILE = re.compile(r"(?P<student>.+?)_(?P<notebook>\d{2}_[A-Za-z0-9_\-]+)\Z", re.DOTALL)
#: What browsers and file managers append to a second copy: " (1)", "(2)", " - Copy", " - Copy (3)".
_COPY_SUFFIX = re.compile(r"(?P<base>.+?)(?:\s*\(\d{1,3}\)| - Copy(?: \(\d{1,3}\))?)\Z", re.DOTALL)
_ARCHIVES = (".zip", ".tar", ".gz", ".7z", ".rar")


@dataclass(frozen=True)
class Submission:
    """One student's files (read in this order) and what was noticed while finding them."""

    student: str
    files: tuple[Path, ...]
    root: Path
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Member:
    """One top-level entry of a student: the entry, the id as written (NFC), the part of the work it holds."""

    entry: Path
    written: str
    raw: str
    slot: str


def split_name(stem: str) -> tuple[str, str | None]:
    """``"b0990_01_lime"`` -> ``("b0990", "01_lime")``; ``"b0990"`` -> ``("b0990", None)``."""
    match = _NOTEBOOK_FILE.match(stem)
    return (match["student"], match["notebook"]) if match else (stem, None)


def strip_copy(stem: str) -> tuple[str, bool]:
    """``"01_lime (1)"`` -> ``("01_lime", True)``; a name without a copy suffix -> ``(name, False)``."""
    copied = False
    while match := _COPY_SUFFIX.match(stem):
        stem, copied = match["base"], True
    return stem, copied


def short(text: str, limit: int = 80) -> str:
    """A path for a message: long ones (a folder deeper than the path limit) shortened in the middle."""
    return text if len(text) <= limit else f"{text[:40]}...{text[-30:]} ({len(text)} characters)"


def _stem(name: str) -> str:
    return name[: -len(".ipynb")] if name.lower().endswith(".ipynb") else Path(name).stem or name


def _member(entry: Path) -> _Member:
    name = unicodedata.normalize("NFC", entry.name)
    if entry.is_dir() and not entry.is_symlink():
        base, _ = strip_copy(name.strip())
        return _Member(entry, base or name, entry.name, "*")
    base, _ = strip_copy(_stem(name).strip())
    student, notebook = split_name(base)
    is_notebook = name.lower().endswith(".ipynb") and not entry.is_symlink()
    slot = notebook.casefold() if notebook and is_notebook else "*"
    return _Member(entry, student or name, entry.name, slot)


def find_submissions(folder: Path, read_timeout: float | None = DEFAULT_READ_TIMEOUT) -> list[Submission]:
    """Every student in ``folder`` (rules in the module docstring), sorted by id; listing one student's
    files stops after ``read_timeout`` seconds (that student is reported, not graded)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"submissions folder {folder} does not exist; pass the folder that holds "
            "one folder or notebook per student."
        )
    groups: dict[str, list[_Member]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIPPED_NAMES:
            continue
        member = _member(entry)
        groups.setdefault(member.written.casefold(), []).append(member)
    found = (_submission(folder, members, read_timeout) for members in groups.values())
    return sorted(found, key=lambda s: s.student.casefold())


def _submission(folder: Path, members: list[_Member], read_timeout: float | None) -> Submission:
    """One student's submission; a file system error, or a listing that takes too long, stays with this
    student."""
    try:
        with time_limit(read_timeout):
            return _collect(folder, members)
    except OSError as err:
        where = short(str(err.filename)) if err.filename else "a file"
        problem = f"cannot read {where} ({err.strerror or err}); not graded."
    except TimeLimit:
        problem = (
            f"listing this student's files took over {read_timeout:g} s (the limit per student); stopped, "
            "not graded. Look at the files, then grade again with a larger --read-timeout."
        )
    return Submission(members[0].written, (), folder, errors=(problem,))


def _collect(folder: Path, members: list[_Member]) -> Submission:
    warnings: list[str] = []
    errors: list[str] = []
    candidates: list[tuple[Path, tuple[str, ...], bool]] = []  # (file, copy key, is a copy)
    for m in members:
        label = m.entry.relative_to(folder).as_posix()
        if m.entry.is_symlink():
            errors.append(
                f"{label}: a symbolic link (to {os.readlink(m.entry)}); links are not followed, "
                "so it is not graded. Submit the file itself."
            )
        elif m.entry.is_dir():
            found = _walk(m.entry, folder, warnings, errors)
            if not found:
                errors.append(f"{label}/: no notebooks (.ipynb) in this folder.")
            base = m.written.casefold()
            candidates += [(p, (base, *_copy_key(p.relative_to(m.entry))), copied) for p, copied in found]
        elif m.entry.suffix.lower() == ".ipynb" and m.entry.is_file():
            copied = strip_copy(_stem(unicodedata.normalize("NFC", m.entry.name)).strip())[1]
            candidates.append((m.entry, ("", m.slot), copied))
        elif is_special(mode := m.entry.lstat().st_mode):
            errors.append(f"{label}: {kind(mode)}, not a regular file; not read, not graded.")
        else:
            hint = " Unzip it into a folder named after the student." if m.entry.suffix.lower() in _ARCHIVES else ""
            errors.append(f"{label}: not a notebook (.ipynb); not graded.{hint}")
    files = _pick_copies(candidates, folder, warnings)
    warnings += _merge_notes(members, folder)
    return Submission(members[0].written, tuple(files), folder, tuple(warnings), tuple(errors))


def _copy_key(relative: Path) -> tuple[str, ...]:
    parts = [unicodedata.normalize("NFC", p) for p in relative.parts]
    parts[-1] = _stem(parts[-1])
    return tuple(strip_copy(p.strip())[0].casefold() for p in parts)


def _walk(top: Path, root: Path, warnings: list[str], errors: list[str]) -> list[tuple[Path, bool]]:
    """Notebooks under ``top`` without following links: [(path, is a copy)]; problems appended."""
    found: list[tuple[Path, bool]] = []

    def unreadable(err: OSError) -> None:
        where = short(Path(err.filename).relative_to(root).as_posix()) if err.filename else top.name
        errors.append(f"{where}/: cannot read this folder ({err.strerror or err}); notebooks in it are not graded.")

    for current, dirs, names in os.walk(top, onerror=unreadable):
        here = Path(current)
        for name in [*dirs, *names]:
            path = here / name
            if name.startswith(".") or name in SKIPPED_NAMES:
                continue
            try:
                mode = path.lstat().st_mode  # what the entry itself is: a link is not followed
            except OSError as err:  # a path longer than the system allows
                unreadable(err)
                dirs[:] = []
                break
            notebook = name.lower().endswith(".ipynb")
            if stat.S_ISLNK(mode) or is_special(mode):
                label = short(path.relative_to(root).as_posix())
                if stat.S_ISLNK(mode):
                    what = f"a symbolic link (to {short(os.readlink(path))}); not followed, not read."
                else:
                    what = f"{kind(mode)}, not a regular file; skipped, not read."
                (errors if name in dirs or notebook else warnings).append(f"{label}: {what}")
            elif name in names and notebook:
                found.append((path, strip_copy(_stem(unicodedata.normalize("NFC", name)).strip())[1]))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_NAMES and not _is_link(here / d))
    return sorted(found)


def _is_link(path: Path) -> bool:
    try:
        return path.is_symlink()
    except OSError:
        return False  # os.walk reports it when it tries to enter


def _pick_copies(candidates: list[tuple[Path, tuple[str, ...], bool]], root: Path, warnings: list[str]) -> list[Path]:
    """One file per copy key: where copies of one notebook exist, the most recently modified one."""
    by_key: dict[tuple[str, ...], list[tuple[Path, bool]]] = {}
    for path, key, copied in candidates:
        by_key.setdefault(key, []).append((path, copied))
    kept: list[Path] = []
    for group in by_key.values():
        if len(group) == 1 or not any(copied for _, copied in group):
            kept += [path for path, _ in group]
            continue
        times = {path: path.lstat().st_mtime for path, _ in group}
        newest = max(times.values())
        chosen = max(path for path in times if times[path] == newest)  # a tie: the last name, e.g. "(2)"
        why = (
            "the most recently modified, at " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest))
            if sum(t == newest for t in times.values()) == 1
            else "all have the same modification time, so the last by name"
        )
        names = ", ".join(p.relative_to(root).as_posix() for p, _ in sorted(group))
        warnings.append(
            f"{len(group)} copies of one notebook ({names}); used "
            f"{chosen.relative_to(root).as_posix()} ({why}); the others are not read."
        )
        kept.append(chosen)
    return sorted(kept)


def _merge_notes(members: list[_Member], root: Path) -> list[str]:
    """Say when several entries were merged into one student, and why they count as one (copies of one
    notebook are not a merge: :func:`_pick_copies` reports them)."""
    unicode = len({m.raw == unicodedata.normalize("NFC", m.raw) for m in members}) == 2  # NFC and not
    distinct = {(m.written, m.slot, m.entry.is_dir()) for m in members}
    slots = [slot for _, slot, _ in distinct]
    spellings = {written for written, _, _ in distinct}
    if not unicode and (len(distinct) < 2 or not ("*" in slots or len(spellings) > 1)):
        return []
    names = ", ".join(m.entry.relative_to(root).as_posix() + ("/" if m.entry.is_dir() else "") for m in members)
    because = " (the same name in two Unicode forms, NFC and NFD, as zips made on macOS write it)" if unicode else ""
    return [
        f"student id '{shown_id(members[0].written)}' appears more than once ({names}){because}; their answers "
        "are merged, files read in that order, the last answer to a question counts."
    ]
