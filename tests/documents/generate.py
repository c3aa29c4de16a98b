"""Generate realistic, fictional identity documents for tests and demos.

It draws a US driver's licence (front with portrait and printed fields; back
with a real AAMVA PDF417 barcode encoding the same fields) and a passport photo
page with a valid machine readable zone, plus broken variants that the document
proofing method must refuse or cope with. Every document is marked SPECIMEN.

Import it for the pieces (``SAMPLE_LICENCE``, ``aamva_payload``,
``render_licence_back``, ``photograph``, ...), or run it from the repository
root to write every variant as PNG::

    python -m tests.documents.generate OUT_DIR

Fonts: DejaVu, then Liberation, then Pillow's built-in font, whichever exists.
"""

import argparse
import math
import random
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pdf417gen
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from idp.proofing.documents.mrz import PassportData, build_td3

FACES = Path(__file__).resolve().parent.parent / "fixtures" / "faces"
CARD_SIZE = (1012, 638)  # ID-1, 85.6 x 54 mm at 300 dpi
PASSPORT_SIZE = (1476, 1039)  # ID-3, 125 x 88 mm at 300 dpi

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
FontStyle = Literal["sans", "bold", "serif", "italic", "mono"]
_FONT_FILES: dict[FontStyle, tuple[str, ...]] = {
    "sans": ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"),
    "bold": ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"),
    "serif": ("DejaVuSerif-Bold.ttf", "LiberationSerif-Bold.ttf"),
    "italic": ("DejaVuSerif-Italic.ttf", "LiberationSerif-Italic.ttf"),
    "mono": ("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf"),
}
# Head-and-shoulders crop of each fixture photo: (left, top, right, bottom) as fractions.
_PORTRAIT_CROPS = {
    "person-a_1.jpg": (0.14, 0.0, 0.80, 0.66),
    "person-b_2.jpg": (0.20, 0.02, 0.80, 0.82),
    "person-c_1.png": (0.24, 0.0, 0.86, 0.96),
}
_INK = (25, 30, 45)
_RED = (170, 25, 30)
_BLUE = (20, 55, 120)


@dataclass(frozen=True)
class Holder:
    """The person a document describes. ``portrait`` names a file in ``FACES``."""

    first_name: str
    middle_name: str | None
    last_name: str
    birth_date: date
    sex: Literal["F", "M"]
    street: str
    city: str
    state: str
    postal_code: str
    portrait: str


@dataclass(frozen=True)
class Licence:
    """A licence or ID card: its holder and what the issuer wrote about it."""

    holder: Holder
    document_number: str
    issue_date: date
    expiry_date: date
    kind: Literal["DL", "ID"] = "DL"
    state_name: str = "CALIFORNIA"
    iin: str = "636014"


@dataclass(frozen=True)
class Passport:
    """A passport photo page. UTO (Utopia) is ICAO's code for specimen documents."""

    holder: Holder
    document_number: str
    issue_date: date
    expiry_date: date
    issuing_state: str = "UTO"
    personal_number: str = ""

    def data(self) -> PassportData:
        """The fields its machine readable zone encodes."""
        return PassportData(
            document_code="P",
            issuing_state=self.issuing_state,
            last_name=self.holder.last_name,
            given_names=" ".join(filter(None, (self.holder.first_name, self.holder.middle_name))),
            document_number=self.document_number,
            nationality=self.issuing_state,
            birth_date=self.holder.birth_date,
            sex=self.holder.sex,
            expiry_date=self.expiry_date,
            personal_number=self.personal_number,
        )


def years_after(day: date, years: int) -> date:
    """The same calendar day ``years`` later (28 February for a 29 February with no match)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


_ISSUED = years_after(date.today(), -2)
HOLDER_A = Holder(
    "MICHAEL", "JAMES", "SAMPLE", date(1961, 8, 4), "M",
    "1600 EXAMPLE AVENUE", "SACRAMENTO", "CA", "958140000", "person-a_1.jpg",
)  # fmt: skip
HOLDER_B = Holder(
    "ROBERT", None, "EXAMPLE", date(1942, 11, 20), "M",
    "42 TEST HILL ROAD APT 3", "FRESNO", "CA", "937211234", "person-b_2.jpg",
)  # fmt: skip
HOLDER_C = Holder(
    "DANIEL", "LUIS", "MUESTRA-GARCIA", date(1980, 1, 16), "M",
    "7 SPECIMEN COURT", "OAKLAND", "CA", "946120000", "person-c_1.png",
)  # fmt: skip
SAMPLE_LICENCE = Licence(HOLDER_A, "D1234567", _ISSUED, years_after(_ISSUED, 5))
SAMPLE_ID_CARD = Licence(HOLDER_C, "I7654321", _ISSUED, years_after(_ISSUED, 6), kind="ID")
EXPIRED_LICENCE = Licence(
    HOLDER_B, "D7777777", years_after(_ISSUED, -6), years_after(_ISSUED, -1) - timedelta(days=1)
)
# The barcode of this one disagrees with SAMPLE_LICENCE's front on name, birth date and number.
MISMATCHED_BARCODE_LICENCE = replace(
    SAMPLE_LICENCE,
    holder=replace(HOLDER_A, last_name="SAMPEL", birth_date=date(1963, 8, 4)),
    document_number="D1234568",
)
SAMPLE_PASSPORT = Passport(HOLDER_C, "X12345678", _ISSUED, years_after(_ISSUED, 10), "UTO")


# AAMVA payload


def aamva_date(day: date) -> str:
    """MMDDCCYY, the date format of US issuers."""
    return day.strftime("%m%d%Y")


def aamva_elements(licence: Licence) -> dict[str, str]:
    """The data elements, in the order a typical issuer writes them."""
    holder = licence.holder
    street_2 = ""
    if " APT " in holder.street:
        street_1, street_2 = holder.street.split(" APT ")
        street_2 = f"APT {street_2}"
    else:
        street_1 = holder.street
    elements = {
        "DAQ": licence.document_number,
        "DCA": "C" if licence.kind == "DL" else "NONE",
        "DCB": "NONE",
        "DCD": "NONE",
        "DBA": aamva_date(licence.expiry_date),
        "DCS": holder.last_name,
        "DAC": holder.first_name,
        "DAD": holder.middle_name or "NONE",
        "DBD": aamva_date(licence.issue_date),
        "DBB": aamva_date(holder.birth_date),
        "DBC": "1" if holder.sex == "M" else "2",
        "DAY": "BRO",
        "DAU": "070 IN",
        "DAG": street_1,
        "DAH": street_2,
        "DAI": holder.city,
        "DAJ": holder.state,
        "DAK": holder.postal_code.ljust(11),
        "DCF": f"{licence.issue_date:%m%d%Y}{licence.document_number[-4:]}SPEC",
        "DCG": "USA",
        "DDE": "N",
        "DDF": "N",
        "DDG": "N",
    }
    return {key: value for key, value in elements.items() if value}


def assemble_aamva(
    elements: Mapping[str, str],
    *,
    kind: str = "DL",
    iin: str = "636014",
    version: int = 10,
    offset_error: int = 0,
) -> bytes:
    """Lay ``elements`` out as an AAMVA payload with a DL/ID subfile and a jurisdiction one.

    ``offset_error`` is added to the subfile offsets written in the designators,
    to imitate issuers whose offsets are wrong.
    """
    subfiles = [
        kind + "\n".join(key + value for key, value in elements.items()) + "\r",
        "ZCZCASPECIMEN\r",
    ]
    header = f"@\n\x1e\rANSI {iin}{version:02d}" + ("" if version <= 1 else "00")
    header += f"{len(subfiles):02d}"
    offset = len(header) + 10 * len(subfiles)
    designators = ""
    for subfile in subfiles:
        designators += f"{subfile[:2]}{offset + offset_error:04d}{len(subfile):04d}"
        offset += len(subfile)
    return (header + designators + "".join(subfiles)).encode("latin-1")


def aamva_payload(licence: Licence) -> bytes:
    """The payload a licence's barcode carries."""
    return assemble_aamva(aamva_elements(licence), kind=licence.kind, iin=licence.iin)


# Drawing helpers


@lru_cache(maxsize=64)
def font(style: FontStyle, size: int) -> Font:
    """A font of the given style, falling back to Pillow's built-in one."""
    for name in _FONT_FILES[style]:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def portrait(name: str, size: tuple[int, int]) -> Image.Image:
    """A head-and-shoulders crop of a fixture photo, resized to ``size``."""
    with Image.open(FACES / name) as photo:
        rgba = photo.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (226, 232, 240, 255))
    flat.alpha_composite(rgba)
    left, top, right, bottom = _PORTRAIT_CROPS.get(name, (0.0, 0.0, 1.0, 1.0))
    width, height = flat.size
    box = (int(left * width), int(top * height), int(right * width), int(bottom * height))
    return flat.convert("RGB").crop(box).resize(size, Image.Resampling.LANCZOS)


def _guilloche(image: Image.Image, colour: tuple[int, int, int], seed: int) -> None:
    """Draw the fine wavy security pattern of printed documents."""
    draw = ImageDraw.Draw(image)
    rng = random.Random(seed)
    width, height = image.size
    for line in range(28):
        phase, amplitude = rng.uniform(0, math.tau), rng.uniform(8, 30)
        period, base = rng.uniform(60, 160), height * line / 28
        points = [
            (x, base + amplitude * math.sin(x / period + phase)) for x in range(0, width + 6, 6)
        ]
        draw.line(points, fill=colour, width=1)


def _background(
    size: tuple[int, int], top: tuple[int, ...], bottom: tuple[int, ...]
) -> Image.Image:
    """A vertical colour gradient."""
    gradient = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), gradient)


def _watermark(image: Image.Image, text: str = "SPECIMEN") -> Image.Image:
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(layer).text(
        (image.width // 2, image.height // 2),
        text,
        font=font("bold", image.width // 7),
        fill=(200, 30, 30, 60),
        anchor="mm",
    )
    layer = layer.rotate(18, resample=Image.Resampling.BICUBIC)
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def _field(
    draw: ImageDraw.ImageDraw, at: tuple[int, int], label: str, value: str, size: int = 26
) -> None:
    """A numbered AAMVA-style label in red with its value after it."""
    x, y = at
    draw.text((x, y + 6), label, font=font("sans", 15), fill=_RED)
    label_width = draw.textlength(label, font=font("sans", 15))
    draw.text((x + label_width + 8, y), value, font=font("bold", size), fill=_INK)


def _rounded(card: Image.Image, radius: int = 36) -> Image.Image:
    """The card with transparent rounded corners."""
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, *card.size), radius=radius, fill=255)
    rounded = card.convert("RGBA")
    rounded.putalpha(mask)
    return rounded


def _us_date(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def _city_line(holder: Holder) -> str:
    code = holder.postal_code
    zip_code = code[:5] if code[5:] in ("", "0000") else f"{code[:5]}-{code[5:]}"
    return f"{holder.city}, {holder.state} {zip_code}"


# Documents


def render_licence_front(licence: Licence) -> Image.Image:
    """The front of the card: state banner, portrait, numbered fields, signature."""
    card = _background(CARD_SIZE, (214, 230, 242), (246, 238, 222))
    _guilloche(card, (190, 210, 228), seed=1)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, CARD_SIZE[0], 96), fill=_BLUE)
    draw.text((36, 14), licence.state_name, font=font("serif", 52), fill=(250, 214, 90))
    title = "DRIVER LICENSE" if licence.kind == "DL" else "IDENTIFICATION CARD"
    draw.text((CARD_SIZE[0] - 36, 30), title, font=font("bold", 30), fill="white", anchor="ra")
    draw.text((CARD_SIZE[0] - 36, 66), "USA", font=font("bold", 18), fill="white", anchor="ra")
    card.paste(portrait(licence.holder.portrait, (270, 360)), (36, 126))
    _draw_front_fields(draw, licence)
    ghost = portrait(licence.holder.portrait, (96, 128)).convert("L").convert("RGB")
    card.paste(Image.blend(ghost, Image.new("RGB", ghost.size, (240, 236, 226)), 0.6), (870, 440))
    name = f"{licence.holder.first_name} {licence.holder.last_name}".title()
    draw.text((40, 520), name, font=font("italic", 44), fill=(20, 20, 70))
    return _rounded(_watermark(card)).convert("RGB")


def _draw_front_fields(draw: ImageDraw.ImageDraw, licence: Licence) -> None:
    holder = licence.holder
    given = " ".join(filter(None, (holder.first_name, holder.middle_name)))
    left = 340
    _field(draw, (left, 116), "4d DLN", licence.document_number, 34)
    _field(draw, (left, 164), "4b EXP", _us_date(licence.expiry_date), 30)
    _field(draw, (left, 210), "1", holder.last_name, 30)
    _field(draw, (left, 250), "2", given, 28)
    _field(draw, (left, 292), "8", holder.street, 22)
    draw.text((left + 22, 322), _city_line(holder), font=font("bold", 22), fill=_INK)
    _field(draw, (left, 362), "3 DOB", _us_date(holder.birth_date), 30)
    _field(draw, (left, 406), "15 SEX", holder.sex, 22)
    _field(draw, (left + 140, 406), "16 HGT", "5'-10\"", 22)
    _field(draw, (left + 300, 406), "18 EYES", "BRO", 22)
    _field(draw, (left, 446), "4a ISS", _us_date(licence.issue_date), 22)
    _field(
        draw, (left, 480), "5 DD", f"{licence.issue_date:%m%d%Y}{licence.document_number[-4:]}", 18
    )


# Where render_licence_front puts the portrait and the ghost portrait: (left, top, right, bottom).
_FRONT_PORTRAIT_BOXES = ((36, 126, 306, 486), (870, 440, 966, 568))


def render_licence_front_without_portrait(licence: Licence) -> Image.Image:
    """The front of the card with its background where the portrait and the small ghost
    portrait were."""
    front = render_licence_front(licence)
    blank = _background(CARD_SIZE, (214, 230, 242), (246, 238, 222))
    _guilloche(blank, (190, 210, 228), seed=1)
    blank = _watermark(blank)
    for box in _FRONT_PORTRAIT_BOXES:
        front.paste(blank.crop(box), box[:2])
    return front


def render_licence_back(licence: Licence) -> Image.Image:
    """The back of the card: small print and the PDF417 barcode of ``aamva_payload``."""
    card = _background(CARD_SIZE, (240, 240, 236), (226, 230, 236))
    _guilloche(card, (214, 218, 226), seed=2)
    draw = ImageDraw.Draw(card)
    lines = (
        f"THIS CARD IS THE PROPERTY OF THE STATE OF {licence.state_name}.",
        "SPECIMEN - NOT A GOVERNMENT DOCUMENT - NOT VALID FOR IDENTIFICATION",
        "9a END NONE        12 RESTR NONE        9 CLASS C",
    )
    for row, line in enumerate(lines):
        draw.text((44, 40 + 34 * row), line, font=font("sans", 20), fill=_INK)
    codes = pdf417gen.encode(aamva_payload(licence), columns=13, security_level=5)
    barcode = pdf417gen.render_image(codes, scale=3, ratio=3, padding=12)
    card.paste(barcode, ((CARD_SIZE[0] - barcode.width) // 2, 190))
    draw.text((44, CARD_SIZE[1] - 50), "DL-SPEC 0001", font=font("mono", 18), fill=_INK)
    return _rounded(card).convert("RGB")


def render_passport_page(passport: Passport, mrz: str | None = None) -> Image.Image:
    """The photo page; ``mrz`` replaces the zone built from ``passport`` when given."""
    page = _background(PASSPORT_SIZE, (226, 238, 226), (240, 232, 214))
    _guilloche(page, (200, 220, 204), seed=3)
    draw = ImageDraw.Draw(page)
    draw.text((60, 40), "PASSPORT", font=font("serif", 50), fill=_BLUE)
    draw.text((420, 56), "PASSEPORT  /  PASAPORTE", font=font("sans", 26), fill=_BLUE)
    draw.text(
        (PASSPORT_SIZE[0] - 60, 48), "UTOPIA", font=font("serif", 44), fill=_BLUE, anchor="ra"
    )
    page.paste(portrait(passport.holder.portrait, (330, 440)), (60, 150))
    _draw_passport_fields(draw, passport)
    zone = mrz if mrz is not None else build_td3(passport.data())
    draw.rectangle((0, _MRZ_TOP, PASSPORT_SIZE[0], PASSPORT_SIZE[1]), fill=(250, 250, 246))
    for row, line in enumerate(zone.split("\n")):
        draw.text(_mrz_origin(row), line, font=font("mono", _MRZ_FONT_SIZE), fill=(10, 10, 10))
    return _watermark(page)


# Where render_passport_page prints the zone: its white band, and its lines of text.
_MRZ_TOP = 820
_MRZ_FONT_SIZE = 52


def _mrz_origin(row: int) -> tuple[int, int]:
    return 48, 850 + 80 * row


def blur_mrz(page: Image.Image, radius: float) -> Image.Image:
    """A passport ``page`` with only its machine readable zone out of focus by ``radius`` px."""
    box = (0, _MRZ_TOP, *page.size)
    blurred = page.copy()
    blurred.paste(page.crop(box).filter(ImageFilter.GaussianBlur(radius)), box[:2])
    return blurred


def cover_mrz(
    page: Image.Image,
    columns: tuple[int, int],
    rows: Sequence[int] = (0, 1),
    colour: tuple[int, int, int] = (214, 168, 146),
) -> Image.Image:
    """A passport ``page`` with characters ``columns`` (0-based, end excluded) of the zone's
    ``rows`` (0 and 1) hidden, as by a thumb over the page."""
    pitch = font("mono", _MRZ_FONT_SIZE).getlength("<")
    covered = page.copy()
    draw = ImageDraw.Draw(covered)
    for row in rows:
        x, y = _mrz_origin(row)
        left, right = x + columns[0] * pitch, x + columns[1] * pitch
        draw.rectangle((left, y - 12, right, y + _MRZ_FONT_SIZE + 12), fill=colour)
    return covered


def _draw_passport_fields(draw: ImageDraw.ImageDraw, passport: Passport) -> None:
    holder = passport.holder
    given = " ".join(filter(None, (holder.first_name, holder.middle_name)))
    rows = (
        (
            ("Type", "P"),
            ("Code", passport.issuing_state),
            ("Passport No.", passport.document_number),
        ),
        (("Surname", holder.last_name),),
        (("Given names", given),),
        (("Nationality", "UTOPIAN"),),
        (("Date of birth", f"{holder.birth_date:%d %b %Y}".upper()), ("Sex", holder.sex)),
        (("Place of birth", "UTOPIA CITY"),),
        (("Date of issue", f"{passport.issue_date:%d %b %Y}".upper()), ("Authority", "MFA")),
        (("Date of expiry", f"{passport.expiry_date:%d %b %Y}".upper()),),
    )
    for row, fields in enumerate(rows):
        for column, (label, value) in enumerate(fields):
            x, y = 440 + 330 * column, 140 + 82 * row
            draw.text((x, y), label, font=font("sans", 20), fill=(70, 80, 90))
            draw.text((x, y + 26), value, font=font("bold", 32), fill=_INK)


def break_check_digit(zone: str, position: int = 19) -> str:
    """``zone`` with the check digit at ``position`` of line 2 (0-based) made wrong."""
    line1, line2 = zone.split("\n")
    wrong = str((int(line2[position]) + 1) % 10)
    return f"{line1}\n{line2[:position]}{wrong}{line2[position + 1 :]}"


# Photographs


def photograph(document: Image.Image, tilt: float = 0.0, seed: int = 0) -> Image.Image:
    """``document`` as a phone would see it on a desk: tilted by ``tilt`` degrees, soft,
    noisy. The same ``seed`` gives the same photo."""
    rng = random.Random(seed)
    scene = _on_plain_desk(document, tilt)
    grain = np.random.default_rng(rng.randrange(2**32)).normal(128, 40, scene.size[::-1])
    noise = Image.fromarray(np.clip(grain, 0, 255).astype(np.uint8)).convert("RGB")
    scene = Image.blend(scene, noise, 0.04 + rng.uniform(0, 0.02))
    return scene.filter(ImageFilter.GaussianBlur(0.7))


def _on_plain_desk(document: Image.Image, tilt: float) -> Image.Image:
    """``document`` tilted by ``tilt`` degrees in the middle of a plain desk."""
    width, height = document.size
    scene = _background((int(width * 1.4), int(height * 1.5)), (92, 74, 58), (60, 46, 36))
    _paste_turned(scene, document, tilt, (0, 0))
    return scene


def _paste_turned(
    scene: Image.Image, document: Image.Image, tilt: float, offset: tuple[int, int]
) -> None:
    """Lay ``document``, with its rounded corners, turned by ``tilt`` degrees, on the
    middle of ``scene`` moved by ``offset``."""
    mask = _rounded(Image.new("RGB", document.size)).getchannel("A")
    turned = document.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True)
    turned_mask = mask.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True)
    at = (
        (scene.width - turned.width) // 2 + offset[0],
        (scene.height - turned.height) // 2 + offset[1],
    )
    scene.paste(turned, at, turned_mask)


def blur_barcode(back: Image.Image) -> Image.Image:
    """A back so out of focus that its barcode cannot be read."""
    return back.filter(ImageFilter.GaussianBlur(6))


def cut_barcode(back: Image.Image) -> Image.Image:
    """A back photographed with its right side, and part of the barcode, out of frame."""
    return back.crop((0, 0, int(back.width * 0.55), back.height))


def build_documents() -> dict[str, Image.Image]:
    """Every document and variant, by file stem."""
    zone = build_td3(SAMPLE_PASSPORT.data())
    return {
        "licence_front": photograph(render_licence_front(SAMPLE_LICENCE)),
        "licence_back": photograph(render_licence_back(SAMPLE_LICENCE)),
        "licence_back_tilted": photograph(render_licence_back(SAMPLE_LICENCE), tilt=7),
        "licence_back_blurred": photograph(blur_barcode(render_licence_back(SAMPLE_LICENCE))),
        "licence_back_cut": cut_barcode(photograph(render_licence_back(SAMPLE_LICENCE))),
        "licence_back_mismatched": photograph(render_licence_back(MISMATCHED_BARCODE_LICENCE)),
        "licence_front_expired": photograph(render_licence_front(EXPIRED_LICENCE)),
        "licence_back_expired": photograph(render_licence_back(EXPIRED_LICENCE)),
        "id_card_front": photograph(render_licence_front(SAMPLE_ID_CARD)),
        "id_card_back": photograph(render_licence_back(SAMPLE_ID_CARD)),
        "passport": photograph(render_passport_page(SAMPLE_PASSPORT)),
        "passport_bad_check_digit": photograph(
            render_passport_page(SAMPLE_PASSPORT, break_check_digit(zone))
        ),
    }


def write_documents(out_dir: Path) -> list[Path]:
    """Write every document to ``out_dir`` as PNG and return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, image in build_documents().items():
        path = out_dir / f"{stem}.png"
        image.save(path)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path, help="directory to write PNG files to")
    for path in write_documents(parser.parse_args(argv).out_dir):
        print(path)


def zone_with_names(
    passport: Passport, last_name: str | None = None, given_names: str | None = None
) -> str:
    """The passport's zone with other names in it, as OCR may misread them: no check
    digit covers the names, so the zone still passes every check."""
    data = passport.data()
    last_name, given_names = last_name or data.last_name, given_names or data.given_names
    return build_td3(replace(data, last_name=last_name, given_names=given_names))


def photograph_on_clutter(document: Image.Image, tilt: float = 0.0, seed: int = 0) -> Image.Image:
    """``document`` as a phone sees it on a busy desk: tilted by ``tilt`` degrees, among
    things with straight edges of their own at other angles (wood grain, a striped mat,
    a printed page, a receipt with a shop's barcode, pens and notes), lit unevenly from
    one side with a soft shadow across, soft and noisy. The same ``seed`` gives the
    same photo."""
    rng = random.Random(seed)
    width, height = document.size
    scene = _wood_grain((int(width * 1.7), int(height * 1.9)), rng)
    for item in (_striped_mat(rng), _printed_page(rng), _receipt(rng)):
        _lay(scene, item, rng.uniform(0, 360), rng)
    _scatter_objects(scene, rng)
    offset = (rng.randint(-width // 20, width // 20), rng.randint(-height // 20, height // 20))
    _paste_turned(scene, document, tilt, offset)
    scene = _light_unevenly(scene, rng)
    noise = Image.frombytes("L", scene.size, rng.randbytes(scene.width * scene.height))
    scene = Image.blend(scene, noise.convert("RGB"), 0.04 + rng.uniform(0, 0.02))
    return scene.filter(ImageFilter.GaussianBlur(0.7))


def _wood_grain(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A desk top: brown, with wavy grain running at a random angle."""
    side = int(math.hypot(*size)) + 2
    wood = _background((side, side), (128, 92, 60), (96, 66, 42))
    draw = ImageDraw.Draw(wood)
    for _ in range(140):
        base, phase = rng.uniform(0, side), rng.uniform(0, math.tau)
        amplitude, period = rng.uniform(2, 14), rng.uniform(80, 400)
        shade = rng.randint(50, 90)
        points = [
            (x, base + amplitude * math.sin(x / period + phase)) for x in range(0, side + 8, 8)
        ]
        draw.line(points, fill=(shade + 30, shade, shade - 20), width=rng.randint(1, 3))
    turned = wood.rotate(rng.uniform(0, 180), resample=Image.Resampling.BILINEAR)
    left, top = (side - size[0]) // 2, (side - size[1]) // 2
    return turned.crop((left, top, left + size[0], top + size[1]))


def _striped_mat(rng: random.Random) -> Image.Image:
    """A woven mat of fine dark stripes: many parallel edges, like a barcode's."""
    mat = Image.new("RGB", (rng.randint(500, 800), rng.randint(300, 500)), (210, 196, 170))
    draw = ImageDraw.Draw(mat)
    for x in range(0, mat.width, rng.randint(5, 9)):
        draw.line([(x, 0), (x, mat.height)], fill=(70, 60, 50), width=2)
    return mat


def _printed_page(rng: random.Random) -> Image.Image:
    """A page of small print."""
    page = Image.new("RGB", (rng.randint(500, 700), rng.randint(600, 800)), (236, 234, 226))
    draw = ImageDraw.Draw(page)
    letters = "abcdefghijklmnopqrstuvwxyz     "
    for y in range(30, page.height - 30, 26):
        line = "".join(rng.choice(letters) for _ in range(60))
        draw.text((30, y), line, font=font("serif", 18), fill=_INK)
    return page


def _receipt(rng: random.Random) -> Image.Image:
    """A till receipt with a one-dimensional barcode at its foot."""
    receipt = Image.new("RGB", (rng.randint(240, 300), rng.randint(520, 640)), (244, 244, 240))
    draw = ImageDraw.Draw(receipt)
    for y in range(24, receipt.height - 150, 22):
        item = f"ITEM {rng.randint(1000, 9999)}  {rng.randint(1, 99)}.99"
        draw.text((16, y), item, font=font("mono", 16), fill=_INK)
    x = 20
    while x < receipt.width - 24:
        bar = rng.randint(1, 4)
        draw.rectangle((x, receipt.height - 120, x + bar - 1, receipt.height - 30), fill=_INK)
        x += bar + rng.randint(1, 4)
    return receipt


def _lay(scene: Image.Image, item: Image.Image, angle: float, rng: random.Random) -> None:
    """Put ``item`` down on ``scene`` turned by ``angle`` degrees, somewhere at random,
    perhaps partly out of the picture."""
    mask = Image.new("L", item.size, 255).rotate(angle, expand=True)
    turned = item.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    at = (
        rng.randint(-turned.width // 2, scene.width - turned.width // 2),
        rng.randint(-turned.height // 2, scene.height - turned.height // 2),
    )
    scene.paste(turned, at, mask)


def _scatter_objects(scene: Image.Image, rng: random.Random) -> None:
    """Pens, coins and sticky notes, in random colours."""
    draw = ImageDraw.Draw(scene)
    for _ in range(14):
        colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        x, y = rng.uniform(0, scene.width), rng.uniform(0, scene.height)
        kind = rng.choice(("pen", "coin", "note"))
        if kind == "pen":
            angle, length = rng.uniform(0, math.tau), rng.uniform(150, 400)
            end = (x + length * math.cos(angle), y + length * math.sin(angle))
            draw.line([(x, y), end], fill=colour, width=rng.randint(8, 16))
        elif kind == "coin":
            r = rng.uniform(20, 45)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour, outline=(40, 40, 40), width=2)
        else:
            side = rng.uniform(80, 150)
            draw.rectangle((x, y, x + side, y + side), fill=colour)


def _light_unevenly(scene: Image.Image, rng: random.Random) -> Image.Image:
    """``scene`` lit from one side, fading to under half across it, with a soft shadow."""
    light = Image.linear_gradient("L").resize(scene.size)
    light = light.rotate(rng.uniform(0, 360), resample=Image.Resampling.BILINEAR, fillcolor=128)
    light = light.point(lambda v: 120 + v * 135 // 255)
    x, y = rng.uniform(0, scene.width), rng.uniform(0, scene.height)
    r = scene.width * rng.uniform(0.2, 0.35)
    ImageDraw.Draw(light).ellipse((x - r, y - r / 2, x + r, y + r / 2), fill=90)
    light = light.filter(ImageFilter.GaussianBlur(scene.width / 25))
    return Image.composite(scene, Image.new("RGB", scene.size), light)


def photograph_as_taken(
    document: Image.Image,
    tilt: float = 0.0,
    seed: int = 0,
    *,
    busy: bool = False,
    uneven_light: bool = True,
    blur: float = 0.7,
) -> Image.Image:
    """``document`` as a phone takes it: tilted by ``tilt`` degrees, noisy, out of focus by
    ``blur`` pixels (a Gaussian radius), and, if ``uneven_light``, lit unevenly from one side
    with a soft shadow across; on a plain desk or, if ``busy``, on a cluttered one
    (``photograph_on_clutter``, always lit unevenly, whose own softening of 0.7 counts
    towards ``blur``). Every random choice is drawn from ``seed``, so the same arguments
    give the same photo."""
    if busy:
        scene = photograph_on_clutter(document, tilt, seed)
        more = math.sqrt(max(0.0, blur * blur - 0.49))
        return scene.filter(ImageFilter.GaussianBlur(more)) if more > 0.05 else scene
    rng = random.Random(seed)
    scene = _on_plain_desk(document, tilt)
    if uneven_light:
        scene = _light_unevenly(scene, rng)
    noise = Image.frombytes("L", scene.size, rng.randbytes(scene.width * scene.height))
    scene = Image.blend(scene, noise.convert("RGB"), 0.04 + rng.uniform(0, 0.02))
    return scene.filter(ImageFilter.GaussianBlur(blur))


# Where ICAO 9303 writes two letters for one accented letter; others just lose the accent.
_ICAO_TWO_LETTERS = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "Å": "AA", "Ø": "OE",
                                   "Æ": "AE"})  # fmt: skip


def icao_spelling(name: str) -> str:
    """``name`` in capitals as ICAO 9303 transliterates it for a zone (``Müller``:
    ``MUELLER``, ``José``: ``JOSE``); spaces, hyphens and apostrophes are kept for
    ``build_td3`` to deal with."""
    upper = unicodedata.normalize("NFC", name).upper().translate(_ICAO_TWO_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", upper) if not unicodedata.combining(c))


def icao_zone(passport: Passport) -> str:
    """The passport's zone as an issuer writes it for a holder whose names have accents
    (``Passport.data`` would drop the accented letters instead)."""
    holder = passport.holder
    given = " ".join(filter(None, (holder.first_name, holder.middle_name)))
    return zone_with_names(passport, icao_spelling(holder.last_name), icao_spelling(given))


def zone_with_birth_date(zone: str, birth_date: date) -> str:
    """``zone`` with another birth date written over its own, as by a forger who left the
    birth date's check digit and the composite one as they were."""
    line1, line2 = zone.split("\n")
    return f"{line1}\n{line2[:13]}{birth_date:%y%m%d}{line2[19:]}"


if __name__ == "__main__":
    main()
