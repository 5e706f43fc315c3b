"""The agent, link and chat stores: MongoDB and the in-memory twin keep one contract."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.ports import (
    AgentRecord,
    AgentSession,
    AgentStore,
    AlreadyExists,
    ChatLink,
    ChatStore,
    LinkStore,
)
from bot.store.memory import MemoryAgentStore, MemoryChatStore, MemoryLinkStore
from bot.store.mongo import connect_mongo
from bot.store.mongo.records import MongoAgentStore, MongoChatStore, MongoLinkStore
from tests.support.mongo import unique_db_name


@pytest.fixture(params=["mongo", "memory"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Any, Any, Any]]:
    if request.param == "memory":
        yield MemoryAgentStore(), MemoryLinkStore(), MemoryChatStore()
        return
    client = connect_mongo(request.getfixturevalue("mongo_uri"))
    db = client.get_database(unique_db_name("records"))
    links = MongoLinkStore(db)
    await links.open()
    agents = MongoAgentStore(db)
    await agents.open()
    yield agents, links, MongoChatStore(db)
    await client.close()


@pytest.fixture
def agents(stores: tuple[AgentStore, LinkStore, ChatStore]) -> AgentStore:
    return stores[0]


@pytest.fixture
def links(stores: tuple[AgentStore, LinkStore, ChatStore]) -> LinkStore:
    return stores[1]


@pytest.fixture
def chats(stores: tuple[AgentStore, LinkStore, ChatStore]) -> ChatStore:
    return stores[2]


async def test_an_agent_is_added_once_and_read_back(agents: AgentStore) -> None:
    ana = AgentRecord("ana", "Ana", "$argon2id$hash", 1000.0)
    await agents.add(ana)
    with pytest.raises(AlreadyExists):
        await agents.add(AgentRecord("ana", "Another Ana", "$argon2id$other", 2000.0))
    assert await agents.get("ana") == ana
    assert await agents.get("nobody") is None


async def test_an_agent_is_listed_and_changed_field_by_field(agents: AgentStore) -> None:
    await agents.add(AgentRecord("ben", "Ben", "$argon2id$b", 1000.0))
    await agents.add(AgentRecord("ana", "Ana", "$argon2id$a", 1000.0))
    assert [a.id for a in await agents.agents()] == ["ana", "ben"]
    assert await agents.update("ana", {"disabled": True, "sessions_valid_after": 1500.0})
    assert await agents.get("ana") == AgentRecord(
        "ana", "Ana", "$argon2id$a", 1000.0, disabled=True, sessions_valid_after=1500.0
    )
    assert not await agents.update("nobody", {"disabled": True})
    with pytest.raises(ValueError, match="id"):
        await agents.update("ana", {"id": "eve"})


async def test_failed_sign_ins_are_counted_and_lock_once(agents: AgentStore) -> None:
    await agents.add(AgentRecord("ana", "Ana", "$argon2id$a", 1000.0))
    assert [await agents.count_failure("ana") for _ in range(3)] == [1, 2, 3]
    assert await agents.count_failure("nobody") == 0
    assert await agents.lock("ana", 2000.0)
    assert not await agents.lock("ana", 2001.0)  # locked already: the first lock stands
    record = await agents.get("ana")
    assert record is not None and (record.failed_sign_ins, record.locked_at) == (3, 2000.0)
    assert await agents.update("ana", {"failed_sign_ins": 0, "locked_at": None})
    assert await agents.lock("ana", 3000.0)


async def test_sessions_live_until_they_end_or_expire(agents: AgentStore) -> None:
    now = time.time()
    first = AgentSession("key-1", "ana", now, now + 600)
    await agents.add_session(first)
    await agents.add_session(AgentSession("key-2", "ana", now, now + 600))
    await agents.add_session(AgentSession("key-3", "ben", now, now + 600))
    await agents.add_session(AgentSession("key-old", "ben", now - 700, now - 100))
    assert await agents.session("key-1") == first
    assert await agents.session("key-old") is None  # expired
    assert await agents.end_session("key-1") == first
    assert await agents.end_session("key-1") is None
    assert await agents.session("key-1") is None
    assert await agents.end_sessions("ana") == 1
    assert await agents.session("key-2") is None
    assert await agents.session("key-3") is not None
    await agents.audit("signed_out", "ana", {"by": "test"}, now)


async def test_a_link_code_is_redeemed_once_and_only_while_live(links: LinkStore) -> None:
    now = time.time()
    assert await links.replace_code("hash-1", "cust-001", now + 600)
    assert not await links.replace_code("hash-1", "cust-002", now + 600)  # held by cust-001
    assert await links.take_code("hash-1", now) == "cust-001"
    assert await links.take_code("hash-1", now) is None  # single use
    assert await links.replace_code("hash-2", "cust-001", now + 600)
    assert await links.take_code("hash-2", now + 601) is None  # expired


async def test_a_new_code_replaces_the_customers_earlier_one(links: LinkStore) -> None:
    now = time.time()
    await links.replace_code("old", "cust-003", now + 600)
    await links.replace_code("new", "cust-003", now + 600)
    assert await links.take_code("old", now) is None
    assert await links.take_code("new", now) == "cust-003"


async def test_a_chat_is_linked_once_and_unlinked(links: LinkStore) -> None:
    now = time.time()
    link = ChatLink("link-1", "telegram", "42", "cust-001", now)
    await links.add_link(link)
    with pytest.raises(AlreadyExists):
        await links.add_link(ChatLink("link-2", "telegram", "42", "cust-002", now))
    assert await links.link_for("telegram", "42") == link
    assert await links.link_for("whatsapp", "42") is None
    assert await links.remove_link_of("cust-001", "link-1") == link
    assert await links.remove_link_of("cust-001", "link-1") is None
    assert await links.link_for("telegram", "42") is None
    await links.audit("account_unlinked", {"channel": "telegram"}, now)


async def test_a_customer_lists_and_revokes_only_their_own_links(links: LinkStore) -> None:
    now = time.time()
    first = ChatLink("link-a", "whatsapp", "447700900001", "cust-001", now - 10)
    second = ChatLink("link-b", "telegram", "42", "cust-001", now)
    theirs = ChatLink("link-c", "telegram", "43", "cust-002", now)
    for link in (second, theirs, first):
        await links.add_link(link)
    assert await links.links_of("cust-001") == [first, second]  # oldest first
    assert await links.remove_link_of("cust-001", "link-c") is None  # someone else's
    assert await links.link_for("telegram", "43") == theirs
    assert await links.remove_link_of("cust-001", "link-a") == first
    assert await links.remove_link_of("cust-001", "link-a") is None
    assert await links.links_of("cust-001") == [second]
    assert await links.links_of("cust-003") == []


async def test_chat_records_round_trip(chats: ChatStore) -> None:
    now = time.time()
    assert await chats.chat_conversation("telegram:42:cust-001") is None
    await chats.start_chat_conversation("telegram:42:cust-001", "conv-1", now)
    await chats.start_chat_conversation("telegram:42:cust-001", "conv-2", now)
    assert await chats.chat_conversation("telegram:42:cust-001") == "conv-2"
    await chats.put_payload("~abc", '/inform{"payee": "Alice"}', now)
    assert await chats.payload("~abc") == '/inform{"payee": "Alice"}'
    assert await chats.payload("~nope") is None
    await chats.sent("wamid.1", "whatsapp", "conv-1", "447700900999", now)
    for _ in range(2):  # a repeated status callback is stored once
        await chats.delivery_status(
            "wamid.1", "whatsapp", {"status": "read", "timestamp": "1"}, now
        )
