"""The loans contract on PostgreSQL (asyncpg), in a fresh database per run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sandbox.loans_contract import LoansContract
from tests.sandbox.postgres import fresh_database


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    async with fresh_database() as url:
        yield url


class TestLoansOnPostgres(LoansContract):
    pass
