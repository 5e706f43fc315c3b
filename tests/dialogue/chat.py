"""Drives a DialogueManager the way the turn engine does: a draft of the conversation with
the user's message in it, a step, the events and the new state kept."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from itertools import count
from typing import Any

from bot import events as ev
from bot.auth.identity import AuthLevel, Identity
from bot.auth.lockout import CustomerLockout
from bot.auth.otp import OtpService
from bot.config import Settings
from bot.dialogue.domain import Domain
from bot.dialogue.manager import DialogueManager
from bot.dialogue.state import ConversationState, Draft
from bot.dialogue.turn import TurnInput
from bot.handlers import Action
from bot.messages import BotMessage
from bot.nlu.types import Entity, IntentScore, Parse
from bot.ports import Counters, Presence
from bot.store.memory import DevOutbox, MemoryCounters

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
        """Store an event the way another writer (the agent console) would."""
        draft = Draft(self.state.copy(), self.now)
        self.events.append(draft.add(event_type, **data))
        self.state = draft.state

    async def send(self, text: str, intent: str = "inform", **kwargs: Any) -> list[BotMessage]:
        message = parse(text, intent, **kwargs)
        draft = Draft(self.state.copy(), self.now)
        draft.add(
            ev.USER_MESSAGE,
            text=text,
            payload=None,
            intent=intent,
            confidence=message.intent.confidence,
            entities=[e.to_dict() for e in message.entities],
        )
        await self.manager.step(draft, TurnInput(message, text, self.identity, self.now))
        self.events.extend(draft.events)
        self.state = draft.state
        return [BotMessage.from_dict(e.data) for e in draft.events if e.type == ev.BOT_MESSAGE]

    async def say(self, text: str, intent: str = "inform", **kwargs: Any) -> str:
        """Send and return everything the bot said, as one string."""
        return "\n".join(m.text for m in await self.send(text, intent, **kwargs))

    def of_type(self, event_type: str) -> list[ev.Event]:
        return [e for e in self.events if e.type == event_type]

    @property
    def summary(self) -> dict[str, Any]:
        return self.state.summary()


def make_manager(
    domain: Domain,
    actions: Mapping[str, Action],
    bank: Any,
    outbox: DevOutbox,
    settings: Settings,
    *,
    presence: Presence | None = None,
    counters: Counters | None = None,
) -> DialogueManager:
    """A DialogueManager as the composition root builds one, on in-process ports."""
    otp = OtpService(
        key=secrets.token_bytes(32),
        notifier=outbox,
        settings=settings.otp,
        render=lambda key, variables: domain.text(key, variables),
    )
    return DialogueManager(
        domain=domain,
        actions=actions,
        bank=bank,
        otp=otp,
        lockout=CustomerLockout(counters or MemoryCounters(), settings.otp),
        settings=settings,
        presence=presence,
    )


def latest_code(outbox: DevOutbox, customer_id: str = "cust-001") -> str:
    match = re.search(r"\b(\d{6})\b", outbox.recent(customer_id)[0].text)
    assert match, "no code in the outbox message"
    return match.group(1)
