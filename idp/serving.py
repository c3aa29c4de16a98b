"""Serving the app with gunicorn (threads in each worker process)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from idp.db import Database, resolve_database_url
from idp.migrate import apply_migrations
from idp.settings import load_settings


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from idp import create_app

        return create_app()


def run_server(host: str, port: int, workers: int, threads: int = 4) -> None:
    """Apply migrations once, then serve until interrupted."""
    settings = load_settings()
    apply_migrations(Database(resolve_database_url(settings), max_size=1))
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            # The access log holds paths only: never query strings (codes, states, hints).
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms',
        }
    ).run()
