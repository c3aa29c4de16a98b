"""The identity vault: a person's verified attributes, readable only with their help.

Attributes are encrypted under a random data key. The data key is wrapped twice: under
a key derived from the password, and under a key derived from a personal key shown once
at the end of proofing. The master key seals both wraps again, so a copy of the
database alone, or a password alone, opens nothing. See :mod:`idp.vault.service` for
the operations and :mod:`idp.vault.crypto` for the formats and the session-sealing
helpers (:func:`~idp.vault.crypto.seal_for_holder`).

Errors::

    VaultError
    ├── NoIdentityError             the account has no vault
    ├── UnknownAccountError         there is no account with this id
    ├── VaultTamperedError          a stored blob does not open: altered, swapped or
    │                               sealed under another master key
    ├── WrongPasswordError          the password does not open the vault
    ├── PersonalKeyError
    │   ├── InvalidPersonalKeyError not 16 Crockford base32 characters (not counted)
    │   ├── WrongPersonalKeyError   well formed but wrong (counted towards the limit)
    │   └── PersonalKeyLockedError  too many wrong personal keys; ``retry_after`` seconds
    └── HolderSealError             a holder-sealed blob does not open with this secret

Messages never hold attributes, keys, passwords or personal keys.
"""

from __future__ import annotations


class VaultError(Exception):
    """Base class of the vault's errors."""


class NoIdentityError(VaultError):
    """The account has no identity vault."""


class UnknownAccountError(VaultError):
    """There is no account with this id to keep a vault for."""


class VaultTamperedError(VaultError):
    """A stored blob does not open: it was altered, swapped with another account's or
    another field's, or sealed under a different master key. Nothing is returned."""


class WrongPasswordError(VaultError):
    """The password does not open the vault."""


class PersonalKeyError(VaultError):
    """A personal key was refused."""


class InvalidPersonalKeyError(PersonalKeyError):
    """The input is not a personal key: it needs 16 characters of Crockford base32.
    Nothing was tried, so it does not count towards the attempt limit."""


class WrongPersonalKeyError(PersonalKeyError):
    """A well-formed personal key that does not open the vault. It was counted."""


class PersonalKeyLockedError(PersonalKeyError):
    """Too many wrong personal keys recently; nothing was tried."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong personal keys; try again in {retry_after} s")
        self.retry_after = retry_after


class HolderSealError(VaultError):
    """A holder-sealed blob does not open with this secret and context."""
