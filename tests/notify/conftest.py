"""The fakes each adapter test talks to, over real loopback connections."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.ports import Notice, Recipient
from tests.support.fake_notifiers import (
    FakeMailServer,
    FakePushService,
    FakeSmsProvider,
    mail_server,
    push_service,
    sms_provider,
)

EMMA = Recipient("cust-001", "+44 7700 900101", "emma.clarke@example.com")
CODE = "480213"
NOTICE = Notice(
    text=f"Teller: {CODE} is your code to send £25.00 to Alice Johnson.",
    subject="Your Teller security code",
    html=f"<p>Your code is <strong>{CODE}</strong>.</p>",
)


@pytest.fixture(scope="module")
def sms() -> Iterator[FakeSmsProvider]:
    with sms_provider() as provider:
        yield provider


@pytest.fixture(scope="module")
def push() -> Iterator[FakePushService]:
    with push_service() as service:
        yield service


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeMailServer]:
    with mail_server(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh_fakes(request: pytest.FixtureRequest) -> None:
    """Each test starts with the fakes it uses answering normally and nothing recorded."""
    for name in ("sms", "push", "mail"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=2.0) as client:
        yield client
