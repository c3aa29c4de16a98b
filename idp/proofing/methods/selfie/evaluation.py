"""How well face matching separates one person from two, on a labelled set of pairs
(``idp proofing evaluate``).

A pairs folder holds ``genuine/<n>/`` (two photos of one person) and ``impostor/<n>/``
(two people), each with ``a`` and ``b`` as ``.jpg``, ``.jpeg`` or ``.png``. ``a`` is
read as the portrait on an ID and ``b`` as the selfie, by the engine the method uses, so
the same decoding, downscaling, detection and quality checks apply. Then:

- the false match rate (FMR) is the share of compared impostor pairs whose distance is
  within the tolerance, and the false non-match rate (FNMR) the share of compared genuine
  pairs whose distance is beyond it;
- a pair whose photos give no face to compare is *unusable*, listed with the reason, and
  left out of both rates (a person would be asked to take the photo again);
- an optional ``groups.csv`` (``pair,group``, a pair named like ``genuine/1``) gives the
  rates for each group, for instance by age band or skin tone, since face recognition is
  known to be less accurate for some groups. Pairs it does not list belong to no group.

Distances stay in memory: the report holds only rates, counts and reasons.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idp.proofing.methods.selfie.faces import FaceMatcher, FaceProblem

KINDS = ("genuine", "impostor")
SUFFIXES = (".jpg", ".jpeg", ".png")
CURVE = tuple(round(0.30 + 0.05 * step, 2) for step in range(9))  # 0.30 to 0.70


class PairsError(Exception):
    """A pairs folder or groups file that is missing or not laid out as described."""


@dataclass(frozen=True)
class Pair:
    name: str  # "genuine/1"
    kind: str  # "genuine" or "impostor"
    a: Path  # read as the ID portrait
    b: Path  # read as the selfie


@dataclass(frozen=True)
class Measured:
    """A pair's distance, or why it could not be compared."""

    pair: Pair
    distance: float | None
    reason: str | None = None


def find_pairs(folder: Path) -> list[Pair]:
    """The pairs in ``folder``, in order; :class:`PairsError` for anything else there."""
    if not folder.is_dir():
        raise PairsError(f"{folder} is not a folder")
    kinds = [kind for kind in KINDS if (folder / kind).is_dir()]
    if not kinds:
        raise PairsError(f"{folder} has neither a genuine/ nor an impostor/ folder")
    pairs = [_pair(entry, kind) for kind in kinds for entry in _entries(folder / kind)]
    if not pairs:
        raise PairsError(f"{folder} holds no pairs")
    return pairs


def _entries(folder: Path) -> list[Path]:
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    return sorted(entries, key=lambda entry: _natural(entry.name))


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _pair(entry: Path, kind: str) -> Pair:
    name = f"{kind}/{entry.name}"
    if not entry.is_dir():
        raise PairsError(f"{name} is not a folder with a and b in it")
    photos: dict[str, list[Path]] = {"a": [], "b": []}
    for item in entry.iterdir():
        if item.stem in photos and item.suffix.lower() in SUFFIXES and item.is_file():
            photos[item.stem].append(item)
    if len(photos["a"]) != 1 or len(photos["b"]) != 1:
        raise PairsError(f"{name} needs one a and one b photo (.jpg, .jpeg or .png)")
    return Pair(name, kind, photos["a"][0], photos["b"][0])


def read_groups(path: Path, pairs: Sequence[Pair]) -> dict[str, str]:
    """``pair name -> group`` from a ``pair,group`` CSV file; every pair it names must
    be in ``pairs``."""
    known = {pair.name for pair in pairs}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
            header = set(rows[0]) if rows else set()
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PairsError(f"cannot read {path}: {exc}") from exc
    if not rows or not {"pair", "group"} <= header:
        raise PairsError(f"{path} needs a header 'pair,group' and at least one row")
    groups: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        pair, group = (row.get("pair") or "").strip(), (row.get("group") or "").strip()
        if pair not in known or not group:
            raise PairsError(f"{path}, line {line}: no pair {pair!r} in the folder, or no group")
        groups[pair] = group
    return groups


def measure(engine: FaceMatcher, pairs: Iterable[Pair]) -> list[Measured]:
    """Each pair compared as the method compares an ID with a selfie."""
    return [_measure(engine, pair) for pair in pairs]


def _measure(engine: FaceMatcher, pair: Pair) -> Measured:
    try:
        document, selfie_photo = pair.a.read_bytes(), pair.b.read_bytes()
    except OSError as exc:
        return Measured(pair, None, f"unreadable: {exc.strerror}")
    portrait = engine.portrait(document)
    if isinstance(portrait, FaceProblem):
        return Measured(pair, None, f"a: {portrait.value}")
    selfie = engine.selfie(selfie_photo)
    if isinstance(selfie, FaceProblem):
        return Measured(pair, None, f"b: {selfie.value}")
    return Measured(pair, engine.compare(portrait, selfie).distance)


def rates(measured: Sequence[Measured], tolerance: float) -> dict[str, Any]:
    """FMR and FNMR at ``tolerance`` (None without pairs of that kind), and the counts of
    pairs compared."""
    genuine, impostor = _distances(measured, "genuine"), _distances(measured, "impostor")
    return {
        "fmr": _share(impostor, lambda distance: distance <= tolerance),
        "fnmr": _share(genuine, lambda distance: distance > tolerance),
        "genuine": len(genuine),
        "impostor": len(impostor),
    }


def _distances(measured: Sequence[Measured], kind: str) -> list[float]:
    return [m.distance for m in measured if m.pair.kind == kind and m.distance is not None]


def _share(distances: Sequence[float], counts: Callable[[float], bool]) -> float | None:
    if not distances:
        return None
    return round(sum(1 for distance in distances if counts(distance)) / len(distances), 4)


def report(
    measured: Sequence[Measured], tolerance: float, groups: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The evaluation as one JSON-compatible object."""
    result: dict[str, Any] = {"tolerance": tolerance, **rates(measured, tolerance)}
    result["unusable"] = [
        {"pair": m.pair.name, "reason": m.reason} for m in measured if m.reason is not None
    ]
    if groups is not None:
        result["groups"] = {
            group: rates([m for m in measured if groups.get(m.pair.name) == group], tolerance)
            for group in sorted(set(groups.values()))
        }
    result["curve"] = [
        {"tolerance": point, **_rates_only(rates(measured, point))}
        for point in sorted({*CURVE, tolerance})
    ]
    return result


def _rates_only(values: Mapping[str, Any]) -> dict[str, Any]:
    return {"fmr": values["fmr"], "fnmr": values["fnmr"]}


def describe(result: Mapping[str, Any]) -> str:
    """The report as lines for a person to read."""
    tolerance = result["tolerance"]
    lines = [
        f"compared {result['genuine']} genuine and {result['impostor']} impostor pairs; "
        f"{len(result['unusable'])} could not be compared",
        "tolerance    FMR     FNMR",
    ]
    for point in result["curve"]:
        mark = "  <- configured" if point["tolerance"] == tolerance else ""
        rates_at = f"{_percent(point['fmr'])} {_percent(point['fnmr'])}"
        lines.append(f"     {point['tolerance']:.2f} {rates_at}{mark}")
    for item in result["unusable"]:
        lines.append(f"unusable: {item['pair']}: {item['reason']}")
    for group, values in result.get("groups", {}).items():
        lines.append(
            f"group {group}: FMR {_percent(values['fmr']).strip()} of {values['impostor']}, "
            f"FNMR {_percent(values['fnmr']).strip()} of {values['genuine']} "
            f"at {tolerance:.2f}"
        )
    return "\n".join(lines)


def _percent(rate: float | None) -> str:
    return "    n/a" if rate is None else f"{rate * 100:6.1f}%"
