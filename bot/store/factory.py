"""Pick the Redis adapters when Redis is configured, the in-process ones otherwise."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config import Settings
from bot.store.bus import Bus, LocalBus, RedisBus
from bot.store.locks import LocalTurnLock, RedisTurnLock
from bot.store.once import LocalOnceGuard, RedisOnceGuard
from bot.store.ports import OnceGuard, TurnLock


def connect_redis(url: str) -> Redis | None:
    """A client for `url` (connections open lazily), or None when no URL is configured."""
    if not url:
        return None
    # Short timeouts: with Redis away, a turn should fail in seconds, not hang.
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def build_lock(settings: Settings, redis: Redis | None) -> TurnLock:
    timeout = settings.stores.lock_timeout_seconds
    return RedisTurnLock(redis, timeout) if redis is not None else LocalTurnLock(timeout)


def build_once_guard(redis: Redis | None) -> OnceGuard:
    return RedisOnceGuard(redis) if redis is not None else LocalOnceGuard()


def build_bus(redis: Redis | None) -> Bus:
    """Redis pub/sub across workers when Redis is configured, else in-process."""
    return RedisBus(redis) if redis is not None else LocalBus()
