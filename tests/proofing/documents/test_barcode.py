import io
from collections.abc import Callable
from datetime import date

import pytest
from PIL import Image

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


@pytest.mark.parametrize("tilt", [-9.0, -7.0, -4.5, 2.0, 5.0, 7.0, 8.5])
def test_straightens_tilted_photos(tilt: float) -> None:
    back = generate.photograph(generate.render_licence_back(generate.SAMPLE_LICENCE), tilt=tilt)

    assert_describes(licence_data(back), generate.SAMPLE_LICENCE)


def test_needs_the_extra_angles_for_a_seven_degree_tilt(monkeypatch: pytest.MonkeyPatch) -> None:
    tilted = generate.photograph(generate.render_licence_back(generate.SAMPLE_LICENCE), tilt=7)
    monkeypatch.setattr(barcode, "ANGLES", (0.0,))

    assert isinstance(decode_pdf417(tilted), BarcodeRejection)


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
    [generate.blur_barcode, generate.cut_barcode],
    ids=["blurred", "cut"],
)
def test_gives_up_on_unreadable_barcodes(
    licence_back: Image.Image, damage: Callable[[Image.Image], Image.Image]
) -> None:
    result = decode_pdf417(damage(licence_back))

    assert isinstance(result, BarcodeRejection)
    assert result.reason == "barcode_unreadable"


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
