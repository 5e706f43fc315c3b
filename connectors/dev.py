"""Dev-only endpoints for the demo page and tests; mounted only when config says dev_mode."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from actions.bank_client import BankRejected
from bot.services import Services
from connectors.errors import ApiError

router = APIRouter(prefix="/dev")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=64)


@router.post("/token")
async def dev_token(body: TokenRequest, request: Request) -> dict[str, str]:
    """A signed customer token, as the bank's app would pass one to the widget."""
    services: Services = request.app.state.services
    try:
        await services.bank.get_customer(body.customer_id)
    except BankRejected as exc:
        raise ApiError(404, "customer_not_found", "No such sandbox customer.") from exc
    return {"token": services.tokens.issue(body.customer_id)}


@router.get("/outbox")
async def dev_outbox(customer_id: str, request: Request) -> list[dict[str, Any]]:
    """What the notifier would have sent to this customer (one-time codes), newest first."""
    services: Services = request.app.state.services
    return [
        {"to": e.to, "text": e.text, "sent_at": e.sent_at}
        for e in services.outbox.recent(customer_id)
    ]


@router.get("/customers")
async def dev_customers(request: Request) -> list[dict[str, str]]:
    services: Services = request.app.state.services
    return [{"id": c.id, "name": c.name} for c in await services.bank.list_customers()]
