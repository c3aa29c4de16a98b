"""Who may do what in the console.

Staff roles come from :mod:`idp.staff.service` and are in force only while the account
has a security key or passkey; the console also needs this session to have signed in
with one. Then:

- a **system administrator** may do everything;
- an **agency administrator** sees and edits only the agencies listed for them in
  ``agency_admins`` and those agencies' apps and policies, and may not move an app to
  another agency, create agencies, override the guarantee or see other pages;
- a **supervisor** manages the proofing agents (adds and disables agents, sets working
  hours, sees decision counts), but not other supervisors.

Anyone else (a citizen, an agent) is refused every console page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idp.admin import repository
from idp.db import Connection
from idp.staff import service as staff

CONSOLE_ROLES = ("system_admin", "agency_admin", "supervisor")


@dataclass(frozen=True)
class Staff:
    """A staff member as the console sees them: their account, the roles in force and,
    for an agency administrator, their agencies."""

    account_id: str
    roles: tuple[str, ...]
    agencies: tuple[str, ...] = ()

    @property
    def is_system_admin(self) -> bool:
        return "system_admin" in self.roles

    @property
    def may_enter(self) -> bool:
        return any(role in CONSOLE_ROLES for role in self.roles)

    @property
    def may_manage_agencies(self) -> bool:
        return self.is_system_admin or "agency_admin" in self.roles

    @property
    def may_manage_agents(self) -> bool:
        return self.is_system_admin or "supervisor" in self.roles

    @property
    def may_manage_supervisors(self) -> bool:
        return self.is_system_admin

    @property
    def may_oversee(self) -> bool:
        return self.is_system_admin

    def visible_agencies(self) -> list[str] | None:
        """The agencies this person may see, or None for all of them."""
        if self.is_system_admin:
            return None
        return list(self.agencies) if "agency_admin" in self.roles else []

    def may_manage_agency(self, slug: str | None) -> bool:
        if self.is_system_admin:
            return True
        return "agency_admin" in self.roles and slug is not None and slug in self.agencies

    def may_manage_app(self, app: Mapping[str, Any]) -> bool:
        return self.may_manage_agency(app.get("organization"))


def load_staff(conn: Connection, account_id: str) -> Staff:
    roles = staff.roles_of(conn, account_id)
    agencies = repository.agencies_of_admin(conn, account_id) if "agency_admin" in roles else []
    return Staff(account_id, roles, tuple(agencies))
