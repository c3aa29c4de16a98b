"""The agency and app service: every kind of bad input is refused with a clear reason,
and saving writes only what changed, with the actor in the event log."""

from __future__ import annotations

import secrets
import warnings
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from idp.admin import agencies as service
from idp.admin.agencies import SpecError, parse_agency, parse_app
from idp.db import Database
from tests.admin.support import ACTOR, new_agency, new_app
from tests.conftest import LiveServer


def public_jwk(key: Any) -> dict[str, Any]:
    data: dict[str, Any] = key.as_dict(private=False)
    return data


RSA_2048 = RSAKey.generate_key(2048, private=True)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # joserfc warns about the weak key we want to refuse
    RSA_1024 = RSAKey.generate_key(1024, private=True)
EC_P256 = ECKey.generate_key("P-256", private=True)


def app_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "client_id": "urn:gov:test:valid",
        "name": "Valid app",
        "agency": "valid-agency",
        "redirect_uris": ["https://valid.example.gov/callback"],
        "jwks": {"keys": [public_jwk(RSA_2048), public_jwk(EC_P256)]},
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_a_valid_app_with_several_keys_parses() -> None:
    spec = parse_app(app_data(max_ial=2, scopes=["openid", "email", "profile"]), False)
    assert spec.jwks is not None and len(spec.jwks["keys"]) == 2
    assert spec.scopes == ("openid", "email", "profile")
    assert spec.values()["token_endpoint_auth_method"] == "private_key_jwt"


def test_a_public_client_has_no_keys_and_pkce_only() -> None:
    spec = parse_app(app_data(jwks=None, public=True), False)
    assert spec.values()["token_endpoint_auth_method"] == "none"
    assert spec.jwks is None


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"redirect_uris": ["not a uri"]}, "malformed"),
        ({"redirect_uris": ["https://"]}, "malformed"),
        ({"redirect_uris": ["https://[::1/cb"]}, "malformed"),
        ({"redirect_uris": ["https://valid.example.gov:port/cb"]}, "malformed"),
        ({"redirect_uris": ["ftp://valid.example.gov/cb"]}, "absolute https URI"),
        ({"redirect_uris": ["http://valid.example.gov/cb"]}, "only https is accepted"),
        ({"redirect_uris": ["https://*.example.gov/cb"]}, "wildcard"),
        ({"redirect_uris": ["https://valid.example.gov/*"]}, "wildcard"),
        ({"redirect_uris": ["https://valid.example.gov/cb#x"]}, "fragment"),
        ({"redirect_uris": ["https://me:pw@valid.example.gov/cb"]}, "user name or password"),
        ({"redirect_uris": []}, "at least one URI is required"),
        ({"redirect_uris": ["https://a.gov/x", "https://a.gov/x"]}, "lists a URI twice"),
        ({"post_logout_redirect_uris": ["http://valid.example.gov/"]}, "only https"),
        ({"failure_uri": "javascript:alert(1)"}, "absolute https URI"),
        ({"backchannel_logout_uri": "http://valid.example.gov/bc"}, "only https"),
        ({"jwks": {"keys": [RSA_2048.as_dict(private=True)]}}, "private key"),
        ({"jwks": {"keys": [EC_P256.as_dict(private=True)]}}, "private key"),
        ({"jwks": {"keys": [public_jwk(RSA_1024)]}}, "weak 1024-bit RSA key"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "private key"),
        ({"jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AA"}]}}, "not an RSA or EC"),
        ({"jwks": {"keys": []}}, "non-empty 'keys' list"),
        ({"jwks": {"keys": [{**public_jwk(EC_P256), "kid": "a\x00"}]}}, "NUL character"),
        ({"jwks": {"keys": [{**public_jwk(RSA_2048), "kid": "a"}] * 2}}, "same kid"),
        ({"jwks": None}, "give either a JWKS or a JWKS URI"),
        ({"jwks_uri": "https://valid.example.gov/jwks"}, "give either a JWKS or a JWKS URI"),
        ({"public": True}, "a public client has no keys"),
        ({"default_ial": 3}, "default_ial: must be one of 1, 2"),
        ({"default_ial": True}, "default_ial: must be one of 1, 2"),
        ({"default_ial": 2, "max_ial": 1}, "must be at least default_ial"),
        ({"default_aal": "aal3"}, "default_aal: must be one of"),
        ({"scopes": ["openid", "telepathy"]}, "unknown telepathy"),
        ({"scopes": ["openid", "profile"]}, "released only at IAL2"),
        ({"client_id": "has spaces in it"}, "must not contain spaces"),
        ({"client_id": ""}, "client_id: is required"),
        ({"name": "x" * 201}, "at most 200 characters"),
        ({"active": "yes"}, "active: must be true or false"),
        ({"colour": "blue"}, "colour: unknown setting"),
    ],
)
def test_bad_apps_are_refused_with_a_reason(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(SpecError) as refused:
        parse_app(app_data(**overrides), allow_http=False)
    assert problem in str(refused.value)


def test_http_is_accepted_in_development_only() -> None:
    data = app_data(redirect_uris=["http://127.0.0.1:5001/callback"])
    assert parse_app(data, allow_http=True).redirect_uris == ("http://127.0.0.1:5001/callback",)
    with pytest.raises(SpecError, match="only https"):
        parse_app(data, allow_http=False)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(SpecError) as refused:
        parse_app(app_data(name="", redirect_uris=["http://x.gov/"], default_aal="no"), False)
    assert len(refused.value.problems) == 3


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"slug": "Bad Slug", "name": "X"}, "slug: use 2 to 63 lower-case"),
        ({"slug": "ok-slug"}, "name: is required"),
        ({"slug": "ok-slug", "name": "X", "logo_uri": "http://x.gov/l.png"}, "only https"),
        ({"slug": "ok-slug", "name": "X", "contacts": [{"name": "A"}]}, "email: is required"),
        (
            {"slug": "ok-slug", "name": "X", "contacts": [{"name": "A", "email": "nope"}]},
            "not an email address",
        ),
        (
            {
                "slug": "ok-slug",
                "name": "X",
                "contacts": [{"name": "A", "email": "a@b.gov", "phone": "call me"}],
            },
            "phone",
        ),
        ({"slug": "ok-slug", "name": "X", "help_text": "x" * 2001}, "at most 2000"),
    ],
)
def test_bad_agencies_are_refused(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(SpecError, match=problem):
        parse_agency(data, allow_http=False)


def admin_events(database: Database, kind: str, key: str, value: str) -> list[dict[str, Any]]:
    with database.transaction() as conn:
        return conn.execute(
            "SELECT kind, client_id, details FROM events WHERE kind = %(k)s "
            "AND details ->> %(key)s = %(v)s ORDER BY id",
            {"k": kind, "key": key, "v": value},
        ).fetchall()


def test_saving_twice_writes_once(database: Database) -> None:
    agency = new_agency(database, help_text="Call us.")
    with database.transaction() as conn:
        assert service.save_agency(conn, agency, ACTOR) == "unchanged"
    events = admin_events(database, "admin.agency_created", "agency", agency.slug)
    assert len(events) == 1
    assert events[0]["details"]["actor"] == ACTOR

    app = new_app(database, agency.slug)
    with database.transaction() as conn:
        assert service.save_app(conn, app, ACTOR) == "unchanged"
    assert len(admin_events(database, "admin.app_created", "agency", agency.slug)) == 1
    assert admin_events(database, "admin.app_updated", "agency", agency.slug) == []


def test_an_update_logs_which_settings_changed(database: Database) -> None:
    agency = new_agency(database)
    app = new_app(database, agency.slug)
    renamed = service.AppSpec(**{**app.__dict__, "name": "Renamed", "active": False})
    with database.transaction() as conn:
        assert service.save_app(conn, renamed, ACTOR) == "updated"
    events = admin_events(database, "admin.app_updated", "agency", agency.slug)
    assert [(e["client_id"], e["details"]["changed"]) for e in events] == [
        (app.client_id, ["active", "name"])
    ]


def test_a_duplicate_client_id_is_refused(database: Database) -> None:
    agency = new_agency(database)
    app = new_app(database, agency.slug)
    with pytest.raises(SpecError, match="is already registered"), database.transaction() as conn:
        service.save_app(conn, app, ACTOR, creating=True)


def test_an_app_of_an_unknown_agency_is_refused(database: Database) -> None:
    spec = parse_app(app_data(agency=f"none-{secrets.token_hex(3)}"), False)
    with pytest.raises(SpecError, match="there is no agency"), database.transaction() as conn:
        service.save_app(conn, spec, ACTOR)


def test_an_inactive_app_can_no_longer_be_found_by_the_token_endpoint(
    database: Database, live_server: LiveServer
) -> None:
    agency = new_agency(database)
    app = new_app(database, agency.slug)
    directory = live_server.app.extensions["idp.agencies"]
    directory.invalidate()
    assert directory.get(app.client_id) is not None
    with database.transaction() as conn:
        service.save_app(conn, service.AppSpec(**{**app.__dict__, "active": False}), ACTOR)
    directory.invalidate()
    assert directory.get(app.client_id) is None


def test_people_who_could_not_be_verified_are_sent_to_the_failure_url(
    database: Database, live_server: LiveServer
) -> None:
    from idp.proofing.service import agency_link

    agency = new_agency(database)
    plain = new_app(database, agency.slug)
    helped = new_app(database, agency.slug, failure_uri="https://help.example.gov/in-person")
    with live_server.app.test_request_context():
        assert agency_link(plain.client_id) == {
            "name": plain.name,
            "url": f"https://{plain.client_id[-8:]}.example.gov/",
        }
        assert agency_link(helped.client_id) == {
            "name": helped.name,
            "url": "https://help.example.gov/in-person",
        }
