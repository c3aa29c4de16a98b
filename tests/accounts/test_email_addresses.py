"""Email addresses on the account page, over real HTTP with mail read from a real SMTP
server: add one and confirm it by its link, make it primary, remove it."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import replace
from typing import Any

import pytest
import requests

from tests.accounts.email_flows import (
    database,
    expire,
    new_address,
    open_link,
    token_row,
)
from tests.accounts.test_account_page import signed_in
from tests.conftest import LiveServer, Person, make_person
from tests.mail_catcher import MailCatcher
from tests.support import Browser

CONFIRM_SUBJECT = "Confirm the email address you added"


def ask_to_add(browser: Browser, address: str) -> requests.Response:
    page = browser.get("/account/emails/new")
    assert page.status_code == 200, page.text[:300]
    return browser.post_form(page, "/account/emails/new", {"email": address})


def confirmation_link(smtp: MailCatcher, address: str, count: int = 1) -> str:
    return smtp.wait_for(address, CONFIRM_SUBJECT, count=count).link("/account/emails/confirm")


def confirm(browser: Browser, link: str) -> requests.Response:
    page = open_link(browser, link)
    assert page.status_code == 200, page.text[:300]
    return browser.post_form(page, "/account/emails/confirmation", {})


def add_confirmed(browser: Browser, smtp: MailCatcher, address: str) -> str:
    """Add ``address`` through the pages and its mail; return its id on the page."""
    assert ask_to_add(browser, address).status_code == 200
    assert confirm(browser, confirmation_link(smtp, address)).status_code == 302
    return address_ids(browser)[address]


def address_ids(browser: Browser) -> dict[str, str]:
    """The additional addresses listed on the account page, by address."""
    page = browser.get("/account").text
    rows = re.findall(r'data-email-id="([0-9a-f-]{36})"><td>([^<]+)</td>', page)
    return {address: address_id for address_id, address in rows}


def statuses(browser: Browser) -> list[str]:
    page = browser.get("/account").text
    return re.findall(r'data-email-id="[^"]+"><td>[^<]+</td>\s*<td>([^<]+)</td>', page)


def events_of(live_server: LiveServer, account_id: str) -> list[dict[str, Any]]:
    with database(live_server).transaction() as conn:
        return conn.execute(
            "SELECT kind, details FROM events WHERE account_id = %(a)s ORDER BY id",
            {"a": account_id},
        ).fetchall()


def primary_of(live_server: LiveServer, account_id: str) -> str:
    with database(live_server).transaction() as conn:
        row = conn.execute("SELECT email FROM accounts WHERE id = %(a)s", {"a": account_id})
        return str(row.fetchone()["email"])  # type: ignore[index]


def make_old(live_server: LiveServer) -> None:
    """Move every session's sign-in time an hour back."""
    with database(live_server).transaction() as conn:
        conn.execute(
            "UPDATE browser_sessions "
            "SET data = jsonb_set(data, '{auth_time}', to_jsonb(%(t)s::bigint))",
            {"t": int(time.time()) - 3600},
        )


def test_adding_and_confirming_an_address(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    browser = signed_in(live_server, person)
    address = new_address("extra")
    asked = ask_to_add(browser, address)
    assert asked.status_code == 200 and "Check your email" in asked.text

    link = confirmation_link(smtp_server, address)
    assert link.startswith(live_server.url + "/account/emails/confirm?token=")
    row = token_row(live_server, link)
    assert 24 * 3600 - 5 < row["lifetime"] <= 24 * 3600
    assert str(row["account_id"]) == person.account_id
    assert statuses(browser) == ["Waiting for you to open the link we sent"]

    page = open_link(browser, link)
    assert page.status_code == 200 and page.url.endswith("/account/emails/confirmation")
    assert address in page.text and "token" not in page.url
    done = browser.post_form(page, "/account/emails/confirmation", {})
    assert done.status_code == 302 and done.headers["Location"] == "/account"
    overview = browser.get("/account").text
    assert statuses(browser) == ["Confirmed"] and f"{address} is confirmed" in overview

    note = smtp_server.wait_for(person.email, "An email address was added")
    assert address in note.body
    kinds = [e["kind"] for e in events_of(live_server, person.account_id)]
    assert kinds[-2:] == ["email.confirmation_requested", "email.confirmed"]

    again = open_link(browser, link)
    assert again.status_code == 410 and "This link has expired" in again.text


def test_an_address_held_elsewhere_gets_the_same_answer_and_no_mail(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    other = make_person(live_server)
    browser = signed_in(live_server, person)
    fresh = new_address("fresh")
    answers = []
    for address in (other.email.upper(), fresh):
        response = ask_to_add(browser, address)
        answers.append((response.status_code, response.text.replace(address, "ADDRESS")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    assert statuses(browser) == ["Waiting for you to open the link we sent"] * 2

    confirmation_link(smtp_server, fresh)
    smtp_server.assert_nothing_more(other.email, 0)
    kinds = [e["kind"] for e in events_of(live_server, person.account_id)]
    assert kinds.count("email.confirmation_requested") == 2
    assert primary_of(live_server, other.account_id) == other.email


def test_a_confirmed_additional_address_of_another_account_is_not_mailed(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    other = make_person(live_server)
    held = new_address("held")
    add_confirmed(signed_in(live_server, other), smtp_server, held)
    ask_to_add(signed_in(live_server, person, steps_ahead=1), held)
    smtp_server.assert_nothing_more(held, 1)


def test_making_an_address_primary_swaps_it_and_changes_sign_in(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    browser = signed_in(live_server, person)
    new = new_address("new-primary")
    address_id = add_confirmed(browser, smtp_server, new)
    page = browser.get("/account")
    done = browser.post_form(page, f"/account/emails/{address_id}/primary", {})
    assert done.status_code == 302

    assert primary_of(live_server, person.account_id) == new
    assert address_ids(browser) == {person.email: address_id}
    assert f'id="account-email">{new}<' in browser.get("/account").text
    old_note = smtp_server.wait_for(person.email, "Your primary email address was changed")
    assert new in old_note.body
    smtp_server.wait_for(new, "This is now your primary email address")
    (event,) = [
        e for e in events_of(live_server, person.account_id) if e["kind"] == "email.primary_changed"
    ]
    assert event["details"] == {}

    moved = replace(person, email=new)
    assert signed_in(live_server, moved, steps_ahead=1).get("/account").status_code == 200
    refused = Browser(live_server.url)
    response = refused.post_form(
        refused.get("/sign-in"),
        "/sign-in",
        {"email": person.email, "password": person.password},
    )
    assert response.status_code == 401


def test_removing_an_address_withdraws_its_link(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    browser = signed_in(live_server, person)
    confirmed = new_address("kept")
    confirmed_id = add_confirmed(browser, smtp_server, confirmed)
    pending = new_address("pending")
    ask_to_add(browser, pending)
    link = confirmation_link(smtp_server, pending)
    ids = address_ids(browser)

    page = browser.get("/account")
    for address_id in (ids[pending], confirmed_id):
        assert (
            browser.post_form(page, f"/account/emails/{address_id}/remove", {}).status_code == 302
        )
    assert address_ids(browser) == {}
    assert primary_of(live_server, person.account_id) == person.email
    assert open_link(browser, link).status_code == 410
    note = smtp_server.wait_for(person.email, "An email address was removed")
    assert confirmed in note.body
    smtp_server.assert_nothing_more(pending, 1)


def test_an_account_holds_at_most_three_addresses(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    browser = signed_in(live_server, person)
    for prefix in ("second", "third"):
        assert ask_to_add(browser, new_address(prefix)).status_code == 200
    fourth = ask_to_add(browser, new_address("fourth"))
    assert fourth.status_code == 400 and "up to 3 email addresses" in fourth.text
    assert len(address_ids(browser)) == 2
    assert "Add an email address" not in browser.get("/account").text


def test_asking_again_for_a_pending_address_sends_a_new_link(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    browser = signed_in(live_server, person)
    address = new_address("twice")
    ask_to_add(browser, address)
    ask_to_add(browser, address.upper())
    link = confirmation_link(smtp_server, address, count=2)
    assert len(address_ids(browser)) == 1
    assert confirm(browser, link).status_code == 302
    assert statuses(browser) == ["Confirmed"]


@pytest.mark.parametrize("which", ["primary", "confirmed"])
def test_an_address_already_on_the_account_is_explained(
    which: str, live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    browser = signed_in(live_server, person)
    address = person.email
    if which == "confirmed":
        address = new_address("mine")
        add_confirmed(browser, smtp_server, address)
    response = ask_to_add(browser, address.upper())
    assert response.status_code == 400
    assert "already on your account" in response.text


def test_a_link_only_works_for_the_account_that_asked(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    address = new_address("theirs")
    ask_to_add(signed_in(live_server, person), address)
    link = confirmation_link(smtp_server, address)
    stranger = signed_in(live_server, make_person(live_server))
    page = open_link(stranger, link)
    assert page.status_code == 403 and "another account" in page.text
    assert token_row(live_server, link)["used_at"] is None


def test_an_address_taken_before_confirmation_is_explained(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    address = new_address("race")
    browser = signed_in(live_server, person)
    ask_to_add(browser, address)
    page = open_link(browser, confirmation_link(smtp_server, address))
    app = live_server.app
    from idp.accounts import service

    service.create_account(
        app.extensions["idp.db"], app.extensions["idp.master_key"], address, "pass phrase", None
    )
    response = browser.post_form(page, "/account/emails/confirmation", {})
    assert response.status_code == 409 and "<h1>" in response.text
    assert statuses(browser) == ["Waiting for you to open the link we sent"]


def test_an_expired_link_is_refused(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    address = new_address("late")
    browser = signed_in(live_server, person)
    ask_to_add(browser, address)
    link = confirmation_link(smtp_server, address)
    page = open_link(browser, link)
    expire(live_server, link)
    late = browser.post_form(page, "/account/emails/confirmation", {})
    assert late.status_code == 410 and "This link has expired" in late.text
    assert open_link(browser, link).status_code == 410


@pytest.mark.parametrize(
    "token",
    ["", "forged-token-" + "x" * 30, "x" * 5000, "\u00e9" * 43, "nul\x00token"],
    ids=["empty", "forged", "huge", "non-ascii", "nul"],
)
def test_bad_links_get_a_readable_404(token: str, live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    response = browser.get("/account/emails/confirm", token=token)
    # A NUL anywhere in a request is refused before any page sees it.
    assert response.status_code == (400 if "\x00" in token else 404)
    assert "<h1>" in response.text
    assert browser.get("/account/emails/confirmation").status_code == 404


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"email": ""},
        {"email": "not-an-address"},
        {"email": "a@b"},
        {"email": "a" * 300 + "@example.gov"},
        {"email": "x" * 2_000_000},
        {"email": "nul\x00@example.gov"},
        {"email": "tab\t@example.gov"},
        {"email": "bell\x07@example.gov"},
        {"email": "two@example.gov, three@example.gov"},
        {"email": "two,three@example.gov"},
        {"email": "<angle>@example.gov"},
        {"email": "a@example.gov\r\nBcc: b@example.gov"},
    ],
    ids=[
        "missing",
        "empty",
        "no at",
        "no dot",
        "long",
        "huge",
        "nul",
        "tab",
        "control",
        "two",
        "comma",
        "angle",
        "header",
    ],
)
def test_bad_addresses_get_a_readable_error(
    form: dict[str, str], live_server: LiveServer, person: Person
) -> None:
    browser = signed_in(live_server, person)
    page = browser.get("/account/emails/new")
    response = browser.post_form(page, "/account/emails/new", form)
    assert response.status_code in (400, 413), response.status_code
    assert "<h1>" in response.text
    assert address_ids(browser) == {}


@pytest.mark.parametrize(
    ("target", "action", "status"),
    [
        ("not-a-uuid", "primary", 404),
        ("not-a-uuid", "remove", 404),
        ("unknown", "primary", 404),
        ("unknown", "remove", 404),
        ("someone-elses", "primary", 404),
        ("someone-elses", "remove", 404),
        ("pending", "primary", 409),
        ("'; DROP TABLE accounts; --", "remove", 404),
    ],
    ids=[
        "bad id primary",
        "bad id remove",
        "unknown primary",
        "unknown remove",
        "other's primary",
        "other's remove",
        "pending primary",
        "sql",
    ],
)
def test_bad_address_ids_get_a_readable_error(
    target: str,
    action: str,
    status: int,
    live_server: LiveServer,
    smtp_server: MailCatcher,
    person: Person,
) -> None:
    browser = signed_in(live_server, person)
    address_id = target
    if target == "unknown":
        address_id = str(uuid.uuid4())
    elif target == "someone-elses":
        other_browser = signed_in(live_server, make_person(live_server))
        address_id = add_confirmed(other_browser, smtp_server, new_address("others"))
    elif target == "pending":
        ask_to_add(browser, new_address("unconfirmed"))
        (address_id,) = address_ids(browser).values()
    page = browser.get("/account")
    response = browser.post_form(page, f"/account/emails/{address_id}/{action}", {})
    assert response.status_code == status
    assert "<h1>" in response.text
    if target == "someone-elses":
        assert len(address_ids(other_browser)) == 1


def test_changes_need_a_recent_sign_in(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    browser = signed_in(live_server, person)
    address_id = add_confirmed(browser, smtp_server, new_address("recent"))
    page = browser.get("/account")
    make_old(live_server)
    for path in (
        f"/account/emails/{address_id}/primary",
        f"/account/emails/{address_id}/remove",
        "/account/emails/new",
    ):
        response = browser.post_form(page, path, {"email": new_address("late")})
        assert response.status_code == 302, path
        assert "/account/reauthenticate" in response.headers["Location"]
    assert browser.get("/account/emails/new").status_code == 302
    assert primary_of(live_server, person.account_id) == person.email
    assert list(address_ids(browser).values()) == [address_id]


def test_the_pages_need_sign_in(live_server: LiveServer) -> None:
    browser = Browser(live_server.url)
    for path in ("/account/emails/new", "/account/emails/confirmation"):
        response = browser.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
