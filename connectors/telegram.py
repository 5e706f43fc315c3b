"""Telegram Bot API: the `/webhooks/telegram` webhook, `sendMessage` and `answerCallbackQuery`.

Telegram proves a delivery is its own by echoing the secret token given to `setWebhook`
in `X-Telegram-Bot-Api-Secret-Token`; anything without it is refused unread. Only
private chats are served: a bank conversation does not belong in a group, where the
"sender" is a room full of people.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request

from bot.config import ConfigError
from bot.dialogue.domain import Domain
from bot.handlers import declared
from bot.messages import BotMessage, Button, File, Image, Places, SummaryCard, Table
from bot.ports import ConversationRecord
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

CHANNEL = "telegram"
BOT_API = "https://api.telegram.org"
CALLBACK_DATA_BYTES = 64
TEXT_CHARS = 4096
CAPTION_CHARS = 1024  # a photo's or a document's caption
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Telegram's own commands, mapped to the intents they mean.
_COMMANDS = {"/start": "/greet", "/help": "/help"}
SAYS = declared({"telegram_empty_text": []})


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    bot_token: str = field(repr=False)
    secret_token: str = field(repr=False)
    api_base: str = BOT_API
    public_url: str = ""  # Teller's public address: photos and documents go by link on it

    @property
    def bot_id(self) -> str:
        """The bot's numeric id: the part of the token before the colon."""
        return self.bot_token.split(":", 1)[0]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TelegramSettings | None:
        """None when neither secret is set (the channel is off); half-set is an error."""
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        secret = env.get("TELEGRAM_SECRET_TOKEN", "").strip()
        if not token and not secret:
            return None
        if not token or not secret:
            missing = "TELEGRAM_SECRET_TOKEN" if token else "TELEGRAM_BOT_TOKEN"
            raise ConfigError(f"Telegram is partly configured; also set {missing}")
        if not _SECRET_TOKEN.match(secret):
            raise ConfigError("TELEGRAM_SECRET_TOKEN must be 1-256 of A-Z, a-z, 0-9, _ and -")
        return cls(
            token,
            secret,
            (env.get("TELEGRAM_API_BASE") or BOT_API).rstrip("/"),
            (env.get("TELLER_PUBLIC_URL") or "").rstrip("/"),
        )


def secret_ok(expected: str, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(expected.encode(), header.encode())


def parse_update(update: Any, bot_id: str) -> ChatMessage | None:
    """The customer message in an update, or None for anything we do not answer.

    Update ids count per bot, so the message id is "<bot id>:<update id>": a new bot token
    (or a test) never finds its updates taken for repeats of another bot's.
    """
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return None
    update_id = f"{bot_id}:{update['update_id']}"
    if isinstance(update.get("message"), dict):
        message = update["message"]
        chat_id = _private_chat(message)
        if chat_id is None:
            return None
        text = message.get("text")
        if isinstance(message.get("location"), dict):  # a location the customer sent
            return located(ChatMessage(CHANNEL, chat_id, update_id), message["location"])
        if not isinstance(text, str) or not text.strip():
            return ChatMessage(CHANNEL, chat_id, update_id, supported=False)
        command = _COMMANDS.get(text.split(maxsplit=1)[0].split("@")[0])
        return ChatMessage(CHANNEL, chat_id, update_id, text=text, payload=command)
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("id"), str):
        message = query.get("message")
        chat_id = _private_chat(message) if isinstance(message, dict) else None
        data = query.get("data")
        if chat_id is None or not isinstance(data, str):
            return None
        title = _button_title(message, data) or data
        return ChatMessage(
            CHANNEL, chat_id, update_id, text=title, payload=data, callback_id=query["id"]
        )
    return None  # edited messages, channel posts, member updates...: nothing to answer


def _private_chat(message: dict[str, Any]) -> str | None:
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return None
    chat_id = chat.get("id")
    return str(chat_id) if isinstance(chat_id, int) else None


def _button_title(message: dict[str, Any], data: str) -> str | None:
    """The title of the pressed button, from the keyboard Telegram sends back with the press."""
    markup = message.get("reply_markup")
    keyboard = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in keyboard if isinstance(keyboard, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                return str(button.get("text", "")) or None
    return None


def html_form(message: BotMessage, text: Text, public_url: str) -> str | None:
    """A card, a table or places as Telegram HTML (`parse_mode: HTML`): the table aligned in
    `<pre>`, bold titles, map links; None for other kinds (and for no attachment)."""
    attachment = message.attachment
    if isinstance(attachment, SummaryCard):
        lines = [f"<b>{html.escape(attachment.title)}</b>"]
        if attachment.amount:
            lines.append(f"<b>{html.escape(attachment.amount)}</b>")
        return "\n".join([*lines, *(html.escape(line) for line in attachment.lines)])
    if isinstance(attachment, Table):
        aligned = html.escape("\n".join(table_lines(attachment)))
        return f"<b>{html.escape(attachment.caption)}</b>\n<pre>{aligned}</pre>"
    if isinstance(attachment, Places):
        parts = [html.escape(message.text)] if message.text.strip() else []
        for place in attachment.places:
            said = {"name": place.name, "address": place.address, "distance": place.distance}
            lines = [f"<b>{html.escape(text('rich_place_line', said))}</b>"]
            if place.open_now is not None:
                lines.append(text("rich_place_open" if place.open_now else "rich_place_closed", {}))
            lines.extend(html.escape(detail) for detail in place.details)
            link = absolute(place.map_url, public_url)
            if link:
                label = html.escape(text("rich_place_map_link", {"name": place.name}))
                lines.append(f'<a href="{html.escape(link, quote=True)}">{label}</a>')
            parts.append("\n".join(lines))
        return "\n\n".join(parts)
    return None


class TelegramSender:
    """Sends bot messages with `sendMessage`; buttons become an inline keyboard. An image
    goes with `sendPhoto` and a file with `sendDocument`, by link (Telegram fetches it),
    captioned with the text; a card, a table or places as HTML; anything Telegram cannot
    show as the readable text fallback."""

    def __init__(
        self,
        *,
        settings: TelegramSettings,
        http: httpx.AsyncClient,
        buttons: ButtonIds,
        domain: Domain,
    ) -> None:
        domain.require(SAYS, "the Telegram channel")
        domain.require(ATTACHMENT_SAYS, "rich messages in the chat apps")
        self._text = domain.text
        self._public_url = settings.public_url
        self._base = f"{settings.api_base}/bot{settings.bot_token}"
        self._http = http
        self._buttons = buttons
        self._empty = domain.text("telegram_empty_text", {})  # Telegram refuses empty text

    async def send(self, conversation: ConversationRecord, messages: Sequence[BotMessage]) -> None:
        if not conversation.channel_user_id:
            raise DeliveryFailed(f"conversation {conversation.id} has no Telegram chat")
        await self.send_to(conversation.channel_user_id, messages, conversation.id)

    async def send_to(
        self, user_id: str, messages: Sequence[BotMessage], conversation_id: str | None = None
    ) -> None:
        for message in messages:
            markup = await self._markup(message)
            if await self._media(user_id, message, markup):
                continue
            formatted = html_form(message, self._text, self._public_url)
            if formatted is not None and len(formatted) <= TEXT_CHARS:
                body = {"chat_id": user_id, "text": formatted, "parse_mode": "HTML", **markup}
                body["link_preview_options"] = {"is_disabled": True}
                await self._call("sendMessage", body)
                continue
            text = fallback_text(message, self._text, self._public_url)
            *first, last = split_text(text or self._empty, TEXT_CHARS)
            for chunk in first:
                await self._call("sendMessage", {"chat_id": user_id, "text": chunk})
            await self._call("sendMessage", {"chat_id": user_id, "text": last, **markup})

    async def _markup(self, message: BotMessage) -> dict[str, Any]:
        if not message.buttons:
            return {}
        return {"reply_markup": {"inline_keyboard": [await self._row(b) for b in message.buttons]}}

    async def _media(self, user_id: str, message: BotMessage, markup: dict[str, Any]) -> bool:
        """An image by `sendPhoto`, a file by `sendDocument`; False if neither (or its link
        is not one Telegram can fetch). A text too long for a caption goes first on its own."""
        attachment = message.attachment
        if not isinstance(attachment, Image | File):
            return False
        link = absolute(attachment.url, self._public_url)
        if link is None:
            return False
        method, field_name = (
            ("sendPhoto", "photo")
            if isinstance(attachment, Image)
            else (
                "sendDocument",
                "document",
            )
        )
        caption = message.text.strip()
        if len(caption) > CAPTION_CHARS:
            for chunk in split_text(caption, TEXT_CHARS):
                await self._call("sendMessage", {"chat_id": user_id, "text": chunk})
            caption = attachment.alt[:CAPTION_CHARS] if isinstance(attachment, Image) else ""
        body: dict[str, Any] = {"chat_id": user_id, field_name: link, **markup}
        if caption:
            body["caption"] = caption
        await self._call(method, body)
        return True

    async def _row(self, button: Button) -> list[dict[str, str]]:
        """One button per row: titles such as payee names read better full width."""
        data = await self._buttons.encode(button.payload, CALLBACK_DATA_BYTES)
        return [{"text": button.title, "callback_data": data}]

    async def acknowledge(self, message: ChatMessage) -> None:
        """Stop the button's loading spinner: Telegram expects an answer to every press."""
        if message.callback_id is not None:
            await self._call("answerCallbackQuery", {"callback_query_id": message.callback_id})

    async def _call(self, method: str, body: dict[str, Any]) -> None:
        try:
            response = await self._http.post(f"{self._base}/{method}", json=body)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"Bot API unreachable: {type(exc).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code >= 400 or not answer.get("ok"):
            # The URL holds the bot token: report the method only.
            raise DeliveryFailed(
                f"Bot API {method} answered {response.status_code}: {answer.get('description')}"
            )


@dataclass(frozen=True, slots=True)
class TelegramChannel:
    settings: TelegramSettings
    sender: TelegramSender
    messaging: Messaging


TELEGRAM: Provided[TelegramChannel | None] = Provided("telegram")


On = Annotated[TelegramChannel, Depends(switched_on(TELEGRAM))]
router = APIRouter()


@router.post("/webhooks/telegram", include_in_schema=False)
async def deliver(request: Request, telegram: On) -> dict[str, bool]:
    header = request.headers.get("x-telegram-bot-api-secret-token")
    if not secret_ok(telegram.settings.secret_token, header):
        raise HTTPException(401, "Bad secret token")
    try:
        update = json.loads(await request.body())
    except ValueError:
        raise HTTPException(400, "Body is not JSON") from None
    message = parse_update(update, telegram.settings.bot_id)
    if message is not None:
        try:
            await telegram.messaging.take([message])
        except NotTaken:  # stored nothing of it: Telegram delivers the update again later
            raise HTTPException(503, "Try again later", headers={"Retry-After": "5"}) from None
    return {"ok": True}
