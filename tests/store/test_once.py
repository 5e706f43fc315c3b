"""OnceGuard contract (webhook dedup): the same tests for the in-process and Redis guards."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from redis.asyncio import Redis

from bot.ports import OnceGuard, StoreUnavailable
from bot.store.memory import MemoryOnceGuard
from bot.store.redis import RedisOnceGuard


def delivery_id() -> str:
    return f"wamid.{uuid.uuid4().hex}"


async def test_only_the_first_delivery_is_new(once_guard: OnceGuard) -> None:
    key = delivery_id()
    assert await once_guard.first_time(key, 60) is True
    assert await once_guard.first_time(key, 60) is False
    assert await once_guard.first_time(key, 60) is False


async def test_deliveries_are_told_apart_by_key(once_guard: OnceGuard) -> None:
    assert await once_guard.first_time(delivery_id(), 60) is True
    assert await once_guard.first_time(delivery_id(), 60) is True


async def test_concurrent_duplicates_let_exactly_one_through(once_guard: OnceGuard) -> None:
    key = delivery_id()
    results = await asyncio.gather(*(once_guard.first_time(key, 60) for _ in range(25)))
    assert results.count(True) == 1


async def test_a_key_is_new_again_after_its_ttl(once_guard: OnceGuard) -> None:
    key = delivery_id()
    assert await once_guard.first_time(key, 1) is True
    assert await once_guard.first_time(key, 1) is False
    await asyncio.sleep(1.1)
    assert await once_guard.first_time(key, 1) is True


@pytest.mark.parametrize("ttl", [0, -5])
async def test_a_ttl_below_one_second_is_refused(once_guard: OnceGuard, ttl: int) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        await once_guard.first_time(delivery_id(), ttl)


async def test_local_guard_forgets_expired_keys() -> None:
    guard = MemoryOnceGuard()
    for _ in range(50):
        await guard.first_time(delivery_id(), 1)
    assert len(guard) == 50
    await asyncio.sleep(1.05)
    await guard.first_time(delivery_id(), 60)
    assert len(guard) == 1


async def test_redis_down_is_store_unavailable_quickly() -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        await RedisOnceGuard(client).first_time(delivery_id(), 60)
    assert time.monotonic() - started < 3
    await client.aclose()
