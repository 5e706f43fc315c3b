"""Pub/sub contract, the same for the in-process bus and Redis across workers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from bot.ports import Bus, StoreUnavailable
from bot.store.redis import RedisBus


async def test_a_subscriber_gets_what_is_published_on_its_topic(
    make_bus: Callable[[], Bus],
) -> None:
    customer_worker, agent_worker = make_bus(), make_bus()
    async with customer_worker.subscribe("conv:a") as sub:
        await agent_worker.publish("conv:b", {"text": "not for you"})
        await agent_worker.publish("conv:a", {"text": "hello from an agent", "seq": 7})
        assert await sub.get(within=2) == ("conv:a", {"text": "hello from an agent", "seq": 7})
        assert await sub.get(within=0.2) is None


async def test_every_subscriber_of_a_topic_gets_each_message(make_bus: Callable[[], Bus]) -> None:
    bus = make_bus()
    async with bus.subscribe("queue") as first, bus.subscribe("queue", "other") as second:
        await make_bus().publish("queue", {"n": 1})
        got = await asyncio.gather(first.get(within=2), second.get(within=2))
        assert got == [("queue", {"n": 1}), ("queue", {"n": 1})]


async def test_nothing_arrives_after_unsubscribing(make_bus: Callable[[], Bus]) -> None:
    bus = make_bus()
    async with bus.subscribe("conv:x") as sub:
        pass
    await bus.publish("conv:x", {"late": True})
    assert await sub.get(within=0.2) is None


async def test_messages_keep_their_order(make_bus: Callable[[], Bus]) -> None:
    bus = make_bus()
    async with bus.subscribe("conv:o") as sub:
        for n in range(50):
            await bus.publish("conv:o", {"n": n})
        received = [await sub.get(within=2) for _ in range(50)]
    assert [m[1]["n"] for m in received if m] == list(range(50))


async def test_redis_down_is_store_unavailable() -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    with pytest.raises(StoreUnavailable):
        await RedisBus(client).publish("t", {"x": 1})
    await client.aclose()
