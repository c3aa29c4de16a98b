"""Pages for failures that are not the person's doing."""

from __future__ import annotations

from flask import render_template

UNAVAILABLE_MESSAGE = (
    "We could not reach our records just now. Nothing was changed; please try again in a minute."
)


def unavailable_page() -> str:
    """The readable "service unavailable" page (status 503) shown when PostgreSQL is down."""
    return render_template("error.html", title="Service unavailable", message=UNAVAILABLE_MESSAGE)
