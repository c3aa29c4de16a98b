"""The oversight dashboard (aggregates from the outcome counters and the event log, the
biometric audit, the live-agent queue when it exists, overrides), its CSV export, the
charts it draws, and retention applied from the settings in force."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from psycopg.types.json import Jsonb

from idp.admin import charts, oversight, retention
from idp.db import Database
from idp.proofing import service
from tests.admin.support import ScratchDatabase, console_browser
from tests.conftest import LiveServer, make_person
from tests.staff import database_of
from tests.support import Browser


def count(database: Database, method: str, outcome: str, reason: str, n: int, day: date) -> None:
    with database.transaction() as conn:
        conn.execute(
            "INSERT INTO proofing_outcome_counts (day, method, outcome, reason, count) "
            "VALUES (%(d)s, %(m)s, %(o)s, %(r)s, %(n)s)",
            {"d": day, "m": method, "o": outcome, "r": reason, "n": n},
        )


def chosen(database: Database, method: str, times: int) -> None:
    with database.transaction() as conn:
        for _ in range(times):
            conn.execute(
                "INSERT INTO events (kind, details) VALUES ('proofing.method_chosen', %(d)s)",
                {"d": Jsonb({"method": method, "policy_version": 0})},
            )


@pytest.fixture(scope="module")
def system_admin(live_server: LiveServer) -> Browser:
    browser: Browser = console_browser(live_server, "system_admin")
    return browser


def test_the_dashboard_and_its_csv_count_each_method(
    live_server: LiveServer, system_admin: Browser
) -> None:
    database = database_of(live_server)
    method = f"method-{secrets.token_hex(3)}"
    today = date.today()
    chosen(database, method, 4)
    count(database, method, "passed", "", 2, today)
    count(database, method, "failed", "no_match", 3, today)
    count(database, method, "failed", "blurry", 1, today - timedelta(days=1))
    count(database, method, "abandoned", "expired", 1, today)
    count(database, method, "switched", "agent", 1, today)
    count(database, method, "passed", "", 50, today - timedelta(days=40))  # outside 30 days

    page = system_admin.get("/admin/oversight", days="30")
    assert page.status_code == 200
    section = page.text.split(f'id="method-{method}"')[1].split("</section>")[0]
    for measure, expected in [("started", 4), ("verified", 2), ("rejected", 4),
                              ("abandoned", 1), ("switched", 1)]:  # fmt: skip
        assert f'data-measure="{measure}">{expected}<' in section
    assert "<svg" in section and "no_match" in section

    exported = system_admin.get("/admin/oversight.csv", days="30")
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["day", "method", "measure", "reason", "count"]
    mine = [row for row in rows if row[1] == method]
    assert [today.isoformat(), method, "verified", "", "2"] in mine
    assert ["", method, "rejected_by_reason", "no_match", "3"] in mine
    assert sum(int(row[4]) for row in mine if row[2] == "verified") == 2


def test_the_dashboard_shows_biometric_compliance(
    live_server: LiveServer, system_admin: Browser
) -> None:
    database = database_of(live_server)
    person = make_person(live_server)
    now = datetime.now(UTC)
    with database.transaction() as conn:
        conn.execute(
            "INSERT INTO biometric_artefacts (id, account_id, method, kind, ciphertext, "
            "created_at, expires_at) VALUES (%(id)s, %(a)s, 'selfie', 'document_photo', "
            "'\\x00', %(c)s, %(e)s)",
            {"id": uuid.uuid4(), "a": person.account_id, "c": now - timedelta(minutes=20),
             "e": now - timedelta(minutes=5)},
        )  # fmt: skip
    page = system_admin.get("/admin/oversight")
    table = page.text.split('id="biometrics"')[1].split("</table>")[0]
    assert "Older than the limit" in table
    assert '<strong class="text-secondary-dark">' in table  # at least one is overdue
    # The purge deletes it, with a receipt, and the dashboard says so.
    with live_server.app.app_context(), database.transaction() as conn:
        service.sweep_biometrics(conn)
    after = system_admin.get("/admin/oversight").text.split('id="biometrics"')[1]
    assert "Deletion receipts issued (expired)" in after.split("</table>")[0]


def test_the_queue_figures_are_skipped_without_the_agent_tables(scratch: ScratchDatabase) -> None:
    now = datetime.now(UTC)
    with scratch.database.transaction() as conn:
        figures = oversight.queue_figures(conn, now - timedelta(days=30))
        assert figures == {
            "waiting": 0, "in_call": 0, "booked": 0, "calls": 0,
            "median_wait": None, "median_call": None,
        }  # fmt: skip
        conn.execute("DROP TABLE agent_reviews, agent_signals, agent_calls CASCADE")
        assert oversight.queue_figures(conn, now) is None


def test_charts_escape_their_labels() -> None:
    days = [date(2025, 1, 1), date(2025, 1, 2)]
    drawn = charts.line_chart("<script>x</script>", days, {"a&b": [1, 3]})
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn
    assert "a&amp;b (4)" in drawn and "<polyline" in drawn
    bars = charts.bar_chart("reasons", [('"quoted"', 2), ("other", 1)])
    assert "&#34;quoted&#34;" in bars and bars.count("<rect") == 2
    assert "nothing counted" in charts.bar_chart("empty", [])


def test_retention_applies_the_settings_in_force(live_server: LiveServer) -> None:
    database = database_of(live_server)
    person = make_person(live_server)
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=400), now - timedelta(days=1)
    with database.transaction() as conn:
        retention.save_retention(
            conn,
            retention.Retention(
                abandoned_proofing_hours=24, letter_days=31, event_log_days=36500,
                tombstone_days=365, biometric_minutes=10,
            ),
            "cli:tester",
        )  # fmt: skip
        tombstone = conn.execute(
            "INSERT INTO account_tombstones (account_created_on, deleted_on) "
            "VALUES ('2001-01-01', current_date - 400) RETURNING id"
        ).fetchone()
        letters = {}
        for name, created, used in [("old_used", old, old), ("old_unused", old, None),
                                    ("recent_used", recent, recent)]:  # fmt: skip
            letters[name] = uuid.uuid4()
            conn.execute(
                "INSERT INTO proofing_letters (id, account_id, code_hash, created_at, "
                "expires_at, used_at) VALUES (%(id)s, %(a)s, '\\x01', %(c)s, %(e)s, %(u)s)",
                {"id": letters[name], "a": person.account_id, "c": created,
                 "e": created + timedelta(days=30), "u": used},
            )  # fmt: skip
        conn.execute(
            "INSERT INTO proofing_attempts (account_id, method, step, attempted_at) "
            "VALUES (%(a)s, 'document', 'document', %(t)s)",
            {"a": person.account_id, "t": now - timedelta(days=3)},
        )
        conn.execute(
            "INSERT INTO biometric_artefacts (id, account_id, method, kind, ciphertext, "
            "created_at, expires_at) VALUES (%(id)s, %(a)s, 'selfie', 'document_photo', "
            "'\\x00', %(c)s, %(e)s)",
            {"id": uuid.uuid4(), "a": person.account_id, "c": now - timedelta(minutes=12),
             "e": now + timedelta(minutes=3)},
        )  # fmt: skip
    with live_server.app.app_context(), database.transaction() as conn:
        done = retention.apply_retention(conn, service.receipt_signer(), now)
        remaining = {
            row["id"]
            for row in conn.execute(
                "SELECT id FROM proofing_letters WHERE account_id = %(a)s",
                {"a": person.account_id},
            )
        }
        assert tombstone is not None
        assert (
            conn.execute(
                "SELECT 1 FROM account_tombstones WHERE id = %(id)s", {"id": tombstone["id"]}
            ).fetchone()
            is None
        )
        receipts = conn.execute(
            "SELECT reason, deleted FROM biometric_deletion_receipts WHERE account_id = %(a)s",
            {"a": person.account_id},
        ).fetchall()
        attempts = conn.execute(
            "SELECT count(*) AS n FROM proofing_attempts WHERE account_id = %(a)s",
            {"a": person.account_id},
        ).fetchone()
    assert remaining == {letters["recent_used"]}
    assert done["letters"] >= 2 and done["tombstones"] >= 1 and done["biometric_images"] >= 1
    assert receipts == [{"reason": "expired", "deleted": [{"kind": "document_photo", "count": 1}]}]
    assert attempts == {"n": 0}
    # Back to the defaults, for the tests that follow.
    with database.transaction() as conn:
        retention.save_retention(conn, retention.Retention(), "cli:tester")


@pytest.mark.parametrize(
    ("field", "value"),
    [("biometric_minutes", "16"), ("letter_days", "30"), ("event_log_days", "30"),
     ("tombstone_days", "-1"), ("abandoned_proofing_hours", "lots")],
)  # fmt: skip
def test_bad_retention_settings_are_refused(field: str, value: str) -> None:
    values = {
        **{name: str(v) for name, v in retention.Retention().settings().items()},
        field: value,
    }
    with pytest.raises(retention.RetentionError):
        retention.parse_retention(values)
