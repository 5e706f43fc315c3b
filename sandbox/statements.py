"""Credit card statements: cut monthly on the card's statement day by the sandbox clock.

A statement dated D shows what was owed as at 00:00 on D, after that day's scheduled payments
(the day's run does payments first, statements last). Payment is due 25 days later. The
minimum payment is the greater of £25.00 and 1% of the balance (to the nearest penny) plus
interest, and never more than the balance; the sandbox charges no interest, so interest is 0.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox.db import accounts, card_billing, card_statements, postings, transactions
from sandbox.errors import BankApiError
from sandbox.frequency import add_months
from sandbox.operations import Row, write_audit

DUE_AFTER = timedelta(days=25)
MINIMUM_FLOOR = 2_500  # pence
INTEREST = 0  # the sandbox is interest-free


def minimum_payment(owed: int, interest: int = INTEREST) -> int:
    if owed <= 0:
        return 0
    one_percent = (owed + 50) // 100
    return min(owed, max(MINIMUM_FLOOR, one_percent + interest))


def cut_at(day: date) -> datetime:
    return datetime.combine(day, time(0, 0))


async def paid_since(conn: AsyncConnection, account_id: str, day: date) -> int:
    """Money into the card after the statement dated `day` was cut."""
    total = await conn.scalar(
        select(func.coalesce(func.sum(postings.c.amount_minor), 0))
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .where(
            postings.c.account_id == account_id,
            postings.c.amount_minor > 0,
            transactions.c.booked_at > cut_at(day),
        )
    )
    return int(total)


def statement_row(
    customer_id: str, account_id: str, day: date, owed: int, now: datetime
) -> dict[str, Any]:
    owed = max(owed, 0)
    return {
        "id": f"STM-{uuid.uuid4().hex[:12].upper()}",
        "customer_id": customer_id,
        "account_id": account_id,
        "statement_date": day,
        "due_date": day + DUE_AFTER,
        "balance_minor": owed,
        "minimum_minor": minimum_payment(owed),
        "created_at": now,
    }


async def cut(engine: AsyncEngine, account_id: str, day: date) -> dict[str, Any] | None:
    """Cut the statement due on `day`, once: a concurrent run that got there first wins."""
    async with engine.begin() as conn:
        billing = (
            await conn.execute(select(card_billing).where(card_billing.c.account_id == account_id))
        ).first()
        moved = await conn.execute(
            update(card_billing)
            .where(card_billing.c.account_id == account_id, card_billing.c.next_statement_on == day)
            .values(next_statement_on=add_months(day, 1, billing.statement_day))
        )
        if moved.rowcount != 1:
            return None
        balance = await conn.scalar(
            select(accounts.c.balance_minor).where(accounts.c.id == account_id)
        )
        row = statement_row(billing.customer_id, account_id, day, -balance, cut_at(day))
        await conn.execute(card_statements.insert().values(**row))
        await write_audit(
            conn,
            actor="sandbox-clock",
            action="create",
            resource="card_statement",
            resource_id=row["id"],
            before=None,
            after=row,
            at=cut_at(day),
            customer_id=billing.customer_id,
        )
        return row


async def statements_of(
    conn: AsyncConnection, customer_id: str, account_id: str
) -> tuple[Row, list[Row]]:
    """The card account and its statements, newest first."""
    account = (
        (
            await conn.execute(
                select(accounts).where(
                    accounts.c.id == account_id, accounts.c.customer_id == customer_id
                )
            )
        )
        .mappings()
        .first()
    )
    if account is None:
        raise BankApiError(404, "account_not_found", "no such account for this customer")
    if account["kind"] != "credit_card":
        raise BankApiError(422, "account_not_eligible", "only credit card accounts have statements")
    rows = await conn.execute(
        select(card_statements)
        .where(card_statements.c.account_id == account_id)
        .order_by(card_statements.c.statement_date.desc())
    )
    return account, list(rows.mappings())
