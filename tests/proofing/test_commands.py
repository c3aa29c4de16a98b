"""``idp policy`` and ``idp proofing``: versioned policies with the invariant, the
registered methods' declarations, and retention of expired proofings."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import LiveServer, Person, make_person, register_agency
from tests.proofing.conftest import unique_licence
from tests.proofing.test_views import choose_document, run_to_code_page, signed_in


def test_policy_set_and_show_are_versioned_and_logged(
    live_server: LiveServer, tmp_path: Path
) -> None:
    agency = register_agency(live_server, tmp_path)
    shown = live_server.run_cli("policy", "show", "--client-id", agency.client_id)
    assert shown.exit_code == 0 and "no policy set; every registered method: document" in (
        shown.output
    )
    for expected in (1, 2):
        result = live_server.run_cli(
            "policy", "set", "--client-id", agency.client_id, "--methods", "document"
        )
        assert result.exit_code == 0, result.output
        assert f"policy version {expected}" in result.output
    shown = live_server.run_cli("policy", "show", "--client-id", agency.client_id)
    assert "version 2 in force: document" in shown.output
    assert "version 1: document by cli:" in shown.output
    with live_server.app.extensions["idp.db"].transaction() as conn:
        events = conn.execute(
            "SELECT details, occurred_at FROM events WHERE client_id = %(c)s "
            "AND kind = 'proofing.policy_changed' ORDER BY id",
            {"c": agency.client_id},
        ).fetchall()
    assert [e["details"]["version"] for e in events] == [1, 2]
    assert all(e["details"]["actor"].startswith("cli:") and e["occurred_at"] for e in events)


BAD_POLICIES = [
    (["--methods", "kiosk"], "unknown proofing method"),
    (["--methods", "selfie"], "use no automated face recognition"),
    (["--methods", ","], "at least one"),
    (["--methods", "document,document"], "once"),
]


def test_bad_policies_are_refused_and_nothing_is_saved(
    live_server: LiveServer, tmp_path: Path
) -> None:
    agency = register_agency(live_server, tmp_path)
    for args, message in BAD_POLICIES:
        result = live_server.run_cli("policy", "set", "--client-id", agency.client_id, *args)
        assert result.exit_code == 1 and message in result.output, result.output
    nobody = live_server.run_cli(
        "policy", "set", "--client-id", "urn:nobody", "--methods", "document"
    )
    assert nobody.exit_code == 1 and "no agency app" in nobody.output
    with live_server.app.extensions["idp.db"].transaction() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM proofing_policies WHERE client_id = %(c)s",
            {"c": agency.client_id},
        ).fetchone()
    assert row["n"] == 0


def test_a_policy_naming_only_a_method_that_cannot_run_is_refused(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """Outside development and tests, the document method needs its record checks."""
    agency = register_agency(live_server, tmp_path)
    env = {**live_server.env(), "IDP_CONFIG": "default"}
    from click.testing import CliRunner

    from idp.cli import main as cli

    result = CliRunner().invoke(
        cli, ["policy", "set", "--client-id", agency.client_id, "--methods", "document"], env=env
    )
    assert result.exit_code == 1
    assert "available now and use no automated face recognition" in result.output


def test_proofing_methods_lists_the_declarations(live_server: LiveServer) -> None:
    text = live_server.run_cli("proofing", "methods")
    assert text.exit_code == 0
    assert "document: Use your driver's license" in text.output
    assert "automated biometrics: no" in text.output and "step code: by applicant" in text.output
    assert "selfie: Match a selfie to your ID" in text.output
    assert "automated biometrics: yes" in text.output and "waits up to 15 minutes" in text.output
    listed = json.loads(live_server.run_cli("proofing", "methods", "--json").output)
    by_name = {item["name"]: item for item in listed}
    document, selfie = by_name["document"], by_name["selfie"]
    assert selfie["name"] == "selfie" and selfie["automated_biometrics"] is True
    assert selfie["face_comparison"] == "software" and selfie["keeps_media"] is False
    assert document["name"] == "document" and document["available"] is True
    assert document["automated_biometrics"] is False and document["keeps_media"] is False
    assert document["steps"][0]["uploads"] == {
        "front": 10 * 1024 * 1024,
        "back": 10 * 1024 * 1024,
        "passport_page": 10 * 1024 * 1024,
    }


def test_purge_expired_forgets_the_proofing_and_voids_its_letters(
    live_server: LiveServer, person: Person
) -> None:
    run_to_code_page(live_server, person, unique_licence())
    database = live_server.app.extensions["idp.db"]
    with database.transaction() as conn:
        conn.execute(
            "UPDATE proofing_progress SET expires_at = now() - interval '1 second' "
            "WHERE account_id = %(a)s",
            {"a": person.account_id},
        )
    result = live_server.run_cli("proofing", "purge-expired")
    assert result.exit_code == 0, result.output
    assert "purged" in result.output
    with database.transaction() as conn:
        progress = conn.execute(
            "SELECT 1 FROM proofing_progress WHERE account_id = %(a)s", {"a": person.account_id}
        ).fetchone()
        letters = conn.execute(
            "SELECT voided_at, sealed_print FROM proofing_letters WHERE account_id = %(a)s",
            {"a": person.account_id},
        ).fetchall()
    assert progress is None
    assert letters and all(row["voided_at"] and row["sealed_print"] is None for row in letters)


def test_a_consent_purges_other_expired_proofings(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    choose_document(browser)
    with live_server.app.extensions["idp.db"].transaction() as conn:
        conn.execute(
            "UPDATE proofing_progress SET expires_at = now() - interval '1 second' "
            "WHERE account_id = %(a)s",
            {"a": person.account_id},
        )
    other = signed_in(live_server, make_person(live_server))
    choose_document(other)
    with live_server.app.extensions["idp.db"].transaction() as conn:
        gone = conn.execute(
            "SELECT 1 FROM proofing_progress WHERE account_id = %(a)s", {"a": person.account_id}
        ).fetchone()
    assert gone is None
