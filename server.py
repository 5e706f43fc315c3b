"""Runs Teller: `python server.py` serves the app `compose.create_app` builds from config.yml.

With `server.workers` above 1 (TELLER_WORKERS), uvicorn runs that many processes on the
one port, each building its own app (`worker_app`); PROMETHEUS_MULTIPROC_DIR (a fresh
directory when it is not set) lets `/metrics` on any of them add up all of them. On
SIGTERM the server stops taking connections, lets the turns in flight finish (at most
`server.shutdown_grace_seconds`), and only then closes the app, which writes every event
still queued for the store.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from bot.config import Settings, load_settings
from bot.observe import logs

if TYPE_CHECKING:
    from fastapi import FastAPI

# prometheus-client picks its multiprocess mode when it is imported, and then writes its
# files in this directory at once: the directory is made (and emptied) before the app and
# its metrics are imported, and only by the parent process.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _configure_logs(settings: Settings) -> None:
    logs.configure(logs.log_format(settings.dev_mode))


def worker_app() -> FastAPI:
    """One worker's app, when uvicorn runs several (each process calls this once)."""
    from compose import create_app

    settings = load_settings()
    _configure_logs(settings)
    return create_app(settings)


def _metrics_directory() -> None:
    """PROMETHEUS_MULTIPROC_DIR for the workers to inherit: made, and emptied of an
    earlier run's files (a fresh temporary directory when it is not set)."""
    directory = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="teller-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()


def main() -> None:
    settings = load_settings()
    _configure_logs(settings)
    options = {
        "host": settings.server.host,
        "port": settings.server.port,
        "log_config": None,  # uvicorn's lines go through our handler, as JSON outside dev
        "access_log": False,
        "ws_max_size": settings.server.max_frame_bytes,  # a bigger frame is refused as it arrives
        "timeout_graceful_shutdown": int(settings.server.shutdown_grace_seconds) or None,
    }
    if settings.server.workers == 1:
        if os.environ.get(MULTIPROC_ENV):
            _metrics_directory()
        from compose import create_app

        uvicorn.run(create_app(settings), **options)
        return
    _metrics_directory()
    uvicorn.run("server:worker_app", factory=True, workers=settings.server.workers, **options)


if __name__ == "__main__":
    main()
