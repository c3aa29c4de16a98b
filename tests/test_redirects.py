"""The one check for every ``next`` and ``resume`` value."""

from __future__ import annotations

import pytest

from idp.redirects import MAX_LENGTH, same_site_path


@pytest.mark.parametrize(
    "value",
    [
        "/account",
        "/account/history",
        "/authorize?client_id=urn%3Agov%3Aa&scope=openid+email&state=a%20b",
        "/authorize?redirect_uri=https%3A%2F%2Fagency.example.gov%2Fcb",
        "/verify?resume=/authorize",
        "/a",
        "/" + "a" * (MAX_LENGTH - 1),
    ],
)
def test_same_site_paths_are_kept(value: str) -> None:
    assert same_site_path(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "/",
        "account",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "\t//evil.example",
        "/account\x00",
        "/account\x7f",
        "/%2F/evil.example",
        "/%2f/evil.example",
        "/%5Cevil.example",
        "/%09/evil.example",
        "/%0A/evil.example",
        "/account/%00",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,hi",
        " /account",
        "/account ",
        "/a b",
        "/\u00a0/evil.example",
        "/\u2028/evil.example",
        "/\u3000/evil.example",
        "/\u200b/evil.example",
        "/account\u202e",
        "/\ud800",
        "/" + "a" * MAX_LENGTH,
        ["/account"],
        42,
    ],
)
def test_anything_else_is_refused(value: object) -> None:
    assert same_site_path(value) is None
