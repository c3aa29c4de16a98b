"""A small HTTPS JSON client for record-check services: one POST, strict timeouts.

Every failure (no connection, timeout, a status other than 200, a body that is not a
JSON object, a ``request_id`` that does not echo ours) becomes
:class:`ServiceUnavailableError`, whose text names the kind of failure only: a
service's error body could quote the person's data, which must not reach the logs::

    ServiceUnavailableError      the service did not give a usable answer
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import requests


class ServiceUnavailableError(Exception):
    """The service gave no usable answer; the check must be tried again later."""


@dataclass(frozen=True)
class ServiceConfig:
    """Where a record-check service is and how long to wait for it.

    ``connect_timeout`` and ``read_timeout`` are seconds; the token never appears in
    ``repr``.
    """

    url: str
    token: str | None = field(default=None, repr=False)
    connect_timeout: float = 3.0
    read_timeout: float = 10.0


def post_json(config: ServiceConfig, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` plus a fresh ``request_id`` and return the answer's JSON object."""
    request_id = str(uuid.uuid4())
    headers = {"Accept": "application/json"}
    if config.token:
        headers["Authorization"] = f"Bearer {config.token}"
    try:
        response = requests.post(
            config.url,
            json={"request_id": request_id, **body},
            headers=headers,
            timeout=(config.connect_timeout, config.read_timeout),
            allow_redirects=False,
        )
    except requests.Timeout as exc:
        raise ServiceUnavailableError("timeout") from exc
    except requests.RequestException as exc:
        raise ServiceUnavailableError("connection failed") from exc
    if response.status_code != 200:
        raise ServiceUnavailableError(f"HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError as exc:
        raise ServiceUnavailableError("answer is not JSON") from exc
    if not isinstance(answer, dict) or answer.get("request_id") != request_id:
        raise ServiceUnavailableError("answer does not match the request")
    return answer
