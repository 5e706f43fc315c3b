"""One Teller stack for the widget tests, and helpers to act as the agent side of it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pymongo import MongoClient
from pymongo.collection import Collection

from tests.support.stack import Stack, running_stack

CONFIG = Path(__file__).parents[1] / "e2e" / "config.yml"


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
    """Writes what an agent on another worker would: the event, then the push on the bus.

    Only for conversations that take no further customer turns on the running server: the
    server's cached state would not know the event (the handoff engine's `record` does).
    """

    def __init__(self, events: Collection[dict[str, Any]], redis_prefix: str) -> None:
        self._events = events
        self._redis = redis.Redis(host="127.0.0.1", port=6379)
        self._topic_prefix = f"{redis_prefix}bus:conv:"  # the stack's Redis namespace

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
        self._redis.publish(self._topic_prefix + conversation_id, json.dumps(frame))


@pytest.fixture(scope="session")
def agent(events: Collection[dict[str, Any]], stack: Stack) -> AgentSide:
    return AgentSide(events, stack.teller.env["REDIS_PREFIX"])
