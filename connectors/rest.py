"""REST channel: `POST /api/v1/chat/message`, the contract other checks rely on.

The request model carries the configured limits, so they are in the schema (and OpenAPI)
as well as checked: `router(limits)` builds the route, with its model, for one app.
"""

# No `from __future__ import annotations`: FastAPI reads the body's model from the route's
# annotation, and that model is made per app, inside `router`.

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field, create_model

from bot.config import ServerSettings
from bot.messages import InboundMessage, shared_location
from connectors.chat import check_text, identify, outcome_json
from connectors.deps import Engine, Tokens
from connectors.shapes import CHAT_ERRORS, ChatReply


class SharedLocation(BaseModel):
    """Where the customer is, as their app's location services say (WGS84 degrees). Only
    finite numbers are taken; whether they are a point on Earth, the reply says."""

    model_config = ConfigDict(extra="forbid")

    latitude: float = Field(ge=-1e6, le=1e6, allow_inf_nan=False)
    longitude: float = Field(ge=-1e6, le=1e6, allow_inf_nan=False)


class ChatRequest(BaseModel):
    """The request body; `chat_request` gives it the configured limits. A `location`
    stands for the message: the customer shared where they are (the branch finder)."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(default=None, min_length=1, max_length=64)
    text: str = ""
    payload: str | None = None
    location: SharedLocation | None = None


def chat_request(limits: ServerSettings) -> type[ChatRequest]:
    """`ChatRequest` with `limits` on its text and payload."""
    return create_model(
        "ChatRequest",
        __base__=ChatRequest,
        text=(str, Field(default="", max_length=limits.max_message_chars)),
        payload=(str | None, Field(default=None, max_length=limits.max_payload_chars)),
    )


def router(limits: ServerSettings) -> APIRouter:
    """The REST chat route, its request bounded by `limits`."""
    routes = APIRouter()
    bounded = chat_request(limits)

    # The reply is documented (and tested) as a ChatReply, and sent as built: no per-turn
    # validation of what the engine already shaped.
    @routes.post(
        "/api/v1/chat/message",
        response_model=None,
        responses={200: {"model": ChatReply, "description": "the bot's answer"}, **CHAT_ERRORS},
        summary="Send a customer's message (or button press) and get the bot's answer",
    )
    async def chat_message(
        body: bounded,  # a ChatRequest
        engine: Engine,
        tokens: Tokens,
        authorization: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        identity = identify(tokens, authorization)
        text, payload = body.text, body.payload
        if body.location is not None:
            text, payload = shared_location(body.location.latitude, body.location.longitude)
        check_text(text, payload, limits)
        inbound = InboundMessage(
            channel="rest", text=text, payload=payload, conversation_id=body.conversation_id
        )
        return outcome_json(await engine.handle(identity, inbound))

    return routes
