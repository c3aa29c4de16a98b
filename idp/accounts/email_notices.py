"""The words of the emails about an account's email addresses: ``(subject, body)``.

Links are absolute, built on the issuer.
"""

from __future__ import annotations

from idp.accounts.notices import SIGNATURE, Notice

NOT_YOU = (
    "If you did not do this, someone may know your password: reset it now at "
    "{issuer}/forgot-password and check the email addresses on your account."
)


def confirm_address(url: str) -> Notice:
    return (
        "Confirm the email address you added",
        "Someone (we hope you) asked to add this email address to a Government Sign-In "
        "account.\n\n"
        f"To add it, open this link within 24 hours, signed in to that account:\n\n{url}\n\n"
        "If you did not ask, ignore this message: nothing happens unless the link is "
        "opened." + SIGNATURE,
    )


def address_added(issuer: str, address: str) -> Notice:
    return (
        "An email address was added to your account",
        f"The email address {address} was confirmed and added to your Government Sign-In "
        "account.\n\n" + NOT_YOU.format(issuer=issuer) + SIGNATURE,
    )


def address_removed(issuer: str, address: str) -> Notice:
    return (
        "An email address was removed from your account",
        f"The email address {address} was removed from your Government Sign-In "
        "account.\n\n" + NOT_YOU.format(issuer=issuer) + SIGNATURE,
    )


def primary_changed_from(issuer: str, new: str) -> Notice:
    """To the old primary address: it stays on the account, but no longer signs in."""
    return (
        "Your primary email address was changed",
        f"The primary email address of your Government Sign-In account is now {new}. "
        "Sign in with that address from now on; this address stays on your account, "
        "but mail about your account will go to the new one.\n\n"
        + NOT_YOU.format(issuer=issuer)
        + SIGNATURE,
    )


def primary_changed_to(issuer: str) -> Notice:
    """To the new primary address."""
    return (
        "This is now your primary email address",
        "This email address is now the primary address of your Government Sign-In "
        "account: sign in with it, and mail about your account will come here.\n\n"
        + NOT_YOU.format(issuer=issuer)
        + SIGNATURE,
    )
