"""What the sandbox clock does when it moves: run everything that fell due, in date order.

Each due date of a scheduled payment, standing order or direct debit is one database
transaction: the customer row is locked (as for any payment), the item's due date is claimed
with a conditional update (`next_date = that day`), the payment is made or refused, and an
`executions` row records which, with the reason. The unique (kind, source, due date) constraint
and the conditional update mean a day is never paid twice, however often or concurrently the
clock is moved. A refused payment debits nothing; a standing order or direct debit still moves
on to its next date (a missed standing order is not retried), a scheduled payment fails.
Payments are booked at 00:00 of their day and count against that day's limit. On each day the
run goes: scheduled payments, standing orders, direct debits, then card statements.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox import clock, statements
from sandbox.db import (
    accounts,
    card_billing,
    direct_debits,
    executions,
    scheduled_payments,
    standing_orders,
)
from sandbox.errors import BankApiError
from sandbox.frequency import Frequency, add_months
from sandbox.ledger import BACS_OUT, post
from sandbox.operations import Row, lock_customer, write_audit
from sandbox.payments import creditor, send, source_account

ACTOR = "sandbox-clock"


@dataclass(frozen=True, slots=True)
class Due:
    kind: str
    table: Table
    date_column: str
    live: str


DUES = (
    Due("scheduled_payment", scheduled_payments, "execution_date", "pending"),
    Due("standing_order", standing_orders, "next_date", "active"),
    Due("direct_debit", direct_debits, "next_date", "active"),
)


async def _next_day(conn: AsyncConnection, after: date | None, through: date) -> date | None:
    """The first day after `after` (None: any) up to `through` with something due."""
    floor = after or date.min
    columns = [(due.table.c[due.date_column], due.table.c.status == due.live) for due in DUES]
    columns.append(
        (card_billing.c.next_statement_on, card_billing.c.next_statement_on.is_not(None))
    )
    days = [
        await conn.scalar(select(func.min(column)).where(live, column > floor, column <= through))
        for column, live in columns
    ]
    found = [d for d in days if d is not None]
    return min(found) if found else None


async def _ids_due(conn: AsyncConnection, due: Due, day: date) -> list[str]:
    column = due.table.c[due.date_column]
    rows = await conn.execute(
        select(due.table.c.id)
        .where(column == day, due.table.c.status == due.live)
        .order_by(due.table.c.id)
    )
    return list(rows.scalars())


async def _pay(
    conn: AsyncConnection, customer: Row, item: Row, at: datetime
) -> tuple[str | None, str | None]:
    """(refusal reason, ledger transaction id) of paying a scheduled item now."""
    try:
        to = await creditor(
            conn,
            customer["id"],
            item["creditor_scheme"],
            item["creditor_id"],
            item["source_account_id"],
        )
        source = await source_account(
            conn, customer["id"], item["source_account_id"], item["currency"]
        )
    except BankApiError as error:  # the payee was deleted, the account closed...
        return error.code, None
    sent = await send(conn, customer, source, to, item["amount_minor"], item["reference"], at)
    return sent.refusal, sent.transaction_id


async def _collect(conn: AsyncConnection, item: Row, at: datetime) -> tuple[str | None, str | None]:
    """(refusal reason, ledger transaction id) of collecting a direct debit now: no limit."""
    balance = await conn.scalar(
        select(accounts.c.balance_minor).where(accounts.c.id == item["account_id"])
    )
    if item["amount_minor"] > balance:
        return "insufficient_funds", None
    transaction_id = f"txn-{uuid.uuid4().hex[:20]}"
    await post(
        conn,
        transaction_id=transaction_id,
        booked_at=at,
        description=f"DD {item['name'].upper()} {item['mandate_reference']}",
        legs=[(item["account_id"], -item["amount_minor"]), (BACS_OUT, item["amount_minor"])],
    )
    return None, transaction_id


def _after(due: Due, item: Row, day: date, refusal: str | None) -> dict[str, Any]:
    """The item's columns once its payment on `day` was made (or refused)."""
    paid = refusal is None
    if due.kind == "scheduled_payment":
        return {"status": "executed" if paid else "rejected", "status_reason": refusal}
    if due.kind == "direct_debit":
        changes: dict[str, Any] = {"next_date": add_months(day, 1, item["day_of_month"])}
        if paid:
            changes |= {"previous_date": day, "previous_minor": item["amount_minor"]}
        return changes
    count = item["payments_due"] + 1
    following = Frequency.parse(item["frequency"]).following(day)
    finished = (item["number_of_payments"] is not None and count >= item["number_of_payments"]) or (
        item["final_date"] is not None and following > item["final_date"]
    )
    changes = {"payments_due": count, "next_date": None if finished else following}
    if finished:
        changes["status"] = "completed"
    if paid:
        changes |= {"last_paid_date": day, "last_paid_minor": item["amount_minor"]}
    return changes


async def _execute(engine: AsyncEngine, due: Due, item_id: str, day: date) -> dict[str, Any] | None:
    at = datetime.combine(day, time(0, 0))
    async with engine.begin() as conn:
        owner = await conn.scalar(select(due.table.c.customer_id).where(due.table.c.id == item_id))
        customer = await lock_customer(conn, owner)
        item = (
            (await conn.execute(select(due.table).where(due.table.c.id == item_id)))
            .mappings()
            .one()
        )
        column = due.table.c[due.date_column]
        if item["status"] != due.live or item[due.date_column] != day:
            return None  # another run got here first, or it was changed meanwhile
        if due.kind == "direct_debit":
            refusal, transaction_id = await _collect(conn, item, at)
        else:
            refusal, transaction_id = await _pay(conn, customer, item, at)
        changes = _after(due, item, day, refusal) | {"updated_at": at}
        claimed = await conn.execute(
            update(due.table).where(due.table.c.id == item_id, column == day).values(**changes)
        )
        if claimed.rowcount != 1:
            raise RuntimeError(f"{due.kind} {item_id} changed under a locked customer")
        row = {
            "id": f"EXE-{uuid.uuid4().hex[:12].upper()}",
            "customer_id": owner,
            "kind": due.kind,
            "source_id": item_id,
            "due_on": day,
            "account_id": item["account_id" if due.kind == "direct_debit" else "source_account_id"],
            "amount_minor": item["amount_minor"],
            "status": "rejected" if refusal else "executed",
            "reason": refusal,
            "transaction_id": transaction_id,
            "created_at": at,
        }
        await conn.execute(executions.insert().values(**row))
        for resource, resource_id, before, after in (
            ("execution", row["id"], None, row),
            (due.kind, item_id, item, dict(item) | changes),
        ):
            await write_audit(
                conn,
                actor=ACTOR,
                action="execute",
                resource=resource,
                resource_id=resource_id,
                before=before,
                after=after,
                at=at,
                customer_id=owner,
            )
        return row


async def _safely(run: Callable[[], Awaitable[dict[str, Any] | None]]) -> dict[str, Any] | None:
    try:
        return await run()
    except IntegrityError:  # the unique constraint: a concurrent run executed it
        return None


async def run_due(
    engine: AsyncEngine, through: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run every due date up to and including `through`; returns (executions, statements)."""
    done: list[dict[str, Any]] = []
    cut: list[dict[str, Any]] = []
    day: date | None = None
    while True:
        async with engine.connect() as conn:
            # Each day once per run: whatever a day leaves due (a failure) waits for the next run.
            day = await _next_day(conn, day, through)
            if day is None:
                break
            batches = [(due, await _ids_due(conn, due, day)) for due in DUES]
            cards = list(
                (
                    await conn.execute(
                        select(card_billing.c.account_id)
                        .where(card_billing.c.next_statement_on == day)
                        .order_by(card_billing.c.account_id)
                    )
                ).scalars()
            )
        for due, ids in batches:
            for item_id in ids:
                result = await _safely(lambda d=due, i=item_id, on=day: _execute(engine, d, i, on))
                if result is not None:
                    done.append(result)
        for account_id in cards:
            statement = await _safely(lambda a=account_id, on=day: statements.cut(engine, a, on))
            if statement is not None:
                cut.append(statement)
    async with engine.begin() as conn:
        await clock.mark_processed(conn, through)
    return done, cut
