"""One turn in progress: the input, and the draft of the conversation it adds events to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot import events as ev
from bot.auth.identity import Identity
from bot.dialogue.domain import Domain
from bot.dialogue.state import ConversationState, Draft
from bot.handlers import Reply
from bot.messages import Attachment
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
    """What the dialogue decides in one turn, added to the conversation's draft as it
    goes, so every later decision in the turn sees the state a replay would give."""

    __slots__ = ("domain", "draft", "input")

    def __init__(self, draft: Draft, domain: Domain, turn: TurnInput) -> None:
        self.draft = draft
        self.domain = domain
        self.input = turn

    @property
    def state(self) -> ConversationState:
        return self.draft.state

    @property
    def intent(self) -> str:
        return self.input.parse.intent.name

    @property
    def customer_id(self) -> str | None:
        return self.input.identity.customer_id

    def emit(self, event_type: str, **data: Any) -> None:
        self.draft.add(event_type, **data)

    def say(
        self,
        key: str,
        variables: Mapping[str, Any] | None = None,
        buttons: Iterable[tuple[str, str]] = (),
        attachment: Attachment | None = None,
    ) -> None:
        seq = self.state.last_seq + 1
        message = self.domain.render(key, variables or {}, seq, buttons, attachment)
        self.emit(ev.BOT_MESSAGE, **message.to_dict())

    def reply(self, reply: Reply, slots: Mapping[str, Any]) -> None:
        """Say an action's reply; the flow's slots fill whatever the action left out."""
        self.say(reply.key, {**slots, **reply.vars}, reply.buttons, reply.attachment)
