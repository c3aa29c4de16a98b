"""What every console page shares: the door (staff in a console role, signed in with a
security key or passkey in this session), who is acting, and refusals.

A person who is not signed in is sent to sign in; a signed-in person without a console
role (a citizen, a proofing agent) gets a 403 page that shows nothing else; a staff
member whose session did not use a security key or passkey is asked to use one. Every
refusal past the door (another agency's app, a page of another role) is a 403 page too.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from idp.accounts import session_auth
from idp.admin.access import Staff, load_staff
from idp.db import transaction
from idp.staff.service import (
    NoPhishingResistantFactorError,
    StaffError,
    UnknownAccountError,
    UnknownRoleError,
)

FORBIDDEN = "Your account cannot open this page of the administration console."


def require_console() -> Any:
    """A ``before_request`` hook for every console blueprint."""
    if not current_user.is_authenticated:
        session_auth.set_next(request.full_path)
        return redirect(url_for("auth.sign_in"))
    with transaction() as conn:
        member = load_staff(conn, str(current_user.id))
    if not member.may_enter:
        forbid()
    if not session_auth.used_phishing_resistant_factor():
        session_auth.set_next(request.full_path)
        return redirect(url_for("passkeys.sign_in"))
    g.console_staff = member
    return None


def staff() -> Staff:
    member: Staff = g.console_staff
    return member


def actor() -> str:
    """Who acts, as the event log records it: the staff member's account id."""
    return staff().account_id


def forbid(message: str = FORBIDDEN) -> NoReturn:
    abort(403, message)


def require(allowed: bool) -> None:
    if not allowed:
        forbid()


def staff_problem(exc: StaffError, email: str) -> str:
    """A refused grant or revoke, in words."""
    if isinstance(exc, UnknownAccountError):
        return f"No account has the address {email!r}."
    if isinstance(exc, NoPhishingResistantFactorError):
        return (
            f"{email} has no security key or passkey; staff must sign in with one, so "
            "nothing was granted."
        )
    if isinstance(exc, UnknownRoleError):
        return f"There is no role {exc.role!r}."
    return "That change could not be made."
