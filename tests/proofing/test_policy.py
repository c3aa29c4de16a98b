"""The policy invariant: whatever methods are registered, allowed and available, nobody
is ever offered automated face recognition as the only way."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from idp.proofing.policy import (
    Policy,
    PolicyError,
    can_meet_biometric_requirement,
    check_invariant,
    offer,
)
from idp.proofing.registry import MethodPlugin, Registry
from idp.settings import Settings
from tests.proofing.contract import attestation, face_match, interview

SETTINGS = Settings(testing=True)
BASE = {
    "attestation": attestation.PLUGIN,
    "interview": interview.PLUGIN,
    "face_match": face_match.PLUGIN,
}


def _plugin(name: str, available: bool) -> MethodPlugin:
    plugin = BASE[name]
    return plugin if available else replace(plugin, adapters=lambda settings: None)


# Every combination of registered methods, each available or not.
CASES = [
    {name: available for name, available in zip(names, flags, strict=True)}
    for size in range(1, len(BASE) + 1)
    for names in itertools.combinations(BASE, size)
    for flags in itertools.product((True, False), repeat=size)
]


def _registry(case: dict[str, bool]) -> Registry:
    return Registry([_plugin(name, available) for name, available in case.items()], SETTINGS)


def _route_without_software(case: dict[str, bool], allowed: tuple[str, ...]) -> bool:
    return any(case[name] and name != "face_match" for name in allowed)


@pytest.mark.parametrize("case", CASES, ids=[str(sorted(c.items())) for c in CASES])
def test_the_invariant_over_every_subset(case: dict[str, bool]) -> None:
    registry = _registry(case)
    for size in range(1, len(case) + 1):
        for allowed in itertools.permutations(case, size):
            keeps_route = _route_without_software(case, allowed)
            if keeps_route:
                check_invariant(registry, allowed)
            else:
                with pytest.raises(PolicyError, match="no automated face recognition"):
                    check_invariant(registry, allowed)
            policy = Policy("app", 1, allowed)
            for wish in ("none", "preferred", "required"):
                offered = [p.name for p in offer(registry, policy, wish)]
                # Never only automated face recognition; never an unavailable method.
                assert not offered or any(n != "face_match" for n in offered)
                assert all(case[n] for n in offered)
                if wish != "required":
                    assert bool(offered) == keeps_route
                    assert set(offered) == {n for n in allowed if case[n]} if offered else True
                else:
                    assert offered == _offered_when_required(case, allowed)


def _offered_when_required(case: dict[str, bool], allowed: tuple[str, ...]) -> list[str]:
    """``bio=required``: the methods that compare faces; when software compares faces in
    all of them, the methods without face recognition beside them; else nothing."""
    available = [name for name in allowed if case[name]]
    faces = [name for name in available if name in ("face_match", "interview")]
    if "interview" in faces:
        return faces
    others = [name for name in available if name not in faces]
    return faces + others if faces and others else []


def test_bio_required_offers_a_way_without_face_recognition_beside_software() -> None:
    registry = _registry({"attestation": True, "face_match": True})
    policy = Policy("app", 1, ("attestation", "face_match"))
    assert [p.name for p in offer(registry, policy, "required")] == ["face_match", "attestation"]
    only_software = Policy("app", 1, ("face_match",))
    assert offer(registry, only_software, "required") == []


def test_preferred_changes_only_the_order() -> None:
    registry = _registry({"attestation": True, "face_match": True, "interview": True})
    policy = Policy("app", 1, ("attestation", "face_match", "interview"))
    assert [p.name for p in offer(registry, policy, "none")] == [
        "attestation",
        "face_match",
        "interview",
    ]
    assert [p.name for p in offer(registry, policy, "preferred")] == [
        "face_match",
        "interview",
        "attestation",
    ]


def test_bio_required_is_advertised_only_with_a_face_comparison_and_a_way_without_software() -> (
    None
):
    assert not can_meet_biometric_requirement(_registry({"attestation": True}))
    assert not can_meet_biometric_requirement(_registry({"face_match": True}))
    assert not can_meet_biometric_requirement(_registry({"attestation": False, "face_match": True}))
    assert can_meet_biometric_requirement(_registry({"attestation": True, "face_match": True}))
    assert can_meet_biometric_requirement(_registry({"attestation": True, "interview": True}))


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ((), "at least one"),
        (("attestation", "attestation"), "once"),
        (("selfie",), "unknown"),
        (("face_match",), "no automated face recognition"),
    ],
)
def test_bad_policies_are_refused_with_a_reason(methods: tuple[str, ...], message: str) -> None:
    registry = _registry({"attestation": True, "face_match": True})
    with pytest.raises(PolicyError, match=message):
        check_invariant(registry, methods)
