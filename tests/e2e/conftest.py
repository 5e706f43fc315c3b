"""One Teller stack for the end-to-end tests, and a customer's view of the REST channel."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from actions.bank_client import BankClient
from tests.support.stack import Stack, running_stack

CONFIG = Path(__file__).with_name("config.yml")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack"), CONFIG) as running:
        yield running


@pytest.fixture(scope="session")
def events(stack: Stack) -> Iterator[Any]:
    """The events collection as an auditor would query it."""
    with MongoClient(stack.mongo_uri) as client:
        yield client[stack.mongo_db]["events"]


@pytest.fixture
async def bank(stack: Stack) -> Any:
    client = BankClient(stack.bank_url, stack.bank_api_key)
    yield client
    await client.aclose()


@dataclass
class Customer:
    """A customer typing into the chat: keeps their conversation id between turns."""

    http: httpx.Client
    customer_id: str | None
    token: str | None
    conversation_id: str | None = None
    replies: list[dict[str, Any]] = field(default_factory=list)

    def say(self, text: str, payload: str | None = None) -> dict[str, Any]:
        body = {"text": text, "payload": payload, "conversation_id": self.conversation_id}
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.post("/api/v1/chat/message", json=body, headers=headers)
        assert response.status_code == 200, response.text
        reply = response.json()
        self.conversation_id = reply["conversation_id"]
        self.replies.append(reply)
        return reply

    def press(self, reply: dict[str, Any], title_part: str) -> dict[str, Any]:
        """Press the button whose title contains `title_part` (case-insensitive)."""
        for message in reply["messages"]:
            for button in message["buttons"]:
                if title_part.lower() in button["title"].lower():
                    return self.say(button["title"], button["payload"])
        raise AssertionError(f"no button like {title_part!r} in {reply['messages']}")

    def latest_code(self) -> str:
        outbox = self.http.get("/dev/outbox", params={"customer_id": self.customer_id}).json()
        assert outbox, "no one-time code was sent"
        found = re.search(r"\b(\d{6})\b", outbox[0]["text"])
        assert found, outbox[0]["text"]
        return found.group(1)


def text_of(reply: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in reply["messages"])


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.teller.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def customer(http: httpx.Client) -> Customer:
    """cust-001, signed in through the dev token endpoint as the demo page does."""
    token = http.post("/dev/token", json={"customer_id": "cust-001"}).json()["token"]
    return Customer(http, "cust-001", token)


@pytest.fixture
def visitor(http: httpx.Client) -> Customer:
    return Customer(http, None, None)
