"""The small shared helpers: the one integer check and the one atomic write / sha256."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from helpers.checks import check_int
from helpers.files import sha256_of, write_atomic


@pytest.mark.parametrize("value", [0, 5, np.int64(3), 10])
def test_check_int_accepts_integers_in_range(value: object) -> None:
    assert check_int("steps", value, 0, 10) == int(value)
    assert type(check_int("steps", value, 0, 10)) is int


@pytest.mark.parametrize(
    ("value", "low", "high", "message"),
    [
        (True, 0, None, r"steps must be an integer >= 0, got True"),
        (2.0, 0, None, r"steps must be an integer >= 0, got 2.0"),
        ("3", None, None, r"steps must be an integer, got '3'"),
        (-1, 0, 9, r"steps must be an integer in 0..9, got -1"),
        (11, None, 10, r"steps must be an integer <= 10, got 11"),
    ],
)
def test_check_int_names_argument_range_and_value(
    value: object, low: int | None, high: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        check_int("steps", value, low, high)


def test_check_int_hint_follows_the_range() -> None:
    with pytest.raises(ValueError, match=r"^cnnid must be an integer in 0..37 \(a layer index\), got 38$"):
        check_int("cnnid", 38, 0, 37, hint="a layer index")


def test_write_atomic_replaces_whole_file_honours_umask_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "grades.csv"
    old = os.umask(0o027)
    try:
        write_atomic(target, "old\n")
        write_atomic(target, b"new\n")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["grades.csv"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "key.json"
    write_atomic(target, "kept")
    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # not str or bytes: fails while writing the temp file
    assert target.read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["key.json"]


def test_sha256_of_matches_hashlib_and_reports_progress(tmp_path: Path) -> None:
    data = os.urandom((1 << 20) + 123)  # more than one block
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    seen: list[int] = []
    assert sha256_of(path, progress=seen.append) == hashlib.sha256(data).hexdigest()
    assert sum(seen) == len(data) and len(seen) == 2
