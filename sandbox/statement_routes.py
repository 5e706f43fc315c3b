"""Route for account statements from the ledger (sandbox/account_statements.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from sandbox import clock
from sandbox.account_statements import account_statement, parse_day, shape
from sandbox.http import engine

router = APIRouter()


@router.get("/customers/{customer_id}/accounts/{account_id}/account-statement")
async def get_account_statement(
    customer_id: str,
    account_id: str,
    request: Request,
    start: Annotated[str | None, Query(alias="fromBookingDate", max_length=32)] = None,
    end: Annotated[str | None, Query(alias="toBookingDate", max_length=32)] = None,
) -> dict[str, Any]:
    """The account's booked rows from `fromBookingDate` to `toBookingDate` (whole days), oldest
    first, each with the balance after it, between the opening and closing balances."""
    first, last = parse_day(start, "fromBookingDate"), parse_day(end, "toBookingDate")
    async with engine(request).connect() as conn:
        today = (await clock.now(conn)).date()
        statement = await account_statement(conn, customer_id, account_id, first, last, today)
    return {"Data": {"AccountStatement": shape(statement)}, "Links": {}, "Meta": {}}
