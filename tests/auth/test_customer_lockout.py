"""Limits on one-time codes per customer (wrong codes, codes sent), on both counter adapters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import redis.asyncio as redis

from bot.auth.lockout import CustomerLockout
from bot.config import OtpSettings
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


def limits(**changes: float) -> OtpSettings:
    return replace(OtpSettings(), **changes)


async def test_every_wrong_code_counts_towards_the_pause(counters: Counters) -> None:
    lockout = CustomerLockout(counters, limits(max_wrong_codes=3))
    assert not await lockout.is_blocked("cust-001")
    assert not await lockout.wrong_code("cust-001")
    assert not await lockout.wrong_code("cust-001")
    assert await lockout.wrong_code("cust-001")
    assert await lockout.is_blocked("cust-001")
    assert not await lockout.is_blocked("cust-002")


async def test_two_workers_count_one_customers_wrong_codes_together(counters: Counters) -> None:
    """Issue 10, finding 2: parallel conversations (and workers) must not multiply guesses."""
    first, second = (CustomerLockout(counters, limits(max_wrong_codes=4)) for _ in range(2))
    for lockout in (first, second, first):
        assert not await lockout.wrong_code("cust-001")
    assert await second.wrong_code("cust-001")
    assert await first.is_blocked("cust-001")


async def test_the_pause_lifts_after_its_time(counters: Counters) -> None:
    lockout = CustomerLockout(counters, limits(max_wrong_codes=1, pause_seconds=0.2))
    assert await lockout.wrong_code("cust-001")
    await asyncio.sleep(0.3)
    assert not await lockout.is_blocked("cust-001")


async def test_wrong_codes_age_out_of_the_window_one_by_one(counters: Counters) -> None:
    lockout = CustomerLockout(counters, limits(max_wrong_codes=3, wrong_code_window_seconds=0.4))
    assert not await lockout.wrong_code("cust-001")
    await asyncio.sleep(0.25)
    assert not await lockout.wrong_code("cust-001")
    await asyncio.sleep(0.25)  # the first has aged out; the second has not
    assert not await lockout.wrong_code("cust-001")
    assert await lockout.wrong_code("cust-001")  # three within the last 0.4 s


async def test_codes_are_sent_at_a_bounded_rate(counters: Counters) -> None:
    lockout = CustomerLockout(counters, limits(max_codes_per_window=3, code_window_seconds=0.3))
    assert [await lockout.may_send_code("cust-001") for _ in range(4)] == [True] * 3 + [False]
    assert await lockout.may_send_code("cust-002")
    await asyncio.sleep(0.35)
    assert await lockout.may_send_code("cust-001")


async def test_concurrent_strikes_all_count(counters: Counters) -> None:
    results = await asyncio.gather(*(counters.incr("k", 60) for _ in range(20)))
    assert sorted(results) == list(range(1, 21))
    slid = await asyncio.gather(*(counters.record("s", 60) for _ in range(20)))
    assert sorted(slid) == list(range(1, 21))


async def test_redis_unreachable_fails_loudly() -> None:
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    lockout = CustomerLockout(RedisCounters(client), OtpSettings())
    try:
        with pytest.raises(StoreUnavailable):
            await lockout.is_blocked("cust-001")
    finally:
        await client.aclose()
