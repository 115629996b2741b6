"""Names from the file system (student ids, file names), shown to people and used to name files.

A student id is a name as the file system holds it: Python decodes it with ``os.fsdecode``, which keeps
bytes that are not UTF-8 (a zip written by a latin-1, GBK or Big5 tool) as lone surrogates, so
``os.fsencode`` gives the exact bytes back and two such students stay two. The outputs are UTF-8 text,
which cannot hold a lone surrogate, and a CR, LF or escape character in a name would break a line of a
report or a terminal; so every name is written in one printable form:

- :func:`shown_id`: a byte that is not UTF-8 as ``\\xNN``, a character that does not print as ``\\r``,
  ``\\n``, ``\\t`` or ``\\uNNNN``, and a backslash as ``\\\\`` (so no two ids are shown alike);
- :func:`readable`: the same for a message, backslashes kept as they are (a message is read, not matched);
- :func:`file_stem`: a safe, bounded, unique-making file name part (feedback files).
"""

from __future__ import annotations

import hashlib
import re

#: What a file name part keeps; the rest becomes ``_``.
_FILE_SAFE = re.compile(r"[^\w.\-]+")
#: Bytes of an id kept in a file name: far below the 255-byte limit of a name, with room for the hash.
FILE_STEM_BYTES = 96
_WHITESPACE_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    """One character that does not print, as an escape sequence."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    if char in _WHITESPACE_ESCAPES:
        return _WHITESPACE_ESCAPES[char]
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def readable(text: str) -> str:
    """``text`` with every character that does not print (or cannot be written as UTF-8) escaped."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def shown_id(student: str) -> str:
    r"""A student id for people and for the outputs: printable, valid UTF-8, and different for every id.

    ``"caf\udce9"`` (the latin-1 byte 0xE9) -> ``caf\xe9``; ``"s1\rX"`` (a CR) -> ``s1\rX``; an id with
    one backslash, ``a\b``, -> ``a\\b``. Ids that are plain text (nearly all) are shown as they are.
    """
    return readable(student.replace("\\", "\\\\"))


def file_stem(student: str) -> str:
    """A file name for ``student`` without its extension: the id itself where it is a safe name of at most
    :data:`FILE_STEM_BYTES` bytes; otherwise its safe characters (cut to that length) and 8 hex digits of
    a hash of the id, so that different ids get different names (callers still check for clashes)."""
    safe = _FILE_SAFE.sub("_", student).strip(".")
    if safe == student and 0 < len(student.encode("utf-8")) <= FILE_STEM_BYTES:
        return student
    short = safe.encode("utf-8")[:FILE_STEM_BYTES].decode("utf-8", "ignore")  # whole characters only
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{short or 'student'}-{digest}"
