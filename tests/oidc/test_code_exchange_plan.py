"""The code-exchange statement finds its code by primary key, whatever the planner
knows about the table: a generic plan made while the table was small once chose an
index led by ``client_id`` and then read every code the agency ever had."""

from __future__ import annotations

import re

import psycopg

from idp.oidc import repository
from tests.conftest import LiveServer

ARGUMENTS = {
    "client_id": "'urn:gov:example'",
    "jti": "'jti'",
    "expires_at": "1700000000",
    "code_hash": "'\\x00'::bytea",
    "token_hash": "'\\x01'::bytea",
    "token_lifetime": "900",
}


def generic_plan(database_url: str, statement: str) -> str:
    names: list[str] = []

    def positional(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    text = re.sub(r"%\((\w+)\)s", positional, statement)
    with psycopg.connect(database_url) as conn:
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        conn.execute(f"PREPARE exchange AS {text}")
        values = ", ".join(ARGUMENTS[name] for name in names)
        rows = conn.execute(f"EXPLAIN EXECUTE exchange({values})").fetchall()
        conn.rollback()
    return "\n".join(row[0] for row in rows)


def test_code_is_found_by_primary_key(live_server: LiveServer) -> None:
    plan = generic_plan(live_server.database_url, repository._EXCHANGE_CODE)
    scans = [line for line in plan.splitlines() if "on authorization_codes" in line]
    assert any("Update on authorization_codes" in line for line in scans), plan
    assert any("Index Scan using authorization_codes_pkey" in line for line in scans), plan
