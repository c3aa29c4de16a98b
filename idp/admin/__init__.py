"""Administration: agencies and their apps, proofing policies, staff and agents,
retention, and oversight.

The console (``/admin``) is for staff signed in with a security key or passkey:
system administrators manage everything, agency administrators their own agencies'
apps, supervisors the proofing agents. The same services back the operator commands
(``idp agencies``, ``idp events``, ``idp retention``) and the declarative agency file.
Every change is written to the event log with who made it and from where.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the console's pages."""
    from idp.admin.oversight_views import bp as oversight_bp
    from idp.admin.staff_views import bp as staff_bp
    from idp.admin.views import bp as admin_bp

    app.register_blueprint(admin_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(oversight_bp)
