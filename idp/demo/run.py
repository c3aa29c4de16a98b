"""``make run``: the provider on port 5000 and the demo agency on port 5001.

The demo account and the demo agency's key are created once and kept in the data
folder, so every run prints the same credentials. Ctrl+C and SIGTERM both stop the run,
and with it the embedded PostgreSQL if the run started it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from typing import Any

import segno
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server

from idp.accounts import repository as account_repository
from idp.accounts import service as account_service
from idp.accounts import totp
from idp.db import Database, embedded_database
from idp.keyfiles import read_or_create
from idp.migrate import apply_migrations
from idp.oidc import repository as oidc_repository
from idp.oidc.models import SUPPORTED_SCOPES
from idp.sealing import load_master_key
from idp.settings import Settings, load_settings

IDP_PORT = 5000
AGENCY_PORT = 5001
DEMO_CLIENT_ID = "urn:gov:demo:agency"
DEMO_EMAIL = "demo@example.gov"


def ensure_demo(settings: Settings, database: Database, agency_url: str) -> dict[str, Any]:
    """Create the demo account and register the demo agency, once; return their secrets."""
    demo: dict[str, Any] = json.loads(
        read_or_create(settings.data_dir / "demo.json", lambda: json.dumps(_new_demo()))
    )
    master_key = load_master_key(settings, database)
    with database.transaction() as conn:
        exists = account_repository.find_by_email(conn, demo["email"]) is not None
    if not exists:
        account_service.create_account(
            database, master_key, demo["email"], demo["password"], demo["totp_secret"]
        )
    key = RSAKey.import_key(demo["agency_key"])
    public = {**key.as_dict(private=False), "kid": key.thumbprint(), "alg": "RS256", "use": "sig"}
    with database.transaction() as conn:
        oidc_repository.save_agency(
            conn,
            {
                "client_id": DEMO_CLIENT_ID,
                "name": "Demo Agency",
                "redirect_uris": [f"{agency_url}/callback"],
                "post_logout_redirect_uris": [f"{agency_url}/"],
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks": {"keys": [public]},
                "jwks_uri": None,
                "id_token_signed_response_alg": "RS256",
                "default_ial": 1,
                "max_ial": 2,  # the demo offers a sign-in with a verified identity
                "allowed_scopes": SUPPORTED_SCOPES,
            },
        )
    return demo


def _new_demo() -> dict[str, Any]:
    return {
        "email": DEMO_EMAIL,
        "password": "demo-" + totp.new_secret()[:16].lower(),
        "totp_secret": totp.new_secret(),
        "agency_key": RSAKey.generate_key(2048, private=True).as_dict(private=True),
    }


class _PathOnlyLog(WSGIRequestHandler):
    """Logs the path without the query string: codes, states and hints stay out of logs."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        self.log("info", '"%s %s" %s %s', self.command, path, code, size)


def run_development(idp_port: int = IDP_PORT, agency_port: int = AGENCY_PORT) -> None:
    """Serve both sites until Ctrl+C or SIGTERM, then close the database pools and stop
    the embedded PostgreSQL if this run started it."""
    from idp import create_app
    from idp.demo.agency import create_agency_app

    # SIGTERM ends the run the way Ctrl+C does, so that the clean-up below runs too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    os.environ.setdefault("IDP_ISSUER", f"http://127.0.0.1:{idp_port}")
    os.environ.setdefault("IDP_DEVELOPMENT", "1")
    settings = load_settings()
    agency_url = f"http://127.0.0.1:{agency_port}"
    with contextlib.suppress(KeyboardInterrupt), contextlib.ExitStack() as cleanup:
        url = settings.database_url or cleanup.enter_context(
            embedded_database(settings.data_dir / "pgdata")
        )
        database = Database(url, max_size=2)
        cleanup.callback(database.close)
        apply_migrations(database)
        demo = ensure_demo(settings, database, agency_url)
        idp_app = create_app()
        cleanup.callback(idp_app.extensions["idp.db"].close)
        key = RSAKey.import_key(demo["agency_key"])
        key.ensure_kid()
        agency_app = create_agency_app(settings.issuer, DEMO_CLIENT_ID, key, agency_url)

        servers = [
            make_server(
                "127.0.0.1", idp_port, idp_app, threaded=True, request_handler=_PathOnlyLog
            ),
            make_server(
                "127.0.0.1", agency_port, agency_app, threaded=True, request_handler=_PathOnlyLog
            ),
        ]
        for server in servers[1:]:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        _print_welcome(settings.issuer, agency_url, demo)
        servers[0].serve_forever()


def _print_welcome(issuer: str, agency_url: str, demo: dict[str, Any]) -> None:
    uri = totp.provisioning_uri(demo["totp_secret"], demo["email"], "Government Sign-In (demo)")
    print(f"""
Identity provider:  {issuer}
Demo agency site:   {agency_url}   <- open this and press "Sign in"

Demo account (development only):
  email       {demo["email"]}
  password    {demo["password"]}
  TOTP secret {demo["totp_secret"]}
  {uri}

Scan this with an authentication app for the one-time codes:""")
    segno.make(uri, error="l").terminal(compact=True)
    print("Press Ctrl+C to stop.", flush=True)
