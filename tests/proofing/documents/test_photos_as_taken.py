"""Photos as a phone takes them, read with the real engines (Tesseract, dlib, zxing-cpp).

Each photo is one that an earlier reader turned away (``benchmarks/document_reading.py``
names the conditions): a shadow across the page, tilts near fifteen degrees, a busy
desk whose printed page outvoted the zone's lines, a short name whose long filler run
Tesseract reads with most of its ``<`` missing. ``photograph_as_taken`` draws every
random choice from its seed, so each photo is the same on every run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PIL import Image

from idp.proofing.documents import aamva
from idp.proofing.documents.barcode import decode_pdf417
from idp.proofing.documents.licence_front import check_licence_front
from idp.proofing.documents.mrz import build_td3
from idp.proofing.documents.mrz_reader import MrzRead, find_mrz_lines, read_mrz
from tests.documents import generate

TODAY = date(2026, 1, 1)
LI = replace(generate.HOLDER_C, first_name="MEI", middle_name=None, last_name="LI", sex="F")
MUELLER = replace(generate.HOLDER_B, first_name="JUERGEN", last_name="MUELLER")


def _passport(holder: generate.Holder) -> generate.Passport:
    return replace(generate.SAMPLE_PASSPORT, holder=holder)


def _photo(page: Image.Image, tilt: float, seed: int, *, busy: bool = False) -> Image.Image:
    return generate.photograph_as_taken(page, tilt, seed, busy=busy, uneven_light=True, blur=0.9)


PASSPORT_PHOTOS = [
    ("a short name's long filler run, in a shadow", LI, -3.9, 11, False),
    ("a long surname, in a shadow", MUELLER, -2.1, 12, False),
    ("tilted 14.6 degrees, in a shadow", generate.HOLDER_C, -14.6, 13, False),
    ("tilted 14.9 degrees the other way", MUELLER, 14.9, 14, False),
    ("a busy desk, tilted 12.6 degrees", generate.HOLDER_A, 12.6, 1001, True),
    ("a busy desk, tilted -11.4 degrees", generate.HOLDER_A, -11.4, 1002, True),
]


@pytest.mark.parametrize(
    ("case", "holder", "tilt", "seed", "busy"), PASSPORT_PHOTOS, ids=[p[0] for p in PASSPORT_PHOTOS]
)
def test_passport_zones_are_read(
    case: str, holder: generate.Holder, tilt: float, seed: int, busy: bool
) -> None:
    passport = _passport(holder)
    photo = _photo(generate.render_passport_page(passport), tilt, seed, busy=busy)
    result = read_mrz(photo, today=TODAY)
    assert isinstance(result, MrzRead), result
    assert result.lines == build_td3(passport.data())


def test_the_zone_is_found_beside_a_printed_page_that_outvotes_it() -> None:
    """The printed page's many lines make the sharpest rows at another angle than the
    zone's; the zone is the lowest pair of lines shaped like one, at whichever angle."""
    photo = _photo(generate.render_passport_page(generate.SAMPLE_PASSPORT), 12.6, 1001, busy=True)
    crops = find_mrz_lines(photo)
    assert crops is not None
    assert all(10 < crop.width / crop.height < 30 for crop in crops)


def _licence(holder: generate.Holder) -> generate.Licence:
    return replace(generate.SAMPLE_LICENCE, holder=holder)


LICENCE_PHOTOS = [
    ("tilted 12 degrees on a busy desk", generate.HOLDER_A, 12.0, 21, True),
    ("tilted -12 degrees on a busy desk", generate.HOLDER_C, -12.0, 22, True),
    ("tilted 14.9 degrees, in a shadow", generate.HOLDER_B, 14.9, 23, False),
    ("tilted -5 degrees, in a shadow", MUELLER, -5.0, 24, False),
]


@pytest.mark.parametrize(
    ("case", "holder", "tilt", "seed", "busy"), LICENCE_PHOTOS, ids=[p[0] for p in LICENCE_PHOTOS]
)
def test_licences_are_read_front_and_back(
    case: str, holder: generate.Holder, tilt: float, seed: int, busy: bool
) -> None:
    licence = _licence(holder)
    back = _photo(generate.render_licence_back(licence), tilt, seed, busy=busy)
    payload = decode_pdf417(back)
    assert isinstance(payload, bytes), payload
    data = aamva.parse_aamva(payload)
    assert isinstance(data, aamva.LicenceData), data
    assert (data.last_name, data.document_number) == (holder.last_name, licence.document_number)
    front = _photo(generate.render_licence_front(licence), tilt, seed + 100, busy=busy)
    checked = check_licence_front(front, data)
    assert checked.ok, checked


def test_a_front_in_a_shadow_still_tells_another_birth_date() -> None:
    licence = _licence(generate.HOLDER_A)
    altered = replace(licence, holder=replace(generate.HOLDER_A, birth_date=date(1958, 3, 9)))
    payload = decode_pdf417(generate.render_licence_back(licence))
    assert isinstance(payload, bytes)
    data = aamva.parse_aamva(payload)
    assert isinstance(data, aamva.LicenceData)
    front = _photo(generate.render_licence_front(altered), -5.0, 24, busy=False)
    checked = check_licence_front(front, data)
    assert checked.reason == "front_mismatch" and checked.fields == ("birth_date",)
