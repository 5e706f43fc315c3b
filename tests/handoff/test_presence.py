"""Agent presence: online while the console beats, offline when it stops or leaves."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from bot.ports import Presence
from bot.store.memory import MemoryPresence
from bot.store.redis import RedisPresence
from tests.support.redis import redis_url


@pytest.fixture(params=["local", "redis"])
async def presence(request: pytest.FixtureRequest) -> Presence:
    if request.param == "local":
        yield MemoryPresence(ttl_seconds=0.5)
        return
    client = Redis.from_url(redis_url())
    yield RedisPresence(client, ttl_seconds=0.5, key=f"test:presence:{uuid.uuid4().hex}")
    await client.aclose()


async def test_agents_are_online_while_beating_and_drop_out_after_the_ttl(
    presence: Presence,
) -> None:
    assert await presence.online() == 0
    await presence.beat("ana")
    await presence.beat("ben")
    await presence.beat("ana")
    assert await presence.online() == 2
    await presence.leave("ben")
    assert await presence.online() == 1
    await asyncio.sleep(0.6)
    assert await presence.online() == 0
