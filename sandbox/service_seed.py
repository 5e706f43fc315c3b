"""Fixed seed data for cards, pending transactions, top-ups and exchange rates.

Dates are relative to the seeding day (as the ledger history is), so a card is always
"dispatched two days ago" and one is always about to expire; everything else is constant.
See sandbox/README.md for the table this produces.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox.db import cards, fx_rates, pending_transactions, top_ups

# Units per 1 GBP at the bank's customer rate. Fixed: tests and answers quote these.
FX_RATES = {
    "EUR": "1.1650",
    "USD": "1.2650",
    "CHF": "1.1150",
    "JPY": "192.40",
    "AUD": "1.9350",
    "CAD": "1.7650",
    "NZD": "2.1300",
    "SEK": "13.6800",
    "NOK": "13.9200",
    "DKK": "8.6900",
    "PLN": "5.0400",
    "CZK": "29.1000",
    "HUF": "452.00",
    "HKD": "9.8500",
    "SGD": "1.6950",
    "AED": "4.6450",
    "INR": "106.80",
    "ZAR": "22.9000",
    "TRY": "43.5000",
    "MXN": "23.4000",
}


@dataclass(frozen=True)
class CardSeed:
    id: str
    customer_id: str
    account_id: str
    kind: str
    scheme: str
    last4: str
    status: str
    expires_in_days: int  # the card expires at the end of the month this many days ahead
    ordered: int | None = None  # days before seeding (None: virtual, never posted)
    dispatched: int | None = None
    delivered: int | None = None
    expected: int | None = None  # days after seeding (negative: in the past)


CARDS = (
    # Emma: one active debit card expiring soon, its replacement on the way, a credit card
    # and a virtual card: several freezable cards, so the bot must ask which.
    CardSeed(
        "card-001-debit",
        "cust-001",
        "acc-001-current",
        "debit",
        "Visa",
        "4417",
        "active",
        20,
        1100,
        1099,
        1096,
        -1096,
    ),
    CardSeed(
        "card-001-renewal",
        "cust-001",
        "acc-001-current",
        "debit",
        "Visa",
        "6120",
        "pending_activation",
        1110,
        4,
        2,
        None,
        2,
    ),
    CardSeed(
        "card-001-credit",
        "cust-001",
        "acc-001-card",
        "credit",
        "Mastercard",
        "1934",
        "active",
        700,
        400,
        399,
        396,
        -396,
    ),
    CardSeed(
        "card-001-virtual",
        "cust-001",
        "acc-001-current",
        "virtual",
        "Visa",
        "8802",
        "active",
        900,
    ),
    # James: a frozen debit card, a cancelled virtual card and a spare ordered yesterday.
    CardSeed(
        "card-002-debit",
        "cust-002",
        "acc-002-current",
        "debit",
        "Visa",
        "7781",
        "frozen",
        760,
        500,
        499,
        497,
        -497,
    ),
    CardSeed(
        "card-002-virtual",
        "cust-002",
        "acc-002-current",
        "virtual",
        "Visa",
        "3345",
        "cancelled",
        400,
    ),
    CardSeed(
        "card-002-spare",
        "cust-002",
        "acc-002-current",
        "debit",
        "Visa",
        "2268",
        "pending_activation",
        1130,
        1,
        None,
        None,
        6,
    ),
    # Aisha: one active debit card (picked without asking) and a credit card delivered
    # three days ago, not yet activated.
    CardSeed(
        "card-003-debit",
        "cust-003",
        "acc-003-current",
        "debit",
        "Visa",
        "9014",
        "active",
        800,
        300,
        299,
        296,
        -296,
    ),
    CardSeed(
        "card-003-credit",
        "cust-003",
        "acc-003-card",
        "credit",
        "Mastercard",
        "2290",
        "pending_activation",
        1120,
        9,
        6,
        3,
        -3,
    ),
)


@dataclass(frozen=True)
class PendingSeed:
    id: str
    customer_id: str
    account_id: str
    kind: str
    description: str
    merchant: str | None
    amount: int  # pence, money out
    created: tuple[int, int, int]  # (days before seeding, hour, minute)
    expected: int  # days after seeding


PENDING = (
    PendingSeed(
        "pend-001-1",
        "cust-001",
        "acc-001-current",
        "card_payment",
        "AMAZON.CO.UK",
        "Amazon",
        2399,
        (1, 14, 12),
        2,
    ),
    PendingSeed(
        "pend-001-2",
        "cust-001",
        "acc-001-current",
        "card_payment",
        "PREMIER INN PRE-AUTH",
        "Premier Inn",
        12000,
        (3, 16, 40),
        4,
    ),
    PendingSeed(
        "pend-001-3",
        "cust-001",
        "acc-001-current",
        "transfer",
        "FP PRIYA PATEL",
        None,
        8000,
        (1, 19, 40),
        0,
    ),
    PendingSeed(
        "pend-001-4",
        "cust-001",
        "acc-001-current",
        "cash_withdrawal",
        "ATM SAINSBURYS CLAPHAM",
        None,
        10000,
        (1, 11, 5),
        1,
    ),
    PendingSeed(
        "pend-002-1",
        "cust-002",
        "acc-002-current",
        "card_payment",
        "SHELL ACTON",
        "Shell",
        6120,
        (0, 8, 15),
        2,
    ),
)


@dataclass(frozen=True)
class TopUpSeed:
    id: str
    customer_id: str
    account_id: str
    method: str
    source: str
    amount: int
    status: str
    reason: str | None
    created: int  # days before seeding
    updated: int


TOP_UPS = (
    TopUpSeed(
        "tu-001-1",
        "cust-001",
        "acc-001-current",
        "card",
        "Visa debit ••5521",
        20000,
        "completed",
        None,
        20,
        20,
    ),
    TopUpSeed(
        "tu-001-2",
        "cust-001",
        "acc-001-current",
        "card",
        "Visa debit ••5521",
        15000,
        "failed",
        "declined_by_card_issuer",
        2,
        2,
    ),
    TopUpSeed(
        "tu-001-3",
        "cust-001",
        "acc-001-current",
        "card",
        "Mastercard ••0937",
        30000,
        "reverted",
        "reversed_by_card_issuer",
        6,
        4,
    ),
    TopUpSeed(
        "tu-001-4",
        "cust-001",
        "acc-001-current",
        "bank_transfer",
        "Bank transfer",
        50000,
        "pending",
        "under_review",
        1,
        1,
    ),
    TopUpSeed(
        "tu-002-1",
        "cust-002",
        "acc-002-current",
        "bank_transfer",
        "Bank transfer",
        100000,
        "completed",
        None,
        10,
        10,
    ),
    TopUpSeed(
        "tu-002-2",
        "cust-002",
        "acc-002-current",
        "card",
        "Visa debit ••7010",
        5000,
        "pending",
        "card_verification_required",
        0,
        0,
    ),
    TopUpSeed(
        "tu-003-1",
        "cust-003",
        "acc-003-current",
        "card",
        "Mastercard ••4402",
        4000,
        "failed",
        "card_verification_failed",
        1,
        1,
    ),
)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _ago(today: date, days: int | None, at: time = time(10, 0)) -> datetime | None:
    return None if days is None else datetime.combine(today - timedelta(days=days), at)


def build_services(today: date) -> dict[str, list[dict[str, Any]]]:
    """Rows for each service table of a bank seeded on `today`."""
    now = datetime.combine(today, time(0, 0))
    card_rows = [
        {
            "id": c.id,
            "customer_id": c.customer_id,
            "account_id": c.account_id,
            "kind": c.kind,
            "scheme": c.scheme,
            "last4": c.last4,
            "status": c.status,
            "expires_on": month_end(today + timedelta(days=c.expires_in_days)),
            "delivery_status": (
                None
                if c.ordered is None
                else "delivered"
                if c.delivered is not None
                else "dispatched"
                if c.dispatched is not None
                else "ordered"
            ),
            "ordered_at": _ago(today, c.ordered, time(9, 30)),
            "dispatched_at": _ago(today, c.dispatched, time(16, 0)),
            "delivered_at": _ago(today, c.delivered, time(11, 45)),
            "expected_on": None if c.expected is None else today + timedelta(days=c.expected),
            "updated_at": now,
        }
        for c in CARDS
    ]
    pending_rows = [
        {
            "id": p.id,
            "customer_id": p.customer_id,
            "account_id": p.account_id,
            "kind": p.kind,
            "description": p.description,
            "merchant": p.merchant,
            "amount_minor": p.amount,
            "currency": "GBP",
            "created_at": _ago(today, p.created[0], time(p.created[1], p.created[2])),
            "expected_on": today + timedelta(days=p.expected),
        }
        for p in PENDING
    ]
    top_up_rows = [
        {
            "id": t.id,
            "customer_id": t.customer_id,
            "account_id": t.account_id,
            "method": t.method,
            "source": t.source,
            "amount_minor": t.amount,
            "currency": "GBP",
            "status": t.status,
            "reason": t.reason,
            "created_at": _ago(today, t.created, time(9, 15)),
            "updated_at": _ago(today, t.updated, time(9, 20)),
        }
        for t in TOP_UPS
    ]
    rate_rows = [
        {"currency": currency, "rate": rate, "updated_at": now}
        for currency, rate in FX_RATES.items()
    ]
    return {
        "cards": card_rows,
        "pending_transactions": pending_rows,
        "top_ups": top_up_rows,
        "fx_rates": rate_rows,
    }


async def seed_services_if_empty(conn: AsyncConnection, today: date) -> bool:
    """Seed the service tables of a bank that has none yet (an older bank gains them too)."""
    if await conn.scalar(select(func.count()).select_from(cards)):
        return False
    rows = build_services(today)
    for table in (cards, pending_transactions, top_ups, fx_rates):
        await conn.execute(table.insert(), rows[table.name])
    return True
