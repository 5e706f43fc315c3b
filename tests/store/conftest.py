"""Servers and adapters for the store contract tests: SecantusDB (or $MONGODB_URI), Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from redis.asyncio import Redis

from bot.store.bus import Bus, LocalBus, RedisBus
from bot.store.locks import LocalTurnLock, RedisTurnLock
from bot.store.mongo import MongoEventStore
from bot.store.once import LocalOnceGuard, RedisOnceGuard
from bot.store.ports import OnceGuard, TurnLock
from tests.support.mongo import mongo_server, unique_db_name
from tests.support.redis import redis_url

MakeLock = Callable[..., TurnLock]


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with mongo_server(tmp_path_factory.mktemp("store") / "mongo") as (uri, _):
        yield uri


@pytest.fixture
async def store(mongo_uri: str) -> AsyncIterator[MongoEventStore]:
    """An open store on a database of its own."""
    opened = await MongoEventStore.connect(mongo_uri, unique_db_name("store"))
    yield opened
    await opened.close()


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
        return lambda timeout, lease_seconds=30.0: LocalTurnLock(timeout)
    client: Redis = request.getfixturevalue("redis")
    return lambda timeout, lease_seconds=30.0: RedisTurnLock(client, timeout, lease_seconds)


@pytest.fixture(params=["local", "redis"])
def once_guard(request: pytest.FixtureRequest) -> OnceGuard:
    if request.param == "local":
        return LocalOnceGuard()
    return RedisOnceGuard(request.getfixturevalue("redis"))


@pytest.fixture(params=["local", "redis"])
def make_bus(request: pytest.FixtureRequest) -> Callable[[], Bus]:
    """Builds a bus standing for one worker; buses made by one call share a deployment."""
    if request.param == "local":
        shared = LocalBus()
        return lambda: shared
    client: Redis = request.getfixturevalue("redis")
    return lambda: RedisBus(client, prefix=f"test:{id(request)}:")
