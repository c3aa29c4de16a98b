"""A single sign-on identity provider for government services (OpenID Connect)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, render_template, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from idp import admin, db, health, limits, logs, mail, maintenance, proofing
from idp.accounts import repository as account_repository
from idp.accounts.service import Account
from idp.accounts.templating import register_template_helpers
from idp.errors import describe_error, redact_database_errors, unavailable_page
from idp.keyfiles import secret_key
from idp.migrate import apply_migrations
from idp.oidc.agencies import AgencyDirectory
from idp.oidc.keys import KeyRing, ensure_keys
from idp.oidc.server import create_server
from idp.sealing import SealError, load_master_key
from idp.sessions import PostgresSessionInterface, refuse_unread_sessions
from idp.settings import Settings, load_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings → database → sessions and sign-in → OIDC → blueprints."""
    settings = load_settings(test_config)
    logs.configure(settings.log_format)
    app = Flask(__name__)
    _configure(app, settings)

    database = db.Database(db.resolve_database_url(settings))
    apply_migrations(database)
    db.init_app(app, database)
    master_key = load_master_key(settings, database)
    app.extensions["idp.master_key"] = master_key
    app.session_interface = PostgresSessionInterface(
        database, settings.session_idle_timeout, settings.session_absolute_timeout
    )
    refuse_unread_sessions(app)
    _init_login(app)
    limiter = limits.init_app(app, settings)
    csrf = CSRFProtect(app)

    mail.init_app(app, settings, database)
    maintenance.init_app(app, database, settings)
    ensure_keys(database, master_key)
    create_server(app, settings, AgencyDirectory(database), KeyRing(database, master_key))
    proofing.init_app(app, settings)
    admin.init_app(app)

    from idp.accounts.account_views import bp as account_bp
    from idp.accounts.backup_code_views import bp as backup_codes_bp
    from idp.accounts.deletion_views import bp as deletion_bp
    from idp.accounts.passkey_views import bp as passkeys_bp
    from idp.accounts.recovery import bp as recovery_bp
    from idp.accounts.signup import bp as signup_bp
    from idp.accounts.views import bp as accounts_bp
    from idp.oidc.views import bp as oidc_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(oidc_bp)
    app.register_blueprint(passkeys_bp)
    app.register_blueprint(backup_codes_bp)
    app.config["IDP_FACTOR_SETUP_ENDPOINTS"] = [
        *app.config.get("IDP_FACTOR_SETUP_ENDPOINTS", ()),
        "passkeys.register",
        "backup_codes.generate",
    ]
    app.register_blueprint(signup_bp)
    app.register_blueprint(recovery_bp)
    app.register_blueprint(deletion_bp)
    readiness = {"master_key": health.master_key_matches(master_key)}
    if settings.redis_url:
        readiness["redis"] = limiter.storage.check
    health.init_app(app, readiness)
    register_template_helpers(app)
    for endpoint in ("oidc.token", "oidc.userinfo", "oidc.logout"):
        csrf.exempt(app.view_functions[endpoint])
    _register_error_pages(app)
    return app


def _configure(app: Flask, settings: Settings) -> None:
    secure = settings.secure_cookies
    app.config.update(
        IDP_SETTINGS=settings,
        SECRET_KEY=settings.secret_key or secret_key(settings.data_dir),
        TESTING=settings.testing,
        SESSION_COOKIE_NAME="__Host-idp_session" if secure else "idp_session",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=settings.session_absolute_timeout,
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
    )
    if settings.trusted_proxies:
        # The client's address and scheme, as the nearest trusted proxies saw them. The
        # Host header is left alone: proxies pass it through, and URLs come from the issuer.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    @app.before_request
    def refuse_nul_bytes() -> None:
        # PostgreSQL text cannot hold NUL; no legitimate form or query carries one.
        for values in (request.args, request.form):
            if any("\x00" in value for value in values.values()):
                abort(400, "The request contains characters we cannot accept.")

    defaults = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if secure:
        defaults["Strict-Transport-Security"] = "max-age=31536000"

    @app.after_request
    def security_headers(response: Response) -> Response:
        # Not Headers.setdefault: it raises and catches an HTTP exception per header.
        for name, value in defaults.items():
            if name not in response.headers:
                response.headers[name] = value
        return response


def _init_login(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "auth.sign_in"
    manager.login_message = "Sign in to continue."
    manager.session_protection = None  # the session id is rotated at sign-in instead

    @manager.user_loader  # type: ignore[untyped-decorator]
    def load_account(account_id: str) -> Account | None:
        with db.transaction() as conn:
            row = account_repository.get_account(conn, account_id)
        return None if row is None else Account(id=str(row["id"]), email=row["email"])


def _register_error_pages(app: Flask) -> None:
    # Every exception the app logs (the 500 handler's, Flask's own) goes through here.
    redact_database_errors(app.logger)

    def database_unavailable(error: Exception) -> Any:
        app.logger.error("database unavailable: %s", describe_error(error))
        if request.path in ("/token", "/userinfo"):
            body = {
                "error": "temporarily_unavailable",
                "error_description": "The service is briefly unavailable; try again.",
            }
            return body, 503, {"Retry-After": "5", "Cache-Control": "no-store"}
        return unavailable_page(), 503, {"Retry-After": "5"}

    for error in db.DATABASE_ERRORS:
        app.register_error_handler(error, database_unavailable)

    @app.errorhandler(SealError)
    def sealed_value_unreadable(error: SealError) -> Any:
        # A stored secret that does not open is our fault, not the person's: the master
        # key in use is not the one the value was sealed under. The value stays out of
        # the log; the endpoint says where it happened.
        app.logger.error(
            "a sealed value does not open under the master key (endpoint %s); is this the "
            "master key the database is sealed under?",
            request.endpoint,
        )
        if request.path in ("/token", "/userinfo"):
            body = {
                "error": "temporarily_unavailable",
                "error_description": "The service cannot complete this request now.",
            }
            return body, 503, {"Cache-Control": "no-store"}
        message = (
            "We could not read something we stored for this step. It is a fault on our "
            "side, not something you did. Nothing was changed; please try again later."
        )
        return render_template("error.html", title="Service unavailable", message=message), 503

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = "This form expired or was sent from another site. Go back and try again."
        return render_template("error.html", title="Form expired", message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        return render_template(
            "error.html", title=error.name, message=error.description
        ), error.code or 500

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        app.logger.exception("unexpected error")
        return render_template(
            "error.html",
            title="Something went wrong",
            message="We could not complete that. Nothing was changed; please try again.",
        ), 500
