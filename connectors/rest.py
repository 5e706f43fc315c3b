"""REST channel: `POST /api/v1/chat/message`, the contract other checks rely on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.messages import InboundMessage
from bot.services import Services
from connectors.chat import check_text, identify, outcome_json

router = APIRouter()


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(default=None, min_length=1, max_length=64)
    text: str = ""
    payload: str | None = Field(default=None, max_length=1000)


@router.post("/api/v1/chat/message")
async def chat_message(
    body: ChatRequest,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    services: Services = request.app.state.services
    identity = identify(services.tokens, authorization)
    check_text(body.text, body.payload, services.settings.server.max_message_chars)
    outcome = await services.engine.handle(
        identity,
        InboundMessage(
            channel="rest",
            text=body.text,
            payload=body.payload,
            conversation_id=body.conversation_id,
        ),
    )
    return outcome_json(outcome)
