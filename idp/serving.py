"""Serving the app with uWSGI: a master process, an HTTP router and worker processes.

The router (C, event-driven) holds the clients' HTTP/1.1 keep-alive connections and
passes each request to a free worker over a private Unix socket; the workers' request
parsing, environ building and access log run in C too. A token request costs about a
quarter less CPU than under gunicorn (see docs/benchmarks.md), and idle connections
cost no worker. Workers are single-threaded by default (``--threads`` changes that).
TLS is terminated in front of the provider by the deployment's proxy or load balancer.

``idp serve`` does once, before any worker starts, what the workers would otherwise
race to do on a first start (migrations, key files, signing keys), then runs uWSGI's
master under :func:`idp.supervisor.supervise`, which bounds how long stopping takes.
"""

from __future__ import annotations

import atexit
import importlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click
import pyuwsgi

from idp.assets import missing_assets
from idp.db import Database, resolve_database_url
from idp.keyfiles import secret_key
from idp.migrate import apply_migrations
from idp.oidc.keys import ensure_keys
from idp.sealing import load_master_key
from idp.settings import Settings, load_settings
from idp.supervisor import supervise

# Request line plus headers, in bytes: room for long logout hints and cookies.
REQUEST_BUFFER = 65535

# sun_path holds 108 bytes on Linux, the terminating NUL included.
MAX_SOCKET_PATH = 107

# Connections waiting for a worker: each of the router's and the workers' sockets queues
# up to this many (or the kernel's net.core.somaxconn, if lower). uWSGI's default of 100
# is too few for a burst of sign-ins: a request beyond it found its connection closed
# without an answer.
LISTEN_QUEUE = 1024

# The access log holds the path only: never a query string (codes, states, hints).
ACCESS_LOG_FORMAT = '%(addr) "%(method) %(var.PATH_INFO)" %(status) %(size) %(msecs)ms'


# Bodies larger than this that the app left unread are not drained: their client gets
# a reset connection instead of the app's answer (a 413 page, typically).
MAX_DRAINED_BODY = 64 * 1024 * 1024
_DRAIN_CHUNK = 256 * 1024

# Seconds from SIGTERM until the server has exited and freed its port: requests still
# running then are cut off. Under the 30 s that orchestrators commonly wait.
SHUTDOWN_GRACE = 25

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
        f"--listen={listen_queue()}",
        f"--log-format={ACCESS_LOG_FORMAT}",
        # A client that goes away mid-response is not an error of ours.
        "--ignore-sigpipe",
        "--ignore-write-errors",
        "--disable-write-exception",
        # SIGTERM stops the server: workers finish the requests they are serving. The
        # master waits for them with no time limit (worker-reload-mercy does not apply
        # there); idp.supervisor sets one.
        "--hook-master-start=unix_signal:15 gracefully_kill_them_all",
        # Before that hook is in place, SIGTERM stops the master instead of reloading it.
        "--die-on-term",
        "--worker-reload-mercy=15",
        # A worker's exit hook closes its database pool (close_at_worker_exit), and the
        # interpreter teardown after it is skipped: it takes seconds with our libraries
        # loaded, and in it an unclosed pool's finaliser joins threads that the teardown
        # has already stopped, waiting 5 s for each.
        "--skip-atexit-teardown",
        # Workers die with the master, and so does the router.
        "--no-orphans",
    ]


def listen_queue(somaxconn: Path = Path("/proc/sys/net/core/somaxconn")) -> int:
    """:data:`LISTEN_QUEUE`, or the kernel's limit if lower (uWSGI refuses to start
    when asked for more than the kernel allows)."""
    try:
        return min(LISTEN_QUEUE, int(somaxconn.read_text()))
    except (OSError, ValueError):
        return 128  # the kernel's default before Linux 5.4


def default_workers() -> int:
    """Two single-threaded workers per CPU: under CPython's GIL, threads in one process
    cost each request 10-15% more CPU (context switches) than separate processes."""
    return 2 * (os.cpu_count() or 1)


def run_server(
    host: str, port: int, workers: int, threads: int = 1, shutdown_grace: float = SHUTDOWN_GRACE
) -> int:
    """Prepare the first start once, then serve until SIGTERM or SIGINT, and stop within
    ``shutdown_grace`` seconds of it. Returns the exit status.

    Raises :class:`idp.sealing.MasterKeyError` before anything is served if the master
    key is not the one the database is sealed under."""
    settings = load_settings()
    socket = _worker_socket(settings.data_dir, port)
    prepare_first_start(settings)
    arguments = uwsgi_arguments(host, port, workers, threads, socket)
    return supervise(lambda: pyuwsgi.run(arguments), shutdown_grace, cleanup=[socket])


def deployment_problems(settings: Settings, workers: int, static_folder: Path) -> list[str]:
    """Why ``idp serve`` must not start with ``settings`` and ``workers``, if anything."""
    problems = []
    missing = missing_assets(static_folder)
    if missing:
        problems.append(
            f"the pages' styles and scripts are missing ({', '.join(missing)}): run "
            "`make static` in a checkout, or install from a wheel built with `pip wheel .`"
        )
    if workers > 1 and not settings.redis_url:
        problems.append(
            f"{workers} workers need REDIS_URL: without Redis each worker keeps its own "
            "sign-in throttling counters, which multiplies every limit by the workers"
        )
    return problems


def prepare_first_start(settings: Settings) -> None:
    """Do once, before any worker starts, what a first start needs: apply migrations,
    create the master key and secret key files, record the master key's check value
    and create the signing keys. The workers then only read them."""
    database = Database(resolve_database_url(settings), max_size=1)
    try:
        apply_migrations(database)
        ensure_keys(database, load_master_key(settings, database))
    finally:
        database.close()
    if not settings.secret_key:
        secret_key(settings.data_dir)


def close_at_worker_exit(close: Callable[[], None]) -> None:
    """Run ``close`` when this worker process exits.

    Under uWSGI it runs in uWSGI's exit hook, which comes before the interpreter
    teardown (that our workers skip, and Python's ``atexit`` with it): a connection
    pool's threads are stopped while they still answer, instead of being waited for in
    the teardown. Under any other server it runs from Python's ``atexit``."""
    try:
        uwsgi: Any = importlib.import_module("uwsgi")  # only inside uWSGI's processes
    except ImportError:
        atexit.register(close)
        return
    earlier: Callable[[], None] | None = getattr(uwsgi, "atexit", None)

    def at_exit() -> None:
        close()
        if earlier is not None:
            earlier()

    uwsgi.atexit = at_exit


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
