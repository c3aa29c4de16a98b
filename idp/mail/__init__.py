"""Transactional mail through an outbox table.

Callers queue a message inside their own transaction with :func:`queue_mail`; it is
sent over SMTP only once that transaction has committed (after the response, or by
``idp mail deliver``), so a rolled-back sign-up never mails a link. Message bodies and
SMTP credentials are never logged.

Exceptions::

    MailError
     ├── SmtpUrlError    SMTP_URL cannot be understood (raised at start-up)
     └── DeliveryError   the server could not be reached or refused the message
"""

from idp.mail.delivery import Mailer, get_mailer, init_app
from idp.mail.outbox import queue_mail
from idp.mail.transport import DeliveryError, MailError, SmtpUrlError

__all__ = [
    "DeliveryError",
    "MailError",
    "Mailer",
    "SmtpUrlError",
    "get_mailer",
    "init_app",
    "queue_mail",
]
