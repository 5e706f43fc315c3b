"""Actions and the bank client run against a real sandbox bank over HTTP (one per module)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from actions.bank_client import BankClient
from bot.config import PROJECT_ROOT
from bot.dialogue.domain import Domain, load_domain
from bot.handlers import ActionContext, Reply
from tests.support.sandbox import start_sandbox, unused_port

API_KEY = "actions-test-key"
_CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


@pytest.fixture(scope="module")
def bank_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("bank") / "bank.db"
    base_url, stop = start_sandbox(f"sqlite+aiosqlite:///{path}", API_KEY)
    yield base_url
    stop()


@pytest.fixture(scope="module")
async def bank(bank_url: str) -> AsyncIterator[BankClient]:
    async with BankClient(bank_url, API_KEY) as client:
        yield client


@pytest.fixture
async def down_bank() -> AsyncIterator[BankClient]:
    """A bank address nothing listens on."""
    async with BankClient(f"http://127.0.0.1:{unused_port()}", API_KEY, timeout=2) as client:
        yield client


@cache
def _domain() -> Domain:
    return load_domain(PROJECT_ROOT / "bot" / "domain")


def context(bank: BankClient, customer: str = "cust-001", key: str | None = None, **slots: Any):
    """What the dialogue gives an action; its texts come from the real domain."""
    return ActionContext(
        conversation_id="conv-test",
        customer_id=customer,
        slots=slots,
        bank=bank,
        now=datetime.now(UTC),
        render=lambda response, variables: _domain().text(response, variables),
        idempotency_key=key,
    )


def render(reply: Reply) -> str:
    """The text the customer would read; fails if the key or a template variable is missing."""
    return _domain().responses[reply.key][0].text.format(**reply.vars)


class StubBank:
    """A misbehaving bank on a real socket: answers every request with `reply`, or never.

    `requests` records each request line received, so tests can count retries.
    """

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.requests: list[str] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *_: object) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = _CONTENT_LENGTH.search(head)
                if length:
                    await reader.readexactly(int(length.group(1)))
                self.requests.append(head.split(b"\r\n", 1)[0].decode())
                if self.reply is None:
                    await asyncio.sleep(3600)
                writer.write(self.reply or b"")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


SERVICE_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Content-Length: 2\r\n\r\n{}"
)
