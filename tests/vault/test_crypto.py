"""Personal keys, attribute encryption, wraps and sealing for a secret's holder."""

from __future__ import annotations

import datetime
import re
import secrets
import uuid
from typing import Any

import pytest

from idp.sealing import MasterKey
from idp.vault import HolderSealError, InvalidPersonalKeyError, VaultTamperedError, crypto
from idp.vault.crypto import WrapKind

GROUPED = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
CANONICAL = "0123456789ABCDEF"
ATTRIBUTES: dict[str, Any] = {
    "given_name": "Zoë",
    "birth_date": "1961-07-14",
    "address": {"street": "1 Main St", "zip": "58999"},
    "evidence": ["drivers_license"],
}


# Personal keys ----------------------------------------------------------------------


def test_a_personal_key_is_16_crockford_characters_in_groups_of_four() -> None:
    keys = {crypto.generate_personal_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert GROUPED.match(key)
        assert crypto.normalise_personal_key(key) == key.replace("-", "")


def test_personal_keys_use_every_character_of_the_alphabet() -> None:
    seen = set("".join(crypto.generate_personal_key() for _ in range(200)).replace("-", ""))
    assert seen == set(crypto.PERSONAL_KEY_ALPHABET)
    assert len(crypto.PERSONAL_KEY_ALPHABET) == 32


def test_format_groups_in_fours() -> None:
    assert crypto.format_personal_key(CANONICAL) == "0123-4567-89AB-CDEF"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("0123-4567-89AB-CDEF", CANONICAL),
        ("0123456789ABCDEF", CANONICAL),
        ("0123-4567-89ab-cdef", CANONICAL),
        ("0123 4567 89ab cdef", CANONICAL),
        ("  0123-4567 - 89AB-CDEF \n", CANONICAL),
        ("0123\t4567\u00a089AB\u2013CDEF", CANONICAL),
        ("o123-4567-89AB-CDEF", CANONICAL),
        ("O123-4567-89AB-CDEF", CANONICAL),
        ("0I23-4567-89AB-CDEF", CANONICAL),
        ("0i23-4567-89AB-CDEF", CANONICAL),
        ("0L23-4567-89AB-CDEF", CANONICAL),
        ("0l23-4567-89AB-CDEF", CANONICAL),
        ("ZZZZ-YYYY-XXXX-WWWW", "ZZZZYYYYXXXXWWWW"),
        ("-0-1-2-3-4-5-6-7-8-9-A-B-C-D-E-F-", CANONICAL),
    ],
)
def test_typed_personal_keys_normalise(typed: str, canonical: str) -> None:
    assert crypto.normalise_personal_key(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "16 characters"),
        ("0123-4567-89AB-CDE", "16 characters"),
        ("0123-4567-89AB-CDEF0", "16 characters"),
        ("0123-4567-89AB-CDEF-0123", "16 characters"),
        ("0123-4567-89AB-CDEU", "no U"),
        ("0123-4567-89AB-CDE!", "letters and digits"),
        ("0123_4567_89AB_CDEF", "16 characters"),
        ("0123.4567.89AB.CDEF", "16 characters"),
        ("0123-4567-89AB-CDEÉ", "letters and digits"),
        ("0123-4567-89AB-CDE\u0131", "letters and digits"),
        ("\uff10123-4567-89AB-CDEF", "letters and digits"),
    ],
)
def test_malformed_personal_keys_are_refused_clearly(typed: str, message: str) -> None:
    with pytest.raises(InvalidPersonalKeyError, match=message) as caught:
        crypto.normalise_personal_key(typed)
    if typed:
        assert typed not in str(caught.value)


# Attributes -------------------------------------------------------------------------


def test_attributes_round_trip_and_are_bound_to_the_account() -> None:
    key, account = crypto.new_data_key(), str(uuid.uuid4())
    blob = crypto.encrypt_attributes(key, ATTRIBUTES, account, 1)
    assert "Zoë".encode() not in blob and b"1961-07-14" not in blob
    assert crypto.decrypt_attributes(key, blob, account, 1) == ATTRIBUTES
    with pytest.raises(VaultTamperedError):
        crypto.decrypt_attributes(key, blob, str(uuid.uuid4()), 1)
    with pytest.raises(VaultTamperedError):
        crypto.decrypt_attributes(key, blob, account, 2)
    with pytest.raises(VaultTamperedError):
        crypto.decrypt_attributes(crypto.new_data_key(), blob, account, 1)


@pytest.mark.parametrize("blob", [b"", b"short", bytes(40)])
def test_short_attribute_blobs_fail_closed(blob: bytes) -> None:
    with pytest.raises(VaultTamperedError):
        crypto.decrypt_attributes(crypto.new_data_key(), blob, str(uuid.uuid4()), 1)


@pytest.mark.parametrize(
    "attributes",
    [{"born": datetime.date(1961, 7, 14)}, {"x": float("nan")}, ["not", "a dict"]],
)
def test_attributes_must_be_a_json_object(attributes: Any) -> None:
    with pytest.raises(TypeError):
        crypto.encrypt_attributes(crypto.new_data_key(), attributes, str(uuid.uuid4()), 1)


# Wraps ------------------------------------------------------------------------------


def test_a_wrap_opens_with_its_secret_only() -> None:
    master, account, data_key = MasterKey(secrets.token_bytes(32)), str(uuid.uuid4()), b"k" * 32
    wrap = crypto.wrap_data_key(master, data_key, b"secret", WrapKind.PASSWORD, account, 1)
    assert data_key not in wrap
    assert crypto.unwrap_data_key(master, wrap, b"secret", WrapKind.PASSWORD, account, 1) == (
        data_key
    )
    assert crypto.unwrap_data_key(master, wrap, b"Secret", WrapKind.PASSWORD, account, 1) is None


@pytest.mark.parametrize(
    ("kind", "account_change", "master_change"),
    [
        (WrapKind.PERSONAL_KEY, False, False),
        (WrapKind.PASSWORD, True, False),
        (WrapKind.PASSWORD, False, True),
    ],
)
def test_a_wrap_is_bound_to_its_kind_account_and_master_key(
    kind: WrapKind, account_change: bool, master_change: bool
) -> None:
    master, account = MasterKey(secrets.token_bytes(32)), str(uuid.uuid4())
    wrap = crypto.wrap_data_key(master, b"k" * 32, b"secret", WrapKind.PASSWORD, account, 1)
    other_master = MasterKey(secrets.token_bytes(32)) if master_change else master
    other_account = str(uuid.uuid4()) if account_change else account
    with pytest.raises(VaultTamperedError):
        crypto.unwrap_data_key(other_master, wrap, b"secret", kind, other_account, 1)


def test_the_kdf_costs_what_the_sign_in_hash_costs() -> None:
    params = crypto.FORMATS[crypto.CURRENT_FORMAT]
    assert (params.time_cost, params.memory_kib, params.parallelism) == (2, 19 * 1024, 1)
    salt = bytes(16)
    assert crypto.derive_kek(b"a", salt, 1) != crypto.derive_kek(b"b", salt, 1)
    assert crypto.derive_kek(b"a", salt, 1) != crypto.derive_kek(b"a", b"\x01" * 16, 1)
    assert len(crypto.derive_kek(b"a", salt, 1)) == 32
    with pytest.raises(VaultTamperedError):
        crypto.derive_kek(b"a", salt, 99)


# Sealing for a secret's holder ------------------------------------------------------

HOLDER_SECRET = secrets.token_urlsafe(32)
PAYLOAD = {"given_name": "Zebulon", "ial": 2, "claims": ["address"]}


def test_a_holder_sealed_payload_round_trips() -> None:
    blob = crypto.seal_for_holder(HOLDER_SECRET, PAYLOAD, "authorization-code")
    assert b"Zebulon" not in blob and HOLDER_SECRET.encode() not in blob
    assert crypto.open_for_holder(HOLDER_SECRET, blob, "authorization-code") == PAYLOAD


def test_each_holder_seal_is_different() -> None:
    first = crypto.seal_for_holder(HOLDER_SECRET, PAYLOAD, "session")
    assert first != crypto.seal_for_holder(HOLDER_SECRET, PAYLOAD, "session")


@pytest.mark.parametrize(
    ("secret", "context"),
    [
        (secrets.token_urlsafe(32), "authorization-code"),
        (HOLDER_SECRET + "x", "authorization-code"),
        (HOLDER_SECRET, "access-token"),
        (HOLDER_SECRET, ""),
    ],
    # Fixed names: parallel workers must collect the same tests.
    ids=["another-secret", "secret-with-a-character-more", "another-context", "no-context"],
)
def test_a_holder_seal_opens_with_its_secret_and_context_only(secret: str, context: str) -> None:
    blob = crypto.seal_for_holder(HOLDER_SECRET, PAYLOAD, "authorization-code")
    with pytest.raises(HolderSealError):
        crypto.open_for_holder(secret, blob, context)


def test_any_altered_byte_of_a_holder_seal_fails_closed() -> None:
    blob = crypto.seal_for_holder(HOLDER_SECRET, PAYLOAD, "session")
    for index in range(len(blob)):
        altered = bytearray(blob)
        altered[index] ^= 0x01
        with pytest.raises(HolderSealError):
            crypto.open_for_holder(HOLDER_SECRET, bytes(altered), "session")


@pytest.mark.parametrize("cut", [0, 1, 17, 29, 44])
def test_truncated_holder_seals_fail_closed(cut: int) -> None:
    blob = crypto.seal_for_holder(HOLDER_SECRET, PAYLOAD, "session")
    with pytest.raises(HolderSealError):
        crypto.open_for_holder(HOLDER_SECRET, blob[:cut], "session")


@pytest.mark.parametrize("secret", ["", "short", "x" * 21])
def test_a_low_entropy_holder_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="22 characters"):
        crypto.seal_for_holder(secret, PAYLOAD, "session")
    with pytest.raises(ValueError, match="22 characters"):
        crypto.open_for_holder(secret, b"\x01" + bytes(60), "session")


def test_a_holder_payload_must_be_a_json_object() -> None:
    with pytest.raises(TypeError):
        crypto.seal_for_holder(HOLDER_SECRET, {"when": object()}, "session")
