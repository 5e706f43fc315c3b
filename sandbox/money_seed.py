"""Seed rows for money movement: the bank's new books, the clock, a payee abroad, saved bills,
standing orders, scheduled payments, direct debits and card statements (sandbox/README.md).

Seeded whenever the `direct_debits` table is empty, so a bank seeded before these existed gains
them on its next start; the new internal accounts and the clock row are added if missing.
Dates are relative to the seeding day T, as the rest of the seed data is. Nothing here moves
money: balances stay exactly the documented figures until a payment is made or the clock moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox import clock
from sandbox.db import (
    accounts,
    bills,
    card_billing,
    card_statements,
    direct_debits,
    international_payees,
    postings,
    sandbox_clock,
    scheduled_payments,
    standing_orders,
    transactions,
)
from sandbox.frequency import add_months
from sandbox.ledger import LATER_INTERNAL_ACCOUNTS
from sandbox.shapes import BENEFICIARY_ID_SCHEME
from sandbox.statements import statement_row


@dataclass(frozen=True)
class MandateSeed:
    id: str
    customer_id: str
    account_id: str
    name: str
    category: str
    reference: str
    amount: int  # pence, the expected monthly collection
    day: int
    collected_before: bool  # False: set up recently, nothing collected yet


MANDATES = (
    MandateSeed(
        "dd-001-1",
        "cust-001",
        "acc-001-current",
        "Octopus Energy",
        "energy",
        "A-7F3C9E21",
        8_900,
        3,
        True,
    ),
    MandateSeed(
        "dd-001-2",
        "cust-001",
        "acc-001-current",
        "Lambeth Council Tax",
        "council_tax",
        "50412787",
        14_700,
        5,
        True,
    ),
    MandateSeed(
        "dd-001-3",
        "cust-001",
        "acc-001-current",
        "Vodafone",
        "mobile",
        "VF-22081934",
        1_800,
        18,
        False,
    ),
    MandateSeed(
        "dd-001-4", "cust-001", "acc-001-current", "PureGym", "gym", "PG-0049917", 2_499, 28, False
    ),
    MandateSeed(
        "dd-002-1",
        "cust-002",
        "acc-002-current",
        "Thames Water",
        "water",
        "900412558301",
        3_450,
        10,
        True,
    ),
    MandateSeed(
        "dd-003-1", "cust-003", "acc-003-current", "EE", "mobile", "402118876", 2_400, 6, True
    ),
)

BILLS = (
    ("bill-001-1", "cust-001", "biller-barclaycard", "4929123456789015", "Barclaycard"),
    ("bill-001-2", "cust-001", "biller-bt", "GP31224580", "Broadband"),
    ("bill-002-1", "cust-002", "biller-thames-water", "900412558301", None),
    ("bill-002-2", "cust-002", "biller-british-gas", "850034129377", "Gas"),
)

# (card account, customer, days before T of the last statement)
CARD_STATEMENTS = (("acc-001-card", "cust-001", 8), ("acc-003-card", "cust-003", 20))


def _next_on(today: date, day: int) -> date:
    """The first date after `today` that is day `day` of its month."""
    this_month = add_months(today, 0, day)
    return this_month if this_month > today else add_months(today, 1, day)


def build_money(today: date) -> dict[str, list[dict[str, Any]]]:
    """Rows for a bank seeded on `today`; the caller makes the statements (from the ledger)."""
    now = datetime.combine(today, time(0, 0))
    mandates = []
    for m in MANDATES:
        upcoming = _next_on(today, m.day)
        mandates.append(
            {
                "id": m.id,
                "customer_id": m.customer_id,
                "account_id": m.account_id,
                "name": m.name,
                "category": m.category,
                "mandate_reference": m.reference,
                "amount_minor": m.amount,
                "day_of_month": m.day,
                "next_date": upcoming,
                "previous_date": add_months(upcoming, -1, m.day) if m.collected_before else None,
                "previous_minor": m.amount if m.collected_before else None,
                "status": "active",
                "created_at": now - timedelta(days=400 if m.collected_before else 12),
                "updated_at": now,
            }
        )
    rent_first = add_months(today, -12, 1)
    rent = {
        "id": "so-001-1",
        "customer_id": "cust-001",
        "source_account_id": "acc-001-current",
        "creditor_scheme": BENEFICIARY_ID_SCHEME,
        "creditor_id": "payee-001-03",
        "amount_minor": 135_000,
        "currency": "GBP",
        "reference": "RENT",
        "frequency": "IntrvlMnthDay:01:01",
        "first_date": rent_first,
        "next_date": add_months(today, 1, 1),
        "final_date": None,
        "number_of_payments": None,
        "payments_due": 13,
        "last_paid_date": add_months(today, 0, 1),
        "last_paid_minor": 135_000,
        "status": "active",
        "created_at": datetime.combine(rent_first - timedelta(days=10), time(9, 0)),
        "updated_at": now,
    }
    tickets = {
        "id": "sp-001-1",
        "customer_id": "cust-001",
        "source_account_id": "acc-001-current",
        "creditor_scheme": BENEFICIARY_ID_SCHEME,
        "creditor_id": "payee-001-02",
        "amount_minor": 6_000,
        "currency": "GBP",
        "reference": "GIG TICKETS",
        "execution_date": today + timedelta(days=12),
        "status": "pending",
        "status_reason": None,
        "created_at": now - timedelta(days=2),
        "updated_at": now - timedelta(days=2),
    }
    abroad = {
        "id": "payee-001-04",
        "customer_id": "cust-001",
        "name": "Lukas Becker",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "currency": "EUR",
        "reference": "Flat share",
        "created_at": now - timedelta(days=30),
        "deleted_at": None,
    }
    bill_rows = [
        {
            "id": bill_id,
            "customer_id": customer_id,
            "biller_id": biller_id,
            "reference": reference,
            "nickname": nickname,
            "created_at": now - timedelta(days=60),
        }
        for bill_id, customer_id, biller_id, reference, nickname in BILLS
    ]
    billing = [
        {
            "account_id": account_id,
            "customer_id": customer_id,
            "statement_day": (today - timedelta(days=ago)).day,
            "next_statement_on": add_months(
                today - timedelta(days=ago), 1, (today - timedelta(days=ago)).day
            ),
        }
        for account_id, customer_id, ago in CARD_STATEMENTS
    ]
    return {
        "direct_debits": mandates,
        "standing_orders": [rent],
        "scheduled_payments": [tickets],
        "international_payees": [abroad],
        "bills": bill_rows,
        "card_billing": billing,
    }


async def _owed_at(conn: AsyncConnection, account_id: str, day: date) -> int:
    """What the card owed as at 00:00 on `day`: today's balance less what was booked since."""
    balance = await conn.scalar(select(accounts.c.balance_minor).where(accounts.c.id == account_id))
    since = await conn.scalar(
        select(func.coalesce(func.sum(postings.c.amount_minor), 0))
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .where(
            postings.c.account_id == account_id,
            transactions.c.booked_at > datetime.combine(day, time(0, 0)),
        )
    )
    return -(balance - since)


async def _open_books(conn: AsyncConnection, today: date) -> None:
    have = set((await conn.execute(select(accounts.c.id))).scalars())
    opened = datetime.combine(today, time(0, 0))
    for account_id, name in LATER_INTERNAL_ACCOUNTS.items():
        if account_id not in have:
            await conn.execute(
                accounts.insert().values(
                    id=account_id,
                    customer_id=None,
                    kind="internal",
                    name=name,
                    sort_code=None,
                    account_number=None,
                    last4="0000",
                    currency="GBP",
                    balance_minor=0,
                    opened_at=opened,
                )
            )
    if await conn.scalar(select(func.count()).select_from(sandbox_clock)) == 0:
        await conn.execute(sandbox_clock.insert().values(**clock.initial_row(today)))


async def seed_money_if_empty(conn: AsyncConnection, today: date) -> bool:
    """Open the new books and the clock if missing; seed the rest if there are no mandates."""
    await _open_books(conn, today)
    if await conn.scalar(select(func.count()).select_from(direct_debits)):
        return False
    rows = build_money(today)
    for table in (
        direct_debits,
        standing_orders,
        scheduled_payments,
        international_payees,
        bills,
        card_billing,
    ):
        await conn.execute(table.insert(), rows[table.name])
    for account_id, customer_id, ago in CARD_STATEMENTS:
        day = today - timedelta(days=ago)
        owed = await _owed_at(conn, account_id, day)
        statement = statement_row(
            customer_id, account_id, day, owed, datetime.combine(day, time(0, 0))
        )
        statement["id"] = f"stm-{account_id.removeprefix('acc-')}-1"
        await conn.execute(card_statements.insert().values(**statement))
    return True
