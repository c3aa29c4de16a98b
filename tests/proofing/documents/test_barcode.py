import io
import logging
from collections.abc import Callable
from datetime import date

import pytest
from PIL import Image, ImageFilter

from idp.proofing.documents import barcode
from idp.proofing.documents.aamva import LicenceData, parse_aamva
from idp.proofing.documents.barcode import BarcodeRejection, decode_pdf417
from idp.proofing.documents.images import UploadRejection
from tests.documents import generate
from tests.documents.generate import Licence


def decoded(image: Image.Image | bytes) -> bytes:
    result = decode_pdf417(image)
    assert isinstance(result, bytes), result
    return result


def licence_data(image: Image.Image | bytes) -> LicenceData:
    result = parse_aamva(decoded(image))
    assert isinstance(result, LicenceData), result
    return result


def assert_describes(data: LicenceData, licence: Licence) -> None:
    holder = licence.holder
    assert (data.first_name, data.middle_name, data.last_name) == (
        holder.first_name,
        holder.middle_name,
        holder.last_name,
    )
    assert (data.birth_date, data.document_number) == (holder.birth_date, licence.document_number)
    assert (data.issue_date, data.expiry_date) == (licence.issue_date, licence.expiry_date)
    assert (data.city, data.jurisdiction, data.kind) == (holder.city, holder.state, licence.kind)


def test_decodes_the_raw_payload(licence_back: Image.Image) -> None:
    # Raw bytes keep the AAMVA separators that the text rendering replaces.
    assert decoded(licence_back) == generate.aamva_payload(generate.SAMPLE_LICENCE)


@pytest.mark.parametrize(
    "licence",
    [generate.SAMPLE_LICENCE, generate.SAMPLE_ID_CARD, generate.EXPIRED_LICENCE],
    ids=["licence", "id-card", "expired"],
)
def test_round_trips_generated_backs(licence: Licence) -> None:
    back = generate.photograph(generate.render_licence_back(licence))

    assert_describes(licence_data(back), licence)


# Phone photos are routinely turned by up to fifteen degrees either way; 8.4 is the
# tilt of a licence photo that was once refused.
TILTS = [-15.0, -12.0, -8.4, -5.0, 0.0, 5.0, 8.4, 12.0, 15.0]


@pytest.fixture(scope="module")
def card_back() -> Image.Image:
    return generate.render_licence_back(generate.SAMPLE_LICENCE)


@pytest.fixture
def estimate_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fallback search: whatever is read was read at an estimated angle."""
    monkeypatch.setattr(barcode, "FALLBACK_ANGLES", ())


def jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@pytest.mark.usefixtures("estimate_only")
@pytest.mark.parametrize("tilt", TILTS)
def test_straightens_tilted_photos(card_back: Image.Image, tilt: float) -> None:
    back = generate.photograph(card_back, tilt=tilt)

    assert decoded(back) == generate.aamva_payload(generate.SAMPLE_LICENCE)


@pytest.mark.usefixtures("estimate_only")
@pytest.mark.parametrize(("seed", "tilt"), list(enumerate(TILTS)))
def test_straightens_tilted_photos_on_a_busy_desk(
    card_back: Image.Image, seed: int, tilt: float
) -> None:
    back = generate.photograph_on_clutter(card_back, tilt=tilt, seed=seed)

    assert decoded(back) == generate.aamva_payload(generate.SAMPLE_LICENCE)


@pytest.mark.usefixtures("estimate_only")
@pytest.mark.parametrize("tilt", [-12.0, 12.0])
@pytest.mark.parametrize(
    "spoil",
    [
        lambda photo: jpeg(photo, quality=60),
        lambda photo: photo.filter(ImageFilter.GaussianBlur(1.2)),
    ],
    ids=["jpeg-60", "blurred"],
)
def test_straightens_poor_photos_on_a_busy_desk(
    card_back: Image.Image, tilt: float, spoil: Callable[[Image.Image], Image.Image | bytes]
) -> None:
    back = generate.photograph_on_clutter(card_back, tilt=tilt, seed=20)

    assert decoded(spoil(back)) == generate.aamva_payload(generate.SAMPLE_LICENCE)


@pytest.mark.parametrize(("seed", "tilt"), list(enumerate(TILTS)))
def test_estimates_the_barcodes_angle(card_back: Image.Image, seed: int, tilt: float) -> None:
    grey = generate.photograph_on_clutter(card_back, tilt=tilt, seed=seed).convert("L")

    assert any(abs(angle + tilt) < 1 for angle in barcode.estimate_angles(grey))


def test_estimates_nothing_on_a_blank_photo() -> None:
    assert barcode.estimate_angles(Image.new("L", (1200, 800), 255)) == ()


@pytest.mark.usefixtures("estimate_only")
@pytest.mark.parametrize(
    "turn",
    [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270],
    ids=["portrait", "upside-down", "portrait-other-way"],
)
def test_straightens_a_tilted_photo_of_a_card_turned_round(
    card_back: Image.Image, turn: Image.Transpose
) -> None:
    back = generate.photograph_on_clutter(card_back.transpose(turn), tilt=8.4, seed=30)

    assert decoded(back) == generate.aamva_payload(generate.SAMPLE_LICENCE)


def test_falls_back_to_a_coarse_search_when_the_estimate_misses(
    card_back: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    back = generate.photograph_on_clutter(card_back, tilt=8.4, seed=2)
    monkeypatch.setattr(barcode, "estimate_angles", lambda grey: (30.0,))

    assert decoded(back) == generate.aamva_payload(generate.SAMPLE_LICENCE)


def test_cannot_read_a_tilted_photo_without_straightening_it(
    card_back: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shows the tests above fail when straightening does not work: zxing-cpp alone
    # does not read the barcode at this tilt.
    back = generate.photograph_on_clutter(card_back, tilt=8.4, seed=2)
    monkeypatch.setattr(barcode, "estimate_angles", lambda grey: ())
    monkeypatch.setattr(barcode, "FALLBACK_ANGLES", (0.0,))

    assert isinstance(decode_pdf417(back), BarcodeRejection)


def test_reads_photos_taken_in_portrait_orientation(licence_back: Image.Image) -> None:
    portrait = licence_back.transpose(Image.Transpose.ROTATE_90)

    assert decoded(portrait) == generate.aamva_payload(generate.SAMPLE_LICENCE)


@pytest.mark.parametrize(("image_format", "options"), [("JPEG", {"quality": 80}), ("PNG", {})])
def test_accepts_uploaded_bytes(
    licence_back: Image.Image, image_format: str, options: dict[str, int]
) -> None:
    buffer = io.BytesIO()
    licence_back.save(buffer, image_format, **options)

    assert_describes(licence_data(buffer.getvalue()), generate.SAMPLE_LICENCE)


def test_returns_the_upload_rejection_for_bad_bytes() -> None:
    assert decode_pdf417(b"not an image") == UploadRejection("upload_not_image")


@pytest.mark.parametrize(
    "damage",
    [
        generate.blur_barcode,
        generate.cut_barcode,
        lambda back: Image.new("RGB", back.size, "white"),
    ],
    ids=["blurred", "cut", "blank"],
)
def test_gives_up_on_unreadable_barcodes(
    licence_back: Image.Image, damage: Callable[[Image.Image], Image.Image]
) -> None:
    result = decode_pdf417(damage(licence_back))

    assert isinstance(result, BarcodeRejection)
    assert result.reason == "barcode_unreadable"


@pytest.mark.parametrize("tilt", [-8.4, 12.0])
def test_gives_up_on_a_cut_barcode_on_a_busy_desk(card_back: Image.Image, tilt: float) -> None:
    back = generate.cut_barcode(generate.photograph_on_clutter(card_back, tilt=tilt, seed=3))

    result = decode_pdf417(back)

    assert isinstance(result, BarcodeRejection)
    assert result.reason == "barcode_unreadable"


def test_never_logs_the_payload(
    licence_back: Image.Image, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    decoded(licence_back)

    assert generate.SAMPLE_LICENCE.document_number not in caplog.text
    assert generate.SAMPLE_LICENCE.holder.last_name not in caplog.text


def test_finds_no_barcode_on_the_front(licence_front: Image.Image) -> None:
    assert isinstance(decode_pdf417(licence_front), BarcodeRejection)


def test_shows_when_the_barcode_disagrees_with_the_front() -> None:
    back = generate.photograph(generate.render_licence_back(generate.MISMATCHED_BARCODE_LICENCE))
    data = licence_data(back)
    front = generate.SAMPLE_LICENCE

    assert_describes(data, generate.MISMATCHED_BARCODE_LICENCE)
    assert data.last_name != front.holder.last_name
    assert data.birth_date != front.holder.birth_date
    assert data.document_number != front.document_number


def test_shows_an_expired_licence(licence_back: Image.Image) -> None:
    expired = generate.photograph(generate.render_licence_back(generate.EXPIRED_LICENCE))

    assert licence_data(expired).is_expired_on(date.today())
    assert not licence_data(licence_back).is_expired_on(date.today())
