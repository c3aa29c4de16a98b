"""How account history reads to a person: event names and device descriptions."""

from __future__ import annotations

from flask import Flask

EVENT_LABELS = {
    "account.created": "Account created",
    "sign_in": "Signed in",
    "sign_in.password_failed": "Wrong password entered",
    "sign_in.factor_failed": "Wrong code entered",
    "sign_in.code_failed": "Wrong code entered",
    "factor.added": "Sign-in method added",
    "factor.removed": "Sign-in method removed",
    "factor.renamed": "Sign-in method renamed",
    "factor.locked": "Second-factor sign-in locked",
    "sign_in.password_locked": "Sign-in paused after wrong passwords",
    "password.changed": "Password changed",
    "password.reset": "Password reset",
    "browsers.forgotten": "Remembered browsers forgotten",
    "consent.granted": "Shared information with an agency",
    "consent.denied": "Declined to share with an agency",
    "consent.revoked": "Disconnected an agency",
    "agency.sign_in": "Signed in to an agency",
    "session.logout": "Signed out",
    "factor.clone_suspected": "Security key refused (it may have been copied)",
    "alert.new_device": "New-browser alert sent",
    "account.locked_by_owner": "Account locked by you",
    "vault.sealed": "Verified identity saved",
    "vault.opened_with_personal_key": "Personal key used",
    "vault.personal_key_failed": "Wrong personal key entered",
    "email.confirmation_requested": "Asked to add an email address",
    "email.confirmed": "Email address added",
    "email.primary_changed": "Primary email address changed",
    "email.removed": "Email address removed",
    "biometrics.deleted": "Biometric data deleted at your request",
}

_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)


def device_name(user_agent: str | None) -> str:
    """A rough "Chrome on Windows" from a user-agent string; never the raw string."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for token, name in _BROWSERS if token in user_agent), "A browser")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    return f"{browser} on {system}" if system else browser


def register_template_helpers(app: Flask) -> None:
    """Pages link to optional features only when the app has them."""

    def has_endpoint(name: str) -> bool:
        return name in app.view_functions

    app.jinja_env.globals["has_endpoint"] = has_endpoint
    app.jinja_env.filters["device_name"] = device_name
    app.jinja_env.globals["event_labels"] = EVENT_LABELS
