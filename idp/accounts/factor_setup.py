"""Rules for pages that add a sign-in method.

Anyone signed in may set up their first second factor. Once an account has one, adding
or replacing a method needs a sign-in from the last 15 minutes that used a real second
factor (not a remembered browser): otherwise a borrowed or stolen session could plant a
method of its own and keep access.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request, url_for

from idp.accounts import repository, session_auth
from idp.accounts.account_views import REAUTHENTICATE_AFTER
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
    fresh = session_auth.authenticated_within(REAUTHENTICATE_AFTER)
    if fresh and session_auth.used_second_factor():
        return None
    here = request.path + ("?" + urlencode(request.args) if request.args else "")
    return url_for("account.reauthenticate", next=here)
