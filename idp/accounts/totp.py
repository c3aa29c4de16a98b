"""Time-based one-time passwords (RFC 6238) with replay protection."""

from __future__ import annotations

import time

import pyotp

STEP = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer_name)


def matching_step(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """Return the time step ``code`` belongs to (within ±1 step of now), or ``None``.

    A step at or before ``last_step`` (the last one accepted) is refused, so a code
    cannot be replayed within its window.
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last_step and totp.verify(code, for_time=step * STEP, valid_window=0):
            return step
    return None


def is_valid_secret(secret: str) -> bool:
    """A base32 secret of at least 80 bits, as authentication apps expect."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    return len(secret) >= 16 and set(secret.rstrip("=")) <= alphabet
