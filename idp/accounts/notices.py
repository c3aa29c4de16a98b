"""The words of every email about an account: a subject and a plain-text body.

Each function returns ``(subject, body)``. Links are absolute, built on the issuer.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

SIGNATURE = "\n\nGovernment Sign-In\nWe will never ask for your password or a code by email.\n"

Notice = tuple[str, str]


def link(issuer: str, path: str, token: str) -> str:
    return f"{issuer}{path}?{urlencode({'token': token})}"


def confirm_email(url: str) -> Notice:
    return (
        "Confirm your email address",
        "Someone (we hope you) asked to create a Government Sign-In account with this "
        "email address.\n\n"
        f"To continue, open this link within 24 hours:\n\n{url}\n\n"
        "If you did not ask for an account, ignore this message: nothing happens unless "
        "the link is opened." + SIGNATURE,
    )


def already_registered(issuer: str) -> Notice:
    return (
        "Someone tried to create an account with your email address",
        "Someone tried to create a Government Sign-In account with this email address, "
        "but you already have one.\n\n"
        f"If it was you, sign in: {issuer}/sign-in\n"
        f"If you forgot your password, reset it: {issuer}/forgot-password\n\n"
        "If it was not you, you don't need to do anything. Your account has not been "
        "changed." + SIGNATURE,
    )


def reset_password(url: str) -> Notice:
    return (
        "Reset your password",
        "Someone (we hope you) asked to reset the password of your Government Sign-In "
        "account.\n\n"
        f"To choose a new password, open this link within 30 minutes:\n\n{url}\n\n"
        "If you did not ask, ignore this message: your password stays the same." + SIGNATURE,
    )


def password_changed(issuer: str) -> Notice:
    return (
        "Your password was changed",
        "The password of your Government Sign-In account was just changed, and every "
        "browser that was signed in has been signed out.\n\n"
        "If you did not do this, reset your password now and check your second factors: "
        f"{issuer}/forgot-password" + SIGNATURE,
    )


def deletion_link(url: str) -> Notice:
    return (
        "Confirm that you want to delete your account",
        "Someone (we hope you) asked to delete the Government Sign-In account that uses "
        "this email address, because they can no longer sign in.\n\n"
        f"To delete it, open this link within 30 minutes:\n\n{url}\n\n"
        "If you did not ask, ignore this message: your account stays as it is." + SIGNATURE,
    )


def deletion_scheduled(cancel_url: str, due_at: datetime) -> Notice:
    when = due_at.strftime("%B %-d, %Y at %H:%M %Z").strip()
    return (
        "Your account will be deleted in 24 hours",
        f"Your Government Sign-In account will be deleted on {when}.\n\n"
        "Agencies you signed in to will be told that the account is gone. This cannot "
        "be undone once it has happened.\n\n"
        f"To keep your account, open this link before then:\n\n{cancel_url}\n\n"
        "Signing in to your account also cancels the deletion." + SIGNATURE,
    )


def deletion_cancelled() -> Notice:
    return (
        "Your account will not be deleted",
        "The deletion of your Government Sign-In account was cancelled. Your account "
        "stays as it is." + SIGNATURE,
    )


def account_deleted() -> Notice:
    return (
        "Your account was deleted",
        "Your Government Sign-In account has been deleted. Agencies you signed in to are "
        "being told. You can create a new account at any time." + SIGNATURE,
    )


def new_device(url: str, browser: str, ip: str, when: datetime) -> Notice:
    return (
        "New sign-in to your account",
        "Your Government Sign-In account was just signed in to from a browser we have "
        "not seen before.\n\n"
        f"When:    {when.strftime('%B %-d, %Y at %H:%M %Z').strip()}\n"
        f"Browser: {browser}\n"
        f"Address: {ip}\n\n"
        "If this was you, you don't need to do anything.\n\n"
        "If this wasn't you, lock your account now; you will then need to reset your "
        f"password before anyone can sign in:\n\n{url}" + SIGNATURE,
    )


def password_lockout(minutes: int, issuer: str) -> Notice:
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Signing in to your account is paused",
        f"Someone entered the wrong password for your account too many times, so signing "
        f"in is paused for up to {minutes} {unit}.\n\n"
        "If this was you, wait and try again, or reset your password: "
        f"{issuer}/forgot-password\n\nIf it wasn't you, your account is still safe: "
        "they also need your second factor." + SIGNATURE,
    )


def lockout(minutes: int, issuer: str) -> Notice:
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Second-factor sign-in to your account is locked",
        f"There were too many wrong codes while signing in to your account, so signing "
        f"in with a second factor is locked for {minutes} {unit}.\n\n"
        "If this wasn't you, someone knows your password. Reset it now: "
        f"{issuer}/forgot-password" + SIGNATURE,
    )
