"""Turn an uploaded photo (untrusted bytes) into a Pillow image that is safe to work on.

``load_upload`` accepts only JPEG, PNG and WebP; refuses uploads that are too
big, that claim too many pixels (decompression bombs), or that are cut off; turns
the image upright according to its EXIF orientation and drops its metadata; and
scales it down so its longer side is at most ``UploadLimits.max_side`` (a JPEG is
decoded at a reduced scale where it can be, which is most of the cost of a 12 MP
photo). It never raises for a bad upload: it returns an ``UploadRejection``.

Truncation is detected without relying on ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES``,
which other libraries set for the whole process (after it is set, a cut-off JPEG
decodes silently with grey where the missing part was). Instead the decoder reads
through ``_EndWatchingReader``: a complete image never asks for bytes past its end.
WebP files are read whole, so for them the length declared in the RIFF header
is compared with the length received.
"""

import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps

UploadReason = Literal[
    "upload_too_large", "upload_not_image", "upload_truncated", "upload_too_many_pixels"
]

_FORMATS = ("JPEG", "PNG", "WEBP")


@dataclass(frozen=True)
class UploadLimits:
    """Limits on an upload: its size in bytes, its pixel count, and the longest side kept."""

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 25_000_000  # a phone's 12 MP photo, or a 24 MP camera's
    max_side: int = 3000


DEFAULT_LIMITS = UploadLimits()


@dataclass(frozen=True)
class UploadRejection:
    """An upload that cannot be used, and why. ``detail`` never holds image content."""

    reason: UploadReason
    detail: str = ""


class _EndWatchingReader(io.BytesIO):
    """A byte stream that remembers whether anyone tried to read past its end."""

    read_past_end = False

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        if size != 0 and not chunk:
            self.read_past_end = True
        return chunk


def load_upload(
    data: bytes, limits: UploadLimits = DEFAULT_LIMITS
) -> Image.Image | UploadRejection:
    """Validate ``data`` and return it decoded as an upright RGB image within ``limits``."""
    if len(data) > limits.max_bytes:
        return UploadRejection("upload_too_large", f"{len(data)} bytes")
    reader = _EndWatchingReader(data)
    image = _open(reader, data)
    if isinstance(image, UploadRejection):
        return image
    width, height = image.size
    if width * height > limits.max_pixels:
        return UploadRejection("upload_too_many_pixels", f"{width}x{height}")
    return _decode(image, reader, limits)


def _open(reader: _EndWatchingReader, data: bytes) -> Image.Image | UploadRejection:
    """Read the header only; nothing is decoded yet."""
    try:
        return Image.open(reader, formats=_FORMATS)
    except Image.DecompressionBombError:
        return UploadRejection("upload_too_many_pixels", "over Pillow's limit")
    except Exception:  # Pillow raises many types for hostile input; all mean "not an image".
        if _is_short_webp(data):
            return UploadRejection("upload_truncated", "WEBP")
        return UploadRejection("upload_not_image")


def _decode(
    image: Image.Image, reader: _EndWatchingReader, limits: UploadLimits
) -> Image.Image | UploadRejection:
    image_format = image.format or ""
    try:
        # a JPEG decodes at 1/2, 1/4 or 1/8 scale when that is still over max_side
        image.draft("RGB", (limits.max_side, limits.max_side))
        image.load()
        upright = ImageOps.exif_transpose(image).convert("RGB")
    except Exception:  # As in _open: any decoder failure means the upload is unusable.
        return _broken(reader, image_format)
    if reader.read_past_end:
        return UploadRejection("upload_truncated", image_format)
    upright.info.clear()  # drop metadata such as the GPS position along with the orientation
    upright.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    return upright


def _broken(reader: _EndWatchingReader, image_format: str) -> UploadRejection:
    if reader.read_past_end:
        return UploadRejection("upload_truncated", image_format)
    return UploadRejection("upload_not_image", image_format)


def _is_short_webp(data: bytes) -> bool:
    """Whether ``data`` starts like a WebP file but is shorter than its header says."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    return int.from_bytes(data[4:8], "little") + 8 > len(data)
