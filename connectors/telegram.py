"""Telegram Bot API: the `/webhooks/telegram` webhook, `sendMessage` and `answerCallbackQuery`.

Telegram proves a delivery is its own by echoing the secret token given to `setWebhook`
in `X-Telegram-Bot-Api-Secret-Token`; anything without it is refused unread. Only
private chats are served: a bank conversation does not belong in a group, where the
"sender" is a room full of people.
"""

from __future__ import annotations

import hmac
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
from bot.messages import BotMessage, Button
from bot.ports import ConversationRecord
from connectors.deps import Provided, switched_on
from connectors.messaging import (
    ButtonIds,
    ChatMessage,
    DeliveryFailed,
    Messaging,
    NotTaken,
    split_text,
)

log = logging.getLogger(__name__)

CHANNEL = "telegram"
BOT_API = "https://api.telegram.org"
CALLBACK_DATA_BYTES = 64
TEXT_CHARS = 4096
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Telegram's own commands, mapped to the intents they mean.
_COMMANDS = {"/start": "/greet", "/help": "/help"}
SAYS = declared({"telegram_empty_text": []})


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    bot_token: str = field(repr=False)
    secret_token: str = field(repr=False)
    api_base: str = BOT_API

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
        return cls(token, secret, (env.get("TELEGRAM_API_BASE") or BOT_API).rstrip("/"))


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


class TelegramSender:
    """Sends bot messages with `sendMessage`; buttons become an inline keyboard."""

    def __init__(
        self,
        *,
        settings: TelegramSettings,
        http: httpx.AsyncClient,
        buttons: ButtonIds,
        domain: Domain,
    ) -> None:
        domain.require(SAYS, "the Telegram channel")
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
            *first, last = split_text(message.text or self._empty, TEXT_CHARS)
            for chunk in first:
                await self._call("sendMessage", {"chat_id": user_id, "text": chunk})
            body: dict[str, Any] = {"chat_id": user_id, "text": last}
            if message.buttons:
                body["reply_markup"] = {
                    "inline_keyboard": [await self._row(b) for b in message.buttons]
                }
            await self._call("sendMessage", body)

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
