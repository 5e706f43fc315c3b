"""REST channel: `POST /api/v1/chat/message`, the contract other checks rely on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from bot.messages import InboundMessage
from connectors.chat import check_text, identify, outcome_json
from connectors.deps import Engine, SettingsDep, Tokens

router = APIRouter()


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(default=None, min_length=1, max_length=64)
    text: str = ""
    payload: str | None = Field(default=None, max_length=1000)


@router.post("/api/v1/chat/message")
async def chat_message(
    body: ChatRequest,
    engine: Engine,
    tokens: Tokens,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    identity = identify(tokens, authorization)
    check_text(body.text, body.payload, settings.server.max_message_chars)
    inbound = InboundMessage(
        channel="rest", text=body.text, payload=body.payload, conversation_id=body.conversation_id
    )
    return outcome_json(await engine.handle(identity, inbound))
