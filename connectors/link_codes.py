"""`POST /api/v1/link-codes`: a signed-in customer asks for a code to link a chat app."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response

from bot.auth.tokens import TokenError
from bot.handlers import declared
from bot.linking import AccountLinks
from connectors.chat import identify
from connectors.deps import DomainDep, Provided, Tokens, switched_on

SAYS = declared({"link_code_instructions": ["code"]})
# None while no chat app is on: there is nothing to link then.
LINKS: Provided[AccountLinks | None] = Provided("links")
router = APIRouter()


@router.post("/api/v1/link-codes", status_code=201)
async def create_link_code(
    response: Response,
    links: Annotated[AccountLinks, Depends(switched_on(LINKS))],
    tokens: Tokens,
    domain: DomainDep,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """A single-use code, valid for minutes, that the customer sends as "link <code>"."""
    identity = identify(tokens, authorization)
    if identity.customer_id is None:
        raise TokenError("missing_token", "linking needs a signed-in customer")
    issued = await links.issue_code(identity.customer_id)
    response.headers["Cache-Control"] = "no-store"
    return {
        "code": issued.code,
        "expires_at": issued.expires_at,
        "expires_in": links.settings.code_ttl_seconds,
        "instructions": domain.text("link_code_instructions", {"code": issued.code}),
    }
