"""``python -m helpers fetch``: download (resume, checksum, errors), safe unpacking, Food-11 layout.

Downloads are tested against an HTTP server started here on 127.0.0.1 that serves generated archives,
honours Range requests and can be told to cut a transfer halfway once.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import paths
from helpers.__main__ import main
from helpers.bundle import fetch
from helpers.bundle.fetch import BadArchive, FetchError, download, fetch_food11
from helpers.data import CLASS_NAMES, FoodDataset

#: Images per class generated in each split of the test archive.
PER_CLASS = {"training": 2, "validation": 1, "evaluation": 1}
COURSE_FOOD = ["0_0", "1_1", "1_2", "2_3", "2_4", "3_5", "5_6", "6_7", "8_8", "9_9"]


def jpeg(seed: int) -> bytes:
    """A tiny random JPEG (random pixels compress badly, so archives are a few tens of kB)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=90)
    return out.getvalue()


def food11_members(prefix: str = "food-11/") -> dict[str, bytes]:
    """Archive member name -> bytes for a small Food-11-layout data set."""
    members, seed = {}, 0
    for split, count in PER_CLASS.items():
        for label in range(len(CLASS_NAMES)):
            for n in range(count):
                seed += 1
                members[f"{prefix}{split}/{label}_{n}.jpg"] = jpeg(seed)
    return members


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def make_targz(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, to in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, to
            tf.addfile(info)
    return out.getvalue()


@pytest.fixture(scope="module")
def food11_zip() -> bytes:
    return make_zip(food11_members(), zipfile.ZIP_DEFLATED)


# ----------------------------------------------------------------------------------------------------
# The local HTTP server


class Served:
    """What the test server hands out and what it saw."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.status: dict[str, int] = {}  # path -> HTTP error status to answer instead
        self.cut_once: set[str] = set()  # paths whose next transfer stops halfway
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)

    def reset(self) -> None:
        self.__init__()


def handler_for(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

        def do_GET(self) -> None:
            served.requests.append((self.path, self.headers.get("Range")))
            if self.path in served.status:
                self.send_error(served.status[self.path])
                return
            body = served.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            start = 0
            asked = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if asked:
                start = int(asked[1])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            payload = body[start:]
            if self.path in served.cut_once:  # announce the whole length, send half, hang up
                served.cut_once.discard(self.path)
                payload = payload[: len(payload) // 2]
            self.wfile.write(payload)
            self.wfile.flush()

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Served]]:
    served = Served()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(served))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def site(server: tuple[str, Served]) -> tuple[str, Served]:
    base, served = server
    served.reset()
    return base, served


def leftovers(folder: Path) -> list[str]:
    """Files (recursively) under ``folder``: to show that a failure left nothing behind."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------------------------------
# Downloads


def test_download_good_archive_lays_out_food11(site, food11_zip: bytes, tmp_path: Path) -> None:
    base, served = site
    served.files["/food-11.zip"] = food11_zip
    target, downloads = tmp_path / "data" / "food-11", tmp_path / "downloads"
    plan = fetch_food11(
        f"{base}/food-11.zip", target, sha256=hashlib.sha256(food11_zip).hexdigest(), downloads=downloads, wait=0
    )
    for split, count in PER_CLASS.items():
        dataset = FoodDataset(target / split)
        assert len(dataset) == count * len(CLASS_NAMES) == len(plan.files[split])
        assert sorted(set(dataset.labels)) == list(range(len(CLASS_NAMES)))
    images, labels = FoodDataset(target / "evaluation").getbatch([0, 5, 10])
    assert images.shape == (3, 3, 128, 128) and labels.tolist() == [0, 5, 10]
    assert leftovers(downloads) == []  # archive removed after a good layout (no --keep-archive)
    assert sorted(p.name for p in target.parent.iterdir()) == ["food-11"]  # no staging folder left


def test_interrupted_download_resumes_with_range(site, food11_zip: bytes, tmp_path: Path) -> None:
    base, served = site
    served.files["/food-11.zip"] = food11_zip
    served.cut_once.add("/food-11.zip")
    dest = download(f"{base}/food-11.zip", tmp_path / "food-11.zip", wait=0)
    ranges = [r for _, r in served.requests]
    assert ranges == [None, f"bytes={len(food11_zip) // 2}-"]  # second request asks only for the rest
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == hashlib.sha256(food11_zip).hexdigest()
    assert not (tmp_path / "food-11.zip.part").exists()


def test_resume_after_an_earlier_run_stopped(site, food11_zip: bytes, tmp_path: Path) -> None:
    """A ``.part`` left by an earlier (killed) run is continued, not downloaded again."""
    base, served = site
    served.files["/food-11.zip"] = food11_zip
    (tmp_path / "food-11.zip.part").write_bytes(food11_zip[:1000])
    dest = download(f"{base}/food-11.zip", tmp_path / "food-11.zip", wait=0)
    assert [r for _, r in served.requests] == ["bytes=1000-"]
    assert dest.read_bytes() == food11_zip


def test_wrong_checksum_is_a_clear_error_and_leaves_nothing(site, food11_zip: bytes, tmp_path: Path) -> None:
    base, served = site
    served.files["/food-11.zip"] = food11_zip
    target, downloads = tmp_path / "food-11", tmp_path / "downloads"
    with pytest.raises(FetchError, match="sha256 mismatch") as err:
        fetch_food11(f"{base}/food-11.zip", target, sha256="ab" * 32, downloads=downloads, wait=0)
    assert hashlib.sha256(food11_zip).hexdigest() in str(err.value)  # says what it got
    assert "ab" * 32 in str(err.value)
    assert not target.exists()
    assert leftovers(downloads) == []


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_corrupt_archive_is_rejected_and_deleted(site, tmp_path: Path, kind: str) -> None:
    base, served = site
    # a stored zip, so the damage lands in image bytes (CRC); in a tar.gz it garbles the stream
    body = bytearray(make_zip(food11_members()) if kind == "zip" else make_targz(food11_members()))
    middle = len(body) // 2
    body[middle : middle + 64] = bytes(64)
    served.files["/food-11.zip"] = bytes(body)
    target, downloads = tmp_path / "food-11", tmp_path / "downloads"
    with pytest.raises(BadArchive, match="damaged or truncated"):
        fetch_food11(f"{base}/food-11.zip", target, downloads=downloads, wait=0)
    assert leftovers(target) == []
    assert leftovers(downloads) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # staging removed


@pytest.mark.parametrize(
    "case, words",
    [
        ("truncated", "truncated"),
        ("html", "web page"),
        ("missing", "HTTP 404"),
        ("forbidden", "HTTP 403"),
        ("unavailable", "failed 3 times in a row"),
    ],
)
def test_bad_sources_give_clear_errors(site, food11_zip: bytes, tmp_path: Path, case: str, words: str) -> None:
    base, served = site
    if case == "truncated":
        served.files["/food-11.zip"] = food11_zip[: len(food11_zip) * 2 // 3]
    elif case == "html":
        served.files["/food-11.zip"] = b"<!DOCTYPE html><html><body>Sign in to download</body></html>"
    elif case == "forbidden":
        served.status["/food-11.zip"] = 403
    elif case == "unavailable":
        served.status["/food-11.zip"] = 503
    with pytest.raises(FetchError, match=words):
        fetch_food11(f"{base}/food-11.zip", tmp_path / "food-11", downloads=tmp_path / "dl", retries=2, wait=0)
    assert not (tmp_path / "food-11").exists()
    if case == "unavailable":
        assert len(served.requests) == 3  # the first try and two retries


# ----------------------------------------------------------------------------------------------------
# Local archives and layouts


def test_local_targz_in_the_older_labeled_layout(tmp_path: Path) -> None:
    members = {}
    for split, count in PER_CLASS.items():
        folder = "training/labeled" if split == "training" else split
        for label in range(len(CLASS_NAMES)):
            for n in range(count):
                members[f"food-11/{folder}/{label:02d}/{label}_{n}.jpg"] = jpeg(label * 10 + n)
    members["food-11/training/unlabeled/00/0_99.jpg"] = jpeg(1)  # no label: must stay out
    members["food-11/README.txt"] = b"Food-11"
    archive = tmp_path / "food-11.tar.gz"
    archive.write_bytes(make_targz(members))
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    plan = fetch_food11(archive, tmp_path / "out", sha256=before)
    training = FoodDataset(tmp_path / "out" / "training")
    assert len(training) == PER_CLASS["training"] * len(CLASS_NAMES)
    assert "0_99.jpg" not in {p.name for p in training.paths}
    assert {"food-11/training/unlabeled/00/0_99.jpg", "food-11/README.txt"} <= {name for name, _ in plan.ignored}
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before  # the user's archive is untouched


@pytest.mark.parametrize("prefix", ["food/", "hw9_data/food/", ""])
def test_archive_of_just_the_course_food_folder(tmp_path: Path, prefix: str) -> None:
    archive = tmp_path / "food.zip"
    archive.write_bytes(make_zip({f"{prefix}{name}.jpg": jpeg(i) for i, name in enumerate(COURSE_FOOD)}))
    target = tmp_path / "food-11"
    fetch_food11(archive, target)
    food = FoodDataset(target / "food")
    assert [p.stem for p in food.paths] == COURSE_FOOD
    assert food.labels == [int(n.split("_")[0]) for n in COURSE_FOOD]
    assert sorted(p.name for p in target.iterdir()) == ["food"]


def test_food_folder_goes_beside_an_existing_food11(tmp_path: Path, food11_zip: bytes) -> None:
    (tmp_path / "food-11.zip").write_bytes(food11_zip)
    food = {f"food/{name}.jpg": jpeg(i) for i, name in enumerate(COURSE_FOOD)}
    (tmp_path / "food.zip").write_bytes(make_zip(food))
    target = tmp_path / "data" / "food-11"
    fetch_food11(tmp_path / "food-11.zip", target)
    fetch_food11(tmp_path / "food.zip", target)  # a different folder: no --force needed
    assert sorted(p.name for p in target.iterdir()) == ["evaluation", "food", "training", "validation"]


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "zip-symlink", "tar-symlink"])
def test_unsafe_archives_are_rejected(tmp_path: Path, kind: str) -> None:
    good = {"food-11/training/0_0.jpg": jpeg(0)}
    if kind == "dotdot":
        data = make_zip({**good, "food-11/../../escaped/0_1.jpg": jpeg(1)})
    elif kind == "absolute":
        data = make_zip({**good, "/tmp/escaped/0_1.jpg": jpeg(1)})
    elif kind == "zip-symlink":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            zf.writestr("food-11/training/0_0.jpg", jpeg(0))
            link = zipfile.ZipInfo("food-11/validation")
            link.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(link, "../../outside")
        data = out.getvalue()
    else:
        data = make_targz(good, links={"food-11/evaluation": "/etc"})
    archive = tmp_path / "evil.archive"
    archive.write_bytes(data)
    with pytest.raises(BadArchive, match="unsafe archive"):
        fetch_food11(archive, tmp_path / "work" / "food-11")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["evil.archive"]  # nothing written anywhere


def test_download_refused_before_it_starts_when_target_has_files(site, food11_zip: bytes, tmp_path: Path) -> None:
    base, served = site
    served.files["/food-11.zip"] = food11_zip
    (tmp_path / "food-11" / "validation").mkdir(parents=True)
    (tmp_path / "food-11" / "validation" / "5_0.jpg").write_bytes(b"my own photo")
    with pytest.raises(FetchError, match="--force"):
        fetch_food11(f"{base}/food-11.zip", tmp_path / "food-11", downloads=tmp_path / "dl", wait=0)
    assert served.requests == []  # no bytes were fetched for nothing
    assert (tmp_path / "food-11" / "validation" / "5_0.jpg").read_bytes() == b"my own photo"


def test_refuses_to_write_into_user_files_unless_forced(tmp_path: Path, food11_zip: bytes) -> None:
    archive = tmp_path / "food-11.zip"
    archive.write_bytes(food11_zip)
    target = tmp_path / "food-11"
    (target / "training").mkdir(parents=True)
    notes = target / "training" / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(FetchError, match="--force"):
        fetch_food11(archive, target)
    assert leftovers(target) == ["training/notes.txt"]  # no other split was written either
    plan = fetch_food11(archive, target, force=True)
    assert notes.read_text() == "mine"
    assert len(list((target / "training").glob("*.jpg"))) == PER_CLASS["training"] * len(CLASS_NAMES)
    assert any("notes.txt" in note for note in plan.notes)  # the kept file is reported


def test_duplicate_destinations_are_an_error(tmp_path: Path) -> None:
    archive = tmp_path / "twice.zip"
    archive.write_bytes(make_zip({"a/training/0_0.jpg": jpeg(0), "b/training/0_0.jpg": jpeg(1)}))
    with pytest.raises(FetchError, match="two files"):
        fetch_food11(archive, tmp_path / "food-11")


# ----------------------------------------------------------------------------------------------------
# Command line


def test_cli_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "fetch", "--help"],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "--from" in result.stdout and "food11" in result.stdout and "--sha256" in result.stdout


def test_cli_fetch_prints_counts_and_the_notebook_parameter(
    tmp_path: Path, food11_zip: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "food-11.zip"
    archive.write_bytes(food11_zip)
    target = tmp_path / "food-11"
    assert main(["fetch", "food11", "--from", str(archive), "--to", str(target)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "Bread" in line)
    assert row.split()[-3:] == [str(PER_CLASS[s]) for s in ("training", "validation", "evaluation")]
    assert f'data_dir = "{target.resolve() / "evaluation"}"' in out
    assert main(["fetch", "food11", "--from", str(tmp_path / "nope.zip"), "--to", str(target)]) == 1
    assert "is not a file" in capsys.readouterr().err
    assert main(["fetch", "food11", "--from", str(archive), "--to", str(target), "--sha256", "abc"]) == 1
    assert "64 hex digits" in capsys.readouterr().err


def test_default_target_is_git_ignored() -> None:
    """Food-11 is about 1 GB: it must never be committed by accident."""
    if not (paths.ROOT / ".git").exists():
        pytest.skip("not a git checkout (e.g. a released copy): nothing can be committed by accident")
    result = subprocess.run(
        ["git", "check-ignore", "-q", str(fetch.DEFAULT_TARGET / "training" / "0_0.jpg")],
        cwd=paths.ROOT,
        capture_output=True,
    )
    assert result.returncode == 0, "add data/food-11/ to .gitignore"
