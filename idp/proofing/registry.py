"""The proofing methods this provider runs, loaded from settings.

A method is a module that exposes ``PLUGIN``, a :class:`MethodPlugin`. The setting
``proofing_methods`` lists the modules, in the order they are offered when a policy
says nothing else. Adding a method means writing its module (its declaration, its
adapters, its templates in its own blueprint's template folder) and naming it there;
nothing else changes::

    PLUGIN = MethodPlugin(
        declaration=Declaration(name="caseworker", ...),
        adapters=lambda settings: CaseworkerAdapters(...) or None,   # None: unavailable
        build=lambda adapters, unit: CaseworkerMethod(adapters, unit),
        blueprint=Blueprint("proofing_caseworker", __name__, template_folder="templates"),
    )

Templates live at ``proofing/<name>/`` in that folder: ``overview.html`` (the method's
card on the choice page, and its own explanation), one page per step
(``<step>.html``) and ``_reasons.html`` (its reason codes in words, as ``TEXT``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint

from idp.db import Connection, Database
from idp.proofing.protocol import Declaration, ProofingMethod, State
from idp.sealing import MasterKey
from idp.settings import Settings


@dataclass(frozen=True)
class Unit:
    """What a method is built with for one call: the service's transaction (ports use
    it and never commit), the account being verified and the keys."""

    conn: Connection
    database: Database
    master_key: MasterKey
    account_id: str


def _nothing(state: State) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class MethodPlugin:
    """A method as the registry knows it.

    ``adapters(settings)`` chooses the method's real or fake adapters at start-up, or
    returns None when the method cannot run (it is then not available). ``build`` makes
    the method for one call. ``describe`` turns its state into what its pages may show.
    ``blueprint`` carries its templates and any pages of its own.
    """

    declaration: Declaration
    adapters: Callable[[Settings], Any | None]
    build: Callable[[Any, Unit], ProofingMethod]
    describe: Callable[[State], dict[str, Any]] = _nothing
    blueprint: Blueprint | None = None

    @property
    def name(self) -> str:
        return self.declaration.name


class Registry:
    """The loaded methods, in order, each with its adapters."""

    def __init__(self, plugins: Iterable[MethodPlugin], settings: Settings) -> None:
        self._plugins: dict[str, MethodPlugin] = {}
        self._adapters: dict[str, Any] = {}
        for plugin in plugins:
            if plugin.name in self._plugins:
                raise ValueError(f"proofing method {plugin.name!r} is registered twice")
            self._plugins[plugin.name] = plugin
            self._adapters[plugin.name] = plugin.adapters(settings)

    def __iter__(self) -> Any:
        return iter(self._plugins.values())

    def names(self) -> list[str]:
        return list(self._plugins)

    def get(self, name: str) -> MethodPlugin | None:
        return self._plugins.get(name)

    def declaration(self, name: str) -> Declaration | None:
        plugin = self._plugins.get(name)
        return plugin.declaration if plugin else None

    def is_available(self, name: str) -> bool:
        return self._adapters.get(name) is not None

    def declarations(self) -> Mapping[str, Declaration]:
        return {name: plugin.declaration for name, plugin in self._plugins.items()}

    def build(self, name: str, unit: Unit) -> ProofingMethod:
        adapters = self._adapters.get(name)
        if adapters is None:
            raise LookupError(name)
        return self._plugins[name].build(adapters, unit)

    def max_request_bytes(self) -> int:
        """The largest submission any step of any method accepts."""
        sizes = [step.request_bytes for plugin in self for step in plugin.declaration.steps]
        return max(sizes, default=256 * 1024)


def load_plugins(modules: Iterable[str]) -> list[MethodPlugin]:
    """Import each module and take its ``PLUGIN``."""
    plugins = []
    for path in modules:
        plugin = getattr(importlib.import_module(path), "PLUGIN", None)
        if not isinstance(plugin, MethodPlugin):
            raise ValueError(f"{path} has no PLUGIN")
        plugins.append(plugin)
    return plugins
