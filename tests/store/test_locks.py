"""TurnLock contract: the same tests for the in-process lock and the Redis lock."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from redis.asyncio import Redis

from bot.ports import LockTimeout, StoreUnavailable
from bot.store.memory import MemoryTurnLock
from bot.store.redis import RedisTurnLock
from tests.store.conftest import MakeLock


def new_key() -> str:
    return f"conv-{uuid.uuid4().hex}"


async def test_one_holder_at_a_time_per_key(make_lock: MakeLock) -> None:
    lock = make_lock(timeout=5)
    key, inside, most_inside, order = new_key(), 0, 0, []

    async def turn(n: int) -> None:
        nonlocal inside, most_inside
        async with lock.hold(key):
            inside += 1
            most_inside = max(most_inside, inside)
            await asyncio.sleep(0.005)
            order.append(n)
            inside -= 1

    await asyncio.gather(*(turn(n) for n in range(20)))
    assert most_inside == 1
    assert sorted(order) == list(range(20))


async def test_different_keys_do_not_wait_for_each_other(make_lock: MakeLock) -> None:
    lock = make_lock(timeout=0.5)
    async with lock.hold(new_key()), lock.hold(new_key()):
        pass


async def test_busy_key_times_out_with_lock_timeout(make_lock: MakeLock) -> None:
    lock = make_lock(timeout=0.2)
    key = new_key()
    async with lock.hold(key):
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            async with lock.hold(key):
                pytest.fail("entered a lock someone else holds")
        waited = time.monotonic() - started
    assert 0.15 < waited < 1.0
    async with lock.hold(key):  # the holder left: free again
        pass


async def test_a_failing_turn_releases_the_lock(make_lock: MakeLock) -> None:
    lock = make_lock(timeout=0.3)
    key = new_key()
    with pytest.raises(RuntimeError, match="boom"):
        async with lock.hold(key):
            raise RuntimeError("boom")
    async with lock.hold(key):
        pass


async def test_a_cancelled_holder_releases_the_lock(make_lock: MakeLock) -> None:
    lock = make_lock(timeout=0.5)
    key, entered = new_key(), asyncio.Event()

    async def stuck() -> None:
        async with lock.hold(key):
            entered.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with lock.hold(key):
        pass


async def test_waiters_get_the_lock_when_the_holder_leaves(make_lock: MakeLock) -> None:
    lock = make_lock(timeout=2)
    key, got = new_key(), []

    async def waiter(n: int) -> None:
        async with lock.hold(key):
            got.append(n)

    async with lock.hold(key):
        waiters = [asyncio.create_task(waiter(n)) for n in range(3)]
        await asyncio.sleep(0.05)
        assert got == []
    await asyncio.gather(*waiters)
    assert sorted(got) == [0, 1, 2]


async def test_local_lock_forgets_keys_nobody_holds() -> None:
    lock = MemoryTurnLock(timeout=0.05)
    for _ in range(100):
        async with lock.hold(new_key()):
            pass
    key = new_key()
    async with lock.hold(key):
        with pytest.raises(LockTimeout):
            async with lock.hold(key):
                pass
        assert len(lock) == 1
    assert len(lock) == 0


async def test_redis_lease_frees_the_lock_of_a_crashed_holder(redis: Redis) -> None:
    key = new_key()
    crashed_worker = RedisTurnLock(redis, timeout=1, lease_seconds=0.3)
    held = crashed_worker.hold(key)  # kept referenced: collecting it would run its release
    await held.__aenter__()  # takes the lock and, like a killed worker, never gives it back

    other_worker = RedisTurnLock(redis, timeout=3)
    started = time.monotonic()
    async with other_worker.hold(key):
        waited = time.monotonic() - started
    assert 0.1 < waited < 2.0
    del held


async def test_redis_release_after_lease_does_not_free_the_next_holder(redis: Redis) -> None:
    key = new_key()
    slow = RedisTurnLock(redis, timeout=1, lease_seconds=0.2)
    other = RedisTurnLock(redis, timeout=2)
    next_has_it, slow_left = asyncio.Event(), asyncio.Event()

    async def next_holder() -> None:
        async with other.hold(key):
            next_has_it.set()
            await slow_left.wait()
            await asyncio.sleep(0.1)

    async with slow.hold(key):
        task = asyncio.create_task(next_holder())
        await next_has_it.wait()  # our lease ran out and the lock moved on
    slow_left.set()
    with pytest.raises(LockTimeout):  # our release must not have freed their lock
        async with RedisTurnLock(redis, timeout=0.05).hold(key):
            pass
    await task


async def test_redis_down_is_store_unavailable_quickly() -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        async with RedisTurnLock(client, timeout=5).hold(new_key()):
            pass
    assert time.monotonic() - started < 3
    await client.aclose()
