"""One customer turn, channel-neutral: parse, then one write of the conversation.

Every channel calls `TurnEngine.handle`; nothing here knows where a message came from,
and nothing in a channel knows about intents. The write (`Conversations.write`) stores
the customer's message, lets the dialogue step, and publishes what it stored.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot import events as ev
from bot.auth.identity import Identity
from bot.conversations import Conversations, Opening
from bot.dialogue.manager import DialogueManager
from bot.dialogue.state import Draft
from bot.dialogue.turn import TurnInput
from bot.events import Event
from bot.files import FileLinks
from bot.messages import BotMessage, InboundMessage
from bot.nlu.payload import PayloadError, parse_payload
from bot.nlu.types import Parse
from bot.observe import metrics
from bot.observe.logs import CONVERSATION_ID, logger
from bot.ports import (
    ConversationNotFound,
    LockTimeout,
    SeqConflict,
    StoreUnavailable,
    UnstorableEvent,
)
from bot.redact import mask_card_numbers, mask_parse, mask_pins, may_be_code, redact

log = logger(__name__)


class RepeatedMessage(RuntimeError):
    """A chat app delivered a message whose turn is stored already: nothing is written."""


# The outcome label of a turn that stored nothing, by what it raised (anything else: error).
_REFUSED: tuple[tuple[type[BaseException], str], ...] = (
    (PayloadError, "bad_payload"),
    (ConversationNotFound, "not_found"),
    (UnstorableEvent, "unstorable"),
    (StoreUnavailable, "store_unavailable"),
    (LockTimeout, "busy"),
    (SeqConflict, "conflict"),
    (RepeatedMessage, "repeated"),
)


def _refused(exc: BaseException) -> str:
    return next((label for kind, label in _REFUSED if isinstance(exc, kind)), "error")


class _TurnMetrics:
    """A channel's turn counters and latency histogram, bound once per channel."""

    __slots__ = ("answered", "channel", "seconds")

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.answered = metrics.TURNS.labels(channel, "answered")
        self.seconds = metrics.TURN_SECONDS.labels(channel)


_CHANNELS = metrics.Children(_TurnMetrics, other="other", limit=20)
_INTENTS = metrics.Children(lambda name: metrics.INTENTS.labels(name), other="other")


class Parser(Protocol):
    def parse(self, text: str) -> Parse: ...


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """What a turn answered; `events` are all it stored, numbered, for channels that must
    tell the customer each message's seq (the widget resumes and dedupes by it)."""

    conversation_id: str
    messages: list[BotMessage]
    parse: Parse
    state: dict[str, Any]
    events: tuple[Event, ...] = ()


class TurnEngine:
    def __init__(
        self,
        *,
        nlu: Parser,
        dialogue: DialogueManager,
        conversations: Conversations,
        parsing: Executor,
        files: FileLinks | None = None,
    ) -> None:
        """`files` turns the stored url of a file the turn made into the customer's link."""
        self._nlu = nlu
        self._files = files
        self._dialogue = dialogue
        self._conversations = conversations
        self._parsing = parsing

    async def parse(self, text: str) -> Parse:
        """A parse is a few ms of encoder work that releases the GIL: on a parsing thread it
        leaves the event loop free for other turns' I/O and uses another core."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._parsing, self._nlu.parse, text)

    async def handle(self, identity: Identity, inbound: InboundMessage) -> TurnOutcome:
        """Run one turn (counted and timed in `teller_turns_total` and `teller_turn_seconds`,
        and logged as one line without anything the customer said); see `_handle`."""
        started = time.perf_counter()
        counted = _CHANNELS.get(inbound.channel)
        if inbound.conversation_id is not None:
            CONVERSATION_ID.set(inbound.conversation_id)
        try:
            outcome = await self._handle(identity, inbound)
        except BaseException as exc:
            seconds = time.perf_counter() - started
            label = _refused(exc)
            metrics.TURNS.labels(counted.channel, label).inc()
            log.info(
                "turn refused", channel=counted.channel, outcome=label, ms=round(seconds * 1000, 1)
            )
            raise
        seconds = time.perf_counter() - started
        counted.answered.inc()
        counted.seconds.observe(seconds)
        intent = outcome.parse.intent.name
        _INTENTS.get(intent).inc()
        if intent == "nlu_fallback":
            metrics.FALLBACKS.inc()
        CONVERSATION_ID.set(outcome.conversation_id)
        log.info(
            "turn",
            channel=counted.channel,
            outcome="answered",
            intent=intent,
            status=outcome.state["status"],
            ms=round(seconds * 1000, 1),
        )
        return outcome

    async def _handle(self, identity: Identity, inbound: InboundMessage) -> TurnOutcome:
        """Run one turn; raises PayloadError (a payload's entities are refused),
        ConversationNotFound, UnstorableEvent, StoreUnavailable, LockTimeout, SeqConflict or
        RepeatedMessage, and then nothing of the turn is stored.

        Card numbers are masked here, before anything else sees the message: the dialogue,
        the log, the bus, the agents, and the parse the channel answers with; so is what
        may be a PIN in a message about one ("my pin is 4821")."""
        text = mask_pins(mask_card_numbers(inbound.text))
        payload = mask_card_numbers(inbound.payload) if inbound.payload else inbound.payload
        inbound = replace(inbound, text=text, payload=payload)
        parse = mask_parse(
            (parse_payload(inbound.payload) if inbound.payload else None)
            or (await self.parse(inbound.text))
        )
        opening = None
        if inbound.conversation_id is None:
            opening = Opening(identity.customer_id, inbound.channel, inbound.channel_user_id)

        async def decide(draft: Draft) -> None:
            if inbound.channel_message_id in draft.state.channel_messages:
                raise RepeatedMessage(inbound.channel_message_id)
            secret = may_be_code(inbound.text, draft.state.summary()["awaiting"] == "otp")
            draft.add(ev.USER_MESSAGE, **_said(inbound, parse, secret))
            turn = TurnInput(parse=parse, text=inbound.text, identity=identity, now=draft.now)
            await self._dialogue.step(draft, turn)

        written = await self._conversations.write(
            inbound.conversation_id or uuid.uuid4().hex, decide, customer=identity, opening=opening
        )
        messages = [
            BotMessage.from_dict(e.data) for e in written.events if e.type == ev.BOT_MESSAGE
        ]
        if self._files is not None:
            messages = [self._files.sign(m, identity.customer_id) for m in messages]
        return TurnOutcome(
            written.conversation_id, messages, parse, written.state.summary(), written.events
        )


def _said(inbound: InboundMessage, parse: Parse, secret: bool) -> dict[str, Any]:
    """The stored record of what the customer said (card numbers already masked), with
    anything that may be a one-time code masked too."""
    return {
        "text": redact(inbound.text, secret),
        "payload": inbound.payload,
        "intent": parse.intent.name,
        "confidence": round(parse.intent.confidence, 4),
        "entities": [
            {"entity": e.entity, "value": e.value, "text": e.text}
            for e in parse.entities
            if not secret
        ],
        "channel_message_id": inbound.channel_message_id,
    }
