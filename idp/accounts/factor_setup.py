"""Rules for pages that add a sign-in method.

Anyone signed in may set up their first second factor. Once an account has one, adding
or replacing a method needs a sign-in from the last 15 minutes that used a real second
factor (not a remembered browser): otherwise a borrowed or stolen session could plant a
method of its own and keep access.

Setting a method up is not signing in with it: the session's ``amr`` and level stay
what they were, so an agency asking for ``aal/2`` (or identity verification) still
asks for a second factor to be used.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from idp.accounts import repository, session_auth
from idp.db import transaction


def non_platform_factors(factors: dict[str, int]) -> int:
    """Methods that can stand alone: a platform authenticator cannot be the only one."""
    return factors.get("totp", 0) + factors.get("security_key", 0) + factors.get("backup_codes", 0)


def reauthentication_url(account_id: str) -> str | None:
    """Where to confirm identity before adding a method, or ``None`` if no need."""
    with transaction() as conn:
        factors = repository.count_factors(conn, account_id)
    if not any(factors.values()):
        return None
    fresh = session_auth.authenticated_within(session_auth.REAUTHENTICATE_AFTER)
    if fresh and session_auth.used_second_factor():
        return None
    here = request.path + ("?" + urlencode(request.args) if request.args else "")
    return url_for("account.reauthenticate", next=here)


def after_factor_added() -> Response:
    """Say the method is ready and go on to where the person was going."""
    next_url = session_auth.take_next()
    flash("Your new sign-in method is ready.")
    return redirect(next_url or url_for("account.overview"))
