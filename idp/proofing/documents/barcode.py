"""Find and decode the PDF417 barcode on the back of a licence, using zxing-cpp.

zxing-cpp finds PDF417 symbols only within about two degrees of horizontal
(or of the other right angles), and a hand-held phone photo is often turned
further. So when the photo does not decode as it is, it is turned by a few
small angles in turn until one decodes (``ANGLES``: three-degree steps out to
nine degrees either way, which leaves at most a degree and a half of error for
any tilt in that range).

The payload is returned as raw bytes (``Barcode.bytes``): the barcode's text
rendering replaces the AAMVA separators with visible placeholders.
"""

from dataclasses import dataclass
from typing import Literal

import zxingcpp
from PIL import Image

from idp.proofing.documents.images import DEFAULT_LIMITS, UploadLimits, UploadRejection, load_upload

BarcodeReason = Literal["barcode_unreadable"]

ANGLES = (0.0, 3.0, -3.0, 6.0, -6.0, 9.0, -9.0)
_PDF417 = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.PDF417)


@dataclass(frozen=True)
class BarcodeRejection:
    """No PDF417 barcode could be decoded from the image."""

    reason: BarcodeReason
    detail: str = ""


def decode_pdf417(
    image: Image.Image | bytes, limits: UploadLimits = DEFAULT_LIMITS
) -> bytes | BarcodeRejection | UploadRejection:
    """Return the payload of the first PDF417 barcode found in ``image``.

    Bytes are treated as an untrusted upload and checked with
    ``images.load_upload`` (within ``limits``) first; its rejection is returned
    as it is. An image is used as given.
    """
    if isinstance(image, bytes):
        loaded = load_upload(image, limits)
        if isinstance(loaded, UploadRejection):
            return loaded
        image = loaded
    grey = image.convert("L")
    for angle in ANGLES:
        payload = _read_payload(_rotate(grey, angle))
        if payload is not None:
            return payload
    return BarcodeRejection("barcode_unreadable", "no PDF417 found at any angle")


def _rotate(grey: Image.Image, angle: float) -> Image.Image:
    if angle == 0:
        return grey
    return grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def _read_payload(grey: Image.Image) -> bytes | None:
    for found in zxingcpp.read_barcodes(grey, formats=_PDF417):
        if found.valid and found.bytes:
            return found.bytes
    return None
