"""What WhatsApp and Telegram have in common once a webhook is verified and parsed.

A webhook hands over `ChatMessage`s and is answered at once: the platforms retry a
delivery that is not acknowledged quickly, so the turn and the replies run afterwards
in a task. Here a message is deduplicated by its platform id (platforms deliver at least
once), the chat is serialised by a lock so its turns keep their order on any worker, the
sender is resolved to a customer through account linking (or stays anonymous), "link"
and "unlink" are handled before the dialogue sees them, and the chat is mapped to a
conversation: one per chat and customer, so linking or unlinking starts a fresh one and
a customer's conversation can never be continued anonymously or by someone else.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.auth.identity import AuthLevel, Identity
from bot.dialogue.domain import Domain
from bot.handlers import declared
from bot.linking import AccountLinks, LinkOutcome
from bot.messages import BotMessage, InboundMessage
from bot.ports import (
    ChatLink,
    ChatStore,
    ConversationNotFound,
    ConversationRecord,
    OnceGuard,
    TurnLock,
)
from bot.turn import TurnEngine

log = logging.getLogger(__name__)

# Platforms retry for days (WhatsApp up to 7); a repeat inside this window is dropped.
DEDUP_TTL_SECONDS = 7 * 24 * 3600
DRAIN_SECONDS = 10.0

# What the chat apps say outside a turn, from bot/domain/channels.yml.
SAYS = declared(
    {
        "utter_unsupported_media": [],
        "utter_trouble": [],
        "utter_link_hint": [],
        "utter_link_help": ["minutes"],
        "utter_unlinked": [],
        "utter_not_linked": [],
        "utter_link_new_chat_notice": ["chat"],
        **{f"chat_label_{channel}": ["ending"] for channel in ("whatsapp", "telegram")},
        **{f"utter_link_{outcome.value}": ["minutes"] for outcome in LinkOutcome},
    }
)

# "link ABCD-2345", "link abcd 2345", or "link" alone (help). Anything else after "link"
# that has no digit ("link my card") is not a code, and goes to the dialogue.
_LINK = re.compile(r"^\s*link\s*(?P<code>[A-Za-z0-9\s-]*)\s*$", re.IGNORECASE)
_UNLINK = re.compile(r"^\s*unlink\s*$", re.IGNORECASE)


class DeliveryFailed(RuntimeError):
    """The platform refused or never answered a send; the message did not go out."""


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One inbound message as a channel parsed it from its webhook.

    `supported` is False for media the bot cannot read (images, voice...): it gets a
    polite reply and no turn. `callback_id` is the platform's handle for acknowledging a
    button press (Telegram's callback query), if it needs one.
    """

    channel: str
    user_id: str
    message_id: str
    text: str = ""
    payload: str | None = None
    supported: bool = True
    callback_id: str | None = None


class ChatSender(Protocol):
    """A channel's way out: `send` (the `ChannelSender` port) plus what messaging needs."""

    async def send(
        self, conversation: ConversationRecord, messages: Sequence[BotMessage]
    ) -> None: ...

    async def send_to(
        self, user_id: str, messages: Sequence[BotMessage], conversation_id: str | None = None
    ) -> None: ...

    async def acknowledge(self, message: ChatMessage) -> None:
        """Tell the platform a button press was received (a no-op where none is needed)."""
        ...


class ButtonIds:
    """Button payloads as platform button ids, which have byte limits (Telegram: 64).

    A payload that fits is sent as is. A longer one is replaced by "~" and a digest, and
    the payload is stored under that digest, so any worker can map a press back.
    """

    MARK = "~"

    def __init__(self, store: ChatStore) -> None:
        self._store = store

    async def encode(self, payload: str, max_bytes: int) -> str:
        if len(payload.encode()) <= max_bytes and not payload.startswith(self.MARK):
            return payload
        digest = hashlib.sha256(payload.encode()).digest()
        button_id = self.MARK + base64.urlsafe_b64encode(digest[:18]).decode()
        await self._store.put_payload(button_id, payload, time.time())
        return button_id

    async def decode(self, button_id: str) -> str | None:
        """The payload a pressed button stands for; None for an unknown digest."""
        if not button_id.startswith(self.MARK):
            return button_id
        return await self._store.payload(button_id)


class ChatConversations:
    """Which conversation a chat continues, per customer (None: anonymous).

    The mapping never changes once written, so it is cached in process.
    """

    def __init__(self, store: ChatStore, capacity: int = 20_000) -> None:
        self._store = store
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity

    @staticmethod
    def _key(channel: str, user_id: str, customer_id: str | None) -> str:
        return f"{channel}:{user_id}:{customer_id or '-'}"

    async def current(self, channel: str, user_id: str, customer_id: str | None) -> str | None:
        key = self._key(channel, user_id, customer_id)
        found = self._cache.get(key)
        if found is None:
            found = await self._store.chat_conversation(key)
        if found is not None:
            self._remember(key, found)
        return found

    async def start(
        self, channel: str, user_id: str, customer_id: str | None, conversation_id: str
    ) -> None:
        key = self._key(channel, user_id, customer_id)
        await self._store.start_chat_conversation(key, conversation_id, time.time())
        self._remember(key, conversation_id)

    def _remember(self, key: str, conversation_id: str) -> None:
        self._cache[key] = conversation_id
        self._cache.move_to_end(key)
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)


class Messaging:
    """Runs messaging-channel turns after their webhooks have been acknowledged."""

    def __init__(
        self,
        *,
        engine: TurnEngine,
        links: AccountLinks,
        conversations: ChatConversations,
        buttons: ButtonIds,
        once: OnceGuard,
        lock: TurnLock,
        senders: Mapping[str, ChatSender],
        domain: Domain,
    ) -> None:
        domain.require(SAYS, "the chat apps")
        self._domain = domain
        self._engine = engine
        self._links = links
        self._conversations = conversations
        self._buttons = buttons
        self._once = once
        self._lock = lock
        self.senders = dict(senders)
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, messages: Sequence[ChatMessage]) -> int:
        """Drop repeats, queue the rest for processing in order; returns how many are new.

        Raises StoreUnavailable when dedup cannot be checked, so the webhook fails and the
        platform delivers again later.
        """
        fresh = [
            m
            for m in messages
            if await self._once.first_time(f"{m.channel}:{m.message_id}", DEDUP_TTL_SECONDS)
        ]
        if fresh:
            self.run_later(self._process_all(fresh))
        return len(fresh)

    def run_later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after the webhook has answered; `close()` waits for it."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Let in-flight turns finish (bounded) before the process stops."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=DRAIN_SECONDS)

    async def _process_all(self, messages: Sequence[ChatMessage]) -> None:
        for message in messages:
            await _logged(self._process(message), message)

    async def _process(self, message: ChatMessage) -> None:
        sender = self.senders[message.channel]
        if message.callback_id is not None:
            await _logged(sender.acknowledge(message), message)
        try:
            async with self._lock.hold(f"chat:{message.channel}:{message.user_id}"):
                replies, conversation_id = await self._answer(message)
        except Exception:
            log.exception("%s message %s failed", message.channel, message.message_id)
            replies, conversation_id = [self._say("utter_trouble")], None
        if replies:
            await sender.send_to(message.user_id, replies, conversation_id)

    async def _answer(self, message: ChatMessage) -> tuple[list[BotMessage], str | None]:
        if not message.supported:
            return [self._say("utter_unsupported_media")], None
        if message.payload is not None:
            # An unknown digest (e.g. from a very old message) falls back to the title.
            message = replace(message, payload=await self._buttons.decode(message.payload))
        if message.payload is None:
            command = await self._command(message)
            if command is not None:
                return [command], None
        customer_id = await self._links.customer_for(message.channel, message.user_id)
        identity = (
            Identity(customer_id, AuthLevel.IDENTIFIED) if customer_id else Identity.anonymous()
        )
        known = await self._conversations.current(message.channel, message.user_id, customer_id)
        try:
            outcome = await self._engine.handle(identity, self._inbound(message, known))
        except ConversationNotFound:  # its events are gone: start over rather than go silent
            known = None
            outcome = await self._engine.handle(identity, self._inbound(message, None))
        replies = list(outcome.messages)
        if known is None:
            await self._conversations.start(
                message.channel, message.user_id, customer_id, outcome.conversation_id
            )
            if customer_id is None:
                replies.append(self._say("utter_link_hint"))
        return replies, outcome.conversation_id

    async def _command(self, message: ChatMessage) -> BotMessage | None:
        """Answer "link <code>" and "unlink" here: the code must never reach NLU or the log."""
        if _UNLINK.match(message.text):
            removed = await self._links.unlink(message.channel, message.user_id)
            return self._say("utter_unlinked" if removed else "utter_not_linked")
        match = _LINK.match(message.text)
        if match is None:
            return None
        code = re.sub(r"[\s-]", "", match.group("code"))
        minutes = {"minutes": self._links.settings.code_ttl_seconds // 60}
        if not code:
            return self._say("utter_link_help", minutes)
        if not any(c.isdigit() for c in code):
            return None
        outcome = await self._links.link(message.channel, message.user_id, code, self._announce)
        return self._say(f"utter_link_{outcome.value}", minutes)

    async def _announce(self, to: ChatLink, new: ChatLink) -> None:
        """Tell a linked chat that another chat now speaks for the same customer."""
        sender = self.senders.get(to.channel)
        if sender is None:
            raise DeliveryFailed(f"{to.channel} is off: cannot reach chat {to.id}")
        chat = self._domain.text(f"chat_label_{new.channel}", {"ending": new.channel_user_id[-4:]})
        notice = self._say("utter_link_new_chat_notice", {"chat": chat})
        await sender.send_to(to.channel_user_id, [notice])

    def _say(self, key: str, variables: Mapping[str, Any] | None = None) -> BotMessage:
        return self._domain.render(key, variables or {}, 0)

    @staticmethod
    def _inbound(message: ChatMessage, conversation_id: str | None) -> InboundMessage:
        return InboundMessage(
            channel=message.channel,
            text=message.text,
            payload=message.payload,
            conversation_id=conversation_id,
            channel_message_id=message.message_id,
            channel_user_id=message.user_id,
        )


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters (platforms cap a message's length)."""
    return [text[i : i + limit] for i in range(0, len(text), limit)] or [""]


async def _logged(work: Awaitable[None], message: ChatMessage) -> None:
    """Await `work`; a failure is logged, never allowed to stop the next message."""
    try:
        await work
    except Exception:
        log.exception("%s message %s: delivery failed", message.channel, message.message_id)
