"""Every endpoint and form, fed valid, malformed, huge and non-UTF-8 input: no 5xx."""

from __future__ import annotations

import io
from urllib.parse import quote_from_bytes, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idp.proofing.documents.images import load_upload
from tests.conftest import Person
from tests.fuzz.conftest import EXAMPLES, check

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

LEVELS = [
    "http://idmanagement.gov/ns/assurance/ial/1",
    "http://idmanagement.gov/ns/assurance/ial/2",
    "http://idmanagement.gov/ns/assurance/ial/2?bio=required",
    "urn:acr.login.gov:verified-facial-match-required",
    "urn:gov:gsa:ac:classes:sp:PasswordProtectedTransport:duo",
    "http://idmanagement.gov/ns/assurance/aal/2?phishing_resistant=true",
]
# Values a parameter may take besides junk: some valid, some near misses.
SAMPLES: dict[str, list[str]] = {
    "response_type": ["code", "token", "id_token", "code id_token", ""],
    "client_id": ["urn:gov:fuzz:missing", "", "a" * 300],
    "redirect_uri": ["https://agency.example.gov/cb", "http://127.0.0.1/cb", "javascript:x"],
    "scope": ["openid", "openid email profile", "openid address phone", "email", ""],
    "prompt": ["none", "login", "consent", "select_account", "none login", "login consent"],
    "max_age": ["0", "59", "60", "3600", "-1", "²", "1e9", "99999999999999999999", ""],
    "acr_values": [*LEVELS, " ".join(LEVELS)],
    "code_challenge_method": ["S256", "plain", "s256"],
    "code_challenge": ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "short"],
    "grant_type": ["authorization_code", "refresh_token", "client_credentials", ""],
    "client_assertion_type": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"],
    "client_assertion": ["eyJhbGciOiJub25lIn0.e30.", "a.b.c", "e30"],
    "id_token_hint": ["eyJhbGciOiJSUzI1NiJ9.e30.sig", "a.b.c", ""],
    "post_logout_redirect_uri": ["https://agency.example.gov/", "//evil.example"],
    "next": ["/account", "//evil.example", "/\t/evil.example", "https://evil.example", "/%0a"],
    "email": ["person@example.gov", "not-an-email", "a@b", "x" * 300 + "@example.gov"],
    "birthdate": ["1980-01-16", "01/16/1980", "1980-02-30", "0000-00-00", "99999"],
    "document_kind": ["licence", "passport", "other"],
    "decision": ["allow", "deny", ""],
    "code": ["000000", "12345", "abcdef", "0" * 100],
}

# Any character a browser can send: surrogates cannot be encoded, so no request holds one.
CHARACTERS = st.characters(exclude_categories=["Cs"])
junk = st.one_of(
    st.text(CHARACTERS, max_size=40),
    st.text(st.characters(codec="ascii"), max_size=20),
    st.builds(lambda char, count: char * count, CHARACTERS, st.integers(2000, 20000)),
    st.sampled_from(["\x00", "\r\n", "%00", "../..", "' OR 1=1 --", "<script>", "\u202e"]),
)


def params(names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Some of ``names``, each a sample or junk, and sometimes a name no one expects."""
    known = st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(st.sampled_from(SAMPLES.get(name, ["x"])), junk) for name in names
        },
    )
    unknown = st.dictionaries(st.text(CHARACTERS, min_size=1, max_size=10), junk, max_size=2)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


def query(names: list[str]) -> st.SearchStrategy[bytes]:
    """A query string or form body: ``params`` encoded, sometimes with bytes that are not
    UTF-8 (percent-encoded, as a browser would send them)."""
    raw = st.binary(min_size=1, max_size=12).filter(lambda b: _not_utf8(b))
    return st.builds(
        lambda fields, extra: (
            urlencode(fields).encode()
            + (b"&x=" + quote_from_bytes(extra).encode() if extra else b"")
        ),
        params(names),
        st.one_of(st.none(), raw),
    )


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


AUTHORIZE = ["response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "prompt",
             "max_age", "acr_values", "code_challenge", "code_challenge_method", "ui_locales",
             "login_hint", "claims", "request", "response_mode"]  # fmt: skip
TOKEN = ["grant_type", "code", "redirect_uri", "client_id", "code_verifier",
         "client_assertion_type", "client_assertion", "refresh_token", "scope"]  # fmt: skip
LOGOUT = ["id_token_hint", "post_logout_redirect_uri", "state", "client_id", "logout_hint"]


@pytest.mark.parametrize("method", ["GET", "POST"])
@FUZZ
@given(body=query(AUTHORIZE))
def test_authorize(
    fuzz_app: Flask, signed_in: tuple[FlaskClient, Person], method: str, body: bytes
) -> None:
    for client in (fuzz_app.test_client(), signed_in[0]):
        if method == "GET":
            check(client.get("/authorize", query_string=body.decode("ascii")))
        else:
            check(
                client.post(
                    "/authorize", data=body, content_type="application/x-www-form-urlencoded"
                )
            )


def _carried_by_http(value: str | None) -> bool:
    """Whether a header can hold ``value``: Latin-1, with no line break (a client that
    sent one would be refused before any server saw it)."""
    if value is None:
        return True
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\r" not in value and "\n" not in value


authorization = st.one_of(
    st.none(),
    st.sampled_from(["Bearer ", "Bearer a.b.c", "Basic Og==", "Basic !!!", "Basic " + "A" * 5000]),
    st.builds(
        lambda scheme, value: f"{scheme} {value}",
        st.sampled_from(["Bearer", "Basic", "DPoP"]),
        junk,
    ),
).filter(_carried_by_http)


def _headers(value: str | None) -> dict[str, str]:
    return {} if value is None else {"Authorization": value}


@FUZZ
@given(body=query(TOKEN), header=authorization)
def test_token(fuzz_app: Flask, body: bytes, header: str | None) -> None:
    client = fuzz_app.test_client()
    response = client.post(
        "/token",
        data=body,
        headers=_headers(header),
        content_type="application/x-www-form-urlencoded",
    )
    check(response)


@pytest.mark.parametrize("method", ["GET", "POST"])
@FUZZ
@given(header=authorization, body=query(["access_token"]))
def test_userinfo(fuzz_app: Flask, method: str, header: str | None, body: bytes) -> None:
    client = fuzz_app.test_client()
    if method == "GET":
        response = client.get(
            "/userinfo", headers=_headers(header), query_string=body.decode("ascii")
        )
    else:
        response = client.post("/userinfo", headers=_headers(header), data=body,
                               content_type="application/x-www-form-urlencoded")  # fmt: skip
    check(response)


@pytest.mark.parametrize("method", ["GET", "POST"])
@FUZZ
@given(body=query(LOGOUT))
def test_logout(
    fuzz_app: Flask, signed_in: tuple[FlaskClient, Person], method: str, body: bytes
) -> None:
    client = fuzz_app.test_client()
    if method == "GET":
        check(client.get("/logout", query_string=body.decode("ascii")))
    else:
        check(client.post("/logout", data=body, content_type="application/x-www-form-urlencoded"))


# Pages and forms, signed out and signed in. Posts that end a session or an account are
# left to the last table, so that the signed-in client stays signed in for the others.
FORMS = [
    ("/sign-in", ["email", "password", "next", "remember"]),
    ("/sign-in/code", ["code", "remember", "next"]),
    ("/sign-in/backup-code", ["code", "next"]),
    ("/sign-in/security-key", ["credential", "next"]),
    ("/sign-up", ["email", "accept"]),
    ("/sign-up/password", ["password", "password_confirmation", "token"]),
    ("/forgot-password", ["email"]),
    ("/forgot-password/new-password", ["password", "password_confirmation", "token"]),
    ("/this-wasnt-me/lock", ["token", "email"]),
    ("/account/reauthenticate", ["password", "next"]),
    ("/account/factors/totp/new", ["code", "name", "secret"]),
    ("/account/factors/backup-codes", ["confirm"]),
    ("/account/factors/security-key/new", ["credential", "name"]),
    ("/account/identity/unlock", ["personal_key", "password"]),
    ("/verify", ["consent", "method", "next"]),
    ("/verify/methods", ["method", "proofing_version"]),
    ("/verify/finish", ["password", "proofing_version"]),
    ("/account-deletion", ["email"]),
]
PAGES = ["/", "/account", "/account/history", "/account/factors/new", "/sign-in/options",
         "/sign-up/confirm", "/forgot-password/reset", "/this-wasnt-me", "/verify/step",
         "/account-deletion/link", "/account-deletion/cancel", "/.well-known/openid-configuration",
         "/.well-known/jwks.json", "/healthz", "/readyz", "/no-such-page"]  # fmt: skip


@pytest.mark.parametrize(("path", "names"), FORMS, ids=[path for path, _ in FORMS])
@FUZZ
@given(
    body=query(["next", "token", "email", "code", "password", "birthdate"]),
    signed=st.booleans(),
    extra=st.data(),
)
def test_forms(
    fuzz_app: Flask, signed_in: tuple[FlaskClient, Person], path: str, names: list[str],
    body: bytes, signed: bool, extra: st.DataObject,
) -> None:  # fmt: skip
    form = extra.draw(query(names))
    client = signed_in[0] if signed else fuzz_app.test_client()
    check(
        client.post(path, data=form + b"&" + body, content_type="application/x-www-form-urlencoded")
    )


@pytest.mark.parametrize("path", PAGES)
@FUZZ
@given(body=query(["next", "token", "email", "code", "client_id", "state"]), signed=st.booleans())
def test_pages(
    fuzz_app: Flask, signed_in: tuple[FlaskClient, Person], path: str, body: bytes, signed: bool
) -> None:
    client = signed_in[0] if signed else fuzz_app.test_client()
    check(client.get(path, query_string=body.decode("ascii")))


DOCUMENT_FIELDS = ["document_kind", "given_name", "middle_name", "family_name", "birthdate",
                   "street_1", "city", "state", "postal_code", "mrz"]  # fmt: skip
FILES = ["front", "back", "passport_page", "selfie"]


@FUZZ
@given(
    form=params(DOCUMENT_FIELDS),
    files=st.dictionaries(st.sampled_from(FILES), st.binary(max_size=3000), max_size=3),
    name=st.sampled_from(["document", "code", "nonsense"]),
)
def test_proofing_steps(
    signed_in: tuple[FlaskClient, Person], form: dict[str, str], files: dict[str, bytes], name: str
) -> None:
    client = signed_in[0]
    data: dict[str, object] = dict(form)
    for field_name, content in files.items():
        data[field_name] = (io.BytesIO(content), f"{field_name}.jpg")
    check(client.post(f"/verify/step/{name}", data=data, content_type="multipart/form-data"))


@FUZZ
@given(data=st.one_of(
    st.binary(max_size=5000),
    st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP"]).flatmap(
        lambda head: st.binary(max_size=2000).map(lambda tail: head + tail)),
))  # fmt: skip
def test_uploads_never_raise(data: bytes) -> None:
    result = load_upload(data)
    assert result is not None
