"""Counters and flags: the in-process twin and Redis keep one contract (the OTP lockout's
uses are in tests/auth/test_customer_lockout.py; these are what sign-in limits add)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.ports import Counters
from bot.store.memory import MemoryCounters
from bot.store.redis import RedisCounters
from tests.support.redis import redis_url


@pytest.fixture(params=["local", "redis"])
async def counters(request: pytest.FixtureRequest) -> AsyncIterator[Counters]:
    if request.param == "local":
        yield MemoryCounters()
        return
    client = Redis.from_url(redis_url())
    prefix = f"test:counters:{uuid.uuid4().hex}:"
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
