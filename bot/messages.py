"""Channel-neutral message shapes: what comes in and what the bot says back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Button:
    """A quick reply; `payload` is sent back verbatim when pressed (e.g. `/affirm`)."""

    title: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True, slots=True)
class BotMessage:
    text: str
    buttons: tuple[Button, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [b.to_dict() for b in self.buttons]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BotMessage:
        return cls(
            text=data["text"],
            buttons=tuple(Button(b["title"], b["payload"]) for b in data.get("buttons", ())),
        )


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One customer utterance after a channel has normalised it.

    `text` is what the customer typed (or the button title); `payload` is a pressed
    button's payload, which bypasses NLU when it has the `/intent{...}` form.
    `channel_user_id` is who sent it on a messaging channel (WhatsApp number, Telegram
    chat id): replies to a conversation started there go back to it.
    """

    channel: str
    text: str
    payload: str | None = None
    conversation_id: str | None = None
    channel_message_id: str | None = None
    channel_user_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
