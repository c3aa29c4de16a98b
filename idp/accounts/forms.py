"""Reading the email and password fields of the account forms, and the pages shown
for a link that is not (or no longer) valid."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from idp.accounts import email_links
from idp.accounts.email_links import Link, LinkState, LinkUsedError, Purpose
from idp.db import Connection, transaction

MAX_EMAIL = 254
# Longer than any acceptable password, so the policy can say "too long" in words;
# anything beyond this is refused as bad input.
MAX_PASSWORD_FIELD = 1024

# One address: something, an @, and a domain with a dot. Deliverability is proven by
# the emailed link, not by a pattern.
# Characters that separate or quote addresses in mail headers are refused.
_EMAIL = re.compile(r"[^@\s,;<>\"()\[\]\\]{1,64}@[^@\s.,;<>\"()\[\]\\]+(\.[^@\s.,;<>\"()\[\]\\]+)+")


def read_email(form: MultiDict[str, str]) -> str | None:
    """The ``email`` field if it is one plausible address, else ``None``."""
    value = form.get("email", "")
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not 0 < len(value) <= MAX_EMAIL or _has_control_characters(value):
        return None
    return value if _EMAIL.fullmatch(value) else None


def read_password(form: MultiDict[str, str]) -> str | None:
    """The ``password`` field as typed, or ``None`` if it is missing or absurd."""
    value = form.get("password")
    if not isinstance(value, str) or len(value) > MAX_PASSWORD_FIELD:
        return None
    return None if _has_control_characters(value) else value


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in value)


def link_problem(link: Link, start_over: str) -> tuple[str, int]:
    """A readable page for an unknown (404) or used or expired (410) link."""
    if link.state is LinkState.EXPIRED:
        return render_template(
            "accounts/link_problem.html",
            title="This link has expired",
            message="Links in our emails work once and for a limited time. "
            "Start again to get a new one.",
            start_over=start_over,
        ), 410
    return render_template(
        "accounts/link_problem.html",
        title="This link is not valid",
        message="Check that you copied the whole link from the email, or start again "
        "to get a new one.",
        start_over=start_over,
    ), 404


def open_link(purpose: Purpose, form_endpoint: str, start_endpoint: str) -> ResponseReturnValue:
    """The page an emailed link opens: check the token, keep it in the session and
    go to the form that uses it (a clean URL, so the token leaves the address bar)."""
    token = request.args.get("token")
    with transaction() as conn:
        link = email_links.look_up(conn, purpose, token)
    if link.state is not LinkState.VALID or token is None:
        return link_problem(link, url_for(start_endpoint))
    email_links.stash(purpose, token)
    return redirect(url_for(form_endpoint))


def stashed_link(purpose: Purpose) -> tuple[str, Link]:
    """The token kept by :func:`open_link` and what it is now."""
    token = email_links.stashed(purpose)
    with transaction() as conn:
        return token or "", email_links.look_up(conn, purpose, token)


def held_link(purpose: Purpose, start_over: str, *, needs_account: bool = True) -> tuple[str, Link]:
    """The token :func:`open_link` kept and its link, still valid; otherwise the request
    ends here with the "link problem" page (and a way to ``start_over``)."""
    token, link = stashed_link(purpose)
    if link.state is not LinkState.VALID or (needs_account and link.account_id is None):
        email_links.forget(purpose)
        abort(make_response(link_problem(link, url_for(start_over))))
    return token, link


@contextmanager
def spending_link(
    purpose: Purpose, token: str, start_over: str
) -> Iterator[tuple[Connection, Link]]:
    """A transaction that uses the link up and does the link's work with it. If the link
    was used or expired meanwhile (by another tab), nothing happens and the request ends
    with the "link problem" page."""
    try:
        with transaction() as conn:
            yield conn, email_links.consume_or_raise(conn, purpose, token)
    except LinkUsedError as exc:
        email_links.forget(purpose)
        abort(make_response(link_problem(exc.link, url_for(start_over))))
    email_links.forget(purpose)
