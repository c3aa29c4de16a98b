"""Identity vault operations: seal a verified identity, open it with the password or the
personal key, follow password changes and resets, delete it.

Every function takes a connection and leaves the transaction to the caller: writes
that belong together (a new password hash and its vault wrap) then commit together.
Wrong personal keys are counted in the database before they are tried, so **catch
:class:`~idp.vault.WrongPersonalKeyError` inside the transaction and let it commit**;
an exception that escapes the ``with transaction()`` block rolls the count back::

    with transaction() as conn:
        try:
            attributes, personal_key = service.open_with_personal_key(
                conn, master_key, account_id, typed_key, new_password
            )
        except WrongPersonalKeyError:
            ...  # the failure is recorded when the block commits

Password-derived and personal-key-derived keys cost one Argon2id each (17-25 ms,
see :mod:`idp.vault.crypto`): sealing costs two, opening with the password one,
opening with the personal key three, a password change two.

Nothing here logs, and the event log records only what happened, never a value.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

from idp.db import Connection
from idp.events import record_event
from idp.sealing import MasterKey
from idp.vault import (
    NoIdentityError,
    PersonalKeyLockedError,
    WrongPasswordError,
    WrongPersonalKeyError,
    crypto,
    repository,
)
from idp.vault.crypto import WrapKind
from idp.vault.repository import StoredVault

# 80 bits at 10 guesses in an hour, then an hour's lock: about 10^19 years to search.
PERSONAL_KEY_ATTEMPT_LIMIT: Final = 10
PERSONAL_KEY_WINDOW_SECONDS: Final = 60 * 60
PERSONAL_KEY_LOCK_SECONDS: Final = 60 * 60


def seal_identity(
    conn: Connection,
    master_key: MasterKey,
    account_id: str,
    attributes: Mapping[str, Any],
    password: str,
) -> str:
    """Create or replace the account's vault with ``attributes`` (a JSON object: name,
    birth date as text, address, document facts...) and return a new personal key,
    formatted ``XXXX-XXXX-XXXX-XXXX``, to show the person once and never store.

    ``password`` must be the account's current password, checked by the caller; a new
    data key, new salts and a new personal key replace any earlier vault, whose
    personal key stops working. Raises :class:`~idp.vault.UnknownAccountError` if the
    account does not exist and ``TypeError`` if ``attributes`` is not JSON.
    """
    account_id = _canonical(account_id)
    personal_key = _write_fresh_vault(conn, master_key, account_id, attributes, password)
    record_event(conn, "vault.sealed", account_id=account_id)
    return personal_key


def open_identity(
    conn: Connection, master_key: MasterKey, account_id: str, password: str
) -> dict[str, Any] | None:
    """The account's attributes, opened with its password.

    None when the account has no vault, or when it is sealed after a forgotten-password
    reset (see :func:`is_sealed`; the personal key or a new proofing opens it then).
    Raises :class:`~idp.vault.WrongPasswordError` for a wrong password and
    :class:`~idp.vault.VaultTamperedError` if a stored blob does not open.
    """
    account_id = _canonical(account_id)
    vault = repository.find_vault(conn, account_id)
    if vault is None or vault.password_wrap is None:
        return None
    data_key = _unwrap_with_password(master_key, vault, vault.password_wrap, password)
    return crypto.decrypt_attributes(data_key, vault.attributes, account_id, vault.format)


def open_with_personal_key(
    conn: Connection,
    master_key: MasterKey,
    account_id: str,
    personal_key: str,
    new_password: str,
) -> tuple[dict[str, Any], str]:
    """Open the vault with the personal key, as typed, after a password reset; return
    the attributes and a NEW personal key to show once.

    The vault is written afresh (new data key, salts and wraps) under ``new_password``,
    the account's password from now on, so it is unsealed and the old personal key
    stops working. Raises, from :class:`~idp.vault.PersonalKeyError`:

    * ``InvalidPersonalKeyError`` for input that is not a personal key (not counted);
    * ``PersonalKeyLockedError`` after 10 wrong keys within an hour, for an hour from
      the 10th (nothing is tried; ``retry_after`` says how long);
    * ``WrongPersonalKeyError`` for a wrong key, counted (commit it: see above).

    Raises :class:`~idp.vault.NoIdentityError` if there is no vault and
    :class:`~idp.vault.VaultTamperedError` if a stored blob does not open.
    """
    account_id = _canonical(account_id)
    canonical = crypto.normalise_personal_key(personal_key)
    vault = _count_attempt(conn, account_id)
    data_key = crypto.unwrap_data_key(
        master_key,
        vault.personal_key_wrap,
        canonical.encode(),
        WrapKind.PERSONAL_KEY,
        account_id,
        vault.format,
    )
    if data_key is None:
        _record_wrong_personal_key(conn, account_id)
        raise WrongPersonalKeyError("the personal key does not open the vault")
    attributes = crypto.decrypt_attributes(data_key, vault.attributes, account_id, vault.format)
    new_key = _write_fresh_vault(conn, master_key, account_id, attributes, new_password)
    record_event(conn, "vault.opened_with_personal_key", account_id=account_id)
    return attributes, new_key


def rewrap_for_new_password(
    conn: Connection,
    master_key: MasterKey,
    account_id: str,
    old_password: str,
    new_password: str,
) -> bool:
    """Follow a password change: wrap the data key under ``new_password`` in place of
    ``old_password``, which stops opening the vault. The personal key is unchanged.

    Call it in the transaction that stores the new password hash. Returns False, and
    changes nothing, when there is no vault or it is sealed. Raises
    :class:`~idp.vault.WrongPasswordError` if ``old_password`` does not open it.
    """
    account_id = _canonical(account_id)
    vault = repository.find_vault(conn, account_id, for_update=True)
    if vault is None or vault.password_wrap is None:
        return False
    data_key = _unwrap_with_password(master_key, vault, vault.password_wrap, old_password)
    # Refuse to carry forward a key that does not open the attributes.
    crypto.decrypt_attributes(data_key, vault.attributes, account_id, vault.format)
    wrap = crypto.wrap_data_key(
        master_key, data_key, _secret(new_password), WrapKind.PASSWORD, account_id, vault.format
    )
    repository.replace_password_wrap(conn, account_id, wrap)
    record_event(conn, "vault.password_rewrapped", account_id=account_id)
    return True


def seal_after_reset(conn: Connection, account_id: str) -> bool:
    """Follow a forgotten-password reset: drop the password wrap, so the vault stays
    sealed until the personal key is entered (:func:`open_with_personal_key`) or the
    person proofs again (:func:`seal_identity`). Returns True if the account has a
    vault, now sealed; False if it has none."""
    account_id = _canonical(account_id)
    sealed = repository.replace_password_wrap(conn, account_id, None)
    if sealed:
        record_event(conn, "vault.sealed_after_reset", account_id=account_id)
    return sealed


def is_sealed(conn: Connection, account_id: str) -> bool:
    """True if the account has a vault that only its personal key can open now."""
    return repository.find_sealed(conn, _canonical(account_id)) is True


def has_identity(conn: Connection, account_id: str) -> bool:
    """True if the account has a vault, sealed or not."""
    return repository.find_sealed(conn, _canonical(account_id)) is not None


def delete_identity(conn: Connection, account_id: str) -> bool:
    """Delete the account's vault; True if it had one. Deleting the account does this
    too."""
    account_id = _canonical(account_id)
    deleted = repository.delete_vault(conn, account_id)
    if deleted:
        record_event(conn, "vault.deleted", account_id=account_id)
    return deleted


def _write_fresh_vault(
    conn: Connection,
    master_key: MasterKey,
    account_id: str,
    attributes: Mapping[str, Any],
    password: str,
) -> str:
    """Store ``attributes`` under a new data key wrapped under ``password`` and a new
    personal key; return that personal key, formatted."""
    fmt = crypto.CURRENT_FORMAT
    data_key = crypto.new_data_key()
    personal_key = crypto.generate_personal_key()
    canonical = crypto.normalise_personal_key(personal_key)
    vault = StoredVault(
        account_id=account_id,
        format=fmt,
        attributes=crypto.encrypt_attributes(data_key, attributes, account_id, fmt),
        password_wrap=crypto.wrap_data_key(
            master_key, data_key, _secret(password), WrapKind.PASSWORD, account_id, fmt
        ),
        personal_key_wrap=crypto.wrap_data_key(
            master_key, data_key, canonical.encode(), WrapKind.PERSONAL_KEY, account_id, fmt
        ),
    )
    repository.save_vault(conn, vault)
    return personal_key


def _unwrap_with_password(
    master_key: MasterKey, vault: StoredVault, wrap: bytes, password: str
) -> bytes:
    data_key = crypto.unwrap_data_key(
        master_key, wrap, _secret(password), WrapKind.PASSWORD, vault.account_id, vault.format
    )
    if data_key is None:
        raise WrongPasswordError("the password does not open the vault")
    return data_key


def _count_attempt(conn: Connection, account_id: str) -> StoredVault:
    """Count a personal-key attempt and return the vault, locked for this transaction;
    raise if there is none or it refuses attempts for now."""
    counted = repository.count_personal_key_attempt(
        conn,
        account_id,
        PERSONAL_KEY_ATTEMPT_LIMIT,
        PERSONAL_KEY_WINDOW_SECONDS,
        PERSONAL_KEY_LOCK_SECONDS,
    )
    vault = repository.find_vault(conn, account_id, for_update=True)
    if vault is None:
        raise NoIdentityError("the account has no identity vault")
    if not counted:
        raise PersonalKeyLockedError(repository.personal_key_lock_remaining(conn, account_id))
    return vault


def _record_wrong_personal_key(conn: Connection, account_id: str) -> None:
    record_event(conn, "vault.personal_key_failed", account_id=account_id)
    if repository.personal_key_lock_remaining(conn, account_id) > 0:
        record_event(
            conn,
            "vault.personal_key_locked",
            account_id=account_id,
            details={"minutes": PERSONAL_KEY_LOCK_SECONDS // 60},
        )


def _secret(password: str) -> bytes:
    if not password:
        raise ValueError("a password is required")
    return password.encode()


def _canonical(account_id: str) -> str:
    """The account id in the one spelling bound into every blob."""
    try:
        return str(uuid.UUID(account_id))
    except ValueError:
        raise ValueError("not an account id") from None
