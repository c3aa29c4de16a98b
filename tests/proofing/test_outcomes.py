"""Per-method outcome counters, and ``idp proofing stats``: aggregates only."""

from __future__ import annotations

import json
from datetime import date

import pytest

from idp.proofing import outcomes
from tests.conftest import LiveServer


def counted(live_server: LiveServer) -> dict[tuple[str, str, str], int]:
    with live_server.app.extensions["idp.db"].transaction() as conn:
        rows = outcomes.list_counts(conn, date.today())
    return {(r["method"], r["outcome"], r["reason"]): int(r["count"]) for r in rows}


def test_counters_add_up_per_day_method_outcome_and_reason(live_server: LiveServer) -> None:
    before = counted(live_server)
    with live_server.app.extensions["idp.db"].transaction() as conn:
        outcomes.count_outcome(conn, "counted", "failed", "no_match")
        outcomes.count_outcome(conn, "counted", "failed", "no_match")
        outcomes.count_outcome(conn, "counted", "passed")
        outcomes.count_outcome(conn, "counted", "switched", "document")
        with pytest.raises(ValueError, match="unknown proofing outcome"):
            outcomes.count_outcome(conn, "counted", "vanished")
        columns = [
            row["column_name"]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'proofing_outcome_counts' ORDER BY ordinal_position"
            )
        ]
    after = counted(live_server)
    assert (
        after[("counted", "failed", "no_match")]
        == before.get(("counted", "failed", "no_match"), 0) + 2
    )
    assert after[("counted", "passed", "")] >= 1
    assert after[("counted", "switched", "document")] >= 1
    assert columns == ["day", "method", "outcome", "reason", "count"]


def test_stats_prints_them(live_server: LiveServer) -> None:
    with live_server.app.extensions["idp.db"].transaction() as conn:
        outcomes.count_outcome(conn, "printed", "abandoned", "expired")
    result = live_server.run_cli("proofing", "stats", "--days", "1")
    assert result.exit_code == 0, result.output
    assert "  printed: abandoned (expired): " in result.output
    as_json = json.loads(live_server.run_cli("proofing", "stats", "--json").output)
    assert {"method": "printed", "outcome": "abandoned", "reason": "expired"}.items() <= next(
        row for row in as_json["counts"] if row["method"] == "printed"
    ).items()
    assert live_server.run_cli("proofing", "stats", "--days", "0").exit_code != 0
