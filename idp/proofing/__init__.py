"""Identity proofing: methods are plug-ins chosen by an agency's policy.

``init_app`` loads the methods named by the ``proofing_methods`` setting into a
:class:`~idp.proofing.registry.Registry` (each chooses its own real or fake adapters),
registers the generic ``/verify`` pages and each method's blueprint (its templates and
any pages of its own).
"""

from __future__ import annotations

from flask import Flask

from idp.proofing.registry import Registry, load_plugins
from idp.settings import Settings


def init_app(app: Flask, settings: Settings) -> None:
    from idp.proofing.views import bp, install_upload_hook

    registry = Registry(load_plugins(settings.proofing_methods), settings)
    app.extensions["idp.proofing.registry"] = registry
    install_upload_hook(app)
    app.register_blueprint(bp)
    for plugin in registry:
        if plugin.blueprint is not None:
            app.register_blueprint(plugin.blueprint)
