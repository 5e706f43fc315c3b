"""One Teller stack for the widget tests, a bank's page that embeds the widget, helpers to
use the widget as a customer would, and helpers to act as the agent side of it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect
from pymongo import MongoClient
from pymongo.collection import Collection

from tests.support.sandbox import unused_port
from tests.support.stack import Stack, running_stack

CONFIG = Path(__file__).parents[1] / "e2e" / "config.yml"


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example Bank</title></head>
<body>
  <h1>Example Bank</h1>
  <a href="/accounts">Your accounts</a>
  <script>
    // The bank's page asks its own backend for the signed-in customer's Teller token.
    window.bankToken = async () => (await (await fetch("/teller-token")).json()).token;
    window.forgedToken = () => "not-a-real-token";
  </script>
  <script src="{teller}/widget/widget.js" {attrs} defer></script>
</body></html>"""


class HostSite:
    """A bank's website on its own origin: `/` embeds the widget, `/teller-token` signs in."""

    def __init__(
        self, teller_url: str, token: str, files: dict[str, tuple[bytes, str]] | None = None
    ) -> None:
        served = dict(files or {})  # path -> (body, content type): pictures a test shows
        pages = {
            "/": HOST_PAGE.format(teller=teller_url, attrs='data-token="bankToken"'),
            "/anonymous": HOST_PAGE.format(teller=teller_url, attrs=""),
            "/heartbeat": HOST_PAGE.format(
                teller=teller_url, attrs='data-token="bankToken" data-heartbeat="1"'
            ),
            "/forged": HOST_PAGE.format(teller=teller_url, attrs='data-token="forgedToken"'),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/teller-token":
                    data, kind = json.dumps({"token": token}).encode(), "application/json"
                elif self.path in pages:
                    data, kind = pages[self.path].encode(), "text/html"
                elif self.path in served:
                    data, kind = served[self.path]
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", unused_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("widget-stack"), CONFIG) as running:
        yield running


@pytest.fixture(scope="session")
def events(stack: Stack) -> Iterator[Collection[dict[str, Any]]]:
    with MongoClient(stack.mongo_uri) as client:
        yield client[stack.mongo_db]["events"]


@pytest.fixture(scope="session")
def token(stack: Stack) -> str:
    """cust-001's token, as the bank's app would hand it to the widget."""
    response = httpx.post(f"{stack.teller.base_url}/dev/token", json={"customer_id": "cust-001"})
    return response.json()["token"]


def ws_url(stack: Stack) -> str:
    return stack.teller.base_url.replace("http", "ws") + "/ws"


class AgentSide:
    """Writes what an agent on another worker would: the event, then its push on the bus,
    in the channel-neutral shape the unit of work publishes.

    Only for conversations that take no further customer turns on the running server: the
    server's cached state would not know the event (the unit of work's writes do).
    """

    def __init__(self, events: Collection[dict[str, Any]], redis_prefix: str) -> None:
        self._events = events
        self._redis = redis.Redis(host="127.0.0.1", port=6379)
        self._topic_prefix = f"{redis_prefix}bus:conv:"  # the stack's Redis namespace
        self._stored: dict[int, dict[str, Any]] = {}

    def last_seq(self, conversation_id: str) -> int:
        last = self._events.find_one({"conversation_id": conversation_id}, sort=[("seq", -1)])
        return last["seq"] if last else 0

    def store(self, conversation_id: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        doc = {
            "conversation_id": conversation_id,
            "seq": self.last_seq(conversation_id) + 1,
            "type": kind,
            "data": data,
            "ts": time.time(),
        }
        self._events.insert_one(dict(doc))
        self._stored[doc["seq"]] = doc
        return doc

    def say(self, conversation_id: str, text: str, publish: bool = True) -> dict[str, Any]:
        doc = self.store(conversation_id, "agent_message", {"agent_id": "agent-1", "text": text})
        frame = {
            "type": "message",
            "seq": doc["seq"],
            "from": "agent",
            "text": text,
            "buttons": [],
            "ts": doc["ts"],
        }
        if publish:
            self.publish(conversation_id, frame)
        return frame

    def publish(self, conversation_id: str, frame: dict[str, Any]) -> None:
        """Publish the event behind `frame` as the bus carries it."""
        doc = self._stored[frame["seq"]]
        entry = {key: doc[key] for key in ("seq", "type", "data", "ts")}
        payload = {"type": "events", "conversation_id": conversation_id, "events": [entry]}
        self._redis.publish(self._topic_prefix + conversation_id, json.dumps(payload))


@pytest.fixture(scope="session")
def agent(events: Collection[dict[str, Any]], stack: Stack) -> AgentSide:
    return AgentSide(events, stack.teller.env["REDIS_PREFIX"])


def messages(page: Page) -> list[str]:
    """The transcript as shown, in order: who said it and the text."""
    items = page.locator("li.msg")
    return [
        f"{items.nth(i).locator('.who').inner_text()}: {items.nth(i).locator('.text').inner_text()}"
        for i in range(items.count())
    ]


def say(page: Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")


def wait_for_bot(page: Page, count: int) -> None:
    """Until `count` Teller/agent messages are shown and no turn is running."""
    expect(page.locator("li.msg:not(.from-customer)")).to_have_count(count, timeout=15_000)
    expect(page.locator(".typing")).to_be_hidden()
