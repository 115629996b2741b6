"""A photo of the student's own, as the explorer receives it from the upload button: checked, then read
exactly as the data pipeline reads an image (:func:`helpers.data.read_rgb`: EXIF rotation, 16-bit, CMYK,
palette and transparency handled, bilinear resize to 128 x 128, aspect ratio not kept, values in [0, 1]).

Everything happens in memory: the upload is never written to disk. What cannot be used raises
:class:`UploadError` with a message that names the problem and the fix, which the panel shows.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import torch
from PIL import Image, UnidentifiedImageError

from helpers.data import DataError, read_rgb

#: Formats taken (PIL's names), as students call them. Phones' JPEGs open as MPO.
FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
#: The largest photo read (pixels): a 100-megapixel RGB image needs 300 MB to decode.
MAX_PIXELS = 100_000_000


class UploadError(ValueError):
    """An upload that cannot be explained; the message says why and what to do."""


@dataclass
class Upload:
    """An uploaded photo prepared for the model."""

    name: str
    image: torch.Tensor  # 3 x 128 x 128 float32 in [0, 1]
    original: tuple[int, int]  # width, height as uploaded
    format: str  # "JPEG", "PNG" or "WebP"
    notes: list[str] = field(default_factory=list)  # what was done to it besides the resize


def _notes(img: Image.Image) -> list[str]:
    """What preparing ``img`` changes besides its size, in words (shown under the prediction)."""
    notes = []
    if img.mode.startswith("I") or img.mode in ("I;16", "I;16B", "I;16L"):
        notes.append("16-bit grayscale, scaled to 8 bits and shown as gray RGB")
    elif img.mode == "CMYK":
        notes.append("CMYK colours converted to RGB")
    elif img.mode in ("L", "1"):
        notes.append("grayscale, shown as gray RGB")
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        notes.append("transparent pixels laid on white")
    return notes


def read_upload(name: str, content: bytes | memoryview) -> Upload:
    """Check and prepare one uploaded file (its name and bytes) as the data pipeline prepares an image.

    Raises:
        UploadError: empty, not an image, a format other than JPEG / PNG / WebP, over
            :data:`MAX_PIXELS`, or damaged (e.g. a truncated JPEG).
    """
    data = bytes(content)
    if not data:
        raise UploadError(f"{name} is empty (0 bytes): upload the photo file itself (JPEG, PNG or WebP).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS below is the limit here
        try:
            with Image.open(io.BytesIO(data)) as img:
                kind, size, notes = img.format, img.size, _notes(img)
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as err:
            raise UploadError(
                f"{name} is not an image that can be read ({type(err).__name__}): upload a JPEG, PNG or WebP photo."
            ) from err
        if kind not in FORMATS:
            raise UploadError(f"{name} is a {kind} image: upload a JPEG, PNG or WebP photo (convert it first).")
        pixels = size[0] * size[1]
        if pixels > MAX_PIXELS:
            raise UploadError(
                f"{name} is {size[0]} x {size[1]} = {pixels / 1e6:.0f} megapixels, more than the "
                f"{MAX_PIXELS // 1_000_000} the explorer reads: shrink it first (the model sees 128 x 128)."
            )
        try:
            rgb = read_rgb(io.BytesIO(data), name=name)
        except DataError as err:
            raise UploadError(f"{err}. The file is damaged or incomplete: export or download it again.") from err
    image = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float().div(255)
    return Upload(name, image, size, FORMATS[kind], notes)
