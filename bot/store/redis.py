"""The Redis adapters: turn locks, seq marks, pub/sub, dedup (once-guard and delivery claims),
counters, presence.

One `Redis` client per worker (`connect_redis`) serves every adapter here. Each key,
lock and channel is namespaced by the deployment's prefix, so deployments and test
stacks can share one server, and every driver error becomes `StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.observe import metrics
from bot.ports import BusMessage, Claim, KeptFile, LockTimeout, StoreUnavailable, Subscription

log = logging.getLogger(__name__)
T = TypeVar("T")


def connect_redis(url: str) -> Redis:
    """A client for `url`; connections open lazily. Short timeouts: with Redis away, a turn
    should fail in seconds, not hang."""
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


async def _call(work: Awaitable[T], what: str) -> T:
    try:
        return await work
    except RedisError as exc:
        raise StoreUnavailable(f"{what}: {exc}") from exc


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
            if await _call(
                self._redis.set(name, token, nx=True, px=self._lease_ms), "turn lock unavailable"
            ):
                return
            left = deadline - time.monotonic()
            if left <= 0:
                metrics.LOCK_TIMEOUTS.inc()
                raise LockTimeout(f"conversation {name.removeprefix(self._prefix)} is busy")
            await asyncio.sleep(min(left, pause * random.uniform(0.5, 1.5)))
            pause = min(pause * 2, 0.05)

    async def _give_back(self, name: str, token: str) -> None:
        """Release the lock; if Redis is away, the lease frees it, so the turn still stands."""
        try:
            await self._release(keys=[name], args=[token])
        except RedisError:
            log.warning("could not release %s; its lease will expire", name, exc_info=True)


class RedisSeqMarks:
    """`{prefix}seq:{id}` -> last seq, kept a week (a missing mark only costs a store read)."""

    def __init__(
        self, redis: Redis, prefix: str = "teller:", ttl_seconds: int = 7 * 24 * 3600
    ) -> None:
        self._redis = redis
        self._key = prefix + "seq:"
        self._ttl = ttl_seconds

    async def get(self, conversation_id: str) -> int | None:
        raw = await _call(self._redis.get(self._key + conversation_id), "cannot read a seq mark")
        return None if raw is None else int(raw)

    async def set(self, conversation_id: str, seq: int) -> None:
        await _call(
            self._redis.set(self._key + conversation_id, seq, ex=self._ttl),
            "cannot write a seq mark",
        )


class _RedisSubscription:
    def __init__(self, pubsub: Any, prefix_length: int) -> None:
        self._pubsub = pubsub
        self._cut = prefix_length
        self.closed = False

    async def get(self, within: float | None = None) -> BusMessage | None:
        if self.closed:  # never spin: a closed subscription waits out `within`, then says so
            if within is None:
                raise RuntimeError("get() on a subscription that has been closed")
            await asyncio.sleep(within)
            return None
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while not self.closed:
            wait = 1.0 if deadline is None else max(0.0, deadline - loop.time())
            raw = await _call(
                self._pubsub.get_message(ignore_subscribe_messages=True, timeout=wait),
                "pub/sub connection lost",
            )
            if raw is not None:
                return raw["channel"].decode()[self._cut :], json.loads(raw["data"])
            if deadline is not None and loop.time() >= deadline:
                return None
        return None


class RedisBus:
    """`Bus` across workers through Redis pub/sub."""

    def __init__(self, redis: Redis, prefix: str = "teller:") -> None:
        self._redis = redis
        self._prefix = prefix + "bus:"

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        await _call(
            self._redis.publish(self._prefix + topic, json.dumps(payload)), "cannot publish"
        )

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(*(self._prefix + t for t in topics))
        except RedisError as exc:
            await pubsub.aclose()
            raise StoreUnavailable("cannot subscribe") from exc
        subscription = _RedisSubscription(pubsub, len(self._prefix))
        try:
            yield subscription
        finally:
            subscription.closed = True
            await pubsub.aclose()


def _check_ttl(ttl_seconds: int) -> None:
    if ttl_seconds < 1:
        raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")


class RedisOnceGuard:
    """`OnceGuard` shared by every worker: SET NX EX, so exactly one caller wins per window."""

    def __init__(self, redis: Redis, prefix: str = "teller:") -> None:
        self._redis = redis
        self._prefix = prefix + "once:"

    async def first_time(self, key: str, ttl_seconds: int) -> bool:
        _check_ttl(ttl_seconds)
        return bool(
            await _call(
                self._redis.set(self._prefix + key, 1, nx=True, ex=ttl_seconds),
                "delivery dedup unavailable",
            )
        )


# A delivery's claim: "claim:<token>" with the lease as its expiry, then "done" for the
# dedup window. Claiming is one atomic step, so of two workers exactly one gets it.
_CLAIM = """
local held = redis.call('get', KEYS[1])
if not held then
    redis.call('set', KEYS[1], 'claim:' .. ARGV[1], 'PX', ARGV[2])
    return 'claimed'
end
if held == 'done' then
    return 'done'
end
return 'busy'
"""
_RELEASE_CLAIM = """
if redis.call('get', KEYS[1]) == 'claim:' .. ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisDeliveryClaims:
    """`DeliveryClaims` shared by every worker: `{prefix}delivery:{key}`."""

    def __init__(self, redis: Redis, prefix: str = "teller:") -> None:
        self._redis = redis
        self._prefix = prefix + "delivery:"
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE_CLAIM)

    async def claim(self, key: str, token: str, lease_seconds: float) -> Claim:
        args = [token, _millis(lease_seconds)]
        found = await _call(
            self._claim(keys=[self._prefix + key], args=args), "delivery dedup unavailable"
        )
        return Claim(found.decode() if isinstance(found, bytes) else found)

    async def done(self, key: str, ttl_seconds: int) -> None:
        _check_ttl(ttl_seconds)
        await _call(
            self._redis.set(self._prefix + key, "done", ex=ttl_seconds),
            "delivery dedup unavailable",
        )

    async def release(self, key: str, token: str) -> None:
        await _call(
            self._release(keys=[self._prefix + key], args=[token]), "delivery dedup unavailable"
        )


def _millis(seconds: float) -> int:
    return max(1, int(seconds * 1000))


# A sliding window: a sorted set of events scored by when they happened (Redis's clock,
# the same for every worker); older ones are dropped, and the set expires with its last.
_WINDOW = """
local now = redis.call('time')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('zremrangebyscore', KEYS[1], '-inf', t - tonumber(ARGV[1]))
if ARGV[2] ~= '' then
    redis.call('zadd', KEYS[1], t, ARGV[2])
    redis.call('pexpire', KEYS[1], ARGV[1])
end
return redis.call('zcard', KEYS[1])
"""


class RedisCounters:
    """`Counters` shared by every worker through Redis keys that expire on their own."""

    def __init__(self, redis: Redis, prefix: str = "teller:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._window = redis.register_script(_WINDOW)

    async def incr(self, key: str, window_seconds: float) -> int:
        name = self._prefix + key

        async def count() -> int:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(name, 0, px=_millis(window_seconds), nx=True)
                pipe.incr(name)
                _, total = await pipe.execute()
            return int(total)

        return await _call(count(), "counters unavailable")

    async def record(self, key: str, window_seconds: float) -> int:
        event = secrets.token_hex(8)  # members are unique: two events in one ms both count
        return await self._slide(key, window_seconds, event)

    async def recent(self, key: str, window_seconds: float) -> int:
        return await self._slide(key, window_seconds, "")

    async def _slide(self, key: str, window_seconds: float, event: str) -> int:
        keys, args = [self._prefix + key], [_millis(window_seconds), event]
        return int(await _call(self._window(keys=keys, args=args), "counters unavailable"))

    async def flag(self, key: str, ttl_seconds: float) -> None:
        await _call(
            self._redis.set(self._prefix + key, 1, px=_millis(ttl_seconds)), "counters unavailable"
        )

    async def flagged(self, key: str) -> bool:
        return bool(await _call(self._redis.exists(self._prefix + key), "counters unavailable"))

    async def expires_in(self, key: str) -> float:
        millis = int(await _call(self._redis.pttl(self._prefix + key), "counters unavailable"))
        if millis == -1:  # set without an expiry: not by us, but it never lifts
            return math.inf
        return max(0, millis) / 1000

    async def forget(self, key: str) -> None:
        await _call(self._redis.delete(self._prefix + key), "counters unavailable")


class RedisPresence:
    """`Presence`: a sorted set of agent ids scored by when their last beat expires."""

    def __init__(self, redis: Redis, ttl_seconds: float, key: str) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._key = key

    async def beat(self, agent_id: str) -> None:
        await _call(
            self._redis.zadd(self._key, {agent_id: time.time() + self._ttl}),
            "cannot record agent presence",
        )

    async def leave(self, agent_id: str) -> None:
        await _call(self._redis.zrem(self._key, agent_id), "cannot record agent presence")

    async def online(self) -> int:
        return int(
            await _call(
                self._redis.zcount(self._key, time.time(), "+inf"), "cannot read agent presence"
            )
        )


class RedisFileStore:
    """`FileStore` shared by every worker: `{prefix}file:{id}`, a hash of the file's owner,
    name, type, expiry and bytes, gone after its TTL."""

    def __init__(self, redis: Redis, prefix: str = "teller:") -> None:
        self._redis = redis
        self._prefix = prefix + "file:"

    async def put(self, file_id: str, file: KeptFile, ttl_seconds: float) -> None:
        fields = {
            "customer_id": file.customer_id,
            "name": file.name,
            "media_type": file.media_type,
            "expires_at": repr(file.expires_at),
            "content": file.content,
        }
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._prefix + file_id, mapping=fields)
        pipe.pexpire(self._prefix + file_id, _millis(ttl_seconds))
        await _call(pipe.execute(), "file store unavailable")

    async def get(self, file_id: str) -> KeptFile | None:
        found = await _call(self._redis.hgetall(self._prefix + file_id), "file store unavailable")
        if not found:
            return None
        return KeptFile(
            customer_id=found[b"customer_id"].decode(),
            name=found[b"name"].decode(),
            media_type=found[b"media_type"].decode(),
            content=found[b"content"],
            expires_at=float(found[b"expires_at"]),
        )


class RedisLiveChats:
    """`LiveChats`: per customer, a sorted set of conversation ids scored by when their
    socket's last beat expires (`{prefix}live:{customer}`)."""

    def __init__(self, redis: Redis, ttl_seconds: float, prefix: str = "teller:") -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = prefix + "live:"

    async def beat(self, customer_id: str, conversation_id: str) -> None:
        key = self._prefix + customer_id
        pipe = self._redis.pipeline()
        pipe.zadd(key, {conversation_id: time.time() + self._ttl})
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.expire(key, math.ceil(self._ttl) + 1)
        await _call(pipe.execute(), "cannot record an open widget")

    async def leave(self, customer_id: str, conversation_id: str) -> None:
        await _call(
            self._redis.zrem(self._prefix + customer_id, conversation_id),
            "cannot record a closed widget",
        )

    async def of(self, customer_id: str) -> list[str]:
        found = await _call(
            self._redis.zrangebyscore(self._prefix + customer_id, time.time(), "+inf"),
            "cannot read open widgets",
        )
        return [f.decode() if isinstance(f, bytes) else str(f) for f in found]
