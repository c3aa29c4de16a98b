"""The console's forms, read into the plain data the services parse (the same shape as
the declarative file), so that a form and a file are checked by the same code."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.datastructures import MultiDict

from idp.admin.agencies import AgencySpec, AppSpec
from idp.oidc.models import SUPPORTED_SCOPES
from idp.proofing.policy import Policy, Rules

MAX_CONTACT_ROWS = 3


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def agency_data(form: MultiDict[str, str], slug: str | None = None) -> dict[str, Any]:
    contacts = []
    for number in range(1, MAX_CONTACT_ROWS + 1):
        row = {
            name: form.get(f"contact{number}_{name}", "").strip()
            for name in ("name", "email", "phone", "role")
        }
        if any(row.values()):
            contacts.append({name: value for name, value in row.items() if value})
    return {
        "slug": slug if slug is not None else form.get("slug", "").strip(),
        "name": form.get("name", ""),
        "logo_uri": form.get("logo_uri", "").strip() or None,
        "help_text": form.get("help_text", ""),
        "contacts": contacts,
    }


def agency_form(spec: AgencySpec | None) -> dict[str, str]:
    """A stored agency as form values."""
    if spec is None:
        return {}
    values = {
        "slug": spec.slug,
        "name": spec.name,
        "logo_uri": spec.logo_uri or "",
        "help_text": spec.help_text,
    }
    for number, contact in enumerate(spec.contacts, 1):
        for name, value in contact.__dict__.items():
            values[f"contact{number}_{name}"] = value
    return values


class FormError(ValueError):
    """A form field that cannot even be read (``jwks`` that is not JSON)."""


def app_data(form: MultiDict[str, str], client_id: str | None = None) -> dict[str, Any]:
    keys = form.get("key_source", "jwks")
    data: dict[str, Any] = {
        "client_id": client_id if client_id is not None else form.get("client_id", "").strip(),
        "name": form.get("name", ""),
        "agency": form.get("agency", ""),
        "redirect_uris": _lines(form.get("redirect_uris")),
        "post_logout_redirect_uris": _lines(form.get("post_logout_redirect_uris")),
        "public": keys == "public",
        "id_token_alg": form.get("id_token_alg", "RS256"),
        "default_ial": _number(form.get("default_ial")),
        "max_ial": _number(form.get("max_ial")),
        "default_aal": form.get("default_aal", "default"),
        "scopes": [scope for scope in form.getlist("scopes") if scope],
        "failure_uri": form.get("failure_uri", "").strip() or None,
        "backchannel_logout_uri": form.get("backchannel_logout_uri", "").strip() or None,
        "active": form.get("active") == "yes",
    }
    if keys == "jwks_uri":
        data["jwks_uri"] = form.get("jwks_uri", "").strip()
    elif keys == "jwks":
        text = form.get("jwks", "").strip()
        try:
            data["jwks"] = json.loads(text) if text else None
        except (ValueError, RecursionError):
            raise FormError("jwks: the key set is not JSON") from None
    return data


def _number(value: str | None) -> int | str:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 4 else text


def app_form(spec: AppSpec | None) -> dict[str, Any]:
    """A stored app as form values (a new app: the defaults)."""
    if spec is None:
        return {
            "key_source": "jwks",
            "active": True,
            "scopes": ["openid", "email"],
            "default_ial": 1,
        }
    return {
        "client_id": spec.client_id,
        "name": spec.name,
        "agency": spec.agency,
        "redirect_uris": "\n".join(spec.redirect_uris),
        "post_logout_redirect_uris": "\n".join(spec.post_logout_redirect_uris),
        "key_source": "public" if spec.public else ("jwks_uri" if spec.jwks_uri else "jwks"),
        "jwks": json.dumps(spec.jwks, indent=2) if spec.jwks else "",
        "jwks_uri": spec.jwks_uri or "",
        "id_token_alg": spec.id_token_alg,
        "default_ial": spec.default_ial,
        "max_ial": spec.max_ial,
        "default_aal": spec.default_aal,
        "scopes": list(spec.scopes),
        "failure_uri": spec.failure_uri or "",
        "backchannel_logout_uri": spec.backchannel_logout_uri or "",
        "active": spec.active,
    }


def submitted_app_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """What was posted, to show again beside the problems."""
    values: dict[str, Any] = dict(form.items())
    values["scopes"] = form.getlist("scopes")
    values["active"] = form.get("active") == "yes"
    return values


def policy_rules(form: MultiDict[str, str], known: list[str]) -> Rules:
    """Rules from the policy form: the ticked methods in the order given (then the
    registry's), the face comparison, the age limit (blank: any) and switching."""
    chosen = [name for name in known if name in form.getlist("methods")]

    def position(name: str) -> tuple[int, int]:
        text = form.get(f"order_{name}", "").strip()
        return (int(text) if text.isdigit() and len(text) < 4 else 999, known.index(name))

    chosen.sort(key=position)
    days_text = form.get("max_verification_days", "").strip()
    days: int | None = None
    if days_text:
        days = int(days_text) if days_text.isdigit() and len(days_text) < 6 else -1
    return Rules(
        tuple(chosen),
        form.get("face_comparison", "none"),
        days,
        form.get("switch_after_failure") == "yes",
    )


def policy_form(policy: Policy | Rules) -> dict[str, Any]:
    return {
        "methods": list(policy.methods),
        "order": {name: index for index, name in enumerate(policy.methods, 1)},
        "face_comparison": policy.face_comparison,
        "max_verification_days": policy.max_verification_days or "",
        "switch_after_failure": policy.switch_after_failure,
    }


SCOPES = SUPPORTED_SCOPES
