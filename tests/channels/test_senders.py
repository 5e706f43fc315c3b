"""Senders against the fake platforms: lists for many or long choices, long payloads mapped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.config import PROJECT_ROOT
from bot.dialogue.domain import load_domain
from bot.messages import BotMessage, Button
from bot.ports import ChatStore
from bot.store.mongo import connect_mongo
from bot.store.mongo.records import MongoChatStore
from connectors.messaging import ButtonIds
from connectors.telegram import TelegramSender, TelegramSettings
from connectors.whatsapp import Controls, Deliveries, WhatsAppSender, WhatsAppSettings
from tests.channels.conftest import PHONE_NUMBER_ID, TELEGRAM_TOKEN, WHATSAPP_TOKEN
from tests.support.fake_platforms import FakePlatforms
from tests.support.mongo import unique_db_name
from tests.support.stack import Stack

PAYEES = [
    "Alice Johnson",
    "Bob Martin",
    "Priya Patel",
    "Dr Bartholomew Featherstonehaugh-Smythe of Cholmondeley",
]


DOMAIN = load_domain(PROJECT_ROOT / "bot" / "domain")


@pytest.fixture
async def mongo(stack: Stack) -> AsyncIterator[Any]:
    client = connect_mongo(stack.mongo_uri)
    yield client[unique_db_name("senders")]
    await client.close()


@pytest.fixture
def chats(mongo: Any) -> ChatStore:
    return MongoChatStore(mongo)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def payee_buttons(names: list[str]) -> tuple[Button, ...]:
    return tuple(Button(name, f'/inform{{"payee": "{name}"}}') for name in names)


async def test_whatsapp_uses_buttons_for_few_short_choices_and_a_list_otherwise(
    platforms: FakePlatforms, mongo: Any, chats: ChatStore, http: httpx.AsyncClient
) -> None:
    settings = WhatsAppSettings("s", "v", WHATSAPP_TOKEN, PHONE_NUMBER_ID, platforms.base_url)
    sender = WhatsAppSender(
        settings=settings,
        http=http,
        buttons=ButtonIds(chats),
        deliveries=Deliveries(chats),
        controls=Controls.from_domain(DOMAIN),
    )
    to = "447700900999"
    await sender.send_to(to, [BotMessage("Who to?", payee_buttons(PAYEES[:3]))], "conv-1")
    await sender.send_to(to, [BotMessage("Who to?", payee_buttons(PAYEES))], "conv-1")
    await sender.send_to(to, [BotMessage("x" * 5000)], "conv-1")  # over one message's limit

    sent = [r.body for r in platforms.sent(lambda r: r.body.get("to") == to)]
    assert [b["type"] for b in sent] == ["interactive", "interactive", "text", "text"]
    assert sent[0]["interactive"]["type"] == "button"
    assert len(sent[0]["interactive"]["action"]["buttons"]) == 3
    listed = sent[1]["interactive"]
    assert listed["type"] == "list"
    rows = listed["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [b.payload for b in payee_buttons(PAYEES)]
    assert rows[3]["title"].endswith("…") and len(rows[3]["title"]) == 24
    assert rows[3]["description"] == PAYEES[3]
    assert "".join(b["text"]["body"] for b in sent[2:]) == "x" * 5000
    assert await mongo["deliveries"].count_documents({"conversation_id": "conv-1"}) == 4


async def test_telegram_maps_payloads_longer_than_64_bytes(
    platforms: FakePlatforms, chats: ChatStore, http: httpx.AsyncClient
) -> None:
    buttons = ButtonIds(chats)
    sender = TelegramSender(
        settings=TelegramSettings(TELEGRAM_TOKEN, "secret", platforms.base_url),
        http=http,
        buttons=buttons,
        domain=DOMAIN,
    )
    await sender.send_to("5999999999", [BotMessage("Who to?", payee_buttons(PAYEES))])
    sent = platforms.wait_for(lambda r: r.body.get("chat_id") == "5999999999")[-1]
    keyboard = [row[0] for row in sent.body["reply_markup"]["inline_keyboard"]]
    assert [b["text"] for b in keyboard] == PAYEES
    assert keyboard[0]["callback_data"] == '/inform{"payee": "Alice Johnson"}'
    long_one = keyboard[3]["callback_data"]
    assert long_one.startswith("~") and len(long_one.encode()) <= 64
    # Pressed later, on any worker, it maps back to the full payload.
    assert await ButtonIds(chats).decode(long_one) == payee_buttons(PAYEES)[3].payload
    assert await ButtonIds(chats).decode("~unknown") is None
