"""Whether a few camera frames show a live person following a random prompt.

The browser captures several frames (5 to 12, over about three seconds) while the
person turns their head left or right, or blinks, as :func:`choose_prompt` asked. The
engine reads each frame's face (:meth:`FaceEngine.liveness`) and :func:`judge` decides:

- the face changes between frames: they are not one picture sent again, or a photo held
  still before the camera;
- at least ``MIN_FACE_FRAMES`` frames show a face, and every face found is the same
  person as the best frame's (encodings within ``FRAME_TOLERANCE``);
- the prompted motion is seen. For a turn, the head's yaw (:func:`head_yaw`) goes from
  roughly frontal to turned the asked way, and never as far the other way. For a
  blink, the eyes (:func:`eye_aspect_ratio`) are open, then closed on at least one
  frame, then open again.

**Which way is left.** The frames are the camera's own pictures, not mirrored, although
a selfie preview usually is (the page mirrors only what it shows). When a person turns
their head to *their* left, the nose moves towards the *right* of the camera's picture
(larger x), and towards the left of a mirrored preview, as in a mirror. So
``TURN_LEFT`` means the person's own left, seen as a positive yaw here.

The frames come a few hundred milliseconds apart, and a natural blink can fall between
two of them: the page should ask the person to close their eyes for a moment.

The thresholds were set on frames synthesised from still photos (``tests/faces_support.py``),
not on real captures. What this defends against and what it does not is in the README
("Selfie liveness").
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy
from PIL import Image

Landmarks = Mapping[str, Sequence[tuple[int, int]]]

FRONTAL_YAW = 0.15  # |yaw| at most this: looking roughly at the camera
TURN_CHANGE = 0.12  # the yaw's change from frontal that counts as a turn
EYES_CLOSED = 0.15  # eye aspect ratio under which eyes count as closed
BLINK_CLOSED = 0.7  # a closed frame's eye aspect ratio, at most this share of the open ones'
MIN_FACE_FRAMES = 3
# Frames are compared with the best one at the library's own tolerance, looser than the
# one an ID is compared at: they show turned heads and closed eyes, which the encoding
# represents less well. Two people measure 0.7 and more apart on the bundled photos.
FRAME_TOLERANCE = 0.6
# How much the face must change somewhere between frames (the 99th percentile of the
# grey-level change over the face seen at 64 by 64 pixels) for them not to be one picture:
# one still photo with a camera's noise changes by 2-5, a blink by 38 and more.
STILL_CHANGE = 12.0


class Prompt(StrEnum):
    """What the person is asked to do while the frames are captured."""

    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    BLINK = "blink"


def choose_prompt() -> Prompt:
    """A prompt drawn at random, so a recording made in advance cannot know it."""
    return secrets.choice(list(Prompt))


class Reading(Protocol):
    """What :func:`judge` needs of a frame's face (a :class:`~.faces.Face` has it)."""

    @property
    def landmarks(self) -> Landmarks: ...

    @property
    def encoding(self) -> numpy.ndarray: ...


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`judge`: the index of the frame to compare with the ID when
    the check passed, or ``failure``, a short code that names no one."""

    best: int | None
    failure: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None


def eye_aspect_ratio(landmarks: Landmarks) -> float:
    """The eyes' openness, averaged over both: the eyelids' distance over the eye's width
    (about 0.25-0.35 open, under 0.15 closed)."""
    return (_eye_ratio(landmarks["left_eye"]) + _eye_ratio(landmarks["right_eye"])) / 2


def _eye_ratio(eye: Sequence[tuple[int, int]]) -> float:
    corner_a, top_a, top_b, corner_b, bottom_b, bottom_a = eye
    width = math.dist(corner_a, corner_b)
    if width == 0:
        return 0.0
    return (math.dist(top_a, bottom_a) + math.dist(top_b, bottom_b)) / (2 * width)


def head_yaw(landmarks: Landmarks) -> float:
    """How far the head is turned, about 0 facing the camera, positive when the nose is
    towards the right of the (unmirrored) picture, that is when the person turned to
    their left. It is the mean of two measures taken along the line between the eyes (so
    a head or a photo tilted sideways does not count): the nose tip's offset from the
    eyes' midpoint, in eye distances; and its offset from the face outline's midpoint, in
    outline widths. By the geometry of a head (the nose tip stands about half an eye
    distance in front of the eyes), a turn of about 15 degrees reads about 0.15."""
    left_eye = numpy.mean(numpy.asarray(landmarks["left_eye"], numpy.float64), axis=0)
    right_eye = numpy.mean(numpy.asarray(landmarks["right_eye"], numpy.float64), axis=0)
    across = right_eye - left_eye
    eye_distance = float(numpy.linalg.norm(across))
    if eye_distance == 0:
        return 0.0
    middle, unit = (left_eye + right_eye) / 2, across / eye_distance

    def along(point: tuple[int, int]) -> float:
        return float(numpy.dot(numpy.asarray(point, numpy.float64) - middle, unit))

    nose = along(landmarks["nose_bridge"][-1])
    outline_left, outline_right = along(landmarks["chin"][0]), along(landmarks["chin"][-1])
    if outline_right <= outline_left:
        return 0.0
    by_outline = (nose - (outline_left + outline_right) / 2) / (outline_right - outline_left)
    return (nose / eye_distance + by_outline) / 2


def judge(
    readings: Sequence[Reading | None],
    faces_seen: Sequence[numpy.ndarray | None],
    prompt: Prompt,
) -> Verdict:
    """Decide liveness from each frame's face (None where a frame shows none), in the
    order captured, and a small grey copy of each face (:func:`face_thumbnail`)."""
    found = [(index, reading) for index, reading in enumerate(readings) if reading is not None]
    if len(found) < MIN_FACE_FRAMES:
        return Verdict(None, "too_few_faces")
    if _is_still([face for face in faces_seen if face is not None]):
        return Verdict(None, "still")
    best = _best_frame(found)
    if best is None:
        return Verdict(None, "eyes_never_open")
    best_index, reference = best
    if any(_distance(reading, reference) > FRAME_TOLERANCE for _, reading in found):
        return Verdict(None, "different_people")
    followed = _blinked if prompt is Prompt.BLINK else _turned
    failure = followed([reading for _, reading in found], prompt)
    return Verdict(best_index if failure is None else None, failure)


def face_thumbnail(grey_face: numpy.ndarray) -> numpy.ndarray:
    """A face's grey crop at 64 by 64 pixels, as :func:`judge` compares faces."""
    small = Image.fromarray(grey_face).resize((64, 64), Image.Resampling.BILINEAR)
    return numpy.asarray(small, numpy.float32)


def _is_still(faces_seen: Sequence[numpy.ndarray]) -> bool:
    first = faces_seen[0]
    change = max(
        (float(numpy.percentile(numpy.abs(face - first), 99)) for face in faces_seen[1:]),
        default=0.0,
    )
    return change < STILL_CHANGE


def _best_frame(found: Sequence[tuple[int, Reading]]) -> tuple[int, Reading] | None:
    """The most frontal frame whose eyes are open."""
    open_eyes = [
        (index, reading)
        for index, reading in found
        if eye_aspect_ratio(reading.landmarks) >= EYES_CLOSED
    ]
    if not open_eyes:
        return None
    return min(open_eyes, key=lambda item: abs(head_yaw(item[1].landmarks)))


def _distance(reading: Reading, other: Reading) -> float:
    return float(numpy.linalg.norm(reading.encoding - other.encoding))


def _turned(readings: Sequence[Reading], prompt: Prompt) -> str | None:
    """Some roughly frontal frame is followed by one whose yaw changed by ``TURN_CHANGE``
    the asked way, and no frame is as far from the most frontal one the other way."""
    direction = 1 if prompt is Prompt.TURN_LEFT else -1
    yaws = [direction * head_yaw(reading.landmarks) for reading in readings]
    frontal = [index for index, yaw in enumerate(yaws) if abs(yaw) <= FRONTAL_YAW]
    if not frontal:
        return "never_frontal"
    straight = min(yaws, key=abs)
    if min(yaws) - straight <= -TURN_CHANGE:
        return "wrong_direction"
    if not any(max(yaws[start:]) - yaws[start] >= TURN_CHANGE for start in frontal):
        return "no_turn"
    return None


def _blinked(readings: Sequence[Reading], prompt: Prompt) -> str | None:
    ratios = [eye_aspect_ratio(reading.landmarks) for reading in readings]
    for middle in range(1, len(ratios) - 1):
        opened = min(max(ratios[:middle]), max(ratios[middle + 1 :]))
        if opened >= EYES_CLOSED and ratios[middle] <= BLINK_CLOSED * opened:
            return None
    return "no_blink"
