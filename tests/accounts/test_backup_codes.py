"""Backup codes: the code format and hashing, then getting codes and signing in with
them over real HTTP."""

from __future__ import annotations

import re
import secrets

import pytest
import requests

from idp.accounts import backup_codes
from idp.hash_keys import keyed_hash, load_key
from tests.conftest import LiveServer, Person
from tests.support import Browser

GENERATE = "/account/factors/backup-codes"
SIGN_IN = "/sign-in/backup-code"
CODE = re.compile(r"<li><code>([0-9A-Z-]+)</code></li>")


def test_new_codes_are_twelve_characters_of_crockford_base32() -> None:
    codes = {backup_codes.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 12 and set(c) <= set(backup_codes.ALPHABET) for c in codes)
    assert backup_codes.format_code("ABCD1234WXYZ") == "ABCD-1234-WXYZ"


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD-1234-WXYZ",
        "abcd1234wxyz",
        " abcd 1234 wxyz ",
        "AB-CD-12-34-WX-YZ",
        "\uff21\uff22\uff23\uff24-1234-WXYZ",  # full-width letters from a phone keyboard
    ],
)
def test_typed_codes_are_normalised(typed: str) -> None:
    assert backup_codes.normalise(typed) == "ABCD1234WXYZ"


def test_look_alike_letters_are_read_as_digits() -> None:
    assert backup_codes.normalise("oIl0-0000-0000") == "011000000000"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ABCD-1234",
        "ABCD-1234-WXYZ-1",
        "ABCD-1234-WXY!",
        "ABCD-1234-WXYU",
        "A" * 5000,
        "\x00" * 12,
    ],
)
def test_what_cannot_be_a_code_is_refused(typed: str) -> None:
    assert backup_codes.normalise(typed) is None


def test_hashes_are_keyed_and_bound_to_the_account() -> None:
    key, other_key = secrets.token_bytes(32), secrets.token_bytes(32)
    code = "ABCD1234WXYZ"
    digest = backup_codes.code_hash(key, "account-1", code)
    assert digest == backup_codes.code_hash(key, "account-1", code)
    assert digest != backup_codes.code_hash(other_key, "account-1", code)
    assert digest != backup_codes.code_hash(key, "account-2", code)
    assert keyed_hash(key, "ab", "c") != keyed_hash(key, "a", "bc")


def test_the_hash_key_is_made_once_and_sealed(live_server: LiveServer) -> None:
    app = live_server.app
    database, master_key = app.extensions["idp.db"], app.extensions["idp.master_key"]
    first = load_key(database, master_key, "test-purpose")
    assert load_key(database, master_key, "test-purpose") == first
    assert load_key(database, master_key, "another-purpose") != first
    with database.transaction() as conn:
        row = conn.execute(
            "SELECT sealed_key FROM hash_keys WHERE purpose = 'test-purpose'"
        ).fetchone()
    assert first not in bytes(row["sealed_key"])


def signed_in(live_server: LiveServer, person: Person) -> Browser:
    browser = Browser(live_server.url)
    browser.follow(browser.sign_in(person))
    return browser


def get_codes(browser: Browser) -> tuple[list[str], requests.Response]:
    page = browser.get(GENERATE)
    assert page.status_code == 200, page.text[:200]
    shown = browser.post_form(page, GENERATE, {})
    assert shown.status_code == 200
    return CODE.findall(shown.text), shown


def start_backup_sign_in(
    live_server: LiveServer, person: Person
) -> tuple[Browser, requests.Response]:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    return browser, browser.get(SIGN_IN)


def test_codes_are_shown_once_and_stored_only_hashed(
    live_server: LiveServer, person: Person
) -> None:
    browser = signed_in(live_server, person)
    codes, shown = get_codes(browser)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert shown.headers["Cache-Control"] == "no-store"
    assert "only time we show them" in shown.text
    assert 'download="backup-codes.txt"' in shown.text
    again = browser.get(GENERATE)
    assert not any(code in again.text for code in codes)
    assert "10 unused" in browser.get("/account").text
    with live_server.app.extensions["idp.db"].transaction() as conn:
        stored = [
            bytes(row["code_hash"])
            for row in conn.execute(
                "SELECT code_hash FROM backup_codes WHERE account_id = %s", (person.account_id,)
            )
        ]
    assert len(stored) == 10
    assert not any(code.replace("-", "").encode() in h for h in stored for code in codes)


def test_sign_in_with_a_code_once(live_server: LiveServer, person: Person) -> None:
    codes, _ = get_codes(signed_in(live_server, person))
    browser, page = start_backup_sign_in(live_server, person)
    assert 'name="remember"' in page.text
    typed = codes[0].lower().replace("-", " ")
    response = browser.post_form(page, SIGN_IN, {"code": typed})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert browser.get("/account").status_code == 200

    other, page = start_backup_sign_in(live_server, person)
    reused = other.post_form(page, SIGN_IN, {"code": codes[0]})
    assert reused.status_code == 401
    assert "already used" in reused.text


def test_few_codes_left_are_warned_about(live_server: LiveServer, person: Person) -> None:
    codes, _ = get_codes(signed_in(live_server, person))
    for code in codes[:7]:
        browser, page = start_backup_sign_in(live_server, person)
        assert browser.post_form(page, SIGN_IN, {"code": code}).status_code == 302
    account = browser.get("/account")
    assert "You have 3 backup codes left" in account.text
    assert "3 unused" in account.text


def test_new_codes_replace_the_old_ones(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    old, _ = get_codes(browser)
    page = browser.get(GENERATE)
    assert "will stop working" in page.text
    new, _ = get_codes(browser)
    assert not set(old) & set(new)
    signing_in, page = start_backup_sign_in(live_server, person)
    assert signing_in.post_form(page, SIGN_IN, {"code": old[1]}).status_code == 401
    assert signing_in.post_form(page, SIGN_IN, {"code": new[1]}).status_code == 302


def test_new_codes_need_a_recent_real_second_factor(
    live_server: LiveServer, person: Person
) -> None:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    code_page = browser.get("/sign-in/code")
    browser.post_form(code_page, "/sign-in/code", {"code": person.code(), "remember": "yes"})
    browser.post_form(browser.get("/account"), "/sign-out", {})
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    response = browser.get(GENERATE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/reauthenticate?next=")


@pytest.mark.parametrize(
    "code",
    ["", "not a code", "ABCD-1234-WXYZ", "1" * 500, "\u202e\u0000", "ABCD-1234-WXY\uffff"],
    ids=["empty", "words", "unknown", "huge", "control characters", "odd unicode"],
)
def test_bad_codes_get_a_readable_error(live_server: LiveServer, person: Person, code: str) -> None:
    get_codes(signed_in(live_server, person))
    browser, page = start_backup_sign_in(live_server, person)
    response = browser.post_form(page, SIGN_IN, {"code": code})
    assert response.status_code in (400, 401)
    assert "<h1>" in response.text


def test_wrong_codes_count_toward_the_lockout(live_server: LiveServer, person: Person) -> None:
    codes, _ = get_codes(signed_in(live_server, person))
    browser, page = start_backup_sign_in(live_server, person)
    statuses = [
        browser.post_form(page, SIGN_IN, {"code": "0000-0000-0000"}).status_code for _ in range(10)
    ]
    assert statuses == [401] * 9 + [429]
    locked = browser.post_form(page, SIGN_IN, {"code": codes[0]})
    assert locked.status_code == 429 and "locked" in locked.text


def test_backup_code_page_needs_a_password_first(live_server: LiveServer) -> None:
    response = Browser(live_server.url).get(SIGN_IN)
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
