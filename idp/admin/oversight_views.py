"""The console's oversight pages, for system administrators: the dashboard (aggregates
only, with a CSV export), retention settings, and the event log (search, and a check of
its chain)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from idp.accounts import repository as account_repository
from idp.admin import charts, oversight, retention
from idp.admin.console import actor, require, require_console, staff
from idp.db import transaction
from idp.events import record_event, search_events
from idp.events_chain import verify_chain

bp = Blueprint("admin_oversight", __name__, url_prefix="/admin")
bp.before_request(require_console)

PERIODS = (7, 30, 90, 365)


@bp.before_request
def system_administrators_only() -> None:
    require(staff().may_oversee)


def _days() -> int:
    text = request.args.get("days", "30")
    return int(text) if text.isdigit() and int(text) in PERIODS else 30


@bp.get("/oversight")
def dashboard() -> Any:
    days = _days()
    now = datetime.now(UTC)
    span = oversight.period(days, date.today())
    data_dir = current_app.config["IDP_SETTINGS"].data_dir
    with transaction() as conn:
        activity = oversight.method_activity(conn, span)
        biometrics = oversight.biometric_compliance(conn, data_dir, now, now - timedelta(days))
        queue = oversight.queue_figures(conn, now - timedelta(days))
        overrides = oversight.overrides(conn)
        names = _emails(conn, [row["changed_by"] for row in overrides])
    figures = [
        (
            item,
            charts.line_chart(f"{item.method}: proofing per day", item.days, item.series),
            charts.bar_chart(f"{item.method}: rejections by reason", item.reasons[:12]),
        )
        for item in activity
    ]
    return render_template(
        "admin/oversight.html",
        days=days,
        periods=PERIODS,
        figures=figures,
        biometrics=biometrics,
        queue=queue,
        overrides=overrides,
        names=names,
    )


def _emails(conn: Any, account_ids: list[str]) -> dict[str, str]:
    """Staff account ids to addresses, for the page only (the log keeps the id)."""
    found = {}
    for account_id in set(account_ids):
        if account_repository.is_uuid(account_id):
            row = account_repository.get_account(conn, account_id)
            if row is not None:
                found[account_id] = row["email"]
    return found


@bp.get("/oversight.csv")
def dashboard_csv() -> Response:
    days = _days()
    with transaction() as conn:
        activity = oversight.method_activity(conn, oversight.period(days, date.today()))
    out = io.StringIO()
    csv.writer(out).writerows(oversight.csv_rows(activity))
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="proofing-{days}-days.csv"'},
    )


@bp.route("/retention", methods=["GET", "POST"])
def retention_settings() -> Any:
    with transaction() as conn:
        current = retention.current_retention(conn)
    if request.method == "GET":
        return _retention_page(current, current.settings(), None)
    try:
        wanted = retention.parse_retention(request.form)
    except retention.RetentionError as exc:
        return _retention_page(current, request.form.to_dict(), str(exc)), 422
    with transaction() as conn:
        saved = retention.save_retention(conn, wanted, actor())
    flash(
        "Nothing changed."
        if saved.version == current.version
        else f"Retention settings version {saved.version} are in force."
    )
    return redirect(url_for(".retention_settings"))


def _retention_page(current: retention.Retention, values: dict[str, Any], error: str | None) -> str:
    return render_template(
        "admin/retention.html",
        current=current,
        values=values,
        error=error,
        limits=retention.LIMITS,
    )


def _moment(name: str) -> datetime | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text[:40])
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


@bp.get("/events")
def events() -> Any:
    kind = request.args.get("type", "").strip()[:100] or None
    client_id = request.args.get("client_id", "").strip()[:255] or None
    who = request.args.get("actor", "").strip()[:254]
    problems = []
    since, until = _moment("since"), _moment("until")
    for name, value in (("since", since), ("until", until)):
        if request.args.get(name, "").strip() and value is None:
            problems.append(f"{name}: use a date like 2025-01-31 or a time like 2025-01-31T12:00")
    with transaction() as conn:
        actor_id: str | None = who or None
        if who and "@" in who:
            found = account_repository.find_by_email(conn, who)
            actor_id = str(found["id"]) if found else None
            if found is None:
                problems.append(f"actor: no account has the address {who}")
        rows: list[dict[str, Any]] = []
        if not problems:
            rows = search_events(
                conn, actor=actor_id, kind=kind, client_id=client_id, since=since, until=until
            )
    return render_template(
        "admin/events.html", rows=rows, problems=problems, args=request.args, report=None
    )


@bp.post("/events/verify")
def verify() -> Any:
    with transaction() as conn:
        report = verify_chain(conn)
        record_event(
            conn, "admin.event_chain_verified",
            details={"actor": actor(), "intact": report.intact, "checked": report.checked,
                     "broken_at": report.broken_at},
        )  # fmt: skip
    return render_template("admin/events.html", rows=[], problems=[], args={}, report=report)
