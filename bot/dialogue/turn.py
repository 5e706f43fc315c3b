"""One turn in progress: the input, a working copy of the state and the events emitted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from actions.base import Reply
from bot import events as ev
from bot.auth.identity import Identity
from bot.dialogue.domain import Domain
from bot.dialogue.state import ConversationState
from bot.nlu.types import Parse


@dataclass(frozen=True, slots=True)
class TurnInput:
    parse: Parse
    text: str
    identity: Identity
    now: float  # epoch seconds; OTP expiry and strong-auth windows are measured against it


class Outcome(Enum):
    """What running a flow step did to the flow."""

    NEXT = "next"  # done: go on to the following step
    WAIT = "wait"  # asked the customer something
    STOP = "stop"  # the flow was cancelled


class Turn:
    """Emits events for one turn, applying each to the working state as it goes, so every
    later decision in the turn sees exactly what a replay of the log would give."""

    __slots__ = ("domain", "events", "input", "state")

    def __init__(self, state: ConversationState, domain: Domain, turn: TurnInput) -> None:
        self.state = state
        self.domain = domain
        self.input = turn
        self.events: list[ev.Event] = []

    @property
    def intent(self) -> str:
        return self.input.parse.intent.name

    @property
    def customer_id(self) -> str | None:
        return self.input.identity.customer_id

    def emit(self, event_type: str, **data: Any) -> None:
        event = ev.Event(event_type, data, ts=self.input.now, seq=self.state.last_seq + 1)
        self.state.apply(event)
        self.events.append(event)

    def say(
        self,
        key: str,
        variables: Mapping[str, Any] | None = None,
        buttons: Iterable[tuple[str, str]] = (),
    ) -> None:
        message = self.domain.render(key, variables or {}, self.state.last_seq + 1, buttons)
        self.emit(ev.BOT_MESSAGE, **message.to_dict())

    def reply(self, reply: Reply, slots: Mapping[str, Any]) -> None:
        """Say an action's reply; the flow's slots fill whatever the action left out."""
        self.say(reply.key, {**slots, **reply.vars}, reply.buttons)
