"""A signed-in customer's chat-app links: `POST /api/v1/link-codes` asks for a code to link
a chat, `GET /api/v1/links` lists the linked chats, `DELETE /api/v1/links/{id}` revokes one.
Every route needs the customer's JWT; a link of someone else's is 404, like a missing one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Response

from bot.auth.tokens import TokenError, TokenVerifier
from bot.handlers import declared
from bot.linking import AccountLinks
from connectors.chat import identify
from connectors.deps import DomainDep, Provided, Tokens, switched_on
from connectors.errors import ApiError

SAYS = declared({"link_code_instructions": ["code"], "error_link_not_found": []})
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
    issued = await links.issue_code(_customer(tokens, authorization))
    response.headers["Cache-Control"] = "no-store"
    return {
        "code": issued.code,
        "expires_at": issued.expires_at,
        "expires_in": links.settings.code_ttl_seconds,
        "instructions": domain.text("link_code_instructions", {"code": issued.code}),
    }


@router.get("/api/v1/links")
async def list_links(
    response: Response,
    links: Annotated[AccountLinks, Depends(switched_on(LINKS))],
    tokens: Tokens,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """The customer's linked chats, each named by its channel and last four digits."""
    chats = await links.linked_chats(_customer(tokens, authorization))
    response.headers["Cache-Control"] = "no-store"
    return {"links": [asdict(chat) for chat in chats]}


@router.delete("/api/v1/links/{link_id}", status_code=204)
async def revoke_link(
    link_id: Annotated[str, Path(min_length=1, max_length=64)],
    links: Annotated[AccountLinks, Depends(switched_on(LINKS))],
    tokens: Tokens,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Unlink one of the customer's chats: it is anonymous again from its next message."""
    if await links.revoke(_customer(tokens, authorization), link_id) is None:
        raise ApiError(404, "link_not_found")
    return Response(status_code=204)


def _customer(tokens: TokenVerifier, authorization: str | None) -> str:
    identity = identify(tokens, authorization)
    if identity.customer_id is None:
        raise TokenError("missing_token", "linking needs a signed-in customer")
    return identity.customer_id
