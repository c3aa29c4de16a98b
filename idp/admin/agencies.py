"""Agencies and their apps: one service for the console, the CLI and the declarative
file (``idp agencies apply``).

An agency has a short id (``slug``), a name, a logo URL, help text for the people who
use its apps, and contacts. An app is an OpenID Connect client of one agency: its
client id, redirect and post-logout URIs, its keys (a JWKS with one or more public
keys, or a JWKS URI; or none for a public client, which uses PKCE only), identity
level by default and at most, authentication level by default, the scopes it may ask
for, where to send a person who could not be verified, its back-channel logout URI,
and whether it is active.

:func:`parse_agency` and :func:`parse_app` turn plain data (a YAML mapping, or a form
made into one) into a spec, or raise :class:`SpecError` listing every problem:
malformed URIs, ``http`` outside development, wildcards, private or weak keys, unknown
scopes, levels out of range. :func:`save_agency` and :func:`save_app` store a spec in
the caller's transaction, write what changed to the event log with the actor, and do
nothing at all when nothing changed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from idp.admin import repository
from idp.db import Connection
from idp.events import record_event
from idp.oidc.agencies import validate_jwks
from idp.oidc.models import SUPPORTED_SCOPES, default_allowed_scopes
from idp.settings import Settings

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
DEFAULT_AAL = ("default", "aal2", "phishing_resistant")
ID_TOKEN_ALGS = ("RS256", "ES256")
MIN_RSA_BITS = 2048
EC_CURVES = ("P-256", "P-384", "P-521")
MAX_URIS = 20
MAX_CONTACTS = 10
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_PHONE = re.compile(r"^[0-9+() .-]{3,40}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")

AGENCY_FIELDS = ("slug", "name", "logo_uri", "help_text", "contacts")
APP_FIELDS = (
    "client_id", "name", "agency", "redirect_uris", "post_logout_redirect_uris", "public",
    "jwks", "jwks_uri", "id_token_alg", "default_ial", "max_ial", "default_aal", "scopes",
    "failure_uri", "backchannel_logout_uri", "active",
)  # fmt: skip


class SpecError(ValueError):
    """An agency or app that cannot be saved; ``problems`` lists every reason, each
    starting with the field it is about."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def http_allowed(settings: Settings) -> bool:
    """``http`` URIs are accepted only in development (and the test suite's mode)."""
    return settings.development or settings.testing


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str = ""
    role: str = ""


@dataclass(frozen=True)
class AgencySpec:
    slug: str
    name: str
    logo_uri: str | None = None
    help_text: str = ""
    contacts: tuple[Contact, ...] = ()

    def values(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "logo_uri": self.logo_uri,
            "help_text": self.help_text,
            "contacts": [contact.__dict__ for contact in self.contacts],
        }


@dataclass(frozen=True)
class AppSpec:
    client_id: str
    name: str
    agency: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    public: bool = False
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    id_token_alg: str = "RS256"  # noqa: S105 - an algorithm's name
    default_ial: int = 1
    max_ial: int = 1
    default_aal: str = "default"
    scopes: tuple[str, ...] = ("openid", "email")
    failure_uri: str | None = None
    backchannel_logout_uri: str | None = None
    active: bool = True

    def values(self) -> dict[str, Any]:
        """The app as a row of the ``agencies`` table."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "organization": self.agency or None,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "token_endpoint_auth_method": "none" if self.public else "private_key_jwt",
            "jwks": self.jwks,
            "jwks_uri": self.jwks_uri,
            "id_token_signed_response_alg": self.id_token_alg,
            "default_ial": self.default_ial,
            "max_ial": self.max_ial,
            "allowed_scopes": list(self.scopes),
            "default_aal": self.default_aal,
            "failure_uri": self.failure_uri,
            "backchannel_logout_uri": self.backchannel_logout_uri,
            "active": self.active,
        }


def app_spec_from_row(row: Mapping[str, Any]) -> AppSpec:
    """The spec of a stored app (for the console's form)."""
    return AppSpec(
        client_id=row["client_id"],
        name=row["name"],
        agency=row["organization"] or "",
        redirect_uris=tuple(row["redirect_uris"]),
        post_logout_redirect_uris=tuple(row["post_logout_redirect_uris"]),
        public=row["token_endpoint_auth_method"] == "none",  # noqa: S105 - a method name
        jwks=row["jwks"],
        jwks_uri=row["jwks_uri"],
        id_token_alg=row["id_token_signed_response_alg"],
        default_ial=row["default_ial"],
        max_ial=row["max_ial"],
        default_aal=row["default_aal"],
        scopes=tuple(row["allowed_scopes"]),
        failure_uri=row["failure_uri"],
        backchannel_logout_uri=row["backchannel_logout_uri"],
        active=row["active"],
    )


# Parsing and validation


class _Checker:
    """Collects every problem of one spec, each prefixed with its field."""

    def __init__(self, data: Mapping[str, Any], allowed: tuple[str, ...], allow_http: bool):
        self.data = data
        self.allow_http = allow_http
        self.problems: list[str] = []
        if not isinstance(data, Mapping):
            self.problems.append("expected a mapping of settings")
            self.data = {}
            return
        unknown = sorted(str(key) for key in data if key not in allowed)
        if unknown:
            self.problems.append(f"{', '.join(unknown)}: unknown setting(s)")

    def fail(self, name: str, message: str) -> None:
        self.problems.append(f"{name}: {message}")

    def text(self, name: str, required: bool = True, max_length: int = 200) -> str:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "is required")
            return ""
        if not isinstance(value, str):
            self.fail(name, "must be text")
            return ""
        value = value.strip()
        if len(value) > max_length:
            self.fail(name, f"must be at most {max_length} characters")
        elif any(ord(char) < 32 and char not in "\n\r\t" for char in value):
            self.fail(name, "must not contain control characters")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self.fail(name, "must be true or false")
            return default
        return value

    def choice(self, name: str, choices: tuple[Any, ...], default: Any) -> Any:
        value = self.data.get(name, default)
        if isinstance(value, bool) or value not in choices:
            self.fail(name, f"must be one of {', '.join(str(c) for c in choices)}")
            return default
        return value

    def uri(self, name: str, value: Any) -> str | None:
        problem = uri_problem(value, self.allow_http)
        if problem:
            self.fail(name, problem)
            return None
        return str(value)

    def optional_uri(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        return self.uri(name, value)

    def uri_list(self, name: str, required: bool) -> tuple[str, ...]:
        values = self.data.get(name, [])
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list):
            self.fail(name, "must be a list of URIs")
            return ()
        if required and not values:
            self.fail(name, "at least one URI is required")
        if len(values) > MAX_URIS:
            self.fail(name, f"at most {MAX_URIS} URIs")
        texts = [value for value in values if isinstance(value, str)]
        if len(set(texts)) != len(texts):
            self.fail(name, "lists a URI twice")
        return tuple(uri for value in values if (uri := self.uri(name, value)) is not None)


def uri_problem(value: Any, allow_http: bool) -> str | None:
    """Why ``value`` is not an acceptable absolute URI, or None when it is."""
    if not isinstance(value, str) or not value:
        return "a URI is required"
    shown = value if len(value) <= 80 else value[:77] + "..."
    if len(value) > 2000:
        return f"{shown!r} is longer than 2000 characters"
    if any(char.isspace() or ord(char) < 32 for char in value):
        return f"{shown!r} is malformed: it contains spaces or control characters"
    if "*" in value:
        return f"{shown!r} has a wildcard; register each URI exactly"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return f"{shown!r} is malformed"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{shown!r} is malformed: an absolute https URI is needed"
    if parts.scheme == "http" and not allow_http:
        return f"{shown!r} uses http; only https is accepted outside development"
    if "@" in parts.netloc:
        return f"{shown!r} must not hold a user name or password"
    if parts.fragment or value.endswith("#"):
        return f"{shown!r} must not have a fragment"
    return None


def parse_agency(data: Mapping[str, Any], allow_http: bool) -> AgencySpec:
    """An agency from plain data (``slug``, ``name``, ``logo_uri``, ``help_text``,
    ``contacts``: a list of ``name``, ``email``, ``phone``, ``role``)."""
    check = _Checker(data, (*AGENCY_FIELDS, "apps"), allow_http)
    slug = check.text("slug", max_length=63)
    if slug and not SLUG.match(slug):
        check.fail("slug", "use 2 to 63 lower-case letters, digits and hyphens")
    spec = AgencySpec(
        slug=slug,
        name=check.text("name"),
        logo_uri=check.optional_uri("logo_uri"),
        help_text=check.text("help_text", required=False, max_length=2000),
        contacts=_contacts(check),
    )
    if check.problems:
        raise SpecError(check.problems)
    return spec


def _contacts(check: _Checker) -> tuple[Contact, ...]:
    items = check.data.get("contacts", [])
    if not isinstance(items, list):
        check.fail("contacts", "must be a list")
        return ()
    if len(items) > MAX_CONTACTS:
        check.fail("contacts", f"at most {MAX_CONTACTS}")
    found = []
    for number, item in enumerate(items, 1):
        inner = _Checker(item, ("name", "email", "phone", "role"), check.allow_http)
        contact = Contact(
            inner.text("name"),
            inner.text("email", max_length=254),
            inner.text("phone", required=False, max_length=40),
            inner.text("role", required=False, max_length=100),
        )
        if contact.email and not _EMAIL.match(contact.email):
            inner.fail("email", "is not an email address")
        if contact.phone and not _PHONE.match(contact.phone):
            inner.fail("phone", "use digits, spaces and + ( ) . -")
        check.problems += [f"contact {number} {problem}" for problem in inner.problems]
        found.append(contact)
    return tuple(found)


def parse_app(data: Mapping[str, Any], allow_http: bool, agency_required: bool = True) -> AppSpec:
    """An app from plain data; see :data:`APP_FIELDS`. ``max_ial`` defaults to
    ``default_ial``, ``scopes`` to what ``max_ial`` can release. Without
    ``agency_required`` (``idp clients add``), an app that names no agency belongs to
    none until a system administrator places it."""
    check = _Checker(data, (*APP_FIELDS, "policy", "jwks_file"), allow_http)
    client_id = check.text("client_id", max_length=255)
    if client_id and any(char.isspace() for char in client_id):
        check.fail("client_id", "must not contain spaces")
    public = check.flag("public", False)
    jwks, jwks_uri = _keys(check, public)
    default_ial = check.choice("default_ial", (1, 2), 1)
    max_ial = check.choice("max_ial", (1, 2), default_ial)
    if max_ial < default_ial:
        check.fail("max_ial", "must be at least default_ial")
    spec = AppSpec(
        client_id=client_id,
        name=check.text("name"),
        agency=check.text("agency", required=agency_required, max_length=63),
        redirect_uris=check.uri_list("redirect_uris", required=True),
        post_logout_redirect_uris=check.uri_list("post_logout_redirect_uris", required=False),
        public=public,
        jwks=jwks,
        jwks_uri=jwks_uri,
        id_token_alg=check.choice("id_token_alg", ID_TOKEN_ALGS, "RS256"),
        default_ial=default_ial,
        max_ial=max_ial,
        default_aal=check.choice("default_aal", DEFAULT_AAL, "default"),
        scopes=_scopes(check, max_ial),
        failure_uri=check.optional_uri("failure_uri"),
        backchannel_logout_uri=check.optional_uri("backchannel_logout_uri"),
        active=check.flag("active", True),
    )
    if check.problems:
        raise SpecError(check.problems)
    return spec


def _keys(check: _Checker, public: bool) -> tuple[dict[str, Any] | None, str | None]:
    jwks = check.data.get("jwks")
    jwks_uri = check.data.get("jwks_uri") or None
    if public:
        if jwks is not None or jwks_uri is not None:
            check.fail("public", "a public client has no keys: it uses PKCE only")
        return None, None
    if (jwks is None) == (jwks_uri is None):
        check.fail("jwks", "give either a JWKS or a JWKS URI (or make the app public)")
        return None, None
    if jwks_uri is not None:
        return None, check.uri("jwks_uri", jwks_uri)
    for problem in jwks_problems(jwks):
        check.fail("jwks", problem)
    return jwks, None


def jwks_problems(data: Any) -> list[str]:
    """Why a JWKS an app registers is not acceptable: only public RSA keys of at least
    2048 bits and public EC keys on the NIST curves, each ``kid`` once."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list) or not data["keys"]:
        return ["a JWKS is an object with a non-empty 'keys' list"]
    if "\\u0000" in json.dumps(data):
        return ["the JWKS holds a NUL character"]
    problems = []
    kids: list[str] = []
    for number, key in enumerate(data["keys"], 1):
        if not isinstance(key, dict):
            problems.append(f"key {number} is not an object")
            continue
        name = f"key {number}" + (f" ({key['kid']})" if isinstance(key.get("kid"), str) else "")
        if isinstance(key.get("kid"), str):
            kids.append(key["kid"])
        private = [member for member in _PRIVATE_MEMBERS if member in key]
        if private:
            problems.append(f"{name} is a private key; register public keys only")
        elif key.get("kty") == "RSA":
            bits = _rsa_bits(key.get("n"))
            if bits is None:
                problems.append(f"{name} has no readable modulus")
            elif bits < MIN_RSA_BITS:
                problems.append(f"{name} is a weak {bits}-bit RSA key; use {MIN_RSA_BITS} or more")
        elif key.get("kty") == "EC":
            if key.get("crv") not in EC_CURVES:
                problems.append(f"{name} is on an unsupported curve; use {', '.join(EC_CURVES)}")
        else:
            problems.append(f"{name} is not an RSA or EC key")
    if len(set(kids)) != len(kids):
        problems.append("two keys have the same kid")
    if not problems:
        try:
            validate_jwks(data)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def _rsa_bits(modulus: Any) -> int | None:
    if not isinstance(modulus, str) or not modulus:
        return None
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except (binascii.Error, ValueError):
        return None
    return int.from_bytes(raw, "big").bit_length()


def _scopes(check: _Checker, max_ial: int) -> tuple[str, ...]:
    value = check.data.get("scopes")
    if value is None:
        return default_allowed_scopes(max_ial)
    names = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        check.fail("scopes", "must be a list of scope names")
        return default_allowed_scopes(max_ial)
    named = set(names) | {"openid"}
    unknown = sorted(named - set(SUPPORTED_SCOPES))
    if unknown:
        check.fail("scopes", f"unknown {', '.join(unknown)}; known: {', '.join(SUPPORTED_SCOPES)}")
    beyond = [s for s in SUPPORTED_SCOPES if s in named - set(default_allowed_scopes(max_ial))]
    if beyond:
        check.fail("scopes", f"{', '.join(beyond)} are released only at IAL2: set max_ial to 2")
    return tuple(scope for scope in SUPPORTED_SCOPES if scope in named)


# Saving


def save_agency(conn: Connection, spec: AgencySpec, actor: str, creating: bool = False) -> str:
    """Store an agency: ``created``, ``updated`` or ``unchanged`` (nothing written).
    With ``creating``, an agency that already exists is refused."""
    existing = repository.get_organization(conn, spec.slug)
    if existing is not None and creating:
        raise SpecError([f"slug: an agency {spec.slug!r} already exists"])
    values = spec.values()
    changed = _changed(existing, values)
    if not changed:
        return "unchanged"
    repository.upsert_organization(conn, values)
    details: dict[str, Any] = {"actor": actor, "agency": spec.slug}
    if existing is None:
        record_event(conn, "admin.agency_created", details=details)
        return "created"
    record_event(conn, "admin.agency_updated", details={**details, "changed": changed})
    return "updated"


def save_app(
    conn: Connection,
    spec: AppSpec,
    actor: str,
    creating: bool = False,
    moving_allowed: bool = True,
) -> str:
    """Store an app: ``created``, ``updated`` or ``unchanged`` (nothing written).

    With ``creating``, a client id that is already registered is refused. Without
    ``moving_allowed``, an app registered to another agency is refused too (an app
    with no agency yet may be placed). A spec whose ``agency`` is empty is stored as
    an app of no agency."""
    problems = []
    if spec.agency and repository.get_organization(conn, spec.agency) is None:
        problems.append(f"agency: there is no agency {spec.agency!r}")
    existing = repository.get_app(conn, spec.client_id)
    if existing is not None and creating:
        problems.append(f"client_id: {spec.client_id!r} is already registered")
    elif existing is not None and not moving_allowed:
        owner = existing["organization"]
        if owner is not None and owner != spec.agency:
            problems.append(f"client_id: {spec.client_id!r} belongs to agency {owner!r}")
    if problems:
        raise SpecError(problems)
    values = spec.values()
    changed = _changed(existing, values)
    if not changed:
        return "unchanged"
    repository.upsert_app(conn, values)
    details: dict[str, Any] = {"actor": actor, "agency": spec.agency or None}
    if existing is None:
        record_event(conn, "admin.app_created", client_id=spec.client_id, details=details)
        return "created"
    details["changed"] = changed
    record_event(conn, "admin.app_updated", client_id=spec.client_id, details=details)
    return "updated"


def _changed(existing: Mapping[str, Any] | None, values: Mapping[str, Any]) -> list[str]:
    """The settings that differ from what is stored (all of them for a new row)."""
    if existing is None:
        return sorted(values)
    return sorted(name for name, value in values.items() if existing.get(name) != value)
