"""Monthly budgets per spending category, and the alerts a payment raises when it takes one
past 80% and 100%.

A budget is an amount a month for a set of merchant category codes (ISO 18245; single codes
or ranges "5300-5399"); the client names the category and says which codes it covers (Teller
maps codes to categories in its own data). What counts as spent is what the customer's
accounts paid out in the calendar month, by the sandbox clock, to merchants with those codes.

The alerts are raised by the bank as it books a payment (`after_posting`, called by
`ledger.post` in the payment's own database transaction): at most one per category, month
and threshold (a unique constraint, inserted with ON CONFLICT DO NOTHING so a second payment
past the same mark neither fails nor alerts again). Every budget change and every alert is
audited in `audit_log`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox import alerts
from sandbox.db import accounts, metadata, postings, transactions
from sandbox.errors import BankApiError
from sandbox.operations import Row, Step, write_audit

THRESHOLDS = (80, 100)  # percent of the budget
MAX_CODES = 40
_CODE = re.compile(r"^\d{4}(-\d{4})?$")
_CATEGORY = re.compile(r"^[a-z][a-z_]{1,31}$")

budgets = Table(
    "budgets",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("category", String(32), nullable=False),
    Column("codes", Text, nullable=False),  # JSON list of "5411" / "5300-5399"
    Column("amount_minor", BigInteger, nullable=False),  # a month, positive
    Column("currency", String(3), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("customer_id", "category", name="uq_budgets_category"),
)

# One alert per category, month and threshold: a budget deleted and set again in the same
# month does not alert twice for the same mark.
budget_alerts = Table(
    "budget_alerts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("budget_id", String(40), nullable=False),
    Column("category", String(32), nullable=False),
    Column("month", String(7), nullable=False),  # 2026-12
    Column("threshold", Integer, nullable=False),  # 80 | 100
    Column("spent_minor", BigInteger, nullable=False),  # spent in the month, with the payment
    Column("amount_minor", BigInteger, nullable=False),  # the budget then
    Column("currency", String(3), nullable=False),
    Column("transaction_id", String(40), nullable=False),  # the payment that crossed the mark
    Column("created_at", DateTime, nullable=False),
    Column("acknowledged_at", DateTime, nullable=True),
    UniqueConstraint("customer_id", "category", "month", "threshold", name="uq_budget_alert"),
)


def month_of(day: date) -> tuple[date, date]:
    """The first day of `day`'s month and the first day of the next."""
    first = day.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return first, after


def check_codes(codes: Sequence[str]) -> list[str]:
    if not codes or len(codes) > MAX_CODES:
        raise BankApiError(
            400, "invalid_request", f"MerchantCategoryCodes: 1 to {MAX_CODES} codes or ranges"
        )
    for code in codes:
        if not _CODE.match(code) or (len(code) == 9 and code[:4] > code[5:]):
            raise BankApiError(
                400, "invalid_request", f"MerchantCategoryCodes: {code!r} is not 5411 or 5300-5399"
            )
    return list(dict.fromkeys(codes))


def check_category(category: str) -> str:
    if not _CATEGORY.match(category):
        raise BankApiError(400, "invalid_request", "Category: lower-case letters and _")
    return category


def _covers(codes: Sequence[str], mcc: str) -> bool:
    for code in codes:
        low, _, high = code.partition("-")
        if low <= mcc <= (high or low):
            return True
    return False


def _codes_clause(codes: Sequence[str]) -> Any:
    column = transactions.c.merchant_category
    parts = []
    for code in codes:
        low, _, high = code.partition("-")
        parts.append(column == low if not high else column.between(low, high))
    return or_(*parts)


async def spent(
    conn: AsyncConnection, customer_id: str, codes: Sequence[str], start: date, before: date
) -> int:
    """Minor units paid out of the customer's accounts in [start, before) to those codes."""
    total = await conn.scalar(
        select(func.coalesce(func.sum(postings.c.amount_minor), 0))
        .select_from(
            postings.join(transactions, transactions.c.id == postings.c.transaction_id).join(
                accounts, accounts.c.id == postings.c.account_id
            )
        )
        .where(
            accounts.c.customer_id == customer_id,
            postings.c.amount_minor < 0,
            transactions.c.booked_at >= datetime.combine(start, datetime.min.time()),
            transactions.c.booked_at < datetime.combine(before, datetime.min.time()),
            _codes_clause(codes),
        )
    )
    return -int(total or 0)


def shapes_money(minor: int, currency: str) -> dict[str, str]:
    return {"Amount": f"{minor / 100:.2f}", "Currency": currency}


def codes_of(row: Row) -> list[str]:
    return list(json.loads(row["codes"]))


async def list_budgets(conn: AsyncConnection, customer_id: str) -> list[Row]:
    found = await conn.execute(
        select(budgets).where(budgets.c.customer_id == customer_id).order_by(budgets.c.category)
    )
    return list(found.mappings())


async def _budget(conn: AsyncConnection, customer_id: str, budget_id: str) -> Row:
    row = (
        (
            await conn.execute(
                select(budgets).where(
                    budgets.c.id == budget_id, budgets.c.customer_id == customer_id
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "budget_not_found", "no such budget for this customer")
    return row


def _plain(row: Row) -> dict[str, Any]:
    return {**row, "codes": codes_of(row)}


async def create(
    step: Step, category: str, codes: Sequence[str], amount_minor: int, currency: str
) -> Row:
    if currency != "GBP":
        raise BankApiError(422, "currency_unsupported", "budgets are in GBP")
    existing = await step.conn.scalar(
        select(budgets.c.id).where(
            budgets.c.customer_id == step.customer_id, budgets.c.category == category
        )
    )
    if existing is not None:
        raise BankApiError(409, "budget_exists", f"a {category} budget exists: {existing}")
    row = {
        "id": f"bud-{uuid.uuid4().hex[:16]}",
        "customer_id": step.customer_id,
        "category": category,
        "codes": json.dumps(list(codes)),
        "amount_minor": amount_minor,
        "currency": currency,
        "created_at": step.now,
        "updated_at": step.now,
    }
    await step.conn.execute(budgets.insert().values(**row))
    await step.audit("budget.create", "budget", row["id"], None, _plain(row))
    return row


async def change(step: Step, budget_id: str, amount_minor: int, currency: str) -> Row:
    if currency != "GBP":
        raise BankApiError(422, "currency_unsupported", "budgets are in GBP")
    before = await _budget(step.conn, step.customer_id, budget_id)
    await step.conn.execute(
        update(budgets)
        .where(budgets.c.id == budget_id)
        .values(amount_minor=amount_minor, updated_at=step.now)
    )
    after = {**before, "amount_minor": amount_minor, "updated_at": step.now}
    await step.audit("budget.change", "budget", budget_id, _plain(before), _plain(after))
    return after


async def remove(step: Step, budget_id: str) -> Row:
    before = await _budget(step.conn, step.customer_id, budget_id)
    await step.conn.execute(delete(budgets).where(budgets.c.id == budget_id))
    # Alerts not yet told are about a budget the customer no longer wants: closed with it
    # (kept, so the same mark still does not alert twice this month).
    await step.conn.execute(
        update(budget_alerts)
        .where(budget_alerts.c.budget_id == budget_id, budget_alerts.c.acknowledged_at.is_(None))
        .values(acknowledged_at=step.now)
    )
    await step.audit("budget.delete", "budget", budget_id, _plain(before), None)
    return before


async def list_alerts(conn: AsyncConnection, customer_id: str, status: str | None) -> list[Row]:
    query = select(budget_alerts).where(budget_alerts.c.customer_id == customer_id)
    if status == "new":
        query = query.where(budget_alerts.c.acknowledged_at.is_(None))
    elif status == "acknowledged":
        query = query.where(budget_alerts.c.acknowledged_at.is_not(None))
    query = query.order_by(budget_alerts.c.created_at.desc(), budget_alerts.c.threshold.desc())
    return list((await conn.execute(query)).mappings())


async def acknowledge(step: Step, alert_id: str) -> Row:
    """Once: a second acknowledgement (under another key) is 409, so of two Teller workers
    that both saw the alert exactly one tells the customer."""
    row = (
        (
            await step.conn.execute(
                select(budget_alerts).where(
                    budget_alerts.c.id == alert_id,
                    budget_alerts.c.customer_id == step.customer_id,
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "budget_alert_not_found", "no such alert for this customer")
    if row["acknowledged_at"] is not None:
        raise BankApiError(409, "budget_alert_acknowledged", "this alert was acknowledged")
    await step.conn.execute(
        update(budget_alerts).where(budget_alerts.c.id == alert_id).values(acknowledged_at=step.now)
    )
    after = {**row, "acknowledged_at": step.now}
    await step.audit("budget_alert.acknowledge", "budget_alert", alert_id, row, after)
    return after


def _insert_once(conn: AsyncConnection, values: Mapping[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING: a mark already alerted this month stays one alert,
    and the payment's transaction is never aborted by a duplicate."""
    maker = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return maker(budget_alerts).values(**values).on_conflict_do_nothing()


async def after_posting(
    conn: AsyncConnection,
    *,
    transaction_id: str,
    booked_at: datetime,
    legs: Sequence[tuple[str, int]],
    merchant_category: str,
) -> None:
    """Raise the alerts a just-booked payment to a merchant takes its customer past."""
    paid_from = [account_id for account_id, amount in legs if amount < 0]
    owners = await conn.execute(
        select(accounts.c.customer_id)
        .where(accounts.c.id.in_(paid_from), accounts.c.customer_id.is_not(None))
        .distinct()
    )
    start, before = month_of(booked_at.date())
    for customer_id in owners.scalars():
        for budget in await list_budgets(conn, customer_id):
            codes = codes_of(budget)
            if not _covers(codes, merchant_category):
                continue
            total = await spent(conn, customer_id, codes, start, before)
            passed: list[int] = []
            for threshold in THRESHOLDS:
                if total * 100 < threshold * budget["amount_minor"]:
                    continue
                values = {
                    "id": f"bal-{uuid.uuid4().hex[:16]}",
                    "customer_id": customer_id,
                    "budget_id": budget["id"],
                    "category": budget["category"],
                    "month": f"{start:%Y-%m}",
                    "threshold": threshold,
                    "spent_minor": total,
                    "amount_minor": budget["amount_minor"],
                    "currency": budget["currency"],
                    "transaction_id": transaction_id,
                    "created_at": booked_at,
                    "acknowledged_at": None,
                }
                inserted = await conn.execute(_insert_once(conn, values))
                if inserted.rowcount:
                    await write_audit(
                        conn,
                        actor="bank:budgets",
                        action="budget_alert.create",
                        resource="budget_alert",
                        resource_id=values["id"],
                        before=None,
                        after=values,
                        at=booked_at,
                        customer_id=customer_id,
                    )
                    passed.append(threshold)
            if passed:  # an alert subscriber hears the highest mark passed, once
                await alerts.raise_event(
                    conn,
                    customer_id,
                    "budget",
                    {
                        "Category": budget["category"],
                        "Percent": str(total * 100 // budget["amount_minor"]),
                        "Threshold": str(max(passed)),
                        "Spent": shapes_money(total, budget["currency"]),
                        "Amount": shapes_money(budget["amount_minor"], budget["currency"]),
                    },
                    booked_at,
                )
