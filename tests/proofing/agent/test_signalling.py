"""The signalling messages: who may send what, checked and stored as checked."""

from __future__ import annotations

import pytest

from idp.proofing.methods.agent.challenge import WORDS, new_challenge
from idp.proofing.methods.agent.signalling import SignalError, read_signal

PEER = "0123456789abcdef"


@pytest.mark.parametrize(
    ("sender", "kind"),
    [("person", "offer"), ("agent", "answer"), ("agent", "hello"), ("stranger", "bye")],
)
def test_each_side_sends_only_its_own_kinds(sender: str, kind: str) -> None:
    with pytest.raises(SignalError, match="kind_not_allowed"):
        read_signal(sender, {"kind": kind, "peer": PEER, "sdp": "v=0"})


def test_messages_keep_only_what_they_should() -> None:
    assert read_signal("person", {"kind": "hello", "peer": PEER, "fresh": "yes"}) == (
        "hello",
        {"peer": PEER, "fresh": False},
    )
    kind, body = read_signal(
        "agent",
        {"kind": "candidate", "peer": PEER, "extra": 1,
         "candidate": {"candidate": "candidate:1", "sdpMLineIndex": 0, "more": "x"}},
    )  # fmt: skip
    assert kind == "candidate" and body == {
        "peer": PEER,
        "candidate": {"candidate": "candidate:1", "sdpMid": None, "sdpMLineIndex": 0,
                      "usernameFragment": None},
    }  # fmt: skip


@pytest.mark.parametrize(
    "candidate",
    [None, {"candidate": 5}, {"sdpMLineIndex": -1}, {"sdpMLineIndex": True},
     {"sdpMLineIndex": "0"}, {"candidate": "x" * 1001}, {"sdpMid": "\x00"}],
)  # fmt: skip
def test_bad_candidates_are_refused(candidate: object) -> None:
    with pytest.raises(SignalError, match="candidate_missing"):
        read_signal("person", {"kind": "candidate", "peer": PEER, "candidate": candidate})


def test_a_challenge_is_three_words_and_a_number_and_changes() -> None:
    first = new_challenge().split()
    assert first[0] in WORDS and first[1].isdigit() and 10 <= int(first[1]) <= 99
    assert all(word in WORDS for word in first[2:]) and len(first) == 4
    assert len({new_challenge() for _ in range(20)}) > 15
