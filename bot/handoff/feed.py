"""What goes on the bus when a conversation's log grows (contract in the widget/handoff brief).

`conv:{id}` carries what the customer sees, one frame per event, numbered by the event's
seq so a client that also gets the event some other way (its own turn's reply, a replay)
can drop the duplicate. `agents:{space}` carries, for conversations a person is involved
in, every event of the transcript to every open agent console: that is how a customer
typing on one worker reaches an agent connected to another.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot import events as ev
from bot.events import Event
from bot.store.bus import Bus
from bot.store.ports import StoreUnavailable

log = logging.getLogger(__name__)

TRANSCRIPT = frozenset(
    {ev.USER_MESSAGE, ev.BOT_MESSAGE, ev.AGENT_MESSAGE, ev.AGENT_NOTE, ev.HANDOFF}
)


def customer_topic(conversation_id: str) -> str:
    return f"conv:{conversation_id}"


def agents_topic(space: str) -> str:
    """`space` (the database name) keeps deployments sharing one Redis apart."""
    return f"agents:{space}"


def customer_frame(event: Event) -> dict[str, Any] | None:
    """The frame a customer's client gets for `event`, or None if it is not theirs to see.

    The customer's own messages are frames too (`from: "customer"`, with the client's
    message id), so another tab, or a widget reconnecting, learns which messages got in.
    """
    if event.type == ev.HANDOFF:
        return {"type": "status", "seq": event.seq, "status": event.data["status"]}
    if event.type == ev.USER_MESSAGE:
        return {
            "type": "message",
            "seq": event.seq,
            "from": "customer",
            "text": event.data["text"],  # as stored: one-time codes and card numbers masked
            "buttons": [],
            "ts": event.ts,
            "client_id": event.data.get("channel_message_id"),
        }
    if event.type == ev.BOT_MESSAGE:
        sender = event.data.get("from", "bot")
    elif event.type == ev.AGENT_MESSAGE:
        sender = "agent"
    else:
        return None
    return {
        "type": "message",
        "seq": event.seq,
        "from": sender,
        "text": event.data["text"],
        "buttons": event.data.get("buttons", []),
        "ts": event.ts,
    }


def transcript_entry(event: Event) -> dict[str, Any]:
    """An event as the agent console shows it."""
    return {"seq": event.seq, "type": event.type, "data": event.data, "ts": event.ts}


class Feed:
    """Publishes after events are stored; a lost publish costs latency, never a message
    (clients replay from the store), so publishing failures are logged, not raised."""

    def __init__(self, bus: Bus, space: str) -> None:
        self._bus = bus
        self.agents_topic = agents_topic(space)

    async def to_customer(self, conversation_id: str, events: Sequence[Event]) -> None:
        topic = customer_topic(conversation_id)
        for event in events:
            frame = customer_frame(event)
            if frame is not None:
                await self._publish(topic, frame)

    async def to_agents(self, conversation_id: str, events: Sequence[Event], status: str) -> None:
        entries = [transcript_entry(e) for e in events if e.type in TRANSCRIPT]
        if entries:
            await self._publish(
                self.agents_topic,
                {
                    "type": "events",
                    "conversation_id": conversation_id,
                    "status": status,
                    "events": entries,
                },
            )

    async def _publish(self, topic: str, payload: dict[str, Any]) -> None:
        try:
            await self._bus.publish(topic, payload)
        except StoreUnavailable:
            log.warning("could not publish on %s; clients will catch up by replay", topic)
