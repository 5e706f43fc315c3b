"""Account statements from the ledger: an account's booked rows for a range of days, with the
balance before the first day and after the last.

A statement covers whole days (`start` to `end` inclusive, by the sandbox clock's calendar).
The opening balance is the sum of every posting to the account booked before `start`, the
closing balance the opening plus every posting in the range, so the totals always agree with
the rows. A range that begins before the account opened starts on the opening day, one that
runs past today stops today; one that ends before the account opened, or begins after today,
is refused: the bank holds nothing there.

The rows and the opening sum are two reads. A posting booked while they run is booked at the
clock's now, never before `start` (which is today at the latest), so it can only be missing
from the rows, never half-counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox.db import accounts, customers, postings, transactions
from sandbox.errors import BankApiError
from sandbox.money import indicator
from sandbox.shapes import money, timestamp

MAX_DAYS = 366  # one statement covers at most a year


@dataclass(frozen=True, slots=True)
class Statement:
    account: dict[str, Any]
    start: date
    end: date
    opening_minor: int
    rows: list[dict[str, Any]]  # oldest first: id, booked_at, description, merchant, amount

    @property
    def credits_minor(self) -> int:
        return sum(r["amount_minor"] for r in self.rows if r["amount_minor"] > 0)

    @property
    def debits_minor(self) -> int:
        return -sum(r["amount_minor"] for r in self.rows if r["amount_minor"] < 0)

    @property
    def closing_minor(self) -> int:
        return self.opening_minor + self.credits_minor - self.debits_minor


def parse_day(text: str | None, name: str) -> date:
    if not text:
        raise BankApiError(400, "invalid_request", f"{name} is required (an ISO date)")
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise BankApiError(400, "invalid_request", f"{name}: {text!r} is not an ISO date") from None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0))


async def account_statement(
    conn: AsyncConnection, customer_id: str, account_id: str, start: date, end: date, today: date
) -> Statement:
    if start > end:
        raise BankApiError(400, "invalid_request", "the statement starts after it ends")
    if (end - start).days + 1 > MAX_DAYS:
        raise BankApiError(400, "invalid_request", f"a statement covers at most {MAX_DAYS} days")
    if await conn.scalar(select(customers.c.id).where(customers.c.id == customer_id)) is None:
        raise BankApiError(404, "customer_not_found", "no such customer")
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
    opened = account["opened_at"].date()
    if end < opened:
        raise BankApiError(
            422,
            "statement_before_account_opened",
            f"the account opened on {opened.isoformat()}; the bank holds nothing before that",
        )
    if start > today:
        raise BankApiError(422, "statement_in_future", "a statement cannot start after today")
    start, end = max(start, opened), min(end, today)
    since, until = _midnight(start), _midnight(end + timedelta(days=1))
    opening = await conn.scalar(
        select(func.coalesce(func.sum(postings.c.amount_minor), 0))
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .where(postings.c.account_id == account_id, transactions.c.booked_at < since)
    )
    rows = await conn.execute(
        select(
            transactions.c.id,
            transactions.c.booked_at,
            transactions.c.description,
            transactions.c.merchant,
            transactions.c.merchant_category,
            postings.c.amount_minor,
        )
        .join(postings, postings.c.transaction_id == transactions.c.id)
        .where(
            postings.c.account_id == account_id,
            transactions.c.booked_at >= since,
            transactions.c.booked_at < until,
        )
        .order_by(transactions.c.booked_at, transactions.c.id)
    )
    return Statement(dict(account), start, end, int(opening), [dict(r) for r in rows.mappings()])


def _signed(minor: int, currency: str) -> dict[str, Any]:
    return {"Amount": money(minor, currency), "CreditDebitIndicator": indicator(minor)}


def shape(statement: Statement) -> dict[str, Any]:
    currency = statement.account["currency"]
    balance = statement.opening_minor
    shaped_rows = []
    for row in statement.rows:
        balance += row["amount_minor"]
        shaped: dict[str, Any] = {
            "TransactionId": row["id"],
            "BookingDateTime": timestamp(row["booked_at"]),
            "Amount": money(row["amount_minor"], currency),
            "CreditDebitIndicator": indicator(row["amount_minor"]),
            "TransactionInformation": row["description"],
            "Balance": _signed(balance, currency),
        }
        if row["merchant"]:
            shaped["MerchantDetails"] = {
                "MerchantName": row["merchant"],
                "MerchantCategoryCode": row["merchant_category"],
            }
        shaped_rows.append(shaped)
    return {
        "AccountId": statement.account["id"],
        "Currency": currency,
        "OpeningDate": statement.account["opened_at"].date().isoformat(),
        "StartDate": statement.start.isoformat(),
        "EndDate": statement.end.isoformat(),
        "OpeningBalance": _signed(statement.opening_minor, currency),
        "ClosingBalance": _signed(statement.closing_minor, currency),
        "TotalCredits": money(statement.credits_minor, currency),
        "TotalDebits": money(statement.debits_minor, currency),
        "Transaction": shaped_rows,
    }
