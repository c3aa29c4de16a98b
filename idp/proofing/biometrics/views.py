"""The account page's biometric data: "Delete my biometric data", and the deletion
receipts to see and download.

The account page includes ``biometrics/_account.html`` when this blueprint is
registered; it reads the receipts through the ``biometric_receipts()`` template
function, so no other page pays for them.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from idp.db import transaction
from idp.proofing import service
from idp.proofing.biometrics import repository
from idp.proofing.biometrics.receipts import published_token

bp = Blueprint("biometrics", __name__, url_prefix="/account/biometric-data")

# A receipt's reason, and what a kind of artefact is, in words.
REASONS = {
    "decision": "Your verification was decided",
    "ended": "Your verification stopped before a decision",
    "expired": "The longest time we may keep it (15 minutes) passed",
    "request": "You asked us to delete it",
}
KINDS = {"document_photo": "Photo of your ID, with its portrait"}


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def require_sign_in() -> None:
    """Only the signed-in person's own data and receipts."""


@bp.post("/delete")
def delete() -> Any:
    service.erase_biometric_data(str(current_user.id))
    flash("We deleted your biometric data. Your receipt is listed under “Biometric data”.")
    return redirect(url_for("account.overview") + "#biometric-data")


@bp.get("/receipts/<receipt_id>")
def receipt(receipt_id: str) -> Response:
    """A receipt as the signed JWT, to keep or to show."""
    try:
        uuid.UUID(receipt_id)
    except ValueError:
        abort(404)
    with transaction() as conn:
        row = repository.get_receipt_token(conn, str(current_user.id), receipt_id)
        if row is None:
            abort(404)
        token = published_token(conn, service.receipt_signer(), receipt_id, row["token"])
    name = f"biometric-deletion-receipt-{row['deleted_at']:%Y%m%d-%H%M%S}.jwt"
    return Response(
        token,
        mimetype="application/jwt",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.app_template_global("biometric_receipts")
def biometric_receipts() -> list[dict[str, Any]]:
    """The signed-in person's receipts, newest first, for the account page."""
    if not current_user.is_authenticated:
        return []
    with transaction() as conn:
        rows = repository.list_receipts(conn, str(current_user.id))
    return [
        {
            **row,
            "when": row["deleted_at"].astimezone(UTC).strftime("%b %-d, %Y %H:%M:%S UTC"),
            "reason_text": REASONS.get(row["reason"], row["reason"]),
            "items": [
                f"{KINDS.get(item['kind'], item['kind'])}: {item['count']}"
                for item in row["deleted"]
            ],
        }
        for row in rows
    ]


@bp.app_template_global("biometric_data_held")
def biometric_data_held() -> int:
    """How many biometric images the signed-in person's proofings hold now."""
    if not current_user.is_authenticated:
        return 0
    with transaction() as conn:
        return repository.count_for_account(conn, str(current_user.id))
