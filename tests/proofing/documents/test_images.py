import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from idp.proofing.documents.images import (
    DEFAULT_LIMITS,
    UploadLimits,
    UploadRejection,
    load_upload,
)

FACES = Path(__file__).resolve().parents[2] / "fixtures" / "faces"


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def photo(size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A busy picture, so that compressed files are long enough to cut."""
    return Image.effect_noise(size, 60).convert("RGB")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size but holds no pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def loaded(data: bytes, limits: UploadLimits = DEFAULT_LIMITS) -> Image.Image:
    result = load_upload(data, limits)
    assert isinstance(result, Image.Image), result
    return result


def rejection(data: bytes, limits: UploadLimits = DEFAULT_LIMITS) -> UploadRejection:
    result = load_upload(data, limits)
    assert isinstance(result, UploadRejection), result
    return result


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_accepts_jpeg_png_and_webp(image_format: str) -> None:
    image = loaded(encode(photo((200, 100)), image_format))

    assert (image.size, image.mode) == ((200, 100), "RGB")


@pytest.mark.parametrize("path", sorted(FACES.glob("*.[jp][pn]g")), ids=lambda path: path.name)
def test_accepts_real_photos(path: Path) -> None:
    with Image.open(path) as original:
        size = original.size

    assert loaded(path.read_bytes()).size == size


@pytest.mark.parametrize("mode", ["RGBA", "P", "L", "CMYK"])
def test_returns_rgb_whatever_the_mode(mode: str) -> None:
    image_format = "JPEG" if mode == "CMYK" else "PNG"

    assert loaded(encode(photo().convert(mode), image_format)).mode == "RGB"


def test_refuses_uploads_over_the_size_limit() -> None:
    data = encode(photo(), "PNG")

    assert rejection(data, UploadLimits(max_bytes=len(data) - 1)).reason == "upload_too_large"
    assert loaded(data, UploadLimits(max_bytes=len(data))).size == (320, 240)


def test_refuses_uploads_over_ten_megabytes_by_default() -> None:
    assert rejection(b"\xff\xd8" + bytes(10 * 1024 * 1024)).reason == "upload_too_large"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        encode(photo(), "GIF"),
        encode(photo(), "BMP"),
        encode(photo(), "TIFF"),
        b"\x89PNG\r\n\x1a\n" + bytes(64),
        b"RIFF\x04\x00\x00\x00WEBP",
    ],
    ids=["empty", "text", "pdf", "svg", "gif", "bmp", "tiff", "png-garbage", "webp-empty"],
)
def test_refuses_what_is_not_a_jpeg_png_or_webp(data: bytes) -> None:
    assert rejection(data).reason == "upload_not_image"


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("kept", [0.3, 0.9, 0.99])
@pytest.mark.parametrize("load_truncated", [False, True])
def test_refuses_truncated_images_whatever_pillow_is_told(
    monkeypatch: pytest.MonkeyPatch, image_format: str, kept: float, load_truncated: bool
) -> None:
    # Other libraries (face_recognition) set this for the whole process.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", load_truncated)
    data = encode(photo(), image_format)

    assert rejection(data[: int(len(data) * kept)]).reason == "upload_truncated"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is load_truncated


def test_refuses_images_with_more_pixels_than_allowed() -> None:
    data = encode(Image.new("L", (1100, 1000)), "PNG")

    assert rejection(data, UploadLimits(max_pixels=1_000_000)).reason == "upload_too_many_pixels"
    assert loaded(data, UploadLimits(max_pixels=1_100_000)).size == (1100, 1000)


def test_the_default_pixel_limit_takes_a_phones_photo_and_no_more_than_a_cameras() -> None:
    assert DEFAULT_LIMITS.max_pixels >= 4032 * 3024  # a 12 MP phone photo
    assert rejection(png_header_only(6000, 4500)).reason == "upload_too_many_pixels"  # 27 MP


def test_a_large_jpeg_decoded_at_a_reduced_scale_still_fills_the_longest_side() -> None:
    data = encode(Image.new("RGB", (7000, 3500), "white"), "JPEG")
    image = loaded(data, UploadLimits(max_side=1500))
    assert image.size == (1500, 750)


@pytest.mark.parametrize("side", [6000, 40_000])
def test_refuses_decompression_bombs_before_decoding(side: int) -> None:
    assert rejection(png_header_only(side, side)).reason == "upload_too_many_pixels"


def test_turns_photos_upright_from_their_exif_orientation() -> None:
    image = Image.new("RGB", (60, 30), "red")
    image.paste("blue", (30, 0, 60, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned; show it rotated 90 degrees clockwise
    upright = loaded(encode(image, "JPEG", exif=exif.tobytes()))

    assert upright.size == (30, 60)
    assert "exif" not in upright.info
    assert upright.getpixel((15, 5)) == pytest.approx((254, 0, 0), abs=40)  # red on top
    assert upright.getpixel((15, 55)) == pytest.approx((0, 0, 254), abs=40)


def test_scales_large_phone_photos_down() -> None:
    data = encode(Image.new("RGB", (4032, 3024), "white"), "JPEG")

    assert loaded(data).size == (3000, 2250)
    assert loaded(data, UploadLimits(max_side=1000)).size == (1000, 750)
