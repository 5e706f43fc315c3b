"""A fresh PostgreSQL database per test module, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

SERVER = os.environ.get("SANDBOX_TEST_POSTGRES", "postgres@127.0.0.1:5432")


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    name = f"teller_sandbox_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"postgresql://{SERVER}/test")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+asyncpg://{SERVER}/{name}"
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
