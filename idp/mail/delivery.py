"""Delivering queued mail: right after a response whose request queued some, and on
demand (``idp mail deliver``). Failed messages stay in the outbox for another try."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from flask import Flask, Response, current_app, g

from idp.db import Database
from idp.mail import outbox
from idp.mail.transport import DeliveryError, SmtpTransport, Transport, parse_smtp_url
from idp.settings import Settings

log = logging.getLogger(__name__)

AFTER_REQUEST_LIMIT = 20
RETRY_CAP = 3600


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failures: 1, 2, 4 … minutes,
    at most an hour."""
    return int(min(RETRY_CAP, 60 * 2 ** max(0, attempts - 1)))


class Mailer:
    """Sends what the outbox holds through ``transport``; with no transport, mail stays
    queued (development shows it at ``/dev/outbox``)."""

    def __init__(self, database: Database, transport: Transport | None, sender: str) -> None:
        self.database = database
        self.transport = transport
        self.sender = sender

    def build_message(self, row: dict[str, Any]) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = row["recipient"]
        message["Subject"] = row["subject"]
        message["Date"] = formatdate(localtime=False, usegmt=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=domain)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(row["text_body"] or "")
        return message

    def deliver(self, limit: int = 1000, *, include_deferred: bool = False) -> DeliveryReport:
        """Send up to ``limit`` due messages, one transaction each, and report counts."""
        if self.transport is None:
            return DeliveryReport()
        sent = failed = 0
        for _ in range(limit):
            with self.database.transaction() as conn:
                row = outbox.claim_next(conn, include_deferred=include_deferred)
                if row is None:
                    break
                try:
                    self.transport.send(self.build_message(row))
                except DeliveryError as exc:
                    failed += 1
                    retry = None if exc.permanent else retry_delay(row["attempts"] + 1)
                    outbox.mark_failed(conn, row["id"], exc.reason, retry)
                    log.warning("mail %s not delivered: %s", row["id"], exc.reason)
                else:
                    sent += 1
                    outbox.mark_sent(conn, row["id"])
        return DeliveryReport(sent, failed)

    def deliver_quietly(self) -> None:
        """Deliver after a response; a failure is logged by kind, never raised."""
        try:
            self.deliver(AFTER_REQUEST_LIMIT)
        except Exception as exc:  # a broken outbox must not break the next request
            log.error("mail delivery stopped: %s", type(exc).__name__)


def build_mailer(settings: Settings, database: Database) -> Mailer:
    transport = (
        SmtpTransport(parse_smtp_url(settings.smtp_url, settings.smtp_timeout))
        if settings.smtp_url
        else None
    )
    _check_sender(settings.mail_from)
    return Mailer(database, transport, settings.mail_from)


def _check_sender(sender: str) -> None:
    name, address = parseaddr(sender)
    if "@" not in address:
        raise ValueError("mail_from must be an address, such as 'Name <no-reply@example.gov>'")
    Address(display_name=name, addr_spec=address)


def init_app(app: Flask, settings: Settings, database: Database) -> Mailer:
    """Deliver after every response whose request queued mail."""
    mailer = build_mailer(settings, database)
    app.extensions["idp.mailer"] = mailer
    if mailer.transport is None:
        where = " (see /dev/outbox)" if settings.development else ""
        app.logger.warning("SMTP_URL is not set: mail stays in the outbox%s", where)

    @app.after_request
    def deliver_after_response(response: Response) -> Response:
        if g.pop("idp_mail_queued", False) and mailer.transport is not None:
            response.call_on_close(mailer.deliver_quietly)
        return response

    from idp.mail.views import bp

    app.register_blueprint(bp)
    return mailer


def get_mailer() -> Mailer:
    mailer: Mailer = current_app.extensions["idp.mailer"]
    return mailer
