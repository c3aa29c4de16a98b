"""The console over HTTP: agencies, apps and policies created and refused through the
same services as the file, the guarantee and its written override, agency
administrators kept to their own agency, agents and their hours, and every change in
the event log with who made it and from where."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from idp.admin import agents
from idp.admin import repository as admin_repository
from idp.db import Database
from idp.proofing import policy_repository
from idp.staff import service as staff_service
from tests.admin.support import console_browser, new_agency, new_app
from tests.conftest import LiveServer
from tests.staff import database_of, make_keyholder
from tests.support import AgencyKey, Browser


@pytest.fixture(scope="module")
def system_admin(live_server: LiveServer) -> Browser:
    browser: Browser = console_browser(live_server, "system_admin")
    return browser


def post(browser: Browser, path: str, data: dict[str, Any]) -> requests.Response:
    page = browser.get(path if not path.endswith("/admins") else path.rsplit("/", 1)[0])
    if page.status_code != 200:
        page = browser.get("/admin")
    return browser.post_form(page, path, data)


def events_of(database: Database, kind: str, **details: str) -> list[dict[str, Any]]:
    with database.transaction() as conn:
        rows = conn.execute(
            "SELECT kind, account_id, client_id, ip, details FROM events WHERE kind = %(k)s "
            "ORDER BY id",
            {"k": kind},
        ).fetchall()
    return [r for r in rows if all(r["details"].get(k) == v for k, v in details.items())]


def app_form(client_id: str, agency: str, **overrides: Any) -> dict[str, Any]:
    key = AgencyKey.generate("RS256")
    form = {
        "client_id": client_id,
        "name": "Console app",
        "agency": agency,
        "redirect_uris": "https://console.example.gov/callback\nhttps://console.example.gov/cb2",
        "key_source": "jwks",
        "jwks": json.dumps({"keys": [key.public_jwk(), AgencyKey.generate("ES256").public_jwk()]}),
        "default_ial": "1",
        "max_ial": "2",
        "default_aal": "default",
        "scopes": ["openid", "email", "profile"],
        "id_token_alg": "RS256",
        "active": "yes",
    }
    form.update(overrides)
    return form


def test_a_system_administrator_creates_an_agency(
    live_server: LiveServer, system_admin: Browser
) -> None:
    slug = f"console-{secrets.token_hex(3)}"
    refused = post(system_admin, "/admin/agencies/new", {"slug": "Not A Slug", "name": ""})
    assert refused.status_code == 422
    assert "slug: use 2 to 63 lower-case" in refused.text and "name: is required" in refused.text

    created = post(
        system_admin,
        "/admin/agencies/new",
        {"slug": slug, "name": "Console Agency", "help_text": "Call us.",
         "contact1_name": "Desk", "contact1_email": "desk@console.example.gov"},
    )  # fmt: skip
    assert created.status_code == 302, created.text[:500]
    database = database_of(live_server)
    with database.transaction() as conn:
        row = admin_repository.get_organization(conn, slug)
    assert row is not None and row["contacts"] == [
        {"name": "Desk", "email": "desk@console.example.gov", "phone": "", "role": ""}
    ]
    [event] = events_of(database, "admin.agency_created", agency=slug)
    assert event["details"]["actor"] == system_admin.person.account_id  # type: ignore[attr-defined]
    assert event["ip"] is not None  # from where

    again = post(system_admin, "/admin/agencies/new", {"slug": slug, "name": "Again"})
    assert again.status_code == 422 and "already exists" in again.text


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"redirect_uris": "https://*.example.gov/callback"}, "wildcard"),
        ({"redirect_uris": "not a uri"}, "malformed"),
        ({"jwks": "{not json"}, "the key set is not JSON"),
        ({"jwks": "[" * 100000}, "the key set is not JSON"),
        ({"jwks": '{"keys": [{"kty": "EC", "crv": "P-256", "kid": "\\u0000"}]}'}, "NUL"),
        ({"jwks": json.dumps({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]})}, "weak"),
        ({"max_ial": "1"}, "released only at IAL2"),
    ],
)
def test_bad_apps_are_refused_beside_the_form(
    live_server: LiveServer, system_admin: Browser, overrides: dict[str, Any], problem: str
) -> None:
    agency = new_agency(database_of(live_server))
    client_id = f"urn:gov:console:{secrets.token_hex(4)}"
    response = post(
        system_admin,
        f"/admin/agencies/{agency.slug}/apps/new",
        app_form(client_id, agency.slug, **overrides),
    )
    assert response.status_code == 422
    assert problem in response.text
    assert 'id="problems"' in response.text
    with database_of(live_server).transaction() as conn:
        assert admin_repository.get_app(conn, client_id) is None


def test_an_app_is_registered_and_its_duplicate_refused(
    live_server: LiveServer, system_admin: Browser
) -> None:
    agency = new_agency(database_of(live_server))
    client_id = f"urn:gov:console:{secrets.token_hex(4)}"
    path = f"/admin/agencies/{agency.slug}/apps/new"
    created = post(system_admin, path, app_form(client_id, agency.slug))
    assert created.status_code == 302, created.text[:1000]
    with database_of(live_server).transaction() as conn:
        row = admin_repository.get_app(conn, client_id)
    assert row is not None and len(row["jwks"]["keys"]) == 2
    assert row["allowed_scopes"] == ["openid", "email", "profile"]
    duplicate = post(system_admin, path, app_form(client_id, agency.slug))
    assert duplicate.status_code == 422 and "is already registered" in duplicate.text


def policy_path(client_id: str) -> str:
    return f"/admin/apps/{client_id}/policy"


def test_the_guarantee_and_its_written_override(
    live_server: LiveServer, system_admin: Browser
) -> None:
    database = database_of(live_server)
    agency = new_agency(database)
    app = new_app(database, agency.slug, max_ial=2)
    path = policy_path(app.client_id)

    biometric_only = post(system_admin, path, {"methods": "selfie"})
    assert biometric_only.status_code == 422
    assert "no automated face recognition" in biometric_only.text
    assert 'id="override"' in biometric_only.text  # a system administrator may override

    faces_by_software = post(
        system_admin, path, {"methods": ["selfie", "document"], "face_comparison": "required"}
    )
    assert faces_by_software.status_code == 422
    assert "a person compares the face: agent" in faces_by_software.text

    by_person = post(
        system_admin,
        path,
        {"methods": ["document", "agent"], "order_agent": "1", "order_document": "2",
         "face_comparison": "required", "max_verification_days": "365"},
    )  # fmt: skip
    assert by_person.status_code == 302, by_person.text[:800]
    with database.transaction() as conn:
        saved = policy_repository.get_current(conn, app.client_id)
    assert saved is not None
    assert (saved["methods"], saved["face_comparison"], saved["max_verification_days"]) == (
        ["agent", "document"], "required", 365,
    )  # fmt: skip
    assert saved["switch_after_failure"] is False  # the box was not ticked

    too_short = post(
        system_admin, path, {"methods": "selfie", "override": "yes", "justification": "because"}
    )
    assert too_short.status_code == 422 and "at least 20 characters" in too_short.text

    reason = "Pilot approved by the privacy office of the agency, memo 2025-14."
    overridden = post(
        system_admin, path, {"methods": "selfie", "override": "yes", "justification": reason}
    )
    assert overridden.status_code == 302, overridden.text[:800]
    [event] = events_of(database, "proofing.policy_override", justification=reason)
    assert event["client_id"] == app.client_id
    assert event["details"]["actor"] == system_admin.person.account_id  # type: ignore[attr-defined]
    oversight = system_admin.get("/admin/oversight")
    assert reason in oversight.text and app.client_id in oversight.text
    assert system_admin.person.email in oversight.text  # type: ignore[attr-defined]


def test_an_agency_administrator_manages_only_their_own(live_server: LiveServer) -> None:
    database = database_of(live_server)
    mine, theirs = new_agency(database), new_agency(database)
    app = new_app(database, mine.slug)
    admin: Browser = console_browser(live_server, "agency_admin", (mine.slug,))

    home = admin.get("/admin")
    assert home.status_code == 200 and app.client_id in home.text and theirs.slug not in home.text
    form = app_form(
        app.client_id, mine.slug, key_source="public", jwks="", name="Renamed by its admin"
    )
    saved = post(admin, f"/admin/apps/{app.client_id}", form)
    assert saved.status_code == 302, saved.text[:800]
    with database.transaction() as conn:
        row = admin_repository.get_app(conn, app.client_id)
    assert row is not None and row["name"] == "Renamed by its admin"

    moved = post(admin, f"/admin/apps/{app.client_id}", {**form, "agency": theirs.slug})
    assert moved.status_code == 403
    overriding = post(
        admin,
        policy_path(app.client_id),
        {"methods": "selfie", "override": "yes", "justification": "x" * 40},
    )
    assert overriding.status_code == 403
    ordinary = post(admin, policy_path(app.client_id), {"methods": ["document", "agent"]})
    assert ordinary.status_code == 302


def test_an_agency_administrator_is_added_on_the_agency_page(
    live_server: LiveServer, system_admin: Browser
) -> None:
    agency = new_agency(database_of(live_server))
    keyholder = make_keyholder(live_server)
    path = f"/admin/agencies/{agency.slug}/admins"
    added = post(system_admin, path, {"email": keyholder.email})
    assert added.status_code == 302
    with database_of(live_server).transaction() as conn:
        assert admin_repository.agencies_of_admin(conn, keyholder.account_id) == [agency.slug]
    page = system_admin.get(f"/admin/agencies/{agency.slug}")
    assert keyholder.email in page.text


def test_agents_are_added_given_hours_and_counted(
    live_server: LiveServer, system_admin: Browser
) -> None:
    database = database_of(live_server)
    keyholder = make_keyholder(live_server)
    granted = post(system_admin, "/admin/staff/grant", {"email": keyholder.email, "role": "agent"})
    assert granted.status_code == 302
    page = system_admin.get("/admin/agents")
    assert keyholder.email in page.text

    bad = post(
        system_admin,
        f"/admin/agents/{keyholder.account_id}/hours",
        {"hours": "Funday 09:00-17:00", "time_zone": "UTC"},
    )
    assert bad.status_code == 303
    assert "is not a day of the week" in system_admin.get("/admin/agents").text

    every_day = "\n".join(f"{day} 00:00-23:59" for day in agents.WEEKDAYS)
    saved = post(
        system_admin,
        f"/admin/agents/{keyholder.account_id}/hours",
        {"hours": every_day, "time_zone": "UTC"},
    )
    assert saved.status_code == 302
    with database.transaction() as conn:
        working = agents.scheduled_agents(conn, datetime.now(UTC).replace(hour=12))
    assert working >= 1
    assert events_of(database, "admin.working_hours_changed")

    revoked = post(system_admin, "/admin/staff/revoke", {"email": keyholder.email, "role": "agent"})
    assert revoked.status_code == 302
    with database.transaction() as conn:
        after = agents.scheduled_agents(conn, datetime.now(UTC).replace(hour=12))
    assert after == working - 1


def test_a_supervisor_adds_agents_but_not_supervisors(live_server: LiveServer) -> None:
    supervisor: Browser = console_browser(live_server, "supervisor")
    keyholder = make_keyholder(live_server)
    denied = post(
        supervisor, "/admin/staff/grant", {"email": keyholder.email, "role": "supervisor"}
    )
    assert denied.status_code == 403
    allowed = post(supervisor, "/admin/staff/grant", {"email": keyholder.email, "role": "agent"})
    assert allowed.status_code == 302
    [event] = [
        e for e in events_of(database_of(live_server), "staff.role_granted")
        if e["account_id"] is not None and str(e["account_id"]) == keyholder.account_id
    ]  # fmt: skip
    assert event["details"]["actor"] == supervisor.person.account_id  # type: ignore[attr-defined]


def test_retention_refuses_biometrics_past_fifteen_minutes(system_admin: Browser) -> None:
    values = {
        "abandoned_proofing_hours": "168", "letter_days": "90", "event_log_days": "2555",
        "tombstone_days": "2555", "biometric_minutes": "16",
    }  # fmt: skip
    refused = post(system_admin, "/admin/retention", values)
    assert refused.status_code == 422 and "biometric images" in refused.text
    saved = post(system_admin, "/admin/retention", {**values, "biometric_minutes": "10"})
    assert saved.status_code == 302
    assert 'value="10"' in system_admin.get("/admin/retention").text


def test_the_event_log_page_searches_and_verifies(system_admin: Browser) -> None:
    found = system_admin.get("/admin/events", type="admin.*")
    assert found.status_code == 200 and "admin." in found.text
    bad = system_admin.get("/admin/events", since="last week")
    assert bad.status_code == 200 and "since: use a date" in bad.text
    verified = post(system_admin, "/admin/events/verify", {})
    assert verified.status_code == 200
    assert "The event log is intact" in verified.text


def test_the_agents_page_counts_each_agents_decisions(
    live_server: LiveServer, system_admin: Browser
) -> None:
    database = database_of(live_server)
    agent = make_keyholder(live_server)
    applicant = make_keyholder(live_server)
    with database.transaction() as conn:
        staff_service.grant_role(conn, agent.email, "agent", "cli:tester")
        for decision in ("verified", "verified", "rejected"):
            conn.execute(
                "INSERT INTO agent_reviews (id, call_id, account_id, agent_id, checklist, "
                "decision, reason, claimed_at, call_seconds) VALUES (gen_random_uuid(), "
                "gen_random_uuid(), %(a)s, %(g)s, '{}', %(d)s, 'test', now(), 300)",
                {"a": applicant.account_id, "g": agent.account_id, "d": decision},
            )
    page = system_admin.get("/admin/agents")
    row = page.text.split(agent.email, 1)[1].split("</tr>", 1)[0]
    assert "rejected: 1<br>verified: 2<br>" in row
