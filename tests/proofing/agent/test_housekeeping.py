"""``idp agent reminders``: reminders of booked calls, with a link, once; and ended calls
deleted after a week."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.proofing.agent.support import in_queue, query


def test_a_booked_call_gets_one_reminder_with_a_link(live_server: LiveServer) -> None:
    applicant = in_queue(live_server)
    slot = applicant.page.text.split('<option value="', 2)[2].split('"', 1)[0]
    applicant.browser.post_form(applicant.page, "/verify/agent/book", {"slot": slot})
    account = applicant.person.account_id
    # The booked time is now 40 minutes away.
    query(
        live_server,
        "UPDATE agent_calls SET slot_at = now() + interval '40 minutes' "
        "WHERE account_id = %(a)s AND status = 'booked' RETURNING id",
        a=account,
    )
    result = live_server.run_cli("agent", "reminders")
    assert result.exit_code == 0 and "queued" in result.output
    (mail,) = query(
        live_server,
        "SELECT subject, text_body FROM outbox WHERE recipient = %(e)s",
        e=applicant.person.email,
    )
    assert mail["subject"] == "Your video call to verify your identity"
    assert (
        f"{live_server.url}/verify/step" in mail["text_body"]
        and "Eastern time" in mail["text_body"]
    )
    assert "not recorded" in mail["text_body"]
    live_server.run_cli("agent", "reminders")
    count = query(
        live_server,
        "SELECT count(*) AS n FROM outbox WHERE recipient = %(e)s",
        e=applicant.person.email,
    )
    assert count == [{"n": 1}]


def test_a_missed_time_ends_the_booking_and_old_calls_go(live_server: LiveServer) -> None:
    applicant = in_queue(live_server)
    slot = applicant.page.text.split('<option value="', 2)[2].split('"', 1)[0]
    applicant.browser.post_form(applicant.page, "/verify/agent/book", {"slot": slot})
    account = applicant.person.account_id
    query(
        live_server,
        "UPDATE agent_calls SET slot_at = now() - interval '2 hours' "
        "WHERE account_id = %(a)s AND status = 'booked' RETURNING id",
        a=account,
    )
    live_server.run_cli("agent", "reminders")
    (call,) = query(live_server, "SELECT * FROM agent_calls WHERE account_id = %(a)s", a=account)
    assert call["status"] == "ended" and call["end_reason"] == "missed"
    page = applicant.browser.get("/verify/step")
    assert "The time you booked has passed" in page.text

    query(
        live_server,
        "UPDATE agent_calls SET ended_at = now() - interval '8 days' WHERE id = %(c)s RETURNING id",
        c=call["id"],
    )
    result = live_server.run_cli("agent", "reminders")
    assert "deleted" in result.output
    assert query(live_server, "SELECT id FROM agent_calls WHERE id = %(c)s", c=call["id"]) == []
