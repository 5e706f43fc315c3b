"""Money arriving from another bank, booked now (sandbox-only, like the clock and card
payments): what a salary or a friend's Faster Payment would cause, so tests and demos that
spend over months can fund an account first, and income can be watched arriving.

`POST /sandbox/customers/{cid}/incoming-payments` with an Idempotency-Key and
`{"Data": {"IncomingPayment": {"AccountId", "InstructedAmount": {"Amount", "Currency"},
"DebtorName", "Reference"}}}` books one ledger transaction (Faster Payments inbound to the
customer's account) in one database transaction with its audit row.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import select

from sandbox import shapes
from sandbox.bodies import Amount, Strict
from sandbox.db import accounts
from sandbox.errors import BankApiError
from sandbox.http import created, engine
from sandbox.ledger import post
from sandbox.money import parse_amount
from sandbox.operations import Request as Operation
from sandbox.operations import Step, require_key, run
from sandbox.seed import PAYMENTS_IN

router = APIRouter()


class IncomingPaymentIn(Strict):
    AccountId: str = Field(min_length=1, max_length=40)
    InstructedAmount: Amount
    DebtorName: str = Field(min_length=1, max_length=70)
    Reference: str = Field(default="", max_length=18)


class IncomingPaymentData(Strict):
    IncomingPayment: IncomingPaymentIn


class IncomingPaymentBody(Strict):
    Data: IncomingPaymentData


async def _receive(step: Step, given: IncomingPaymentIn, amount: int) -> dict[str, Any]:
    account = (
        (
            await step.conn.execute(
                select(accounts).where(
                    accounts.c.id == given.AccountId, accounts.c.customer_id == step.customer_id
                )
            )
        )
        .mappings()
        .first()
    )
    if account is None:
        raise BankApiError(404, "account_not_found", "no such account for this customer")
    if given.InstructedAmount.Currency != account["currency"]:
        raise BankApiError(422, "currency_unsupported", "payments in here are in GBP")
    transaction_id = f"txn-{uuid.uuid4().hex[:20]}"
    description = " ".join(filter(None, [given.DebtorName.upper(), given.Reference.upper()]))
    await post(
        step.conn,
        transaction_id=transaction_id,
        booked_at=step.now,
        description=description[:140],
        legs=[(PAYMENTS_IN, -amount), (account["id"], amount)],
    )
    payment = {
        "IncomingPaymentId": transaction_id,
        "TransactionId": transaction_id,
        "AccountId": account["id"],
        "Amount": shapes.money(amount, account["currency"]),
        "DebtorName": given.DebtorName,
        "Reference": given.Reference,
        "Status": "Booked",
        "BookingDateTime": shapes.timestamp(step.now.replace(microsecond=0)),
    }
    await step.audit("incoming_payment.create", "transaction", transaction_id, None, payment)
    return payment


@router.post("/sandbox/customers/{customer_id}/incoming-payments", status_code=201)
async def incoming_payment(
    customer_id: str,
    body: IncomingPaymentBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.IncomingPayment
    amount = parse_amount(given.InstructedAmount.Amount)

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        return created("IncomingPayment", await _receive(step, given, amount))

    operation = Operation(
        customer_id, require_key(idempotency_key), "incoming_payment.create", given.model_dump()
    )
    return (await run(engine(request), operation, change)).response()
