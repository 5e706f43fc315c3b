"""Idempotent, audited state changes: the one way every write endpoint changes the bank.

`run()` opens one database transaction, serialises the customer's requests on the customer
row (the first write bumps `payment_seq`: SQLite's write lock, PostgreSQL's row lock), answers a
repeated Idempotency-Key with the first answer, and otherwise runs the change and records its
answer in `operations`. The unique constraint on (customer, key) is the backstop: a concurrent
duplicate that slips past the lookup fails to insert and is answered with the winner's result.

A change raises `BankApiError` to refuse without a trace (nothing is stored, the same key may
be retried), or `Refusal` to refuse on the record (e.g. insufficient funds: the same key
replays the same refusal, as a bank's payment history shows a refused payment).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox import clock
from sandbox.db import audit_log, customers, operations
from sandbox.errors import BankApiError

Row = Mapping[str, Any]


class Refusal(BankApiError):
    """A refusal the bank records: the same Idempotency-Key answers with it again."""


def require_key(value: str | None) -> str:
    if not value or len(value) > 128:
        raise BankApiError(
            400,
            "idempotency_key_required",
            "an Idempotency-Key header of 1-128 characters is required",
        )
    return value


def _plain(value: Any) -> Any:
    """JSON for audit rows: dates as ISO strings, everything else as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(_plain(value), sort_keys=True)


async def write_audit(
    conn: AsyncConnection,
    *,
    actor: str,
    action: str,
    resource: str,
    resource_id: str,
    before: Row | None,
    after: Row | None,
    at: datetime,
    customer_id: str | None,
    operation_id: str | None = None,
) -> None:
    await conn.execute(
        audit_log.insert().values(
            operation_id=operation_id,
            customer_id=customer_id,
            actor=actor,
            action=action,
            resource=resource,
            resource_id=resource_id,
            before=to_json(before),
            after=to_json(after),
            created_at=at,
        )
    )


@dataclass(frozen=True, slots=True)
class Request:
    """What one idempotent request asks for; `body` is everything that must match on replay."""

    customer_id: str
    key: str
    action: str  # e.g. "payee.create": a key used for one action cannot be reused for another
    body: Mapping[str, Any]

    def fingerprint(self) -> str:
        text = json.dumps([self.action, _plain(self.body)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(slots=True)
class Step:
    """What a change gets to work with: its transaction, the locked customer and the time."""

    conn: AsyncConnection
    customer: Row
    now: datetime
    operation_id: str

    @property
    def customer_id(self) -> str:
        return self.customer["id"]

    async def audit(
        self, action: str, resource: str, resource_id: str, before: Row | None, after: Row | None
    ) -> None:
        await write_audit(
            self.conn,
            actor=f"customer:{self.customer_id}",
            action=action,
            resource=resource,
            resource_id=resource_id,
            before=before,
            after=after,
            at=self.now,
            customer_id=self.customer_id,
            operation_id=self.operation_id,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool

    def response(self) -> JSONResponse:
        """A replay answers 200 for a first 201, and says so in `Idempotent-Replayed`."""
        if not self.replayed:
            return JSONResponse(self.body, status_code=self.status)
        status = 200 if self.status == 201 else self.status
        return JSONResponse(self.body, status_code=status, headers={"Idempotent-Replayed": "true"})


Change = Callable[[Step], Awaitable[tuple[int, dict[str, Any]]]]


async def lock_customer(conn: AsyncConnection, customer_id: str) -> Row:
    """The first write of every change: queues a customer's changes one behind the other."""
    found = (
        (
            await conn.execute(
                update(customers)
                .where(customers.c.id == customer_id)
                .values(payment_seq=customers.c.payment_seq + 1)
                .returning(customers)
            )
        )
        .mappings()
        .first()
    )
    if found is None:
        raise BankApiError(404, "customer_not_found", "no such customer")
    return found


async def _recorded(conn: AsyncConnection, req: Request) -> Outcome | None:
    found = (
        await conn.execute(
            select(
                operations.c.request_hash, operations.c.status_code, operations.c.response
            ).where(
                operations.c.customer_id == req.customer_id,
                operations.c.idempotency_key == req.key,
            )
        )
    ).first()
    if found is None:
        return None
    if found.request_hash != req.fingerprint():
        raise BankApiError(
            409,
            "idempotency_key_reused",
            "this Idempotency-Key was already used for a different request",
        )
    return Outcome(found.status_code, json.loads(found.response), replayed=True)


async def _first_run(conn: AsyncConnection, req: Request, change: Change) -> Outcome:
    customer = await lock_customer(conn, req.customer_id)
    replay = await _recorded(conn, req)
    if replay is not None:
        return replay
    step = Step(conn, customer, await clock.now(conn), f"OP-{uuid.uuid4().hex[:16].upper()}")
    try:
        status, body = await change(step)
    except Refusal as refusal:
        status, body = refusal.status, refusal.to_body()
    await conn.execute(
        operations.insert().values(
            id=step.operation_id,
            customer_id=req.customer_id,
            idempotency_key=req.key,
            request_hash=req.fingerprint(),
            action=req.action,
            status_code=status,
            response=json.dumps(body),
            created_at=step.now,
        )
    )
    return Outcome(status, body, replayed=False)


async def run(engine: AsyncEngine, req: Request, change: Change) -> Outcome:
    """Run `change` once per (customer, key), in one transaction; repeats get the first answer."""
    try:
        async with engine.begin() as conn:
            return await _first_run(conn, req, change)
    except IntegrityError:
        async with engine.connect() as conn:
            replay = await _recorded(conn, req)
        if replay is None:
            raise
        return replay
