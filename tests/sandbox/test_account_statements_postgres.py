"""Account statements on PostgreSQL (asyncpg), in a fresh database per run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sandbox.postgres import fresh_database
from tests.sandbox.statement_contract import StatementContract


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    async with fresh_database() as url:
        yield url


class TestStatementsOnPostgres(StatementContract):
    pass
