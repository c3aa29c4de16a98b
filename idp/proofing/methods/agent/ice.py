"""The ICE servers the two browsers use to find a path to each other.

``agent_ice_servers`` is a JSON list in the shape ``RTCPeerConnection`` takes, for
example::

    [{"urls": "stun:stun.example.gov:3478"},
     {"urls": ["turn:turn.example.gov:3478?transport=udp",
               "turns:turn.example.gov:5349"]}]

An empty list (the default) leaves the browsers with their own host candidates, which
is enough on one network. With ``agent_turn_secret`` set, every TURN server listed
without a username gets short-lived credentials per call, in the form TURN servers
such as coturn check with a shared secret (``use-auth-secret``): the username is
``<expiry>:<call>`` and the credential is the base64 HMAC-SHA1 of it under the secret.
TURN credentials are secrets: they are never logged, and only the browsers of a call
receive them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

TURN_CREDENTIAL_SECONDS = 2 * 3600
_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")
_MAX_SERVERS = 10


class IceServersError(ValueError):
    """``agent_ice_servers`` is not a list of ICE servers; the message says why."""


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = field(default=None, repr=False)

    @property
    def is_turn(self) -> bool:
        return any(url.startswith(("turn:", "turns:")) for url in self.urls)

    def as_browser(self) -> dict[str, Any]:
        found: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            found["username"] = self.username
        if self.credential is not None:
            found["credential"] = self.credential
        return found


@dataclass(frozen=True)
class IceConfig:
    """The servers, and the secret that mints TURN credentials (if any)."""

    servers: tuple[IceServer, ...] = ()
    turn_secret: str | None = field(default=None, repr=False)

    def for_call(self, call_id: str, now: float) -> list[dict[str, Any]]:
        """The ``iceServers`` for one call's browsers, valid for a couple of hours."""
        listed = []
        for server in self.servers:
            if server.is_turn and server.username is None and self.turn_secret:
                username = f"{int(now) + TURN_CREDENTIAL_SECONDS}:{call_id}"
                server = IceServer(server.urls, username, turn_password(self.turn_secret, username))
            listed.append(server.as_browser())
        return listed


def turn_password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def parse_ice_servers(text: str, turn_secret: str | None = None) -> IceConfig:
    """Read ``agent_ice_servers``; raise :class:`IceServersError` for anything else."""
    try:
        listed = json.loads(text or "[]")
    except ValueError as exc:
        raise IceServersError("agent_ice_servers is not JSON") from exc
    if not isinstance(listed, list) or len(listed) > _MAX_SERVERS:
        raise IceServersError(f"agent_ice_servers must be a list of at most {_MAX_SERVERS}")
    return IceConfig(tuple(_server(item) for item in listed), turn_secret or None)


def _server(item: Any) -> IceServer:
    if not isinstance(item, dict) or set(item) - {"urls", "username", "credential"}:
        raise IceServersError('each ICE server is an object with "urls" (and a username)')
    urls = item.get("urls")
    urls = [urls] if isinstance(urls, str) else urls
    if not isinstance(urls, list) or not urls:
        raise IceServersError('an ICE server needs "urls"')
    for url in urls:
        if not isinstance(url, str) or not url.startswith(_SCHEMES) or any(c in url for c in " \n"):
            raise IceServersError(f"not a STUN or TURN URL: {str(url)[:60]!r}")
    username, credential = item.get("username"), item.get("credential")
    for value in (username, credential):
        if value is not None and not isinstance(value, str):
            raise IceServersError("an ICE server's username and credential are strings")
    return IceServer(tuple(urls), username, credential)
