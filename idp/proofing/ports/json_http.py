"""A small HTTPS JSON client for record-check services: one POST, strict timeouts.

Every failure (no connection, timeout, a status other than 200, a body that is not a
JSON object, a ``request_id`` that does not echo ours) becomes
:class:`ServiceUnavailableError`, whose text names the kind of failure only: a
service's error body could quote the person's data, which must not reach the logs::

    ServiceUnavailableError      the service did not give a usable answer
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import requests

V = TypeVar("V")


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


@dataclass(frozen=True)
class Verdict(Generic[V]):
    """A record check's answer: its ``result`` mapped to a verdict (``None`` when the
    service was unavailable or answered something unknown, ``detail`` saying which),
    and the service's reference for the check."""

    value: V | None
    reference: str | None = None
    detail: str = ""


def ask_for_verdict(
    config: ServiceConfig, body: dict[str, Any], results: Mapping[str, V]
) -> Verdict[V]:
    """POST ``body`` and read the ``result`` and ``reference`` of the answer."""
    try:
        answer = post_json(config, body)
    except ServiceUnavailableError as exc:
        return Verdict(None, detail=str(exc))
    value = results.get(str(answer.get("result")))
    if value is None:
        return Verdict(None, detail="unknown result")
    reference = answer.get("reference")
    return Verdict(value, str(reference)[:100] if reference else None)
