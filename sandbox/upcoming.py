"""What is coming up for a customer over the next N days: everything the clock would run, and
card repayments due. Items not yet run whose date has passed (the clock was not moved since)
are listed too: they run on the next move."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox import shapes
from sandbox.db import accounts, card_statements, direct_debits, scheduled_payments, standing_orders
from sandbox.frequency import Frequency, add_months
from sandbox.operations import Row
from sandbox.payments import creditor_name
from sandbox.statements import paid_since


def _item(
    kind: str, item_id: str, account: str, on: date, amount: int, name: str, **extra: Any
) -> dict[str, Any]:
    return {
        "Kind": kind,
        "Id": item_id,
        "AccountId": account,
        "Date": on.isoformat(),
        "Amount": shapes.money(amount, "GBP"),
        "Name": name,
    } | extra


def standing_order_dates(row: Row, until: date) -> Iterator[date]:
    frequency = Frequency.parse(row["frequency"])
    day, count = row["next_date"], row["payments_due"]
    while day is not None and day <= until:
        if row["final_date"] is not None and day > row["final_date"]:
            return
        if row["number_of_payments"] is not None and count >= row["number_of_payments"]:
            return
        yield day
        day, count = frequency.following(day), count + 1


async def _rows(conn: AsyncConnection, table: Any, *where: Any) -> list[Row]:
    return list((await conn.execute(select(table).where(*where))).mappings())


async def upcoming(
    conn: AsyncConnection, customer_id: str, today: date, until: date
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for row in await _rows(
        conn,
        scheduled_payments,
        scheduled_payments.c.customer_id == customer_id,
        scheduled_payments.c.status == "pending",
        scheduled_payments.c.execution_date <= until,
    ):
        name, shown = await creditor_name(
            conn, customer_id, row["creditor_scheme"], row["creditor_id"]
        )
        items.append(
            _item(
                "scheduled_payment",
                row["id"],
                row["source_account_id"],
                row["execution_date"],
                row["amount_minor"],
                name,
                Reference=shown or row["reference"],
            )
        )
    for row in await _rows(
        conn,
        standing_orders,
        standing_orders.c.customer_id == customer_id,
        standing_orders.c.status == "active",
    ):
        name, shown = await creditor_name(
            conn, customer_id, row["creditor_scheme"], row["creditor_id"]
        )
        for day in standing_order_dates(row, until):
            items.append(
                _item(
                    "standing_order",
                    row["id"],
                    row["source_account_id"],
                    day,
                    row["amount_minor"],
                    name,
                    Reference=shown or row["reference"],
                )
            )
    for row in await _rows(
        conn,
        direct_debits,
        direct_debits.c.customer_id == customer_id,
        direct_debits.c.status == "active",
    ):
        day = row["next_date"]
        while day is not None and day <= until:
            items.append(
                _item(
                    "direct_debit",
                    row["id"],
                    row["account_id"],
                    day,
                    row["amount_minor"],
                    row["name"],
                    Reference=row["mandate_reference"],
                )
            )
            day = add_months(day, 1, row["day_of_month"])
    items += await _card_repayments(conn, customer_id, today, until)
    order = {"scheduled_payment": 0, "standing_order": 1, "direct_debit": 2, "card_repayment": 3}
    return sorted(items, key=lambda i: (i["Date"], order[i["Kind"]], i["Id"]))


async def _card_repayments(
    conn: AsyncConnection, customer_id: str, today: date, until: date
) -> list[dict[str, Any]]:
    """The latest statement of each card, if its minimum is not yet paid and it falls due."""
    found = []
    cards = await _rows(
        conn, accounts, accounts.c.customer_id == customer_id, accounts.c.kind == "credit_card"
    )
    for card in cards:
        latest = (
            (
                await conn.execute(
                    select(card_statements)
                    .where(card_statements.c.account_id == card["id"])
                    .order_by(card_statements.c.statement_date.desc())
                    .limit(1)
                )
            )
            .mappings()
            .first()
        )
        if latest is None or not today <= latest["due_date"] <= until:
            continue
        left = latest["minimum_minor"] - await paid_since(
            conn, card["id"], latest["statement_date"]
        )
        if left > 0:
            found.append(
                _item(
                    "card_repayment",
                    latest["id"],
                    card["id"],
                    latest["due_date"],
                    left,
                    card["name"],
                    StatementBalance=shapes.money(latest["balance_minor"], "GBP"),
                )
            )
    return found
