"""Get the real Food-11 photos: ``python -m helpers fetch food11 --from URL_OR_ARCHIVE``.

The course's download links are dead, so the student brings the archive: a URL (downloaded with HTTP
Range resume into a ``.part`` file, retried when the connection breaks, sha256-checked when
``--sha256`` is given) or a local zip / tar(.gz) file. The archive is checked before anything is
written (no absolute paths, no ``..``, no links, no member that would inflate far beyond a photo), unpacked
into a temporary folder beside the target and only then moved in, so a failure never leaves half a data
set and never touches the user's own files.

Layouts understood (the split folders are found at any depth, so a top folder such as ``food-11/`` or
an older copy's ``training/labeled/00/`` is fine; images are flattened into their split):

    <anything>/training/.../<label>_<n>.jpg         -> <target>/training/<label>_<n>.jpg  (the course's copy)
    <anything>/training/<Class name>/.../<any>.jpg  -> <target>/training/<label>_<k>.jpg  (Kaggle's
                                                        food11-image-dataset; k = 0, 1, ... per class)
    the same for validation/ and evaluation/
    <anything>/food/<label>_<n>.jpg                 -> <target>/food/   (the course's ten observed images)

Class names are matched whatever their spelling ("Dairy product", "dairy_product", "Noodles-Pasta",
``Noodles/Pasta/``, "Vegetable-Fruit"). Folders named train/, val(id)/, test(ing)/ or eval/ count as
training/, validation/, evaluation/. Files under an ``unlabeled/`` folder, in folders that are no class,
or that are no .jpg/.jpeg/.png are left out and reported by folder. An archive without split folders,
of one folder of ``<label>_<n>.jpg`` files or of class folders (a few photos of your own), is taken as
the ``food/`` folder.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import stat
import sys
import tarfile
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, NamedTuple

from tqdm import tqdm

from helpers import paths
from helpers.bundle.download import FetchError, check_sha256, download, download_name, is_url, sha256_of
from helpers.classes import CLASS_NAMES, IMAGE_SUFFIXES, LABELLED_NAME, find_class, natural_key, split_of

__all__ = ["BadArchive", "FetchError", "Plan", "download", "fetch_food11", "plan_layout", "summary", "unpack"]

#: Where Food-11 is laid out by default (git-ignored).
DEFAULT_TARGET = paths.for_writing(paths.DATA / "food-11")
SPLITS = ("training", "validation", "evaluation", "food")
#: The layouts an archive can be in, as the summary names them.
LAYOUTS = {
    "course": "files named <label>_<n>.jpg in split folders (the course's Food-11)",
    "classes": "class folders (Kaggle's food11-image-dataset, or photos sorted by class)",
    "food": "one folder of <label>_<n>.jpg files (the course's food/ folder)",
}
#: A photo is a few MB at most: a member declaring more is refused before anything is written.
MAX_MEMBER = 50 * 2**20
#: Photos hardly compress: a member, or the archive's images together, inflating more is refused.
MAX_RATIO = 100
_RATIO_FLOOR = 1 << 20  # below a MiB a member cannot do harm, whatever its ratio
_CHUNK = 1 << 16


class BadArchive(FetchError):
    """The file is not a readable zip / tar(.gz) archive (damaged, truncated or something else)."""


# ----------------------------------------------------------------------------------------------------
# Archives: list, check, plan, unpack


@dataclass
class Member:
    """One file of an archive: its name inside the archive and how to read it."""

    name: str
    size: int  # bytes it declares
    open: Callable[[], BinaryIO]
    packed: int | None = None  # compressed bytes (zip); None when the format does not say (tar)


@dataclass
class Plan:
    """Which archive files go where: ``files[split]`` maps a destination name to its member."""

    files: dict[str, dict[str, Member]] = field(default_factory=dict)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (member name, why it was left out)
    notes: list[str] = field(default_factory=list)
    layouts: set[str] = field(default_factory=set)  # values of LAYOUTS recognised

    @property
    def size(self) -> int:
        return sum(m.size for split in self.files.values() for m in split.values())


def _unsafe(name: str, why: str, archive: Path) -> BadArchive:
    return BadArchive(
        f"unsafe archive {archive.name}: member {name!r} {why}. Nothing was unpacked. A Food-11 archive "
        "holds only plain files under relative paths; get the archive from a source you trust."
    )


def _checked_parts(name: str, archive: Path) -> tuple[str, ...]:
    """The path parts of an archive member name, refusing absolute paths and '..'."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or re.match(r"^[A-Za-z]:", clean):
        raise _unsafe(name, "has an absolute path", archive)
    parts = tuple(p for p in clean.split("/") if p not in ("", "."))
    if ".." in parts:
        raise _unsafe(name, "climbs out of the target folder with '..'", archive)
    return parts


def _zip_members(archive: Path, zf: zipfile.ZipFile) -> Iterator[tuple[str, Member]]:
    for info in zf.infolist():
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind == stat.S_IFLNK:
            target = zf.read(info).decode(errors="replace")
            raise _unsafe(info.filename, f"is a symbolic link (to {target!r})", archive)
        _checked_parts(info.filename, archive)
        if info.is_dir():
            continue
        yield info.filename, Member(info.filename, info.file_size, lambda info=info: zf.open(info), info.compress_size)


def _tar_members(archive: Path, tf: tarfile.TarFile) -> Iterator[tuple[str, Member]]:
    for info in tf.getmembers():
        if info.issym() or info.islnk():
            raise _unsafe(info.name, f"is a link (to {info.linkname!r})", archive)
        _checked_parts(info.name, archive)
        if info.isdir():
            continue
        if not info.isfile():
            raise _unsafe(info.name, "is a device or pipe, not a plain file", archive)
        yield info.name, Member(info.name, info.size, lambda info=info: tf.extractfile(info))


def _not_an_archive(archive: Path) -> BadArchive:
    with open(archive, "rb") as f:
        head = f.read(512)
    if head.startswith(b"PK"):
        what = (
            "it starts like a zip but its table of contents is missing: the file is truncated "
            "(an interrupted download?) or damaged"
        )
    elif head.lstrip().lower().startswith((b"<!doctype", b"<html", b"<")):
        what = (
            "it is a web page, not an archive: the link probably leads to a login or "
            "'confirm download' page; download the archive in a browser and pass the file"
        )
    elif head.startswith(b"\x1f\x8b"):
        what = "it is gzip-compressed but not a complete tar archive (truncated or damaged)"
    else:
        what = "it is neither a zip nor a tar(.gz) archive"
    return BadArchive(f"cannot unpack {archive}: {what}.")


class Archive:
    """A zip or tar(.gz) file opened for reading, whatever its name says (context manager)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        try:
            if zipfile.is_zipfile(path):
                self._zip = zipfile.ZipFile(path)
            elif tarfile.is_tarfile(path):
                self._tar = tarfile.open(path, "r:*")
            else:
                raise _not_an_archive(path)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError) as err:
            raise _not_an_archive(path) from err

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        (self._zip or self._tar).close()

    def members(self) -> list[tuple[str, Member]]:
        """Every plain file, after checking that no member is unsafe (raises FetchError if one is)."""
        try:
            if self._zip is not None:
                return list(_zip_members(self.path, self._zip))
            members = list(_tar_members(self.path, self._tar))
            # Damage inside a compressed tar can look like an early end of the archive, with the later
            # members silently missing; reading the stream to its end makes gzip/bz2/xz check it whole.
            while self._tar.fileobj.read(_CHUNK * 16):
                pass
            return members
        except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
            raise _corrupt(self.path, err) from err


def _corrupt(archive: Path, err: BaseException) -> BadArchive:
    return BadArchive(
        f"{archive} is damaged or truncated ({type(err).__name__}: {err}). Nothing was laid out. "
        "Get the archive again (an interrupted or corrupted transfer is the usual cause)."
    )


def plan_layout(archive: Archive) -> Plan:
    """Decide where each image of the archive goes (see the module docstring); refuse bombs before writing."""
    plan = Plan()
    found: list[_Found] = []
    for name, member in archive.members():
        item = _classify(_checked_parts(name, archive.path), member)
        if isinstance(item, str):
            plan.ignored.append((name, item))
        elif item is not None:
            found.append(item)
    in_splits = [f for f in found if f.split is not None]
    loose = [f for f in found if f.split is None]
    roots = {f.root for f in loose}
    if loose and not in_splits and len(roots) == 1:
        where = "/".join(*roots) or "the archive's top level"
        plan.notes.append(
            f"no training/validation/evaluation/food folder found: the {len(loose)} images "
            f"of {where} were laid out as food/"
        )
        in_splits = [_Found("food", *f[1:]) for f in loose]
    else:
        plan.ignored += [
            (f.member.name, "outside a training/, validation/, evaluation/ or food/ folder") for f in loose
        ]
    _place(plan, in_splits, archive.path)
    if not plan.files:
        folders = sorted({n.rsplit("/", 1)[0] + "/" for n, _ in plan.ignored if "/" in n})[:8]
        raise FetchError(
            f"{archive.path.name} holds no Food-11 images: neither files named '<label>_<number>.jpg' nor class "
            f"folders ({', '.join(CLASS_NAMES)}; any spelling) in a training/, validation/, evaluation/ or food/ "
            f"folder. Folders found: {', '.join(folders) or 'none'}. Is it Food-11 (or the course's food/ folder)?"
        )
    labels = {int(LABELLED_NAME.match(b)[1]) for split in plan.files.values() for b in split}
    wrong = sorted(b for b in labels if b >= len(CLASS_NAMES))
    if wrong:
        raise FetchError(
            f"{archive.path.name} has labels {wrong[:5]}, but Food-11 has classes "
            f"0..{len(CLASS_NAMES) - 1}; is it the Food-11 archive?"
        )
    _refuse_bombs(plan, archive.path)
    return plan


class _Found(NamedTuple):
    """An image of the archive: its split (None: outside any), label, layout, sort key and member."""

    split: str | None
    label: int
    layout: str  # "course" (named <label>_<n>.jpg) or "classes" (in a class folder)
    key: tuple  # order within its class: the file name, or the path below the split, digits by value
    root: tuple[str, ...]  # the folder that holds it (course) or its class folder (classes)
    member: Member


def _classify(parts: tuple[str, ...], member: Member) -> _Found | str | None:
    """Where one archive file belongs: a _Found, the reason it is left out, or None for hidden files."""
    base, folders = parts[-1], parts[:-1]
    if any(p.startswith(".") or p.lower() == "__macosx" for p in parts):
        return None  # macOS resource forks and hidden files
    if PurePosixPath(base).suffix.lower() not in IMAGE_SUFFIXES:
        return "not a .jpg, .jpeg or .png image"
    if any(f.lower() in ("unlabeled", "unlabelled") for f in folders):
        return "in an unlabeled/ folder (images without a class)"
    at = next((i for i in range(len(folders) - 1, -1, -1) if split_of(folders[i])), None)
    split = None if at is None else split_of(folders[at])
    below = folders if at is None else folders[at + 1 :]
    start = 0 if at is None else at + 1
    in_class = find_class(below)
    if in_class is not None:
        label, position = in_class
        key = natural_key("/".join(parts[start:]))
        return _Found(split, label, "classes", key, folders[: start + position], member)
    match = LABELLED_NAME.match(base)
    if match is not None:
        return _Found(split, int(match[1]), "course", natural_key(base), folders, member)
    if below:
        return f"folder {below[-1]!r} is no Food-11 class ({', '.join(CLASS_NAMES)}; any spelling)"
    return "not named '<label>_<number>.jpg' and not in a class folder"


def _place(plan: Plan, found: list[_Found], archive: Path) -> None:
    """Destination names: a course-named file keeps its name; class-folder images become
    ``<label>_<n><ext>``, numbered 0, 1, ... per split and class in the order of their paths."""
    numbered: Counter[tuple[str, int]] = Counter()
    for item in sorted(found, key=lambda f: (f.split, f.label, f.layout, f.key)):
        plan.layouts.add(LAYOUTS["food" if item.split == "food" and item.layout == "course" else item.layout])
        base = PurePosixPath(item.member.name).name
        if item.layout == "classes":
            base = f"{item.label}_{numbered[item.split, item.label]}{PurePosixPath(base).suffix.lower()}"
            numbered[item.split, item.label] += 1
        _add(plan, item.split, base, item.member, archive)


def _add(plan: Plan, split: str, base: str, member: Member, archive: Path) -> None:
    files = plan.files.setdefault(split, {})
    if base in files:
        raise FetchError(
            f"{archive.name} has two files that would both become {split}/{base}: {files[base].name!r} "
            f"and {member.name!r}. Remove the duplicate copy from the archive (or unpack it yourself and "
            "keep one)."
        )
    files[base] = member


def _refuse_bombs(plan: Plan, archive: Path) -> None:
    """Refuse, before anything is written, members (or an archive) that inflate far beyond what photos do."""

    def refuse(why: str) -> BadArchive:
        return BadArchive(
            f"refused {archive.name}: {why}. Food-11 photos are a few hundred kB each and hardly "
            "compress, so this is a decompression bomb or not Food-11. Nothing was unpacked."
        )

    for member in (m for split in plan.files.values() for m in split.values()):
        if member.size > MAX_MEMBER:
            raise refuse(
                f"member {member.name!r} declares {member.size / 2**20:,.0f} MB (more than {MAX_MEMBER // 2**20} MB)"
            )
        if member.packed is not None and member.size > max(MAX_RATIO * member.packed, _RATIO_FLOOR):
            raise refuse(
                f"member {member.name!r} inflates {member.size / max(member.packed, 1):,.0f}:1 "
                f"({member.packed:,} bytes to {member.size:,}; more than {MAX_RATIO}:1)"
            )
    packed = archive.stat().st_size
    if plan.size > max(MAX_RATIO * packed, _RATIO_FLOOR):
        raise refuse(
            f"its images inflate {plan.size / packed:,.0f}:1 ({packed:,} bytes to {plan.size:,}; "
            f"more than {MAX_RATIO}:1)"
        )


def _check_target(target: Path, splits: list[str], force: bool, note: str = "") -> None:
    if target.exists() and not target.is_dir():
        raise FetchError(f"the target {target} is a file, not a folder; choose another with --to DIR.")
    for split in splits:
        folder = target / split
        if folder.exists() and not folder.is_dir():
            raise FetchError(f"{folder} is a file; move it away or choose another target with --to DIR.")
        if not force and folder.is_dir() and any(folder.iterdir()):
            raise FetchError(
                f"{folder} already holds files, and fetch never overwrites them. Nothing was changed. "
                "Use it as it is, choose another place with --to DIR, or pass --force to add the archive's "
                f"images (same-named images are replaced; other files are kept).{note}"
            )


def _check_space(target: Path, needed: int) -> None:
    existing = next(p for p in (target, *target.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if needed > free:
        raise FetchError(
            f"unpacking needs {needed / 2**30:.2f} GiB but only {free / 2**30:.2f} GiB are free "
            f"at {existing}; free some space or choose another place with --to DIR."
        )


def copy_member(member: Member, dest: Path, archive: Path) -> int:
    """Write one member to ``dest``; stop with a BadArchive as soon as it yields more bytes than it declares."""
    written = 0
    with member.open() as src, open(dest, "wb") as dst:
        for block in iter(lambda: src.read(_CHUNK), b""):
            written += len(block)
            if written > member.size:
                raise BadArchive(
                    f"refused {archive.name}: member {member.name!r} inflates past the "
                    f"{member.size:,} bytes it declares (stopped after {written:,}); the archive "
                    "is forged or damaged. Nothing was laid out."
                )
            dst.write(block)
    return written


def unpack(archive: Archive, plan: Plan, target: Path) -> list[str]:
    """Write the planned images into ``target``; return warnings (e.g. user files kept beside them).

    The images are first written to a temporary folder beside ``target``; a split folder that does not
    exist yet is then moved in whole (one rename), an existing one (allowed by ``--force``) receives the
    files one by one. Nothing outside the planned split folders is ever touched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    warnings = []
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-unpacking-", dir=target.parent))
    try:
        with tqdm(total=sum(len(f) for f in plan.files.values()), unit="file", desc="unpacking") as bar:
            for split, files in plan.files.items():
                (staging / split).mkdir()
                for base, member in files.items():
                    try:
                        copy_member(member, staging / split / base, archive.path)
                    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, OSError) as err:
                        if isinstance(err, OSError) and err.errno is not None:
                            raise  # a real disk problem (full, permissions): let its own message show
                        raise _corrupt(archive.path, err) from err
                    bar.update()
        target.mkdir(exist_ok=True)
        for split, files in plan.files.items():
            dest = target / split
            if not dest.exists():
                os.replace(staging / split, dest)
                continue
            for base in files:
                os.replace(staging / split / base, dest / base)
            extra = sorted(p.name for p in dest.iterdir() if p.name not in files)
            if extra:
                shown = ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else "")
                warnings.append(
                    f"{dest} also holds {len(extra)} file(s) that are not in the archive and "
                    f"were kept: {shown}. Images among them are read as part of the split; "
                    "move them away if they do not belong."
                )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return warnings


# ----------------------------------------------------------------------------------------------------
# The whole job


def fetch_food11(
    source: str | Path,
    target: Path = DEFAULT_TARGET,
    sha256: str | None = None,
    force: bool = False,
    keep_archive: bool = False,
    downloads: Path | None = None,
    retries: int = 5,
    wait: float = 2.0,
) -> Plan:
    """Get Food-11 (or the course's ``food/`` folder) from a URL or a local archive into ``target``.

    A downloaded archive is kept in ``downloads`` (default ``data/cache/downloads``) until the layout
    succeeded, so a failed or refused run can be repeated without downloading again; it is deleted
    afterwards unless ``keep_archive``. A local archive is never modified or deleted.

    Returns:
        the plan that was carried out (``plan.files[split]`` = the images written there).
    """
    source = str(source).strip()
    if not source:
        raise FetchError("give the archive: --from path/to/food-11.zip (or an http(s) URL to it).")
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise FetchError(
            f"--sha256 {sha256!r} is not a sha256 digest: give its 64 hex digits "
            "(as `sha256sum FILE` prints them), or leave --sha256 out."
        )
    target = Path(target).expanduser().resolve()
    downloaded = None
    if is_url(source):
        downloads = Path(downloads) if downloads else paths.CACHE / "downloads"
        archive_path = downloads / download_name(source)
        if not archive_path.exists():  # refuse before a long download, not after it
            _check_target(
                target,
                list(SPLITS),
                force,
                note=" (Checked before downloading, for every split "
                "folder the archive might hold; an archive of only food/ may need --force here.)",
            )
        if archive_path.exists() and sha256 and sha256_of(archive_path) != sha256.lower():
            print(f"{archive_path} (downloaded before) does not match --sha256; downloading it again")
            archive_path.unlink()
        if archive_path.exists():
            print(f"using the archive downloaded before: {archive_path}")
        else:
            download(source, archive_path, sha256, retries=retries, wait=wait)
        downloaded = archive_path
    else:
        archive_path = Path(source).expanduser()
        if not archive_path.is_file():
            raise FetchError(
                f"{archive_path} is not a file (nor an http(s) URL). Give the path to the "
                "Food-11 zip or tar.gz, or a URL to it."
            )
        check_sha256(archive_path, sha256, delete_if_wrong=False)
    try:
        with Archive(archive_path) as archive:
            plan = plan_layout(archive)
            _check_target(target, list(plan.files), force)
            _check_space(target, plan.size)
            plan.notes += unpack(archive, plan, target)
    except BadArchive as err:
        if downloaded is not None and downloaded.exists():
            downloaded.unlink()  # a bad download is of no use; the next run fetches it again
            raise BadArchive(f"{err} The downloaded copy was deleted.") from None
        raise
    if downloaded is not None and not keep_archive:
        downloaded.unlink()
    return plan


def summary(target: Path, plan: Plan) -> str:
    """Layout recognised, images per split and per class, what was left out, and the parameters to use."""
    splits = [s for s in SPLITS if s in plan.files]
    counts = {s: Counter(int(LABELLED_NAME.match(b)[1]) for b in plan.files[s]) for s in splits}
    lines = [
        f"Food-11 laid out in {target}",
        *(f"  layout recognised: {name}" for name in sorted(plan.layouts)),
        f"  {'class':18s}" + "".join(f"{s:>12s}" for s in splits),
    ]
    for label, name in enumerate(CLASS_NAMES):
        lines.append(f"  {label:2d} {name:15s}" + "".join(f"{counts[s][label]:12d}" for s in splits))
    lines.append(f"  {'total':18s}" + "".join(f"{sum(counts[s].values()):12d}" for s in splits))
    lines += [f"note: {n}" for n in plan.notes]
    if plan.ignored:
        lines.append(f"left out {len(plan.ignored)} archive file(s):")
        groups = Counter((str(PurePosixPath(name).parent) + "/", why) for name, why in plan.ignored)
        lines += [f"  {folder} ({n} file(s)): {why}" for (folder, why), n in sorted(groups.items())[:12]]
        if len(groups) > 12:
            lines.append(f"  ... and {len(groups) - 12} more folder(s)")
    lines.append("Use it:")
    observed = "food" if "food" in splits else "evaluation" if "evaluation" in splits else splits[0]
    lines.append(f'  notebooks (parameters cell): data_dir = "{target / observed}"')
    if observed != "food":
        lines += [
            "    (on a whole split the notebooks observe the first image of each class; the course's",
            "     ten observed images are its food/ folder: fetch its zip the same way)",
        ]
    if "training" in splits and "validation" in splits:
        lines.append(f"  train:    python -m helpers train --data {target}")
    if "validation" in splits or "evaluation" in splits:
        split = "evaluation" if "evaluation" in splits else "validation"
        lines.append(
            f"  evaluate: python -m helpers evaluate --data {target} --split {split} --checkpoint YOUR_CHECKPOINT"
        )
    return "\n".join(lines)


def _fetch_cli(args: argparse.Namespace) -> int:
    target = Path(args.to) if args.to else DEFAULT_TARGET
    try:
        plan = fetch_food11(args.source, target, args.sha256, args.force, args.keep_archive, retries=args.retries)
    except FetchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; a partial download is kept and the same command resumes it.", file=sys.stderr)
        return 130
    print(summary(target.expanduser().resolve(), plan))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``fetch`` command."""
    p = subparsers.add_parser(
        "fetch",
        help="get Food-11 (or the course's food/ folder) from a URL or a local archive",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dataset", choices=["food11"], help="the data set to get")
    p.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URL_OR_ARCHIVE",
        help="http(s) URL of the archive, or the path of a zip / tar(.gz) you have",
    )
    p.add_argument("--to", metavar="DIR", help=f"where to lay it out (default: {DEFAULT_TARGET})")
    p.add_argument("--sha256", metavar="HEX", help="expected sha256 of the archive (checked when given)")
    p.add_argument(
        "--force",
        action="store_true",
        help="add to split folders that already hold files (same-named images are replaced, nothing is deleted)",
    )
    p.add_argument(
        "--keep-archive", action="store_true", help="keep a downloaded archive in data/cache/downloads after unpacking"
    )
    p.add_argument(
        "--retries",
        type=int,
        default=5,
        help="retries in a row without progress when the connection breaks (default 5)",
    )
    p.set_defaults(func=_fetch_cli)
