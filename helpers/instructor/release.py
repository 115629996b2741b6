"""Build the student version of the bundle into a folder, and check that no answer key leaked into it.

What the release holds (a whitelist, so new instructor files stay out by default):

- ``notebooks/``: every file; notebooks with outputs, execution counts and run metadata stripped, and
  cells tagged ``instructor`` removed (tag a cell so to keep evidence or solutions out of the release);
- ``helpers/``: the package, without its instructor folder ``helpers/instructor/`` (grading, this file,
  the keys and their derivation); ``python -m helpers`` skips commands whose module is absent;
- ``data/``: everything except ``data/keys/`` (answer keys) and ``data/cache/`` (generated, large);
- the top-level README, LICENSE, requirements.txt, environment.yml, pyproject.toml, Makefile, .gitignore;
  README and Makefile as the student's (``write_student_docs``): the Makefile keeps the targets whose
  recipes the release can run (a target goes when its recipe calls a ``python -m helpers`` command whose
  module the release lacks, runs pytest or names ``tests``; so does a target that depends on a dropped
  one, and one that only dropped targets depend on, ``test-setup``). The README loses its "For
  instructors" section, and elsewhere every table row, paragraph, code line or layout line that mentions
  a dropped ``make`` target, a missing command, pytest or a folder the release lacks (a code block that
  loses all its commands takes its introducing "...:" paragraph and a following "(...)" remark along).

With ``wheel=True`` (the command's default) the release also holds the student wheel,
``wheel/hw9_xai-<version>-py3-none-any.whl``, built from the release folder itself
(``helpers.bundle.wheel``): what Colab and Kaggle install from the notebooks' setup cell.

Tests, CI files and build outputs are not copied. After copying, every file is scanned (``find_leaks``):
key files or key-shaped JSON, the verbatim text of any key in ``data/keys/``, a run of question/answer
pairs that agrees with a key (``answer(3, "B")``, ``3: "B"``, ``"3": {"answer": "B"``, ``Q3 = B``),
notebooks with outputs, cells tagged ``instructor``, or instructor modules. The wheel is opened and checked the same
way (its files unpacked and scanned, no instructor module or key inside). Any finding fails the build
and nothing is left at OUT_DIR. The folder is built beside OUT_DIR and moved into place only when clean.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import paths
from helpers.instructor.keys import letters, normalize, read_keys

#: Instructor-only: the whole subpackage (grading, this file, the keys and their derivation).
INSTRUCTOR_PACKAGE = "instructor"
INSTRUCTOR_TAG = "instructor"
TOP_LEVEL_FILES = (
    "README.md",
    "LICENSE",
    "LICENSE.md",
    "requirements.txt",
    "environment.yml",
    "pyproject.toml",
    "Makefile",
    ".gitignore",
)
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


def build_release(
    out_dir: Path,
    root: Path = paths.ROOT,
    force: bool = False,
    extra_keys: Sequence[dict[str, Any]] = (),
    wheel: bool = False,
) -> list[Path]:
    """Build the student bundle at ``out_dir``; raise ReleaseError (and leave nothing) on any leak.

    Keys to look for: every ``data/keys/*.json`` under ``root`` plus ``extra_keys`` (key-file dicts).
    With ``wheel``, also build the student wheel into ``out_dir/wheel/`` and check it.
    """
    root, out_dir = Path(root).resolve(), Path(out_dir).resolve()
    sources = [(root / part).resolve() for part in ("notebooks", "helpers", "data")]
    if out_dir == root or out_dir in root.parents or any(s in (out_dir, *out_dir.parents) for s in sources):
        raise ReleaseError(f"OUT_DIR {out_dir} overlaps the bundle's own files; choose e.g. dist/student.")
    if out_dir.exists():
        if not force:
            raise ReleaseError(f"{out_dir} already exists; pass --force to replace it.")
        if not (out_dir / MARKER).is_file():
            raise ReleaseError(
                f"{out_dir} exists and is not a release built by this command (no "
                f"{MARKER}); remove it yourself or choose another folder."
            )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.building-"))
    try:
        copy_bundle(root, staging)
        write_student_docs(root, staging)
        (staging / MARKER).write_text("Student release of hw9-xai, built by `python -m helpers release`.\n")
        keys = [*read_keys(root / "data" / "keys"), *extra_keys]
        leaks = find_leaks(staging, keys)
        if leaks:
            raise ReleaseError(
                "answer material found in the student release; nothing was written to "
                f"{out_dir}:\n" + "\n".join(f"  - {leak}" for leak in leaks)
            )
        if wheel:
            add_wheel(staging, keys)
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            os.replace(out_dir, old)
            shutil.rmtree(old)
        os.replace(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return sorted(p for p in out_dir.rglob("*") if p.is_file())


def add_wheel(tree: Path, keys: Sequence[dict[str, Any]]) -> Path:
    """Build the student wheel from the release folder ``tree`` into ``tree/wheel/``; open it and raise
    ReleaseError if it holds an instructor module or answer material, or lacks the lessons' data."""
    import zipfile

    from helpers.bundle.wheel import WheelError, build_wheel, wheel_problems

    try:
        built = build_wheel(tree, tree / "wheel")
    except WheelError as err:
        raise ReleaseError(str(err)) from err
    problems = wheel_problems(built)
    with tempfile.TemporaryDirectory(prefix="hw9-wheel-check-") as unpacked:
        with zipfile.ZipFile(built) as archive:
            archive.extractall(unpacked)
        problems += [f"{built.name}: {leak}" for leak in find_leaks(Path(unpacked), keys)]
    if problems:
        raise ReleaseError("the student wheel is not clean:\n" + "\n".join(f"  - {p}" for p in problems))
    return built


# ---------------------------------------------------------------------------------------------------
# The student's README and Makefile


#: README sections (``## <heading>``) that are for instructors only.
INSTRUCTOR_SECTIONS = ("For instructors",)
_RULE = re.compile(r"^(?P<targets>[A-Za-z0-9_.\-$()/ ]+?)\s*:(?![=])\s*(?P<prereqs>[^#;]*)")
_HELPERS_COMMAND = re.compile(r"-m helpers ([a-z][\w-]*)")
_MAKE_TARGET = re.compile(r"\bmake ([a-z][\w-]*)")
_PYTEST = re.compile(r"(?<![\w./-])pytest(?![\w-])")
#: In a recipe: the test folder as an argument (``ruff check helpers tests``).
_TESTS_ARGUMENT = re.compile(r"(?<![\w/.-])tests\b")


@dataclass
class _Rule:
    targets: list[str]
    prereqs: list[str]
    lines: list[str] = field(default_factory=list)


def _blocks(text: str) -> list[_Rule | str]:
    """A Makefile as rules (header and recipe lines) and other lines, in order."""
    out: list[_Rule | str] = []
    for line in text.splitlines():
        match = _RULE.match(line)
        if match and not line.startswith(("\t", ".PHONY")) and "=" not in match["targets"]:
            out.append(_Rule(match["targets"].split(), match["prereqs"].split(), [line]))
        elif line.startswith("\t") and out and isinstance(out[-1], _Rule):
            out[-1].lines.append(line)
        else:
            out.append(line)
    return out


def released_commands(tree: Path) -> set[str]:
    """The ``python -m helpers`` commands whose module is in ``tree``."""
    from helpers.__main__ import COMMANDS

    def present(module: str) -> bool:
        base = tree.joinpath(*module.split("."))
        return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()

    return {name for name, (module, _) in COMMANDS.items() if present(module)}


def needs_missing(text: str, commands: set[str], dropped_targets: set[str] = frozenset(), recipe: bool = False) -> bool:
    """Whether ``text`` runs something the release lacks: a helpers command, pytest, a dropped make target,
    or (in a ``recipe``) the tests folder."""
    from helpers.__main__ import COMMANDS

    if any(c in COMMANDS and c not in commands for c in _HELPERS_COMMAND.findall(text)):
        return True
    if _PYTEST.search(text) or (recipe and _TESTS_ARGUMENT.search(text)):
        return True
    return any(t in dropped_targets for t in _MAKE_TARGET.findall(text))


def student_makefile(text: str, commands: set[str]) -> tuple[str, set[str]]:
    """The Makefile with only runnable targets, and the set of targets dropped."""
    blocks = _blocks(text)
    rules = [b for b in blocks if isinstance(b, _Rule)]
    dropped = {t for r in rules if needs_missing("\n".join(r.lines[1:]), commands, recipe=True) for t in r.targets}
    while True:
        grown = set(dropped)
        for rule in rules:
            users = [r for r in rules if set(rule.targets) & set(r.prereqs)]
            if set(rule.prereqs) & dropped or (users and all(set(u.targets) <= dropped for u in users)):
                grown |= set(rule.targets)
        if grown == dropped:
            break
        dropped = grown
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, _Rule):
            lines += [] if set(block.targets) <= dropped else block.lines
        elif block.startswith("#") and needs_missing(block, commands, dropped):
            continue  # a comment about a dropped target
        elif block.startswith(".PHONY:"):
            lines.append(" ".join([".PHONY:", *(t for t in block.split()[1:] if t not in dropped)]))
        elif not (lines and not lines[-1].strip() and not block.strip()):  # no double blank lines
            lines.append(block)
    return "\n".join(lines).rstrip("\n") + "\n", dropped


def _paragraphs(section: str) -> list[str]:
    """Blocks of a README section: paragraphs, and fenced code blocks as one block each."""
    blocks, current, fenced = [], [], False
    for line in section.split("\n"):
        if line.strip().startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _filter_code(block: str, bad: Callable[[str], bool], tree: Path) -> str | None:
    """A code block without its lines that need what is missing (and layout lines of absent folders)."""
    lines = block.split("\n")
    kept: list[str] = []
    skipping = False
    for line in lines[1:-1]:
        first = line.split()[0] if line.split() else ""
        absent_path = first.endswith("/") and not line[:1].isspace() and not (tree / first).exists()
        if absent_path or bad(line):
            skipping = True
            continue
        if skipping and line[:1].isspace() and line.strip():  # the dropped line's continuation
            continue
        skipping = False
        kept.append(line)
    if not any(line.strip() for line in kept):
        return None
    return "\n".join([lines[0], *kept, lines[-1]])


def _filter_section(section: str, bad: Callable[[str], bool], tree: Path) -> str:
    blocks = _paragraphs(section)
    out: list[str | None] = []
    for block in blocks:
        if block.startswith("```") or block.lstrip().startswith("```"):
            filtered = _filter_code(block, bad, tree)
            if filtered is None:
                if out and out[-1] and out[-1].rstrip().endswith(":"):
                    out[-1] = None
                out.append("")  # marks the dropped block: a following "(...)" remark goes too
                continue
            out.append(filtered)
        elif out and out[-1] == "" and block.lstrip().startswith("("):
            continue
        elif block.lstrip().startswith("|"):
            out.append("\n".join(row for row in block.split("\n") if not bad(row)))
        else:
            out.append(None if bad(block) else block)
    return "\n\n".join(b for b in out if b)


def student_readme(text: str, commands: set[str], dropped_targets: set[str], tree: Path) -> str:
    """The README without instructor sections and without anything the release cannot run."""

    def bad(chunk: str) -> bool:
        return needs_missing(chunk, commands, dropped_targets)

    sections = re.split(r"(?m)^(?=## )", text)
    kept = []
    for section in sections:
        heading = section.split("\n", 1)[0]
        if heading.startswith("## ") and heading[3:].strip() in INSTRUCTOR_SECTIONS:
            continue
        filtered = _filter_section(section, bad, tree)
        if filtered.strip() and not (filtered.startswith("## ") and "\n" not in filtered.strip()):
            kept.append(filtered)
    return "\n\n".join(kept).rstrip("\n") + "\n"


def write_student_docs(root: Path, tree: Path) -> None:
    """Replace ``tree``'s copied README.md and Makefile with the student versions made from ``root``'s."""
    commands = released_commands(tree)
    dropped: set[str] = set()
    if (root / "Makefile").is_file():
        makefile, dropped = student_makefile((root / "Makefile").read_text(encoding="utf-8"), commands)
        (tree / "Makefile").write_text(makefile, encoding="utf-8")
    if (root / "README.md").is_file():
        readme = student_readme((root / "README.md").read_text(encoding="utf-8"), commands, dropped, tree)
        (tree / "README.md").write_text(readme, encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# Checking


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
            picked = normalize(match.group(2))
            if picked:
                found.setdefault(int(match.group(1)), set()).add(picked)
    return found


def find_leaks(folder: Path, keys: Sequence[dict[str, Any]] = ()) -> list[str]:
    """Problems in a release folder: one line per finding, naming the file (empty list: clean)."""
    folder = Path(folder)
    problems: list[str] = []
    verbatim = [(k["_name"], k["_text"].strip()) for k in keys if k.get("_text", b"").strip()]
    answer_sets = [(k.get("_name") or k.get("dataset", "key"), letters(k)) for k in keys]
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
                problems.append(
                    f"{rel}: {len(agree)} question/answer pairs agree with key {name} (questions {listed})."
                )
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
        files = build_release(out_dir, force=args.force, wheel=not args.no_wheel)
    except ReleaseError as err:
        print(f"error: {err}")
        return 1
    if not read_keys(paths.DATA / "keys"):
        print("note: data/keys/ holds no key yet, so only key-shaped files were looked for.")
    print(f"built the student release in {out_dir}: {len(files)} files, checked: no answer key inside.")
    for wheel in (p for p in files if p.suffix == ".whl"):
        print(f"student wheel: {wheel} ({wheel.stat().st_size / 1e6:.1f} MB), checked the same way.")
    return 0


def register(subparsers: Any) -> None:
    doc = __doc__ or ""
    parser = subparsers.add_parser(
        "release",
        help="build the student version of the bundle (instructors)",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: python -m helpers release dist/student --force",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to build (e.g. dist/student)")
    parser.add_argument("--force", action="store_true", help="replace an earlier release in OUT_DIR")
    parser.add_argument("--no-wheel", action="store_true", help="do not build the student wheel into OUT_DIR/wheel/")
    parser.add_argument(
        "--check", action="store_true", help="only scan an existing OUT_DIR for leaked keys and outputs; build nothing"
    )
    parser.set_defaults(func=_main)
