"""``prompt=login`` and ``max_age`` (OpenID Connect Core 3.1.2.1): an authentication
newer than the authorization request, or than ``max_age`` seconds, asked for once per
request.

When a request sends the person to sign in, the URL it returns to is marked with the
time, signed with the app's secret key and bound to the request's client, nonce and
state. A sign-in at least that recent then satisfies the request for the rest of its
round trips (consent, a stronger factor, identity verification), however long they
take. The mark cannot live in the browser session: signing in gives it a new id and
empties it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import OAuth2Request
from flask import current_app, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

MARK = "signed_in_for"  # the query parameter of the marked authorization URL
MARK_LIFETIME = 60 * 60  # seconds; longer than a sign-in and a verification take


def _serializer() -> URLSafeTimedSerializer:
    secret_key: str = current_app.config["SECRET_KEY"]
    return URLSafeTimedSerializer(secret_key, salt="oidc-fresh-sign-in")


def _binding(oauth_request: OAuth2Request) -> str:
    """Which authorization request a mark belongs to, in a few characters."""
    data = oauth_request.payload.data
    fields = [oauth_request.client.client_id, data.get("nonce"), data.get("state")]
    digest = hashlib.sha256(json.dumps(fields).encode()).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def marked_url(oauth_request: OAuth2Request, args: MultiDict[str, str]) -> str:
    """The authorization URL with query ``args``, marked as having sent the person to
    sign in now (an older mark is replaced)."""
    params = [(name, value) for name, value in args.items(multi=True) if name != MARK]
    params.append((MARK, _serializer().dumps(_binding(oauth_request))))
    return f"{url_for('oidc.authorize')}?{urlencode(params)}"


def _marked_at(oauth_request: OAuth2Request, mark: str | None) -> int | None:
    """When this request sent the person to sign in, if ``mark`` is its own and recent."""
    if not mark:
        return None
    try:
        binding, signed_at = _serializer().loads(mark, max_age=MARK_LIFETIME, return_timestamp=True)
    except BadData:
        return None
    if binding != _binding(oauth_request):
        return None
    return int(signed_at.timestamp())


def is_satisfied(
    oauth_request: OAuth2Request, mark: str | None, auth_time: int, now: float
) -> bool:
    """Whether a session signed in at ``auth_time`` may answer the request at ``now``.

    ``request.max_age`` must have been set by :class:`~idp.oidc.grants.RequestRules`.
    A sign-in made after this request sent the person to sign in always may; otherwise
    ``prompt=login`` asks for one, and ``max_age`` for one at most that many seconds old.
    """
    marked_at = _marked_at(oauth_request, mark)
    if marked_at is not None and auth_time >= marked_at:
        return True
    if "login" in (oauth_request.payload.data.get("prompt") or "").split():
        return False
    max_age: int | None = oauth_request.max_age
    return max_age is None or now - auth_time <= max_age
