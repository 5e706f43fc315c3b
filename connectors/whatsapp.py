"""WhatsApp Cloud API: the `/webhooks/whatsapp` webhook and replies through the Graph API.

Meta signs every delivery with the app secret (`X-Hub-Signature-256`, an HMAC-SHA256 of
the raw body); nothing is parsed, let alone processed, before that signature checks out.
A delivery carries customers' messages and the delivery statuses of what we sent: the
messages become turns (see `connectors.messaging`: the webhook answers 200 once their
turns are stored, 503 if one could not be taken, so Meta delivers it again), the
statuses are recorded in the
`deliveries` collection against the message we sent, which is where the conversation id
and the send time already are. Statuses are not conversation events: they arrive out of
band, out of order and in bulk, say nothing about what the customer meant, and writing
them into the log would need the conversation's lock and grow every replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse

from bot.config import ConfigError
from bot.dialogue.domain import Domain
from bot.handlers import declared
from bot.messages import BotMessage, Button, File, Image, SummaryCard, Table
from bot.ports import ChatStore, ConversationRecord
from connectors.attachments import SAYS as ATTACHMENT_SAYS
from connectors.attachments import Text, absolute, fallback_text, table_lines
from connectors.deps import Provided, switched_on
from connectors.messaging import (
    ButtonIds,
    ChatMessage,
    DeliveryFailed,
    Messaging,
    NotTaken,
    located,
    split_text,
)

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
GRAPH_API = "https://graph.facebook.com"
GRAPH_API_VERSION = "v23.0"
_REQUIRED = (
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
)

# Graph API limits for interactive messages.
MAX_BUTTONS = 3
TEMPLATE_PARAMETER_CHARS = 1024  # a template body parameter's limit
BUTTON_TITLE_CHARS = 20
BUTTON_ID_CHARS = 256
MAX_ROWS = 10
ROW_TITLE_CHARS = 24
ROW_DESCRIPTION_CHARS = 72
ROW_ID_CHARS = 200
TEXT_CHARS = 4096
INTERACTIVE_BODY_CHARS = 1024
CAPTION_CHARS = 1024  # an image's or a document's caption
MONOSPACE_CHARS = 34  # a table wider than this wraps on a phone: it goes as lines instead
SAYS = declared(
    {"whatsapp_choose_prompt": [], "whatsapp_list_button": [], "whatsapp_list_section": []}
)


@dataclass(frozen=True, slots=True)
class Controls:
    """The words WhatsApp's native controls need, from the domain."""

    choose_prompt: str  # a list's body when the message itself has no text to spare
    list_button: str  # the button that opens a list
    list_section: str  # the list's one section title
    text: Text | None = None  # the domain's words for rich messages as text

    @classmethod
    def from_domain(cls, domain: Domain) -> Controls:
        domain.require(SAYS, "the WhatsApp channel")
        domain.require(ATTACHMENT_SAYS, "rich messages in the chat apps")
        return cls(*(domain.text(key, {}) for key in SAYS), text=domain.text)


@dataclass(frozen=True, slots=True)
class WhatsAppSettings:
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    access_token: str = field(repr=False)
    phone_number_id: str
    api_base: str = GRAPH_API
    api_version: str = GRAPH_API_VERSION
    public_url: str = ""  # Teller's public address: images and documents go by link on it

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WhatsAppSettings | None:
        """None when no WhatsApp secret is set (the channel is off); half-set is an error."""
        values = [env.get(name, "").strip() for name in _REQUIRED]
        if not any(values):
            return None
        missing = [name for name, value in zip(_REQUIRED, values, strict=True) if not value]
        if missing:
            raise ConfigError(f"WhatsApp is partly configured; also set {', '.join(missing)}")
        return cls(
            *values,
            api_base=(env.get("WHATSAPP_API_BASE") or GRAPH_API).rstrip("/"),
            api_version=env.get("WHATSAPP_API_VERSION") or GRAPH_API_VERSION,
            public_url=(env.get("TELLER_PUBLIC_URL") or "").rstrip("/"),
        )


@dataclass(frozen=True, slots=True)
class Status:
    """A delivery status callback for a message we sent."""

    message_id: str
    status: str
    timestamp: str
    recipient_id: str
    errors: tuple[dict[str, Any], ...] = ()


def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of `X-Hub-Signature-256` ("sha256=" + hex HMAC of the raw body)."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def parse_delivery(body: Any, phone_number_id: str) -> tuple[list[ChatMessage], list[Status]]:
    """Messages and statuses for our phone number in a webhook body; anything else ignored."""
    messages: list[ChatMessage] = []
    statuses: list[Status] = []
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        return messages, statuses
    for entry in _dicts(body.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if not isinstance(metadata, dict) or metadata.get("phone_number_id") != phone_number_id:
                continue
            messages.extend(m for m in map(_message, _dicts(value.get("messages"))) if m)
            statuses.extend(s for s in map(_status, _dicts(value.get("statuses"))) if s)
    return messages, statuses


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _dict(value: Any) -> dict[str, Any]:
    """`value` if it is an object, else an empty one: a field of the wrong type reads as absent."""
    return value if isinstance(value, dict) else {}


def _message(raw: dict[str, Any]) -> ChatMessage | None:
    sender, message_id, kind = raw.get("from"), raw.get("id"), raw.get("type")
    if not isinstance(sender, str) or not isinstance(message_id, str) or not sender:
        return None
    base = ChatMessage(CHANNEL, sender, message_id)
    if kind == "text":
        text = _dict(raw.get("text")).get("body")
        return replace(base, text=text) if isinstance(text, str) and text.strip() else None
    if kind == "interactive":
        interactive = _dict(raw.get("interactive"))
        reply_kind = interactive.get("type")
        reply = _dict(interactive.get(reply_kind)) if isinstance(reply_kind, str) else {}
        if isinstance(reply.get("id"), str):
            return replace(base, text=str(reply.get("title", "")), payload=reply["id"])
        return replace(base, supported=False)
    if kind == "button":  # a quick-reply button on a template message
        button = _dict(raw.get("button"))
        if isinstance(button.get("payload"), str):
            return replace(base, text=str(button.get("text", "")), payload=button["payload"])
    if kind == "reaction":  # an emoji on one of our messages: nothing to answer
        return None
    if kind == "location":  # a pin the customer dropped or their current location
        return located(base, _dict(raw.get("location")))
    # image, audio, video, document, sticker, contacts, unsupported...:
    # answered politely, never processed.
    return replace(base, supported=False) if isinstance(kind, str) else None


def _status(raw: dict[str, Any]) -> Status | None:
    message_id, status = raw.get("id"), raw.get("status")
    if not isinstance(message_id, str) or not isinstance(status, str):
        return None
    return Status(
        message_id,
        status,
        str(raw.get("timestamp", "")),
        str(raw.get("recipient_id", "")),
        tuple(_dicts(raw.get("errors"))),
    )


def message_bodies(
    to: str,
    message: BotMessage,
    button_ids: Sequence[str],
    controls: Controls,
    public_url: str = "",
) -> list[dict[str, Any]]:
    """Graph API request bodies for one bot message: text, reply buttons, or a list, after
    its attachment's own message where WhatsApp has one.

    An image or a document goes by link (WhatsApp fetches it), captioned with the text
    when there are no buttons to go with it; a card or a table becomes formatted text
    (`rich_text`). Up to three short choices become reply buttons; more, or titles too
    long for a button, become a list of up to ten rows. A text too long for an
    interactive body goes first as a text message of its own.
    """
    media = _media(to, message, public_url)
    if media is not None:
        body, caption_field = media
        caption = message.text.strip()
        if not message.buttons and caption and len(caption) <= CAPTION_CHARS:
            body[body["type"]][caption_field] = caption
            return [body]
        if not message.buttons and not caption:
            return [body]
        bodies = [body]
        if not caption:
            message = replace(message, text=controls.choose_prompt)
        return bodies + message_bodies(to, replace(message, attachment=None), button_ids, controls)
    if message.attachment is not None:
        message = replace(message, text=rich_text(message, controls, public_url), attachment=None)
    return _plain_bodies(to, message, button_ids, controls)


def _media(to: str, message: BotMessage, public_url: str) -> tuple[dict[str, Any], str] | None:
    """An image or document message by link, and the name of its caption field; None if
    the attachment is neither or its link is not one WhatsApp can fetch."""
    attachment = message.attachment
    if not isinstance(attachment, Image | File):
        return None
    link = absolute(attachment.url, public_url)
    if link is None:
        return None
    if isinstance(attachment, Image):
        return {**_envelope(to), "type": "image", "image": {"link": link}}, "caption"
    document = {"link": link, "filename": attachment.name}
    return {**_envelope(to), "type": "document", "document": document}, "caption"


def rich_text(message: BotMessage, controls: Controls, public_url: str) -> str:
    """A card or a table in WhatsApp's own formatting (bold, monospace); other kinds as the
    readable text fallback (its links on Teller's public address)."""
    attachment = message.attachment
    if isinstance(attachment, SummaryCard):
        lines = [f"*{attachment.title}*"]
        if attachment.amount:
            lines.append(f"*{attachment.amount}*")
        return "\n".join([*lines, *attachment.lines])
    if isinstance(attachment, Table):
        aligned = table_lines(attachment)
        if max(map(len, aligned), default=0) <= MONOSPACE_CHARS:
            return f"*{attachment.caption}*\n```\n" + "\n".join(aligned) + "\n```"
        rows = [" · ".join(cell for cell in row if cell) for row in attachment.rows]
        return "\n".join([f"*{attachment.caption}*", *rows])
    if controls.text is None:
        return message.text
    return fallback_text(message, controls.text, public_url)


def _plain_bodies(
    to: str, message: BotMessage, button_ids: Sequence[str], controls: Controls
) -> list[dict[str, Any]]:
    """Text, reply buttons or a list (see `message_bodies`)."""
    if not message.buttons:
        return [_text(to, chunk) for chunk in split_text(message.text, TEXT_CHARS)]
    bodies: list[dict[str, Any]] = []
    body_text = message.text.strip() or controls.choose_prompt
    if len(body_text) > INTERACTIVE_BODY_CHARS:
        bodies.extend(_text(to, chunk) for chunk in split_text(body_text, TEXT_CHARS))
        body_text = controls.choose_prompt
    pairs = list(zip(message.buttons, button_ids, strict=True))
    if len(pairs) <= MAX_BUTTONS and all(len(b.title) <= BUTTON_TITLE_CHARS for b, _ in pairs):
        action: dict[str, Any] = {
            "buttons": [
                {"type": "reply", "reply": {"id": button_id, "title": button.title}}
                for button, button_id in pairs
            ]
        }
        kind = "button"
    else:
        if len(pairs) > MAX_ROWS:
            log.warning("whatsapp list shows %d of %d choices", MAX_ROWS, len(pairs))
        rows = [_row(b, i) for b, i in pairs[:MAX_ROWS]]
        action = {
            "button": controls.list_button,
            "sections": [{"title": controls.list_section, "rows": rows}],
        }
        kind = "list"
    interactive = {"type": kind, "body": {"text": body_text}, "action": action}
    bodies.append({**_envelope(to), "type": "interactive", "interactive": interactive})
    return bodies


def _row(button: Button, button_id: str) -> dict[str, str]:
    row = {"id": button_id, "title": _shorten(button.title, ROW_TITLE_CHARS)}
    if len(button.title) > ROW_TITLE_CHARS:
        row["description"] = _shorten(button.title, ROW_DESCRIPTION_CHARS)
    return row


def _envelope(to: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}


def _text(to: str, text: str) -> dict[str, Any]:
    return {**_envelope(to), "type": "text", "text": {"preview_url": False, "body": text}}


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Deliveries:
    """What we sent on WhatsApp and what became of it (the `ChatStore`'s deliveries)."""

    def __init__(self, store: ChatStore) -> None:
        self._store = store

    async def sent(self, message_id: str, conversation_id: str | None, recipient: str) -> None:
        await self._store.sent(message_id, CHANNEL, conversation_id, recipient, time.time())

    async def record(self, status: Status) -> None:
        """Add a status callback; a repeated callback is stored once.

        Callbacks arrive in any order (a "read" may overtake its "delivered"), so the
        record is the set of statuses with their platform timestamps, not a latest one.
        """
        entry: dict[str, Any] = {"status": status.status, "timestamp": status.timestamp}
        if status.errors:
            entry["errors"] = list(status.errors)
        await self._store.delivery_status(status.message_id, CHANNEL, entry, time.time())


class WhatsAppSender:
    """Sends bot messages through `POST {base}/{version}/{phone-number-id}/messages`."""

    def __init__(
        self,
        *,
        settings: WhatsAppSettings,
        http: httpx.AsyncClient,
        buttons: ButtonIds,
        deliveries: Deliveries,
        controls: Controls,
    ) -> None:
        self._controls = controls
        self._public_url = settings.public_url
        base = f"{settings.api_base}/{settings.api_version}"
        self._url = f"{base}/{settings.phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {settings.access_token}"}
        self._http = http
        self._buttons = buttons
        self._deliveries = deliveries

    async def send(self, conversation: ConversationRecord, messages: Sequence[BotMessage]) -> None:
        if not conversation.channel_user_id:
            raise DeliveryFailed(f"conversation {conversation.id} has no WhatsApp recipient")
        await self.send_to(conversation.channel_user_id, messages, conversation.id)

    async def send_to(
        self, user_id: str, messages: Sequence[BotMessage], conversation_id: str | None = None
    ) -> None:
        for message in messages:
            limit = ROW_ID_CHARS if len(message.buttons) > MAX_BUTTONS else BUTTON_ID_CHARS
            ids = [await self._buttons.encode(b.payload, limit) for b in message.buttons]
            bodies = message_bodies(user_id, message, ids, self._controls, self._public_url)
            for body in bodies:
                message_id = await self._post(body)
                await self._deliveries.sent(message_id, conversation_id, user_id)

    async def send_template(
        self,
        user_id: str,
        name: str,
        language: str,
        parameters: Sequence[str],
        conversation_id: str | None = None,
    ) -> None:
        """A template message: all the Cloud API lets a business send outside the 24 hours
        after the customer's last message. Its body's parameters may hold no new lines,
        tabs or runs of spaces, and at most 1,024 characters."""
        body = {
            **_envelope(user_id),
            "type": "template",
            "template": {
                "name": name,
                "language": {"code": language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": _template_text(p)} for p in parameters
                        ],
                    }
                ],
            },
        }
        message_id = await self._post(body)
        await self._deliveries.sent(message_id, conversation_id, user_id)

    async def acknowledge(self, message: ChatMessage) -> None:
        """WhatsApp needs no acknowledgement of a button press."""

    async def _post(self, body: dict[str, Any]) -> str:
        try:
            response = await self._http.post(self._url, json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"Graph API unreachable: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise DeliveryFailed(f"Graph API answered {response.status_code}: {_error(response)}")
        try:
            return str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise DeliveryFailed("Graph API answered without a message id") from None


def _template_text(text: str) -> str:
    return _shorten(" ".join(text.split()), TEMPLATE_PARAMETER_CHARS)


def _error(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('code')} {error.get('message')}"
    except (ValueError, AttributeError):
        return response.text[:200]


@dataclass(frozen=True, slots=True)
class WhatsAppChannel:
    settings: WhatsAppSettings
    sender: WhatsAppSender
    deliveries: Deliveries
    messaging: Messaging


WHATSAPP: Provided[WhatsAppChannel | None] = Provided("whatsapp")


On = Annotated[WhatsAppChannel, Depends(switched_on(WHATSAPP))]
router = APIRouter()


@router.get("/webhooks/whatsapp", include_in_schema=False)
async def verify(request: Request, whatsapp: On) -> Response:
    """Meta's subscription handshake: echo `hub.challenge` if the verify token matches."""
    params = request.query_params
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        token.encode(), whatsapp.settings.verify_token.encode()
    ):
        raise HTTPException(403, "Forbidden")
    return PlainTextResponse(params.get("hub.challenge", ""))


@router.post("/webhooks/whatsapp", include_in_schema=False)
async def deliver(request: Request, whatsapp: On) -> dict[str, str]:
    raw = await request.body()
    signature = request.headers.get("x-hub-signature-256")
    if not signature:
        raise HTTPException(401, "Missing signature")
    if not signature_ok(whatsapp.settings.app_secret, raw, signature):
        raise HTTPException(403, "Bad signature")
    try:
        body = json.loads(raw)
    except ValueError:
        raise HTTPException(400, "Body is not JSON") from None
    messages, statuses = parse_delivery(body, whatsapp.settings.phone_number_id)
    if statuses:
        whatsapp.messaging.run_later(_record_all(whatsapp.deliveries, statuses))
    try:
        await whatsapp.messaging.take(messages)
    except NotTaken:  # stored nothing of it: Meta delivers it again later
        raise HTTPException(503, "Try again later", headers={"Retry-After": "5"}) from None
    return {"status": "ok"}


async def _record_all(deliveries: Deliveries, statuses: Sequence[Status]) -> None:
    for status in statuses:
        try:
            await deliveries.record(status)
        except Exception:
            log.exception("could not record WhatsApp status for %s", status.message_id)
