"""Typed, frozen settings read from ``config/*.toml`` and the environment.

Environment variables win over the files:

``IDP_ISSUER``, ``DATABASE_URL``, ``REDIS_URL``, ``IDP_MASTER_KEY``, ``IDP_SECRET_KEY``,
``IDP_DATA_DIR`` and ``IDP_CONFIG`` (the name of an extra file in ``config/``);
``SMTP_URL``, ``IDP_MAIL_FROM`` and ``IDP_DEVELOPMENT`` (``1``/``true`` turns it on);
``IDP_TRUSTED_PROXIES`` (how many proxies in front of the provider to believe);
``IDP_ISSUING_SOURCE_URL``/``_TOKEN``, ``IDP_DEATH_RECORDS_URL``/``_TOKEN`` and
``IDP_ADDRESS_SOURCE_URL``/``_TOKEN`` (identity proofing's record checks);
``IDP_FACE_MATCH_TOLERANCE`` (the selfie method's face match tolerance);
``IDP_AGENT_ICE_SERVERS`` and ``IDP_AGENT_TURN_SECRET`` (video calls with an agent).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_DIR / "config"
MAX_TRUSTED_PROXIES = 10
MAX_FACE_MATCH_TOLERANCE = 0.6  # face_recognition's own default; nothing looser is accepted


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data folder when ``IDP_DATA_DIR`` is not set, whatever the current folder:
    ``var/`` in the project checkout that holds this package (``make run``, an
    editable install), otherwise the user's data folder (``$XDG_DATA_HOME/idp``, by
    default ``~/.local/share/idp``)."""
    if (PROJECT_DIR / "pyproject.toml").is_file():
        return PROJECT_DIR / "var"
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "idp"


@dataclass(frozen=True)
class Settings:
    """Everything the app reads at start-up. Secrets never appear in ``repr``."""

    issuer: str = "http://127.0.0.1:5000"
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = field(default=None, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    master_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    id_token_lifetime: int = 300
    access_token_lifetime: int = 900
    code_lifetime: int = 60
    key_activation_delay: int = 3600
    default_ial: int = 1
    sign_in_limit: str = "10 per 10 minutes"
    sign_in_ip_limit: str = "50 per 10 minutes"
    testing: bool = False
    smtp_url: str | None = field(default=None, repr=False)
    smtp_timeout: float = 5.0
    mail_from: str = "Government Sign-In <no-reply@sign-in.example.gov>"
    development: bool = False
    mail_request_ip_limit: str = "30 per hour"
    session_idle_timeout: int = 15 * 60
    session_absolute_timeout: int = 12 * 3600
    issuing_source_url: str | None = None
    issuing_source_token: str | None = field(default=None, repr=False)
    death_records_url: str | None = None
    death_records_token: str | None = field(default=None, repr=False)
    address_source_url: str | None = None
    address_source_token: str | None = field(default=None, repr=False)
    proofing_methods: tuple[str, ...] = (
        "idp.proofing.methods.document",
        "idp.proofing.methods.selfie",
        "idp.proofing.methods.agent",
    )
    proofing_connect_timeout: float = 3.0
    proofing_read_timeout: float = 10.0
    # The largest distance between the faces on an ID and in a selfie that counts as a
    # match (face_recognition encodings; lower is stricter). See docs/face_matching.md.
    face_match_tolerance: float = 0.5
    # Video calls with a proofing agent: the browsers' STUN/TURN servers as a JSON list
    # (RTCPeerConnection's iceServers; may hold TURN credentials), a TURN shared secret
    # for short-lived credentials, and the longest a call may last.
    agent_ice_servers: str = field(default="[]", repr=False)
    agent_turn_secret: str | None = field(default=None, repr=False)
    agent_max_call_seconds: int = 1200
    # Proxies in front of the provider whose X-Forwarded-For/-Proto are believed: 0
    # trusts none, 1 the nearest one (the load balancer), and so on.
    trusted_proxies: int = 0
    log_format: str = "text"

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"


_ENVIRONMENT = {
    "issuer": "IDP_ISSUER",
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "master_key": "IDP_MASTER_KEY",
    "secret_key": "IDP_SECRET_KEY",
    "data_dir": "IDP_DATA_DIR",
    "smtp_url": "SMTP_URL",
    "mail_from": "IDP_MAIL_FROM",
    "issuing_source_url": "IDP_ISSUING_SOURCE_URL",
    "issuing_source_token": "IDP_ISSUING_SOURCE_TOKEN",
    "death_records_url": "IDP_DEATH_RECORDS_URL",
    "death_records_token": "IDP_DEATH_RECORDS_TOKEN",
    "address_source_url": "IDP_ADDRESS_SOURCE_URL",
    "address_source_token": "IDP_ADDRESS_SOURCE_TOKEN",
    "log_format": "IDP_LOG_FORMAT",
    "face_match_tolerance": "IDP_FACE_MATCH_TOLERANCE",
    "agent_ice_servers": "IDP_AGENT_ICE_SERVERS",
    "agent_turn_secret": "IDP_AGENT_TURN_SECRET",
}
_BOOLEAN_ENVIRONMENT = {"development": "IDP_DEVELOPMENT"}
_INTEGER_ENVIRONMENT = {"trusted_proxies": "IDP_TRUSTED_PROXIES"}


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from ``config/default.toml``, the optional ``IDP_CONFIG`` file,
    the environment, then ``overrides`` (used by tests).

    An installed wheel has no ``config/`` folder: ``Settings``' own defaults are the
    same as ``config/default.toml``'s (a test keeps them so), and are used then."""
    environ = os.environ if environ is None else environ
    has_defaults = (CONFIG_DIR / "default.toml").is_file()
    values: dict[str, Any] = _read_toml("default") if has_defaults else {}
    extra = environ.get("IDP_CONFIG")
    if extra:
        values.update(_read_toml(extra))
    for name, variable in _ENVIRONMENT.items():
        if environ.get(variable):
            values[name] = environ[variable]
    for name, variable in _BOOLEAN_ENVIRONMENT.items():
        if environ.get(variable):
            values[name] = environ[variable].strip().lower() in ("1", "true", "yes", "on")
    for name, variable in _INTEGER_ENVIRONMENT.items():
        if environ.get(variable):
            values[name] = environ[variable].strip()
    values.update(overrides or {})
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    if "proofing_methods" in values:
        values["proofing_methods"] = tuple(values["proofing_methods"])
    values["trusted_proxies"] = _proxy_count(values.get("trusted_proxies", 0))
    if "face_match_tolerance" in values:
        values["face_match_tolerance"] = _face_match_tolerance(values["face_match_tolerance"])
    # Made absolute now: the data folder must not move if the process changes folder.
    data_dir = Path(values.pop("data_dir", None) or default_data_dir(environ))
    settings = Settings(**values, data_dir=data_dir.expanduser().absolute())
    if not 60 <= int(settings.session_idle_timeout) <= 3600:
        raise ValueError("session_idle_timeout must be between 60 and 3600 seconds (AAL2)")
    return replace(settings, issuer=settings.issuer.rstrip("/"))


def _proxy_count(value: object) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) > MAX_TRUSTED_PROXIES:
        raise ValueError(
            f"trusted_proxies (IDP_TRUSTED_PROXIES) must be a whole number from 0 to "
            f"{MAX_TRUSTED_PROXIES}, the proxies in front of the provider"
        )
    return int(text)


def _face_match_tolerance(value: object) -> float:
    try:
        tolerance = float(str(value).strip())
    except ValueError:
        tolerance = -1.0
    if not 0 < tolerance <= MAX_FACE_MATCH_TOLERANCE:
        raise ValueError(
            "face_match_tolerance (IDP_FACE_MATCH_TOLERANCE) must be a number above 0 and "
            f"at most {MAX_FACE_MATCH_TOLERANCE}, face_recognition's own default"
        )
    return tolerance


def _read_toml(name: str) -> dict[str, Any]:
    path = CONFIG_DIR / f"{name}.toml"
    with path.open("rb") as handle:
        values = tomllib.load(handle)
    if "data_dir" in values:
        # A relative data folder in a config file is relative to the project folder.
        values["data_dir"] = PROJECT_DIR / values["data_dir"]
    return values
