"""``idp proofing evaluate``: rates on a pairs folder laid out from the bundled photos,
with the real engine; and the folder, groups and rate rules on their own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from idp.proofing.commands import proofing
from idp.proofing.methods.selfie.evaluation import (
    CURVE,
    Measured,
    Pair,
    PairsError,
    find_pairs,
    measure,
    rates,
    read_groups,
    report,
)
from idp.proofing.methods.selfie.faces import FakeFaceEngine
from tests.faces_support import FACES, lay_out_pairs

PHOTOS = ("person-a_1.jpg", "person-a_2.jpg", "person-b_1.jpg", "person-b_2.jpg")


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """genuine/1-2 (A, B), impostor/1-4, and genuine/3, whose ID photo shows two people."""
    photos = tmp_path_factory.mktemp("photos")
    for name in PHOTOS:
        shutil.copyfile(FACES / name, photos / name)
    out = tmp_path_factory.mktemp("pairs")
    assert lay_out_pairs(photos, out) == (2, 4)
    unusable = out / "genuine" / "3"
    unusable.mkdir()
    shutil.copyfile(FACES / "two-faces.jpg", unusable / "a.jpg")
    shutil.copyfile(FACES / "person-a_2.jpg", unusable / "b.jpg")
    (out / "groups.csv").write_text(
        "pair,group\ngenuine/1,x\nimpostor/1,x\nimpostor/2,x\ngenuine/2,y\nimpostor/3,y\n"
    )
    return out


def evaluate(*args: str, tolerance: str | None = None) -> Result:
    env = {"IDP_FACE_MATCH_TOLERANCE": tolerance} if tolerance else {}
    return CliRunner().invoke(proofing, ["evaluate", *args], env=env)


@pytest.fixture(scope="module")
def evaluated(pairs_dir: Path) -> dict[str, Any]:
    result = evaluate(str(pairs_dir), "--json", "--groups", str(pairs_dir / "groups.csv"))
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.output)  # exactly one JSON object
    return parsed


def test_the_json_report_has_the_rates_counts_and_unusable_pairs(evaluated: dict[str, Any]) -> None:
    assert set(evaluated) == {
        "tolerance", "fmr", "fnmr", "genuine", "impostor", "unusable", "groups", "curve"
    }  # fmt: skip
    assert evaluated["tolerance"] == 0.5
    assert (evaluated["genuine"], evaluated["impostor"]) == (2, 4)
    assert (evaluated["fmr"], evaluated["fnmr"]) == (0.0, 0.0)
    assert evaluated["unusable"] == [{"pair": "genuine/3", "reason": "a: many_faces"}]


def test_the_curve_runs_from_strict_to_loose(evaluated: dict[str, Any]) -> None:
    curve = evaluated["curve"]

    assert [point["tolerance"] for point in curve] == list(CURVE)
    assert curve[0] == {"tolerance": 0.3, "fmr": 0.0, "fnmr": 1.0}  # genuine pairs 0.37-0.40
    assert all(point["fmr"] == 0.0 for point in curve)  # impostors 0.82 and more
    assert all(point["fnmr"] == 0.0 for point in curve if point["tolerance"] >= 0.45)
    fnmr = [point["fnmr"] for point in curve]
    assert fnmr == sorted(fnmr, reverse=True)


def test_each_group_has_its_own_rates(evaluated: dict[str, Any]) -> None:
    assert evaluated["groups"] == {
        "x": {"fmr": 0.0, "fnmr": 0.0, "genuine": 1, "impostor": 2},
        "y": {"fmr": 0.0, "fnmr": 0.0, "genuine": 1, "impostor": 1},
    }


def test_the_tolerance_comes_from_the_settings(pairs_dir: Path) -> None:
    strict = evaluate(str(pairs_dir), "--json", tolerance="0.35")

    assert strict.exit_code == 0, strict.output
    figures = json.loads(strict.output)
    assert figures["tolerance"] == 0.35
    assert figures["fnmr"] == 1.0
    assert 0.35 in [point["tolerance"] for point in figures["curve"]]


def test_the_human_report_marks_the_configured_tolerance_and_writes_a_plot(
    pairs_dir: Path, tmp_path: Path
) -> None:
    chart = tmp_path / "curves.png"

    result = evaluate(str(pairs_dir), "--plot", str(chart))

    assert result.exit_code == 0, result.output
    assert "compared 2 genuine and 4 impostor pairs; 1 could not be compared" in result.output
    assert "0.50    0.0%    0.0%  <- configured" in result.output
    assert "unusable: genuine/3: a: many_faces" in result.output
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(chart) as image:
        assert image.format == "PNG" and image.size == (800, 500)


# Bad folders and files


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = evaluate(str(tmp_path / "nowhere"), "--json")

    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("lay_out", "message"),
    [
        ({}, "neither a genuine/ nor an impostor/ folder"),
        ({"genuine/": None}, "holds no pairs"),
        ({"genuine/1/a.jpg": "person-a_1.jpg"}, "genuine/1 needs one a and one b photo"),
        (
            {"impostor/1/a.gif": "person-a_1.jpg", "impostor/1/b.jpg": "person-b_1.jpg"},
            "needs one a",
        ),
        ({"genuine/notes.txt": "README.md"}, "genuine/notes.txt is not a folder"),
    ],
)
def test_a_malformed_folder_is_a_clear_error(
    tmp_path: Path, lay_out: dict[str, str | None], message: str
) -> None:
    for path, source in lay_out.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            target.mkdir(exist_ok=True)
        else:
            shutil.copyfile(FACES / source, target)

    result = evaluate(str(tmp_path))

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "needs a header 'pair,group'"),
        ("person,team\ngenuine/1,x\n", "needs a header 'pair,group'"),
        ("pair,group\ngenuine/9,x\n", "line 2: no pair 'genuine/9'"),
        ("pair,group\ngenuine/1,\n", "line 2"),
    ],
)
def test_a_bad_groups_file_is_a_clear_error(
    pairs_dir: Path, tmp_path: Path, text: str, message: str
) -> None:
    groups = tmp_path / "groups.csv"
    groups.write_text(text)

    result = evaluate(str(pairs_dir), "--groups", str(groups))

    assert result.exit_code == 1
    assert message in result.output


def test_a_plot_that_cannot_be_written_is_a_clear_error(pairs_dir: Path, tmp_path: Path) -> None:
    result = evaluate(str(pairs_dir), "--plot", str(tmp_path / "no" / "such" / "folder.png"))

    assert result.exit_code == 1
    assert "cannot write" in result.output


# The rules on their own


def measured(kind: str, distance: float | None, number: int = 1) -> Measured:
    pair = Pair(f"{kind}/{number}", kind, Path("a.jpg"), Path("b.jpg"))
    return Measured(pair, distance, None if distance is not None else "b: no_face")


def test_rates_count_only_compared_pairs_at_the_tolerance() -> None:
    results = [
        measured("genuine", 0.3),
        measured("genuine", 0.55),
        measured("genuine", None),
        measured("impostor", 0.5),
        measured("impostor", 0.8),
    ]

    assert rates(results, 0.5) == {"fmr": 0.5, "fnmr": 0.5, "genuine": 2, "impostor": 2}
    assert rates(results, 0.6) == {"fmr": 0.5, "fnmr": 0.0, "genuine": 2, "impostor": 2}
    assert rates(results, 0.45) == {"fmr": 0.0, "fnmr": 0.5, "genuine": 2, "impostor": 2}


def test_a_rate_without_pairs_of_its_kind_is_none() -> None:
    result = report([measured("genuine", 0.3)], 0.5)

    assert result["fmr"] is None and result["fnmr"] == 0.0
    assert "groups" not in result


def test_pairs_are_found_in_order(tmp_path: Path) -> None:
    for number in (10, 2, 1):
        folder = tmp_path / "genuine" / str(number)
        folder.mkdir(parents=True)
        (folder / "a.JPEG").write_bytes(b"")
        (folder / "b.png").write_bytes(b"")
    (tmp_path / "genuine" / ".DS_Store").write_bytes(b"")

    found = find_pairs(tmp_path)

    assert [pair.name for pair in found] == ["genuine/1", "genuine/2", "genuine/10"]
    assert found[0].a.name == "a.JPEG" and found[0].kind == "genuine"


def test_a_pair_that_cannot_be_read_is_unusable(tmp_path: Path) -> None:
    pair = Pair("genuine/1", "genuine", tmp_path / "gone.jpg", tmp_path / "b.jpg")

    (result,) = measure(FakeFaceEngine(), [pair])

    assert result.distance is None and result.reason is not None
    assert result.reason.startswith("unreadable")


def test_a_photo_that_is_not_an_image_makes_its_pair_unusable(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"not a photo")
    (tmp_path / "b.jpg").write_bytes(b"not a photo either")
    pair = Pair("impostor/1", "impostor", tmp_path / "a.jpg", tmp_path / "b.jpg")

    assert measure(FakeFaceEngine(), [pair])[0].reason == "a: not_an_image"


def test_groups_name_only_pairs_of_the_folder(tmp_path: Path) -> None:
    pairs = [Pair("genuine/1", "genuine", Path("a"), Path("b"))]
    groups = tmp_path / "groups.csv"
    groups.write_text("pair,group\ngenuine/1, over 60 \n")

    assert read_groups(groups, pairs) == {"genuine/1": "over 60"}
    with pytest.raises(PairsError, match="cannot read"):
        read_groups(tmp_path / "missing.csv", pairs)
