"""A round-robin TCP load balancer on 127.0.0.1, as a deployment puts in front of
several ``idp serve`` instances: each new client connection goes to the next backend,
and bytes are passed through untouched (TLS would end here, or before it)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
from collections import Counter


class Balancer:
    def __init__(self, backends: list[int], host: str = "127.0.0.1") -> None:
        self.backends = backends
        self.host = host
        self.connections: Counter[int] = Counter()  # backend port → connections sent to it
        self._next = itertools.cycle(backends)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        self.port: int = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, sock=self._listener, backlog=1024)
        )
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = next(self._next)
        self.connections[port] += 1
        try:
            backend_reader, backend_writer = await asyncio.open_connection(self.host, port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, backend_writer), _pipe(backend_reader, writer))

    def close(self) -> None:
        def stop() -> None:
            self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(RuntimeError):  # the loop is closing
            writer.close()
