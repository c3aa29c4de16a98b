"""A small JSON server on 127.0.0.1 standing in for a record-check service."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from idp.proofing.ports.json_http import ServiceConfig

Answer = Callable[[dict[str, Any]], tuple[int, Any, float]]

TOKEN = "s3cret-token"


@dataclass
class RecordsServer:
    """Answers each POST with ``answer(body)``: (status, JSON or raw bytes, delay)."""

    answer: Answer = lambda body: (200, {"request_id": body["request_id"], "result": "match"}, 0)
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    def config(self, read_timeout: float = 2.0) -> ServiceConfig:
        """Settings for an adapter that calls this server with the ``TOKEN``."""
        return ServiceConfig(self.url, TOKEN, connect_timeout=1.0, read_timeout=read_timeout)


@pytest.fixture
def records_server() -> Iterator[RecordsServer]:
    state = RecordsServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.received.append((dict(self.headers), body))
            status, payload, delay = state.answer(body)
            time.sleep(delay)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/document-checks"
    yield state
    server.shutdown()
    server.server_close()
