"""What a customer's client sees of a conversation: its events as numbered frames.

Every frame carries the event's `seq`, so a client that gets the same event twice (its own
turn's reply and the bus, or a replay after a reconnect) shows it once. Events a customer
must not see (slots, actions, agent notes) have no frame. The shapes are the bus contract
for the topic `conv:{id}`, plus the customer's own messages (`from: "customer"`, with the
client's message id) so a reconnecting widget learns which of its queued messages got in.
"""

from __future__ import annotations

from typing import Any

from bot import events as ev
from bot.events import Event


def customer_topic(conversation_id: str) -> str:
    return f"conv:{conversation_id}"


def customer_frame(event: Event) -> dict[str, Any] | None:
    """The frame for `event`, or None when it is not the customer's to see."""
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
