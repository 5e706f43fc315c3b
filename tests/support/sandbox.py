"""Run the sandbox bank (or any ASGI app) on a free loopback port in a background thread.

Real uvicorn, real sockets: clients under test talk HTTP to it exactly as in production.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp

from sandbox import create_app

Stop = Callable[[], None]


def unused_port() -> int:
    """A loopback port nothing listens on (for "bank API down" tests)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app: ASGIApp, startup_timeout: float = 30.0) -> tuple[str, Stop]:
    """Serve `app` (lifespan included) until `stop()` is called; returns its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("server did not start (see its log above)")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


def start_sandbox(database_url: str, api_key: str) -> tuple[str, Stop]:
    """The sandbox bank on its own database; seeded on start if the database is empty."""
    return serve(create_app(database_url, api_key))
