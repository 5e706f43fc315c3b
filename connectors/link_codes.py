"""`POST /api/v1/link-codes`: a signed-in customer asks for a code to link a chat app."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response

from bot.auth.tokens import TokenError
from bot.linking import CODE_TTL_SECONDS
from bot.services import Services
from connectors.chat import identify

router = APIRouter()


@router.post("/api/v1/link-codes", status_code=201)
async def create_link_code(
    request: Request,
    response: Response,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """A single-use code, valid for minutes, that the customer sends as "link <code>"."""
    services: Services = request.app.state.services
    if not services.channels.any_on:
        raise HTTPException(404, "Not Found")
    identity = identify(services.tokens, authorization)
    if identity.customer_id is None:
        raise TokenError("missing_token", "linking needs a signed-in customer")
    issued = await services.channels.links.issue_code(identity.customer_id)
    response.headers["Cache-Control"] = "no-store"
    return {
        "code": issued.code,
        "expires_at": issued.expires_at,
        "expires_in": CODE_TTL_SECONDS,
        "instructions": f'Send "link {issued.code}" to our WhatsApp or Telegram chat.',
    }
