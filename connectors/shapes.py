"""The chat reply's shape, typed for the API's schema (OpenAPI) and for clients and tests.

The REST reply, the widget's `reply` frames and its numbered `message` frames carry a bot
message as `{"text", "buttons", "attachment"?}`; the attachment is tagged by `kind` (card,
table, image, file, places), its fields those of `bot/messages.py`, so a client switches on
`kind` and shows `text` for a kind it does not know. The routes return plain dicts (no
per-reply validation cost); these models document them and tests check replies against them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CardShape(_Shape):
    """A few facts under a title, with one amount picked out."""

    kind: Literal["card"]
    title: str
    lines: list[str] = []
    amount: str | None = None


class TableShape(_Shape):
    """Rows under column headers; every cell is text as the customer reads it."""

    kind: Literal["table"]
    caption: str
    columns: list[str]
    rows: list[list[str]]


class ImageShape(_Shape):
    kind: Literal["image"]
    url: str
    alt: str
    width: int
    height: int
    media_type: str = "image/png"


class FileShape(_Shape):
    kind: Literal["file"]
    url: str
    name: str
    media_type: str
    size: int = Field(description="bytes")
    expires_at: float | None = Field(default=None, description="epoch seconds")


class PlaceShape(_Shape):
    name: str
    address: str
    distance: str
    map_url: str
    open_now: bool | None = None
    details: list[str] = []


class PlacesShape(_Shape):
    kind: Literal["places"]
    places: list[PlaceShape]


AttachmentShape = Annotated[
    CardShape | TableShape | ImageShape | FileShape | PlacesShape, Field(discriminator="kind")
]


class ButtonShape(_Shape):
    title: str
    payload: str


class MessageShape(_Shape):
    text: str = Field(description="says the answer on its own: the fallback for any kind")
    buttons: list[ButtonShape] = []
    attachment: AttachmentShape | None = None


class ChatReply(_Shape):
    """`POST /api/v1/chat/message`'s answer."""

    conversation_id: str
    messages: list[MessageShape]
    nlu: dict[str, Any]
    state: dict[str, Any]


class ErrorDetail(_Shape):
    code: str = Field(
        description="for programs: bad_request, message_too_long, payload_too_long, "
        "bad_payload, unstorable_message, unauthorized, not_found, busy, body_too_large, "
        "store_unavailable, ..."
    )
    message: str = Field(description="for people: the widget shows it to the customer")


class ErrorReply(_Shape):
    """Every refused request's answer: nothing of it was stored."""

    error: ErrorDetail


# The chat route's refusals, as the README's "Talking to it" lists them.
CHAT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorReply, "description": "a malformed body, text or payload"},
    401: {"model": ErrorReply, "description": "a bad or expired token"},
    404: {"model": ErrorReply, "description": "no such conversation (or not this customer's)"},
    409: {"model": ErrorReply, "description": "the previous turn is still running"},
    413: {"model": ErrorReply, "description": "a body over the limit"},
    503: {"model": ErrorReply, "description": "the conversation store is unavailable"},
}
