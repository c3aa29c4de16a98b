"""Which proofing methods an agency app accepts, and the invariant that keeps a route
without automated face recognition open to everyone.

A policy is an ordered list of method names per app (client id), versioned: every
change is a new version, written to the event log with who made it. An app with no
policy accepts every registered method, in the registry's order.

**The invariant**: at least one allowed method that is available now uses no automated
biometrics. It is enforced twice:

- when a policy is saved (:func:`save_policy` refuses one that breaks it, with an
  explanation);
- when methods are offered (:func:`offer`): if the methods left to offer are all
  biometric, none is offered, and the person is told honestly that we cannot verify
  them online right now.

Beyond its methods, a policy says whether the app needs a face comparison
(``face_comparison``: the stricter of it and the request's ``bio`` wish applies), how
recent a verification must be, and whether a person whose method failed may go on with
another. **The guarantee** (:func:`check_rules`): a policy that leaves automated face
recognition as the only way to the app's level is refused; when a face comparison is
required, that means an allowed method in which a person compares the face (the
live-agent method) must be available. Only a system administrator may save such a
policy anyway, with a written justification that is logged and shown on the oversight
page; offering then follows the policy as saved.

``bio=preferred`` only moves methods that compare faces to the front. ``bio=required``
offers the methods that compare faces (by software or by a person), first. When all of
those use automated face recognition, the invariant keeps the allowed methods without it
beside them: the person may decline, and is then verified without a face comparison,
which the agency is told (its ``acr`` names no face comparison). With no method that
compares faces, ``bio=required`` cannot be met and nothing is offered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from idp.db import Connection
from idp.events import record_event
from idp.proofing import policy_repository, repository
from idp.proofing.registry import MethodPlugin, Registry


class PolicyError(ValueError):
    """A policy that cannot be saved; the message says why, for the operator."""


class GuaranteeError(PolicyError):
    """A policy that leaves automated face recognition as the only way to the app's
    level. Only a system administrator may save one, with a written justification
    (:func:`save_rules`'s ``override``)."""


FACE_COMPARISON = ("none", "preferred", "required")
MIN_JUSTIFICATION = 20


@dataclass(frozen=True)
class Policy:
    """The methods an app allows, in order, and the version that says so (0: no
    policy was ever set, so every registered method)."""

    client_id: str | None
    version: int
    methods: tuple[str, ...]
    face_comparison: str = "none"
    """``required``: only a method that compares a face reaches the app's level;
    ``preferred``: those are offered first. The stricter of this and the request's
    ``bio`` wish applies."""
    max_verification_days: int | None = None
    """A verification older than this many days does not count for the app (None: any)."""
    switch_after_failure: bool = True
    """Whether a person whose method failed may go on with another one."""
    override_justification: str | None = None
    """Set when a system administrator saved the policy although it breaks the
    guarantee: their written reason. Shown on the oversight page."""

    def rules(self) -> Rules:
        return Rules(
            self.methods,
            self.face_comparison,
            self.max_verification_days,
            self.switch_after_failure,
        )


@dataclass(frozen=True)
class Rules:
    """What an administrator sets for an app: the methods in order and the rules."""

    methods: tuple[str, ...]
    face_comparison: str = "none"
    max_verification_days: int | None = None
    switch_after_failure: bool = True


def current_policy(conn: Connection, registry: Registry, client_id: str | None) -> Policy:
    row = policy_repository.get_current(conn, client_id) if client_id else None
    if row is None:
        return Policy(client_id, 0, tuple(registry.names()))
    return Policy(
        client_id,
        int(row["version"]),
        tuple(row["methods"]),
        row["face_comparison"],
        row["max_verification_days"],
        bool(row["switch_after_failure"]),
        row["override_justification"],
    )


def check_invariant(registry: Registry, methods: Iterable[str]) -> None:
    """Raise :class:`PolicyError` unless ``methods`` are known, listed once each, and
    include a method that is available now and uses no automated biometrics."""
    names = list(methods)
    if not names:
        raise PolicyError("a policy must allow at least one method")
    if len(set(names)) != len(names):
        raise PolicyError("list each method once")
    unknown = [name for name in names if registry.get(name) is None]
    if unknown:
        known = ", ".join(registry.names())
        raise PolicyError(f"unknown proofing method(s): {', '.join(unknown)} (known: {known})")
    if not any(_keeps_route_open(registry, name) for name in names):
        raise GuaranteeError(
            "at least one allowed method must be available now and use no automated "
            "face recognition, so that nobody is forced into it; add one such as "
            + ", ".join(n for n in registry.names() if _keeps_route_open(registry, n))
        )


def _keeps_route_open(registry: Registry, name: str) -> bool:
    declaration = registry.declaration(name)
    return (
        declaration is not None
        and registry.is_available(name)
        and not declaration.automated_biometrics
    )


def check_rules(registry: Registry, rules: Rules) -> None:
    """Raise :class:`PolicyError` for rules that cannot be saved, or
    :class:`GuaranteeError` for rules that leave no route to the app's level without
    automated face recognition: the invariant, and, when a face comparison is required,
    an allowed method that is available now in which a person (not software) compares
    the face, such as the live-agent method."""
    if rules.face_comparison not in FACE_COMPARISON:
        raise PolicyError(f"face comparison must be one of {', '.join(FACE_COMPARISON)}")
    days = rules.max_verification_days
    if days is not None and not 1 <= days <= 3650:
        raise PolicyError("a verification's age limit must be 1 to 3650 days, or none")
    check_invariant(registry, rules.methods)
    if rules.face_comparison != "required":
        return
    if not any(_compares_faces_in_person(registry, name) for name in rules.methods):
        by_person = [n for n in registry.names() if _compares_faces_in_person(registry, n)]
        raise GuaranteeError(
            "a face comparison is required, but among the allowed methods only automated "
            "face recognition compares a face, so it would be the only way to this app's "
            "level; "
            + (
                "allow a method in which a person compares the face: " + ", ".join(by_person)
                if by_person
                else "no method in which a person compares the face is available now, "
                "so require no face comparison (or prefer one)"
            )
        )


def _compares_faces_in_person(registry: Registry, name: str) -> bool:
    declaration = registry.declaration(name)
    return (
        declaration is not None
        and registry.is_available(name)
        and declaration.compares_faces
        and not declaration.automated_biometrics
    )


def save_rules(
    conn: Connection,
    registry: Registry,
    client_id: str,
    rules: Rules,
    actor: str,
    override: str | None = None,
) -> Policy:
    """Store a new version of an app's policy after :func:`check_rules`.

    ``override`` is a written justification for rules that break the guarantee: only a
    system administrator may give one (the caller checks the role), it must say why in
    at least :data:`MIN_JUSTIFICATION` characters, and it is written to the event log
    (``proofing.policy_override``) and kept with the version. It has no effect on other
    refusals (unknown methods, an empty list)."""
    override = (override or "").strip() or None
    try:
        check_rules(registry, rules)
        override = None
    except GuaranteeError:
        if override is None:
            raise
        if len(override) < MIN_JUSTIFICATION:
            raise PolicyError(
                f"an override needs a written justification of at least {MIN_JUSTIFICATION} "
                "characters"
            ) from None
    if not repository.agency_exists(conn, client_id):
        raise PolicyError(f"no agency app has client id {client_id!r}")
    values = {
        "methods": list(rules.methods),
        "face_comparison": rules.face_comparison,
        "max_verification_days": rules.max_verification_days,
        "switch_after_failure": rules.switch_after_failure,
        "override_justification": override,
    }
    version = policy_repository.add_version(conn, client_id, values, actor)
    details = {"version": version, "actor": actor, **values}
    del details["override_justification"]
    record_event(conn, "proofing.policy_changed", client_id=client_id, details=details)
    if override is not None:
        record_event(
            conn,
            "proofing.policy_override",
            client_id=client_id,
            details={"version": version, "actor": actor, "justification": override},
        )
    return Policy(client_id, version, *_values(rules), override)


def _values(rules: Rules) -> tuple[tuple[str, ...], str, int | None, bool]:
    return (
        tuple(rules.methods),
        rules.face_comparison,
        rules.max_verification_days,
        rules.switch_after_failure,
    )


def save_policy(
    conn: Connection, registry: Registry, client_id: str, methods: list[str], actor: str
) -> Policy:
    """Store a new version of an app's policy with these methods, keeping its other
    rules, after checking the invariant."""
    current = current_policy(conn, registry, client_id)
    rules = replace(current.rules(), methods=tuple(methods))
    return save_rules(conn, registry, client_id, rules, actor)


def offer(registry: Registry, policy: Policy, biometric: str) -> list[MethodPlugin]:
    """The methods to offer, in order, for an agency's biometric wish; empty when the
    invariant cannot be kept (or ``bio=required`` cannot be met)."""
    plugins = [
        plugin
        for name in policy.methods
        if (plugin := registry.get(name)) is not None and registry.is_available(name)
    ]
    biometric = max(biometric, policy.face_comparison, key=_strictness)
    if biometric == "required":
        plugins = _faces_first_and_a_way_without(plugins)
    elif biometric == "preferred":
        plugins.sort(key=lambda p: not p.declaration.compares_faces)
    if not any(not p.declaration.automated_biometrics for p in plugins):
        # Unless a system administrator overrode the guarantee, in writing.
        return plugins if policy.override_justification else []
    return plugins


def _strictness(wish: str) -> int:
    return FACE_COMPARISON.index(wish) if wish in FACE_COMPARISON else 0


def _faces_first_and_a_way_without(plugins: list[MethodPlugin]) -> list[MethodPlugin]:
    """For ``bio=required``: the methods that compare faces; if software compares faces
    in all of them, followed by the methods without face recognition (the invariant's
    route), so that nobody is made to use it."""
    faces = [p for p in plugins if p.declaration.compares_faces]
    if not faces or any(not p.declaration.automated_biometrics for p in faces):
        return faces
    return faces + [p for p in plugins if not p.declaration.compares_faces]


def can_meet_biometric_requirement(registry: Registry) -> bool:
    """Whether any app could be offered a method that compares faces while keeping the
    invariant (a method without automated face recognition is available beside it):
    discovery advertises ``bio=required`` only then."""
    everything = Policy(None, 0, tuple(registry.names()))
    return bool(offer(registry, everything, "required"))
