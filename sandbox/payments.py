"""Domestic payments: one atomic DB transaction each, idempotent per (customer, key).

Every payment transaction starts by bumping the customer's `payment_seq`: that write takes
SQLite's write lock or PostgreSQL's row lock, so a customer's payments run one at a time and
the idempotency lookup, limit and funds checks below always see every earlier payment.
The unique constraint on (customer, idempotency key) is the backstop if that ever fails.
Business refusals (insufficient funds, daily limit) are recorded too, so replaying the same
key returns the same refusal.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox.db import accounts, customers, payees, payments
from sandbox.errors import BankApiError
from sandbox.ledger import post
from sandbox.seed import PAYMENTS_OUT

COMPLETED = "AcceptedSettlementCompleted"
REJECTED = "Rejected"
PAYABLE_KINDS = ("current", "savings")
_REFUSALS = {
    "insufficient_funds": "the source account does not have enough money for this payment",
    "daily_limit_exceeded": "this payment would exceed the customer's daily payment limit",
}


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    customer_id: str
    source_account_id: str
    payee_id: str
    amount_minor: int
    currency: str
    reference: str
    idempotency_key: str

    def fingerprint(self) -> str:
        """What must match for a repeated key to count as the same request."""
        body = [
            self.source_account_id,
            self.payee_id,
            self.amount_minor,
            self.currency,
            self.reference,
        ]
        return hashlib.sha256(json.dumps(body).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    payment: Mapping[str, Any]
    payee_name: str
    replayed: bool

    def raise_if_refused(self) -> None:
        code = self.payment["error_code"]
        if code:
            raise BankApiError(422, code, _REFUSALS[code])


async def _existing(conn: AsyncConnection, req: PaymentRequest) -> Mapping[str, Any] | None:
    result = await conn.execute(
        select(payments).where(
            payments.c.customer_id == req.customer_id,
            payments.c.idempotency_key == req.idempotency_key,
        )
    )
    found = result.mappings().first()
    if found is not None and found["request_hash"] != req.fingerprint():
        raise BankApiError(
            409,
            "idempotency_key_reused",
            "this Idempotency-Key was already used for a different payment",
        )
    return found


async def _payee_name(conn: AsyncConnection, customer_id: str, payee_id: str) -> str:
    name = await conn.scalar(
        select(payees.c.name).where(payees.c.id == payee_id, payees.c.customer_id == customer_id)
    )
    if name is None:
        raise BankApiError(404, "payee_not_found", "no such payee for this customer")
    return name


async def _replay(conn: AsyncConnection, found: Mapping[str, Any]) -> PaymentOutcome:
    name = await _payee_name(conn, found["customer_id"], found["payee_id"])
    return PaymentOutcome(found, name, replayed=True)


async def _source_balance(conn: AsyncConnection, req: PaymentRequest) -> int:
    result = await conn.execute(
        select(accounts.c.kind, accounts.c.currency, accounts.c.balance_minor).where(
            accounts.c.id == req.source_account_id, accounts.c.customer_id == req.customer_id
        )
    )
    account = result.first()
    if account is None:
        raise BankApiError(404, "account_not_found", "no such account for this customer")
    if account.kind not in PAYABLE_KINDS:
        raise BankApiError(
            422,
            "account_not_eligible",
            "payments can only be made from current or savings accounts",
        )
    if account.currency != req.currency:
        raise BankApiError(422, "currency_unsupported", f"the account is in {account.currency}")
    return account.balance_minor


async def _refusal(
    conn: AsyncConnection, req: PaymentRequest, limit: int, balance: int, now: datetime
) -> str | None:
    spent_today = await conn.scalar(
        select(func.coalesce(func.sum(payments.c.amount_minor), 0)).where(
            payments.c.customer_id == req.customer_id,
            payments.c.status == COMPLETED,
            payments.c.created_at >= datetime.combine(now.date(), time(0, 0)),
        )
    )
    if spent_today + req.amount_minor > limit:
        return "daily_limit_exceeded"
    if req.amount_minor > balance:
        return "insufficient_funds"
    return None


async def _execute(conn: AsyncConnection, req: PaymentRequest, now: datetime) -> PaymentOutcome:
    limit = await conn.scalar(
        update(customers)
        .where(customers.c.id == req.customer_id)
        .values(payment_seq=customers.c.payment_seq + 1)
        .returning(customers.c.daily_limit_minor)
    )
    if limit is None:
        raise BankApiError(404, "customer_not_found", "no such customer")
    found = await _existing(conn, req)
    if found is not None:
        return await _replay(conn, found)
    payee_name = await _payee_name(conn, req.customer_id, req.payee_id)
    balance = await _source_balance(conn, req)
    refusal = await _refusal(conn, req, limit, balance, now)
    payment_id = f"PMT-{uuid.uuid4().hex[:12].upper()}"
    row: dict[str, Any] = {
        "id": payment_id,
        "customer_id": req.customer_id,
        "idempotency_key": req.idempotency_key,
        "request_hash": req.fingerprint(),
        "source_account_id": req.source_account_id,
        "payee_id": req.payee_id,
        "amount_minor": req.amount_minor,
        "currency": req.currency,
        "reference": req.reference,
        "status": REJECTED if refusal else COMPLETED,
        "error_code": refusal,
        "transaction_id": None,
        "balance_after_minor": None,
        "created_at": now,
    }
    if refusal is None:
        row["transaction_id"] = f"txn-{uuid.uuid4().hex[:20]}"
        row["balance_after_minor"] = balance - req.amount_minor
        await post(
            conn,
            transaction_id=row["transaction_id"],
            booked_at=now,
            description=f"FP {payee_name.upper()} {req.reference}".strip(),
            legs=[(req.source_account_id, -req.amount_minor), (PAYMENTS_OUT, req.amount_minor)],
        )
    await conn.execute(payments.insert().values(**row))
    return PaymentOutcome(row, payee_name, replayed=False)


async def make_payment(engine: AsyncEngine, req: PaymentRequest, now: datetime) -> PaymentOutcome:
    """Run the payment, or return the first outcome recorded under the same idempotency key."""
    try:
        async with engine.begin() as conn:
            return await _execute(conn, req, now)
    except IntegrityError:
        # A concurrent request with the same key won the race; answer with its result.
        async with engine.connect() as conn:
            found = await _existing(conn, req)
            if found is None:
                raise
            return await _replay(conn, found)


async def get_payment(conn: AsyncConnection, customer_id: str, payment_id: str) -> PaymentOutcome:
    result = await conn.execute(
        select(payments, payees.c.name.label("payee_name"))
        .join(payees, payees.c.id == payments.c.payee_id)
        .where(payments.c.id == payment_id, payments.c.customer_id == customer_id)
    )
    found = result.mappings().first()
    if found is None:
        raise BankApiError(404, "payment_not_found", "no such payment for this customer")
    return PaymentOutcome(found, found["payee_name"], replayed=False)
