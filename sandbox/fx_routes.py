"""Routes for payments abroad: quotes, then an international payment that takes one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from sandbox import fx
from sandbox.bodies import AccountReference, Amount, Strict
from sandbox.errors import BankApiError
from sandbox.http import created, engine
from sandbox.money import parse_amount
from sandbox.operations import Request as Operation
from sandbox.operations import Step, require_key, run

router = APIRouter()
Key = Annotated[str | None, Header(alias="Idempotency-Key")]


class QuoteIn(Strict):
    Currency: str = Field(pattern=r"^[A-Z]{3}$")
    SendAmount: Amount | None = None
    ReceiveAmount: Amount | None = None


class QuoteBody(Strict):
    Data: QuoteIn


def _amounts(given: QuoteIn) -> tuple[int | None, int | None]:
    if (given.SendAmount is None) == (given.ReceiveAmount is None):
        raise BankApiError(400, "invalid_request", "give SendAmount or ReceiveAmount, not both")
    if given.SendAmount is not None:
        if given.SendAmount.Currency != "GBP":
            raise BankApiError(400, "invalid_request", "SendAmount is in GBP")
        return parse_amount(given.SendAmount.Amount), None
    assert given.ReceiveAmount is not None
    if given.ReceiveAmount.Currency != given.Currency:
        raise BankApiError(400, "invalid_request", "ReceiveAmount is in the quoted Currency")
    return None, fx.parse_foreign(given.ReceiveAmount.Amount, given.Currency)


@router.post("/customers/{customer_id}/fx-quotes", status_code=201)
async def create_quote(
    customer_id: str, body: QuoteBody, request: Request, idempotency_key: Key = None
) -> JSONResponse:
    given = body.Data
    send, receive = _amounts(given)

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        return created("Quote", await fx.make_quote(step, given.Currency, send, receive))

    operation = Operation(
        customer_id, require_key(idempotency_key), "fx_quote.create", given.model_dump()
    )
    return (await run(engine(request), operation, change)).response()


class RateInformation(Strict):
    ContractIdentification: str = Field(min_length=1, max_length=40)


class Remittance(Strict):
    Reference: str = Field(default="", max_length=35)


class InternationalInitiation(Strict):
    DebtorAccount: AccountReference
    CreditorAccount: AccountReference
    ExchangeRateInformation: RateInformation
    RemittanceInformation: Remittance = Remittance()


class InternationalData(Strict):
    Initiation: InternationalInitiation


class InternationalBody(Strict):
    Data: InternationalData


@router.post("/customers/{customer_id}/international-payments", status_code=201)
async def create_international_payment(
    customer_id: str, body: InternationalBody, request: Request, idempotency_key: Key = None
) -> JSONResponse:
    given = body.Data.Initiation
    source = given.DebtorAccount.debtor_id()
    if given.CreditorAccount.SchemeName != "Sandbox.BeneficiaryId":
        raise BankApiError(
            400, "invalid_request", "CreditorAccount.SchemeName must be Sandbox.BeneficiaryId"
        )

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        return 201, await fx.pay_abroad(
            step,
            given.ExchangeRateInformation.ContractIdentification,
            source,
            given.CreditorAccount.Identification,
            given.RemittanceInformation.Reference,
        )

    operation = Operation(
        customer_id,
        require_key(idempotency_key),
        "international_payment.create",
        given.model_dump(),
    )
    return (await run(engine(request), operation, change)).response()


@router.get("/customers/{customer_id}/international-payments/{payment_id}")
async def get_international_payment(customer_id: str, payment_id: str, request: Request) -> dict:
    async with engine(request).connect() as conn:
        return await fx.get_international(conn, customer_id, payment_id)
