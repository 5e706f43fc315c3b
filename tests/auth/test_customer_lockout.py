"""Customer lockout after repeated locked challenges, on both counter adapters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot.auth.lockout import CustomerLockout
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
    prefix = f"test-auth-{uuid.uuid4().hex}:"
    try:
        yield RedisCounters(client, prefix=prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_blocked_after_max_locked_challenges(counters: Counters) -> None:
    lockout = CustomerLockout(counters, max_locked=3, window_seconds=60, block_seconds=60)
    assert not await lockout.is_blocked("cust-001")
    assert not await lockout.record_locked("cust-001")
    assert not await lockout.record_locked("cust-001")
    assert await lockout.record_locked("cust-001")
    assert await lockout.is_blocked("cust-001")
    assert not await lockout.is_blocked("cust-002")


async def test_block_lifts_after_its_time(counters: Counters) -> None:
    lockout = CustomerLockout(counters, max_locked=1, window_seconds=60, block_seconds=0.2)
    assert await lockout.record_locked("cust-001")
    await asyncio.sleep(0.3)
    assert not await lockout.is_blocked("cust-001")


async def test_strikes_outside_the_window_are_forgotten(counters: Counters) -> None:
    lockout = CustomerLockout(counters, max_locked=2, window_seconds=0.2, block_seconds=60)
    assert not await lockout.record_locked("cust-001")
    await asyncio.sleep(0.3)
    assert not await lockout.record_locked("cust-001")
    assert not await lockout.is_blocked("cust-001")


async def test_concurrent_strikes_all_count(counters: Counters) -> None:
    results = await asyncio.gather(*(counters.incr("k", 60) for _ in range(20)))
    assert sorted(results) == list(range(1, 21))


async def test_redis_unreachable_fails_loudly() -> None:
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    lockout = CustomerLockout(RedisCounters(client))
    try:
        with pytest.raises(StoreUnavailable):
            await lockout.is_blocked("cust-001")
    finally:
        await client.aclose()
