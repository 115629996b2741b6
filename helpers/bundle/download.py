"""Download a large file over HTTP(S), resuming after a broken connection (for ``fetch``).

Each attempt asks only for the bytes still missing (an HTTP ``Range`` request) and appends them to a
``.part`` file; a server that ignores ``Range`` is read from the start again. The file appears under its
own name only once complete and, when a sha256 is given, verified.
"""

from __future__ import annotations

import http.client
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from helpers.files import sha256_of as _sha256

_CHUNK = 1 << 16
#: HTTP statuses worth retrying (the server or a proxy may recover); anything else 4xx/5xx is final.
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class FetchError(RuntimeError):
    """Getting or unpacking the data failed; the message says what and how to fix it."""


def _content_range_total(header: str | None) -> int | None:
    """Total size from a ``Content-Range: bytes a-b/total`` (or ``bytes */total``) header."""
    match = re.match(r"bytes\s+(?:\d+-\d+|\*)/(\d+)", header or "")
    return int(match[1]) if match else None


def _content_range_start(header: str | None) -> int | None:
    match = re.match(r"bytes\s+(\d+)-\d+/", header or "")
    return int(match[1]) if match else None


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, with a progress bar (Food-11 is about 1 GB)."""
    with tqdm(
        total=path.stat().st_size, unit="B", unit_scale=True, unit_divisor=1024, desc=f"sha256 {path.name}", leave=False
    ) as bar:
        return _sha256(path, bar.update)


def check_sha256(path: Path, expected: str | None, delete_if_wrong: bool) -> None:
    if not expected:
        return
    actual = sha256_of(path)
    if actual != expected.lower():
        note = ""
        if delete_if_wrong:
            path.unlink()
            note = " The downloaded file was deleted."
        raise FetchError(
            f"sha256 mismatch for {path.name}: expected {expected.lower()}, got {actual}.{note} "
            "The file is damaged or is not the archive you meant; get it again, or check the --sha256 value "
            "(leave --sha256 out to skip the check)."
        )


class _Broken(Exception):
    """One download attempt ended early; worth another try (message says why)."""


def _attempt(url: str, part: Path, timeout: float) -> None:
    """One HTTP request for the bytes ``part`` lacks; raises _Broken when the transfer ends early."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "hw9-xai-fetch"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
            if have and resp.status == 206:
                if _content_range_start(resp.headers["Content-Range"]) != have:
                    part.unlink()
                    raise _Broken("the server resumed at the wrong place; starting over")
                mode, total = "ab", _content_range_total(resp.headers["Content-Range"])
            else:  # a fresh start, or a server that ignores Range: take the whole file again
                have, mode = 0, "wb"
                length = resp.headers["Content-Length"]
                total = int(length) if length and length.isdigit() else None
            with (
                open(part, mode) as out,
                tqdm(
                    total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024, desc=part.name[:-5]
                ) as bar,
            ):
                for block in iter(lambda: resp.read(_CHUNK), b""):
                    out.write(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # nothing left to send: complete already, or a stale .part
            if _content_range_total(err.headers.get("Content-Range")) == have:
                return
            part.unlink()
            raise _Broken("the partial file did not fit the server's; starting over") from err
        if err.code in _RETRY_STATUS:
            raise _Broken(f"HTTP {err.code} {err.reason}") from err
        advice = (
            "The link is dead or mistyped: check it, or download the archive yourself (e.g. from "
            "Kaggle) and pass the file: --from path/to/food-11.zip."
            if 400 <= err.code < 500
            else "Try again later, or pass a local archive."
        )
        raise FetchError(f"the server answered HTTP {err.code} ({err.reason}) for {url}. {advice}") from err
    except urllib.error.URLError as err:  # before any byte: no such host, connection refused, TLS, ...
        if isinstance(err.reason, (TimeoutError, ConnectionResetError, ConnectionAbortedError)):
            raise _Broken(str(err.reason)) from err
        raise FetchError(
            f"cannot reach {url}: {err.reason}. Check the address and your connection, or pass a local archive."
        ) from err
    except (ConnectionError, TimeoutError, http.client.HTTPException) as err:
        raise _Broken(f"{type(err).__name__}: {err}") from err
    size = part.stat().st_size
    if total is not None and size < total:  # http.client ends a short body without an error
        raise _Broken(f"got {size:,} of {total:,} bytes")


def download(
    url: str, dest: Path, sha256: str | None = None, retries: int = 5, wait: float = 2.0, timeout: float = 60.0
) -> Path:
    """Download ``url`` to ``dest``, resuming from ``dest.part`` after a broken connection.

    Each attempt asks only for the missing bytes with an HTTP ``Range`` header; a server that ignores
    it (status 200) is read from the start again. ``dest`` appears only once the transfer is complete
    (as long as the server announced) and, when ``sha256`` is given, verified.

    Args:
        url: http(s) address of the archive.
        dest: final file; ``dest`` + ``.part`` holds the bytes received so far.
        sha256: expected hex digest, or None to skip the check.
        retries: attempts in a row without progress before giving up (an attempt that received bytes
            resets the count, so a long flaky download still finishes).
        wait: seconds before the first retry (doubled after each failure in a row, at most 30).
        timeout: seconds without data before a connection counts as broken.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    failures = 0
    while True:
        before = part.stat().st_size if part.exists() else 0
        try:
            _attempt(url, part, timeout)
            break
        except _Broken as err:
            now = part.stat().st_size if part.exists() else 0
            failures = 1 if now > before else failures + 1
            if failures > retries:
                kept = f"{now:,} bytes are kept in {part}" if now else "nothing was kept"
                raise FetchError(
                    f"download of {url} failed {failures} times in a row ({err}); {kept}. "
                    "Run the same command again to resume."
                ) from None
            pause = min(wait * 2 ** (failures - 1), 30.0)
            print(
                f"download interrupted ({err}); resuming in {pause:.0f} s (retry {failures} of {retries})",
                file=sys.stderr,
            )
            time.sleep(pause)
    part.replace(dest)
    check_sha256(dest, sha256, delete_if_wrong=True)
    return dest


def is_url(source: str) -> bool:
    return urllib.parse.urlparse(source).scheme in ("http", "https")


def download_name(url: str) -> str:
    """A file name for a URL's download: its last path part when that is a plain name."""
    name = PurePosixPath(urllib.parse.unquote(urllib.parse.urlparse(url).path)).name
    return name if re.fullmatch(r"[\w.+-]{1,120}", name or "") else "food11-download"
