"""Build hook: a wheel of the provider carries the front-end assets its pages load.

USWDS and zxcvbn come from npm (``package.json``) into the git-ignored ``idp/static``.
``make static`` puts them there in a checkout. Building a wheel, or installing with pip,
does the same first when they are missing (running ``npm ci`` if ``node_modules`` is
missing too), and stops with a clear message when it cannot, rather than building a
server whose pages have no styles. Everything else is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
STATIC = ROOT / "idp" / "static"
# (under node_modules, under idp/static): what the pages and USWDS's stylesheet load.
ASSETS = (
    ("@uswds/uswds/dist/css", "uswds/css"),
    ("@uswds/uswds/dist/js", "uswds/js"),
    ("@uswds/uswds/dist/img", "uswds/img"),
    ("@uswds/uswds/dist/fonts", "uswds/fonts"),
    ("zxcvbn/dist/zxcvbn.js", "vendor/zxcvbn.js"),
)


def copy_assets() -> None:
    """Copy the npm assets into ``idp/static`` unless they are all there already."""
    if all((STATIC / target).exists() for _, target in ASSETS):
        return
    modules = ROOT / "node_modules"
    if not modules.is_dir():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit(
                "idp/static lacks USWDS and zxcvbn, and npm is not installed to fetch them: "
                "install Node.js and npm, or run `make static` where they are, then build again."
            )
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=ROOT, check=True)  # noqa: S603
    for source, target in ASSETS:
        origin, destination = modules / source, STATIC / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, destination, dirs_exist_ok=True)
        else:
            shutil.copyfile(origin, destination)


class BuildWithAssets(build_py):  # type: ignore[misc]
    def run(self) -> None:
        copy_assets()
        super().run()


setup(cmdclass={"build_py": BuildWithAssets})
