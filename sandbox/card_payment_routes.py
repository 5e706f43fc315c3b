"""A card payment at a merchant, booked now (sandbox-only, like the clock): what a shop's
card terminal would cause, so tests and demos can spend on a card and watch budgets react.

`POST /sandbox/customers/{cid}/card-payments` with an Idempotency-Key and
`{"Data": {"CardPayment": {"CardId", "InstructedAmount": {"Amount", "Currency"},
"MerchantName", "MerchantCategoryCode"}}}` books one ledger transaction (the card's account
to the card scheme's settlement account) with the merchant and its category code, in one
database transaction with its audit row and any budget alert it raises.
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
from sandbox.db import accounts, cards
from sandbox.errors import BankApiError
from sandbox.http import created, engine
from sandbox.ledger import post
from sandbox.money import parse_amount
from sandbox.operations import Refusal, Step, require_key, run
from sandbox.operations import Request as Operation

router = APIRouter()
CARD_SETTLEMENT = "int-card-settlement"


class CardPaymentIn(Strict):
    CardId: str = Field(min_length=1, max_length=40)
    InstructedAmount: Amount
    MerchantName: str = Field(min_length=1, max_length=80)
    MerchantCategoryCode: str = Field(pattern=r"^\d{4}$")
    MerchantCountry: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")  # ISO 3166, GB


class CardPaymentData(Strict):
    CardPayment: CardPaymentIn


class CardPaymentBody(Strict):
    Data: CardPaymentData


async def _pay(step: Step, given: CardPaymentIn, amount: int) -> dict[str, Any]:
    card = (
        (
            await step.conn.execute(
                select(cards).where(
                    cards.c.id == given.CardId, cards.c.customer_id == step.customer_id
                )
            )
        )
        .mappings()
        .first()
    )
    if card is None:
        raise BankApiError(404, "card_not_found", "no such card for this customer")
    if card["status"] != "active":
        raise BankApiError(422, "card_not_active", f"the card is {card['status']}")
    account = (
        (await step.conn.execute(select(accounts).where(accounts.c.id == card["account_id"])))
        .mappings()
        .one()
    )
    if given.InstructedAmount.Currency != account["currency"]:
        raise BankApiError(422, "currency_unsupported", "card payments here are in GBP")
    if account["kind"] != "credit_card" and account["balance_minor"] < amount:
        raise Refusal(422, "insufficient_funds", "not enough money in the card's account")
    transaction_id = f"txn-{uuid.uuid4().hex[:20]}"
    await post(
        step.conn,
        transaction_id=transaction_id,
        booked_at=step.now,
        description=given.MerchantName.upper()[:140],
        legs=[(account["id"], -amount), (CARD_SETTLEMENT, amount)],
        merchant=given.MerchantName,
        merchant_category=given.MerchantCategoryCode,
        merchant_country=given.MerchantCountry,
        card_id=card["id"],
    )
    payment = {
        "CardPaymentId": transaction_id,
        "TransactionId": transaction_id,
        "CardId": card["id"],
        "AccountId": account["id"],
        "Amount": shapes.money(amount, account["currency"]),
        "MerchantDetails": {
            "MerchantName": given.MerchantName,
            "MerchantCategoryCode": given.MerchantCategoryCode,
        },
        "Status": "Booked",
        "BookingDateTime": shapes.timestamp(step.now.replace(microsecond=0)),
    }
    await step.audit("card_payment.create", "transaction", transaction_id, None, payment)
    return payment


@router.post("/sandbox/customers/{customer_id}/card-payments", status_code=201)
async def card_payment(
    customer_id: str,
    body: CardPaymentBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.CardPayment
    amount = parse_amount(given.InstructedAmount.Amount)

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        return created("CardPayment", await _pay(step, given, amount))

    operation = Operation(
        customer_id, require_key(idempotency_key), "card_payment.create", given.model_dump()
    )
    return (await run(engine(request), operation, change)).response()
