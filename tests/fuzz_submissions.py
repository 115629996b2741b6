"""Mutated submissions for fuzzing the grader (issue 31), and the checks every grading of them must pass.

A student starts as the real lessons in notebooks/ with every ``answer(N, "")`` filled in, in one of the
three layouts (a folder, one file per lesson, one notebook), and then gets 1-3 seeded mutations: odd names
(bytes that are not UTF-8, CR, LF, 255 bytes, formula and Markdown characters), odd answer spellings (some
count, as in the kernel, some do not), broken JSON, swapped JSON types, missing and duplicated keys, other
encodings, truncation, byte flips, huge and empty files, links, FIFOs, copies. Each mutation also says what
it does to the grade, so the checks know, per student, the id grades.csv must show, whether it must be
reported as an error, and (where it can be told) the exact score.

Used by ``test_grade_fuzz.py`` (a few hundred students, seconds) and by a standalone run of thousands.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import paths
from helpers.questions import questions

LESSONS = sorted(p.stem for p in paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Entry:
    """One thing to write under the submissions folder: a file (``notebook``: JSON not yet written, or
    ``data``: its bytes), or ``special``: "fifo", "symlink" (to ``target``), "sparse" (over --max-mb) or
    "folder" (empty)."""

    path: bytes
    notebook: dict[str, Any] | None = None
    data: bytes | None = None
    special: str = ""
    target: bytes = b""
    questions: tuple[int, ...] = ()  # what a notebook answers (a notebook has a lesson)
    lesson: str = ""
    claim: str = ""  # "unreadable" or "maybe": what its changes did, checked by readable() at the end

    def text(self) -> bytes:
        """The file's bytes (the notebook written the way Jupyter writes it, if not yet written; a lone
        surrogate as the JSON escape \\udXXX, which backslashreplace happens to write)."""
        if self.data is None:
            text = json.dumps(self.notebook, indent=1, ensure_ascii=False) + "\n"
            self.data = text.encode("utf-8", "backslashreplace")
            self.notebook = None
        return self.data


@dataclass
class Student:
    """A generated student: what is written, and what the grader must make of it."""

    number: int
    layout: str  # "folder", "flat" (one file per lesson) or "single"
    id_bytes: bytes
    answers: dict[int, str]  # question -> letters written
    entries: list[Entry] = field(default_factory=list)
    lost: set[int] = field(default_factory=set)  # questions whose answers do not count
    unknown: bool = False  # the score cannot be told
    must_error: bool = False  # the grader must report an error for this student
    mutations: list[str] = field(default_factory=list)

    def notebooks(self) -> list[Entry]:
        """The notebooks still written as files (not replaced by a special file)."""
        return [e for e in self.entries if e.lesson and not e.special]

    def entry_name(self, lesson: str) -> bytes:
        """Where a lesson's notebook goes: in the student's folder, or beside it named as in "flat" (then
        it belongs to the same student; "single" writes its one notebook as ``<id>.ipynb``)."""
        if self.layout == "folder":
            return self.id_bytes + b"/" + lesson.encode() + b".ipynb"
        return self.id_bytes + b"_" + lesson.encode() + b".ipynb"

    def names(self) -> list[bytes]:
        """The names the student's notebooks get (to keep within the limit)."""
        if self.layout == "single":
            return [self.id_bytes + b".ipynb"]
        return [part for e in self.entries for part in self.entry_name(e.lesson).split(b"/")]

    def expected_score(self, key: dict[str, Any]) -> float | None:
        """The score the grader must give (None: cannot be told)."""
        if self.unknown:
            return None
        return sum(
            entry["points"]
            for name, entry in key["questions"].items()
            if int(name) in self.answers and int(name) not in self.lost and self.answers[int(name)] == entry["answer"]
        )


def shown(id_bytes: bytes) -> str:
    """The id grades.csv must show, worked out here from the bytes (not with the grader's code): NFC where
    it is UTF-8, a byte that is not as \\xNN, a backslash doubled, what does not print escaped."""
    text = unicodedata.normalize("NFC", id_bytes.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace"))
    names = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join(
        c if c.isprintable() else names.get(c, f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        for c in text
    )


# ---------------------------------------------------------------------------------------------------
# A student before mutations


_LESSON_TEXT = {name: (paths.NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8") for name in LESSONS}


def _filled(lesson: str, answers: dict[int, str]) -> dict[str, Any]:
    """The lesson's JSON with ``answer(N, "")`` filled in (in the JSON text, where quotes are escaped)."""
    text = _LESSON_TEXT[lesson]
    for number, letters in answers.items():
        text = text.replace(f'answer({number}, \\"\\")', f'answer({number}, \\"{letters}\\")')
    return json.loads(text)


def _pick_letters(rng: random.Random, number: int, key: dict[str, Any]) -> str:
    info = questions()[number]
    correct = key["questions"].get(str(number), {}).get("answer")
    if correct and rng.random() < 0.6:
        return correct
    return "".join(sorted(rng.sample(info["options"], rng.randint(1, 2) if info["multi"] else 1)))


def new_student(rng: random.Random, number: int, key: dict[str, Any]) -> Student:
    """A student answering every question of 1-3 lessons, in a random layout (paths given later)."""
    lessons = sorted(rng.sample([n for n in LESSONS if _questions_of(n)], rng.randint(1, 3)))
    answers = {q: _pick_letters(rng, q, key) for lesson in lessons for q in _questions_of(lesson)}
    student = Student(number, rng.choice(["folder", "flat", "single"]), b"s%05d" % number, answers)
    student.entries = [Entry(b"", _filled(n, answers), questions=tuple(_questions_of(n)), lesson=n) for n in lessons]
    return student


def _questions_of(lesson: str) -> list[int]:
    return [n for n, q in questions().items() if q["notebook"] == lesson]


def _place(student: Student) -> None:
    """Give each notebook its path for the layout and id (a single layout joins the lessons' cells)."""
    if student.layout == "single":
        first, *rest = student.entries
        for entry in rest:
            first.notebook["cells"] += entry.notebook["cells"]
            first.questions += entry.questions
        student.entries = [first]
        first.path = student.id_bytes + b".ipynb"
        return
    for entry in student.entries:
        entry.path = student.entry_name(entry.lesson)


def _fits(path: bytes) -> bool:
    """Whether every part of ``path`` is within the 255-byte limit of a name."""
    return all(len(part) <= 255 for part in path.split(b"/"))


# ---------------------------------------------------------------------------------------------------
# Mutations, (name, function) in groups run in order (STAGES): names, files, answer spellings, JSON,
# bytes, then what copies or replaces a finished file. Each function changes a Student in place.


def _decorate(decor: bytes) -> Callable[[random.Random, Student], None]:
    def mutate(rng: random.Random, s: Student) -> None:
        s.id_bytes += decor + b"z"  # "z": the id does not end in whitespace (stripped) or a copy suffix

    return mutate


def _random_bytes(rng: random.Random, s: Student) -> None:
    s.id_bytes += bytes(rng.randint(0x80, 0xFF) for _ in range(rng.randint(1, 6))) + b"z"


def _long_name(rng: random.Random, s: Student) -> None:
    """Pad the id so that the longest name written for it is 240-255 bytes (issue 31: 253-255)."""
    longest = max(len(name) for name in s.names())
    s.id_bytes += b"L" * max(0, rng.randint(240, 255) - longest)


def _formula(rng: random.Random, s: Student) -> None:
    s.id_bytes = rng.choice([b"=", b"+", b"-", b"@", b"=HYPERLINK(", b"-1+"]) + s.id_bytes


NAMES: list[tuple[str, Callable[[random.Random, Student], None]]] = [
    ("latin1", _decorate("café".encode("latin-1"))),
    ("gbk", _decorate("张三".encode("gbk"))),
    ("big5", _decorate("陳大文".encode("big5"))),
    ("shift_jis", _decorate("山田".encode("shift_jis"))),
    ("random_bytes", _random_bytes),
    ("cr", _decorate(b"\rX")),
    ("lf", _decorate(b"\nx")),
    ("crlf", _decorate(b"\r\n")),
    ("tab", _decorate(b"\t")),
    ("escape", _decorate(b"\x1b[31m")),
    ("formula", _formula),
    ("csv_chars", _decorate(b',"; |')),
    ("markdown_chars", _decorate(b"*_[x](y)<b>`#")),
    ("backslash", _decorate(b"\\xe9\\")),
    ("nfd", _decorate(unicodedata.normalize("NFD", "José").encode())),
    ("emoji", _decorate("😀".encode())),
    ("bidi", _decorate("\u202e\u200b".encode())),
    ("cjk_utf8", _decorate("王小明".encode())),
    ("space", _decorate(b" and ")),
    ("long", _long_name),  # last: pads to the name limit
]


def _notebook_entry(rng: random.Random, s: Student) -> Entry | None:
    return rng.choice(s.notebooks()) if s.notebooks() else None


def _folder_of(s: Student) -> bytes:
    return s.id_bytes + b"/" if s.layout == "folder" else b""


def _add(s: Student, entry: Entry, error: bool) -> None:
    """Add ``entry`` where its name fits the limit; ``error``: the grader must then report an error."""
    if _fits(entry.path):
        s.entries.append(entry)
        s.must_error |= error


def _add_special(kind: str) -> Callable[[random.Random, Student], None]:
    """A FIFO, or a link to a classmate's file, where a notebook would be: reported as an error."""

    def mutate(rng: random.Random, s: Student) -> None:
        target = b"../s00000/01_lime.ipynb" if s.layout == "folder" else b"s00000.ipynb"
        _add(s, Entry(s.entry_name(f"99_{kind}"), special=kind, target=target), True)

    return mutate


def _add_folder_link(rng: random.Random, s: Student) -> None:
    if s.layout == "folder":
        _add(s, Entry(s.id_bytes + b"/sub", special="symlink", target=b"/"), True)


def _add_non_notebook(suffix: bytes) -> Callable[[random.Random, Student], None]:
    def mutate(rng: random.Random, s: Student) -> None:
        _add(s, Entry(s.id_bytes + suffix, data=b"PK\x03\x04 not a notebook"), True)  # top level: an error

    return mutate


def _hidden_and_junk(rng: random.Random, s: Student) -> None:
    """What zips carry besides the notebooks: hidden files, __MACOSX, other files in a folder (all skipped)."""
    folder = _folder_of(s)
    junk = [folder + b".DS_Store", folder + b"__MACOSX/._x.ipynb", b"." + s.id_bytes + b".ipynb"]
    junk += [folder + b"readme.txt", folder + b"01_lime.ipynb.bak"] if folder else []
    for path in junk:
        _add(s, Entry(path, data=b"\0\0\0\1Bud1 {}"), False)


def _nested(rng: random.Random, s: Student) -> None:
    if s.layout == "folder":
        depth = b"/".join(b"d%d" % i for i in range(rng.randint(1, 30)))
        for entry in s.notebooks():
            head, _, tail = entry.path.rpartition(b"/")
            entry.path = head + b"/" + depth + b"/" + tail


def _inner_name(rng: random.Random, s: Student) -> None:
    """A file name that is not UTF-8 inside the student's folder (still a notebook, still read)."""
    if s.layout == "folder" and s.notebooks():
        entry = rng.choice(s.notebooks())
        entry.path = entry.path.replace(b".ipynb", b"\xe9\xff\r.ipynb")


def _upper_extension(rng: random.Random, s: Student) -> None:
    entry = _notebook_entry(rng, s)
    if entry is not None:
        entry.path = entry.path[: -len(b".ipynb")] + b".IPYNB"


def _only(kind: str) -> Callable[[random.Random, Student], None]:
    """The whole submission replaced: an empty folder, or one file that is not a notebook."""

    def mutate(rng: random.Random, s: Student) -> None:
        only = Entry(s.id_bytes, special="folder") if kind == "folder" else Entry(s.id_bytes + b".pdf", data=b"%PDF-1")
        s.entries = [only]
        s.lost |= set(s.answers)
        s.must_error = True

    return mutate


FILES: list[tuple[str, Callable[[random.Random, Student], None]]] = [
    ("fifo", _add_special("fifo")),
    ("symlink", _add_special("symlink")),
    ("folder_link", _add_folder_link),
    ("zip_beside", _add_non_notebook(b".zip")),
    ("pdf_beside", _add_non_notebook(b".pdf")),
    ("hidden_junk", _hidden_and_junk),
    ("nested", _nested),
    ("inner_name", _inner_name),
    ("upper_extension", _upper_extension),
    ("empty_folder", _only("folder")),
    ("pdf_only", _only("pdf")),
]


def _answer_cells(entry: Entry) -> list[tuple[dict[str, Any], int]]:
    """(cell, question) for each answer cell of a notebook not yet written."""
    found = []
    for cell in entry.notebook["cells"] if entry.notebook else ():
        source = "".join(cell["source"]) if isinstance(cell, dict) and isinstance(cell.get("source"), list) else ""
        for number in entry.questions:
            if source.startswith(f"answer({number}, "):
                found.append((cell, number))
    return found


def _spelling(write: Callable[[int, str], Any], counts: bool, kind: Any = "code") -> Callable:
    """One answer cell rewritten as ``write(number, letters)``; ``counts``: whether the kernel records it."""

    def mutate(rng: random.Random, s: Student) -> None:
        cells = [c for e in s.notebooks() for c in _answer_cells(e)]
        if not cells:
            return
        cell, number = rng.choice(cells)
        cell["source"] = write(number, s.answers[number])
        cell["cell_type"] = kind
        if not counts:
            s.lost.add(number)

    return mutate


def _other(letters: str, number: int) -> str:
    return next(c for c in questions()[number]["options"] if c not in letters)


SPELLINGS: list[tuple[str, Callable[[random.Random, Student], None]]] = [
    ("fullwidth_a", _spelling(lambda n, x: f'\uff41nswer({n}, "{x}")', True)),
    ("fullwidth_all", _spelling(lambda n, x: f'\uff41\uff4e\uff53\uff57\uff45\uff52({n}, "{x}")', True)),
    ("lower_letters", _spelling(lambda n, x: f'answer({n}, "{x.lower()}")', True)),
    ("spaces", _spelling(lambda n, x: f'answer( {n} ,  " {", ".join(x)} " )', True)),
    ("keywords", _spelling(lambda n, x: f'answer(letters="{x}", number={n})', True)),
    ("module_call", _spelling(lambda n, x: f'questions.answer({n}, "{x}")', True)),
    ("magic_before", _spelling(lambda n, x: f'%matplotlib inline\n!echo hi\nanswer({n}, "{x}")', True)),
    ("semicolon_comment", _spelling(lambda n, x: f'answer({n}, "{x}");  # my answer?', True)),
    ("single_quotes", _spelling(lambda n, x: f"answer({n}, '{x}')", True)),
    ("indented_cell", _spelling(lambda n, x: f'    answer({n}, "{x}")', True)),
    ("crlf_source", _spelling(lambda n, x: f'x = 1\r\nanswer({n}, "{x}")\r\n', True)),
    ("twice", _spelling(lambda n, x: f'answer({n}, "{_other(x, n)}")\nanswer({n}, "{x}")', True)),
    ("source_list", _spelling(lambda n, x: [f"answer({n},", f' "{x}")'], True)),
    ("in_if", _spelling(lambda n, x: f'if True:\n    answer({n}, "{x}")', False)),
    ("in_time_magic", _spelling(lambda n, x: f'%time answer({n}, "{x}")', False)),
    ("in_function", _spelling(lambda n, x: f'def f():\n    answer({n}, "{x}")', False)),
    ("part_of_expression", _spelling(lambda n, x: f'print(answer({n}, "{x}"))', False)),
    ("non_literal", _spelling(lambda n, x: f'x = "{x}"\nanswer({n}, x)', False)),
    ("invalid_letter", _spelling(lambda n, x: f'answer({n}, "Z")', False)),
    ("fullwidth_letter", _spelling(lambda n, x: f'answer({n}, "\uff21")', False)),
    ("list_letters", _spelling(lambda n, x: f'answer({n}, ["{x}"])', False)),
    ("bool_number", _spelling(lambda n, x: f'answer(True, "{x}")', False)),
    ("placeholder", _spelling(lambda n, x: f'answer({n}, "")', False)),
    ("syntax_error", _spelling(lambda n, x: f'answer({n}, "{x}"', False)),
    ("cyrillic_a", _spelling(lambda n, x: f'\u0430nswer({n}, "{x}")', False)),
    ("in_markdown", _spelling(lambda n, x: f'answer({n}, "{x}")', False, "markdown")),
    ("raw_cell", _spelling(lambda n, x: f'answer({n}, "{x}")', False, "raw")),
    ("cell_type_int", _spelling(lambda n, x: f'answer({n}, "{x}")', False, 3)),
]


def _effect(s: Student, entry: Entry, effect: str) -> None:
    """What a change did to the grade: "keep" (nothing), "lose" (the file's answers no longer count),
    "unreadable" (nor can the file be read), "maybe" (it may or may not read). The last two are checked
    by :func:`readable` when the student is done (a later change may have undone one)."""
    if effect in ("lose", "unreadable"):
        s.lost |= set(entry.questions)
    if effect in ("unreadable", "maybe"):
        entry.claim = effect


def _on_notebook(change: Callable[[random.Random, dict[str, Any]], None], effect: str = "keep") -> Callable:
    """A change to the JSON of one notebook whose cells are still a list."""

    def mutate(rng: random.Random, s: Student) -> None:
        entries = [e for e in s.notebooks() if e.notebook is not None and isinstance(e.notebook.get("cells"), list)]
        if entries:
            entry = rng.choice(entries)
            change(rng, entry.notebook)
            _effect(s, entry, effect)

    return mutate


def _cells_of(nb: dict[str, Any]) -> list[dict[str, Any]]:
    """The cells that are objects with a source of text or lines of text (junk cells left out)."""
    return [c for c in nb["cells"] if isinstance(c, dict) and _is_text(c.get("source"))]


def _is_text(source: Any) -> bool:
    return isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))


def _junk_cells(rng: random.Random, nb: dict[str, Any]) -> None:
    junk = [
        {"cell_type": "code", "source": "x = 1\0  # answer", "metadata": {}, "outputs": [], "execution_count": None},
        {"cell_type": "markdown", "source": "see \ud800 and answer later", "metadata": {}},
        {"cell_type": "raw", "source": 'answer(1, "A")', "metadata": {}},
        {"cell_type": "code", "source": None, "metadata": {}},
        {"cell_type": "code", "source": {"a": 1}, "metadata": {}},
        {"cell_type": "code", "source": [1, 2, 3], "metadata": {}},
        {"cell_type": "code", "source": "# answer\ny = " + "1 + " * 20000 + "1", "metadata": {}},
        {"cell_type": "code", "source": "%%time\n" + "\n" * 5000 + "answer", "metadata": {}},
        {"cell_type": ["code"], "source": "z"},
        {"cell_type": {"x": 1}, "source": "z"},
        [1, 2],
        "a cell that is a string",
        None,
        {},
    ]
    for cell in rng.sample(junk, rng.randint(1, len(junk))):
        nb["cells"].insert(rng.randint(0, len(nb["cells"])), cell)


def _many_cells(count: int) -> Callable[[random.Random, dict[str, Any]], None]:
    def change(rng: random.Random, nb: dict[str, Any]) -> None:
        empty = {"cell_type": "code", "source": [], "metadata": {}, "outputs": [], "execution_count": None}
        nb["cells"] += [dict(empty) for _ in range(count)]

    return change


def _big_output(rng: random.Random, nb: dict[str, Any]) -> None:
    image = {"output_type": "display_data", "data": {"image/png": "iVBOR" + "A" * 2**20}, "metadata": {}}
    cells = [c for c in _cells_of(nb) if c.get("cell_type") == "code"]
    if cells:
        rng.choice(cells)["outputs"] = [image]


def _strip_keys(rng: random.Random, nb: dict[str, Any]) -> None:
    for cell in _cells_of(nb):
        for name in ("id", "metadata", "outputs", "execution_count"):
            if rng.random() < 0.5:
                cell.pop(name, None)
    nb.pop("metadata", None)


def _sources_as(kind: str) -> Callable[[random.Random, dict[str, Any]], None]:
    def change(rng: random.Random, nb: dict[str, Any]) -> None:
        for cell in _cells_of(nb):
            text = "".join(cell["source"])
            cell["source"] = text if kind == "string" else list(text)

    return change


def _set_key(name: str, values: list[Any]) -> Callable[[random.Random, dict[str, Any]], None]:
    def change(rng: random.Random, nb: dict[str, Any]) -> None:
        nb[name] = rng.choice(values)

    return change


def _drop_key(name: str) -> Callable[[random.Random, dict[str, Any]], None]:
    def change(rng: random.Random, nb: dict[str, Any]) -> None:
        nb.pop(name, None)

    return change


def _nan_metadata(rng: random.Random, nb: dict[str, Any]) -> None:
    nb["metadata"] = {"x": float("nan"), "y": float("inf"), "deep": [[[[[]]]]], "big": 10**400}


def _nbformat3(rng: random.Random, nb: dict[str, Any]) -> None:
    """The same cells in nbformat 3 (worksheets, ``input``), which old Jupyter versions wrote."""
    cells = []
    for cell in _cells_of(nb):
        text = "".join(cell["source"])
        if cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue  # nbformat's converter refuses the whole notebook; the cell never counted anyway
        if cell["cell_type"] == "code":
            cells.append({"cell_type": "code", "input": text, "language": "python", "outputs": []})
        else:
            cells.append({"cell_type": cell["cell_type"], "source": text})
    del nb["cells"]
    nb.update(nbformat=3, nbformat_minor=0, worksheets=[{"cells": cells, "metadata": {}}])


JSON: list[tuple[str, Callable[[random.Random, Student], None]]] = [
    ("junk_cells", _on_notebook(_junk_cells)),
    ("many_cells", _on_notebook(_many_cells(3000))),
    ("big_output", _on_notebook(_big_output)),
    ("strip_keys", _on_notebook(_strip_keys)),
    ("source_string", _on_notebook(_sources_as("string"))),
    ("source_chars", _on_notebook(_sources_as("chars"))),
    ("nan_metadata", _on_notebook(_nan_metadata)),
    ("nbformat3", _on_notebook(_nbformat3)),
    ("cells_not_list", _on_notebook(_set_key("cells", [{}, "cells", None, 5, {"0": {}}]), "unreadable")),
    ("nbformat_swap", _on_notebook(_set_key("nbformat", ["4", None, [4], 99, 4.5, {"v": 4}]), "unreadable")),
    ("no_cells", _on_notebook(_drop_key("cells"), "unreadable")),
    ("junk_cells_only", _on_notebook(_set_key("cells", [[], [[]], [None, 1]]), "lose")),
]


def _on_bytes(change: Callable[[random.Random, bytes], bytes], effect: str) -> Callable:
    """A change to the bytes of one notebook (which an earlier change may have emptied or broken)."""

    def mutate(rng: random.Random, s: Student) -> None:
        if s.notebooks():
            entry = rng.choice(s.notebooks())
            entry.data = change(rng, entry.text()) if entry.text() else b"{"
            _effect(s, entry, effect)

    return mutate


def _reencode(codec: str) -> Callable[[random.Random, bytes], bytes]:
    def change(rng: random.Random, data: bytes) -> bytes:
        try:
            return data.decode("utf-8").encode(codec, "replace")
        except UnicodeDecodeError:  # not UTF-8 already
            return data

    return change


def _truncate(rng: random.Random, data: bytes) -> bytes:
    """Cut before the closing brace of the notebook (or halfway, when there is none)."""
    end = data.rfind(b"}")
    return data[: rng.randint(0, end - 1)] if end > 0 else data[: len(data) // 2]


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _insert(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    junk = rng.choice([b"<<<<<<< HEAD\n", b"\0" * 7, bytes(rng.randrange(256) for _ in range(9)), b'"', b"]"])
    return data[:at] + junk + data[at:]


def _delete_span(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + data[at + rng.randint(1, 400) :]


def _duplicate_cells_key(last_empty: bool) -> Callable[[random.Random, bytes], bytes]:
    """A second key holding the cells, empty (JSON readers keep the last): before the real one (harmless)
    or after it."""

    def change(rng: random.Random, data: bytes) -> bytes:
        empty = b'"worksheets": []' if b'"worksheets"' in data else b'"cells": []'
        if last_empty:
            return data.rstrip()[:-1] + b", " + empty + b"}\n"
        head, brace, tail = data.partition(b"{")
        return head + brace + empty + b", " + tail

    return change


def _constant(value: bytes) -> Callable[[random.Random, bytes], bytes]:
    return lambda rng, data: value


def _minified(rng: random.Random, data: bytes) -> bytes:
    try:
        return json.dumps(json.loads(data.decode("utf-8")), separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # already broken (not UTF-8, not JSON): leave it so
        return data


def _deep(rng: random.Random, data: bytes) -> bytes:
    """A value nested 100,000 deep before the end: JSON no reader can hold."""
    return data.rstrip()[:-1] + b', "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"


BYTES: list[tuple[str, Callable[[random.Random, Student], None]]] = [
    ("utf8_bom", _on_bytes(lambda rng, data: b"\xef\xbb\xbf" + data, "keep")),
    ("crlf_json", _on_bytes(lambda rng, data: data.replace(b"\n", b"\r\n"), "keep")),
    ("minified", _on_bytes(_minified, "keep")),
    ("dup_key_first", _on_bytes(_duplicate_cells_key(False), "keep")),
    ("dup_key_last", _on_bytes(_duplicate_cells_key(True), "lose")),
    ("utf16", _on_bytes(_reencode("utf-16"), "unreadable")),
    ("utf32", _on_bytes(_reencode("utf-32"), "unreadable")),
    ("latin1_text", _on_bytes(_reencode("latin-1"), "maybe")),
    ("gbk_text", _on_bytes(_reencode("gbk"), "maybe")),
    ("truncate", _on_bytes(_truncate, "unreadable")),
    ("flip", _on_bytes(_flip, "maybe")),
    ("insert", _on_bytes(_insert, "maybe")),
    ("delete_span", _on_bytes(_delete_span, "maybe")),
    ("deep_json", _on_bytes(_deep, "unreadable")),
    ("empty_file", _on_bytes(_constant(b""), "unreadable")),
    ("whitespace", _on_bytes(_constant(b" \n\t\r\n"), "unreadable")),
    ("json_null", _on_bytes(_constant(b"null"), "unreadable")),
    ("json_list", _on_bytes(_constant(b"[1, 2]"), "unreadable")),
    ("json_object", _on_bytes(_constant(b'{"name": "not a notebook"}'), "unreadable")),
    ("binary", _on_bytes(lambda rng, data: rng.randbytes(rng.randint(1, 5000)), "maybe")),
    ("zip_bytes", _on_bytes(_constant(b"PK\x03\x04\x14\x00\x00\x00"), "unreadable")),
]


def _sparse(rng: random.Random, s: Student) -> None:
    """A notebook over --max-mb (sparse: nothing on disk)."""
    if s.notebooks():
        entry = rng.choice(s.notebooks())
        entry.special = "sparse"
        s.lost |= set(entry.questions)
        s.must_error = True


def _copy(rng: random.Random, s: Student) -> None:
    """A browser copy, ``x (1).ipynb``, of one notebook as it finally is (either one read gives the same)."""
    if s.notebooks():
        entry = rng.choice(s.notebooks())
        name = entry.path[: -len(b".ipynb")] + rng.choice([b" (1)", b"(2)", b" - Copy"]) + entry.path[-6:]
        _add(s, Entry(name, data=entry.text(), questions=entry.questions, lesson=entry.lesson), False)


LATE: list[tuple[str, Callable[[random.Random, Student], None]]] = [("sparse_huge", _sparse), ("copy", _copy)]

#: Every kind of mutation, by stage (they run in this order).
STAGES = [NAMES, FILES, SPELLINGS, JSON, BYTES, LATE]
KINDS = {name: (stage, mutate) for stage, group in enumerate(STAGES) for name, mutate in group}


def mutated_student(
    rng: random.Random, number: int, key: dict[str, Any], kinds: list[str] | None = None, max_mb: float = 64.0
) -> Student:
    """A student with 1-3 mutations (or the given ``kinds``), applied stage by stage; ``max_mb`` is the
    grader's --max-mb."""
    student = new_student(rng, number, key)
    chosen = kinds if kinds is not None else rng.sample(sorted(KINDS), rng.randint(1, 3))
    student.mutations = sorted(chosen, key=lambda k: (KINDS[k][0], k == "long"))
    placed = False
    for kind in student.mutations:
        stage, mutate = KINDS[kind]
        if stage >= 1 and not placed:
            _place(student)
            placed = True
        mutate(rng, student)
    if not placed:
        _place(student)
    for entry in student.notebooks():  # a file the grader cannot read must be reported, whatever did it
        if readable(entry.text(), int(max_mb * 2**20)) is False:
            student.lost |= set(entry.questions)
            student.must_error = True
        elif entry.claim:  # changed, and still reads (or cannot be told): which answers survived is unknown
            student.unknown = True
    return student


def readable(data: bytes, max_bytes: int = 2**40) -> bool | None:
    """Whether the grader can read these bytes as a notebook: False (it must report an error), True (it
    reads the cells, nbformat 4), None (cannot tell here)."""
    if len(data) > max_bytes:
        return False
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        return False
    major = raw.get("nbformat", 1)
    if not isinstance(major, int | float) or major not in (1, 2, 3, 4):  # a version nbformat does not read
        return False
    return isinstance(raw.get("cells"), list) if major == 4 else None


# ---------------------------------------------------------------------------------------------------
# Writing a class, and checking what the grader made of it


def write_class(folder: Path, students: list[Student], max_mb: float) -> None:
    """Write every student's entries under ``folder`` (bytes paths: names need not be UTF-8)."""
    root = os.fsencode(folder)
    os.makedirs(root, exist_ok=True)
    for student in students:
        for entry in student.entries:
            path = os.path.join(root, entry.path)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if entry.special == "folder":
                os.makedirs(path, exist_ok=True)
            elif entry.special == "fifo":
                os.mkfifo(path)
            elif entry.special == "symlink":
                os.symlink(entry.target, path)
            elif entry.special == "sparse":
                with open(path, "wb") as handle:
                    handle.truncate(int((max_mb + 1) * 2**20))
            else:
                with open(path, "wb") as handle:
                    handle.write(entry.text())


def tree_state(folder: Path) -> dict[bytes, tuple[Any, ...]]:
    """Every entry under ``folder``: its kind, mode, size, modification time and content hash (or link)."""
    state: dict[bytes, tuple[Any, ...]] = {}
    root = os.fsencode(folder)
    for current, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(current, name)
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    content = hashlib.sha256(handle.read()).hexdigest()
            else:
                content = os.readlink(path) if stat.S_ISLNK(info.st_mode) else ""
            state[os.path.relpath(path, root)] = (info.st_mode, info.st_size, info.st_mtime_ns, content)
    return state


def _cell(text: str) -> str:
    """A CSV cell as the grader must write it: one that would start a formula gets a leading '."""
    return "'" + text if text.startswith(_FORMULA) else text


def _csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def check_outputs(out: Path, students: list[Student], key: dict[str, Any]) -> list[str]:
    """What is wrong with the grader's outputs for ``students`` (an empty list: nothing)."""
    problems: list[str] = []
    expected = {_cell(shown(s.id_bytes)): s for s in students}
    if len(expected) != len(students):
        problems.append("the generator made two students with one id")
    grades = _csv_rows(out / "grades.csv")
    header, rows = grades[0], grades[1:]
    for name in ("grades.csv", "answers.csv"):
        table = _csv_rows(out / name)
        if len(table) != len(students) + 1 or any(len(row) != len(table[0]) for row in table):
            problems.append(f"{name}: {len(table)} records of varying length for {len(students)} students")
        problems += [f"{name}: a cell starts a formula: {c!r}" for row in table for c in row if c.startswith(_FORMULA)]
    ids = [row[0] for row in rows]
    problems += [f"in grades.csv {ids.count(i)} times: {i!r}" for i in sorted(set(ids)) if ids.count(i) > 1]
    problems += [f"missing from grades.csv: {i!r} ({expected[i].mutations})" for i in expected if i not in ids]
    problems += [f"a student nobody made: {i!r}" for i in ids if i not in expected]
    column = {name: header.index(name) for name in ("score", "status", "problems", "feedback") if name in header}
    feedback = {p.name for p in (out / "feedback").iterdir()} if (out / "feedback").is_dir() else set()
    for row in rows:
        student = expected.get(row[0])
        if student is None:
            continue
        if student.must_error and (row[column["status"]] != "error" or not row[column["problems"]]):
            problems.append(f"{row[0]!r} ({student.mutations}): {row[column['status']]}, should be an error")
        score = student.expected_score(key)
        if score is not None and abs(float(row[column["score"]]) - score) > 1e-6:
            problems.append(f"{row[0]!r} ({student.mutations}): score {row[column['score']]}, expected {score:g}")
        if "feedback" in column and row[column["feedback"]].removeprefix("feedback/") not in feedback:
            problems.append(f"{row[0]!r}: feedback file {row[column['feedback']]!r} missing")
    if "feedback" in column and len(feedback) != len(rows):
        problems.append(f"{len(feedback)} feedback files for {len(rows)} students")
    report = (out / "report.md").read_bytes().decode("utf-8")
    if "\r" in report:
        problems.append("report.md holds a carriage return")
    return problems
