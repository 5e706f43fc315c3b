"""The Redis the tests use: 127.0.0.1:6379 (or $TEST_REDIS_URL), in a database of their own."""

from __future__ import annotations

import os

import pytest
import redis

# Database 15, so a developer's own data in database 0 is never touched by the tests.
DEFAULT_URL = "redis://127.0.0.1:6379/15"


def redis_url() -> str:
    """The URL of a running Redis for tests; fails the test run clearly if there is none."""
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {url} ({exc}). Start one (e.g. `redis-server`) "
            "or point TEST_REDIS_URL at one.",
            pytrace=False,
        )
    finally:
        client.close()
    return url
