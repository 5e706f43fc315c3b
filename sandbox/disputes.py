"""Cases: disputes of a card payment or debit, and fraud reports about a card.

A dispute names one of the customer's own booked debits, a reason and how much of it is
disputed (above zero, at most the debit); the bank refuses a debit booked more than
`max_age_days` before today by the sandbox clock (`dispute_window_passed`, 120 days unless
the sandbox-only policy route changed it), and a second case on a debit that already has
one still open (`case_exists`). A fraud report names one of the customer's cards, and may
name a debit too. Every case gets a reference the customer can quote (DSP-… or FRD-…) and
starts `open`; staff move it on (investigating, resolved, rejected: the sandbox-only status
route stands in for them). Creating a case and every status change is audited.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox.db import accounts, cards, metadata, postings, transactions
from sandbox.errors import BankApiError
from sandbox.operations import Row, Step, write_audit

DEFAULT_MAX_AGE_DAYS = 120
KINDS = ("dispute", "fraud")
DISPUTE_REASONS = (
    "not_received",
    "charged_twice",
    "wrong_amount",
    "not_recognised",
    "cancelled",
)
FRAUD_REASONS = ("card_compromised", "card_stolen")
STATUSES = ("open", "investigating", "resolved", "rejected")
CLOSED = ("resolved", "rejected")
_PREFIX = {"dispute": "DSP", "fraud": "FRD"}
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread

cases = Table(
    "cases",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # dispute | fraud
    Column("status", String(16), nullable=False),  # open | investigating | resolved | rejected
    Column("reason", String(24), nullable=False),
    Column("transaction_id", String(40), nullable=True),
    Column("account_id", String(40), nullable=True),  # the customer's account the debit left
    Column("card_id", String(40), nullable=True),
    Column("amount_minor", BigInteger, nullable=True),  # disputed: > 0, at most the debit
    Column("transaction_amount_minor", BigInteger, nullable=True),  # the debit, positive
    Column("currency", String(3), nullable=False),
    Column("merchant", String(80), nullable=True),  # what the debit said, as it was booked
    Column("transaction_booked_at", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# The bank's dispute rule, one row; absent means the default.
dispute_policy = Table(
    "dispute_policy",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("max_age_days", Integer, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)


async def max_age_days(conn: AsyncConnection) -> int:
    found = await conn.scalar(select(dispute_policy.c.max_age_days).where(dispute_policy.c.id == 1))
    return DEFAULT_MAX_AGE_DAYS if found is None else int(found)


async def set_max_age_days(conn: AsyncConnection, days: int, now: datetime) -> None:
    before = await max_age_days(conn)
    changed = await conn.execute(
        update(dispute_policy)
        .where(dispute_policy.c.id == 1)
        .values(max_age_days=days, updated_at=now)
    )
    if not changed.rowcount:
        await conn.execute(dispute_policy.insert().values(id=1, max_age_days=days, updated_at=now))
    await write_audit(
        conn,
        actor="sandbox",
        action="dispute_policy.change",
        resource="dispute_policy",
        resource_id="1",
        before={"max_age_days": before},
        after={"max_age_days": days},
        at=now,
        customer_id=None,
    )


def earliest(now: datetime, days: int) -> datetime:
    """The first moment a debit may have been booked to be disputed today: whole days."""
    return datetime.combine(now.date() - timedelta(days=days), datetime.min.time())


def _reference(kind: str) -> str:
    return f"{_PREFIX[kind]}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


async def _debit(conn: AsyncConnection, customer_id: str, transaction_id: str) -> Row:
    """The customer's side of a booked transaction that took money from them; 404 if it is
    not theirs (another customer's is indistinguishable from none), 422 if it paid them."""
    row = (
        (
            await conn.execute(
                select(
                    transactions.c.id,
                    transactions.c.booked_at,
                    transactions.c.description,
                    transactions.c.merchant,
                    postings.c.account_id,
                    postings.c.amount_minor,
                    accounts.c.currency,
                )
                .select_from(
                    transactions.join(
                        postings, postings.c.transaction_id == transactions.c.id
                    ).join(accounts, accounts.c.id == postings.c.account_id)
                )
                .where(transactions.c.id == transaction_id, accounts.c.customer_id == customer_id)
                .order_by(postings.c.amount_minor)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "transaction_not_found", "no such transaction for this customer")
    if row["amount_minor"] >= 0:
        raise BankApiError(422, "not_a_debit", "only money taken from the customer is disputed")
    return row


async def _card(conn: AsyncConnection, customer_id: str, card_id: str) -> Row:
    row = (
        (
            await conn.execute(
                select(cards).where(cards.c.id == card_id, cards.c.customer_id == customer_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise BankApiError(404, "card_not_found", "no such card for this customer")
    return row


async def open_case_for(conn: AsyncConnection, customer_id: str, transaction_id: str) -> Row | None:
    found = await conn.execute(
        select(cases).where(
            cases.c.customer_id == customer_id,
            cases.c.transaction_id == transaction_id,
            cases.c.status.not_in(CLOSED),
        )
    )
    return found.mappings().first()


async def create(
    step: Step,
    *,
    kind: str,
    reason: str,
    transaction_id: str | None,
    card_id: str | None,
    amount_minor: int | None,
    currency: str,
) -> Row:
    if kind not in KINDS:
        raise BankApiError(400, "invalid_request", f"Kind: one of {', '.join(KINDS)}")
    reasons = DISPUTE_REASONS if kind == "dispute" else FRAUD_REASONS
    if reason not in reasons:
        raise BankApiError(400, "invalid_reason", f"Reason: one of {', '.join(reasons)}")
    if currency != "GBP":
        raise BankApiError(422, "currency_unsupported", "cases are in GBP")
    if kind == "dispute" and not transaction_id:
        raise BankApiError(400, "invalid_request", "a dispute names its TransactionId")
    if kind == "fraud" and not card_id:
        raise BankApiError(400, "invalid_request", "a fraud report names its CardId")
    if card_id:
        await _card(step.conn, step.customer_id, card_id)
    debit = None
    if transaction_id:
        debit = await _debit(step.conn, step.customer_id, transaction_id)
        days = await max_age_days(step.conn)
        if kind == "dispute" and debit["booked_at"] < earliest(step.now, days):
            raise BankApiError(
                422,
                "dispute_window_passed",
                f"a payment can be disputed up to {days} days after it was booked",
            )
        existing = await open_case_for(step.conn, step.customer_id, transaction_id)
        if existing is not None:
            raise BankApiError(
                409, "case_exists", f"case {existing['reference']} is open for this transaction"
            )
    paid = -debit["amount_minor"] if debit else None
    if kind == "dispute":
        if amount_minor is None:
            amount_minor = paid
        assert paid is not None
        if amount_minor is None or amount_minor <= 0 or amount_minor > paid:
            raise BankApiError(
                422, "amount_exceeds_transaction", "the amount disputed is more than the payment"
            )
    elif amount_minor is not None and (paid is None or amount_minor > paid):
        raise BankApiError(
            422, "amount_exceeds_transaction", "the amount reported is more than the payment"
        )
    row: dict[str, Any] = {
        "id": f"case-{uuid.uuid4().hex[:16]}",
        "reference": _reference(kind),
        "customer_id": step.customer_id,
        "kind": kind,
        "status": "open",
        "reason": reason,
        "transaction_id": transaction_id,
        "account_id": debit["account_id"] if debit else None,
        "card_id": card_id,
        "amount_minor": amount_minor,
        "transaction_amount_minor": paid,
        "currency": currency,
        "merchant": (debit["merchant"] or debit["description"]) if debit else None,
        "transaction_booked_at": debit["booked_at"] if debit else None,
        "created_at": step.now,
        "updated_at": step.now,
    }
    await step.conn.execute(cases.insert().values(**row))
    await step.audit(f"case.create.{kind}", "case", row["id"], None, row)
    return row


async def list_cases(conn: AsyncConnection, customer_id: str, status: str | None) -> list[Row]:
    query = select(cases).where(cases.c.customer_id == customer_id)
    if status == "open":
        query = query.where(cases.c.status.not_in(CLOSED))
    elif status == "closed":
        query = query.where(cases.c.status.in_(CLOSED))
    query = query.order_by(cases.c.created_at.desc(), cases.c.reference)
    return list((await conn.execute(query)).mappings())


async def get_case(conn: AsyncConnection, customer_id: str, case_id: str) -> Row:
    """By id or reference; another customer's case is 404, as none would be."""
    found = (
        (
            await conn.execute(
                select(cases).where(
                    cases.c.customer_id == customer_id,
                    (cases.c.id == case_id) | (cases.c.reference == case_id.upper()),
                )
            )
        )
        .mappings()
        .first()
    )
    if found is None:
        raise BankApiError(404, "case_not_found", "no such case for this customer")
    return found


async def set_status(conn: AsyncConnection, row: Row, status: str, now: datetime) -> Row:
    if status not in STATUSES:
        raise BankApiError(400, "invalid_request", f"Status: one of {', '.join(STATUSES)}")
    await conn.execute(
        update(cases).where(cases.c.id == row["id"]).values(status=status, updated_at=now)
    )
    after = {**row, "status": status, "updated_at": now}
    await write_audit(
        conn,
        actor="bank:staff",
        action="case.status",
        resource="case",
        resource_id=row["id"],
        before=row,
        after=after,
        at=now,
        customer_id=row["customer_id"],
    )
    return after
