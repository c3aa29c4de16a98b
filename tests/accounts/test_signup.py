"""Creating an account over real HTTP, with the confirmation mail read from a real
SMTP server."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode, urlsplit

import pyotp
import pytest

from idp.accounts import service
from tests.accounts.email_flows import (
    database,
    expire,
    new_address,
    open_link,
    request_link,
    sessions_of,
    token_of,
    token_row,
)
from tests.conftest import LiveServer, RegisteredAgency, make_person
from tests.mail_catcher import MailCatcher
from tests.support import Browser, authorize_params, pkce_pair

GOOD_PASSWORD = "cobalt lantern zebra orchard"


def _confirmation(live_server: LiveServer, smtp: MailCatcher, email: str) -> tuple[Browser, str]:
    browser = Browser(live_server.url)
    response = request_link(browser, "/sign-up", email)
    assert response.status_code == 200
    assert "Check your email" in response.text
    return browser, smtp.wait_for(email, "Confirm your email address").link("/sign-up/confirm")


def test_sign_up_from_email_to_factor_set_up(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    email = new_address("sign-up")
    browser, link = _confirmation(live_server, smtp_server, email)
    assert link.startswith(live_server.url + "/sign-up/confirm?token=")
    assert len(token_of(link)) >= 43  # 32 random bytes
    assert 24 * 3600 - 5 < token_row(live_server, link)["lifetime"] <= 24 * 3600

    page = open_link(browser, link)
    assert page.status_code == 200
    assert urlsplit_path(page.url) == "/sign-up/password"
    assert email in page.text and 'id="password-meter"' in page.text

    weak = browser.post_form(page, "/sign-up/password", {"password": "password1234"})
    assert weak.status_code == 400
    assert "commonly used" in weak.text

    done = browser.post_form(page, "/sign-up/password", {"password": GOOD_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/account/factors/new"

    with database(live_server).transaction() as conn:
        account = conn.execute(
            "SELECT id FROM accounts WHERE lower(email) = lower(%(e)s)", {"e": email}
        ).fetchone()
        assert account is not None
        assert service.check_password(conn, email, GOOD_PASSWORD) is not None
        kinds = [
            row["kind"]
            for row in conn.execute(
                "SELECT kind, details FROM events WHERE account_id = %(a)s", {"a": account["id"]}
            )
        ]
    assert "account.created" in kinds
    sessions = sessions_of(live_server, str(account["id"]))
    assert [s["amr"] for s in sessions] == [["pwd"]]


def urlsplit_path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def test_a_registered_address_gets_the_same_page_and_a_different_mail(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    person = make_person(live_server)
    fresh = new_address("fresh")
    answers = []
    for email in (person.email, fresh):
        response = request_link(Browser(live_server.url), "/sign-up", email)
        answers.append((response.status_code, response.text.replace(email, "EMAIL")))
    assert answers[0][0] == answers[1][0] == 200
    assert _without_csrf(answers[0][1]) == _without_csrf(answers[1][1])

    note = smtp_server.wait_for(person.email, "Someone tried to create an account")
    assert "/sign-in" in note.body and "/forgot-password" in note.body
    assert "token=" not in note.body
    smtp_server.wait_for(fresh, "Confirm your email address")


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_a_link_works_once(live_server: LiveServer, smtp_server: MailCatcher) -> None:
    email = new_address("once")
    browser, link = _confirmation(live_server, smtp_server, email)
    page = open_link(browser, link)
    assert (
        browser.post_form(page, "/sign-up/password", {"password": GOOD_PASSWORD}).status_code == 302
    )

    again = open_link(Browser(live_server.url), link)
    assert again.status_code == 410
    assert "This link has expired" in again.text


def test_two_tabs_cannot_both_use_one_link(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    email = new_address("tabs")
    first, link = _confirmation(live_server, smtp_server, email)
    second = Browser(live_server.url)
    page_one, page_two = open_link(first, link), open_link(second, link)
    assert (
        first.post_form(page_one, "/sign-up/password", {"password": GOOD_PASSWORD}).status_code
        == 302
    )
    late = second.post_form(page_two, "/sign-up/password", {"password": GOOD_PASSWORD})
    assert late.status_code == 410


def test_an_expired_link_is_refused(live_server: LiveServer, smtp_server: MailCatcher) -> None:
    email = new_address("expired")
    browser, link = _confirmation(live_server, smtp_server, email)
    page = open_link(browser, link)
    expire(live_server, link)
    assert open_link(Browser(live_server.url), link).status_code == 410
    late = browser.post_form(page, "/sign-up/password", {"password": GOOD_PASSWORD})
    assert late.status_code == 410


def test_an_address_registered_meanwhile_is_explained(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    email = new_address("race")
    browser, link = _confirmation(live_server, smtp_server, email)
    page = open_link(browser, link)
    app = live_server.app
    service.create_account(
        app.extensions["idp.db"],
        app.extensions["idp.master_key"],
        email,
        "another pass phrase",
        None,
    )
    response = browser.post_form(page, "/sign-up/password", {"password": GOOD_PASSWORD})
    assert response.status_code == 409
    assert "You already have an account" in response.text


def test_mail_to_one_address_is_capped(live_server: LiveServer, smtp_server: MailCatcher) -> None:
    email = new_address("capped")
    for _ in range(7):
        assert request_link(Browser(live_server.url), "/sign-up", email).status_code == 200
    smtp_server.wait_for(email, "Confirm", count=5)
    smtp_server.assert_nothing_more(email, 5)


@pytest.mark.parametrize(
    "token",
    ["", "forged-token-" + "x" * 30, "x" * 5000, "\u00e9" * 43, "a'; DROP TABLE accounts; --"],
    ids=["empty", "forged", "huge", "non-ascii", "sql"],
)
def test_bad_links_get_a_readable_404(token: str, live_server: LiveServer) -> None:
    response = Browser(live_server.url).get("/sign-up/confirm", token=token)
    assert response.status_code == 404
    assert "This link is not valid" in response.text


def test_the_password_page_needs_a_link(live_server: LiveServer) -> None:
    browser = Browser(live_server.url)
    assert browser.get("/sign-up/password").status_code == 404
    page = browser.get("/sign-up")
    assert (
        browser.post_form(page, "/sign-up/password", {"password": GOOD_PASSWORD}).status_code == 404
    )


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
        {"email": "two@example.gov, three@example.gov"},
        {"email": "a@example.gov\r\nBcc: b@example.gov"},
        {"email": "a,b@example.gov"},
        {"email": "Someone <a@example.gov>"},
    ],
    ids=[
        "missing",
        "empty",
        "no at",
        "no dot",
        "long",
        "huge",
        "nul",
        "control",
        "two",
        "header",
        "comma",
        "display name",
    ],
)
def test_bad_email_input_gets_a_readable_error(
    form: dict[str, str], live_server: LiveServer
) -> None:
    browser = Browser(live_server.url)
    for path in ("/sign-up", "/forgot-password", "/account-deletion"):
        page = browser.get(path)
        response = browser.post_form(page, path, form)
        assert response.status_code in (400, 413), (path, response.status_code)
        assert "<h1>" in response.text


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({}, 400, "Enter a password"),
        ({"password": ""}, 400, "at least 12"),
        ({"password": "p" * 129}, 400, "no more than 128"),
        ({"password": "p" * 5000}, 400, "Enter a password"),
        ({"password": "nul\x00nul\x00nul\x00nul"}, 400, ""),
        ({"password": "bell\x07bell\x07bell\x07"}, 400, "Enter a password"),
    ],
    ids=["missing", "empty", "too long", "huge", "nul", "control"],
)
def test_bad_password_input_gets_a_readable_error(
    form: dict[str, str],
    status: int,
    message: str,
    live_server: LiveServer,
    smtp_server: MailCatcher,
) -> None:
    browser, link = _confirmation(live_server, smtp_server, new_address("badpw"))
    page = open_link(browser, link)
    response = browser.post_form(page, "/sign-up/password", form)
    assert response.status_code == status
    assert "<h1>" in response.text and message in response.text
    assert token_row(live_server, link)["used_at"] is None


def test_forms_without_csrf_token_are_refused(live_server: LiveServer) -> None:
    browser = Browser(live_server.url)
    for path in ("/sign-up", "/forgot-password", "/account-deletion", "/sign-up/password"):
        response = browser.http.post(
            live_server.url + path, data={"email": "a@example.gov"}, timeout=5
        )
        assert response.status_code == 400, path
        assert "Form expired" in response.text


def test_signing_up_from_an_agency_returns_to_it_after_the_first_factor(
    live_server: LiveServer, smtp_server: MailCatcher, agency: RegisteredAgency
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(agency.client_id, agency.redirect_uri, challenge)
    browser = Browser(live_server.url)
    sign_in = browser.follow(browser.get("/authorize?" + urlencode(params)))
    create = re.search(r'href="(/sign-up\?next=[^"]+)"', sign_in.text)
    assert create, "the sign-in page links to sign-up with the authorization"
    email = new_address("from-agency")
    page = browser.get(create.group(1).replace("&amp;", "&"))
    assert browser.post_form(page, "/sign-up", {"email": email}).status_code == 200
    link = smtp_server.wait_for(email, "Confirm your email address").link("/sign-up/confirm")
    page = open_link(browser, link)
    done = browser.post_form(page, "/sign-up/password", {"password": GOOD_PASSWORD})
    assert done.headers["Location"] == "/account/factors/new"
    setup = browser.get("/account/factors/totp/new")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup.text)
    assert secret
    totp = pyotp.TOTP(secret.group(1))
    added = browser.post_form(setup, "/account/factors/totp/new", {"code": totp.now()})
    assert added.headers["Location"].startswith("/authorize?")
    # Setting the app up was not signing in with it: the agency's request asks for a code.
    code_page = browser.follow(added)
    assert urlsplit(code_page.url).path == "/sign-in/code"
    next_code = totp.at(time.time() + 30)  # the set-up code was used
    used = browser.post_form(code_page, "/sign-in/code", {"code": next_code})
    assert used.headers["Location"].startswith("/authorize?")
    consent = browser.follow(used)
    assert 'name="decision"' in consent.text
