"""Face photos for the selfie method's tests: the bundled fixtures, pairs folders laid out
for ``idp proofing evaluate``, and camera frames or a Y4M video in which the person in a
still photo follows a liveness prompt.

The motion is synthesised from one photo, and is only as convincing as it needs to be
for the landmark checks, not for a person:

- A turn warps the face horizontally: its middle moves sideways and its outline stays
  nearly in place, and it is sheared about the eyes' line, so the nose tip moves against
  both the eyes and the outline, as when a head turns. The frames are the camera's own,
  unmirrored: turning to the person's left moves the nose to the right of the picture.
- A blink pulls each upper lid down: the skin between the eye and the brow is stretched
  down over the eye to the lower lid. The landmark model then puts the lids closer
  together (to about half to two thirds of their open distance). It is crude, good
  enough for the check, and no test of how real closed eyes look.

Each frame gets its own faint noise, as a camera's frames do, so no two are identical.
"""

from __future__ import annotations

import io
import math
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy
from PIL import Image

from idp.proofing.methods.selfie.faces import Face, FaceEngine, FaceProblem, Prompt

FACES = Path(__file__).resolve().parent / "fixtures" / "faces"
FRAME_SIZE = (640, 480)
FACE_SHARE = 0.32  # the face's width as a share of the frame's, as at arm's length
TURN_SHIFT = 0.15  # how far the middle of the face moves in a turn, in face widths
TURN_SPREAD = 0.3  # how far from the middle the move reaches, in face widths
TURN_SHEAR = 0.3  # the shear about the eyes' line in a turn (pixels across per pixel down)
LID_REACH = 2.5  # how far above the eye the lid's skin is taken from, in eye heights
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
SKIPPED = ("two-faces",)  # photos of several people cannot be one person's pair


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def open_rgb(path: Path) -> Image.Image:
    """A photo as RGB; a transparent one flattened on a light grey, as on a page."""
    with Image.open(path) as photo:
        rgba = photo.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (226, 232, 240, 255))
    flat.alpha_composite(rgba)
    return flat.convert("RGB")


# Pairs folders


def person_of(path: Path) -> str:
    """``person-a`` for ``person-a_2.jpg``: photos are named ``<person>_<n>.<ext>``."""
    return path.stem.rsplit("_", 1)[0]


def lay_out_pairs(photos: Path, out: Path) -> tuple[int, int]:
    """Lay out ``genuine/<n>/{a,b}`` (two photos of one person) and ``impostor/<n>/{a,b}``
    (two people) in ``out`` from every pair of photos named ``<person>_<n>.<ext>`` in
    ``photos``, skipping ``two-faces``. Returns the numbers of genuine and impostor pairs."""
    paths = sorted(
        path
        for path in photos.iterdir()
        if path.suffix.lower() in PHOTO_SUFFIXES and path.stem not in SKIPPED
    )
    counts = {"genuine": 0, "impostor": 0}
    for index, first in enumerate(paths):
        for second in paths[index + 1 :]:
            kind = "genuine" if person_of(first) == person_of(second) else "impostor"
            counts[kind] += 1
            pair = out / kind / str(counts[kind])
            pair.mkdir(parents=True)
            shutil.copyfile(first, pair / f"a{first.suffix.lower()}")
            shutil.copyfile(second, pair / f"b{second.suffix.lower()}")
    return counts["genuine"], counts["impostor"]


# Frames in which a prompt is followed


def selfie_frame(photo: Path) -> tuple[Image.Image, Face]:
    """The photo framed as a selfie camera frames a face (``FRAME_SIZE``, the face a
    third of the width), and the face the engine reads in it."""
    image = open_rgb(photo)
    image.thumbnail((1024, 1024), Image.Resampling.LANCZOS)
    face = _read(image)
    top, right, bottom, left = face.box
    scale = FACE_SHARE * FRAME_SIZE[0] / (right - left)
    image = image.resize(
        (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
    )
    centre_x, centre_y = (left + right) / 2 * scale, (top + bottom) / 2 * scale
    offset = (round(FRAME_SIZE[0] / 2 - centre_x), round(FRAME_SIZE[1] * 0.45 - centre_y))
    border = tuple(int(v) for v in numpy.asarray(image)[0].mean(axis=0))
    frame = Image.new("RGB", FRAME_SIZE, border)
    frame.paste(image, offset)
    return frame, _read(frame)


def _read(image: Image.Image) -> Face:
    face = FaceEngine().portrait(png(image))
    if isinstance(face, FaceProblem):
        raise ValueError(f"no usable face in the photo: {face}")
    return face


def prompt_frames(photo: Path, prompt: Prompt, frames: int = 8, seed: int = 0) -> list[bytes]:
    """JPEG frames of the person in ``photo`` following ``prompt`` once: frontal first,
    then the turn or the blink (eyes open again at the end)."""
    frame, face = selfie_frame(photo)
    rng = numpy.random.default_rng(seed)
    return [
        jpeg(_noisy(_pose(frame, face, prompt, phase), rng)) for phase in _one_pass(prompt, frames)
    ]


def _one_pass(prompt: Prompt, frames: int) -> list[float]:
    """How far through the motion each frame is: 0 frontal or open, 1 turned or closed."""
    if prompt is Prompt.BLINK:
        closed = frames // 2
        return [1.0 if index in (closed, closed + 1) else 0.0 for index in range(frames)]
    frontal = max(2, frames // 4)
    ramp = max(1, frames - frontal - 2)
    return [min(1.0, max(0.0, (index - frontal + 1) / ramp)) for index in range(frames)]


def _loop(prompt: Prompt, frames: int) -> list[float]:
    """A motion that loops: frontal, the turn, held, and back; or eyes open, closed for a
    quarter of the loop (long enough to be caught by frames taken a few hundred
    milliseconds apart), and open. A capture as long as the loop, starting anywhere in
    it, sees the whole motion."""
    quarter = max(2, frames // 4)
    if prompt is Prompt.BLINK:
        cycle = [0.0] * (2 * quarter) + [1.0] * quarter + [0.0] * quarter
    else:
        rise = [index / quarter for index in range(1, quarter + 1)]
        cycle = [0.0] * quarter + rise + [1.0] * quarter + rise[::-1][1:] + [0.0]
    return [cycle[index % len(cycle)] for index in range(frames)]


def _pose(frame: Image.Image, face: Face, prompt: Prompt, phase: float) -> Image.Image:
    if phase <= 0:
        return frame
    if prompt is Prompt.BLINK:
        return eyes_closed(frame, face)
    # Turning to the person's left moves the nose to the right of the unmirrored picture.
    direction = 1 if prompt is Prompt.TURN_LEFT else -1
    return turned(frame, face, direction * phase)


def turned(frame: Image.Image, face: Face, amount: float) -> Image.Image:
    """The head turned by ``amount`` (-1 to 1, positive to the picture's right): the middle
    of the face moves sideways, less and less away from it, so the eyes and nose move
    against the face outline, which stays nearly in place as a turning head's silhouette
    does; and the head is sheared about the eyes' line, so the nose tip, below the eyes,
    moves against them. Both fade out away from the head."""
    top, right, bottom, left = face.box
    width = right - left
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    eyes_y = numpy.mean([y for _, y in face.landmarks["left_eye"] + face.landmarks["right_eye"]])
    columns = numpy.arange(frame.width, dtype=numpy.float64)[None, :]
    rows = numpy.arange(frame.height, dtype=numpy.float64)[:, None]
    head = numpy.exp(-(((columns - centre_x) / width) ** 2 + ((rows - centre_y) / width) ** 2))
    middle = numpy.exp(-(((columns - centre_x) / (TURN_SPREAD * width)) ** 2) / 2)
    shift = TURN_SHEAR * (rows - eyes_y) * head + TURN_SHIFT * width * middle
    # where each pixel of the turned picture comes from, in its own row
    source = numpy.clip(columns - amount * shift, 0, frame.width - 1.001)
    lower = numpy.floor(source).astype(int)
    weight = (source - lower)[:, :, None]
    pixels = numpy.asarray(frame, numpy.float32)
    row_index = numpy.arange(frame.height)[:, None]
    warped = pixels[row_index, lower] * (1 - weight) + pixels[row_index, lower + 1] * weight
    return Image.fromarray(numpy.clip(warped, 0, 255).astype(numpy.uint8))


def eyes_closed(frame: Image.Image, face: Face) -> Image.Image:
    """Each upper lid pulled down over its eye: the skin between the eye and the brow is
    stretched down to the lower lid, most in the middle of the eye."""
    pixels = numpy.asarray(frame, numpy.float32)
    closed = pixels.copy()
    for name in ("left_eye", "right_eye"):
        eye = numpy.asarray(face.landmarks[name], numpy.float64)
        left, right = eye[:, 0].min(), eye[:, 0].max()
        upper, lower = eye[:, 1].min(), eye[:, 1].max()
        height = max(3.0, lower - upper)
        top, bottom = upper - LID_REACH * height, lower + 0.15 * height
        rows = numpy.arange(int(top), math.ceil(bottom))
        columns = numpy.arange(
            int(left - 0.25 * (right - left)), int(right + 0.25 * (right - left)) + 1
        )
        across = numpy.clip((columns - (left + right) / 2) / (0.625 * (right - left)), -1, 1)
        pull = numpy.sqrt(numpy.cos(across * math.pi / 2))[None, :] * (bottom - upper)
        down = ((rows - top) / (bottom - top))[:, None]
        source = numpy.clip(rows[:, None] - pull * down, 0, frame.height - 1.001)
        above = numpy.floor(source).astype(int)
        weight = (source - above)[:, :, None]
        closed[rows[:, None], columns[None, :]] = (
            pixels[above, columns[None, :]] * (1 - weight)
            + pixels[above + 1, columns[None, :]] * weight
        )
    return Image.fromarray(numpy.clip(closed, 0, 255).astype(numpy.uint8))


def _noisy(image: Image.Image, rng: numpy.random.Generator) -> Image.Image:
    pixels = numpy.asarray(image, numpy.float32) + rng.normal(
        0, 2.0, (image.height, image.width, 1)
    )
    return Image.fromarray(numpy.clip(pixels, 0, 255).astype(numpy.uint8))


# Y4M video, for a browser's fake camera


def make_prompt_video(
    photo: Path, prompt: Prompt, out: Path, frames: int = 40, fps: int = 20
) -> Path:
    """Write ``out``, a Y4M video (raw 4:2:0, BT.601 video range, as a camera's) of
    ``frames`` frames at ``fps`` in which the person in ``photo`` follows ``prompt`` in a
    loop (frontal, the motion, held, back), for Chromium's
    ``--use-file-for-fake-video-capture``, which plays it over and over."""
    frame, face = selfie_frame(photo)
    rng = numpy.random.default_rng(0)
    width, height = FRAME_SIZE
    with out.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for phase in _loop(prompt, frames):
            y, cb, cr = _noisy(_pose(frame, face, prompt, phase), rng).convert("YCbCr").split()
            half = (width // 2, height // 2)
            video.write(b"FRAME\n")
            video.write(_to_video_range(y, 219))
            video.write(_to_video_range(cb.resize(half, Image.Resampling.BOX), 224))
            video.write(_to_video_range(cr.resize(half, Image.Resampling.BOX), 224))
    return out


def _to_video_range(plane: Image.Image, span: int) -> bytes:
    """A full-range plane (0-255) in video range (16 up to 16 + ``span``)."""
    values = numpy.asarray(plane, numpy.float32) * span / 255 + 16
    return numpy.round(values).astype(numpy.uint8).tobytes()


def _from_video_range(data: bytes, size: tuple[int, int], span: int) -> Image.Image:
    values = (numpy.frombuffer(data, numpy.uint8).astype(numpy.float32) - 16) * 255 / span
    pixels = numpy.clip(numpy.round(values), 0, 255).astype(numpy.uint8)
    return Image.fromarray(pixels.reshape(size[1], size[0]))


def frames_from_video(path: Path, every: int = 1) -> list[bytes]:
    """Every ``every``-th frame of a Y4M video written by :func:`make_prompt_video`, as JPEG."""
    data = path.read_bytes()
    header, _, body = data.partition(b"\n")
    tags = {tag[:1]: tag[1:] for tag in header.split()[1:]}
    width, height = int(tags[b"W"]), int(tags[b"H"])
    luma, chroma = width * height, (width // 2) * (height // 2)
    images: list[bytes] = []
    position, index = 0, 0
    while position < len(body):
        start = body.index(b"\n", position) + 1
        if index % every == 0:
            y = _from_video_range(body[start : start + luma], (width, height), 219)
            cb, cr = (
                _from_video_range(
                    body[offset : offset + chroma], (width // 2, height // 2), 224
                ).resize((width, height), Image.Resampling.BILINEAR)
                for offset in (start + luma, start + luma + chroma)
            )
            images.append(jpeg(Image.merge("YCbCr", (y, cb, cr)).convert("RGB")))
        position, index = start + luma + 2 * chroma, index + 1
    return images


def replayed(image: bytes, frames: int = 8) -> Sequence[bytes]:
    """One picture sent as every frame."""
    return [image] * frames


def still_frames(photo: Path, frames: int = 8, seed: int = 0) -> list[bytes]:
    """A photo held still before a camera: the same picture with each frame's own noise."""
    frame, _ = selfie_frame(photo)
    rng = numpy.random.default_rng(seed)
    return [jpeg(_noisy(frame, rng)) for _ in range(frames)]
