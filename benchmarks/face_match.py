"""How long the selfie method's face engine takes for one verification, and how much
memory a worker holding its models uses.

A verification is what the method does once a person has sent a photo of their ID and a
selfie: ``FaceEngine.portrait`` on the ID photo, ``FaceEngine.selfie`` on the selfie,
and ``compare``. The inputs are made from the bundled test photos:

- the ID photo: a generated licence front or passport photo page with the person's
  portrait (``tests/documents/generate.py``), photographed on a desk;
- the selfie: another photo of the same person, or of someone else;
- both *upscaled with Pillow* to a phone's 12 MP (4032 x 3024) or to 2 MP (1632 x 1224),
  and saved as JPEG at quality 90. An upscaled photo has no more detail than its source,
  so these measure the time that size costs (decoding, downscaling, detecting), not
  what a real phone camera's detail would add or remove.

Also timed: a liveness check of 8 frames of 640 x 480 (``FaceEngine.liveness``).

The engine runs in a child process pinned to one core, which holds only the engine and
the app's code, so that its peak resident memory (``VmHWM`` in ``/proc/self/status``) is
a worker's, not this script's (which makes the 12 MP photos). Times are wall-clock and
the process's CPU time: on a machine that other work shares, the CPU time is what one
verification costs one core, and the wall-clock time what it took meanwhile (the load
average before and after is reported).

Run from the repository root:  python benchmarks/face_match.py --help
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"12MP": (4032, 3024), "2MP": (1632, 1224)}
# (holder's portrait, document, selfie): genuine and impostor verifications
CASES = (
    ("person-a_1.jpg", "licence", "person-a_2.jpg"),
    ("person-a_1.jpg", "passport", "person-a_3.jpg"),
    ("person-b_2.jpg", "licence", "person-b_1.jpg"),
    ("person-b_2.jpg", "passport", "person-a_2.jpg"),
    ("person-c_1.png", "licence", "person-b_1.jpg"),
    ("person-c_1.png", "passport", "person-a_3.jpg"),
)


def make_inputs(folder: Path) -> list[dict[str, Any]]:
    """Write the ID photos and selfies for every case and size into ``folder``."""
    from tests.documents import generate

    holders = {
        holder.portrait: holder
        for holder in (generate.HOLDER_A, generate.HOLDER_B, generate.HOLDER_C)
    }
    cases = []
    for number, (portrait, document, selfie) in enumerate(CASES):
        holder = holders[portrait]
        if document == "licence":
            card = generate.render_licence_front(replace(generate.SAMPLE_LICENCE, holder=holder))
        else:
            card = generate.render_passport_page(replace(generate.SAMPLE_PASSPORT, holder=holder))
        photo = generate.photograph(card, tilt=3.0, seed=number)
        with Image.open(generate.FACES / selfie) as opened:
            face = opened.convert("RGB")
        for label, size in SIZES.items():
            id_path = folder / f"{number}-{label}-id.jpg"
            selfie_path = folder / f"{number}-{label}-selfie.jpg"
            _save(photo.resize(size, Image.Resampling.LANCZOS), id_path)
            _save(face.resize(size[::-1], Image.Resampling.LANCZOS), selfie_path)
            cases.append(
                {
                    "size": label,
                    "id": str(id_path),
                    "selfie": str(selfie_path),
                    "genuine": _person(portrait) == _person(selfie),
                }
            )
    return cases


def _person(photo: str) -> str:
    return photo.rsplit("_", 1)[0]


def _save(image: Image.Image, path: Path) -> None:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())


def make_frames(folder: Path) -> list[str]:
    """8 frames of a person turning left, as the browser sends them."""
    from idp.proofing.methods.selfie.faces import Prompt
    from tests.faces_support import FACES, prompt_frames

    paths = []
    for index, frame in enumerate(prompt_frames(FACES / "person-a_1.jpg", Prompt.TURN_LEFT, 8)):
        path = folder / f"frame-{index}.jpg"
        path.write_bytes(frame)
        paths.append(str(path))
    return paths


def worker(plan_path: Path) -> None:
    """Run in the child: time every verification ``rounds`` times; print JSON."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    plan = json.loads(plan_path.read_text())
    import idp.proofing.methods.selfie  # noqa: F401 - a worker holds the method's code
    from idp.proofing.methods.selfie.faces import Face, FaceEngine, Prompt

    engine = FaceEngine()
    started = time.perf_counter()
    engine.load()
    loading = time.perf_counter() - started
    resident_loaded = _status("VmRSS")
    inputs = [
        (case, Path(case["id"]).read_bytes(), Path(case["selfie"]).read_bytes())
        for case in plan["cases"]
    ]
    times: dict[str, list[float]] = {label: [] for label in SIZES}
    cpu: dict[str, list[float]] = {label: [] for label in SIZES}
    outcomes: dict[str, list[str]] = {label: [] for label in SIZES}
    for round_number in range(plan["rounds"]):
        for case, document, selfie in inputs:
            started, started_cpu = time.perf_counter(), time.process_time()
            portrait, face = engine.portrait(document), engine.selfie(selfie)
            match = None
            if isinstance(portrait, Face) and isinstance(face, Face):
                match = engine.compare(portrait, face).match
            times[case["size"]].append(time.perf_counter() - started)
            cpu[case["size"]].append(time.process_time() - started_cpu)
            if round_number == 0:
                outcomes[case["size"]].append(
                    f"{'genuine' if case['genuine'] else 'impostor'}: "
                    + ("match" if match else "no match" if match is False else "unusable")
                )
    frames = [Path(path).read_bytes() for path in plan["frames"]]
    liveness, liveness_cpu = [], []
    for _ in range(plan["rounds"]):
        started, started_cpu = time.perf_counter(), time.process_time()
        passed = isinstance(engine.liveness(frames, Prompt.TURN_LEFT), Face)
        liveness.append(time.perf_counter() - started)
        liveness_cpu.append(time.process_time() - started_cpu)
    print(
        json.dumps(
            {
                "model_loading_s": round(loading, 2),
                "resident_after_loading_mb": resident_loaded,
                "peak_resident_mb": _status("VmHWM"),
                "verifications": {
                    label: {
                        "wall": _summary(values),
                        "cpu": _summary(cpu[label]),
                        "outcomes": outcomes[label],
                    }
                    for label, values in times.items()
                },
                "liveness_8_frames": {
                    "wall": _summary(liveness),
                    "cpu": _summary(liveness_cpu),
                    "passed": passed,
                },
            }
        )
    )


def _summary(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "count": len(values),
        "median_s": round(statistics.median(ordered), 3),
        "p95_s": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 3),
        "max_s": round(ordered[-1], 3),
    }


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def describe_machine() -> dict[str, str]:
    def first(path: str, prefix: str) -> str:
        lines = Path(path).read_text().splitlines()
        return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(prefix)), "?")

    from importlib.metadata import version

    return {
        "nproc": str(os.cpu_count()),
        "cpu": first("/proc/cpuinfo", "model name"),
        "python": platform.python_version(),
        "dlib-bin": version("dlib-bin"),
        "face_recognition": version("face_recognition"),
        "pillow": version("pillow"),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10, help="times each case runs (10)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.worker:
        worker(args.worker)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        load_before = os.getloadavg()[0]
        plan = {
            "rounds": args.rounds,
            "cases": make_inputs(Path(folder)),
            "frames": make_frames(Path(folder)),
        }
        plan_path = Path(folder) / "plan.json"
        plan_path.write_text(json.dumps(plan))
        done = subprocess.run(  # noqa: S603 - this script, run again as the worker
            [sys.executable, __file__, "--worker", str(plan_path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    figures = {
        "machine": describe_machine(),
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        **json.loads(done.stdout),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
