"""Helpers for the administration tests: staff members with security keys, agencies
and apps registered through the service, and a scratch database's CLI."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from idp.admin import agencies as agency_service
from idp.admin import repository as admin_repository
from idp.cli import main as cli
from idp.db import Database
from idp.staff import service as staff_service
from tests.conftest import LiveServer, Person
from tests.staff import database_of, make_keyholder

ACTOR = "cli:tester"


@dataclass
class ScratchDatabase:
    url: str
    database: Database
    data_dir: Path

    def run_cli(self, *args: str) -> Result:
        env = {
            "DATABASE_URL": self.url,
            "IDP_DATA_DIR": str(self.data_dir),
            "IDP_CONFIG": "test",
        }
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def make_staff(live_server: LiveServer, role: str, agencies: tuple[str, ...] = ()) -> Person:
    """An account with a security key (a stored credential) holding ``role``; an agency
    administrator manages ``agencies``."""
    person = make_keyholder(live_server)
    with database_of(live_server).transaction() as conn:
        assert staff_service.grant_role(conn, person.email, role, ACTOR)
        for slug in agencies:
            admin_repository.add_agency_admin(conn, person.account_id, slug, ACTOR)
    return person


def new_agency(database: Database, **settings: Any) -> agency_service.AgencySpec:
    """A fresh agency, saved."""
    slug = f"agency-{secrets.token_hex(4)}"
    spec = agency_service.parse_agency(
        {"slug": slug, "name": f"Agency {slug}", **settings}, allow_http=False
    )
    with database.transaction() as conn:
        agency_service.save_agency(conn, spec, ACTOR)
    return spec


def new_app(database: Database, agency: str, **settings: Any) -> agency_service.AppSpec:
    """A fresh public app of ``agency``, saved."""
    client_id = f"urn:gov:test:app-{secrets.token_hex(4)}"
    data = {
        "client_id": client_id,
        "name": f"App {client_id[-8:]}",
        "agency": agency,
        "redirect_uris": [f"https://{client_id[-8:]}.example.gov/callback"],
        "public": True,
        **settings,
    }
    spec = agency_service.parse_app(data, allow_http=False)
    with database.transaction() as conn:
        agency_service.save_app(conn, spec, ACTOR)
    return spec


def console_browser(live_server: LiveServer, role: str, agencies: tuple[str, ...] = ()) -> Any:
    """A staff member in ``role`` (managing ``agencies``), with a security key, signed
    in with it: a browser that can open the console."""
    from tests.accounts.test_passkey_views import person_with_key, signed_in_with_key

    person, key = person_with_key(live_server)
    with database_of(live_server).transaction() as conn:
        assert staff_service.grant_role(conn, person.email, role, ACTOR)
        for slug in agencies:
            admin_repository.add_agency_admin(conn, person.account_id, slug, ACTOR)
    browser = signed_in_with_key(live_server, person, key)
    browser.person = person
    return browser
