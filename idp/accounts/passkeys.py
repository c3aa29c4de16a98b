"""WebAuthn ceremonies for security keys and face or touch unlock (py_webauthn).

The relying party is the issuer: its host is the RP ID and its scheme, host and port the
only accepted origin. Each ceremony's challenge lives in the server-side session, bound
to the account and the kind of ceremony, and is taken (removed) when a response arrives,
so a response is verified against at most one challenge, once.

Errors, for the views to turn into words::

    PasskeyError                  anything that stops a ceremony (reason, status)
     ├── CeremonyExpiredError     no challenge waiting, another ceremony's, or too old
     ├── MalformedResponseError   not a WebAuthn credential in JSON form
     ├── VerificationError        challenge, origin, RP ID, signature or flags are wrong
     ├── UnknownCredentialError   not one of this account's credentials
     ├── ClonedAuthenticatorError the signature counter did not move forward
     └── CredentialTakenError     the credential is already registered
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorAttachment,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

RP_NAME = "Government Sign-In"
CEREMONY_TIMEOUT = 5 * 60
_SESSION_KEY = "webauthn_ceremony"
_ZERO_AAGUID = uuid.UUID(int=0)
# What a malformed credential can make the parsers raise besides their own errors
# (bad base64, bad CBOR, bad COSE keys, truncated authenticator data).
_PARSE_ERRORS = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, OverflowError)


class PasskeyError(Exception):
    """A ceremony could not finish. ``reason`` is a stable code; ``status`` the HTTP
    status to answer with."""

    reason = "invalid"
    status = 400


class CeremonyExpiredError(PasskeyError):
    reason = "expired"


class MalformedResponseError(PasskeyError):
    reason = "malformed"


class VerificationError(PasskeyError):
    reason = "not_verified"
    status = 401


class UnknownCredentialError(PasskeyError):
    reason = "unknown_credential"
    status = 401


class ClonedAuthenticatorError(PasskeyError):
    reason = "cloned"
    status = 401


class CredentialTakenError(PasskeyError):
    reason = "taken"
    status = 409


@dataclass(frozen=True)
class RelyingParty:
    """Who the credentials are for: ``id`` is a host name, ``origin`` a web origin."""

    id: str
    origin: str
    name: str = RP_NAME

    @classmethod
    def from_issuer(cls, issuer: str) -> RelyingParty:
        parts = urlsplit(issuer)
        if not parts.hostname or parts.scheme not in ("http", "https"):
            raise ValueError("the issuer must be an http(s) URL with a host")
        return cls(id=parts.hostname, origin=f"{parts.scheme}://{parts.netloc}".lower())


def relying_party() -> RelyingParty:
    """The relying party of the running app, from its issuer."""
    return RelyingParty.from_issuer(current_app.config["IDP_SETTINGS"].issuer)


@dataclass(frozen=True)
class StoredCredential:
    """A registered credential, as the repository returns it."""

    id: str
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    platform: bool

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StoredCredential:
        return cls(
            id=str(row["id"]),
            credential_id=bytes(row["credential_id"]),
            public_key=bytes(row["public_key"]),
            sign_count=int(row["sign_count"]),
            transports=tuple(row["transports"] or ()),
            platform=bool(row["platform"]),
        )

    @property
    def amr(self) -> str:
        return amr_for(self.platform)


def amr_for(platform: bool) -> str:
    """RFC 8176: ``swk`` for a platform authenticator, ``hwk`` for a security key."""
    return "swk" if platform else "hwk"


@dataclass(frozen=True)
class NewCredential:
    """A verified registration, ready to store."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    aaguid: uuid.UUID | None
    platform: bool

    @property
    def amr(self) -> str:
        return amr_for(self.platform)


@dataclass(frozen=True)
class Assertion:
    """A verified sign-in: which credential, and its new signature counter."""

    credential: StoredCredential
    new_sign_count: int


@dataclass(frozen=True)
class Ceremony:
    """A challenge waiting in the session."""

    kind: str  # "register" or "authenticate"
    account_id: str
    challenge: bytes
    platform: bool


def new_challenge() -> bytes:
    return secrets.token_bytes(32)


def begin_ceremony(kind: str, account_id: str, platform: bool = False) -> bytes:
    """Start a ceremony for ``account_id``: a fresh challenge, kept in the session,
    replacing any other waiting there."""
    challenge = new_challenge()
    session[_SESSION_KEY] = {
        "kind": kind,
        "account": account_id,
        "challenge": _b64url(challenge),
        "platform": platform,
        "started": int(time.time()),
    }
    return challenge


def take_ceremony(kind: str, account_id: str) -> Ceremony:
    """Remove the waiting challenge from the session and return it; it must be for this
    kind of ceremony and account, and younger than :data:`CEREMONY_TIMEOUT`."""
    stored = session.pop(_SESSION_KEY, None)
    if not isinstance(stored, dict):
        raise CeremonyExpiredError("no ceremony in progress")
    if stored.get("kind") != kind or stored.get("account") != account_id:
        raise CeremonyExpiredError("the waiting ceremony is for something else")
    if time.time() - int(stored.get("started", 0)) > CEREMONY_TIMEOUT:
        raise CeremonyExpiredError("the ceremony took too long")
    return Ceremony(
        kind=kind,
        account_id=account_id,
        challenge=_from_b64url(str(stored["challenge"])),
        platform=bool(stored.get("platform")),
    )


def registration_options(
    rp: RelyingParty,
    *,
    challenge: bytes,
    user_handle: bytes,
    user_name: str,
    existing: Sequence[StoredCredential],
    platform: bool,
) -> dict[str, Any]:
    """Options for ``navigator.credentials.create()``, as JSON-ready data. Credentials
    the account already has are excluded, so one authenticator is registered once."""
    attachment = (
        AuthenticatorAttachment.PLATFORM if platform else AuthenticatorAttachment.CROSS_PLATFORM
    )
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=user_name,
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            authenticator_attachment=attachment,
            resident_key=(
                ResidentKeyRequirement.PREFERRED if platform else ResidentKeyRequirement.DISCOURAGED
            ),
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(c) for c in existing],
    )
    return options_to_json_dict(options)


def verify_registration(
    rp: RelyingParty, *, challenge: bytes, credential: object, platform: bool
) -> NewCredential:
    """Check the browser's answer to :func:`registration_options`. A credential is a
    platform authenticator if one was asked for or the browser says it is one."""
    parsed = _parse_registration(credential)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=False,
        )
    except _PARSE_ERRORS as exc:
        raise VerificationError("the registration did not verify") from exc
    aaguid = uuid.UUID(verified.aaguid)
    said_platform = parsed.authenticator_attachment == AuthenticatorAttachment.PLATFORM
    return NewCredential(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=tuple(t.value for t in parsed.response.transports or ()),
        aaguid=None if aaguid == _ZERO_AAGUID else aaguid,
        platform=platform or said_platform,
    )


def authentication_options(
    rp: RelyingParty, *, challenge: bytes, credentials: Sequence[StoredCredential]
) -> dict[str, Any]:
    """Options for ``navigator.credentials.get()``, allowing the account's credentials."""
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT * 1000,
        allow_credentials=[_descriptor(c) for c in credentials],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json_dict(options)


def verify_authentication(
    rp: RelyingParty,
    *,
    challenge: bytes,
    credential: object,
    credentials: Sequence[StoredCredential],
    user_handle: bytes | None,
) -> Assertion:
    """Check the browser's answer to :func:`authentication_options` against the
    account's credentials. The signature counter must move forward unless the
    authenticator keeps no counter (both values 0): a counter that stays or goes back
    means the credential may have been copied."""
    parsed = _parse_authentication(credential)
    stored = next(
        (c for c in credentials if secrets.compare_digest(c.credential_id, parsed.raw_id)), None
    )
    if stored is None:
        raise UnknownCredentialError("not one of this account's credentials")
    returned_handle = parsed.response.user_handle
    if returned_handle is not None and (
        user_handle is None or not secrets.compare_digest(returned_handle, user_handle)
    ):
        raise VerificationError("the credential belongs to another user handle")
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=stored.public_key,
            # Compared below instead, so a copied credential is told apart.
            credential_current_sign_count=0,
            require_user_verification=False,
        )
    except _PARSE_ERRORS as exc:
        raise VerificationError("the assertion did not verify") from exc
    if not counter_moved_forward(stored.sign_count, verified.new_sign_count):
        raise ClonedAuthenticatorError("the signature counter did not increase")
    return Assertion(credential=stored, new_sign_count=verified.new_sign_count)


def counter_moved_forward(stored: int, new: int) -> bool:
    """True if ``new`` is a plausible next signature counter after ``stored``."""
    return new > stored or new == stored == 0


def _parse_registration(credential: object) -> RegistrationCredential:
    data = _require_object(credential)
    try:
        return parse_registration_credential_json(data)
    except _PARSE_ERRORS as exc:
        raise MalformedResponseError("the credential could not be read") from exc


def _parse_authentication(credential: object) -> AuthenticationCredential:
    data = _require_object(credential)
    try:
        return parse_authentication_credential_json(data)
    except _PARSE_ERRORS as exc:
        raise MalformedResponseError("the credential could not be read") from exc


def _require_object(credential: object) -> dict[str, Any]:
    if not isinstance(credential, dict):
        raise MalformedResponseError("the credential is not a JSON object")
    return credential


def _descriptor(credential: StoredCredential) -> PublicKeyCredentialDescriptor:
    transports = [
        AuthenticatorTransport(t)
        for t in credential.transports
        if t in AuthenticatorTransport._value2member_map_
    ]
    return PublicKeyCredentialDescriptor(id=credential.credential_id, transports=transports or None)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _from_b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CeremonyExpiredError("the stored challenge is unreadable") from exc
