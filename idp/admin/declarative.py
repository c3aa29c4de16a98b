"""The declarative agency file, applied by ``idp agencies apply FILE``.

The file lists agencies, each with its apps, and optionally each app's proofing
policy (``config/agencies.yml`` is an example)::

    agencies:
      - slug: demo-benefits
        name: Department of Demonstration Benefits
        logo_uri: https://benefits.example.gov/logo.svg
        help_text: Questions about your benefits? Call 1-800-555-0100.
        contacts:
          - {name: Service desk, email: desk@benefits.example.gov, role: support}
        apps:
          - client_id: urn:gov:demo:benefits-portal
            name: Benefits portal
            redirect_uris: [https://benefits.example.gov/callback]
            jwks_file: keys/benefits-portal.json   # or jwks: {...}, jwks_uri, public: true
            max_ial: 2
            policy:
              methods: [document, agent]
              face_comparison: none            # none, preferred or required
              max_verification_days: 365
              switch_after_failure: true

Applying is all or nothing: every agency, app and policy is checked first
(:func:`load_plan`), then everything is written in the caller's one transaction
(:func:`apply_plan`), which a refusal rolls back. Applying the same file twice changes
nothing the second time. Agencies and apps that the file does not name are left alone.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from idp.admin.agencies import (
    AgencySpec,
    AppSpec,
    SpecError,
    parse_agency,
    parse_app,
    save_agency,
    save_app,
)
from idp.db import Connection
from idp.proofing.policy import PolicyError, Rules, check_rules, current_policy, save_rules
from idp.proofing.registry import Registry

MAX_FILE_BYTES = 1024 * 1024
POLICY_FIELDS = ("methods", "face_comparison", "max_verification_days", "switch_after_failure")


class FileError(ValueError):
    """The file cannot be applied; ``problems`` says where and why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Plan:
    """What a file declares, checked: agencies, apps, and the apps' policies."""

    agencies: list[AgencySpec] = field(default_factory=list)
    apps: list[AppSpec] = field(default_factory=list)
    policies: dict[str, Rules] = field(default_factory=dict)


def read_file(path: Path) -> Any:
    """The file's YAML, or :class:`FileError` saying why it cannot be read."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FileError([f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB"])
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileError([f"{path}: cannot be read ({exc.strerror})"]) from None
    except UnicodeDecodeError:
        raise FileError([f"{path}: is not UTF-8 text"]) from None
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise FileError([f"{path}: nested too deeply"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise FileError([f"{path}: {problem}{where}"]) from None


def load_plan(path: Path, registry: Registry, allow_http: bool) -> Plan:
    """Read and check the whole file; raise :class:`FileError` listing every problem."""
    return build_plan(read_file(path), path.parent, registry, allow_http)


def build_plan(document: Any, folder: Path, registry: Registry, allow_http: bool) -> Plan:
    """Check a parsed file (``folder`` is where ``jwks_file`` paths start)."""
    if not isinstance(document, Mapping) or set(document) != {"agencies"}:
        raise FileError(["the file must hold one key, 'agencies', with a list of agencies"])
    agencies = document["agencies"]
    if not isinstance(agencies, list):
        raise FileError(["agencies: must be a list"])
    plan, problems = Plan(), []
    for number, item in enumerate(agencies, 1):
        label = f"agency {number}"
        if isinstance(item, Mapping) and isinstance(item.get("slug"), str):
            label = f"agency {item['slug']}"
        try:
            plan.agencies.append(parse_agency(item, allow_http))
        except SpecError as exc:
            problems += [f"{label}: {problem}" for problem in exc.problems]
        apps = item.get("apps", []) if isinstance(item, Mapping) else []
        if not isinstance(apps, list):
            problems.append(f"{label}: apps: must be a list")
            continue
        slug = item.get("slug") if isinstance(item, Mapping) else None
        for position, app in enumerate(apps, 1):
            problems += _plan_app(plan, app, slug, folder, registry, allow_http, label, position)
    problems += _duplicates([a.slug for a in plan.agencies], "agency", "slug")
    problems += _duplicates([a.client_id for a in plan.apps], "app", "client_id")
    if problems:
        raise FileError(problems)
    return plan


def _plan_app(
    plan: Plan,
    data: Any,
    slug: Any,
    folder: Path,
    registry: Registry,
    allow_http: bool,
    agency_label: str,
    position: int,
) -> list[str]:
    label = f"{agency_label}, app {position}"
    if not isinstance(data, Mapping):
        return [f"{label}: expected a mapping of settings"]
    if isinstance(data.get("client_id"), str):
        label = f"{agency_label}, app {data['client_id']}"
    if "agency" in data:
        return [f"{label}: agency: an app belongs to the agency it is listed under"]
    values: dict[str, Any] = {**data, "agency": slug}
    problems = []
    policy = values.pop("policy", None)
    jwks_file = values.pop("jwks_file", None)
    if jwks_file is not None:
        if "jwks" in values:
            problems.append(f"{label}: jwks_file: give jwks or jwks_file, not both")
        else:
            try:
                values["jwks"] = _read_jwks(folder, jwks_file)
            except FileError as exc:
                problems += [f"{label}: jwks_file: {problem}" for problem in exc.problems]
    try:
        spec = parse_app(values, allow_http)
    except SpecError as exc:
        return problems + [f"{label}: {problem}" for problem in exc.problems]
    plan.apps.append(spec)
    if policy is not None:
        try:
            plan.policies[spec.client_id] = parse_rules(policy, registry)
        except PolicyError as exc:
            problems.append(f"{label}: policy: {exc}")
    return problems


def _read_jwks(folder: Path, name: Any) -> Any:
    if not isinstance(name, str) or not name:
        raise FileError(["must be a file name"])
    path = folder / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FileError([f"{name} cannot be read ({exc.strerror})"]) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise FileError([f"{name} is not JSON"]) from None


def parse_rules(data: Any, registry: Registry) -> Rules:
    """A policy from plain data, checked against the guarantee (a file cannot override
    it: that takes a system administrator's written justification, in the console)."""
    if not isinstance(data, Mapping):
        raise PolicyError("expected a mapping with 'methods' and the rules")
    unknown = sorted(str(key) for key in data if key not in POLICY_FIELDS)
    if unknown:
        raise PolicyError(f"{', '.join(unknown)}: unknown setting(s)")
    methods = data.get("methods")
    if not isinstance(methods, list) or not all(isinstance(name, str) for name in methods):
        raise PolicyError("methods: must be a list of method names")
    days = data.get("max_verification_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int)):
        raise PolicyError("max_verification_days: must be a whole number of days, or null")
    switch = data.get("switch_after_failure", True)
    if not isinstance(switch, bool):
        raise PolicyError("switch_after_failure: must be true or false")
    rules = Rules(tuple(methods), str(data.get("face_comparison", "none")), days, switch)
    check_rules(registry, rules)
    return rules


def _duplicates(names: list[str], what: str, key: str) -> list[str]:
    twice = sorted(name for name, count in Counter(names).items() if count > 1)
    return [f"{what} {name}: {key} is listed twice" for name in twice]


def apply_plan(conn: Connection, registry: Registry, plan: Plan, actor: str) -> list[str]:
    """Write the plan in the caller's transaction; return one line per change (none
    when everything already matched). Raises :class:`FileError` when the database
    refuses something (an app registered to another agency), so the caller's
    transaction rolls back and nothing changes."""
    changes, problems = [], []
    for agency in plan.agencies:
        outcome = save_agency(conn, agency, actor)
        if outcome != "unchanged":
            changes.append(f"agency {agency.slug}: {outcome}")
    for app in plan.apps:
        try:
            outcome = save_app(conn, app, actor, moving_allowed=False)
        except SpecError as exc:
            problems += [f"app {app.client_id}: {problem}" for problem in exc.problems]
            continue
        if outcome != "unchanged":
            changes.append(f"app {app.client_id}: {outcome}")
    if problems:
        raise FileError(problems)
    for client_id, rules in plan.policies.items():
        current = current_policy(conn, registry, client_id)
        if current.version and current.rules() == rules and not current.override_justification:
            continue
        saved = save_rules(conn, registry, client_id, rules, actor)
        changes.append(f"app {client_id}: policy version {saved.version}")
    return changes
