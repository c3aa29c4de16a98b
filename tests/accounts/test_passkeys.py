"""The WebAuthn ceremony logic, against a software authenticator: no server, no browser."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask

from idp.accounts import passkeys
from idp.accounts.passkeys import (
    CeremonyExpiredError,
    ClonedAuthenticatorError,
    MalformedResponseError,
    PasskeyError,
    RelyingParty,
    StoredCredential,
    UnknownCredentialError,
    VerificationError,
)
from tests.accounts.soft_authenticator import SoftAuthenticator, b64url

RP = RelyingParty.from_issuer("https://sign-in.example.gov")
HANDLE = b"h" * 32


def _register(
    authenticator: SoftAuthenticator, existing: list[StoredCredential] | None = None
) -> tuple[dict[str, Any], bytes]:
    challenge = passkeys.new_challenge()
    options = passkeys.registration_options(
        RP,
        challenge=challenge,
        user_handle=HANDLE,
        user_name="person@example.gov",
        existing=existing or [],
        platform=False,
    )
    return options, challenge


def _stored(authenticator: SoftAuthenticator, sign_count: int = 0) -> StoredCredential:
    challenge = passkeys.new_challenge()
    options, challenge = _register(authenticator)
    new = passkeys.verify_registration(
        RP, challenge=challenge, credential=authenticator.register(options), platform=False
    )
    return StoredCredential(
        id="row-1",
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=sign_count,
        transports=new.transports,
        platform=new.platform,
    )


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(origin=RP.origin, rp_id=RP.id)


def test_relying_party_is_the_issuers_host_and_origin() -> None:
    rp = RelyingParty.from_issuer("http://LocalHost:5000")
    assert (rp.id, rp.origin) == ("localhost", "http://localhost:5000")
    assert RP.id == "sign-in.example.gov"
    assert RP.origin == "https://sign-in.example.gov"


@pytest.mark.parametrize("issuer", ["", "sign-in.example.gov", "ftp://example.gov", "https://"])
def test_an_issuer_without_a_host_is_not_a_relying_party(issuer: str) -> None:
    with pytest.raises(ValueError):
        RelyingParty.from_issuer(issuer)


def test_registration_options_exclude_existing_and_prefer_user_verification(
    authenticator: SoftAuthenticator,
) -> None:
    existing = _stored(authenticator)
    options, _ = _register(authenticator, [existing])
    assert options["rp"] == {"id": RP.id, "name": "Government Sign-In"}
    assert options["user"]["id"] == b64url(HANDLE)
    assert options["excludeCredentials"] == [
        {"id": b64url(existing.credential_id), "type": "public-key", "transports": ["usb"]}
    ]
    selection = options["authenticatorSelection"]
    assert selection["userVerification"] == "preferred"
    assert selection["authenticatorAttachment"] == "cross-platform"
    assert options["attestation"] == "none"


def test_platform_options_ask_for_a_platform_authenticator() -> None:
    options = passkeys.registration_options(
        RP,
        challenge=passkeys.new_challenge(),
        user_handle=HANDLE,
        user_name="person@example.gov",
        existing=[],
        platform=True,
    )
    assert options["authenticatorSelection"]["authenticatorAttachment"] == "platform"


def test_registration_returns_what_is_stored(authenticator: SoftAuthenticator) -> None:
    options, challenge = _register(authenticator)
    new = passkeys.verify_registration(
        RP, challenge=challenge, credential=authenticator.register(options), platform=False
    )
    assert new.credential_id == authenticator.credential_id
    assert new.transports == ("usb",)
    assert new.aaguid is not None and new.aaguid.bytes == authenticator.aaguid
    assert (new.platform, new.amr, new.sign_count) == (False, "hwk", 0)


def test_a_zero_aaguid_is_stored_as_unknown() -> None:
    authenticator = SoftAuthenticator(origin=RP.origin, rp_id=RP.id, aaguid=bytes(16))
    options, challenge = _register(authenticator)
    new = passkeys.verify_registration(
        RP, challenge=challenge, credential=authenticator.register(options), platform=False
    )
    assert new.aaguid is None


@pytest.mark.parametrize("requested, reported", [(True, "cross-platform"), (False, "platform")])
def test_a_platform_authenticator_is_recognised(requested: bool, reported: str) -> None:
    authenticator = SoftAuthenticator(origin=RP.origin, rp_id=RP.id, attachment=reported)
    options, challenge = _register(authenticator)
    new = passkeys.verify_registration(
        RP, challenge=challenge, credential=authenticator.register(options), platform=requested
    )
    assert (new.platform, new.amr) == (True, "swk")


def _garble(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(credential: dict[str, Any]) -> Any:
        target = credential
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return credential

    return change


_DELETE = object()

BAD_REGISTRATIONS: dict[str, Callable[[SoftAuthenticator, dict[str, Any]], Any]] = {
    "wrong challenge": lambda a, o: a.register(o, challenge=b64url(b"x" * 32)),
    "wrong origin": lambda a, o: a.register(o, origin="https://evil.example"),
    "wrong RP ID": lambda a, o: a.register(o, rp_id="evil.example"),
    "sign-in data": lambda a, o: a.register(o, kind="webauthn.get"),
    "garbled attestation": lambda a, o: _garble(("response", "attestationObject"), "AAAA")(
        a.register(o)
    ),
    "attestation not base64": lambda a, o: _garble(("response", "attestationObject"), "!!é")(
        a.register(o)
    ),
    "garbled client data": lambda a, o: _garble(("response", "clientDataJSON"), b64url(b"{"))(
        a.register(o)
    ),
    "id is not rawId": lambda a, o: _garble(("id",), b64url(b"other"))(a.register(o)),
    "no response": lambda a, o: _garble(("response",), _DELETE)(a.register(o)),
    "response is a list": lambda a, o: _garble(("response",), [])(a.register(o)),
    "id is a number": lambda a, o: _garble(("id",), 12)(a.register(o)),
    "wrong type": lambda a, o: _garble(("type",), "password")(a.register(o)),
    "unknown attachment": lambda a, o: _garble(("authenticatorAttachment",), "toaster")(
        a.register(o)
    ),
    "a list": lambda a, o: [a.register(o)],
    "a string": lambda a, o: "credential",
    "nothing": lambda a, o: None,
}


@pytest.mark.parametrize("forge", BAD_REGISTRATIONS.values(), ids=BAD_REGISTRATIONS.keys())
def test_bad_registrations_are_refused(
    forge: Callable[[SoftAuthenticator, dict[str, Any]], Any], authenticator: SoftAuthenticator
) -> None:
    options, challenge = _register(authenticator)
    with pytest.raises(PasskeyError) as raised:
        passkeys.verify_registration(
            RP, challenge=challenge, credential=forge(authenticator, options), platform=False
        )
    assert 400 <= raised.value.status < 500


def _sign_in(
    authenticator: SoftAuthenticator, stored: StoredCredential, credential: Any, challenge: bytes
) -> passkeys.Assertion:
    return passkeys.verify_authentication(
        RP,
        challenge=challenge,
        credential=credential,
        credentials=[stored],
        user_handle=HANDLE,
    )


def _options(stored: StoredCredential) -> tuple[dict[str, Any], bytes]:
    challenge = passkeys.new_challenge()
    options = passkeys.authentication_options(RP, challenge=challenge, credentials=[stored])
    return options, challenge


def test_authentication_options_allow_the_accounts_credentials(
    authenticator: SoftAuthenticator,
) -> None:
    stored = _stored(authenticator)
    options, challenge = _options(stored)
    assert options["rpId"] == RP.id
    assert options["challenge"] == b64url(challenge)
    assert options["userVerification"] == "preferred"
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(stored.credential_id)]


def test_authentication_returns_the_credential_and_new_counter(
    authenticator: SoftAuthenticator,
) -> None:
    stored = _stored(authenticator, sign_count=4)
    authenticator.sign_count = 4
    options, challenge = _options(stored)
    assertion = _sign_in(authenticator, stored, authenticator.assert_(options), challenge)
    assert assertion.credential == stored
    assert assertion.new_sign_count == 5
    assert assertion.credential.amr == "hwk"


def test_an_authenticator_without_a_counter_is_accepted(authenticator: SoftAuthenticator) -> None:
    stored = _stored(authenticator, sign_count=0)
    options, challenge = _options(stored)
    assertion = _sign_in(
        authenticator, stored, authenticator.assert_(options, counter=0), challenge
    )
    assert assertion.new_sign_count == 0


@pytest.mark.parametrize(
    "stored, new, forward",
    [(0, 0, True), (0, 1, True), (5, 6, True), (5, 5, False), (5, 4, False), (5, 0, False)],
)
def test_counter_must_move_forward_unless_both_are_zero(
    stored: int, new: int, forward: bool
) -> None:
    assert passkeys.counter_moved_forward(stored, new) is forward


def _other_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


BAD_ASSERTIONS: dict[str, tuple[type[PasskeyError], Callable[[SoftAuthenticator, Any], Any]]] = {
    "wrong challenge": (
        VerificationError,
        lambda a, o: a.assert_(o, challenge=b64url(b"y" * 32)),
    ),
    "wrong origin": (VerificationError, lambda a, o: a.assert_(o, origin="http://evil.example")),
    "wrong RP ID": (VerificationError, lambda a, o: a.assert_(o, rp_id="evil.example")),
    "registration data": (VerificationError, lambda a, o: a.assert_(o, kind="webauthn.create")),
    "forged signature": (VerificationError, lambda a, o: a.assert_(o, key=_other_key())),
    "signature cut short": (
        VerificationError,
        lambda a, o: _garble(("response", "signature"), b64url(b"\x30\x02"))(a.assert_(o)),
    ),
    "replayed counter": (ClonedAuthenticatorError, lambda a, o: a.assert_(o, counter=7)),
    "counter went back": (ClonedAuthenticatorError, lambda a, o: a.assert_(o, counter=3)),
    "counter reset to zero": (ClonedAuthenticatorError, lambda a, o: a.assert_(o, counter=0)),
    "another user handle": (
        VerificationError,
        lambda a, o: _garble(("response", "userHandle"), b64url(b"someone else"))(a.assert_(o)),
    ),
    "garbled authenticator data": (
        VerificationError,
        lambda a, o: _garble(("response", "authenticatorData"), b64url(b"short"))(a.assert_(o)),
    ),
    "unknown credential": (
        UnknownCredentialError,
        lambda a, o: _garble(("rawId",), b64url(b"unknown"))(
            _garble(("id",), b64url(b"unknown"))(a.assert_(o))
        ),
    ),
    "signature is a number": (
        MalformedResponseError,
        lambda a, o: _garble(("response", "signature"), 5)(a.assert_(o)),
    ),
    "user handle is a list": (
        MalformedResponseError,
        lambda a, o: _garble(("response", "userHandle"), [1])(a.assert_(o)),
    ),
    "rawId not base64": (
        MalformedResponseError,
        lambda a, o: _garble(("rawId",), "\u2603\u2603")(a.assert_(o)),
    ),
    "a list": (MalformedResponseError, lambda a, o: [a.assert_(o)]),
    "a number": (MalformedResponseError, lambda a, o: 42),
}


@pytest.mark.parametrize(
    "expected, forge", BAD_ASSERTIONS.values(), ids=list(BAD_ASSERTIONS.keys())
)
def test_bad_assertions_are_refused(
    expected: type[PasskeyError],
    forge: Callable[[SoftAuthenticator, Any], Any],
    authenticator: SoftAuthenticator,
) -> None:
    stored = _stored(authenticator, sign_count=7)
    authenticator.sign_count = 7
    options, challenge = _options(stored)
    with pytest.raises(expected) as raised:
        _sign_in(authenticator, stored, forge(authenticator, options), challenge)
    assert 400 <= raised.value.status < 500


@pytest.fixture
def request_context() -> Iterator[None]:
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context():
        yield


@pytest.mark.usefixtures("request_context")
def test_a_challenge_is_taken_once() -> None:
    challenge = passkeys.begin_ceremony("authenticate", "account-1")
    ceremony = passkeys.take_ceremony("authenticate", "account-1")
    assert ceremony.challenge == challenge and ceremony.platform is False
    with pytest.raises(CeremonyExpiredError):
        passkeys.take_ceremony("authenticate", "account-1")


@pytest.mark.usefixtures("request_context")
@pytest.mark.parametrize(
    "kind, account", [("register", "account-1"), ("authenticate", "account-2")]
)
def test_a_challenge_is_only_for_its_ceremony_and_account(kind: str, account: str) -> None:
    passkeys.begin_ceremony("authenticate", "account-1")
    with pytest.raises(CeremonyExpiredError):
        passkeys.take_ceremony(kind, account)


@pytest.mark.usefixtures("request_context")
def test_a_new_ceremony_replaces_the_waiting_one() -> None:
    passkeys.begin_ceremony("register", "account-1", platform=True)
    second = passkeys.begin_ceremony("register", "account-1", platform=True)
    ceremony = passkeys.take_ceremony("register", "account-1")
    assert (ceremony.challenge, ceremony.platform) == (second, True)


@pytest.mark.usefixtures("request_context")
def test_an_old_challenge_has_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    passkeys.begin_ceremony("authenticate", "account-1")
    later = time.time() + passkeys.CEREMONY_TIMEOUT + 1
    monkeypatch.setattr(passkeys.time, "time", lambda: later)
    with pytest.raises(CeremonyExpiredError):
        passkeys.take_ceremony("authenticate", "account-1")
