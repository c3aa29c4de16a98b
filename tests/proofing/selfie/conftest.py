"""Inputs for the selfie method's tests: generated licences, and faces for the fake
engine (markers it reads in a JPEG comment)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

from idp.proofing.methods.selfie.faces import FaceProblem, Prompt, fake_face_image
from idp.proofing.methods.selfie.method import FRAME_FIELDS
from idp.proofing.protocol import Inputs
from tests.documents.generate import Licence
from tests.proofing.conftest import licence_photos


def marked(jpeg: bytes, marker: str) -> bytes:
    """The same JPEG with a comment segment carrying ``marker`` (for the fake engine)."""
    assert jpeg.startswith(b"\xff\xd8")
    body = marker.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def typed_for(licence: Licence) -> dict[str, str]:
    holder = licence.holder
    return {
        "document_kind": "licence",
        "given_name": holder.first_name.title(),
        "family_name": holder.last_name.title(),
        "birthdate": holder.birth_date.isoformat(),
    }


def licence_inputs(licence: Licence, front_marker: str | None = None) -> Inputs:
    front, back = licence_photos(licence)
    if front_marker:
        front = marked(front, front_marker)
    return Inputs(fields=typed_for(licence), files={"front": front, "back": back})


def camera_frames(
    prompt: Prompt, person: str = "someone", count: int = 8, problem: FaceProblem | None = None
) -> dict[str, bytes]:
    """Frames as the page posts them, of ``person`` following ``prompt``."""
    return {
        FRAME_FIELDS[index]: fake_face_image(person, motion=prompt, frame=index, problem=problem)
        for index in range(count)
    }


def uploaded_photos(
    prompt: Prompt, person: str = "someone", problem: FaceProblem | None = None
) -> dict[str, bytes]:
    """Three photos as the upload form posts them, taken one after the other following
    ``prompt``; the first has ``problem``."""
    return {
        f"photo_{n}": fake_face_image(
            person, problem=problem if n == 1 else None, motion=prompt, frame=n
        )
        for n in range(1, 4)
    }


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
