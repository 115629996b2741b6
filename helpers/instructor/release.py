"""Build the student version of the bundle into a folder, and check that no answer key leaked into it.

What the release holds (a whitelist, so new instructor files stay out by default):

- ``notebooks/``: every file; notebooks with outputs, execution counts and run metadata stripped, and
  cells tagged ``instructor`` removed (tag a cell so to keep evidence or solutions out of the release);
- ``helpers/``: the package, without its instructor folder ``helpers/instructor/`` (grading, this file,
  the keys and their derivation); ``python -m helpers`` skips commands whose module is absent;
- ``data/``: everything except ``data/keys/`` (answer keys) and ``data/cache/`` (generated, large);
- the top-level README, LICENSE, requirements.txt, environment.yml, pyproject.toml, Makefile, .gitignore.

Tests, CI files and build outputs are not copied. After copying, every file is scanned (``find_leaks``):
key files or key-shaped JSON, the verbatim text of any key in ``data/keys/``, a run of question/answer
pairs that agrees with a key (``answer(3, "B")``, ``3: "B"``, ``"3": {"answer": "B"``, ``Q3 = B``),
notebooks with outputs, cells tagged ``instructor``, or instructor modules. Any finding fails the build
and nothing is left at OUT_DIR. The folder is built beside OUT_DIR and moved into place only when clean.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from helpers import paths

#: Instructor-only: the whole subpackage (grading, this file, the keys and their derivation).
INSTRUCTOR_PACKAGE = "instructor"
INSTRUCTOR_TAG = "instructor"
TOP_LEVEL_FILES = ("README.md", "LICENSE", "LICENSE.md", "requirements.txt", "environment.yml",
                   "pyproject.toml", "Makefile", ".gitignore")
EXCLUDED_DATA = ("keys", "cache")
MARKER = ".hw9-student-release"
#: A file is a leak when at least this many of the question/answer pairs in it agree with a key ...
MIN_MATCHES = 3
#: ... and they are at least this share of the pairs found (a few examples in prose stay allowed).
MIN_SHARE = 0.75

_PAIR_PATTERNS = (
    re.compile(r"""answer\(\s*(\d+)\s*,\s*(?:letters\s*=\s*)?["']([A-Za-z ,]*)["']"""),
    re.compile(r"""["']?(\d+)["']?\s*:\s*\{[^{}]*?["']answer["']\s*:\s*["']([A-Za-z]+)["']"""),
    re.compile(r"""(?<![\w.])["']?(\d+)["']?\s*:\s*["']([A-Za-z]{1,6})["']"""),
    re.compile(r"""\b[Qq](?:uestion)?\s*(\d+)\s*(?:[:=]|->|=>)\s*["']?([A-Za-z]{1,6})\b["']?"""),
)


class ReleaseError(RuntimeError):
    """The release could not be built, or it would leak answers; the message lists what and where."""


# ---------------------------------------------------------------------------------------------------
# Building


def strip_notebook(text: str) -> str:
    """A notebook's JSON without outputs, execution counts, run metadata or ``instructor`` cells."""
    import nbformat

    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    kept = []
    for cell in nb.cells:
        if INSTRUCTOR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for name in ("execution", "papermill", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(name, None)
        kept.append(cell)
    nb.cells = kept
    for name in ("papermill", "widgets", "execution"):
        nb.metadata.pop(name, None)
    return nbformat.writes(nb)


def _files(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in rel):
            yield path


def copy_bundle(root: Path, target: Path) -> list[Path]:
    """Copy the student material from ``root`` into ``target`` (which must be empty); return the copies."""
    copied: list[Path] = []

    def put(source: Path, rel: Path, data: bytes | None = None) -> None:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if data is None:
            shutil.copy2(source, dest)
        else:
            dest.write_bytes(data)
        copied.append(dest)

    for path in _files(root / "notebooks") if (root / "notebooks").is_dir() else ():
        rel = path.relative_to(root)
        if path.suffix == ".ipynb":
            try:
                put(path, rel, strip_notebook(path.read_text(encoding="utf-8")).encode("utf-8"))
            except Exception as err:  # noqa: BLE001 - say which notebook, whatever nbformat raised
                raise ReleaseError(f"{rel}: cannot read the notebook ({err}); fix it, build again.") from err
        else:
            put(path, rel)
    for path in _files(root / "helpers") if (root / "helpers").is_dir() else ():
        rel = path.relative_to(root)
        if rel.parts[1] != INSTRUCTOR_PACKAGE and path.suffix != ".pyc":
            put(path, rel)
    for path in _files(root / "data") if (root / "data").is_dir() else ():
        rel = path.relative_to(root)
        if len(rel.parts) < 3 or rel.parts[1] not in EXCLUDED_DATA:
            put(path, rel)
    for name in TOP_LEVEL_FILES:
        if (root / name).is_file():
            put(root / name, Path(name))
    return copied


def build_release(out_dir: Path, root: Path = paths.ROOT, force: bool = False,
                  extra_keys: Sequence[dict[str, Any]] = ()) -> list[Path]:
    """Build the student bundle at ``out_dir``; raise ReleaseError (and leave nothing) on any leak.

    Keys to look for: every ``data/keys/*.json`` under ``root`` plus ``extra_keys`` (key-file dicts).
    """
    root, out_dir = Path(root).resolve(), Path(out_dir).resolve()
    sources = [(root / part).resolve() for part in ("notebooks", "helpers", "data")]
    if out_dir == root or out_dir in root.parents or any(s in (out_dir, *out_dir.parents) for s in sources):
        raise ReleaseError(f"OUT_DIR {out_dir} overlaps the bundle's own files; choose e.g. dist/student.")
    if out_dir.exists():
        if not force:
            raise ReleaseError(f"{out_dir} already exists; pass --force to replace it.")
        if not (out_dir / MARKER).is_file():
            raise ReleaseError(f"{out_dir} exists and is not a release built by this command (no "
                               f"{MARKER}); remove it yourself or choose another folder.")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.building-"))
    try:
        copy_bundle(root, staging)
        (staging / MARKER).write_text("Student release of hw9-xai, built by `python -m helpers release`.\n")
        keys = [*read_keys(root / "data" / "keys"), *extra_keys]
        leaks = find_leaks(staging, keys)
        if leaks:
            raise ReleaseError("answer material found in the student release; nothing was written to "
                               f"{out_dir}:\n" + "\n".join(f"  - {leak}" for leak in leaks))
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            os.replace(out_dir, old)
            shutil.rmtree(old)
        os.replace(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return sorted(p for p in out_dir.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------------
# Checking


def read_keys(folder: Path) -> list[dict[str, Any]]:
    """Every key file in ``folder`` as raw JSON (unvalidated: a half-written key must still be found)."""
    keys = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raw = {}
        raw = raw if isinstance(raw, dict) else {}
        keys.append({**raw, "_text": path.read_bytes(), "_name": path.name})
    return keys


def _answers(key: dict[str, Any]) -> dict[int, str]:
    entries = key.get("questions", {})
    out = {}
    for number, entry in entries.items() if isinstance(entries, dict) else ():
        letters = entry.get("answer") if isinstance(entry, dict) else entry
        if str(number).isdigit() and isinstance(letters, str) and letters.strip():
            out[int(number)] = _normalize(letters)
    return out


def _normalize(letters: str) -> str:
    return "".join(sorted({ch for ch in letters.upper() if ch.isalpha()}))


def _key_shaped(value: Any) -> bool:
    """True for JSON like {"questions": {"1": {"answer": ...}}} at any depth."""
    if isinstance(value, dict):
        entries = value.get("questions")
        if isinstance(entries, dict) and any(isinstance(e, dict) and "answer" in e for e in entries.values()):
            return True
        return any(_key_shaped(v) for v in value.values())
    if isinstance(value, list):
        return any(_key_shaped(v) for v in value)
    return False


def _pairs(text: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for pattern in _PAIR_PATTERNS:
        for match in pattern.finditer(text):
            letters = _normalize(match.group(2))
            if letters:
                found.setdefault(int(match.group(1)), set()).add(letters)
    return found


def find_leaks(folder: Path, keys: Sequence[dict[str, Any]] = ()) -> list[str]:
    """Problems in a release folder: one line per finding, naming the file (empty list: clean)."""
    folder = Path(folder)
    problems: list[str] = []
    verbatim = [(k["_name"], k["_text"].strip()) for k in keys if k.get("_text", b"").strip()]
    answer_sets = [(k.get("_name") or k.get("dataset", "key"), _answers(k)) for k in keys]
    answer_sets = [(name, a) for name, a in answer_sets if a]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        parts = path.relative_to(folder).parts
        if parts[0] == "data" and len(parts) > 2 and parts[1] == "keys":
            problems.append(f"{rel}: the answer keys folder data/keys/ must not be released.")
        if parts[:2] == ("helpers", INSTRUCTOR_PACKAGE):
            problems.append(f"{rel}: instructor-only module.")
        data = path.read_bytes()
        for name, text in verbatim:
            if text in data:
                problems.append(f"{rel}: contains the text of answer key {name}.")
        if b"\0" in data[:8192]:
            continue  # binary (checkpoints, images): only the verbatim check applies
        text = data.decode("utf-8", errors="replace")
        parsed: Any = None
        if path.suffix in (".json", ".ipynb"):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
            if _key_shaped(parsed):
                problems.append(f"{rel}: JSON shaped like an answer key (questions -> answer).")
        if path.suffix == ".ipynb" and isinstance(parsed, dict):
            problems += _notebook_problems(rel, parsed)
            text = "\n".join(_source(c) for c in parsed.get("cells", []) if isinstance(c, dict))
        pairs = _pairs(text)
        for name, answers in answer_sets:
            asked = [n for n in pairs if n in answers]
            agree = sorted(n for n in asked if answers[n] in pairs[n])
            if len(agree) >= min(MIN_MATCHES, len(answers)) and len(agree) >= MIN_SHARE * len(asked):
                listed = ", ".join(map(str, agree[:10])) + ("..." if len(agree) > 10 else "")
                problems.append(f"{rel}: {len(agree)} question/answer pairs agree with key {name} "
                                f"(questions {listed}).")
    return problems


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _notebook_problems(rel: str, nb: dict[str, Any]) -> list[str]:
    problems = []
    for index, cell in enumerate(nb.get("cells", [])):
        if not isinstance(cell, dict):
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            problems.append(f"{rel} cell {index + 1}: has outputs; the release must be stripped.")
        if INSTRUCTOR_TAG in cell.get("metadata", {}).get("tags", []):
            problems.append(f"{rel} cell {index + 1}: tagged {INSTRUCTOR_TAG!r}.")
    return problems


# ---------------------------------------------------------------------------------------------------
# Command line


def _main(args: argparse.Namespace) -> int:
    out_dir = Path(args.out_dir)
    if args.check:
        if not out_dir.is_dir():
            print(f"error: {out_dir} is not a folder.")
            return 2
        leaks = find_leaks(out_dir, read_keys(paths.DATA / "keys"))
        for leak in leaks:
            print(f"LEAK: {leak}")
        print(f"{out_dir}: {'LEAKS FOUND' if leaks else 'clean'}")
        return 1 if leaks else 0
    try:
        files = build_release(out_dir, force=args.force)
    except ReleaseError as err:
        print(f"error: {err}")
        return 1
    if not read_keys(paths.DATA / "keys"):
        print("note: data/keys/ holds no key yet, so only key-shaped files were looked for.")
    print(f"built the student release in {out_dir}: {len(files)} files, checked: no answer key inside.")
    return 0


def register(subparsers: Any) -> None:
    doc = __doc__ or ""
    parser = subparsers.add_parser(
        "release", help="build the student version of the bundle (instructors)",
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: python -m helpers release dist/student --force")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to build (e.g. dist/student)")
    parser.add_argument("--force", action="store_true", help="replace an earlier release in OUT_DIR")
    parser.add_argument("--check", action="store_true",
                        help="only scan an existing OUT_DIR for leaked keys and outputs; build nothing")
    parser.set_defaults(func=_main)
