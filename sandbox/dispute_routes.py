"""Routes for cases: disputes and fraud reports (see sandbox/disputes.py and sandbox/README.md).

`GET /dispute-policy` says how old a debit may be to be disputed, by the bank's clock.
`POST /customers/{cid}/cases` (Idempotency-Key) opens a case; `GET /customers/{cid}/cases`
(`?status=open|closed`) lists them, newest first; `GET /customers/{cid}/cases/{id}` gives one
by id or reference. Sandbox-only, standing in for the bank's staff and rules:
`PUT /sandbox/dispute-policy` `{"MaxAgeDays": n}` and
`POST /sandbox/customers/{cid}/cases/{id}/status` `{"Status": "investigating"}`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from sandbox import clock, disputes, shapes
from sandbox.bodies import Amount as Money
from sandbox.bodies import Strict
from sandbox.http import created, done, engine, require_customer
from sandbox.money import parse_amount
from sandbox.operations import Request as Operation
from sandbox.operations import Row, Step, require_key, run

router = APIRouter()


def case_shape(row: Row) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "CaseId": row["id"],
        "Reference": row["reference"],
        "Kind": row["kind"],
        "Status": row["status"],
        "Reason": row["reason"],
        "CreationDateTime": shapes.timestamp(row["created_at"]),
        "StatusUpdateDateTime": shapes.timestamp(row["updated_at"]),
    }
    if row["card_id"]:
        shaped["CardId"] = row["card_id"]
    if row["transaction_id"]:
        shaped["Transaction"] = {
            "TransactionId": row["transaction_id"],
            "AccountId": row["account_id"],
            "Amount": shapes.money(row["transaction_amount_minor"], row["currency"]),
            "BookingDateTime": shapes.timestamp(row["transaction_booked_at"]),
            "MerchantName": row["merchant"],
        }
    if row["amount_minor"] is not None:
        shaped["Amount"] = shapes.money(row["amount_minor"], row["currency"])
    return shaped


@router.get("/dispute-policy")
async def dispute_policy(request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        now = await clock.now(conn)
        days = await disputes.max_age_days(conn)
    policy = {
        "MaxAgeDays": days,
        "AsOfDate": now.date().isoformat(),
        "EarliestBookingDate": disputes.earliest(now, days).date().isoformat(),
    }
    return {"Data": {"DisputePolicy": policy}, "Links": {}, "Meta": {}}


class PolicyIn(Strict):
    MaxAgeDays: int = Field(ge=1, le=3650)


@router.put("/sandbox/dispute-policy")
async def change_policy(body: PolicyIn, request: Request) -> dict[str, Any]:
    async with engine(request).begin() as conn:
        await disputes.set_max_age_days(conn, body.MaxAgeDays, await clock.now(conn))
    return await dispute_policy(request)


@router.get("/customers/{customer_id}/cases")
async def list_cases(
    customer_id: str,
    request: Request,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        rows = await disputes.list_cases(conn, customer_id, status)
    return shapes.envelope("Case", [case_shape(r) for r in rows])


@router.get("/customers/{customer_id}/cases/{case_id}")
async def get_case(customer_id: str, case_id: str, request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        row = await disputes.get_case(conn, customer_id, case_id)
    return shapes.envelope("Case", case_shape(row))


class CaseIn(Strict):
    Kind: Literal["dispute", "fraud"]
    Reason: str = Field(min_length=1, max_length=24)
    TransactionId: str | None = Field(default=None, min_length=1, max_length=40)
    CardId: str | None = Field(default=None, min_length=1, max_length=40)
    Amount: Money | None = None


class CaseData(Strict):
    Case: CaseIn


class CaseBody(Strict):
    Data: CaseData


@router.post("/customers/{customer_id}/cases", status_code=201)
async def create_case(
    customer_id: str,
    body: CaseBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.Case
    amount = parse_amount(given.Amount.Amount) if given.Amount else None
    currency = given.Amount.Currency if given.Amount else "GBP"

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await disputes.create(
            step,
            kind=given.Kind,
            reason=given.Reason,
            transaction_id=given.TransactionId,
            card_id=given.CardId,
            amount_minor=amount,
            currency=currency,
        )
        return created("Case", case_shape(row))

    operation = Operation(
        customer_id, require_key(idempotency_key), "case.create", given.model_dump()
    )
    return (await run(engine(request), operation, change)).response()


class StatusIn(Strict):
    Status: Literal["open", "investigating", "resolved", "rejected"]


@router.post("/sandbox/customers/{customer_id}/cases/{case_id}/status")
async def change_status(
    customer_id: str, case_id: str, body: StatusIn, request: Request
) -> JSONResponse:
    async with engine(request).begin() as conn:
        await require_customer(conn, customer_id)
        row = await disputes.get_case(conn, customer_id, case_id)
        after = await disputes.set_status(conn, row, body.Status, await clock.now(conn))
    return JSONResponse(done({"Case": case_shape(after)})[1])
