"""The same transfer contract on PostgreSQL (asyncpg), in a fresh database per run."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.sandbox.transfer_contract import TransferContract

SERVER = os.environ.get("SANDBOX_TEST_POSTGRES", "postgres@127.0.0.1:5432")


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    name = f"teller_sandbox_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"postgresql://{SERVER}/test")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+asyncpg://{SERVER}/{name}"
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class TestTransfersOnPostgres(TransferContract):
    pass
