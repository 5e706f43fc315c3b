"""The web widget's frames: how a stored event looks to the customer's browser.

Every frame carries its event's `seq`, so a client that gets the same event twice (its
own turn's reply, a push from the bus, a replay after a reconnect) shows it once.
"""

from __future__ import annotations

from typing import Any

from bot import events as ev
from bot.events import Event


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
    frame = {
        "type": "message",
        "seq": event.seq,
        "from": sender,
        "text": event.data["text"],
        "buttons": event.data.get("buttons", []),
        "ts": event.ts,
    }
    if event.data.get("attachment"):
        # As stored: `kind` first, then that kind's fields (bot.messages.attachment_to_dict).
        frame["attachment"] = event.data["attachment"]
    return frame


def pushed_events(payload: dict[str, Any]) -> list[Event]:
    """The events a bus payload for a conversation carries (`Conversations` publishes them)."""
    if payload.get("type") != "events" or not isinstance(payload.get("events"), list):
        return []
    return [Event.from_doc(entry) for entry in payload["events"]]
