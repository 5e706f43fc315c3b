"""Two-phase delivery dedup (`DeliveryClaims`) on both adapters: a claim while processing,
done once stored (issue 10, finding 7)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot.ports import Claim, DeliveryClaims, StoreUnavailable
from bot.store.memory import MemoryDeliveryClaims
from bot.store.redis import RedisDeliveryClaims

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
async def claims(request: pytest.FixtureRequest) -> AsyncIterator[DeliveryClaims]:
    if request.param == "memory":
        yield MemoryDeliveryClaims()
        return
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"test-claims-{uuid.uuid4().hex}:"
    try:
        yield RedisDeliveryClaims(client, prefix=prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_claimed_delivery_is_busy_until_done_then_a_repeat(claims: DeliveryClaims) -> None:
    assert await claims.claim("wa:1", "worker-a", 30) is Claim.CLAIMED
    assert await claims.claim("wa:1", "worker-b", 30) is Claim.BUSY
    assert await claims.claim("wa:2", "worker-b", 30) is Claim.CLAIMED  # keys apart
    await claims.done("wa:1", 60)
    assert await claims.claim("wa:1", "worker-b", 30) is Claim.DONE
    await claims.release("wa:1", "worker-a")  # done is never released
    assert await claims.claim("wa:1", "worker-c", 30) is Claim.DONE


async def test_a_released_claim_is_free_at_once_but_only_its_owner_releases_it(
    claims: DeliveryClaims,
) -> None:
    assert await claims.claim("tg:7", "worker-a", 30) is Claim.CLAIMED
    await claims.release("tg:7", "worker-b")  # not theirs
    assert await claims.claim("tg:7", "worker-b", 30) is Claim.BUSY
    await claims.release("tg:7", "worker-a")
    assert await claims.claim("tg:7", "worker-b", 30) is Claim.CLAIMED


async def test_the_claim_of_a_worker_that_died_runs_out(claims: DeliveryClaims) -> None:
    assert await claims.claim("wa:3", "dead-worker", 0.2) is Claim.CLAIMED
    await asyncio.sleep(0.3)
    assert await claims.claim("wa:3", "worker-b", 30) is Claim.CLAIMED


async def test_done_lasts_its_ttl(claims: DeliveryClaims) -> None:
    await claims.done("wa:4", 1)
    assert await claims.claim("wa:4", "w", 30) is Claim.DONE
    await asyncio.sleep(1.1)
    assert await claims.claim("wa:4", "w", 30) is Claim.CLAIMED


async def test_of_concurrent_deliveries_exactly_one_claims(claims: DeliveryClaims) -> None:
    results = await asyncio.gather(*(claims.claim("wa:5", f"w{i}", 30) for i in range(10)))
    assert results.count(Claim.CLAIMED) == 1 and results.count(Claim.BUSY) == 9


async def test_redis_unreachable_is_store_unavailable() -> None:
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable):
            await RedisDeliveryClaims(client).claim("wa:1", "w", 30)
    finally:
        await client.aclose()
