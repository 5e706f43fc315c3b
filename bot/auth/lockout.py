"""Per-customer lockout: after repeated locked OTP challenges, money movement pauses a while.

Three wrong codes lock one challenge; without this a guesser could simply start a new transfer.
Counting happens in a small expiring-counter port: Redis when configured (shared by every
worker), in-process otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as redis


class ExpiringCounters(Protocol):
    async def incr(self, key: str, window_seconds: float) -> int:
        """Add one to `key` and return its count; the count resets `window_seconds` after
        the first increment (a fixed window)."""
        ...

    async def flag(self, key: str, ttl_seconds: float) -> None:
        """Set `key` for `ttl_seconds`."""
        ...

    async def flagged(self, key: str) -> bool: ...


class CustomerLockout:
    def __init__(
        self,
        counters: ExpiringCounters,
        max_locked: int = 3,
        window_seconds: float = 24 * 3600,
        block_seconds: float = 30 * 60,
    ) -> None:
        self._counters = counters
        self._max_locked = max_locked
        self._window = window_seconds
        self._block = block_seconds

    async def record_locked(self, customer_id: str) -> bool:
        """Note a challenge locked by wrong codes; True if the customer is now blocked."""
        count = await self._counters.incr(f"otp-locked:{customer_id}", self._window)
        if count < self._max_locked:
            return False
        await self._counters.flag(f"otp-blocked:{customer_id}", self._block)
        return True

    async def is_blocked(self, customer_id: str) -> bool:
        """True while the customer may not start a money movement."""
        return await self._counters.flagged(f"otp-blocked:{customer_id}")


class MemoryCounters:
    """Single-process counters (no Redis configured)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[int, float]] = {}
        self._flags: dict[str, float] = {}

    async def incr(self, key: str, window_seconds: float) -> int:
        now = self._clock()
        count, resets_at = self._counts.get(key, (0, 0.0))
        if now >= resets_at:
            count, resets_at = 0, now + window_seconds
        self._counts[key] = (count + 1, resets_at)
        return count + 1

    async def flag(self, key: str, ttl_seconds: float) -> None:
        self._flags[key] = self._clock() + ttl_seconds

    async def flagged(self, key: str) -> bool:
        expires_at = self._flags.get(key)
        if expires_at is None:
            return False
        if self._clock() >= expires_at:
            del self._flags[key]
            return False
        return True


class RedisCounters:
    """Counters shared by every worker through Redis keys that expire on their own."""

    def __init__(self, client: redis.Redis, prefix: str = "teller:") -> None:
        self._redis = client
        self._prefix = prefix

    async def incr(self, key: str, window_seconds: float) -> int:
        name = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, px=_millis(window_seconds), nx=True)
            pipe.incr(name)
            _, count = await pipe.execute()
        return int(count)

    async def flag(self, key: str, ttl_seconds: float) -> None:
        await self._redis.set(self._prefix + key, 1, px=_millis(ttl_seconds))

    async def flagged(self, key: str) -> bool:
        return bool(await self._redis.exists(self._prefix + key))


def _millis(seconds: float) -> int:
    return max(1, int(seconds * 1000))
