"""The front-end files the pages load that come from npm, not from git.

``make static`` copies them into ``idp/static`` in a checkout, and building a wheel does
the same (``setup.py``). A server without them would serve pages without styles and
without the password-strength meter, so ``idp serve`` refuses to start when
``missing_assets`` names any.
"""

from __future__ import annotations

from pathlib import Path

REQUIRED = (
    "uswds/css/uswds.min.css",
    "uswds/js/uswds.min.js",
    "uswds/js/uswds-init.min.js",
    "uswds/img/us_flag_small.png",
    "vendor/zxcvbn.js",
)


def missing_assets(static_folder: str | Path) -> list[str]:
    """The files of ``REQUIRED`` that ``static_folder`` lacks."""
    folder = Path(static_folder)
    return [name for name in REQUIRED if not (folder / name).is_file()]
