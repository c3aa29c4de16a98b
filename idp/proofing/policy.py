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

``bio=preferred`` only moves methods that compare faces to the front. ``bio=required``
keeps only methods that compare faces (by software or by a person), and the invariant
still applies to what is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from idp.db import Connection
from idp.events import record_event
from idp.proofing import repository
from idp.proofing.registry import MethodPlugin, Registry


class PolicyError(ValueError):
    """A policy that cannot be saved; the message says why, for the operator."""


@dataclass(frozen=True)
class Policy:
    """The methods an app allows, in order, and the version that says so (0: no
    policy was ever set, so every registered method)."""

    client_id: str | None
    version: int
    methods: tuple[str, ...]


def current_policy(conn: Connection, registry: Registry, client_id: str | None) -> Policy:
    row = repository.get_policy(conn, client_id) if client_id else None
    if row is None:
        return Policy(client_id, 0, tuple(registry.names()))
    return Policy(client_id, int(row["version"]), tuple(row["methods"]))


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
        raise PolicyError(
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


def save_policy(
    conn: Connection, registry: Registry, client_id: str, methods: list[str], actor: str
) -> Policy:
    """Store a new version of an app's policy after checking the invariant."""
    check_invariant(registry, methods)
    if not repository.agency_exists(conn, client_id):
        raise PolicyError(f"no agency app has client id {client_id!r}")
    version = repository.add_policy_version(conn, client_id, methods, actor)
    record_event(
        conn,
        "proofing.policy_changed",
        client_id=client_id,
        details={"version": version, "methods": methods, "actor": actor},
    )
    return Policy(client_id, version, tuple(methods))


def offer(registry: Registry, policy: Policy, biometric: str) -> list[MethodPlugin]:
    """The methods to offer, in order, for an agency's biometric wish; empty when the
    invariant cannot be kept (or ``bio=required`` cannot be met)."""
    plugins = [
        plugin
        for name in policy.methods
        if (plugin := registry.get(name)) is not None and registry.is_available(name)
    ]
    if biometric == "required":
        plugins = [p for p in plugins if p.declaration.compares_faces]
    elif biometric == "preferred":
        plugins.sort(key=lambda p: not p.declaration.compares_faces)
    if not any(not p.declaration.automated_biometrics for p in plugins):
        return []
    return plugins


def can_meet_biometric_requirement(registry: Registry) -> bool:
    """Whether any app could be offered a method that compares faces while keeping the
    invariant: discovery advertises ``bio=required`` only then."""
    everything = Policy(None, 0, tuple(registry.names()))
    return bool(offer(registry, everything, "required"))
