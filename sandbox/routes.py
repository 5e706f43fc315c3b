"""HTTP routes. Everything below /customers/{customer_id} only ever sees that customer's data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sandbox import clock, shapes
from sandbox.bodies import PaymentBody
from sandbox.db import accounts, customers, postings, transactions
from sandbox.errors import BankApiError
from sandbox.limits import sent_on
from sandbox.money import parse_amount
from sandbox.operations import require_key
from sandbox.payments import PaymentRequest, get_payment, make_payment

router = APIRouter()

_KIND_ORDER = case({"current": 0, "savings": 1, "credit_card": 2}, value=accounts.c.kind)


def _engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


async def _now(request: Request) -> datetime:
    """The sandbox clock's time (sandbox/clock.py)."""
    async with _engine(request).connect() as conn:
        return await clock.now(conn)


async def _owner(conn: AsyncConnection, customer_id: str) -> str:
    name = await conn.scalar(select(customers.c.name).where(customers.c.id == customer_id))
    if name is None:
        raise BankApiError(404, "customer_not_found", "no such customer")
    return name


def _accounts_of(customer_id: str, account_id: str | None) -> Select[Any]:
    query = select(accounts).where(accounts.c.customer_id == customer_id).order_by(_KIND_ORDER)
    return query if account_id is None else query.where(accounts.c.id == account_id)


async def _account_rows(
    conn: AsyncConnection, customer_id: str, account_id: str | None = None
) -> list[dict[str, Any]]:
    owner = await _owner(conn, customer_id)
    rows = [
        dict(r, owner=owner)
        for r in (await conn.execute(_accounts_of(customer_id, account_id))).mappings()
    ]
    if account_id is not None and not rows:
        raise BankApiError(404, "account_not_found", "no such account for this customer")
    return rows


def _when(text: str | None, *, end: bool) -> datetime | None:
    """An ISO date or datetime; a bare date as `end` means the whole of that day."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end else day, datetime.min.time())
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BankApiError(
            400, "invalid_request", f"{text!r} is not an ISO date or datetime"
        ) from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


@router.get("/customers")
async def list_customers(request: Request) -> dict[str, Any]:
    """Dev/demo only: who can the demo page sign in as."""
    async with _engine(request).connect() as conn:
        rows = (
            await conn.execute(select(customers.c.id, customers.c.name).order_by(customers.c.id))
        ).mappings()
        return shapes.envelope("Party", [{"PartyId": r["id"], "Name": r["name"]} for r in rows])


@router.get("/customers/{customer_id}")
async def get_customer(customer_id: str, request: Request) -> dict[str, Any]:
    async with _engine(request).connect() as conn:
        row = (
            (await conn.execute(select(customers).where(customers.c.id == customer_id)))
            .mappings()
            .first()
        )
    if row is None:
        raise BankApiError(404, "customer_not_found", "no such customer")
    return shapes.envelope("Party", shapes.party(row))


@router.get("/customers/{customer_id}/accounts")
async def list_accounts(customer_id: str, request: Request) -> dict[str, Any]:
    async with _engine(request).connect() as conn:
        rows = await _account_rows(conn, customer_id)
    return shapes.envelope("Account", [shapes.account(r) for r in rows])


@router.get("/customers/{customer_id}/balances")
@router.get("/customers/{customer_id}/accounts/{account_id}/balances")
async def get_balances(
    customer_id: str, request: Request, account_id: str | None = None
) -> dict[str, Any]:
    async with _engine(request).connect() as conn:
        rows = await _account_rows(conn, customer_id, account_id)
        now = await clock.now(conn)
    return shapes.envelope("Balance", [shapes.balance(r, now) for r in rows])


@router.get("/customers/{customer_id}/transactions")
@router.get("/customers/{customer_id}/accounts/{account_id}/transactions")
async def list_transactions(
    customer_id: str,
    request: Request,
    account_id: str | None = None,
    start: Annotated[str | None, Query(alias="fromBookingDateTime")] = None,
    end: Annotated[str | None, Query(alias="toBookingDateTime")] = None,
    merchant: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Newest first. `merchant` matches merchant name or description, case-insensitively."""
    since, until = _when(start, end=False), _when(end, end=True)
    query = (
        select(
            transactions.c.id,
            transactions.c.booked_at,
            transactions.c.description,
            transactions.c.merchant,
            transactions.c.merchant_category,
            postings.c.account_id,
            postings.c.amount_minor,
            accounts.c.currency,
        )
        .join(postings, postings.c.transaction_id == transactions.c.id)
        .join(accounts, accounts.c.id == postings.c.account_id)
        .where(accounts.c.customer_id == customer_id)
        .order_by(transactions.c.booked_at.desc(), transactions.c.id.desc())
        .limit(limit)
    )
    if account_id is not None:
        query = query.where(postings.c.account_id == account_id)
    if since is not None:
        query = query.where(transactions.c.booked_at >= since)
    if until is not None:
        query = query.where(transactions.c.booked_at < until)
    if merchant:
        needle = merchant.lower().replace("'", "")
        query = query.where(
            or_(
                *(
                    func.replace(func.lower(func.coalesce(column, "")), "'", "").contains(
                        needle, autoescape=True
                    )
                    for column in (transactions.c.merchant, transactions.c.description)
                )
            )
        )
    async with _engine(request).connect() as conn:
        await _account_rows(conn, customer_id, account_id)
        rows = (await conn.execute(query)).mappings().all()
    return shapes.envelope("Transaction", [shapes.transaction(r) for r in rows])


def _payment_request(customer_id: str, key: str | None, body: PaymentBody) -> PaymentRequest:
    key = require_key(key)
    initiation = body.Data.Initiation
    return PaymentRequest(
        customer_id=customer_id,
        source_account_id=initiation.DebtorAccount.debtor_id(),
        creditor_scheme=initiation.CreditorAccount.creditor_scheme(),
        creditor_id=initiation.CreditorAccount.Identification,
        amount_minor=parse_amount(initiation.InstructedAmount.Amount),
        currency=initiation.InstructedAmount.Currency,
        reference=initiation.RemittanceInformation.Reference,
        idempotency_key=key,
    )


@router.post("/customers/{customer_id}/domestic-payments", status_code=201)
async def create_domestic_payment(
    customer_id: str,
    body: PaymentBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """201 for a new payment; 200 with `Idempotent-Replayed: true` for a repeated key."""
    req = _payment_request(customer_id, idempotency_key, body)
    return (await make_payment(_engine(request), req)).response()


@router.get("/customers/{customer_id}/domestic-payments/{payment_id}")
async def get_domestic_payment(
    customer_id: str, payment_id: str, request: Request
) -> dict[str, Any]:
    async with _engine(request).connect() as conn:
        return await get_payment(conn, customer_id, payment_id)


@router.get("/customers/{customer_id}/payment-limits")
async def get_payment_limits(customer_id: str, request: Request) -> dict[str, Any]:
    """The daily limit, what was sent today (sandbox clock's day) and what is left (limits.py)."""
    async with _engine(request).connect() as conn:
        row = (await conn.execute(select(customers).where(customers.c.id == customer_id))).first()
        if row is None:
            raise BankApiError(404, "customer_not_found", "no such customer")
        today = (await clock.now(conn)).date()
        used = await sent_on(conn, customer_id, today)
    limit = row.daily_limit_minor
    return shapes.envelope(
        "PaymentLimit",
        {
            "Date": today.isoformat(),
            "DailyLimit": shapes.money(limit, "GBP"),
            "UsedToday": shapes.money(used, "GBP"),
            "RemainingToday": shapes.money(max(0, limit - used), "GBP"),
        },
    )
