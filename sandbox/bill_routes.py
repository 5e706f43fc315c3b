"""Routes for the biller directory and customers' saved bills (pay one with domestic-payments)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from sandbox import bills, shapes
from sandbox.bodies import Strict
from sandbox.http import created, engine, require_customer
from sandbox.operations import Request as Operation
from sandbox.operations import Step, require_key, run

router = APIRouter()


@router.get("/billers")
async def list_billers() -> dict[str, Any]:
    return shapes.envelope("Biller", [shapes.biller(b) for b in bills.BILLERS])


@router.get("/customers/{customer_id}/bills")
async def list_bills(customer_id: str, request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        rows = await bills.list_bills(conn, customer_id)
    return shapes.envelope("Bill", [shapes.bill(r) for r in rows])


class BillIn(Strict):
    BillerId: str = Field(min_length=1, max_length=40)
    Reference: str = Field(min_length=1, max_length=40)
    Nickname: str | None = Field(default=None, max_length=40)


class BillData(Strict):
    Bill: BillIn


class BillBody(Strict):
    Data: BillData


@router.post("/customers/{customer_id}/bills", status_code=201)
async def add_bill(
    customer_id: str,
    body: BillBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.Bill

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await bills.add_bill(step, given.BillerId, given.Reference, given.Nickname)
        return created("Bill", shapes.bill(row))

    operation = Operation(
        customer_id, require_key(idempotency_key), "bill.create", given.model_dump()
    )
    return (await run(engine(request), operation, change)).response()
