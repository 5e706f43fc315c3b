"""Money out of a customer's account in GBP: to a payee, a saved bill or their own account.

One function, `send()`, checks and posts every such movement, whether the customer asked for it
now (`POST /domestic-payments`) or the sandbox clock reached a scheduled payment or standing
order: the daily limit (for money leaving the bank), then the funds (no overdrafts), then one
ledger transaction of two postings. Immediate payments run through operations.run(), so they are
one database transaction each, idempotent per (customer, key) and audited; refusals for limit
or funds are recorded, so replaying the key replays the refusal.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox import bills, payees, shapes
from sandbox.db import accounts, payments
from sandbox.errors import BankApiError
from sandbox.ledger import post
from sandbox.limits import sent_on
from sandbox.operations import Outcome, Refusal, Request, Row, Step, run
from sandbox.seed import PAYMENTS_OUT

COMPLETED = "AcceptedSettlementCompleted"
REJECTED = "Rejected"
PAYABLE_KINDS = ("current", "savings")
REFUSALS = {
    "insufficient_funds": "the source account does not have enough money for this payment",
    "daily_limit_exceeded": "this payment would exceed the customer's daily payment limit",
}


@dataclass(frozen=True, slots=True)
class Creditor:
    """Who is paid and how the money travels."""

    scheme: str  # shapes.BENEFICIARY_ID_SCHEME | ACCOUNT_ID_SCHEME | BILL_ID_SCHEME
    id: str
    name: str
    ledger_account: str  # the bank's outbound clearing, or the customer's own account
    description: str  # the start of the ledger transaction's description
    leaves_bank: bool  # counts against the daily limit
    fixed_reference: str | None = None  # a bill is always paid with its customer reference
    shown_reference: str | None = None  # ... shown masked for a card number
    # A biller is a merchant: its name and category code go on the row (budgets count it)
    merchant: str | None = None
    merchant_category: str | None = None

    def reference(self, given: str) -> str:
        if self.fixed_reference is None:
            return given
        if given and bills.normalise(given) != self.fixed_reference:
            raise BankApiError(
                400,
                "invalid_request",
                "a bill is paid with its saved reference: leave Reference out",
            )
        return self.fixed_reference


async def _own_account(conn: AsyncConnection, customer_id: str, account_id: str) -> Row:
    row = (
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
    if row is None:
        raise BankApiError(404, "account_not_found", "no such account for this customer")
    return row


async def creditor(
    conn: AsyncConnection, customer_id: str, scheme: str, creditor_id: str, source_id: str
) -> Creditor:
    """The live creditor, or the refusal a payment to it gets."""
    if scheme == shapes.BENEFICIARY_ID_SCHEME:
        row = await payees.payee(conn, customer_id, creditor_id, "domestic")
        return Creditor(
            scheme, creditor_id, row["name"], PAYMENTS_OUT, f"FP {row['name'].upper()}", True
        )
    if scheme == shapes.ACCOUNT_ID_SCHEME:
        row = await _own_account(conn, customer_id, creditor_id)
        if creditor_id == source_id:
            raise BankApiError(422, "same_account", "the money would go to the account it is from")
        description = (
            "CREDIT CARD REPAYMENT"
            if row["kind"] == "credit_card"
            else f"TRANSFER TO {row['name'].upper()}"
        )
        return Creditor(scheme, creditor_id, row["name"], creditor_id, description, False)
    if scheme == shapes.BILL_ID_SCHEME:
        bill = await bills.saved_bill(conn, customer_id, creditor_id)
        biller = bills.BY_ID[bill["biller_id"]]
        return Creditor(
            scheme,
            creditor_id,
            biller.name,
            PAYMENTS_OUT,
            f"BILL {biller.name.upper()}",
            True,
            bill["reference"],
            biller.show(bill["reference"]),
            biller.name,
            bills.MERCHANT_CATEGORIES.get(biller.category),
        )
    raise BankApiError(
        400,
        "invalid_request",
        f"CreditorAccount.SchemeName must be one of {list(shapes.CREDITOR_SCHEMES)}",
    )


async def creditor_name(
    conn: AsyncConnection, customer_id: str, scheme: str, creditor_id: str
) -> tuple[str, str | None]:
    """(name, masked reference or None) of a creditor, deleted payees included: for history."""
    if scheme == shapes.BENEFICIARY_ID_SCHEME:
        return await payees.any_payee_name(conn, customer_id, creditor_id), None
    if scheme == shapes.ACCOUNT_ID_SCHEME:
        return (await _own_account(conn, customer_id, creditor_id))["name"], None
    bill = await bills.saved_bill(conn, customer_id, creditor_id)
    biller = bills.BY_ID[bill["biller_id"]]
    return biller.name, biller.show(bill["reference"])


async def source_account(
    conn: AsyncConnection, customer_id: str, account_id: str, currency: str
) -> Row:
    """The account to debit, if it may make payments in this currency."""
    row = await _own_account(conn, customer_id, account_id)
    if row["kind"] not in PAYABLE_KINDS:
        raise BankApiError(
            422,
            "account_not_eligible",
            "payments can only be made from current or savings accounts",
        )
    if row["currency"] != currency:
        raise BankApiError(422, "currency_unsupported", f"the account is in {row['currency']}")
    return row


async def refusal(
    conn: AsyncConnection, customer: Row, amount: int, balance: int, leaves_bank: bool, at: datetime
) -> str | None:
    """Why this debit cannot be made (daily limit first, then funds), or None."""
    if leaves_bank:
        spent = await sent_on(conn, customer["id"], at.date())
        if spent + amount > customer["daily_limit_minor"]:
            return "daily_limit_exceeded"
    if amount > balance:
        return "insufficient_funds"
    return None


@dataclass(frozen=True, slots=True)
class Sent:
    refusal: str | None
    transaction_id: str | None = None
    balance_after: int | None = None


async def send(
    conn: AsyncConnection,
    customer: Row,
    source: Row,
    to: Creditor,
    amount: int,
    reference: str,
    at: datetime,
) -> Sent:
    """Check and post one debit of `source` to `to`, in the caller's database transaction."""
    why = await refusal(conn, customer, amount, source["balance_minor"], to.leaves_bank, at)
    if why is not None:
        return Sent(why)
    transaction_id = f"txn-{uuid.uuid4().hex[:20]}"
    shown = to.shown_reference if to.shown_reference is not None else reference
    await post(
        conn,
        transaction_id=transaction_id,
        booked_at=at,
        description=f"{to.description} {shown}".strip(),
        legs=[(source["id"], -amount), (to.ledger_account, amount)],
        merchant=to.merchant,
        merchant_category=to.merchant_category,
    )
    return Sent(None, transaction_id, source["balance_minor"] - amount)


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    customer_id: str
    source_account_id: str
    creditor_scheme: str
    creditor_id: str
    amount_minor: int
    currency: str
    reference: str
    idempotency_key: str

    def operation(self) -> Request:
        body = {
            "source": self.source_account_id,
            "scheme": self.creditor_scheme,
            "creditor": self.creditor_id,
            "amount": self.amount_minor,
            "currency": self.currency,
            "reference": self.reference,
        }
        return Request(self.customer_id, self.idempotency_key, "domestic_payment.create", body)


async def make_payment(engine: AsyncEngine, req: PaymentRequest) -> Outcome:
    """Pay now; the same key again answers with the first payment (or refusal)."""

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        to = await creditor(
            step.conn, step.customer_id, req.creditor_scheme, req.creditor_id, req.source_account_id
        )
        source = await source_account(
            step.conn, step.customer_id, req.source_account_id, req.currency
        )
        reference = to.reference(req.reference)
        sent = await send(
            step.conn, step.customer, source, to, req.amount_minor, reference, step.now
        )
        row: dict[str, Any] = {
            "id": f"PMT-{uuid.uuid4().hex[:12].upper()}",
            "customer_id": req.customer_id,
            "idempotency_key": req.idempotency_key,
            "request_hash": req.operation().fingerprint(),
            "source_account_id": req.source_account_id,
            "payee_id": req.creditor_id,
            "creditor_scheme": req.creditor_scheme,
            "amount_minor": req.amount_minor,
            "currency": req.currency,
            "reference": reference,
            "status": REJECTED if sent.refusal else COMPLETED,
            "error_code": sent.refusal,
            "transaction_id": sent.transaction_id,
            "balance_after_minor": sent.balance_after,
            "created_at": step.now,
        }
        await step.conn.execute(payments.insert().values(**row))
        await step.audit(
            "create",
            "payment",
            row["id"],
            None,
            row | {"reference": to.shown_reference or reference},
        )
        if sent.refusal:
            raise Refusal(422, sent.refusal, REFUSALS[sent.refusal])
        return 201, shapes.domestic_payment(row, to.name, to.shown_reference)

    return await run(engine, req.operation(), change)


async def get_payment(conn: AsyncConnection, customer_id: str, payment_id: str) -> dict[str, Any]:
    found: Mapping[str, Any] | None = (
        (
            await conn.execute(
                select(payments).where(
                    payments.c.id == payment_id, payments.c.customer_id == customer_id
                )
            )
        )
        .mappings()
        .first()
    )
    if found is None:
        raise BankApiError(404, "payment_not_found", "no such payment for this customer")
    scheme = found["creditor_scheme"] or shapes.BENEFICIARY_ID_SCHEME
    name, shown = await creditor_name(conn, customer_id, scheme, found["payee_id"])
    return shapes.domestic_payment(found, name, shown)
