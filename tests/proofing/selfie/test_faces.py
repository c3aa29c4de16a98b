"""The face engine on real photos (face_recognition on dlib, HOG detector): the bundled
fixtures, downscaled copies of the face_recognition project's test images, and the fake
engine beside it."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import replace

import pytest
from PIL import Image, ImageFile, ImageFilter

from idp.proofing.documents.images import UploadRejection, load_upload
from idp.proofing.methods.selfie.faces import (
    DEFAULT_TOLERANCE,
    Face,
    FaceEngine,
    FaceProblem,
    FakeFaceEngine,
    Prompt,
    choose_prompt,
    fake_face_image,
)
from idp.settings import Settings
from tests.documents import generate
from tests.faces_support import FACES, eyes_closed, jpeg, open_rgb, png, selfie_frame

ENGINE = FaceEngine()

GENUINE = [
    ("person-a_1.jpg", "person-a_2.jpg"),
    ("person-a_1.jpg", "person-a_3.jpg"),
    ("person-a_2.jpg", "person-a_3.jpg"),
    ("person-b_2.jpg", "person-b_1.jpg"),
]
IMPOSTOR = [
    ("person-a_1.jpg", "person-b_1.jpg"),
    ("person-b_2.jpg", "person-a_2.jpg"),
    ("person-c_1.png", "person-a_3.jpg"),
    ("person-c_1.png", "person-b_1.jpg"),
]


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


def face(found: Face | FaceProblem) -> Face:
    assert isinstance(found, Face), found
    return found


def on_wall(image: Image.Image, face_width: int, size: tuple[int, int] = (756, 567)) -> bytes:
    """``image`` (a selfie fixture, its face about 45% of its width) made small on a wall."""
    scale = face_width / (0.45 * image.width)
    small = image.resize((round(image.width * scale), round(image.height * scale)))
    wall = Image.new("RGB", size, (214, 206, 190))
    wall.paste(small, ((size[0] - small.width) // 2, (size[1] - small.height) // 2))
    return jpeg(wall)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size but holds no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


# Matching


@pytest.mark.parametrize(("document", "selfie"), GENUINE)
def test_two_photos_of_one_person_match(document: str, selfie: str) -> None:
    comparison = ENGINE.compare(
        face(ENGINE.portrait(photo(document))), face(ENGINE.selfie(photo(selfie)))
    )

    assert comparison.match
    assert comparison.distance <= DEFAULT_TOLERANCE - 0.04  # with a margin, as measured
    assert comparison.tolerance == DEFAULT_TOLERANCE


@pytest.mark.parametrize(("document", "selfie"), IMPOSTOR)
def test_photos_of_two_people_do_not_match(document: str, selfie: str) -> None:
    comparison = ENGINE.compare(
        face(ENGINE.portrait(photo(document))), face(ENGINE.selfie(photo(selfie)))
    )

    assert not comparison.match
    assert comparison.distance > 0.65


def test_the_tolerance_decides_the_match() -> None:
    document, selfie = (
        face(ENGINE.portrait(photo("person-a_1.jpg"))),
        face(ENGINE.selfie(photo("person-a_2.jpg"))),
    )
    distance = ENGINE.compare(document, selfie).distance

    assert FaceEngine(tolerance=distance).compare(document, selfie).match
    assert not FaceEngine(tolerance=distance - 0.01).compare(document, selfie).match


def test_the_default_tolerance_is_the_settings_and_stricter_than_the_librarys() -> None:
    assert DEFAULT_TOLERANCE == Settings().face_match_tolerance < 0.6


@pytest.mark.parametrize("tolerance", [0.0, -0.5, 1.0])
def test_an_impossible_tolerance_is_refused(tolerance: float) -> None:
    with pytest.raises(ValueError, match="tolerance"):
        FaceEngine(tolerance)


def test_a_face_never_shows_its_encoding_or_landmarks() -> None:
    shown = repr(face(ENGINE.selfie(photo("person-b_1.jpg"))))

    assert "box=" in shown
    assert "encoding" not in shown and "landmarks" not in shown and "array" not in shown


# Documents


def test_the_portrait_on_a_photographed_licence_matches_its_holder() -> None:
    front = generate.photograph(generate.render_licence_front(generate.SAMPLE_LICENCE), tilt=4)

    portrait = face(ENGINE.portrait(jpeg(front)))

    assert ENGINE.compare(portrait, face(ENGINE.selfie(photo("person-a_2.jpg")))).match
    assert not ENGINE.compare(portrait, face(ENGINE.selfie(photo("person-b_1.jpg")))).match


def test_a_passport_page_photographed_from_afar_is_looked_at_closer() -> None:
    passport = replace(generate.SAMPLE_PASSPORT, holder=generate.HOLDER_A)
    page = generate.photograph(generate.render_passport_page(passport))
    page = page.resize((4032, 3024), Image.Resampling.LANCZOS)  # upscaled to 12 MP

    portrait = face(ENGINE.portrait(jpeg(page)))

    assert portrait.box[1] - portrait.box[3] >= 100  # found at more than 1024 pixels
    assert ENGINE.compare(portrait, face(ENGINE.selfie(photo("person-a_3.jpg")))).match


def test_a_small_ghost_portrait_beside_the_portrait_is_not_a_second_person() -> None:
    holder = open_rgb(FACES / "person-a_2.jpg")  # 480 x 640, the face 215 pixels across
    card = Image.new("RGB", (756, 600), (236, 232, 220))
    card.paste(holder.resize((408, 544)), (20, 20))
    card.paste(holder.resize((204, 272)), (520, 300))  # the ghost: half as large
    card_photo = jpeg(card)

    assert ENGINE.selfie(card_photo) is FaceProblem.MANY_FACES  # both faces are found
    portrait = face(ENGINE.portrait(card_photo))
    assert portrait.box[1] < 500  # the large one
    assert ENGINE.compare(portrait, face(ENGINE.selfie(photo("person-a_3.jpg")))).match


@pytest.mark.parametrize("read", [ENGINE.portrait, ENGINE.selfie], ids=["portrait", "selfie"])
def test_two_people_of_a_size_are_many_faces(read: Callable[[bytes], object]) -> None:
    assert read(photo("two-faces.jpg")) is FaceProblem.MANY_FACES


# What cannot be compared


def blank_wall() -> bytes:
    plaster = Image.effect_noise((1200, 900), 12).filter(ImageFilter.GaussianBlur(2))
    return jpeg(Image.merge("RGB", [plaster.point(lambda v, c=c: v + c) for c in (20, 10, -10)]))


def licence_back() -> bytes:
    return jpeg(generate.photograph(generate.render_licence_back(generate.SAMPLE_LICENCE)))


@pytest.mark.parametrize("read", [ENGINE.portrait, ENGINE.selfie], ids=["portrait", "selfie"])
@pytest.mark.parametrize("image", [blank_wall, licence_back], ids=["wall", "licence back"])
def test_a_photo_without_a_face_has_no_face(
    read: Callable[[bytes], object], image: Callable[[], bytes]
) -> None:
    assert read(image()) is FaceProblem.NO_FACE


def cut(data: bytes, kept: float = 0.6) -> bytes:
    return data[: int(len(data) * kept)]


NOT_IMAGES = {
    "empty": b"",
    "text": b"this is not a photo of anyone",
    "pdf": b"%PDF-1.7\n1 0 obj << >> endobj\n",
    "truncated JPEG": cut(photo("person-a_2.jpg")),
    "truncated PNG": cut(photo("person-c_1.png")),
    "27 MP": png_header_only(6000, 4500),
}


@pytest.mark.parametrize("read", [ENGINE.portrait, ENGINE.selfie], ids=["portrait", "selfie"])
@pytest.mark.parametrize("data", NOT_IMAGES.values(), ids=NOT_IMAGES.keys())
def test_what_is_not_a_whole_image_is_not_an_image(
    read: Callable[[bytes], object], data: bytes
) -> None:
    assert read(data) is FaceProblem.NOT_AN_IMAGE


def test_a_truncated_jpeg_is_still_refused_after_the_engine_loaded_face_recognition() -> None:
    ENGINE.load()  # importing face_recognition sets LOAD_TRUNCATED_IMAGES for the process

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    refused = load_upload(cut(photo("person-b_1.jpg")))
    assert isinstance(refused, UploadRejection) and refused.reason == "upload_truncated"
    assert ENGINE.selfie(cut(photo("person-b_1.jpg"), 0.95)) is FaceProblem.NOT_AN_IMAGE


@pytest.mark.parametrize("face_width", [55, 80])
def test_a_face_too_far_away_is_too_small(face_width: int) -> None:
    selfie = on_wall(open_rgb(FACES / "person-a_2.jpg"), face_width)

    assert ENGINE.selfie(selfie) is FaceProblem.FACE_TOO_SMALL


def test_a_portrait_too_small_to_compare_is_too_small() -> None:
    card = on_wall(open_rgb(FACES / "person-b_1.jpg"), 50, size=(1000, 700))

    assert ENGINE.portrait(card) is FaceProblem.FACE_TOO_SMALL


@pytest.mark.parametrize("name", ["person-a_2.jpg", "person-b_1.jpg"])
def test_a_face_out_of_focus_is_blurry(name: str) -> None:
    sharp = photo(name)
    width = face(ENGINE.selfie(sharp)).box[1] - face(ENGINE.selfie(sharp)).box[3]
    # Gaussian blur of two pixels at the size the encoder sees the face (150 pixels)
    blurred = open_rgb(FACES / name).filter(ImageFilter.GaussianBlur(2 * width / 150))

    assert ENGINE.selfie(jpeg(blurred)) is FaceProblem.FACE_BLURRY
    assert ENGINE.portrait(jpeg(blurred)) is FaceProblem.FACE_BLURRY


def test_closed_eyes_are_refused_in_a_selfie() -> None:
    frame, found = selfie_frame(FACES / "person-a_1.jpg")

    assert isinstance(ENGINE.selfie(jpeg(frame)), Face)
    assert ENGINE.selfie(jpeg(eyes_closed(frame, found))) is FaceProblem.EYES_CLOSED


# Phone photos


def upscaled(name: str, size: tuple[int, int]) -> Image.Image:
    return open_rgb(FACES / name).resize(size, Image.Resampling.LANCZOS)


def test_a_12_megapixel_photo_is_read() -> None:
    selfie = jpeg(upscaled("person-a_3.jpg", (3024, 4032)))  # upscaled, no more detail
    document = generate.photograph(generate.render_licence_front(generate.SAMPLE_LICENCE))
    document = document.resize((4032, 3024), Image.Resampling.LANCZOS)

    comparison = ENGINE.compare(face(ENGINE.portrait(jpeg(document))), face(ENGINE.selfie(selfie)))

    assert comparison.match


@pytest.mark.parametrize(
    ("orientation", "turn"),
    [
        (3, Image.Transpose.ROTATE_180),
        (6, Image.Transpose.ROTATE_90),
        (8, Image.Transpose.ROTATE_270),
    ],
)
def test_a_photo_is_turned_upright_by_its_exif_orientation(
    orientation: int, turn: Image.Transpose
) -> None:
    # A phone stores the sensor's pixels and says in EXIF how to turn them upright.
    stored = upscaled("person-b_1.jpg", (1512, 2016)).transpose(turn)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif.tobytes())

    assert ENGINE.selfie(jpeg(stored)) in (FaceProblem.NO_FACE, FaceProblem.FACE_TOO_SMALL)
    selfie = face(ENGINE.selfie(buffer.getvalue()))
    assert ENGINE.compare(face(ENGINE.portrait(photo("person-b_2.jpg"))), selfie).match


def test_a_png_with_transparency_is_read() -> None:
    assert isinstance(ENGINE.portrait(photo("person-c_1.png")), Face)
    assert isinstance(ENGINE.selfie(png(open_rgb(FACES / "person-b_1.jpg"))), Face)


# Prompts


def test_prompts_are_drawn_at_random() -> None:
    drawn = {choose_prompt() for _ in range(200)}

    assert drawn == set(Prompt)


# The fake engine


FAKE = FakeFaceEngine()


def test_the_fake_matches_two_images_of_one_marked_person_and_not_of_two() -> None:
    ann, again, bob = (
        fake_face_image("ann"),
        fake_face_image("ann", frame=3),
        fake_face_image("bob"),
    )

    assert FAKE.compare(face(FAKE.portrait(ann)), face(FAKE.selfie(again))).match
    assert not FAKE.compare(face(FAKE.portrait(ann)), face(FAKE.selfie(bob))).match


@pytest.mark.parametrize("problem", list(FaceProblem))
def test_the_fake_answers_a_marked_problem(problem: FaceProblem) -> None:
    image = fake_face_image(problem=problem)

    assert FAKE.portrait(image) is problem
    assert FAKE.selfie(image) is problem


def test_the_fake_takes_an_unmarked_picture_for_someone_and_refuses_other_bytes() -> None:
    someone = FAKE.portrait(photo("person-a_1.jpg"))

    assert FAKE.compare(face(someone), face(FAKE.selfie(photo("person-b_1.jpg")))).match
    assert FAKE.selfie(b"not an image") is FaceProblem.NOT_AN_IMAGE


def fake_frames(prompt: Prompt | None, person: str = "ann", count: int = 8) -> list[bytes]:
    return [fake_face_image(person, motion=prompt, frame=index) for index in range(count)]


def test_the_fake_checks_liveness_by_its_markers() -> None:
    assert isinstance(FAKE.liveness(fake_frames(Prompt.BLINK), Prompt.BLINK), Face)
    assert isinstance(FAKE.liveness(fake_frames(None), Prompt.TURN_LEFT), Face)
    assert FAKE.liveness(fake_frames(Prompt.BLINK), Prompt.TURN_LEFT) is (
        FaceProblem.LIVENESS_FAILED
    )
    mixed = fake_frames(Prompt.BLINK)[:4] + fake_frames(Prompt.BLINK, "bob")[4:]
    assert FAKE.liveness(mixed, Prompt.BLINK) is FaceProblem.LIVENESS_FAILED
    assert FAKE.liveness([fake_face_image("ann")] * 8, Prompt.BLINK) is (
        FaceProblem.LIVENESS_FAILED
    )
    assert FAKE.liveness(fake_frames(Prompt.BLINK, count=4), Prompt.BLINK) is (
        FaceProblem.LIVENESS_FAILED
    )
