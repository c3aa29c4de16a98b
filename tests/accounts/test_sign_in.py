"""Signing in with a password and an authentication app code, over real HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer, Person, make_person
from tests.support import Browser


def _start(
    live_server: LiveServer, person: Person, password: str | None = None
) -> tuple[Browser, object]:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    response = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": password or person.password}
    )
    return browser, response


def test_sign_in_rotates_the_session_id(live_server: LiveServer, person: Person) -> None:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    after_password = browser.http.cookies.get("idp_session")
    code_page = browser.get("/sign-in/code")
    response = browser.post_form(code_page, "/sign-in/code", {"code": person.code()})
    assert response.status_code == 302
    after_code = browser.http.cookies.get("idp_session")
    assert after_password and after_code and after_password != after_code
    assert browser.get("/account").status_code == 200

    planted = Browser(live_server.url)
    planted.http.cookies.set("idp_session", after_password, domain="127.0.0.1", path="/")
    assert planted.get("/account").status_code == 302, "the pre-sign-in id must be dead"


def test_session_cookie_is_http_only_and_same_site(live_server: LiveServer, person: Person) -> None:
    _, response = _start(live_server, person)
    cookie = response.headers["Set-Cookie"]  # type: ignore[attr-defined]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_wrong_password_is_refused_without_saying_which_part(
    live_server: LiveServer, person: Person
) -> None:
    _, wrong_password = _start(live_server, person, password="not the password at all")
    unknown = make_person(live_server)
    unknown.email = "nobody-" + unknown.email
    _, unknown_email = _start(live_server, unknown)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert "don&#39;t match our records" in response.text  # type: ignore[attr-defined]


def test_failed_passwords_are_throttled_per_account(live_server: LiveServer) -> None:
    person = make_person(live_server)
    statuses = [
        _start(live_server, person, password=f"wrong-{i}")[1].status_code  # type: ignore[attr-defined]
        for i in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    _, right = _start(live_server, person)
    assert right.status_code == 429  # type: ignore[attr-defined]
    assert "Too many failed attempts" in right.text  # type: ignore[attr-defined]


def test_a_code_cannot_be_replayed(live_server: LiveServer, person: Person) -> None:
    browser, _ = _start(live_server, person)
    page = browser.get("/sign-in/code")
    assert browser.post_form(page, "/sign-in/code", {"code": person.code()}).status_code == 302
    second, _ = _start(live_server, person)
    page = second.get("/sign-in/code")
    replay = second.post_form(page, "/sign-in/code", {"code": person.code()})
    assert replay.status_code == 401
    assert "That code is not right" in replay.text


@pytest.mark.parametrize(
    "form",
    [
        {"email": "", "password": ""},
        {"email": "a" * 5000 + "@example.gov", "password": "x"},
        {"email": "someone@example.gov", "password": "p" * 100_000},
        {"email": "\x00\x1f\u202e@example.gov", "password": "\x00"},
        {},
    ],
    ids=["empty", "huge email", "huge password", "control characters", "missing fields"],
)
def test_bad_sign_in_input_gets_a_readable_error(
    form: dict[str, str], live_server: LiveServer
) -> None:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    response = browser.post_form(page, "/sign-in", form)
    assert response.status_code in (400, 401, 413)
    assert "<h1>" in response.text


@pytest.mark.parametrize(
    "code", ["", "abcdef", "1" * 500, "12345", "\uff10\uff11\uff12\uff13\uff14\uff15"]
)
def test_bad_codes_get_a_readable_error(code: str, live_server: LiveServer, person: Person) -> None:
    browser, _ = _start(live_server, person)
    page = browser.get("/sign-in/code")
    response = browser.post_form(page, "/sign-in/code", {"code": code})
    assert response.status_code == 401
    assert "That code is not right" in response.text


def test_code_page_without_a_password_step_goes_back_to_sign_in(live_server: LiveServer) -> None:
    response = Browser(live_server.url).get("/sign-in/code")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sign-in")


def test_forms_without_csrf_token_are_refused(live_server: LiveServer, person: Person) -> None:
    browser = Browser(live_server.url)
    response = browser.http.post(
        f"{live_server.url}/sign-in",
        data={"email": person.email, "password": person.password},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 400
    assert "Form expired" in response.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_sign_in_never_redirects_off_site(
    target: str, live_server: LiveServer, person: Person
) -> None:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in", next=target)
    response = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password, "next": target}
    )
    page = browser.get("/sign-in/code")
    response = browser.post_form(page, "/sign-in/code", {"code": person.code()})
    assert response.headers["Location"] == "/account"


# Values of ``next`` that must never be followed, as the browser sends them (decoded).
OFF_SITE_OR_BROKEN = {
    "tab": "/\t/evil.example",
    "newline": "/\n/evil.example",
    "carriage return": "/\r/evil.example",
    "two slashes": "//evil.example",
    "slash backslash": "/\\evil.example",
    "backslash slash": "\\/evil.example",
    "encoded slash": "/%2F/evil.example",
    "encoded backslash": "/%5Cevil.example",
    "encoded tab": "/%09/evil.example",
    "https": "https://evil.example/",
    "scheme-relative with userinfo": "//user@evil.example",
    "javascript": "javascript:alert(1)",
    "no leading slash": "account",
    "leading space": " /account",
    "no-break space": "/\u00a0/evil.example",
    "ideographic space": "/\u3000/evil.example",
    "line separator": "/\u2028/evil.example",
    "right-to-left override": "/account\u202e",
    "very long": "/account?" + "a" * 20_000,
}


@pytest.mark.parametrize("target", OFF_SITE_OR_BROKEN.values(), ids=OFF_SITE_OR_BROKEN.keys())
def test_a_next_that_could_leave_the_site_ends_on_the_account_page(
    target: str, live_server: LiveServer, person: Person
) -> None:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in", next=target)
    assert page.status_code == 200
    password = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password, "next": target}
    )
    assert password.status_code == 302
    page = browser.get("/sign-in/code")
    response = browser.post_form(page, "/sign-in/code", {"code": person.code()})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(
    "target", ["/account/history", "/authorize?client_id=urn%3Agov%3Aa&scope=openid+email"]
)
def test_a_same_site_next_is_followed(target: str, live_server: LiveServer, person: Person) -> None:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in", next=target)
    browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password, "next": target}
    )
    page = browser.get("/sign-in/code")
    response = browser.post_form(page, "/sign-in/code", {"code": person.code()})
    assert response.headers["Location"] == target


def test_a_remembered_browser_goes_on_to_next(live_server: LiveServer, person: Person) -> None:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    page = browser.get("/sign-in/code")
    browser.post_form(page, "/sign-in/code", {"code": person.code(), "remember": "yes"})
    browser.post_form(browser.get("/account"), "/sign-out", {})
    page = browser.get("/sign-in", next="/account/history")
    again = browser.post_form(
        page,
        "/sign-in",
        {"email": person.email, "password": person.password, "next": "/account/history"},
    )
    assert again.headers["Location"] == "/account/history"


@pytest.mark.parametrize("target", OFF_SITE_OR_BROKEN.values(), ids=OFF_SITE_OR_BROKEN.keys())
def test_the_reauthentication_page_never_offers_an_off_site_next(
    target: str, live_server: LiveServer, person: Person
) -> None:
    browser = Browser(live_server.url)
    browser.sign_in(person)
    page = browser.get("/account/reauthenticate", next=target)
    assert page.status_code == 200
    assert 'name="next" value="/account"' in page.text
