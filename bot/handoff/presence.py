"""Which agents have the console open: a heartbeat with a time-to-live.

Each open console beats every third of the TTL; an agent whose beats stop (closed tab, lost
network, crashed worker) drops out on their own when the TTL runs out, so nobody has to
notice the disconnect. Redis shares the roster between workers; without Redis it is a dict.
"""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.ports import StoreUnavailable


class Presence(Protocol):
    async def beat(self, agent_id: str) -> None: ...

    async def leave(self, agent_id: str) -> None: ...

    async def online(self) -> int:
        """How many agents are online now."""
        ...


class LocalPresence:
    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._until: dict[str, float] = {}

    async def beat(self, agent_id: str) -> None:
        self._until[agent_id] = time.monotonic() + self._ttl

    async def leave(self, agent_id: str) -> None:
        self._until.pop(agent_id, None)

    async def online(self) -> int:
        now = time.monotonic()
        self._until = {agent: until for agent, until in self._until.items() if until > now}
        return len(self._until)


class RedisPresence:
    """A sorted set of agent ids scored by when their last beat expires (wall clock)."""

    def __init__(self, redis: Redis, ttl_seconds: float, key: str = "teller:agents:online") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._key = key

    async def beat(self, agent_id: str) -> None:
        try:
            await self._redis.zadd(self._key, {agent_id: time.time() + self._ttl})
        except RedisError as exc:
            raise StoreUnavailable("cannot record agent presence") from exc

    async def leave(self, agent_id: str) -> None:
        try:
            await self._redis.zrem(self._key, agent_id)
        except RedisError as exc:
            raise StoreUnavailable("cannot record agent presence") from exc

    async def online(self) -> int:
        try:
            return int(await self._redis.zcount(self._key, time.time(), "+inf"))
        except RedisError as exc:
            raise StoreUnavailable("cannot read agent presence") from exc


def build_presence(
    redis: Redis | None, ttl_seconds: float, space: str, prefix: str = "teller:"
) -> Presence:
    """`space` (and `prefix`) keep deployments or test stacks sharing one Redis apart."""
    if redis is None:
        return LocalPresence(ttl_seconds)
    return RedisPresence(redis, ttl_seconds, key=f"{prefix}agents:online:{space}")
