"""``idp check``: what a production configuration must have, checked before start.

Each check returns the problems it finds, as sentences an operator can act on; none
of them names a secret's value.
"""

from __future__ import annotations

import socket
import stat
from pathlib import Path

from idp.db import Database, resolve_database_url
from idp.mail.transport import SmtpUrlError, parse_smtp_url
from idp.sealing import MasterKeyError, check_master_key
from idp.serving import deployment_problems
from idp.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"


def production_problems(settings: Settings, workers: int) -> list[str]:
    """Every problem ``settings`` has for a production server with ``workers``."""
    return [
        *_issuer(settings),
        *_secret("IDP_MASTER_KEY", settings.master_key, settings.data_dir / "master.key"),
        *_secret("IDP_SECRET_KEY", settings.secret_key, settings.data_dir / "secret.key"),
        *deployment_problems(settings, workers, STATIC),
        *_proxies(settings),
        *_database(settings),
        *_smtp(settings),
    ]


def _issuer(settings: Settings) -> list[str]:
    if settings.issuer.startswith("https://"):
        return []
    return [f"IDP_ISSUER must be an https:// URL, not {settings.issuer!r}"]


def _secret(variable: str, value: str | None, path: Path) -> list[str]:
    """A key comes from the environment, or from a file only its owner can read."""
    if value:
        return []
    if not path.is_file():
        return [f"{variable} is not set and {path} does not exist"]
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return [f"{path} can be read by others (mode {mode:o}): chmod 600 it"]
    return []


def _proxies(settings: Settings) -> list[str]:
    if settings.trusted_proxies:
        return []
    return [
        "IDP_TRUSTED_PROXIES is 0: behind the TLS proxy every person would share its "
        "address for sign-in throttling; set it to the number of proxies in front"
    ]


def _database(settings: Settings) -> list[str]:
    if not settings.database_url:
        return ["DATABASE_URL is not set: production uses its own PostgreSQL server"]
    try:
        database = Database(resolve_database_url(settings), max_size=1)
    except Exception as exc:  # any failure to connect is the problem reported
        return [f"the database does not answer ({type(exc).__name__})"]
    try:
        check_master_key(settings, database)
    except MasterKeyError as exc:
        return [str(exc)]
    except Exception as exc:
        return [f"the database does not answer ({type(exc).__name__})"]
    finally:
        database.close()
    return []


def _smtp(settings: Settings) -> list[str]:
    if not settings.smtp_url:
        return ["SMTP_URL is not set: no mail would leave the outbox"]
    try:
        config = parse_smtp_url(settings.smtp_url, settings.smtp_timeout)
    except SmtpUrlError as exc:
        return [str(exc)]
    try:
        with socket.create_connection((config.host, config.port), timeout=config.timeout):
            pass
    except OSError as exc:
        return [f"the SMTP server {config.host}:{config.port} does not answer ({exc.strerror})"]
    return []
