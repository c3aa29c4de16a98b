"""Liveness: frames in which a person follows a prompt, synthesised from still photos
(``tests/faces_support.py``), checked by the real engine; and the landmark measures
on landmarks laid out by hand."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy
import pytest

from idp.proofing.methods.selfie.faces import Face, FaceEngine, FaceProblem, Prompt
from idp.proofing.methods.selfie.liveness import (
    FRONTAL_YAW,
    TURN_CHANGE,
    Verdict,
    eye_aspect_ratio,
    head_yaw,
    judge,
)
from tests.faces_support import (
    FACES,
    FRAME_SIZE,
    frames_from_video,
    jpeg,
    make_prompt_video,
    prompt_frames,
    replayed,
    selfie_frame,
    still_frames,
)

ENGINE = FaceEngine()
TURNS = [Prompt.TURN_LEFT, Prompt.TURN_RIGHT]


@cache
def frames(name: str, prompt: Prompt) -> tuple[bytes, ...]:
    return tuple(prompt_frames(FACES / name, prompt))


def portrait(name: str) -> Face:
    found = ENGINE.portrait((FACES / name).read_bytes())
    assert isinstance(found, Face), found
    return found


# Following the prompt


@pytest.mark.parametrize(
    ("name", "prompt"),
    [
        ("person-a_1.jpg", Prompt.TURN_LEFT),
        ("person-a_1.jpg", Prompt.TURN_RIGHT),
        ("person-a_1.jpg", Prompt.BLINK),
        ("person-b_2.jpg", Prompt.TURN_LEFT),
        ("person-b_2.jpg", Prompt.TURN_RIGHT),
        ("person-c_1.png", Prompt.BLINK),
    ],
)
def test_frames_that_follow_the_prompt_pass(name: str, prompt: Prompt) -> None:
    best = ENGINE.liveness(frames(name, prompt), prompt)

    assert isinstance(best, Face), best
    assert abs(head_yaw(best.landmarks)) <= FRONTAL_YAW  # the frontal frame, eyes open
    assert ENGINE.compare(portrait(name), best).match


@pytest.mark.parametrize(
    ("followed", "asked"),
    [
        (Prompt.TURN_LEFT, Prompt.TURN_RIGHT),
        (Prompt.TURN_RIGHT, Prompt.TURN_LEFT),
        (Prompt.BLINK, Prompt.TURN_LEFT),
        (Prompt.TURN_RIGHT, Prompt.BLINK),
    ],
)
@pytest.mark.parametrize("name", ["person-a_1.jpg", "person-b_2.jpg"])
def test_frames_that_follow_another_prompt_fail(name: str, followed: Prompt, asked: Prompt) -> None:
    assert ENGINE.liveness(frames(name, followed), asked) is FaceProblem.LIVENESS_FAILED


# Replays and other people


def test_one_image_sent_as_every_frame_fails() -> None:
    one = frames("person-a_1.jpg", Prompt.TURN_LEFT)[0]

    assert ENGINE.liveness(replayed(one), Prompt.TURN_LEFT) is FaceProblem.LIVENESS_FAILED


@pytest.mark.parametrize("prompt", list(Prompt))
def test_a_photo_held_still_fails_whatever_the_prompt(prompt: Prompt) -> None:
    held = still_frames(FACES / "person-a_1.jpg")

    assert len(set(held)) == len(held)  # not the same bytes: each frame has its own noise
    assert ENGINE.liveness(held, prompt) is FaceProblem.LIVENESS_FAILED


@pytest.mark.parametrize("prompt", TURNS)
def test_frames_of_two_people_fail(prompt: Prompt) -> None:
    mixed = frames("person-a_1.jpg", prompt)[:4] + frames("person-b_2.jpg", prompt)[4:]

    assert ENGINE.liveness(mixed, prompt) is FaceProblem.LIVENESS_FAILED


def test_a_turn_is_judged_on_the_same_person_as_the_frontal_frame() -> None:
    # Someone else's frontal frames followed by the person's turn: the turn is not theirs.
    turn = frames("person-b_2.jpg", Prompt.TURN_LEFT)
    mixed = frames("person-a_1.jpg", Prompt.TURN_LEFT)[:2] + turn[3:]

    assert ENGINE.liveness(mixed, Prompt.TURN_LEFT) is FaceProblem.LIVENESS_FAILED


# Frames that are not usable


@pytest.mark.parametrize("count", [1, 4, 13])
def test_too_few_or_too_many_frames_fail(count: int) -> None:
    few = list(frames("person-a_1.jpg", Prompt.TURN_LEFT)) * 2

    assert ENGINE.liveness(few[:count], Prompt.TURN_LEFT) is FaceProblem.LIVENESS_FAILED


def test_a_frame_that_is_not_an_image_is_not_an_image() -> None:
    broken = list(frames("person-a_1.jpg", Prompt.TURN_LEFT))
    broken[3] = broken[3][: len(broken[3]) // 2]

    assert ENGINE.liveness(broken, Prompt.TURN_LEFT) is FaceProblem.NOT_AN_IMAGE


def test_a_frame_with_two_people_is_many_faces() -> None:
    crowded = list(frames("person-a_1.jpg", Prompt.TURN_LEFT))
    crowded[2] = (FACES / "two-faces.jpg").read_bytes()

    assert ENGINE.liveness(crowded, Prompt.TURN_LEFT) is FaceProblem.MANY_FACES


def test_frames_without_a_face_fail() -> None:
    from PIL import Image

    empty = [jpeg(Image.effect_noise(FRAME_SIZE, 20 + index).convert("RGB")) for index in range(8)]

    assert ENGINE.liveness(empty, Prompt.BLINK) is FaceProblem.LIVENESS_FAILED


# The video for a browser's fake camera


@pytest.mark.parametrize("prompt", TURNS)
def test_the_prompt_video_passes_wherever_a_capture_starts(prompt: Prompt, tmp_path: Path) -> None:
    video = make_prompt_video(FACES / "person-a_1.jpg", prompt, tmp_path / "camera.y4m")
    played = frames_from_video(video)
    width, height = FRAME_SIZE

    assert video.read_bytes().startswith(f"YUV4MPEG2 W{width} H{height} F20:1".encode())
    assert len(played) == 40
    # 8 or 12 frames over 3 seconds of a video at 20 frames a second, from anywhere in it
    for count, start in ((8, 0), (8, 27), (12, 13)):
        step = 60 / count
        captured = [played[(start + round(i * step)) % len(played)] for i in range(count)]
        assert isinstance(ENGINE.liveness(captured, prompt), Face), (count, start)
    other = Prompt.TURN_RIGHT if prompt is Prompt.TURN_LEFT else Prompt.TURN_LEFT
    assert ENGINE.liveness(played[::5], other) is FaceProblem.LIVENESS_FAILED


def test_the_blink_video_passes_for_the_photo_it_works_on(tmp_path: Path) -> None:
    video = make_prompt_video(FACES / "person-a_1.jpg", Prompt.BLINK, tmp_path / "camera.y4m")
    played = frames_from_video(video)

    assert isinstance(ENGINE.liveness(played[::5], Prompt.BLINK), Face)


# The landmark measures


def landmarks(nose_x: float = 0.0, roll: float = 0.0, eye_open: float = 1.0) -> dict[str, list]:
    """A frontal face 200 pixels wide about (0, 0), the nose tip moved ``nose_x`` pixels,
    the eyes open by ``eye_open`` (1 open, 0 shut), the whole face rolled by ``roll``
    radians (tilted sideways)."""

    def eye(centre: float) -> list[tuple[float, float]]:
        lid = 10 * eye_open
        return [(centre - 25, 0), (centre - 10, -lid), (centre + 10, -lid),
                (centre + 25, 0), (centre + 10, lid), (centre - 10, lid)]  # fmt: skip

    parts = {
        "chin": [(-100 + 12.5 * index, 20 + abs(8 - index)) for index in range(17)],
        "nose_bridge": [(0, 10), (0, 25), (0, 40), (nose_x, 55)],
        "left_eye": eye(-45),
        "right_eye": eye(45),
    }
    turn = numpy.array([[numpy.cos(roll), -numpy.sin(roll)], [numpy.sin(roll), numpy.cos(roll)]])
    return {
        name: [tuple(round(v) for v in turn @ numpy.array(point)) for point in points]
        for name, points in parts.items()
    }


def test_the_yaw_is_positive_when_the_nose_moves_to_the_right_of_the_picture() -> None:
    assert head_yaw(landmarks()) == pytest.approx(0, abs=0.01)
    assert head_yaw(landmarks(nose_x=30)) > TURN_CHANGE  # the person turned to their left
    assert head_yaw(landmarks(nose_x=-30)) < -TURN_CHANGE


def test_a_head_tilted_sideways_is_not_turned() -> None:
    assert head_yaw(landmarks(roll=0.35)) == pytest.approx(0, abs=0.03)
    assert head_yaw(landmarks(nose_x=30, roll=0.35)) > TURN_CHANGE


def test_the_eye_aspect_ratio_falls_as_the_eyes_close() -> None:
    assert eye_aspect_ratio(landmarks()) == pytest.approx(0.4)
    assert eye_aspect_ratio(landmarks(eye_open=0.3)) == pytest.approx(0.12)


class Reading:
    """A frame's face for :func:`judge`, laid out by hand."""

    def __init__(self, nose_x: float = 0.0, eye_open: float = 1.0, person: int = 0) -> None:
        self.landmarks = landmarks(nose_x=nose_x, eye_open=eye_open)
        self.encoding = numpy.zeros(128)
        self.encoding[person] = 1.0  # two people are sqrt(2) apart


def seen(count: int, changing: bool = True) -> list[numpy.ndarray]:
    rng = numpy.random.default_rng(1)
    base = rng.uniform(0, 255, (64, 64))
    return [base + (40 * (index % 2) if changing else 0) for index in range(count)]


R, LEFT, RIGHT, BLINK = Reading, Prompt.TURN_LEFT, Prompt.TURN_RIGHT, Prompt.BLINK
JUDGED = [
    ([R(), R(), R(15), R(35), R(35)], LEFT, None),
    ([R(), R(-20), R(-35), R(-35), R()], RIGHT, None),
    ([R(), R(35), R(35), R(0), R()], RIGHT, "wrong_direction"),
    ([R(), R(2), R(-2), R(3), R()], LEFT, "no_turn"),
    ([R(45), R(50), R(60), R(60)], LEFT, "never_frontal"),
    ([R(), R(0, 0.2), R(), R()], BLINK, None),
    ([R(), R(0, 0.9), R(), R()], BLINK, "no_blink"),
    ([R(), R(), R(0, 0.2), R(0, 0.2)], BLINK, "no_blink"),
    ([R(), R(35), R(35, person=1)], LEFT, "different_people"),
    ([R(0, 0.2), R(35, 0.2), R(35, 0.2)], LEFT, "eyes_never_open"),
    ([R(), None, None, R(35)], LEFT, "too_few_faces"),
]  # fmt: skip


@pytest.mark.parametrize(("readings", "prompt", "failure"), JUDGED)
def test_judge(readings: list[Reading | None], prompt: Prompt, failure: str | None) -> None:
    faces = [None if reading is None else seen(1)[0] for reading in readings]
    verdict = judge(
        readings, [None if f is None else f + 30 * i for i, f in enumerate(faces)], prompt
    )

    assert verdict.failure == failure
    assert verdict.passed is (failure is None)
    assert (verdict.best is None) is (failure is not None)


def test_judge_finds_a_still_face_still() -> None:
    readings = [Reading(), Reading(), Reading(35), Reading(35)]

    assert judge(readings, seen(4, changing=False), Prompt.TURN_LEFT) == Verdict(None, "still")
    assert judge(readings, seen(4), Prompt.TURN_LEFT).passed


def test_the_best_frame_is_the_most_frontal_with_open_eyes() -> None:
    readings = [Reading(8, 0.1), Reading(4), Reading(1, 0.1), Reading(35)]

    assert judge(readings, seen(4), Prompt.TURN_LEFT).best == 1


def test_selfie_frame_keeps_the_photos_face() -> None:
    frame, found = selfie_frame(FACES / "person-b_2.jpg")

    assert frame.size == FRAME_SIZE
    assert 150 <= found.box[1] - found.box[3] <= 260


# Three photos uploaded without a camera in the browser: the same check, on fewer frames


@pytest.mark.parametrize(
    ("name", "prompt"),
    [
        ("person-a_1.jpg", Prompt.TURN_LEFT),
        ("person-b_2.jpg", Prompt.TURN_RIGHT),
        ("person-a_1.jpg", Prompt.BLINK),
    ],
)
def test_three_photos_that_follow_the_prompt_pass(name: str, prompt: Prompt) -> None:
    # Straight, then turned (or eyes closed), then as the motion ends.
    photos = prompt_frames(FACES / name, prompt, frames=5)[::2]

    best = ENGINE.liveness(photos, prompt, minimum=3)
    assert isinstance(best, Face), best
    assert ENGINE.compare(portrait(name), best).match


@pytest.mark.parametrize("prompt", list(Prompt))
def test_one_photo_uploaded_three_times_fails(prompt: Prompt) -> None:
    one = (FACES / "person-a_1.jpg").read_bytes()
    held = still_frames(FACES / "person-a_1.jpg", frames=3)

    assert ENGINE.liveness(replayed(one, 3), prompt, minimum=3) is FaceProblem.LIVENESS_FAILED
    assert ENGINE.liveness(held, prompt, minimum=3) is FaceProblem.LIVENESS_FAILED


def test_three_photos_that_follow_another_prompt_fail() -> None:
    photos = prompt_frames(FACES / "person-a_1.jpg", Prompt.TURN_RIGHT, frames=3)

    assert ENGINE.liveness(photos, Prompt.TURN_LEFT, minimum=3) is FaceProblem.LIVENESS_FAILED


def test_never_fewer_than_three_frames_even_when_asked() -> None:
    photos = prompt_frames(FACES / "person-a_1.jpg", Prompt.TURN_LEFT, frames=3)

    assert ENGINE.liveness(photos[:2], Prompt.TURN_LEFT, minimum=1) is FaceProblem.LIVENESS_FAILED
