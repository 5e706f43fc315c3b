"""A MongoDB for tests: $MONGODB_URI when set (a real mongod), else a SecantusDB process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from tests.support.sandbox import unused_port

SECANTUSD = Path(sys.executable).with_name("secantusd-py")


def unique_db_name(prefix: str = "test") -> str:
    """A fresh database name, so tests sharing one server never see each other's data."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def answers_ping(uri: str, timeout: float = 0.5) -> bool:
    ms = int(timeout * 1000)
    client: MongoClient = MongoClient(
        uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, directConnection=True
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def start_secantus(data_dir: Path, timeout: float = 30.0) -> tuple[str, Callable[[], None]]:
    """Launch `secantusd-py` on a free loopback port with its data in `data_dir`.

    Returns the URI and a function that stops the server (the data stays, so a server
    started again on the same directory sees it).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    port = unused_port()
    log_path = data_dir.parent / f"{data_dir.name}.log"
    log = log_path.open("ab")
    args = ["--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data_dir)]
    process = subprocess.Popen(
        [str(SECANTUSD), *args, "--log-level", "WARNING"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    deadline = time.monotonic() + timeout
    while not answers_ping(uri):
        if process.poll() is not None or time.monotonic() > deadline:
            stop()
            raise RuntimeError(f"SecantusDB did not start; see {log_path}")
        time.sleep(0.1)
    return uri, stop


@contextmanager
def mongo_server(data_dir: Path, own: bool = False) -> Iterator[tuple[str, Callable[[], None]]]:
    """Yield a MongoDB URI and a stop function: $MONGODB_URI if set, else a SecantusDB.

    `own` always starts a private SecantusDB, for tests that stop the store on purpose.
    """
    if (uri := os.environ.get("MONGODB_URI")) and not own:
        yield uri, lambda: None
        return
    uri, stop = start_secantus(data_dir)
    try:
        yield uri, stop
    finally:
        stop()
