"""SMTP URLs and sending one message to a real SMTP server."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from idp.mail.transport import DeliveryError, SmtpTransport, SmtpUrlError, parse_smtp_url
from tests.conftest import _free_port
from tests.mail_catcher import MailCatcher


@pytest.mark.parametrize(
    ("url", "host", "port", "security", "username", "password"),
    [
        ("smtp://mail.example.gov", "mail.example.gov", 25, "none", None, None),
        ("smtp://127.0.0.1:2525", "127.0.0.1", 2525, "none", None, None),
        ("smtp+starttls://u:p@mail.example.gov", "mail.example.gov", 587, "starttls", "u", "p"),
        (
            "smtps://me%40x.gov:p%3As%2Fs@mail.x.gov:4650",
            "mail.x.gov",
            4650,
            "tls",
            "me@x.gov",
            "p:s/s",
        ),
        ("smtp://user:pw@localhost:25", "localhost", 25, "none", "user", "pw"),
    ],
)
def test_smtp_urls_are_understood(
    url: str, host: str, port: int, security: str, username: str | None, password: str | None
) -> None:
    config = parse_smtp_url(url)
    assert (config.host, config.port, config.security) == (host, port, security)
    assert (config.username, config.password) == (username, password)


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.gov",
        "mail.example.gov:25",
        "smtp://",
        "smtp://mail.example.gov:notaport",
        "smtp://mail.example.gov:99999",
        "smtp://mail.example.gov/path",
        "smtp://mail.example.gov?x=1",
        "smtp://user:secret@mail.example.gov",
        "smtp+starttls://:secret@mail.example.gov",
    ],
)
def test_bad_smtp_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(SmtpUrlError) as raised:
        parse_smtp_url(url)
    assert "secret" not in str(raised.value)


def test_credentials_stay_out_of_repr() -> None:
    config = parse_smtp_url("smtps://someone:hunter2-secret@mail.example.gov")
    assert "hunter2" not in repr(config) and "someone" not in repr(config)


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "no-reply@example.gov"
    message["To"] = to
    message["Subject"] = "Hello"
    message.set_content("Body text")
    return message


def test_sends_to_a_real_server(smtp_server: MailCatcher) -> None:
    SmtpTransport(parse_smtp_url(smtp_server.url)).send(_message("transport@example.gov"))
    received = smtp_server.wait_for("transport@example.gov", "Hello")
    assert received.body.strip() == "Body text"


def test_an_unreachable_server_is_a_delivery_error_naming_no_one() -> None:
    transport = SmtpTransport(parse_smtp_url(f"smtp://127.0.0.1:{_free_port()}", timeout=2))
    with pytest.raises(DeliveryError) as raised:
        transport.send(_message("nobody-here@example.gov"))
    assert not raised.value.permanent
    assert "nobody-here" not in str(raised.value)
