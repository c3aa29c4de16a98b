"""``idp agencies apply FILE``: idempotent (applying twice changes nothing) and all or
nothing (a file with any problem, found before or while writing, changes nothing)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import yaml

from idp.admin import repository
from idp.db import Database
from idp.proofing import policy_repository
from tests.conftest import LiveServer
from tests.support import AgencyKey

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "agencies.yml"


def count_events(database: Database) -> int:
    with database.transaction() as conn:
        row = conn.execute("SELECT count(*) AS n FROM events").fetchone()
    assert row is not None
    return int(row["n"])


def declaration(tmp_path: Path) -> tuple[dict[str, Any], str, str]:
    """A file's content with one agency and two apps (one with a JWKS file of two keys,
    one public), and the agency's slug and the first app's client id."""
    slug = f"file-agency-{secrets.token_hex(3)}"
    client_id = f"urn:gov:file:{secrets.token_hex(4)}"
    keys = {
        "keys": [AgencyKey.generate("RS256").public_jwk(), AgencyKey.generate("ES256").public_jwk()]
    }
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    content = {
        "agencies": [
            {
                "slug": slug,
                "name": "Agency From A File",
                "help_text": "Call 1-800-555-0100.",
                "contacts": [{"name": "Desk", "email": "desk@file.example.gov"}],
                "apps": [
                    {
                        "client_id": client_id,
                        "name": "Portal",
                        "redirect_uris": ["https://file.example.gov/callback"],
                        "jwks_file": "keys.json",
                        "max_ial": 2,
                        "policy": {
                            "methods": ["agent", "document"],
                            "face_comparison": "required",
                            "max_verification_days": 365,
                        },
                    },
                    {
                        "client_id": client_id + "-mobile",
                        "name": "Mobile",
                        "public": True,
                        "redirect_uris": ["https://file.example.gov/mobile"],
                    },
                ],
            }
        ]
    }
    return content, slug, client_id


def write(tmp_path: Path, content: Any, name: str = "agencies.yml") -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return str(path)


def test_applying_twice_changes_nothing_the_second_time(
    live_server: LiveServer, database: Database, tmp_path: Path
) -> None:
    content, slug, client_id = declaration(tmp_path)
    file = write(tmp_path, content)

    first = live_server.run_cli("agencies", "apply", file)
    assert first.exit_code == 0, first.output
    assert f"agency {slug}: created" in first.output
    assert f"app {client_id}: created" in first.output
    assert f"app {client_id}: policy version 1" in first.output
    with database.transaction() as conn:
        app = repository.get_app(conn, client_id)
        assert app is not None and app["organization"] == slug
        assert len(app["jwks"]["keys"]) == 2
        policy = policy_repository.get_current(conn, client_id)
        assert policy is not None
        assert (policy["methods"], policy["face_comparison"]) == (["agent", "document"], "required")
    events_before = count_events(database)

    second = live_server.run_cli("agencies", "apply", file)
    assert second.exit_code == 0, second.output
    assert "nothing to change" in second.output
    assert count_events(database) == events_before
    with database.transaction() as conn:
        assert len(policy_repository.list_versions(conn, client_id)) == 1

    # A real change is applied, and only that.
    content["agencies"][0]["apps"][1]["active"] = False
    third = live_server.run_cli("agencies", "apply", write(tmp_path, content))
    assert third.exit_code == 0, third.output
    assert third.output.splitlines()[:-1] == [f"app {client_id}-mobile: updated"]


def assert_nothing_applied(database: Database, slug: str, client_id: str) -> None:
    with database.transaction() as conn:
        assert repository.get_organization(conn, slug) is None
        assert repository.get_app(conn, client_id) is None
        assert repository.get_app(conn, client_id + "-mobile") is None


def test_a_file_with_a_bad_app_changes_nothing(
    live_server: LiveServer, database: Database, tmp_path: Path
) -> None:
    content, slug, client_id = declaration(tmp_path)
    weak = AgencyKey.generate("RS256")
    content["agencies"][0]["apps"][1].update(public=False, jwks={"keys": [weak.public_jwk()]})
    content["agencies"][0]["apps"][1]["jwks"]["keys"][0]["d"] = "private-part"
    content["agencies"][0]["apps"][0]["redirect_uris"] = ["http://file.example.gov/callback"]
    events_before = count_events(database)

    result = live_server.run_cli("agencies", "apply", write(tmp_path, content))

    assert result.exit_code == 1
    assert "was not applied; nothing changed" in result.output
    assert "is a private key" in result.output
    assert "only https is accepted outside development" not in result.output  # testing mode
    assert_nothing_applied(database, slug, client_id)
    assert count_events(database) == events_before


def test_a_biometric_only_policy_in_a_file_changes_nothing(
    live_server: LiveServer, database: Database, tmp_path: Path
) -> None:
    content, slug, client_id = declaration(tmp_path)
    content["agencies"][0]["apps"][0]["policy"] = {"methods": ["selfie"]}
    result = live_server.run_cli("agencies", "apply", write(tmp_path, content))
    assert result.exit_code == 1
    assert "no automated face recognition" in result.output
    assert_nothing_applied(database, slug, client_id)


def test_a_refusal_while_writing_rolls_everything_back(
    live_server: LiveServer, database: Database, tmp_path: Path
) -> None:
    """The second agency's app is another agency's already: found only in the database,
    after the first agency was written, which is then rolled back."""
    taken, taken_slug, taken_id = declaration(tmp_path)
    assert live_server.run_cli("agencies", "apply", write(tmp_path, taken, "a.yml")).exit_code == 0
    content, slug, client_id = declaration(tmp_path)
    thief = {"slug": f"thief-{secrets.token_hex(3)}", "name": "Thief", "apps": [
        {"client_id": taken_id + "-mobile", "name": "Mine now", "public": True,
         "redirect_uris": ["https://thief.example.gov/cb"]},
    ]}  # fmt: skip
    content["agencies"].append(thief)

    result = live_server.run_cli("agencies", "apply", write(tmp_path, content, "b.yml"))

    assert result.exit_code == 1
    assert f"belongs to agency '{taken_slug}'" in result.output
    assert_nothing_applied(database, slug, client_id)
    with database.transaction() as conn:
        assert repository.get_organization(conn, thief["slug"]) is None
        app = repository.get_app(conn, taken_id + "-mobile")
        assert app is not None and app["organization"] == taken_slug


def test_duplicates_unknown_keys_and_broken_yaml_are_named(
    live_server: LiveServer, tmp_path: Path
) -> None:
    content, _, client_id = declaration(tmp_path)
    content["agencies"][0]["apps"][1]["client_id"] = client_id
    content["agencies"][0]["colour"] = "blue"
    result = live_server.run_cli("agencies", "apply", write(tmp_path, content))
    assert result.exit_code == 1
    assert f"app {client_id}: client_id is listed twice" in result.output
    assert "colour: unknown setting" in result.output

    broken = live_server.run_cli(
        "agencies", "apply", write(tmp_path, "agencies: [\n  - {", "c.yml")
    )
    assert broken.exit_code == 1
    assert "at line" in broken.output

    missing = live_server.run_cli("agencies", "apply", str(tmp_path / "nowhere.yml"))
    assert missing.exit_code == 1
    assert "cannot be read" in missing.output


def test_the_example_file_applies_and_is_idempotent(live_server: LiveServer) -> None:
    checked = live_server.run_cli("agencies", "apply", "--check", str(EXAMPLE))
    assert checked.exit_code == 0, checked.output
    first = live_server.run_cli("agencies", "apply", str(EXAMPLE))
    assert first.exit_code == 0, first.output
    again = live_server.run_cli("agencies", "apply", str(EXAMPLE))
    assert again.exit_code == 0, again.output
    assert "nothing to change" in again.output
