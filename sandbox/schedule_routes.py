"""Routes for future-dated payments, standing orders, direct debits, what is coming up,
card statements and what the sandbox clock ran (executions)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import Table, select

from sandbox import clock, schedules, shapes, statements
from sandbox.bodies import AccountReference, Amount, Strict
from sandbox.db import direct_debits, executions, scheduled_payments, standing_orders
from sandbox.errors import BankApiError
from sandbox.http import created, done, engine, require_customer
from sandbox.money import parse_amount
from sandbox.operations import Request as Operation
from sandbox.operations import Row, Step, require_key, run
from sandbox.payments import creditor_name
from sandbox.upcoming import upcoming

router = APIRouter()
Key = Annotated[str | None, Header(alias="Idempotency-Key")]


class Remittance(Strict):
    Reference: str = Field(default="", max_length=18)


class ScheduledInitiation(Strict):
    RequestedExecutionDateTime: str
    InstructedAmount: Amount
    DebtorAccount: AccountReference
    CreditorAccount: AccountReference
    RemittanceInformation: Remittance = Remittance()


class StandingOrderInitiation(Strict):
    Frequency: str = Field(max_length=32)
    Reference: str = Field(default="", max_length=18)
    FirstPaymentDateTime: str
    FinalPaymentDateTime: str | None = None
    NumberOfPayments: int | None = Field(default=None, ge=1, le=999)
    FirstPaymentAmount: Amount
    DebtorAccount: AccountReference
    CreditorAccount: AccountReference


class ScheduledData(Strict):
    Initiation: ScheduledInitiation


class ScheduledBody(Strict):
    Data: ScheduledData


class StandingOrderData(Strict):
    Initiation: StandingOrderInitiation


class StandingOrderBody(Strict):
    Data: StandingOrderData


class ScheduledAmendment(Strict):
    InstructedAmount: Amount | None = None
    RequestedExecutionDateTime: str | None = None


class StandingOrderAmendment(Strict):
    NextPaymentAmount: Amount | None = None
    NextPaymentDateTime: str | None = None


class ScheduledAmendBody(Strict):
    Data: ScheduledAmendment


class StandingOrderAmendBody(Strict):
    Data: StandingOrderAmendment


def _order(amount: Amount, debtor: AccountReference, to: AccountReference, reference: str):
    return schedules.Order(
        source_account_id=debtor.debtor_id(),
        creditor_scheme=to.creditor_scheme(),
        creditor_id=to.Identification,
        amount_minor=parse_amount(amount.Amount),
        currency=amount.Currency,
        reference=reference,
    )


def _amount(given: Amount | None) -> int | None:
    if given is None:
        return None
    if given.Currency != "GBP":
        raise BankApiError(422, "currency_unsupported", "accounts are in GBP")
    return parse_amount(given.Amount)


async def _operate(
    request: Request, customer_id: str, key: str | None, action: str, body: dict[str, Any], change
) -> JSONResponse:
    operation = Operation(customer_id, require_key(key), action, body)
    return (await run(engine(request), operation, change)).response()


async def _shaped(conn, customer_id: str, table: Table, row: Row) -> dict[str, Any]:
    if table is direct_debits:
        return shapes.direct_debit(row)
    name, shown = await creditor_name(conn, customer_id, row["creditor_scheme"], row["creditor_id"])
    shape = shapes.scheduled_payment if table is scheduled_payments else shapes.standing_order
    return shape(row, name, shown)


async def _list(request: Request, customer_id: str, table: Table, order: Any) -> list[dict]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        rows = await conn.execute(
            select(table).where(table.c.customer_id == customer_id).order_by(order, table.c.id)
        )
        return [await _shaped(conn, customer_id, table, r) for r in rows.mappings().all()]


async def _one(request: Request, customer_id: str, table: Table, item_id: str, code: str) -> dict:
    async with engine(request).connect() as conn:
        row = (
            (
                await conn.execute(
                    select(table).where(table.c.id == item_id, table.c.customer_id == customer_id)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise BankApiError(404, code, "no such item for this customer")
        return await _shaped(conn, customer_id, table, row)


# Scheduled payments --------------------------------------------------------------------------

SP = "/customers/{customer_id}/domestic-scheduled-payments"


@router.post(SP, status_code=201)
async def create_scheduled_payment(
    customer_id: str, body: ScheduledBody, request: Request, idempotency_key: Key = None
) -> JSONResponse:
    given = body.Data.Initiation
    order = _order(
        given.InstructedAmount,
        given.DebtorAccount,
        given.CreditorAccount,
        given.RemittanceInformation.Reference,
    )
    on = schedules.parse_date(given.RequestedExecutionDateTime, "RequestedExecutionDateTime")

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        return created("ScheduledPayment", await schedules.schedule_payment(step, order, on))

    return await _operate(
        request,
        customer_id,
        idempotency_key,
        "scheduled_payment.create",
        given.model_dump(),
        change,
    )


@router.get(SP)
async def list_scheduled_payments(customer_id: str, request: Request) -> dict[str, Any]:
    """Every scheduled payment, pending or not, by date."""
    rows = await _list(
        request, customer_id, scheduled_payments, scheduled_payments.c.execution_date
    )
    return shapes.envelope("ScheduledPayment", rows)


@router.get(SP + "/{payment_id}")
async def get_scheduled_payment(customer_id: str, payment_id: str, request: Request) -> dict:
    row = await _one(
        request, customer_id, scheduled_payments, payment_id, "scheduled_payment_not_found"
    )
    return shapes.envelope("ScheduledPayment", row)


async def _reshape(step: Step, table: Table, row: Row, name: str) -> tuple[int, dict[str, Any]]:
    return done({name: await _shaped(step.conn, step.customer_id, table, row)})


@router.patch(SP + "/{payment_id}")
async def amend_scheduled_payment(
    customer_id: str,
    payment_id: str,
    body: ScheduledAmendBody,
    request: Request,
    idempotency_key: Key = None,
) -> JSONResponse:
    given = body.Data
    if given.InstructedAmount is None and given.RequestedExecutionDateTime is None:
        raise BankApiError(400, "invalid_request", "nothing to change")
    amount = _amount(given.InstructedAmount)
    on = given.RequestedExecutionDateTime
    day = None if on is None else schedules.parse_date(on, "RequestedExecutionDateTime")

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await schedules.amend_payment(step, payment_id, amount, day)
        return await _reshape(step, scheduled_payments, row, "ScheduledPayment")

    body_ = {"id": payment_id} | given.model_dump()
    return await _operate(
        request, customer_id, idempotency_key, "scheduled_payment.amend", body_, change
    )


@router.delete(SP + "/{payment_id}")
async def cancel_scheduled_payment(
    customer_id: str, payment_id: str, request: Request, idempotency_key: Key = None
) -> JSONResponse:
    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await schedules.cancel_payment(step, payment_id)
        return await _reshape(step, scheduled_payments, row, "ScheduledPayment")

    return await _operate(
        request,
        customer_id,
        idempotency_key,
        "scheduled_payment.cancel",
        {"id": payment_id},
        change,
    )


# Standing orders -----------------------------------------------------------------------------

SO = "/customers/{customer_id}/domestic-standing-orders"


@router.post(SO, status_code=201)
async def create_standing_order(
    customer_id: str, body: StandingOrderBody, request: Request, idempotency_key: Key = None
) -> JSONResponse:
    given = body.Data.Initiation
    if given.FinalPaymentDateTime is not None and given.NumberOfPayments is not None:
        raise BankApiError(
            400, "invalid_request", "give FinalPaymentDateTime or NumberOfPayments, not both"
        )
    order = _order(
        given.FirstPaymentAmount, given.DebtorAccount, given.CreditorAccount, given.Reference
    )
    first = schedules.parse_date(given.FirstPaymentDateTime, "FirstPaymentDateTime")
    final = given.FinalPaymentDateTime
    last = None if final is None else schedules.parse_date(final, "FinalPaymentDateTime")

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await schedules.create_standing_order(
            step, order, given.Frequency, first, last, given.NumberOfPayments
        )
        return created("StandingOrder", row)

    return await _operate(
        request, customer_id, idempotency_key, "standing_order.create", given.model_dump(), change
    )


@router.get(SO)
async def list_standing_orders(customer_id: str, request: Request) -> dict[str, Any]:
    """Every standing order, active or not, by when it was set up."""
    rows = await _list(request, customer_id, standing_orders, standing_orders.c.created_at)
    return shapes.envelope("StandingOrder", rows)


@router.get(SO + "/{order_id}")
async def get_standing_order(customer_id: str, order_id: str, request: Request) -> dict:
    row = await _one(request, customer_id, standing_orders, order_id, "standing_order_not_found")
    return shapes.envelope("StandingOrder", row)


@router.patch(SO + "/{order_id}")
async def amend_standing_order(
    customer_id: str,
    order_id: str,
    body: StandingOrderAmendBody,
    request: Request,
    idempotency_key: Key = None,
) -> JSONResponse:
    given = body.Data
    if given.NextPaymentAmount is None and given.NextPaymentDateTime is None:
        raise BankApiError(400, "invalid_request", "nothing to change")
    amount = _amount(given.NextPaymentAmount)
    on = given.NextPaymentDateTime
    day = None if on is None else schedules.parse_date(on, "NextPaymentDateTime")

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await schedules.amend_standing_order(step, order_id, amount, day)
        return await _reshape(step, standing_orders, row, "StandingOrder")

    body_ = {"id": order_id} | given.model_dump()
    return await _operate(
        request, customer_id, idempotency_key, "standing_order.amend", body_, change
    )


@router.delete(SO + "/{order_id}")
async def cancel_standing_order(
    customer_id: str, order_id: str, request: Request, idempotency_key: Key = None
) -> JSONResponse:
    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await schedules.cancel_standing_order(step, order_id)
        return await _reshape(step, standing_orders, row, "StandingOrder")

    return await _operate(
        request, customer_id, idempotency_key, "standing_order.cancel", {"id": order_id}, change
    )


# Direct debits -------------------------------------------------------------------------------

DD = "/customers/{customer_id}/direct-debits"


@router.get(DD)
async def list_direct_debits(customer_id: str, request: Request) -> dict[str, Any]:
    rows = await _list(request, customer_id, direct_debits, direct_debits.c.name)
    return shapes.envelope("DirectDebit", rows)


@router.delete(DD + "/{mandate_id}")
async def cancel_direct_debit(
    customer_id: str, mandate_id: str, request: Request, idempotency_key: Key = None
) -> JSONResponse:
    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await schedules.cancel_direct_debit(step, mandate_id)
        return done({"DirectDebit": shapes.direct_debit(row)})

    return await _operate(
        request, customer_id, idempotency_key, "direct_debit.cancel", {"id": mandate_id}, change
    )


# What is coming up, what ran, card statements ------------------------------------------------


@router.get("/customers/{customer_id}/upcoming-payments")
async def list_upcoming(
    customer_id: str, request: Request, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        today = (await clock.now(conn)).date()
        items = await upcoming(conn, customer_id, today, today + timedelta(days=days))
    return shapes.envelope("UpcomingPayment", items)


@router.get("/customers/{customer_id}/executions")
async def list_executions(customer_id: str, request: Request) -> dict[str, Any]:
    """What the sandbox clock paid or refused for this customer, newest first."""
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        rows = await conn.execute(
            select(executions)
            .where(executions.c.customer_id == customer_id)
            .order_by(executions.c.due_on.desc(), executions.c.id)
        )
        return shapes.envelope("Execution", [shapes.execution(r) for r in rows.mappings()])


@router.get("/customers/{customer_id}/accounts/{account_id}/statements")
async def list_statements(customer_id: str, account_id: str, request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        account, rows = await statements.statements_of(conn, customer_id, account_id)
        shaped = []
        for row in rows:
            paid = await statements.paid_since(conn, account_id, row["statement_date"])
            shaped.append(shapes.card_statement(row, paid))
    data = shapes.envelope("Statement", shaped)
    data["Data"]["CurrentBalance"] = shapes.balance_after(
        account_id, account["balance_minor"], "GBP"
    )
    return data
