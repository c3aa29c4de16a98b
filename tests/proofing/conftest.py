"""Generated documents for the proofing tests, as upload bytes, made once a session."""

from __future__ import annotations

import io
import random
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image

from tests.documents import generate
from tests.documents.generate import Licence


def jpeg(image: Image.Image, quality: int = 88) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def unique_licence(number: str | None = None, **holder: object) -> Licence:
    """SAMPLE_LICENCE for a person no other test uses, so duplicate checks stay apart."""
    rng = random.SystemRandom()
    # Syllables, as names are: a run like JPJJJJJB is a string OCR may fairly misread,
    # and these tests are about proofing, not about reading such a front.
    surname = "".join(rng.choice("BCDFGHKLMNPRSTVZ") + rng.choice("AEIOU") for _ in range(4))
    fields: dict[str, object] = {
        "last_name": surname,
        "birth_date": date(rng.randint(1940, 2000), rng.randint(1, 12), rng.randint(1, 28)),
    }
    fields.update(holder)
    person = replace(generate.HOLDER_A, **fields)  # type: ignore[arg-type]
    return replace(
        generate.SAMPLE_LICENCE,
        holder=person,
        document_number=number or f"D{rng.randint(1000000, 9999999)}",
    )


def licence_photos(licence: Licence) -> tuple[bytes, bytes]:
    """(front, back) photographed, as JPEG bytes."""
    front = generate.photograph(generate.render_licence_front(licence))
    back = generate.photograph(generate.render_licence_back(licence))
    return jpeg(front), jpeg(back)


@pytest.fixture(scope="session")
def sample_front() -> bytes:
    return jpeg(generate.photograph(generate.render_licence_front(generate.SAMPLE_LICENCE)))


@pytest.fixture(scope="session")
def passport_page() -> bytes:
    return jpeg(generate.photograph(generate.render_passport_page(generate.SAMPLE_PASSPORT)))
