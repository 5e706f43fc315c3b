"""Routes for cards, pending transactions, top-ups and exchange rates (sandbox extensions).

Like the account routes, everything under /customers/{customer_id} sees only that customer's
data: another customer's card is "not found".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sandbox import shapes
from sandbox.cards import FREEZE_REASONS, change_card
from sandbox.db import cards, customers, fx_rates, pending_transactions, top_ups
from sandbox.errors import BankApiError
from sandbox.routes import _engine, _now

router = APIRouter()
_CARD_ORDER = case({"debit": 0, "credit": 1, "virtual": 2}, value=cards.c.kind)

PendingKind = Literal["card_payment", "transfer", "cash_withdrawal"]
TopUpStatus = Literal["pending", "completed", "failed", "reverted"]


async def _customer_exists(conn: AsyncConnection, customer_id: str) -> None:
    if await conn.scalar(select(customers.c.id).where(customers.c.id == customer_id)) is None:
        raise BankApiError(404, "customer_not_found", "no such customer")


@router.get("/customers/{customer_id}/cards")
async def list_cards(customer_id: str, request: Request) -> dict[str, Any]:
    query = (
        select(cards).where(cards.c.customer_id == customer_id).order_by(_CARD_ORDER, cards.c.id)
    )
    async with _engine(request).connect() as conn:
        await _customer_exists(conn, customer_id)
        rows = (await conn.execute(query)).mappings().all()
    return shapes.envelope("Card", [shapes.card(r) for r in rows])


class FreezeBody(BaseModel):
    Reason: str = "other"


def _key(value: str | None) -> str:
    if not value or len(value) > 128:
        raise BankApiError(
            400,
            "idempotency_key_required",
            "an Idempotency-Key header of 1-128 characters is required",
        )
    return value


async def _change(
    request: Request, customer_id: str, card_id: str, action: str, reason: str | None, key: str
) -> JSONResponse:
    """200 with the card and the audited action; `Idempotent-Replayed: true` for a repeat."""
    change = await change_card(
        _engine(request), customer_id, card_id, action, reason, key, await _now(request)
    )
    body = shapes.envelope("Card", shapes.card(change.card))
    body["Data"]["Action"] = shapes.card_action(change.action)
    return JSONResponse(body, headers={"Idempotent-Replayed": "true"} if change.replayed else None)


@router.post("/customers/{customer_id}/cards/{card_id}/freeze")
async def freeze_card(
    customer_id: str,
    card_id: str,
    request: Request,
    body: FreezeBody | None = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    reason = (body or FreezeBody()).Reason
    if reason not in FREEZE_REASONS:
        raise BankApiError(
            400, "invalid_request", f"Reason must be one of {sorted(FREEZE_REASONS)}"
        )
    return await _change(request, customer_id, card_id, "freeze", reason, _key(idempotency_key))


@router.post("/customers/{customer_id}/cards/{card_id}/activate")
async def activate_card(
    customer_id: str,
    card_id: str,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    return await _change(request, customer_id, card_id, "activate", None, _key(idempotency_key))


@router.post("/customers/{customer_id}/cards/{card_id}/unfreeze")
async def unfreeze_card(
    customer_id: str,
    card_id: str,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    """409 card_frozen_for_fraud for a card frozen as stolen or compromised."""
    return await _change(request, customer_id, card_id, "unfreeze", None, _key(idempotency_key))


@router.get("/customers/{customer_id}/pending-transactions")
async def list_pending(
    customer_id: str, request: Request, kind: PendingKind | None = None
) -> dict[str, Any]:
    """Newest first; `kind` narrows to card payments, transfers or cash withdrawals."""
    table = pending_transactions
    query = (
        select(table)
        .where(table.c.customer_id == customer_id)
        .order_by(table.c.created_at.desc(), table.c.id)
    )
    if kind is not None:
        query = query.where(table.c.kind == kind)
    async with _engine(request).connect() as conn:
        await _customer_exists(conn, customer_id)
        rows = (await conn.execute(query)).mappings().all()
    return shapes.envelope("Transaction", [shapes.pending_transaction(r) for r in rows])


@router.get("/customers/{customer_id}/top-ups")
async def list_top_ups(
    customer_id: str, request: Request, status: TopUpStatus | None = None
) -> dict[str, Any]:
    """Newest first; `status` narrows to pending, completed, failed or reverted ones."""
    query = (
        select(top_ups)
        .where(top_ups.c.customer_id == customer_id)
        .order_by(top_ups.c.created_at.desc(), top_ups.c.id)
    )
    if status is not None:
        query = query.where(top_ups.c.status == status)
    async with _engine(request).connect() as conn:
        await _customer_exists(conn, customer_id)
        rows = (await conn.execute(query)).mappings().all()
    return shapes.envelope("TopUp", [shapes.top_up(r) for r in rows])


@router.get("/fx-rates")
async def list_fx_rates(
    request: Request, currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None
) -> dict[str, Any]:
    """The bank's customer rates from GBP; an unquoted currency is 404 currency_not_supported."""
    query = select(fx_rates).order_by(fx_rates.c.currency)
    if currency is not None:
        query = query.where(fx_rates.c.currency == currency)
    async with _engine(request).connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    if currency is not None and not rows:
        raise BankApiError(404, "currency_not_supported", f"no rate for {currency}")
    return shapes.envelope("ExchangeRate", [shapes.fx_rate(r) for r in rows])
