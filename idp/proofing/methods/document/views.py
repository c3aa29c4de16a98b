"""The document method's own pages: its templates, and ``/dev/letters`` (letters
waiting for the print vendor, codes included) in development only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template

from idp.db import transaction
from idp.proofing.methods.document import letters
from idp.settings import Settings

bp = Blueprint("proofing_document", __name__, template_folder="templates")


@bp.get("/dev/letters")
def dev_letters() -> Any:
    settings: Settings = current_app.config["IDP_SETTINGS"]
    if not settings.development:
        abort(404)
    with transaction() as conn:
        waiting = letters.list_unexported(conn, current_app.extensions["idp.master_key"])
    return render_template("proofing/document/dev_letters.html", letters=waiting)
