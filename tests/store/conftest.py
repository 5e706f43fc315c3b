"""Servers and adapters for the store contract tests: SecantusDB (or $MONGODB_URI), Redis,
and the in-memory twins, which must keep the same contracts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis

from bot.ports import Bus, EventStore, OnceGuard, TurnLock
from bot.store.memory import MemoryBus, MemoryEventStore, MemoryOnceGuard, MemoryTurnLock
from bot.store.mongo import connect_mongo
from bot.store.mongo.events import MongoEventStore
from bot.store.redis import RedisBus, RedisOnceGuard, RedisTurnLock
from tests.support.mongo import mongo_server, unique_db_name
from tests.support.redis import redis_url

MakeLock = Callable[..., TurnLock]


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with mongo_server(tmp_path_factory.mktemp("store") / "mongo") as (uri, _):
        yield uri


@asynccontextmanager
async def open_mongo_store(uri: str, db_name: str) -> AsyncIterator[MongoEventStore]:
    """A store as the composition root opens one: its own client, indexes, flusher."""
    client = connect_mongo(uri)
    store = MongoEventStore(client.get_database(db_name))
    try:
        await store.open()
        yield store
    finally:
        await store.close()
        await client.close()


@pytest.fixture
async def mongo_store(mongo_uri: str) -> AsyncIterator[MongoEventStore]:
    """An open MongoDB store on a database of its own."""
    async with open_mongo_store(mongo_uri, unique_db_name("store")) as store:
        yield store


@pytest.fixture(params=["mongo", "memory"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[EventStore]:
    """Each kind of event store: both must keep the same contract."""
    if request.param == "memory":
        yield MemoryEventStore()
        return
    async with open_mongo_store(request.getfixturevalue("mongo_uri"), unique_db_name("store")) as s:
        yield s


@pytest.fixture(scope="session")
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url())
    yield client
    await client.aclose()


@pytest.fixture(params=["local", "redis"])
def make_lock(request: pytest.FixtureRequest) -> MakeLock:
    """Builds the lock under test: `make_lock(timeout, lease_seconds=30.0)`.

    One lock object stands for a whole deployment: concurrent holders in a test share it,
    as the workers of a deployment share their Redis.
    """
    if request.param == "local":
        return lambda timeout, lease_seconds=30.0: MemoryTurnLock(timeout)
    client: Redis = request.getfixturevalue("redis")
    return lambda timeout, lease_seconds=30.0: RedisTurnLock(client, timeout, lease_seconds)


@pytest.fixture(params=["local", "redis"])
def once_guard(request: pytest.FixtureRequest) -> OnceGuard:
    if request.param == "local":
        return MemoryOnceGuard()
    return RedisOnceGuard(request.getfixturevalue("redis"))


@pytest.fixture(params=["local", "redis"])
def make_bus(request: pytest.FixtureRequest) -> Callable[[], Bus]:
    """Builds a bus standing for one worker; buses made by one call share a deployment."""
    if request.param == "local":
        shared = MemoryBus()
        return lambda: shared
    client: Redis = request.getfixturevalue("redis")
    return lambda: RedisBus(client, prefix=f"test:{id(request)}:")
