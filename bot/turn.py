"""One customer turn, channel-neutral: parse, lock, step the dialogue, store, answer.

Every channel calls `TurnEngine.handle`; nothing here knows where a message came from,
and nothing in a channel knows about intents. Events that happen outside a customer's turn
(an agent's reply or note, a claim, hand back, close) go through `TurnEngine.record`, under
the same lock, so a conversation's log is written by one writer at a time on any worker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot import events as ev
from bot.auth.identity import Identity
from bot.conversations import Conversations
from bot.dialogue.manager import DialogueManager
from bot.dialogue.state import ConversationState
from bot.dialogue.turn import TurnInput
from bot.events import Event
from bot.handoff.feed import Feed
from bot.messages import BotMessage, InboundMessage
from bot.nlu.payload import parse_payload
from bot.nlu.types import Parse
from bot.redact import may_be_code, redact
from bot.store.ports import EventStore, TurnLock


class Parser(Protocol):
    def parse(self, text: str) -> Parse: ...


# Decides, from the state under the lock, what to record; raises to record nothing.
Plan = Callable[[ConversationState], Awaitable[Sequence[Event]]]


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
        nlu: Parser,
        dialogue: DialogueManager,
        store: EventStore,
        conversations: Conversations,
        lock: TurnLock,
        parsing: Executor,
        feed: Feed | None = None,
    ) -> None:
        self._nlu = nlu
        self._parsing = parsing
        self._dialogue = dialogue
        self._store = store
        self._conversations = conversations
        self._lock = lock
        self._feed = feed

    async def handle(self, identity: Identity, inbound: InboundMessage) -> TurnOutcome:
        """Run one turn; raises ConversationNotFound, StoreUnavailable or LockTimeout."""
        # A parse is a few ms of encoder work that releases the GIL: on a parsing thread it
        # leaves the event loop free for other turns' I/O and uses another core.
        parse = (parse_payload(inbound.payload) if inbound.payload else None) or (
            await asyncio.get_running_loop().run_in_executor(
                self._parsing, self._nlu.parse, inbound.text
            )
        )
        conversation_id = inbound.conversation_id or uuid.uuid4().hex
        async with self._lock.hold(conversation_id):
            if inbound.conversation_id is None:
                before = ConversationState.new(
                    conversation_id, identity.customer_id, inbound.channel
                )
                opening = [
                    Event(
                        ev.CONVERSATION_STARTED,
                        {"customer_id": identity.customer_id, "channel": inbound.channel},
                    )
                ]
            else:
                before = await self._conversations.load(conversation_id, identity.customer_id)
                opening = []
            secret = may_be_code(inbound.text, before.summary()["awaiting"] == "otp")
            user_event = _user_event(inbound, parse, secret)
            # The dialogue numbers its events after the state's last_seq, so what this turn
            # records first is numbered and applied before the dialogue steps.
            first, working = _numbered(before, (*opening, user_event))
            now = time.time()
            replies, after = await self._dialogue.step(
                working, TurnInput(parse=parse, text=inbound.text, identity=identity, now=now)
            )
            numbered = [*first, *replies]
            summary = _summary(before, after, now, bool(opening))
            if opening:
                summary |= {
                    "customer_id": identity.customer_id,
                    "channel": inbound.channel,
                    "channel_user_id": inbound.channel_user_id,
                    "created_at": now,
                }
            await self._append(conversation_id, numbered, summary, after)
        if self._feed is not None and (before.status != "bot" or after.status != "bot"):
            await self._feed.to_agents(conversation_id, numbered, after.status)
        messages = [BotMessage.from_dict(e.data) for e in replies if e.type == ev.BOT_MESSAGE]
        return TurnOutcome(conversation_id, messages, parse, after.summary(), tuple(numbered))

    async def record(self, conversation_id: str, events: Sequence[Event] | Plan) -> list[Event]:
        """Append events outside a customer turn and publish them; returns them numbered.

        `events` is either the events or a `Plan` that decides them from the current state
        while the lock is held (e.g. a claim that must see the conversation still queued);
        a plan raises to record nothing. Raises ConversationNotFound for an unknown id.
        """
        async with self._lock.hold(conversation_id):
            before = await self._conversations.current(conversation_id)
            planned = await events(before) if callable(events) else events
            if not planned:
                return []
            numbered, after = _numbered(before, planned)
            summary = _summary(before, after, time.time())
            await self._append(conversation_id, numbered, summary, after)
        if self._feed is not None:
            await self._feed.to_customer(conversation_id, numbered)
            await self._feed.to_agents(conversation_id, numbered, after.status)
        return numbered

    async def _append(
        self,
        conversation_id: str,
        events: list[Event],
        summary: dict[str, Any],
        after: ConversationState,
    ) -> None:
        try:
            await self._store.append(conversation_id, events, summary)
        except BaseException:
            self._conversations.forget(conversation_id)
            raise
        await self._conversations.stored(after)


def _numbered(
    state: ConversationState, events: Sequence[Event]
) -> tuple[list[Event], ConversationState]:
    """`events` numbered after `state`, and a copy of `state` with them applied."""
    numbered = [replace(event, seq=state.last_seq + i) for i, event in enumerate(events, 1)]
    after = state.copy()
    for event in numbered:
        after.apply(event)
    return numbered, after


def _summary(
    before: ConversationState, after: ConversationState, now: float, opening: bool = False
) -> dict[str, Any]:
    """The conversation document's fields the agents' queue is listed and claimed by.

    Written only when they change (or the conversation opens): most turns leave them
    alone, so the document's `last_seq` is as of its last change; the event log and the
    Redis seq marks, not the document, say where a conversation is.
    """
    if not opening and after.status == before.status and after.agent_id == before.agent_id:
        return {}
    return {
        "status": after.status,
        "agent_id": after.agent_id,
        "last_seq": after.last_seq,
        "updated_at": now,
        "status_since": now,
    }


def _user_event(inbound: InboundMessage, parse: Parse, secret: bool) -> Event:
    """The stored record of what the customer said, with codes and card numbers masked."""
    text = redact(inbound.text, secret)
    entities = [
        {"entity": e.entity, "value": e.value, "text": e.text} for e in parse.entities if not secret
    ]
    return Event(
        ev.USER_MESSAGE,
        {
            "text": text,
            "payload": inbound.payload,
            "intent": parse.intent.name,
            "confidence": round(parse.intent.confidence, 4),
            "entities": entities,
            "channel_message_id": inbound.channel_message_id,
        },
    )
