"""The AlertStore contract (the bank's events as received) on MongoDB and in memory, and
LiveChats (open widgets) on Redis and in process: both kinds keep the same contract."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.bank_events import AlertStore, BankEvent, Duplicate
from bot.ports import LiveChats
from bot.store.memory_alerts import MemoryAlertStore, MemoryLiveChats
from bot.store.mongo import connect_mongo
from bot.store.mongo.alerts import MongoAlertStore
from bot.store.redis import RedisLiveChats
from tests.support.mongo import unique_db_name


@pytest.fixture(params=["mongo", "memory"])
async def alert_store(request: pytest.FixtureRequest) -> AsyncIterator[AlertStore]:
    if request.param == "memory":
        yield MemoryAlertStore()
        return
    client = connect_mongo(request.getfixturevalue("mongo_uri"))
    store = MongoAlertStore(client.get_database(unique_db_name("alerts")))
    await store.open()
    try:
        yield store
    finally:
        await client.close()


@pytest.fixture(params=["local", "redis"])
def live(request: pytest.FixtureRequest) -> LiveChats:
    if request.param == "local":
        return MemoryLiveChats(0.5)
    client: Redis = request.getfixturevalue("redis")
    return RedisLiveChats(client, 0.5, prefix=f"test:{uuid.uuid4().hex}:")


def event(event_id: str = "evt-1") -> BankEvent:
    return BankEvent(event_id, "cust-001", "salary", "2026-12-03T09:00:00", {"Amount.Amount": "1"})


async def test_an_event_id_is_stored_once(alert_store: AlertStore) -> None:
    await alert_store.record(event(), 100.0)
    with pytest.raises(Duplicate):
        await alert_store.record(event(), 101.0)
    await alert_store.record(event("evt-2"), 101.0)


async def test_a_held_event_is_taken_once_and_only_when_due(alert_store: AlertStore) -> None:
    await alert_store.record(event(), 100.0)
    await alert_store.hold("evt-1", 200.0)
    assert await alert_store.take_due(199.0) is None
    taken = await alert_store.take_due(200.0)
    assert taken == event()
    assert await alert_store.take_due(201.0) is None  # another worker finds nothing
    await alert_store.finished("evt-1", [{"channel": "telegram"}], 202.0)
    assert await alert_store.take_due(10_000.0) is None


async def test_an_open_widget_is_known_until_it_leaves_or_stops_beating(live: LiveChats) -> None:
    await live.beat("cust-001", "conv-a")
    await live.beat("cust-001", "conv-b")
    assert sorted(await live.of("cust-001")) == ["conv-a", "conv-b"]
    assert await live.of("cust-002") == []
    await live.leave("cust-001", "conv-a")
    assert await live.of("cust-001") == ["conv-b"]
    await asyncio.sleep(0.6)  # no beat within its TTL: a worker that died
    assert await live.of("cust-001") == []
