"""How well the document method reads documents: false refusals, false acceptances, time.

Generated licences (front and back) and passport photo pages, photographed as a phone
would (tilted up to fifteen degrees either way, out of focus, compressed as JPEG at
quality 60-95, on a plain or a busy desk, lit evenly or unevenly), are submitted to the
real ``DocumentOnlyMethod`` with fake record checks that confirm everyone, with the
holder's name typed as a person types it ("O'Brien", "José", "De la Cruz"). So what is
measured is the reading of the documents and the comparison with what was typed.

- A *valid* document is accepted when the method answers PENDING at step ``code`` (a
  letter would be mailed); any other answer is a false refusal, reported with its
  reason codes.
- An *altered* document answered that way is a false acceptance. The alterations:
  a licence front printing another birth date than its barcode (typed date: the
  barcode's); a passport zone whose birth date was changed and its check digits left
  as they were (typed date: the changed one); a passport zone with one check digit
  broken; and either document with another person's name typed.

Only ``submit`` is timed, not making the photos. Documents are spread over worker
processes; each document gets fresh fake ports. The same ``--seed`` and ``--count``
give the same documents and photos.

Run from the repository root:  python benchmarks/document_reading.py --help
"""

from __future__ import annotations

import argparse
import io
import json
import math
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from idp.proofing.documents.mrz import check_digit
from idp.proofing.methods.document.letter_office import FakeLetterOffice
from idp.proofing.methods.document.method import DocumentOnlyMethod, DocumentPorts
from idp.proofing.ports.address_source import FakeAddressSource
from idp.proofing.ports.death_records import FakeDeathRecords
from idp.proofing.ports.issuing_source import FakeIssuingSource
from idp.proofing.protocol import Inputs, Status
from tests.documents import generate
from tests.documents.generate import Holder, Licence, Passport

Kind = Literal["licence", "passport"]
Alteration = Literal["none", "birth_date", "name", "check_digit"]
Scene = Literal["plain desk, even light", "plain desk, uneven light", "busy desk, uneven light"]

SCENES: tuple[Scene, ...] = (
    "plain desk, even light",
    "plain desk, uneven light",
    "busy desk, uneven light",
)
ALTERATIONS: dict[Kind, tuple[Alteration, ...]] = {
    "licence": ("birth_date", "name"),
    "passport": ("birth_date", "name", "check_digit"),
}
TILT_BANDS = ((0.0, 5.0), (5.0, 10.0), (10.0, 15.0))
MAX_TILT = 15.0
BLUR = (0.5, 1.3)  # Gaussian radius, in pixels of a photo about 1,400 to 2,500 wide
JPEG_QUALITY = (60, 95)
# line 2 of a zone: the check digits of the number, birth date, expiry date and composite
CHECK_DIGITS = (9, 19, 27, 43)
PORTRAITS = ("person-a_1.jpg", "person-b_2.jpg", "person-c_1.png")
ISSUED = generate.years_after(date.today(), -2)


@dataclass(frozen=True)
class Person:
    """A holder as they write their own name and address."""

    given_name: str
    middle_name: str | None
    family_name: str
    sex: Literal["F", "M"]
    street: str
    city: str
    postal_code: str  # nine digits


PEOPLE = (
    Person("Daniel", "Luis", "Muestra-García", "M", "7 Specimen Court", "Oakland", "946120000"),
    Person("Siobhan", None, "O'Brien", "F", "42 Test Hill Road", "Fresno", "937211234"),
    Person("María", "Elena", "De la Cruz", "F", "315 Sample Street", "San Jose", "951100000"),
    Person("José", "Antonio", "Ramírez", "M", "88 Example Way", "Los Angeles", "900120000"),
    Person("Jürgen", None, "Müller", "M", "9 Placeholder Lane", "Sacramento", "958140000"),
    Person("Michael", "James", "Sample", "M", "1600 Example Avenue", "Sacramento", "958140000"),
    Person("Mei", None, "Li", "F", "21 Demo Drive", "San Diego", "921010000"),
    Person("Zoë", "Grace", "D'Angelo", "F", "5 Mock Terrace", "Pasadena", "911010000"),
    Person("Robert", None, "Van der Berg", "M", "64 Trial Road", "Fresno", "937210000"),
    Person("Ngozi", "Adaeze", "Okafor-Ellis", "F", "12 Fixture Place", "Oakland", "946070000"),
)


@dataclass(frozen=True)
class Case:
    """One document to make, photograph and submit; everything random is drawn already."""

    number: int
    kind: Kind
    alteration: Alteration
    person: int  # index in PEOPLE of the holder
    typed_person: int  # whose name is typed: the holder's, or another's for "name"
    birth_date: date
    altered_birth_date: date  # printed (licence front) or written in the zone (passport)
    document_number: str
    id_card: bool
    check_position: int
    tilt: float
    blur: float
    quality: int
    scene: Scene
    seed: int
    us_date: bool  # the birth date typed as MM/DD/YYYY rather than from a date picker


@dataclass(frozen=True)
class Result:
    """What the method answered for one case, and how long it took."""

    case: Case
    status: str
    step: str | None
    reasons: tuple[str, ...]
    seconds: float

    @property
    def accepted(self) -> bool:
        return self.status == Status.PENDING.value and self.step == "code"

    @property
    def valid(self) -> bool:
        return self.case.alteration == "none"

    @property
    def wrong(self) -> bool:
        """A false refusal or a false acceptance."""
        return self.accepted != self.valid


# Making the cases


def make_cases(count: int, seed: int) -> list[Case]:
    """``count`` valid documents of each kind, and ``count // 4`` of each alteration."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for kind in ("licence", "passport"):
        plan: list[Alteration] = ["none"] * count
        for alteration in ALTERATIONS[kind]:
            plan += [alteration] * max(1, count // 4)
        for index, alteration in enumerate(plan):
            cases.append(_draw_case(rng, len(cases), kind, alteration, index))
    return cases


def _draw_case(
    rng: random.Random, number: int, kind: Kind, alteration: Alteration, index: int
) -> Case:
    person = index % len(PEOPLE)
    typed_person = person
    if alteration == "name":
        typed_person = rng.choice([p for p in range(len(PEOPLE)) if p != person])
    low, high = TILT_BANDS[index % len(TILT_BANDS)]
    birth_date = date(rng.randint(1945, 2004), rng.randint(1, 12), rng.randint(1, 28))
    return Case(
        number=number,
        kind=kind,
        alteration=alteration,
        person=person,
        typed_person=typed_person,
        birth_date=birth_date,
        altered_birth_date=_altered(birth_date, rng),
        document_number=_document_number(kind, rng),
        id_card=rng.random() < 0.25,
        check_position=CHECK_DIGITS[index % len(CHECK_DIGITS)],
        tilt=round(rng.choice((-1, 1)) * rng.uniform(low, high), 2),
        blur=round(rng.uniform(*BLUR), 2),
        quality=rng.randint(*JPEG_QUALITY),
        scene=rng.choice(SCENES),
        seed=rng.randrange(2**31),
        us_date=rng.random() < 0.5,
    )


def _altered(birth_date: date, rng: random.Random) -> date:
    """Another birth date, a few years earlier and on another day, whose zone check
    digit is not the real one's (so the forger's zone cannot pass by chance)."""
    while True:
        altered = birth_date - timedelta(days=rng.randint(365, 8 * 365))
        if check_digit(f"{altered:%y%m%d}") != check_digit(f"{birth_date:%y%m%d}"):
            return altered


def _document_number(kind: Kind, rng: random.Random) -> str:
    if kind == "licence":
        return f"D{rng.randint(1_000_000, 9_999_999)}"
    return f"{rng.choice('CFGHJKLMNPRTVWXY')}{rng.randint(10_000_000, 99_999_999)}"


# Making the documents and what the person types


def capitals(name: str, *, accents: bool) -> str:
    """``name`` in capitals, as a document prints it; a licence's barcode has no accents."""
    upper = unicodedata.normalize("NFC", name.upper())
    if accents:
        return upper
    return "".join(c for c in unicodedata.normalize("NFKD", upper) if not unicodedata.combining(c))


def holder_of(case: Case, *, accents: bool, birth_date: date | None = None) -> Holder:
    person = PEOPLE[case.person]
    middle = person.middle_name
    return Holder(
        first_name=capitals(person.given_name, accents=accents),
        middle_name=capitals(middle, accents=accents) if middle else None,
        last_name=capitals(person.family_name, accents=accents),
        birth_date=birth_date or case.birth_date,
        sex=person.sex,
        street=capitals(person.street, accents=False),
        city=capitals(person.city, accents=False),
        state="CA",
        postal_code=person.postal_code,
        portrait=PORTRAITS[case.person % len(PORTRAITS)],
    )


def licence_pages(case: Case) -> tuple[Image.Image, Image.Image]:
    """The front and back of the licence (or ID card), the front altered if asked."""
    licence = Licence(
        holder=holder_of(case, accents=False),
        document_number=case.document_number,
        issue_date=ISSUED,
        expiry_date=generate.years_after(ISSUED, 5),
        kind="ID" if case.id_card else "DL",
    )
    front = licence
    if case.alteration == "birth_date":
        front = replace(licence, holder=replace(licence.holder, birth_date=case.altered_birth_date))
    return generate.render_licence_front(front), generate.render_licence_back(licence)


def passport_page(case: Case) -> Image.Image:
    """The photo page, its zone altered if asked (the page prints the altered birth date
    too, as a forger would make it)."""
    passport = Passport(
        holder=holder_of(case, accents=True),
        document_number=case.document_number,
        issue_date=ISSUED,
        expiry_date=generate.years_after(ISSUED, 10),
    )
    zone = generate.icao_zone(passport)
    if case.alteration == "birth_date":
        zone = generate.zone_with_birth_date(zone, case.altered_birth_date)
        altered = replace(passport.holder, birth_date=case.altered_birth_date)
        passport = replace(passport, holder=altered)
    elif case.alteration == "check_digit":
        zone = generate.break_check_digit(zone, case.check_position)
    return generate.render_passport_page(passport, zone)


def typed_fields(case: Case) -> dict[str, str]:
    """What the person types: their own spelling of the name, in their own case."""
    person, holder = PEOPLE[case.typed_person], PEOPLE[case.person]
    birth_date = case.birth_date
    if case.kind == "passport" and case.alteration == "birth_date":
        birth_date = case.altered_birth_date
    fields = {
        "document_kind": case.kind,
        "given_name": person.given_name,
        "middle_name": person.middle_name or "",
        "family_name": person.family_name,
        "birthdate": f"{birth_date:%m/%d/%Y}" if case.us_date else birth_date.isoformat(),
    }
    if case.kind == "passport":
        fields.update(
            street_1=holder.street,
            city=holder.city,
            state="CA",
            postal_code=holder.postal_code[:5],
        )
    return fields


def photo(page: Image.Image, case: Case, shot: int) -> bytes:
    """The page photographed in the case's conditions, as the JPEG a phone uploads."""
    image = generate.photograph_as_taken(
        page,
        case.tilt,
        case.seed + shot,
        busy=case.scene.startswith("busy"),
        uneven_light=case.scene.endswith("uneven light"),
        blur=case.blur,
    )
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=case.quality)
    return buffer.getvalue()


def uploads(case: Case) -> dict[str, bytes]:
    if case.kind == "licence":
        front, back = licence_pages(case)
        return {"front": photo(front, case, 0), "back": photo(back, case, 1)}
    return {"passport_page": photo(passport_page(case), case, 0)}


# Running a case


def new_method() -> DocumentOnlyMethod:
    """The real method, with fake record checks that confirm everyone, and a letter office."""
    ports = DocumentPorts(
        issuing_source=FakeIssuingSource(),
        death_records=FakeDeathRecords(),
        address_source=FakeAddressSource(),
        letters=FakeLetterOffice(),
    )
    return DocumentOnlyMethod(ports)


def run_case(job: tuple[Case, Path | None]) -> Result:
    """Make the case's uploads, then time the method's document step on them."""
    case, save_dir = job
    files = uploads(case)
    inputs = Inputs(fields=typed_fields(case), files=files)
    method = new_method()
    started = time.perf_counter()
    outcome = method.submit("document", inputs, {})
    seconds = time.perf_counter() - started
    result = Result(case, outcome.status.value, outcome.step, outcome.reasons, seconds)
    if save_dir is not None and result.wrong:
        for name, data in files.items():
            (save_dir / f"case-{case.number:03d}-{name}.jpg").write_bytes(data)
    return result


def run_all(cases: Sequence[Case], processes: int, save_dir: Path | None) -> list[Result]:
    jobs = [(case, save_dir) for case in cases]
    if processes <= 1:
        return [run_case(job) for job in jobs]
    with multiprocessing.Pool(processes) as pool:
        results = list(pool.imap_unordered(run_case, jobs, chunksize=1))
    return sorted(results, key=lambda r: r.case.number)


# Summing up


def band_of(tilt: float) -> str:
    """The tilt band, by how far the photo is turned either way."""
    turned = abs(tilt)
    for low, high in TILT_BANDS:
        if turned < high or high == MAX_TILT:
            return f"tilt {low:2g}-{high:g}°"
    raise ValueError(tilt)


def p90(values: Sequence[float]) -> float:
    """The 90th percentile by nearest rank: no more than a tenth of the values are above."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def reason_of(result: Result) -> str:
    return "+".join(result.reasons) or f"{result.status} at {result.step}"


def summarise(results: Sequence[Result]) -> dict[str, Any]:
    valid = [r for r in results if r.valid]
    altered = [r for r in results if not r.valid]
    refused = [r for r in valid if not r.accepted]
    seconds = [r.seconds for r in results]
    return {
        "documents": len(results),
        "valid": len(valid),
        "false_refusals": len(refused),
        "false_refusal_reasons": dict(Counter(reason_of(r) for r in refused).most_common()),
        "altered": len(altered),
        "false_acceptances": sum(r.accepted for r in altered),
        "median_seconds": round(statistics.median(seconds), 3) if seconds else None,
        "p90_seconds": round(p90(seconds), 3) if seconds else None,
    }


def grouped(
    results: Sequence[Result], key: Callable[[Result], str]
) -> list[tuple[str, list[Result]]]:
    """The results by ``key``, in the order of its labels (tilt bands pad with a space)."""
    groups: dict[str, list[Result]] = {}
    for result in results:
        groups.setdefault(key(result), []).append(result)
    return sorted(groups.items())


def table_rows(results: Sequence[Result]) -> list[tuple[str, dict[str, Any]]]:
    """Each kind, then its tilt bands and scenes; then all documents."""
    rows = []
    for kind, of_kind in grouped(results, lambda r: r.case.kind):
        rows.append((kind, summarise(of_kind)))
        for band, in_band in grouped(of_kind, lambda r: band_of(r.case.tilt)):
            rows.append((f"  {band}", summarise(in_band)))
        for scene, in_scene in grouped(of_kind, lambda r: r.case.scene):
            rows.append((f"  {scene}", summarise(in_scene)))
    rows.append(("all", summarise(results)))
    return rows


def alteration_rows(results: Sequence[Result]) -> list[tuple[str, dict[str, Any]]]:
    """For each kind and alteration: how many were refused, and why."""
    rows = []
    altered = [r for r in results if not r.valid]
    for label, group in grouped(altered, lambda r: f"{r.case.kind}, {r.case.alteration}"):
        refused = [r for r in group if not r.accepted]
        reasons = dict(Counter(reason_of(r) for r in refused).most_common())
        rows.append((label, {"documents": len(group), "refused": len(refused), "reasons": reasons}))
    return rows


def _count(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.0f}%)" if whole else "-"


def print_tables(results: Sequence[Result]) -> None:
    header = (
        f"{'':30} {'documents':>9} {'valid':>5} {'false refusals':>14} {'altered':>7} "
        f"{'false accept.':>13} {'median s':>8} {'p90 s':>6}"
    )
    print(header)
    for label, row in table_rows(results):
        print(
            f"{label:30} {row['documents']:>9} {row['valid']:>5} "
            f"{_count(row['false_refusals'], row['valid']):>14} {row['altered']:>7} "
            f"{_count(row['false_acceptances'], row['altered']):>13} "
            f"{row['median_seconds']:>8.2f} {row['p90_seconds']:>6.2f}"
        )
    print("\nFalse refusals by reason:")
    for kind, of_kind in grouped(results, lambda r: r.case.kind):
        reasons = summarise(of_kind)["false_refusal_reasons"]
        listed = ", ".join(f"{reason} {n}" for reason, n in reasons.items()) or "none"
        print(f"  {kind}: {listed}")
    print("\nAltered documents (all should be refused):")
    for label, row in alteration_rows(results):
        listed = ", ".join(f"{reason} {n}" for reason, n in row["reasons"].items())
        print(f"  {label:24} {row['refused']:>3} of {row['documents']:<3} refused: {listed}")
    wrong = [r for r in results if r.wrong]
    if wrong:
        print("\nWrong answers:")
    for result in wrong:
        case = result.case
        what = "accepted" if result.accepted else f"refused: {reason_of(result)}"
        print(
            f"  case {case.number:3} {case.kind:8} {case.alteration:11} "
            f"{PEOPLE[case.person].family_name:15} tilt {case.tilt:6.2f} blur {case.blur:.2f} "
            f"JPEG {case.quality} {case.scene}: {what}"
        )


def case_record(result: Result) -> dict[str, Any]:
    record = asdict(result.case)
    record.update(
        birth_date=result.case.birth_date.isoformat(),
        altered_birth_date=result.case.altered_birth_date.isoformat(),
        holder=PEOPLE[result.case.person].family_name,
        tilt_band=band_of(result.case.tilt),
        status=result.status,
        step=result.step,
        reasons=list(result.reasons),
        accepted=result.accepted,
        wrong=result.wrong,
        seconds=round(result.seconds, 3),
    )
    return record


# The machine and the command line


def describe_machine() -> dict[str, str]:
    def first(path: str, prefix: str) -> str:
        lines = Path(path).read_text().splitlines()
        return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(prefix)), "?")

    return {
        "nproc": str(os.cpu_count()),
        "cpu": first("/proc/cpuinfo", "model name"),
        "memory": first("/proc/meminfo", "MemTotal"),
        "python": platform.python_version(),
        "tesseract": _tesseract_version(),
    }


def _tesseract_version() -> str:
    program = shutil.which("tesseract")
    if program is None:
        return "not installed"
    done = subprocess.run(  # noqa: S603 -- a fixed program and argument
        [program, "--version"], capture_output=True, text=True, check=False
    )
    return (done.stdout or done.stderr).splitlines()[0] if done.stdout or done.stderr else "?"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--count",
        type=int,
        default=40,
        help="valid documents of each kind; count // 4 more of each alteration (default 40)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for documents and photos")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--cases", help="only these case numbers, comma-separated (to look at failures again)"
    )
    parser.add_argument("--save", type=Path, help="write the photos of wrong answers here")
    parser.add_argument("--json", type=Path, help="also write the figures and cases to this file")
    return parser.parse_args(argv)


def selected(cases: Iterable[Case], only: str | None) -> list[Case]:
    if not only:
        return list(cases)
    wanted = {int(number) for number in only.split(",")}
    return [case for case in cases if case.number in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cases = selected(make_cases(args.count, args.seed), args.cases)
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
    machine = describe_machine()
    print(
        f"{len(cases)} documents (seed {args.seed}, count {args.count}), "
        f"{args.processes} processes; {machine['nproc']} CPUs ({machine['cpu']}), "
        f"{machine['memory']}, Python {machine['python']}, {machine['tesseract']}\n"
    )
    started = time.perf_counter()
    results = run_all(cases, args.processes, args.save)
    wall = time.perf_counter() - started
    print_tables(results)
    print(f"\nWall-clock time: {wall:.0f} s, photos included, with {args.processes} processes.")
    if args.json is not None:
        figures = {
            "settings": {"count": args.count, "seed": args.seed, "processes": args.processes},
            "machine": machine,
            "wall_seconds": round(wall, 1),
            "rows": dict(table_rows(results)),
            "alterations": dict(alteration_rows(results)),
            "cases": [case_record(r) for r in results],
        }
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 1 if any(r.wrong for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
