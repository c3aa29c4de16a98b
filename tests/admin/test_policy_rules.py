"""A policy's rules beyond its methods: the guarantee when a face comparison is required
(met only by a method in which a person compares the face), the written override, the
face comparison as a floor under the agency's wish, switching after a failure, how
recent a verification must be, and the app's default authentication level."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from idp.db import Database
from idp.proofing import service
from idp.proofing.policy import (
    GuaranteeError,
    Policy,
    PolicyError,
    Rules,
    check_rules,
    current_policy,
    offer,
    save_rules,
)
from idp.proofing.registry import MethodPlugin, Registry
from idp.settings import Settings
from tests.admin.support import ACTOR, new_agency, new_app
from tests.conftest import LiveServer, make_person
from tests.proofing.contract import attestation, face_match, interview

SETTINGS = Settings(testing=True)
PLUGINS = {
    "attestation": attestation.PLUGIN,
    "interview": interview.PLUGIN,
    "face_match": face_match.PLUGIN,
}


def registry(unavailable: tuple[str, ...] = ()) -> Registry:
    return Registry(
        [
            replace(plugin, adapters=lambda settings: None) if name in unavailable else plugin
            for name, plugin in PLUGINS.items()
        ],
        SETTINGS,
    )


def names(plugins: list[MethodPlugin]) -> list[str]:
    return [plugin.name for plugin in plugins]


@pytest.mark.parametrize(
    "methods", [m for n in (1, 2, 3) for m in itertools.permutations(PLUGINS, n)]
)
@pytest.mark.parametrize("unavailable", [(), ("interview",), ("attestation",)])
def test_face_required_needs_a_person_comparing_faces(
    methods: tuple[str, ...], unavailable: tuple[str, ...]
) -> None:
    found = registry(unavailable)
    rules = Rules(methods, face_comparison="required")
    if "interview" in methods and "interview" not in unavailable:
        check_rules(found, rules)
    else:
        with pytest.raises(GuaranteeError):
            check_rules(found, rules)


def test_the_refusal_explains_and_names_a_way_out() -> None:
    with pytest.raises(GuaranteeError, match="a person compares the face: interview"):
        check_rules(registry(), Rules(("face_match", "attestation"), face_comparison="required"))
    with pytest.raises(GuaranteeError, match="require no face comparison"):
        check_rules(
            registry(("interview",)),
            Rules(("face_match", "attestation"), face_comparison="required"),
        )


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (Rules(("attestation",), face_comparison="always"), "face comparison must be one of"),
        (Rules(("attestation",), max_verification_days=0), "1 to 3650 days"),
        (Rules(("attestation",), max_verification_days=5000), "1 to 3650 days"),
        (Rules(()), "at least one method"),
        (Rules(("kiosk",)), "unknown proofing method"),
    ],
)
def test_bad_rules_are_refused(rules: Rules, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as refused:
        check_rules(registry(), rules)
    assert not isinstance(refused.value, GuaranteeError)


def test_the_policys_face_comparison_is_a_floor_under_the_request() -> None:
    found = registry()
    everything = ("attestation", "face_match", "interview")
    required = Policy("app", 1, everything, face_comparison="required")
    assert names(offer(found, required, "none")) == ["face_match", "interview"]
    preferred = Policy("app", 1, everything, face_comparison="preferred")
    assert names(offer(found, preferred, "none")) == ["face_match", "interview", "attestation"]
    # The request may ask for more than the policy, never for less.
    assert names(offer(found, Policy("app", 1, everything), "required")) == [
        "face_match",
        "interview",
    ]


def test_only_an_override_lets_biometrics_be_offered_alone() -> None:
    found = registry()
    assert offer(found, Policy("app", 1, ("face_match",)), "none") == []
    overridden = Policy("app", 1, ("face_match",), override_justification="x" * 20)
    assert names(offer(found, overridden, "none")) == ["face_match"]


def test_save_rules_keeps_the_override_only_when_needed(live_server: LiveServer) -> None:
    database: Database = live_server.app.extensions["idp.db"]
    app = new_app(database, new_agency(database).slug)
    found = registry()
    with database.transaction() as conn:
        with pytest.raises(GuaranteeError):
            save_rules(conn, found, app.client_id, Rules(("face_match",)), ACTOR)
        with pytest.raises(PolicyError, match="at least 20"):
            save_rules(conn, found, app.client_id, Rules(("face_match",)), ACTOR, "too short")
        kept = save_rules(
            conn,
            found,
            app.client_id,
            Rules(("face_match",)),
            ACTOR,
            "A justification long enough.",
        )
        assert kept.override_justification == "A justification long enough."
        # A policy that keeps the guarantee needs no override: it is not stored.
        plain = save_rules(
            conn, found, app.client_id, Rules(("attestation",)), ACTOR, "A needless justification."
        )
        assert plain.override_justification is None
        assert current_policy(conn, found, app.client_id) == plain
        rows = conn.execute(
            "SELECT kind FROM events WHERE client_id = %(c)s AND kind LIKE 'proofing.policy%%' "
            "ORDER BY id",
            {"c": app.client_id},
        ).fetchall()
    assert [row["kind"] for row in rows] == [
        "proofing.policy_changed",
        "proofing.policy_override",
        "proofing.policy_changed",
    ]


def verified_record(database: Database, account_id: str, days_ago: int, face: str | None) -> None:
    evidence = [{"type": "document", "check_methods": ["vpip"], "face_comparison": face}]
    with database.transaction() as conn:
        conn.execute(
            """
            INSERT INTO proofing_records (account_id, outcome, level, verified_method,
                verified_at, evidence)
            VALUES (%(a)s, 'verified', 2, 'document', %(at)s, %(e)s)
            """,
            {
                "a": account_id,
                "at": datetime.now(UTC) - timedelta(days=days_ago),
                "e": Jsonb(evidence),
            },
        )


def save(
    live_server: LiveServer, client_id: str, rules: Rules, override: str | None = None
) -> None:
    database: Database = live_server.app.extensions["idp.db"]
    found = live_server.app.extensions["idp.proofing.registry"]
    with database.transaction() as conn:
        save_rules(conn, found, client_id, rules, ACTOR, override)


def level(live_server: LiveServer, account_id: str, client_id: str | None) -> int:
    database: Database = live_server.app.extensions["idp.db"]
    with live_server.app.app_context(), database.transaction() as conn:
        return service.verified_level(conn, account_id, client_id)


def test_an_old_verification_or_one_without_a_face_does_not_count_for_a_strict_app(
    live_server: LiveServer,
) -> None:
    database: Database = live_server.app.extensions["idp.db"]
    agency = new_agency(database)
    lenient = new_app(database, agency.slug).client_id
    recent = new_app(database, agency.slug).client_id
    faces = new_app(database, agency.slug).client_id
    save(live_server, recent, Rules(("document", "agent"), max_verification_days=30))
    save(live_server, faces, Rules(("document", "agent"), face_comparison="required"))
    person = make_person(live_server)
    verified_record(database, person.account_id, days_ago=90, face=None)

    assert level(live_server, person.account_id, None) == 2
    assert level(live_server, person.account_id, lenient) == 2
    assert level(live_server, person.account_id, recent) == 1
    assert level(live_server, person.account_id, faces) == 1

    by_agent = make_person(live_server)
    verified_record(database, by_agent.account_id, days_ago=1, face="person")
    assert level(live_server, by_agent.account_id, recent) == 2
    assert level(live_server, by_agent.account_id, faces) == 2


def progress_of(database: Database, account_id: str, client_id: str) -> dict[str, Any]:
    with database.transaction() as conn:
        conn.execute(
            """
            INSERT INTO proofing_progress (account_id, client_id, consented_at, expires_at)
            VALUES (%(a)s, %(c)s, now() - interval '1 minute', now() + interval '1 hour')
            """,
            {"a": account_id, "c": client_id},
        )
        row = conn.execute(
            "SELECT * FROM proofing_progress WHERE account_id = %(a)s", {"a": account_id}
        ).fetchone()
    assert row is not None
    return dict(row)


def fail(database: Database, account_id: str, method: str) -> None:
    with database.transaction() as conn:
        conn.execute(
            "INSERT INTO events (kind, account_id, details) "
            "VALUES ('proofing.rejected', %(a)s, %(d)s)",
            {"a": account_id, "d": Jsonb({"method": method, "reasons": ["no_match"]})},
        )


@pytest.mark.parametrize(
    ("switching", "after_failure"), [(True, ["document", "agent"]), (False, ["document"])]
)
def test_switching_after_a_failure_follows_the_policy(
    live_server: LiveServer, switching: bool, after_failure: list[str]
) -> None:
    database: Database = live_server.app.extensions["idp.db"]
    client_id = new_app(database, new_agency(database).slug).client_id
    save(live_server, client_id, Rules(("document", "agent"), switch_after_failure=switching))
    person = make_person(live_server)
    progress = progress_of(database, person.account_id, client_id)
    with live_server.app.app_context():
        assert names(service.offered_methods(progress)) == ["document", "agent"]
        fail(database, person.account_id, "document")
        assert names(service.offered_methods(progress)) == after_failure


def test_an_apps_default_authentication_level_applies(live_server: LiveServer) -> None:
    from idp.oidc.agencies import agency_from_row
    from idp.oidc.assurance import parse_acr_values
    from idp.oidc.grants import RequestRules

    database: Database = live_server.app.extensions["idp.db"]
    app = new_app(database, new_agency(database).slug, default_aal="phishing_resistant")
    with database.transaction() as conn:
        row = conn.execute(
            "SELECT * FROM agencies WHERE client_id = %(c)s", {"c": app.client_id}
        ).fetchone()
    assert row is not None
    client = agency_from_row(row)
    assert client.default_aal == "phishing_resistant"

    class Grant:
        def __init__(self, acr: str | None) -> None:
            payload = type(
                "Payload",
                (),
                {
                    "scope": "openid",
                    "data": {"state": "s" * 30, "nonce": "n" * 30, "acr_values": acr},
                },
            )
            self.request = type("Request", (), {"payload": payload, "client": client})()

    for acr, phishing_resistant in [
        (None, True),
        ("http://idmanagement.gov/ns/assurance/aal/2", False),
    ]:
        grant = Grant(acr)
        RequestRules().validate(grant, "https://example.gov/cb")
        assert grant.request.requirement.phishing_resistant is phishing_resistant
        assert grant.request.requirement.aal == 2
    assert parse_acr_values(None, 1).aal == 1  # without the app's default
