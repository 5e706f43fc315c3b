"""What WhatsApp and Telegram have in common once a webhook is verified and parsed.

Platforms deliver at least once, and deliver again what was not acknowledged: so a
webhook is answered only once each of its messages is taken, i.e. its turn is stored
(or it was a repeat), and a message that could not be taken makes the webhook answer 503
(`NotTaken`), so that the platform delivers it again later. Each message is claimed by
its platform id for a short lease while it is processed (`DeliveryClaims`) and marked
done once its turn is stored: a worker that dies mid-turn leaves no answer and an
expiring claim, so the platform's retry is processed by whoever gets it next; a retry
while the first is still running is told to come back (503); a retry of a finished one
is dropped. Should a claim run out while its turn still runs, the conversation itself
knows the message id and stores the repeat's turn no second time.

Here too the chat is serialised by a lock so its turns keep their order on any worker,
the sender is resolved to a customer through account linking (or stays anonymous), "link"
and "unlink" are handled before the dialogue sees them, and the chat is mapped to a
conversation: one per chat and customer, so linking or unlinking starts a fresh one and
a customer's conversation can never be continued anonymously or by someone else.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.auth.identity import AuthLevel, Identity
from bot.dialogue.domain import Domain
from bot.handlers import declared
from bot.linking import AccountLinks, LinkOutcome
from bot.messages import BotMessage, InboundMessage, shared_location
from bot.ports import (
    ChatLink,
    ChatStore,
    Claim,
    ConversationNotFound,
    ConversationRecord,
    DeliveryClaims,
    LockTimeout,
    SeqConflict,
    StoreUnavailable,
    TurnLock,
)
from bot.turn import RepeatedMessage, TurnEngine

log = logging.getLogger(__name__)

# Platforms retry for days (WhatsApp up to 7); a repeat inside this window is dropped.
DEDUP_TTL_SECONDS = 7 * 24 * 3600
# How long a delivery is claimed while its turn runs: as long as a turn's locks are held
# (bot.store.redis.RedisTurnLock), since a retry cannot run before they are free anyway.
DELIVERY_LEASE_SECONDS = 30.0
DRAIN_SECONDS = 10.0
# What makes a message not taken now but worth delivering again: nothing was stored.
_TRANSIENT = (StoreUnavailable, LockTimeout, SeqConflict)

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


class NotTaken(RuntimeError):
    """A message of the delivery could not be taken now (being processed elsewhere, or a
    store is away): nothing of it was stored, and the webhook asks the platform to
    deliver it again (503)."""


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


def located(base: ChatMessage, location: Any) -> ChatMessage:
    """A location message (WhatsApp's `location`, Telegram's `message.location`) as the turn
    the engine reads it as (`bot.messages.shared_location`); one without two numbers is media
    we cannot read. Whether the numbers are a place on Earth, the dialogue says."""
    found = location if isinstance(location, dict) else {}
    latitude, longitude = found.get("latitude"), found.get("longitude")
    if not all(
        isinstance(c, int | float) and not isinstance(c, bool) for c in (latitude, longitude)
    ):
        return replace(base, supported=False)
    try:
        text, payload = shared_location(latitude, longitude)
    except ValueError:
        return replace(base, supported=False)
    return replace(base, text=text, payload=payload)


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
    """Runs messaging-channel turns for the webhooks, each message taken once."""

    def __init__(
        self,
        *,
        engine: TurnEngine,
        links: AccountLinks,
        conversations: ChatConversations,
        buttons: ButtonIds,
        claims: DeliveryClaims,
        lock: TurnLock,
        senders: Mapping[str, ChatSender],
        domain: Domain,
        lease_seconds: float = DELIVERY_LEASE_SECONDS,
    ) -> None:
        domain.require(SAYS, "the chat apps")
        self._domain = domain
        self._engine = engine
        self._links = links
        self._conversations = conversations
        self._buttons = buttons
        self._claims = claims
        self._lock = lock
        self._lease = lease_seconds
        self.senders = dict(senders)
        self._tasks: set[asyncio.Task[None]] = set()

    async def take(self, messages: Sequence[ChatMessage]) -> None:
        """Process a delivery's messages in order, each through to its stored turn and its
        replies; repeats are dropped. Raises NotTaken if any message could not be taken
        (the others are), so that the webhook fails and the platform delivers it again; a
        chat's later messages in the same delivery wait for that redelivery too, so its
        turns keep their order."""
        left_out: set[tuple[str, str]] = set()
        for message in messages:
            chat = (message.channel, message.user_id)
            if chat in left_out:
                continue
            try:
                await self._take(message)
            except NotTaken:
                left_out.add(chat)
        if left_out:
            raise NotTaken(f"{len(left_out)} chat(s) of this delivery not taken")

    async def _take(self, message: ChatMessage) -> None:
        key = f"{message.channel}:{message.message_id}"
        token = secrets.token_hex(8)
        try:
            claim = await self._claims.claim(key, token, self._lease)
        except StoreUnavailable as exc:
            raise NotTaken(f"{key}: delivery dedup unavailable") from exc
        if claim is Claim.DONE:
            return  # a repeat of a message already taken
        if claim is Claim.BUSY:
            raise NotTaken(f"{key} is being processed")
        try:
            await self._process(message, key)
        except BaseException:
            with contextlib.suppress(Exception):  # else the lease frees it
                await self._claims.release(key, token)
            raise

    def run_later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after the webhook has answered; `close()` waits for it."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Let background work (delivery statuses) finish, bounded, before the process stops."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=DRAIN_SECONDS)

    async def _process(self, message: ChatMessage, key: str) -> None:
        """The message's turn, then done, then its replies; NotTaken if nothing could be
        stored for now. A turn that fails for good is answered with an apology and done:
        delivering it again would fail again."""
        sender = self.senders[message.channel]
        if message.callback_id is not None:
            await _logged(sender.acknowledge(message), message)
        try:
            async with self._lock.hold(f"chat:{message.channel}:{message.user_id}"):
                replies, conversation_id = await self._answer(message)
        except RepeatedMessage:
            replies, conversation_id = [], None  # stored by an earlier delivery of it
        except _TRANSIENT as exc:
            log.warning("%s message %s not taken: %s", message.channel, message.message_id, exc)
            raise NotTaken(key) from exc
        except Exception:
            log.exception("%s message %s failed", message.channel, message.message_id)
            replies, conversation_id = [self._say("utter_trouble")], None
        await self._done(key)
        if replies:
            await _logged(sender.send_to(message.user_id, replies, conversation_id), message)

    async def _done(self, key: str) -> None:
        """Stored: from now on a delivery of `key` is a repeat. Were Redis away, the
        conversation's own record of the message id still keeps its turn from running twice."""
        try:
            await self._claims.done(key, DEDUP_TTL_SECONDS)
        except StoreUnavailable:
            log.warning("could not mark %s done; its claim will expire", key)

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
