"""Small helpers the route modules share."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox.db import customers
from sandbox.errors import BankApiError


def engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


async def require_customer(conn: AsyncConnection, customer_id: str) -> None:
    if await conn.scalar(select(customers.c.id).where(customers.c.id == customer_id)) is None:
        raise BankApiError(404, "customer_not_found", "no such customer")


def created(name: str, item: Any) -> tuple[int, dict[str, Any]]:
    return 201, {"Data": {name: item}, "Links": {}, "Meta": {}}


def done(data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, {"Data": data, "Links": {}, "Meta": {}}
