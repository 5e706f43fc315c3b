"""Counters, flags and sliding windows: the in-process twin and Redis keep one contract
(the OTP lockout's uses are in tests/auth/test_customer_lockout.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot.ports import Counters, StoreUnavailable
from bot.store.memory import MemoryCounters
from bot.store.redis import RedisCounters

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
async def counters(request: pytest.FixtureRequest) -> AsyncIterator[Counters]:
    if request.param == "memory":
        yield MemoryCounters()
        return
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"test-counters-{uuid.uuid4().hex}:"
    try:
        yield RedisCounters(client, prefix=prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_flag_says_how_long_it_has_left(counters: Counters) -> None:
    assert await counters.expires_in("wait") == 0
    await counters.flag("wait", 2)
    assert 1.5 < await counters.expires_in("wait") <= 2


async def test_a_count_says_when_its_window_ends(counters: Counters) -> None:
    assert await counters.incr("failed", 2) == 1
    assert 1.5 < await counters.expires_in("failed") <= 2


async def test_forgotten_counts_and_flags_start_again(counters: Counters) -> None:
    await counters.incr("failed", 60)
    await counters.incr("failed", 60)
    await counters.flag("wait", 60)
    await counters.forget("failed")
    await counters.forget("wait")
    await counters.forget("never-set")
    assert not await counters.flagged("wait")
    assert await counters.expires_in("wait") == 0
    assert await counters.incr("failed", 60) == 1


async def test_an_expired_flag_has_nothing_left(counters: Counters) -> None:
    await counters.flag("wait", 0.1)
    await asyncio.sleep(0.2)
    assert await counters.expires_in("wait") == 0


async def test_events_count_within_the_window_and_per_key(counters: Counters) -> None:
    assert await counters.recent("a", 60) == 0
    assert [await counters.record("a", 60) for _ in range(3)] == [1, 2, 3]
    assert await counters.recent("a", 60) == 3
    assert await counters.recent("b", 60) == 0


async def test_each_event_counts_for_exactly_one_window(counters: Counters) -> None:
    """Unlike a fixed window, an older event leaves on its own time, the newer stay."""
    await counters.record("k", 0.5)
    await asyncio.sleep(0.3)
    assert await counters.record("k", 0.5) == 2
    await asyncio.sleep(0.3)  # the first is 0.6 s old, the second 0.3 s
    assert await counters.recent("k", 0.5) == 1
    await asyncio.sleep(0.3)
    assert await counters.recent("k", 0.5) == 0


async def test_concurrent_events_all_count(counters: Counters) -> None:
    results = await asyncio.gather(*(counters.record("k", 60) for _ in range(20)))
    assert sorted(results) == list(range(1, 21))
    assert await counters.recent("k", 60) == 20


async def test_redis_unreachable_is_store_unavailable() -> None:
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable):
            await RedisCounters(client).record("k", 60)
    finally:
        await client.aclose()
