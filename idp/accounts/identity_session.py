"""A verified identity held for the length of a browser session.

The vault opens only with the person's password (or personal key), so it is opened when
they sign in and the attributes are kept with the session: sealed under a random key
that lives only in the browser's cookie, so the session row in the database is
unreadable on its own. They are bound to the account they belong to.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from flask import current_app, request, session
from werkzeug.wrappers import Response

from idp.vault import HolderSealError
from idp.vault.crypto import open_for_holder, seal_for_holder

COOKIE = "idp_identity_key"
_SESSION_KEY = "identity"
_CONTEXT = "session-identity"


def park(account_id: str, attributes: dict[str, Any], response: Response) -> None:
    """Keep ``attributes`` for this session; the key goes into a cookie on ``response``."""
    key = secrets.token_urlsafe(32)
    sealed = seal_for_holder(key, attributes, _CONTEXT)
    session[_SESSION_KEY] = {"account": account_id, "blob": base64.b64encode(sealed).decode()}
    secure = current_app.config["IDP_SETTINGS"].secure_cookies
    response.set_cookie(COOKIE, key, httponly=True, secure=secure, samesite="Lax")


def read(account_id: str) -> dict[str, Any] | None:
    """The attributes parked for ``account_id`` in this session, or None."""
    held = session.get(_SESSION_KEY)
    key = request.cookies.get(COOKIE)
    if not held or not key or held.get("account") != account_id:
        return None
    try:
        return open_for_holder(key, base64.b64decode(held["blob"]), _CONTEXT)
    except (HolderSealError, ValueError, KeyError):
        return None


def carry(account_id: str) -> dict[str, Any] | None:
    """What to put back into a rotated session signing in the same account."""
    held: dict[str, Any] | None = session.get(_SESSION_KEY)
    return held if held and held.get("account") == account_id else None


def restore(held: dict[str, Any] | None) -> None:
    if held:
        session[_SESSION_KEY] = held
