"""Serving the app with uWSGI: a master process, an HTTP router and worker processes.

The router (C, event-driven) holds the clients' HTTP/1.1 keep-alive connections and
passes each request to a free worker over a private Unix socket; the workers' request
parsing, environ building and access log run in C too. A token request costs about a
quarter less CPU than under gunicorn (see docs/benchmarks.md), and idle connections
cost no worker. Workers are single-threaded by default (``--threads`` changes that).
TLS is terminated in front of the provider by the deployment's proxy or load balancer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click
import pyuwsgi

from idp.db import Database, resolve_database_url
from idp.migrate import apply_migrations
from idp.settings import load_settings

# Request line plus headers, in bytes: room for long logout hints and cookies.
REQUEST_BUFFER = 65535

# sun_path holds 108 bytes on Linux, the terminating NUL included.
MAX_SOCKET_PATH = 107

# The access log holds the path only: never a query string (codes, states, hints).
ACCESS_LOG_FORMAT = '%(addr) "%(method) %(var.PATH_INFO)" %(status) %(size) %(msecs)ms'


# Bodies larger than this that the app left unread are not drained: their client gets
# a reset connection instead of the app's answer (a 413 page, typically).
MAX_DRAINED_BODY = 64 * 1024 * 1024
_DRAIN_CHUNK = 256 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DrainUnreadBody:
    """Reads, and drops, whatever part of the request body the app left unread before
    the response goes out.

    uWSGI's router forwards a request's body to the worker while the worker answers;
    if the worker answers without reading it (a 413 for an oversized upload, say) and
    closes the connection, the router resets the client's connection and the client
    never sees the answer. Draining the rest first lets the answer through.
    """

    def __init__(self, app: WsgiApp, limit: int = MAX_DRAINED_BODY) -> None:
        self.app = app
        self.limit = limit

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        result = self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if 0 < length <= self.limit:
            stream = environ["wsgi.input"]
            while stream.read(_DRAIN_CHUNK):
                pass
        return result


def uwsgi_arguments(host: str, port: int, workers: int, threads: int, socket: Path) -> list[str]:
    """uWSGI's command line for serving the app at ``host:port``; the router reaches
    the workers through the Unix socket ``socket``."""
    return [
        "--strict",
        "--master",
        f"--processes={workers}",
        f"--threads={threads}",
        "--enable-threads",
        f"--http={host}:{port}",
        "--http-keepalive",
        # Only the router may speak to the workers: their protocol can set any variable.
        f"--socket={socket}",
        "--chmod-socket=600",
        f"--http-to={socket}",
        "--vacuum",
        "--module=idp.wsgi:application",
        # Each worker builds its own app (database pool, threads) after the fork.
        "--lazy-apps",
        "--need-app",
        "--py-call-osafterfork",
        "--single-interpreter",
        "--thunder-lock",
        f"--buffer-size={REQUEST_BUFFER}",
        f"--log-format={ACCESS_LOG_FORMAT}",
        # A client that goes away mid-response is not an error of ours.
        "--ignore-sigpipe",
        "--ignore-write-errors",
        "--disable-write-exception",
        # SIGTERM stops the server: workers finish the requests they are serving.
        "--hook-master-start=unix_signal:15 gracefully_kill_them_all",
        "--worker-reload-mercy=15",
        "--no-orphans",
    ]


def default_workers() -> int:
    """Two single-threaded workers per CPU: under CPython's GIL, threads in one process
    cost each request 10-15% more CPU (context switches) than separate processes."""
    return 2 * (os.cpu_count() or 1)


def run_server(host: str, port: int, workers: int, threads: int = 1) -> None:
    """Apply migrations once, then serve until SIGTERM or SIGINT."""
    settings = load_settings()
    database = Database(resolve_database_url(settings), max_size=1)
    try:
        apply_migrations(database)
    finally:
        database.close()
    socket = _worker_socket(settings.data_dir, port)
    pyuwsgi.run(uwsgi_arguments(host, port, workers, threads, socket))


def _worker_socket(data_dir: Path, port: int) -> Path:
    """The workers' Unix socket, in a folder of the data folder only this user can enter."""
    folder = data_dir.resolve() / "run"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    socket = folder / f"workers-{port}.sock"
    if len(os.fsencode(socket)) > MAX_SOCKET_PATH:
        raise click.UsageError(
            f"The data folder's path is too long for a Unix socket: {socket}. "
            "Set IDP_DATA_DIR to a shorter path."
        )
    return socket
