"""One customer turn, channel-neutral: parse, lock, step the dialogue, store, answer.

Every channel calls `TurnEngine.handle`; nothing here knows where a message came from,
and nothing in a channel knows about intents.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot import events as ev
from bot.auth.identity import Identity
from bot.conversations import Conversations
from bot.dialogue.manager import DialogueManager
from bot.dialogue.state import ConversationState
from bot.dialogue.turn import TurnInput
from bot.events import Event
from bot.messages import BotMessage, InboundMessage
from bot.nlu.payload import parse_payload
from bot.nlu.types import Parse
from bot.redact import may_be_code, redact
from bot.store.ports import EventStore, TurnLock


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
        nlu: Parser,
        dialogue: DialogueManager,
        store: EventStore,
        conversations: Conversations,
        lock: TurnLock,
    ) -> None:
        self._nlu = nlu
        self._dialogue = dialogue
        self._store = store
        self._conversations = conversations
        self._lock = lock

    async def handle(self, identity: Identity, inbound: InboundMessage) -> TurnOutcome:
        """Run one turn; raises ConversationNotFound, StoreUnavailable or LockTimeout."""
        parse = (parse_payload(inbound.payload) if inbound.payload else None) or self._nlu.parse(
            inbound.text
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
            first = [
                replace(event, seq=before.last_seq + i)
                for i, event in enumerate((*opening, user_event), start=1)
            ]
            working = before.copy()
            for event in first:
                working.apply(event)
            now = time.time()
            replies, after = await self._dialogue.step(
                working, TurnInput(parse=parse, text=inbound.text, identity=identity, now=now)
            )
            numbered = [*first, *replies]
            summary: dict[str, Any] = {
                "status": after.status,
                "last_seq": after.last_seq,
                "updated_at": now,
            }
            if opening:
                summary |= {
                    "customer_id": identity.customer_id,
                    "channel": inbound.channel,
                    "channel_user_id": inbound.channel_user_id,
                    "created_at": now,
                }
            try:
                await self._store.append(conversation_id, numbered, summary)
            except BaseException:
                self._conversations.forget(conversation_id)
                raise
            self._conversations.remember(after)
        messages = [BotMessage.from_dict(e.data) for e in replies if e.type == ev.BOT_MESSAGE]
        return TurnOutcome(conversation_id, messages, parse, after.summary(), tuple(numbered))


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
