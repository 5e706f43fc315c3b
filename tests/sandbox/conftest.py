"""A sandbox bank per test module, on a fresh SQLite file, reached over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.sandbox import start_sandbox

API_KEY = "sandbox-test-key"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("bank") / "bank.db"
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="module")
def sandbox_url(database_url: str) -> Iterator[str]:
    base_url, stop = start_sandbox(database_url, API_KEY)
    yield base_url
    stop()


@pytest.fixture(scope="module")
async def api(sandbox_url: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(base_url=sandbox_url, headers=headers, timeout=30) as client:
        yield client
