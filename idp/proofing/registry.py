"""The proofing methods this provider offers, by name.

Adding a method: write its module (see :mod:`idp.proofing.base`), add one line to
``METHODS``, add its templates under ``templates/proofing/<name>/`` (one per step) and
its tests. Nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from idp.proofing import document_only
from idp.proofing.base import ProofingMethod
from idp.proofing.ports import MethodPorts


class MethodClass(Protocol):
    """A method's class: its declarations, readable before it is built, and its
    constructor, which takes the ports."""

    name: str
    title: str
    ial: int
    uses_biometrics: bool
    evidence: tuple[str, ...]
    check_methods: tuple[str, ...]

    def __call__(self, ports: MethodPorts) -> ProofingMethod: ...


@dataclass(frozen=True)
class MethodEntry:
    """A registered method. ``describe`` turns its state into what its templates may
    show (for example the address a letter went to)."""

    method: MethodClass
    describe: Callable[[Mapping[str, Any]], dict[str, Any]]

    @property
    def name(self) -> str:
        return self.method.name

    def build(self, ports: MethodPorts) -> ProofingMethod:
        return self.method(ports)


METHODS: dict[str, MethodEntry] = {
    entry.name: entry
    for entry in (MethodEntry(document_only.DocumentOnlyMethod, document_only.describe),)
}


def get_method(name: str) -> MethodEntry | None:
    return METHODS.get(name)


def method_names() -> list[str]:
    return list(METHODS)
