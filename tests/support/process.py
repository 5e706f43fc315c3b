"""Runs our servers as their own processes on free loopback ports, as production would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.sandbox import unused_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServerProcess:
    """A server command that answers `health` with 200 once ready; `restart()` keeps its port."""

    argv: list[str]
    env: dict[str, str]
    port: int
    health: str
    log_path: Path
    headers: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv[1:3]} exited at start-up; see {self.log_path}")
            try:
                url = self.base_url + self.health
                if httpx.get(url, headers=self.headers, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.argv[1:3]} did not answer in {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def start_teller(env: dict[str, str], log_path: Path) -> ServerProcess:
    """`server.py` with `env` laid over this process's environment, on a free port."""
    port = unused_port()
    server = ServerProcess(
        [sys.executable, str(ROOT / "server.py")],
        {**os.environ, **env, "PORT": str(port)},
        port,
        "/healthz",
        log_path,
    )
    server.start()
    return server


def start_sandbox_process(database_url: str, api_key: str, log_path: Path) -> ServerProcess:
    """`python -m sandbox`: the bank in its own process, so it never shares our GIL."""
    port = unused_port()
    server = ServerProcess(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--database-url",
            database_url,
        ],
        {**os.environ, "BANK_API_KEY": api_key},
        port,
        "/customers",
        log_path,
        headers={"Authorization": f"Bearer {api_key}"},
    )
    server.start()
    return server
