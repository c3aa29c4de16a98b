"""Faces for the selfie method: find the portrait on a photo of an ID and the face in a
selfie, check that each is good enough to compare, and compare them.

:class:`FaceEngine` uses face_recognition on dlib: the HOG face detector (never the CNN
one, which is 10-30 times slower without a GPU), the 68-point landmarks and the 128-d
ResNet encoding. On the bundled photos two photos of one person measured 0.24-0.44
apart and two people 0.70-0.90 (``docs/face_matching.md``). :class:`FakeFaceEngine` is
a test adapter with the same calls, which decides from markers in the bytes instead of
looking.

Every call takes untrusted bytes and returns a :class:`Face` or a :class:`FaceProblem`;
none raises for a bad image. Images are decoded by the project's upload loader (JPEG,
PNG or WebP; at most 25 MP; EXIF orientation applied; a cut-off file refused whatever
``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` says, which face_recognition turns on and this
module turns off again), at a reduced scale for a big JPEG, and downscaled before
detection: a selfie to ``SELFIE_SIDE`` pixels on its longer side, an ID photo to
``PORTRAIT_SIDE`` (the portrait fills less of it; when no usable portrait is found
there, a second look at ``CLOSE_PORTRAIT_SIDE``), a liveness frame to ``FRAME_SIDE``.
One verification (an ID photo and a selfie, 12 MP each) costs about 0.3 s of one core.

Privacy: a :class:`Face` lives only in memory and is never serialised, logged or stored;
its ``repr`` shows only the box. Nothing here logs.

The models (about 130 MB in memory) load on the first call, or with :meth:`FaceEngine.load`;
calls into them take one lock, as the library keeps them in module globals.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any, Protocol

import numpy
from PIL import Image, ImageFile

from idp.proofing.documents.images import UploadLimits, UploadRejection, load_upload
from idp.proofing.methods.selfie.liveness import (
    EYES_CLOSED,
    Prompt,
    choose_prompt,
    eye_aspect_ratio,
    face_thumbnail,
    judge,
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "Comparison",
    "Face",
    "FaceEngine",
    "FaceMatcher",
    "FaceProblem",
    "FakeFaceEngine",
    "Prompt",
    "choose_prompt",
    "fake_face_image",
]

# Measured on the bundled photos (docs/face_matching.md): genuine pairs 0.24-0.44,
# impostors 0.70 and more. Stricter than the library's 0.6.
DEFAULT_TOLERANCE = 0.5

# A phone's 12 MP JPEG (4032 x 3024) is decoded at a quarter of its size for a selfie
# (its shorter side 756) and at half for an ID photo: decoding is most of the time.
SELFIE_SIDE = 756
PORTRAIT_SIDE = 1024
# A second look when the portrait is missing, small or soft: the largest side a phone's
# 12 MP JPEG (4032 x 3024) reaches when decoded at half scale, so that no such photo is
# ever decoded in full (36 MB for its pixels alone, and as much for each copy).
CLOSE_PORTRAIT_SIDE = 1512
FRAME_SIDE = 640
MIN_FACE = 90  # a selfie's or a frame's face, in pixels across after downscaling
MIN_PORTRAIT_FACE = 80  # an ID portrait's; HOG finds nothing much smaller without upsampling
GHOST_SHARE = 0.6  # a second face at least this share of the portrait's width: two people
MIN_SHARPNESS = 20.0  # variance of the Laplacian over the face, scaled to CHIP pixels
CHIP = 150  # the size the encoder sees a face at
MIN_FRAMES = 5
MAX_FRAMES = 12
# Photos uploaded one by one, without a camera in the browser: straight, following the
# prompt (turned, or eyes closed), straight again. Never fewer.
MIN_UPLOADED_FRAMES = 3

Box = tuple[int, int, int, int]


class FaceProblem(StrEnum):
    """Why an image gives no face to compare, or a comparison or liveness check failed."""

    NOT_AN_IMAGE = "not_an_image"
    NO_FACE = "no_face"
    MANY_FACES = "many_faces"
    FACE_TOO_SMALL = "face_too_small"
    FACE_BLURRY = "face_blurry"
    EYES_CLOSED = "eyes_closed"
    NO_MATCH = "no_match"
    LIVENESS_FAILED = "liveness_failed"


_LOOK_CLOSER = (FaceProblem.NO_FACE, FaceProblem.FACE_TOO_SMALL, FaceProblem.FACE_BLURRY)


@dataclass(frozen=True, eq=False)
class Face:
    """One face read from an image. It lives only in memory: never serialise, log or
    store it. ``box`` is (top, right, bottom, left) in the downscaled image."""

    encoding: numpy.ndarray = field(repr=False)  # the 128-d face_recognition encoding
    landmarks: dict[str, list[tuple[int, int]]] = field(repr=False)
    box: Box


@dataclass(frozen=True)
class Comparison:
    """The distance between two faces' encodings and the tolerance it was judged by."""

    distance: float
    tolerance: float

    @property
    def match(self) -> bool:
        return self.distance <= self.tolerance


class FaceMatcher(Protocol):
    """What the selfie method needs of a face engine; :class:`FaceEngine` and
    :class:`FakeFaceEngine` both provide it."""

    tolerance: float

    def portrait(self, image: bytes) -> Face | FaceProblem:
        """The printed portrait on an ID front or a passport's photo page: the largest
        face (a small "ghost" portrait beside it is ignored)."""
        ...

    def selfie(self, image: bytes) -> Face | FaceProblem:
        """Exactly one face, large and sharp enough, eyes open."""
        ...

    def compare(self, document: Face, selfie: Face) -> Comparison: ...

    def liveness(
        self, frames: Sequence[bytes], prompt: Prompt, minimum: int = MIN_FRAMES
    ) -> Face | FaceProblem:
        """The best frame's face when ``frames`` (at least ``minimum``) show one live
        person following ``prompt`` (see :mod:`.liveness`)."""
        ...


class FaceEngine:
    """The real engine: face_recognition (dlib), HOG detector, on one core."""

    def __init__(self, tolerance: float = DEFAULT_TOLERANCE) -> None:
        if not 0 < tolerance < 1:
            raise ValueError("the face match tolerance must be between 0 and 1")
        self.tolerance = tolerance

    def load(self) -> None:
        """Load the models now rather than on the first call (a worker's start-up)."""
        _library()

    def portrait(self, image: bytes) -> Face | FaceProblem:
        pixels = _pixels(image, PORTRAIT_SIDE)
        if pixels is None:
            return FaceProblem.NOT_AN_IMAGE
        found = _portrait_face(pixels)
        if found in _LOOK_CLOSER:
            # A portrait small in a large photo (a passport page taken from afar) loses
            # its detail when the photo is downscaled: look again at more of its pixels.
            # Slower, so only on this path.
            closer = _pixels(image, CLOSE_PORTRAIT_SIDE)
            if closer is not None and closer.shape != pixels.shape:
                second = _portrait_face(closer)
                found = found if second is FaceProblem.NO_FACE else second
        if found is FaceProblem.NO_FACE:
            return _too_small_or_none(pixels)
        return found

    def selfie(self, image: bytes) -> Face | FaceProblem:
        pixels = _pixels(image, SELFIE_SIDE)
        if pixels is None:
            return FaceProblem.NOT_AN_IMAGE
        boxes = _detect(pixels)
        if not boxes:
            return _too_small_or_none(pixels)
        if len(boxes) > 1:
            return FaceProblem.MANY_FACES
        return _checked(pixels, boxes[0], MIN_FACE, eyes=True)

    def compare(self, document: Face, selfie: Face) -> Comparison:
        distance = float(numpy.linalg.norm(document.encoding - selfie.encoding))
        return Comparison(distance, self.tolerance)

    def liveness(
        self, frames: Sequence[bytes], prompt: Prompt, minimum: int = MIN_FRAMES
    ) -> Face | FaceProblem:
        if not _enough_distinct_frames(frames, minimum):
            return FaceProblem.LIVENESS_FAILED
        images: list[numpy.ndarray] = []
        faces: list[Face | None] = []
        for frame in frames:
            pixels = _pixels(frame, FRAME_SIDE)
            if pixels is None:
                return FaceProblem.NOT_AN_IMAGE
            boxes = _detect(pixels)
            if len(boxes) > 1:
                return FaceProblem.MANY_FACES
            images.append(pixels)
            faces.append(_read(pixels, boxes[0]) if boxes else None)
        seen = [
            None if face is None else face_thumbnail(_grey_crop(pixels, face.box))
            for pixels, face in zip(images, faces, strict=True)
        ]
        verdict = judge(faces, seen, prompt)
        best = None if verdict.best is None else faces[verdict.best]
        if verdict.best is None or best is None:
            return FaceProblem.LIVENESS_FAILED
        problem = _quality_problem(images[verdict.best], best.box, MIN_FACE)
        return best if problem is None else problem


def _pixels(image: bytes, side: int) -> numpy.ndarray | None:
    """``image`` decoded upright as RGB with its longer side at most ``side``, or None."""
    loaded = load_upload(image, UploadLimits(max_side=side))
    if isinstance(loaded, UploadRejection):
        return None
    return numpy.asarray(loaded)


def _portrait_face(pixels: numpy.ndarray) -> Face | FaceProblem:
    """The largest face; a second face nearly as large makes two people."""
    boxes = _detect(pixels)
    if not boxes:
        return FaceProblem.NO_FACE
    if len(boxes) > 1 and _width(boxes[1]) >= GHOST_SHARE * _width(boxes[0]):
        return FaceProblem.MANY_FACES
    return _checked(pixels, boxes[0], MIN_PORTRAIT_FACE, eyes=False)


def _too_small_or_none(pixels: numpy.ndarray) -> FaceProblem:
    """After nothing was found: a second search at twice the size finds faces too small
    to use (slower, so only on this path)."""
    return FaceProblem.FACE_TOO_SMALL if _detect(pixels, upsample=1) else FaceProblem.NO_FACE


def _checked(pixels: numpy.ndarray, box: Box, min_width: int, *, eyes: bool) -> Face | FaceProblem:
    problem = _quality_problem(pixels, box, min_width)
    if problem is not None:
        return problem
    face = _read(pixels, box)
    if eyes and eye_aspect_ratio(face.landmarks) < EYES_CLOSED:
        return FaceProblem.EYES_CLOSED
    return face


def _quality_problem(pixels: numpy.ndarray, box: Box, min_width: int) -> FaceProblem | None:
    if _width(box) < min_width:
        return FaceProblem.FACE_TOO_SMALL
    if sharpness(pixels, box) < MIN_SHARPNESS:
        return FaceProblem.FACE_BLURRY
    return None


def sharpness(pixels: numpy.ndarray, box: Box) -> float:
    """The variance of the Laplacian over the face, seen at the encoder's size: low when
    the face is out of focus or moved."""
    crop = Image.fromarray(_grey_crop(pixels, box)).resize((CHIP, CHIP), Image.Resampling.BILINEAR)
    grey = numpy.asarray(crop, numpy.float32)
    laplacian = (
        grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    )
    return float(laplacian.var())


def _grey_crop(pixels: numpy.ndarray, box: Box) -> numpy.ndarray:
    top, right, bottom, left = box
    return numpy.asarray(Image.fromarray(pixels[top:bottom, left:right]).convert("L"))


def _width(box: Box) -> int:
    return box[1] - box[3]


def _area(box: Box) -> int:
    return _width(box) * (box[2] - box[0])


# face_recognition


_LOCK = threading.Lock()


@cache
def _library() -> Any:
    """face_recognition, with Pillow's truncated-image setting put back: importing it sets
    ``LOAD_TRUNCATED_IMAGES`` for the whole process."""
    # Without its models face_recognition ends the whole process: fail here instead.
    importlib.import_module("face_recognition_models")
    import face_recognition

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return face_recognition


def _detect(pixels: numpy.ndarray, upsample: int = 0) -> list[Box]:
    """The HOG detector's boxes, largest first."""
    library = _library()
    with _LOCK:
        found = library.face_locations(pixels, upsample, "hog")
    boxes = [(int(top), int(right), int(bottom), int(left)) for top, right, bottom, left in found]
    return sorted(boxes, key=_area, reverse=True)


def _read(pixels: numpy.ndarray, box: Box) -> Face:
    library = _library()
    with _LOCK:
        landmarks = library.face_landmarks(pixels, [box])[0]
        encoding = library.face_encodings(pixels, [box])[0]
    points = {name: [(int(x), int(y)) for x, y in part] for name, part in landmarks.items()}
    return Face(numpy.asarray(encoding, numpy.float64), points, box)


# The test adapter


_MARKER = re.compile(rb"fake-face:(person|problem|motion)=([a-z0-9_-]{1,40})")
_IMAGE_STARTS = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")
_FAKE_LANDMARKS = {
    "chin": [(100 + 12 * i, 150 + (8 - abs(8 - i)) * 6) for i in range(17)],
    "nose_bridge": [(196, 120 + 10 * i) for i in range(4)],
    "left_eye": [(150, 120), (160, 114), (172, 114), (182, 120), (172, 126), (160, 126)],
    "right_eye": [(210, 120), (220, 114), (232, 114), (242, 120), (232, 126), (220, 126)],
}


class FakeFaceEngine:
    """A test adapter for development, demos and the method's tests: it never looks at
    faces, and decides from ASCII markers anywhere in the bytes (for instance in a JPEG
    comment, see :func:`fake_face_image`):

    - ``fake-face:problem=<FaceProblem value>``: that problem;
    - ``fake-face:person=<name>``: a face of that person; two images of one name match,
      of two names do not;
    - ``fake-face:motion=<Prompt value>`` (liveness frames): the frame follows that prompt.

    Bytes that do not start like a JPEG, PNG or WebP file are ``NOT_AN_IMAGE``. An
    unmarked image is a face of the person ``someone``, so any two unmarked pictures
    match. Liveness fails for fewer than 5 or more than 12 frames, for frames that are
    all the same bytes, for frames of two people, or when a frame's motion is not the
    prompt; unmarked frames pass.
    """

    def __init__(self, tolerance: float = DEFAULT_TOLERANCE) -> None:
        self.tolerance = tolerance

    def load(self) -> None:
        """Nothing to load."""

    def portrait(self, image: bytes) -> Face | FaceProblem:
        return self._face(image)

    def selfie(self, image: bytes) -> Face | FaceProblem:
        return self._face(image)

    def compare(self, document: Face, selfie: Face) -> Comparison:
        distance = float(numpy.linalg.norm(document.encoding - selfie.encoding))
        return Comparison(distance, self.tolerance)

    def liveness(
        self, frames: Sequence[bytes], prompt: Prompt, minimum: int = MIN_FRAMES
    ) -> Face | FaceProblem:
        if not _enough_distinct_frames(frames, minimum):
            return FaceProblem.LIVENESS_FAILED
        faces: list[Face] = []
        for frame in frames:
            face = self._face(frame)
            if isinstance(face, FaceProblem):
                return face
            faces.append(face)
        first = faces[0]
        if any(self.compare(first, face).distance > 0 for face in faces):
            return FaceProblem.LIVENESS_FAILED
        motions = {_markers(frame).get("motion") for frame in frames} - {None}
        if motions and motions != {prompt.value}:
            return FaceProblem.LIVENESS_FAILED
        return first

    def _face(self, image: bytes) -> Face | FaceProblem:
        markers = _markers(image)
        if "problem" in markers:
            return FaceProblem(markers["problem"])
        if not markers and not image.startswith(_IMAGE_STARTS):
            return FaceProblem.NOT_AN_IMAGE
        return _fake_face(markers.get("person", "someone"))


def _enough_distinct_frames(frames: Sequence[bytes], minimum: int) -> bool:
    """Between ``minimum`` (never fewer than :data:`MIN_UPLOADED_FRAMES`) and
    :data:`MAX_FRAMES` frames, not all one picture."""
    least = max(minimum, MIN_UPLOADED_FRAMES)
    return least <= len(frames) <= MAX_FRAMES and len(set(frames)) > 1


def _markers(data: bytes) -> dict[str, str]:
    return {kind.decode(): value.decode() for kind, value in _MARKER.findall(data)}


def _fake_face(person: str) -> Face:
    seed = int.from_bytes(hashlib.sha256(person.encode()).digest()[:8], "big")
    direction = numpy.random.default_rng(seed).normal(size=128)
    encoding = direction / numpy.linalg.norm(direction)
    landmarks = {name: list(points) for name, points in _FAKE_LANDMARKS.items()}
    return Face(encoding, landmarks, (100, 300, 300, 100))


def fake_face_image(
    person: str = "someone",
    *,
    problem: FaceProblem | None = None,
    motion: Prompt | None = None,
    frame: int = 0,
) -> bytes:
    """A small real JPEG carrying :class:`FakeFaceEngine`'s markers in its comment;
    ``frame`` varies the pixels, so a sequence of frames is not one picture repeated."""
    marks = [f"fake-face:person={person}"]
    if problem is not None:
        marks.append(f"fake-face:problem={problem.value}")
    if motion is not None:
        marks.append(f"fake-face:motion={motion.value}")
    image = Image.new("RGB", (64, 48), (120, (frame * 37) % 256, 160))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, comment=" ".join(marks).encode())
    return buffer.getvalue()
