"""The MongoDB adapters, over one `AsyncMongoClient` per worker (`connect_mongo`).

Each adapter takes the worker's database and turns driver connection errors and timeouts
into `StoreUnavailable` (`unavailable_on_failure`), so nothing above `bot/store/` knows
PyMongo.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import ConnectionFailure, PyMongoError

from bot.ports import StoreUnavailable

# Fail fast when the server is away: a turn should get a 503, not hang for pymongo's 30 s.
# timeoutMS bounds each operation including the driver's retries (which, under it, go on
# until it runs out), so it is kept short; a full batch takes well under a second.
CLIENT_OPTIONS: dict[str, Any] = {
    "serverSelectionTimeoutMS": 3000,
    "connectTimeoutMS": 3000,
    "timeoutMS": 4000,
}

Client = AsyncMongoClient[dict[str, Any]]


def connect_mongo(uri: str) -> Client:
    """The worker's one client; it connects lazily and is shared by every adapter."""
    return AsyncMongoClient(uri, **CLIENT_OPTIONS)


def is_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionFailure) or (isinstance(exc, PyMongoError) and exc.timeout)


def as_unavailable(exc: BaseException) -> StoreUnavailable:
    error = StoreUnavailable(f"MongoDB unavailable: {exc}")
    error.__cause__ = exc
    return error


@contextmanager
def unavailable_on_failure() -> Iterator[None]:
    """Turn driver connection errors and timeouts into StoreUnavailable."""
    try:
        yield
    except PyMongoError as exc:
        if is_unavailable(exc):
            raise as_unavailable(exc) from exc
        raise
