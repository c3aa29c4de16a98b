"""The messages two browsers exchange through the provider to set up a call.

The agent's browser offers; the person's answers. Every message names the ``peer``
connection it belongs to (a random id the agent's browser picks for each
``RTCPeerConnection``), so that messages of a connection that was replaced are
ignored. The kinds:

``hello``      ``{"peer", "fresh"}``: the person's page is ready; ``fresh`` when it
               has no connection (it was loaded again), so the agent's browser makes a
               new one, else it restarts ICE on the one it has
``offer``      ``{"peer", "sdp"}``: a session description from the agent's browser
``answer``     ``{"peer", "sdp"}``: the person's browser's answer to it
``candidate``  ``{"peer", "candidate": {"candidate", "sdpMid", "sdpMLineIndex",
               "usernameFragment"}}``: one ICE candidate, either way
``bye``        ``{"peer"}``: this side hung up

Messages are checked here and stored as checked: only these keys, only these types,
within these sizes. They are never logged (descriptions and candidates carry network
addresses).
"""

from __future__ import annotations

import re
from typing import Any

KINDS = ("hello", "offer", "answer", "candidate", "bye")
MAX_SDP = 20_000
MAX_CANDIDATE = 1_000
# A call's messages, both ways: far more than ICE restarts and reloads need.
MAX_SIGNALS_PER_CALL = 2_000
_PEER = re.compile(r"[A-Za-z0-9_-]{8,64}")
_ALLOWED_BY_SENDER = {
    "person": ("hello", "answer", "candidate", "bye"),
    "agent": ("offer", "candidate", "bye"),
}


class SignalError(ValueError):
    """A message that is not one of ours; the message is a reason code for the reply."""


def read_signal(sender: str, message: Any) -> tuple[str, dict[str, Any]]:
    """The kind and body of a message from ``sender`` (``person`` or ``agent``), as it
    will be stored; raises :class:`SignalError`."""
    if not isinstance(message, dict):
        raise SignalError("not_a_message")
    kind = message.get("kind")
    if kind not in _ALLOWED_BY_SENDER.get(sender, ()):
        raise SignalError("kind_not_allowed")
    peer = message.get("peer")
    if not isinstance(peer, str) or not _PEER.fullmatch(peer):
        raise SignalError("peer_missing")
    body: dict[str, Any] = {"peer": peer}
    if kind == "hello":
        body["fresh"] = message.get("fresh") is True
    elif kind in ("offer", "answer"):
        body["sdp"] = _text(message.get("sdp"), MAX_SDP, "sdp_missing")
    elif kind == "candidate":
        body["candidate"] = _candidate(message.get("candidate"))
    return str(kind), body


def _text(value: Any, limit: int, reason: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value) or len(value) > limit:
        raise SignalError(reason)
    if "\x00" in value:
        raise SignalError(reason)
    return value


def _candidate(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SignalError("candidate_missing")
    index = value.get("sdpMLineIndex")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
        raise SignalError("candidate_missing")
    if index is not None and not 0 <= index < 64:
        raise SignalError("candidate_missing")
    return {
        "candidate": _text(value.get("candidate"), MAX_CANDIDATE, "candidate_missing", False) or "",
        "sdpMid": _text(value.get("sdpMid"), 64, "candidate_missing", False),
        "sdpMLineIndex": index,
        "usernameFragment": _text(value.get("usernameFragment"), 256, "candidate_missing", False),
    }
