"""The console's agencies, apps and proofing policies, under ``/admin``.

A system administrator sees every agency and creates them; an agency administrator
sees only their own agencies and those agencies' apps. Apps are created and edited
through :mod:`idp.admin.agencies` and policies through :mod:`idp.proofing.policy`, the
same services as the operator commands and the declarative file, so the same checks
apply. A refused change shows every reason beside the form and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from idp.accounts import repository as account_repository
from idp.admin import agencies as service
from idp.admin import forms, repository
from idp.admin.console import actor, forbid, require, require_console, staff, staff_problem
from idp.db import transaction
from idp.events import record_event
from idp.proofing import policy as proofing_policy
from idp.proofing import policy_repository
from idp.proofing.registry import Registry
from idp.staff import service as staff_service

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_console)


def _registry() -> Registry:
    found: Registry = current_app.extensions["idp.proofing.registry"]
    return found


def _allow_http() -> bool:
    return service.http_allowed(current_app.config["IDP_SETTINGS"])


def _agencies_changed() -> None:
    """Apps changed: the token and authorize endpoints must not use a cached copy."""
    current_app.extensions["idp.agencies"].invalidate()


@bp.get("")
def home() -> Any:
    member = staff()
    with transaction() as conn:
        visible = member.visible_agencies()
        agencies = repository.list_organizations(conn, visible)
        apps = repository.list_apps(conn, visible)
    unplaced = [app for app in apps if app["organization"] is None]
    return render_template(
        "admin/home.html", member=member, agencies=agencies, apps=apps, unplaced=unplaced
    )


# Agencies


@bp.route("/agencies/new", methods=["GET", "POST"])
def new_agency() -> Any:
    require(staff().is_system_admin)
    if request.method == "GET":
        return render_template("admin/agency.html", values={}, creating=True)
    data = forms.agency_data(request.form)
    try:
        spec = service.parse_agency(data, _allow_http())
        with transaction() as conn:
            service.save_agency(conn, spec, actor(), creating=True)
    except service.SpecError as exc:
        return _agency_page(None, request.form.to_dict(), exc.problems, creating=True), 422
    flash(f"Agency {spec.name} created.")
    return redirect(url_for(".agency", slug=spec.slug))


@bp.route("/agencies/<slug>", methods=["GET", "POST"])
def agency(slug: str) -> Any:
    require(staff().may_manage_agency(slug))
    with transaction() as conn:
        row = repository.get_organization(conn, slug)
    if row is None:
        forbid("There is no such agency, or your account cannot open it.")
    if request.method == "GET":
        spec = service.parse_agency(_agency_row_data(row), allow_http=True)
        return _agency_page(slug, forms.agency_form(spec), [])
    try:
        spec = service.parse_agency(forms.agency_data(request.form, slug), _allow_http())
        with transaction() as conn:
            outcome = service.save_agency(conn, spec, actor())
    except service.SpecError as exc:
        return _agency_page(slug, request.form.to_dict(), exc.problems), 422
    flash("Nothing changed." if outcome == "unchanged" else "Agency saved.")
    return redirect(url_for(".agency", slug=slug))


def _agency_row_data(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in service.AGENCY_FIELDS}


def _agency_page(
    slug: str | None, values: dict[str, Any], problems: list[str], creating: bool = False
) -> str:
    apps: list[dict[str, Any]] = []
    admins: list[dict[str, Any]] = []
    if slug is not None:
        with transaction() as conn:
            apps = repository.list_apps(conn, [slug])
            admins = repository.list_agency_admins(conn, slug)
    return render_template(
        "admin/agency.html",
        slug=slug,
        values=values,
        problems=problems,
        creating=creating,
        apps=apps,
        admins=admins,
        member=staff(),
    )


@bp.post("/agencies/<slug>/admins")
def add_agency_admin(slug: str) -> Response:
    """A system administrator makes an account an administrator of this agency,
    granting it the agency administrator role if it lacks it (only an account with a
    security key or passkey may hold a role)."""
    require(staff().is_system_admin)
    email = request.form.get("email", "").strip()[:254]
    try:
        with transaction() as conn:
            if repository.get_organization(conn, slug) is None:
                forbid("There is no such agency.")
            staff_service.grant_role(conn, email, "agency_admin", actor())
            account = account_repository.find_by_email(conn, email)
            assert account is not None  # noqa: S101 - grant_role found it
            account_id = str(account["id"])
            if repository.add_agency_admin(conn, account_id, slug, actor()):
                record_event(
                    conn, "admin.agency_admin_added", account_id=account_id,
                    details={"actor": actor(), "agency": slug},
                )  # fmt: skip
    except staff_service.StaffError as exc:
        flash(staff_problem(exc, email), "error")
        return redirect(url_for(".agency", slug=slug))
    flash(f"{email} now administers this agency.")
    return redirect(url_for(".agency", slug=slug))


@bp.post("/agencies/<slug>/admins/<uuid:account_id>/remove")
def remove_agency_admin(slug: str, account_id: Any) -> Response:
    require(staff().is_system_admin)
    with transaction() as conn:
        if repository.remove_agency_admin(conn, str(account_id), slug):
            record_event(
                conn, "admin.agency_admin_removed", account_id=str(account_id),
                details={"actor": actor(), "agency": slug},
            )  # fmt: skip
    flash("Removed.")
    return redirect(url_for(".agency", slug=slug))


# Apps


def _manageable_agencies() -> list[dict[str, Any]]:
    with transaction() as conn:
        return repository.list_organizations(conn, staff().visible_agencies())


@bp.route("/agencies/<slug>/apps/new", methods=["GET", "POST"])
def new_app(slug: str) -> Any:
    require(staff().may_manage_agency(slug))
    if request.method == "GET":
        return _app_page(None, {**forms.app_form(None), "agency": slug}, [])
    try:
        data = forms.app_data(request.form)
        require(staff().may_manage_agency(data.get("agency")))
        spec = service.parse_app(data, _allow_http())
        with transaction() as conn:
            service.save_app(conn, spec, actor(), creating=True)
    except (service.SpecError, forms.FormError) as exc:
        problems = exc.problems if isinstance(exc, service.SpecError) else [str(exc)]
        return _app_page(None, forms.submitted_app_form(request.form), problems), 422
    _agencies_changed()
    flash(f"App {spec.name} registered. Set its proofing policy next.")
    return redirect(url_for(".app", client_id=spec.client_id))


@bp.route("/apps/<path:client_id>/policy", methods=["GET", "POST"])
def policy(client_id: str) -> Any:
    row = _app_row(client_id)
    registry = _registry()
    with transaction() as conn:
        current = proofing_policy.current_policy(conn, registry, client_id)
    if request.method == "GET":
        return _policy_page(row, current, forms.policy_form(current), [])
    rules = forms.policy_rules(request.form, registry.names())
    override = None
    if request.form.get("override") == "yes":
        require(staff().is_system_admin)
        override = request.form.get("justification", "")
    try:
        with transaction() as conn:
            saved = proofing_policy.save_rules(conn, registry, client_id, rules, actor(), override)
    except proofing_policy.PolicyError as exc:
        guarantee = isinstance(exc, proofing_policy.GuaranteeError)
        return _policy_page(
            row, current, forms.policy_form(rules), [str(exc)], guarantee, request.form
        ), 422
    flash(f"Policy version {saved.version} is in force.")
    return redirect(url_for(".policy", client_id=client_id))


def _policy_page(
    row: dict[str, Any],
    current: proofing_policy.Policy,
    values: dict[str, Any],
    problems: list[str],
    guarantee: bool = False,
    posted: Any = None,
) -> str:
    with transaction() as conn:
        versions = policy_repository.list_versions(conn, row["client_id"])
    return render_template(
        "admin/policy.html",
        app=row,
        current=current,
        values=values,
        problems=problems,
        guarantee=guarantee,
        justification=(posted or {}).get("justification", ""),
        versions=list(reversed(versions)),
        methods=[(p, _registry().is_available(p.name)) for p in _registry()],
        member=staff(),
    )


@bp.route("/apps/<path:client_id>", methods=["GET", "POST"])
def app(client_id: str) -> Any:
    row = _app_row(client_id)
    if request.method == "GET":
        return _app_page(row, forms.app_form(service.app_spec_from_row(row)), [])
    try:
        data = forms.app_data(request.form, client_id)
        require(staff().may_manage_agency(data.get("agency")))
        spec = service.parse_app(data, _allow_http())
        with transaction() as conn:
            outcome = service.save_app(conn, spec, actor())
    except (service.SpecError, forms.FormError) as exc:
        problems = exc.problems if isinstance(exc, service.SpecError) else [str(exc)]
        return _app_page(row, forms.submitted_app_form(request.form), problems), 422
    _agencies_changed()
    flash("Nothing changed." if outcome == "unchanged" else "App saved.")
    return redirect(url_for(".app", client_id=client_id))


def _app_row(client_id: str) -> dict[str, Any]:
    """The app, if this staff member may manage it; otherwise a 403 that says nothing
    about whether it exists."""
    with transaction() as conn:
        row = repository.get_app(conn, client_id)
    if row is None or not staff().may_manage_app(row):
        forbid("There is no such app, or your account cannot open it.")
    return row


def _app_page(row: dict[str, Any] | None, values: dict[str, Any], problems: list[str]) -> str:
    return render_template(
        "admin/app.html",
        app=row,
        values=values,
        problems=problems,
        agencies=_manageable_agencies(),
        scopes=forms.SCOPES,
        aal_choices=service.DEFAULT_AAL,
        member=staff(),
    )
