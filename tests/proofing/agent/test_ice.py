"""The ICE servers setting, and the short-lived TURN credentials minted per call."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from idp.proofing.methods.agent.adapters import build_adapters
from idp.proofing.methods.agent.ice import IceServersError, parse_ice_servers
from idp.settings import load_settings

SERVERS = """[{"urls": "stun:stun.example.gov:3478"},
              {"urls": ["turn:turn.example.gov:3478?transport=udp", "turns:turn.example.gov:5349"]},
              {"urls": "turn:static.example.gov", "username": "u", "credential": "p"}]"""


def test_no_servers_by_default() -> None:
    assert parse_ice_servers("[]").for_call("c", 0) == []
    assert load_settings(environ={}).agent_ice_servers == "[]"


def test_turn_servers_get_credentials_for_one_call_and_a_while() -> None:
    config = parse_ice_servers(SERVERS, turn_secret="shared-secret")
    stun, turn, static = config.for_call("call-1", now=1_000)
    assert stun == {"urls": ["stun:stun.example.gov:3478"]}
    assert turn["username"] == "8200:call-1"
    expected = hmac.new(b"shared-secret", b"8200:call-1", hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(expected).decode()
    assert static == {"urls": ["turn:static.example.gov"], "username": "u", "credential": "p"}
    assert "shared-secret" not in repr(config) and "'p'" not in repr(config)


def test_without_a_secret_turn_servers_go_as_configured() -> None:
    turn = parse_ice_servers(SERVERS).for_call("call-1", now=0)[1]
    assert "username" not in turn and "credential" not in turn


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"urls": "stun:x"}',
        '[{"url": "stun:x"}]',
        '[{"urls": []}]',
        '[{"urls": "http://x"}]',
        '[{"urls": "stun:x y"}]',
        '[{"urls": "turn:x", "username": 7}]',
        '["stun:x"]',
        "[" + ",".join(['{"urls": "stun:x"}'] * 11) + "]",
    ],
)
def test_a_bad_setting_stops_the_start_with_the_reason(text: str) -> None:
    with pytest.raises(IceServersError):
        parse_ice_servers(text)


def test_the_settings_come_from_the_environment_and_are_checked() -> None:
    environ = {"IDP_AGENT_ICE_SERVERS": SERVERS, "IDP_AGENT_TURN_SECRET": "s3cret"}
    settings = load_settings({"testing": True}, environ=environ)
    adapters = build_adapters(settings)
    assert adapters is not None and len(adapters.ice.servers) == 3
    assert "s3cret" not in repr(settings) and "turn.example.gov" not in repr(settings)
    with pytest.raises(IceServersError):
        build_adapters(load_settings({"testing": True}, environ={"IDP_AGENT_ICE_SERVERS": "["}))


@pytest.mark.parametrize("seconds", [0, 299, 7201])
def test_the_longest_call_must_be_sensible(seconds: int) -> None:
    with pytest.raises(ValueError, match="agent_max_call_seconds"):
        build_adapters(
            load_settings({"testing": True, "agent_max_call_seconds": seconds}, environ={})
        )


def test_the_method_is_unavailable_without_record_checks() -> None:
    settings: Any = load_settings({"testing": False, "development": False}, environ={})
    assert build_adapters(settings) is None
