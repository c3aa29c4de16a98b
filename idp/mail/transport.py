"""Sending one message over SMTP, configured by a URL.

``smtp://host:port`` (plain), ``smtp+starttls://user:pass@host:587`` (upgraded to TLS
before anything else is said) and ``smtps://user:pass@host:465`` (TLS from the start).
User name and password are percent-decoded and kept out of ``repr``. Every failure
becomes a :class:`DeliveryError` whose text names only the kind of failure: SMTP
replies can quote the recipient, which must not reach the logs.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

Security = Literal["none", "starttls", "tls"]

_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


class MailError(Exception):
    """Something went wrong with mail."""


class SmtpUrlError(MailError, ValueError):
    """``SMTP_URL`` is not a URL this module understands."""


class DeliveryError(MailError):
    """The message was not accepted. ``permanent`` is true for a 5xx refusal, which
    retrying will not fix."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: Security
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    timeout: float = 5.0


def parse_smtp_url(url: str, timeout: float = 5.0) -> SmtpConfig:
    """Read an ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URL.

    >>> parse_smtp_url("smtp+starttls://me%40x.gov:p%3Ass@mail.x.gov").port
    587
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise SmtpUrlError("SMTP_URL is not a valid URL") from exc
    if parts.scheme not in _SCHEMES:
        raise SmtpUrlError("SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise SmtpUrlError("SMTP_URL has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SmtpUrlError("SMTP_URL takes no path, query or fragment")
    security, default_port = _SCHEMES[parts.scheme]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and username is None:
        raise SmtpUrlError("SMTP_URL has a password but no user name")
    if username is not None and security == "none" and parts.hostname not in _LOOPBACK:
        raise SmtpUrlError("SMTP_URL sends credentials without TLS; use smtp+starttls or smtps")
    return SmtpConfig(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=username,
        password=password,
        timeout=timeout,
    )


_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class Transport(Protocol):
    """Hands one message to a mail server, or raises :class:`DeliveryError`."""

    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """A new SMTP connection per message, with certificate checks for TLS."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def send(self, message: EmailMessage) -> None:
        # ``from None``: smtplib's exceptions quote recipients and server replies, and a
        # chained traceback would carry them into the logs.
        try:
            with self._connect() as client:
                if self.config.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.config.username is not None:
                    client.login(self.config.username, self.config.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise DeliveryError(
                f"recipient refused ({', '.join(map(str, codes))})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            permanent = exc.smtp_code >= 500 and not isinstance(
                exc, smtplib.SMTPAuthenticationError
            )
            raise DeliveryError(f"server replied {exc.smtp_code}", permanent=permanent) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(type(exc).__name__) from None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.security == "tls":
            return smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=config.timeout,
                context=ssl.create_default_context(),
            )
        return smtplib.SMTP(config.host, config.port, timeout=config.timeout)
