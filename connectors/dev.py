"""Dev-only endpoints for the demo page and tests; mounted only when config says dev_mode."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bot.bank import BankRejected
from connectors.deps import BankDep, Outbox, Tokens
from connectors.errors import ApiError

router = APIRouter(prefix="/dev")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=64)


@router.post("/token")
async def dev_token(body: TokenRequest, bank: BankDep, tokens: Tokens) -> dict[str, str]:
    """A signed customer token, as the bank's app would pass one to the widget."""
    try:
        await bank.get_customer(body.customer_id)
    except BankRejected as exc:
        raise ApiError(404, "customer_not_found") from exc
    return {"token": tokens.issue(body.customer_id)}


@router.get("/outbox")
async def dev_outbox(customer_id: str, outbox: Outbox) -> list[dict[str, Any]]:
    """What the notifier would have sent to this customer (one-time codes), newest first."""
    return [{"to": e.to, "text": e.text, "sent_at": e.sent_at} for e in outbox.recent(customer_id)]


@router.get("/customers")
async def dev_customers(bank: BankDep) -> list[dict[str, str]]:
    return [{"id": c.id, "name": c.name} for c in await bank.list_customers()]
