"""Routes for monthly budgets and their alerts (see sandbox/budgets.py and sandbox/README.md).

`GET /customers/{cid}/budgets` gives each budget with what was spent in the current month
by the sandbox clock; budgets are created, changed and deleted with an Idempotency-Key, like
every write. `GET .../budget-alerts?status=new` lists the alerts payments raised, and
`POST .../budget-alerts/{id}/acknowledge` marks one told (once).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from sandbox import budgets, clock, shapes
from sandbox.bodies import Amount, Strict
from sandbox.http import created, done, engine, require_customer
from sandbox.money import parse_amount
from sandbox.operations import Request as Operation
from sandbox.operations import Row, Step, require_key, run

router = APIRouter()


def budget_shape(row: Row, spent_minor: int, today: date) -> dict[str, Any]:
    start, after = budgets.month_of(today)
    return {
        "BudgetId": row["id"],
        "Category": row["category"],
        "MerchantCategoryCodes": budgets.codes_of(row),
        "Frequency": "Monthly",
        "Amount": shapes.money(row["amount_minor"], row["currency"]),
        "Spent": shapes.money(spent_minor, row["currency"]),
        "Period": {
            "FromDate": start.isoformat(),
            "ToDate": (after - timedelta(days=1)).isoformat(),
            "AsOfDate": today.isoformat(),
        },
        "CreationDateTime": shapes.timestamp(row["created_at"]),
        "UpdateDateTime": shapes.timestamp(row["updated_at"]),
    }


def alert_shape(row: Row) -> dict[str, Any]:
    return {
        "AlertId": row["id"],
        "BudgetId": row["budget_id"],
        "Category": row["category"],
        "Month": row["month"],
        "Threshold": row["threshold"],
        "Spent": shapes.money(row["spent_minor"], row["currency"]),
        "Amount": shapes.money(row["amount_minor"], row["currency"]),
        "TransactionId": row["transaction_id"],
        "Status": "New" if row["acknowledged_at"] is None else "Acknowledged",
        "CreationDateTime": shapes.timestamp(row["created_at"]),
    }


async def _shaped(step_or_conn: Any, row: Row, today: date) -> dict[str, Any]:
    start, after = budgets.month_of(today)
    total = await budgets.spent(
        step_or_conn, row["customer_id"], budgets.codes_of(row), start, after
    )
    return budget_shape(row, total, today)


@router.get("/customers/{customer_id}/budgets")
async def list_budgets(customer_id: str, request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        today = (await clock.now(conn)).date()
        rows = await budgets.list_budgets(conn, customer_id)
        items = [await _shaped(conn, row, today) for row in rows]
    return shapes.envelope("Budget", items)


class BudgetIn(Strict):
    Category: str = Field(min_length=2, max_length=32)
    MerchantCategoryCodes: list[str] = Field(min_length=1, max_length=budgets.MAX_CODES)
    Amount: Amount


class BudgetData(Strict):
    Budget: BudgetIn


class BudgetBody(Strict):
    Data: BudgetData


class BudgetChange(Strict):
    Amount: Amount


class BudgetChangeData(Strict):
    Budget: BudgetChange


class BudgetChangeBody(Strict):
    Data: BudgetChangeData


@router.post("/customers/{customer_id}/budgets", status_code=201)
async def create_budget(
    customer_id: str,
    body: BudgetBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.Budget
    category = budgets.check_category(given.Category)
    codes = budgets.check_codes(given.MerchantCategoryCodes)
    amount = parse_amount(given.Amount.Amount)

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await budgets.create(step, category, codes, amount, given.Amount.Currency)
        return created("Budget", await _shaped(step.conn, row, step.now.date()))

    operation = Operation(
        customer_id, require_key(idempotency_key), "budget.create", given.model_dump()
    )
    return (await run(engine(request), operation, change)).response()


@router.patch("/customers/{customer_id}/budgets/{budget_id}")
async def change_budget(
    customer_id: str,
    budget_id: str,
    body: BudgetChangeBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    given = body.Data.Budget
    amount = parse_amount(given.Amount.Amount)

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await budgets.change(step, budget_id, amount, given.Amount.Currency)
        return done({"Budget": await _shaped(step.conn, row, step.now.date())})

    operation = Operation(
        customer_id,
        require_key(idempotency_key),
        "budget.change",
        {"budget": budget_id, **given.model_dump()},
    )
    return (await run(engine(request), operation, change)).response()


@router.delete("/customers/{customer_id}/budgets/{budget_id}")
async def delete_budget(
    customer_id: str,
    budget_id: str,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        row = await budgets.remove(step, budget_id)
        return done({"Budget": budget_shape(row, 0, step.now.date())})

    operation = Operation(
        customer_id, require_key(idempotency_key), "budget.delete", {"budget": budget_id}
    )
    return (await run(engine(request), operation, change)).response()


@router.get("/customers/{customer_id}/budget-alerts")
async def list_alerts(
    customer_id: str,
    request: Request,
    status: Annotated[Literal["new", "acknowledged"] | None, Query()] = None,
) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        rows = await budgets.list_alerts(conn, customer_id, status)
    return shapes.envelope("BudgetAlert", [alert_shape(r) for r in rows])


@router.post("/customers/{customer_id}/budget-alerts/{alert_id}/acknowledge")
async def acknowledge_alert(
    customer_id: str,
    alert_id: str,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        return done({"BudgetAlert": alert_shape(await budgets.acknowledge(step, alert_id))})

    operation = Operation(
        customer_id, require_key(idempotency_key), "budget_alert.ack", {"alert": alert_id}
    )
    return (await run(engine(request), operation, change)).response()
