"""Reading answers from one notebook file, without running it.

What counts (stated once, here; ``grade --help`` and the README quote it): a code cell's top-level line
``answer(N, "X")`` (or ``module.answer(...)``) with literal arguments, after IPython's own input
transformer has turned the cell's IPython syntax (``%magics``, ``!shell``) into Python, exactly as the
kernel would before running it. Everything else that mentions ``answer`` is not counted and is reported
for its question with the reason: a call inside ``if``/``for``/``with``/``try``/a function, one inside a
magic such as ``%time``, one that is part of a larger expression, non-literal arguments, a line with a
syntax error, and (for questions left unanswered) an answer written in a markdown cell, which never runs
(outside backticks: `answer(7, "B")` in backticks is an example). Names are read as Python reads them
(NFKC): ``answer`` typed in full-width letters runs as ``answer`` in the kernel, so it counts here too.
"""

from __future__ import annotations

import ast
import gc
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache, wraps
from pathlib import Path
from typing import Any, TypeVar

from helpers.instructor.grading.untrusted import SpecialFile, open_regular

#: A markdown cell that reads like an answer; markdown is not Python, so a pattern is the right reader.
_MARKDOWN_ANSWER = re.compile(r"""\banswer\s*\(\s*(\d+)\s*,\s*["']([^"'\n]*)["']""")
#: Code in markdown (fenced blocks, `spans`): examples of the syntax, not answers.
_CODE_IN_MARKDOWN = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
#: Inside a magic's text, which question an ``answer(`` names.
_NUMBER_IN_TEXT = re.compile(r"\banswer\s*\(\s*(\d+)")
_CONTEXTS = {
    ast.If: "inside an `if` statement",
    ast.For: "inside a `for` loop",
    ast.AsyncFor: "inside a `for` loop",
    ast.While: "inside a `while` loop",
    ast.With: "inside a `with` block",
    ast.AsyncWith: "inside a `with` block",
    ast.Try: "inside a `try` statement",
    ast.FunctionDef: "inside a function",
    ast.AsyncFunctionDef: "inside a function",
    ast.ClassDef: "inside a class",
    ast.Match: "inside a `match` statement",
}
_MAGIC_METHODS = {"run_line_magic", "run_cell_magic", "system", "getoutput"}
_TOO_DEEP = (RecursionError, MemoryError)
#: A line that is only ``answer(N, "X")`` in its plainest form (how the lessons write it). IPython's
#: transformer leaves a cell of such lines as it is and Python reads each as one counted call, so such a
#: cell is read without either: the same result, without a notebook of 100,000 cells taking seconds.
_PLAIN_ANSWER = re.compile(r'answer\(([1-9][0-9]{0,5}), "([A-Za-z ,]*)"\)')
#: Texts up to this size keep their reading for a repeat (a notebook pasted into itself many times).
_CACHED_CHARS = 4096
_T = TypeVar("_T")


@dataclass
class FileAnswers:
    """What one notebook file holds.

    ``calls``: counted calls in file order, (number, letters as written, where); ``ignored``: mentions of
    ``answer`` that do not count, (question or None, message); ``markdown``: (question, where) of answers
    written in markdown cells; ``warnings``/``errors``: problems with the file itself.
    """

    calls: list[tuple[Any, Any, str]] = field(default_factory=list)
    ignored: list[tuple[int | None, str]] = field(default_factory=list)
    markdown: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@cache
def _transformer() -> Any:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def prepare() -> None:
    """Import what reading needs (nbformat pulls in jsonschema: seconds, a minute on a busy machine) and
    build IPython's transformer, once, before any student's time limit starts: nobody is charged for it."""
    import nbformat  # noqa: F401

    _transformer()


def _reused(function: Callable[[str], _T]) -> Callable[[str], _T]:
    """``function`` of a text, its result kept for the last 1024 texts of up to :data:`_CACHED_CHARS`
    characters (callers only read results)."""
    cached = lru_cache(maxsize=1024)(function)

    @wraps(function)
    def reuse(text: str) -> _T:
        return cached(text) if len(text) <= _CACHED_CHARS else function(text)

    return reuse


def folded(text: str) -> str:
    """``text`` as Python compares names (NFKC), so ``answer`` typed in full-width letters is found."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


@_reused
def _folds_to_answer(text: str) -> bool:
    return "answer" in folded(text)


def mentions_answer(text: str) -> bool:
    """Whether ``text`` may hold a call of ``answer`` (a cheap test before reading it as Python)."""
    return "answer" in text or (not text.isascii() and _folds_to_answer(text))


def _text(node: ast.AST) -> str:
    """Source of a node for a message; a pathological one is described, not printed."""
    try:
        text = ast.unparse(node)
    except _TOO_DEEP:
        return "answer(...)" if _is_answer_call(node) else "<an expression nested too deeply to show>"
    return text if len(text) <= 120 else text[:100] + "...)"


def _is_answer_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "answer")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "answer")
    )


def _number_of(call: ast.Call) -> int | None:
    """The question a call names, when its first argument is an integer literal."""
    first = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "number"), None)
    value = first.value if isinstance(first, ast.Constant) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def literal_arguments(call: ast.Call) -> tuple[Any, Any] | str:
    """``answer(1, "B")`` -> ``(1, "B")``; a string saying what is wrong when arguments are not literal."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return "uses *args/**kwargs"
    nodes: dict[str, ast.expr] = dict(zip(("number", "letters"), call.args[:2], strict=False))
    nodes.update({k.arg: k.value for k in call.keywords if k.arg in ("number", "letters")})
    if len(call.args) > 2 or set(nodes) != {"number", "letters"}:
        return 'needs exactly two arguments, answer(N, "B")'
    values = []
    for name in ("number", "letters"):
        try:
            values.append(ast.literal_eval(nodes[name]))
        except _TOO_DEEP:
            return f"its {name} argument is nested too deeply to read"
        except (ValueError, TypeError, SyntaxError):
            return f"its {name} argument {_text(nodes[name])!r} is not a literal"
    return values[0], values[1]


def _scan_statement(statement: ast.stmt, where: str, offset: int, found: FileAnswers) -> None:
    """Count ``statement`` when it is ``answer(N, "X")``; report every other mention of answer in it."""
    at = f"{where} line {statement.lineno + offset}"
    if isinstance(statement, ast.Expr) and _is_answer_call(statement.value):
        args = literal_arguments(statement.value)
        if isinstance(args, str):
            found.ignored.append(
                (
                    _number_of(statement.value),
                    f'{at}: {_text(statement.value)} {args}; not counted (write literal values, e.g. answer(3, "B")).',
                )
            )
        else:
            found.calls.append((args[0], args[1], at))
        return
    context = _CONTEXTS.get(type(statement), "part of a larger statement")
    for node in ast.walk(statement):  # iterative: safe on deep trees
        line = f"{where} line {getattr(node, 'lineno', statement.lineno) + offset}"
        if _is_answer_call(node):
            found.ignored.append(
                (
                    _number_of(node),
                    f'{line}: {_text(node)} is {context}; not counted (only a top-level line answer(N, "X") counts).',
                )
            )
        elif _magic_text(node):
            name, text = _magic_text(node)
            for match in _NUMBER_IN_TEXT.finditer(folded(text)):
                found.ignored.append(
                    (
                        int(match[1]),
                        f"{line}: an answer inside the {name} magic; not counted "
                        '(write answer(N, "X") on its own line).',
                    )
                )


def _magic_text(node: ast.AST) -> tuple[str, str] | None:
    """``get_ipython().run_line_magic('time', 'answer(1, "B")')`` -> ``("%time", 'answer(1, "B")')``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MAGIC_METHODS):
        return None
    strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    text = "\n".join(strings[1:] if node.func.attr.startswith("run_") else strings)
    if not mentions_answer(text):
        return None
    prefix = {"run_line_magic": "%", "run_cell_magic": "%%"}.get(node.func.attr)
    return (f"{prefix}{strings[0]}" if prefix and strings else "!shell"), text


def _plain_calls(source: str) -> list[tuple[int, str, int]] | None:
    """``[(number, letters, line)]`` when every line of the cell is a :data:`_PLAIN_ANSWER`, else None."""
    if not source.startswith("answer("):
        return None
    lines = source.split("\n")
    if lines[-1] == "":
        lines.pop()
    calls = []
    for index, line in enumerate(lines):
        match = _PLAIN_ANSWER.fullmatch(line)
        if match is None:
            return None
        calls.append((int(match[1]), match[2], index + 1))
    return calls


def scan_code_cell(source: str, where: str, found: FileAnswers) -> None:
    """Read one code cell (IPython syntax transformed first); see the module docstring for the rule."""
    calls, ignored = _scan_cell(source)
    found.calls += [(number, letters, where + at) for number, letters, at in calls]
    found.ignored += [(number, where + message) for number, message in ignored]


@_reused
def _scan_cell(source: str) -> tuple[tuple[tuple[Any, Any, str], ...], tuple[tuple[int | None, str], ...]]:
    """A code cell's (calls, ignored), as in :class:`FileAnswers`, each place and message still to be
    prefixed with the cell's name (they all start with it): kept for a repeat of the same text."""
    found = FileAnswers()
    plain = _plain_calls(source)
    if plain is not None:
        found.calls += [(number, letters, f" line {line}") for number, letters, line in plain]
    else:
        _scan_python(source, "", found)
    return tuple(found.calls), tuple(found.ignored)


def _scan_python(source: str, where: str, found: FileAnswers) -> None:
    """Read the cell as the kernel does (IPython's transformer, then Python's parser) into ``found``."""
    try:
        tree = ast.parse(_transformer().transform_cell(source))
    except _TOO_DEEP:
        numbers = sorted({int(m[1]) for m in _NUMBER_IN_TEXT.finditer(folded(source))}) or [None]
        found.ignored += [(n, f"{where}: nested too deeply for Python to read; not counted.") for n in numbers]
        return
    except Exception:  # noqa: BLE001 - a syntax error (or a transformer failure): read line by line
        _scan_lines(source, where, found)
        return
    for statement in tree.body:
        try:
            _scan_statement(statement, where, 0, found)
        except _TOO_DEEP:
            found.ignored.append((None, f"{where} line {statement.lineno}: nested too deeply to read; not counted."))


def _scan_lines(source: str, where: str, found: FileAnswers) -> None:
    """A cell with a syntax error: each unindented line that mentions answer, on its own."""
    for index, line in enumerate(source.splitlines()):
        if not mentions_answer(line):
            continue
        number = next((int(m[1]) for m in _NUMBER_IN_TEXT.finditer(folded(line))), None)
        at = f"{where} line {index + 1}"
        if line[:1].isspace():
            found.ignored.append((number, f"{at}: indented, in a cell with a syntax error; not counted."))
            continue
        try:
            tree = ast.parse(_transformer().transform_cell(line))
        except Exception:  # noqa: BLE001 - SyntaxError, RecursionError, MemoryError, transformer errors
            found.ignored.append((number, f"{at}: syntax error, cannot read {line.strip()[:120]!r}; not counted."))
            continue
        for statement in tree.body:
            try:
                _scan_statement(statement, where, index, found)
            except _TOO_DEEP:
                found.ignored.append((number, f"{at}: nested too deeply to read; not counted."))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector: reading a notebook makes no cycles to speak of (JSON and syntax trees
    make none), and its passes over every object of a notebook of 100,000 cells, repeated as cells are read,
    would double the time to read it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(path: Path, label: str, max_bytes: int, found: FileAnswers) -> dict[str, Any] | None:
    """The file's JSON when it looks like a notebook, else None with the reason in ``found.errors``."""
    try:
        with open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                found.errors.append(
                    f"{label}: {size / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB "
                    "limit; not read (raise --max-mb if it is a real notebook)."
                )
                return None
            text = handle.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        found.errors.append(f"{label}: not a text file (not UTF-8), so not a notebook.")
        return None
    except SpecialFile as err:
        found.errors.append(f"{label}: {err}; not read.")
        return None
    except OSError as err:
        found.errors.append(f"{label}: cannot read ({err.strerror or err}).")
        return None
    if not text:
        found.errors.append(f"{label}: empty file; not a notebook.")
        return None
    try:
        raw = json.loads(text)
    except RecursionError:
        found.errors.append(f"{label}: JSON nested too deeply; not a notebook.")
        return None
    except json.JSONDecodeError as err:
        ends = text.strip()
        truncated = " (the file looks truncated)" if ends[:1] == "{" and ends[-1:] != "}" else ""
        found.errors.append(f"{label}: invalid JSON at line {err.lineno}{truncated}; not a readable notebook.")
        return None
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        found.errors.append(f"{label}: JSON but not a Jupyter notebook (no cells).")
        return None
    return raw


def _cells(raw: dict[str, Any], label: str, found: FileAnswers) -> list[Any] | None:
    """The cells in nbformat 4, read from an older version the way ``nbformat.read(as_version=4)`` does:
    its own reader first (which joins strings stored as lists of lines, as nbformat 3 wrote them), then
    ``convert``."""
    import nbformat  # here, so that ``--help`` stays fast
    from nbformat.reader import get_version

    try:
        major, minor = get_version(raw)
        if major == 4:
            notebook = raw  # what from_dict would make of it holds the same values (and takes seconds at 100k cells)
        elif major in nbformat.versions:
            # Without its top-level metadata an old notebook does not convert, though its cells (what is
            # graded) are intact; a version-4 notebook without it is read as it is, so this one is too.
            raw = raw if "metadata" in raw else {**raw, "metadata": {}}
            notebook = nbformat.convert(nbformat.versions[major].to_notebook_json(raw, minor=minor), 4)
        else:
            raise ValueError(f"nbformat version {major!r} is not one that nbformat reads")
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except Exception as err:  # noqa: BLE001 - nbformat raises many kinds on malformed input
        found.errors.append(f"{label}: not a readable Jupyter notebook ({type(err).__name__}: {err}).")
        return None
    return cells


def _joined(source: Any) -> Any:
    """A cell's source as one string where it is a list of lines (as nbformat's reader joins them)."""
    if not isinstance(source, list):
        return source
    try:
        return "".join(source)
    except TypeError:  # not all strings
        return "".join(map(str, source))


@_reused
def _markdown_answers(source: str) -> tuple[int, ...]:
    """The questions a markdown cell answers, outside code (`answer(7, "B")` in backticks is an example)."""
    prose = _CODE_IN_MARKDOWN.sub("", folded(source))
    return tuple(int(m[1]) for m in _MARKDOWN_ANSWER.finditer(prose))


def read_answers(path: Path, label: str, max_bytes: int) -> FileAnswers:
    """Everything about ``answer`` in the notebook at ``path`` (never executed; links not followed)."""
    with _collector_paused():
        return _read(path, label, max_bytes)


def _read(path: Path, label: str, max_bytes: int) -> FileAnswers:
    found = FileAnswers()
    raw = _load(path, label, max_bytes, found)
    cells = _cells(raw, label, found) if raw is not None else None
    for index, cell in enumerate(cells or ()):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown"):
            continue
        source = _joined(cell.get("source", ""))
        if isinstance(source, str) and not mentions_answer(source):
            continue
        where = f"{label} cell {index + 1}"
        if not isinstance(source, str):
            found.warnings.append(f"{where}: malformed source; skipped.")
        elif cell["cell_type"] == "markdown":
            found.markdown += [(number, where) for number in _markdown_answers(source)]
        else:
            scan_code_cell(source, where, found)
    return found
