"""The console's staff pages: every role (system administrators), and the proofing
agents and supervisors with their working hours and decisions (system administrators
and supervisors; a supervisor manages agents, not other supervisors).

Roles are granted and revoked through :mod:`idp.staff.service`, which writes each
change to the event log with the actor; working hours through :mod:`idp.admin.agents`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from idp.accounts import repository as account_repository
from idp.admin import agents
from idp.admin.console import actor, forbid, require, require_console, staff, staff_problem
from idp.db import transaction
from idp.staff import service as staff_service

bp = Blueprint("admin_staff", __name__, url_prefix="/admin")
bp.before_request(require_console)

ROLE_NAMES = {
    "agent": "Proofing agent",
    "supervisor": "Supervisor",
    "agency_admin": "Agency administrator",
    "system_admin": "System administrator",
}


def _may_change(role: str) -> bool:
    member = staff()
    if role == "agent":
        return member.may_manage_agents
    if role == "supervisor":
        return member.may_manage_supervisors
    return member.is_system_admin


@bp.get("/staff")
def staff_list() -> Any:
    require(staff().is_system_admin)
    with transaction() as conn:
        members = staff_service.list_staff(conn)
    return render_template("admin/staff.html", members=members, role_names=ROLE_NAMES)


@bp.post("/staff/grant")
def grant() -> Response:
    email = request.form.get("email", "").strip()[:254]
    role = request.form.get("role", "")
    require(role in ROLE_NAMES and _may_change(role))
    try:
        with transaction() as conn:
            granted = staff_service.grant_role(conn, email, role, actor())
    except staff_service.StaffError as exc:
        flash(staff_problem(exc, email), "error")
    else:
        flash(f"{email} is now: {ROLE_NAMES[role]}." if granted else "Nothing changed.")
    return redirect(_back(role))


@bp.post("/staff/revoke")
def revoke() -> Response:
    email = request.form.get("email", "").strip()[:254]
    role = request.form.get("role", "")
    require(role in ROLE_NAMES and _may_change(role))
    try:
        with transaction() as conn:
            revoked = staff_service.revoke_role(conn, email, role, actor())
    except staff_service.StaffError as exc:
        flash(staff_problem(exc, email), "error")
    else:
        flash(f"{email} is no longer: {ROLE_NAMES[role]}." if revoked else "Nothing changed.")
    return redirect(_back(role))


def _back(role: str) -> str:
    if role in ("agent", "supervisor") and not staff().is_system_admin:
        return url_for(".agent_list")
    return url_for(".agent_list" if role in ("agent", "supervisor") else ".staff_list")


@bp.get("/agents")
def agent_list() -> Any:
    require(staff().may_manage_agents)
    now = datetime.now(UTC)
    with transaction() as conn:
        lines = agents.list_agents(conn, now)
        working = agents.scheduled_agents(conn, now)
    return render_template(
        "admin/agents.html",
        lines=lines,
        working=working,
        weekdays=agents.WEEKDAYS,
        default_zone=agents.DEFAULT_TIME_ZONE,
        format_hours=agents.format_hours,
        member=staff(),
        role_names=ROLE_NAMES,
    )


@bp.post("/agents/<uuid:account_id>/hours")
def hours(account_id: UUID) -> Any:
    require(staff().may_manage_agents)
    with transaction() as conn:
        lines = {line.account_id: line for line in agents.list_agents(conn, datetime.now(UTC))}
        line = lines.get(str(account_id))
        if line is None:
            forbid("That account is not a proofing agent or supervisor.")
        if "supervisor" in line.roles and not staff().may_manage_supervisors:
            forbid()
    try:
        periods = agents.parse_hours(
            request.form.get("hours", "")[:4000], request.form.get("time_zone", "").strip()
        )
    except agents.HoursError as exc:
        flash(f"Working hours of {line.email} not saved: {exc}", "error")
        return redirect(url_for(".agent_list")), 303
    with transaction() as conn:
        if account_repository.get_account(conn, str(account_id)) is None:
            forbid()
        agents.set_hours(conn, str(account_id), periods, actor())
    flash(f"Working hours of {line.email} saved.")
    return redirect(url_for(".agent_list"))
