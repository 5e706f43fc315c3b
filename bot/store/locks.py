"""One turn at a time per conversation: in-process, or across workers through Redis."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.ports import LockTimeout, StoreUnavailable

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class LocalTurnLock:
    """`TurnLock` for a single worker: one asyncio.Lock per key, dropped when nobody uses it."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        """How many keys are held or waited for (the rest are forgotten)."""
        return len(self._entries)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        entry = self._entries.setdefault(key, _Entry())
        entry.users += 1
        try:
            try:
                async with asyncio.timeout(self._timeout):
                    await entry.lock.acquire()
            except TimeoutError:
                raise LockTimeout(f"conversation {key} is busy") from None
            try:
                yield
            finally:
                entry.lock.release()
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]


# Release only if the key still holds our token: after our lease ran out, someone else's.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisTurnLock:
    """`TurnLock` shared by every worker: SET NX PX with a lease, released by compare-and-delete.

    The lease frees the lock of a worker that died while holding it; it must outlast the
    longest turn. Waiters poll with a short, jittered, growing backoff.
    """

    def __init__(
        self, redis: Redis, timeout: float, lease_seconds: float = 30.0, prefix: str = "teller:"
    ) -> None:
        self._prefix = prefix + "lock:"
        self._redis = redis
        self._timeout = timeout
        self._lease_ms = int(lease_seconds * 1000)
        self._release = redis.register_script(_RELEASE)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        name = self._prefix + key
        token = secrets.token_hex(16)
        await self._acquire(name, token)
        try:
            yield
        finally:
            await self._give_back(name, token)

    async def _acquire(self, name: str, token: str) -> None:
        deadline = time.monotonic() + self._timeout
        pause = 0.002
        while True:
            try:
                if await self._redis.set(name, token, nx=True, px=self._lease_ms):
                    return
            except RedisError as exc:
                raise StoreUnavailable(f"turn lock unavailable: {exc}") from exc
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeout(f"conversation {name.removeprefix(self._prefix)} is busy")
            await asyncio.sleep(min(left, pause * random.uniform(0.5, 1.5)))
            pause = min(pause * 2, 0.05)

    async def _give_back(self, name: str, token: str) -> None:
        """Release the lock; if Redis is away, the lease frees it, so the turn still stands."""
        try:
            await self._release(keys=[name], args=[token])
        except RedisError:
            log.warning("could not release %s; its lease will expire", name, exc_info=True)
