"""An ASGI app served on a loopback port from a background thread (uvicorn): the simulator
and the review server both run this way, so tests and users reach them over real HTTP.

>>> with LoopbackServer(app) as server:   # doctest: +SKIP
...     server.url   # 'http://127.0.0.1:54321'
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Self

import uvicorn

from titanaudit.errors import ConfigError

__all__ = ["LoopbackServer"]


class LoopbackServer:
    """Serve ``app`` on ``host`` (loopback) and ``port`` (0: a free one): :meth:`start` in a
    background thread, or :meth:`serve_forever` in this one."""

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "critical",
        name: str = "titanaudit-server",
    ) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError as exc:
            self.socket.close()
            raise ConfigError(
                f"cannot serve on {host}:{port}: {exc.strerror}; pick another --port"
            ) from None
        self.host, self.port = self.socket.getsockname()[:2]
        config = uvicorn.Config(
            app, log_level=log_level, access_log=False, timeout_keep_alive=30, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        self.server.run(sockets=[self.socket])

    def start(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            raise RuntimeError(f"{self.thread.name} did not start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        self.socket.close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self.server.run(sockets=[self.socket])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
