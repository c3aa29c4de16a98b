"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, so tests
read mail as a person would and follow its links."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

LINK = re.compile(r"https?://\S+")


@dataclass
class Received:
    to: str
    subject: str
    body: str
    message: EmailMessage

    def link(self, path: str) -> str:
        """The first link in the body whose path starts with ``path``."""
        for url in LINK.findall(self.body):
            if path in url:
                return str(url)
        raise AssertionError(f"no {path} link in: {self.body}")


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        for recipient in envelope.rcpt_tos:
            self.catcher.add(recipient, message)
        return "250 OK"


class MailCatcher:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"smtp://127.0.0.1:{port}"
        self._messages: list[Received] = []
        self._changed = threading.Condition()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def add(self, recipient: str, message: EmailMessage) -> None:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        with self._changed:
            self._messages.append(Received(recipient, str(message["Subject"]), text, message))
            self._changed.notify_all()

    def messages(self, to: str) -> list[Received]:
        with self._changed:
            return [m for m in self._messages if m.to.lower() == to.lower()]

    def wait_for(self, to: str, subject: str = "", count: int = 1, timeout: float = 10) -> Received:
        """The ``count``-th message to ``to`` whose subject contains ``subject``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [
                    m for m in self._messages if m.to.lower() == to.lower() and subject in m.subject
                ]
                if len(found) >= count:
                    return found[count - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [m.subject for m in self._messages if m.to.lower() == to.lower()]
                    raise AssertionError(f"no mail {subject!r} to {to} (saw {seen})")
                self._changed.wait(remaining)

    def assert_nothing_more(self, to: str, count: int, wait: float = 1.0) -> None:
        time.sleep(wait)
        assert len(self.messages(to)) == count, [m.subject for m in self.messages(to)]
