"""Pick the Redis adapters when Redis is configured, the in-process ones otherwise."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.auth.lockout import ExpiringCounters, MemoryCounters, RedisCounters
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
    if redis is None:
        return LocalTurnLock(timeout)
    return RedisTurnLock(redis, timeout, prefix=settings.stores.redis_prefix)


def build_once_guard(settings: Settings, redis: Redis | None) -> OnceGuard:
    if redis is None:
        return LocalOnceGuard()
    return RedisOnceGuard(redis, settings.stores.redis_prefix)


def build_bus(settings: Settings, redis: Redis | None) -> Bus:
    """Redis pub/sub across workers when Redis is configured, else in-process."""
    return RedisBus(redis, settings.stores.redis_prefix) if redis is not None else LocalBus()


def build_counters(settings: Settings, redis: Redis | None) -> ExpiringCounters:
    """Expiring counters (OTP lockout, link-code guessing), shared through Redis if there."""
    if redis is None:
        return MemoryCounters()
    return RedisCounters(redis, settings.stores.redis_prefix)
