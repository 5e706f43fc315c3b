"""The daily payment limit: what the customer sent today, read from the ledger.

"Sent" is every debit of the customer's accounts in a transaction that pays money out of the
bank to someone else: Faster Payments out (payments to payees and bills, scheduled payments,
standing orders) and international payments out (fee included). Own-account transfers and
card repayments stay inside the bank and do not count; nor do Direct Debits, which the biller
collects under a mandate rather than the customer sending them. "Today" is the sandbox
clock's day, 00:00 to 24:00 UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox.db import accounts, postings, transactions
from sandbox.ledger import INTERNATIONAL_OUT
from sandbox.seed import PAYMENTS_OUT

OUTBOUND = (PAYMENTS_OUT, INTERNATIONAL_OUT)


async def sent_on(conn: AsyncConnection, customer_id: str, day: date) -> int:
    """Pence the customer sent out of the bank on `day`."""
    start = datetime.combine(day, time(0, 0))
    other = postings.alias("other")
    total = await conn.scalar(
        select(func.coalesce(func.sum(-postings.c.amount_minor), 0))
        .select_from(postings)
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .join(accounts, accounts.c.id == postings.c.account_id)
        .where(
            accounts.c.customer_id == customer_id,
            postings.c.amount_minor < 0,
            transactions.c.booked_at >= start,
            transactions.c.booked_at < start + timedelta(days=1),
            exists().where(
                and_(
                    other.c.transaction_id == postings.c.transaction_id,
                    other.c.account_id.in_(OUTBOUND),
                )
            ),
        )
    )
    return int(total)
