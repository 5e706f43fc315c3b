"""Drives a DialogueManager the way the turn orchestration does: store the user's message
event, step, keep the events and the new state."""

from __future__ import annotations

import re
from itertools import count
from typing import Any

from bot import events as ev
from bot.auth.identity import AuthLevel, Identity
from bot.auth.notifier import DevOutbox
from bot.dialogue.manager import DialogueManager
from bot.dialogue.state import ConversationState
from bot.dialogue.turn import TurnInput
from bot.messages import BotMessage
from bot.nlu.types import Entity, IntentScore, Parse

_ids = count(1)


def parse(
    text: str,
    intent: str = "inform",
    ranking: tuple[tuple[str, float], ...] = (),
    confidence: float = 0.9,
    **entities: Any,
) -> Parse:
    return Parse(
        text=text,
        intent=IntentScore(intent, confidence),
        ranking=tuple(IntentScore(name, score) for name, score in ranking),
        entities=tuple(Entity(name, value, str(value), 0, 0) for name, value in entities.items()),
    )


class Chat:
    def __init__(
        self, manager: DialogueManager, customer_id: str | None = "cust-001", now: float = 1.7e9
    ) -> None:
        self.manager = manager
        self.identity = (
            Identity(customer_id, AuthLevel.IDENTIFIED) if customer_id else Identity.anonymous()
        )
        self.now = now
        self.state = ConversationState(f"conv-{next(_ids)}")
        self.events: list[ev.Event] = []
        self.record(ev.CONVERSATION_STARTED, customer_id=customer_id, channel="rest")

    def record(self, event_type: str, **data: Any) -> None:
        """Store an event the way the caller (REST layer, agent console) would."""
        event = ev.Event(event_type, data, ts=self.now, seq=self.state.last_seq + 1)
        self.state.apply(event)
        self.events.append(event)

    async def send(self, text: str, intent: str = "inform", **kwargs: Any) -> list[BotMessage]:
        message = parse(text, intent, **kwargs)
        self.record(
            ev.USER_MESSAGE,
            text=text,
            payload=None,
            intent=intent,
            confidence=message.intent.confidence,
            entities=[e.to_dict() for e in message.entities],
        )
        turn = TurnInput(message, text, self.identity, self.now)
        new, self.state = await self.manager.step(self.state, turn)
        self.events.extend(new)
        return [BotMessage.from_dict(e.data) for e in new if e.type == ev.BOT_MESSAGE]

    async def say(self, text: str, intent: str = "inform", **kwargs: Any) -> str:
        """Send and return everything the bot said, as one string."""
        return "\n".join(m.text for m in await self.send(text, intent, **kwargs))

    def of_type(self, event_type: str) -> list[ev.Event]:
        return [e for e in self.events if e.type == event_type]

    @property
    def summary(self) -> dict[str, Any]:
        return self.state.summary()


def latest_code(outbox: DevOutbox, customer_id: str = "cust-001") -> str:
    match = re.search(r"\b(\d{6})\b", outbox.recent(customer_id)[0].text)
    assert match, "no code in the outbox message"
    return match.group(1)
