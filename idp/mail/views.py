"""``/dev/outbox``: queued mail, for development without a mail server. Not found
anywhere else."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from idp.db import transaction
from idp.mail import outbox
from idp.settings import Settings

bp = Blueprint("dev_mail", __name__)


@bp.get("/dev/outbox")
def show_outbox() -> str:
    settings: Settings = current_app.config["IDP_SETTINGS"]
    if not settings.development:
        abort(404)
    with transaction() as conn:
        messages = outbox.list_recent(conn)
    return render_template("mail/outbox.html", messages=messages)
