"""Webhook delivery dedup: the first delivery of an id is handled, repeats are dropped."""

from __future__ import annotations

import heapq
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.ports import StoreUnavailable


def _check_ttl(ttl_seconds: int) -> None:
    if ttl_seconds < 1:
        raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")


class LocalOnceGuard:
    """`OnceGuard` for a single worker; expired keys are dropped as time passes."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    async def first_time(self, key: str, ttl_seconds: int) -> bool:
        _check_ttl(ttl_seconds)
        now = time.monotonic()
        self._forget_expired(now)
        if key in self._expiry:
            return False
        expiry = now + ttl_seconds
        self._expiry[key] = expiry
        heapq.heappush(self._by_expiry, (expiry, key))
        return True

    def _forget_expired(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            expiry, key = heapq.heappop(self._by_expiry)
            if self._expiry.get(key) == expiry:
                del self._expiry[key]


class RedisOnceGuard:
    """`OnceGuard` shared by every worker: SET NX EX, so exactly one caller wins per window."""

    def __init__(self, redis: Redis, prefix: str = "teller:") -> None:
        self._redis = redis
        self._prefix = prefix + "once:"

    async def first_time(self, key: str, ttl_seconds: int) -> bool:
        _check_ttl(ttl_seconds)
        try:
            return bool(await self._redis.set(self._prefix + key, 1, nx=True, ex=ttl_seconds))
        except RedisError as exc:
            raise StoreUnavailable(f"delivery dedup unavailable: {exc}") from exc
