"""Double-entry posting: a transaction is legs that sum to zero, written with the balances."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox import alerts, budgets
from sandbox.db import accounts, postings, transactions

Leg = tuple[str, int]  # (account id, signed amount in minor units)


def posting_rows(transaction_id: str, legs: Sequence[Leg]) -> list[dict[str, Any]]:
    """The posting rows of one transaction; refuses legs that would create or destroy money."""
    if len(legs) < 2 or sum(amount for _, amount in legs) != 0:
        raise ValueError(f"transaction {transaction_id} does not balance: {legs}")
    return [
        {"transaction_id": transaction_id, "account_id": account_id, "amount_minor": amount}
        for account_id, amount in legs
    ]


async def post(
    conn: AsyncConnection,
    *,
    transaction_id: str,
    booked_at: datetime,
    description: str,
    legs: Sequence[Leg],
    merchant: str | None = None,
    merchant_category: str | None = None,
    merchant_country: str | None = None,
    card_id: str | None = None,
) -> None:
    """Write the transaction, its postings and the balance changes in the caller's DB txn."""
    rows = posting_rows(transaction_id, legs)
    await conn.execute(
        transactions.insert().values(
            id=transaction_id,
            booked_at=booked_at,
            description=description,
            merchant=merchant,
            merchant_category=merchant_category,
        )
    )
    await conn.execute(postings.insert(), rows)
    for account_id, amount in legs:
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(balance_minor=accounts.c.balance_minor + amount)
        )
    if merchant_category:  # a payment to a merchant may take a budget past 80% or 100%
        await budgets.after_posting(
            conn,
            transaction_id=transaction_id,
            booked_at=booked_at,
            legs=legs,
            merchant_category=merchant_category,
        )
    await alerts.after_posting(  # the customers' alert subscriptions it matches
        conn,
        transaction_id=transaction_id,
        booked_at=booked_at,
        description=description,
        legs=legs,
        merchant=merchant,
        merchant_country=merchant_country,
        card_id=card_id,
    )


# The bank's books added after the first release; money_seed.py opens them in any bank that
# lacks them (older banks included), at zero.
BACS_OUT = "int-bacs-out"
INTERNATIONAL_OUT = "int-international-out"
FEE_INCOME = "int-fee-income"
LATER_INTERNAL_ACCOUNTS = {
    BACS_OUT: "Bacs outbound (Direct Debit collections)",
    INTERNATIONAL_OUT: "International payments outbound",
    FEE_INCOME: "Fee income",
}
