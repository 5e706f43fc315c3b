"""Conversation state, derived only from the event log.

Nothing here is stored: a conversation's state is `ConversationState.replay(id, events)`,
and a write keeps it current by applying each event as it adds it to a `Draft`. That is
what lets a restart in the middle of a flow lose nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from bot import events as ev
from bot.redact import mask_value

KEPT_MESSAGE_IDS = 50  # chat-app message ids a conversation remembers, for redeliveries
# What a frame can wait for besides a slot name.
CONFIRM = "confirm"
OTP = "otp"
RESUME = "resume"
SWITCH = "switch"  # asked whether to put this flow on hold for the one in `Frame.offer`
OFFER = "offer"  # a job not yet begun: asked whether to start it
# Questions about the conversation itself, not a slot: `state.awaiting` shows None for them.
_ASIDES = frozenset({CONFIRM, RESUME, SWITCH, OFFER})


@dataclass(slots=True)
class Frame:
    """One flow on the stack: where it is, what it has collected and what it waits for."""

    flow: str
    step: int = 0
    slots: dict[str, Any] = field(default_factory=dict)
    awaiting: str | None = None  # a slot name, CONFIRM, OTP, RESUME, SWITCH, OFFER or None
    challenge: dict[str, Any] | None = None  # OtpChallenge.to_dict(): never holds the code
    started_seq: int = 0  # the seq of its FLOW_STARTED: names this run of the flow for good
    # While awaiting SWITCH: {"flow": the job asked for, "slots": what its message said,
    # "was": what this frame awaited before}, so either answer picks up where it was.
    offer: dict[str, Any] | None = None


@dataclass(slots=True)
class ConversationState:
    conversation_id: str
    customer_id: str | None = None
    channel: str | None = None
    status: str = "bot"  # bot | queued | agent | closed
    agent_id: str | None = None  # who holds the conversation while status is "agent"
    status_since: float = 0.0  # when the last hand-over step (queued, claimed, ...) happened
    last_seq: int = 0
    stack: list[Frame] = field(default_factory=list)
    fallback_count: int = 0
    failed_actions: int = 0  # failed actions in a row; enough of them bring in a person
    strong_until: float = 0.0
    # The platform ids of the latest messages from a chat app: a redelivery of one of them
    # is a repeat, whatever the delivery dedup says.
    channel_messages: tuple[str, ...] = ()
    # When the customer last wrote (a chat app's reply window is counted from it), and
    # the latest alert told in this conversation (what a reply to it continues from).
    last_user_at: float = 0.0
    last_alert: dict[str, Any] | None = None

    @property
    def top(self) -> Frame | None:
        return self.stack[-1] if self.stack else None

    def frame(self, flow: str) -> Frame | None:
        """The top-most frame running `flow` (a flow is never on the stack twice)."""
        return next((f for f in reversed(self.stack) if f.flow == flow), None)

    def apply(self, event: ev.Event) -> None:
        """The reducer: fold one event into the state."""
        try:
            reduce = _REDUCERS[event.type]
        except KeyError:
            raise ValueError(f"unknown event type {event.type!r}") from None
        self.last_seq = max(self.last_seq, event.seq)
        if event.type == ev.USER_MESSAGE:
            self.last_user_at = max(self.last_user_at, event.ts)
        reduce(self, event.data)
        if event.type == ev.HANDOFF:
            self.status_since = event.ts

    @classmethod
    def replay(cls, conversation_id: str, events: Iterable[ev.Event]) -> ConversationState:
        state = cls(conversation_id)
        for event in events:
            state.apply(event)
        return state

    def copy(self) -> ConversationState:
        return replace(self, stack=[replace(f, slots=dict(f.slots)) for f in self.stack])

    def summary(self) -> dict[str, Any]:
        """The REST contract's `state`: awaiting is a slot name, 'otp' or None."""
        top = self.top
        awaiting = top.awaiting if top else None
        if awaiting in _ASIDES:
            awaiting = None
        return {"flow": top.flow if top else None, "awaiting": awaiting, "status": self.status}


class Draft:
    """A write in progress: a working copy of the state and the events added to it.

    `add` numbers each event after the state's last seq and applies it at once, so every
    later decision in the write sees exactly what a replay of the log would give. This is
    the one place where sequence numbers are given, and where every slot value is masked
    of card numbers before the state or the log holds it.
    """

    __slots__ = ("events", "now", "state")

    def __init__(self, state: ConversationState, now: float) -> None:
        self.state = state
        self.now = now
        self.events: list[ev.Event] = []

    def add(self, event_type: str, **data: Any) -> ev.Event:
        if event_type == ev.SLOT_SET:  # whatever filled it, a slot never keeps a card number
            data["value"] = mask_value(data["value"])
        event = ev.Event(event_type, data, ts=self.now, seq=self.state.last_seq + 1)
        self.state.apply(event)
        self.events.append(event)
        return event


def _started(state: ConversationState, data: dict[str, Any]) -> None:
    state.customer_id = data.get("customer_id")
    state.channel = data.get("channel")


def _user_message(state: ConversationState, data: dict[str, Any]) -> None:
    if data.get("intent") != "nlu_fallback":
        state.fallback_count = 0
    message_id = data.get("channel_message_id")
    if message_id:
        state.channel_messages = (*state.channel_messages, message_id)[-KEPT_MESSAGE_IDS:]


def _bot_message(state: ConversationState, data: dict[str, Any]) -> None:
    alert = data.get("alert")
    if isinstance(alert, dict):
        state.last_alert = dict(alert)


def _slot_set(state: ConversationState, data: dict[str, Any]) -> None:
    top = state.top
    if top is None:
        return
    if data["value"] is None:
        top.slots.pop(data["name"], None)
    else:
        top.slots[data["name"]] = data["value"]


def _flow_started(state: ConversationState, data: dict[str, Any]) -> None:
    state.stack.append(Frame(data["flow"], started_seq=state.last_seq))


def _flow_ended(state: ConversationState, data: dict[str, Any]) -> None:
    frame = state.frame(data["flow"])
    if frame is not None:
        state.stack.remove(frame)


def _step_advanced(state: ConversationState, data: dict[str, Any]) -> None:
    frame = state.frame(data["flow"])
    if frame is not None:
        frame.step = data["step"]
        frame.awaiting = data.get("awaiting")
        frame.offer = data.get("offer")


def _auth_step(state: ConversationState, data: dict[str, Any]) -> None:
    top = state.top
    if top is not None and "challenge" in data:
        top.challenge = data["challenge"]
    if data["step"] == "otp_verified":
        state.strong_until = data["strong_until"]


def _fallback(state: ConversationState, data: dict[str, Any]) -> None:
    state.fallback_count = data["stage"]


def _handoff(state: ConversationState, data: dict[str, Any]) -> None:
    state.status = data["status"]
    state.agent_id = data.get("agent_id") if state.status == "agent" else None
    state.failed_actions = 0


def _action_run(state: ConversationState, data: dict[str, Any]) -> None:
    state.failed_actions = 0 if data["ok"] else state.failed_actions + 1


def _nothing(state: ConversationState, data: dict[str, Any]) -> None:
    """Recorded for the transcript and the audit trail; no effect on dialogue state."""


_REDUCERS: dict[str, Callable[[ConversationState, dict[str, Any]], None]] = {
    ev.CONVERSATION_STARTED: _started,
    ev.USER_MESSAGE: _user_message,
    ev.BOT_MESSAGE: _bot_message,
    ev.SLOT_SET: _slot_set,
    ev.FLOW_STARTED: _flow_started,
    ev.FLOW_RESUMED: _nothing,  # the STEP_ADVANCED that follows says what is asked again
    ev.FLOW_INTERRUPTED: _nothing,  # the FLOW_STARTED that follows pushes the digression
    ev.FLOW_COMPLETED: _flow_ended,
    ev.FLOW_CANCELLED: _flow_ended,
    ev.STEP_ADVANCED: _step_advanced,
    ev.ACTION_RUN: _action_run,
    ev.AUTH_STEP: _auth_step,
    ev.FALLBACK: _fallback,
    ev.HANDOFF: _handoff,
    ev.AGENT_MESSAGE: _nothing,
    ev.AGENT_NOTE: _nothing,
}
