"""The budgets contract on PostgreSQL (asyncpg), in a fresh database per run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sandbox.budget_contract import BudgetContract
from tests.sandbox.postgres import fresh_database


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    async with fresh_database() as url:
        yield url


class TestBudgetsOnPostgres(BudgetContract):
    pass
