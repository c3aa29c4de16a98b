"""Verified claims an agency receives, limited to the scopes the person agreed to.

Attributes come from the person's verified identity; the ``verified_claims`` element
follows OpenID Connect for Identity Assurance 1.0 (trust framework ``nist_800_63A``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

VERIFIED_SCOPES = ("profile", "address", "phone", "birthdate")


def release(
    scopes: Iterable[str], identity: dict[str, Any], verification: dict[str, Any] | None
) -> dict[str, Any]:
    """The claims to hand over for ``scopes`` from a verified ``identity``."""
    wanted = set(scopes)
    claims: dict[str, Any] = {}
    if "profile" in wanted:
        claims["given_name"] = identity["given_name"]
        claims["family_name"] = identity["family_name"]
        if identity.get("middle_name"):
            claims["middle_name"] = identity["middle_name"]
    if "birthdate" in wanted:
        claims["birthdate"] = identity["birthdate"]
    if "address" in wanted and identity.get("address"):
        claims["address"] = _address(identity["address"])
    if "phone" in wanted and identity.get("phone_number"):
        claims["phone_number"] = identity["phone_number"]
    released: dict[str, Any] = dict(claims)
    if verification is not None:
        released["verified_claims"] = {"verification": verification, "claims": dict(claims)}
    return released


def _address(address: dict[str, Any]) -> dict[str, str]:
    street = "\n".join(line for line in address.get("street_lines", []) if line)
    return {
        "formatted": ", ".join(
            part
            for part in (
                street.replace("\n", ", "),
                address.get("city"),
                f"{address.get('state', '')} {address.get('postal_code', '')}".strip(),
            )
            if part
        ),
        "street_address": street,
        "locality": address.get("city", ""),
        "region": address.get("state", ""),
        "postal_code": address.get("postal_code", ""),
        "country": address.get("country", "US"),
    }
