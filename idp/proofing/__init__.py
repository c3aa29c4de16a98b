"""Identity proofing: methods are plug-ins chosen by an agency's policy.

``init_app`` loads the methods named by the ``proofing_methods`` setting into a
:class:`~idp.proofing.registry.Registry` (each chooses its own real or fake adapters),
registers the generic ``/verify`` pages, the account page's biometric data and receipts
(:mod:`idp.proofing.biometrics`), and each method's blueprint (its templates and any
pages of its own).
"""

from __future__ import annotations

from flask import Flask
from jinja2 import TemplateNotFound

from idp.proofing.registry import Registry, load_plugins
from idp.settings import Settings


def init_app(app: Flask, settings: Settings) -> None:
    from idp.proofing.biometrics.views import bp as biometrics_bp
    from idp.proofing.views import bp, install_upload_hook

    registry = Registry(load_plugins(settings.proofing_methods), settings)
    app.extensions["idp.proofing.registry"] = registry
    install_upload_hook(app)
    app.register_blueprint(bp)
    app.register_blueprint(biometrics_bp)
    for plugin in registry:
        if plugin.blueprint is not None:
            app.register_blueprint(plugin.blueprint)
    for plugin in registry:
        _check_templates(app, plugin.name, [step.name for step in plugin.declaration.steps])


def _check_templates(app: Flask, name: str, steps: list[str]) -> None:
    """A method missing a page fails at start-up, never in front of a person."""
    for page in ("overview", "_reasons", *steps):
        try:
            app.jinja_env.get_template(f"proofing/{name}/{page}.html")
        except TemplateNotFound as exc:
            raise ValueError(
                f"proofing method {name!r} has no template proofing/{name}/{page}.html"
            ) from exc
