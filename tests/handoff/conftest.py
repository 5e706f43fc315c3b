"""Two Teller workers sharing MongoDB and Redis, agents made with the CLI, and the people
on both ends: a customer on the REST channel and agents on the console's API and socket,
or in headless Chromium on the console page."""

from __future__ import annotations

import itertools
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page
from pymongo import MongoClient
from websockets.sync.client import ClientConnection, connect

from connectors.frames import customer_frame, pushed_events
from tests.e2e.conftest import Customer
from tests.support.browser import chromium
from tests.support.process import ROOT, ServerProcess, start_teller
from tests.support.stack import Stack, running_stack

CONFIG = Path(__file__).with_name("config.yml")
AGENT_SECRET = secrets.token_urlsafe(32)
PASSWORD = "correct horse battery"
REDIS_URL = "redis://127.0.0.1:6379/0"  # the stack's: the bus and locks live there


@dataclass
class Workers:
    stack: Stack
    a: ServerProcess  # the stack's own Teller
    b: ServerProcess  # a second worker on the same MongoDB and Redis

    @property
    def env(self) -> dict[str, str]:
        return {k: v for k, v in self.a.env.items() if k != "PORT"}


@pytest.fixture(scope="session")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    os.environ["TELLER_AGENT_SECRET"] = AGENT_SECRET  # both workers sign sessions alike
    tmp = tmp_path_factory.mktemp("handoff")
    with running_stack(tmp, CONFIG) as stack:
        env = {k: v for k, v in stack.teller.env.items() if k != "PORT"}
        second = start_teller(env, tmp / "teller-b.log")
        try:
            yield Workers(stack, stack.teller, second)
        finally:
            second.stop()


def agents_command(
    workers: Workers, *args: str, password: str | None = None
) -> subprocess.CompletedProcess:
    """`python -m bot agents ARGS` as an operator runs it beside the workers; `password`
    is typed on stdin (with --password-stdin)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "agents", *args],
        input=None if password is None else password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=workers.a.env,
        timeout=60,
    )


def add_agent(
    workers: Workers, name: str, password: str, *extra: str
) -> subprocess.CompletedProcess:
    return agents_command(workers, "add", name, "--password-stdin", *extra, password=password)


@pytest.fixture(scope="session")
def agent_names(workers: Workers) -> tuple[str, str]:
    for name, shown in (("ana", "Ana"), ("ben", "Ben")):
        done = add_agent(workers, name, PASSWORD, "--display-name", shown)
        assert done.returncode == 0, done.stderr
    return "ana", "ben"


@pytest.fixture(scope="session")
def mongo(workers: Workers) -> Iterator[Any]:
    with MongoClient(workers.stack.mongo_uri) as client:
        yield client[workers.stack.mongo_db]


class AgentConsole:
    """An agent's browser without the page: the console's JSON API and its live socket.

    `ip` is the client address the worker sees (sent as X-Forwarded-For, which the server
    trusts from loopback as from a proxy), so each test's sign-in limits are its own."""

    def __init__(self, worker: ServerProcess, name: str, ip: str | None = None) -> None:
        self.worker = worker
        self.name = name
        headers = {"X-Forwarded-For": ip} if ip else {}
        self.http = httpx.Client(base_url=worker.base_url, timeout=30, headers=headers)
        self.csrf: str | None = None  # the session's anti-forgery token, as the page keeps it

    def sign_in(self, password: str = PASSWORD) -> httpx.Response:
        response = self.http.post(
            "/agent/api/session", json={"name": self.name, "password": password}
        )
        if response.status_code == 200:
            self.csrf = response.json().get("csrf_token")
        return response

    @property
    def _guarded(self) -> dict[str, str]:
        """The header the console's page sends with every POST and DELETE."""
        return {"X-CSRF-Token": self.csrf} if self.csrf else {}

    def sign_out(self) -> httpx.Response:
        return self.http.delete("/agent/api/session", headers=self._guarded)

    @property
    def token(self) -> str | None:
        return self.http.cookies.get("teller_agent")

    def queue(self) -> dict[str, Any]:
        return self.http.get("/agent/api/queue").json()

    def post(self, conversation_id: str, what: str, text: str | None = None) -> httpx.Response:
        body = {"text": text} if text is not None else None
        return self.http.post(
            f"/agent/api/conversations/{conversation_id}/{what}", json=body, headers=self._guarded
        )

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        response = self.http.get(f"/agent/api/conversations/{conversation_id}")
        assert response.status_code == 200, response.text
        return response.json()

    @contextmanager
    def live(self) -> Iterator[ClientConnection]:
        """The console's socket (the agent is online while it is open)."""
        url = self.worker.base_url.replace("http", "ws") + "/agent/ws"
        with connect(url, additional_headers={"Cookie": f"teller_agent={self.token}"}) as socket:
            assert json.loads(socket.recv(timeout=10))["type"] == "ready"
            yield socket


def next_events(socket: ClientConnection, conversation_id: str, timeout: float = 10) -> list[dict]:
    """The next batch of transcript events for `conversation_id` on an agent's socket."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        frame = json.loads(socket.recv(timeout=left))
        if frame.get("conversation_id") == conversation_id:
            return frame["events"]
    raise AssertionError("no events arrived")


@pytest.fixture
def ana(workers: Workers, agent_names: tuple[str, str]) -> Iterator[AgentConsole]:
    """Ana, signed in on worker B."""
    console = AgentConsole(workers.b, agent_names[0])
    assert console.sign_in().status_code == 200
    yield console
    console.http.close()


@pytest.fixture
def ben(workers: Workers, agent_names: tuple[str, str]) -> Iterator[AgentConsole]:
    """Ben, signed in on worker A."""
    console = AgentConsole(workers.a, agent_names[1])
    assert console.sign_in().status_code == 200
    yield console
    console.http.close()


@pytest.fixture
def customer(workers: Workers) -> Iterator[Customer]:
    """cust-001 on the REST channel of worker A."""
    with httpx.Client(base_url=workers.a.base_url, timeout=30) as http:
        token = http.post("/dev/token", json={"customer_id": "cust-001"}).json()["token"]
        yield Customer(http, "cust-001", token)


class CustomerFeed:
    """What a customer's widget hears on the bus for one conversation (topic conv:{id}):
    the events as published (`published`), and the frames the widget makes of them."""

    def __init__(self, workers: Workers, conversation_id: str) -> None:
        prefix = workers.a.env.get("REDIS_PREFIX", "teller:")  # the stack's Redis namespace
        self._client = redis.Redis.from_url(REDIS_URL)
        self._pubsub = self._client.pubsub()
        self._pubsub.subscribe(f"{prefix}bus:conv:{conversation_id}")
        self._pubsub.get_message(timeout=2)  # the subscribe confirmation
        self.published: list[dict[str, Any]] = []

    def frames(self, wait: float = 1.0) -> list[dict[str, Any]]:
        found, deadline = [], time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is None:
                continue
            payload = json.loads(message["data"])
            self.published.append(payload)
            found.extend(filter(None, map(customer_frame, pushed_events(payload))))
        return found

    def close(self) -> None:
        self._pubsub.close()
        self._client.close()


@contextmanager
def customer_feed(workers: Workers, conversation_id: str) -> Iterator[CustomerFeed]:
    feed = CustomerFeed(workers, conversation_id)
    try:
        yield feed
    finally:
        feed.close()


def wait_until_nobody_online(console: AgentConsole, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while console.queue()["agents_online"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert console.queue()["agents_online"] == 0


_addresses = itertools.count(1)


def next_address() -> str:
    """A client address no other sign-in in this run has used (documentation range, only
    ever sent as an X-Forwarded-For value)."""
    n = next(_addresses)
    return f"192.0.2.{n % 250 + 1}" if n < 250 else f"203.0.113.{n % 250 + 1}"


def lock_out(worker: ServerProcess, name: str, max_wrong: int = 12) -> tuple[httpx.Response, int]:
    """Wrong passwords for `name`, each from a new address, sitting out every wait they
    impose, until a sign-in is refused with 403; that answer and how many were refused
    with 401 before it."""
    wrong = 0
    while wrong <= max_wrong:
        console = AgentConsole(worker, name, ip=next_address())
        try:
            response = console.sign_in("certainly not the password")
        finally:
            console.http.close()
        if response.status_code == 429:
            time.sleep(int(response.headers["Retry-After"]) + 0.1)
        elif response.status_code == 403:
            return response, wrong
        else:
            assert response.status_code == 401, response.text
            wrong += 1
    raise AssertionError(f"{max_wrong} wrong passwords for {name} and still not locked")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def sign_in(page: Page, password: str = PASSWORD, name: str = "ana") -> None:
    """Sign in to the console page (as Ana unless `name` says otherwise)."""
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
