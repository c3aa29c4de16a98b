"""A wheel built from a clean checkout carries the front-end assets its pages load."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from idp.assets import REQUIRED, missing_assets

ROOT = Path(__file__).resolve().parent.parent


def _clean_checkout(target: Path) -> Path:
    """The tracked files of this repository in ``target``, as a clone would have them
    (no ``idp/static/uswds``, no vendored scripts), with the npm packages beside them."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / "node_modules").symlink_to(ROOT / "node_modules")
    return target


@pytest.mark.skipif(not (ROOT / "node_modules").is_dir(), reason="npm packages not installed")
def test_a_wheel_built_from_a_clean_checkout_carries_the_assets(tmp_path: Path) -> None:
    checkout = _clean_checkout(tmp_path / "checkout")
    assert missing_assets(checkout / "idp" / "static") == list(REQUIRED)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--wheel-dir", str(tmp_path / "dist"), str(checkout)],
        check=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("idp-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"idp/static/{name}" for name in REQUIRED} <= names
    assert not [name for name in names if "/scss/" in name or name.endswith(".map")]
    # The package's own scripts, templates and migrations, wherever they are.
    own = {
        path.relative_to(checkout).as_posix()
        for path in (checkout / "idp").rglob("*")
        if path.suffix in (".js", ".html", ".sql") and "uswds" not in path.parts
    }
    assert own and own <= names, sorted(own - names)


def test_the_checkout_under_test_has_every_asset() -> None:
    assert missing_assets(ROOT / "idp" / "static") == []
